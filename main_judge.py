"""The independent judge: one CNN per data set, trained on real training images only, that decides the class of the
images every system generates (SEQ decoder combinations and style transfer, CatVAE prior samples, ML-VAE swaps, AAE
generations). It is trained once and reused from its own run folder by every script that judges (their --judge).

Writes results/judge/<dataset>/ (config.json, metrics.json with its accuracy on the scored images, judge.pt,
confusion.png); with --eval_split=val, results/val/judge/<dataset>/, trained on the first 50,000 training images
only, for the validation runs of the other scripts. The model is models/judge.py; loading is evaluation/judge.py.

    python main_judge.py                              # both data sets
    python main_judge.py --datasets=mnist --eval_split=val
"""
import time

import torch
import torch.nn.functional as F

from data import DATASETS
from figures.judge import confusion
from models.judge import JUDGE_KIND, Judge
from utils.augment import random_affine
from utils.config import at_least, fraction, list_of, one_of, parse_config, positive, split_list
from utils.datasets import EVAL_SPLITS, is_subset, load_split
from utils.io import ensure_writable, fresh_run_dir, guard_run_dirs, output_root, save_json
from utils.progress import log
from utils.runtime import PRECISIONS, get_device, resolve_precision, run_environment, seed_everything
from utils.training import fit, make_optimizer, make_scheduler

# ---- hyperparameters: edit here, or override as --key=value (python main_judge.py -h lists them) ----
# data
datasets = "mnist,fashion-mnist"  # comma-separated: mnist, fashion-mnist
data_dir = ""                     # empty: $DATA_DIR if set, else data/ in the repository
train_limit = 0                   # use only the first N training images (0 = all 60,000); for quick tries
test_limit = 0                    # use only the first N test images (0 = all 10,000)
eval_split = "test"               # test: score on the 10,000 test images; val: train on the first 50,000 training images, score on the last 10,000 (the test set is not read; runs go to <out_dir>/val/)
# model (models/judge.py: conv 32-32, pool, conv 64-64, pool, 256 units)
channels = 32                     # channels of the first block (the second has twice as many)
hidden = 256                      # hidden units before the 10 logits
dropout = 0.3                     # dropout before each of the two linear layers (training only)
# training (a fixed, common recipe: the judge is an instrument, not tuned on any score)
epochs = 12                       # passes over the training set
batch_size = 128                  # images per step
lr = 2e-3                         # Adam learning rate (peak of the one-cycle schedule)
augment = True                    # random rotation (10 deg), scaling (10 %) and shift (1.7 px) of every training batch
# system
seed = 0                          # seeds python, numpy, torch, batch order and augmentation
paper_settings = False            # no paper has this judge: accepted for symmetry with the other scripts, changes nothing
device = "auto"                   # auto (cuda, then mps, then cpu), cpu, cuda, mps
precision = "auto"                # fp32, bf16 (autocast), or auto: bf16 where the device has it natively (the judge's own accuracy is measured either way)
eval_batch_size = 1000            # images per forward pass at evaluation
out_dir = ""                      # runs go to <out_dir>/judge/<dataset>/; empty: results/ in the repository
resume = False                    # continue interrupted training from each run's judge.pt
overwrite = False                 # replace an earlier run in the same folder (without it, or resume, that is refused)
progress = True                   # progress bars with the loss
# ---------------------------------------------------------------------------------------------------
RULES = {"eval_split": one_of(*EVAL_SPLITS), "datasets": list_of(names=DATASETS), "train_limit": at_least(0),
         "test_limit": at_least(0), "channels": at_least(1), "hidden": at_least(1), "dropout": fraction(),
         "epochs": at_least(1), "batch_size": at_least(1), "lr": positive(), "seed": at_least(0),
         "precision": one_of(*PRECISIONS), "eval_batch_size": at_least(1)}
PAPER = {}


def train_judge(judge: Judge, x: torch.Tensor, y: torch.Tensor, *, epochs: int, batch_size: int, lr: float,
                augment: bool, seed: int, precision: str, checkpoint, resume: bool, progress: bool,
                desc: str) -> list[dict]:
    """Cross-entropy on real training images (randomly transformed when ``augment``), Adam with a one-cycle
    schedule, checkpointed every epoch."""
    device = x.device
    optimizer = make_optimizer(judge, lr, device)
    scheduler = make_scheduler(optimizer, "onecycle", lr, epochs * max(len(x) // batch_size, 1))

    def step(idx):
        # the global RNG: fit() saves and restores it with each checkpoint, so a resumed run draws the same transforms
        images = random_affine(x[idx], rotation=10.0) if augment else x[idx]
        logits = judge(images).float()
        return {"loss": F.cross_entropy(logits, y[idx]), "acc": (logits.argmax(1) == y[idx]).float().mean().detach()}

    return fit(judge, optimizer, step, len(x), epochs=epochs, batch_size=batch_size, seed=seed,
               checkpoint=checkpoint, kind=JUDGE_KIND, model_config=judge.config, scheduler=scheduler,
               resume=resume, progress=progress, desc=desc, precision=precision)


def main(argv=None) -> dict:
    """Train and score one judge per data set; returns {dataset: metrics}."""
    cfg = parse_config(globals(), argv, __file__)
    device = get_device(cfg["device"])
    precision = resolve_precision(cfg["precision"], device)
    root = ensure_writable(output_root(cfg["out_dir"], cfg["eval_split"]))
    guard_run_dirs([root / "judge" / d for d in split_list(cfg["datasets"])], resume=cfg["resume"],
                   overwrite=cfg["overwrite"])
    results = {}
    for name in split_list(cfg["datasets"]):
        split = load_split(name, cfg["data_dir"] or None, cfg["train_limit"], cfg["test_limit"], cfg["eval_split"])
        if split is None:
            continue
        t0 = time.perf_counter()
        tag, xtr, ytr, xte, yte, source = split
        out = fresh_run_dir(root, "judge", tag, resume=cfg["resume"], overwrite=cfg["overwrite"])
        save_json(out / "config.json", {**cfg, "dataset": tag, "data_source": source, **run_environment(device),
                                        "precision_used": precision})
        log(f"{tag} judge: {len(xtr)} train / {len(xte)} scored images from {source}; device {device} ({precision})")
        seed_everything(cfg["seed"])
        judge = Judge(channels=cfg["channels"], hidden=cfg["hidden"], dropout=cfg["dropout"]).to(device)
        history = train_judge(judge, xtr.to(device), ytr.to(device), epochs=cfg["epochs"],
                              batch_size=min(cfg["batch_size"], len(xtr)), lr=cfg["lr"], augment=cfg["augment"],
                              seed=cfg["seed"], precision=precision, checkpoint=out / "judge.pt",
                              resume=cfg["resume"], progress=cfg["progress"], desc=f"{tag} judge")
        pred = judge.predict(xte, cfg["eval_batch_size"])
        matrix = torch.zeros(10, 10, dtype=torch.long)
        matrix.index_put_((yte.long(), pred), torch.ones_like(pred), accumulate=True)
        accuracy = float((pred == yte).float().mean())
        metrics = {"dataset": tag, "accuracy": accuracy, "eval_split": cfg["eval_split"],
                   "per_class_accuracy": (matrix.diag() / matrix.sum(1).clamp(min=1)).tolist(),
                   "confusion": matrix.tolist(), "model_config": judge.config, "history": history,
                   "seconds": {"train": sum(h["seconds"] for h in history), "this_run": time.perf_counter() - t0},
                   "n_train": len(xtr), "n_test": len(xte), "subset": is_subset(cfg, tag), "device": str(device),
                   "precision": precision, "seed": cfg["seed"], "checkpoint_kind": JUDGE_KIND}
        save_json(out / "metrics.json", metrics)
        scored = "test" if cfg["eval_split"] == "test" else "validation"
        confusion(matrix, tag, out / "confusion.png",
                  f"Judge ({tag}): {100 * accuracy:.2f}% of {len(yte)} {scored} images; row = true class, "
                  "% of the row")
        log(f"{tag} judge: {scored} accuracy {100 * accuracy:.2f}% ({time.perf_counter() - t0:.0f} s); results in {out}")
        results[tag] = metrics
    return results


if __name__ == "__main__":
    from utils.errors import run_cli

    run_cli(main)
