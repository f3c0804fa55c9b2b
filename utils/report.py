"""Markdown tables of the CatVAE, ML-VAE and AAE results, read from the runs' metrics.json files (never typed in).

    python -m utils.report [results]        # prints the README's tables for every finished run
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from utils.references import AAE_PAPER, CLUSTERING_PEERS


def _load(pattern: str, out_dir) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(Path(out_dir).glob(pattern))]


def _minutes(m: dict) -> float:
    """Training time summed over the epochs (valid across --resume) plus this run's evaluation time, in minutes."""
    s = m["seconds"]
    if "train_epochs_sum" in s:
        return (s["train_epochs_sum"] + s["total"] - s["train"]) / 60
    return s["total"] / 60


def _pct(values, digits: int = 1) -> str:
    values = np.asarray(values, dtype=float) * 100
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} +- {values.std(ddof=1):.{digits}f}"


def catvae_table(out_dir="results") -> str:
    """Per data set and variant: clustering accuracy, NMI, ARI (mean +- std over seeds), minutes per run."""
    runs = _load("catvae/*/*/seed-*/metrics.json", out_dir)
    groups: dict = {}
    for m in runs:
        groups.setdefault((m["dataset"], m["variant"]), []).append(m)
    lines = ["| data set | model | seeds | clustering accuracy % | NMI | ARI | test -ELBO (nats) | minutes per run |",
             "|---|---|---|---|---|---|---|---|"]
    for (ds, variant), ms in sorted(groups.items()):
        lines.append(f"| {ds} | {ms[0]['model']} | {', '.join(str(m['seed']) for m in ms)} | "
                     f"{_pct([m['clustering_accuracy'] for m in ms])} | "
                     f"{np.mean([m['nmi'] for m in ms]):.3f} | {np.mean([m['ari'] for m in ms]):.3f} | "
                     f"{np.mean([m['test_elbo']['neg_elbo'] for m in ms]):.1f} | "
                     f"{np.mean([_minutes(m) for m in ms]):.1f} |")
    for ds in sorted({k[0] for k in groups}):
        for name, acc, source in CLUSTERING_PEERS.get(ds, []):
            lines.append(f"| {ds} | {name} (reference) | | {100 * acc:.1f} | | | | {source} |")
    return "\n".join(lines)


def mlvae_table(out_dir="results") -> str:
    """The reference table's layout (style / class code, train / test probe accuracy) per setting and grouping."""
    lines = ["| data set | setting | class code from | style train | style test | class train | class test |",
             "|---|---|---|---|---|---|---|"]
    for m in _load("mlvae/*/*/metrics.json", out_dir):
        for row in m["table"]:
            lines.append(f"| {m['dataset']} | {m['setting']} | {row['description']} | {100 * row['style_train']:.2f} | "
                         f"{100 * row['style_test']:.2f} | {100 * row['class_train']:.2f} | "
                         f"{100 * row['class_test']:.2f} |")
    return "\n".join(lines)


def mlvae_swaps(out_dir="results") -> str:
    lines = ["| data set | setting | swap keeps the column's class | with 5 images of evidence | style leak | "
             "judge on real test / on reconstructions | minutes |", "|---|---|---|---|---|---|---|"]
    for m in _load("mlvae/*/*/metrics.json", out_dir):
        lines.append(f"| {m['dataset']} | {m['setting']} | {100 * m['swap_class_kept']:.1f} | "
                     f"{100 * m['swap_class_kept_with_evidence']:.1f} | {100 * m['swap_style_class_leak']:.1f} | "
                     f"{100 * m['judge_test_accuracy']:.1f} / {100 * m['judge_accuracy_on_test_reconstructions']:.1f}"
                     f" | {_minutes(m):.1f} |")
    return "\n".join(lines)


def aae_table(out_dir="results") -> str:
    """Per head and setting: test error next to the paper's, epochs, images/s and minutes."""
    lines = ["| head | setting | test error % (ours) | paper | epochs | images/s | minutes | other |",
             "|---|---|---|---|---|---|---|---|"]
    for m in _load("aae/*/*/metrics.json", out_dir):
        ref = AAE_PAPER.get((m["head"], m["setting"]))
        paper = f"{100 * ref[0]:.2f} +- {100 * ref[1]:.2f}" if ref else "-"
        err = f"{100 * m['test_error']:.2f}" if "test_error" in m else "-"
        other = []
        if "nmi" in m:
            other.append(f"NMI {m['nmi']:.3f}, majority-label error {100 * m['test_error_majority_train_labels']:.1f}%")
        if "style_probe_test_accuracy" in m:
            other.append(f"label probe on z {100 * m['style_probe_test_accuracy']:.1f}%")
        other.append(f"recon MSE {m['test_recon_mse']:.4f}")
        lines.append(f"| {m['head']} | {m['setting']} | {err} | {paper} | {m['epochs']} | "
                     f"{m['images_per_second'] or 0:.0f} | {_minutes(m):.1f} | {'; '.join(other)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    root = sys.argv[1] if len(sys.argv) > 1 else "results"
    for title, fn in [("CatVAE / InfoCatVAE", catvae_table), ("ML-VAE probes", mlvae_table),
                      ("ML-VAE swaps", mlvae_swaps), ("AAE", aae_table)]:
        print(f"\n## {title}\n\n{fn(root)}")
