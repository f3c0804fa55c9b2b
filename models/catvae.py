"""CatVAE and InfoCatVAE (Pineau & Lelarge, arXiv 1806.08240; ORIGINALS.md section 2), one model with a switch.

Prior. A fixed, uniform mixture of K isotropic unit Gaussians, p(c) = 1/K, p(z|c) = N(mu_c, I), in d = K * delta
dimensions. Cluster c owns the delta coordinates [c*delta, (c+1)*delta), where its mean equals lambda (0 elsewhere):
the means are orthogonal, ||mu_c|| = lambda * sqrt(delta) and ||mu_a - mu_b|| = lambda * sqrt(2 * delta) (the spec's
defaults K=10, delta=2, lambda=2 give d=20, norm 2.83, distance 4).

Encoder (the spec's MLP). h = Dropout(ReLU(Linear 784->400 (x))) (``batch_norm``: a BatchNorm1d before the ReLU);
q(c|x) = softmax(Linear 400->K (h)); for every c a Gaussian q(z|x,c) = N(mu_c(x), diag exp(logvar_c(x))) from two
shared linear maps on [h ; one_hot(c)] (tensors K x B x d). A linear map of [h ; e_c] is W_h h + b + W_e[:, c], so
all K are computed from one matrix product plus a per-cluster offset. Decoder: Linear d->400, ReLU, Linear
400->784 (logits; sigmoid in decode).

Negative ELBO (per image; the reported and minimised numbers are these summed over pixels and latent dimensions
and averaged over the batch, i.e. nats per image):

    recon = E_{q(c|x)} E_{q(z|x,c)} [-log p(x|z)]          (Bernoulli BCE summed over the 784 pixels)
    kl_z  = sum_c q(c|x) KL(q(z|x,c) || N(mu_c, I))        (closed form, summed over the d dimensions)
    kl_c  = KL(q(c|x) || Uniform(K)) = sum_c q log q + log K
    loss  = recon + kl_z + kl_c  [+ info_weight * info]  [+ balance_weight * balance]  [- mi_weight * mi]
            [+ vat_weight * vat]

Reconstruction term. ``reconstruction="expected"`` (default) is the paper's ELBO: one reparameterised sample from
each cluster's Gaussian, K decoder passes (cheap for this MLP), BCEs weighted by q(c|x). This is what makes the
cluster head learn: it is rewarded for putting its mass on the cluster whose branch reconstructs best.
``reconstruction="mixture"`` is the original code's shortcut: decode one sample of the Gaussian whose parameters
are the two linear maps applied to [h ; q(c|x)] (= the q-weighted averages of the per-cluster mean and log-variance).

Information term (InfoCatVAE only). Draw ``info_samples`` codes z ~ N(mu_c, I) for every cluster c, decode them
(the Bernoulli means, so the gradient flows), re-encode, and minimise info = -mean log q(c | x_generated): a proper
negative log-likelihood (``cross_entropy`` on the cluster head's logits is exactly -log softmax; the original fed
softmax probabilities into a second softmax). It is a mean over the K * info_samples generated images, so the
weight compares with per-image nats: 5 means "classifying a generated image back costs as much as 5 nats of
reconstruction". The original's weight 100 multiplied a per-sample mean against a batch SUM of ~128 images of
~150 nats (and double-softmax gradients are squashed), so it is not a number to copy. Its gradient reaches the
decoder (generated images) and the encoder's trunk and cluster head.

Optional balance term (not in the paper; ``balance_weight`` > 0, default 0): KL(mean_batch q(c|x) || Uniform(K)),
which penalises putting the batch into few clusters. The ELBO's per-image KL(q(c|x) || U) does not prevent that
collapse (it only softens each assignment); with a widely separated prior (lambda = 4) the data fell into 3 clusters.

Optional mutual-information term (not in the paper; ``mi_weight`` > 0, default 0): draw two random affine views
of every image (``AUGMENT``: up to 20 degrees, 15 % scale, 2.8 pixels shift), and maximise I(c; c') of the joint
distribution of their cluster assignments over the batch (``view_mutual_information``, the objective of IIC, Ji et
al. 2019): loss -= mi_weight * I. I is at most log K, reached when both views of every image go confidently to the
same cluster and the clusters are equally full, so the term asks the cluster head for assignments that survive
small rotations, scalings and shifts, which a partition by slant or width need not.

Optional VAT term (not in the paper; ``vat_weight`` > 0, default 0): IMSAT's self-augmented training of the cluster
head (Hu et al. 2017; ``utils.vat``): loss += vat_weight * KL(q(c|x) || q(c|x + r_adv)), where r_adv is the
perturbation of radius ``vat_radius`` times the image's distance to its 10th nearest training image that changes
q(c|x) most (one power iteration; the distances are computed once per run, 86-92 s for 60,000 images with one
thread). It asks for clusters that are constant over each image's neighbourhood in pixel space, so the partition
follows the dense regions of the data. Together with ``balance_weight`` (IMSAT's marginal-entropy term) and ``batch_norm``
(batch normalisation after the trunk's linear layer, as IMSAT's network has) it is the recipe in the README. In
training mode every pass updates the batch norm's running statistics, the perturbed and generated images' passes
too (as in IMSAT's code); evaluation uses them.

Fixed bugs of the original: dropout is an ``nn.Dropout`` (off in eval mode); the entropy term uses log_softmax
(no log(q + 0.001)); one softmax in the info term; every loss has a documented reduction.
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.seq import make_optimizer, make_scheduler
from utils.augment import random_affine
from utils.catvae_figures import interpolation, lambda_traversal, latent_pca, reconstructions, samples_by_cluster
from utils.errors import UserError
from utils.io import run_dir, save_json
from utils.metrics import clustering_metrics, majority_labels
from utils.plots import class_names
from utils.progress import log
from utils.runtime import seed_everything
from utils.training import fit
from utils.vat import radii, vat_loss

CATVAE_KIND = "catvae"
VARIANTS = {"catvae": "CatVAE", "infocatvae": "InfoCatVAE"}
RECONSTRUCTIONS = ("expected", "mixture")
AUGMENT = {"rotation": 20.0, "scale": 0.15, "shift": 0.2}  # the views of the mi term (utils.augment.random_affine)


# ----------------------------------------------------------------------------- prior and closed-form KLs
def prior_means(n_clusters: int, sub_dim: int, scale: float) -> torch.Tensor:
    """(K, K*delta) matrix whose row c is lambda on the coordinates [c*delta, (c+1)*delta) and 0 elsewhere."""
    means = torch.zeros(n_clusters, n_clusters * sub_dim)
    for c in range(n_clusters):
        means[c, c * sub_dim:(c + 1) * sub_dim] = scale
    return means


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor, prior_mu: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag exp(logvar)) || N(prior_mu, I)), summed over the last dimension (broadcasts)."""
    return 0.5 * (logvar.exp() + (mu - prior_mu).pow(2) - 1.0 - logvar).sum(-1)


def view_mutual_information(logits_a: torch.Tensor, logits_b: torch.Tensor) -> torch.Tensor:
    """I(c; c') in nats of the joint P = mean over the batch of q(c|view a) q(c'|view b)^T, symmetrised (IIC).

    log K when both views of every image go confidently to the same cluster and the batch fills all K evenly; 0
    when the two assignments are independent (e.g. every q uniform, or all images in one cluster)."""
    joint = F.softmax(logits_a, 1).t() @ F.softmax(logits_b, 1) / len(logits_a)
    joint = ((joint + joint.t()) / 2).clamp_min(1e-12)
    marginal = joint.sum(1)
    return (joint * (joint.log() - marginal.log().unsqueeze(1) - marginal.log().unsqueeze(0))).sum()


def categorical_kl_uniform(log_q: torch.Tensor) -> torch.Tensor:
    """KL(q || Uniform(K)) = sum_c q_c log q_c + log K for log-probabilities (..., K); 0 for a uniform q."""
    return (log_q.exp() * log_q).sum(-1) + math.log(log_q.shape[-1])


# ----------------------------------------------------------------------------- the model
class CatVAE(nn.Module):
    """CatVAE (``variant="catvae"``) or InfoCatVAE (``variant="infocatvae"``): same network, the loss differs."""

    def __init__(self, variant: str = "infocatvae", n_clusters: int = 10, sub_dim: int = 2, scale: float = 2.0,
                 hidden: int = 400, dropout: float = 0.25, in_dim: int = 784, reconstruction: str = "expected",
                 info_weight: float = 5.0, info_samples: int = 10, balance_weight: float = 0.0,
                 mi_weight: float = 0.0, batch_norm: bool = False, vat_weight: float = 0.0, vat_radius: float = 0.25):
        super().__init__()
        if variant not in VARIANTS:
            raise UserError(f"unknown variant {variant!r} (use {', '.join(VARIANTS)})")
        if reconstruction not in RECONSTRUCTIONS:
            raise UserError(f"unknown reconstruction {reconstruction!r} (use {' or '.join(RECONSTRUCTIONS)})")
        if n_clusters < 2 or sub_dim < 1 or hidden < 1 or not 0 <= dropout < 1 or info_samples < 1:
            raise UserError(f"need clusters >= 2, sub_dim >= 1, hidden >= 1, 0 <= dropout < 1, info_samples >= 1; "
                            f"got {n_clusters}, {sub_dim}, {hidden}, {dropout}, {info_samples}")
        if vat_weight < 0 or vat_radius <= 0:
            raise UserError(f"need vat_weight >= 0 and vat_radius > 0; got {vat_weight}, {vat_radius}")
        if mi_weight > 0 and in_dim != 28 * 28:
            raise UserError(f"mi_weight > 0 augments 28x28 images (in_dim 784); got in_dim {in_dim}")
        self.variant, self.variant_name, self.reconstruction = variant, VARIANTS[variant], reconstruction
        self.n_clusters, self.sub_dim, self.latent_dim, self.hidden = n_clusters, sub_dim, n_clusters * sub_dim, hidden
        self.info_weight = float(info_weight) if variant == "infocatvae" else 0.0
        self.info_samples, self.balance_weight, self.mi_weight = info_samples, float(balance_weight), float(mi_weight)
        self.vat_weight, self.vat_radius = float(vat_weight), float(vat_radius)
        self.config = {"variant": variant, "n_clusters": n_clusters, "sub_dim": sub_dim, "scale": float(scale),
                       "hidden": hidden, "dropout": float(dropout), "in_dim": in_dim, "reconstruction": reconstruction,
                       "info_weight": self.info_weight, "info_samples": info_samples,
                       "balance_weight": self.balance_weight, "mi_weight": self.mi_weight,
                       "batch_norm": bool(batch_norm),
                       "vat_weight": self.vat_weight, "vat_radius": self.vat_radius}
        self.register_buffer("prior_mu", prior_means(n_clusters, sub_dim, scale))
        # encoder
        self.fc = nn.Linear(in_dim, hidden)
        self.norm = nn.BatchNorm1d(hidden) if batch_norm else nn.Identity()
        self.drop = nn.Dropout(dropout)
        self.cluster_head = nn.Linear(hidden, n_clusters)
        self.mu_head = nn.Linear(hidden + n_clusters, self.latent_dim)      # on [h ; one_hot(c)]
        self.logvar_head = nn.Linear(hidden + n_clusters, self.latent_dim)
        # decoder
        self.decoder = nn.Sequential(nn.Linear(self.latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, in_dim))

    @classmethod
    def from_config(cls, config: dict) -> "CatVAE":
        return cls(**config)

    # --- encoder
    def trunk(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(F.relu(self.norm(self.fc(x.flatten(1)))))

    def _per_cluster(self, head: nn.Linear, h: torch.Tensor) -> torch.Tensor:
        """``head`` applied to [h ; e_c] for every c at once: (K, B, d)."""
        shared = F.linear(h, head.weight[:, :self.hidden], head.bias)     # (B, d)
        offsets = head.weight[:, self.hidden:].t()                         # (K, d): column c of the one-hot part
        return shared.unsqueeze(0) + offsets.unsqueeze(1)

    def encode(self, x: torch.Tensor):
        """Cluster logits (B, K) and the per-cluster Gaussians' mu, logvar (K, B, d)."""
        h = self.trunk(x)
        return self.cluster_head(h), self._per_cluster(self.mu_head, h), self._per_cluster(self.logvar_head, h)

    def cluster_logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.cluster_head(self.trunk(x))

    # --- decoder
    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Pixel logits (B, 784) of codes z (B, d)."""
        return self.decoder(z)

    @staticmethod
    def sample_gaussian(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        return mu + torch.randn_like(mu) * (0.5 * logvar).exp()

    # --- losses
    def elbo_terms(self, x: torch.Tensor) -> dict:
        """The negative ELBO's terms, each summed over pixels / latent dimensions, as (B,) tensors."""
        logits, mu, logvar = self.encode(x)
        log_q = F.log_softmax(logits, dim=1)
        q_t = log_q.exp().t()                                              # (K, B)
        target = x.flatten(1)
        if self.reconstruction == "expected":
            z = self.sample_gaussian(mu, logvar)                           # (K, B, d)
            pix = self.decoder(z)                                          # (K, B, 784)
            bce = F.binary_cross_entropy_with_logits(pix, target.expand_as(pix), reduction="none").sum(-1)
            recon = (q_t * bce).sum(0)
        else:
            z = self.sample_gaussian((q_t.unsqueeze(-1) * mu).sum(0), (q_t.unsqueeze(-1) * logvar).sum(0))
            recon = F.binary_cross_entropy_with_logits(self.decoder(z), target, reduction="none").sum(-1)
        kl_z = (q_t * gaussian_kl(mu, logvar, self.prior_mu.unsqueeze(1))).sum(0)
        kl_c = categorical_kl_uniform(log_q)
        return {"recon": recon, "kl_z": kl_z, "kl_c": kl_c, "log_q": log_q, "logits": logits}

    def info_term(self, n_per_cluster: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """-mean log q(c | decode(z)), z ~ N(mu_c, I), over n_per_cluster images per cluster; and the hit rate.

        Sample i belongs to cluster i mod K. Nothing is detached: the gradient reaches decoder and encoder.
        """
        n = n_per_cluster or self.info_samples
        labels = torch.arange(self.n_clusters, device=self.prior_mu.device).repeat(n)
        z = self.prior_mu[labels] + torch.randn(len(labels), self.latent_dim, device=labels.device)
        logits = self.cluster_logits(torch.sigmoid(self.decoder(z)))
        return F.cross_entropy(logits, labels), (logits.argmax(1) == labels).float().mean()

    def loss(self, x: torch.Tensor, vat_eps: torch.Tensor | None = None) -> dict:
        """Training objective and its terms, in nats per image (mean over the batch). ``vat_eps``: the VAT radius of
        each image, (B,) (``vat_radius`` times its distance to the 10th nearest training image; needed when
        ``vat_weight`` > 0)."""
        terms = self.elbo_terms(x)
        out = {k: terms[k].mean() for k in ("recon", "kl_z", "kl_c")}
        out["loss"] = out["recon"] + out["kl_z"] + out["kl_c"]
        if self.balance_weight > 0:
            out["balance"] = categorical_kl_uniform(terms["log_q"].logsumexp(0) - math.log(len(x)))
            out["loss"] = out["loss"] + self.balance_weight * out["balance"]
        if self.mi_weight > 0:
            views = [self.cluster_logits(random_affine(x.reshape(len(x), 1, 28, 28), **AUGMENT)) for _ in range(2)]
            out["mi"] = view_mutual_information(*views)
            out["loss"] = out["loss"] - self.mi_weight * out["mi"]
        if self.vat_weight > 0:
            if vat_eps is None:
                raise ValueError("vat_weight > 0 needs the per-image radii vat_eps")
            out["vat"] = vat_loss(self.cluster_logits, x, vat_eps, logits=terms["logits"])
            out["loss"] = out["loss"] + self.vat_weight * out["vat"]
        if self.info_weight > 0:
            info, hit = self.info_term()
            out["loss"] = out["loss"] + self.info_weight * info
            out["info"], out["info_acc"] = info, hit.detach()
        return out

    # --- inference (eval mode, no gradient, in batches, results on the CPU)
    @torch.inference_mode()
    def _batched(self, fn, x: torch.Tensor, batch_size: int):
        was_training = self.training
        self.eval()
        device = self.prior_mu.device
        try:
            return [fn(part.to(device)) for part in x.split(batch_size)]
        finally:
            self.train(was_training)

    def cluster_probs(self, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        """q(c|x), (N, K)."""
        return torch.cat(self._batched(lambda b: F.softmax(self.cluster_logits(b), 1).cpu(), x, batch_size))

    def codes(self, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        """Posterior mean E[z|x] = sum_c q(c|x) mu_c(x), (N, d)."""
        def fn(b):
            logits, mu, _ = self.encode(b)
            return (F.softmax(logits, 1).t().unsqueeze(-1) * mu).sum(0).cpu()
        return torch.cat(self._batched(fn, x, batch_size))

    def reconstruct(self, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        """Images in [0, 1]: decode the mean of the most likely cluster's Gaussian ("expected") or of the
        soft-assignment Gaussian ("mixture")."""
        def fn(b):
            logits, mu, _ = self.encode(b)
            if self.reconstruction == "expected":
                z = mu[logits.argmax(1), torch.arange(len(b), device=b.device)]
            else:
                z = (F.softmax(logits, 1).t().unsqueeze(-1) * mu).sum(0)
            return torch.sigmoid(self.decoder(z)).cpu()
        return torch.cat(self._batched(fn, x, batch_size)).view(-1, 1, 28, 28)

    def decode(self, z: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        """Images in [0, 1] (N, 1, 28, 28) for codes z (N, d)."""
        return torch.cat(self._batched(lambda b: torch.sigmoid(self.decoder(b.float())).cpu(), z, batch_size)
                         ).view(-1, 1, 28, 28)

    @torch.inference_mode()
    def test_elbo(self, x: torch.Tensor, batch_size: int = 1000) -> dict:
        """Mean negative-ELBO terms per image on ``x`` (eval mode, one Monte-Carlo sample per cluster)."""
        sums = {"recon": 0.0, "kl_z": 0.0, "kl_c": 0.0}
        for part in self._batched(lambda b: {k: float(v.sum()) for k, v in self.elbo_terms(b).items()
                                             if k not in ("log_q", "logits")}, x, batch_size):
            for k in sums:
                sums[k] += part[k]
        out = {k: v / len(x) for k, v in sums.items()}
        out["neg_elbo"] = out["recon"] + out["kl_z"] + out["kl_c"]
        return out


# ----------------------------------------------------------------------------- training and evaluation
def vat_radii(model: CatVAE, x: torch.Tensor, desc: str = "") -> torch.Tensor | None:
    """Per training image, vat_radius times its distance to its 10th nearest training image; None without VAT."""
    return radii(x, model.vat_radius, desc=desc) if model.vat_weight > 0 else None


def train_catvae(model: CatVAE, x: torch.Tensor, *, epochs: int, batch_size: int, lr: float, schedule: str,
                 seed: int, checkpoint: Path, resume: bool, progress: bool, desc: str,
                 extra: dict | None = None, vat_eps: torch.Tensor | None = None) -> list[dict]:
    """Adam on the model's loss, checkpointed every epoch by utils.training.fit (kind "catvae"). ``vat_eps``: the
    per-image VAT radii of ``vat_radii`` (computed here if the model has a VAT term and none are given)."""
    device = model.prior_mu.device
    optimizer = make_optimizer(model, lr, device)
    scheduler = make_scheduler(optimizer, schedule, lr, epochs * max(len(x) // batch_size, 1))
    eps = vat_eps if vat_eps is not None or epochs == 0 else vat_radii(model, x, desc)
    return fit(model, optimizer, lambda idx: model.loss(x[idx], None if eps is None else eps[idx]), len(x),
               epochs=epochs, batch_size=batch_size, seed=seed, checkpoint=checkpoint, kind=CATVAE_KIND,
               model_config=model.config, scheduler=scheduler,
               resume=resume, progress=progress, desc=desc, extra=extra)


def evaluate(model: CatVAE, x: torch.Tensor, y: torch.Tensor, *, batch_size: int = 1000,
             generated_per_cluster: int = 100) -> dict:
    """Clustering of argmax q(c|x) against the labels, test ELBO terms, occupancy, the generated-image check.

    Labels are used only to score; nothing here selects a model.
    """
    probs = model.cluster_probs(x, batch_size)
    clusters = probs.argmax(1).numpy()
    labels = y.cpu().numpy()
    scores = clustering_metrics(labels, clusters)
    k = model.n_clusters
    counts = np.bincount(clusters, minlength=k)
    marginal = probs.mean(0)
    with torch.inference_mode():
        was_training = model.training
        model.eval()
        info, hit = model.info_term(generated_per_cluster)
        model.train(was_training)
    return {
        "clustering_accuracy": scores["hungarian_accuracy"],
        "majority_accuracy": scores["majority_accuracy"],
        "nmi": scores["nmi"], "ari": scores["ari"],
        "test_elbo": model.test_elbo(x, batch_size),
        "occupancy": {
            "counts": counts.tolist(),
            "fractions": (counts / max(len(clusters), 1)).tolist(),
            "clusters_used": int((counts > 0).sum()),
            "mean_q": marginal.tolist(),
            "entropy_of_mean_q_nats": float(-(marginal * marginal.clamp_min(1e-12).log()).sum()),
            "mean_max_q": float(probs.max(1).values.mean()),
            "majority_label": majority_labels(labels, clusters, k).tolist(),
        },
        # label-free: are images generated from mode c classified back to c? (the info term at eval time)
        "generated": {"nll": float(info), "accuracy": float(hit), "per_cluster": generated_per_cluster},
    }


# ----------------------------------------------------------------------------- one run of main_catvae.py
def model_from_config(cfg: dict, variant: str) -> CatVAE:
    """The model that the script's hyperparameters describe."""
    return CatVAE(variant=variant, n_clusters=cfg["clusters"], sub_dim=cfg["sub_dim"], scale=cfg["prior_scale"],
                  hidden=cfg["hidden"], dropout=cfg["dropout"], reconstruction=cfg["reconstruction"],
                  info_weight=cfg["info_weight"], info_samples=cfg["info_samples"],
                  balance_weight=cfg["balance_weight"], mi_weight=cfg["mi_weight"], batch_norm=cfg["batch_norm"],
                  vat_weight=cfg["vat_weight"], vat_radius=cfg["vat_radius"])


def run_catvae(cfg: dict, tag: str, variant: str, seed: int, xtr, xte, yte, device, source: str) -> dict:
    """Train one (data set, variant, seed), then write metrics.json and the figures to its run folder."""
    t0 = time.perf_counter()
    run = run_dir(cfg["out_dir"], "catvae", tag, variant, f"seed-{seed}")
    save_json(run / "config.json", {**cfg, "dataset": tag, "variant": variant, "seed": seed, "data_source": source,
                                    "device_used": str(device)})
    seed_everything(seed)
    model = model_from_config(cfg, variant).to(device)
    desc = f"{tag} {VARIANTS[variant]} seed {seed}"
    t1 = time.perf_counter()
    eps = vat_radii(model, xtr, desc)
    radii_seconds = time.perf_counter() - t1
    history = train_catvae(model, xtr, epochs=cfg["epochs"], batch_size=cfg["batch_size"], lr=cfg["lr"],
                           schedule=cfg["schedule"], seed=seed, checkpoint=run / "model.pt", resume=cfg["resume"],
                           progress=cfg["progress"], desc=desc, extra={"dataset": tag}, vat_eps=eps)
    train_seconds = time.perf_counter() - t0

    seed_everything(seed)  # the Monte-Carlo test ELBO and the generated images do not depend on a resume
    metrics = evaluate(model, xte, yte, batch_size=cfg["eval_batch_size"])
    names = class_names(tag)
    occ = metrics["occupancy"]
    majority, counts = occ["majority_label"], occ["counts"]
    figures = [
        samples_by_cluster(model, run / "samples_by_cluster.png", cfg["samples_per_cluster"], majority, names, counts,
                           seed),
        interpolation(model, run / "interpolation.png", cfg["interpolation_steps"], majority, names, counts),
        lambda_traversal(model, run / "lambda_traversal.png", cfg["traversal_max"], cfg["traversal_steps"], majority,
                         names, counts),
        reconstructions(xte[:12].cpu(), model.reconstruct(xte[:12]), run / "reconstructions.png",
                        f"{VARIANTS[variant]}: test images (top) and reconstructions (bottom)"),
        latent_pca(model.codes(xte, cfg["eval_batch_size"]), yte.cpu().numpy(), model.prior_mu, run / "latent_pca.png",
                   names, f"{VARIANTS[variant]} on {tag}: PCA of the test codes E[z|x], coloured by true label",
                   max_points=cfg["pca_points"], seed=seed),
    ]
    metrics = {"dataset": tag, "variant": variant, "model": VARIANTS[variant], "seed": seed, **metrics,
               "history": history, "model_config": model.config,
               "seconds": {"train": train_seconds, "train_epochs_sum": sum(h["seconds"] for h in history),
                           "vat_radii": radii_seconds if eps is not None else 0.0,
                           "total": time.perf_counter() - t0},
               "n_train": len(xtr), "n_test": len(xte), "device": str(device), "checkpoint_kind": CATVAE_KIND,
               "figures": [p.name for p in figures]}
    save_json(run / "metrics.json", metrics)
    log(f"{desc}: clustering accuracy {100 * metrics['clustering_accuracy']:.2f}%, NMI {metrics['nmi']:.3f}, "
        f"ARI {metrics['ari']:.3f}, test -ELBO {metrics['test_elbo']['neg_elbo']:.1f} nats, "
        f"{occ['clusters_used']}/{model.n_clusters} clusters used ({time.perf_counter() - t0:.0f} s); {run}")
    return metrics


def summarize(out_dir: str) -> dict:
    """Mean and spread over seeds of every finished run under <out_dir>/catvae/<dataset>/<variant>/seed-*/."""
    table: dict = {}
    for path in sorted(Path(out_dir, "catvae").glob("*/*/seed-*/metrics.json")):
        m = json.loads(path.read_text())
        table.setdefault(m["dataset"], {}).setdefault(m["variant"], []).append(m)
    summary = {}
    for ds, variants in table.items():
        for variant, runs in variants.items():
            acc = np.array([r["clustering_accuracy"] for r in runs])
            summary.setdefault(ds, {})[variant] = {
                "seeds": [r["seed"] for r in runs],
                "clustering_accuracy": acc.tolist(),
                "clustering_accuracy_mean": float(acc.mean()),
                "clustering_accuracy_std": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
                "nmi_mean": float(np.mean([r["nmi"] for r in runs])),
                "ari_mean": float(np.mean([r["ari"] for r in runs])),
                "neg_elbo_mean": float(np.mean([r["test_elbo"]["neg_elbo"] for r in runs])),
            }
    return summary


def summary_lines(summary: dict) -> str:
    lines = [f"{'data set':<14} {'model':<11} {'seeds':>5}  {'accuracy (mean +- std)':<24} {'NMI':>6} {'ARI':>6}"]
    for ds, variants in summary.items():
        for variant, s in variants.items():
            lines.append(f"{ds:<14} {VARIANTS.get(variant, variant):<11} {len(s['seeds']):>5}  "
                         f"{100 * s['clustering_accuracy_mean']:6.2f}% +- {100 * s['clustering_accuracy_std']:5.2f}"
                         f"{'':<9} {s['nmi_mean']:6.3f} {s['ari_mean']:6.3f}")
    return "\n".join(lines)
