"""SEQ step 2: a decoder on the frozen encoder's features, and what it generates.

Used by ``main_decoder_mnist.py`` and ``main_decoder_fmnist.py`` (which differ only in their header).
It loads what ``main_encoder.py`` saved for the data set (encoder, features, K-means centroids), trains
the decoder on (features -> image) pairs with BCE, and writes figures and metrics.

Convex combinations: a cell of the grid mixes three anchor features z1, z2, z3 with weights
(1 - a - b, b, a), a = row / steps, b = column / steps. Only cells with a + b <= 1 are convex
combinations; the original script also decoded the other cells (negative weight on z1), which is
extrapolation. Here those cells stay blank unless ``extrapolate`` is switched on.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from models.decoders import build_decoder
from models.encoders import DISPLAY, encoder_from_checkpoint
from models.kmeans import KMeansQuantizer
from models.seq import ENCODER_KIND, FEATURES_KIND, QUANTIZER_KIND, make_optimizer, make_scheduler
from utils.datasets import as_tensors, load_or_fallback
from utils.errors import UserError
from utils.io import load_checkpoint, run_dir, save_json
from utils.plots import class_names, image_grid
from utils.progress import log
from utils.runtime import autocast, get_device, seed_everything
from utils.training import fit

DECODER_KIND = "seq-decoder"


# ----------------------------------------------------------------------------- convex combinations
def convex_grid_weights(steps: int = 3, extrapolate: bool = False) -> np.ndarray:
    """Weights (steps+1, steps+1, 3) on anchors (z1, z2, z3); NaN where a cell is not convex.

    Cell (i, j): a = i/steps on z3, b = j/steps on z2, 1 - a - b on z1. Corners: (0, 0) = z1,
    (0, steps) = z2, (steps, 0) = z3; (steps, steps) = z2 + z3 - z1 exists only with ``extrapolate``.
    """
    a = np.arange(steps + 1)[:, None] / steps
    b = np.arange(steps + 1)[None, :] / steps
    a, b = np.broadcast_arrays(a, b)
    w = np.stack([1 - a - b, b, a], axis=-1)
    if not extrapolate:
        w[(a + b) > 1 + 1e-9] = np.nan
    return w


def combine(anchors: torch.Tensor, weights: np.ndarray) -> torch.Tensor:
    """Feature vectors for every valid cell: weights (..., 3) @ anchors (3, d) -> (n_valid, d)."""
    flat = torch.as_tensor(weights.reshape(-1, 3), dtype=anchors.dtype)
    valid = ~torch.isnan(flat).any(1)
    return flat[valid] @ anchors


# ----------------------------------------------------------------------------- loading
def load_encoder_run(run: Path, dataset: str, arch: str):
    """Encoder, features and quantizers saved by main_encoder.py, checked to belong to this run."""
    hint = f"run `python main_encoder.py --datasets={dataset} --archs={arch}` first"
    enc = load_checkpoint(run / "encoder.pt", ENCODER_KIND, hint)
    feats = load_checkpoint(run / "features.pt", FEATURES_KIND, hint)
    quants = load_checkpoint(run / "quantizers.pt", QUANTIZER_KIND, hint)
    for name, ck in (("encoder.pt", enc), ("features.pt", feats), ("quantizers.pt", quants)):
        found = (ck.get("dataset"), ck.get("model_config", {}).get("arch", ck.get("arch")))
        if found != (dataset, arch):
            raise UserError(f"{run / name}: belongs to {found[1]} on {found[0]}, expected {arch} on {dataset}; {hint}")
    return encoder_from_checkpoint(enc), feats, quants["quantizers"]


# ----------------------------------------------------------------------------- the script's work
def run_decoder_script(cfg: dict) -> dict:
    """Everything main_decoder_*.py does; returns the metrics written to metrics.json."""
    t_start = time.perf_counter()
    device = get_device(cfg["device"])
    dataset, arch = cfg["dataset"], cfg["arch"]
    data = load_or_fallback(dataset, cfg["data_dir"] or None)
    if data is None:
        raise UserError(f"{dataset} data not found (see the warning above)")
    tag = "mnist-sample" if data.name == "mnist-sample" else dataset
    enc_run = Path(cfg["out_dir"], "seq", tag, arch)
    encoder, feats, quantizers = load_encoder_run(enc_run, tag, arch)
    if cfg["k"] not in quantizers:
        raise UserError(f"{enc_run / 'quantizers.pt'}: has no quantizer for K={cfg['k']} "
                        f"(it has K = {sorted(quantizers)}); rerun main_encoder.py with --ks including {cfg['k']}")
    quantizer = KMeansQuantizer.from_state(quantizers[cfg["k"]])
    ztr, zte = feats["train"].to(device), feats["test"].to(device)
    xtr, _ = as_tensors(data.x_train, data.y_train, len(ztr))
    xte, _ = as_tensors(data.x_test, data.y_test, len(zte))
    if len(xtr) != len(ztr) or not torch.equal(feats["train_labels"], torch.from_numpy(data.y_train[:len(ztr)])):
        raise UserError(f"{enc_run / 'features.pt'}: does not match the {tag} data in {data.source}; "
                        f"rerun `python main_encoder.py --datasets={dataset} --archs={arch}`")
    xtr, xte = xtr.to(device), xte.to(device)
    out = run_dir(enc_run, "decoder")
    save_json(out / "config.json", {**cfg, "dataset": tag, "data_source": data.source, "device_used": str(device)})
    log(f"{tag} {DISPLAY[arch]} decoder: {len(xtr)} train images, K={cfg['k']} centroids from {enc_run}")

    # 1. train the decoder on (frozen features -> image)
    seed_everything(cfg["seed"])
    decoder = build_decoder(arch).to(device)
    optimizer = make_optimizer(decoder, cfg["lr"], device, weight_decay=cfg["weight_decay"])
    scheduler = make_scheduler(optimizer, cfg["schedule"], cfg["lr"],
                               cfg["epochs"] * max(len(xtr) // cfg["batch_size"], 1))

    def step(idx):
        with autocast(device, cfg["precision"]):
            logits = decoder(ztr[idx])
        return {"loss": F.binary_cross_entropy_with_logits(logits.float(), xtr[idx])}

    t0 = time.perf_counter()
    history = fit(decoder, optimizer, step, len(xtr), epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                  seed=cfg["seed"], checkpoint=out / "decoder.pt", kind=DECODER_KIND, model_config=decoder.config,
                  scheduler=scheduler, resume=cfg["resume"], progress=cfg["progress"],
                  desc=f"{tag} {DISPLAY[arch]} decoder", extra={"dataset": tag, "k": cfg["k"]})
    train_seconds = time.perf_counter() - t0

    # 2. test reconstruction error (BCE and MSE per pixel, averaged over the test set)
    recon = decoder.decode(zte)
    xte_cpu = xte.cpu()
    metrics = {
        "dataset": tag, "arch": arch, "k": cfg["k"],
        "test_bce": float(F.binary_cross_entropy(recon.clamp(1e-6, 1 - 1e-6), xte_cpu)),
        "test_mse": float(F.mse_loss(recon, xte_cpu)),
        "history": history,
    }

    # 3. figures and the numbers behind them
    encoder = encoder.to(device)
    names = class_names(tag)
    rng = np.random.default_rng(cfg["seed"])
    ytr = feats["train_labels"].numpy()
    clusters = quantizer.cluster(ztr).cpu().numpy()
    cluster_label = quantizer.cluster_labels.cpu().numpy()
    figures = SeqFigures(decoder, encoder, quantizer, ztr.cpu(), ytr, clusters, cluster_label, names, out, rng)
    figures.reconstructions(xte_cpu[:12], recon[:12])
    figures.centroids_by_class(cfg["centroids_per_class"])
    figures.subclass_styles(cfg["style_members"])
    metrics["convex_same_cluster"] = figures.convex("same_cluster", cfg["convex_steps"], cfg["extrapolate"],
                                                    cfg["convex_samples"])
    metrics["convex_across_clusters"] = figures.convex("across_clusters", cfg["convex_steps"], cfg["extrapolate"],
                                                       cfg["convex_samples"])
    metrics["style_transfer"] = figures.style_transfer(cfg["transfer_steps"])
    # training time summed over the epochs (also right after --resume); this_run = wall time of this call
    metrics["seconds"] = {"train": sum(h["seconds"] for h in history), "this_run": time.perf_counter() - t_start,
                          "this_run_training": train_seconds}
    metrics["device"] = str(device)
    save_json(out / "metrics.json", metrics)
    log(f"{tag} {DISPLAY[arch]} decoder: test BCE {metrics['test_bce']:.4f}, MSE {metrics['test_mse']:.4f}; "
        f"same-class convex combinations keep their class: "
        f"{100 * metrics['convex_same_cluster']['class_kept']:.1f}% (same cluster), "
        f"{100 * metrics['convex_across_clusters']['class_kept']:.1f}% (across clusters); figures in {out}")
    return metrics


class SeqFigures:
    """The decoder script's figures; each method writes one PNG (and returns the numbers it shows)."""

    def __init__(self, decoder, encoder, quantizer, ztr, ytr, clusters, cluster_label, names, out, rng):
        self.decoder, self.encoder, self.quantizer = decoder, encoder, quantizer
        self.ztr, self.ytr, self.clusters, self.cluster_label = ztr, ytr, clusters, cluster_label
        self.names, self.out, self.rng = names, out, rng
        # a cluster's members are the training images it holds whose true label is the cluster's label
        # (a cluster labelled "7" may hold a few 1s; they are not examples of a "7" style)
        self.own = ytr == cluster_label[clusters]
        self.sizes = np.bincount(clusters[self.own], minlength=len(cluster_label))

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

    def reconstructions(self, x, recon):
        rows = [list(x[:, 0].numpy()), list(recon[:, 0].numpy())]
        image_grid(rows, self.out / "reconstructions.png", "Test images (top) and their reconstructions (bottom)",
                   row_labels=["test", "decoded"])

    def centroids_by_class(self, per_class: int):
        centroids = self.quantizer.centroids.cpu()
        rows, labels = [], []
        for c in range(len(self.names)):
            ids = self.class_clusters(c)[:per_class]
            rows.append(list(self.decoder.decode(centroids[ids])[:, 0].numpy()) if ids else [None])
            labels.append(f"{self.names[c]} ({len(self.class_clusters(c))})")
        image_grid(rows, self.out / "centroids_by_class.png",
                   f"Decoded k-means centroids (K={self.quantizer.k}), largest clusters first; "
                   "(n) = clusters of the class", row_labels=labels)

    def subclass_styles(self, n_members: int):
        """For the classes with the most clusters: members of three different clusters, one row each."""
        counts = [(len(self.class_clusters(c)), c) for c in range(len(self.names))]
        classes = [c for n, c in sorted(counts, reverse=True) if n >= 3][:4]
        rows, labels = [], []
        for c in classes:
            for cl in [k for k in self.class_clusters(c) if self.sizes[k] > 0][:3]:
                pick = self.rng.choice(self.members(cl), size=min(n_members, self.sizes[cl]), replace=False)
                rows.append(list(self.decoder.decode(self.ztr[pick])[:, 0].numpy()))
                labels.append(f"{self.names[c]}\ncluster {cl}")
        if rows:
            image_grid(rows, self.out / "subclass_styles.png",
                       "Sub-class styles: decoded members of three clusters of the same class", row_labels=labels)

    def _anchor_sets(self, mode: str, n: int) -> list[tuple[int, np.ndarray]]:
        """``n`` random (class, 3 training indices) triples: one cluster, or three clusters of one class."""
        sets = []
        eligible = [c for c in range(len(self.names))
                    if (mode == "same_cluster" and any(self.sizes[k] >= 3 for k in self.class_clusters(c)))
                    or (mode == "across_clusters" and len(self.class_clusters(c)) >= 3)]
        for _ in range(n if eligible else 0):
            c = int(self.rng.choice(eligible))
            if mode == "same_cluster":
                big = [k for k in self.class_clusters(c) if self.sizes[k] >= 3]
                k = int(self.rng.choice(big))
                sets.append((c, self.rng.choice(self.members(k), 3, replace=False)))
            else:
                ks = self.rng.choice(self.class_clusters(c), 3, replace=False)
                sets.append((c, np.array([self.rng.choice(self.members(int(k))) for k in ks])))
        return sets

    def convex(self, mode: str, steps: int, extrapolate: bool, n_samples: int) -> dict:
        """The convex-combination figure (three classes side by side) and its class-kept numbers."""
        weights = convex_grid_weights(steps, extrapolate)
        # the numbers: every valid grid cell for n_samples random anchor triples
        kept, near, total = 0, 0, 0
        for c, idx in self._anchor_sets(mode, n_samples):
            images = self.decoder.decode(combine(self.ztr[idx], weights))
            pred, nearest = self.judge(images)
            kept += int((pred == c).sum())
            near += int(np.isin(nearest, self.clusters[idx]).sum())
            total += len(pred)
        # the figure: the first three classes that have anchors, one (steps+1)^2 block each
        shown, blocks, titles = set(), [], []
        for c, idx in self._anchor_sets(mode, 200):
            if c in shown:
                continue
            shown.add(c)
            images = iter(self.decoder.decode(combine(self.ztr[idx], weights))[:, 0].numpy())
            grid = [[next(images) if not np.isnan(weights[i, j]).any() else None for j in range(steps + 1)]
                    for i in range(steps + 1)]
            blocks.append(grid)
            titles.append(f"{self.names[c]}: clusters {', '.join(str(k) for k in self.clusters[idx])}")
            if len(blocks) == 3:
                break
        if blocks:
            rows = [sum(([*b[i], None] for b in blocks), [])[:-1] for i in range(steps + 1)]
            col_labels = sum(([t] + [""] * steps + [""] for t in titles), [])[:-1]
            boxed = {(r, b * (steps + 2) + col) for b in range(len(blocks))
                     for r, col in ((0, 0), (0, steps), (steps, 0))}
            what = "one cluster (similar style)" if mode == "same_cluster" else "three clusters of one class (different styles)"
            kind = "affine, extrapolated where a+b>1" if extrapolate else "convex only; blank = would extrapolate"
            image_grid(rows, self.out / f"convex_{mode}.png",
                       f"Combinations of three anchors (red) from {what}\n"
                       f"row i: weight a=i/{steps} on z3 (bottom-left), column j: b=j/{steps} on z2 (top-right); {kind}",
                       col_labels=col_labels, boxed=boxed, row_labels=[f"a={i}/{steps}" for i in range(steps + 1)])
        return {"class_kept": kept / max(total, 1), "nearest_centroid_in_anchor_clusters": near / max(total, 1),
                "images": total, "anchor_triples": n_samples, "extrapolate": extrapolate}

    def style_transfer(self, steps: int) -> dict:
        """Decoded straight paths between centroids: within a class (sub-class to sub-class) and across."""
        centroids = self.quantizer.centroids.cpu()
        t = torch.linspace(0, 1, steps)[:, None]
        rows, labels, kept_within = [], [], []
        within = [c for c in range(len(self.names)) if len(self.class_clusters(c)) >= 2]
        for c in within[:5]:
            a, b = self.class_clusters(c)[:2]
            images = self.decoder.decode((1 - t) * centroids[a] + t * centroids[b])
            kept_within.append(float((self.judge(images)[0] == c).mean()))
            rows.append(list(images[:, 0].numpy()))
            labels.append(f"{self.names[c]}\n{a} → {b}")
        pairs = [(c, (c + 1) % len(self.names)) for c in range(0, len(self.names), 2)]
        for c1, c2 in pairs:
            if self.class_clusters(c1) and self.class_clusters(c2):
                a, b = self.class_clusters(c1)[0], self.class_clusters(c2)[0]
                rows.append(list(self.decoder.decode((1 - t) * centroids[a] + t * centroids[b])[:, 0].numpy()))
                labels.append(f"{self.names[c1]} → {self.names[c2]}")
        image_grid(rows, self.out / "style_transfer.png",
                   f"Style transfer: {steps} evenly spaced steps between two centroids; top rows within a class "
                   "(one sub-class to another), bottom rows between classes",
                   row_labels=labels, col_labels=[f"t={v:.2f}" for v in t.flatten().tolist()])
        return {"within_class_paths_class_kept": float(np.mean(kept_within)) if kept_within else None}
