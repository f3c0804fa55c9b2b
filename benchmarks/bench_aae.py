"""Training speed of every adversarial-autoencoder head on this machine: images/s of the full iteration (all phases).

    python benchmarks/bench_aae.py                  # about 2 minutes on a 2-core CPU
    python benchmarks/bench_aae.py --batch_size=64  # the reference's batch

Writes benchmarks/results/aae.json. Each head runs its real training step (models.aae.make_step) at the default
width (1000 hidden units) on random images; the work per image does not depend on the pixels. "images/s" counts
the unlabelled images of the step (the labelled minibatch of the semi-supervised heads comes on top), as the
training log of main_aae.py does, so one epoch of 60,000 images takes 60,000 / (images/s) seconds. The step runs
with main_aae.py's defaults for the additions that are not in the paper (augmented labelled minibatches, the
consistency term, the clustering heads' balance term).
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import main_aae  # noqa: E402
from main_aae import HEADS, extra_weights, resolve  # noqa: E402
from models.aae import AAE, make_optimizers, make_step  # noqa: E402
from utils.runtime import get_device  # noqa: E402


def head_speed(head: str, batch_size: int, device, steps: int) -> float:
    torch.manual_seed(0)
    run = resolve({}, head)
    model = AAE(head, n_y=run["n_y"], z_dim=run["z_dim"], head_distance=run["head_distance"]).to(device)
    opts = make_optimizers(model, run["optimizer"], 1e-4, run["beta1"])
    n = 2000
    x = torch.rand(n, 1, 28, 28, device=device)
    y = torch.arange(n, device=device) % 10
    labelled = torch.arange(100) if run["labels"] else None
    # the script's defaults for the additions that are not in the paper (they cost time too)
    weights = extra_weights(vars(main_aae), run, model)
    eps = torch.full((n,), 2.0, device=device) if weights["vat_weight"] > 0 else None   # VAT radii (the size matters not)
    step, reseed = make_step(model, opts, x, y, labelled, batch_size=batch_size, augment=main_aae.augment,
                             vat_eps=eps, **weights)
    reseed(torch.Generator().manual_seed(0))
    idx = torch.arange(batch_size, device=device)
    for _ in range(2):  # warm-up
        step(idx)
    # blocks of 10 steps, median speed: one slow block (another process, a noisy neighbour) does not move it
    speeds = []
    for _ in range(max(1, steps // 10)):
        t0 = time.perf_counter()
        for _ in range(10):
            step(idx)
        speeds.append(10 * batch_size / (time.perf_counter() - t0))
    return statistics.median(speeds)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="auto")
    p.add_argument("--batch_size", type=int, default=100)
    p.add_argument("--steps", type=int, default=50, help="timed steps per head, in blocks of 10")
    args = p.parse_args()
    device = get_device(args.device)
    out = {"device": str(device), "torch": torch.__version__, "threads": torch.get_num_threads(),
           "machine": platform.processor() or platform.machine(), "batch_size": args.batch_size,
           "train_images_per_s": {}, "epoch_seconds_60000": {}}
    for head in HEADS:
        speed = head_speed(head, args.batch_size, device, args.steps)
        out["train_images_per_s"][head] = round(speed, 1)
        out["epoch_seconds_60000"][head] = round(60000 / speed, 1)
        out.setdefault("default_run_minutes", {})[head] = round(HEADS[head]["epochs"] * 60000 / speed / 60, 1)
        print(f"{head:<20} {speed:8.1f} images/s   {60000 / speed:7.1f} s per epoch   "
              f"{HEADS[head]['epochs']} default epochs: {out['default_run_minutes'][head]} min", flush=True)
    path = ROOT / "benchmarks/results/aae.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
