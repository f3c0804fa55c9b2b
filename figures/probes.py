"""main_probes.py's comparison as one figure: every system's code under the same four probes, per data set."""
from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np

from figures.plots import DATASET_TITLES, plt, save

PROBES = [("linear_probe_accuracy", "linear probe"), ("kmeans_accuracy", "k-means (K=10) accuracy"),
          ("kmeans_nmi", "k-means NMI"), ("few_labels_accuracy", "classifier on 100 labels")]


def code_label(code: str, seeds: list[int], most: list[int]) -> str:
    """A code's tick label: its name wrapped, and its seeds when they are not the panel's ``most``."""
    name = "\n".join(textwrap.wrap(code, 16))
    return name if seeds == most else f"{name}\n(seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))})"


def comparison(groups: dict, path) -> Path:
    """Grouped bars, one panel per data set: for each code (reporting.tables.probe_groups: {(data set, code): rows
    over seeds}), the mean of each probe in % (NMI x 100) with the std over seeds as an error bar; a code with fewer
    seeds than the panel's most names them."""
    datasets = list(dict.fromkeys(ds for ds, _ in groups))
    counts = [sum(d == ds for d, _ in groups) for ds in datasets]
    fig, axes = plt.subplots(1, len(datasets), figsize=(1.3 * sum(counts) + 1.5 * len(datasets), 4.8), squeeze=False,
                             gridspec_kw={"width_ratios": counts})
    colors = plt.get_cmap("tab10")
    for ax, ds in zip(axes[0], datasets):
        codes = [code for d, code in groups if d == ds]
        width = 0.8 / len(PROBES)
        for j, (key, label) in enumerate(PROBES):
            values = [100 * np.array([r[key] for r in groups[(ds, code)]]) for code in codes]
            ax.bar(np.arange(len(codes)) + (j - (len(PROBES) - 1) / 2) * width, [v.mean() for v in values], width,
                   yerr=[v.std(ddof=1) if len(v) > 1 else 0 for v in values], capsize=2, color=colors(j),
                   label=label + (" (x 100)" if "nmi" in key else " %"))
        seeds = {code: [r["seed"] for r in groups[(ds, code)]] for code in codes}
        most = max(seeds.values(), key=len)
        ax.set_xticks(range(len(codes)), [code_label(c, seeds[c], most) for c in codes], fontsize=7)
        ax.set_ylim(0, 105)
        ax.set_ylabel("% (NMI x 100)")
        ax.grid(axis="y", alpha=0.3)
        ax.set_title(f"{DATASET_TITLES.get(ds, ds)} test set: the same probes on every code\n"
                     f"(mean +- std over seeds {', '.join(map(str, most))} unless a code says otherwise)", fontsize=9)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(PROBES), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return save(fig, path)
