"""SEQ metrics of trained models: the quantizer sweep (step 1) and what the decoder's images keep (step 2).

Nothing here writes a file: main_encoder.py and main_decoder_*.py save what these functions return. Step 2 has two
judges of a decoded image: the frozen encoder whose features were decoded (the scores the decoder scripts always
had), and, when one is passed, the independent judge of models/judge.py (their ``judged_*`` scores).
"""
from __future__ import annotations

import time

import numpy as np
import torch

from evaluation.judge import judged_as
from models.kmeans import KMeansQuantizer, assign
from models.seq import combine, convex_grid_weights
from utils.metrics import clustering_metrics
from utils.progress import bar


def quantizer_sweep(train_features: torch.Tensor, train_labels: torch.Tensor, test_features: torch.Tensor,
                    test_labels: torch.Tensor, ks: list[int], *, seed: int, max_iter: int, tol: float,
                    restarts: int = 1, restart_max_k: int = 0, progress: bool = True,
                    desc: str = "k-means") -> tuple[list[dict], dict]:
    """Fit one quantizer per K on the training features; score the nearest-centroid classifier on test.

    ``restarts`` k-means runs (the lowest inertia kept) for K up to ``restart_max_k`` (0: every K), one run above.
    Each K's row also scores :func:`soft_vote`, a softer reading of the same quantizer (not the paper's classifier).
    Returns the per-K metrics and the fitted quantizers' states (keyed by K). Test labels only score.
    """
    rows, states = [], {}
    ytr, yte = train_labels.cpu().numpy(), test_labels.cpu().numpy()
    pbar = bar([k for k in ks if k <= len(train_features)], enabled=progress, desc=desc, unit="K")
    for k in pbar:
        t0 = time.perf_counter()
        runs = restarts if not restart_max_k or k <= restart_max_k else 1
        q = KMeansQuantizer(k, seed=seed, max_iter=max_iter, tol=tol, restarts=runs).fit(train_features, ytr)
        test_clusters = q.cluster(test_features)
        pred = q.cluster_labels[test_clusters].cpu().numpy()
        test_clusters = test_clusters.cpu().numpy()
        train_clusters = q.train_assignment.cpu().numpy()
        scores = clustering_metrics(yte, test_clusters)
        soft = soft_vote(q, train_features, ytr, test_features)
        row = {
            "k": k,
            "test_accuracy": float((pred == yte).mean()),
            "test_accuracy_soft_vote": float((soft == yte).mean()),     # a study (soft_vote), not the paper's rule
            "train_accuracy": float((q.cluster_labels.cpu().numpy()[train_clusters] == ytr).mean()),
            "nmi": scores["nmi"], "ari": scores["ari"],
            "clusters_used_train": int(len(set(train_clusters.tolist()))),
            "clusters_used_test": int(len(set(test_clusters.tolist()))),
            "inertia": q.inertia, "iterations": q.iterations, "restarts": runs,
            "seconds": time.perf_counter() - t0,
        }
        rows.append(row)
        states[k] = q.state_dict()
        pbar.set_postfix(K=k, acc=f"{row['test_accuracy']:.4f}", used=f"{row['clusters_used_train']}/{k}")
    return rows, states


def soft_vote(quantizer: KMeansQuantizer, train_features: torch.Tensor, train_labels, features: torch.Tensor,
              n_classes: int = 10) -> np.ndarray:
    """A softer reading of the same quantizer (not the paper's classifier): the class of each feature vector from the
    label distributions of ALL centroids (their training members' labels), each weighted by
    exp(-((d - d_min) / s)^2), where d is the distance to that centroid, d_min the distance to the nearest one and s
    the median distance of the training features to their nearest centroid (fixed, label-free). As s -> 0 it is the
    nearest centroid's majority label. Labels enter only through the training members' label counts."""
    counts = np.zeros((quantizer.k, n_classes))
    np.add.at(counts, (quantizer.train_assignment.cpu().numpy(), np.asarray(train_labels)), 1)
    shares = counts / counts.sum(1, keepdims=True).clip(min=1)
    centroids = quantizer.centroids.float()
    s = float(assign(train_features.float().to(centroids.device), centroids)[1].clamp_min(0).sqrt().median())
    d = torch.cdist(features.float().to(centroids.device), centroids).cpu().numpy()
    weights = np.exp(-(((d - d.min(1, keepdims=True)) / max(s, 1e-12)) ** 2))
    return (weights @ shares).argmax(1)


class DecodedClusters:
    """The decoder script's view of the quantizer: which training images belong to which cluster, and the encoder's
    verdict on a generated image.

    A cluster's members are the training images it holds whose true label is the cluster's label (a cluster
    labelled "7" may hold a few 1s; they are not examples of a "7" style). :meth:`judge` is the frozen encoder's
    softmax class and nearest centroid (the independent judge is a separate argument of the functions below).
    """

    def __init__(self, decoder, encoder, quantizer, ztr: torch.Tensor, ytr: np.ndarray, n_classes: int = 10):
        self.decoder, self.encoder, self.quantizer = decoder, encoder, quantizer
        self.ztr, self.ytr, self.n_classes = ztr, ytr, n_classes
        self.clusters = quantizer.cluster(ztr).cpu().numpy()
        self.cluster_label = quantizer.cluster_labels.cpu().numpy()
        self.own = ytr == self.cluster_label[self.clusters]
        self.sizes = np.bincount(self.clusters[self.own], minlength=len(self.cluster_label))

    def class_clusters(self, c: int) -> list[int]:
        """Clusters labelled ``c``, largest first."""
        ids = np.flatnonzero(self.cluster_label == c)
        return [int(i) for i in ids[np.argsort(-self.sizes[ids], kind="stable")]]

    def members(self, cluster: int) -> np.ndarray:
        return np.flatnonzero((self.clusters == cluster) & self.own)

    def judge(self, images: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """The frozen encoder's class and nearest centroid for generated images."""
        feats, logits = self.encoder.embed(images)
        return logits.argmax(1).cpu().numpy(), self.quantizer.cluster(feats).cpu().numpy()

    def anchor_sets(self, mode: str, n: int, rng: np.random.Generator) -> list[tuple[int, np.ndarray]]:
        """``n`` random (class, 3 training indices) triples: one cluster (``same_cluster``), or three clusters of
        one class (``across_clusters``)."""
        sets = []
        eligible = [c for c in range(self.n_classes)
                    if (mode == "same_cluster" and any(self.sizes[k] >= 3 for k in self.class_clusters(c)))
                    or (mode == "across_clusters" and len(self.class_clusters(c)) >= 3)]
        for _ in range(n if eligible else 0):
            c = int(rng.choice(eligible))
            if mode == "same_cluster":
                big = [k for k in self.class_clusters(c) if self.sizes[k] >= 3]
                k = int(rng.choice(big))
                sets.append((c, rng.choice(self.members(k), 3, replace=False)))
            else:
                ks = rng.choice(self.class_clusters(c), 3, replace=False)
                sets.append((c, np.array([rng.choice(self.members(int(k))) for k in ks])))
        return sets

    def within_class_paths(self, limit: int = 5) -> list[tuple[int, int, int]]:
        """(class, centroid a, centroid b): the two largest clusters of each class that has two, at most ``limit``."""
        within = [c for c in range(self.n_classes) if len(self.class_clusters(c)) >= 2]
        return [(c, *self.class_clusters(c)[:2]) for c in within[:limit]]


def anchor_cells(weights: np.ndarray) -> np.ndarray:
    """For each cell that :func:`models.seq.combine` decodes (the valid ones, in its order): True where the cell is
    one of the three anchors itself (a weight of 1 on it, 0 on the others), False where it mixes anchors."""
    flat = weights.reshape(-1, 3)
    flat = flat[~np.isnan(flat).any(1)]
    return np.isclose(flat, 0).sum(1) == 2


def convex_class_kept(dc: DecodedClusters, mode: str, steps: int, extrapolate: bool, n_samples: int,
                      rng: np.random.Generator, judge=None) -> tuple[dict, float | None]:
    """Decode every valid grid cell of ``n_samples`` random anchor triples; the fraction the encoder gives the
    anchors' class, and the fraction whose nearest centroid is one of the anchors' clusters. Second: the fraction
    of the cells other than the anchors themselves (decoded training images) that the independent ``judge`` puts
    in the anchors' class, on the same triples (None without a judge)."""
    weights = convex_grid_weights(steps, extrapolate)
    mixed = torch.from_numpy(~anchor_cells(weights))
    kept, near, total = 0, 0, 0
    judged, classes = [], []
    for c, idx in dc.anchor_sets(mode, n_samples, rng):
        images = dc.decoder.decode(combine(dc.ztr[idx], weights))
        pred, nearest = dc.judge(images)
        kept += int((pred == c).sum())
        near += int(np.isin(nearest, dc.clusters[idx]).sum())
        total += len(pred)
        judged.append(images[mixed])
        classes += [c] * int(mixed.sum())
    scores = {"class_kept": kept / max(total, 1), "nearest_centroid_in_anchor_clusters": near / max(total, 1),
              "images": total, "anchor_triples": n_samples, "extrapolate": extrapolate}
    if judge is None or not classes:
        return scores, None
    return scores, judged_as(judge, torch.cat(judged), classes)


def style_transfer_class_kept(dc: DecodedClusters, steps: int, judge=None) -> tuple[dict, float | None]:
    """Along the straight path between two centroids of one class, the fraction of decoded images the encoder keeps
    in that class (averaged over the classes of :meth:`DecodedClusters.within_class_paths`). Second: the fraction
    of the same images (every step, the decoded centroids at both ends included) that the independent ``judge``
    puts in that class (None without a judge)."""
    centroids = dc.quantizer.centroids.cpu()
    t = torch.linspace(0, 1, steps)[:, None]
    paths = [(c, dc.decoder.decode((1 - t) * centroids[a] + t * centroids[b])) for c, a, b in dc.within_class_paths()]
    kept = [float((dc.judge(images)[0] == c).mean()) for c, images in paths]
    scores = {"within_class_paths_class_kept": float(np.mean(kept)) if kept else None}
    if judge is None or not paths:
        return scores, None
    images = torch.cat([images for _, images in paths])
    return scores, judged_as(judge, images, [c for c, _ in paths for _ in range(steps)])
