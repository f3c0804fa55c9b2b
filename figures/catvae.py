"""The CatVAE / InfoCatVAE figures (docs/originals.md 2.5): each function writes one PNG and returns its path.

Cluster rows are labelled with the majority true label of the cluster's test images, or "empty" when none falls
in it (for reading the figure only; the labels choose nothing). The image grids are drawn as one mosaic (a single
imshow), which is ten times faster than one matplotlib axis per image (figures.plots.image_grid) for these 10 x 10
grids.
"""
from __future__ import annotations

import numpy as np
import torch
from sklearn.decomposition import PCA

from evaluation.catvae import prior_samples
from figures.plots import mosaic, scatter_by_label


def cluster_name(c: int, majority: list[int], names: list[str], counts: list[int]) -> str:
    """The name of cluster ``c``'s majority label, or "empty" when no test image falls in it (its majority label
    is then only a placeholder: utils.metrics.majority_labels gives an empty cluster label 0)."""
    return names[majority[c]] if counts[c] else "empty"


def row_labels(order: list[int], majority: list[int], names: list[str], counts: list[int]) -> list[str]:
    """One label per cluster row: "cluster c: <majority name or empty>"."""
    return [f"cluster {c}: {cluster_name(c, majority, names, counts)}" for c in order]


def path_labels(order: list[int], majority: list[int], names: list[str], counts: list[int]) -> list[str]:
    """One label per interpolation row: the path from each cluster to the next in ``order`` (the last to the first)."""
    return [f"c{a} ({cluster_name(a, majority, names, counts)}) -> c{b} ({cluster_name(b, majority, names, counts)})"
            for a, b in zip(order, order[1:] + order[:1])]


def cluster_order(majority: list[int], counts: list[int]) -> list[int]:
    """Clusters sorted by their majority label (empty clusters last), so rows read 0, 1, 2, ..."""
    return sorted(range(len(majority)), key=lambda c: (counts[c] == 0, majority[c], c))


def samples_by_cluster(model, path, n: int, majority, names, counts, seed: int = 0):
    """Row c: ``n`` decoded samples z ~ N(mu_c, I) of prior mode c (evaluation.catvae.prior_samples, the sampling
    that the judge scores)."""
    order = cluster_order(majority, counts)
    rows = [list(images[:, 0].numpy()) for images in prior_samples(model, order, n, seed)]
    return mosaic(rows, path, f"{model.variant_name}: samples z ~ N(mu_c, I) of each prior mode (row = cluster)",
                  row_labels=row_labels(order, majority, names, counts))


def interpolation(model, path, steps: int, majority, names, counts):
    """Row i: decoded straight path from the prior mode of one cluster to the next (in majority-label order)."""
    order = cluster_order(majority, counts)
    mu = model.prior_mu.cpu()
    t = torch.linspace(0, 1, steps)[:, None]
    pairs = zip(order, order[1:] + order[:1])
    onehot = torch.eye(len(mu))                      # a decoder that reads the cluster gets the same mix of a and b
    rows = [list(model.decode((1 - t) * mu[a] + t * mu[b], (1 - t) * onehot[a] + t * onehot[b])[:, 0].numpy())
            for a, b in pairs]
    return mosaic(rows, path, f"{model.variant_name}: interpolation between prior modes, (1-t) mu_a + t mu_b, "
                  f"t = 0..1 in {steps} steps", row_labels=path_labels(order, majority, names, counts))


def lambda_traversal(model, path, t_max: float, steps: int, majority, names, counts):
    """Row c: decode t * mu_c for t from 0 (the origin) to ``t_max`` (1 = the prior mode)."""
    order = cluster_order(majority, counts)
    mu = model.prior_mu.cpu()
    ts = torch.linspace(0, t_max, steps)
    rows = [list(model.decode(ts[:, None] * mu[c], torch.full((steps,), c))[:, 0].numpy()) for c in order]
    return mosaic(rows, path, f"{model.variant_name}: moving away from the origin along each cluster's subspace "
                  "(decode t * mu_c)", row_labels=row_labels(order, majority, names, counts),
                  col_labels=[f"t={t:.2f}" for t in ts.tolist()])


def reconstructions(x, recon, path, title: str):
    rows = [list(x[:, 0].numpy()), list(recon[:, 0].numpy())]
    return mosaic(rows, path, title, row_labels=["test", "decoded"])


def latent_pca(codes: torch.Tensor, labels: np.ndarray, prior_mu: torch.Tensor, path, names, title: str,
               max_points: int = 5000, seed: int = 0):
    """2-D PCA (fitted on all test codes) coloured by true label; black crosses = the K prior modes."""
    pca = PCA(n_components=2, random_state=seed).fit(codes.numpy())
    ratio = pca.explained_variance_ratio_
    return scatter_by_label(pca.transform(codes.numpy()), labels, names, path, title,
                            marks=pca.transform(prior_mu.cpu().numpy()), mark_label="prior modes",
                            xlabel=f"PC 1 ({100 * ratio[0]:.1f}% of variance)",
                            ylabel=f"PC 2 ({100 * ratio[1]:.1f}% of variance)", max_points=max_points, seed=seed)
