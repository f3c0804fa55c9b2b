"""Speed of SEQ step 1 beyond the training step: feature extraction per encoder and the k-means sweep.

    python benchmarks/bench_seq.py                 # about 3 minutes on a 2-core CPU
    python benchmarks/bench_seq.py --full_run      # also times the whole `python main_encoder.py`
    python -m reporting.records --bench benchmarks/results/seq.json    # its table

Writes benchmarks/results/seq.json (with the machine, benchmarks/machine.py). The training step of every encoder,
fp32 against bf16, is benchmarks/bench_train.py's. Feature extraction runs ``embed`` as main_encoder.py does (its
eval_batch_size and precision) on random images of the right shape: the work per image does not depend on the pixels.
The k-means sweep is evaluation.seq.quantizer_sweep with main_encoder.py's K, iterations, tolerance and restarts, on
60,000 random 128-d features (10,000 more scored); random features need more Lloyd iterations than real ones
(benchmarks/bench_kmeans.py times real features).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import main_encoder  # noqa: E402
from benchmarks.machine import header, write  # noqa: E402
from evaluation.seq import quantizer_sweep  # noqa: E402
from models.encoders import build_encoder  # noqa: E402
from reporting.tables import bench_table  # noqa: E402
from utils.config import split_list  # noqa: E402
from utils.errors import UserError  # noqa: E402
from utils.runtime import autocast, get_device, resolve_precision  # noqa: E402

RESULT = ROOT / "benchmarks/results/seq.json"


def infer_speed(arch: str, device, precision: str, n: int, batch_size: int) -> float:
    """Images/s of ``embed`` (features and logits) over ``n`` random images, after one warm-up batch."""
    torch.manual_seed(0)
    model = build_encoder(arch).to(device).eval()
    x = torch.rand(n, 1, 28, 28, device=device)
    with autocast(device, precision):
        model.embed(x[:batch_size], batch_size)
        t0 = time.perf_counter()
        model.embed(x, batch_size)
    return n / (time.perf_counter() - t0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--note", default="", help="free text stored in the file, e.g. what else ran on the machine")
    p.add_argument("--full_run", action="store_true", help="also time the whole main_encoder.py with defaults")
    p.add_argument("--out", default=str(RESULT))
    args = p.parse_args()
    try:
        device = get_device(args.device)
    except UserError as err:
        raise SystemExit(str(err)) from None
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    precision = resolve_precision(main_encoder.precision, device)
    out = header(device, args.note)
    t0 = time.perf_counter()
    out.update(benchmark="seq", precision=precision, inference_batch=main_encoder.eval_batch_size,
               inference_images_per_s={})
    for arch in ("cae4", "lae4", "lae2"):
        n = 5000 if arch == "cae4" else 60000
        speed = infer_speed(arch, device, precision, n, main_encoder.eval_batch_size)
        out["inference_images_per_s"][arch] = round(speed, 1)
        print(f"{arch} inference: {speed:.0f} images/s", flush=True)
    gen = torch.Generator().manual_seed(0)
    ftr, fte = torch.rand(60000, 128, generator=gen), torch.rand(10000, 128, generator=gen)
    ytr, yte = torch.randint(0, 10, (60000,), generator=gen), torch.randint(0, 10, (10000,), generator=gen)
    ks = split_list(main_encoder.ks, int)
    t1 = time.perf_counter()
    quantizer_sweep(ftr.to(device), ytr, fte.to(device), yte, ks, seed=0, max_iter=main_encoder.kmeans_iters,
                    tol=main_encoder.kmeans_tol, restarts=main_encoder.kmeans_restarts,
                    restart_max_k=main_encoder.kmeans_restart_max_k, progress=False)
    out["kmeans_sweep"] = {"seconds": round(time.perf_counter() - t1, 1), "ks": main_encoder.ks, "n": 60000,
                           "dim": 128, "restarts": f"{main_encoder.kmeans_restarts} runs per K up to "
                                                   f"{main_encoder.kmeans_restart_max_k}, one above"}
    print(f"k-means sweep: {out['kmeans_sweep']['seconds']} s", flush=True)
    if args.full_run:
        t1 = time.perf_counter()
        subprocess.run([sys.executable, "main_encoder.py", "--progress=false", "--out_dir=/tmp/bench_seq_results"],
                       cwd=ROOT, check=True)
        out["main_encoder_seconds"] = round(time.perf_counter() - t1, 1)
    out["seconds_total"] = round(time.perf_counter() - t0, 1)
    write(Path(args.out), out)
    print(bench_table(args.out))


if __name__ == "__main__":
    main()
