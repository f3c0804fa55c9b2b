"""reproduce.py, reporting/plan.py and reporting/report.py: the run plan, skipping and failures, and a report whose every number is read
from a metrics.json file."""
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import reproduce
import reporting.plan as rp
from reporting.report import Row, build_report, lookup


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


@pytest.mark.parametrize("ours, ref, ref_std, better, verdict", [
    ([0.95], 0.95, 0.0, "higher", "matches"),
    ([0.951], 0.95, 0.0, "higher", "matches"),        # within the 0.2-point digitization tolerance
    ([0.97], 0.95, 0.0, "higher", "beats"),
    ([0.90], 0.95, 0.0, "higher", "short by 5.00"),
    ([0.0441], 0.019, 0.001, "lower", "short by 2.51"),  # an error rate: lower is better
    ([0.010], 0.019, 0.001, "lower", "beats"),
    ([0.020], 0.019, 0.001, "lower", "matches"),        # within the reference's own +- 0.1 points
])
def test_verdict(tmp_path, ours, ref, ref_std, better, verdict):
    files = [_write(tmp_path / f"s{i}/metrics.json", {"v": v}) for i, v in enumerate(ours)]
    assert Row("m", "s", files, "v", tmp_path, ref, ref_std, better=better).verdict() == verdict


def test_row_is_mean_and_sample_std_over_the_seed_files(tmp_path):
    files = [_write(tmp_path / f"seed-{s}/metrics.json", {"seed": s, "acc": a, "seconds": {"total": 60.0 * (s + 1)},
                                                          "device": "cpu"})
             for s, a in [(0, 0.80), (1, 0.90), (2, 0.85)]]
    line = Row("acc %", "mnist", files, "acc", tmp_path, 0.9, source="a paper").markdown()
    assert "| acc % | mnist | 85.00 +- 5.00 | 0, 1, 2 | 90.00 | a paper | short by 5.00 | 2.0 | cpu |" in line
    assert "seed-0/metrics.json, seed-1/metrics.json, seed-2/metrics.json" in line


# ------------------------------------------------------------------------------------------------ plan / run_jobs
def _cfg(**kw):
    cfg = {k: getattr(reproduce, k) for k in ("quick", "parts", "datasets", "seeds", "catvae_seeds", "seq_archs",
                                              "mlvae_noise", "aae_heads", "data_dir", "device", "out_dir", "progress")}
    cfg.update(kw)
    return cfg


def test_plan_covers_every_script_and_orders_decoders_after_their_encoders():
    from main_aae import HEADS

    jobs = reproduce.planned_jobs(_cfg(seeds="0,1"))
    names = [j.name for j in jobs]
    assert {j.script for j in jobs} == {"main_encoder.py", "main_decoder_mnist.py", "main_decoder_fmnist.py",
                                        "main_catvae.py", "main_mlvae.py", "main_aae.py"}
    assert sum(j.script == "main_aae.py" for j in jobs) == 2 * sum(len(h["sweep"][1]) for h in HEADS.values())
    assert sum(j.script == "main_catvae.py" for j in jobs) == 2 * 2 * 3       # datasets x variants x seeds
    for job in jobs:
        for dep in job.after:
            assert names.index(dep) < names.index(job.name)
    # the first seed writes where the scripts write by default, another seed under seed-<s>/
    enc = [j for j in jobs if j.name.startswith("SEQ encoder mnist cae4")]
    assert [str(j.outputs[0]) for j in enc] == ["results/seq/mnist/cae4/metrics.json",
                                                "results/seed-1/seq/mnist/cae4/metrics.json"]
    assert "--out_dir=results/seed-1" in enc[1].args and "--seed=1" in enc[1].args
    # unfinished runs continue from their checkpoint; --force starts afresh
    assert all("--resume=true" in j.args for j in jobs)
    assert all("--resume=false" in j.args for j in reproduce.planned_jobs(_cfg(force=True)))


def test_quick_plan_adds_the_reduced_settings():
    job = reproduce.planned_jobs(_cfg(quick=True, parts="mlvae", mlvae_noise="0.1"))[0]
    assert "--epochs=5" in job.args and "--train_limit=6000" in job.args


def test_run_jobs_skips_finished_runs_goes_on_after_a_failure_and_skips_its_dependants(tmp_path, capsys):
    ok_script = tmp_path / "ok.py"
    ok_script.write_text("import sys, pathlib; p = pathlib.Path(sys.argv[1]); p.parent.mkdir(parents=True, "
                         "exist_ok=True); p.write_text('{}')")
    bad_script = tmp_path / "bad.py"
    bad_script.write_text("raise SystemExit('error: broken')")
    done = _write(tmp_path / "done/metrics.json", {})
    jobs = [rp.Job("finished", str(bad_script), [], [done], 1.0),
            rp.Job("broken", str(bad_script), [], [tmp_path / "b/metrics.json"], 1.0),
            rp.Job("needs broken", str(ok_script), [str(tmp_path / "c/metrics.json")], [tmp_path / "c/metrics.json"],
                   1.0, after=["broken"]),
            rp.Job("fine", str(ok_script), [str(tmp_path / "d/metrics.json")], [tmp_path / "d/metrics.json"], 1.0)]
    failed = rp.run_jobs(jobs)
    assert failed == ["broken", "needs broken"]
    assert (tmp_path / "d/metrics.json").is_file() and not (tmp_path / "c/metrics.json").exists()
    out = capsys.readouterr().out
    assert "1 already finished" in out and "[1/3] broken FAILED (exit status 1)" in out
    assert "[2/3] needs broken: skipped" in out and "[3/3] fine finished" in out
    assert re.search(r"\[3/3\] fine \| elapsed \d+m\d\ds, about \d+m\d\ds left", out)
    # --force reruns the finished one too (and here it fails: bad.py)
    assert "finished" in rp.run_jobs(jobs[:1], force=True)


# ------------------------------------------------------------------------------------------------ end to end
TINY_ARGS = {
    "main_encoder.py": ["--train_limit=300", "--test_limit=100", "--ks=10,20", "--cae_epochs_mnist=1",
                        "--cae_epochs_fashion=1", "--lae_epochs=1", "--batch_size=64"],
    "main_decoder_mnist.py": ["--k=20", "--epochs=1", "--batch_size=64", "--convex_samples=10"],
    "main_decoder_fmnist.py": ["--k=20", "--epochs=1", "--batch_size=64", "--convex_samples=10"],
    "main_catvae.py": ["--train_limit=300", "--test_limit=150", "--epochs=1", "--batch_size=64", "--pca_points=100"],
    "main_mlvae.py": ["--train_limit=300", "--test_limit=200", "--epochs=1", "--batch_size=64", "--judge_epochs=1",
                      "--swap_pairs=200", "--tsne_points=100"],
    "main_aae.py": ["--train_limit=300", "--test_limit=100", "--epochs=1", "--batch_size=50"],
}


@pytest.mark.slow
def test_reproduce_end_to_end_every_number_comes_from_a_metrics_file(tiny_data_dir, tmp_path, monkeypatch):
    """The tiny data have 40 images per class, so the AAE settings that need 100 labels per class are left out."""
    monkeypatch.setattr(rp, "QUICK_ARGS", TINY_ARGS)
    args = [f"--data_dir={tiny_data_dir}", f"--out_dir={tmp_path}", "--quick=true", "--progress=false",
            "--datasets=mnist", "--seq_archs=cae4", "--catvae_seeds=0,1", "--mlvae_noise=0.1",
            "--aae_heads=semi_supervised:100,clustering:16"]
    jobs = reproduce.main(args)
    assert len(jobs) == 2 + 1 + 2 + 2 * 2      # SEQ encoder + decoder, ML-VAE, 2 AAE, CatVAE 2 variants x 2 seeds
    root = tmp_path / "quick"
    text = (root / "REPORT.md").read_text()
    for title, *_ in __import__("reporting.report", fromlist=["SECTIONS"]).SECTIONS:
        assert f"## {title}" in text
    assert "No finished runs yet" not in text and "failed" not in text

    rows = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
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
    assert any("0, 1" in line.split("|")[4] for line in rows if "CatVAE" in line)   # two CatVAE seeds averaged
    for link in re.findall(r"\]\(([^)]+\.png)\)", text):
        assert (root / link).is_file(), link

    # a second call skips every finished run; --report_only rewrites the report without running anything
    monkeypatch.setattr(rp.subprocess, "call", lambda *a, **k: pytest.fail("a finished run was rerun"))
    reproduce.main(args)
    (root / "REPORT.md").unlink()
    reproduce.main(args + ["--report_only=true"])
    assert (root / "REPORT.md").is_file()


@pytest.mark.parametrize("args, fragment", [
    (["--parts=seq,mlvea"], "unknown mlvea"),
    (["--parts=aae", "--aae_heads=semi"], "unknown head 'semi'"),
    (["--parts=aae", "--aae_heads=clustering:many"], "must be a whole number"),
])
def test_bad_options_are_one_line_errors(args, fragment):
    from utils.errors import UserError

    with pytest.raises(UserError, match=fragment):
        reproduce.main(args + ["--dry_run=true"])


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
                        "1.90 +- 0.10 | short by 2.51 | 2.0 |")


def test_a_metrics_file_without_the_number_is_a_one_line_error_naming_it(tmp_path):
    from utils.errors import UserError

    bad = _write(tmp_path / "aae/clustering/clusters-16/metrics.json", {"test_error": 0.3})   # no test_recon_mse
    with pytest.raises(UserError, match=f"{re.escape(str(bad))}: no number at 'test_recon_mse'"):
        build_report(tmp_path)
    bad.write_text("{not json")
    with pytest.raises(UserError, match="clusters-16/metrics.json"):
        build_report(tmp_path)
