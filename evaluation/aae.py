"""AAE metrics of a trained head on the test set (error rates as fractions), and the images it generates per
category with what the independent judge (evaluation/judge.py) makes of them; writes nothing.

Clusters are labelled from training data only: no test label decides a prediction (:func:`predictions` takes none),
test labels only score. One input does read them: the supervised head's decoder is conditioned on the true label, so
its reconstruction error is measured given the test labels (a reconstruction, not a label score). The generated
images are judged against the class of their category: k itself for the heads trained with labels, the label a
cluster takes from training data for the clustering heads (:func:`category_classes`); no test label.
"""
from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F

from evaluation.judge import judged_as
from models.aae import (CLASSIFYING, CLUSTERING, AAE, circle_targets, mixture_centres, sample_gaussian,
                        sample_mixture)
from utils.metrics import clustering_metrics, linear_probe


def cluster_labels_paper(q_train: torch.Tensor, y_train: torch.Tensor) -> np.ndarray:
    """The paper's protocol for clusters: cluster k takes the label of the training image with the largest
    q(y = k | x). It reads one training label per cluster, never a test label."""
    best = q_train.argmax(0)
    return y_train.cpu().numpy()[best.numpy()]


def cluster_labels_majority(clusters_train: np.ndarray, y_train: torch.Tensor, n_y: int) -> np.ndarray:
    """Cluster k takes the most common TRAINING label of the training images in it (an empty cluster: label 0)."""
    table = np.zeros((n_y, 10), np.int64)
    np.add.at(table, (clusters_train, y_train.cpu().numpy()), 1)
    return table.argmax(1)


def predictions(model: AAE, te: dict, tr: dict | None, ytr: torch.Tensor) -> dict:
    """Every test-set prediction that :func:`evaluate` scores, keyed by the metric that scores it, plus the clusters
    and cluster labels behind them. Built from the codes and the TRAINING labels only (``tr``: the training codes,
    needed by the clustering heads): it takes no test label, so none can decide a prediction."""
    out = {}
    if model.head in CLASSIFYING:
        out["test_error"] = te["q_y"].argmax(1).numpy()
    if model.head in CLUSTERING:
        clusters_te, clusters_tr = te["q_y"].argmax(1).numpy(), tr["q_y"].argmax(1).numpy()
        out["cluster_labels_paper"] = cluster_labels_paper(tr["q_y"], ytr)
        out["cluster_labels_majority"] = cluster_labels_majority(clusters_tr, ytr, model.n_y)
        out["clusters"] = clusters_te
        out["test_error"] = out["cluster_labels_paper"][clusters_te]
        out["test_error_majority_train_labels"] = out["cluster_labels_majority"][clusters_te]
    if model.head == "regularize_z":  # the label-informed prior put class k on mixture component k
        out["test_error"] = torch.cdist(te["z"], mixture_centres(10)).argmin(1).numpy()
    return out


def evaluate(model: AAE, xtr, ytr, xte, yte, *, batch_size: int = 1000) -> tuple[dict, dict]:
    """Test-set metrics of the head: error rates as fractions, plus reconstruction MSE in [0, 1] pixel units; and
    the test codes (for the figures). Every prediction comes from :func:`predictions` (no test label); the test
    labels only score them."""
    t0 = time.perf_counter()
    te = model.codes(xte, batch_size)
    tr = model.codes(xtr, batch_size) if model.head in CLUSTERING or model.head == "supervised" else None
    pred = predictions(model, te, tr, ytr)
    yte_np = yte.cpu().numpy()
    out = {}
    if model.head in CLASSIFYING:
        out["test_error"] = float((pred["test_error"] != yte_np).mean())
        out["test_accuracy"] = 1 - out["test_error"]
    if model.head in CLUSTERING:
        clusters_te = pred["clusters"]
        scores = clustering_metrics(yte_np, clusters_te)
        counts = np.bincount(clusters_te, minlength=model.n_y)
        out.update({
            "test_error": float((pred["test_error"] != yte_np).mean()),
            "test_error_protocol": "cluster k takes the label of the training image with the largest q(y=k|x) "
                                   f"({model.n_y} training labels read; no test label)",
            "test_error_majority_train_labels": float((pred["test_error_majority_train_labels"] != yte_np).mean()),
            "hungarian_accuracy": scores["hungarian_accuracy"], "nmi": scores["nmi"], "ari": scores["ari"],
            "cluster_labels_paper": pred["cluster_labels_paper"].tolist(),
            "cluster_labels_majority": pred["cluster_labels_majority"].tolist(),
            "clusters_used_test": int((counts > 0).sum()), "cluster_counts_test": counts.tolist(),
        })
    if model.head == "regularize_z":
        out["test_error"] = float((pred["test_error"] != yte_np).mean())
        out["test_error_protocol"] = "nearest mixture component of z = predicted class (no test label)"
    if model.head == "supervised":  # how much label information is left in the style code (probe fitted on train)
        out["style_probe_train_accuracy"], out["style_probe_test_accuracy"] = linear_probe(tr["z"], ytr.cpu(),
                                                                                          te["z"], yte.cpu(), 300)
    if model.head == "projection":
        with torch.no_grad():
            heads = model.projected_heads().cpu()                        # P (10 e_k), (10, 2)
        out["projection_head_error"] = float((heads - circle_targets(model.n_y)).norm(dim=1).max())
    if model.cluster_heads is not None:
        heads = model.cluster_heads.detach().cpu().t()
        dist = torch.cdist(heads, heads)[~torch.eye(model.n_y, dtype=torch.bool)]
        out["cluster_head_min_distance"] = float(dist.min())
    y_in = None
    if model.head == "supervised":  # its decoder p(x | y, z) takes the label by definition: this head's
        y_in = F.one_hot(yte.cpu(), 10).float()  # test_recon_mse reads the TEST labels as input (no prediction)
    elif te["q_y"] is not None:
        y_in = te["q_y"]
    recon = model.images(y_in, te["z"], batch_size)
    out["test_recon_mse"] = float(F.mse_loss(recon, xte.cpu()))
    out["eval_seconds"] = time.perf_counter() - t0
    return out, te


def category_codes(model: AAE, n: int, seed: int) -> tuple[torch.Tensor | None, torch.Tensor]:
    """``n`` codes (y, z) per category k = 0..n_y-1, category after category, drawn as the model generates: y = e_k
    and z from the prior N(0, I), which the decoder sees as [y; z], W_c y + z or 10 y + z (``AAE.representation``);
    for regularize_z, whose decoder sees z only, y is None and z comes from mixture component k, the part of the
    prior its discriminator gave class k. Drawn from a generator seeded with ``seed``."""
    gen = torch.Generator().manual_seed(seed)
    category = torch.arange(model.n_y).repeat_interleave(n)
    if model.head == "regularize_z":
        return None, sample_mixture(category, model.n_y, generator=gen)
    return F.one_hot(category, model.n_y).float(), sample_gaussian(len(category), model.z_dim, generator=gen)


def generations(model: AAE, n: int, seed: int, batch_size: int = 1000) -> torch.Tensor:
    """The images decoded from :func:`category_codes`, (n_y, n, 1, 28, 28) in [0, 1]: row k = category k."""
    return model.images(*category_codes(model, n, seed), batch_size).view(model.n_y, n, 1, 28, 28)


def category_classes(model: AAE, metrics: dict) -> list[int]:
    """The class that category k stands for: k for the heads trained with labels (and the supervised head, whose
    label is the decoder's input); for the clustering heads the label :func:`evaluate` gave cluster k from TRAINING
    data (``cluster_labels_paper``, the labelling of their test_error)."""
    return list(metrics["cluster_labels_paper"]) if model.head in CLUSTERING else list(range(model.n_y))


def judged_generations(judge, images: torch.Tensor, classes: list[int]) -> dict:
    """What ``judge`` makes of :func:`generations` ``images``: ``judged_generations_per_category`` = the fraction of
    category k's images it puts in ``classes[k]``, ``judged_generations_class_kept`` = the fraction of all images
    (the mean of those, as every category has as many images). The judge sees these images only."""
    per_category = [judged_as(judge, imgs, torch.full((len(imgs),), int(c))) for imgs, c in zip(images, classes)]
    return {"judged_generations_class_kept": float(np.mean(per_category)),
            "judged_generations_per_category": per_category}
