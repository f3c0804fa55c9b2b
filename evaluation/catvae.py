"""CatVAE / InfoCatVAE metrics of a trained model; writes nothing.

Clusters are argmax q(c|x); labels only score them (Hungarian accuracy, NMI, ARI): nothing here selects a model.
"""
from __future__ import annotations

import numpy as np
import torch

from models.catvae import CatVAE
from utils.metrics import clustering_metrics, majority_labels


def evaluate(model: CatVAE, x: torch.Tensor, y: torch.Tensor, *, batch_size: int = 1000,
             generated_per_cluster: int = 100) -> dict:
    """Clustering of argmax q(c|x) against the labels, test ELBO terms, occupancy, the generated-image check."""
    probs = model.cluster_probs(x, batch_size)
    clusters = probs.argmax(1).numpy()
    labels = y.cpu().numpy()
    scores = clustering_metrics(labels, clusters)
    k = model.n_clusters
    counts = np.bincount(clusters, minlength=k)
    marginal = probs.mean(0)
    with torch.inference_mode():
        was_training = model.training
        model.eval()
        info, hit = model.info_term(generated_per_cluster)
        model.train(was_training)
    return {
        "clustering_accuracy": scores["hungarian_accuracy"],
        "majority_accuracy": scores["majority_accuracy"],
        "nmi": scores["nmi"], "ari": scores["ari"],
        "test_elbo": model.test_elbo(x, batch_size),
        "occupancy": {
            "counts": counts.tolist(),
            "fractions": (counts / max(len(clusters), 1)).tolist(),
            "clusters_used": int((counts > 0).sum()),
            "mean_q": marginal.tolist(),
            "entropy_of_mean_q_nats": float(-(marginal * marginal.clamp_min(1e-12).log()).sum()),
            "mean_max_q": float(probs.max(1).values.mean()),
            # names each cluster by its majority TEST label, for the figures' row titles only: no prediction,
            # no score and no cluster depends on it (tests/test_leaks.py)
            "majority_label": majority_labels(labels, clusters, k).tolist(),
        },
        # label-free: are images generated from mode c classified back to c? (the info term at eval time)
        "generated": {"nll": float(info), "accuracy": float(hit), "per_cluster": generated_per_cluster},
    }
