"""The CatVAE / InfoCatVAE figures (ORIGINALS.md 2.5): each function writes one PNG and returns its path.

Cluster rows are labelled with the majority true label of the cluster's test images (for reading the figure
only; the labels choose nothing). The image grids are drawn as one mosaic (a single imshow), which is ten times
faster than one matplotlib axis per image (utils.plots.image_grid) for these 10 x 10 grids.
"""
from __future__ import annotations

import numpy as np
import torch
from sklearn.decomposition import PCA

from utils.plots import mosaic, plt, save


def _cluster_label(c: int, majority: list[int], names: list[str], counts: list[int]) -> str:
    return f"cluster {c}: {names[majority[c]]}" if counts[c] else f"cluster {c}: empty"


def cluster_order(majority: list[int], counts: list[int]) -> list[int]:
    """Clusters sorted by their majority label (empty clusters last), so rows read 0, 1, 2, ..."""
    return sorted(range(len(majority)), key=lambda c: (counts[c] == 0, majority[c], c))


def samples_by_cluster(model, path, n: int, majority, names, counts, seed: int = 0):
    """Row c: ``n`` decoded samples z ~ N(mu_c, I) of prior mode c."""
    gen = torch.Generator().manual_seed(seed)
    order = cluster_order(majority, counts)
    mu = model.prior_mu.cpu()
    rows = []
    for c in order:
        z = mu[c] + torch.randn(n, model.latent_dim, generator=gen)
        rows.append(list(model.decode(z)[:, 0].numpy()))
    return mosaic(rows, path, f"{model.variant_name}: samples z ~ N(mu_c, I) of each prior mode (row = cluster)",
                      row_labels=[_cluster_label(c, majority, names, counts) for c in order])


def interpolation(model, path, steps: int, majority, names, counts):
    """Row i: decoded straight path from the prior mode of one cluster to the next (in majority-label order)."""
    order = cluster_order(majority, counts)
    mu = model.prior_mu.cpu()
    t = torch.linspace(0, 1, steps)[:, None]
    rows, labels = [], []
    for a, b in zip(order, order[1:] + order[:1]):
        rows.append(list(model.decode((1 - t) * mu[a] + t * mu[b])[:, 0].numpy()))
        labels.append(f"c{a} ({names[majority[a]]}) -> c{b} ({names[majority[b]]})")
    return mosaic(rows, path, f"{model.variant_name}: interpolation between prior modes, (1-t) mu_a + t mu_b, "
                      f"t = 0..1 in {steps} steps", row_labels=labels)


def lambda_traversal(model, path, t_max: float, steps: int, majority, names, counts):
    """Row c: decode t * mu_c for t from 0 (the origin) to ``t_max`` (1 = the prior mode)."""
    order = cluster_order(majority, counts)
    mu = model.prior_mu.cpu()
    ts = torch.linspace(0, t_max, steps)
    rows = [list(model.decode(ts[:, None] * mu[c])[:, 0].numpy()) for c in order]
    return mosaic(rows, path, f"{model.variant_name}: moving away from the origin along each cluster's subspace "
                      "(decode t * mu_c)", row_labels=[_cluster_label(c, majority, names, counts) for c in order],
                      col_labels=[f"t={t:.2f}" for t in ts.tolist()])


def reconstructions(x, recon, path, title: str):
    rows = [list(x[:, 0].numpy()), list(recon[:, 0].numpy())]
    return mosaic(rows, path, title, row_labels=["test", "decoded"])


def latent_pca(codes: torch.Tensor, labels: np.ndarray, prior_mu: torch.Tensor, path, names, title: str,
               max_points: int = 5000, seed: int = 0):
    """2-D PCA (fitted on all test codes) coloured by true label; black crosses = the K prior modes."""
    pca = PCA(n_components=2, random_state=seed).fit(codes.numpy())
    rng = np.random.default_rng(seed)
    pick = rng.permutation(len(codes))[:max_points]
    xy, modes = pca.transform(codes.numpy()[pick]), pca.transform(prior_mu.cpu().numpy())
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    cmap = plt.get_cmap("tab10")
    for c in np.unique(labels):
        sel = labels[pick] == c
        ax.scatter(xy[sel, 0], xy[sel, 1], s=4, alpha=0.5, color=cmap(int(c) % 10), label=names[int(c)])
    ax.scatter(modes[:, 0], modes[:, 1], marker="x", s=70, color="black", label="prior modes")
    for k, (u, v) in enumerate(modes):
        ax.annotate(str(k), (u, v), fontsize=8, xytext=(3, 3), textcoords="offset points")
    ratio = pca.explained_variance_ratio_
    ax.set_xlabel(f"PC 1 ({100 * ratio[0]:.1f}% of variance)")
    ax.set_ylabel(f"PC 2 ({100 * ratio[1]:.1f}% of variance)")
    ax.set_title(title, fontsize=10)
    legend = ax.legend(fontsize=7, loc="best")
    for handle in legend.legend_handles:
        handle.set_sizes([25])
    ax.grid(alpha=0.3)
    return save(fig, path)
