"""CatVAE and InfoCatVAE (arXiv 1806.08240): VAEs with a fixed mixture-of-K-Gaussians prior that cluster.

For each data set, variant and seed: train the model (models/catvae.py documents the loss), cluster the test set
by argmax q(c|x), and score it against the labels (Hungarian-matched accuracy, NMI, ARI). Writes, per run,
results/catvae/<dataset>/<variant>/seed-<seed>/ (config.json, metrics.json, model.pt, samples_by_cluster.png,
interpolation.png, lambda_traversal.png, reconstructions.png, latent_pca.png) and results/catvae/summary.json
(mean and spread over the seeds found). The labels only score: no run or checkpoint is selected with them.

    python main_catvae.py                                   # defaults below
    python main_catvae.py --seeds=0                         # one seed of the four runs: about 22 min on a 2-core CPU
    python main_catvae.py --datasets=mnist --variants=infocatvae --info_weight=10 --resume=true
    python main_catvae.py --reconstruction=mixture          # the original code's single soft-code decoder pass
    python main_catvae.py --mi_weight=50 --lr=3e-3 --out_dir=results/mi50   # + I(c; c') of two augmented views (not in the paper)
    python main_catvae.py --vat_weight=300 --balance_weight=120 --batch_norm=true --dropout=0 --out_dir=results/vat
                                                            # + IMSAT's VAT term: the README's recipe (not in the paper)
"""
from models.catvae import RECONSTRUCTIONS, VARIANTS, run_catvae, summarize, summary_lines
from utils.config import parse_config, split_list
from utils.datasets import load_split
from utils.errors import UserError
from utils.io import save_json
from utils.progress import log
from utils.runtime import get_device

# ---- hyperparameters: edit here, or override as --key=value (python main_catvae.py -h lists them) ----
# data
datasets = "mnist,fashion-mnist"  # comma-separated: mnist, fashion-mnist
variants = "catvae,infocatvae"    # catvae (ELBO only) and/or infocatvae (ELBO + information term)
data_dir = ""                     # empty: $DATA_DIR if set, else data/
train_limit = 0                   # use only the first N training images (0 = all 60,000); for quick tries
test_limit = 0                    # use only the first N test images (0 = all 10,000)
# model (the paper's MLP: K=10, delta=2, lambda=2, 400 hidden units)
clusters = 10                     # K, the number of prior modes (and of clusters)
sub_dim = 2                       # delta: latent coordinates owned by each cluster; latent size d = K * delta
prior_scale = 2.0                 # lambda: the value of mu_c on its delta coordinates (||mu_c|| = lambda sqrt(delta))
hidden = 400                      # hidden units of encoder and decoder
dropout = 0.25                    # encoder dropout (training only)
batch_norm = False                # batch normalisation after the encoder's hidden layer (not in the paper)
reconstruction = "expected"       # expected: E_q(c|x) over K decoder passes (the ELBO); mixture: the original code
# training
epochs = 20                       # passes over the training set (11-14 s each on a 2-core CPU)
batch_size = 128                  # images per step
lr = 1e-3                         # Adam learning rate
schedule = "constant"             # constant (the original) or onecycle
info_weight = 5.0                 # InfoCatVAE: weight of -log q(c|generated), in nats per image (original: 100 vs a sum)
info_samples = 10                 # InfoCatVAE: generated images per cluster and step (the original: 10)
balance_weight = 0.0              # weight of KL(batch mean of q(c|x) || uniform) against cluster collapse; 0 = the ELBO
mi_weight = 0.0                   # weight of I(c; c') of two random affine views per image (IIC, not in the paper; 0 = off; try 50 with lr 3e-3)
vat_weight = 0.0                  # weight of the VAT term of IMSAT on q(c|x) (not in the paper; 0 = off)
vat_radius = 0.25                 # VAT radius per image: this times its distance to the 10th nearest training image (IMSAT: 0.25)
# figures
samples_per_cluster = 10          # columns of samples_by_cluster.png
interpolation_steps = 10          # columns of interpolation.png
traversal_max = 2.5               # lambda_traversal.png decodes t * mu_c for t = 0 .. traversal_max
traversal_steps = 10              # columns of lambda_traversal.png
pca_points = 5000                 # test codes drawn in latent_pca.png (the PCA is fitted on all of them)
# system
seeds = "0,1,2"                   # one run per seed (seeds python, numpy and torch, and the batch order)
device = "auto"                   # auto (cuda, then mps, then cpu), cpu, cuda, mps
eval_batch_size = 1000            # images per forward pass at evaluation
out_dir = "results"               # runs go to <out_dir>/catvae/<dataset>/<variant>/seed-<seed>/
resume = False                    # continue interrupted training from each run's model.pt
progress = True                   # progress bars with the loss terms
# ---------------------------------------------------------------------------------------------------


def main(argv=None):
    cfg = parse_config(globals(), argv, __file__)
    run_variants, run_seeds = split_list(cfg["variants"]), split_list(cfg["seeds"], int)
    for v in run_variants:
        if v not in VARIANTS:
            raise UserError(f"unknown variant {v!r} in --variants (use {', '.join(VARIANTS)})")
    if cfg["reconstruction"] not in RECONSTRUCTIONS:
        raise UserError(f"--reconstruction={cfg['reconstruction']!r}: use {' or '.join(RECONSTRUCTIONS)}")
    if not run_variants or not run_seeds:
        raise UserError("--variants and --seeds need at least one entry each")
    device = get_device(cfg["device"])
    log(f"device {device}; datasets {cfg['datasets']}; variants {run_variants}; seeds {run_seeds}")

    for name in split_list(cfg["datasets"]):
        split = load_split(name, cfg["data_dir"] or None, cfg["train_limit"], cfg["test_limit"])
        if split is None:
            continue
        tag, xtr, _, xte, yte, source = split
        xtr, xte, yte = xtr.to(device), xte.to(device), yte.to(device)
        log(f"{tag}: {len(xtr)} train / {len(xte)} test images from {source}")
        for variant in run_variants:
            for seed in run_seeds:
                run_catvae(cfg, tag, variant, seed, xtr, xte, yte, device, source)

    summary = summarize(cfg["out_dir"])
    if summary:
        save_json(f"{cfg['out_dir']}/catvae/summary.json", summary)
        log(summary_lines(summary))


if __name__ == "__main__":
    from utils.errors import run_cli

    run_cli(main)
