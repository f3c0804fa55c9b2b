"""Generic figure pieces shared by every paper: labelled image grids, mosaics, scatter plots, class names."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: figures are files
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

DATASET_TITLES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "mnist-sample": "MNIST (5k sample)"}


def save(fig, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def image_grid(rows: list, path, title: str, row_labels: list[str] | None = None,
               col_labels: list[str] | None = None, boxed: set | None = None, cell: float = 0.9) -> Path:
    """Draw a grid of 28x28 images (``rows`` = list of lists of HxW arrays in [0, 1]).

    ``boxed`` holds (row, col) cells to outline in red (e.g. the anchors of a convex combination).
    """
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(cell * n_cols + 1.2, cell * n_rows + 0.8), squeeze=False)
    for r in range(n_rows):
        for c in range(n_cols):
            ax = axes[r][c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(rows[r]) and rows[r][c] is not None:
                ax.imshow(np.asarray(rows[r][c]).reshape(28, 28), cmap="gray", vmin=0, vmax=1)
            else:
                ax.axis("off")
            for spine in ax.spines.values():
                spine.set_visible(False)
            if boxed and (r, c) in boxed:
                for spine in ax.spines.values():
                    spine.set_visible(True)
                    spine.set_color("red")
                    spine.set_linewidth(2.5)
            if row_labels and c == 0:
                ax.set_ylabel(row_labels[r], rotation=0, ha="right", va="center", fontsize=8)
            if col_labels and r == 0:
                ax.set_title(col_labels[c], fontsize=8)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return save(fig, path)


def mosaic(rows: list, path, title: str, row_labels: list[str] | None = None,
           col_labels: list[str] | None = None, gap: int = 2, cell: float = 0.62):
    """One image of 28x28 tiles (``rows`` = lists of arrays in [0, 1]) separated by ``gap`` white pixels."""
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    step = 28 + gap
    canvas = np.ones((n_rows * step - gap, n_cols * step - gap))
    for r, row in enumerate(rows):
        for c, img in enumerate(row):
            canvas[r * step:r * step + 28, c * step:c * step + 28] = np.asarray(img).reshape(28, 28)
    fig, ax = plt.subplots(figsize=(cell * n_cols + 1.6, cell * n_rows + 0.9))
    ax.imshow(canvas, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_yticks([r * step + 13.5 for r in range(n_rows)] if row_labels else [])
    ax.set_yticklabels(row_labels or [], fontsize=7)
    ax.set_xticks([c * step + 13.5 for c in range(n_cols)] if col_labels else [])
    ax.set_xticklabels(col_labels or [], fontsize=7)
    ax.tick_params(length=0)
    if col_labels:
        ax.xaxis.tick_top()
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(title, fontsize=9, pad=14 if col_labels else 6)
    return save(fig, path)


def scatter_by_label(points, labels, names: list[str], path, title: str, *, xlabel: str = "dimension 1",
                     ylabel: str = "dimension 2", marks=None, mark_label: str = "", annotate: bool = True,
                     max_points: int = 10000, seed: int = 0, equal: bool = False) -> Path:
    """2-D points coloured by their true label; optional black crosses ``marks`` (K, 2), numbered.

    At most ``max_points`` points (a seeded random subset) keep the figure readable and small.
    """
    points, labels = np.asarray(points), np.asarray(labels)
    pick = np.random.default_rng(seed).permutation(len(points))[:max_points]
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    cmap = plt.get_cmap("tab10")
    for c in np.unique(labels):
        sel = pick[labels[pick] == c]
        ax.scatter(points[sel, 0], points[sel, 1], s=4, alpha=0.5, color=cmap(int(c) % 10), label=names[int(c)])
    if marks is not None:
        marks = np.asarray(marks)
        ax.scatter(marks[:, 0], marks[:, 1], marker="x", s=70, color="black", label=mark_label or None)
        if annotate:
            for k, (u, v) in enumerate(marks):
                ax.annotate(str(k), (u, v), fontsize=8, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if equal:
        ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(title, fontsize=10)
    # outside the axes: inside, even the "best" corner hides points or a numbered mark of a dense scatter
    legend = ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    for handle in legend.legend_handles:
        handle.set_sizes([25])
    ax.grid(alpha=0.3)
    return save(fig, path)


FASHION_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                 "Ankle boot"]


def class_names(dataset: str) -> list[str]:
    """Readable class names for figure labels."""
    return FASHION_NAMES if dataset == "fashion-mnist" else [f"digit {i}" for i in range(10)]
