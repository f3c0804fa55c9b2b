"""CatVAE / InfoCatVAE: prior, closed-form KLs, the info term's gradient, the judged prior samples, and
main_catvae.py end to end."""
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Categorical, Normal, kl_divergence

import figures.catvae as catvae_figures
import main_catvae
from evaluation.catvae import fit_modes, judged_prior_samples, mode_classes, prior_samples
from evaluation.judge import load_judge
from models.catvae import (CatVAE, categorical_kl_uniform, gaussian_kl, imq_mmd, prior_means,
                           view_mutual_information)
from utils.datasets import load_split
from utils.config import own_value
from utils.errors import UserError, run_cli
from utils.io import load_checkpoint
from utils.runtime import resolve_precision

ROOT = Path(__file__).resolve().parents[1]

TINY = ["--train_limit=300", "--test_limit=150", "--epochs=1", "--seeds=0", "--batch_size=64", "--pca_points=100",
        "--progress=false"]
JUDGED = ("judged_prior_samples_mode_class", "judged_prior_samples_per_mode", "judged_prior_samples_min_mode",
          "judged_prior_samples_consistency")


@pytest.mark.parametrize("k, delta, scale", [(10, 2, 2.0), (4, 3, 1.5)])
def test_prior_means_are_orthogonal_with_the_configured_norm(k, delta, scale):
    mu = prior_means(k, delta, scale)
    assert mu.shape == (k, k * delta)
    assert torch.allclose(mu @ mu.t(), scale ** 2 * delta * torch.eye(k))  # orthogonal, ||mu_c|| = lambda sqrt(delta)
    assert torch.allclose(torch.cdist(mu, mu)[~torch.eye(k, dtype=torch.bool)], torch.tensor(scale * math.sqrt(2 * delta)))
    for c in range(k):  # cluster c lives in its own delta coordinates
        assert torch.equal(mu[c].nonzero().flatten(), torch.arange(c * delta, (c + 1) * delta))
    model = CatVAE(n_clusters=k, sub_dim=delta, scale=scale)
    assert torch.equal(model.prior_mu, mu) and model.latent_dim == k * delta


def test_gaussian_kl_equals_the_closed_form_of_torch_distributions():
    torch.manual_seed(0)
    mu, logvar, prior = torch.randn(10, 5, 20), torch.randn(10, 5, 20), prior_means(10, 2, 2.0).unsqueeze(1)
    expected = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(prior.expand_as(mu), 1.0)).sum(-1)
    assert torch.allclose(gaussian_kl(mu, logvar, prior), expected, atol=1e-5)
    assert torch.allclose(gaussian_kl(prior.expand_as(mu), torch.zeros_like(mu), prior), torch.zeros(10, 5))


def test_categorical_kl_is_zero_for_uniform_and_matches_torch():
    uniform = torch.full((3, 10), 0.1).log()
    assert torch.allclose(categorical_kl_uniform(uniform), torch.zeros(3), atol=1e-6)
    log_q = F.log_softmax(torch.randn(6, 10), 1)
    expected = kl_divergence(Categorical(logits=log_q), Categorical(probs=torch.full((6, 10), 0.1)))
    assert torch.allclose(categorical_kl_uniform(log_q), expected, atol=1e-6)
    assert (categorical_kl_uniform(log_q) > 0).all()


def test_per_cluster_gaussians_are_the_shared_linear_map_on_h_and_one_hot():
    torch.manual_seed(0)
    model = CatVAE().eval()  # eval: dropout off, so trunk() is deterministic
    x = torch.rand(5, 1, 28, 28)
    logits, mu, logvar = model.encode(x)
    h = model.trunk(x)
    assert logits.shape == (5, 10) and mu.shape == logvar.shape == (10, 5, 20)
    for c in range(10):
        hc = torch.cat([h, F.one_hot(torch.full((5,), c), 10).float()], 1)
        assert torch.allclose(mu[c], model.mu_head(hc), atol=1e-5)
        assert torch.allclose(logvar[c], model.logvar_head(hc), atol=1e-5)
    assert torch.equal(model.cluster_probs(x), model.cluster_probs(x))  # dropout is off in evaluation


def test_info_term_gradient_reaches_encoder_and_decoder():
    torch.manual_seed(0)
    model = CatVAE(variant="infocatvae")
    info, hit = model.info_term(3)
    assert 0 <= hit <= 1 and info > 0
    info.backward()
    for name in ("fc.weight", "cluster_head.weight", "decoder.0.weight", "decoder.2.weight"):
        grad = dict(model.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name


@pytest.mark.parametrize("reconstruction", ["expected", "mixture"])
def test_losses_are_per_image_and_only_infocatvae_has_the_info_term(reconstruction):
    torch.manual_seed(0)
    x = torch.rand(8, 1, 28, 28)
    for variant, weight in (("catvae", 0.0), ("infocatvae", 5.0)):
        model = CatVAE(variant=variant, reconstruction=reconstruction, info_weight=5.0)
        terms = model.elbo_terms(x)
        assert all(terms[k].shape == (8,) for k in ("recon", "kl_z", "kl_c"))
        out = model.loss(x)
        assert ("info" in out) == (weight > 0) and model.info_weight == weight
        assert 784 * math.log(2) * 0.5 < out["recon"] < 784 * 2  # BCE summed over pixels, averaged over images
        expected = out["recon"] + out["kl_z"] + out["kl_c"] + weight * out.get("info", 0.0)
        assert torch.allclose(out["loss"], expected)
    # the optional balance term: KL of the batch's mean assignment to uniform, 0 when every q(c|x) is uniform
    model = CatVAE(variant="catvae", reconstruction=reconstruction, balance_weight=2.0)
    torch.nn.init.zeros_(model.cluster_head.weight)
    torch.nn.init.zeros_(model.cluster_head.bias)
    out = model.loss(x)
    assert abs(out["balance"].item()) < 1e-6 and abs(out["kl_c"].item()) < 1e-6


def test_view_mutual_information_closed_forms():
    k = 10
    confident = 50.0 * F.one_hot(torch.arange(40) % k, k).float()  # 4 images per cluster, both views agree
    assert math.isclose(view_mutual_information(confident, confident).item(), math.log(k), rel_tol=1e-4)
    # independent views: P(c, c') = P(c) P(c') -> 0 (every q uniform; every image in the same cluster)
    assert abs(view_mutual_information(torch.zeros(40, k), torch.zeros(40, k)).item()) < 1e-6
    one = 50.0 * F.one_hot(torch.zeros(40, dtype=torch.long), k).float()
    assert abs(view_mutual_information(one, one).item()) < 1e-5
    # views that agree on 2 of 4 clusters' worth of images give less than log K, more than 0
    half = torch.cat([confident[:20], confident[20:].roll(1, dims=1)])
    assert 0 < view_mutual_information(confident, half).item() < math.log(k) - 0.1


def test_the_mi_term_enters_the_loss_and_trains_the_cluster_head_and_trunk():
    torch.manual_seed(0)
    x = torch.rand(16, 1, 28, 28)
    model = CatVAE(variant="catvae", mi_weight=3.0)
    out = model.loss(x)
    assert 0 <= out["mi"].item() <= math.log(10)
    assert torch.allclose(out["loss"], out["recon"] + out["kl_z"] + out["kl_c"] - 3.0 * out["mi"])
    model.zero_grad()
    out["mi"].backward()
    assert model.cluster_head.weight.grad.abs().sum() > 0 and model.fc.weight.grad.abs().sum() > 0
    assert model.decoder[0].weight.grad is None and model.mu_head.weight.grad is None
    assert "mi" not in CatVAE(variant="catvae").loss(x)
    with pytest.raises(UserError, match="in_dim 784"):
        CatVAE(variant="catvae", mi_weight=1.0, in_dim=100)


def test_imq_mmd_is_zero_in_expectation_for_one_distribution_and_grows_with_the_difference():
    torch.manual_seed(0)
    n, d = 400, 20
    same = [imq_mmd(torch.randn(n, d), torch.randn(n, d)).item() for _ in range(20)]
    assert abs(np.mean(same)) < 3 * np.std(same) / np.sqrt(len(same)) + 1e-4       # unbiased: 0 in expectation
    shifted = [imq_mmd(torch.randn(n, d) + s / math.sqrt(d), torch.randn(n, d)).item() for s in (0.5, 1.0, 2.0)]
    assert max(same) < shifted[0] < shifted[1] < shifted[2]                         # a mean shift of norm 0.5, 1, 2
    narrow = imq_mmd(0.5 * torch.randn(n, d), torch.randn(n, d)).item()
    assert narrow > shifted[1]                                                      # a spread too small shows too
    a, b = torch.randn(50, d), torch.randn(60, d) + 1.0
    assert math.isclose(imq_mmd(a, b[:50]).item(), imq_mmd(b[:50], a).item(), rel_tol=1e-5)   # symmetric
    # by groups: one group is the plain estimate; two groups shifted apart hide in the pooled mixture, not one by one
    a, b = torch.randn(n, d), torch.randn(n, d)
    assert math.isclose(imq_mmd(a, b, torch.zeros(n, dtype=torch.long)).item(), imq_mmd(a, b).item(), abs_tol=1e-5)
    groups = torch.arange(n) % 2
    apart = a + torch.where(groups[:, None] == 0, 1.0, -1.0) * F.one_hot(torch.tensor(0), d) * 1.5
    assert imq_mmd(apart, b, groups).item() > 5 * imq_mmd(apart, b).item() > 0
    lone = torch.tensor([0] * (n - 1) + [1])                     # a group of one image has no estimate of its own
    assert math.isclose(imq_mmd(a, b, lone).item(), imq_mmd(a[:-1], b[:-1]).item(), abs_tol=1e-5)


def test_the_mmd_term_enters_the_loss_and_trains_the_codes_only():
    """mmd = imq_mmd(z - mu_c, N(0, I) samples) for z of each image's most likely cluster: it moves the encoder's
    Gaussians (mu and logvar heads, trunk), never the decoder or the cluster head's choice."""
    torch.manual_seed(0)
    x = torch.rand(32, 1, 28, 28)
    model = CatVAE(variant="catvae", mmd_weight=50.0)
    out = model.loss(x)
    assert torch.allclose(out["loss"], out["recon"] + out["kl_z"] + out["kl_c"] + 50.0 * out["mmd"])
    model.zero_grad()
    out["mmd"].backward()
    assert model.mu_head.weight.grad.abs().sum() > 0 and model.logvar_head.weight.grad.abs().sum() > 0
    assert model.fc.weight.grad.abs().sum() > 0
    assert model.decoder[0].weight.grad is None and model.cluster_head.weight.grad is None
    assert "mmd" not in CatVAE(variant="catvae").loss(x)
    assert CatVAE.from_config(model.config).mmd_weight == 50.0     # the checkpoint's config rebuilds it
    with pytest.raises(UserError, match="mmd_weight"):
        CatVAE(mmd_weight=-1.0)
    by_mode = CatVAE(variant="catvae", mmd_weight=50.0, mmd_match="mode")
    assert by_mode.loss(x)["mmd"].isfinite() and CatVAE.from_config(by_mode.config).mmd_match == "mode"
    with pytest.raises(UserError, match="mmd_match"):
        CatVAE(mmd_match="per_image")


def test_the_vat_term_enters_the_loss_and_trains_the_cluster_head_and_trunk_only():
    torch.manual_seed(0)
    x = torch.rand(16, 1, 28, 28)
    model = CatVAE(variant="catvae", vat_weight=7.0, batch_norm=True)
    out = model.loss(x, vat_eps=torch.full((16,), 1.5))
    assert out["vat"].item() > 0
    assert torch.allclose(out["loss"], out["recon"] + out["kl_z"] + out["kl_c"] + 7.0 * out["vat"])
    model.zero_grad()
    out["vat"].backward()
    assert model.cluster_head.weight.grad.abs().sum() > 0 and model.fc.weight.grad.abs().sum() > 0
    assert model.norm.weight.grad.abs().sum() > 0
    assert model.decoder[0].weight.grad is None and model.mu_head.weight.grad is None
    with pytest.raises(ValueError, match="vat_eps"):
        model.loss(x)
    assert "vat" not in CatVAE(variant="catvae").loss(x) and isinstance(CatVAE().norm, torch.nn.Identity)
    rebuilt = CatVAE.from_config(model.config)                 # the checkpoint's config rebuilds the same network
    assert isinstance(rebuilt.norm, torch.nn.BatchNorm1d) and rebuilt.vat_weight == 7.0
    with pytest.raises(UserError, match="vat_radius"):
        CatVAE(vat_weight=1.0, vat_radius=0.0)


def test_the_kl_weight_weighs_kl_z_in_training_only():
    torch.manual_seed(0)
    x = torch.rand(16, 1, 28, 28)
    plain, weighted = CatVAE(variant="catvae", dropout=0.0), CatVAE(variant="catvae", dropout=0.0, kl_weight=3.0)
    weighted.load_state_dict(plain.state_dict())
    torch.manual_seed(1)
    out = weighted.loss(x)
    torch.manual_seed(1)
    assert torch.allclose(plain.loss(x)["kl_z"], out["kl_z"]) and out["kl_z"] > 0
    assert torch.allclose(out["loss"], out["recon"] + 3.0 * out["kl_z"] + out["kl_c"])
    torch.manual_seed(2)
    elbo = plain.test_elbo(x)
    torch.manual_seed(2)
    assert weighted.test_elbo(x) == elbo                               # the reported -ELBO is the unweighted one
    assert CatVAE.from_config(weighted.config).kl_weight == 3.0
    with pytest.raises(UserError, match="kl_weight"):
        CatVAE(kl_weight=0.0)


def test_encoder_layers_add_hidden_layers_to_the_trunk_only():
    torch.manual_seed(0)
    one, two = CatVAE(hidden=16, batch_norm=True), CatVAE(hidden=16, batch_norm=True, encoder_layers=2)
    extra = sum(p.numel() for p in two.parameters()) - sum(p.numel() for p in one.parameters())
    assert extra == 16 * 16 + 16 + 2 * 16                               # one linear layer and its batch norm
    assert set(one.state_dict()) < set(two.state_dict())                # the paper's layers keep their names
    x = torch.rand(5, 1, 28, 28)
    assert two.trunk(x).shape == (5, 16) and (two.trunk(x) >= 0).all()
    assert CatVAE.from_config(two.config).config["encoder_layers"] == 2
    with pytest.raises(UserError, match="encoder_layers"):
        CatVAE(encoder_layers=0)


@pytest.mark.parametrize("reconstruction", ["expected", "mixture"])
def test_a_decoder_that_reads_the_cluster_decodes_each_branch_with_its_own(reconstruction):
    """decoder_cluster: branch c of the ELBO decodes [z_c ; e_c] (the mixture: [z ; q(c|x)]), the info term's samples
    of mode c are decoded with e_c, and decode() needs the clusters; without it the cluster is never read."""
    torch.manual_seed(0)
    x = torch.rand(6, 1, 28, 28)
    model = CatVAE(variant="catvae", reconstruction=reconstruction, decoder_cluster=True, hidden=32)
    torch.manual_seed(1)
    recon = model.elbo_terms(x)["recon"]
    torch.manual_seed(1)
    logits, mu, logvar = model.encode(x)
    q = F.softmax(logits, 1)
    z = model.sample_gaussian(mu, logvar) if reconstruction == "expected" else model.sample_gaussian(
        (q.t()[..., None] * mu).sum(0), (q.t()[..., None] * logvar).sum(0))
    bce = lambda inp: F.binary_cross_entropy_with_logits(model.decoder(inp), x.flatten(1), reduction="none").sum(-1)
    eye = torch.eye(10)
    manual = (sum(q[:, c] * bce(torch.cat([z[c], eye[c].expand(6, 10)], 1)) for c in range(10))
              if reconstruction == "expected" else bce(torch.cat([z, q], 1)))
    assert torch.allclose(recon, manual, atol=1e-4)
    codes = torch.randn(4, 20)
    assert not torch.allclose(model.decode(codes, torch.zeros(4, dtype=torch.long)),
                              model.decode(codes, torch.ones(4, dtype=torch.long)))
    assert torch.allclose(model.decode(codes, torch.full((4,), 3)), model.decode(codes, eye[[3, 3, 3, 3]]))
    with pytest.raises(ValueError, match="cluster"):
        model.decode(codes)
    info, _ = model.info_term(2)
    info.backward()
    assert model.decoder[0].weight.grad[:, 20:].abs().sum(0).min() > 0      # every mode's column is trained
    assert CatVAE.from_config(model.config).decoder_cluster
    plain = CatVAE(variant="catvae", reconstruction=reconstruction, hidden=32)
    assert plain.decoder[0].in_features == 20
    assert torch.equal(plain.decode(codes, torch.zeros(4, dtype=torch.long)), plain.decode(codes))


def test_a_checkpoint_from_before_an_added_option_resumes_and_a_changed_one_is_refused(tiny_data_dir, tmp_path):
    args = TINY + [f"--data_dir={tiny_data_dir}", f"--out_dir={tmp_path}", "--datasets=mnist", "--variants=catvae",
                   "--judge=off", "--hidden=16", "--precision=fp32"]
    main_catvae.main(args)
    run = tmp_path / "catvae/mnist/catvae/seed-0"
    first = json.loads((run / "metrics.json").read_text())
    state = torch.load(run / "model.pt", weights_only=False)
    for key in CatVAE.ADDED_CONFIG:                                     # as the code before the option wrote it
        del state["model_config"][key]
    torch.save(state, run / "model.pt")
    main_catvae.main(args + ["--resume=true"])                          # finished: re-evaluated, not refused
    assert json.loads((run / "metrics.json").read_text())["clustering_accuracy"] == first["clustering_accuracy"]
    with pytest.raises(UserError, match="cannot resume"):
        main_catvae.main(args + ["--resume=true", "--kl_weight=2"])


def test_restarts_zero_is_each_data_sets_own_and_the_paper_trains_once():
    header = {k: getattr(main_catvae, k) for k in ("restarts", "restarts_mnist", "restarts_fashion", "restart_criterion",
                                                   "restart_criterion_mnist", "restart_criterion_fashion")}
    assert header["restarts"] == 0 and header["restart_criterion"] == ""
    assert own_value(header, "restarts", "mnist") == header["restarts_mnist"]
    assert own_value(header, "restarts", "fashion-mnist") == header["restarts_fashion"]
    assert own_value({**header, "restarts": 2}, "restarts", "fashion-mnist") == 2
    # each data set keeps its trainings by its own criterion (docs/catvae.md), unless one is given for both
    assert [own_value(header, "restart_criterion", d) for d in ("mnist", "fashion-mnist")] == ["confidence", "balance"]
    assert own_value({**header, "restart_criterion": "confidence"}, "restart_criterion", "fashion-mnist") == "confidence"
    assert main_catvae.PAPER["restarts"] == 1


def test_each_data_set_trains_in_its_own_precision_unless_one_is_given(tiny_data_dir, tmp_path):
    """MNIST trains in fp32 and Fashion-MNIST in auto (bf16 where the CPU has it natively), as chosen on the
    validation split (docs/catvae.md); config.json records the value the run used, metrics.json what it resolved to."""
    header = {k: getattr(main_catvae, k) for k in ("precision", "precision_mnist", "precision_fashion")}
    assert header == {"precision": "", "precision_mnist": "fp32", "precision_fashion": "auto"}
    assert own_value({**header, "precision": "bf16"}, "precision", "mnist") == "bf16"
    main_catvae.main(TINY + [f"--data_dir={tiny_data_dir}", f"--out_dir={tmp_path}", "--variants=catvae",
                             "--datasets=mnist,fashion-mnist", "--judge=off", "--hidden=16", "--restarts=1"])
    for tag, recorded in (("mnist", "fp32"), ("fashion-mnist", "auto")):
        run = tmp_path / f"catvae/{tag}/catvae/seed-0"
        assert json.loads((run / "config.json").read_text())["precision"] == recorded
        used = json.loads((run / "metrics.json").read_text())["precision"]
        assert used == resolve_precision(recorded, torch.device("cpu"))
    with pytest.raises(UserError, match="--precision_mnist"):
        main_catvae.main(TINY + [f"--out_dir={tmp_path}", "--precision_mnist=fp16"])


@pytest.mark.slow
def test_end_to_end_tiny(tiny_data_dir, tiny_judges, tmp_path):
    shutil.copytree(tiny_judges / "judge", tmp_path / "judge")          # --judge=auto finds one per data set
    main_catvae.main(TINY + [f"--data_dir={tiny_data_dir}", f"--out_dir={tmp_path}"])
    for ds in ("mnist", "fashion-mnist"):
        for variant in ("catvae", "infocatvae"):
            run = tmp_path / "catvae" / ds / variant / "seed-0"
            for name in ("samples_by_cluster", "interpolation", "lambda_traversal", "reconstructions", "latent_pca"):
                assert (run / f"{name}.png").stat().st_size > 5_000, (run, name)
            m = json.loads((run / "metrics.json").read_text())
            assert 0 <= m["clustering_accuracy"] <= 1 and 0 <= m["nmi"] <= 1 and -1 <= m["ari"] <= 1
            assert m["majority_accuracy"] >= m["clustering_accuracy"]
            occ = m["occupancy"]
            assert sum(occ["counts"]) == m["n_test"] == 150 and m["n_train"] == 300
            assert math.isclose(sum(occ["mean_q"]), 1, rel_tol=1e-4) and 1 <= occ["clusters_used"] <= 10
            elbo = m["test_elbo"]
            assert 0 < elbo["recon"] < 784 and elbo["kl_z"] >= 0 and 0 <= elbo["kl_c"] <= math.log(10) + 1e-5
            assert math.isclose(elbo["neg_elbo"], elbo["recon"] + elbo["kl_z"] + elbo["kl_c"], rel_tol=1e-6)
            assert 0 <= m["generated"]["accuracy"] <= 1
            assert ("info" in m["history"][0]) == (variant == "infocatvae")
            assert m["judge"]["folder"] == str(tmp_path / "judge" / ds) and m["judge"]["dataset"] == ds
            assert all(0 <= m[k] <= 1 for k in JUDGED if k != "judged_prior_samples_per_mode")
            assert len(m["judged_prior_samples_per_mode"]) == 10
            cfg = json.loads((run / "config.json").read_text())
            assert cfg["variant"] == variant and cfg["seed"] == 0 and cfg["train_limit"] == 300
            own = main_catvae.restarts_mnist if ds == "mnist" else main_catvae.restarts_fashion
            assert cfg["restarts"] == own == len(m["restarts"])       # each data set's own, recorded resolved
            lam = main_catvae.prior_scale_mnist if ds == "mnist" else main_catvae.prior_scale_fashion
            assert main_catvae.prior_scale == 0 and cfg["prior_scale"] == m["model_config"]["scale"] == lam
            assert cfg["threads"] == torch.get_num_threads() and cfg["device_used"] == "cpu"
    summary = json.loads((tmp_path / "catvae" / "summary.json").read_text())
    assert set(summary) == {"mnist", "fashion-mnist"} and set(summary["mnist"]) == {"catvae", "infocatvae"}


def test_a_run_whose_decoder_reads_the_cluster_draws_and_judges_its_samples(tiny_data_dir, tiny_judges, tmp_path):
    shutil.copytree(tiny_judges / "judge", tmp_path / "judge")
    main_catvae.main(TINY + [f"--data_dir={tiny_data_dir}", f"--out_dir={tmp_path}", "--datasets=mnist",
                             "--variants=infocatvae", "--restarts=1", "--decoder_cluster=true"])
    run = tmp_path / "catvae/mnist/infocatvae/seed-0"
    for name in ("samples_by_cluster", "interpolation", "lambda_traversal", "reconstructions"):
        assert (run / f"{name}.png").stat().st_size > 5_000, name
    m = json.loads((run / "metrics.json").read_text())
    assert m["model_config"]["decoder_cluster"] and all(0 <= m[k] <= 1 for k in JUDGED if k.endswith("class"))
    state = load_checkpoint(run / "model.pt", "catvae")
    assert state["model_config"]["decoder_cluster"] and state["model"]["decoder.0.weight"].shape[1] == 20 + 10


@pytest.mark.slow
@pytest.mark.parametrize("extra", [["--paper_settings=true"], []])
def test_resume_skips_finished_training(tiny_data_dir, tmp_path, extra):
    args = TINY + [f"--data_dir={tiny_data_dir}", f"--out_dir={tmp_path}", "--datasets=mnist", "--variants=infocatvae",
                   "--judge=off", *extra]
    main_catvae.main(args)
    first = json.loads((tmp_path / "catvae/mnist/infocatvae/seed-0/metrics.json").read_text())
    vat = not extra                                 # the defaults add VAT and batch norm; the paper's setup has neither
    assert ("vat" in first["history"][0]) == vat and first["model_config"]["batch_norm"] == vat
    assert (first["seconds"]["vat_radii"] > 0) == vat  # the neighbour search is timed (and counted by report)
    main_catvae.main(args + ["--resume=true"])
    again = json.loads((tmp_path / "catvae/mnist/infocatvae/seed-0/metrics.json").read_text())
    assert again["history"] == first["history"]
    assert again["clustering_accuracy"] == first["clustering_accuracy"]
    assert again["test_elbo"] == first["test_elbo"]


@pytest.mark.slow
def test_restarts_keep_the_most_confident_training_each_a_plain_run_of_its_seed(tiny_data_dir, tmp_path):
    """--restarts=2 --seeds=1 trains seeds 2 and 3, exactly as two plain runs of those seeds, scores each, and keeps
    the one with the higher last-epoch kl_c (label-free): its weights are model.pt, its history and clustering the
    run's. A resume trains nothing; a resume with another restart count is refused (its seeds differ)."""
    common = TINY + [f"--data_dir={tiny_data_dir}", "--datasets=mnist", "--variants=catvae", "--judge=off",
                     "--hidden=16", "--epochs=2", "--precision=fp32"]
    plain = {}
    for s in (2, 3):
        main_catvae.main(common + [f"--out_dir={tmp_path / f'plain{s}'}", f"--seeds={s}", "--restarts=1"])
        plain[s] = json.loads((tmp_path / f"plain{s}/catvae/mnist/catvae/seed-{s}/metrics.json").read_text())
        assert plain[s]["kept_restart"] == 0 and [t["training_seed"] for t in plain[s]["restarts"]] == [s]
    args = common + [f"--out_dir={tmp_path / 'r'}", "--seeds=1", "--restarts=2"]
    main_catvae.main(args)
    run = tmp_path / "r/catvae/mnist/catvae/seed-1"
    m = json.loads((run / "metrics.json").read_text())
    assert [t["training_seed"] for t in m["restarts"]] == [2, 3] and m["seed"] == 1
    for t in m["restarts"]:
        p = plain[t["training_seed"]]
        assert t["clustering_accuracy"] == p["clustering_accuracy"] and t["nmi"] == p["nmi"]
        assert t["confidence_kl_c"] == p["history"][-1]["kl_c"]
    kept = max((0, 1), key=lambda r: m["restarts"][r]["confidence_kl_c"])
    assert m["kept_restart"] == kept
    timeless = lambda h: [{k: v for k, v in row.items() if k not in ("seconds", "images_per_second")} for row in h]
    assert timeless(m["history"]) == timeless(plain[2 + kept]["history"])
    assert m["clustering_accuracy"] == plain[2 + kept]["clustering_accuracy"]
    model, chosen = (load_checkpoint(run / name, "catvae") for name in ("model.pt", f"restart-{kept}.pt"))
    assert all(torch.equal(model["model"][k], chosen["model"][k]) for k in chosen["model"])
    main_catvae.main(args + ["--resume=true"])
    assert json.loads((run / "metrics.json").read_text())["restarts"] == m["restarts"]
    with pytest.raises(UserError, match="cannot resume with a different training recipe"):
        main_catvae.main(args + ["--resume=true", "--restarts=3"])
    with pytest.raises(UserError, match="cannot resume with a different training recipe"):
        main_catvae.main(args + ["--resume=true", "--restarts=1"])
    # a run made with one training (MNIST's default before restarts_mnist) is not silently retrained three times
    with pytest.raises(UserError, match="cannot resume, the run trained once and restarts=3"):
        main_catvae.main(common + [f"--out_dir={tmp_path / 'plain2'}", "--seeds=2", "--resume=true", "--restarts=3"])
    # --restart_criterion=balance: the same trainings, the one with the lower last-epoch mean balance term kept
    main_catvae.main(common + [f"--out_dir={tmp_path / 'b'}", "--seeds=1", "--restarts=2",
                                  "--restart_criterion=balance"])
    b = json.loads((tmp_path / "b/catvae/mnist/catvae/seed-1/metrics.json").read_text())
    assert [t["balance"] for t in b["restarts"]] == [plain[s]["history"][-1]["balance"] for s in (2, 3)]
    assert b["kept_restart"] == min((0, 1), key=lambda r: b["restarts"][r]["balance"])
    assert timeless(b["history"]) == timeless(plain[2 + b["kept_restart"]]["history"])
    # leak guard: other test labels change each training's scores, never which training is kept
    shuffled = tmp_path / "shuffled"
    shutil.copytree(tiny_data_dir, shuffled)
    test_csv = shuffled / "mnist_test.csv"
    head, *rows = test_csv.read_text().splitlines()
    labels, pixels = zip(*(r.split(",", 1) for r in rows))
    labels = labels[1:] + labels[:1]                        # each test image gets the next image's label
    test_csv.write_text("\n".join([head, *(f"{y},{x}" for y, x in zip(labels, pixels))]) + "\n")
    main_catvae.main([*(a for a in common if not a.startswith("--data_dir=")), f"--data_dir={shuffled}",
                      f"--out_dir={tmp_path / 's'}", "--seeds=1", "--restarts=2"])
    other = json.loads((tmp_path / "s/catvae/mnist/catvae/seed-1/metrics.json").read_text())
    assert other["kept_restart"] == kept and timeless(other["history"]) == timeless(m["history"])
    assert [t["confidence_kl_c"] for t in other["restarts"]] == [t["confidence_kl_c"] for t in m["restarts"]]
    assert [t["clustering_accuracy"] for t in other["restarts"]] != [t["clustering_accuracy"] for t in m["restarts"]]


@pytest.mark.slow
@pytest.mark.parametrize("args, fragment", [
    (["--variants=vade"], "--variants=vade: must be a comma-separated list of catvae, infocatvae"),
    (["--epoch=3"], "unknown option --epoch"),
    (["--kl_weight=0"], "--kl_weight=0.0: must be positive"),
    (["--restart_criterion=elbo"], '--restart_criterion=elbo: must be one of "", confidence, balance'),
    (["--restart_criterion_fashion=elbo"], "--restart_criterion_fashion=elbo: must be one of confidence, balance"),
    (["--datasets=fashion-mnist", "--balance_weight=0"],
     "--balance_weight=0: fashion-mnist's restarts are kept by the balance term, which it turns off"),
])
def test_bad_options_exit_with_one_line(tiny_data_dir, tmp_path, args, fragment):
    proc = subprocess.run([sys.executable, "main_catvae.py", *args, f"--data_dir={tiny_data_dir}",
                           f"--out_dir={tmp_path}", "--progress=false"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and fragment in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1



@pytest.mark.slow
def test_kill_9_then_resume_gives_the_uninterrupted_result(tiny_data_dir, tmp_path):
    """A run killed outright (no Ctrl-C handler, no cleanup) resumes from its last whole checkpoint to exactly the
    numbers of a run that was never interrupted."""
    import os
    import signal
    import time

    args = [sys.executable, "main_catvae.py", *TINY, "--epochs=40", "--hidden=16", "--judge=off", "--restarts=1",
            f"--data_dir={tiny_data_dir}"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run([*args, f"--out_dir={tmp_path / 'a'}"], cwd=ROOT, env=env, check=True, capture_output=True)
    killed = subprocess.Popen([*args, f"--out_dir={tmp_path / 'b'}"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoint = tmp_path / "b/catvae/mnist/catvae/seed-0/model.pt"
    deadline = time.time() + 120
    while not checkpoint.exists() and time.time() < deadline and killed.poll() is None:
        time.sleep(0.01)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    state = torch.load(checkpoint, weights_only=False)
    assert 1 <= state["epoch"] < 40 and state["optimizer"] is not None   # killed mid-training
    assert not (checkpoint.parent / "metrics.json").exists()
    subprocess.run([*args, f"--out_dir={tmp_path / 'b'}", "--resume=true"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    a, b = (json.loads((tmp_path / f"{r}/catvae/mnist/catvae/seed-0/metrics.json").read_text()) for r in "ab")
    assert a["clustering_accuracy"] == b["clustering_accuracy"] and a["test_elbo"] == b["test_elbo"]
    assert [h["loss"] for h in a["history"]] == [h["loss"] for h in b["history"]]


# ----------------------------------------------------------------------------- the judged prior samples
class FixedJudge:
    """A judge whose verdicts are given: records the images it is shown."""

    def __init__(self, verdicts):
        self.verdicts, self.seen = torch.tensor(verdicts), []

    def predict(self, images):
        self.seen.append(images)
        return self.verdicts.clone()


def test_judged_prior_samples_scores_each_mode_against_its_class():
    torch.manual_seed(0)
    model = CatVAE(variant="catvae", n_clusters=3, hidden=8)
    judge = FixedJudge([0, 0, 0, 1,            # mode 0 (class 0): 3 of 4 right, 3 of 4 in one class
                        2, 2, 2, 2,            # mode 1 (class 2): all right and all alike
                        5, 5, 1, 1])           # mode 2 (no training image, class -1): never right, 2 of 4 alike
    scores = judged_prior_samples(model, judge, [0, 2, -1], n=4, seed=7)
    assert scores["judged_prior_samples_per_mode"] == [0.75, 1.0, 0.0]
    assert scores["judged_prior_samples_mode_class"] == pytest.approx(7 / 12)
    assert scores["judged_prior_samples_min_mode"] == 0.0
    assert scores["judged_prior_samples_consistency"] == pytest.approx((0.75 + 1.0 + 0.5) / 3)
    # the judge saw only the decoded prior samples, 4 per mode in mode order, drawn with the seed
    assert len(judge.seen) == 1 and torch.equal(judge.seen[0], prior_samples(model, range(3), 4, seed=7))
    gen = torch.Generator().manual_seed(7)
    noise = [torch.randn(4, model.latent_dim, generator=gen) for _ in range(2)]
    assert torch.equal(judge.seen[0][1], model.decode(model.prior_mu[1] + noise[1]))   # mode 1: z ~ N(mu_1, I)
    assert not torch.equal(judge.seen[0], prior_samples(model, range(3), 4, seed=8))


def test_fitted_modes_are_the_mean_and_spread_of_each_modes_codes():
    """fit_modes: per mode, the mean and covariance of mu_c(x) over the images argmax q(c|x) puts in c (no label);
    a mode with too few images keeps the prior's N(mu_c, I); prior_samples then draws from N(mean_c, cov_c)."""
    torch.manual_seed(0)
    model = CatVAE(variant="catvae", n_clusters=3, sub_dim=2, hidden=16)
    x = torch.rand(600, 1, 28, 28)
    fitted = fit_modes(model, x, batch_size=128)
    model.eval()
    with torch.no_grad():
        logits, mu, _ = model.encode(x)
    clusters = logits.argmax(1)
    for c in range(3):
        codes = mu[c, clusters == c].double()
        if len(codes) > model.latent_dim:
            assert torch.allclose(fitted["mean"][c].double(), codes.mean(0), atol=1e-5)
            cov = fitted["chol"][c].double() @ fitted["chol"][c].double().T
            assert torch.allclose(cov, torch.cov(codes.T), atol=1e-4)
        else:
            assert torch.equal(fitted["mean"][c], model.prior_mu[c]) and torch.equal(fitted["chol"][c], torch.eye(6))
    assert (clusters.bincount(minlength=3) > model.latent_dim).any()       # at least one mode was fitted
    gen = torch.Generator().manual_seed(4)
    eps = torch.randn(5, model.latent_dim, generator=gen)
    drawn = prior_samples(model, [0], 5, seed=4, fitted=fitted)[0]
    assert torch.allclose(drawn, model.decode(fitted["mean"][0] + eps @ fitted["chol"][0].T))


def test_mode_classes_are_the_majority_training_label_and_minus_one_when_empty():
    clusters = torch.tensor([0, 0, 0, 1, 1, 3, 3])
    labels = torch.tensor([3, 3, 5, 7, 7, 2, 4])               # mode 3: a tie, the smaller label; mode 2: no image
    model = SimpleNamespace(n_clusters=4, cluster_probs=lambda x, batch_size: F.one_hot(clusters, 4).float())
    assert mode_classes(model, torch.zeros(7, 784), labels) == [3, 7, -1, 2]


def test_the_figure_draws_the_judged_sampling(monkeypatch, tmp_path):
    """samples_by_cluster's rows are prior_samples of its row order with the run's seed: what the judge scores."""
    model = CatVAE(variant="catvae", n_clusters=4, hidden=8)
    seen = {}
    monkeypatch.setattr(catvae_figures, "mosaic", lambda rows, path, title, **kw: seen.setdefault("rows", rows))
    majority, counts = [2, 0, 1, 0], [3, 1, 4, 0]
    catvae_figures.samples_by_cluster(model, tmp_path / "s.png", 5, majority, ["a", "b", "c"], counts, seed=3)
    order = catvae_figures.cluster_order(majority, counts)
    assert order == [1, 2, 0, 3]
    for row, images in zip(seen["rows"], prior_samples(model, order, 5, seed=3)):
        assert all(np.array_equal(a, b) for a, b in zip(row, images[:, 0].numpy()))


@pytest.mark.slow
def test_resume_adds_the_judged_scores_and_keeps_the_clustering(tiny_data_dir, tiny_judges, tmp_path):
    """A finished run re-evaluated with --resume=true and a judge: no training, the judged keys appear, every other
    score is the same; the judged scores are seeded (a second re-evaluation repeats them)."""
    args = TINY + [f"--data_dir={tiny_data_dir}", f"--out_dir={tmp_path}", "--datasets=mnist", "--variants=catvae",
                   "--paper_settings=true"]
    main_catvae.main(args + ["--judge=off"])
    path = tmp_path / "catvae/mnist/catvae/seed-0/metrics.json"
    first = json.loads(path.read_text())
    assert first["judge"] is None and not any(k.startswith("judged_") for k in first)
    judged_args = args + ["--resume=true", f"--judge={tiny_judges / 'judge' / 'mnist'}", "--judge_samples=30"]
    main_catvae.main(judged_args)
    again = json.loads(path.read_text())
    for key in ("history", "clustering_accuracy", "majority_accuracy", "nmi", "ari", "test_elbo", "occupancy",
                "generated"):
        assert again[key] == first[key], key
    assert again["judge"]["accuracy"] > 0.5 and again["judge"]["folder"] == str(tiny_judges / "judge" / "mnist")
    per_mode = again["judged_prior_samples_per_mode"]
    assert len(per_mode) == 10 and all(0 <= f <= 1 and (30 * f) == round(30 * f) for f in per_mode)
    assert again["judged_prior_samples_mode_class"] == pytest.approx(sum(per_mode) / 10)
    assert again["judged_prior_samples_min_mode"] == min(per_mode)
    assert 0.1 <= again["judged_prior_samples_consistency"] <= 1
    # the same scores from the checkpoint: modes named by the TRAINING labels, judge_samples per mode, the run's seed
    state = load_checkpoint(path.parent / "model.pt", "catvae")
    model = CatVAE.from_config(state["model_config"])
    model.load_state_dict(state["model"])
    _, xtr, ytr, *_ = load_split("mnist", str(tiny_data_dir), 300, 150)
    judge, _ = load_judge(tiny_judges / "judge" / "mnist", "mnist", "test", torch.device("cpu"))
    recomputed = judged_prior_samples(model, judge, mode_classes(model, xtr, ytr), 30, seed=0)
    assert recomputed == {k: again[k] for k in JUDGED}
    fitted = judged_prior_samples(model, judge, mode_classes(model, xtr, ytr), 30, seed=0,
                                  fitted=fit_modes(model, xtr))
    assert fitted == {k.replace("prior", "fitted"): again[k.replace("prior", "fitted")] for k in JUDGED}
    main_catvae.main(judged_args)
    assert {k: v for k, v in json.loads(path.read_text()).items() if k != "seconds"} == \
        {k: v for k, v in again.items() if k != "seconds"}


@pytest.mark.slow
def test_a_missing_judge_is_one_line_before_any_training(tiny_data_dir, tiny_judges, tmp_path, capsys):
    """With --judge=auto every data set's judge is loaded first: Fashion-MNIST's is missing, so not even the MNIST
    runs start."""
    shutil.copytree(tiny_judges / "judge" / "mnist", tmp_path / "judge" / "mnist")
    with pytest.raises(SystemExit) as stop:
        run_cli(main_catvae.main, TINY + [f"--data_dir={tiny_data_dir}", f"--out_dir={tmp_path}"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"error: {tmp_path / 'judge' / 'fashion-mnist'}: no finished judge there"), err
    assert not (tmp_path / "catvae").exists()


def test_an_explicit_judge_folder_needs_one_data_set(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        run_cli(main_catvae.main, [f"--judge={tmp_path / 'judge' / 'mnist'}", "--datasets=mnist,fashion-mnist",
                                   f"--out_dir={tmp_path}", f"--data_dir={tmp_path}"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1 and "a judge folder serves one data set" in err, err
    assert not (tmp_path / "catvae").exists()


@pytest.mark.slow
def test_re_evaluating_a_finished_vat_run_skips_the_radii(tiny_data_dir, tmp_path, monkeypatch):
    """The VAT radii serve training only: --resume=true on a finished run re-evaluates without them."""
    args = TINY + [f"--data_dir={tiny_data_dir}", f"--out_dir={tmp_path}", "--datasets=mnist", "--variants=catvae",
                   "--judge=off", "--vat_weight=1"]
    main_catvae.main(args)
    first = json.loads((tmp_path / "catvae/mnist/catvae/seed-0/metrics.json").read_text())
    assert first["seconds"]["vat_radii"] > 0

    def no_radii(*a, **k):
        raise AssertionError("radii computed for a finished run")

    monkeypatch.setattr(main_catvae, "radii", no_radii)
    main_catvae.main(args + ["--resume=true"])
    again = json.loads((tmp_path / "catvae/mnist/catvae/seed-0/metrics.json").read_text())
    assert again["clustering_accuracy"] == first["clustering_accuracy"]
    assert again["seconds"]["vat_radii"] == first["seconds"]["vat_radii"]    # the training run's, for its minutes
