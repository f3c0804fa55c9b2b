"""AAE metrics of a trained head on the test set (error rates as fractions); writes nothing.

Clusters are labelled from training data only: no test label decides a prediction, test labels only score.
"""
from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F

from models.aae import CLASSIFYING, CLUSTERING, AAE, circle_targets, mixture_centres
from utils.metrics import clustering_metrics, linear_probe


def cluster_labels_paper(q_train: torch.Tensor, y_train: torch.Tensor) -> np.ndarray:
    """The paper's protocol for clusters: cluster k takes the label of the training image with the largest
    q(y = k | x). It reads one training label per cluster, never a test label."""
    best = q_train.argmax(0)
    return y_train.cpu().numpy()[best.numpy()]


def evaluate(model: AAE, xtr, ytr, xte, yte, *, batch_size: int = 1000) -> tuple[dict, dict]:
    """Test-set metrics of the head: error rates as fractions, plus reconstruction MSE in [0, 1] pixel units; and
    the test codes (for the figures)."""
    t0 = time.perf_counter()
    te = model.codes(xte, batch_size)
    yte_np = yte.cpu().numpy()
    out = {}
    if model.head in CLASSIFYING:
        pred = te["q_y"].argmax(1).numpy()
        out["test_error"] = float((pred != yte_np).mean())
        out["test_accuracy"] = 1 - out["test_error"]
    if model.head in CLUSTERING:
        tr = model.codes(xtr, batch_size)
        clusters_te, clusters_tr = te["q_y"].argmax(1).numpy(), tr["q_y"].argmax(1).numpy()
        paper_labels = cluster_labels_paper(tr["q_y"], ytr)
        table = np.zeros((model.n_y, 10), np.int64)
        np.add.at(table, (clusters_tr, ytr.cpu().numpy()), 1)
        majority = table.argmax(1)
        scores = clustering_metrics(yte_np, clusters_te)
        counts = np.bincount(clusters_te, minlength=model.n_y)
        out.update({
            "test_error": float((paper_labels[clusters_te] != yte_np).mean()),
            "test_error_protocol": "cluster k takes the label of the training image with the largest q(y=k|x) "
                                   f"({model.n_y} training labels read; no test label)",
            "test_error_majority_train_labels": float((majority[clusters_te] != yte_np).mean()),
            "hungarian_accuracy": scores["hungarian_accuracy"], "nmi": scores["nmi"], "ari": scores["ari"],
            "cluster_labels_paper": paper_labels.tolist(), "cluster_labels_majority": majority.tolist(),
            "clusters_used_test": int((counts > 0).sum()), "cluster_counts_test": counts.tolist(),
        })
    if model.head == "regularize_z":  # the label-informed prior put class k on mixture component k
        centres = mixture_centres(10)
        pred = torch.cdist(te["z"], centres).argmin(1).numpy()
        out["test_error"] = float((pred != yte_np).mean())
        out["test_error_protocol"] = "nearest mixture component of z = predicted class (no test label)"
    if model.head == "supervised":  # how much label information is left in the style code
        tr = model.codes(xtr, batch_size)
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
    if model.head == "supervised":
        y_in = F.one_hot(yte.cpu(), 10).float()
    elif te["q_y"] is not None:
        y_in = te["q_y"]
    recon = model.images(y_in, te["z"], batch_size)
    out["test_recon_mse"] = float(F.mse_loss(recon, xte.cpu()))
    out["eval_seconds"] = time.perf_counter() - t0
    return out, te
