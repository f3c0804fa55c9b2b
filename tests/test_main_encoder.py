"""End-to-end runs of main_encoder.py on tiny settings, and a real-data check."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import main_encoder
from utils.runtime import cpu_info

ROOT = Path(__file__).resolve().parents[1]

TINY = ["--train_limit=300", "--test_limit=100", "--ks=10,20", "--cae_epochs_mnist=1", "--cae_epochs_fashion=1",
        "--lae_epochs=2", "--batch_size=64", "--progress=false"]


@pytest.mark.slow
def test_end_to_end_tiny(tiny_data_dir, tmp_path):
    out = tmp_path / "results"
    main_encoder.main(TINY + [f"--data_dir={tiny_data_dir}", f"--out_dir={out}"])
    for ds in ("mnist", "fashion-mnist"):
        for arch in ("cae4", "lae4", "lae2"):
            run = out / "seq" / ds / arch
            m = json.loads((run / "metrics.json").read_text())
            assert 0 <= m["softmax_test_accuracy"] <= 1
            assert [r["k"] for r in m["quantizer"]] == [10, 20]
            for r in m["quantizer"]:
                assert 0 <= r["test_accuracy"] <= 1 and -1 <= r["ari"] <= 1 and 0 <= r["nmi"] <= 1
                assert r["clusters_used_train"] == r["k"]  # no empty cluster
            cfg = json.loads((run / "config.json").read_text())
            assert cfg["train_limit"] == 300 and cfg["arch"] == arch  # overrides land in the saved config
            # what a rerun needs to repeat the numbers exactly (docs/speed.md, threads)
            assert cfg["threads"] == torch.get_num_threads() and cfg["torch_version"] == torch.__version__
            assert cfg["cpu"] == cpu_info()["cpu"] and cfg["cpu"]
            q = torch.load(run / "quantizers.pt", weights_only=False)
            assert q["quantizers"][20]["centroids"].shape[0] == 20
    assert (out / "seq" / "accuracy_vs_clusters.png").stat().st_size > 10_000


@pytest.mark.slow
def test_resume_skips_finished_training(tiny_data_dir, tmp_path):
    args = TINY + [f"--data_dir={tiny_data_dir}", f"--out_dir={tmp_path}", "--datasets=mnist", "--archs=lae2"]
    main_encoder.main(args)
    first = json.loads((tmp_path / "seq/mnist/lae2/metrics.json").read_text())
    main_encoder.main(args + ["--resume=true"])
    again = json.loads((tmp_path / "seq/mnist/lae2/metrics.json").read_text())
    assert again["softmax_test_accuracy"] == first["softmax_test_accuracy"]
    assert again["quantizer"][0]["test_accuracy"] == first["quantizer"][0]["test_accuracy"]


@pytest.mark.slow
@pytest.mark.parametrize("args, fragment", [
    (["--epochs=3"], "unknown option --epochs"),
    (["--archs=resnet", "--datasets=mnist"], "--archs=resnet: must be a comma-separated list of cae4, lae4, lae2"),
])
def test_bad_options_exit_with_one_line(tiny_data_dir, tmp_path, args, fragment):
    proc = subprocess.run([sys.executable, "main_encoder.py", *args, f"--data_dir={tiny_data_dir}",
                           f"--out_dir={tmp_path}", "--progress=false"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and fragment in proc.stderr


@pytest.mark.slow
def test_real_mnist_lae2_quantizer(real_data_dir, tmp_path):
    """One epoch of LAE-2 on the full MNIST: softmax and the K=120 quantizer are already far above chance."""
    main_encoder.main([f"--data_dir={real_data_dir}", f"--out_dir={tmp_path}", "--datasets=mnist", "--archs=lae2",
                       "--lae_epochs=1", "--ks=10,120", "--progress=false"])
    m = json.loads((tmp_path / "seq/mnist/lae2/metrics.json").read_text())
    assert m["n_train"] == 60000 and m["n_test"] == 10000
    assert m["softmax_test_accuracy"] > 0.93
    assert m["quantizer"][-1]["test_accuracy"] > 0.92
