"""SEQ step 2: convex weights, decoder shapes, checkpoint errors, and both decoder scripts end to end."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import main_decoder_fmnist
import main_decoder_mnist
import main_encoder
from models.decoders import build_decoder
from models.seq import combine, convex_grid_weights
from utils.errors import UserError

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("steps", [1, 3, 5])
def test_convex_weights_are_on_the_simplex_and_corners_are_anchors(steps):
    w = convex_grid_weights(steps)
    valid = ~np.isnan(w).any(-1)
    assert valid.sum() == (steps + 1) * (steps + 2) // 2  # the triangle of the simplex lattice
    assert (w[valid] >= -1e-12).all() and np.allclose(w[valid].sum(-1), 1)
    anchors = torch.tensor([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]]) * torch.tensor([[2.0], [3.0], [5.0]])
    assert torch.allclose(combine(anchors, w[:1, :1]), anchors[0])          # top-left = z1
    assert torch.allclose(combine(anchors, w[:1, steps:]), anchors[1])      # top-right = z2
    assert torch.allclose(combine(anchors, w[steps:, :1]), anchors[2])      # bottom-left = z3


def test_extrapolation_only_when_asked():
    w = convex_grid_weights(3, extrapolate=True)
    assert not np.isnan(w).any() and np.allclose(w.sum(-1), 1)
    assert np.allclose(w[3, 3], [-1, 1, 1])  # z2 + z3 - z1: the original grid's bottom-right cell
    assert np.isnan(convex_grid_weights(3)[3, 3]).all()


@pytest.mark.parametrize("arch, dim", [("cae4", 128), ("lae4", 128), ("lae2", 64)])
def test_decoder_shapes(arch, dim):
    dec = build_decoder(arch)
    assert dec(torch.rand(2, dim)).shape == (2, 1, 28, 28)
    images = dec.decode(torch.rand(3, dim), batch_size=2)
    assert images.shape == (3, 1, 28, 28) and images.min() >= 0 and images.max() <= 1
    with pytest.raises(ValueError, match="expects features"):
        dec(torch.rand(2, dim + 1))


@pytest.mark.slow
def test_missing_checkpoint_is_a_one_line_error_naming_the_command(tiny_data_dir, tmp_path):
    proc = subprocess.run([sys.executable, "main_decoder_mnist.py", f"--data_dir={tiny_data_dir}",
                           f"--out_dir={tmp_path}"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    err = proc.stderr.strip().splitlines()[-1]
    assert "encoder.pt: checkpoint not found" in err and "python main_encoder.py --datasets=mnist --archs=cae4" in err


@pytest.mark.slow
def test_checkpoint_of_another_data_set_is_refused(tiny_data_dir, tmp_path):
    common = [f"--data_dir={tiny_data_dir}", f"--out_dir={tmp_path}", "--progress=false"]
    main_encoder.main(common + ["--datasets=fashion-mnist", "--archs=lae2", "--lae_epochs=1", "--ks=10"])
    # put the Fashion run where the MNIST run should be
    (tmp_path / "seq/fashion-mnist").rename(tmp_path / "seq/mnist")
    with pytest.raises(UserError, match="belongs to lae2 on fashion-mnist, expected lae2 on mnist"):
        main_decoder_mnist.main(common + ["--arch=lae2", "--k=10"])


@pytest.mark.slow
@pytest.mark.parametrize("script, dataset", [(main_decoder_mnist, "mnist"), (main_decoder_fmnist, "fashion-mnist")])
def test_decoder_scripts_end_to_end(tiny_data_dir, tmp_path, script, dataset):
    common = [f"--data_dir={tiny_data_dir}", f"--out_dir={tmp_path}", "--progress=false"]
    main_encoder.main(common + [f"--datasets={dataset}", "--archs=cae4", "--cae_epochs_mnist=1",
                                "--cae_epochs_fashion=1", "--train_limit=256", "--test_limit=64",
                                "--batch_size=64", "--ks=20"])
    script.main(common + ["--k=20", "--epochs=1", "--batch_size=64", "--convex_samples=10"])
    out = tmp_path / "seq" / dataset / "cae4" / "decoder"
    for name in ("centroids_by_class", "subclass_styles", "convex_same_cluster", "convex_across_clusters",
                 "style_transfer", "reconstructions"):
        assert (out / f"{name}.png").stat().st_size > 5_000, name
    m = json.loads((out / "metrics.json").read_text())
    assert 0 < m["test_bce"] < 1 and 0 < m["test_mse"] < 1
    for mode in ("convex_same_cluster", "convex_across_clusters"):
        assert 0 <= m[mode]["class_kept"] <= 1 and 0 <= m[mode]["nearest_centroid_in_anchor_clusters"] <= 1
        assert m[mode]["images"] == 10 * 10  # 10 triples x 10 convex cells of the 4x4 grid
