"""Issue 27's targets, each set against the committed runs that measure it: one scoreboard of what is met and what is
still open (REPORT.md and docs/reproduce.md; ``python -m reporting.records --targets records``).

A target is data (TARGETS): the run folder whose seeds measure it, the number in their metrics.json, the bound and
its direction, and where it was stated (issue 27, or a doc that stated a Fashion-MNIST target before that data set's
first run). A target counts as met when the mean over the recorded seeds is on its side of the bound; the row also
says on how many seeds it is. A judged number carries the judge's own accuracy beside it (docs/judge.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from reporting.tables import lookup, mean_std, seeded_runs, spread

ISSUE = "issue 27"


def _largest_k_gap(m: dict) -> float:
    """How far the quantizer's worst K falls below the softmax classifier (a fraction; 0 when no K does)."""
    return max(0.0, max(m["softmax_test_accuracy"] - r["test_accuracy"] for r in m["quantizer"]))


@dataclass(frozen=True)
class Target:
    system: str
    dataset: str
    what: str
    run: str                          # the run folder under the records root (its seeds: seeded_runs)
    value: str | Callable[[dict], float]   # a metrics.json key (reporting.report.lookup), or a function of it
    bound: float                      # a fraction
    better: str = "higher"            # the side of the bound that meets the target: higher or lower
    stated: str = ISSUE
    judged: bool = False              # an independent judge's verdict: its accuracy is shown beside it

    def number(self, m: dict) -> float:
        return float(self.value(m) if callable(self.value) else lookup(m, self.value))

    def meets(self, v: float) -> bool:
        return v >= self.bound - 1e-12 if self.better == "higher" else v <= self.bound + 1e-12


_FASHION_AAE = "docs/aae.md (before its first Fashion-MNIST run)"
_FASHION_MLVAE = "docs/mlvae.md (before its first Fashion-MNIST run)"
TARGETS = [
    Target("SEQ", "mnist", "quantizer K=10 accuracy, CAE-4", "seq/mnist/cae4", "quantizer[k=10].test_accuracy", 0.99),
    Target("SEQ", "fashion-mnist", "quantizer K=10 accuracy, CAE-4", "seq/fashion-mnist/cae4",
           "quantizer[k=10].test_accuracy", 0.91),
    Target("SEQ", "mnist", "largest gap of a K below the softmax, CAE-4", "seq/mnist/cae4", _largest_k_gap, 0.003,
           "lower"),
    Target("SEQ", "fashion-mnist", "largest gap of a K below the softmax, CAE-4", "seq/fashion-mnist/cae4",
           _largest_k_gap, 0.003, "lower"),
    Target("judge", "mnist", "the judge's test accuracy", "judge/mnist", "accuracy", 0.993),
    Target("judge", "fashion-mnist", "the judge's test accuracy", "judge/fashion-mnist", "accuracy", 0.925),
    *[Target("SEQ decoder", ds, f"convex combinations {what}, anchors left out, judged as their class",
             f"seq/{ds}/cae4/decoder", f"judged_convex_{key}", 0.95, judged=True)
      for ds in ("mnist", "fashion-mnist")
      for key, what in (("same_cluster", "within one cluster"), ("across_clusters", "across clusters of a class"))],
    Target("InfoCatVAE", "mnist", "clustering accuracy (Hungarian)", "catvae/mnist/infocatvae/seed-*",
           "clustering_accuracy", 0.92),
    Target("InfoCatVAE", "fashion-mnist", "clustering accuracy (Hungarian)", "catvae/fashion-mnist/infocatvae/seed-*",
           "clustering_accuracy", 0.65),
    *[Target("InfoCatVAE", ds, what, f"catvae/{ds}/infocatvae/seed-*", key, 0.90, judged=True)
      for ds in ("mnist", "fashion-mnist")
      for key, what in (("judged_prior_samples_mode_class", "prior samples judged as their mode's class"),
                        ("judged_prior_samples_min_mode", "the same, the worst mode"))],
    Target("ML-VAE", "mnist", "swaps that keep the class code's class", "mlvae/mnist/noise-0.1", "swap_class_kept",
           0.97, judged=True),
    Target("ML-VAE", "mnist", "style probe (class read from the style code)", "mlvae/mnist/noise-0.1",
           "style_probe_test_accuracy", 0.25, "lower"),
    Target("ML-VAE", "mnist", "class probe of one image's class code", "mlvae/mnist/noise-0.1",
           "class_probe_test_accuracy_single_image", 0.97),
    Target("ML-VAE", "fashion-mnist", "swaps that keep the class code's class", "mlvae/fashion-mnist/noise-0.1",
           "swap_class_kept", 0.85, stated=_FASHION_MLVAE, judged=True),
    Target("ML-VAE", "fashion-mnist", "style probe (class read from the style code)", "mlvae/fashion-mnist/noise-0.1",
           "style_probe_test_accuracy", 0.30, "lower", stated=_FASHION_MLVAE),
    Target("ML-VAE", "fashion-mnist", "class probe of one image's class code", "mlvae/fashion-mnist/noise-0.1",
           "class_probe_test_accuracy_single_image", 0.85, stated=_FASHION_MLVAE),
    Target("AAE", "mnist", "semi-supervised, 100 labels: test error", "aae/semi_supervised/labels-100", "test_error",
           0.019, "lower"),
    Target("AAE", "mnist", "semi-supervised, 1000 labels: test error", "aae/semi_supervised/labels-1000",
           "test_error", 0.016, "lower"),
    Target("AAE", "mnist", "clustering, 16 clusters: test error", "aae/clustering/clusters-16", "test_error", 0.0955,
           "lower"),
    Target("AAE", "mnist", "clustering, 30 clusters: test error", "aae/clustering/clusters-30", "test_error", 0.041,
           "lower"),
    Target("AAE", "fashion-mnist", "semi-supervised, 100 labels: test error",
           "aae/semi_supervised/labels-100-fashion-mnist", "test_error", 0.25, "lower", stated=_FASHION_AAE),
    Target("AAE", "fashion-mnist", "clustering, 16 clusters: test error", "aae/clustering/clusters-16-fashion-mnist",
           "test_error", 0.40, "lower", stated=_FASHION_AAE),
    *[Target("AAE", "fashion-mnist", f"{head} generations judged as their category's class",
             f"aae/{head}/{setting}-fashion-mnist", "judged_generations_class_kept", 0.70, stated=_FASHION_AAE,
             judged=True)
      for head, setting in (("semi_supervised", "labels-100"), ("clustering", "clusters-16"))],
]


def targets_table(root="records") -> str:
    """Each of TARGETS against the runs under ``root`` (their seeds: reporting.tables.seeded_runs): the bound, ours
    (mean +- std, each seed), whether the mean meets it and on how many seeds, and for a judged number the judge's own
    accuracy. A target whose runs are not recorded, or do not measure its number, says so."""
    lines = ["| system | data set | target | bound % | ours % | seeds | met | judge's own accuracy % | stated in |",
             "|---|---|---|---|---|---|---|---|---|"]
    read: dict = {}                                    # several targets read the same runs: each folder once
    for t in TARGETS:
        if t.run not in read:
            read[t.run] = seeded_runs(root, f"{t.run}/metrics.json")
        groups = read[t.run]
        bound = f"{'>=' if t.better == 'higher' else '<='} {100 * t.bound:g}"
        if not groups:
            lines.append(f"| {t.system} | {t.dataset} | {t.what} | {bound} | no record | - | - | - | {t.stated} |")
            continue
        (runs,) = groups.values()                      # one run folder per target
        try:
            values = [t.number(m) for m in runs]
        except (KeyError, IndexError, TypeError):      # runs made before the number was measured (no judge, ...)
            lines.append(f"| {t.system} | {t.dataset} | {t.what} | {bound} | not measured by its runs | - | - | - | "
                         f"{t.stated} |")
            continue
        seeds_met = sum(t.meets(v) for v in values)
        met = (f"{'yes' if t.meets(float(np.mean(values))) else 'no'} "
               f"({seeds_met} of {len(values)} seed{'s' if len(values) > 1 else ''})")
        judge = (mean_std([m["judge"]["accuracy"] for m in runs], 2, 100.0)
                 if t.judged and all(m.get("judge") for m in runs) else "-")
        lines.append(f"| {t.system} | {t.dataset} | {t.what} | {bound} | {spread(values, 2)} | "
                     f"{', '.join(str(m['seed']) for m in runs)} | {met} | {judge} | {t.stated} |")
    return "\n".join(lines)
