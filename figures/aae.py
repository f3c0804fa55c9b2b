"""Figures of main_aae.py (docs/originals.md 3.2-3.8): each function writes one PNG and returns its path."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from models.aae import CLUSTERING, circle_targets, mixture_centres
from figures.plots import class_names, mosaic, scatter_by_label


def analogy(model, x, y, path, title: str, seed: int = 0):
    """Row = one test image per class (first column) and its style z decoded with each of the 10 one-hot labels."""
    rng = np.random.default_rng(seed)
    ys = y.cpu().numpy()
    rows_idx = [int(rng.choice(np.flatnonzero(ys == c))) for c in range(10) if (ys == c).any()]
    z = model.codes(x[rows_idx])["z"]
    eye = torch.eye(10)
    rows = []
    for k in range(len(rows_idx)):
        decoded = model.images(eye, z[k].expand(10, -1))
        rows.append([x[rows_idx[k], 0].cpu().numpy()] + list(decoded[:, 0].numpy()))
    return mosaic(rows, path, title, row_labels=[f"test image {i}" for i in range(len(rows))],
                  col_labels=["input"] + [f"label {c}" for c in range(10)])


def cluster_grid(model, x, codes: dict, path, title: str, per_row: int = 11, seed: int = 0):
    """One row per cluster: the cluster head (decoded y = e_k, z = 0) then up to ``per_row`` real test images whose
    most likely cluster is k (as the reference's clusters.png)."""
    rng = np.random.default_rng(seed)
    k = model.n_y
    heads = model.images(torch.eye(k), torch.zeros(k, model.z_dim))
    assigned = codes["q_y"].argmax(1).numpy()
    rows, labels = [], []
    for c in range(k):
        members = np.flatnonzero(assigned == c)
        pick = rng.choice(members, size=min(per_row, len(members)), replace=False) if len(members) else []
        rows.append([heads[c, 0].numpy()] + [x[int(i), 0].cpu().numpy() for i in pick])
        labels.append(f"cluster {c} ({len(members)})")
    return mosaic(rows, path, title, row_labels=labels)


def scatter(model, codes: dict, y, dataset: str, path, title: str, seed: int = 0):
    """The 2-d code of the head, coloured by the true label: z (regularize_z, with the mixture's centres),
    r = W_c y + z with the cluster heads (dimensionality reduction), P r with the heads on their circle
    (projection), else the first two dimensions of z."""
    names = class_names(dataset)
    labels = y.cpu().numpy()
    head = model.head
    if head == "regularize_z":
        return scatter_by_label(codes["z"], labels, names, path, title, marks=mixture_centres(10),
                                mark_label="mixture component k (class k)", seed=seed, equal=True)
    if model.cluster_heads is not None:
        heads = model.cluster_heads.detach().cpu().t()
        return scatter_by_label(codes["r"], labels, names, path, title, marks=heads,
                                mark_label="cluster heads W_c e_k", xlabel="r_1", ylabel="r_2", seed=seed, equal=True)
    if head == "projection":
        weight = model.projection.weight.detach().cpu()                 # (2, 10)
        points, marks = codes["r"] @ weight.t(), 10 * weight.t()         # marks = P (10 e_k)
        return scatter_by_label(points, labels, names, path, title, marks=marks,
                                mark_label="projected heads P (10 e_k)", xlabel="P r, 1", ylabel="P r, 2",
                                seed=seed, equal=True)
    return scatter_by_label(codes["z"][:, :2], labels, names, path, title, xlabel="z_1", ylabel="z_2", seed=seed)


def scatter_what(model) -> str:
    """What ``scatter`` draws, for its title: the 2-d code, or the first two dimensions of a larger z."""
    if model.head == "projection":
        return "projection P r of the 10-d code r = 10 y + z"
    if model.cluster_heads is not None:
        return "2-d code r = W_c y + z"
    return "2-d code z" if model.z_dim == 2 else f"first 2 of the {model.z_dim} dimensions of z"


def reconstructions(model, x, y, codes: dict, path, title: str, n: int = 12):
    y_in = F.one_hot(y[:n].cpu(), 10).float() if model.head == "supervised" else (
        codes["q_y"][:n] if codes["q_y"] is not None else None)
    recon = model.images(y_in, codes["z"][:n])
    return mosaic([list(x[:n, 0].cpu().numpy()), list(recon[:, 0].numpy())], path, title,
                  row_labels=["test", "decoded"])


def category_samples(model, images, classes: list[int], dataset: str, path, title: str, per_row: int = 10):
    """One row per category k: the first ``per_row`` of the generated images the judge scores for it
    (evaluation.aae.generations), labelled with the class it stands for (a cluster's from training data)."""
    names = class_names(dataset)
    labels = [f"cluster {k}: {names[c]}" if model.head in CLUSTERING else names[c] for k, c in enumerate(classes)]
    return mosaic([list(row[:per_row, 0].numpy()) for row in images], path, title, row_labels=labels)


def projection_heads(model, path, title: str):
    """Where P puts the heads 10 e_k against the targets on the circle of radius 5."""
    from figures.plots import plt, save

    with torch.no_grad():
        heads = model.projected_heads().cpu().numpy()
    target = circle_targets(model.n_y).numpy()
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    t = np.linspace(0, 2 * np.pi, 200)
    ax.plot(5 * np.cos(t), 5 * np.sin(t), color="0.7", lw=1, label="circle of radius 5")
    ax.scatter(target[:, 0], target[:, 1], s=80, facecolors="none", edgecolors="black", label="targets")
    ax.scatter(heads[:, 0], heads[:, 1], marker="x", s=60, color="tab:red", label="P (10 e_k), learned")
    for k, (u, v) in enumerate(heads):
        ax.annotate(str(k), (u, v), xytext=(4, 4), textcoords="offset points", fontsize=8)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)  # hides no head
    ax.grid(alpha=0.3)
    return save(fig, path)


def figures_for(model, x, y, codes: dict, dataset: str, out, setting: str, seed: int = 0, generated=None,
                classes=None) -> list:
    """Every figure that fits the head; returns their paths. ``generated``, ``classes``: the images generated per
    category and their classes (evaluation.aae.generations, category_classes), drawn when given."""
    head, name = model.head, f"AAE {model.head}/{setting}"
    paths = [reconstructions(model, x, y, codes, out / "reconstructions.png",
                             f"{name}: test images (top) and reconstructions (bottom)"),
             scatter(model, codes, y, dataset, out / "scatter.png",
                     f"{name}: {scatter_what(model)} of the test images, coloured by true label")]
    if head in ("supervised", "semi_supervised"):
        paths.append(analogy(model, x, y, out / "analogy.png",
                             f"{name}: style z of a test image (row) decoded with every label (column)", seed))
    if head in CLUSTERING or head == "semi_supervised":
        paths.append(cluster_grid(model, x, codes, out / "clusters.png",
                                  f"{name}: cluster head (first column) and test images assigned to it", seed=seed))
    if generated is not None:
        prior = "mixture component k" if head == "regularize_z" else "y = e_k, z from the prior"
        paths.append(category_samples(model, generated, classes, dataset, out / "samples.png",
                                      f"{name}: generated images per category ({prior})"))
    if head == "projection":
        paths.append(projection_heads(model, out / "projection_heads.png",
                                      f"{name}: learned projection of the heads onto the circle"))
    return paths
