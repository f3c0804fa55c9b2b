"""Adversarial autoencoder heads (arXiv 1511.05644): supervised style, semi-supervised classification, label-informed
regularisation, unsupervised clustering, and dimensionality reduction with cluster heads or a 2-d projection.

One model (models/aae.py, which documents every head and phase), one script. Each run writes
results/aae/<head>/<setting>/ (config.json, metrics.json, model.pt, figures), e.g. results/aae/semi_supervised/labels-100/
or results/aae/clustering/clusters-16/. Heads that classify or cluster report test_error (a fraction) on the 10,000
MNIST test images; clusters are labelled from training data only.

    python main_aae.py                                         # semi_supervised with 100 and 1000 labels
    python main_aae.py --head=clustering                       # 16 and 30 clusters
    python main_aae.py --head=clustering --values=16 --epochs=30
    python main_aae.py --head=clustering --vat_weight=0 --epochs=70 --out_dir=results/novat   # without VAT (README)
    python main_aae.py --head=all                              # every head and setting (hours on a CPU)
    python main_aae.py --head=semi_dim_reduction --epochs=5000 --sgd_milestones=50,1000   # the paper's length (a GPU)
"""
from models.aae import HEADS, resolve, run_aae
from utils.config import parse_config, split_list
from utils.datasets import load_split
from utils.errors import UserError
from utils.progress import log
from utils.runtime import get_device

# ---- hyperparameters: edit here, or override as --key=value (python main_aae.py -h lists them) ----
head = "semi_supervised"          # comma-separated heads, or all: supervised, semi_supervised, regularize_z, clustering, dim_reduction, semi_dim_reduction, projection
values = ""                       # per run: labels (semi-supervised heads, regularize_z), clusters (clustering, dim_reduction) or z size (supervised); empty = each head's defaults
dataset = "mnist"                 # mnist (the paper) or fashion-mnist
data_dir = ""                     # empty: $DATA_DIR if set, else data/
train_limit = 0                   # use only the first N training images (0 = all 60,000); for quick tries
test_limit = 0                    # use only the first N test images (0 = all 10,000)
# model (ORIGINALS.md 3.1: MLPs of 1000 ReLU units, discriminator input noise 0.3)
hidden = 1000                     # hidden units of encoder, decoder and discriminators
z_dim = 0                         # style code size; 0 = the head's default (16, 10, 2, 10, 2, 2, 10)
noise_std = 0.3                   # Gaussian noise on the discriminators' inputs (training only)
# training
epochs = 0                        # passes over the unlabelled images; 0 = the head's default (30 to 55 epochs, under an hour on a 2-core CPU; the reference: 300 / 5000)
batch_size = 100                  # images per step (the reference: 64); the labelled minibatch has the same size
optimizer = ""                    # empty = the head's: adam (A-E) or sgd (F, G: the paper's momentum-SGD recipe)
lr = 1e-4                         # Adam learning rate (the reference: 1e-4)
beta1 = 0.0                       # Adam beta1; 0 = the head's (0.5 for supervised and regularize_z, 0.1 otherwise)
augment = True                    # randomly rotate (15 deg), scale (10 %) and shift (1.7 px) the labelled minibatches (not in the paper)
consistency_weight = 1.0          # heads with a categorical code (B, D-G): + weight * KL(q(y|x) || q(y|augmented x)) on the unlabelled batch (not in the paper; 0 = off)
balance_weight = 1.0              # clustering heads: + weight * KL(batch mean of q(y|x) || uniform) in the generator step (not in the paper; 0 = off)
vat_weight = ""                   # heads with a categorical code: + weight * KL(q(y|x) || q(y|x + r_adv)), IMSAT's virtual adversarial training, in the consistency term's step (not in the paper; empty = the head's: 3 for clustering, 0 = off for the others; see README)
vat_radius = 0.25                 # VAT perturbation radius, as a fraction of each image's distance to its 10th nearest training image (IMSAT: 0.25)
sgd_milestones = "30,1000"        # sgd: epochs after which every learning rate is divided by 10 (the paper: 50, 1000 of 5000 epochs; 30 falls within the default 40-55)
# system
seed = 0                          # seeds python, numpy, torch, the batch order and the labelled subset
device = "auto"                   # auto (cuda, then mps, then cpu), cpu, cuda, mps
eval_batch_size = 1000            # images per forward pass at evaluation
out_dir = "results"               # runs go to <out_dir>/aae/<head>/<setting>/
resume = False                    # continue interrupted training from each run's model.pt
progress = True                   # progress bars with the loss terms
# ---------------------------------------------------------------------------------------------------


def main(argv=None):
    cfg = parse_config(globals(), argv, __file__)
    heads = list(HEADS) if cfg["head"] == "all" else split_list(cfg["head"])
    for h in heads:
        if h not in HEADS:
            raise UserError(f"unknown head {h!r} in --head (use all or {', '.join(HEADS)})")
    if cfg["epochs"] < 0 or cfg["batch_size"] < 1 or cfg["lr"] <= 0:
        raise UserError("--epochs must be >= 0 (0 = the head's default), --batch_size >= 1 and --lr positive")
    if cfg["vat_radius"] <= 0:
        raise UserError("--vat_radius must be positive")
    chosen = split_list(cfg["values"], int)
    runs = [resolve(cfg, h, v) for h in heads for v in (chosen or HEADS[h]["sweep"][1])]
    device = get_device(cfg["device"])
    split = load_split(cfg["dataset"], cfg["data_dir"] or None, cfg["train_limit"], cfg["test_limit"])
    if split is None:
        raise UserError(f"{cfg['dataset']} data not found (see the warning above)")
    tag, xtr, ytr, xte, yte, source = split
    log(f"{tag}: {len(xtr)} train / {len(xte)} test images from {source}; device {device}; "
        f"{len(runs)} run(s): " + ", ".join(f"{r['head']}/{r['setting']}" for r in runs))
    return [run_aae(cfg, run, xtr, ytr, xte, yte, device, tag, source) for run in runs]


if __name__ == "__main__":
    from utils.errors import run_cli

    run_cli(main)
