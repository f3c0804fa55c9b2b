"""Multi-Level VAE (arXiv 1705.08841): a style code per image, a class code per group of images.

Groups are the class labels within each minibatch; the group's class posterior is the product of its
members' Gaussians (group evidence accumulation, differentiable: the class heads are trained). Writes
results/mlvae/<dataset>/<setting>/ (setting = noise-<group_noise_std>): config.json, metrics.json,
mlvae.pt, judge.pt, swap_no_evidence.png, swap_with_evidence.png, tsne_class.png, tsne_style.png,
loss_curves.png. The logic is models/mlvae.py; the figures are utils/mlvae_figures.py.

    python main_mlvae.py                                   # MNIST, group noise std 0.1 (about 17 min on a 2-core CPU)
    python main_mlvae.py --style_kl_coef=1                 # the plain ELBO of the paper (more class information in the style code)
    python main_mlvae.py --group_noise_std=1.0             # the paper's sampling (one N(0, I) draw per group)
    python main_mlvae.py --dataset=fashion-mnist --resume=true
"""
from models.mlvae import run_mlvae_script
from utils.config import parse_config

# ---- hyperparameters: edit here, or override as --key=value (python main_mlvae.py -h lists them) ----
# data
dataset = "mnist"                 # mnist or fashion-mnist
data_dir = ""                     # empty: $DATA_DIR if set, else data/
train_limit = 0                   # use only the first N training images (0 = all 60,000); for quick tries
test_limit = 0                    # use only the first N test images (0 = all 10,000)
# model (ORIGINALS.md 4.2: 784-500 tanh, four heads; decoder 20-500 tanh-784 sigmoid)
style_dim = 10                    # style code per image
class_dim = 10                    # class code per group
hidden = 500                      # hidden units of encoder and decoder
group_noise_std = 0.1             # std of the ONE noise draw per group in the class sample; 1.0 = the paper, 0.1 = the reference repo
recon_loss = "bce"                # bce (Bernoulli, default) or mse (the reference code); summed over the 784 pixels of an image
style_kl_coef = 3.0               # weight of the style KL (1 = the ELBO; > 1 squeezes class information out of the style code)
class_kl_coef = 1.0               # weight of the class KL (1 = the ELBO)
train_group_size = 5              # split each class of the batch into random groups of at most 5 images (0: one group per class, the reference)
# training (loss = sum of group ELBOs / number of groups, groups = labels within a batch)
epochs = 200                      # passes over the training set (the reference: 400); about 4.5 s each on a 2-core CPU
batch_size = 256                  # the reference: 256 (about 25 images per class group)
lr = 1e-3                         # Adam learning rate (the reference: 1e-3, constant)
schedule = "constant"             # constant (the reference) or onecycle
# evaluation
eval_group_size = 25              # images per group when codes are accumulated at evaluation (about one batch's class group)
swap_pairs = 10000                # random (style image, class image) test pairs behind swap_class_kept (+-0.2 points)
swap_evidence = 5                 # test images of the column's class accumulated in swap_with_evidence.png (the user's group)
tsne_points = 2000                # test images in the t-SNE figures
judge_epochs = 2                  # epochs of the CNN (trained on real images) that classifies swapped images
eval_batch_size = 1000            # images per forward pass when encoding
# system
seed = 0                          # seeds python, numpy, torch, batch order, probes and pairs
device = "auto"                   # auto (cuda, then mps, then cpu), cpu, cuda, mps
setting = ""                      # run folder name; empty: noise-<group_noise_std>, e.g. noise-0.1 (name it when changing other keys)
out_dir = "results"               # runs go to <out_dir>/mlvae/<dataset>/<setting>/
resume = False                    # continue interrupted training from the run's mlvae.pt
progress = True                   # progress bars with the loss terms
# ---------------------------------------------------------------------------------------------------


def main(argv=None):
    return run_mlvae_script(parse_config(globals(), argv, __file__))


if __name__ == "__main__":
    from utils.errors import run_cli

    run_cli(main)
