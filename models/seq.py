"""SEQ step 1 as functions: train a supervised encoder, then sweep the k-means quantizer over K.

``main_encoder.py`` calls these for each data set and encoder; the decoder scripts read what they save.
"""
from __future__ import annotations

import time
from pathlib import Path

import torch
import torch.nn.functional as F

from models.encoders import Encoder
from models.kmeans import KMeansQuantizer
from utils.metrics import clustering_metrics
from utils.progress import bar
from utils.runtime import autocast
from utils.training import fit

ENCODER_KIND = "seq-encoder"
QUANTIZER_KIND = "seq-quantizers"
FEATURES_KIND = "seq-features"


def make_optimizer(model: torch.nn.Module, lr: float, device: torch.device, weight_decay: float = 0.0):
    """Adam; the fused kernel (one pass over the weights) where torch has one for this device.

    On CPU the unfused Adam update of CAE-4's 51 M weights costs a third of each training step.
    """
    fused = device.type in ("cpu", "cuda")
    return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay, fused=fused)


def make_scheduler(optimizer, schedule: str, lr: float, total_steps: int, warmup: float = 0.15):
    """'onecycle': warm up to ``lr`` then anneal to ~0 (fast convergence in few epochs); 'constant': none."""
    if schedule == "constant":
        return None
    if schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=max(total_steps, 1),
                                                   pct_start=warmup)
    raise ValueError(f"unknown schedule {schedule!r} (use onecycle or constant)")


def train_encoder(model: Encoder, x: torch.Tensor, y: torch.Tensor, *, epochs: int, batch_size: int, lr: float,
                  schedule: str, seed: int, label_smoothing: float = 0.0, precision: str, checkpoint: Path, resume: bool, progress: bool,
                  desc: str, extra: dict | None = None) -> list[dict]:
    """Cross-entropy training of encoder + softmax head on (x, y), checkpointed every epoch.

    ``label_smoothing`` > 0 pulls each class's features into a tighter cluster (Mueller et al., 2019),
    which is what the k-means quantizer needs: on Fashion-MNIST LAE-4 it lifted the K=10 quantizer
    from 69 % to 90 % accuracy (and the softmax from 89.5 % to 90.0 %) in our measurements.
    """
    device = next(model.parameters()).device
    optimizer = make_optimizer(model, lr, device)
    steps_per_epoch = max(len(x) // batch_size, 1)
    scheduler = make_scheduler(optimizer, schedule, lr, epochs * steps_per_epoch)

    def step(idx):
        with autocast(device, precision):
            logits = model(x[idx])
        logits = logits.float()
        return {"loss": F.cross_entropy(logits, y[idx], label_smoothing=label_smoothing),
                "acc": (logits.argmax(1) == y[idx]).float().mean().detach()}

    return fit(model, optimizer, step, len(x), epochs=epochs, batch_size=batch_size, seed=seed,
               checkpoint=checkpoint, kind=ENCODER_KIND, model_config=model.config, scheduler=scheduler,
               resume=resume, progress=progress, desc=desc, extra=extra)


def quantizer_sweep(train_features: torch.Tensor, train_labels: torch.Tensor, test_features: torch.Tensor,
                    test_labels: torch.Tensor, ks: list[int], *, seed: int, max_iter: int, tol: float,
                    progress: bool = True, desc: str = "k-means") -> tuple[list[dict], dict]:
    """Fit one quantizer per K on the training features; score the nearest-centroid classifier on test.

    Returns the per-K metrics and the fitted quantizers' states (keyed by K).
    """
    rows, states = [], {}
    ytr, yte = train_labels.cpu().numpy(), test_labels.cpu().numpy()
    pbar = bar([k for k in ks if k <= len(train_features)], enabled=progress, desc=desc, unit="K")
    for k in pbar:
        t0 = time.perf_counter()
        q = KMeansQuantizer(k, seed=seed, max_iter=max_iter, tol=tol).fit(train_features, ytr)
        test_clusters = q.cluster(test_features)
        pred = q.cluster_labels[test_clusters].cpu().numpy()
        test_clusters = test_clusters.cpu().numpy()
        train_clusters = q.train_assignment.cpu().numpy()
        scores = clustering_metrics(yte, test_clusters)
        row = {
            "k": k,
            "test_accuracy": float((pred == yte).mean()),
            "train_accuracy": float((q.cluster_labels.cpu().numpy()[train_clusters] == ytr).mean()),
            "nmi": scores["nmi"], "ari": scores["ari"],
            "clusters_used_train": int(len(set(train_clusters.tolist()))),
            "clusters_used_test": int(len(set(test_clusters.tolist()))),
            "inertia": q.inertia, "iterations": q.iterations,
            "seconds": time.perf_counter() - t0,
        }
        rows.append(row)
        states[k] = q.state_dict()
        pbar.set_postfix(K=k, acc=f"{row['test_accuracy']:.4f}", used=f"{row['clusters_used_train']}/{k}")
    return rows, states
