"""The SEQ quantizer with one k-means run per K against several restarts (the lowest inertia kept), on the features
that main_encoder.py saved: time, inertia and accuracy per K.

    python main_encoder.py --datasets=mnist --archs=cae4 --eval_split=val      # features of the validation split
    python benchmarks/bench_kmeans.py --features=results/val/seq/mnist/cae4/features.pt

Writes benchmarks/results/kmeans.json. Run it on validation-split features: its accuracies then score the last
10,000 training images, never the test set. The restarts are chosen by inertia alone, so no label decides a run.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import header, write  # noqa: E402
from evaluation.seq import quantizer_sweep  # noqa: E402
from models.seq import FEATURES_KIND  # noqa: E402
from utils.io import load_checkpoint  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", required=True, help="a features.pt written by main_encoder.py")
    parser.add_argument("--ks", default="10,20,50,100", help="numbers of clusters")
    parser.add_argument("--restarts", default="1,10", help="restart counts to compare")
    parser.add_argument("--seeds", default="0,1,2", help="k-means seeds")
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/kmeans.json"))
    args = parser.parse_args()
    feats = load_checkpoint(args.features, FEATURES_KIND)
    ks = [int(k) for k in args.ks.split(",")]
    rows = []
    for restarts in [int(r) for r in args.restarts.split(",")]:
        for seed in [int(s) for s in args.seeds.split(",")]:
            t0 = time.perf_counter()
            sweep, _ = quantizer_sweep(feats["train"], feats["train_labels"], feats["test"], feats["test_labels"], ks,
                                       seed=seed, max_iter=300, tol=1e-6, restarts=restarts, progress=False)
            rows += [{"restarts": restarts, "seed": seed, "k": r["k"], "accuracy": r["test_accuracy"],
                      "inertia": r["inertia"], "seconds": r["seconds"]} for r in sweep]
            print(f"restarts {restarts}, seed {seed}: " + ", ".join(
                f"K={r['k']} {100 * r['test_accuracy']:.2f}% ({r['seconds']:.1f} s)" for r in sweep)
                + f"; {time.perf_counter() - t0:.0f} s", flush=True)
    out = {**header(torch.device("cpu")), "features": str(args.features), "dataset": feats.get("dataset"),
           "arch": feats.get("arch"), "n_train": len(feats["train"]), "n_scored": len(feats["test"]), "rows": rows}
    write(Path(args.out), out)


if __name__ == "__main__":
    main()
