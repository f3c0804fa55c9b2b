"""Does ATen's AVX2 code path beat its AVX512 one on this CPU? Elementwise kernels and whole training steps, both ways.

    python benchmarks/bench_capability.py          # about 5 minutes on a 2-core CPU -> benchmarks/results/capability.json
    python -m reporting.records --bench benchmarks/results/capability.json              # its table

Why: on a CPU with AVX512, ATen runs its own elementwise and reduction kernels (softmax, log1p, logsigmoid, ...) in
their AVX512 versions; some of those were measured far slower than their AVX2 versions (a softmax over 10 classes,
for one), and the environment variable ATEN_CPU_CAPABILITY=avx2 makes a process use the AVX2 ones instead. Matrix
products and convolutions (oneDNN, MKL) do not go through this choice. Whether the switch pays off is a question
about whole training steps, so this benchmark times both: a few kernels the models use, and the training steps of
benchmarks/bench_train.py's families in fp32 and bf16.

The capability is fixed per process, so the two conditions run as two single-thread processes at the same time, one
per core (pinned where the system allows): both see the same machine, and neither waits for the other. A second pass
swaps the cores, and each number is the mean of the two passes (both are kept in the file). Each child writes its
part; this script merges them with the machine record (benchmarks/machine.py).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import bench_train  # noqa: E402
from benchmarks.machine import header, write  # noqa: E402
from reporting.tables import bench_table  # noqa: E402

RESULT = ROOT / "benchmarks/results/capability.json"
CONDITIONS = {"default": None, "avx2": "avx2"}     # ATEN_CPU_CAPABILITY of each child (None: unset)
FAMILIES = "catvae,infocatvae,mlvae,encoder_lae4,aae_semi_supervised,aae_clustering"


def kernels() -> dict:
    """name -> (what, the call): the elementwise and reduction kernels behind the models' losses."""
    gen = torch.Generator().manual_seed(0)
    big = torch.randn(1_000_000, generator=gen)
    logits = torch.randn(256, 10, generator=gen, requires_grad=True)
    return {
        "softmax_256x10": ("softmax over 10 classes, batch 256", lambda: F.softmax(logits, 1)),
        "log_softmax_fwd_bwd_256x10": ("log_softmax over 10 classes, forward and backward, batch 256",
                                       lambda: F.log_softmax(logits, 1).sum().backward()),
        "log1p_1M": ("log1p, 1 M elements", lambda: torch.log1p(big.abs())),
        "logsigmoid_1M": ("logsigmoid, 1 M elements", lambda: F.logsigmoid(big)),
        "bce_logits_1M": ("binary cross-entropy with logits, 1 M elements",
                          lambda: F.binary_cross_entropy_with_logits(big, torch.ones_like(big))),
    }


def time_kernel(fn, seconds: float) -> float:
    """Median microseconds per call over blocks of about ``seconds / 5``, after a warm-up."""
    for _ in range(5):
        fn()
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds / 10:
        fn()
        n += 1
    per_block = max(1, n * 2)
    blocks = []
    for _ in range(5):
        t1 = time.perf_counter()
        for _ in range(per_block):
            fn()
        blocks.append((time.perf_counter() - t1) / per_block * 1e6)
    return round(sorted(blocks)[2], 1)


def child(out: Path, families: str, rounds: int, kernel_seconds: float) -> None:
    torch.set_num_threads(1)
    part = {"torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "kernels_us": {name: time_kernel(fn, kernel_seconds) for name, (_, fn) in kernels().items()}}
    rows = bench_train.run(bench_train.pick_families(families), torch.device("cpu"), rounds, 1.5, 0.5)
    part["images_per_s"] = {name: {p: row[p]["images_per_s"]["median"] for p in bench_train.PRECISIONS}
                            for name, row in rows.items()}
    out.write_text(json.dumps(part))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--families", default=FAMILIES, help="bench_train.py families whose steps are timed")
    p.add_argument("--rounds", type=int, default=5, help="timed blocks per family and precision")
    p.add_argument("--kernel_seconds", type=float, default=2.0, help="about this long per kernel")
    p.add_argument("--note", default="", help="free text stored in the file, e.g. what else ran on the machine")
    p.add_argument("--out", default=str(RESULT))
    p.add_argument("--child", default="", help=argparse.SUPPRESS)   # internal: one condition's part, to this file
    args = p.parse_args()
    if args.child:
        return child(Path(args.child), args.families, args.rounds, args.kernel_seconds)
    bench_train.pick_families(args.families)                          # a wrong name fails here, in one line
    result = header(torch.device("cpu"), args.note)
    t0 = time.perf_counter()
    # two passes, the cores swapped in the second, so that a slower core cannot pass for a slower code path; each
    # number below is the mean of its two passes
    passes = []
    for swap in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            procs = {}
            for core, (name, cap) in enumerate(CONDITIONS.items()):
                core = (1 - core) if swap else core
                env = {k: v for k, v in os.environ.items() if k != "ATEN_CPU_CAPABILITY"}
                env.update({"OMP_NUM_THREADS": "1", **({"ATEN_CPU_CAPABILITY": cap} if cap else {})})
                cmd = [sys.executable, __file__, f"--child={tmp}/{name}.json", f"--families={args.families}",
                       f"--rounds={args.rounds}", f"--kernel_seconds={args.kernel_seconds}"]
                pin = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2
                procs[name] = subprocess.Popen(
                    cmd, env=env, stdout=subprocess.DEVNULL,
                    preexec_fn=(lambda c=core: os.sched_setaffinity(0, {c})) if pin else None)
            for name, proc in procs.items():
                if proc.wait() != 0:
                    raise SystemExit(f"bench_capability: the {name} child failed (exit {proc.returncode})")
            passes.append({name: json.loads(Path(f"{tmp}/{name}.json").read_text()) for name in CONDITIONS})
    parts = {name: {"torch_cpu_capability": passes[0][name]["torch_cpu_capability"],
                    "kernels_us": {k: round(sum(p[name]["kernels_us"][k] for p in passes) / 2, 1)
                                   for k in passes[0][name]["kernels_us"]},
                    "images_per_s": {f: {pr: round(sum(p[name]["images_per_s"][f][pr] for p in passes) / 2, 1)
                                         for pr in bench_train.PRECISIONS} for f in passes[0][name]["images_per_s"]}}
             for name in CONDITIONS}
    result["passes"] = passes
    described = {name: what for name, (what, _) in kernels().items()}
    result.update(benchmark="capability", threads=1, conditions={n: parts[n]["torch_cpu_capability"] for n in parts},
                  kernels={name: {"what": described[name], **{n: parts[n]["kernels_us"][name] for n in parts}}
                           for name in described},
                  families={fam: {n: parts[n]["images_per_s"][fam] for n in parts}
                            for fam in parts["default"]["images_per_s"]},
                  seconds_total=round(time.perf_counter() - t0, 1))
    write(Path(args.out), result)
    print(bench_table(args.out))


if __name__ == "__main__":
    main()
