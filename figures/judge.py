"""The judge's figure: its confusion matrix on the scored images."""
from __future__ import annotations

import numpy as np

from figures.plots import class_names, plt, save


def confusion(matrix, dataset: str, path, title: str):
    """Row-normalised confusion matrix (true class by row, judged class by column) with the per-cell percentages."""
    m = np.asarray(matrix, dtype=float)
    share = m / np.maximum(m.sum(1, keepdims=True), 1)
    names = class_names(dataset)
    fig, ax = plt.subplots(figsize=(7.2, 6.4))
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(m)):
        for j in range(len(m)):
            if m[i, j]:
                ax.text(j, i, f"{100 * share[i, j]:.1f}", ha="center",
                        va="center", fontsize=6.5, color="white" if share[i, j] > 0.5 else "black")
    ax.set_xticks(range(len(m)), names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(m)), names, fontsize=8)
    ax.set_xlabel("judged class")
    ax.set_ylabel("true class")
    ax.set_title(title, fontsize=10)
    return save(fig, path)
