"""Virtual adversarial training (VAT, Miyato et al. 2018) as IMSAT uses it to cluster (Hu et al. 2017, arXiv
1702.08720): a categorical head q(c|x) should not change its mind under the small perturbation of x that changes it
most. Not in the four papers of this repository; an optional term of the CatVAE and of the AAE heads with a
categorical code (``vat_weight``).

    r_adv = eps(x) * unit(grad_d KL(q(.|x) || q(.|x + xi * d)))    d ~ unit(N(0, I)), one power iteration
    vat   = mean over the batch of KL(q(.|x) || q(.|x + r_adv))     q(.|x) held fixed (no gradient through it)

IMSAT's radius is adaptive: eps(x) = 0.25 * the Euclidean distance from x to its 10th nearest training image
(``neighbour_distance``), so dense regions of the data get small perturbations and sparse ones large.
"""
from __future__ import annotations

import time
from typing import Callable

import torch
import torch.nn.functional as F

from models.kmeans import pairwise_sq_dists
from utils.progress import log


def neighbour_distance(x: torch.Tensor, k: int = 10, batch_size: int = 1000) -> torch.Tensor:
    """Euclidean distance of each row of ``x`` (flattened) to its k-th nearest other row, (N,).

    Exact, by blocks of ``batch_size`` rows against all N (O(N^2) multiply-adds; each run records its time as seconds.vat_radii).
    Duplicates of a row count as neighbours at distance 0; the row itself does not."""
    flat = x.flatten(1).float()
    n = len(flat)
    if not 1 <= k < n:
        raise ValueError(f"need 1 <= k < number of rows; got k={k} for {n} rows")
    out = torch.empty(n, device=flat.device)
    for start in range(0, n, batch_size):
        part = flat[start:start + batch_size]
        d2 = pairwise_sq_dists(part, flat)
        rows = torch.arange(len(part), device=flat.device)
        d2[rows, rows + start] = float("inf")                     # not its own neighbour
        out[start:start + len(part)] = d2.topk(k, dim=1, largest=False).values[:, -1].sqrt()
    return out


def radii(x: torch.Tensor, scale: float = 0.25, k: int = 10, desc: str = "") -> torch.Tensor:
    """IMSAT's per-image VAT radii: ``scale`` times each image's distance to its k-th nearest other image of ``x``
    (k capped at len(x) - 1), logged with the time it took."""
    t0 = time.perf_counter()
    eps = scale * neighbour_distance(x, min(k, len(x) - 1))
    log(f"{desc}: VAT radii from the {k}th-nearest-neighbour distances of {len(x)} training images "
        f"(mean radius {eps.mean():.3f}, {time.perf_counter() - t0:.0f} s)")
    return eps


def _unit(d: torch.Tensor) -> torch.Tensor:
    """Each row scaled to Euclidean norm 1 (over all but the first dimension)."""
    return F.normalize(d.flatten(1), dim=1).view_as(d)


def _kl_fixed(log_p: torch.Tensor, logits_q: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of KL(p || q), p given as (detached) log-probabilities."""
    return F.kl_div(F.log_softmax(logits_q, 1), log_p, reduction="batchmean", log_target=True)


def adversarial_direction(logits_fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                          log_p: torch.Tensor, xi: float = 10.0, iterations: int = 1) -> torch.Tensor:
    """Unit-norm direction per image that (approximately, by power iteration) increases KL(p || q(.|x + r)) most."""
    d = _unit(torch.randn_like(x))
    for _ in range(iterations):
        d.requires_grad_(True)
        grad, = torch.autograd.grad(_kl_fixed(log_p, logits_fn(x + xi * d)), d)
        d = _unit(grad.detach())
    return d


def vat_loss(logits_fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, eps: torch.Tensor | float,
             logits: torch.Tensor | None = None, xi: float = 10.0, iterations: int = 1) -> torch.Tensor:
    """The VAT term above, in nats per image. ``eps`` is a float or one radius per image, (B,); ``logits`` are
    logits_fn(x) if already computed (they are detached here: the clean prediction is the fixed target)."""
    log_p = F.log_softmax((logits if logits is not None else logits_fn(x)).detach(), 1)
    d = adversarial_direction(logits_fn, x, log_p, xi, iterations)
    radius = torch.as_tensor(eps, dtype=x.dtype, device=x.device)
    if radius.dim() == 1:
        radius = radius.view(-1, *[1] * (x.dim() - 1))
    return _kl_fixed(log_p, logits_fn(x + radius * d))
