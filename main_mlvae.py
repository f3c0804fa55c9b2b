"""Multi-Level VAE (arXiv 1705.08841): a style code per image, a class code per group of images.

Groups are the class labels within each minibatch; the group's class posterior is the product of its
members' Gaussians (group evidence accumulation, differentiable: the class heads are trained). Writes
results/mlvae/<dataset>/<setting>/ (setting = noise-<group_noise_std>): config.json, metrics.json,
mlvae.pt, swap_no_evidence.png, swap_with_evidence.png, tsne_class.png, tsne_style.png,
loss_curves.png. The model is models/mlvae.py, the metrics evaluation/mlvae.py, the figures figures/mlvae.py. Swapped
images are classified by the independent judge of the data set (main_judge.py, trained on real images only): its
verdicts give swap_class_kept and the other judged_/swap_ scores, its own accuracy is recorded beside them.

    python main_judge.py --datasets=mnist                  # once: the judge the swaps are scored by
    python main_mlvae.py                                   # MNIST, group noise std 0.1
    python main_mlvae.py --style_kl_coef=1                 # the plain ELBO of the paper (more class information in the style code)
    python main_mlvae.py --group_noise_std=1.0             # the paper's sampling (one N(0, I) draw per group)
    python main_mlvae.py --dataset=fashion-mnist --resume=true
"""
import time

import numpy as np
import torch
import torch.nn.functional as F

from evaluation.mlvae import class_exemplars, evaluate_codes, swap_grid, swap_scores
from figures.mlvae import loss_curves, swap_figure, tsne_figure
from evaluation.judge import judge_folder, judged_as, load_judge
from models.mlvae import MLVAE, MLVAE_KIND, RECON_LOSSES
from reporting.references import MLVAE_REFERENCE
from data import DATASETS
from utils.config import at_least, one_of, own_value, parse_config, positive
from utils.datasets import EVAL_SPLITS, is_subset, load_split
from utils.errors import UserError
from utils.io import ensure_writable, fresh_run_dir, guard_run_dirs, output_root, save_json
from utils.progress import log
from utils.runtime import PRECISIONS, get_device, resolve_precision, run_environment, seed_everything
from utils.training import fit, make_optimizer, make_scheduler

# ---- hyperparameters: edit here, or override as --key=value (python main_mlvae.py -h lists them) ----
# data
dataset = "mnist"                 # mnist or fashion-mnist
data_dir = ""                     # empty: $DATA_DIR if set, else data/ in the repository
train_limit = 0                   # use only the first N training images (0 = all 60,000); for quick tries
test_limit = 0                    # use only the first N test images (0 = all 10,000)
eval_split = "test"               # test: score on the 10,000 test images; val: train on the first 50,000 training images, score on the last 10,000 (the test set is not read; runs go to <out_dir>/val/)
# model (docs/originals.md 4.2: 784-500 tanh, four heads; decoder 20-500 tanh-784 sigmoid)
style_dim = 10                    # style code per image
class_dim = 10                    # class code per group
hidden = 1000                     # hidden units of encoder and decoder (the reference: 500; 1000 chosen on the validation split: docs/mlvae.md)
encoder_layers = 2                # hidden tanh layers of the encoder, before its four heads (the paper: 1; 2 chosen on the validation split: docs/mlvae.md)
decoder_layers = 0                # hidden tanh layers of the decoder (the paper: 1); 0: the data set's own, the next two lines
decoder_layers_mnist = 2          # on MNIST (2 chosen on the validation split: docs/mlvae.md)
decoder_layers_fashion = 1        # on Fashion-MNIST (1 chosen on its validation split: docs/mlvae.md)
group_noise_std = 0.1             # std of the ONE noise draw per group in the class sample; 1.0 = the paper, 0.1 = the reference repo
recon_loss = "bce"                # bce (Bernoulli, default) or mse (the reference code); summed over the 784 pixels of an image
style_kl_coef = 3.0               # weight of the style KL (1 = the ELBO; > 1 squeezes class information out of the style code)
class_kl_coef = 1.0               # weight of the class KL (1 = the ELBO)
train_group_size = 5              # split each class of the batch into random groups of at most 5 images (0: one group per class, the reference)
# training (loss = sum of group ELBOs / number of groups, groups = labels within a batch)
epochs = 200                      # passes over the training set (the reference: 400)
batch_size = 256                  # the reference: 256 (about 25 images per class group)
lr = 1e-3                         # Adam learning rate (the reference: 1e-3, constant)
schedule = "constant"             # constant (the reference) or onecycle
# evaluation
eval_group_size = 25              # images per group when codes are accumulated at evaluation (about one batch's class group)
swap_pairs = 10000                # random (style image, class image) test pairs behind swap_class_kept (+-0.2 points)
swap_evidence = 5                 # test images of the column's class accumulated in swap_with_evidence.png (the user's group)
tsne_points = 2000                # test images in the t-SNE figures
judge = "auto"                    # the judge run folder (main_judge.py): auto = <out_dir>/judge/<dataset>/ (val/ for --eval_split=val), off = no judged scores, or a path
eval_batch_size = 1000            # images per forward pass when encoding
# system
seed = 0                          # seeds python, numpy, torch, batch order, probes and pairs
paper_settings = False            # true: the paper's own setup (PAPER below) instead of these defaults; keys given on the command line still win
device = "auto"                   # auto (cuda, then mps, then cpu), cpu, cuda, mps
precision = "fp32"                # fp32, bf16 (autocast), or auto: bf16 where the device has it natively (fp32 kept on the validation split: docs/speed.md)
setting = ""                      # run folder name; empty: noise-<group_noise_std>, e.g. noise-0.1 (name it when changing other keys)
out_dir = ""                      # runs go to <out_dir>/mlvae/<dataset>/<setting>/; empty: results/ in the repository
resume = False                    # continue interrupted training from the run's mlvae.pt
overwrite = False                 # replace an earlier run in the same folder (without it, or resume, that is refused)
progress = True                   # progress bars with the loss terms
# ---------------------------------------------------------------------------------------------------
RULES = {"eval_split": one_of(*EVAL_SPLITS),
         "dataset": one_of(*DATASETS), "train_limit": at_least(0), "test_limit": at_least(0), "style_dim": at_least(1),
         "class_dim": at_least(1), "hidden": at_least(1), "encoder_layers": at_least(1),
         "decoder_layers": at_least(0), "decoder_layers_mnist": at_least(1), "decoder_layers_fashion": at_least(1),
         "group_noise_std": at_least(0),
         "recon_loss": one_of(*RECON_LOSSES), "style_kl_coef": at_least(0), "class_kl_coef": at_least(0),
         "train_group_size": at_least(0), "epochs": at_least(1), "batch_size": at_least(1), "lr": positive(),
         "schedule": one_of("constant", "onecycle"), "eval_group_size": at_least(1), "swap_pairs": at_least(1),
         "swap_evidence": at_least(1), "tsne_points": at_least(2),
         "eval_batch_size": at_least(1), "precision": one_of(*PRECISIONS), "seed": at_least(0)}
# the paper's ELBO, sampling and training (docs/originals.md 4.3-4.4)
PAPER = {"hidden": 500, "encoder_layers": 1, "decoder_layers": 1,
         "group_noise_std": 1.0, "style_kl_coef": 1.0, "class_kl_coef": 1.0, "train_group_size": 0,
         "batch_size": 256, "lr": 1e-3, "schedule": "constant"}


def train_mlvae(model: MLVAE, x: torch.Tensor, y: torch.Tensor, *, epochs: int, batch_size: int, lr: float,
                schedule: str, seed: int, checkpoint, resume: bool, progress: bool, desc: str,
                extra: dict | None = None, precision: str = "fp32") -> list[dict]:
    """Adam on the ML-VAE loss with groups = class labels within each minibatch; checkpoint every epoch."""
    device = next(model.parameters()).device
    optimizer = make_optimizer(model, lr, device)
    scheduler = make_scheduler(optimizer, schedule, lr, epochs * max(len(x) // batch_size, 1))
    return fit(model, optimizer, lambda idx: model.loss(x[idx], y[idx]), len(x), epochs=epochs,
               batch_size=batch_size, seed=seed, checkpoint=checkpoint, kind=MLVAE_KIND, model_config=model.config,
               scheduler=scheduler, resume=resume, progress=progress, desc=desc, extra=extra, precision=precision)


def setting_name(cfg: dict) -> str:
    return cfg["setting"] or f"noise-{float(cfg['group_noise_std'])}"


def main(argv=None) -> dict:
    """Train, evaluate, draw; returns the metrics written to metrics.json."""
    cfg = parse_config(globals(), argv, __file__)
    cfg["decoder_layers"] = own_value(cfg, "decoder_layers", cfg["dataset"])   # config.json records the depth it trains
    t_start = time.perf_counter()
    device = get_device(cfg["device"])
    precision = resolve_precision(cfg["precision"], device)
    dataset, setting = cfg["dataset"], setting_name(cfg)
    root = ensure_writable(output_root(cfg["out_dir"], cfg["eval_split"]))
    guard_run_dirs([root / "mlvae" / dataset / setting], resume=cfg["resume"], overwrite=cfg["overwrite"])
    split = load_split(dataset, cfg["data_dir"] or None, cfg["train_limit"], cfg["test_limit"], cfg["eval_split"])
    if split is None:
        raise UserError(f"{dataset} data not found (see the warning above)")
    tag, xtr, ytr, xte, yte, source = split
    folder = judge_folder(cfg["judge"], root, tag)
    judge, judge_info = load_judge(folder, tag, cfg["eval_split"], device) if folder else (None, None)
    out = fresh_run_dir(root, "mlvae", tag, setting, resume=cfg["resume"], overwrite=cfg["overwrite"])
    save_json(out / "config.json", {**cfg, "dataset": tag, "setting": setting, "data_source": source,
                                    **run_environment(device)})
    log(f"{tag} ML-VAE ({setting}): {len(xtr)} train / {len(xte)} test images from {source}; device {device}")
    xtr_d, ytr_d = xtr.to(device), ytr.to(device)

    # 1. train
    seed_everything(cfg["seed"])
    model = MLVAE(style_dim=cfg["style_dim"], class_dim=cfg["class_dim"], hidden=cfg["hidden"],
                  group_noise_std=cfg["group_noise_std"], recon_loss=cfg["recon_loss"],
                  style_kl_coef=cfg["style_kl_coef"], class_kl_coef=cfg["class_kl_coef"],
                  train_group_size=cfg["train_group_size"], encoder_layers=cfg["encoder_layers"],
                  decoder_layers=cfg["decoder_layers"]).to(device)
    t0 = time.perf_counter()
    history = train_mlvae(model, xtr_d, ytr_d, epochs=cfg["epochs"], batch_size=cfg["batch_size"], lr=cfg["lr"],
                          schedule=cfg["schedule"], seed=cfg["seed"], checkpoint=out / "mlvae.pt",
                          resume=cfg["resume"], progress=cfg["progress"], desc=f"{tag} ML-VAE {setting}",
                          extra={"dataset": tag, "setting": setting},
                          precision=precision)
    train_seconds = time.perf_counter() - t0

    # 2. codes, probes, reconstructions
    t1 = time.perf_counter()
    ctr = model.codes(xtr_d, cfg["eval_batch_size"])
    cte = model.codes(xte, cfg["eval_batch_size"])
    metrics = {"dataset": tag, "setting": setting, "group_noise_std": model.group_noise_std,
               "recon_loss": model.recon_loss, "model_config": model.config}
    metrics.update(evaluate_codes(ctr, ytr, cte, yte, group_size=cfg["eval_group_size"], seed=cfg["seed"]))
    for row in metrics["table"]:
        row["group_noise_std"] = model.group_noise_std
    recon = model.decode(cte["style_mu"], cte["class_mu"], cfg["eval_batch_size"])
    metrics["test_recon_bce_per_image"] = float(
        F.binary_cross_entropy(recon.clamp(1e-6, 1 - 1e-6), xte, reduction="sum") / len(xte))
    metrics["test_recon_mse_per_pixel"] = float(F.mse_loss(recon, xte))
    probe_seconds = time.perf_counter() - t1

    # 3. the swaps, judged
    t2 = time.perf_counter()
    metrics["judge"] = judge_info
    if judge is not None:
        metrics["judge_test_accuracy"] = judge_info["accuracy"]
        metrics["judge_accuracy_on_test_reconstructions"] = judged_as(judge, recon, yte)
        metrics.update(swap_scores(model, judge, cte, yte, pairs=cfg["swap_pairs"], evidence=cfg["swap_evidence"],
                                   seed=cfg["seed"]))
    swap_seconds = time.perf_counter() - t2

    # 4. figures
    t3 = time.perf_counter()
    exemplars = class_exemplars(yte, cfg["swap_evidence"], cfg["seed"])
    heads = [g[0] for g in exemplars]
    no_ev = swap_grid(model, cte, heads, [[i] for i in heads])
    with_ev = swap_grid(model, cte, heads, exemplars)
    n_ev = min(len(g) for g in exemplars)
    swap_figure(xte[heads], no_ev, tag, out / "swap_no_evidence.png",
                f"ML-VAE {tag} ({setting}): style of the row image + class code of the column image "
                "(single image, no evidence)")
    swap_figure(xte[heads], with_ev, tag, out / "swap_with_evidence.png",
                f"ML-VAE {tag} ({setting}): style of the row image + class code accumulated over the column "
                f"image and {n_ev - 1} other test images of its class (a user-supplied group)")
    n_tsne = min(cfg["tsne_points"], len(yte))
    pick = torch.from_numpy(np.random.default_rng(cfg["seed"]).choice(len(yte), n_tsne, replace=False))
    tsne_figure(cte["class_mu"][pick], yte[pick], tag, out / "tsne_class.png",
                f"t-SNE of class codes (single-image means), {n_tsne} test images, {tag} {setting}", cfg["seed"])
    tsne_figure(cte["style_mu"][pick], yte[pick], tag, out / "tsne_style.png",
                f"t-SNE of style codes (means), {n_tsne} test images, {tag} {setting}", cfg["seed"])
    loss_curves(history, out / "loss_curves.png", f"ML-VAE {tag} ({setting}): training loss terms per epoch")
    figure_seconds = time.perf_counter() - t3

    metrics["reference_table"] = MLVAE_REFERENCE
    metrics["history"] = history
    metrics["seconds"] = {"train": train_seconds, "train_epochs_sum": sum(h["seconds"] for h in history),
                          "probes": probe_seconds, "judge_and_swaps": swap_seconds,
                          "figures": figure_seconds, "total": time.perf_counter() - t_start}
    metrics["n_train"], metrics["n_test"], metrics["device"] = len(xtr), len(xte), str(device)
    metrics["subset"], metrics["eval_split"] = is_subset(cfg, tag), cfg["eval_split"]
    metrics["precision"] = precision
    metrics["checkpoint_kind"] = MLVAE_KIND
    save_json(out / "metrics.json", metrics)
    swaps = (f"swaps keep the column's class in {100 * metrics['swap_class_kept']:.1f}% (judge accuracy "
             f"{100 * judge_info['accuracy']:.1f}%)" if judge is not None else "no judge (--judge=off): swaps not scored")
    split = "validation" if cfg["eval_split"] == "val" else "test"
    log(f"{tag} ML-VAE {setting}: linear probe {split} accuracy, class code of one image "
        f"{100 * metrics['class_probe_test_accuracy_single_image']:.2f}%, style code "
        f"{100 * metrics['style_probe_test_accuracy']:.2f}%; {swaps}; {time.perf_counter() - t_start:.0f} s; "
        f"results in {out}")
    return metrics


if __name__ == "__main__":
    from utils.errors import run_cli

    run_cli(main)
