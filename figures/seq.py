"""SEQ figures: the accuracy-vs-clusters plot (step 1) and the decoder's images (step 2). One function per PNG."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from figures.plots import DATASET_TITLES, image_grid, plt, save
from models.seq import combine, convex_grid_weights

COLORS = {"cae4": "tab:blue", "lae4": "tab:orange", "lae2": "tab:green"}


def accuracy_vs_clusters(curves: dict, paper: dict, names: dict, path) -> Path:
    """Write :func:`accuracy_vs_clusters_figure` to ``path`` (results/seq/accuracy_vs_clusters.png)."""
    return save(accuracy_vs_clusters_figure(curves, paper, names), path)


def accuracy_vs_clusters_figure(curves: dict, paper: dict, names: dict):
    """One panel per data set; one curve per encoder; dotted softmax line; dashed paper CAE-4 curve.

    ``curves[dataset][arch] = {"ks": [...], "acc": [...], "softmax": float}`` (fractions). The y-range spans every
    drawn value, the softmax lines included (a softmax far below the quantizer would otherwise be listed in the
    legend but drawn outside the axes), and each legend sits to the right of its panel, where it hides no point.
    """
    datasets = list(curves)
    fig, axes = plt.subplots(1, len(datasets), figsize=(8.4 * len(datasets), 4.6), squeeze=False,
                             layout="constrained")
    for ax, ds in zip(axes[0], datasets):
        drawn = []  # every plotted value (%), for the y-range
        for arch, c in curves[ds].items():
            color = COLORS.get(arch)
            # not clipped: every point lies within the y-range, and a point at 100% would lose its top half
            ax.plot(c["ks"], 100 * np.asarray(c["acc"]), "o-", color=color, label=f"{names.get(arch, arch)} (ours)",
                    clip_on=False)
            ax.axhline(100 * c["softmax"], color=color, ls=":", lw=1.3,
                       label=f"{names.get(arch, arch)} softmax {100 * c['softmax']:.2f}%")
            drawn += [*c["acc"], c["softmax"]]
        ref = paper.get(ds)
        if ref:
            ax.plot(paper["ks"], 100 * np.asarray(ref["cae4"]), "s--", color="0.35", ms=4,
                    label="CAE-4 (paper, digitized)")
            ax.axhline(100 * ref["softmax"], color="black", lw=1, label=f"softmax (paper) {100 * ref['softmax']:.1f}%")
            drawn += [*ref["cae4"], ref["softmax"]]
        low, high = 100 * min(drawn), 100 * max(drawn)
        pad = max(1.0, 0.05 * (high - low))
        ax.set_ylim(max(0.0, low - pad), min(100.0, high + pad))
        ax.set_title(f"SEQ on {DATASET_TITLES.get(ds, ds)}: test accuracy vs clusters")
        ax.set_xlabel("number of k-means clusters K")
        ax.set_ylabel("test accuracy (%)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    return fig


# ----------------------------------------------------------------------------- step 2: the decoder's figures
# ``dc`` is an evaluation.seq.DecodedClusters: the decoder, the quantizer and the clusters' members.
def reconstructions(x, recon, path) -> Path:
    rows = [list(x[:, 0].numpy()), list(recon[:, 0].numpy())]
    return image_grid(rows, path, "Test images (top) and their reconstructions (bottom)",
                      row_labels=["test", "decoded"])


def centroids_by_class(dc, names: list[str], per_class: int, path) -> Path:
    centroids = dc.quantizer.centroids.cpu()
    rows, labels = [], []
    for c in range(len(names)):
        ids = dc.class_clusters(c)[:per_class]
        rows.append(list(dc.decoder.decode(centroids[ids])[:, 0].numpy()) if ids else [None])
        labels.append(f"{names[c]} ({len(dc.class_clusters(c))})")
    return image_grid(rows, path, f"Decoded k-means centroids (K={dc.quantizer.k}), largest clusters first; "
                      "(n) = clusters of the class", row_labels=labels)


def subclass_styles(dc, names: list[str], n_members: int, rng: np.random.Generator, path) -> Path | None:
    """For the classes with the most clusters: members of three different clusters, one row each."""
    counts = [(len(dc.class_clusters(c)), c) for c in range(len(names))]
    classes = [c for n, c in sorted(counts, reverse=True) if n >= 3][:4]
    rows, labels = [], []
    for c in classes:
        for cl in [k for k in dc.class_clusters(c) if dc.sizes[k] > 0][:3]:
            pick = rng.choice(dc.members(cl), size=min(n_members, dc.sizes[cl]), replace=False)
            rows.append(list(dc.decoder.decode(dc.ztr[pick])[:, 0].numpy()))
            labels.append(f"{names[c]}\ncluster {cl}")
    if not rows:
        return None
    return image_grid(rows, path, "Sub-class styles: decoded members of three clusters of the same class",
                      row_labels=labels)


def convex(dc, names: list[str], mode: str, steps: int, extrapolate: bool, rng: np.random.Generator,
           path) -> Path | None:
    """Combinations of three anchors, for the first three classes that have anchors, one (steps+1)^2 block each."""
    weights = convex_grid_weights(steps, extrapolate)
    shown, blocks, titles = set(), [], []
    for c, idx in dc.anchor_sets(mode, 200, rng):
        if c in shown:
            continue
        shown.add(c)
        images = iter(dc.decoder.decode(combine(dc.ztr[idx], weights))[:, 0].numpy())
        grid = [[next(images) if not np.isnan(weights[i, j]).any() else None for j in range(steps + 1)]
                for i in range(steps + 1)]
        blocks.append(grid)
        anchors = list(dict.fromkeys(int(k) for k in dc.clusters[idx]))  # "cluster 7", not "clusters 7, 7, 7"
        titles.append(f"{names[c]}: cluster{'s' if len(anchors) > 1 else ''} {', '.join(map(str, anchors))}")
        if len(blocks) == 3:
            break
    if not blocks:
        return None
    rows = [sum(([*b[i], None] for b in blocks), [])[:-1] for i in range(steps + 1)]
    col_labels = sum(([t] + [""] * steps + [""] for t in titles), [])[:-1]
    boxed = {(r, b * (steps + 2) + col) for b in range(len(blocks)) for r, col in ((0, 0), (0, steps), (steps, 0))}
    what = "one cluster (similar style)" if mode == "same_cluster" else "three clusters of one class (different styles)"
    kind = "affine, extrapolated where a+b>1" if extrapolate else "convex only; blank = would extrapolate"
    return image_grid(rows, path, f"Combinations of three anchors (red) from {what}\n"
                      f"row i: weight a=i/{steps} on z3 (bottom-left), column j: b=j/{steps} on z2 (top-right); {kind}",
                      col_labels=col_labels, boxed=boxed, row_labels=[f"a={i}/{steps}" for i in range(steps + 1)])


def style_transfer(dc, names: list[str], steps: int, path) -> Path:
    """Decoded straight paths between centroids: within a class (sub-class to sub-class) and across classes."""
    centroids = dc.quantizer.centroids.cpu()
    t = torch.linspace(0, 1, steps)[:, None]
    rows, labels = [], []
    for c, a, b in dc.within_class_paths():
        rows.append(list(dc.decoder.decode((1 - t) * centroids[a] + t * centroids[b])[:, 0].numpy()))
        labels.append(f"{names[c]}\nclusters {a} → {b}")
    for c1, c2 in [(c, (c + 1) % len(names)) for c in range(0, len(names), 2)]:
        if dc.class_clusters(c1) and dc.class_clusters(c2):
            a, b = dc.class_clusters(c1)[0], dc.class_clusters(c2)[0]
            rows.append(list(dc.decoder.decode((1 - t) * centroids[a] + t * centroids[b])[:, 0].numpy()))
            labels.append(f"{names[c1]} → {names[c2]}")
    return image_grid(rows, path, f"Style transfer: {steps} evenly spaced steps between two centroids; top rows "
                      "within a class (one sub-class to another), bottom rows between classes",
                      row_labels=labels, col_labels=[f"t={v:.2f}" for v in t.flatten().tolist()])
