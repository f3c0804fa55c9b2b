"""Adversarial autoencoders (Makhzani et al., arXiv 1511.05644; docs/originals.md section 3): every head in one model.

An AAE is an autoencoder whose code is pushed towards a prior by a discriminator instead of a KL term. Every head
shares the same parts (docs/originals.md 3.1): an MLP encoder 784 -> 1000 -> 1000 (ReLU) with a Gaussian-style
code z and, for the heads that infer a label, a categorical code y = softmax(logits); an MLP decoder
-> 1000 -> 1000 -> 784 with tanh (images live in [-1, 1] inside the model, reconstruction loss = MSE); and
discriminators GaussianNoise(0.3) -> 1000 -> 1000 -> 1, trained with the logistic loss (prior samples = real).

The heads (``HEAD_NAMES``; the docs/originals.md variant in brackets) differ in what the decoder sees:
supervised [A] z + the true one-hot label; semi_supervised [B] y and z, a cross-entropy on the labelled images;
regularize_z [C] a 2-d z whose discriminator also sees the label, against a 10-component mixture prior;
clustering [D] y over K clusters and z, no labels; dim_reduction [E] r = W_c y + z with learned cluster heads W_c
pushed apart up to a distance eta; semi_dim_reduction [F] the same with labels and the paper's momentum SGD;
projection [G] r = 10 y + z and a separate linear map P onto a circle for the 2-d picture. docs/aae.md has more.

Every training iteration (``make_step``) runs the phases in order, each with its own forward pass, optimizer and
gradient clipping at norm 5: (1) reconstruction; (2) discriminators; (3) generator: the encoder learns to fool
them; (4) supervised cross-entropy (heads with labels); (5) the cluster-head cost or the projection fit.

Additions that are not in the paper, each a weight that 0 switches off: ``consistency_weight`` (KL(q(y|x) ||
q(y|a(x))) for a random affine a), ``balance_weight`` (KL(batch mean of q(y|x) || uniform), clustering heads),
``vat_weight`` (IMSAT's virtual adversarial training, models/vat.py), and ``augment`` (affine transforms of the
labelled minibatches); ``batch_norm`` puts a BatchNorm1d before each ReLU of the encoder (IMSAT's and VAT's
networks have it; off by default).
"""
from __future__ import annotations

import math
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from models.vat import vat_loss
from utils.augment import random_affine, random_flip
from utils.errors import UserError
from utils.training import make_optimizer

AAE_KIND = "aae"

HEAD_NAMES = ("supervised", "semi_supervised", "regularize_z", "clustering", "dim_reduction", "semi_dim_reduction",
              "projection")
CLASSIFYING = ("semi_supervised", "semi_dim_reduction", "projection")   # q(y|x) is a classifier of the labels
CLUSTERING = ("clustering", "dim_reduction")                             # q(y|x) clusters without labels
LEARNED_HEADS = ("dim_reduction", "semi_dim_reduction")                  # r = W_c y + z with learned W_c

# The paper's momentum-SGD recipe (docs/originals.md 3.7): phase -> (learning rate, momentum); the learning rates
# are divided by 10 at each milestone epoch (main_aae.py's --sgd_milestones; set_learning_rates).
SGD_RECIPE = {"rec": (0.01, 0.9), "disc": (0.1, 0.1), "gen": (0.1, 0.1), "sup": (0.1, 0.9), "heads": (0.01, 0.9)}


# ----------------------------------------------------------------------------- priors
def sample_gaussian(n: int, dim: int, generator=None, device=None) -> torch.Tensor:
    return torch.randn(n, dim, generator=generator, device=device)


def sample_categorical(n: int, k: int, generator=None, device=None) -> torch.Tensor:
    """One-hot rows of a uniform categorical distribution over ``k`` classes."""
    return F.one_hot(torch.randint(k, (n,), generator=generator, device=device), k).float()


def mixture_centres(k: int = 10, radius: float = 1.4) -> torch.Tensor:
    """Centres of the 2-d mixture prior: ``radius`` (cos r_k, sin r_k), r_k = 2 pi k / K."""
    angle = 2 * math.pi * torch.arange(k) / k
    return radius * torch.stack([angle.cos(), angle.sin()], 1)


def sample_mixture(components: torch.Tensor, k: int = 10, radius: float = 1.4, std=(0.5, 0.05),
                   generator=None) -> torch.Tensor:
    """2-d Gaussian mixture of docs/originals.md 3.4: for component k, (u, v) ~ N(0, diag(0.5^2, 0.05^2)) rotated by
    r_k = 2 pi k / K and shifted by ``radius`` (cos r_k, sin r_k): elongated blobs arranged like petals.
    ``components``: (n,) component indices."""
    n = len(components)
    uv = torch.randn(n, 2, generator=generator, device=components.device) * torch.tensor(std, device=components.device)
    angle = 2 * math.pi * components.float() / k
    cos, sin = angle.cos(), angle.sin()
    rotated = torch.stack([cos * uv[:, 0] - sin * uv[:, 1], sin * uv[:, 0] + cos * uv[:, 1]], 1)
    return rotated + radius * torch.stack([cos, sin], 1)


def circle_targets(k: int = 10, radius: float = 5.0) -> torch.Tensor:
    """Where the projection puts the cluster heads: ``radius`` (cos 36k deg, sin 36k deg) for k = 0..9."""
    return mixture_centres(k, radius)


def head_distance_cost(heads: torch.Tensor, cap: float) -> torch.Tensor:
    """-sum_{i<j} min(||h_i - h_j||, cap) over the columns of ``heads`` (dim x K): pushes pairs apart until ``cap``,
    and pairs farther than ``cap`` contribute a constant (zero gradient)."""
    diff = heads.t().unsqueeze(0) - heads.t().unsqueeze(1)                  # (K, K, dim)
    i, j = torch.triu_indices(heads.shape[1], heads.shape[1], offset=1, device=heads.device)
    dist = diff[i, j].pow(2).sum(-1).clamp_min(1e-12).sqrt()
    return -dist.clamp(max=cap).sum()


# ----------------------------------------------------------------------------- networks
class GaussianNoise(nn.Module):
    """Adds N(0, std^2) noise in training mode (the reference's discriminator input noise)."""

    def __init__(self, std: float):
        super().__init__()
        self.std = std

    def forward(self, x):
        return x + self.std * torch.randn_like(x) if self.training and self.std > 0 else x


def mlp(sizes: list[int], last=None, batch_norm: bool = False) -> nn.Sequential:
    """Linear layers of ``sizes`` with ReLUs between them (``batch_norm``: a BatchNorm1d before each ReLU)."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:                      # between layers, not after the last
            layers += [*([nn.BatchNorm1d(b)] if batch_norm else []), nn.ReLU()]
    if last is not None:
        layers.append(last)
    return nn.Sequential(*layers)


class Discriminator(nn.Module):
    """Noise -> in -> hidden -> hidden -> 1 logit ("this code came from the prior")."""

    def __init__(self, in_dim: int, hidden: int, noise_std: float):
        super().__init__()
        self.noise = GaussianNoise(noise_std)
        self.net = mlp([in_dim, hidden, hidden, 1])

    def forward(self, code, condition=None):
        code = self.noise(code)
        if condition is not None:            # regularize_z: the 11-way label one-hot, not noised
            code = torch.cat([condition, code], 1)
        return self.net(code).squeeze(1)


# the heads whose encoder has no categorical code y (no consistency or VAT term)
NO_Y_HEADS = ("supervised", "regularize_z")


class AAE(nn.Module):
    """The adversarial autoencoder of one head (see the module docstring); ``AAE(**config)`` rebuilds it."""
    ADDED_CONFIG = {"batch_norm": False}     # options added later, with the value a checkpoint made before them had

    def __init__(self, head: str = "semi_supervised", n_y: int = 10, z_dim: int = 10, hidden: int = 1000,
                 noise_std: float = 0.3, head_distance: float = 2.0, init_std: float = 0.01, batch_norm: bool = False):
        super().__init__()
        if head not in HEAD_NAMES:
            raise UserError(f"unknown head {head!r} (use {', '.join(HEAD_NAMES)})")
        if n_y < 2 or z_dim < 1 or hidden < 1:
            raise UserError(f"need n_y >= 2, z_dim >= 1, hidden >= 1; got {n_y}, {z_dim}, {hidden}")
        if head == "projection" and z_dim != n_y:
            raise UserError(f"the projection head adds 10 y + z, so z_dim must equal n_y ({n_y}), not {z_dim}")
        if head in ("semi_supervised", "semi_dim_reduction", "projection", "supervised", "regularize_z") and n_y != 10:
            raise UserError(f"the {head} head uses the 10 labels, so n_y must be 10, not {n_y}")
        self.config = {"head": head, "n_y": n_y, "z_dim": z_dim, "hidden": hidden, "noise_std": float(noise_std),
                       "head_distance": float(head_distance), "init_std": float(init_std), "batch_norm": bool(batch_norm)}
        self.head, self.n_y, self.z_dim, self.head_distance = head, n_y, z_dim, float(head_distance)
        self.infers_y = head not in NO_Y_HEADS
        self.trunk = nn.Sequential(nn.Flatten(), mlp([784, hidden, hidden], batch_norm=batch_norm),
                                   *([nn.BatchNorm1d(hidden)] if batch_norm else []), nn.ReLU())
        self.z_head = nn.Linear(hidden, z_dim)
        self.y_head = nn.Linear(hidden, n_y) if self.infers_y else None
        dec_in = n_y + z_dim if head in ("supervised", "semi_supervised", "clustering") else z_dim
        self.decoder = mlp([dec_in, hidden, hidden, 784], nn.Tanh())
        self.d_z = Discriminator(z_dim + (n_y + 1 if head == "regularize_z" else 0), hidden, noise_std)
        self.d_y = Discriminator(n_y, hidden, noise_std) if self.infers_y else None
        for m in self.modules():
            if isinstance(m, nn.Linear) and init_std > 0:
                nn.init.normal_(m.weight, 0.0, init_std)
                nn.init.zeros_(m.bias)
        # cluster heads W_c (z_dim x n_y), init N(0, 1) as in the reference; the projection P: 10 -> 2, N(0, 0.01^2)
        self.cluster_heads = nn.Parameter(torch.randn(z_dim, n_y)) if head in LEARNED_HEADS else None
        self.projection = nn.Linear(z_dim, 2, bias=False) if head == "projection" else None
        if self.projection is not None:
            nn.init.normal_(self.projection.weight, 0.0, 0.01)

    # --- parameter groups, one per training phase
    def encoder_parameters(self) -> list:
        return [p for m in (self.trunk, self.z_head, self.y_head) if m is not None for p in m.parameters()]

    def discriminator_parameters(self) -> list:
        return [p for m in (self.d_z, self.d_y) if m is not None for p in m.parameters()]

    def head_parameters(self) -> list:
        if self.cluster_heads is not None:
            return [self.cluster_heads]
        return list(self.projection.parameters()) if self.projection is not None else []

    def projected_heads(self) -> torch.Tensor:
        """Projection head: P applied to the cluster heads of r = 10 y + z, i.e. P (10 e_k), as rows (n_y, 2)."""
        return self.projection(10.0 * torch.eye(self.n_y, device=self.projection.weight.device))

    # --- the autoencoder
    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor]:
        """(y logits or None, z) of images in [0, 1] (B, 1, 28, 28)."""
        h = self.trunk(x * 2 - 1)
        return (self.y_head(h) if self.y_head is not None else None), self.z_head(h)

    def representation(self, y: torch.Tensor | None, z: torch.Tensor) -> torch.Tensor:
        """What the decoder sees: [y ; z], z, W_c y + z or 10 y + z, depending on the head."""
        if self.head in ("supervised", "semi_supervised", "clustering"):
            return torch.cat([y, z], 1)
        if self.head in LEARNED_HEADS:
            return y @ self.cluster_heads.t() + z
        if self.head == "projection":
            return 10.0 * y + z
        return z

    def decode(self, y: torch.Tensor | None, z: torch.Tensor) -> torch.Tensor:
        """Images in [-1, 1] (B, 784) from codes."""
        return self.decoder(self.representation(y, z))

    # --- inference (eval mode, no gradient, batched, results on the CPU)
    @torch.inference_mode()
    def codes(self, x: torch.Tensor, batch_size: int = 1000) -> dict:
        """q(y|x) probabilities (or None), z and the decoder's input r for every image."""
        was = self.training
        self.eval()
        device = next(self.parameters()).device
        probs, zs, rs = [], [], []
        for part in x.split(batch_size):
            logits, z = self.encode(part.to(device))
            y = F.softmax(logits, 1) if logits is not None else None
            zs.append(z.cpu())
            if y is not None:
                probs.append(y.cpu())
                if self.head not in ("semi_supervised", "clustering"):
                    rs.append(self.representation(y, z).cpu())
        self.train(was)
        out = {"z": torch.cat(zs), "q_y": torch.cat(probs) if probs else None}
        out["r"] = torch.cat(rs) if rs else None
        return out

    @torch.inference_mode()
    def images(self, y: torch.Tensor | None, z: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        """Decoded images in [0, 1], (N, 1, 28, 28), on the CPU."""
        was = self.training
        self.eval()
        device = next(self.parameters()).device
        parts = []
        for i in range(0, len(z), batch_size):
            yy = y[i:i + batch_size].to(device) if y is not None else None
            parts.append(((self.decode(yy, z[i:i + batch_size].to(device)) + 1) / 2).cpu())
        self.train(was)
        return torch.cat(parts).view(-1, 1, 28, 28)


# ----------------------------------------------------------------------------- training
def make_optimizers(model: AAE, kind: str, lr: float, beta1: float) -> dict:
    """One optimizer per phase. ``adam``: Adam(lr, betas=(beta1, 0.999)) everywhere (the reference's A-E; the fused
    kernel where the device has one: utils.training.make_optimizer);
    ``sgd``: momentum SGD with the paper's per-phase learning rates and momenta (``SGD_RECIPE``; ``lr`` unused)."""
    groups = {"rec": model.encoder_parameters() + list(model.decoder.parameters())
                     + ([model.cluster_heads] if model.head == "dim_reduction" else []),
              "disc": model.discriminator_parameters(), "gen": model.encoder_parameters()}
    if model.head in CLASSIFYING:
        groups["sup"] = model.encoder_parameters()
    if model.head_parameters():
        groups["heads"] = model.head_parameters()
    groups = {k: v for k, v in groups.items() if v}
    if kind == "adam":
        device = next(model.parameters()).device
        return {k: make_optimizer(v, lr, device, betas=(beta1, 0.999)) for k, v in groups.items()}
    if kind == "sgd":
        return {k: torch.optim.SGD(v, lr=SGD_RECIPE[k][0], momentum=SGD_RECIPE[k][1]) for k, v in groups.items()}
    raise UserError(f"--optimizer={kind!r}: use adam or sgd")


def set_learning_rates(optimizers: dict, epoch: int, epochs: int, *, lr: float, milestones: list[int] = (),
                       decay: float = 0.0) -> float:
    """Set every phase's learning rate for ``epoch`` (0-based, of ``epochs``) and return the factor applied to its
    base: the recipe's value for an SGD phase (``SGD_RECIPE``), ``lr`` for Adam. SGD phases are divided by 10 per
    milestone passed. With ``decay`` > 0 every phase falls linearly over the last ``decay`` fraction of the epochs:
    n decaying epochs run at n/(n+1), ..., 1/(n+1) of the rate before them (main_aae.py's --lr_decay)."""
    factor = 1.0
    if decay > 0:
        start = epochs - max(round(decay * epochs), 1)
        factor = min(1.0, (epochs - epoch) / (epochs - start + 1))
    for name, opt in optimizers.items():
        sgd = isinstance(opt, torch.optim.SGD)
        scale = factor * (0.1 ** sum(epoch >= m for m in milestones) if sgd else 1.0)
        for group in opt.param_groups:
            group["lr"] = (SGD_RECIPE[name][0] if sgd else lr) * scale
    return scale


def _update(model: AAE, optimizer, loss: torch.Tensor, clip: float) -> None:
    model.zero_grad(set_to_none=True)
    with torch.autocast(loss.device.type, enabled=False):  # the step may run under autocast; backward never does
        loss.backward()
    params = [p for g in optimizer.param_groups for p in g["params"]]
    if clip > 0:
        torch.nn.utils.clip_grad_norm_(params, clip)
    optimizer.step()
    # Under autocast the bf16 copies of the weights are cached until the outermost autocast region ends, which is
    # after the whole step: the later phases would compute with the weights before this update. Drop the copies.
    torch.clear_autocast_cache()


@contextmanager
def frozen(params: list):
    """``params`` take no gradient inside the block: an autograd graph built there does not compute their weight
    gradients (the gradients of everything else are unchanged)."""
    before = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(params, before):
            p.requires_grad_(flag)


def _logistic(logits: torch.Tensor, real: bool) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, 1.0 if real else 0.0))


def make_step(model: AAE, optimizers: dict, x: torch.Tensor, y: torch.Tensor, labelled: torch.Tensor | None,
              *, batch_size: int, clip: float = 5.0, augment: bool = False, flip: bool = False,
              balance_weight: float = 0.0, consistency_weight: float = 0.0, vat_weight: float = 0.0,
              vat_eps: torch.Tensor | None = None):
    """The training iteration of ``model.head`` (phases 1-5 of the module docstring) as ``step(indices)``.

    ``x``, ``y``: all training images and labels (on the model's device); the batch indices address the
    unlabelled pool (every training image not in ``labelled``). Labels are read only for the labelled subset,
    except by the supervised head, whose decoder is given every image's label. With ``augment`` every labelled
    minibatch is randomly rotated, scaled and shifted (utils.augment): 100 labels then stop being memorised within
    an epoch; with ``flip`` half of its images are also mirrored left to right (garments, not digits). Returns
    ``step`` and ``reseed(generator)``, which sets the generator of the labelled draws (the epoch hook seeds it per
    epoch, so a resumed run draws the same minibatches). ``vat_eps``: the VAT radius of every image of ``x`` (N,),
    needed when ``vat_weight`` > 0.
    """
    head, n_y = model.head, model.n_y
    device = x.device
    labelled_pool = labelled.to(device) if labelled is not None and len(labelled) else None
    state = {"gen": None}
    if vat_weight > 0 and model.infers_y and vat_eps is None:
        raise ValueError("vat_weight > 0 needs the per-image radii vat_eps")
    # the consistency and VAT terms join the supervised phase of the classifying heads, the generator phase of the
    # others
    smooth = model.infers_y and (consistency_weight > 0 or vat_weight > 0)
    cons_phase = ("sup" if "sup" in optimizers else "gen") if smooth else None

    def consistency_term(xb, idx, logits, terms):
        total = 0.0
        if consistency_weight > 0:
            cons = consistency(model, xb, logits.detach(), state["gen"])
            terms["cons"] = cons.detach()
            total = consistency_weight * cons
        if vat_weight > 0:
            vat = vat_loss(lambda v: model.encode(v)[0], xb, vat_eps[idx], logits=logits)
            terms["vat"] = vat.detach()
            total = total + vat_weight * vat
        return total

    def labelled_batch():
        pick = torch.randint(len(labelled_pool), (batch_size,), generator=state["gen"]).to(device)
        idx = labelled_pool[pick]
        xl = random_affine(x[idx], generator=state["gen"]) if augment else x[idx]
        xl = random_flip(xl, generator=state["gen"]) if flip else xl
        return xl, y[idx]

    def step(idx: torch.Tensor) -> dict:
        xb = x[idx]
        terms = {}
        have_labels = labelled_pool is not None
        xl, yl = labelled_batch() if have_labels else (None, None)
        # (1) reconstruction
        if head == "semi_supervised":  # labelled images are reconstructed from their TRUE one-hot label
            n = len(xb)                # (both batches in one pass through encoder and decoder)
            both = torch.cat([xb, xl])
            logits, z = model.encode(both)
            codes = torch.cat([F.softmax(logits[:n], 1), F.one_hot(yl, n_y).float()])
            err = (model.decode(codes, z) - both.flatten(1) * 2 + 1).pow(2)
            rec = err[:n].mean() + err[n:].mean()
        else:
            logits, z = model.encode(xb)
            if head == "supervised":
                yb = F.one_hot(y[idx], n_y).float()
            else:
                yb = F.softmax(logits, 1) if logits is not None else None
            rec = F.mse_loss(model.decode(yb, z), xb.flatten(1) * 2 - 1)
        _update(model, optimizers["rec"], rec, clip)
        terms["rec"] = rec.detach()
        # (2) discriminators: prior samples are "real", codes of the encoder "fake". One forward pass of the encoder
        # serves phases 2 and 3: the discriminators learn from its codes detached, and only their weights change
        # between the two phases, so the generator phase would compute the same codes again.
        logits, z = model.encode(xb)
        zl = model.encode(xl)[1] if head == "regularize_z" else None
        d_loss = disc_loss(model, *(t.detach() if t is not None else None for t in (logits, z, zl)), yl)
        _update(model, optimizers["disc"], d_loss, clip)
        terms["disc"] = d_loss.detach()
        # (3) generator: the encoder makes its codes look like prior samples (the discriminators just updated). Only
        # the encoder learns here, so the discriminators' weight gradients are not built (the same encoder gradients).
        with frozen(model.discriminator_parameters()):
            g_loss = gen_loss(model, logits, z, zl, yl)
        if balance_weight > 0 and logits is not None:
            balance = batch_balance(logits)
            g_loss = g_loss + balance_weight * balance
            terms["balance"] = balance.detach()
        if cons_phase == "gen":
            g_loss = g_loss + consistency_term(xb, idx, logits, terms)
        _update(model, optimizers["gen"], g_loss, clip)
        terms["gen"] = g_loss.detach()
        # (4) supervised cross-entropy on the labelled images
        if "sup" in optimizers:
            sup = F.cross_entropy(model.encode(xl)[0], yl)
            terms["sup"] = sup.detach()
            if cons_phase == "sup":
                sup = sup + consistency_term(xb, idx, logits, terms)
            _update(model, optimizers["sup"], sup, clip)
        # (5) cluster heads apart, or the projection onto the circle
        if "heads" in optimizers:
            if model.cluster_heads is not None:
                cost = head_distance_cost(model.cluster_heads, model.head_distance)
            else:
                cost = F.mse_loss(model.projected_heads(), circle_targets(n_y).to(device))
            _update(model, optimizers["heads"], cost, clip)
            terms["heads"] = cost.detach()
        return terms

    def reseed(generator: torch.Generator):
        state["gen"] = generator

    return step, reseed


def consistency(model: AAE, x: torch.Tensor, target_logits: torch.Tensor, generator=None) -> torch.Tensor:
    """KL(q(y|x) || q(y|a(x))) averaged over the batch, for a random affine a (utils.augment) and the clean
    prediction held fixed: q(y|x) should not change when a digit is slightly rotated, scaled or shifted (not in
    the paper; ``consistency_weight``). The gradient reaches the encoder through the augmented images only."""
    target = F.softmax(target_logits, 1)
    log_aug = F.log_softmax(model.encode(random_affine(x, generator=generator))[0], 1)
    return F.kl_div(log_aug, target, reduction="batchmean")


def batch_balance(logits: torch.Tensor) -> torch.Tensor:
    """KL(mean over the batch of q(y|x) || uniform): zero when the batch spreads evenly over the clusters. A
    per-image discriminator cannot see that every image went to the same cluster once the encoder hops between
    clusters faster than it learns; this term can (not in the paper; ``balance_weight``)."""
    mean = F.softmax(logits, 1).mean(0)
    return (mean * (mean.clamp_min(1e-12).log() + math.log(len(mean)))).sum()


def disc_loss(model: AAE, logits, z, zl=None, yl=None) -> torch.Tensor:
    """Logistic loss of the discriminators: prior samples -> 1, the encoder's codes -> 0."""
    n, device = len(z), z.device
    if model.head == "regularize_z":
        return _mixture_terms(model, z, zl, yl, real_side=True)
    loss = _logistic(model.d_z(sample_gaussian(n, model.z_dim, device=device)), True) + _logistic(model.d_z(z), False)
    if model.d_y is not None:
        prior_y = sample_categorical(n, model.n_y, device=device)
        loss = loss + _logistic(model.d_y(prior_y), True) + _logistic(model.d_y(F.softmax(logits, 1)), False)
    return loss


def gen_loss(model: AAE, logits, z, zl=None, yl=None) -> torch.Tensor:
    """The encoder's non-saturating loss: its codes should be classified as prior samples."""
    if model.head == "regularize_z":
        return _mixture_terms(model, z, zl, yl, real_side=False)
    loss = _logistic(model.d_z(z), True)
    if model.d_y is not None:
        loss = loss + _logistic(model.d_y(F.softmax(logits, 1)), True)
    return loss


def _mixture_terms(model: AAE, z, zl, yl, real_side: bool) -> torch.Tensor:
    """regularize_z: D sees (11-way label one-hot, z). Unlabelled codes carry class 10 ("unknown") and are matched
    against mixture samples of a uniformly drawn component; labelled codes carry their label and are matched
    against samples of THEIR component. ``real_side``: the discriminator's loss, else the generator's."""
    k, device = model.n_y, z.device
    unknown = F.one_hot(torch.full((len(z),), k, device=device), k + 1).float()
    known = F.one_hot(yl, k + 1).float()
    if not real_side:
        return _logistic(model.d_z(z, unknown), True) + _logistic(model.d_z(zl, known), True)
    prior_u = sample_mixture(torch.randint(k, (len(z),), device=device), k)
    prior_l = sample_mixture(yl, k)
    return (_logistic(model.d_z(prior_u, unknown), True) + _logistic(model.d_z(z, unknown), False)
            + _logistic(model.d_z(prior_l, known), True) + _logistic(model.d_z(zl, known), False))
