"""Multi-Level VAE (Bouchacourt, Tomioka, Nowozin, AAAI-18; docs/originals.md section 4), written from the paper.

Model. Every image x_i has a style code S_i; every group G of images (here: images of one class inside a
minibatch) shares one class code C_G. The encoder gives, per image, q(S_i | x_i) and the class "evidence"
q(C | x_i) = N(mu_i, diag sigma_i^2). The group posterior is their normalised product (group evidence
accumulation): precision 1/sigma_G^2 = sum_i 1/sigma_i^2 and mu_G = sigma_G^2 * sum_i mu_i / sigma_i^2, per
dimension, for all groups of a batch at once with segment sums; it stays differentiable, so the class heads are
trained by both the class KL and the reconstruction (the reference repository detached them, docs/originals.md
4.7.1).

Objective (paper Eq. 5): the minibatch loss is the sum of the group ELBOs divided by the number of groups, i.e.
per group  sum_{i in G} [ rec(x_i) + KL(q(S_i|x_i) || N(0, I)) ] + KL(q(C_G|X_G) || N(0, I)),  the class KL
counted once per group. ``rec`` is the negative log-likelihood summed over the 784 pixels: Bernoulli by default,
or the squared error of the reference code (``recon_loss="mse"``, which weighs reconstruction far less against
the KL terms).

``style_kl_coef`` and ``class_kl_coef`` weight the two KL terms (1 and 1 = the ELBO); a style weight above 1
squeezes class information out of the style code. ``train_group_size`` cuts each class of a batch into random
groups of at most that many images (0 = one group per class, as the reference): with small groups a single
image's class code must be informative on its own. ``encoder_layers`` and ``decoder_layers`` are the numbers of
hidden tanh layers of the encoder (before the four heads) and of the decoder (1 and 1 = the paper's). docs/mlvae.md
says how the defaults were chosen.

Group-wise reparameterisation: one noise draw per group, c_G = mu_G + sigma_G * eps_G with
eps_G ~ N(0, group_noise_std^2 I), shared by the group's members. ``group_noise_std = 1`` is the paper's sampling;
0.1 is the reference repository's working setting (docs/originals.md 4.3).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from utils.errors import UserError

MLVAE_KIND = "mlvae"
RECON_LOSSES = ("bce", "mse")

# ----------------------------------------------------------------------------- group evidence accumulation
def group_index(labels: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Map arbitrary integer group labels to ids 0..G-1 (in sorted label order); returns (ids, G)."""
    uniq, ids = torch.unique(labels, return_inverse=True)
    return ids, len(uniq)


def accumulate_group_evidence(mu: torch.Tensor, logvar: torch.Tensor, groups: torch.Tensor,
                              n_groups: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalised product of the Gaussians N(mu_i, exp(logvar_i)) of each group, for all groups at once.

    ``mu``, ``logvar``: (N, D); ``groups``: (N,) ids in [0, n_groups), every id used at least once.
    Returns the group means and log-variances, each (n_groups, D):
        log sigma_G^2 = -log sum_i exp(-logvar_i),   mu_G = sum_i w_i mu_i,  w_i = exp(-logvar_i) / sum_j exp(-logvar_j),
    i.e. precision-weighted. Computed in log space (a per-group log-sum-exp), so very small or very
    large variances neither overflow nor divide by zero. Differentiable in ``mu`` and ``logvar``; no
    Python loop over the groups.
    """
    if mu.shape != logvar.shape or mu.dim() != 2 or groups.shape != mu.shape[:1]:
        raise ValueError(f"expected mu, logvar of shape (N, D) and groups (N,), got {tuple(mu.shape)}, "
                         f"{tuple(logvar.shape)}, {tuple(groups.shape)}")
    neg = -logvar
    index = groups.unsqueeze(1).expand_as(neg)
    # the per-group maximum only shifts the log-sum-exp; it is a constant for the gradient
    peak = torch.full((n_groups, neg.shape[1]), -torch.inf, dtype=neg.dtype, device=neg.device)
    peak = peak.scatter_reduce(0, index, neg.detach(), reduce="amax", include_self=True)
    scaled = torch.exp(neg - peak[groups])                       # precision / exp(peak), in (0, 1]
    total = torch.zeros_like(peak).index_add(0, groups, scaled)  # >= 1 for every used group
    group_logvar = -(peak + torch.log(total))
    weights = scaled / total[groups]
    group_mu = torch.zeros_like(peak).index_add(0, groups, weights * mu)
    return group_mu, group_logvar


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag exp(logvar)) || N(0, I)) per row, summed over the last dimension."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)


# ----------------------------------------------------------------------------- the model
def _tanh_layers(n_in: int, hidden: int, n_layers: int) -> list[nn.Module]:
    """``n_layers`` linear + tanh layers, the first from ``n_in`` units, each to ``hidden``."""
    sizes = [n_in] + [hidden] * n_layers
    return [m for a, b in zip(sizes, sizes[1:]) for m in (nn.Linear(a, b), nn.Tanh())]


class MLVAE(nn.Module):
    """Encoder 784 -> ``hidden`` tanh (``encoder_layers`` such layers) -> four linear heads (style mu, style logvar,
    class mu, class logvar); decoder [style, class] -> ``hidden`` tanh (``decoder_layers`` such layers) -> 784
    (logits; sigmoid gives the image). The reference: 500 hidden units, one layer each.
    docs/originals.md 4.2, including the initialisation (weights N(0, 0.05^2), biases 0).

    ``config`` holds every argument, so ``MLVAE(**config)`` rebuilds the model from a checkpoint; the
    loss settings are part of it because a run cannot be resumed under a different objective.
    """

    # config keys that came after checkpoints were written, with the value that rebuilds those checkpoints' model
    # (utils.training.fit fills them in before it compares a checkpoint's config with the model's)
    ADDED_CONFIG = {"encoder_layers": 1, "decoder_layers": 1}

    def __init__(self, style_dim: int = 10, class_dim: int = 10, hidden: int = 500, group_noise_std: float = 0.1,
                 recon_loss: str = "bce", style_kl_coef: float = 1.0, class_kl_coef: float = 1.0,
                 train_group_size: int = 0, init_std: float = 0.05, encoder_layers: int = 1,
                 decoder_layers: int = 1):
        super().__init__()
        if recon_loss not in RECON_LOSSES:
            raise UserError(f"--recon_loss={recon_loss!r}: use {' or '.join(RECON_LOSSES)}")
        if group_noise_std < 0:
            raise UserError(f"--group_noise_std={group_noise_std} must be >= 0")
        for name, n in (("encoder_layers", encoder_layers), ("decoder_layers", decoder_layers)):
            if n < 1:
                raise UserError(f"--{name}={n} must be >= 1")
        self.config = {"style_dim": style_dim, "class_dim": class_dim, "hidden": hidden,
                       "group_noise_std": float(group_noise_std), "recon_loss": recon_loss,
                       "style_kl_coef": float(style_kl_coef),
                       "class_kl_coef": float(class_kl_coef), "train_group_size": int(train_group_size),
                       "init_std": float(init_std), "encoder_layers": int(encoder_layers),
                       "decoder_layers": int(decoder_layers)}
        self.style_dim, self.class_dim = style_dim, class_dim
        self.group_noise_std, self.recon_loss = float(group_noise_std), recon_loss
        self.style_kl_coef, self.class_kl_coef = float(style_kl_coef), float(class_kl_coef)
        self.train_group_size = int(train_group_size)
        self.shared = nn.Sequential(nn.Flatten(), *_tanh_layers(784, hidden, encoder_layers))
        self.style_mu = nn.Linear(hidden, style_dim)
        self.style_logvar = nn.Linear(hidden, style_dim)
        self.class_mu = nn.Linear(hidden, class_dim)
        self.class_logvar = nn.Linear(hidden, class_dim)
        self.decoder = nn.Sequential(*_tanh_layers(style_dim + class_dim, hidden, decoder_layers),
                                     nn.Linear(hidden, 784))
        if init_std > 0:
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0.0, init_std)
                    nn.init.zeros_(m.bias)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(style mu, style logvar, class mu, class logvar) of images (B, 1, 28, 28) in [0, 1]."""
        if x.dim() != 4 or x.shape[1:] != (1, 28, 28):
            raise ValueError(f"expected images of shape (B, 1, 28, 28), got {tuple(x.shape)}")
        h = self.shared(x)
        return self.style_mu(h), self.style_logvar(h), self.class_mu(h), self.class_logvar(h)

    def decode_logits(self, style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
        return self.decoder(torch.cat([style, content], 1)).view(-1, 1, 28, 28)

    def reconstruction_nll(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Per-image negative log-likelihood, summed over the 784 pixels: (B,)."""
        if self.recon_loss == "bce":
            return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
        return (torch.sigmoid(logits) - x).pow(2).flatten(1).sum(1)

    def loss(self, x: torch.Tensor, labels: torch.Tensor) -> dict:
        """Negative ML-VAE bound of one minibatch, groups = the labels present in it (paper Eq. 5).

        All terms are sums over the group's members (and pixels / latent dimensions), averaged over
        the groups of the batch; ``loss = recon + style_kl_coef * kl_style + class_kl_coef * kl_class`` (both coefficients 1: the ELBO).
        """
        groups, n_groups = split_groups(labels, self.train_group_size)
        s_mu, s_logvar, c_mu, c_logvar = self.encode(x)
        g_mu, g_logvar = accumulate_group_evidence(c_mu, c_logvar, groups, n_groups)
        style = s_mu + torch.exp(0.5 * s_logvar) * torch.randn_like(s_mu)
        eps = torch.randn_like(g_mu) * self.group_noise_std               # one draw per group
        content = (g_mu + torch.exp(0.5 * g_logvar) * eps)[groups]         # shared by the members
        recon = self.reconstruction_nll(self.decode_logits(style, content), x).sum() / n_groups
        kl_style = gaussian_kl(s_mu, s_logvar).sum() / n_groups
        kl_class = gaussian_kl(g_mu, g_logvar).sum() / n_groups
        return {"loss": recon + self.style_kl_coef * kl_style + self.class_kl_coef * kl_class, "recon": recon.detach(),
                "kl_class": kl_class.detach(), "kl_style": kl_style.detach(),
                "group_size": torch.tensor(len(labels) / n_groups)}

    @torch.inference_mode()
    def codes(self, x: torch.Tensor, batch_size: int = 1000) -> dict:
        """Posterior parameters of every image (any device), in eval mode; returned on the CPU."""
        was_training = self.training
        self.eval()
        device = next(self.parameters()).device
        parts = [self.encode(p.to(device)) for p in x.split(batch_size)]
        self.train(was_training)
        names = ("style_mu", "style_logvar", "class_mu", "class_logvar")
        return {n: torch.cat([p[i] for p in parts]).float().cpu() for i, n in enumerate(names)}

    @torch.inference_mode()
    def decode(self, style: torch.Tensor, content: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        """Images in [0, 1] (on the CPU) for style and class codes."""
        was_training = self.training
        self.eval()
        device = next(self.parameters()).device
        out = torch.cat([torch.sigmoid(self.decode_logits(s.to(device), c.to(device))).cpu()
                         for s, c in zip(style.split(batch_size), content.split(batch_size))])
        self.train(was_training)
        return out


# ----------------------------------------------------------------------------- groups
def split_groups(keys: torch.Tensor, group_size: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, int]:
    """Group ids 0..G-1: members of a group share a key; each key's images are shuffled and cut into
    groups of at most ``group_size`` (0: one group per key). Returns (ids, G). Vectorised; ``keys`` may
    be on any device (the shuffle uses ``generator``, or the global RNG when it is None)."""
    n = len(keys)
    _, dense = torch.unique(keys, return_inverse=True)
    if group_size <= 0:
        return group_index(dense)
    perm = torch.randperm(n, generator=generator).to(keys.device)
    order = perm[torch.argsort(dense[perm], stable=True)]  # grouped by key, random inside each key
    sorted_keys = dense[order]
    counts = torch.bincount(sorted_keys)
    rank = torch.arange(n, device=keys.device) - (torch.cumsum(counts, 0) - counts)[sorted_keys]
    ids_sorted, n_groups = group_index(sorted_keys * (n + 1) + rank // group_size)
    groups = torch.empty_like(ids_sorted)
    groups[order] = ids_sorted
    return groups, n_groups
