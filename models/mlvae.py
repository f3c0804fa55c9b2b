"""Multi-Level VAE (Bouchacourt, Tomioka, Nowozin, AAAI-18; ORIGINALS.md section 4), written from the paper.

Model. Every image x_i has a style code S_i; every group G of images (here: the images of one class
inside a minibatch) shares one class code C_G. The encoder gives, per image, q(S_i | x_i) and the
class "evidence" q(C | x_i) = N(mu_i, diag sigma_i^2). The group posterior is their normalised product
(group evidence accumulation): precision 1/sigma_G^2 = sum_i 1/sigma_i^2 and
mu_G = sigma_G^2 * sum_i mu_i / sigma_i^2, per dimension. It is computed for all groups of a batch at
once with segment sums (index_add) and stays differentiable, so the class heads are trained by both the
class KL and the reconstruction (the reference repository detached them, ORIGINALS.md 4.7.1).

Objective (paper Eq. 5): the minibatch loss is the sum of the group ELBOs divided by the number of
groups, i.e. per group
    sum_{i in G} [ rec(x_i) + KL(q(S_i|x_i) || N(0, I)) ] + KL(q(C_G|X_G) || N(0, I)),
averaged over the groups (the class KL is counted once per group, not once per member). ``rec`` is the
negative log-likelihood summed over the 784 pixels of one image: Bernoulli (binary cross-entropy on the
decoder's logits) by default, or the squared error (``recon_loss="mse"``, what the reference code
used; read as a Gaussian log-likelihood of variance 1/2 it weighs reconstruction far less against the
KL terms, which are not divided by the pixel count here).

KL weights: ``style_kl_coef`` and ``class_kl_coef`` multiply the two KL terms (1 and 1 = the ELBO).
main_mlvae.py defaults to style_kl_coef = 3 (a beta-VAE-style weight on the style KL only): on 6k-20k
MNIST subsets, the plain ELBO left class information in the style code (style probe 43-51 %, a fifth of
the swapped images took the ROW image's class), while 3 cut the style probe to 25-30 % and that leak to
3-5 %, at the cost of about 16 nats of reconstruction per image. Run --style_kl_coef=1 for the paper's bound.

Training groups: main_mlvae.py splits each class of a batch into random groups of at most 5 images
(``train_group_size = 5``; 0 = one group per class, about 25 images at batch 256, as the reference). With 25
members the product of Gaussians averages the per-image evidence so much that a single image's class code can stay
vague; with at most 5 it must be informative on its own. On full MNIST (100 epochs, noise 0.1, style KL 3):
single-image class probe 94.7 % -> 96.6 %, swaps judged to keep the column's class 91.3 % -> 94.3 %, test
reconstruction 86.5 -> 80.3 nats; groups of at most 3 gave 96.3 % / 93.6 %.

Group-wise reparameterisation: one noise draw per group, c_G = mu_G + sigma_G * eps_G with
eps_G ~ N(0, group_noise_std^2 I), shared by the group's members. ``group_noise_std = 1`` is the
paper's sampling; 0.1 is the reference repository's working setting (ORIGINALS.md 4.3.6).

Evaluation (no test label ever decides a code unless the metric's name says LEAKS_LABELS): codes are the
posterior means; a linear probe (logistic regression) is trained on training-set codes and scored on
test-set codes; see :func:`evaluate_codes` for the groupings used for "evidence accumulation".
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.kmeans import assign, kmeans
from models.seq import make_optimizer, make_scheduler
from utils.datasets import load_split
from utils.errors import UserError
from utils.io import run_dir, save_json
from utils.metrics import clustering_metrics, linear_probe
from utils.progress import log
from utils.runtime import get_device, seed_everything
from utils.training import fit

MLVAE_KIND = "mlvae"
JUDGE_KIND = "mlvae-judge"
RECON_LOSSES = ("bce", "mse")

# ORIGINALS.md 4.6: the reference repository's README table (accuracy %, MLP classifier on SAMPLED codes;
# "with evidence" = accumulated over same-TRUE-label images of the evaluated batch, i.e. it leaks labels).
REFERENCE_TABLE = {
    "source": "ananyahjha93/multi-level-vae README, 'Classification results on latent spaces' (ORIGINALS.md 4.6)",
    "rows": [
        {"group_noise_std": 1.0, "evidence": "true labels (leaks labels)", "style_train": .7866, "style_test": .7817,
         "class_train": .8593, "class_test": .8599},
        {"group_noise_std": 1.0, "evidence": "none", "style_train": .7869, "style_test": .7782,
         "class_train": .3326, "class_test": .3308},
        {"group_noise_std": 0.1, "evidence": "true labels (leaks labels)", "style_train": .4461, "style_test": .4206,
         "class_train": .9975, "class_test": .9971},
        {"group_noise_std": 0.1, "evidence": "none", "style_train": .4438, "style_test": .4299,
         "class_train": .3774, "class_test": .3855},
    ],
}


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
class MLVAE(nn.Module):
    """Encoder 784 -> 500 tanh -> four linear heads (style mu, style logvar, class mu, class logvar);
    decoder [style, class] -> 500 tanh -> 784 (logits; sigmoid gives the image). ORIGINALS.md 4.2,
    including the initialisation (weights N(0, 0.05^2), biases 0).

    ``config`` holds every argument, so ``MLVAE(**config)`` rebuilds the model from a checkpoint; the
    loss settings are part of it because a run cannot be resumed under a different objective.
    """

    def __init__(self, style_dim: int = 10, class_dim: int = 10, hidden: int = 500, group_noise_std: float = 0.1,
                 recon_loss: str = "bce", style_kl_coef: float = 1.0, class_kl_coef: float = 1.0,
                 train_group_size: int = 0, init_std: float = 0.05):
        super().__init__()
        if recon_loss not in RECON_LOSSES:
            raise UserError(f"--recon_loss={recon_loss!r}: use {' or '.join(RECON_LOSSES)}")
        if group_noise_std < 0:
            raise UserError(f"--group_noise_std={group_noise_std} must be >= 0")
        self.config = {"style_dim": style_dim, "class_dim": class_dim, "hidden": hidden,
                       "group_noise_std": float(group_noise_std), "recon_loss": recon_loss,
                       "style_kl_coef": float(style_kl_coef),
                       "class_kl_coef": float(class_kl_coef), "train_group_size": int(train_group_size),
                       "init_std": float(init_std)}
        self.style_dim, self.class_dim = style_dim, class_dim
        self.group_noise_std, self.recon_loss = float(group_noise_std), recon_loss
        self.style_kl_coef, self.class_kl_coef = float(style_kl_coef), float(class_kl_coef)
        self.train_group_size = int(train_group_size)
        self.shared = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.Tanh())
        self.style_mu = nn.Linear(hidden, style_dim)
        self.style_logvar = nn.Linear(hidden, style_dim)
        self.class_mu = nn.Linear(hidden, class_dim)
        self.class_logvar = nn.Linear(hidden, class_dim)
        self.decoder = nn.Sequential(nn.Linear(style_dim + class_dim, hidden), nn.Tanh(), nn.Linear(hidden, 784))
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


def train_mlvae(model: MLVAE, x: torch.Tensor, y: torch.Tensor, *, epochs: int, batch_size: int, lr: float,
                schedule: str, seed: int, checkpoint, resume: bool, progress: bool, desc: str,
                extra: dict | None = None) -> list[dict]:
    """Adam on the ML-VAE loss with groups = class labels within each minibatch; checkpoint every epoch."""
    device = next(model.parameters()).device
    optimizer = make_optimizer(model, lr, device)
    scheduler = make_scheduler(optimizer, schedule, lr, epochs * max(len(x) // batch_size, 1))
    return fit(model, optimizer, lambda idx: model.loss(x[idx], y[idx]), len(x), epochs=epochs,
               batch_size=batch_size, seed=seed, checkpoint=checkpoint, kind=MLVAE_KIND, model_config=model.config,
               scheduler=scheduler, resume=resume, progress=progress, desc=desc, extra=extra)


# ----------------------------------------------------------------------------- evaluation: groupings and probes
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


def chunk_groups(keys: torch.Tensor, group_size: int, seed: int) -> torch.Tensor:
    """Evaluation groups: :func:`split_groups` with a seeded shuffle. Keys may be label-free (k-means
    clusters, all zeros for purely random groups) or the true labels (which leaks them)."""
    return split_groups(keys.cpu(), group_size, torch.Generator().manual_seed(seed))[0]


def grouped_class_codes(codes: dict, groups: torch.Tensor) -> torch.Tensor:
    """Every image's class code replaced by the accumulated mean of its group."""
    ids, n = group_index(groups)
    g_mu, _ = accumulate_group_evidence(codes["class_mu"], codes["class_logvar"], ids, n)
    return g_mu[ids]


GROUPINGS = {
    "none": "single image (no accumulation)",
    "kmeans": "k-means (K=10) clusters of the single-image class codes, label-free",
    "random": "random groups, label-free",
    "true_label": "same TRUE label (LEAKS LABELS; the reference's 'with evidence')",
}


def evaluate_codes(train: dict, ytr: torch.Tensor, test: dict, yte: torch.Tensor, *, group_size: int,
                   seed: int) -> dict:
    """Linear probes on style and class codes (means), with each grouping of :data:`GROUPINGS`.

    Train codes are grouped the same way as test codes before the probe is fitted. k-means runs on the
    training set's class means; test images join the nearest training centroid. Groups hold at most
    ``group_size`` images (about one minibatch's class group at batch 256), drawn at random within a key.
    """
    style_train, style_test = linear_probe(train["style_mu"], ytr, test["style_mu"], yte)
    centroids, train_clusters, _, _ = kmeans(train["class_mu"], min(10, len(ytr)), seed=seed, max_iter=300)
    test_clusters = assign(test["class_mu"], centroids)[0]
    keys = {
        "kmeans": (train_clusters.cpu(), test_clusters.cpu()),
        "random": (torch.zeros_like(ytr), torch.zeros_like(yte)),
        "true_label": (ytr, yte),
    }
    rows = []
    for name, label in GROUPINGS.items():
        if name == "none":
            ctr, cte = train["class_mu"], test["class_mu"]
        else:
            ktr, kte = keys[name]
            ctr = grouped_class_codes(train, chunk_groups(ktr, group_size, seed))
            cte = grouped_class_codes(test, chunk_groups(kte, group_size, seed + 1))
        class_train, class_test = linear_probe(ctr, ytr, cte, yte)
        rows.append({"evidence": name, "description": label, "style_train": style_train, "style_test": style_test,
                     "class_train": class_train, "class_test": class_test})
    by = {r["evidence"]: r for r in rows}
    return {
        "class_probe_test_accuracy_single_image": by["none"]["class_test"],
        "class_probe_train_accuracy_single_image": by["none"]["class_train"],
        "style_probe_test_accuracy": style_test,
        "style_probe_train_accuracy": style_train,
        "class_probe_test_accuracy_kmeans_groups": by["kmeans"]["class_test"],
        "class_probe_test_accuracy_random_groups": by["random"]["class_test"],
        "class_probe_test_accuracy_grouped_by_true_label_LEAKS_LABELS": by["true_label"]["class_test"],
        "kmeans_on_class_codes_test": clustering_metrics(yte.numpy(), test_clusters.cpu().numpy()),
        "eval_group_size": group_size,
        "table": rows,
    }


# ----------------------------------------------------------------------------- the judge: an image classifier
class Judge(nn.Module):
    """A small CNN on pixels that decides the class of generated images: conv 32 (3x3) -> pool -> conv 64 (3x3)
    -> pool -> 128 -> 10, ReLU. It is trained on real training images only (about 99 % test accuracy on MNIST after
    2 epochs), and it is far less thrown by the blur of VAE decodings than a pixel MLP (which recognised only 91 %
    of the ML-VAE's test reconstructions against 96 % of the real test images, in our runs)."""

    def __init__(self, hidden: int = 128):
        super().__init__()
        self.config = {"arch": "cnn", "hidden": hidden}
        self.net = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                 nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                 nn.Linear(64 * 7 * 7, hidden), nn.ReLU(), nn.Linear(hidden, 10))

    def forward(self, x):
        return self.net(x)

    @torch.inference_mode()
    def predict(self, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        self.eval()
        device = next(self.parameters()).device
        return torch.cat([self(p.to(device)).argmax(1).cpu() for p in x.split(batch_size)])


def train_judge(x: torch.Tensor, y: torch.Tensor, *, epochs: int, seed: int, checkpoint, resume: bool,
                progress: bool, desc: str) -> Judge:
    """Cross-entropy training of :class:`Judge` on real training images (Adam 1e-3, batch 128), for ``epochs`` but
    at least 200 steps (small data sets: a CNN learns nothing from a couple of steps)."""
    device = x.device
    batch_size = min(128, len(x))
    epochs = max(epochs, -(-200 // max(len(x) // batch_size, 1)))
    judge = Judge().to(device)
    if resume and Path(checkpoint).is_file():  # a judge of another architecture (an older run) is retrained
        old = torch.load(checkpoint, map_location="cpu", weights_only=False)
        if not isinstance(old, dict) or old.get("model_config") != judge.config:
            log(f"{checkpoint}: holds another judge; training a new one")
            Path(checkpoint).unlink()
    optimizer = make_optimizer(judge, 1e-3, device)
    fit(judge, optimizer, lambda idx: {"loss": F.cross_entropy(judge(x[idx]), y[idx])}, len(x), epochs=epochs,
        batch_size=batch_size, seed=seed + 7, checkpoint=checkpoint, kind=JUDGE_KIND, model_config=judge.config,
        resume=resume, progress=progress, desc=desc)
    return judge


# ----------------------------------------------------------------------------- swaps
def class_exemplars(y: torch.Tensor, per_class: int, seed: int) -> list[list[int]]:
    """For each class, ``per_class`` random test indices (the first is the figure's exemplar)."""
    rng = np.random.default_rng(seed)
    out = []
    for c in range(10):
        members = np.flatnonzero(y.numpy() == c)
        if len(members) == 0:
            raise UserError(f"the test set has no image of class {c}; use a larger --test_limit")
        out.append([int(i) for i in rng.choice(members, size=min(per_class, len(members)), replace=False)])
    return out


def swap_grid(model: MLVAE, codes: dict, rows: list[int], column_groups: list[list[int]]) -> torch.Tensor:
    """Cell (r, c) = decode(style mean of image rows[r], class code accumulated over column_groups[c]).

    A column group of one image is that image's own class mean (no evidence). Returns (R, C, 1, 28, 28).
    """
    flat = torch.tensor([i for g in column_groups for i in g])
    owner = torch.tensor([k for k, g in enumerate(column_groups) for _ in g])
    col_mu, _ = accumulate_group_evidence(codes["class_mu"][flat], codes["class_logvar"][flat], owner,
                                          len(column_groups))
    n_r, n_c = len(rows), len(column_groups)
    style = codes["style_mu"][torch.tensor(rows)].repeat_interleave(n_c, 0)
    content = col_mu.repeat(n_r, 1)
    return model.decode(style, content).view(n_r, n_c, 1, 28, 28)


def swap_scores(model: MLVAE, judge: Judge, codes: dict, y: torch.Tensor, *, pairs: int, evidence: int,
                seed: int) -> dict:
    """Judge's verdict on decode(style of a, class code of b) over random test pairs (a, b), a != b.

    ``swap_class_kept``: classified as b's class (the class code wins); ``..._different_class_pairs`` only
    counts pairs of different classes, where ``swap_style_class_leak`` is the fraction classified as a's
    class instead (class information carried by the style code). ``..._with_evidence`` accumulates b's
    class code over b and ``evidence - 1`` other test images of b's class: a group the user supplies.
    """
    rng = np.random.default_rng(seed)
    n = len(y)
    a = rng.integers(0, n, size=pairs)
    b = (a + rng.integers(1, n, size=pairs)) % n  # b != a
    yn = y.numpy()
    style = codes["style_mu"][a]
    single = model.decode(style, codes["class_mu"][b])
    pred = judge.predict(single).numpy()
    diff = yn[a] != yn[b]
    # evidence groups: b plus random other members of b's class
    members = [np.flatnonzero(yn == c) for c in range(int(yn.max()) + 1)]
    flat, owner = [], []
    for k, j in enumerate(b):
        others = members[yn[j]][members[yn[j]] != j]
        extra = rng.choice(others, size=min(evidence - 1, len(others)), replace=False) if evidence > 1 else []
        flat += [int(j), *map(int, extra)]
        owner += [k] * (1 + len(extra))
    g_mu, _ = accumulate_group_evidence(codes["class_mu"][flat], codes["class_logvar"][flat], torch.tensor(owner),
                                        pairs)
    pred_ev = judge.predict(model.decode(style, g_mu)).numpy()
    return {
        "swap_class_kept": float((pred == yn[b]).mean()),
        "swap_class_kept_different_class_pairs": float((pred == yn[b])[diff].mean()) if diff.any() else float("nan"),
        "swap_style_class_leak": float((pred == yn[a])[diff].mean()) if diff.any() else float("nan"),
        "swap_class_kept_with_evidence": float((pred_ev == yn[b]).mean()),
        "swap_evidence_images": evidence,
        "swap_pairs": pairs,
    }


# ----------------------------------------------------------------------------- the script's work
def setting_name(cfg: dict) -> str:
    return cfg["setting"] or f"noise-{float(cfg['group_noise_std'])}"


def check_config(cfg: dict) -> None:
    """One-line errors for bad values, before any data is loaded or any folder is made."""
    if cfg["recon_loss"] not in RECON_LOSSES:
        raise UserError(f"--recon_loss={cfg['recon_loss']!r}: use {' or '.join(RECON_LOSSES)}")
    if cfg["schedule"] not in ("constant", "onecycle"):
        raise UserError(f"--schedule={cfg['schedule']!r}: use constant or onecycle")
    if cfg["group_noise_std"] < 0:
        raise UserError(f"--group_noise_std={cfg['group_noise_std']} must be >= 0")
    for key in ("epochs", "train_group_size", "eval_group_size", "train_limit", "test_limit"):
        if cfg[key] < 0:
            raise UserError(f"--{key}={cfg[key]} must be >= 0")
    for key in ("batch_size", "style_dim", "class_dim", "hidden", "swap_pairs", "swap_evidence", "tsne_points",
                "judge_epochs", "eval_batch_size"):
        if cfg[key] < 1:
            raise UserError(f"--{key}={cfg[key]} must be at least 1")
    for key in ("style_kl_coef", "class_kl_coef"):
        if cfg[key] < 0:
            raise UserError(f"--{key}={cfg[key]} must be >= 0")
    if cfg["lr"] <= 0:
        raise UserError(f"--lr={cfg['lr']} must be positive")


def run_mlvae_script(cfg: dict) -> dict:
    """Everything main_mlvae.py does; returns the metrics written to metrics.json."""
    from utils.mlvae_figures import loss_curves, swap_figure, tsne_figure

    t_start = time.perf_counter()
    device = get_device(cfg["device"])
    check_config(cfg)
    dataset = cfg["dataset"]
    split = load_split(dataset, cfg["data_dir"] or None, cfg["train_limit"], cfg["test_limit"])
    if split is None:
        raise UserError(f"{dataset} data not found (see the warning above)")
    tag, xtr, ytr, xte, yte, source = split
    setting = setting_name(cfg)
    out = run_dir(cfg["out_dir"], "mlvae", tag, setting)
    save_json(out / "config.json", {**cfg, "dataset": tag, "setting": setting, "data_source": source,
                                    "device_used": str(device)})
    log(f"{tag} ML-VAE ({setting}): {len(xtr)} train / {len(xte)} test images from {source}; device {device}")
    xtr_d, ytr_d = xtr.to(device), ytr.to(device)

    # 1. train
    seed_everything(cfg["seed"])
    model = MLVAE(style_dim=cfg["style_dim"], class_dim=cfg["class_dim"], hidden=cfg["hidden"],
                  group_noise_std=cfg["group_noise_std"], recon_loss=cfg["recon_loss"],
                  style_kl_coef=cfg["style_kl_coef"], class_kl_coef=cfg["class_kl_coef"],
                  train_group_size=cfg["train_group_size"]).to(device)
    t0 = time.perf_counter()
    history = train_mlvae(model, xtr_d, ytr_d, epochs=cfg["epochs"], batch_size=cfg["batch_size"], lr=cfg["lr"],
                          schedule=cfg["schedule"], seed=cfg["seed"], checkpoint=out / "mlvae.pt",
                          resume=cfg["resume"], progress=cfg["progress"], desc=f"{tag} ML-VAE {setting}",
                          extra={"dataset": tag, "setting": setting})
    train_seconds = time.perf_counter() - t0

    # 2. codes, probes, reconstructions
    t1 = time.perf_counter()
    ctr = model.codes(xtr_d, cfg["eval_batch_size"])
    cte = model.codes(xte, cfg["eval_batch_size"])
    metrics = {"dataset": tag, "setting": setting, "group_noise_std": model.group_noise_std,
               "recon_loss": model.recon_loss, "model_config": model.config}
    metrics.update(evaluate_codes(ctr, ytr, cte, yte, group_size=cfg["eval_group_size"], seed=cfg["seed"]))
    for row in metrics["table"]:
        row["group_noise_std"] = model.group_noise_std
    recon = model.decode(cte["style_mu"], cte["class_mu"], cfg["eval_batch_size"])
    metrics["test_recon_bce_per_image"] = float(
        F.binary_cross_entropy(recon.clamp(1e-6, 1 - 1e-6), xte, reduction="sum") / len(xte))
    metrics["test_recon_mse_per_pixel"] = float(F.mse_loss(recon, xte))
    probe_seconds = time.perf_counter() - t1

    # 3. the judge and the swaps
    t2 = time.perf_counter()
    judge = train_judge(xtr_d, ytr_d, epochs=cfg["judge_epochs"], seed=cfg["seed"], checkpoint=out / "judge.pt",
                        resume=cfg["resume"], progress=cfg["progress"], desc=f"{tag} judge (CNN)")
    metrics["judge_test_accuracy"] = float((judge.predict(xte) == yte).float().mean())
    metrics["judge_accuracy_on_test_reconstructions"] = float((judge.predict(recon) == yte).float().mean())
    metrics.update(swap_scores(model, judge, cte, yte, pairs=cfg["swap_pairs"], evidence=cfg["swap_evidence"],
                               seed=cfg["seed"]))
    swap_seconds = time.perf_counter() - t2

    # 4. figures
    t3 = time.perf_counter()
    exemplars = class_exemplars(yte, cfg["swap_evidence"], cfg["seed"])
    heads = [g[0] for g in exemplars]
    no_ev = swap_grid(model, cte, heads, [[i] for i in heads])
    with_ev = swap_grid(model, cte, heads, exemplars)
    n_ev = min(len(g) for g in exemplars)
    swap_figure(xte[heads], no_ev, tag, out / "swap_no_evidence.png",
                f"ML-VAE {tag} ({setting}): style of the row image + class code of the column image "
                "(single image, no evidence)")
    swap_figure(xte[heads], with_ev, tag, out / "swap_with_evidence.png",
                f"ML-VAE {tag} ({setting}): style of the row image + class code accumulated over the column "
                f"image and {n_ev - 1} other test images of its class (a user-supplied group)")
    n_tsne = min(cfg["tsne_points"], len(yte))
    pick = torch.from_numpy(np.random.default_rng(cfg["seed"]).choice(len(yte), n_tsne, replace=False))
    tsne_figure(cte["class_mu"][pick], yte[pick], tag, out / "tsne_class.png",
                f"t-SNE of class codes (single-image means), {n_tsne} test images, {tag} {setting}", cfg["seed"])
    tsne_figure(cte["style_mu"][pick], yte[pick], tag, out / "tsne_style.png",
                f"t-SNE of style codes (means), {n_tsne} test images, {tag} {setting}", cfg["seed"])
    loss_curves(history, out / "loss_curves.png", f"ML-VAE {tag} ({setting}): training loss terms per epoch")
    figure_seconds = time.perf_counter() - t3

    metrics["reference_table"] = REFERENCE_TABLE
    metrics["history"] = history
    metrics["seconds"] = {"train": train_seconds, "train_epochs_sum": sum(h["seconds"] for h in history),
                          "probes": probe_seconds, "judge_and_swaps": swap_seconds,
                          "figures": figure_seconds, "total": time.perf_counter() - t_start}
    metrics["n_train"], metrics["n_test"], metrics["device"] = len(xtr), len(xte), str(device)
    metrics["checkpoint_kind"] = MLVAE_KIND
    save_json(out / "metrics.json", metrics)
    log(f"{tag} ML-VAE {setting}: linear probe test accuracy, class code of one image "
        f"{100 * metrics['class_probe_test_accuracy_single_image']:.2f}%, style code "
        f"{100 * metrics['style_probe_test_accuracy']:.2f}%; swaps keep the column's class in "
        f"{100 * metrics['swap_class_kept']:.1f}% (judge test accuracy "
        f"{100 * metrics['judge_test_accuracy']:.1f}%); {time.perf_counter() - t_start:.0f} s; results in {out}")
    return metrics
