"""Adversarial autoencoder heads (arXiv 1511.05644): supervised style, semi-supervised classification, label-informed
regularisation, unsupervised clustering, and dimensionality reduction with cluster heads or a 2-d projection.

The model and its training phases are models/aae.py; this script holds the per-head defaults, the run, the
evaluation call (evaluation/aae.py) and the figures (figures/aae.py). Each run writes
results/aae/<head>/<setting>/ (config.json, metrics.json, model.pt, figures), e.g. results/aae/semi_supervised/labels-100/
or results/aae/clustering/clusters-16/. Heads that classify or cluster report test_error (a fraction) on the 10,000
MNIST test images; clusters are labelled from training data only. With a judge (--judge, main_judge.py) every head
also writes judged_generations_class_kept and judged_generations_per_category: the fraction of the images it
generates per category (y = e_k, z from the prior; regularize_z: mixture component k) that the judge puts in that
category's class (k, or the cluster's label from training data); samples.png shows them.

    python main_aae.py                                         # semi_supervised with 100 and 1000 labels
    python main_aae.py --head=clustering                       # 16 and 30 clusters
    python main_aae.py --head=clustering --values=16 --epochs=30
    python main_aae.py --head=clustering --vat_weight=0 --epochs=70 --out_dir=results/novat   # without VAT (docs/aae.md)
    python main_aae.py --head=all                              # every head and setting (hours on a CPU)
    python main_aae.py --head=semi_dim_reduction --epochs=5000 --sgd_milestones=50,1000   # the paper's length (a GPU)
"""
import time

import numpy as np
import torch

from evaluation.aae import category_classes, evaluate, generations, judged_generations
from evaluation.judge import judge_folder, load_judge
from figures.aae import figures_for
from models.aae import AAE, AAE_KIND, CLUSTERING, NO_Y_HEADS, make_optimizers, make_step, set_learning_rates
from models.vat import radii
from data import DATASETS
from utils.config import (at_least, fraction, list_of, number_or_empty, one_of, parse_config, positive,
                          split_list)
from utils.datasets import EVAL_SPLITS, balanced_labelled, is_subset, load_split
from utils.errors import UserError
from utils.io import ensure_writable, fresh_run_dir, guard_run_dirs, output_root, save_json
from utils.progress import log
from utils.runtime import PRECISIONS, get_device, resolve_precision, run_environment, seed_everything
from utils.training import finished, fit, keep_restart, restart_checkpoints, training_only

# ---- hyperparameters: edit here, or override as --key=value (python main_aae.py -h lists them) ----
head = "semi_supervised"          # comma-separated heads, or all: supervised, semi_supervised, regularize_z, clustering, dim_reduction, semi_dim_reduction, projection
values = ""                       # per run: labels (semi-supervised heads, regularize_z), clusters (clustering, dim_reduction) or z size (supervised); empty = each head's defaults
dataset = "mnist"                 # mnist (the paper) or fashion-mnist
data_dir = ""                     # empty: $DATA_DIR if set, else data/ in the repository
train_limit = 0                   # use only the first N training images (0 = all 60,000); for quick tries
test_limit = 0                    # use only the first N test images (0 = all 10,000)
eval_split = "test"               # test: score on the 10,000 test images; val: train on the first 50,000 training images, score on the last 10,000 (the test set is not read; runs go to <out_dir>/val/)
# model (docs/originals.md 3.1: MLPs of 1000 ReLU units, discriminator input noise 0.3)
hidden = 1000                     # hidden units of encoder, decoder and discriminators
z_dim = 0                         # style code size; 0 = the head's default (16, 10, 2, 10, 2, 2, 10)
noise_std = 0.3                   # Gaussian noise on the discriminators' inputs (training only)
batch_norm = False                # encoder: batch normalisation before each hidden ReLU (not in the paper; IMSAT's and VAT's networks have it; docs/aae.md)
# training
epochs = 0                        # passes over the unlabelled images; 0 = the head's default (40 to 60 epochs, under an hour on a 2-core CPU with bf16; the reference: 300 / 5000)
batch_size = 100                  # images per step (the reference: 64); the labelled minibatch has the same size
optimizer = ""                    # empty = the head's: adam (A-E) or sgd (F, G: the paper's momentum-SGD recipe)
lr = 1e-4                         # Adam learning rate (the reference: 1e-4)
lr_decay = ""                     # every learning rate falls linearly towards zero over this last fraction of the epochs (not in the paper; empty = the head's "lr_decay" in HEADS below, else 0 = constant; docs/aae.md)
beta1 = 0.0                       # Adam beta1; 0 = the head's (0.5 for supervised and regularize_z, 0.1 otherwise)
augment = True                    # randomly rotate (15 deg), scale (10 %) and shift (1.7 px) the labelled minibatches (not in the paper)
augment_flip = False              # also mirror half of each labelled minibatch left to right: label-preserving for garments, not for digits (not in the paper; docs/aae.md)
consistency_weight = ""           # heads with a categorical code (B, D-G): + weight * KL(q(y|x) || q(y|augmented x)) on the unlabelled batch (not in the paper; empty = the head's "consistency_weight" in HEADS below, 1 where it names none, else 0 = off; docs/aae.md)
balance_weight = 1.0              # clustering heads: + weight * KL(batch mean of q(y|x) || uniform) in the generator step (not in the paper; 0 = off)
vat_weight = ""                   # heads with a categorical code: + weight * KL(q(y|x) || q(y|x + r_adv)), IMSAT's virtual adversarial training, in the consistency term's step (not in the paper; empty = the head's "vat_weight" in HEADS below, else 0 = off; docs/aae.md)
vat_radius = 0.25                 # VAT perturbation radius, as a fraction of each image's distance to its 10th nearest training image (IMSAT: 0.25)
ema_decay = 0.0                   # > 0: evaluate (and keep) an exponential moving average of the weights, updated after every step (not in the paper; 0 = off; docs/aae.md)
restarts = 1                      # heads with VAT: train R times (training seeds seed*R .. seed*R+R-1) and keep one by its last epoch's mean VAT loss (label-free; not in the paper; docs/aae.md)
restart_criterion = "highest_vat" # with restarts > 1, the training kept: highest_vat or lowest_vat (the last epoch's mean VAT loss)
sgd_milestones = "30,1000"        # sgd: epochs after which every learning rate is divided by 10 (the paper: 50, 1000 of 5000 epochs; 30 falls within the default 40-55)
# system
seed = 0                          # seeds python, numpy, torch, the batch order and the labelled subset
paper_settings = False            # true: the paper's own setup (PAPER below) instead of these defaults; keys given on the command line still win
device = "auto"                   # auto (cuda, then mps, then cpu), cpu, cuda, mps
precision = "auto"                # fp32, bf16 (autocast), or auto: bf16 where the device has it natively (GPUs, CPUs with AVX512-BF16 or AMX; chosen on the validation split: docs/speed.md)
eval_batch_size = 1000            # images per forward pass at evaluation
judge = "auto"                    # the judge run folder (main_judge.py): auto = <out_dir>/judge/<dataset>/ (val/ for --eval_split=val), off = no judged scores, or a path
judge_samples = 100               # images generated per category (y = e_k, z from the prior; seeded) for the judge and samples.png
out_dir = ""                      # runs go to <out_dir>/aae/<head>/<setting>/; empty: results/ in the repository
resume = False                    # continue interrupted training from each run's model.pt
overwrite = False                 # replace earlier runs in the same folders (without it, or resume, that is refused)
progress = True                   # progress bars with the loss terms
# ---------------------------------------------------------------------------------------------------

# ---- per-head defaults (docs/originals.md 3.2-3.8), used where the header above says "the head's" ----
# "setting" names the run folder <out_dir>/aae/<head>/<setting>/; "epochs" keeps each head's default run within an
# hour of a 2-core CPU (docs/speed.md); "vat_weight" and "consistency_weight" are the head's --vat_weight and
# --consistency_weight when those are empty, and so is "lr_decay" for --lr_decay (docs/aae.md: chosen on the
# validation split; a {data set: value} dict where the data sets' own validation splits chose differently);
# "sweep": the key that names the run (labels or clusters) and the values run by default.
HEADS = {
    "supervised": {"variant": "A", "n_y": 10, "z_dim": 16, "labels": 0, "optimizer": "adam", "beta1": 0.5,
                   "setting": "z-{z_dim}", "epochs": 55, "sweep": ("z_dim", [16])},
    "semi_supervised": {"variant": "B", "n_y": 10, "z_dim": 10, "labels": 100, "optimizer": "adam", "beta1": 0.1,
                        "setting": "labels-{labels}", "epochs": 60, "consistency_weight": 0.0,
                        "vat_weight": {"mnist": 3.0, "fashion-mnist": 1.0},
                        "sweep": ("labels", [100, 1000])},
    "regularize_z": {"variant": "C", "n_y": 10, "z_dim": 2, "labels": 10000, "optimizer": "adam", "beta1": 0.5,
                     "setting": "labels-{labels}", "epochs": 45, "sweep": ("labels", [10000])},
    "clustering": {"variant": "D", "n_y": 16, "z_dim": 10, "labels": 0, "optimizer": "adam", "beta1": 0.1,
                   "setting": "clusters-{n_y}", "epochs": 40, "vat_weight": 3.0, "sweep": ("clusters", [16, 30])},
    "dim_reduction": {"variant": "E", "n_y": 20, "z_dim": 2, "labels": 0, "optimizer": "adam", "beta1": 0.1,
                      "head_distance": 2.0, "setting": "clusters-{n_y}", "epochs": 40,
                      "sweep": ("clusters", [20])},
    "semi_dim_reduction": {"variant": "F", "n_y": 10, "z_dim": 2, "labels": 100, "optimizer": "sgd", "beta1": 0.1,
                           "head_distance": 1.0, "setting": "labels-{labels}", "epochs": 40,
                           "sweep": ("labels", [100, 1000])},
    "projection": {"variant": "G", "n_y": 10, "z_dim": 10, "labels": 1000, "optimizer": "sgd", "beta1": 0.1,
                   "setting": "labels-{labels}", "epochs": 55, "sweep": ("labels", [1000])},
}
# a weight (vat_weight, consistency_weight) or a fraction (lr_decay) that is the head's when empty
HEAD_WEIGHT, HEAD_FRACTION = number_or_empty(empty="the head's"), number_or_empty(high=1, empty="the head's")
RULES = {"eval_split": one_of(*EVAL_SPLITS),
         "head": list_of(names=("all", *HEADS)), "values": list_of(int, low=1, empty=True),
         "dataset": one_of(*DATASETS), "train_limit": at_least(0), "test_limit": at_least(0), "hidden": at_least(1),
         "z_dim": at_least(0), "noise_std": at_least(0), "epochs": at_least(0), "batch_size": at_least(1),
         "optimizer": one_of("", "adam", "sgd"), "lr": positive(), "lr_decay": HEAD_FRACTION, "beta1": fraction(),
         "consistency_weight": HEAD_WEIGHT, "balance_weight": at_least(0), "vat_weight": HEAD_WEIGHT,
         "vat_radius": positive(), "ema_decay": fraction(), "sgd_milestones": list_of(int, low=1, empty=True),
         "seed": at_least(0), "restarts": at_least(1), "restart_criterion": one_of("highest_vat", "lowest_vat"),
         "eval_batch_size": at_least(1), "judge_samples": at_least(1), "precision": one_of(*PRECISIONS)}
# the paper's heads without the additions (augmentation, consistency, balance, VAT, batch norm); epochs stay the budget's
PAPER = {"augment": False, "augment_flip": False, "batch_norm": False, "consistency_weight": "0",
         "balance_weight": 0.0, "vat_weight": "0", "lr_decay": "0"}


def resolve(cfg: dict, head: str, value: int | None = None) -> dict:
    """The settings of one run: the head's defaults (``HEADS``), its sweep key set to ``value``, then the
    script's non-default keys (z_dim, optimizer, beta1 > 0, vat_weight, consistency_weight and lr_decay when not
    empty). A head's value that differs per data set is ``cfg["dataset"]``'s (MNIST's when ``cfg`` names none)."""
    d = HEADS[head]
    out = {"head": head, "variant": d["variant"], "n_y": d["n_y"], "z_dim": d["z_dim"], "labels": d["labels"],
           "epochs": cfg.get("epochs") or d["epochs"],
           "optimizer": d["optimizer"], "beta1": d["beta1"], "head_distance": d.get("head_distance", 2.0)}
    key, _ = d["sweep"]
    if value is not None:
        out["n_y" if key == "clusters" else key] = int(value)
    if cfg.get("z_dim") and head != "projection" and key != "z_dim":
        out["z_dim"] = cfg["z_dim"]
    if head == "projection":
        out["z_dim"] = out["n_y"]
    out["optimizer"] = cfg.get("optimizer") or out["optimizer"]
    out["beta1"] = cfg["beta1"] if cfg.get("beta1", 0) > 0 else out["beta1"]
    for weight, unnamed in (("vat_weight", 0.0), ("consistency_weight", 1.0), ("lr_decay", 0.0)):
        text = str(cfg.get(weight, "")).strip()
        try:
            own = d.get(weight, unnamed)
            out[weight] = float(text) if text else own[cfg.get("dataset", "mnist")] if isinstance(own, dict) else own
        except ValueError:
            raise UserError(f"--{weight} expects a number or nothing (the head's default), got {text!r}") from None
        if out[weight] < 0:
            raise UserError(f"--{weight} must be >= 0, got {text}")
    if key == "clusters" and out["n_y"] < 2:
        raise UserError(f"--values={value}: the {head} head needs at least 2 clusters")
    if key == "labels" and out["labels"] % 10:
        raise UserError(f"--values={value}: the {head} head takes a multiple of 10 labelled images (the same number "
                        "per class)")
    out["setting"] = d["setting"].format(**out)
    if cfg.get("restarts", 1) > 1 and (head in NO_Y_HEADS or not out["vat_weight"] > 0):   # before any run trains
        raise UserError(f"--restarts={cfg['restarts']}: keeping one of several trainings needs the VAT loss (it ranks "
                        f"them), and {head}/{out['setting']} runs without it; pass --restarts=1")
    return out


def extra_weights(cfg: dict, run: dict) -> dict:
    """The weights of the additions that are not in the paper, as they apply to ``run["head"]``: the balance term
    for the clustering heads, the consistency and VAT terms (``run["consistency_weight"]``, ``run["vat_weight"]``,
    see ``resolve``) for every head with a categorical code; 0 elsewhere."""
    infers_y = run["head"] not in NO_Y_HEADS
    return {"balance_weight": cfg["balance_weight"] if run["head"] in CLUSTERING else 0.0,
            "consistency_weight": run["consistency_weight"] if infers_y else 0.0,
            "vat_weight": run["vat_weight"] if infers_y else 0.0}


def train_aae(model: AAE, optimizers: dict, x, y, labelled, *, epochs: int, batch_size: int, seed: int,
              milestones: list[int], checkpoint, resume: bool, progress: bool, desc: str, extra: dict | None = None,
              augment: bool = False, flip: bool = False, balance_weight: float = 0.0,
              consistency_weight: float = 0.0, vat_weight: float = 0.0, vat_eps: torch.Tensor | None = None,
              precision: str = "fp32", ema_decay: float = 0.0, lr: float = 1e-4, lr_decay: float = 0.0):
    """Train with utils.training.fit (per-epoch checkpoints, exact resume). The batches address the unlabelled
    pool; the labelled minibatches of epoch e come from a generator seeded with (seed, e); SGD runs follow the
    milestone schedule, and with ``lr_decay`` every rate (Adam's: ``lr``) falls over the last epochs
    (models.aae.set_learning_rates). ``vat_eps``: per-image VAT radii of ``x`` (models.vat.radii), needed when
    ``vat_weight`` > 0."""
    pool = torch.arange(len(x))
    if labelled is not None and len(labelled):
        keep = torch.ones(len(x), dtype=torch.bool)
        keep[labelled] = False
        pool = pool[keep]
    pool = pool.to(x.device)
    made = {}   # the step is built at the first epoch trained: resuming a finished run needs no VAT radii

    def built() -> dict:
        if not made:
            made["step"], made["reseed"] = make_step(
                model, optimizers, x, y, labelled, batch_size=batch_size, augment=augment, flip=flip,
                balance_weight=balance_weight, consistency_weight=consistency_weight, vat_weight=vat_weight,
                vat_eps=vat_eps)
        return made

    scheduled = lr_decay > 0 or any(isinstance(o, torch.optim.SGD) for o in optimizers.values())

    def epoch_start(epoch: int):
        built()["reseed"](torch.Generator().manual_seed(seed * 7919 + epoch))
        if scheduled:
            set_learning_rates(optimizers, epoch, epochs, lr=lr, milestones=milestones, decay=lr_decay)

    return fit(model, optimizers, lambda idx: built()["step"](pool[idx]), len(pool), epochs=epochs,
               batch_size=batch_size, seed=seed, checkpoint=checkpoint, kind=AAE_KIND, model_config=model.config,
               resume=resume, progress=progress, desc=desc, extra=extra, epoch_start=epoch_start, precision=precision,
               ema_decay=ema_decay)


def folder_name(setting: str, dataset: str) -> str:
    """A run folder's name (below aae/<head>/): the head's setting, with the data set appended unless it is MNIST."""
    return setting + ("" if dataset == "mnist" else f"-{dataset}")


def run_aae(cfg: dict, root, run: dict, xtr, ytr, xte, yte, device, dataset: str, source: str, judge=None,
            judge_info: dict | None = None) -> dict:
    """Train one head/setting, evaluate it on the test set and, with a ``judge`` (evaluation.judge.load_judge), its
    generated images; write metrics.json and the figures. A finished run resumed is evaluated again, untrained."""
    t0 = time.perf_counter()
    labelled = balanced_labelled(ytr, run["labels"], cfg["seed"]) if run["labels"] else None
    setting = folder_name(run["setting"], dataset)
    out = fresh_run_dir(root, "aae", run["head"], setting, resume=cfg["resume"], overwrite=cfg["overwrite"])
    save_json(out / "config.json", {**cfg, **run, "setting": setting, "dataset": dataset, "data_source": source,
                                    **run_environment(device)})
    milestones = [int(m) for m in str(cfg["sgd_milestones"]).split(",") if m.strip()]
    desc = f"AAE {run['head']}/{setting}"
    precision = resolve_precision(cfg["precision"], device)
    restarts = cfg["restarts"]

    def new_model() -> AAE:
        return AAE(run["head"], n_y=run["n_y"], z_dim=run["z_dim"], hidden=cfg["hidden"], noise_std=cfg["noise_std"],
                   head_distance=run["head_distance"], batch_norm=cfg["batch_norm"]).to(device)

    weights = extra_weights(cfg, run)
    checkpoints = restart_checkpoints(out, restarts, cfg["resume"])
    x_dev = xtr.to(device)
    # a resume of finished trainings re-evaluates them: nothing to train
    trains = not (cfg["resume"] and all(finished(c, AAE_KIND, run["epochs"]) for c in checkpoints))
    eps, radii_seconds = training_only((lambda: radii(x_dev, cfg["vat_radius"], desc=desc))
                                       if weights["vat_weight"] > 0 else None, trains, out, "vat_radii")
    recipe = {**weights, "augment": bool(cfg["augment"]), "labels": run["labels"],
              "vat_radius": cfg["vat_radius"] if weights["vat_weight"] else None,
              # named only when on: runs made before the option resume as they were
              **({"augment_flip": True} if cfg["augment_flip"] and run["labels"] else {}),
              **({"ema_decay": cfg["ema_decay"]} if cfg["ema_decay"] else {}),
              **({"lr_decay": run["lr_decay"]} if run["lr_decay"] else {})}
    model, history, trainings, kept, timed_epochs = None, [], [], 0, []
    sign = 1.0 if cfg["restart_criterion"] == "highest_vat" else -1.0  # rank by sign * VAT loss; a tie keeps the first
    for r, checkpoint in enumerate(checkpoints):
        training_seed = cfg["seed"] * restarts + r          # restarts=1: the run's own seed, as before the option
        seed_everything(training_seed)
        candidate = new_model()
        optimizers = make_optimizers(candidate, run["optimizer"], cfg["lr"], run["beta1"])
        got = train_aae(candidate, optimizers, x_dev, ytr.to(device), labelled, epochs=run["epochs"],
                        batch_size=cfg["batch_size"], seed=training_seed, milestones=milestones,
                        checkpoint=checkpoint, resume=cfg["resume"], progress=cfg["progress"],
                        desc=desc if restarts == 1 else f"{desc} restart {r + 1}/{restarts}",
                        extra={"dataset": dataset, "setting": setting,
                               "recipe": {**recipe, **({"restarts": restarts, "training_seed": training_seed}
                                                       if restarts > 1 else {})}},
                        augment=cfg["augment"], flip=cfg["augment_flip"], vat_eps=eps, precision=precision,
                        ema_decay=cfg["ema_decay"], lr=cfg["lr"], lr_decay=run["lr_decay"], **weights)
        timed_epochs += [h for h in got if "seconds" in h]        # every training's time counts in the run's
        if restarts > 1:
            # the label-free criterion is the last epoch's mean VAT loss; the labels below only score each training
            error = evaluate(candidate, xtr, ytr, xte, yte, batch_size=cfg["eval_batch_size"])[0]["test_error"]
            trainings.append({"restart": r, "training_seed": training_seed, "last_epoch_vat": got[-1]["vat"],
                              "test_error": error, "train_epochs_sum": sum(h["seconds"] for h in got)})
        if model is None or sign * got[-1]["vat"] > sign * history[-1]["vat"]:
            model, history, kept = candidate, got, r
    if restarts > 1:
        keep_restart(out, checkpoints[kept], AAE_KIND)
        vats = ", ".join(f"{t['last_epoch_vat']:.4f}" for t in trainings)
        end = cfg["restart_criterion"].split("_")[0]
        log(f"{desc}: kept restart {kept + 1}/{restarts}, the {end} last-epoch VAT loss ({vats})")
    train_seconds = time.perf_counter() - t0
    metrics, codes = evaluate(model, xtr, ytr, xte, yte, batch_size=cfg["eval_batch_size"])
    generated = generations(model, cfg["judge_samples"], cfg["seed"], cfg["eval_batch_size"])
    classes = category_classes(model, metrics)
    judged = judged_generations(judge, generated, classes) if judge is not None else {}
    figures = figures_for(model, xte, yte, codes, dataset, out, setting, seed=cfg["seed"], generated=generated,
                          classes=classes)
    metrics = {"head": run["head"], "setting": setting, "dataset": dataset, "variant": run["variant"],
               **metrics, **judged, "labels": run["labels"], "augment_labelled": bool(cfg["augment"] and run["labels"]),
               "augment_flip": bool(cfg["augment_flip"] and run["labels"]),
               **weights, "vat_radius": cfg["vat_radius"] if weights["vat_weight"] else None,
               "ema_decay": cfg["ema_decay"], "lr_decay": run["lr_decay"],
               "epochs": run["epochs"], "seed": cfg["seed"],
               **({"restarts": trainings, "kept_restart": kept, "restart_criterion": cfg["restart_criterion"]}
                  if restarts > 1 else {}),
               "optimizer": run["optimizer"], "beta1": run["beta1"] if run["optimizer"] == "adam" else None,
               "lr": cfg["lr"] if run["optimizer"] == "adam" else None,
               "sgd_milestones": milestones if run["optimizer"] == "sgd" else None,
               "images_per_second": (float(np.mean([h["images_per_second"] for h in timed_epochs]))
                                     if timed_epochs else None),
               "history": history, "model_config": model.config,
               "seconds": {"train": train_seconds, "train_epochs_sum": sum(h["seconds"] for h in timed_epochs),
                           "vat_radii": radii_seconds, "total": time.perf_counter() - t0},
               "n_train": len(xtr), "n_test": len(xte), "subset": is_subset(cfg, dataset),
               "eval_split": cfg["eval_split"], "judge": judge_info, "device": str(device),
               "precision": precision,
               "checkpoint_kind": AAE_KIND,
               "figures": [p.name for p in figures]}
    save_json(out / "metrics.json", metrics)
    log(f"{desc}: {describe(metrics)} ({metrics['seconds']['total']:.0f} s); results in {out}")
    return metrics


def describe(metrics: dict) -> str:
    """One line of the run's main numbers."""
    parts = []
    if "test_error" in metrics:  # the key is the same on either split; the line names the split scored
        split = "validation" if metrics.get("eval_split") == "val" else "test"
        parts.append(f"{split} error {100 * metrics['test_error']:.2f}%")
    if "nmi" in metrics:
        parts.append(f"NMI {metrics['nmi']:.3f}")
    if "style_probe_test_accuracy" in metrics:
        parts.append(f"style-code probe {100 * metrics['style_probe_test_accuracy']:.1f}%")
    parts.append(f"recon MSE {metrics['test_recon_mse']:.4f}")
    if "judged_generations_class_kept" in metrics:
        parts.append(f"generations judged as their class {100 * metrics['judged_generations_class_kept']:.1f}% "
                     f"(judge accuracy {100 * metrics['judge']['accuracy']:.1f}%)")
    return ", ".join(parts)


def main(argv=None):
    cfg = parse_config(globals(), argv, __file__)
    heads = list(HEADS) if "all" in split_list(cfg["head"]) else split_list(cfg["head"])
    chosen = split_list(cfg["values"], int)
    runs = [resolve(cfg, h, v) for h in heads for v in (chosen or HEADS[h]["sweep"][1])]
    device = get_device(cfg["device"])
    root = ensure_writable(output_root(cfg["out_dir"], cfg["eval_split"]))
    guard_run_dirs([root / "aae" / r["head"] / folder_name(r["setting"], cfg["dataset"]) for r in runs],
                   resume=cfg["resume"], overwrite=cfg["overwrite"])
    split = load_split(cfg["dataset"], cfg["data_dir"] or None, cfg["train_limit"], cfg["test_limit"],
                       cfg["eval_split"])
    if split is None:
        raise UserError(f"{cfg['dataset']} data not found (see the warning above)")
    tag, xtr, ytr, xte, yte, source = split
    folder = judge_folder(cfg["judge"], root, tag)  # before any training: a missing judge costs nothing
    judge, judge_info = load_judge(folder, tag, cfg["eval_split"], device) if folder else (None, None)
    for r in runs:  # every labelled subset can be drawn (enough images per class), before any training
        if r["labels"]:
            balanced_labelled(ytr, r["labels"], cfg["seed"])
    log(f"{tag}: {len(xtr)} train / {len(xte)} test images from {source}; device {device}; writing to {root}; "
        f"{len(runs)} run(s): " + ", ".join(f"{r['head']}/{r['setting']}" for r in runs))
    return [run_aae(cfg, root, run, xtr, ytr, xte, yte, device, tag, source, judge, judge_info) for run in runs]


if __name__ == "__main__":
    from utils.errors import run_cli

    run_cli(main)
