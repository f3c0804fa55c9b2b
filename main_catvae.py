"""CatVAE and InfoCatVAE (arXiv 1806.08240): VAEs with a fixed mixture-of-K-Gaussians prior that cluster.

For each data set, variant and seed: train the model (models/catvae.py documents the loss), cluster the test set
by argmax q(c|x), and score it against the labels (Hungarian-matched accuracy, NMI, ARI). Writes, per run,
results/catvae/<dataset>/<variant>/seed-<seed>/ (config.json, metrics.json, model.pt, samples_by_cluster.png,
interpolation.png, lambda_traversal.png, reconstructions.png, latent_pca.png) and results/catvae/summary.json
(mean and spread over the seeds found). The labels only score: no run or checkpoint is selected with them. A run
trains R = restarts times (by default each data set's own R: restarts_mnist, restarts_fashion below; seeds seed*R ..
seed*R+R-1, checkpoints restart-<r>.pt when R > 1) and keeps, as model.pt and for everything after, the training
that restart_criterion ranks first, label-free (each data set's own by default: on MNIST the one whose cluster
posteriors were most confident on the training images in its last epoch, the largest mean kl_c; on Fashion-MNIST the
one whose last epoch had the lowest mean balance term); metrics.json lists every training with its own scores.
With a judge (main_judge.py), metrics.json also gets judged_prior_samples_*: the fraction of decoded prior samples of
each mode that the judge classifies as the mode's class (the majority training label of the images the encoder puts
in that mode), overall, per mode and the smallest, and how consistently each mode's samples are judged (label-free);
and the same, judged_fitted_samples_*, for samples of the Gaussian that each mode's training codes fill
(evaluation.catvae.fit_modes, label-free) instead of the prior's.

    python main_judge.py                                    # once: the judges that score the prior samples
    python main_catvae.py                                   # defaults below: the paper's model + IMSAT's VAT and balance terms
    python main_catvae.py --paper_settings=true             # the paper's loss and training alone (PAPER below)
    python main_catvae.py --seeds=0                         # one seed of the four runs
    python main_catvae.py --restarts=1                      # one training per run on every data set (3x faster)
    python main_catvae.py --datasets=mnist --variants=infocatvae --info_weight=10 --resume=true
    python main_catvae.py --reconstruction=mixture          # the original code's single soft-code decoder pass
    python main_catvae.py --mi_weight=50 --lr=3e-3 --out_dir=results/mi50   # + I(c; c') of two augmented views (not in the paper)
"""
import time
from pathlib import Path

import torch

from evaluation.catvae import evaluate, fit_modes, judged_prior_samples, mode_classes
from evaluation.judge import judge_folder, load_judge
from figures.catvae import interpolation, lambda_traversal, latent_pca, reconstructions, samples_by_cluster
from figures.plots import class_names
from models.catvae import CATVAE_KIND, MMD_MATCHES, RECONSTRUCTIONS, VARIANTS, CatVAE
from models.vat import radii
from reporting.tables import catvae_summary, catvae_summary_lines
from data import DATASETS
from utils.config import (at_least, fraction, list_of, one_of, own_value, parse_config, per_data_set_keys, positive,
                          split_list)
from utils.datasets import EVAL_SPLITS, is_subset, load_split
from utils.errors import UserError
from utils.io import ensure_writable, fresh_run_dir, guard_run_dirs, output_root, save_json
from utils.metrics import clustering_metrics
from utils.progress import log
from utils.runtime import PRECISIONS, get_device, resolve_precision, run_environment, seed_everything
from utils.training import (finished, fit, keep_restart, make_optimizer, make_scheduler, restart_checkpoints,
                            training_only)

# ---- hyperparameters: edit here, or override as --key=value (python main_catvae.py -h lists them) ----
# data
datasets = "mnist,fashion-mnist"  # comma-separated: mnist, fashion-mnist
variants = "catvae,infocatvae"    # catvae (ELBO only) and/or infocatvae (ELBO + information term)
data_dir = ""                     # empty: $DATA_DIR if set, else data/ in the repository
train_limit = 0                   # use only the first N training images (0 = all 60,000); for quick tries
test_limit = 0                    # use only the first N test images (0 = all 10,000)
eval_split = "test"               # test: score on the 10,000 test images; val: train on the first 50,000 training images, score on the last 10,000 (the test set is not read; runs go to <out_dir>/val/)
# model (the paper's MLP: K=10, delta=2, 400 hidden units; its lambda was 2)
clusters = 10                     # K, the number of prior modes (and of clusters)
sub_dim = 2                       # delta: latent coordinates owned by each cluster; latent size d = K * delta
prior_scale = 0.0                 # lambda: the value of mu_c on its delta coordinates (||mu_c|| = lambda sqrt(delta)); the paper: 2; 0: the data set's own, the next two lines
prior_scale_mnist = 6.0           # on MNIST (6 chosen on the validation split: docs/catvae.md)
prior_scale_fashion = 4.0         # on Fashion-MNIST (4 kept on its validation split: docs/catvae.md)
hidden = 400                      # hidden units of encoder and decoder
encoder_layers = 0                # hidden layers of the encoder before its heads (the paper: 1); 0: the data set's own, the next two lines
encoder_layers_mnist = 2          # on MNIST (2 chosen on the validation split: docs/catvae.md)
encoder_layers_fashion = 1        # on Fashion-MNIST (1 kept on its validation split: docs/catvae.md)
dropout = 0.0                     # encoder dropout (training only; the paper: 0.25)
batch_norm = True                 # batch normalisation after the encoder's hidden layer (not in the paper; IMSAT's network has it)
kl_weight = 1.0                   # weight of the codes' KL term kl_z in training (1 = the ELBO, the paper's; above 1 pulls the codes toward their prior mode); the test -ELBO is unweighted
reconstruction = "expected"       # expected: E_q(c|x) over K decoder passes (the ELBO); mixture: the original code
decoder_cluster = False           # the decoder also reads the cluster, p(x|z, c) on [z ; one_hot(c)] as Kingma et al.'s M2 (not in the paper; docs/catvae.md)
# training
epochs = 0                        # passes over the training set; 0: the data set's own, the next two lines
epochs_mnist = 20                 # on MNIST (20 chosen on the validation split: docs/catvae.md)
epochs_fashion = 40               # on Fashion-MNIST (40 chosen on its validation split: docs/catvae.md)
batch_size = 128                  # images per step
lr = 1e-3                         # Adam learning rate
schedule = "constant"             # constant (the original) or onecycle
info_weight = 1.0                 # InfoCatVAE: weight of -log q(c|generated), in nats per image (original: 100 vs a batch sum of 128 images, about 0.8); chosen on the validation split
info_samples = 10                 # InfoCatVAE: generated images per cluster and step (the original: 10)
balance_weight = 120.0            # weight of KL(batch mean of q(c|x) || uniform) against cluster collapse (not in the paper; 0 = the ELBO)
mi_weight = 0.0                   # weight of I(c; c') of two random affine views per image (IIC, not in the paper; 0 = off; try 50 with lr 3e-3)
vat_weight = 300.0                # weight of the VAT term of IMSAT on q(c|x) (not in the paper; 0 = off): docs/catvae.md, the VAT recipe
vat_radius = 0.25                 # VAT radius per image: this times its distance to the 10th nearest training image (IMSAT: 0.25)
mmd_weight = 0.0                  # weight of the MMD of the codes to their modes' N(mu_c, I), InfoVAE's aggregate-posterior term (not in the paper; 0 = off; docs/catvae.md)
mmd_match = "pooled"              # pooled: the codes of all modes against their Gaussians at once; mode: each mode's codes against its own
restarts = 0                      # trainings per run, of seeds seed*restarts .. seed*restarts+restarts-1; the run keeps the one that restart_criterion ranks first (label-free, as k-means keeps its best start); 0: the data set's own, the next two lines
restarts_mnist = 5                # on MNIST (5 chosen on the validation split: docs/catvae.md)
restarts_fashion = 3              # on Fashion-MNIST (3, kept by the balance term, chosen on the validation split: docs/catvae.md)
restart_criterion = ""            # the training a run keeps (label-free): confidence, the highest last-epoch mean kl_c; balance, the lowest last-epoch mean balance term (needs balance_weight > 0); empty: the data set's own, the next two lines
restart_criterion_mnist = "confidence"  # on MNIST (docs/catvae.md: restarts kept by confidence)
restart_criterion_fashion = "balance"   # on Fashion-MNIST (chosen on the validation split: docs/catvae.md)
# figures
samples_per_cluster = 10          # columns of samples_by_cluster.png
interpolation_steps = 10          # columns of interpolation.png
traversal_max = 2.5               # lambda_traversal.png decodes t * mu_c for t = 0 .. traversal_max
traversal_steps = 10              # columns of lambda_traversal.png
pca_points = 5000                 # test codes drawn in latent_pca.png (the PCA is fitted on all of them)
# evaluation
judge = "auto"                    # the judge run folder (main_judge.py): auto = <out_dir>/judge/<dataset>/ (val/ for --eval_split=val), off = no judged scores, or a path
judge_samples = 100               # decoded prior samples per mode that the judge classifies
# system
seeds = "0,1,2"                   # one run per seed (seeds python, numpy and torch, and the batch order)
paper_settings = False            # true: the paper's own setup (PAPER below) instead of these defaults; keys given on the command line still win
device = "auto"                   # auto (cuda, then mps, then cpu), cpu, cuda, mps
precision = ""                    # fp32, bf16 (autocast), or auto: bf16 where the device has it natively; empty: the data set's own, the next two lines
precision_mnist = "fp32"          # on MNIST (fp32: more trainings reach 92 % than in bf16 on the validation split: docs/catvae.md)
precision_fashion = "auto"        # on Fashion-MNIST (auto, chosen on the validation split: docs/catvae.md)
eval_batch_size = 1000            # images per forward pass at evaluation
out_dir = ""                      # runs go to <out_dir>/catvae/<dataset>/<variant>/seed-<seed>/; empty: results/ in the repository
resume = False                    # continue interrupted training from each run's model.pt
overwrite = False                 # replace earlier runs in the same folders (without it, or resume, that is refused)
progress = True                   # progress bars with the loss terms
# ---------------------------------------------------------------------------------------------------
RULES = {"eval_split": one_of(*EVAL_SPLITS),
         "datasets": list_of(names=DATASETS), "variants": list_of(names=tuple(VARIANTS)), "train_limit": at_least(0),
         "test_limit": at_least(0), "clusters": at_least(2), "sub_dim": at_least(1), "prior_scale": at_least(0),
         "prior_scale_mnist": positive(), "prior_scale_fashion": positive(),
         "hidden": at_least(1), "encoder_layers": at_least(0),
         "encoder_layers_mnist": at_least(1), "encoder_layers_fashion": at_least(1), "dropout": fraction(),
         "reconstruction": one_of(*RECONSTRUCTIONS),
         "epochs": at_least(0), "epochs_mnist": at_least(1), "epochs_fashion": at_least(1), "batch_size": at_least(1),
         "lr": positive(), "schedule": one_of("constant", "onecycle"),
         "info_weight": at_least(0), "info_samples": at_least(1), "balance_weight": at_least(0),
         "mi_weight": at_least(0), "mmd_weight": at_least(0), "mmd_match": one_of(*MMD_MATCHES),
         "vat_weight": at_least(0), "vat_radius": positive(), "kl_weight": positive(),
         "restarts": at_least(0), "restarts_mnist": at_least(1), "restarts_fashion": at_least(1),
         "restart_criterion": one_of("", "confidence", "balance"),
         "restart_criterion_mnist": one_of("confidence", "balance"),
         "restart_criterion_fashion": one_of("confidence", "balance"),
         "samples_per_cluster": at_least(1), "interpolation_steps": at_least(2), "traversal_max": positive(),
         "traversal_steps": at_least(2), "pca_points": at_least(1), "judge_samples": at_least(1),
         "seeds": list_of(int, low=0), "eval_batch_size": at_least(1),
         "precision": one_of("", *PRECISIONS), "precision_mnist": one_of(*PRECISIONS),
         "precision_fashion": one_of(*PRECISIONS)}
# the header keys whose 0 or empty means the data set's own value (every key with a <key>_mnist and a <key>_fashion),
# resolved per run and by reproduce.py
PER_DATA_SET = per_data_set_keys(globals())
# the paper's loss and training (docs/originals.md 2.3-2.4), none of the additions
PAPER = {"prior_scale": 2.0, "dropout": 0.25, "batch_norm": False, "batch_size": 128, "lr": 1e-3,
         "schedule": "constant", "balance_weight": 0.0, "mi_weight": 0.0, "vat_weight": 0.0, "kl_weight": 1.0,
         "mmd_weight": 0.0, "restarts": 1, "encoder_layers": 1, "decoder_cluster": False}


def model_from_config(cfg: dict, variant: str) -> CatVAE:
    """The model that the script's hyperparameters describe."""
    return CatVAE(variant=variant, n_clusters=cfg["clusters"], sub_dim=cfg["sub_dim"], scale=cfg["prior_scale"],
                  hidden=cfg["hidden"], dropout=cfg["dropout"], reconstruction=cfg["reconstruction"],
                  info_weight=cfg["info_weight"], info_samples=cfg["info_samples"],
                  balance_weight=cfg["balance_weight"], mi_weight=cfg["mi_weight"], batch_norm=cfg["batch_norm"],
                  vat_weight=cfg["vat_weight"], vat_radius=cfg["vat_radius"], kl_weight=cfg["kl_weight"],
                  encoder_layers=cfg["encoder_layers"], mmd_weight=cfg["mmd_weight"], mmd_match=cfg["mmd_match"],
                  decoder_cluster=cfg["decoder_cluster"])


def train_catvae(model: CatVAE, x: torch.Tensor, *, epochs: int, batch_size: int, lr: float, schedule: str,
                 seed: int, checkpoint: Path, resume: bool, progress: bool, desc: str,
                 extra: dict | None = None, vat_eps: torch.Tensor | None = None, precision: str = "fp32") -> list[dict]:
    """Adam on the model's loss, checkpointed every epoch by utils.training.fit (kind "catvae"). ``vat_eps``: the
    per-image VAT radii (models.vat.radii), needed when the model has a VAT term."""
    device = model.prior_mu.device
    optimizer = make_optimizer(model, lr, device)
    scheduler = make_scheduler(optimizer, schedule, lr, epochs * max(len(x) // batch_size, 1))
    return fit(model, optimizer, lambda idx: model.loss(x[idx], None if vat_eps is None else vat_eps[idx]), len(x),
               epochs=epochs, batch_size=batch_size, seed=seed, checkpoint=checkpoint, kind=CATVAE_KIND,
               model_config=model.config, scheduler=scheduler,
               resume=resume, progress=progress, desc=desc, extra=extra, precision=precision)


def run_catvae(cfg: dict, out: Path, tag: str, variant: str, seed: int, xtr, ytr, xte, yte, device, source: str,
               judge=None, judge_info: dict | None = None) -> dict:
    """Train one (data set, variant, seed), then write metrics.json and the figures to its run folder. With a
    ``judge``: judge the decoded prior samples against each mode's class, the majority of the training labels ``ytr``
    of the training images that argmax q(c|x) puts in the mode (the labels only name modes, as in the clustering)."""
    t0 = time.perf_counter()
    run = fresh_run_dir(out, "catvae", tag, variant, f"seed-{seed}", resume=cfg["resume"], overwrite=cfg["overwrite"])
    # the data set's own values where the header leaves them to it (0); config.json records them resolved
    cfg = {**cfg, **{key: own_value(cfg, key, tag) for key in PER_DATA_SET}}
    restarts, epochs = cfg["restarts"], cfg["epochs"]
    save_json(run / "config.json", {**cfg, "dataset": tag, "variant": variant, "seed": seed, "data_source": source,
                                    **run_environment(device)})
    desc = f"{tag} {VARIANTS[variant]} seed {seed}"
    precision = resolve_precision(cfg["precision"], device)
    checkpoints = restart_checkpoints(run, restarts, cfg["resume"])
    # a resume of a finished run re-evaluates it: nothing to train
    trains = not (cfg["resume"] and all(finished(c, CATVAE_KIND, epochs) for c in checkpoints))
    eps, radii_seconds = training_only((lambda: radii(xtr, cfg["vat_radius"], desc=desc))
                                       if cfg["vat_weight"] > 0 else None, trains, run, "vat_radii")
    trainings, model, history, epochs_seconds, kept = [], None, [], 0.0, 0
    # the label-free criteria, from each training's last epoch: its mean KL(q(c|x) || uniform) = log K - the mean
    # entropy of the cluster posteriors of the training images (confidence, the highest kept), or its mean balance
    # term KL(batch mean of q(c|x) || uniform) (balance, the lowest kept); the labels below only score each training
    field, sign = {"confidence": ("confidence_kl_c", 1), "balance": ("balance", -1)}[cfg["restart_criterion"]]
    for r, checkpoint in enumerate(checkpoints):
        training_seed = seed * restarts + r                 # restarts=1: the run's own seed, as before the option
        seed_everything(training_seed)
        candidate = model_from_config(cfg, variant).to(device)
        part = desc if restarts == 1 else f"{desc} restart {r + 1}/{restarts}"
        got = train_catvae(candidate, xtr, epochs=epochs, batch_size=cfg["batch_size"], lr=cfg["lr"],
                           schedule=cfg["schedule"], seed=training_seed, checkpoint=checkpoint, resume=cfg["resume"],
                           progress=cfg["progress"], desc=part, vat_eps=eps, precision=precision,
                           extra={"dataset": tag, "recipe": {"restarts": restarts, "training_seed": training_seed}})
        clusters = candidate.cluster_probs(xte, cfg["eval_batch_size"]).argmax(1).numpy()
        scores = clustering_metrics(yte.cpu().numpy(), clusters)
        epochs_seconds += sum(h["seconds"] for h in got)
        trainings.append({"restart": r, "training_seed": training_seed, "confidence_kl_c": got[-1]["kl_c"],
                          "balance": got[-1].get("balance"),
                          "clustering_accuracy": scores["hungarian_accuracy"], "nmi": scores["nmi"]})
        if model is None or sign * trainings[-1][field] > sign * trainings[kept][field]:
            model, history, kept = candidate, got, r
    if restarts > 1:
        keep_restart(run, checkpoints[kept], CATVAE_KIND)
        values = ", ".join(f"{t[field]:.4f}" for t in trainings)
        log(f"{desc}: kept restart {kept + 1}/{restarts}, by {cfg['restart_criterion']} ({field} {values})")
    train_seconds = time.perf_counter() - t0

    seed_everything(seed)  # the Monte-Carlo test ELBO and the generated images do not depend on a resume
    metrics = evaluate(model, xte, yte, batch_size=cfg["eval_batch_size"])
    names = class_names(tag)
    occ = metrics["occupancy"]
    majority, counts = occ["majority_label"], occ["counts"]
    figures = [
        samples_by_cluster(model, run / "samples_by_cluster.png", cfg["samples_per_cluster"], majority, names, counts,
                           seed),
        interpolation(model, run / "interpolation.png", cfg["interpolation_steps"], majority, names, counts),
        lambda_traversal(model, run / "lambda_traversal.png", cfg["traversal_max"], cfg["traversal_steps"], majority,
                         names, counts),
        reconstructions(xte[:12].cpu(), model.reconstruct(xte[:12]), run / "reconstructions.png",
                        f"{VARIANTS[variant]}: test images (top) and reconstructions (bottom)"),
        latent_pca(model.codes(xte, cfg["eval_batch_size"]), yte.cpu().numpy(), model.prior_mu, run / "latent_pca.png",
                   names, f"{VARIANTS[variant]} on {tag}: PCA of the test codes E[z|x], coloured by true label",
                   max_points=cfg["pca_points"], seed=seed),
    ]
    judged = {}
    if judge is not None:
        classes = mode_classes(model, xtr, ytr, cfg["eval_batch_size"])
        judged = judged_prior_samples(model, judge, classes, cfg["judge_samples"], seed)
        # beyond the paper: samples of the Gaussian each mode's training codes fill (label-free), same judge
        judged.update(judged_prior_samples(model, judge, classes, cfg["judge_samples"], seed,
                                           fit_modes(model, xtr, cfg["eval_batch_size"])))
    metrics = {"dataset": tag, "variant": variant, "model": VARIANTS[variant], "seed": seed, **metrics,
               "judge": judge_info, **judged, "restarts": trainings, "kept_restart": kept,
               "history": history, "model_config": model.config,
               "seconds": {"train": train_seconds, "train_epochs_sum": epochs_seconds,
                           "vat_radii": radii_seconds,
                           "total": time.perf_counter() - t0},
               "n_train": len(xtr), "n_test": len(xte), "subset": is_subset(cfg, tag), "eval_split": cfg["eval_split"],
               "device": str(device), "precision": precision,
               "checkpoint_kind": CATVAE_KIND,
               "figures": [p.name for p in figures]}
    save_json(run / "metrics.json", metrics)
    scored = (f"prior samples judged as their mode's class {100 * judged['judged_prior_samples_mode_class']:.1f}%, "
              f"fitted-mode samples {100 * judged['judged_fitted_samples_mode_class']:.1f}% "
              f"(judge accuracy {100 * judge_info['accuracy']:.1f}%); " if judged else "")
    log(f"{desc}: clustering accuracy {100 * metrics['clustering_accuracy']:.2f}%, NMI {metrics['nmi']:.3f}, "
        f"ARI {metrics['ari']:.3f}, test -ELBO {metrics['test_elbo']['neg_elbo']:.1f} nats, "
        f"{occ['clusters_used']}/{model.n_clusters} clusters used ({time.perf_counter() - t0:.0f} s); {scored}{run}")
    return metrics


def main(argv=None):
    cfg = parse_config(globals(), argv, __file__)
    run_datasets = split_list(cfg["datasets"])
    run_variants, run_seeds = split_list(cfg["variants"]), split_list(cfg["seeds"], int)
    if cfg["judge"] not in ("auto", "off") and len(run_datasets) > 1:
        raise UserError(f"--judge={cfg['judge']}: a judge folder serves one data set; run one with --datasets=..., "
                        "or use --judge=auto")
    for name in run_datasets:
        if (own_value(cfg, "restarts", name) > 1 and own_value(cfg, "restart_criterion", name) == "balance"
                and cfg["balance_weight"] == 0):
            raise UserError(f"--balance_weight=0: {name}'s restarts are kept by the balance term, which it turns off; "
                            "give it a weight above 0, or use --restart_criterion=confidence or --restarts=1")
    device = get_device(cfg["device"])
    out = ensure_writable(output_root(cfg["out_dir"], cfg["eval_split"]))
    guard_run_dirs([out / "catvae" / d / v / f"seed-{s}" for d in run_datasets for v in run_variants
                    for s in run_seeds], resume=cfg["resume"], overwrite=cfg["overwrite"])
    log(f"device {device}; datasets {cfg['datasets']}; variants {run_variants}; seeds {run_seeds}; writing to {out}")

    loaded = []  # every data set and its judge before any training: a missing judge costs nothing
    for name in run_datasets:
        split = load_split(name, cfg["data_dir"] or None, cfg["train_limit"], cfg["test_limit"], cfg["eval_split"])
        if split is None:
            continue
        folder = judge_folder(cfg["judge"], out, split[0])
        loaded.append((split, load_judge(folder, split[0], cfg["eval_split"], device) if folder else (None, None)))

    for (tag, xtr, ytr, xte, yte, source), (judge, judge_info) in loaded:
        xtr, xte, yte = xtr.to(device), xte.to(device), yte.to(device)
        log(f"{tag}: {len(xtr)} train / {len(xte)} test images from {source}")
        for variant in run_variants:
            for seed in run_seeds:
                run_catvae(cfg, out, tag, variant, seed, xtr, ytr, xte, yte, device, source, judge, judge_info)

    summary = catvae_summary(out)
    if summary:
        save_json(out / "catvae" / "summary.json", summary)
        log(catvae_summary_lines(summary))


if __name__ == "__main__":
    from utils.errors import run_cli

    run_cli(main)
