"""The SEQ quantizer read two ways, on features that main_encoder.py saved: the paper's nearest-centroid majority
label against a soft vote of every centroid's label distribution (evaluation.seq.soft_vote), per K, next to the
encoder's softmax accuracy. A study for issue 27 (every K within 0.3 points of the softmax), not the default.

    python reproduce.py --parts=selections --selections=seq-label-smoothing-fashion-mnist     # validation features
    python benchmarks/bench_quantizer_rule.py \
        --features results/selections/seq-label-smoothing-*/smoothing-0.1-seed*/val/seq/*/lae4/features.pt

Writes benchmarks/results/quantizer_rule.json; `python -m reporting.records --quantizer-rule
benchmarks/results/quantizer_rule.json` prints its table. Use validation-split features: the accuracies then score the
last 10,000 training images, never the test set. k-means as main_encoder.py runs it (10 restarts kept by inertia up
to K=30, one above, the run's seed), so the nearest-centroid numbers are the run's own.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import header, write  # noqa: E402
from evaluation.seq import soft_vote  # noqa: E402
from models.kmeans import KMeansQuantizer  # noqa: E402
from models.seq import FEATURES_KIND  # noqa: E402
from utils.io import load_checkpoint  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", nargs="+", required=True, help="features.pt files written by main_encoder.py")
    parser.add_argument("--ks", default="10,20,50,100", help="numbers of clusters")
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/quantizer_rule.json"))
    args = parser.parse_args()
    rows = []
    for path in args.features:
        feats = load_checkpoint(path, FEATURES_KIND)
        metrics = json.loads((Path(path).parent / "metrics.json").read_text())
        config = json.loads((Path(path).parent / "config.json").read_text())
        if metrics.get("eval_split") != "val":
            raise SystemExit(f"{path}: not validation-split features (eval_split={metrics.get('eval_split')!r})")
        ytr, yte = feats["train_labels"].numpy(), feats["test_labels"].numpy()
        for k in [int(k) for k in args.ks.split(",")]:
            t0 = time.perf_counter()
            q = KMeansQuantizer(k, seed=config["seed"], max_iter=config["kmeans_iters"], tol=config["kmeans_tol"],
                                restarts=config["kmeans_restarts"] if k <= config["kmeans_restart_max_k"] else 1)
            q.fit(feats["train"], ytr)
            nearest = float((q.predict(feats["test"]).cpu().numpy() == yte).mean())
            soft = float((soft_vote(q, feats["train"], ytr, feats["test"]) == yte).mean())
            rows.append({"features": str(path), "dataset": metrics["dataset"], "arch": metrics["arch"],
                         "seed": config["seed"], "label_smoothing": config["label_smoothing"],
                         "k": k, "nearest": nearest, "soft": soft, "softmax": metrics["softmax_test_accuracy"],
                         "seconds": time.perf_counter() - t0})
            print(f"{path}: K={k} nearest {100 * nearest:.2f} %, soft {100 * soft:.2f} %, softmax "
                  f"{100 * metrics['softmax_test_accuracy']:.2f} %", flush=True)
    write(Path(args.out), {**header(torch.device("cpu")), "rows": rows})


if __name__ == "__main__":
    main()
