"""Adversarial autoencoder heads: priors, the cluster-head cost, the projection, which phase updates what, the
cluster-labelling protocol, exact resume, and main_aae.py end to end on every head."""
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import main_aae
from evaluation.aae import cluster_labels_paper
from main_aae import HEADS, resolve
from models.aae import (AAE, HEAD_NAMES, SGD_RECIPE, _update, circle_targets, disc_loss, gen_loss, head_distance_cost,
                        make_optimizers, make_step, mixture_centres, sample_categorical, sample_mixture, sgd_schedule)
from utils.datasets import balanced_labelled

ROOT = Path(__file__).resolve().parents[1]

TINY = ["--train_limit=400", "--test_limit=200", "--epochs=1", "--hidden=32", "--batch_size=50", "--progress=false"]


def test_categorical_prior_samples_uniform_one_hots():
    s = sample_categorical(20000, 16, generator=torch.Generator().manual_seed(0))
    assert s.shape == (20000, 16) and torch.equal(s.sum(1), torch.ones(20000))
    assert set(s.unique().tolist()) == {0.0, 1.0}
    freq = s.mean(0)
    assert (freq - 1 / 16).abs().max() < 0.01


def test_mixture_prior_samples_each_component_where_it_claims():
    gen = torch.Generator().manual_seed(0)
    for k in (0, 3, 7):
        pts = sample_mixture(torch.full((20000,), k), generator=gen)
        centre = mixture_centres(10)[k]
        assert torch.allclose(pts.mean(0), centre, atol=0.02)
        angle = 2 * math.pi * k / 10
        radial = torch.tensor([math.cos(angle), math.sin(angle)])
        tangential = torch.tensor([-math.sin(angle), math.cos(angle)])
        d = pts - centre
        assert abs((d @ radial).std().item() - 0.5) < 0.02      # elongated along the radius
        assert abs((d @ tangential).std().item() - 0.05) < 0.005
    assert torch.allclose(mixture_centres(10).norm(dim=1), torch.full((10,), 1.4))


def test_cluster_head_cost_is_the_clipped_pairwise_distance_and_stops_at_its_cap():
    heads = torch.tensor([[0.0, 0.5, 10.0], [0.0, 0.0, 0.0]], requires_grad=True)   # columns = heads
    cost = head_distance_cost(heads, cap=2.0)
    assert torch.isclose(cost, torch.tensor(-(0.5 + 2.0 + 2.0)))
    cost.backward()
    # head 2 is farther than the cap from both others: no gradient; heads 0 and 1 are pushed apart
    assert torch.equal(heads.grad[:, 2], torch.zeros(2))
    assert heads.grad[0, 0] > 0 and heads.grad[0, 1] < 0
    far = torch.tensor([[0.0, 3.0, 6.0], [0.0, 0.0, 0.0]], requires_grad=True)
    head_distance_cost(far, cap=2.0).backward()
    assert torch.equal(far.grad, torch.zeros_like(far))


def test_projection_phase_puts_the_heads_on_the_circle():
    torch.manual_seed(0)
    model = AAE("projection", hidden=8)
    opt = make_optimizers(model, "sgd", 0.0, 0.1)["heads"]
    for _ in range(3000):
        _update(model, opt, torch.nn.functional.mse_loss(model.projected_heads(), circle_targets()), clip=5.0)
    heads = model.projected_heads().detach()
    assert torch.allclose(heads, circle_targets(), atol=1e-2)
    assert torch.allclose(heads.norm(dim=1), torch.full((10,), 5.0), atol=1e-2)
    angles = torch.deg2rad(36.0 * torch.arange(10))
    assert torch.allclose(heads / heads.norm(dim=1, keepdim=True), torch.stack([angles.cos(), angles.sin()], 1),
                          atol=1e-2)


def _changed(model, before):
    return {n for n, p in model.named_parameters() if not torch.equal(p.detach(), before[n])}


@pytest.mark.parametrize("head", ["semi_supervised", "regularize_z", "dim_reduction"])
def test_each_phase_updates_only_its_networks(head):
    torch.manual_seed(0)
    model = AAE(head, n_y=HEADS[head]["n_y"], z_dim=HEADS[head]["z_dim"], hidden=16)
    opts = make_optimizers(model, "adam", 1e-3, 0.5)
    x, y = torch.rand(8, 1, 28, 28), torch.arange(8) % 10
    enc = {n for n, _ in model.named_parameters() if n.split(".")[0] in ("trunk", "z_head", "y_head")}
    disc = {n for n, _ in model.named_parameters() if n.split(".")[0] in ("d_z", "d_y")}
    # the discriminator step moves discriminators only
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    logits, z = model.encode(x)
    zl = model.encode(x)[1] if head == "regularize_z" else None
    _update(model, opts["disc"], disc_loss(model, logits.detach() if logits is not None else None, z.detach(),
                                           zl.detach() if zl is not None else None, y), 5.0)
    assert _changed(model, before) == disc
    # the generator step moves the encoder only, although its loss goes through the discriminators
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    logits, z = model.encode(x)
    zl = model.encode(x)[1] if head == "regularize_z" else None
    _update(model, opts["gen"], gen_loss(model, logits, z, zl, y), 5.0)
    changed = _changed(model, before)
    assert changed and changed <= enc
    # the reconstruction step moves encoder and decoder (and W_c for dim_reduction), never a discriminator
    assert not ({id(p) for g in opts["rec"].param_groups for p in g["params"]}
                & {id(p) for p in model.discriminator_parameters()})
    if head == "dim_reduction":
        assert any(p is model.cluster_heads for g in opts["rec"].param_groups for p in g["params"])
        assert [p for g in opts["heads"].param_groups for p in g["params"]] == [model.cluster_heads]


def test_sgd_recipe_and_schedule_apply():
    model = AAE("semi_dim_reduction", z_dim=2, hidden=8)
    opts = make_optimizers(model, "sgd", 0.0, 0.1)
    assert set(opts) == {"rec", "disc", "gen", "sup", "heads"}
    for epoch, factor in [(0, 1.0), (49, 1.0), (50, 0.1), (999, 0.1), (1000, 0.01)]:
        assert sgd_schedule(opts, epoch, [50, 1000]) == pytest.approx(factor)
        for name, opt in opts.items():
            assert opt.param_groups[0]["lr"] == pytest.approx(SGD_RECIPE[name][0] * factor)
            assert opt.param_groups[0]["momentum"] == SGD_RECIPE[name][1]


def test_balanced_labelled_subset():
    y = torch.arange(1000) % 10
    idx = balanced_labelled(y, 100, seed=3)
    assert len(idx) == 100 and len(set(idx.tolist())) == 100
    assert torch.equal(torch.bincount(y[idx]), torch.full((10,), 10))
    assert torch.equal(idx, balanced_labelled(y, 100, seed=3))
    assert not torch.equal(idx, balanced_labelled(y, 100, seed=4))
    with pytest.raises(Exception, match="multiple of 10"):
        balanced_labelled(y, 95, seed=0)


def test_paper_cluster_labels_come_from_the_most_confident_training_image():
    q = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    y = torch.tensor([4, 2, 7, 9])
    assert cluster_labels_paper(q, y).tolist() == [4, 2]


def _run(tmp_path, data_dir, *extra):
    return main_aae.main([*TINY, f"--data_dir={data_dir}", f"--out_dir={tmp_path}", *extra])


@pytest.mark.slow
@pytest.mark.parametrize("head, value, figures", [
    ("supervised", "16", {"analogy.png", "scatter.png", "reconstructions.png"}),
    ("semi_supervised", "100", {"analogy.png", "clusters.png", "scatter.png"}),
    ("regularize_z", "100", {"scatter.png"}),
    ("clustering", "16", {"clusters.png", "scatter.png"}),
    ("dim_reduction", "20", {"clusters.png", "scatter.png"}),
    ("semi_dim_reduction", "100", {"scatter.png"}),
    ("projection", "100", {"scatter.png", "projection_heads.png"}),
])
def test_every_head_end_to_end_tiny(tiny_data_dir, tmp_path, head, value, figures):
    (metrics,) = _run(tmp_path, tiny_data_dir, f"--head={head}", f"--values={value}")
    folder = tmp_path / "aae" / head / metrics["setting"]
    on_disk = json.loads((folder / "metrics.json").read_text())
    assert figures <= set(on_disk["figures"]) and all((folder / f).stat().st_size > 5000 for f in figures)
    assert (folder / "model.pt").is_file() and (folder / "config.json").is_file()
    assert 0 <= on_disk["test_recon_mse"] < 1
    if head not in ("supervised",):
        assert 0 <= on_disk["test_error"] <= 1
    if head in ("clustering", "dim_reduction"):
        assert len(on_disk["cluster_labels_paper"]) == int(value)
    if head == "supervised":
        assert 0 <= on_disk["style_probe_test_accuracy"] <= 1


@pytest.mark.slow
def test_resume_continues_exactly(tiny_data_dir, tmp_path, interrupt_after):
    """Two epochs in one go == interrupted after one, then --resume (labelled draws, SGD schedule and noise
    included); the finished checkpoint keeps the weights only."""
    args = ["--head=projection", "--values=100", "--sgd_milestones=1"]
    _run(tmp_path / "a", tiny_data_dir, *args, "--epochs=2")
    with interrupt_after(1):
        _run(tmp_path / "b", tiny_data_dir, *args, "--epochs=2")
    assert torch.load(tmp_path / "b/aae/projection/labels-100/model.pt", weights_only=False)["optimizer"] is not None
    _run(tmp_path / "b", tiny_data_dir, *args, "--epochs=2", "--resume=true")
    a = torch.load(tmp_path / "a/aae/projection/labels-100/model.pt", weights_only=False)
    b = torch.load(tmp_path / "b/aae/projection/labels-100/model.pt", weights_only=False)
    assert a["epoch"] == b["epoch"] == 2 and a["optimizer"] is None and b["optimizer"] is None
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k


@pytest.mark.slow
@pytest.mark.parametrize("args, fragment", [
    (["--head=gan"], "--head=gan: must be a comma-separated list of all, supervised"),
    (["--head=semi_supervised", "--values=95"], "multiple of 10"),
    (["--epochs=-1"], "--epochs"),
    (["--optimizer=rmsprop"], "--optimizer=rmsprop: must be one of , adam, sgd"),
    (["--vat_weight=-1"], "--vat_weight"),
    (["--vat_weight=lots"], "--vat_weight"),
    (["--vat_radius=0"], "--vat_radius"),
])
def test_bad_options_exit_with_one_line(tiny_data_dir, tmp_path, args, fragment):
    proc = subprocess.run([sys.executable, str(ROOT / "main_aae.py"), f"--data_dir={tiny_data_dir}",
                           f"--out_dir={tmp_path}", *TINY, *args], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and fragment in proc.stderr and "Traceback" not in proc.stderr


def test_batch_balance_is_zero_when_spread_evenly_and_log_k_when_collapsed():
    from models.aae import batch_balance
    k = 16
    even = torch.log(torch.eye(k) * 0.999 + 0.001 / k)        # each image sure of another cluster
    assert batch_balance(even) < 1e-6
    collapsed = torch.full((32, k), -20.0)
    collapsed[:, 3] = 20.0
    assert torch.isclose(batch_balance(collapsed), torch.tensor(math.log(k)), atol=1e-4)


def test_consistency_is_the_kl_to_the_clean_prediction_and_trains_only_the_encoder():
    from models.aae import consistency
    torch.manual_seed(0)
    model = AAE("semi_supervised", hidden=16)
    x = torch.rand(6, 1, 28, 28)
    # an encoder whose q(y|x) ignores the image: q(y|a(x)) = softmax(b) for any augmentation, so the term is the
    # closed-form KL(softmax(t) || softmax(b)) of the given target logits t
    with torch.no_grad():
        model.y_head.weight.zero_()
        model.y_head.bias.copy_(torch.linspace(-1, 1, 10))
    t = torch.randn(6, 10)
    p, log_b = torch.softmax(t, 1), torch.log_softmax(model.y_head.bias, 0)
    expected = (p * (p.log() - log_b)).sum(1).mean()
    assert torch.isclose(consistency(model, x, t), expected, atol=1e-5)
    assert consistency(model, x, model.y_head.bias.expand(6, 10)).abs() < 1e-6     # target = prediction: zero
    # with a real encoder the term is positive and its gradient reaches the encoder, nothing else
    torch.manual_seed(1)
    model = AAE("semi_supervised", hidden=16, init_std=0.3)
    logits = model.encode(x)[0].detach()
    cons = consistency(model, x, logits)
    assert cons > 0
    cons.backward()
    moved = {n.split(".")[0] for n, q in model.named_parameters() if q.grad is not None and q.grad.abs().sum() > 0}
    assert moved == {"trunk", "y_head"}


@pytest.mark.slow
def test_consistency_and_vat_weights_are_used_by_the_heads_with_a_categorical_code_only(tiny_data_dir, tmp_path):
    runs = {h: _run(tmp_path, tiny_data_dir, f"--head={h}", f"--values={v}", "--consistency_weight=2",
                    "--vat_weight=3")[0]
            for h, v in (("semi_supervised", 100), ("clustering", 16), ("supervised", 16))}
    for head, used in (("semi_supervised", True), ("clustering", True), ("supervised", False)):
        assert runs[head]["consistency_weight"] == (2.0 if used else 0.0), head
        assert runs[head]["vat_weight"] == (3.0 if used else 0.0), head
        assert all(("cons" in h) == used and ("vat" in h) == used for h in runs[head]["history"]), head
        assert (runs[head]["seconds"]["vat_radii"] > 0) == used, head
    (off,) = _run(tmp_path / "off", tiny_data_dir, "--head=clustering", "--values=16", "--consistency_weight=0",
                  "--vat_weight=0")
    assert off["consistency_weight"] == 0.0 and off["vat_weight"] == 0.0
    assert not any("cons" in h or "vat" in h for h in off["history"])


def test_vat_weight_defaults_to_the_heads_own_value():
    """An empty --vat_weight takes the head's default (3 for clustering, 0 elsewhere); a number overrides it."""
    assert resolve({"vat_weight": ""}, "clustering", 30)["vat_weight"] == 3.0
    assert resolve({"vat_weight": ""}, "dim_reduction")["vat_weight"] == 0.0
    assert resolve({"vat_weight": ""}, "semi_supervised")["vat_weight"] == 0.0
    assert resolve({"vat_weight": "0"}, "clustering")["vat_weight"] == 0.0
    assert resolve({"vat_weight": "1.5"}, "semi_supervised")["vat_weight"] == 1.5
    assert [HEADS[h].get("vat_weight", 0.0) for h in HEADS].count(3.0) == 1


@pytest.mark.slow
def test_resume_with_another_recipe_is_refused_in_one_line(tiny_data_dir, tmp_path, interrupt_after):
    """A loss weight changed between a run and its --resume would silently train a different model: refused."""
    args = ["--head=clustering", "--values=16"]
    with interrupt_after(1):
        _run(tmp_path, tiny_data_dir, *args, "--epochs=2")
    proc = subprocess.run([sys.executable, str(ROOT / "main_aae.py"), f"--data_dir={tiny_data_dir}",
                           f"--out_dir={tmp_path}", *TINY, *args, "--epochs=2", "--resume=true", "--vat_weight=0"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "vat_weight 3.0 -> 0.0" in proc.stderr, proc.stderr
    (again,) = _run(tmp_path, tiny_data_dir, *args, "--epochs=2", "--resume=true")     # the same recipe resumes
    assert again["epochs"] == 2 and len(again["history"]) == 2


def test_vat_term_joins_the_generator_step_of_a_clustering_head_and_moves_only_the_encoder():
    """A clustering head's step reports the VAT term: zero at radius 0 (the perturbed image is the clean one),
    positive at a radius that changes q(y|x); it is part of the generator step, whose optimizer holds the encoder
    only; without radii the step refuses to start."""
    torch.manual_seed(0)
    model = AAE("clustering", n_y=16, z_dim=10, hidden=16, init_std=0.3)
    x = torch.rand(8, 1, 28, 28)
    enc = {n for n, _ in model.named_parameters() if n.split(".")[0] in ("trunk", "z_head", "y_head")}
    for eps, positive in ((torch.zeros(8), False), (torch.full((8,), 3.0), True)):
        opts = make_optimizers(model, "adam", 1e-3, 0.5)
        step, reseed = make_step(model, {k: opts[k] for k in ("rec", "disc", "gen")}, x, torch.zeros(8).long(), None,
                                 batch_size=8, vat_weight=5.0, vat_eps=eps)
        reseed(torch.Generator().manual_seed(0))
        terms = step(torch.arange(8))
        assert (terms["vat"] > 1e-6) == positive and terms["vat"] >= 0
    # the generator's optimizer holds the encoder's parameters only, so the VAT gradient cannot reach the rest
    assert {id(p) for g in opts["gen"].param_groups for p in g["params"]} == {id(p) for n, p in
                                                                              model.named_parameters() if n in enc}
    with pytest.raises(ValueError, match="vat_eps"):
        make_step(model, opts, x, torch.zeros(8).long(), None, batch_size=8, vat_weight=1.0)
