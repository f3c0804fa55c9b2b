"""Clustering and classification metrics. All accuracies are fractions in [0, 1]."""
from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score


def _contingency(y_true, clusters) -> np.ndarray:
    y_true, clusters = np.asarray(y_true), np.asarray(clusters)
    if y_true.shape != clusters.shape or y_true.ndim != 1:
        raise ValueError(f"labels and clusters must be 1-D of equal length, got {y_true.shape} and {clusters.shape}")
    table = np.zeros((clusters.max() + 1, y_true.max() + 1), dtype=np.int64)
    np.add.at(table, (clusters, y_true), 1)
    return table


def hungarian_accuracy(y_true, clusters) -> float:
    """Best one-to-one matching of clusters to labels (for K = number of classes)."""
    table = _contingency(y_true, clusters)
    rows, cols = linear_sum_assignment(-table)
    return float(table[rows, cols].sum() / len(y_true))


def majority_labels(y_true, clusters, n_clusters: int | None = None) -> np.ndarray:
    """Label of each cluster by majority vote (ties -> smallest label; empty cluster -> 0)."""
    table = _contingency(y_true, clusters)
    if n_clusters is not None and n_clusters > table.shape[0]:
        table = np.vstack([table, np.zeros((n_clusters - table.shape[0], table.shape[1]), np.int64)])
    return table.argmax(axis=1)


def majority_accuracy(y_true, clusters) -> float:
    """Each cluster takes its majority label (many-to-one; for K larger than the number of classes).

    Evaluated on the same data the majority was taken from, this is the cluster purity.
    """
    table = _contingency(y_true, clusters)
    return float(table.max(axis=1).sum() / len(y_true))


def clustering_metrics(y_true, clusters) -> dict:
    """Hungarian accuracy, majority-vote accuracy (purity), NMI and ARI of a clustering."""
    return {
        "hungarian_accuracy": hungarian_accuracy(y_true, clusters),
        "majority_accuracy": majority_accuracy(y_true, clusters),
        "nmi": float(normalized_mutual_info_score(y_true, clusters)),
        "ari": float(adjusted_rand_score(y_true, clusters)),
    }


def linear_probe(ftr, ytr, fte, yte,
                 max_iter: int = 1000) -> tuple[float, float]:
    """Multinomial logistic regression on standardised codes: (train accuracy, test accuracy)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(ftr.numpy(), ytr.numpy())
    return float(clf.score(ftr.numpy(), ytr.numpy())), float(clf.score(fte.numpy(), yte.numpy()))
