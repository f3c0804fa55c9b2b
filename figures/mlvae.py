"""Figures of main_mlvae.py: the 11x11 style/class swap grid, t-SNE of the codes, the loss curves."""
from __future__ import annotations

import numpy as np
import torch
from matplotlib.ticker import MaxNLocator

from figures.plots import class_names, plt, save


def swap_figure(exemplars: torch.Tensor, cells: torch.Tensor, dataset: str, path, title: str):
    """Row 0 / column 0: the 10 exemplar images; cell (r, c) = style of row r with the class code of column c.

    ``exemplars``: (n, 1, 28, 28); ``cells``: (n, n, 1, 28, 28) in [0, 1]. Drawn as one mosaic (one
    axes instead of 121: ten times faster than a grid of subplots), with a gap after the exemplars.
    """
    names = class_names(dataset)
    n, pad, gap = len(exemplars), 2, 8
    size = 28 + pad
    side = (n + 1) * size + gap
    canvas = np.full((side, side), 0.5, dtype=np.float32)

    def put(r, c, img):
        y = r * size + (gap if r else 0)
        x = c * size + (gap if c else 0)
        canvas[y:y + 28, x:x + 28] = img

    for k in range(n):
        put(0, k + 1, exemplars[k, 0].numpy())
        put(k + 1, 0, exemplars[k, 0].numpy())
        for c in range(n):
            put(k + 1, c + 1, cells[k, c, 0].numpy())
    fig, ax = plt.subplots(figsize=(9.5, 9.8))
    ax.imshow(canvas, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    centres = [14] + [gap + k * size + 14 for k in range(1, n + 1)]
    ax.set_xticks(centres, ["class of\ncolumn"] + [f"class:\n{m}" for m in names[:n]], fontsize=7)
    ax.set_yticks(centres, ["style of\nrow"] + [f"style: {m}" for m in names[:n]], fontsize=7)
    ax.tick_params(length=0)
    ax.xaxis.tick_top()
    ax.set_title(title, fontsize=9, wrap=True)
    return save(fig, path)


def tsne_figure(codes: torch.Tensor, labels: torch.Tensor, dataset: str, path, title: str, seed: int = 0):
    """2-D t-SNE (sklearn, PCA initialisation) of ``codes`` coloured by label."""
    from sklearn.manifold import TSNE

    n = len(codes)
    perplexity = float(min(30.0, max(2.0, (n - 1) / 3)))
    xy = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(codes.numpy())
    names = class_names(dataset)
    fig, ax = plt.subplots(figsize=(7, 6))
    y = labels.numpy()
    for c in np.unique(y):  # only the classes present: an absent class gets no legend entry
        m = y == c
        ax.scatter(xy[m, 0], xy[m, 1], s=4, color=plt.cm.tab10(int(c) % 10), label=names[int(c)])
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(markerscale=3, fontsize=7.5, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    return save(fig, path)


def loss_curves(history: list[dict], path, title: str):
    """Reconstruction, class KL and style KL per epoch: per group (sums over its members), averaged over the
    groups of each batch and over the epoch's batches; the KLs before their coefficients are applied."""
    panels = [("recon", "reconstruction (-log p summed over a group's images)"),
              ("kl_class", "class KL (one per group)"), ("kl_style", "style KL (summed over a group's images)")]
    epochs = [h["epoch"] for h in history]
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    for ax, (key, label) in zip(axes, panels):
        ax.plot(epochs, [h.get(key, np.nan) for h in history], "o-", ms=3)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("epoch")
        # whole epochs only, even for a single epoch (the default falls back to ticks 0.96, 0.98, ...)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return save(fig, path)
