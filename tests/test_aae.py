"""Adversarial autoencoder heads: priors, the cluster-head cost, the projection, which phase updates what, the
cluster-labelling protocol, exact resume, the generated images per category and their judged scores, and main_aae.py
end to end on every head."""
import contextlib
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import main_aae
from evaluation.aae import category_classes, category_codes, cluster_labels_paper, generations, judged_generations
from main_aae import HEADS, PAPER, resolve
from models.aae import (AAE, SGD_RECIPE, _update, circle_targets, disc_loss, frozen, gen_loss,
                        head_distance_cost, make_optimizers, make_step, mixture_centres, sample_categorical,
                        sample_mixture, set_learning_rates)
from utils.datasets import balanced_labelled
from utils.errors import UserError

ROOT = Path(__file__).resolve().parents[1]

TINY = ["--train_limit=400", "--test_limit=200", "--epochs=1", "--hidden=32", "--batch_size=50", "--progress=false",
        "--judge=off", "--judge_samples=20"]


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


@pytest.mark.parametrize("head", ["semi_supervised", "clustering", "regularize_z"])
def test_the_generator_loss_built_with_frozen_discriminators_gives_the_encoder_the_same_gradients(head):
    """The generator phase builds its loss with the discriminators frozen (models.aae.frozen): their weight gradients
    are never computed, the encoder's are bit for bit the ones of an unfrozen graph, and the discriminators train
    again after the block."""
    torch.manual_seed(0)
    model = AAE(head, n_y=HEADS[head]["n_y"], z_dim=HEADS[head]["z_dim"], hidden=16)
    x, y = torch.rand(8, 1, 28, 28), torch.arange(8) % 10
    grads = []
    for freeze in (False, True):
        model.zero_grad(set_to_none=True)
        torch.manual_seed(1)                               # the same input noise of the encoder
        logits, z = model.encode(x)
        zl = model.encode(x)[1] if head == "regularize_z" else None
        with frozen(model.discriminator_parameters()) if freeze else contextlib.nullcontext():
            loss = gen_loss(model, logits, z, zl, y)
        loss.backward()
        grads.append({n: p.grad for n, p in model.named_parameters()})
    disc = {n for n, _ in model.named_parameters() if n.split(".")[0] in ("d_z", "d_y")}
    assert disc and all(grads[0][n] is not None and grads[1][n] is None for n in disc)
    assert all(torch.equal(grads[0][n], grads[1][n]) for n in grads[0] if n not in disc and grads[0][n] is not None)
    assert all(p.requires_grad for p in model.discriminator_parameters())


def test_a_phase_after_an_update_under_bf16_autocast_sees_the_new_weights():
    """The AAE's step runs whole under autocast and updates the weights between its phases; autocast caches the bf16
    copy of every weight until its region ends, so without a fresh cast the next phase would use the old weights."""
    torch.manual_seed(0)
    model = AAE("semi_supervised", n_y=10, z_dim=4, hidden=16)
    opts = make_optimizers(model, "adam", 1e-2, 0.5)
    x = torch.rand(8, 1, 28, 28)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        first = model.encode(x)[1]
        _update(model, opts["rec"], first.float().pow(2).sum(), 5.0)
        second = model.encode(x)[1]
    with torch.autocast("cpu", dtype=torch.bfloat16):   # a fresh region casts the updated weights
        fresh = model.encode(x)[1]
    assert not torch.equal(first, second)
    assert torch.equal(second, fresh)


def test_sgd_recipe_and_schedule_apply():
    model = AAE("semi_dim_reduction", z_dim=2, hidden=8)
    opts = make_optimizers(model, "sgd", 0.0, 0.1)
    assert set(opts) == {"rec", "disc", "gen", "sup", "heads"}
    for epoch, factor in [(0, 1.0), (49, 1.0), (50, 0.1), (999, 0.1), (1000, 0.01)]:
        assert set_learning_rates(opts, epoch, 5000, lr=1.0, milestones=[50, 1000]) == pytest.approx(factor)
        for name, opt in opts.items():
            assert opt.param_groups[0]["lr"] == pytest.approx(SGD_RECIPE[name][0] * factor)
            assert opt.param_groups[0]["momentum"] == SGD_RECIPE[name][1]


def test_lr_decay_falls_linearly_over_the_last_epochs_for_adam_and_sgd_alike():
    """--lr_decay=d: the last round(d * epochs) epochs run at n/(n+1), ..., 1/(n+1) of the rate before them (Adam's
    lr, or the SGD recipe's after its milestones); every phase alike; 0 leaves the rate constant."""
    model = AAE("semi_supervised", hidden=8)
    adam = make_optimizers(model, "adam", 1e-3, 0.1)
    for decay, factors in ((0.5, [1, 1, 1, 3 / 4, 2 / 4, 1 / 4]), (1.0, [6 / 7, 5 / 7, 4 / 7, 3 / 7, 2 / 7, 1 / 7]),
                           (0.0, [1] * 6), (0.1, [1, 1, 1, 1, 1, 1 / 2])):
        for epoch, factor in enumerate(factors):
            assert set_learning_rates(adam, epoch, 6, lr=1e-3, decay=decay) == pytest.approx(factor)
            assert [opt.param_groups[0]["lr"] for opt in adam.values()] == pytest.approx([1e-3 * factor] * len(adam))
    sgd = make_optimizers(AAE("semi_dim_reduction", z_dim=2, hidden=8), "sgd", 0.0, 0.1)
    assert set_learning_rates(sgd, 3, 4, lr=1.0, milestones=[2], decay=0.5) == pytest.approx(0.1 / 3)
    assert sgd["rec"].param_groups[0]["lr"] == pytest.approx(SGD_RECIPE["rec"][0] * 0.1 / 3)


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
    ("supervised", "16", {"analogy.png", "scatter.png", "reconstructions.png", "samples.png"}),
    ("semi_supervised", "100", {"analogy.png", "clusters.png", "scatter.png", "samples.png"}),
    ("regularize_z", "100", {"scatter.png", "samples.png"}),
    ("clustering", "16", {"clusters.png", "scatter.png", "samples.png"}),
    ("dim_reduction", "20", {"clusters.png", "scatter.png", "samples.png"}),
    ("semi_dim_reduction", "100", {"scatter.png", "samples.png"}),
    ("projection", "100", {"scatter.png", "projection_heads.png", "samples.png"}),
])
def test_every_head_end_to_end_tiny(tiny_data_dir, tiny_judges, tmp_path, head, value, figures):
    (metrics,) = _run(tmp_path, tiny_data_dir, f"--head={head}", f"--values={value}",
                      f"--judge={tiny_judges}/judge/mnist")
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
    per_category = on_disk["judged_generations_per_category"]
    assert len(per_category) == HEADS[head]["n_y"] and all(0 <= p <= 1 for p in per_category)
    assert on_disk["judged_generations_class_kept"] == pytest.approx(sum(per_category) / len(per_category))
    assert on_disk["judge"]["dataset"] == "mnist" and on_disk["judge"]["accuracy"] > 0.5


@pytest.mark.slow
@pytest.mark.parametrize("head, args, lr_after_one", [
    ("projection", ["--sgd_milestones=1"], None),
    ("semi_supervised", ["--lr_decay=1", "--vat_weight=0", "--lr=0.003"], 0.003 * 2 / 3),
])
def test_resume_continues_exactly(tiny_data_dir, tmp_path, interrupt_after, head, args, lr_after_one):
    """Two epochs in one go == interrupted after one, then --resume (labelled draws, SGD schedule, the decaying
    Adam rate and noise included); the finished checkpoint keeps the weights only."""
    args = [f"--head={head}", "--values=100", *args]
    path = f"aae/{head}/labels-100/model.pt"
    _run(tmp_path / "a", tiny_data_dir, *args, "--epochs=2")
    with interrupt_after(1):
        _run(tmp_path / "b", tiny_data_dir, *args, "--epochs=2")
    cut = torch.load(tmp_path / "b" / path, weights_only=False)
    assert cut["optimizer"] is not None
    if lr_after_one:    # the first of two decaying epochs ran at 2/3 of --lr, every phase
        assert cut["recipe"]["lr_decay"] == 1.0
        lrs = [o["param_groups"][0]["lr"] for o in cut["optimizer"].values()]
        assert lrs == pytest.approx([lr_after_one] * len(lrs))
    _run(tmp_path / "b", tiny_data_dir, *args, "--epochs=2", "--resume=true")
    a = torch.load(tmp_path / "a" / path, weights_only=False)
    b = torch.load(tmp_path / "b" / path, weights_only=False)
    assert a["epoch"] == b["epoch"] == 2 and a["optimizer"] is None and b["optimizer"] is None
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k


@pytest.mark.slow
@pytest.mark.parametrize("args, fragment", [
    (["--head=gan"], "--head=gan: must be a comma-separated list of all, supervised"),
    (["--head=semi_supervised", "--values=95"], "--values=95: the semi_supervised head takes a multiple of 10"),
    (["--head=clustering", "--values=1"], "--values=1: the clustering head needs at least 2 clusters"),
    (["--epochs=-1"], "--epochs"),
    (["--optimizer=rmsprop"], "--optimizer=rmsprop: must be one of \"\", adam, sgd"),
    (["--vat_weight=-1"], "--vat_weight"),
    (["--vat_weight=lots"], "--vat_weight"),
    (["--consistency_weight=-1"], "--consistency_weight"),
    (["--consistency_weight=lots"], "--consistency_weight"),
    (["--vat_radius=0"], "--vat_radius"),
    (["--ema_decay=1"], "--ema_decay=1.0: must be in [0, 1)"),
    (["--lr_decay=1.5"], "--lr_decay=1.5: must be empty (the head's) or a number from 0 to 1"),
    (["--lr_decay=lots"], "--lr_decay"),
    (["--batch_norm=maybe"], "--batch_norm expects a boolean (true/false), got 'maybe'"),
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
def test_re_evaluating_a_finished_vat_run_skips_the_radii(tiny_data_dir, tmp_path, monkeypatch):
    """The VAT radii serve training only: --resume=true on a finished run re-evaluates without them, and keeps the
    training run's radii time; an unfinished run still cannot train without them."""
    args = ["--head=semi_supervised", "--values=100", "--vat_weight=3", "--judge=off"]
    (first,) = _run(tmp_path, tiny_data_dir, *args)
    assert first["seconds"]["vat_radii"] > 0

    def no_radii(*a, **k):
        raise AssertionError("radii computed for a finished run")

    monkeypatch.setattr(main_aae, "radii", no_radii)
    (again,) = _run(tmp_path, tiny_data_dir, *args, "--resume=true")
    assert again["test_error"] == first["test_error"] and again["history"] == first["history"]
    assert again["seconds"]["vat_radii"] == first["seconds"]["vat_radii"]
    with pytest.raises(AssertionError, match="finished run"):   # more epochs: training needs the radii again
        _run(tmp_path, tiny_data_dir, *args, "--resume=true", f"--epochs={first['epochs'] + 1}")


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


def test_lr_decay_defaults_to_the_heads_own_value():
    """An empty --lr_decay takes the head's (none names one yet: constant rates); a number overrides it; the
    paper's settings keep the rates constant."""
    assert {resolve({"lr_decay": ""}, h)["lr_decay"] for h in HEADS} == {0.0}
    assert resolve({"lr_decay": "0.5"}, "semi_supervised", 1000)["lr_decay"] == 0.5
    assert resolve({"lr_decay": PAPER["lr_decay"]}, "clustering")["lr_decay"] == 0.0


def test_vat_weight_defaults_to_the_heads_own_value():
    """An empty --vat_weight takes the head's default (3 for clustering and semi_supervised, 0 elsewhere; the
    semi_supervised head's is 1 on Fashion-MNIST, the clustering head's 3 on both); a number overrides it."""
    assert resolve({"vat_weight": ""}, "clustering", 30)["vat_weight"] == 3.0
    assert resolve({"vat_weight": ""}, "semi_supervised", 1000)["vat_weight"] == 3.0
    fashion = {"vat_weight": "", "dataset": "fashion-mnist"}
    assert resolve(fashion, "semi_supervised", 100)["vat_weight"] == 1.0
    assert resolve(fashion, "clustering", 16)["vat_weight"] == 3.0
    assert resolve({**fashion, "vat_weight": "3"}, "semi_supervised", 100)["vat_weight"] == 3.0
    assert resolve({"vat_weight": "", "dataset": "mnist"}, "semi_supervised", 100)["vat_weight"] == 3.0
    assert resolve({"vat_weight": ""}, "dim_reduction")["vat_weight"] == 0.0
    assert resolve({"vat_weight": "0"}, "clustering")["vat_weight"] == 0.0
    assert resolve({"vat_weight": "1.5"}, "semi_supervised")["vat_weight"] == 1.5
    assert [h for h in HEADS if HEADS[h].get("vat_weight", 0.0)] == ["semi_supervised", "clustering"]


def test_consistency_weight_defaults_to_the_heads_own_value():
    """An empty --consistency_weight takes the head's default (0 for semi_supervised since aae-consistency-mnist, 1
    for the other heads with a categorical code); a number overrides it; the paper's setup turns it off."""
    assert resolve({"consistency_weight": ""}, "semi_supervised", 100)["consistency_weight"] == 0.0
    assert resolve({"consistency_weight": ""}, "clustering", 16)["consistency_weight"] == 1.0
    assert resolve({"consistency_weight": ""}, "semi_dim_reduction")["consistency_weight"] == 1.0
    assert resolve({"consistency_weight": "1"}, "semi_supervised")["consistency_weight"] == 1.0
    assert resolve({"consistency_weight": PAPER["consistency_weight"]}, "clustering")["consistency_weight"] == 0.0
    with pytest.raises(UserError, match="--consistency_weight must be >= 0"):
        resolve({"consistency_weight": "-2"}, "clustering")


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


@pytest.mark.parametrize("head, n_y, z_dim", [("clustering", 4, 3), ("dim_reduction", 3, 2), ("projection", 10, 10),
                                             ("supervised", 10, 5), ("regularize_z", 10, 2)])
def test_generated_codes_follow_each_heads_prior_and_decoder(head, n_y, z_dim):
    """n codes per category, category after category: y = e_k and z ~ N(0, I) (regularize_z: y None, z from mixture
    component k), seeded; the images are the decoder's output for them, through the head's own representation
    (W_c e_k + z for the cluster heads)."""
    torch.manual_seed(0)
    model = AAE(head, n_y=n_y, z_dim=z_dim, hidden=8, init_std=0.3)
    n = 3000
    y, z = category_codes(model, n, seed=5)
    category = torch.arange(n_y).repeat_interleave(n)
    assert z.shape == (n_y * n, z_dim)
    if head == "regularize_z":
        assert y is None
        means = torch.stack([z[category == k].mean(0) for k in range(n_y)])
        assert torch.allclose(means, mixture_centres(10), atol=0.05)
    else:
        assert torch.equal(y, torch.nn.functional.one_hot(category, n_y).float())
        assert z.mean(0).abs().max() < 0.05 and (z.std(0) - 1).abs().max() < 0.05
    again = category_codes(model, n, seed=5)
    assert torch.equal(again[1], z) and not torch.equal(category_codes(model, n, seed=6)[1], z)
    images = generations(model, 4, seed=1)
    assert images.shape == (n_y, 4, 1, 28, 28) and 0 <= images.min() and images.max() <= 1
    y, z = category_codes(model, 4, seed=1)
    with torch.no_grad():
        r = {"dim_reduction": lambda: y @ model.cluster_heads.t() + z, "projection": lambda: 10 * y + z,
             "regularize_z": lambda: z}.get(head, lambda: torch.cat([y, z], 1))()
        expected = (model.decoder(r) + 1) / 2
    assert torch.allclose(images.reshape(n_y * 4, 784), expected, atol=1e-6)


class RecordingJudge:
    """A stand-in judge: the class of an image is round(10 x its mean pixel) % 10; it keeps every image it sees."""

    def __init__(self):
        self.seen = []

    def predict(self, x, batch_size=1000):
        self.seen.append(x.reshape(-1, 784).clone())
        return (x.reshape(-1, 784).mean(1) * 10).round().long() % 10


def test_judged_generations_score_each_category_against_its_class():
    # category 0: 4 images judged 7 (class 7); category 1: two judged 2, two judged 5 (class 2); category 2: none 2
    value = torch.tensor([[0.7] * 4, [0.2, 0.5, 0.2, 0.5], [0.5] * 4])
    images = value[:, :, None, None, None].expand(3, 4, 1, 28, 28)
    judge = RecordingJudge()
    out = judged_generations(judge, images, [7, 2, 2])
    assert out["judged_generations_per_category"] == [1.0, 0.5, 0.0]
    assert out["judged_generations_class_kept"] == pytest.approx(0.5)
    assert torch.equal(torch.cat(judge.seen), images.reshape(12, 784))           # these images, each once
    model = AAE("clustering", n_y=3, z_dim=2, hidden=8)
    assert category_classes(model, {"cluster_labels_paper": [7, 2, 2]}) == [7, 2, 2]
    assert category_classes(AAE("semi_dim_reduction", z_dim=2, hidden=8), {}) == list(range(10))


@pytest.mark.slow
def test_the_judge_sees_only_the_generated_images_of_each_cluster_against_its_training_label(tiny_data_dir, tmp_path,
                                                                                            monkeypatch):
    """End to end with a stand-in judge: it is given exactly judge_samples images per cluster, the ones the trained
    model decodes from category_codes, and each cluster's score counts the images judged as the label the run gave
    that cluster from training data."""
    judge = RecordingJudge()
    monkeypatch.setattr(main_aae, "load_judge", lambda *a: (judge, {"accuracy": 0.9, "folder": "stand-in"}))
    (m,) = _run(tmp_path, tiny_data_dir, "--head=clustering", "--values=16", "--judge=somewhere", "--seed=2")
    state = torch.load(tmp_path / "aae/clustering/clusters-16/model.pt", weights_only=False)
    model = AAE(**state["model_config"])
    model.load_state_dict(state["model"])
    images = generations(model, 20, seed=2)
    assert torch.allclose(torch.cat(judge.seen), images.reshape(-1, 784), atol=1e-6)
    judged = judge.predict(images).view(16, 20)
    labels = torch.tensor(m["cluster_labels_paper"])
    assert m["judged_generations_per_category"] == pytest.approx((judged == labels[:, None]).float().mean(1).tolist())
    assert m["judged_generations_class_kept"] == pytest.approx(float((judged == labels[:, None]).float().mean()))
    assert m["judge"]["folder"] == "stand-in"
    assert "generations judged as their class" in main_aae.describe(m)
    assert "(judge accuracy 90.0%)" in main_aae.describe(m)


def test_a_missing_judge_stops_before_training_in_one_line(tiny_data_dir, tmp_path, monkeypatch):
    from utils.errors import UserError

    monkeypatch.setattr(main_aae, "train_aae", lambda *a, **k: pytest.fail("trained without a judge"))
    with pytest.raises(UserError) as err:
        _run(tmp_path, tiny_data_dir, "--head=semi_supervised", "--values=100", "--judge=auto")
    assert "no finished judge there" in str(err.value) and "\n" not in str(err.value)
    assert str(tmp_path / "judge" / "mnist") in str(err.value) and not (tmp_path / "aae").exists()


@pytest.mark.slow
def test_a_finished_run_resumed_with_a_judge_gains_the_judged_scores_and_keeps_the_rest(tiny_data_dir, tiny_judges,
                                                                                      tmp_path):
    """A run made without a judge, rerun with --resume=true and one: no training, the same metrics, plus the judged
    scores (the same as a run judged from the start)."""
    args = ["--head=clustering", "--values=16"]
    (before,) = _run(tmp_path / "a", tiny_data_dir, *args)
    assert before["judge"] is None and not any(k.startswith("judged_") for k in before)
    judge = f"--judge={tiny_judges}/judge/mnist"
    (after,) = _run(tmp_path / "a", tiny_data_dir, *args, "--resume=true", judge)
    (fresh,) = _run(tmp_path / "b", tiny_data_dir, *args, judge)
    added = {"judged_generations_class_kept", "judged_generations_per_category"}
    assert set(after) - set(before) == added and after["judge"]["accuracy"] > 0.5
    for key in set(before) - {"judge", "seconds", "eval_seconds"}:
        assert after[key] == before[key], key
    for key in added | {"test_error", "cluster_labels_paper", "nmi", "test_recon_mse"}:
        assert after[key] == fresh[key], key


@pytest.mark.slow
def test_ema_decay_evaluates_the_averaged_weights_and_is_part_of_the_resume_recipe(tiny_data_dir, tmp_path,
                                                                                    interrupt_after):
    """--ema_decay > 0 ends with other weights than the same run without it (the average), records the decay, and
    a resume that changes it is refused in one line; 0 leaves the recipe as runs before the option had it."""
    args = ["--head=semi_supervised", "--values=100", "--epochs=2", "--vat_weight=0"]
    (plain,) = _run(tmp_path / "plain", tiny_data_dir, *args)
    (ema,) = _run(tmp_path / "ema", tiny_data_dir, *args, "--ema_decay=0.9")
    assert plain["ema_decay"] == 0.0 and ema["ema_decay"] == 0.9
    a, b = (torch.load(tmp_path / f"{n}/aae/semi_supervised/labels-100/model.pt", weights_only=False)
            for n in ("plain", "ema"))
    assert "ema_decay" not in a["recipe"] and b["recipe"]["ema_decay"] == 0.9
    assert not torch.allclose(a["model"]["trunk.1.0.weight"], b["model"]["trunk.1.0.weight"])
    same = ("rec", "disc", "gen", "sup")                                 # the same training; only the result differs
    assert [plain["history"][0][k] for k in same] == pytest.approx([ema["history"][0][k] for k in same])
    with interrupt_after(1):
        _run(tmp_path / "cut", tiny_data_dir, *args, "--ema_decay=0.9")
    proc = subprocess.run([sys.executable, str(ROOT / "main_aae.py"), f"--data_dir={tiny_data_dir}",
                           f"--out_dir={tmp_path / 'cut'}", *TINY, *args, "--resume=true"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "ema_decay 0.9 -> None" in proc.stderr, \
        proc.stderr



def test_augment_flip_changes_the_training_and_is_part_of_the_recipe_only_when_on(tiny_data_dir, tmp_path):
    """--augment_flip=true trains on other (mirrored) labelled images than the same run without it and is recorded;
    off, the recipe is as runs before the option had it (they resume as they were)."""
    args = ["--head=semi_supervised", "--values=100", "--epochs=1", "--vat_weight=0"]
    (plain,) = _run(tmp_path / "plain", tiny_data_dir, *args)
    (flip,) = _run(tmp_path / "flip", tiny_data_dir, *args, "--augment_flip=true")
    assert plain["augment_flip"] is False and flip["augment_flip"] is True
    a, b = (torch.load(tmp_path / f"{n}/aae/semi_supervised/labels-100/model.pt", weights_only=False)
            for n in ("plain", "flip"))
    assert "augment_flip" not in a["recipe"] and b["recipe"]["augment_flip"] is True
    assert plain["history"][0]["sup"] != pytest.approx(flip["history"][0]["sup"])

def test_describe_names_the_split_scored():
    # metrics.json keeps the key test_error on either split; the run's last log line says which split it scored
    m = {"test_error": 0.1045, "test_recon_mse": 0.0151}
    assert main_aae.describe({**m, "eval_split": "val"}).startswith("validation error 10.45%")
    assert main_aae.describe({**m, "eval_split": "test"}).startswith("test error 10.45%")


@pytest.mark.slow
def test_restarts_keep_the_training_with_the_highest_or_lowest_last_epoch_vat_loss(tiny_data_dir, tmp_path):
    """--restarts=R trains seeds seed*R .. seed*R+R-1, keeps the highest (with --restart_criterion=lowest_vat the
    lowest) last-epoch VAT loss (label-free) as model.pt, and its kept training is the run of that seed made alone; a
    finished run resumed trains nothing."""
    args = ["--head=clustering", "--values=16", "--epochs=4"]
    (m,) = _run(tmp_path / "r", tiny_data_dir, *args, "--restarts=2", "--seed=1")
    vats = [t["last_epoch_vat"] for t in m["restarts"]]
    assert vats[0] != vats[1] and min(abs(v) for v in vats) > 1e-4      # the criterion tells the two apart
    assert [t["training_seed"] for t in m["restarts"]] == [2, 3] and m["kept_restart"] == int(np.argmax(vats))
    kept = m["restarts"][m["kept_restart"]]
    assert m["history"][-1]["vat"] == kept["last_epoch_vat"] and m["test_error"] == kept["test_error"]
    # the run's minutes count every training, not only the kept one
    assert kept["train_epochs_sum"] == pytest.approx(sum(h["seconds"] for h in m["history"]))
    assert m["seconds"]["train_epochs_sum"] == pytest.approx(sum(t["train_epochs_sum"] for t in m["restarts"]))
    assert min(t["train_epochs_sum"] for t in m["restarts"]) > 0
    (alone,) = _run(tmp_path / "alone", tiny_data_dir, *args, f"--seed={kept['training_seed']}")
    assert alone["history"][-1]["vat"] == pytest.approx(kept["last_epoch_vat"], rel=1e-5)
    assert "restarts" not in alone
    run = tmp_path / "r" / "aae" / "clustering" / "clusters-16"
    assert sorted(p.name for p in run.glob("*.pt")) == ["model.pt", "restart-0.pt", "restart-1.pt"]
    (again,) = _run(tmp_path / "r", tiny_data_dir, *args, "--restarts=2", "--seed=1", "--resume=true")
    assert again["restarts"] == m["restarts"] and again["seconds"]["vat_radii"] == m["seconds"]["vat_radii"]
    assert again["seconds"]["train_epochs_sum"] == m["seconds"]["train_epochs_sum"]
    assert m["restart_criterion"] == "highest_vat"
    # the other end: the same trainings (resumed, nothing trained), the lowest last-epoch VAT loss kept
    (low,) = _run(tmp_path / "r", tiny_data_dir, *args, "--restarts=2", "--seed=1", "--resume=true",
                  "--restart_criterion=lowest_vat")
    assert low["restarts"] == m["restarts"] and low["kept_restart"] == int(np.argmin(vats)) != m["kept_restart"]
    assert low["restart_criterion"] == "lowest_vat" and low["history"][-1]["vat"] == min(vats)
    assert low["test_error"] == m["restarts"][low["kept_restart"]]["test_error"]


@pytest.mark.parametrize("args", [["--head=clustering", "--values=16", "--vat_weight=0"],
                                  ["--head=clustering,regularize_z"]])     # a head without y, after one with VAT
def test_restarts_need_the_vat_loss_and_say_so_in_one_line_before_any_training(tiny_data_dir, tmp_path, args):
    proc = subprocess.run([sys.executable, str(ROOT / "main_aae.py"), f"--data_dir={tiny_data_dir}",
                           f"--out_dir={tmp_path}", *TINY, *args, "--restarts=2"], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--restarts=2" in proc.stderr, proc.stderr
    assert not list(tmp_path.rglob("*.pt"))


def test_batch_norm_normalises_each_hidden_layer_of_the_encoder_only():
    plain, normed = AAE(hidden=16), AAE(hidden=16, batch_norm=True)
    norms = [m for m in normed.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    assert len(norms) == 2 and all(any(n is m for m in normed.trunk.modules()) for n in norms)
    assert not any(isinstance(m, torch.nn.BatchNorm1d) for m in plain.modules())
    # without it the weights keep the names a checkpoint made before the option has
    assert [k for k in plain.state_dict() if k.startswith("trunk")] == [
        "trunk.1.0.weight", "trunk.1.0.bias", "trunk.1.2.weight", "trunk.1.2.bias"]
    assert AAE(**normed.config).state_dict().keys() == normed.state_dict().keys()
    # in training mode each hidden unit is normalised over the batch, in evaluation mode by its running statistics
    x = torch.rand(64, 1, 28, 28)
    with torch.no_grad():
        h = normed.trunk[1][:2](normed.trunk[0](x * 2 - 1))
    assert h.mean(0).abs().max() < 1e-5 and (h.var(0, unbiased=False) - 1).abs().max() < 1e-2
    normed.eval()
    with torch.no_grad():
        one = normed.encode(x[:1])[1]
        assert torch.allclose(one, normed.encode(x)[1][:1], atol=1e-6)


@pytest.mark.slow
def test_a_batch_norm_run_resumes_exactly_and_a_checkpoint_from_before_the_option_resumes(tiny_data_dir, tmp_path,
                                                                                         interrupt_after):
    args = ["--head=semi_supervised", "--values=100", "--epochs=2"]
    path = "aae/semi_supervised/labels-100/model.pt"
    (a,) = _run(tmp_path / "a", tiny_data_dir, *args, "--batch_norm=true")
    with interrupt_after(1):
        _run(tmp_path / "b", tiny_data_dir, *args, "--batch_norm=true")
    (b,) = _run(tmp_path / "b", tiny_data_dir, *args, "--batch_norm=true", "--resume=true")
    wa, wb = (torch.load(tmp_path / r / path, weights_only=False)["model"] for r in "ab")
    assert any("running_mean" in k for k in wa) and all(torch.equal(wa[k], wb[k]) for k in wa)
    assert a["test_error"] == b["test_error"]
    # a checkpoint without the key (made before the option) resumes as batch_norm false; with true it is refused
    with interrupt_after(1):
        _run(tmp_path / "c", tiny_data_dir, *args)
    state = torch.load(tmp_path / "c" / path, weights_only=False)
    del state["model_config"]["batch_norm"]
    torch.save(state, tmp_path / "c" / path)
    with pytest.raises(UserError, match="cannot resume"):
        _run(tmp_path / "c", tiny_data_dir, *args, "--batch_norm=true", "--resume=true")
    (c,) = _run(tmp_path / "c", tiny_data_dir, *args, "--resume=true")
    assert len(c["history"]) == 2
