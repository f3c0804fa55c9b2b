"""The SEQ quantizer read two ways, on features that main_encoder.py saved: the paper's nearest-centroid majority
label against a soft vote of every centroid's label distribution (evaluation.seq.soft_vote), per K, next to the
encoder's softmax accuracy. A study for issue 27 (every K within 0.3 points of the softmax).

    python reproduce.py --parts=selections --selections=seq-label-smoothing-fashion-mnist     # validation features
    python benchmarks/bench_quantizer_rule.py \
        --features results/selections/seq-label-smoothing-*/smoothing-0.1-seed*/val/seq/*/lae4/features.pt
    python benchmarks/bench_quantizer_rule.py --saved=true --out=benchmarks/results/quantizer_rule_test.json \
        --features results/seq/*/*/features.pt results/seed-*/seq/*/*/features.pt        # the headline runs

Writes benchmarks/results/quantizer_rule.json (or --out); `python -m reporting.records --quantizer-rule FILE` prints
its table. Validation-split features are for choosing: the accuracies then score the last 10,000 training images,
never the test set, and k-means runs as main_encoder.py runs it (10 restarts kept by inertia up to K=30, one above, the
run's seed), so the nearest-centroid numbers are the run's own. ``--saved=true`` reads each run's own quantizers
(quantizers.pt beside features.pt) instead of fitting them, which is how test-split runs are read: the rule is chosen
on the validation split, the test split only reports it, and the nearest-centroid accuracy must equal the one the run
recorded (checked).
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
from models.seq import FEATURES_KIND, QUANTIZER_KIND  # noqa: E402
from utils.io import load_checkpoint  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", nargs="+", required=True, help="features.pt files written by main_encoder.py")
    parser.add_argument("--ks", default="10,20,50,100", help="numbers of clusters")
    parser.add_argument("--saved", default="false", choices=("true", "false"),
                        help="read each run's quantizers.pt instead of fitting k-means (any split; test runs need it)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/quantizer_rule.json"))
    args = parser.parse_args()
    rows = []
    for path in args.features:
        feats = load_checkpoint(path, FEATURES_KIND)
        metrics = json.loads((Path(path).parent / "metrics.json").read_text())
        config = json.loads((Path(path).parent / "config.json").read_text())
        split = metrics.get("eval_split", "test")
        if split != "val" and args.saved != "true":
            raise SystemExit(f"{path}: not validation-split features (eval_split={split!r}); a test-split run is read "
                             f"with --saved=true, its own quantizers")
        saved = load_checkpoint(Path(path).parent / "quantizers.pt", QUANTIZER_KIND)["quantizers"] \
            if args.saved == "true" else {}
        recorded = {row["k"]: row["test_accuracy"] for row in metrics["quantizer"]}
        ytr, yte = feats["train_labels"].numpy(), feats["test_labels"].numpy()
        for k in [int(k) for k in args.ks.split(",")]:
            t0 = time.perf_counter()
            if saved:
                if k not in saved:
                    raise SystemExit(f"{path}: its quantizers.pt has no K={k}")
                q = KMeansQuantizer.from_state(saved[k])
                q.train_assignment = q.cluster(feats["train"])
            else:
                q = KMeansQuantizer(k, seed=config["seed"], max_iter=config["kmeans_iters"], tol=config["kmeans_tol"],
                                    restarts=config["kmeans_restarts"] if k <= config["kmeans_restart_max_k"] else 1)
                q.fit(feats["train"], ytr)
            nearest = float((q.predict(feats["test"]).cpu().numpy() == yte).mean())
            soft = float((soft_vote(q, feats["train"], ytr, feats["test"]) == yte).mean())
            if saved and abs(nearest - recorded[k]) > 1e-9:
                raise SystemExit(f"{path}: K={k} reads {nearest:.4f} with its saved quantizer, but the run recorded "
                                 f"{recorded[k]:.4f}: features and quantizers do not belong together")
            rows.append({"features": str(path), "split": split, "dataset": metrics["dataset"], "arch": metrics["arch"],
                         "seed": config["seed"], "label_smoothing": config["label_smoothing"],
                         "k": k, "nearest": nearest, "soft": soft, "softmax": metrics["softmax_test_accuracy"],
                         "seconds": time.perf_counter() - t0})
            print(f"{path}: K={k} nearest {100 * nearest:.2f} %, soft {100 * soft:.2f} %, softmax "
                  f"{100 * metrics['softmax_test_accuracy']:.2f} %", flush=True)
    write(Path(args.out), {**header(torch.device("cpu")), "rows": rows})


if __name__ == "__main__":
    main()
