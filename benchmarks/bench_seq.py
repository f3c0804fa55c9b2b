"""Speed of SEQ step 1 on this machine: training and inference images/s per encoder, k-means sweep time.

    python benchmarks/bench_seq.py                 # about 2 minutes on a 2-core CPU
    python benchmarks/bench_seq.py --full_run      # also times the whole `python main_encoder.py` (~40 min)

Writes benchmarks/results/seq.json. Throughput is measured on random images of the right shape (the
work per image does not depend on the pixels); the k-means sweep runs on 60,000 random 128-d vectors.
"""
from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.encoders import build_encoder  # noqa: E402
from models.kmeans import KMeansQuantizer  # noqa: E402
from utils.training import make_optimizer  # noqa: E402
from utils.runtime import get_device  # noqa: E402


def train_speed(arch: str, batch_size: int, device, steps: int) -> float:
    torch.manual_seed(0)
    model = build_encoder(arch).to(device)
    opt = make_optimizer(model, 1e-3, device)
    x = torch.rand(batch_size, 1, 28, 28, device=device)
    y = torch.randint(0, 10, (batch_size,), device=device)
    for i in range(steps + 2):
        if i == 2:  # two warm-up steps
            t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return steps * batch_size / (time.perf_counter() - t0)


def infer_speed(arch: str, device, n: int) -> float:
    model = build_encoder(arch).to(device)
    x = torch.rand(n, 1, 28, 28)
    model.embed(x[:1000])
    t0 = time.perf_counter()
    model.embed(x, 1000)
    return n / (time.perf_counter() - t0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="auto")
    p.add_argument("--full_run", action="store_true", help="also time the whole main_encoder.py with defaults")
    args = p.parse_args()
    device = get_device(args.device)
    out = {"device": str(device), "torch": torch.__version__, "threads": torch.get_num_threads(),
           "machine": platform.processor() or platform.machine(), "train_images_per_s": {},
           "inference_images_per_s": {}}
    for arch in ("cae4", "lae4", "lae2"):
        heavy = arch == "cae4"
        out["train_images_per_s"][arch] = {
            f"batch_{bs}": round(train_speed(arch, bs, device, steps=(3 if heavy else 30) * (256 // bs)), 1)
            for bs in (32, 256)}
        out["inference_images_per_s"][arch] = round(infer_speed(arch, device, 5000 if heavy else 60000), 1)
        print(arch, out["train_images_per_s"][arch], "inference", out["inference_images_per_s"][arch], flush=True)
    feats = torch.rand(60000, 128, generator=torch.Generator().manual_seed(0)).to(device)
    labels = torch.randint(0, 10, (60000,)).numpy()
    t0 = time.perf_counter()
    for k in range(10, 121, 10):
        KMeansQuantizer(k, max_iter=300, tol=1e-6).fit(feats, labels)
    out["kmeans_sweep_seconds_60000x128_K10to120"] = round(time.perf_counter() - t0, 1)
    print("k-means sweep K=10..120:", out["kmeans_sweep_seconds_60000x128_K10to120"], "s", flush=True)
    data_json = ROOT / "benchmarks/results/data.json"
    if data_json.is_file():
        out["data_load"] = json.loads(data_json.read_text())
    if args.full_run:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "main_encoder.py", "--progress=false", "--out_dir=/tmp/bench_seq_results"],
                       cwd=ROOT, check=True)
        out["main_encoder_seconds"] = round(time.perf_counter() - t0, 1)
        print("python main_encoder.py:", out["main_encoder_seconds"], "s")
    path = ROOT / "benchmarks/results/seq.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
