"""The same probes for every system's representation (issue 27's comparison): how much class information a code holds
and in what form; writes nothing.

For codes of the training images (``train``) and of the scored images (``test``):

- linear probe: multinomial logistic regression on standardised codes, fitted on all training codes and labels,
  accuracy on the scored codes (utils.metrics.linear_probe);
- k-means: K clusters fitted on the training codes without labels (10 restarts, lowest inertia), the scored codes
  assigned to the nearest centroid; Hungarian accuracy and NMI against the scored labels (scoring only);
- few labels: the same logistic regression fitted on ``labels`` training images only (the same number per class,
  a seeded choice: utils.datasets.balanced_labelled), accuracy on the scored codes.

The scored labels only score: shuffling them changes no prediction (tests/test_probes.py).
"""
from __future__ import annotations

import torch

from models.kmeans import assign, kmeans
from utils.datasets import balanced_labelled
from utils.metrics import clustering_metrics, linear_probe


def probe(train: torch.Tensor, ytr: torch.Tensor, test: torch.Tensor, yte: torch.Tensor, *, clusters: int = 10,
          labels: int = 100, seed: int = 0) -> dict:
    """Linear-probe accuracy, k-means (``clusters``) Hungarian accuracy and NMI, and the accuracy of a classifier
    fitted on ``labels`` labelled training images, of codes ``train`` (N, d) / ``test`` (M, d)."""
    train, test = train.float().flatten(1).cpu(), test.float().flatten(1).cpu()
    ytr, yte = ytr.cpu(), yte.cpu()
    _, linear = linear_probe(train, ytr, test, yte)
    centroids, _, _, _ = kmeans(train, clusters, seed=seed, max_iter=300, restarts=10)
    assigned, _ = assign(test, centroids)
    clustering = clustering_metrics(yte.numpy(), assigned.numpy())
    few = balanced_labelled(ytr, labels, seed)
    _, few_acc = linear_probe(train[few], ytr[few], test, yte)
    return {"dim": int(train.shape[1]), "linear_probe_accuracy": linear,
            "kmeans_accuracy": clustering["hungarian_accuracy"], "kmeans_nmi": clustering["nmi"],
            "few_labels_accuracy": few_acc, "few_labels": labels, "clusters": clusters}
