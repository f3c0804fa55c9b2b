"""The benchmark scripts' bookkeeping: which families they time, the run lengths they derive, the machine they
record, and the tables the docs generate from their committed files."""
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import main_aae
from benchmarks import bench_train
from benchmarks.machine import header
from reporting.tables import bench_table, machine_line, train_table
from utils.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks/results"


def test_aae_names_every_head_in_order():
    picked = bench_train.pick_families("aae")
    assert [f.name for f in picked] == [f"aae_{head}" for head in main_aae.HEADS]
    assert [f.name for f in bench_train.pick_families("mlvae,aae_clustering")] == ["mlvae", "aae_clustering"]
    with pytest.raises(SystemExit, match="aae_nonsense"):
        bench_train.pick_families("aae_nonsense")


def test_every_family_builds_from_its_scripts_header_and_trains_a_step():
    """Each family's model is built from today's header (a header key that is the data set's own, 0 or empty, is
    resolved as the script resolves it) and one step gives a finite loss: a header change cannot break the benchmark
    unnoticed."""
    for fam in bench_train.families().values():
        terms = fam.make(torch.device("cpu"), "fp32")(0)
        assert torch.isfinite(torch.as_tensor(terms[fam.loss_key])).all(), fam.name


def test_run_gives_each_aae_head_its_default_run_length():
    """run() times a family's step and turns an AAE head's images/s into its default run's minutes: the head's
    epochs of 60,000 images at the median speed. A step that sleeps a fixed time pins the speed."""
    def make(device, precision):
        def step(i):
            time.sleep(0.01 if precision == "fp32" else 0.005)
            return {"rec": torch.tensor(1.0)}
        return step

    fam = bench_train.Family("aae_clustering", 100, make, loss_key="rec")
    row = bench_train.run([fam], torch.device("cpu"), rounds=2, seconds=0.05, warmup_seconds=0.02)["aae_clustering"]
    epochs = main_aae.HEADS["clustering"]["epochs"]
    assert row["default_epochs"] == epochs
    for prec in ("fp32", "bf16"):
        speed = row[prec]["images_per_s"]["median"]
        assert row["default_run_minutes"][prec] == pytest.approx(epochs * 60000 / speed / 60, abs=0.06)
    assert row["default_run_minutes"]["bf16"] < row["default_run_minutes"]["fp32"]
    plain = bench_train.run([bench_train.Family("mlvae", 10, make, loss_key="rec")], torch.device("cpu"), 1, 0.02,
                            0.01)["mlvae"]
    assert "default_run_minutes" not in plain          # only the AAE heads have a run length here


def test_header_names_machine_and_conditions():
    h = header(torch.device("cpu"), note="quiet")
    assert h["threads"] == torch.get_num_threads() and h["torch"] == torch.__version__
    assert h["date"][:4].isdigit() and h["note"] == "quiet"
    assert {"cpu", "logical_cpus", "avx512_bf16", "amx_bf16", "native_bf16"} <= set(h["machine"])
    line = machine_line({**h, "seconds_total": 1.0, "load_average_1min": {"before": 0.5, "after": 0.7}})
    assert "quiet" in line and f"{h['threads']} thread(s)" in line and "0.7 after" in line


@pytest.mark.parametrize("name", ["train.json", "aae.json", "seq.json", "data.json", "capability.json"])
def test_committed_benchmark_files_record_their_machine_and_render(name):
    """Every committed result file says when, where and with how many threads it was measured, and its table
    renders (the docs' generated blocks print these)."""
    result = json.loads((RESULTS / name).read_text())
    for key in ("date", "device", "torch", "threads", "machine", "seconds_total"):
        assert key in result, f"{name} lacks {key}"
    table = bench_table(RESULTS / name) if "benchmark" in result else train_table(RESULTS / name)
    assert table.startswith(f"Machine: {result['date'][:10]}")
    if name == "aae.json":   # every head, with its run length
        assert all(f"| {head} | {main_aae.HEADS[head]['epochs']} |" in table for head in main_aae.HEADS)


def test_capability_table_gives_each_ratio_the_right_way_round(tmp_path):
    """Kernels: AVX512 time / AVX2 time (above 1: AVX2 is faster); steps: AVX2 speed / AVX512 speed (the same)."""
    record = {**header(torch.device("cpu")), "benchmark": "capability", "seconds_total": 1.0,
              "conditions": {"default": "AVX512", "avx2": "AVX2"},
              "kernels": {"k": {"what": "a kernel", "default": 30.0, "avx2": 10.0}},
              "families": {"fam": {"default": {"fp32": 100.0, "bf16": 200.0}, "avx2": {"fp32": 50.0, "bf16": 300.0}}}}
    path = tmp_path / "capability.json"
    path.write_text(json.dumps(record))
    table = bench_table(path)
    assert "| a kernel | 30.0 | 10.0 | 3.00 |" in table
    assert "| fam | fp32 | 100 | 50 | 0.50 |" in table and "| fam | bf16 | 200 | 300 | 1.50 |" in table


@pytest.mark.slow
def test_bench_capability_runs_both_code_paths_end_to_end(tmp_path):
    out = tmp_path / "capability.json"
    done = subprocess.run([sys.executable, "benchmarks/bench_capability.py", "--families=encoder_lae2", "--rounds=1",
                           "--kernel_seconds=0.05", f"--out={out}"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result["conditions"]["avx2"] == "AVX2"        # the child really ran ATen's AVX2 code path
    assert set(result["families"]) == {"encoder_lae2"}
    assert all(v["default"] > 0 and v["avx2"] > 0 for v in result["kernels"].values())


def test_bench_table_refuses_a_file_of_another_benchmark(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"benchmark": "nope"}))
    with pytest.raises(UserError, match="x.json"):
        bench_table(path)


@pytest.mark.slow
def test_bench_data_end_to_end(tmp_path, real_data_dir):
    """bench_data.py on the real data: loads both data sets, round-trips the CSV, writes its file with the machine."""
    out = tmp_path / "data.json"
    done = subprocess.run([sys.executable, "benchmarks/bench_data.py", f"--data_dir={real_data_dir}", f"--out={out}",
                           "--note=test"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    cases = [r["case"] for r in result["results"]]
    assert cases == ["mnist idx load", "fashion-mnist idx load", "csv first parse (60000 rows)",
                     "csv cached load (60000 rows)"]
    assert all(r["seconds"] > 0 for r in result["results"]) and result["note"] == "test"
    assert result["results"][0]["images"] == 70000


@pytest.mark.slow
def test_quantizer_rule_reads_a_test_run_with_its_own_quantizers(tiny_data_dir, tmp_path):
    """--saved=true reads a test-split run with its saved quantizers: the nearest-centroid column is the run's own
    recorded accuracy, and features that do not belong to the quantizers are refused in one line."""
    import main_encoder

    main_encoder.main(["--train_limit=300", "--test_limit=100", "--ks=10,20", "--lae_epochs=1", "--batch_size=64",
                       "--progress=false", "--datasets=mnist", "--archs=lae2", f"--data_dir={tiny_data_dir}",
                       f"--out_dir={tmp_path}"])
    run = tmp_path / "seq/mnist/lae2"
    cmd = [sys.executable, "benchmarks/bench_quantizer_rule.py", "--ks=10,20", f"--features={run / 'features.pt'}"]
    refused = subprocess.run(cmd + [f"--out={tmp_path / 'no.json'}"], cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode != 0 and "--saved=true" in refused.stderr     # test features are never refitted
    out = tmp_path / "rule.json"
    done = subprocess.run(cmd + ["--saved=true", f"--out={out}"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rows = json.loads(out.read_text())["rows"]
    recorded = {r["k"]: r["test_accuracy"] for r in json.loads((run / "metrics.json").read_text())["quantizer"]}
    assert [r["k"] for r in rows] == [10, 20] and all(r["split"] == "test" for r in rows)
    assert all(r["nearest"] == pytest.approx(recorded[r["k"]]) and 0 <= r["soft"] <= 1 for r in rows)
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["quantizer"][0]["test_accuracy"] += 0.5       # now the features do not match what was recorded
    (run / "metrics.json").write_text(json.dumps(metrics))
    wrong = subprocess.run(cmd + ["--saved=true", f"--out={out}"], cwd=ROOT, capture_output=True, text=True)
    assert wrong.returncode != 0 and "do not belong together" in wrong.stderr
