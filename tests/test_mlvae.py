"""ML-VAE: group evidence accumulation, the loss reductions, gradients, and main_mlvae.py end to end."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

import main_mlvae
from evaluation.mlvae import chunk_groups
from models.mlvae import MLVAE, accumulate_group_evidence, gaussian_kl, group_index, split_groups
from utils.config import own_value
from utils.errors import UserError

ROOT = Path(__file__).resolve().parents[1]


def test_product_of_two_gaussians_matches_the_closed_form():
    mu = torch.tensor([[1.0, -2.0], [3.0, 0.5]], dtype=torch.float64)
    var = torch.tensor([[2.0, 0.5], [0.5, 4.0]], dtype=torch.float64)
    g_mu, g_logvar = accumulate_group_evidence(mu, var.log(), torch.tensor([0, 0]), 1)
    # by hand: 1/var_G = 1/2 + 1/0.5 = 2.5 and 1/0.5 + 1/4 = 2.25; mu_G = var_G * sum(mu / var)
    expected_var = torch.tensor([[1 / 2.5, 1 / 2.25]], dtype=torch.float64)
    expected_mu = torch.tensor([[(1 / 2 + 3 / 0.5) / 2.5, (-2 / 0.5 + 0.5 / 4) / 2.25]], dtype=torch.float64)
    assert torch.allclose(g_logvar.exp(), expected_var) and torch.allclose(g_mu, expected_mu)


def _loop_reference(mu, logvar, groups, n_groups):
    """The textbook formulas, one group at a time (what the vectorised version must equal)."""
    out_mu, out_logvar = [], []
    for g in range(n_groups):
        m = groups == g
        precision = (1 / logvar[m].exp()).sum(0)
        out_mu.append((mu[m] / logvar[m].exp()).sum(0) / precision)
        out_logvar.append(-precision.log())
    return torch.stack(out_mu), torch.stack(out_logvar)


def test_accumulation_is_vectorised_correctly_and_ignores_member_order():
    gen = torch.Generator().manual_seed(0)
    mu = torch.randn(40, 6, generator=gen, dtype=torch.float64)
    logvar = torch.randn(40, 6, generator=gen, dtype=torch.float64)
    groups = torch.randint(0, 7, (40,), generator=gen)
    groups, n = group_index(groups)
    g_mu, g_logvar = accumulate_group_evidence(mu, logvar, groups, n)
    ref_mu, ref_logvar = _loop_reference(mu, logvar, groups, n)
    assert torch.allclose(g_mu, ref_mu) and torch.allclose(g_logvar, ref_logvar)
    perm = torch.randperm(40, generator=gen)
    p_mu, p_logvar = accumulate_group_evidence(mu[perm], logvar[perm], groups[perm], n)
    assert torch.allclose(p_mu, g_mu) and torch.allclose(p_logvar, g_logvar)


def test_group_of_one_returns_its_member_and_extreme_variances_stay_finite():
    mu = torch.tensor([[0.3, -1.2, 5.0], [2.0, 2.0, 2.0], [-1.0, 0.0, 1.0]])
    logvar = torch.tensor([[-0.7, 1.5, 0.0], [-40.0, 40.0, -40.0], [40.0, -40.0, 40.0]])
    g_mu, g_logvar = accumulate_group_evidence(mu, logvar, torch.tensor([0, 1, 1]), 2)
    assert torch.allclose(g_mu[0], mu[0]) and torch.allclose(g_logvar[0], logvar[0])
    assert torch.isfinite(g_mu).all() and torch.isfinite(g_logvar).all()
    # a near-certain member dominates its group, per dimension
    assert torch.allclose(g_mu[1], torch.tensor([2.0, 0.0, 2.0]))


def test_loss_is_sum_of_group_terms_over_number_of_groups_and_trains_the_class_heads():
    torch.manual_seed(0)
    model = MLVAE(group_noise_std=1.0)
    x = torch.rand(12, 1, 28, 28)
    y = torch.tensor([3, 3, 3, 7, 7, 1, 1, 1, 1, 9, 3, 7])
    terms = model.loss(x, y)
    s_mu, s_logvar, c_mu, c_logvar = (t.detach() for t in model.encode(x))
    groups, n = group_index(y)
    g_mu, g_logvar = _loop_reference(c_mu.double(), c_logvar.double(), groups, n)
    assert n == 4
    assert torch.allclose(terms["kl_style"], gaussian_kl(s_mu, s_logvar).sum() / 4, rtol=1e-5)
    assert torch.allclose(terms["kl_class"].double(), gaussian_kl(g_mu, g_logvar).mean(), rtol=1e-5)  # once per group
    terms["loss"].backward()
    for head in (model.class_mu, model.class_logvar, model.style_mu, model.style_logvar):
        assert head.weight.grad is not None and head.weight.grad.abs().sum() > 0
        assert head.bias.grad.abs().sum() > 0


def test_one_noise_draw_per_group():
    torch.manual_seed(0)
    model = MLVAE(group_noise_std=1.0)
    seen = []
    original = model.decode_logits
    model.decode_logits = lambda s, c: (seen.append(c), original(s, c))[1]
    model.loss(torch.rand(6, 1, 28, 28), torch.tensor([4, 4, 4, 2, 2, 8]))
    content = seen[0]
    assert torch.equal(content[0], content[1]) and torch.equal(content[0], content[2])  # shared by the group
    assert torch.equal(content[3], content[4]) and not torch.equal(content[0], content[3])


@pytest.mark.parametrize("part", ["encoder", "decoder"])
def test_more_layers_add_hidden_layers_and_keep_the_one_layer_parameter_names(part):
    one, two = MLVAE(hidden=32), MLVAE(hidden=32, **{f"{part}_layers": 2})
    names = {"encoder": ["shared.1.weight", "shared.1.bias"],                    # as checkpoints before the option
             "decoder": ["decoder.0.weight", "decoder.0.bias", "decoder.2.weight", "decoder.2.bias"]}
    assert [k for k in one.state_dict() if k.startswith(names[part][0].split(".")[0])] == names[part]
    module = two.shared if part == "encoder" else two.decoder
    assert sum(isinstance(m, nn.Linear) for m in module) == (2 if part == "encoder" else 3)
    assert sum(p.numel() for p in two.parameters()) - sum(p.numel() for p in one.parameters()) == 32 * 32 + 32
    codes = two.encode(torch.rand(4, 1, 28, 28))
    assert [c.shape for c in codes] == [(4, 10)] * 4
    assert two.decode_logits(codes[0], codes[2]).shape == (4, 1, 28, 28)
    assert MLVAE(**two.config).config == two.config
    with pytest.raises(UserError, match=f"{part}_layers"):
        MLVAE(**{f"{part}_layers": 0})


def test_the_decoder_depth_is_the_data_sets_own_unless_given():
    header = {k: getattr(main_mlvae, k) for k in ("decoder_layers", "decoder_layers_mnist", "decoder_layers_fashion")}
    assert header["decoder_layers"] == 0
    assert own_value(header, "decoder_layers", "mnist") == header["decoder_layers_mnist"]
    assert own_value(header, "decoder_layers", "fashion-mnist") == header["decoder_layers_fashion"]
    assert own_value({**header, "decoder_layers": 3}, "decoder_layers", "fashion-mnist") == 3


def test_split_groups_respect_keys_and_sizes():
    keys = torch.tensor([0] * 23 + [5] * 7 + [2] * 1)
    groups, n = split_groups(keys, 5, torch.Generator().manual_seed(1))
    assert n == 5 + 2 + 1 and sorted(set(groups.tolist())) == list(range(n))
    for g in range(n):
        members = keys[groups == g]
        assert len(set(members.tolist())) == 1 and 1 <= len(members) <= 5
    assert torch.equal(chunk_groups(keys, 0, seed=0), group_index(keys)[0])  # 0: one group per key


TINY = ["--train_limit=300", "--test_limit=200", "--epochs=1", "--batch_size=64",
        "--swap_pairs=200", "--tsne_points=100", "--progress=false"]


@pytest.mark.slow
def test_end_to_end_tiny_and_resume(tiny_data_dir, tiny_judges, tmp_path, interrupt_after):
    args = TINY + [f"--data_dir={tiny_data_dir}", f"--out_dir={tmp_path}", f"--judge={tiny_judges / 'judge' / 'mnist'}"]
    main_mlvae.main(args)
    run = tmp_path / "mlvae" / "mnist" / "noise-0.1"
    for name in ("swap_no_evidence", "swap_with_evidence", "tsne_class", "tsne_style", "loss_curves"):
        assert (run / f"{name}.png").stat().st_size > 10_000, name
    m = json.loads((run / "metrics.json").read_text())
    for key in ("class_probe_test_accuracy_single_image", "style_probe_test_accuracy", "swap_class_kept",
                "swap_class_kept_with_evidence_LEAKS_LABELS", "class_probe_test_accuracy_kmeans_groups",
                "class_probe_test_accuracy_random_groups", "class_probe_test_accuracy_grouped_by_true_label_LEAKS_LABELS",
                "judge_test_accuracy"):
        assert 0 <= m[key] <= 1, key
    assert [r["evidence"] for r in m["table"]] == ["none", "kmeans", "random", "true_label"]
    assert all(0 <= r[k] <= 1 for r in m["table"] for k in ("style_train", "style_test", "class_train", "class_test"))
    assert m["swap_pairs"] == 200 and len(m["history"]) == 1
    assert {"recon", "kl_class", "kl_style"} <= set(m["history"][0])
    # the swaps are judged by main_judge.py's judge, whose own accuracy is recorded beside them
    assert m["judge"]["folder"] == str(tiny_judges / "judge" / "mnist")
    judge_metrics = json.loads((tiny_judges / "judge" / "mnist" / "metrics.json").read_text())
    assert m["judge_test_accuracy"] == m["judge"]["accuracy"] == judge_metrics["accuracy"]
    assert not (run / "judge.pt").exists()
    config = json.loads((run / "config.json").read_text())
    assert config["group_noise_std"] == 0.1
    # decoder_layers 0 (the header's) trains and records MNIST's own depth
    assert config["decoder_layers"] == main_mlvae.decoder_layers_mnist == torch.load(
        run / "mlvae.pt", weights_only=False)["model_config"]["decoder_layers"]

    # a finished run keeps the weights only: it cannot be extended, and a rerun without --resume is refused
    with pytest.raises(UserError, match="keeps the weights only"):
        main_mlvae.main(args + ["--epochs=2", "--resume=true"])
    with pytest.raises(UserError, match="--resume=true to continue it or --overwrite=true"):
        main_mlvae.main(args)

    # resume: interrupted after epoch 1 of 2, the second epoch continues from the checkpoint; the first epoch's row
    # is kept as it was
    other = [*args, f"--out_dir={tmp_path / 'b'}", "--epochs=2",
             "--encoder_layers=1", "--decoder_layers=1"]   # the layers of old checkpoints
    with interrupt_after(1):
        main_mlvae.main(other)
    with pytest.raises(UserError, match="cannot resume"):  # another objective is refused, before any training
        main_mlvae.main(other + ["--resume=true", "--recon_loss=mse"])
    state = torch.load(tmp_path / "b/mlvae/mnist/noise-0.1/mlvae.pt", weights_only=False)
    first = state["history"][0]
    for key in MLVAE.ADDED_CONFIG:                     # as the code before the options wrote it: still resumes
        del state["model_config"][key]
    torch.save(state, tmp_path / "b/mlvae/mnist/noise-0.1/mlvae.pt")
    main_mlvae.main(other + ["--resume=true", "--group_noise_std=0.1"])
    again = json.loads((tmp_path / "b/mlvae/mnist/noise-0.1/metrics.json").read_text())
    assert len(again["history"]) == 2 and again["history"][0] == first


@pytest.mark.slow
@pytest.mark.parametrize("args, fragment", [
    (["--recon_loss=l1"], "--recon_loss=l1: must be one of bce, mse"),
    (["--group_noise_std=much"], "--group_noise_std expects a number"),
])
def test_bad_options_exit_with_one_line(tiny_data_dir, tmp_path, args, fragment):
    proc = subprocess.run([sys.executable, "main_mlvae.py", *args, f"--data_dir={tiny_data_dir}",
                           f"--out_dir={tmp_path}", "--progress=false"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and fragment in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_a_missing_judge_stops_the_run_before_training_and_off_skips_the_swaps(tiny_data_dir, tmp_path):
    args = TINY + [f"--data_dir={tiny_data_dir}", f"--out_dir={tmp_path}"]
    with pytest.raises(UserError, match=f"{tmp_path / 'judge' / 'mnist'}: no finished judge there"):
        main_mlvae.main(args)
    assert not (tmp_path / "mlvae" / "mnist" / "noise-0.1" / "mlvae.pt").exists()
    m = main_mlvae.main(args + ["--judge=off"])
    assert m["judge"] is None and "swap_class_kept" not in m and "judge_test_accuracy" not in m
    assert 0 <= m["style_probe_test_accuracy"] <= 1
