"""SEQ step 2: convex weights, decoder shapes, checkpoint errors, the judged scores, and both decoder scripts end
to end."""
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

import main_decoder_fmnist
import main_decoder_mnist
import main_encoder
from evaluation.seq import anchor_cells, convex_class_kept, style_transfer_class_kept
from models.decoders import build_decoder
from models.judge import Judge
from models.seq import combine, convex_grid_weights
from utils.errors import UserError, run_cli

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
                           f"--out_dir={tmp_path}", "--judge=off"], cwd=ROOT, capture_output=True, text=True)
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
        main_decoder_mnist.main(common + ["--arch=lae2", "--k=10", "--judge=off"])


@pytest.mark.slow
def test_encoder_dir_decodes_an_encoder_run_kept_elsewhere(tiny_data_dir, tmp_path):
    """--encoder_dir reads the encoder from another folder (a selection decodes another selection's encoders); the
    decoder is still written below its own --out_dir, and the encoder's folder is left as it was."""
    common = [f"--data_dir={tiny_data_dir}", "--progress=false"]
    main_encoder.main(common + [f"--out_dir={tmp_path / 'enc'}", "--datasets=mnist", "--archs=lae2", "--lae_epochs=1",
                                "--ks=10"])
    encoder_run = tmp_path / "enc" / "seq" / "mnist" / "lae2"
    before = sorted(p.name for p in encoder_run.iterdir())
    args = common + [f"--out_dir={tmp_path / 'dec'}", "--arch=lae2", "--k=10", "--epochs=1", "--convex_samples=5",
                     "--judge=off"]
    with pytest.raises(UserError, match=f"{tmp_path / 'nowhere' / 'encoder.pt'}: checkpoint not found"):
        main_decoder_mnist.main(args + [f"--encoder_dir={tmp_path / 'nowhere'}"])
    main_decoder_mnist.main(args + [f"--encoder_dir={encoder_run}"])
    out = tmp_path / "dec" / "seq" / "mnist" / "lae2" / "decoder"
    assert json.loads((out / "config.json").read_text())["encoder_dir"] == str(encoder_run)
    assert 0 < json.loads((out / "metrics.json").read_text())["test_bce"] < 1
    assert sorted(p.name for p in encoder_run.iterdir()) == before


@pytest.mark.slow
@pytest.mark.parametrize("script, dataset", [(main_decoder_mnist, "mnist"), (main_decoder_fmnist, "fashion-mnist")])
def test_decoder_scripts_end_to_end(tiny_data_dir, tiny_judges, tmp_path, script, dataset):
    common = [f"--data_dir={tiny_data_dir}", f"--out_dir={tmp_path}", "--progress=false"]
    main_encoder.main(common + [f"--datasets={dataset}", "--archs=cae4", "--cae_epochs_mnist=1",
                                "--cae_epochs_fashion=1", "--train_limit=256", "--test_limit=64",
                                "--batch_size=64", "--ks=20"])
    script.main(common + ["--k=20", "--epochs=1", "--batch_size=64", "--convex_samples=10",
                          f"--judge={tiny_judges / 'judge' / dataset}"])
    out = tmp_path / "seq" / dataset / "cae4" / "decoder"
    for name in ("centroids_by_class", "subclass_styles", "convex_same_cluster", "convex_across_clusters",
                 "style_transfer", "reconstructions"):
        assert (out / f"{name}.png").stat().st_size > 5_000, name
    m = json.loads((out / "metrics.json").read_text())
    assert 0 < m["test_bce"] < 1 and 0 < m["test_mse"] < 1
    for mode in ("convex_same_cluster", "convex_across_clusters"):
        assert 0 <= m[mode]["class_kept"] <= 1 and 0 <= m[mode]["nearest_centroid_in_anchor_clusters"] <= 1
        assert m[mode]["images"] == 10 * 10  # 10 triples x 10 convex cells of the 4x4 grid
    assert m["judge"]["dataset"] == dataset and 0.5 < m["judge"]["accuracy"] <= 1
    for key in ("judged_convex_same_cluster", "judged_convex_across_clusters", "judged_style_transfer",
                "judged_test_reconstructions"):
        assert 0 <= m[key] <= 1, key


# ------------------------------------------------------------------------------------------------ the judged scores
class RecordingJudge(Judge):
    """Answers the given classes in turn and keeps every image it was shown."""

    def __init__(self, answers):
        super().__init__(channels=1, hidden=1)
        self.answers, self.seen = list(answers), []

    def predict(self, x, batch_size=1000):
        self.seen.append(x.reshape(-1, 784).clone())
        answer, self.answers = self.answers[:len(x)], self.answers[len(x):]
        return torch.tensor(answer)


def fake_decoded_clusters(triples, encoder_class):
    """A stand-in for DecodedClusters: features are one-hot pixels, the decoder shows them as images, the encoder
    answers ``encoder_class`` for every image, and ``anchor_sets`` returns ``triples`` (class, 3 training indices)."""
    ztr = torch.eye(784)[:12]
    return SimpleNamespace(
        ztr=ztr, clusters=np.arange(12), quantizer=SimpleNamespace(centroids=ztr),
        decoder=SimpleNamespace(decode=lambda z: z.reshape(-1, 1, 28, 28)),
        judge=lambda images: (np.full(len(images), encoder_class), np.zeros(len(images), dtype=int)),
        anchor_sets=lambda mode, n, rng: triples[:n], within_class_paths=lambda: [(4, 0, 1), (6, 2, 3)])


@pytest.mark.parametrize("steps, extrapolate, anchors", [(3, False, [0, 3, 9]), (3, True, [0, 3, 12]),
                                                         (1, False, [0, 1, 2])])
def test_anchor_cells_are_the_three_corners_in_combines_order(steps, extrapolate, anchors):
    is_anchor = anchor_cells(convex_grid_weights(steps, extrapolate))
    assert np.flatnonzero(is_anchor).tolist() == anchors  # (steps, steps) of an extrapolated grid mixes all three


def test_judged_convex_score_leaves_out_the_anchors_and_keeps_the_encoders_score():
    triples = [(3, np.array([0, 1, 2])), (5, np.array([3, 4, 5]))]
    judge = RecordingJudge([3] * 7 + [5, 5, 5, 0, 0, 0, 0])  # 7 mixed cells per triple of the 4x4 grid
    scores, judged = convex_class_kept(fake_decoded_clusters(triples, 3), "same_cluster", 3, False, 2, None, judge)
    assert judged == pytest.approx(10 / 14)
    seen = torch.cat(judge.seen)
    assert len(seen) == 14 and (seen.max(1).values < 1).all()       # no anchor (a weight of 1 on one image)
    assert seen[:7, 3:].sum() == 0 and seen[7:, :3].sum() == 0 and seen[7:, 6:].sum() == 0  # each its own triple
    assert torch.allclose(seen.sum(1), torch.ones(14))
    # the encoder's score still counts every cell, anchors included, and does not depend on the judge
    same, none = convex_class_kept(fake_decoded_clusters(triples, 3), "same_cluster", 3, False, 2, None)
    assert none is None and scores == same and same["class_kept"] == 0.5 and same["images"] == 20


def test_judged_style_transfer_scores_every_image_of_the_within_class_paths():
    judge = RecordingJudge([4] * 5 + [6, 6, 0, 0, 0])
    scores, judged = style_transfer_class_kept(fake_decoded_clusters([], 4), 5, judge)
    assert judged == pytest.approx(7 / 10) and scores == {"within_class_paths_class_kept": 0.5}
    seen = torch.cat(judge.seen)
    assert torch.allclose(seen[[0, 4, 5, 9], :4], torch.eye(4)[[0, 1, 2, 3]])  # from centroid a to b, both included
    assert style_transfer_class_kept(fake_decoded_clusters([], 4), 5) == (scores, None)


def test_a_missing_judge_is_one_line_before_any_work(tiny_data_dir, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        run_cli(main_decoder_mnist.main, [f"--data_dir={tiny_data_dir}", f"--out_dir={tmp_path}", "--judge=auto"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1, err
    assert f"{tmp_path / 'judge' / 'mnist'}: no finished judge there" in err and "--judge=off" in err
    assert not (tmp_path / "seq").exists()  # checked before the encoder run is even read
