"""CatVAE and InfoCatVAE (Pineau & Lelarge, arXiv 1806.08240; docs/originals.md section 2), one model with a switch.

Prior. A fixed, uniform mixture of K isotropic unit Gaussians, p(c) = 1/K, p(z|c) = N(mu_c, I), in d = K * delta
dimensions. Cluster c owns the delta coordinates [c*delta, (c+1)*delta), where its mean equals lambda (0 elsewhere):
the means are orthogonal, ||mu_c|| = lambda * sqrt(delta) and ||mu_a - mu_b|| = lambda * sqrt(2 * delta).

Encoder (the spec's MLP). h = Dropout(ReLU(Linear 784->400 (x))) (``batch_norm``: a BatchNorm1d before the ReLU);
q(c|x) = softmax(Linear 400->K (h)); for every c a Gaussian q(z|x,c) = N(mu_c(x), diag exp(logvar_c(x))) from two
shared linear maps on [h ; one_hot(c)]. A linear map of [h ; e_c] is W_h h + b + W_e[:, c], so all K are computed
from one matrix product plus a per-cluster offset. Decoder: Linear d->400, ReLU, Linear 400->784 (logits).

Negative ELBO, in nats per image (summed over pixels and latent dimensions, averaged over the batch):

    recon = E_{q(c|x)} E_{q(z|x,c)} [-log p(x|z)]          (Bernoulli BCE summed over the 784 pixels)
    kl_z  = sum_c q(c|x) KL(q(z|x,c) || N(mu_c, I))        (closed form, summed over the d dimensions)
    kl_c  = KL(q(c|x) || Uniform(K)) = sum_c q log q + log K
    loss  = recon + kl_weight * kl_z + kl_c  [+ info_weight * info]  [+ balance_weight * balance]  [- mi_weight * mi]
            [+ vat_weight * vat]  [+ mmd_weight * mmd]

``kl_weight`` (1 = the ELBO, the paper's) weighs kl_z in training only (a beta-VAE's weight, not in the paper): above 1
it pulls each cluster's codes toward its prior mode, so that more of the mode's prior samples fall where the decoder
was trained. The test -ELBO is always the unweighted one.

``reconstruction="expected"`` (default) is the paper's ELBO: one reparameterised sample from each cluster's Gaussian,
K decoder passes, BCEs weighted by q(c|x); it rewards the cluster head for putting its mass on the cluster whose
branch reconstructs best. ``reconstruction="mixture"`` is the original code's shortcut: one sample of the Gaussian
whose parameters are the linear maps applied to [h ; q(c|x)].

Information term (InfoCatVAE only): decode ``info_samples`` codes z ~ N(mu_c, I) per cluster, re-encode, and
minimise info = -mean log q(c | x_generated), a proper negative log-likelihood (the original fed softmax
probabilities into a second softmax and weighed a per-sample mean against a batch sum, so its weight 100 is not a
number to copy: here the weight compares with per-image nats).

Optional terms, not in the paper (weight 0 = off): ``balance_weight`` KL(batch mean of q(c|x) || Uniform(K))
against collapse into few clusters; ``mi_weight`` I(c; c') of two random affine views (``AUGMENT``), the objective
of IIC; ``vat_weight`` IMSAT's virtual adversarial training of the cluster head (models/vat.py), with radii that
the caller computes once per run; ``mmd_weight`` the maximum mean discrepancy between the batch's codes, each taken
from its most likely cluster's Gaussian and measured from that cluster's prior mean, and standard normal samples (the
aggregate-posterior term of InfoVAE / WAE, Zhao et al. 2017, Tolstikhin et al. 2018): the kl_z term pulls each
image's Gaussian toward its mode, this one the cloud of the codes toward N(mu_c, I), where the prior's samples are
drawn; ``mmd_match="pooled"`` compares all modes' codes at once (their mixture), ``"mode"`` each mode's codes with
its own Gaussian. In training mode every pass updates the batch norm's running statistics (the
perturbed and generated images' passes too, as in IMSAT's code).

Fixed bugs of the original (docs/originals.md 2.7): dropout is an ``nn.Dropout`` (off in eval mode); the entropy
term uses log_softmax (no log(q + 0.001)); one softmax in the info term; every loss has a documented reduction.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from models.vat import vat_loss
from utils.augment import random_affine
from utils.errors import UserError

CATVAE_KIND = "catvae"
VARIANTS = {"catvae": "CatVAE", "infocatvae": "InfoCatVAE"}
RECONSTRUCTIONS = ("expected", "mixture")
MMD_MATCHES = ("pooled", "mode")
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


def imq_mmd(a: torch.Tensor, b: torch.Tensor, groups: torch.Tensor | None = None,
            scales=(0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)) -> torch.Tensor:
    """Unbiased estimate of MMD^2 between the samples ``a`` and ``b`` (n, d each) with the inverse multiquadratic
    kernel k(u, v) = C / (C + ||u - v||^2), summed over C = 2 d s for each s in ``scales`` (WAE's choice around a
    unit-variance Gaussian). Its expectation is 0 when both come from one distribution, positive otherwise. With
    ``groups`` (n integer labels, a[i] and b[i] in group groups[i]): each group's own estimate, averaged over the groups
    of at least two members, weighted by their sizes (0 in expectation only if every group's two samples match)."""
    n, d = a.shape
    sq = torch.cdist(torch.cat([a, b]), torch.cat([a, b])).pow(2)
    k = sum(2 * d * s / (2 * d * s + sq) for s in scales)
    within = (k[:n, :n] + k[n:, n:]) * (1.0 - torch.eye(n, device=a.device, dtype=k.dtype))   # i != j
    if groups is None:
        return within.sum() / (n * (n - 1)) - 2 * k[:n, n:].mean()
    member = F.one_hot(groups).to(k.dtype)                                 # (n, G)
    size = member.sum(0)
    kept = size >= 2
    same = (member.t() @ within @ member).diagonal()[kept] / (size * (size - 1))[kept]
    cross = (member.t() @ k[:n, n:] @ member).diagonal()[kept] / size[kept] ** 2
    return ((same - 2 * cross) * size[kept]).sum() / size[kept].sum()


def categorical_kl_uniform(log_q: torch.Tensor) -> torch.Tensor:
    """KL(q || Uniform(K)) = sum_c q_c log q_c + log K for log-probabilities (..., K); 0 for a uniform q."""
    return (log_q.exp() * log_q).sum(-1) + math.log(log_q.shape[-1])


# ----------------------------------------------------------------------------- the model
class CatVAE(nn.Module):
    """CatVAE (``variant="catvae"``) or InfoCatVAE (``variant="infocatvae"``): same network, the loss differs."""

    # config keys that came after checkpoints were written, with the value that rebuilds those checkpoints' model
    # (utils.training.fit fills them in before it compares a checkpoint's config with the model's)
    ADDED_CONFIG = {"kl_weight": 1.0, "encoder_layers": 1, "mmd_weight": 0.0, "mmd_match": "pooled",
                    "decoder_cluster": False}

    def __init__(self, variant: str = "infocatvae", n_clusters: int = 10, sub_dim: int = 2, scale: float = 2.0,
                 hidden: int = 400, dropout: float = 0.25, in_dim: int = 784, reconstruction: str = "expected",
                 info_weight: float = 1.0, info_samples: int = 10, balance_weight: float = 0.0,
                 mi_weight: float = 0.0, batch_norm: bool = False, vat_weight: float = 0.0, vat_radius: float = 0.25,
                 kl_weight: float = 1.0, encoder_layers: int = 1, mmd_weight: float = 0.0,
                 mmd_match: str = "pooled", decoder_cluster: bool = False):
        super().__init__()
        if variant not in VARIANTS:
            raise UserError(f"unknown variant {variant!r} (use {', '.join(VARIANTS)})")
        if reconstruction not in RECONSTRUCTIONS:
            raise UserError(f"unknown reconstruction {reconstruction!r} (use {' or '.join(RECONSTRUCTIONS)})")
        if (n_clusters < 2 or sub_dim < 1 or hidden < 1 or not 0 <= dropout < 1 or info_samples < 1
                or encoder_layers < 1):
            raise UserError(f"need clusters >= 2, sub_dim >= 1, hidden >= 1, 0 <= dropout < 1, info_samples >= 1, "
                            f"encoder_layers >= 1; got {n_clusters}, {sub_dim}, {hidden}, {dropout}, {info_samples}, "
                            f"{encoder_layers}")
        if vat_weight < 0 or vat_radius <= 0 or kl_weight <= 0 or mmd_weight < 0:
            raise UserError(f"need vat_weight >= 0, vat_radius > 0, kl_weight > 0 and mmd_weight >= 0; got "
                            f"{vat_weight}, {vat_radius}, {kl_weight}, {mmd_weight}")
        if mmd_match not in MMD_MATCHES:
            raise UserError(f"unknown mmd_match {mmd_match!r} (use {' or '.join(MMD_MATCHES)})")
        if mi_weight > 0 and in_dim != 28 * 28:
            raise UserError(f"mi_weight > 0 augments 28x28 images (in_dim 784); got in_dim {in_dim}")
        self.variant, self.variant_name, self.reconstruction = variant, VARIANTS[variant], reconstruction
        self.n_clusters, self.sub_dim, self.latent_dim, self.hidden = n_clusters, sub_dim, n_clusters * sub_dim, hidden
        self.info_weight = float(info_weight) if variant == "infocatvae" else 0.0
        self.info_samples, self.balance_weight, self.mi_weight = info_samples, float(balance_weight), float(mi_weight)
        self.vat_weight, self.vat_radius, self.kl_weight = float(vat_weight), float(vat_radius), float(kl_weight)
        self.mmd_weight, self.mmd_match = float(mmd_weight), mmd_match
        self.decoder_cluster = bool(decoder_cluster)
        self.config = {"variant": variant, "n_clusters": n_clusters, "sub_dim": sub_dim, "scale": float(scale),
                       "hidden": hidden, "dropout": float(dropout), "in_dim": in_dim, "reconstruction": reconstruction,
                       "info_weight": self.info_weight, "info_samples": info_samples,
                       "balance_weight": self.balance_weight, "mi_weight": self.mi_weight,
                       "batch_norm": bool(batch_norm),
                       "vat_weight": self.vat_weight, "vat_radius": self.vat_radius, "kl_weight": self.kl_weight,
                       "encoder_layers": encoder_layers, "mmd_weight": self.mmd_weight,
                       "mmd_match": mmd_match, "decoder_cluster": self.decoder_cluster}
        self.register_buffer("prior_mu", prior_means(n_clusters, sub_dim, scale))
        # encoder
        self.fc = nn.Linear(in_dim, hidden)
        self.norm = nn.BatchNorm1d(hidden) if batch_norm else nn.Identity()
        # hidden layers beyond the paper's one (encoder_layers > 1), each as the first: linear, batch norm, ReLU
        self.deeper = nn.Sequential(*[nn.Sequential(nn.Linear(hidden, hidden),
                                                    nn.BatchNorm1d(hidden) if batch_norm else nn.Identity(), nn.ReLU())
                                      for _ in range(encoder_layers - 1)])
        self.drop = nn.Dropout(dropout)
        self.cluster_head = nn.Linear(hidden, n_clusters)
        self.mu_head = nn.Linear(hidden + n_clusters, self.latent_dim)      # on [h ; one_hot(c)]
        self.logvar_head = nn.Linear(hidden + n_clusters, self.latent_dim)
        # decoder: p(x|z), or p(x|z, c) on [z ; one_hot(c)] with decoder_cluster (Kingma et al.'s M2 decodes so)
        self.decoder = nn.Sequential(nn.Linear(self.latent_dim + (n_clusters if decoder_cluster else 0), hidden),
                                     nn.ReLU(), nn.Linear(hidden, in_dim))

    @classmethod
    def from_config(cls, config: dict) -> "CatVAE":
        return cls(**config)

    # --- encoder
    def trunk(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.deeper(F.relu(self.norm(self.fc(x.flatten(1))))))

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
    def decoder_input(self, z: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        """What the decoder reads for codes z (..., d) of clusters c: z alone, or with ``decoder_cluster`` [z ; c],
        c given as indices (...) or as weights over the clusters (..., K), e.g. a soft assignment."""
        if not self.decoder_cluster:
            return z
        if c is None:
            raise ValueError("a decoder that reads the cluster (decoder_cluster) needs each code's cluster")
        weights = c if c.is_floating_point() else F.one_hot(c, self.n_clusters)
        return torch.cat([z, weights.to(z.dtype).expand(*z.shape[:-1], self.n_clusters)], -1)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        """Pixel logits (B, 784) of codes z (B, d) of clusters c (read with ``decoder_cluster`` only)."""
        return self.decoder(self.decoder_input(z, c))

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
            pix = self(z, torch.arange(self.n_clusters, device=z.device)[:, None])   # (K, B, 784): branch c
            bce = F.binary_cross_entropy_with_logits(pix, target.expand_as(pix), reduction="none").sum(-1)
            recon = (q_t * bce).sum(0)
        else:
            z = self.sample_gaussian((q_t.unsqueeze(-1) * mu).sum(0), (q_t.unsqueeze(-1) * logvar).sum(0))
            recon = F.binary_cross_entropy_with_logits(self(z, q_t.t()), target, reduction="none").sum(-1)
        kl_z = (q_t * gaussian_kl(mu, logvar, self.prior_mu.unsqueeze(1))).sum(0)
        kl_c = categorical_kl_uniform(log_q)
        return {"recon": recon, "kl_z": kl_z, "kl_c": kl_c, "log_q": log_q, "logits": logits, "mu": mu,
                "logvar": logvar}

    def mmd_term(self, logits: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """MMD^2 (imq_mmd) between z - mu_c, z ~ q(z|x, c) of each image's most likely cluster c, and as many
        N(0, I) samples, all at once (``mmd_match="pooled"``: 0 in expectation when the modes' codes together fill
        their Gaussians) or mode by mode (``"mode"``: 0 when each mode's codes fill N(mu_c, I), the prior's mode)."""
        c = logits.argmax(1)
        rows = torch.arange(len(c), device=c.device)
        residual = self.sample_gaussian(mu[c, rows], logvar[c, rows]).float() - self.prior_mu[c]
        return imq_mmd(residual, torch.randn_like(residual), c if self.mmd_match == "mode" else None)

    def info_term(self, n_per_cluster: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """-mean log q(c | decode(z)), z ~ N(mu_c, I), over n_per_cluster images per cluster; and the hit rate.

        Sample i belongs to cluster i mod K. Nothing is detached: the gradient reaches decoder and encoder.
        """
        n = n_per_cluster or self.info_samples
        labels = torch.arange(self.n_clusters, device=self.prior_mu.device).repeat(n)
        z = self.prior_mu[labels] + torch.randn(len(labels), self.latent_dim, device=labels.device)
        logits = self.cluster_logits(torch.sigmoid(self(z, labels)))
        return F.cross_entropy(logits, labels), (logits.argmax(1) == labels).float().mean()

    def loss(self, x: torch.Tensor, vat_eps: torch.Tensor | None = None) -> dict:
        """Training objective and its terms, in nats per image (mean over the batch). ``vat_eps``: the VAT radius of
        each image, (B,) (``vat_radius`` times its distance to the 10th nearest training image; needed when
        ``vat_weight`` > 0)."""
        terms = self.elbo_terms(x)
        out = {k: terms[k].mean() for k in ("recon", "kl_z", "kl_c")}
        out["loss"] = out["recon"] + self.kl_weight * out["kl_z"] + out["kl_c"]
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
        if self.mmd_weight > 0:
            out["mmd"] = self.mmd_term(terms["logits"], terms["mu"], terms["logvar"])
            out["loss"] = out["loss"] + self.mmd_weight * out["mmd"]
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
                c = logits.argmax(1)
                z = mu[c, torch.arange(len(b), device=b.device)]
            else:
                c = F.softmax(logits, 1)
                z = (c.t().unsqueeze(-1) * mu).sum(0)
            return torch.sigmoid(self(z, c)).cpu()
        return torch.cat(self._batched(fn, x, batch_size)).view(-1, 1, 28, 28)

    def decode(self, z: torch.Tensor, c: torch.Tensor | None = None, batch_size: int = 1000) -> torch.Tensor:
        """Images in [0, 1] (N, 1, 28, 28) for codes z (N, d) of clusters c, indices (N,) or weights (N, K) (read
        with ``decoder_cluster`` only)."""
        inp = self.decoder_input(z.float(), c)
        return torch.cat(self._batched(lambda b: torch.sigmoid(self.decoder(b)).cpu(), inp, batch_size)
                         ).view(-1, 1, 28, 28)

    @torch.inference_mode()
    def test_elbo(self, x: torch.Tensor, batch_size: int = 1000) -> dict:
        """Mean negative-ELBO terms per image on ``x`` (eval mode, one Monte-Carlo sample per cluster)."""
        sums = {"recon": 0.0, "kl_z": 0.0, "kl_c": 0.0}
        for part in self._batched(lambda b: {k: float(v.sum()) for k, v in self.elbo_terms(b).items()
                                             if k in sums}, x, batch_size):
            for k in sums:
                sums[k] += part[k]
        out = {k: v / len(x) for k, v in sums.items()}
        out["neg_elbo"] = out["recon"] + out["kl_z"] + out["kl_c"]
        return out
