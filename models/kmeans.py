"""The SEQ quantizer: k-means on encoder features, clusters labelled by majority vote.

Fixes of the original (docs/originals.md 1.7): greedy k-means++ seeding instead of Forgy-with-replacement, an
empty cluster is re-seeded with the point farthest from its centroid (so no NaN centroid and no
endless loop), the iterations are bounded, and everything is seeded. Several restarts can be run, and the one with
the lowest inertia is kept: a label-free choice, which avoids the runs where two classes share a cluster. Runs on
any torch device (scikit-learn's KMeans does the same on a CPU; this one also runs on a GPU).
"""
from __future__ import annotations

import math

import numpy as np
import torch

from utils.metrics import majority_labels


def pairwise_sq_dists(x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """||x_i - c_k||^2 for all i, k, computed as |x|^2 - 2 x.c + |c|^2 (clamped at 0)."""
    return ((x * x).sum(1, keepdim=True) - 2 * x @ c.T + (c * c).sum(1)).clamp_min_(0)


def assign(x: torch.Tensor, centroids: torch.Tensor, chunk: int = 16384) -> tuple[torch.Tensor, torch.Tensor]:
    """Index of the nearest centroid and the squared distance to it, in chunks to bound memory."""
    idx, dist = [], []
    for part in x.split(chunk):
        d, i = pairwise_sq_dists(part, centroids).min(1)
        idx.append(i)
        dist.append(d)
    return torch.cat(idx), torch.cat(dist)


def kmeans_plus_plus(x: torch.Tensor, k: int, gen: torch.Generator, trials: int | None = None) -> torch.Tensor:
    """Greedy k-means++ seeding: for each new centre, ``trials`` candidates (default 2 + log k) are drawn with
    probability proportional to D(x)^2, and the one that lowers the sum of D(x)^2 most is kept."""
    n = x.shape[0]
    trials = trials or 2 + int(math.log(k))
    first = torch.randint(n, (1,), generator=gen).item()
    centres = [x[first]]
    closest = pairwise_sq_dists(x, x[first:first + 1]).squeeze(1)
    for _ in range(1, k):
        total = closest.sum()
        if total <= 0:  # fewer distinct points than k: take any point not yet chosen
            j = torch.randint(n, (1,), generator=gen).item()
            candidate = pairwise_sq_dists(x, x[j:j + 1]).squeeze(1)
        else:
            picks = torch.multinomial((closest / total).cpu(), trials, replacement=True, generator=gen).to(x.device)
            options = torch.minimum(closest.unsqueeze(1), pairwise_sq_dists(x, x[picks]))   # (n, trials)
            best = options.sum(0).argmin()
            j, candidate = picks[best].item(), options[:, best]
        centres.append(x[j])
        closest = torch.minimum(closest, candidate)
    return torch.stack(centres)


def kmeans(x: torch.Tensor, k: int, seed: int = 0, max_iter: int = 100, tol: float = 1e-4, restarts: int = 1):
    """Lloyd's algorithm from greedy k-means++ seeds, ``restarts`` times from different seeds; the run with the lowest
    inertia (sum of squared distances to the nearest centroid) is kept. Returns (centroids, assignments, inertia,
    iterations).

    Each run stops when the centroids move less than ``tol`` (relative to the mean squared norm of the data) or after
    ``max_iter`` iterations. No cluster is ever left empty.
    """
    if k > x.shape[0]:
        raise ValueError(f"k-means with k={k} needs at least k points, got {x.shape[0]}")
    x = x.float()
    runs = [_lloyd(x, k, torch.Generator().manual_seed(seed * 1_000_003 + r), max_iter, tol) for r in range(restarts)]
    return min(runs, key=lambda run: run[2])


def _lloyd(x: torch.Tensor, k: int, gen: torch.Generator, max_iter: int, tol: float):
    """One k-means run (see :func:`kmeans`)."""
    centroids = kmeans_plus_plus(x, k, gen)
    scale = (x * x).sum(1).mean().clamp_min(1e-12)
    iterations = 0
    for iterations in range(1, max_iter + 1):
        labels, dist = assign(x, centroids)
        counts = torch.bincount(labels, minlength=k)
        new = torch.zeros_like(centroids).index_add_(0, labels, x)
        empty = (counts == 0).nonzero().flatten()
        new = new / counts.clamp_min(1).unsqueeze(1).to(x.dtype)
        if len(empty):
            # Re-seed each empty cluster with one of the worst-fitted points (distinct for each).
            far = dist.topk(len(empty)).indices
            new[empty] = x[far]
        shift = ((new - centroids) ** 2).sum(1).max() / scale
        centroids = new
        if shift < tol and not len(empty):
            break
    labels, dist = assign(x, centroids)
    # Duplicate points can still leave a cluster empty (identical points always go to the same
    # centroid). Give each empty cluster the worst-fitted point of a cluster that has others to spare.
    for j in (torch.bincount(labels, minlength=k) == 0).nonzero().flatten().tolist():
        spare = torch.bincount(labels, minlength=k)[labels] > 1
        far = torch.where(spare, dist, torch.full_like(dist, -1.0)).argmax()
        centroids[j] = x[far]
        labels[far], dist[far] = j, 0.0
    return centroids, labels, float(dist.sum()), iterations


class KMeansQuantizer:
    """k-means on training features; a cluster's label is the majority label of its members.

    ``predict(z)`` classifies by the label of the nearest centroid (the SEQ classifier).
    """

    def __init__(self, k: int, seed: int = 0, max_iter: int = 100, tol: float = 1e-4, restarts: int = 1):
        self.k, self.seed, self.max_iter, self.tol, self.restarts = k, seed, max_iter, tol, restarts
        self.centroids: torch.Tensor | None = None
        self.cluster_labels: torch.Tensor | None = None
        self.inertia = float("nan")
        self.iterations = 0

    def fit(self, features: torch.Tensor, labels) -> "KMeansQuantizer":
        self.centroids, assignment, self.inertia, self.iterations = kmeans(
            features, self.k, self.seed, self.max_iter, self.tol, self.restarts)
        votes = majority_labels(np.asarray(labels), assignment.cpu().numpy(), n_clusters=self.k)
        self.cluster_labels = torch.as_tensor(votes, device=self.centroids.device)
        self.train_assignment = assignment
        return self

    def cluster(self, features: torch.Tensor) -> torch.Tensor:
        """Index of the nearest centroid for each feature vector."""
        return assign(features.float().to(self.centroids.device), self.centroids)[0]

    def predict(self, features: torch.Tensor) -> torch.Tensor:
        return self.cluster_labels[self.cluster(features)]

    def state_dict(self) -> dict:
        return {"k": self.k, "seed": self.seed, "max_iter": self.max_iter, "tol": self.tol, "restarts": self.restarts,
                "centroids": self.centroids.cpu(), "cluster_labels": self.cluster_labels.cpu(),
                "inertia": self.inertia, "iterations": self.iterations}

    @classmethod
    def from_state(cls, state: dict) -> "KMeansQuantizer":
        q = cls(state["k"], state["seed"], state["max_iter"], state["tol"], state.get("restarts", 1))
        q.centroids, q.cluster_labels = state["centroids"], state["cluster_labels"]
        q.inertia, q.iterations = state["inertia"], state["iterations"]
        return q
