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


def markdown_table(out_dir) -> str:
    """The README's SEQ table: ours next to the paper's (digitized) value, read from metrics.json files."""
    from utils.references import SEQ_KS, SEQ_PAPER

    names = {"cae4": "CAE-4", "lae4": "LAE-4", "lae2": "LAE-2"}
    lines = ["| data set | encoder | softmax (ours / paper) | K=10 | K=20 | K=50 | K=100 | K=120 (ours / paper) |",
             "|---|---|---|---|---|---|---|---|"]
    for ds, runs in collect_curves(out_dir).items():
        paper = SEQ_PAPER.get(ds, {})
        for arch, c in runs.items():
            acc = dict(zip(c["ks"], c["acc"]))
            ref = dict(zip(SEQ_KS, paper.get(arch, [])))

            def cell(k):
                ours = f"{100 * acc[k]:.2f}" if k in acc else "-"
                return f"{ours} / {100 * ref[k]:.1f}" if k in ref else ours

            soft = f"{100 * c['softmax']:.2f}" + (f" / {100 * paper['softmax']:.1f}" if arch == "cae4" and paper else "")
            lines.append(f"| {ds} | {names.get(arch, arch)} | {soft} | {cell(10)} | {cell(20)} | {cell(50)} | "
                         f"{cell(100)} | {cell(120)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    print(markdown_table(sys.argv[1] if len(sys.argv) > 1 else "results"))
