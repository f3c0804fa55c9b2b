"""Tables of finished runs, read from their metrics.json files (never typed in): Markdown for the docs and plain
text for the scripts' closing log lines. The docs' tables leave out runs on part of the data (subset_run): their
numbers are not comparable with the papers.

    python -m reporting.tables [results]    # prints every table for the runs under results/
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from models.catvae import VARIANTS
from reporting.references import AAE_REFERENCES, CLUSTERING_PEERS, SEQ_KS, SEQ_PAPER
from utils.datasets import is_subset
from utils.errors import UserError

ORDER = ["mnist", "fashion-mnist", "mnist-sample"]


def collect_curves(out_dir, subsets: bool = True) -> dict:
    """{dataset: {arch: {"ks", "acc", "softmax"}}} from every <out_dir>/seq/<dataset>/<arch>/metrics.json; without
    the runs on part of the data when not ``subsets`` (the docs' table; the encoder's figure draws them all)."""
    curves: dict = {}
    for path in sorted(Path(out_dir, "seq").glob("*/*/metrics.json")):
        m = json.loads(path.read_text())
        if not m.get("quantizer") or not subsets and subset_run(path):
            continue
        curves.setdefault(m["dataset"], {})[m["arch"]] = {
            "ks": [r["k"] for r in m["quantizer"]], "acc": [r["test_accuracy"] for r in m["quantizer"]],
            "softmax": m["softmax_test_accuracy"]}
    order = {d: i for i, d in enumerate(ORDER)}
    arch_order = {"cae4": 0, "lae4": 1, "lae2": 2}
    return {d: dict(sorted(curves[d].items(), key=lambda kv: arch_order.get(kv[0], 9)))
            for d in sorted(curves, key=lambda d: order.get(d, 9))}


def seq_summary_lines(curves: dict) -> str:
    """A plain-text table: softmax and quantizer accuracy at the smallest and largest K, per run."""
    lines = [f"{'dataset':<14} {'encoder':<7} {'softmax':>8} {'K_min':>6} {'acc':>7} {'K_max':>6} {'acc':>7}"]
    for ds, runs in curves.items():
        for arch, c in runs.items():
            lines.append(f"{ds:<14} {arch:<7} {100 * c['softmax']:>7.2f}% {c['ks'][0]:>6} "
                         f"{100 * c['acc'][0]:>6.2f}% {c['ks'][-1]:>6} {100 * c['acc'][-1]:>6.2f}%")
    return "\n".join(lines)


def seq_table(out_dir="results") -> str:
    """The README's SEQ table: ours next to the paper's (digitized) value, read from metrics.json files."""
    names = {"cae4": "CAE-4", "lae4": "LAE-4", "lae2": "LAE-2"}
    lines = ["| data set | encoder | softmax (ours / paper) | K=10 | K=20 | K=50 | K=100 | K=120 (ours / paper) |",
             "|---|---|---|---|---|---|---|---|"]
    for ds, runs in collect_curves(out_dir, subsets=False).items():
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


def _load(pattern: str, out_dir) -> list[dict]:
    """The metrics of the runs matching ``pattern`` that saw the full data."""
    return [read_json(p) for p in sorted(Path(out_dir).glob(pattern)) if not subset_run(p)]


def read_json(path: Path) -> dict:
    """A run's metrics.json / config.json; a broken file is a one-line error naming it."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise UserError(f"{path}: not a readable JSON file ({e}); rerun that run with --force=true") from None


def subset_of(metrics: dict, config: dict) -> bool:
    """Whether a run saw only part of a data set (--train_limit / --test_limit > 0, or the 5,000-image MNIST
    sample): its metrics.json says so ("subset"); for a run from before that key, or one without metrics yet, its
    config.json does (utils.datasets.is_subset)."""
    if "subset" in metrics:
        return bool(metrics["subset"])
    return is_subset(config, metrics.get("dataset") or config.get("dataset", ""))


def subset_run(metrics_path) -> bool:
    """:func:`subset_of` for the run whose metrics.json is ``metrics_path`` (and the config.json next to it)."""
    config = Path(metrics_path).parent / "config.json"
    return subset_of(read_json(metrics_path), read_json(config) if config.is_file() else {})


def _minutes(m: dict) -> float:
    """Training time summed over the epochs (valid across --resume) plus this run's evaluation time and any set-up
    every run repeats (the CatVAE's VAT radii), in minutes."""
    s = m["seconds"]
    if "train_epochs_sum" in s:
        return (s["train_epochs_sum"] + s.get("vat_radii", 0.0) + s["total"] - s["train"]) / 60
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


def _get(m: dict, key: str, old: str):
    """``m[key]``, or ``m[old]`` in a metrics.json written before the key was renamed to ``key``."""
    return m[key] if key in m or old not in m else m[old]


def mlvae_swaps(out_dir="results") -> str:
    lines = ["| data set | setting | swap keeps the column's class | with 5 images of its TRUE class (leaks labels) | "
             "style leak | judge on real test / on reconstructions | minutes |", "|---|---|---|---|---|---|---|"]
    for m in _load("mlvae/*/*/metrics.json", out_dir):
        evidence = _get(m, "swap_class_kept_with_evidence_LEAKS_LABELS", "swap_class_kept_with_evidence")
        lines.append(f"| {m['dataset']} | {m['setting']} | {100 * m['swap_class_kept']:.1f} | "
                     f"{100 * evidence:.1f} | {100 * m['swap_style_class_leak']:.1f} | "
                     f"{100 * m['judge_test_accuracy']:.1f} / {100 * m['judge_accuracy_on_test_reconstructions']:.1f}"
                     f" | {_minutes(m):.1f} |")
    return "\n".join(lines)


def aae_table(out_dir="results") -> str:
    """Per head and setting: test error next to the paper's, epochs, images/s and minutes."""
    lines = ["| head | setting | test error % (ours) | paper | epochs | images/s | minutes | other |",
             "|---|---|---|---|---|---|---|---|"]
    for m in _load("aae/*/*/metrics.json", out_dir):
        ref = AAE_REFERENCES.get((m["head"], m["setting"]))
        paper = "-" if not ref else ref.percent_text()
        err = f"{100 * m['test_error']:.2f}" if "test_error" in m else "-"
        other = []
        if "nmi" in m:
            other.append(f"NMI {m['nmi']:.3f}, majority-label error {100 * m['test_error_majority_train_labels']:.1f}%")
        if m["head"] == "regularize_z" and "test_error" in m:
            other.append("error: the nearest mixture centre as the class")
        if "cluster_head_min_distance" in m:
            other.append(f"closest heads {m['cluster_head_min_distance']:.2f} apart")
        if "style_probe_test_accuracy" in m:
            other.append(f"label probe on z {100 * m['style_probe_test_accuracy']:.1f}%")
        other.append(f"recon MSE {m['test_recon_mse']:.4f}")
        extras = [f"{k.split('_')[0]} {m[k]:g}" for k in ("consistency_weight", "balance_weight", "vat_weight")
                  if m.get(k)]
        if m.get("augment_labelled"):
            extras.insert(0, "augmented labels")
        if extras:
            other.append("not in the paper: " + ", ".join(extras))
        lines.append(f"| {m['head']} | {m['setting']} | {err} | {paper} | {m['epochs']} | "
                     f"{m['images_per_second'] or 0:.0f} | {_minutes(m):.1f} | {'; '.join(other)} |")
    return "\n".join(lines)


def catvae_summary(out_dir: str) -> dict:
    """Mean and spread over seeds of every finished run under <out_dir>/catvae/<dataset>/<variant>/seed-*/."""
    table: dict = {}
    for path in sorted(Path(out_dir, "catvae").glob("*/*/seed-*/metrics.json")):
        m = json.loads(path.read_text())
        table.setdefault(m["dataset"], {}).setdefault(m["variant"], []).append(m)
    summary = {}
    for ds, variants in table.items():
        for variant, runs in variants.items():
            acc = np.array([r["clustering_accuracy"] for r in runs])
            summary.setdefault(ds, {})[variant] = {
                "seeds": [r["seed"] for r in runs],
                "clustering_accuracy": acc.tolist(),
                "clustering_accuracy_mean": float(acc.mean()),
                "clustering_accuracy_std": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
                "nmi_mean": float(np.mean([r["nmi"] for r in runs])),
                "ari_mean": float(np.mean([r["ari"] for r in runs])),
                "neg_elbo_mean": float(np.mean([r["test_elbo"]["neg_elbo"] for r in runs])),
            }
    return summary


def catvae_summary_lines(summary: dict) -> str:
    lines = [f"{'data set':<14} {'model':<11} {'seeds':>5}  {'accuracy (mean +- std)':<24} {'NMI':>6} {'ARI':>6}"]
    for ds, variants in summary.items():
        for variant, s in variants.items():
            lines.append(f"{ds:<14} {VARIANTS.get(variant, variant):<11} {len(s['seeds']):>5}  "
                         f"{100 * s['clustering_accuracy_mean']:6.2f}% +- {100 * s['clustering_accuracy_std']:5.2f}"
                         f"{'':<9} {s['nmi_mean']:6.3f} {s['ari_mean']:6.3f}")
    return "\n".join(lines)


def precision_table(records="records/selections/seq-precision") -> str:
    """The selection record behind SEQ's precision default: CAE-4 on the validation split in fp32 and in bf16
    autocast, per seed, from the runs' metrics.json files under ``records/<precision>-seed<s>/``."""
    runs: dict = {}
    for path in sorted(Path(records).glob("*/metrics.json")):
        m, config = read_json(path), read_json(path.parent / "config.json")
        runs.setdefault(m["precision"], []).append({**m, "seed": config["seed"]})
    lines = ["| precision | runs | softmax % | K=20 % | K=50 % | K=100 % | training minutes per run |",
             "|---|---|---|---|---|---|---|"]
    for precision, ms in sorted(runs.items(), key=lambda kv: kv[0] != "fp32"):
        ms = sorted(ms, key=lambda m: m["seed"])

        def cell(values):
            return f"{_pct(values, 2)} ({', '.join(f'{100 * v:.2f}' for v in values)})"

        quantizer = [{r["k"]: r["test_accuracy"] for r in m["quantizer"]} for m in ms]
        lines.append(f"| {precision} | {len(ms)} | {cell([m['softmax_test_accuracy'] for m in ms])} | "
                     + " | ".join(cell([q[k] for q in quantizer]) for k in (20, 50, 100))
                     + f" | {np.mean([m['seconds']['train'] for m in ms]) / 60:.1f} |")
    return "\n".join(lines)


def seq_seed_table(records="records/seq") -> str:
    """SEQ over seeds from committed records (``records/seq/<dataset>/<arch>/seed-<s>/``): test accuracy % of the
    softmax and of the quantizer at K = 10, 20, 50, 100, 120, mean +- std over the seeds, then each seed (test-set
    runs on the full data only)."""
    groups: dict = {}
    for path in sorted(Path(records).glob("*/*/seed-*/metrics.json")):
        if not subset_run(path):
            m = read_json(path)
            m.setdefault("seed", read_json(path.parent / "config.json")["seed"])   # older runs: in the config
            if m.get("eval_split", "test") == "test":
                groups.setdefault((m["dataset"], m["arch"]), []).append(m)
    ks = (10, 20, 50, 100, 120)
    lines = ["| data set | encoder | seeds | softmax % | " + " | ".join(f"K={k} %" for k in ks) + " |",
             "|---|---|---|---|" + "---|" * len(ks)]
    for (ds, arch), ms in sorted(groups.items()):
        ms = sorted(ms, key=lambda m: m["seed"])

        def cell(values):
            return f"{_pct(values, 2)} ({', '.join(f'{100 * v:.2f}' for v in values)})"

        acc = [{r["k"]: r["test_accuracy"] for r in m["quantizer"]} for m in ms]
        lines.append(f"| {ds} | {arch} | {', '.join(str(m['seed']) for m in ms)} | "
                     f"{cell([m['softmax_test_accuracy'] for m in ms])} | "
                     + " | ".join(cell([a[k] for a in acc]) if all(k in a for a in acc) else "-" for k in ks) + " |")
    return "\n".join(lines)


def kmeans_table(path="benchmarks/results/kmeans.json") -> str:
    """One k-means run per K against restarts (the lowest inertia kept), from benchmarks/bench_kmeans.py's record:
    per K the accuracy on the scored split (mean, lowest and highest over the k-means seeds) and seconds per K."""
    record = read_json(Path(path))
    by: dict = {}
    for row in record["rows"]:
        by.setdefault((row["restarts"], row["k"]), []).append(row)
    lines = [f"{record['dataset']} {record['arch']} features, {record['n_train']} fitted / {record['n_scored']} scored, "
             f"{len({r['seed'] for r in record['rows']})} k-means seeds, {record['threads']} thread(s):", "",
             "| restarts | K | accuracy % (mean; lowest - highest) | seconds per K |", "|---|---|---|---|"]
    for (restarts, k), rows in sorted(by.items()):
        acc = [100 * r["accuracy"] for r in rows]
        lines.append(f"| {restarts} | {k} | {np.mean(acc):.2f}; {min(acc):.2f} - {max(acc):.2f} | "
                     f"{np.mean([r['seconds'] for r in rows]):.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    generators = {"--precision": precision_table, "--kmeans": kmeans_table, "--seq-seeds": seq_seed_table}
    if sys.argv[1:2] and sys.argv[1] in generators:
        print(generators[sys.argv[1]](*sys.argv[2:3]))
        raise SystemExit(0)
    root = sys.argv[1] if len(sys.argv) > 1 else "results"
    for title, fn in [("SEQ", seq_table), ("CatVAE / InfoCatVAE", catvae_table), ("ML-VAE probes", mlvae_table),
                      ("ML-VAE swaps", mlvae_swaps), ("AAE", aae_table)]:
        print(f"## {title}\n\n{fn(root)}\n")
