"""SEQ step 1 (arXiv 1910.11067): supervised encoders, then a k-means quantizer that classifies.

For each data set and encoder: train encoder + softmax head with cross-entropy, extract the hidden
features, run k-means for every K, label each cluster by majority vote of the training labels, and
classify test images by their nearest centroid. Writes, per run, results/seq/<dataset>/<arch>/
(config.json, metrics.json, encoder.pt, quantizers.pt, features.pt) and
results/seq/accuracy_vs_clusters.png.

    python main_encoder.py                          # defaults below
    python main_encoder.py --paper_settings=true    # the paper's batch 32, 10 epochs, constant lr
    python main_encoder.py --datasets=mnist --archs=lae2 --resume=true
"""
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from evaluation.seq import quantizer_sweep
from figures.seq import accuracy_vs_clusters
from data import DATASETS
from models.encoders import ARCHS, DISPLAY, Encoder, build_encoder
from models.seq import ENCODER_KIND, FEATURES_KIND, QUANTIZER_KIND
from reporting.references import SEQ_KS, SEQ_PAPER
from reporting.tables import collect_curves, seq_summary_lines
from utils.config import at_least, fraction, list_of, one_of, parse_config, positive, split_list
from utils.datasets import EVAL_SPLITS, is_subset, load_split
from utils.errors import UserError
from utils.io import ensure_writable, fresh_run_dir, guard_run_dirs, output_root, save_checkpoint, save_json
from utils.progress import log
from utils.runtime import PRECISIONS, get_device, resolve_precision, run_environment, seed_everything
from utils.training import fit, make_optimizer, make_scheduler

# ---- hyperparameters: edit here, or override as --key=value (python main_encoder.py -h lists them) ----
# data
datasets = "mnist,fashion-mnist"  # comma-separated: mnist, fashion-mnist
archs = "cae4,lae4,lae2"          # encoders: cae4 (conv 32-64, fc 1024-128), lae4 (mlp to 128), lae2 (mlp to 64)
data_dir = ""                     # empty: $DATA_DIR if set, else data/ in the repository
train_limit = 0                   # use only the first N training images (0 = all 60,000); for quick tries
test_limit = 0                    # use only the first N test images (0 = all 10,000)
eval_split = "test"               # test: score on the 10,000 test images; val: train on the first 50,000 training images, score on the last 10,000 (the test set is not read; runs go to <out_dir>/val/)
# encoder training
cae_epochs_mnist = 4              # CAE-4 epochs on MNIST (the paper: 10 at batch 32; 4 beat 2 on the validation split)
cae_epochs_fashion = 8            # CAE-4 epochs on Fashion-MNIST (8 beat 4 on the validation split)
lae_epochs = 10                   # LAE-4 / LAE-2 epochs (cheap MLPs)
batch_size = 256                  # the paper: 32 (5x slower per image on a CPU)
lr = 2e-3                         # Adam learning rate (peak of the one-cycle schedule)
schedule = "onecycle"             # onecycle (warm-up then anneal; fast) or constant (the paper)
label_smoothing = 0.1             # tightens each class's feature cluster; the paper: 0
binarize_lae = False              # the paper's LAE scripts binarized pixels; costs accuracy on Fashion
paper_settings = False            # true: the paper's training (PAPER below: batch 32, 10 epochs, lr 1e-3 constant, no smoothing)
# quantizer
ks = "10,20,30,40,50,60,70,80,90,100,110,120"  # numbers of k-means clusters
kmeans_iters = 300                # at most this many Lloyd iterations per K
kmeans_tol = 1e-6                 # stop when no centroid moves more than this (relative to the data scale)
kmeans_restarts = 10              # k-means runs per K from different seeds; the one with the lowest inertia is kept (label-free)
kmeans_restart_max_k = 30         # restarts only for K up to this (0: every K); above it one run (docs/seq.md)
# system
seed = 0                          # seeds python, numpy, torch and k-means
device = "auto"                   # auto (cuda, then mps, then cpu), cpu, cuda, mps
precision = "auto"                # fp32, bf16 (autocast), or auto: bf16 where the device has it natively (GPUs, CPUs with AVX512-BF16 or AMX; chosen on the validation split: docs/speed.md)
eval_batch_size = 1000            # images per forward pass when extracting features
out_dir = ""                      # runs go to <out_dir>/seq/<dataset>/<arch>/; empty: results/ in the repository
resume = False                    # continue interrupted training from each run's encoder.pt
overwrite = False                 # replace an earlier run in the same folder (without it, or resume, that is refused)
progress = True                   # progress bars with the loss terms
# ---------------------------------------------------------------------------------------------------
RULES = {"eval_split": one_of(*EVAL_SPLITS),
         "datasets": list_of(names=DATASETS), "archs": list_of(names=tuple(ARCHS)), "train_limit": at_least(0),
         "test_limit": at_least(0), "cae_epochs_mnist": at_least(1), "cae_epochs_fashion": at_least(1),
         "lae_epochs": at_least(1), "batch_size": at_least(1), "lr": positive(),
         "schedule": one_of("onecycle", "constant"), "label_smoothing": fraction(), "ks": list_of(int, low=1),
         "kmeans_iters": at_least(1), "kmeans_tol": at_least(0), "kmeans_restarts": at_least(1),
         "kmeans_restart_max_k": at_least(0),
         "seed": at_least(0),
         "precision": one_of(*PRECISIONS), "eval_batch_size": at_least(1)}
# the paper's training (docs/originals.md 1.4)
PAPER = {"batch_size": 32, "cae_epochs_mnist": 10, "cae_epochs_fashion": 10, "lae_epochs": 10, "lr": 1e-3,
         "schedule": "constant", "label_smoothing": 0.0, "kmeans_restarts": 1}


def epochs_for(cfg: dict, dataset: str, arch: str) -> int:
    """The epochs an encoder trains (recorded as ``epochs``): lae_epochs for the LAEs, the CAE-4's by data set."""
    if arch.startswith("lae"):
        return cfg["lae_epochs"]
    return cfg["cae_epochs_mnist"] if dataset == "mnist" else cfg["cae_epochs_fashion"]


def train_encoder(model: Encoder, x: torch.Tensor, y: torch.Tensor, *, epochs: int, batch_size: int, lr: float,
                  schedule: str, seed: int, label_smoothing: float = 0.0, precision: str, checkpoint: Path,
                  resume: bool, progress: bool, desc: str, extra: dict | None = None) -> list[dict]:
    """Cross-entropy training of encoder + softmax head on (x, y), checkpointed every epoch.

    ``label_smoothing`` > 0 pulls each class's features into a tighter cluster (Mueller et al., 2019), which is what
    the k-means quantizer needs (docs/seq.md: why, and how the default was chosen).
    """
    device = next(model.parameters()).device
    optimizer = make_optimizer(model, lr, device)
    steps_per_epoch = max(len(x) // batch_size, 1)
    scheduler = make_scheduler(optimizer, schedule, lr, epochs * steps_per_epoch)

    def step(idx):
        logits = model(x[idx]).float()
        return {"loss": F.cross_entropy(logits, y[idx], label_smoothing=label_smoothing),
                "acc": (logits.argmax(1) == y[idx]).float().mean().detach()}

    return fit(model, optimizer, step, len(x), epochs=epochs, batch_size=batch_size, seed=seed,
               checkpoint=checkpoint, kind=ENCODER_KIND, model_config=model.config, scheduler=scheduler,
               resume=resume, progress=progress, desc=desc, extra=extra, precision=precision)


def main(argv=None):
    cfg = parse_config(globals(), argv, __file__)
    device = get_device(cfg["device"])
    precision = resolve_precision(cfg["precision"], device)
    ks = split_list(cfg["ks"], int)
    out = ensure_writable(output_root(cfg["out_dir"], cfg["eval_split"]))
    guard_run_dirs([out / "seq" / d / a for d in split_list(cfg["datasets"]) for a in split_list(cfg["archs"])],
                   resume=cfg["resume"], overwrite=cfg["overwrite"])
    log(f"device {device} ({precision}); datasets {cfg['datasets']}; encoders {cfg['archs']}; K = {ks}; "
        f"writing to {out}")

    for name in split_list(cfg["datasets"]):
        split = load_split(name, cfg["data_dir"] or None, cfg["train_limit"], cfg["test_limit"],
                           cfg["eval_split"])
        if split is None:
            continue
        tag, xtr, ytr, xte, yte, source = split
        if max(ks) > len(xtr):
            raise UserError(f"--ks={cfg['ks']}: K={max(ks)} is more clusters than the {len(xtr)} training images")
        xtr, ytr, xte, yte = xtr.to(device), ytr.to(device), xte.to(device), yte.to(device)
        log(f"{tag}: {len(xtr)} train / {len(xte)} test images from {source}")

        for arch in split_list(cfg["archs"]):
            t0 = time.perf_counter()
            run = fresh_run_dir(out, "seq", tag, arch, resume=cfg["resume"], overwrite=cfg["overwrite"])
            if cfg["overwrite"] and (run / "decoder").is_dir():  # a decoder of the replaced encoder is stale too
                fresh_run_dir(run, "decoder", resume=False, overwrite=True)
            epochs = epochs_for(cfg, name, arch)
            run_cfg = {**cfg, "dataset": tag, "arch": arch, "epochs": epochs, "data_source": source,
                       **run_environment(device), "precision_used": precision}
            save_json(run / "config.json", run_cfg)
            seed_everything(cfg["seed"])
            model = build_encoder(arch, binarize=cfg["binarize_lae"] and arch.startswith("lae")).to(device)
            history = train_encoder(
                model, xtr, ytr, epochs=epochs, batch_size=cfg["batch_size"], lr=cfg["lr"],
                schedule=cfg["schedule"], label_smoothing=cfg["label_smoothing"], seed=cfg["seed"],
                precision=precision, checkpoint=run / "encoder.pt", resume=cfg["resume"],
                progress=cfg["progress"], desc=f"{tag} {DISPLAY[arch]}", extra={"dataset": tag})
            train_seconds = time.perf_counter() - t0

            t1 = time.perf_counter()
            ftr, ltr = model.embed(xtr, cfg["eval_batch_size"])
            fte, lte = model.embed(xte, cfg["eval_batch_size"])
            embed_seconds = time.perf_counter() - t1
            softmax_test = (lte.argmax(1) == yte).float().mean().item()
            softmax_train = (ltr.argmax(1) == ytr).float().mean().item()
            save_checkpoint(run / "features.pt", {"kind": FEATURES_KIND, "dataset": tag, "arch": arch,
                                                  "train": ftr.cpu(), "train_labels": ytr.cpu(),
                                                  "test": fte.cpu(), "test_labels": yte.cpu()})

            t2 = time.perf_counter()
            rows, states = quantizer_sweep(ftr, ytr, fte, yte, ks, seed=cfg["seed"], max_iter=cfg["kmeans_iters"],
                                           tol=cfg["kmeans_tol"], restarts=cfg["kmeans_restarts"],
                                           restart_max_k=cfg["kmeans_restart_max_k"],
                                           progress=cfg["progress"],
                                           desc=f"{tag} {DISPLAY[arch]} k-means")
            save_checkpoint(run / "quantizers.pt", {"kind": QUANTIZER_KIND, "dataset": tag, "arch": arch,
                                                    "quantizers": states})
            paper = SEQ_PAPER.get(tag, {})
            metrics = {
                "dataset": tag, "arch": arch, "encoder": DISPLAY[arch], "seed": cfg["seed"],
                "softmax_test_accuracy": softmax_test, "softmax_train_accuracy": softmax_train,
                "quantizer": rows,
                "paper": {"source": SEQ_PAPER["source"], "softmax_test_accuracy": paper.get("softmax"),
                          "quantizer_test_accuracy": dict(zip(SEQ_KS, paper.get(arch, [])))} if paper else None,
                "history": history,
                # train: summed over the epochs (right after --resume too); this_run: wall time of this call
                "seconds": {"train": sum(h["seconds"] for h in history), "this_run_training": train_seconds,
                            "embed": embed_seconds, "kmeans": time.perf_counter() - t2,
                            "this_run": time.perf_counter() - t0},
                "n_train": len(xtr), "n_test": len(xte), "subset": is_subset(cfg, tag), "eval_split": cfg["eval_split"],
                "device": str(device), "precision": precision,
                "checkpoint_kind": ENCODER_KIND,
            }
            save_json(run / "metrics.json", metrics)
            best = rows[-1] if rows else {}
            log(f"{tag} {DISPLAY[arch]}: softmax test {100 * softmax_test:.2f}%, "
                f"SEQ K={best.get('k')} test {100 * best.get('test_accuracy', float('nan')):.2f}% "
                f"({time.perf_counter() - t0:.0f} s)")

    curves = collect_curves(out)
    if curves:
        figure = accuracy_vs_clusters(curves, {"ks": SEQ_KS, **SEQ_PAPER}, DISPLAY,
                                      out / "seq" / "accuracy_vs_clusters.png")
        log(seq_summary_lines(curves))
        log(f"figure: {figure}")


if __name__ == "__main__":
    from utils.errors import run_cli

    run_cli(main)
