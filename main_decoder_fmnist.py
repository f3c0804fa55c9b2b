"""SEQ step 2 on Fashion-MNIST: decode sub-class styles and convex combinations of encoder features.

Needs `python main_encoder.py` first (it saves the frozen encoder, its features and the k-means
centroids). Trains the decoder (the encoder's mirror, BCE loss, encoder frozen) and writes figures and
metrics to results/seq/fashion-mnist/<arch>/decoder/. This is main_decoder_mnist.py with another header: the
run itself is ``main_decoder_mnist.run``, with the same judged metrics (judged_convex_<mode>, judged_style_transfer,
judged_test_reconstructions) when a judge is loaded.

    python main_decoder_fmnist.py
    python main_decoder_fmnist.py --epochs=15 --batch_size=32 --schedule=constant   # the paper's settings
"""
from main_decoder_mnist import PAPER, RULES, run  # noqa: F401 (the checks and paper settings of this header)
from utils.config import parse_config

# ---- hyperparameters: edit here, or override as --key=value (python main_decoder_fmnist.py -h lists them) ----
dataset = "fashion-mnist"     # data set whose encoder run to decode
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


def main(argv=None):
    return run(parse_config(globals(), argv, __file__))


if __name__ == "__main__":
    from utils.errors import run_cli

    run_cli(main)
