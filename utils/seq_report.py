"""Read the SEQ runs' metrics.json files back for the figure and the summary table."""
from __future__ import annotations

import json
from pathlib import Path

ORDER = ["mnist", "fashion-mnist", "mnist-sample"]


def collect_curves(out_dir) -> dict:
    """{dataset: {arch: {"ks", "acc", "softmax"}}} from every <out_dir>/seq/<dataset>/<arch>/metrics.json."""
    curves: dict = {}
    for path in sorted(Path(out_dir, "seq").glob("*/*/metrics.json")):
        m = json.loads(path.read_text())
        if not m.get("quantizer"):
            continue
        curves.setdefault(m["dataset"], {})[m["arch"]] = {
            "ks": [r["k"] for r in m["quantizer"]], "acc": [r["test_accuracy"] for r in m["quantizer"]],
            "softmax": m["softmax_test_accuracy"]}
    order = {d: i for i, d in enumerate(ORDER)}
    arch_order = {"cae4": 0, "lae4": 1, "lae2": 2}
    return {d: dict(sorted(curves[d].items(), key=lambda kv: arch_order.get(kv[0], 9)))
            for d in sorted(curves, key=lambda d: order.get(d, 9))}


def summary_table(curves: dict) -> str:
    """A plain-text table: softmax and quantizer accuracy at the smallest and largest K, per run."""
    lines = [f"{'dataset':<14} {'encoder':<7} {'softmax':>8} {'K_min':>6} {'acc':>7} {'K_max':>6} {'acc':>7}"]
    for ds, runs in curves.items():
        for arch, c in runs.items():
            lines.append(f"{ds:<14} {arch:<7} {100 * c['softmax']:>7.2f}% {c['ks'][0]:>6} "
                         f"{100 * c['acc'][0]:>6.2f}% {c['ks'][-1]:>6} {100 * c['acc'][-1]:>6.2f}%")
    return "\n".join(lines)
