"""Training-step speed of every model family in fp32 and in bf16 autocast, measured side by side in one process.

    python benchmarks/bench_train.py                   # about 3 minutes on a 2-core CPU with one thread
    python benchmarks/bench_train.py --threads=1 --note="another run used the other core"
    python benchmarks/bench_train.py --device=cuda     # -> benchmarks/results/train-cuda.json
    python benchmarks/bench_train.py --table           # the Markdown table of benchmarks/results/train.json
    python benchmarks/bench_train.py --families=aae --threads=2   # every AAE head -> benchmarks/results/aae.json

Why: bf16 autocast is faster than fp32 only where the hardware computes in bf16 (a GPU, a CPU with AVX512-BF16 or
AMX); where it is emulated it is slower. Whether it pays off therefore depends on the machine and on the model (small
matrix products gain little, the casts cost), and a speed taken at another time or in another process is not
comparable: the speed of a shared machine drifts. So the two precisions run in alternating blocks in one process:
each round times every family's fp32 block and its bf16 block back to back (which precision goes first flips from
round to round), and the report gives the median, min and max images/s over the rounds and the bf16/fp32 ratio of
the medians.

A step is the training scripts' step with their header defaults: forward pass and loss under
utils.runtime.autocast, backward pass and the fused Adam update (utils.training.make_optimizer) outside it, as
utils.training.fit does; the AAE heads run models.aae.make_step whole under autocast (it makes its own updates and
leaves autocast for every backward pass). "images/s" counts the images of the minibatch (for the semi-supervised
AAE heads, the unlabelled ones, as main_aae.py's training log does; one 60,000-image epoch takes 60,000 / (images/s)
seconds, and with ``--families=aae`` the file gives each head's default run length from it). The inputs are random
of the right shape, labels random in 0..9: the work per image does not depend on the pixels.

Both precisions of a family start from the same weights and the same data and make the same number of steps, so
the loss of the first step and of the last timed step show whether bf16 trains like fp32 over this short stretch
(a check that it stays finite, not a measure of quality). On CUDA the data lives on the device and the clock is
read after torch.cuda.synchronize(). Writes benchmarks/results/train.json (train-cuda.json for a CUDA run;
aae.json / aae-cuda.json for ``--families=aae``).
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import main_aae  # noqa: E402
import main_catvae  # noqa: E402
import main_decoder_mnist  # noqa: E402
import main_encoder  # noqa: E402
import main_mlvae  # noqa: E402
from benchmarks.machine import header, write  # noqa: E402
from models.aae import AAE, make_optimizers, make_step  # noqa: E402
from models.decoders import build_decoder  # noqa: E402
from models.encoders import build_encoder  # noqa: E402
from models.mlvae import MLVAE  # noqa: E402
from reporting.tables import train_table  # noqa: E402
from utils.config import own_value  # noqa: E402
from utils.errors import UserError  # noqa: E402
from utils.runtime import autocast, get_device  # noqa: E402
from utils.training import make_optimizer  # noqa: E402

PRECISIONS = ("fp32", "bf16")
POOL = 4                        # distinct random minibatches per family, cycled through
RESULTS = ROOT / "benchmarks/results"

Step = Callable[[int], dict]    # step(i): one training step on minibatch i of the pool; its terms, detached


@dataclass
class Family:
    """One model family: its minibatch size, the term whose value is recorded as its loss, and ``make(device,
    precision)``, which builds the model, its optimizer(s) and its data and returns the step function."""
    name: str
    batch_size: int
    make: Callable[[torch.device, str], Step]
    loss_key: str = "loss"
    what: str = ""


def random_data(n: int, device: torch.device, shape=(1, 28, 28)) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random images (or vectors of ``shape``) in [0, 1] and labels in 0..9, the same for every call."""
    gen = torch.Generator().manual_seed(0)
    return (torch.rand(n, *shape, generator=gen).to(device),
            torch.randint(0, 10, (n,), generator=gen).to(device))


def adam_step(model: torch.nn.Module, loss: Callable[[slice], dict], batch_size: int, device: torch.device,
              precision: str, lr: float, weight_decay: float = 0.0) -> Step:
    """The step of utils.training.fit for a model with one optimizer: ``loss(rows)`` under autocast, then the
    backward pass and the fused Adam update outside it."""
    opt = make_optimizer(model, lr, device, weight_decay=weight_decay)

    def step(i: int) -> dict:
        j = i % POOL
        with autocast(device, precision):
            terms = loss(slice(j * batch_size, (j + 1) * batch_size))
        opt.zero_grad(set_to_none=True)
        terms["loss"].backward()
        opt.step()
        return {k: v.detach() for k, v in terms.items()}

    return step


def encoder_family(arch: str) -> Family:
    """SEQ step 1: encoder + softmax head, cross-entropy with main_encoder.py's label smoothing."""
    bs = main_encoder.batch_size

    def make(device, precision):
        model = build_encoder(arch).to(device)
        x, y = random_data(POOL * bs, device)
        return adam_step(model, lambda rows: {"loss": F.cross_entropy(
            model(x[rows]).float(), y[rows], label_smoothing=main_encoder.label_smoothing)},
            bs, device, precision, main_encoder.lr)

    return Family(f"encoder_{arch}", bs, make, what=f"SEQ encoder {arch}, cross-entropy, label smoothing "
                  f"{main_encoder.label_smoothing}")


def decoder_family(arch: str) -> Family:
    """SEQ step 2: the decoder from encoder features to pixel logits, BCE with logits (main_decoder_mnist.py)."""
    bs = main_decoder_mnist.batch_size

    def make(device, precision):
        model = build_decoder(arch).to(device)
        x, _ = random_data(POOL * bs, device)
        z, _ = random_data(POOL * bs, device, shape=(model.feature_dim,))
        return adam_step(model, lambda rows: {"loss": F.binary_cross_entropy_with_logits(
            model(z[rows]).float(), x[rows])}, bs, device, precision, main_decoder_mnist.lr,
            main_decoder_mnist.weight_decay)

    return Family(f"decoder_{arch}", bs, make, what=f"SEQ decoder {arch}, BCE with logits")


def catvae_family(variant: str) -> Family:
    """CatVAE or InfoCatVAE with main_catvae.py's header, MNIST's own values where it leaves them to the data set
    (models.catvae.CatVAE.loss)."""
    bs = main_catvae.batch_size
    header = vars(main_catvae)
    cfg = {**header, **{key: own_value(header, key, "mnist") for key in main_catvae.PER_DATA_SET}}

    def make(device, precision):
        model = main_catvae.model_from_config(cfg, variant).to(device)
        x, _ = random_data(POOL * bs, device)
        eps = torch.full((len(x),), 2.0, device=device) if model.vat_weight > 0 else None  # VAT radii: size is moot
        return adam_step(model, lambda rows: model.loss(x[rows], None if eps is None else eps[rows]),
                         bs, device, precision, main_catvae.lr)

    return Family(variant, bs, make, what=f"{variant}, main_catvae.py's defaults")


def mlvae_family() -> Family:
    """The ML-VAE with main_mlvae.py's header (style_kl_coef, train_group_size, ...); groups from random labels."""
    h = main_mlvae
    bs = h.batch_size

    def make(device, precision):
        model = MLVAE(style_dim=h.style_dim, class_dim=h.class_dim, hidden=h.hidden, group_noise_std=h.group_noise_std,
                      recon_loss=h.recon_loss, style_kl_coef=h.style_kl_coef, class_kl_coef=h.class_kl_coef,
                      train_group_size=h.train_group_size, encoder_layers=h.encoder_layers,
                      decoder_layers=own_value(vars(h), "decoder_layers", "mnist")).to(device)
        x, y = random_data(POOL * bs, device)
        return adam_step(model, lambda rows: model.loss(x[rows], y[rows]), bs, device, precision, h.lr)

    return Family("mlvae", bs, make, what=f"ML-VAE, style_kl_coef {h.style_kl_coef}, train_group_size "
                  f"{h.train_group_size}")


def aae_family(head: str) -> Family:
    """One adversarial-autoencoder head: models.aae.make_step with main_aae.py's defaults (HEADS, the header's
    augmentation, consistency, balance and VAT weights); `--families=aae` times every head."""
    cfg = vars(main_aae)
    bs = main_aae.batch_size

    def make(device, precision):
        run = main_aae.resolve(cfg, head)
        model = AAE(head, n_y=run["n_y"], z_dim=run["z_dim"], hidden=main_aae.hidden, noise_std=main_aae.noise_std,
                    head_distance=run["head_distance"]).to(device)
        opts = make_optimizers(model, run["optimizer"], main_aae.lr, run["beta1"])
        n_labelled = run["labels"]
        x, y = random_data(n_labelled + POOL * bs, device)
        labelled = torch.arange(n_labelled) if n_labelled else None
        weights = main_aae.extra_weights(cfg, run)
        eps = torch.full((len(x),), 2.0, device=device) if weights["vat_weight"] > 0 else None  # VAT radii: size moot
        aae_step, reseed = make_step(model, opts, x, y, labelled, batch_size=bs, augment=main_aae.augment,
                                     vat_eps=eps, **weights)
        reseed(torch.Generator().manual_seed(0))
        pool = torch.arange(n_labelled, len(x), device=device)   # the unlabelled images

        def step(i: int) -> dict:
            j = i % POOL
            with autocast(device, precision):
                terms = aae_step(pool[j * bs:(j + 1) * bs])
            return {k: v.detach() for k, v in terms.items()}

        return step

    return Family(f"aae_{head}", bs, make, loss_key="rec", what=f"AAE {head} head, every phase")


def families() -> dict[str, Family]:
    """Every family the default run measures, in order."""
    out = [encoder_family("cae4"), encoder_family("lae4"), encoder_family("lae2"), decoder_family("cae4"),
           catvae_family("catvae"), catvae_family("infocatvae"), mlvae_family(),
           aae_family("semi_supervised"), aae_family("clustering")]
    return {f.name: f for f in out}


def pick_families(spec: str) -> list[Family]:
    """``all`` or a comma list of names; ``aae_<head>`` works for any head of main_aae.HEADS, ``aae`` names them
    all (the file then also gives each head's default run length, reporting.tables.train_table)."""
    known = families()
    names = list(known) if spec.strip() == "all" else [s.strip() for s in spec.split(",") if s.strip()]
    names = [n for name in names for n in ([f"aae_{h}" for h in main_aae.HEADS] if name == "aae" else [name])]
    picked = []
    for name in names:
        if name in known:
            picked.append(known[name])
        elif name.startswith("aae_") and name[4:] in main_aae.HEADS:
            picked.append(aae_family(name[4:]))
        else:
            raise SystemExit(f"--families: unknown {name!r}; use all or some of {', '.join(known)}, "
                             f"aae_<head> for a head of {', '.join(main_aae.HEADS)}, or aae for every head")
    return picked


def clock(device: torch.device) -> float:
    """perf_counter after the device has finished its queued work (CUDA runs asynchronously)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def summary(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 1), "min": round(min(values), 1),
            "max": round(max(values), 1)}


def run(picked: list[Family], device: torch.device, rounds: int, seconds: float, warmup_seconds: float) -> dict:
    """Warm up and calibrate every (family, precision), then ``rounds`` rounds of alternating timed blocks."""
    steps, n_done, first, last, seconds_per_step, block_steps = {}, {}, {}, {}, {}, {}
    for fam in picked:
        for prec in PRECISIONS:
            torch.manual_seed(0)                 # both precisions start from the same weights
            step = steps[fam.name, prec] = fam.make(device, prec)
            first[fam.name, prec] = step(0)      # the first call pays for allocations and kernel choices
            t0, k = clock(device), 1
            while True:                          # then steps until warmup_seconds have passed, to size the blocks
                step(k)
                k += 1
                elapsed = clock(device) - t0
                if elapsed >= warmup_seconds:
                    break
            n_done[fam.name, prec], seconds_per_step[fam.name, prec] = k, elapsed / (k - 1)
        # both precisions train equally far: the one with fewer warm-up steps catches up (untimed), and the blocks
        # have the same number of steps in both, sized by the slower precision
        caught_up = max(n_done[fam.name, p] for p in PRECISIONS)
        for prec in PRECISIONS:
            while n_done[fam.name, prec] < caught_up:
                steps[fam.name, prec](n_done[fam.name, prec])
                n_done[fam.name, prec] += 1
        block = block_steps[fam.name] = max(1, round(seconds / max(seconds_per_step[fam.name, p] for p in PRECISIONS)))
        print(f"{fam.name:<22} warmed up; {block} steps of {fam.batch_size} images per block", flush=True)
    speeds = {(f.name, p): [] for f in picked for p in PRECISIONS}
    for r in range(rounds):
        order = PRECISIONS if r % 2 == 0 else PRECISIONS[::-1]
        for fam in picked:
            for prec in order:
                step, key, block = steps[fam.name, prec], (fam.name, prec), block_steps[fam.name]
                t0 = clock(device)
                for _ in range(block):
                    last[key] = step(n_done[key])
                    n_done[key] += 1
                speeds[key].append(block * fam.batch_size / (clock(device) - t0))
        print(f"round {r + 1}/{rounds}: " + ", ".join(
            f"{f.name} {speeds[f.name, 'fp32'][-1]:.0f}/{speeds[f.name, 'bf16'][-1]:.0f}" for f in picked)
            + " images/s (fp32/bf16)", flush=True)
    out = {}
    for fam in picked:
        row = {"batch_size": fam.batch_size, "what": fam.what, "loss_term": fam.loss_key}
        for prec in PRECISIONS:
            key = (fam.name, prec)
            terms = {k: float(v) for k, v in last[key].items()}
            row[prec] = {"images_per_s": summary(speeds[key]),
                         "images_per_s_rounds": [round(s, 1) for s in speeds[key]],
                         "steps": n_done[key], "steps_per_block": block_steps[fam.name],
                         "loss_first": round(float(first[key][fam.loss_key]), 4),
                         "loss_last": round(terms[fam.loss_key], 4),
                         "finite": all(math.isfinite(v) for v in terms.values())}
        ratios = [b / a for a, b in zip(speeds[fam.name, "fp32"], speeds[fam.name, "bf16"])]
        row["ratio_bf16_fp32"] = round(row["bf16"]["images_per_s"]["median"] / row["fp32"]["images_per_s"]["median"], 3)
        row["ratio_per_round"] = {k: round(v, 3) for k, v in
                                  {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios)}.items()}
        if fam.name.startswith("aae_"):      # the head's default run: its epochs of a 60,000-image training set
            epochs = main_aae.HEADS[fam.name[4:]]["epochs"]
            row["default_epochs"] = epochs
            row["default_run_minutes"] = {p: round(epochs * 60000 / row[p]["images_per_s"]["median"] / 60, 1)
                                          for p in PRECISIONS}
        out[fam.name] = row
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--rounds", type=int, default=5, help="timed blocks per family and precision")
    p.add_argument("--seconds_per_block", type=float, default=1.5, help="about this long per timed block")
    p.add_argument("--warmup_seconds", type=float, default=0.5, help="untimed steps per family and precision")
    p.add_argument("--families", default="all", help="comma list (see the names printed) or all")
    p.add_argument("--note", default="", help="free text stored in the file, e.g. what else ran on the machine")
    p.add_argument("--out", default="", help="default: benchmarks/results/train.json, aae.json for --families=aae "
                                             "(train-cuda.json, aae-cuda.json on CUDA)")
    p.add_argument("--table", nargs="?", const="", default=None, metavar="JSON",
                   help="print the Markdown table and machine line of a result file (default: the --out file) "
                        "and exit")
    args = p.parse_args()
    if args.table is not None:
        print(train_table(args.table or args.out or RESULTS / "train.json"))
        return
    try:
        device = get_device(args.device)
    except UserError as err:
        raise SystemExit(str(err)) from None
    if device.type not in ("cpu", "cuda"):
        raise SystemExit(f"--device={args.device}: this benchmark runs on cpu or cuda, not {device.type}")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.rounds < 1 or args.seconds_per_block <= 0 or args.warmup_seconds <= 0:
        raise SystemExit("--rounds must be >= 1, --seconds_per_block and --warmup_seconds > 0")
    picked = pick_families(args.families)
    name = "aae" if args.families.strip() == "aae" else "train"
    out_path = Path(args.out) if args.out else RESULTS / f"{name}{'-cuda' if device.type == 'cuda' else ''}.json"
    result = header(device, args.note)
    print(f"{device}, {torch.get_num_threads()} thread(s), native bf16 {result['machine']['native_bf16']}, families "
          f"{', '.join(f.name for f in picked)}", flush=True)
    t0 = time.perf_counter()
    result.update(rounds=args.rounds, seconds_per_block=args.seconds_per_block, warmup_seconds=args.warmup_seconds)
    result["families"] = run(picked, device, args.rounds, args.seconds_per_block, args.warmup_seconds)
    result["seconds_total"] = round(time.perf_counter() - t0, 1)
    write(out_path, result)
    print(f"\n{train_table(out_path)}\n\n{result['seconds_total']} s")

if __name__ == "__main__":
    main()
