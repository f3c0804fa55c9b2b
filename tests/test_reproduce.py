"""reproduce.py, reporting/plan.py and reporting/report.py: the run plan, skipping and failures, and a report whose every number is read
from a metrics.json file."""
import importlib
import json
import shutil
import os
import subprocess
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import main_mlvae
import reproduce
import reporting.plan as rp
from reporting.report import Row, build_report, lookup
from utils.config import own_value
from utils.errors import UserError
from utils.runtime import usable_cpus


def _write(path: Path, obj) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))
    return path


# ------------------------------------------------------------------------------------------------ lookup / Row
def test_lookup_follows_dots_list_indices_and_field_selectors():
    m = {"a": {"b": 3}, "q": [{"k": 10, "acc": 0.5}, {"k": 120, "acc": 0.9}], "xs": [1, 2, 3]}
    assert lookup(m, "a.b") == 3
    assert lookup(m, "q[k=120].acc") == 0.9
    assert lookup(m, "xs[-1]") == 3
    with pytest.raises(KeyError, match=r"q\[k=7\]"):
        lookup(m, "q[k=7].acc")
    with pytest.raises(KeyError):
        lookup(m, "a.c")


ONE_SEED = "one seed"
DIGITIZED = "one seed; within the +-0.2-point digitization error of the reference"


@pytest.mark.parametrize("mean, std, ref, ref_std, better, verified, same_protocol, digitized, key, verdict", [
    # one seed (std 0): the text says so
    (0.95, 0.0, 0.95, 0.0, "higher", True, True, False, "v", f"meets ({ONE_SEED})"),
    (0.97, 0.0, 0.95, 0.0, "higher", True, True, False, "v", f"beats ({ONE_SEED})"),
    (0.90, 0.0, 0.95, 0.0, "higher", True, True, False, "v", f"short by 5.00 ({ONE_SEED})"),
    (0.949, 0.0, 0.95, 0.0, "higher", True, True, False, "v", f"short by 0.10 ({ONE_SEED})"),   # no tolerance
    # several seeds: mean - std must clear the reference; beats = it also clears the reference's spread
    (0.90, 0.02, 0.87, 0.0, "higher", True, True, False, "v", "beats"),
    (0.90, 0.02, 0.87, 0.02, "higher", True, True, False, "v", "meets"),
    (0.85, 0.05, 0.87, 0.0, "higher", True, True, False, "v", "within our spread"),     # the spread straddles it
    (0.85, 0.05, 0.90, 0.0, "higher", True, True, False, "v", "within our spread"),     # mean + std touches it
    (0.80, 0.05, 0.90, 0.0, "higher", True, True, False, "v", "short by 10.00"),
    # a digitized reference (the SEQ figure) counts as +- 0.2 points, and only it
    (0.949, 0.0, 0.95, 0.0, "higher", True, True, True, "v", f"meets ({DIGITIZED})"),
    (0.951, 0.0, 0.95, 0.0, "higher", True, True, True, "v", f"meets ({ONE_SEED})"),
    (0.951, 0.0, 0.95, 0.0, "higher", True, True, False, "v", f"beats ({ONE_SEED})"),
    (0.947, 0.0, 0.95, 0.0, "higher", True, True, True, "v", f"short by 0.30 ({ONE_SEED})"),
    (0.9935, 0.0, 0.992, 0.0, "higher", True, True, True, "v", f"meets ({ONE_SEED})"),
    (0.9923, 0.0, 0.990, 0.0, "higher", True, True, True, "v", f"beats ({ONE_SEED})"),
    # lower is better (error rates): mirrored
    (0.0441, 0.0, 0.019, 0.001, "lower", True, True, False, "v", f"short by 2.51 ({ONE_SEED})"),
    (0.0195, 0.0, 0.019, 0.001, "lower", True, True, False, "v",
     f"short by 0.05 ({ONE_SEED}; inside the reference's own +- 0.10)"),
    (0.0185, 0.0, 0.019, 0.001, "lower", True, True, False, "v", f"meets ({ONE_SEED})"),
    (0.010, 0.0, 0.019, 0.001, "lower", True, True, False, "v", f"beats ({ONE_SEED})"),
    (0.015, 0.002, 0.019, 0.001, "lower", True, True, False, "v", "beats"),
    (0.020, 0.002, 0.019, 0.001, "lower", True, True, False, "v", "within our spread"),
    (0.030, 0.005, 0.019, 0.001, "lower", True, True, False, "v", "short by 1.10"),
    # unverified and context references, and metrics that leak the labels, get no verdict however good we are
    (0.99, 0.0, 0.50, 0.0, "higher", False, True, False, "v", "unverified reference: no verdict"),
    (0.001, 0.0, 0.016, 0.0008, "lower", False, True, False, "v", "unverified reference: no verdict"),
    (0.99, 0.0, 0.50, 0.0, "higher", True, False, False, "v", "context only (another method: VaDE)"),
    (0.99, 0.01, 0.50, 0.0, "higher", False, False, False, "v", "context only (another method: VaDE)"),
    (1.00, 0.0, 0.90, 0.0, "higher", True, True, False, "class_LEAKS_LABELS", "leaks labels: context only"),
    (1.00, 0.0, 0.90, 0.0, "higher", True, False, False, "class_LEAKS_LABELS", "leaks labels: context only"),
])
def test_verdict(mean, std, ref, ref_std, better, verified, same_protocol, digitized, key, verdict):
    from reporting.references import Reference
    from reporting.report import judge

    r = Reference(ref, ref_std, "a source", verified=verified, same_protocol=same_protocol,
                  note="" if same_protocol else "another method: VaDE", digitized=digitized)
    assert judge(mean, std, 1 if std == 0 else 3, r, better=better, key=key) == verdict


def test_verdict_without_a_reference_or_on_another_scale():
    from reporting.references import Reference
    from reporting.report import judge

    assert judge(0.9, 0.0, 1, None) == "no reference value"
    assert judge(0.9, 0.0, 1, None, key="x_LEAKS_LABELS") == "leaks labels: context only"
    assert judge(0.020, 0.0, 1, Reference(0.025), better="lower", scale=1.0) == "beats (one seed)"   # an MSE
    assert judge(0.020, 0.001, 2, Reference(0.0205), better="lower", scale=1.0) == "within our spread"


def test_row_verdict_uses_the_mean_and_sample_std_of_its_files(tmp_path):
    from reporting.references import Reference

    def row(values, ref):
        files = [_write(tmp_path / f"{ref}-{len(values)}/s{i}/metrics.json", {"v": v}) for i, v in enumerate(values)]
        return Row("m", "s", files, "v", tmp_path, Reference(ref)).verdict()

    assert row([0.80, 0.90, 0.85], 0.79) == "beats"                 # 85 +- 5: 80 > 79
    assert row([0.80, 0.90, 0.85], 0.84) == "within our spread"     # 80 < 84 < 90
    assert row([0.80, 0.90, 0.85], 0.91) == "short by 6.00"         # 90 < 91
    assert row([0.86], 0.84) == "beats (one seed)"


def test_row_is_mean_and_sample_std_over_the_seed_files(tmp_path):
    from reporting.references import Reference

    files = [_write(tmp_path / f"seed-{s}/metrics.json", {"seed": s, "acc": a, "seconds": {"total": 60.0 * (s + 1)},
                                                          "device": "cpu"})
             for s, a in [(0, 0.80), (1, 0.90), (2, 0.85)]]
    line = Row("acc %", "mnist", files, "acc", tmp_path, Reference(0.9, source="a paper")).markdown()
    assert "| acc % | mnist | 85.00 +- 5.00 | 0, 1, 2 | 90.00 | a paper | within our spread | 2.0 | cpu |" in line
    assert "seed-0/metrics.json, seed-1/metrics.json, seed-2/metrics.json" in line
    line = Row("acc %", "mnist", files, "acc", tmp_path, Reference(0.99, 0.01, "recalled", verified=False)).markdown()
    assert "| 99.00 +- 1.00 (unverified) | recalled | unverified reference: no verdict |" in line


# ------------------------------------------------------------------------------------------------ plan / run_jobs
def _cfg(**kw):
    cfg = {k: getattr(reproduce, k) for k in ("quick", "parts", "datasets", "seeds", "other_seeds", "seq_archs",
                                              "mlvae_noise", "aae_heads", "data_dir", "device", "progress")}
    cfg.update(out_dir="results", **kw)
    return cfg


def test_plan_covers_every_script_and_orders_decoders_after_their_encoders():
    from main_aae import HEADS

    jobs = reproduce.planned_jobs(_cfg(seeds="0,1"))
    names = [j.name for j in jobs]
    assert {j.script for j in jobs} == {"main_encoder.py", "main_decoder_mnist.py", "main_decoder_fmnist.py",
                                        "main_catvae.py", "main_mlvae.py", "main_aae.py", "main_probes.py",
                                        "main_judge.py"}
    # one judge per data set, first; every script that judges waits for its data set's judge and is told where it is
    assert names[:2] == ["Judge mnist", "Judge fashion-mnist"]
    for job in jobs:
        if job.script in rp.JUDGED_SCRIPTS:
            ds = job.datasets[0]
            assert job.judge == f"Judge {ds}" and f"--judge=results/judge/{ds}" in job.args, job.name
        else:
            assert job.judge == "", job.name
    probes = next(j for j in jobs if j.name == "Probes mnist seed 1")          # after the runs it probes
    assert sorted(probes.after) == ["AAE clustering/clusters-30 seed 1", "CatVAE mnist catvae seed 1",
                                    "CatVAE mnist infocatvae seed 1", "ML-VAE mnist noise 0.1 seed 1",
                                    "SEQ encoder mnist cae4 seed 1"]
    assert "AAE clustering/clusters-30 seed 1" in names                        # the AAE run it reads is planned
    assert str(probes.outputs[0]) == "results/seed-1/probes/mnist/metrics.json"
    # on Fashion-MNIST the probes read the clustering setting run there (16 clusters)
    assert "AAE fashion-mnist clustering/clusters-16 seed 1" in next(
        j for j in jobs if j.name == "Probes fashion-mnist seed 1").after
    # headline runs over --seeds (0, 1), the others over --other_seeds (0)
    headline = sum(len(h["sweep"][1]) for name, h in HEADS.items() if name in rp.HEADLINE_AAE_HEADS)
    assert headline == 4
    # and, beyond the paper, Fashion-MNIST for the first setting of each headline head (headline seeds too)
    assert sum(j.script == "main_aae.py" for j in jobs) == 2 * headline + sum(len(h["sweep"][1]) for h in
                                                                           HEADS.values()) - headline + 2 * 2
    fashion = [j for j in jobs if j.script == "main_aae.py" and "fashion-mnist" in j.datasets]
    assert [j.name for j in fashion] == [f"AAE fashion-mnist {run} seed {s}" for s in (0, 1)
                                         for run in ("semi_supervised/labels-100", "clustering/clusters-16")]
    assert all(j.judge == "Judge fashion-mnist" and "--dataset=fashion-mnist" in j.args and
               j.outputs[0].parent.name.endswith("-fashion-mnist") for j in fashion)
    assert sum(j.script == "main_catvae.py" for j in jobs) == 2 * 2 * 2       # datasets x variants x seeds
    assert sorted(j.name for j in jobs if j.script == "main_mlvae.py") == [
        "ML-VAE fashion-mnist noise 0.1 seed 0", "ML-VAE fashion-mnist noise 0.1 seed 1",
        "ML-VAE mnist noise 0.1 seed 0", "ML-VAE mnist noise 0.1 seed 1", "ML-VAE mnist noise 1.0 seed 0"]
    assert sorted(j.name for j in jobs if "decoder" in j.script) == [           # judged generations: every seed
        f"SEQ decoder {ds} cae4 seed {s}" for ds in ("fashion-mnist", "mnist") for s in (0, 1)]
    for job in jobs:
        for dep in job.after:
            assert names.index(dep) < names.index(job.name)
    # the first seed writes where the scripts write by default, another seed under seed-<s>/
    enc = [j for j in jobs if j.name.startswith("SEQ encoder mnist cae4")]
    assert [str(j.outputs[0]) for j in enc] == ["results/seq/mnist/cae4/metrics.json",
                                                "results/seed-1/seq/mnist/cae4/metrics.json"]
    assert "--out_dir=results/seed-1" in enc[1].args and "--seed=1" in enc[1].args
    # --resume / --overwrite are chosen at launch, from what the run's folder holds then
    assert not any(a.startswith(("--resume", "--overwrite")) for j in jobs for a in j.args)
    assert [rp.mode(s) for s in ("new", "resume", "stale")] == ["--resume=true", "--resume=true", "--overwrite=true"]
    assert rp.mode("new", force=True) == rp.mode("done", force=True) == "--overwrite=true"


def test_datasets_choose_the_data_sets_of_every_part():
    """--datasets=fashion-mnist plans no MNIST run of any part (nor its judge); --datasets=mnist no Fashion-MNIST one."""
    for only, other in (("fashion-mnist", "mnist"), ("mnist", "fashion-mnist")):
        jobs = reproduce.planned_jobs(_cfg(datasets=only, seeds="0,1"))
        assert {j.script for j in jobs} >= {"main_mlvae.py", "main_aae.py", "main_catvae.py", "main_judge.py"}
        assert all(j.datasets == [only] for j in jobs), [j.name for j in jobs if j.datasets != [only]]
        assert not any(f"Judge {other}" == j.name or f"/{other}/" in str(j.outputs[0]) for j in jobs)


def test_quick_plan_adds_the_reduced_settings():
    judge, job, *_ = reproduce.planned_jobs(_cfg(quick=True, parts="mlvae", mlvae_noise="0.1", datasets="mnist"))
    assert "--epochs=5" in job.args and "--train_limit=6000" in job.args
    assert judge.script == "main_judge.py" and "--epochs=1" in judge.args


def test_a_finished_run_without_judged_scores_is_re_evaluated_not_retrained(tmp_path):
    """A run made before main_judge.py (metrics without "judge"), or whose judge runs again, gets --resume=true:
    the script re-evaluates the finished checkpoint with the judge instead of training again."""
    judge = rp.Job("Judge mnist", "main_judge.py", [], [tmp_path / "judge/mnist/metrics.json"], 1.0)
    run = rp.Job("ML-VAE", "main_mlvae.py", [], [tmp_path / "mlvae/metrics.json"], 1.0, judge="Judge mnist")
    for folder, metrics in (("judge/mnist", {"accuracy": 0.99}), ("mlvae", {"swap_class_kept": 0.9})):
        _write(tmp_path / folder / "metrics.json", metrics)
        _write(tmp_path / folder / "config.json", {})
    state = rp.statuses([judge, run])
    assert state["Judge mnist"][0] == "done" and state["ML-VAE"][0] == "resume"
    assert rp.mode(state["ML-VAE"][0]) == "--resume=true"
    _write(tmp_path / "mlvae/metrics.json", {"swap_class_kept": 0.9, "judge": {"accuracy": 0.99}})
    assert rp.statuses([judge, run])["ML-VAE"][0] == "done"
    (tmp_path / "judge/mnist/metrics.json").unlink()                  # the judge runs again: so does the scoring
    assert rp.statuses([judge, run])["ML-VAE"] == (
        "resume", ["to be scored by Judge mnist: re-evaluated from its checkpoint, not retrained"])


def test_run_jobs_skips_finished_runs_goes_on_after_a_failure_and_skips_its_dependants(tmp_path, capsys):
    ok_script = tmp_path / "ok.py"
    ok_script.write_text("import sys, pathlib; p = pathlib.Path(sys.argv[1]); p.parent.mkdir(parents=True, "
                         "exist_ok=True); p.write_text('{}'); (p.parent / 'config.json').write_text('{}')")
    bad_script = tmp_path / "bad.py"
    bad_script.write_text("raise SystemExit('error: broken')")
    done = _write(tmp_path / "done/metrics.json", {})
    _write(tmp_path / "done/config.json", {})
    jobs = [rp.Job("finished", str(bad_script), [], [done], 1.0),
            rp.Job("broken", str(bad_script), [], [tmp_path / "b/metrics.json"], 1.0),
            rp.Job("needs broken", str(ok_script), [str(tmp_path / "c/metrics.json")], [tmp_path / "c/metrics.json"],
                   1.0, after=["broken"]),
            rp.Job("fine", str(ok_script), [str(tmp_path / "d/metrics.json")], [tmp_path / "d/metrics.json"], 1.0)]
    logs = tmp_path / "logs"                                    # not the repository's results/logs/
    failed = rp.run_jobs(jobs, log_dir=logs)
    assert failed == ["broken", "needs broken"]
    assert (tmp_path / "d/metrics.json").is_file() and not (tmp_path / "c/metrics.json").exists()
    assert (logs / "broken.log").read_text().strip() == "error: broken"     # each run's output in its log
    out = capsys.readouterr().out
    assert "1 already finished" in out and "[1/3] broken FAILED (exit status 1)" in out
    assert "[2/3] needs broken: skipped" in out and "[3/3] fine finished" in out
    assert re.search(r"\[3/3\] fine \| elapsed \d+m\d\ds, about \d+m\d\ds left", out)
    # --force reruns the finished one too (and here it fails: bad.py)
    assert "finished" in rp.run_jobs(jobs[:1], force=True, log_dir=logs)
    # on_done hears of each run as it finishes well (reproduce.py records it then), never of a failed one
    (tmp_path / "d/metrics.json").unlink()
    heard = []
    failed = rp.run_jobs(jobs[1:], log_dir=logs, on_done=lambda job: heard.append(job.name))
    assert failed == ["broken", "needs broken"]
    assert heard == ["fine"]


def test_jobs_at_once_overlap_wait_for_what_they_read_and_log_to_files(tmp_path):
    """Two independent runs overlap in time; a run that reads another starts after it; each gets its share of the
    cores as its thread count and its own log file."""
    script = tmp_path / "run.py"
    script.write_text("import json, os, sys, time, pathlib; p = pathlib.Path(sys.argv[1]); p.parent.mkdir(parents="
                      "True, exist_ok=True); t0 = time.time(); time.sleep(1.0); print('threads', os.environ.get("
                      "'OMP_NUM_THREADS')); (p.parent / 'config.json').write_text('{}'); p.write_text(json.dumps("
                      "{'start': t0, 'end': time.time()}))")
    out = {n: tmp_path / n / "metrics.json" for n in "abc"}
    jobs = [rp.Job(n, str(script), [str(out[n])], [out[n]], 1.0, after=["a"] if n == "c" else []) for n in "abc"]
    assert rp.run_jobs(jobs, at_once=2, log_dir=tmp_path / "logs") == []
    t = {n: json.loads(out[n].read_text()) for n in "abc"}
    assert t["a"]["start"] < t["b"]["end"] and t["b"]["start"] < t["a"]["end"]        # a and b ran side by side
    assert t["c"]["start"] >= t["a"]["end"]                                           # c waited for a
    threads = max(1, usable_cpus() // 2)
    assert all((tmp_path / "logs" / f"{n}.log").read_text().strip() == f"threads {threads}" for n in "abc")


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity on this system")
def test_usable_cpus_follow_the_affinity_mask():
    """A process limited to one CPU (taskset, a batch scheduler) splits one CPU between its runs, not the machine's."""
    code = "from utils.runtime import usable_cpus; print(usable_cpus())"
    one = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1],
                         preexec_fn=lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}))
    assert one.stdout.strip() == "1"
    assert usable_cpus() == len(os.sched_getaffinity(0)) <= (os.cpu_count() or 1)


# ------------------------------------------------------------------------------------------------ end to end
TINY_ARGS = {
    "main_encoder.py": ["--train_limit=300", "--test_limit=100", "--ks=10,20", "--cae_epochs_mnist=1",
                        "--cae_epochs_fashion=1", "--lae_epochs=1", "--batch_size=64"],
    "main_decoder_mnist.py": ["--k=20", "--epochs=1", "--batch_size=64", "--convex_samples=10"],
    "main_decoder_fmnist.py": ["--k=20", "--epochs=1", "--batch_size=64", "--convex_samples=10"],
    "main_catvae.py": ["--train_limit=300", "--test_limit=150", "--epochs=1", "--batch_size=64", "--pca_points=100"],
    "main_mlvae.py": ["--train_limit=300", "--test_limit=200", "--epochs=1", "--batch_size=64",
                      "--swap_pairs=200", "--tsne_points=100"],
    "main_aae.py": ["--train_limit=300", "--test_limit=100", "--epochs=1", "--batch_size=50"],
    "main_judge.py": ["--epochs=3", "--batch_size=64", "--channels=4", "--hidden=16"],
}


@pytest.mark.slow
def test_reproduce_end_to_end_every_number_comes_from_a_metrics_file(tiny_data_dir, tmp_path, monkeypatch):
    """The tiny data have 40 images per class, so the AAE settings that need 100 labels per class are left out."""
    monkeypatch.setattr(rp, "QUICK_ARGS", TINY_ARGS)
    args = [f"--data_dir={tiny_data_dir}", f"--out_dir={tmp_path}", "--quick=true", "--progress=false",
            "--datasets=mnist", "--seq_archs=cae4", "--seeds=0", "--mlvae_noise=0.1",
            "--aae_heads=semi_supervised:100,clustering:16"]
    jobs = reproduce.main(args)
    assert len(jobs) == 1 + 2 + 1 + 2 + 2 + 1  # judge, SEQ encoder + decoder, ML-VAE, 2 AAE, CatVAE 2 variants, probes
    root = tmp_path / "quick"
    text = (root / "REPORT.md").read_text()
    for title, *_ in __import__("reporting.report", fromlist=["SECTIONS"]).SECTIONS:
        assert f"## {title}" in text
    assert "No finished runs yet" not in text and "failed" not in text
    judged = text.split("## Generated images, judged independently")[1].split("\n## ")[0]
    assert sum(line.startswith("| mnist") for line in judged.splitlines()) >= 3, judged   # the judge and its scores

    rows = [line for line in text.splitlines()
            if line.startswith("| ") and "`" in line and not line.startswith("| no ")]
    assert len(rows) > 10
    checked = 0
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        ours, seeds, source = cells[2], cells[3], cells[-1]
        key, files = re.match(r"`([^`]+)` in (.+)$", source).groups()
        values = [lookup(json.loads((root / f).read_text()), key) for f in files.split(", ")]
        pct = "%" in cells[0]
        expect = np.mean([100 * v if pct else v for v in values])
        got = float(ours.split(" +- ")[0])
        assert got == pytest.approx(expect, rel=1e-3, abs=0.006 if pct else 1e-4), line
        assert len(seeds.split(", ")) == len(values)
        checked += 1
    assert checked == len(rows)
    for link in re.findall(r"\]\(([^)]+\.png)\)", text):
        assert (root / link).is_file(), link

    # a second call skips every finished run; --report_only rewrites the report without running anything
    call = rp.run_command
    monkeypatch.setattr(rp, "run_command", lambda *a, **k: pytest.fail("a finished run was rerun"))
    reproduce.main(args)
    (root / "REPORT.md").unlink()
    reproduce.main(args + ["--report_only=true"])
    assert (root / "REPORT.md").is_file()

    # another planned setting makes the ML-VAE run stale: the script replaces it (--overwrite=true), and it is done
    launched = []
    monkeypatch.setattr(rp, "run_command", lambda cmd, **k: launched.append(cmd) or call(cmd, **k))
    monkeypatch.setattr(rp, "QUICK_ARGS", {**TINY_ARGS, "main_mlvae.py": [
        "--epochs=2" if a == "--epochs=1" else a for a in TINY_ARGS["main_mlvae.py"]]})
    jobs = reproduce.main(args + ["--parts=mlvae"])
    mlvae = next(j for j in jobs if j.script == "main_mlvae.py")
    assert [c[-1] for c in launched] == ["--overwrite=true"] and mlvae.status() == ("done", [])
    assert json.loads((root / "mlvae/mnist/noise-0.1/config.json").read_text())["epochs"] == 2


# ------------------------------------------------------------------------------------------------ checks before any run
@pytest.fixture
def no_launch(monkeypatch):
    """Fail the test if any script would be launched."""
    monkeypatch.setattr(rp, "run_command", lambda *a, **k: pytest.fail(f"a run was launched: {a}"))


@pytest.fixture(autouse=True)
def scratch_repo(tmp_path_factory, monkeypatch):
    """reproduce.py writes records/, REPORT.md, README.md's and docs' tables and docs/figures/ of its repository:
    in these tests a scratch one, never the real one."""
    repo = tmp_path_factory.mktemp("repo")
    (repo / "docs").mkdir()
    (repo / "README.md").write_text("# scratch\n")
    monkeypatch.setattr(reproduce, "REPO", repo)
    return repo


def test_finished_runs_are_recorded_and_the_report_and_tables_are_rewritten_from_records(tmp_path, no_launch,
                                                                                         scratch_repo):
    run = tmp_path / "out/mlvae/mnist/noise-0.1"
    _write(run / "config.json", MLVAE_CONFIG)
    _write(run / "metrics.json", MLVAE_METRICS)
    _finished_judge(run.parents[2])
    (run / "mlvae.pt").write_bytes(b"weights")                       # never recorded
    logs = tmp_path / "out/logs"
    logs.mkdir()
    (logs / "ML-VAE-mnist-noise-0.1-seed-0.log").write_text("epoch 1\r epoch 2\nfinished\n")
    readme = scratch_repo / "README.md"
    readme.write_text("# x\n<!-- generated by: python -m reporting.records --summary records -->\nTYPED-IN\n"
                      "<!-- end generated -->\n")
    args = ["--parts=mlvae", "--datasets=mnist", "--mlvae_noise=0.1", "--seeds=0", f"--out_dir={tmp_path / 'out'}"]
    reproduce.main(args)
    record = scratch_repo / "records/mlvae/mnist/noise-0.1"
    assert sorted(p.name for p in record.iterdir()) == ["config.json", "log.txt", "metrics.json"]
    assert json.loads((record / "metrics.json").read_text()) == MLVAE_METRICS
    assert (record / "log.txt").read_text() == " epoch 2\nfinished\n"    # a progress bar's last state
    report = (scratch_repo / "REPORT.md").read_text()
    assert "| mnist noise-0.1 |" in report and "records/" in report
    assert "TYPED-IN" not in readme.read_text() and "| Multi-Level VAE | class code of one image" in readme.read_text()
    before = {p: p.read_text() for p in [readme, scratch_repo / "REPORT.md"]}
    shutil.rmtree(tmp_path / "out")                                  # from records/ alone, and nothing changes
    reproduce.main(["--report_only=true"])
    assert {p: p.read_text() for p in before} == before
    # a table edited by hand is put back
    readme.write_text(readme.read_text().replace("| Multi-Level VAE |", "| typed |"))
    reproduce.main(["--report_only=true"])
    assert readme.read_text() == before[readme]


def test_an_interrupted_reproduction_keeps_the_records_of_the_runs_it_finished(tmp_path, monkeypatch, scratch_repo):
    """Each run is recorded as it finishes, not only at the end: a reproduction stopped during its second run
    (Ctrl-C) has already recorded its first."""
    out = tmp_path / "out"
    _finished_judge(out)

    def fake_run(cmd, **kwargs):                  # the noise-0.1 run finishes; the next one is interrupted
        noise = next(a.partition("=")[2] for a in cmd if a.startswith("--group_noise_std="))
        if noise != "0.1":
            raise KeyboardInterrupt
        run = out / "mlvae/mnist/noise-0.1"
        _write(run / "config.json", MLVAE_CONFIG)
        _write(run / "metrics.json", MLVAE_METRICS)
        return 0

    monkeypatch.setattr(rp, "run_command", fake_run)
    monkeypatch.setattr(reproduce, "check_data", lambda cfg, jobs: None)      # no data read: the runs are faked
    with pytest.raises(KeyboardInterrupt):
        reproduce.main(["--parts=mlvae", "--datasets=mnist", "--mlvae_noise=0.1,1.0", "--seeds=0",
                        f"--out_dir={out}"])
    assert json.loads((scratch_repo / "records/mlvae/mnist/noise-0.1/metrics.json").read_text()) == MLVAE_METRICS
    assert not (scratch_repo / "records/mlvae/mnist/noise-1.0").exists()


def test_quick_runs_and_records_false_leave_records_alone(tmp_path, no_launch, scratch_repo):
    run = tmp_path / "out/mlvae/mnist/noise-0.1"
    _write(run / "config.json", MLVAE_CONFIG)
    _write(run / "metrics.json", MLVAE_METRICS)
    _finished_judge(run.parents[2])
    reproduce.main(["--parts=mlvae", "--datasets=mnist", "--mlvae_noise=0.1", "--seeds=0", f"--out_dir={tmp_path / 'out'}",
                    "--records=false"])
    assert not (scratch_repo / "records").exists() and not (scratch_repo / "REPORT.md").exists()
    assert (tmp_path / "out/REPORT.md").is_file()


# a bad value of every key of reproduce.py's header (test_every_key_has_a_bad_value checks that none is missing)
BAD = {"quick": "maybe", "parts": "seq,mlvea", "datasets": "cifar", "seeds": "0,-1", "other_seeds": "x",
       "seq_archs": "cae9", "mlvae_noise": "0.1,-1", "aae_heads": "semi", "force": "perhaps", "dry_run": "2",
       "report_only": "sure", "data_dir": "{tmp}/no-such-folder", "device": "nonsense", "out_dir": "{tmp}/a-file/results",
       "progress": "loud", "jobs": "0", "records": "often", "selections": "seq-nope",
       "selection_seeds": "0,-1"}


def test_every_key_has_a_bad_value():
    from utils.config import header_keys

    assert set(BAD) == set(header_keys(vars(reproduce)))


# a dry run writes nothing and reads no data: it only says what a real run would stop on (test_a_missing_data_set...)
@pytest.mark.parametrize("key, dry_run", [(k, d) for k in sorted(BAD) for d in (False, True)
                                          if not (d and k in ("data_dir", "out_dir"))])
def test_a_bad_value_of_any_key_is_one_line_and_launches_nothing(key, dry_run, tiny_data_dir, tmp_path, no_launch):
    (tmp_path / "a-file").write_text("not a folder")
    args = {"parts": "mlvae", "mlvae_noise": "0.1", "data_dir": str(tiny_data_dir), "out_dir": str(tmp_path / "out"),
            "progress": "false", key: BAD[key].format(tmp=tmp_path)}
    if dry_run and key != "dry_run":
        args["dry_run"] = "true"
    with pytest.raises(UserError) as err:
        reproduce.main([f"--{k}={v}" for k, v in args.items()])
    message = str(err.value)
    assert "\n" not in message and ("--" + key in message or BAD[key].format(tmp=tmp_path).split("/")[0] in message
                                     or str(tmp_path) in message), message


def test_aae_heads_are_checked_even_when_the_aae_part_is_not_run(no_launch):
    with pytest.raises(UserError, match="unknown head 'semi'"):
        reproduce.main(["--parts=mlvae", "--aae_heads=semi", "--dry_run=true"])
    with pytest.raises(UserError, match="must be a whole number"):
        reproduce.main(["--parts=aae", "--aae_heads=clustering:many", "--dry_run=true"])


def test_a_missing_data_set_stops_before_any_run_and_the_sample_is_no_fallback(tiny_data_dir, tmp_path, no_launch,
                                                                              monkeypatch, capsys):
    only_mnist = tmp_path / "only-mnist"
    only_mnist.mkdir()
    for name in ("mnist_train.csv", "mnist_test.csv"):
        (only_mnist / name).write_bytes((tiny_data_dir / name).read_bytes())
    monkeypatch.setattr("data.loader.SYSTEM_DIRS", {"mnist": (), "fashion-mnist": ()})   # no system copy either
    base = ["--parts=catvae", "--seeds=0", f"--out_dir={tmp_path / 'out'}", "--progress=false"]
    reproduce.main(base + [f"--data_dir={only_mnist}", "--dry_run=true"])
    assert f"a real run would stop before launching anything: {only_mnist}: the full fashion-mnist" in \
        capsys.readouterr().out
    with pytest.raises(UserError) as err:
        reproduce.main(base + [f"--data_dir={only_mnist}"])
    assert str(err.value).startswith(f"{only_mnist}: the full fashion-mnist data set is missing, and 3 run(s) need it")
    assert "no run was launched" in str(err.value) and "\n" not in str(err.value)
    # MNIST missing: the scripts would fall back to the 5,000-image sample, reproduce.py stops instead
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("DATA_DIR", str(empty))
    with pytest.raises(UserError, match=f"^{re.escape(str(empty))}: the full mnist data set is missing"):
        reproduce.main(base + ["--datasets=mnist"])
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "typo"))
    with pytest.raises(UserError, match=r"typo: no such directory \(\$DATA_DIR\)"):
        reproduce.main(base + ["--datasets=mnist"])


def test_no_data_is_needed_when_every_run_is_done(tmp_path, no_launch, monkeypatch):
    """Only the runs to launch need their data: a finished reproduction rewrites its report anywhere."""
    run = tmp_path / "mlvae/mnist/noise-0.1"
    _write(run / "config.json", MLVAE_CONFIG)
    _write(run / "metrics.json", MLVAE_METRICS)
    _finished_judge(run.parents[2])
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "no-data-here"))
    reproduce.main(["--parts=mlvae", "--datasets=mnist", "--mlvae_noise=0.1", "--seeds=0", f"--out_dir={tmp_path}",
                    "--records=false"])
    assert "| mnist noise-0.1 |" in (tmp_path / "REPORT.md").read_text()


def test_an_output_folder_that_cannot_be_written_is_one_line_also_for_report_only(tmp_path, no_launch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for extra in ([], ["--report_only=true", "--quick=true"]):       # a quick report goes to the output folder
        with pytest.raises(UserError) as err:
            reproduce.main(["--parts=mlvae", f"--out_dir={blocker}/results", *extra])
        assert str(err.value).startswith(f"{blocker}/results") and "cannot write there" in str(err.value)
        assert "\n" not in str(err.value)


# ------------------------------------------------------------------------------------------------ done / stale / resume
# what a finished MNIST ML-VAE run's config.json holds today (the decoder depth it trained; a config without the
# layer counts predates them and counts with one layer each: reporting.tables.PREDATING)
MLVAE_CONFIG = {"group_noise_std": 0.1, "seed": 0, "dataset": "mnist", "train_limit": 0,
                "encoder_layers": main_mlvae.encoder_layers, "decoder_layers": main_mlvae.decoder_layers_mnist}
MLVAE_METRICS = {"seed": 0, "dataset": "mnist", "setting": "noise-0.1", "group_noise_std": 0.1, "class_probe_test_accuracy_single_image": 0.9,
                 "style_probe_test_accuracy": 0.2, "class_probe_test_accuracy_grouped_by_true_label_LEAKS_LABELS": 1.0,
                 "swap_class_kept": 0.8, "seconds": {"total": 60.0}, "device": "cpu",
                 "judge": {"accuracy": 0.99, "dataset": "mnist", "eval_split": "test"}}


def _finished_judge(out: Path, dataset: str = "mnist") -> Path:
    """main_judge.py's finished run of ``dataset`` under ``out`` (what the judged runs of a plan wait for)."""
    folder = out / "judge" / dataset
    _write(folder / "config.json", {"dataset": dataset, "train_limit": 0})
    _write(folder / "metrics.json", {"dataset": dataset, "accuracy": 0.99, "eval_split": "test", "n_test": 10000,
                                     "per_class_accuracy": [0.99] * 10, "history": [{"epoch": 1}], "seed": 0,
                                     "seconds": {"train": 60.0, "this_run": 61.0}})
    return folder


def _aae_run(root: Path, setting: str, *, seed=0, metrics=True, subset=None, checkpoint=False, error=0.05) -> Path:
    """An AAE run folder as main_aae.py leaves it: config.json (the header's keys, the head's resolved ones as
    main_aae.resolve gives them), metrics.json, model.pt."""
    from main_aae import resolve

    head, name = setting.split("/")
    folder = root / "aae" / head / name
    resolved = resolve({}, head, int(name.split("-")[1]))
    _write(folder / "config.json", {"head": head, "values": "", "seed": seed, "train_limit": 0, "test_limit": 0,
                                    "dataset": "mnist", "out_dir": "elsewhere", "progress": True,
                                    **{k: resolved[k] for k in rp.RESOLVED_KEYS["main_aae.py"]}})
    if metrics:
        m = {"head": head, "setting": name, "seed": seed, "test_error": error, "test_recon_mse": 0.02, "epochs": 40,
             "seconds": {"total": 60.0}, "device": "cpu", "judge": {"accuracy": 0.99}}
        _write(folder / "metrics.json", m if subset is None else {**m, "subset": subset})
    if checkpoint:
        (folder / "model.pt").write_bytes(b"weights")
    return folder


@pytest.fixture
def aae_runs(tmp_path):
    """Five planned AAE runs: one done with the planned settings, one with another seed recorded, one on part of the
    data, one interrupted (checkpoint, no metrics), one never started; and the judge they wait for, finished."""
    _finished_judge(tmp_path)
    _aae_run(tmp_path, "semi_supervised/labels-100")
    _aae_run(tmp_path, "semi_supervised/labels-1000", seed=3)
    _aae_run(tmp_path, "clustering/clusters-16", subset=True, error=0.5)
    _aae_run(tmp_path, "clustering/clusters-30", metrics=False, checkpoint=True)
    heads = "semi_supervised:100,semi_supervised:1000,clustering:16,clustering:30,dim_reduction:20"
    return ["--parts=aae", f"--aae_heads={heads}", f"--out_dir={tmp_path}", "--progress=false", "--seeds=0",
            "--records=false", "--datasets=mnist"]


def test_dry_run_says_which_runs_are_done_stale_resumed_or_new(aae_runs, tiny_data_dir, capsys, no_launch):
    reproduce.main(aae_runs + ["--dry_run=true", f"--data_dir={tiny_data_dir}"])
    lines = {line.split(" (")[0].split(None, 1)[1]: line for line in capsys.readouterr().out.splitlines()
             if line.split(" ")[0] in ("done", "stale", "resume", "new")}
    assert lines["AAE semi_supervised/labels-100 seed 0"].startswith("done ")
    assert not lines["AAE semi_supervised/labels-100 seed 0"].endswith(("true", "--resume=true"))
    stale = lines["AAE semi_supervised/labels-1000 seed 0"]
    assert stale.startswith("stale ") and "(seed=3 (planned 0))" in stale and stale.endswith(" --overwrite=true")
    subset = lines["AAE clustering/clusters-16 seed 0"]
    assert subset.startswith("stale ") and "subset=true" in subset and subset.endswith(" --overwrite=true")
    assert lines["AAE clustering/clusters-30 seed 0"].startswith("resume ")
    assert lines["AAE clustering/clusters-30 seed 0"].endswith(" --resume=true")
    assert lines["AAE dim_reduction/clusters-20 seed 0"].startswith("new ")
    assert lines["AAE dim_reduction/clusters-20 seed 0"].endswith(" --resume=true")


def _record_calls(monkeypatch) -> list:
    """A fake launch that records each command and writes nothing, so the run "fails" (but the judge finishes)."""
    calls = []

    def fake(cmd, **kwargs):
        calls.append(cmd)
        if cmd[1].endswith("main_judge.py"):
            _finished_judge(Path(next(a for a in cmd if a.startswith("--out_dir="))[10:]))
        return 0

    monkeypatch.setattr(rp, "run_command", fake)
    return calls


def test_a_run_skips_done_runs_and_reruns_stale_ones_afresh(aae_runs, tiny_data_dir, tmp_path, monkeypatch):
    calls = _record_calls(monkeypatch)
    with pytest.raises(UserError, match="4 run\\(s\\) failed"):
        reproduce.main(aae_runs + [f"--data_dir={tiny_data_dir}"])
    by_values = {next(a for a in c if a.startswith("--values=")): c[-1] for c in calls}
    assert by_values == {"--values=1000": "--overwrite=true", "--values=16": "--overwrite=true",
                         "--values=30": "--resume=true", "--values=20": "--resume=true"}   # 100 is done: not launched
    assert all(c[1].endswith("main_aae.py") and Path(c[1]).is_absolute() for c in calls)
    # the subset run's metrics never reach the report; the done run's do
    text = (tmp_path / "REPORT.md").read_text()
    assert "Subset runs left out: aae/clustering/clusters-16." in text
    assert "50.00" not in text and "clusters-16," not in text
    assert "| test error % | semi_supervised/labels-100, 40 epochs | 5.00 |" in text


def test_force_reruns_everything_with_overwrite_never_resume(aae_runs, tiny_data_dir, monkeypatch):
    calls = _record_calls(monkeypatch)
    with pytest.raises(UserError, match="4 run\\(s\\) failed"):    # the fake call leaves the done run as it was
        reproduce.main(aae_runs + [f"--data_dir={tiny_data_dir}", "--force=true"])
    assert len(calls) == 6 and calls[0][1].endswith("main_judge.py")           # the judge first, then the 5 runs
    assert all(c[-1] == "--overwrite=true" and not any(a.startswith("--resume") for a in c) for c in calls)


def test_status_compares_the_planned_settings_with_the_recorded_ones_by_type(tmp_path):
    out = tmp_path / "run/metrics.json"
    job = rp.Job("j", "main_mlvae.py", ["--group_noise_std=0.10", "--epochs=5", "--out_dir=x", "--device=cpu",
                                        "--progress=false"], [out], 1.0)
    assert job.status() == ("new", [])
    _write(out.parent / "config.json", {"group_noise_std": 0.1, "epochs": 5, "out_dir": "y", "device": "cuda"})
    (out.parent / "mlvae.pt").write_bytes(b"")
    assert job.status() == ("resume", [])            # 0.10 == 0.1; where it goes and runs is not a setting
    _write(out, {"seed": 0})
    assert job.status() == ("done", [])
    _write(out.parent / "config.json", {"group_noise_std": 1.0, "out_dir": "y"})
    assert job.status() == ("stale", ["group_noise_std=1.0 (planned 0.10)", "epochs not recorded (planned 5)"])
    # an older run without "subset" in its metrics: its config's limits say it saw part of the data
    _write(out.parent / "config.json", {"group_noise_std": 0.1, "epochs": 5, "train_limit": 6000})
    assert job.status()[0] == "stale" and "subset=true" in job.status()[1][0]
    job.subset = True                                # a --quick plan expects subsets
    assert job.status() == ("done", [])
    out.write_text("{broken")
    assert job.status()[0] == "stale"


def test_a_done_decoder_is_stale_when_its_encoder_runs_again(tmp_path):
    enc, dec = tmp_path / "enc/metrics.json", tmp_path / "enc/decoder/metrics.json"
    _write(dec, {})
    _write(dec.parent / "config.json", {})
    jobs = [rp.Job("encoder", "main_encoder.py", [], [enc], 1.0), rp.Job("decoder", "d.py", [], [dec], 1.0,
                                                                          after=["encoder"])]
    assert rp.statuses(jobs) == {"encoder": ("new", []), "decoder": ("stale", ["it reads encoder, which runs again"])}
    _write(enc, {})
    _write(enc.parent / "config.json", {})
    assert rp.statuses(jobs) == {"encoder": ("done", []), "decoder": ("done", [])}


def test_aae_settings_pick_one_value_or_the_default_sweep():
    from main_aae import HEADS

    assert rp.aae_settings("semi_supervised:100,clustering", HEADS) == [("semi_supervised", [100]),
                                                                        ("clustering", [16, 30])]
    assert [h for h, _ in rp.aae_settings("all", HEADS)] == list(HEADS)


def test_report_of_an_empty_folder_says_how_to_fill_it(tmp_path):
    text = build_report(tmp_path)
    assert text.count("No finished runs yet") == 4 and "python main_catvae.py" in text
    assert sys.modules["reporting.report"].SECTIONS


def test_readme_summary_keeps_only_rows_with_a_reference(tmp_path):
    from reporting.report import summary_table

    _write(tmp_path / "aae/semi_supervised/labels-100/metrics.json",
           {"seed": 0, "test_error": 0.0441, "test_recon_mse": 0.0167, "epochs": 40, "seconds": {"total": 120.0}})
    _write(tmp_path / "aae/dim_reduction/clusters-20/metrics.json",
           {"seed": 0, "test_recon_mse": 0.02, "seconds": {"total": 60.0}})
    lines = summary_table(tmp_path).splitlines()
    assert len(lines) == 3      # header, separator, one row: the recon MSE rows have no reference value
    assert lines[2] == ("| Adversarial autoencoder heads | test error % | semi_supervised/labels-100, 40 epochs | 4.41 | 0 | "
                        "1.90 +- 0.10 | short by 2.51 (one seed) | 2.0 |")


def test_a_metrics_file_without_the_number_is_a_one_line_error_naming_it(tmp_path):
    from utils.errors import UserError

    bad = _write(tmp_path / "aae/clustering/clusters-16/metrics.json", {"test_error": 0.3})   # no test_recon_mse
    with pytest.raises(UserError, match=f"{re.escape(str(bad))}: no number at 'test_recon_mse'"):
        build_report(tmp_path)
    bad.write_text("{not json")
    with pytest.raises(UserError, match="clusters-16/metrics.json"):
        build_report(tmp_path)


def test_a_run_made_before_a_default_changed_is_stale_not_done(tmp_path):
    """The plan compares a finished run with the script's current header defaults too (not only with the keys it
    passes): a CatVAE run made with the paper's loss is not today's default run; the AAE's resolved keys (epochs 0 =
    the head's) are not compared."""
    import main_catvae

    cfg = {**_cfg(parts="catvae", seeds="0", datasets="mnist"), "out_dir": str(tmp_path)}
    job = next(j for j in reproduce.planned_jobs(cfg)
               if "infocatvae" in j.name)
    run = job.outputs[0].parent
    recorded = {k: v for k, v in vars(main_catvae).items() if k in job.defaults}
    # the per-data-set keys are recorded resolved, as a run does; the plan knows every one of them and its two values
    assert rp.RESOLVED_KEYS["main_catvae.py"] == {f"{key}{of}" for key in main_catvae.PER_DATA_SET
                                                  for of in ("", "_mnist", "_fashion")}
    recorded.update({key: own_value(recorded, key, "mnist") for key in main_catvae.PER_DATA_SET})
    _write(run / "config.json", {**recorded, "seeds": "0", "datasets": "mnist"})
    _write(run / "metrics.json", {"seed": 0, "subset": False})
    assert job.status() == ("done", [])
    _write(run / "config.json", {**recorded, "vat_weight": 0.0})
    state, why = job.status()
    assert state == "stale" and why == [f"vat_weight=0.0 (the default is now {main_catvae.vat_weight})"]
    assert rp.default_differences({"epochs": 0, "lr": 1e-4}, [], {"epochs": 30, "lr": 1e-4}, {"epochs"}) == []
    assert rp.default_differences({"lr": 1e-4}, ["--lr=1e-3"], {"lr": 1e-3}) == []          # the plan's own value


def test_a_run_that_predates_a_setting_counts_with_the_value_it_had_not_todays_default(tmp_path):
    """An ML-VAE run recorded before encoder_layers existed had one encoder layer (reporting.tables.PREDATING): it
    is stale once the default is two, and still the run of a selection that pins one layer."""
    cfg = {**_cfg(parts="mlvae", seeds="0", datasets="mnist", mlvae_noise="0.1"), "out_dir": str(tmp_path)}
    job = next(j for j in reproduce.planned_jobs(cfg) if j.name.startswith("ML-VAE"))
    run = job.outputs[0].parent
    recorded = {**{k: v for k, v in vars(main_mlvae).items() if k in job.defaults},
                "decoder_layers": main_mlvae.decoder_layers_mnist}           # as the run records it, resolved
    _write(run / "metrics.json", {"seed": 0, "subset": False})
    _write(run / "config.json", recorded)
    assert job.status() == ("done", [])
    assert main_mlvae.encoder_layers != 1
    _write(run / "config.json", {k: v for k, v in recorded.items() if k != "encoder_layers"})
    assert job.status() == ("stale", [f"encoder_layers=1 (the default is now {main_mlvae.encoder_layers})"])
    older = {k: v for k, v in recorded.items() if k not in ("encoder_layers", "decoder_layers")}
    assert rp.differences(["--encoder_layers=1"], rp.with_predating("main_mlvae.py", older)) == []
    assert rp.differences(["--encoder_layers=2"], rp.with_predating("main_mlvae.py", older)) == [
        "encoder_layers=1 (planned 2)"]


def test_a_selection_that_gives_the_decoder_depth_is_compared_on_it(tmp_path):
    cfg = {**_cfg(parts="mlvae", seeds="0", mlvae_noise="0.1"), "out_dir": str(tmp_path)}
    sel = next(j for j in reproduce.planned_jobs({**cfg, "parts": "selections",
                                                  "selections": "mlvae-decoder-depth-fashion-mnist"})
               if "decoder-1" in j.name)
    assert sel.resolved["decoder_layers"] == 1


@pytest.mark.parametrize("script, part, key, per_data_set", [
    ("main_mlvae", "mlvae", "decoder_layers",
     {"mnist": "decoder_layers_mnist", "fashion-mnist": "decoder_layers_fashion"}),
    ("main_catvae", "catvae", "restarts", {"mnist": "restarts_mnist", "fashion-mnist": "restarts_fashion"}),
    ("main_catvae", "catvae", "epochs", {"mnist": "epochs_mnist", "fashion-mnist": "epochs_fashion"}),
    ("main_catvae", "catvae", "encoder_layers",
     {"mnist": "encoder_layers_mnist", "fashion-mnist": "encoder_layers_fashion"})])
def test_a_run_is_stale_when_its_own_data_sets_value_changed_not_the_others(tmp_path, script, part, key,
                                                                          per_data_set):
    """A header key that is 0 for "the data set's own" (key_mnist, key_fashion) is recorded resolved; a finished run
    is compared on its own data set's value: done as recorded, still done when the other data set's value moved, stale
    when its own did (which also moves the CatVAE's planned minutes with its trainings and epochs)."""
    module = importlib.import_module(script)
    cfg = {**_cfg(parts=part, seeds="0", mlvae_noise="0.1"), "out_dir": str(tmp_path)}
    jobs = [j for j in reproduce.planned_jobs(cfg) if j.script == f"{script}.py"]
    assert {j.datasets[0] for j in jobs} == {"mnist", "fashion-mnist"} and getattr(module, key) == 0
    for job in jobs:
        ds, other = job.datasets[0], next(d for d in per_data_set if d != job.datasets[0])
        own = getattr(module, per_data_set[ds])
        assert job.resolved[key] == own
        header = {k: getattr(module, k) for k in job.defaults}
        recorded = {**header, **{a[2:].partition("=")[0]: a.partition("=")[2] for a in job.args}, **job.resolved}
        recorded = {k: (float(v) if k == "group_noise_std" else v) for k, v in recorded.items()}
        _write(job.outputs[0], {"seed": 0, "subset": False})
        _write(job.outputs[0].parent / "config.json", recorded)
        assert job.status() == ("done", []), ds
        _write(job.outputs[0].parent / "config.json", {**recorded, per_data_set[other]: own + 5})
        assert job.status() == ("done", []), ds
        _write(job.outputs[0].parent / "config.json", {**recorded, per_data_set[ds]: own + 1, key: own + 1})
        assert job.status() == ("stale", [f"{key}={own + 1} (the default is now {own})"]), ds
    if part == "catvae":
        minutes = {j.datasets[0]: j.minutes for j in jobs if "infocatvae" in j.name}
        assert minutes["mnist"] / minutes["fashion-mnist"] == pytest.approx(
            module.restarts_mnist * module.epochs_mnist / (module.restarts_fashion * module.epochs_fashion))


def test_an_aae_run_made_before_its_heads_default_changed_is_stale(tmp_path):
    """The AAE's resolved keys are compared with the head's values as main_aae.resolve gives them now: a run
    recorded with the semi_supervised head's earlier vat_weight 0 is stale, one with today's 3 is done."""
    import main_aae

    cfg = {**_cfg(parts="aae", seeds="0", datasets="mnist", aae_heads="semi_supervised:100"),
           "out_dir": str(tmp_path)}
    job = next(j for j in reproduce.planned_jobs(cfg) if "semi_supervised" in j.name)
    run = job.outputs[0].parent
    now = main_aae.resolve({}, "semi_supervised", 100)
    recorded = {**{k: v for k, v in vars(main_aae).items() if k in job.defaults},
                **{k: now[k] for k in rp.RESOLVED_KEYS["main_aae.py"]}, "head": "semi_supervised", "values": "100",
                "seed": 0}
    _write(run / "config.json", recorded)
    _write(run / "metrics.json", {"seed": 0, "subset": False})
    assert job.status() == ("done", [])
    _write(run / "config.json", {**recorded, "vat_weight": 0.0})
    assert job.status() == ("stale", [f"vat_weight=0.0 (the default is now {now['vat_weight']})"])
    # a run made before --lr_decay kept its rates (reporting.tables.PREDATING): done while the head's is 0, stale
    # once the head decays
    _write(run / "config.json", {k: v for k, v in recorded.items() if k != "lr_decay"})
    assert job.status() == ("done", [])
    job.resolved["lr_decay"] = 0.5
    assert job.status() == ("stale", ["lr_decay=0.0 (the default is now 0.5)"])


def test_an_aae_head_value_of_one_data_set_makes_only_that_data_sets_runs_stale(tmp_path):
    """The semi_supervised head's VAT weight is each data set's own (main_aae.HEADS): the Fashion-MNIST job compares
    a run with Fashion-MNIST's value, the MNIST job with MNIST's, so a run with MNIST's weight is done on MNIST and
    stale on Fashion-MNIST."""
    import main_aae

    cfg = {**_cfg(parts="aae", seeds="0", datasets="mnist,fashion-mnist", aae_heads="semi_supervised:100"),
           "out_dir": str(tmp_path)}
    jobs = {"--dataset=fashion-mnist" in j.args: j for j in reproduce.planned_jobs(cfg) if "semi_supervised" in j.name}
    mnist = main_aae.resolve({}, "semi_supervised", 100)
    fashion = main_aae.resolve({"dataset": "fashion-mnist"}, "semi_supervised", 100)
    assert mnist["vat_weight"] != fashion["vat_weight"]
    for on_fashion, job in jobs.items():
        header = {k: v for k, v in vars(main_aae).items() if k in job.defaults}
        run = job.outputs[0].parent
        _write(run / "metrics.json", {"seed": 0, "subset": False})
        _write(run / "config.json", {**header, **rp._aae_resolved(mnist), "head": "semi_supervised", "values": "100",
                                     "seed": 0, "dataset": "fashion-mnist" if on_fashion else "mnist"})
        assert job.status() == (("stale", [f"vat_weight={mnist['vat_weight']} (the default is now "
                                           f"{fashion['vat_weight']})"]) if on_fashion else ("done", []))


def test_a_seq_run_is_stale_when_its_own_epochs_changed_not_another_encoders(tmp_path):
    """main_encoder.py records every encoder's epoch setting; a run is compared on the epochs it trained
    (main_encoder.epochs_for): the CAE-4 epochs of MNIST do not make a Fashion-MNIST or an LAE run stale."""
    import main_encoder

    cfg = {**_cfg(parts="seq", seeds="0", datasets="mnist,fashion-mnist", seq_archs="cae4,lae4"),
           "out_dir": str(tmp_path)}
    jobs = {j.name: j for j in reproduce.planned_jobs(cfg) if j.script == "main_encoder.py"}
    header = {k: v for k, v in vars(main_encoder).items() if k in next(iter(jobs.values())).defaults}
    other = main_encoder.cae_epochs_mnist + 1            # an MNIST CAE-4 length that is not today's
    for name, job in jobs.items():
        ds, arch = name.split()[2:4]
        trained = main_encoder.epochs_for({**header, "cae_epochs_mnist": other}, ds, arch)
        _write(job.outputs[0].parent / "config.json", {**header, "cae_epochs_mnist": other, "epochs": trained,
                                                        "datasets": ds, "archs": arch, "seed": 0})
        _write(job.outputs[0], {"seed": 0, "subset": False})
    states = {name: job.status() for name, job in jobs.items()}
    assert states.pop("SEQ encoder mnist cae4 seed 0") == (
        "stale", [f"epochs={other} (the default is now {main_encoder.cae_epochs_mnist})"])
    assert list(states.values()) == [("done", [])] * 3


def test_copy_figures_copies_the_run_figures_but_never_the_one_drawn_from_records(tmp_path):
    from reporting.records import copy_figures

    out, figures = tmp_path / "results", tmp_path / "figures"
    for src in ("seq/accuracy_vs_clusters.png", "mlvae/mnist/noise-0.1/swap_no_evidence.png"):
        (out / src).parent.mkdir(parents=True, exist_ok=True)
        (out / src).write_bytes(b"png")
    assert copy_figures(out, figures) == [figures / "mlvae_mnist_swap_no_evidence.png"]
    assert not (figures / "seq_accuracy_vs_clusters.png").exists()


def test_a_resumed_run_keeps_the_interrupted_attempts_output_in_its_log(tmp_path, monkeypatch):
    log = tmp_path / "run.log"
    say = lambda text: [sys.executable, "-c", f"print({text!r})"]          # noqa: E731
    assert rp.run_command(say("epoch 1 of the first attempt"), log=log, tee=False, env=dict(os.environ)) == 0
    rp.run_command(say("epoch 2 after resuming"), log=log, tee=False, env=dict(os.environ), append=True)
    lines = log.read_text().splitlines()
    assert lines[0] == "epoch 1 of the first attempt" and lines[-1] == "epoch 2 after resuming"
    assert lines[-2].startswith("# reproduce.py, ") and "epoch 2 after resuming" in lines[-2]
    rp.run_command(say("a run started afresh"), log=log, tee=False, env=dict(os.environ))
    assert log.read_text().splitlines() == ["a run started afresh"]

    # reproduce.py appends exactly when it resumes (--resume=true), and starts the log afresh with --overwrite=true
    appended = []
    monkeypatch.setattr(rp, "run_command", lambda cmd, **k: appended.append(k["append"]) or 0)
    job = rp.Job("ML-VAE mnist noise 0.1 seed 0", "main_mlvae.py", ["--seed=0"], [tmp_path / "metrics.json"], 1.0)
    for flag in ("--resume=true", "--overwrite=true"):
        rp._launch(job, flag, 1, tmp_path)
    assert appended == [True, False]


@pytest.mark.parametrize("tee", [False, True])
def test_a_sigterm_to_the_reproduction_stops_the_run_it_launched(tmp_path, tee):
    """A SIGTERM to reproduce.py (a scheduler's cancel) while a run is going terminates that run too, instead of
    leaving it running as an orphan; the reproduction exits with 143."""
    import signal
    import time

    pid_file = tmp_path / "child.pid"
    child = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(120)"
    parent = (f"import os, sys; sys.path.insert(0, {str(rp.REPO)!r}); from reporting import plan as rp\n"
              f"with rp.children_stop_with_us():\n"
              f"    rp.run_command([sys.executable, '-c', {child!r}], log=rp.Path({str(tmp_path / 'log')!r}), "
              f"tee={tee}, env=dict(os.environ))\n")
    proc = subprocess.Popen([sys.executable, "-c", parent], stdout=subprocess.DEVNULL)
    deadline = time.time() + 60
    while not (pid_file.is_file() and pid_file.read_text()) and time.time() < deadline:
        time.sleep(0.05)
    grandchild = int(pid_file.read_text())
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 143
    def gone() -> bool:                   # terminated: no process, or a zombie not yet reaped
        try:
            return "zombie" in Path(f"/proc/{grandchild}/status").read_text().lower()
        except FileNotFoundError:
            return True

    for _ in range(200):
        if gone():
            break
        time.sleep(0.05)
    else:
        os.kill(grandchild, signal.SIGKILL)
        pytest.fail("the run that reproduce.py launched kept running after its SIGTERM")
