"""SEQ step 2 on MNIST: decode sub-class styles and convex combinations of encoder features.

Needs `python main_encoder.py` first (it saves the frozen encoder, its features and the k-means
centroids). Trains the decoder (the encoder's mirror, BCE loss, encoder frozen) and writes figures and
metrics to results/seq/mnist/<arch>/decoder/. With a judge (main_judge.py, --judge), metrics.json also has the
fraction of decoded images that the independent judge puts in the expected class: judged_convex_<mode> (the grid
cells other than the anchors), judged_style_transfer and judged_test_reconstructions. main_decoder_fmnist.py is this
script with another header: it calls ``run`` below.

    python main_decoder_mnist.py
    python main_decoder_mnist.py --epochs=15 --batch_size=32 --schedule=constant   # the paper's settings
"""
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import figures.seq as seq_figures
from evaluation.judge import judge_folder, judged_as, load_judge
from evaluation.seq import DecodedClusters, convex_class_kept, style_transfer_class_kept
from figures.plots import class_names
from models.decoders import build_decoder
from models.encoders import ARCHS, DISPLAY, encoder_from_checkpoint
from models.kmeans import KMeansQuantizer
from models.seq import DECODER_KIND, ENCODER_KIND, FEATURES_KIND, QUANTIZER_KIND
from data import DATASETS
from utils.config import at_least, one_of, parse_config, positive
from utils.datasets import EVAL_SPLITS, as_tensors, is_subset, load_or_fallback, split_arrays
from utils.errors import UserError
from utils.io import ensure_writable, fresh_run_dir, load_checkpoint, output_root, save_json
from utils.progress import log
from utils.runtime import PRECISIONS, get_device, resolve_precision, run_environment, seed_everything
from utils.training import fit, make_optimizer, make_scheduler

# ---- hyperparameters: edit here, or override as --key=value (python main_decoder_mnist.py -h lists them) ----
dataset = "mnist"             # data set whose encoder run to decode
arch = "cae4"                 # encoder/decoder pair: cae4, lae4, lae2
data_dir = ""                 # empty: $DATA_DIR if set, else data/ in the repository
k = 100                       # which of main_encoder.py's quantizers (K centroids) to use; the paper: 100
paper_settings = False        # true: the paper's own setup (PAPER below) instead of these defaults; keys given on the command line still win
eval_split = "test"           # the encoder run to decode: test (the default) or val (main_encoder.py --eval_split=val)
# decoder training (the paper: Adam 1e-3, weight decay 1e-5, batch 32, 15 epochs)
epochs = 4                    # passes over the 60,000 training features (chosen on the validation split: docs/seq.md)
batch_size = 256
lr = 2e-3                     # Adam learning rate (peak of the one-cycle schedule)
weight_decay = 1e-5           # on the decoder only (the encoder is frozen)
schedule = "onecycle"         # onecycle or constant (the paper)
# figures
centroids_per_class = 5       # decoded centroids per class in centroids_by_class.png
style_members = 8             # cluster members per row in subclass_styles.png
convex_steps = 3              # grid of (steps+1) x (steps+1) weights; 3 gives the paper's 4x4 grid
extrapolate = False           # also decode the cells with a negative weight (the original grid did)
convex_samples = 200          # random anchor triples behind the class-kept numbers in metrics.json
transfer_steps = 8            # images along each style-transfer path
# system
seed = 0
device = "auto"               # auto (cuda, then mps, then cpu), cpu, cuda, mps
precision = "fp32"            # fp32, bf16 (autocast), or auto: bf16 where the device has it natively
out_dir = ""                  # reads <out_dir>/seq/<dataset>/<arch>/, writes .../decoder/; empty: results/ in the repository
encoder_dir = ""              # the encoder run to decode; empty: <out_dir>/seq/<dataset>/<arch>/ (the decoder is written there in any case)
judge = "auto"                # the judge run folder (main_judge.py): auto = <out_dir>/judge/<dataset>/ (val/ for --eval_split=val), off = no judged scores, or a path
resume = False                # continue decoder training from decoder/decoder.pt
overwrite = False             # replace an earlier decoder run (without it, or resume, that is refused)
progress = True               # progress bars with the loss
# ---------------------------------------------------------------------------------------------------
RULES = {"eval_split": one_of(*EVAL_SPLITS),
         "dataset": one_of(*DATASETS), "arch": one_of(*ARCHS), "k": at_least(1), "epochs": at_least(1),
         "batch_size": at_least(1), "lr": positive(), "weight_decay": at_least(0),
         "schedule": one_of("onecycle", "constant"), "centroids_per_class": at_least(1), "style_members": at_least(1),
         "convex_steps": at_least(1), "convex_samples": at_least(1), "transfer_steps": at_least(2),
         "seed": at_least(0), "precision": one_of(*PRECISIONS)}
# the paper's decoder training (docs/originals.md 1.4)
PAPER = {"epochs": 15, "batch_size": 32, "lr": 1e-3, "schedule": "constant", "weight_decay": 1e-5}


def load_encoder_run(folder: Path, dataset: str, arch: str):
    """Encoder, features and quantizers saved by main_encoder.py, checked to belong to this run."""
    hint = f"run `python main_encoder.py --datasets={dataset} --archs={arch}` first"
    enc = load_checkpoint(folder / "encoder.pt", ENCODER_KIND, hint)
    feats = load_checkpoint(folder / "features.pt", FEATURES_KIND, hint)
    quants = load_checkpoint(folder / "quantizers.pt", QUANTIZER_KIND, hint)
    for name, ck in (("encoder.pt", enc), ("features.pt", feats), ("quantizers.pt", quants)):
        found = (ck.get("dataset"), ck.get("model_config", {}).get("arch", ck.get("arch")))
        if found != (dataset, arch):
            raise UserError(f"{folder / name}: belongs to {found[1]} on {found[0]}, expected {arch} on {dataset}; "
                            f"{hint}")
    return encoder_from_checkpoint(enc), feats, quants["quantizers"]


def percent(value: float | None) -> str:
    """A fraction for the log line; "none" where there was nothing to score."""
    return "none" if value is None else f"{100 * value:.1f}%"


def run(cfg: dict) -> dict:
    """Everything main_decoder_mnist.py and main_decoder_fmnist.py do; returns the metrics written to metrics.json."""
    t_start = time.perf_counter()
    device = get_device(cfg["device"])
    precision = resolve_precision(cfg["precision"], device)
    dataset, arch = cfg["dataset"], cfg["arch"]
    root = ensure_writable(output_root(cfg["out_dir"], cfg["eval_split"]))
    data = load_or_fallback(dataset, cfg["data_dir"] or None)
    if data is None:
        raise UserError(f"{dataset} data not found (see the warning above)")
    tag = "mnist-sample" if data.name == "mnist-sample" else dataset
    folder = judge_folder(cfg["judge"], root, tag)
    judge, judge_info = load_judge(folder, tag, cfg["eval_split"], device) if folder else (None, None)
    run_folder = root / "seq" / tag / arch             # the decoder goes to its decoder/ subfolder
    enc_run = Path(cfg["encoder_dir"]) if cfg["encoder_dir"] else run_folder
    encoder, feats, quantizers = load_encoder_run(enc_run, tag, arch)
    if cfg["k"] not in quantizers:
        raise UserError(f"{enc_run / 'quantizers.pt'}: has no quantizer for K={cfg['k']} "
                        f"(it has K = {sorted(quantizers)}); rerun main_encoder.py with --ks including {cfg['k']}")
    quantizer = KMeansQuantizer.from_state(quantizers[cfg["k"]])
    ztr, zte = feats["train"].to(device), feats["test"].to(device)
    x_train, y_train, x_eval, y_eval, _ = split_arrays(data, cfg["eval_split"])
    xtr, _ = as_tensors(x_train, y_train, len(ztr))
    xte, yte = as_tensors(x_eval, y_eval, len(zte))
    if len(xtr) != len(ztr) or not torch.equal(feats["train_labels"], torch.from_numpy(y_train[:len(ztr)])):
        raise UserError(f"{enc_run / 'features.pt'}: does not match the {tag} data in {data.source}; "
                        f"rerun `python main_encoder.py --datasets={dataset} --archs={arch}`")
    xtr, xte = xtr.to(device), xte.to(device)
    out = fresh_run_dir(run_folder, "decoder", resume=cfg["resume"], overwrite=cfg["overwrite"])
    save_json(out / "config.json", {**cfg, "dataset": tag, "data_source": data.source, **run_environment(device)})
    log(f"{tag} {DISPLAY[arch]} decoder: {len(xtr)} train images, K={cfg['k']} centroids from {enc_run}")

    # 1. train the decoder on (frozen features -> image)
    seed_everything(cfg["seed"])
    decoder = build_decoder(arch).to(device)
    optimizer = make_optimizer(decoder, cfg["lr"], device, weight_decay=cfg["weight_decay"])
    scheduler = make_scheduler(optimizer, cfg["schedule"], cfg["lr"],
                               cfg["epochs"] * max(len(xtr) // cfg["batch_size"], 1))

    def step(idx):
        return {"loss": F.binary_cross_entropy_with_logits(decoder(ztr[idx]).float(), xtr[idx])}

    t0 = time.perf_counter()
    history = fit(decoder, optimizer, step, len(xtr), epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                  seed=cfg["seed"], checkpoint=out / "decoder.pt", kind=DECODER_KIND, model_config=decoder.config,
                  scheduler=scheduler, resume=cfg["resume"], progress=cfg["progress"],
                  desc=f"{tag} {DISPLAY[arch]} decoder", extra={"dataset": tag, "k": cfg["k"]}, precision=precision)
    train_seconds = time.perf_counter() - t0

    # 2. test reconstruction error (BCE and MSE per pixel, averaged over the test set) and, with a judge, the
    #    fraction of reconstructions it puts in their test image's class (its view of the decoder's fidelity)
    recon = decoder.decode(zte)
    xte_cpu = xte.cpu()
    metrics = {
        "dataset": tag, "arch": arch, "k": cfg["k"],
        "test_bce": float(F.binary_cross_entropy(recon.clamp(1e-6, 1 - 1e-6), xte_cpu)),
        "test_mse": float(F.mse_loss(recon, xte_cpu)),
        "history": history, "judge": judge_info,
    }
    if judge is not None:
        metrics["judged_test_reconstructions"] = judged_as(judge, recon, yte)

    # 3. figures and the numbers behind them (one random stream, in this order, so the numbers repeat)
    encoder = encoder.to(device)
    names = class_names(tag)
    rng = np.random.default_rng(cfg["seed"])
    dc = DecodedClusters(decoder, encoder, quantizer, ztr.cpu(), feats["train_labels"].numpy())
    seq_figures.reconstructions(xte_cpu[:12], recon[:12], out / "reconstructions.png")
    seq_figures.centroids_by_class(dc, names, cfg["centroids_per_class"], out / "centroids_by_class.png")
    seq_figures.subclass_styles(dc, names, cfg["style_members"], rng, out / "subclass_styles.png")
    # the encoder's verdict on every decoded image (convex_*, style_transfer); the independent judge's (judged_*)
    # on the same images, without the convex grids' anchors (decoded training images, not combinations)
    judged = {}
    for mode in ("same_cluster", "across_clusters"):
        metrics[f"convex_{mode}"], judged[f"judged_convex_{mode}"] = convex_class_kept(
            dc, mode, cfg["convex_steps"], cfg["extrapolate"], cfg["convex_samples"], rng, judge)
        seq_figures.convex(dc, names, mode, cfg["convex_steps"], cfg["extrapolate"], rng, out / f"convex_{mode}.png")
    metrics["style_transfer"], judged["judged_style_transfer"] = style_transfer_class_kept(dc, cfg["transfer_steps"],
                                                                                           judge)
    if judge is not None:
        metrics.update(judged)
    seq_figures.style_transfer(dc, names, cfg["transfer_steps"], out / "style_transfer.png")
    # training time summed over the epochs (also right after --resume); this_run = wall time of this call
    metrics["seconds"] = {"train": sum(h["seconds"] for h in history), "this_run": time.perf_counter() - t_start,
                          "this_run_training": train_seconds}
    metrics["device"], metrics["precision"] = str(device), precision
    metrics["subset"] = is_subset({"train_limit": len(ztr) < len(x_train), "test_limit": len(zte) < len(x_eval)}, tag)
    metrics["eval_split"] = cfg["eval_split"]
    save_json(out / "metrics.json", metrics)
    judged_text = "" if judge is None else (
        f"; judged in the anchors' class (anchors left out): {percent(judged['judged_convex_same_cluster'])} (same "
        f"cluster), {percent(judged['judged_convex_across_clusters'])} (across clusters) "
        f"(judge accuracy {percent(judge_info['accuracy'])})")
    log(f"{tag} {DISPLAY[arch]} decoder: test BCE {metrics['test_bce']:.4f}, MSE {metrics['test_mse']:.4f}; "
        f"same-class convex combinations keep their class: "
        f"{100 * metrics['convex_same_cluster']['class_kept']:.1f}% (same cluster), "
        f"{100 * metrics['convex_across_clusters']['class_kept']:.1f}% (across clusters){judged_text}; "
        f"figures in {out}")
    return metrics


def main(argv=None):
    return run(parse_config(globals(), argv, __file__))


if __name__ == "__main__":
    from utils.errors import run_cli

    run_cli(main)
