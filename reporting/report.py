"""results/REPORT.md: every metric of every finished run next to its reference value, read from the runs'
metrics.json files (never typed in). Runs on part of the data (--train_limit, --test_limit, the 5,000-image MNIST
sample: reporting.tables.subset_run) are not comparable with the papers: they never enter the report's rows, except in
a --quick report, which shows them without a verdict.

    python -m reporting.report [results]    # prints the summary and the per-paper tables for every finished run
    python reproduce.py                      # runs what is missing, then writes results/REPORT.md (build_report)
"""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np

from models.catvae import VARIANTS
from reporting.references import (AAE_REFERENCES, CATVAE_REFERENCES, DIGITIZATION_ERROR, FIGURE_COUNTERPARTS,
                                  MLVAE_REFERENCE, MLVAE_REFERENCES, SEQ_KS, SEQ_REFERENCES, Reference)
from reporting.tables import judge_table, judged_table, lookup, read_json, run_minutes, subset_run
from reporting.targets import targets_table
from utils.errors import UserError
from utils.io import save_text


# ----------------------------------------------------------------------------- results/REPORT.md
def judge(mean: float, std: float, n_seeds: int, ref: Reference | None, *, better: str = "higher", key: str = "",
          scale: float = 100.0) -> str:
    """The verdict of our ``mean`` +- ``std`` (over ``n_seeds`` seeds; std 0 with one) against ``ref``, in points
    (values times ``scale``). No verdict for a metric that leaks the test labels (LEAKS_LABELS in its ``key``), a
    CONTEXT reference (another method or protocol: "context only (<its note>)") or an UNVERIFIED one. Otherwise, for
    higher-is-better (lower-is-better mirrored): *meets* when mean - std >= the reference, *beats* when mean - std
    also clears the reference's own spread, *short by X* (X = |mean - reference|) when mean + std is below it, and
    *within our spread* when the reference lies in [mean - std, mean + std]. Only a DIGITIZED reference counts as an
    interval of +- DIGITIZATION_ERROR (0.2 points)."""
    if "LEAKS_LABELS" in key:
        return "leaks labels: context only"
    if ref is None:
        return "no reference value"
    if not ref.same_protocol:
        return f"context only ({ref.note or 'another method or protocol'})"
    if not ref.verified:
        return "unverified reference: no verdict"
    sign = -1.0 if better == "lower" else 1.0                        # work in "higher is better" units
    ours, spread, value = sign * mean * scale, std * scale, sign * ref.value * scale
    tol = DIGITIZATION_ERROR * scale if ref.digitized else 0.0
    eps = 1e-9 * max(1.0, abs(value))
    notes = ["one seed"] if n_seeds == 1 else []
    if ours - spread >= value - tol - eps:
        word = "beats" if ours - spread > value + max(ref.std * scale, tol) + eps else "meets"
        if word == "meets" and ours - spread < value - eps:
            notes.append(f"within the +-{tol:.1f}-point digitization error of the reference")
    elif ours + spread < value - tol - eps:
        word = f"short by {abs(ours - value):.2f}"
        if ref.std and value - (ours + spread) <= ref.std * scale + eps:
            notes.append(f"inside the reference's own +- {ref.std * scale:.2f}")
    else:
        word = "within our spread"
    return word + (f" ({'; '.join(notes)})" if notes else "")


class Row:
    """One line of REPORT.md: our value (mean +- std over the runs' files), the reference, the verdict. ``source``
    fills the source cell of a row without a reference."""

    def __init__(self, metric, setting, files, key, root, ref: Reference | None = None, source="", better="higher",
                 percent=True):
        self.metric, self.setting, self.key, self.better, self.percent = metric, setting, key, better, percent
        self.ref = ref
        self.source = ref.source if ref is not None else source
        self.files = [Path(f) for f in files]
        self.rel = [f.relative_to(root).as_posix() for f in self.files]
        self.values, self.runs = [], []
        self.subset = any(subset_run(f) for f in self.files)       # only in a --quick report (see _kept)
        for f in self.files:
            try:
                m = read_json(f)
                self.runs.append(m)
                self.values.append(float(lookup(m, key)))
            except (ValueError, KeyError, IndexError, TypeError) as e:
                raise UserError(f"{f}: no number at {key!r} ({type(e).__name__}: {e}); rerun that run with "
                                f"--force=true, or delete the file") from None

    def seeds(self) -> list:
        """Each run's seed: from its metrics.json, else from the config.json next to it."""
        out = []
        for f, m in zip(self.files, self.runs):
            if "seed" not in m and (f.parent / "config.json").is_file():
                m = read_json(f.parent / "config.json")
            out.append(m.get("seed", "?"))
        return out

    def scale(self, v: float) -> float:
        return 100 * v if self.percent else v

    def fmt(self, v: float) -> str:
        return f"{v:.2f}" if self.percent else f"{v:.4g}"

    def ours(self) -> str:
        v = np.array([self.scale(x) for x in self.values])
        return self.fmt(v[0]) if len(v) == 1 else f"{self.fmt(v.mean())} +- {self.fmt(v.std(ddof=1))}"

    def reference(self) -> str:
        """The reference cell: value (+- its spread), and "(unverified)" / "(digitized)" where that applies."""
        if self.ref is None:
            return "-"
        text = self.fmt(self.scale(self.ref.value)) + (f" +- {self.fmt(self.scale(self.ref.std))}"
                                                        if self.ref.std else "")
        return f"{text} ({self.ref.status})" if self.ref.status else text

    def verdict(self) -> str:
        """:func:`judge` on the mean and sample std over the seeds; none for a run on part of the data."""
        if self.subset:
            return "subset run: no verdict"
        v = np.asarray(self.values, dtype=float)
        std = float(v.std(ddof=1)) if len(v) > 1 else 0.0
        return judge(float(v.mean()), std, len(v), self.ref, better=self.better, key=self.key,
                     scale=100.0 if self.percent else 1.0)

    def markdown(self) -> str:
        seeds = ", ".join(str(s) for s in self.seeds())
        devices = ", ".join(sorted({str(m.get("device", "?")) for m in self.runs}))
        minutes = np.mean([run_minutes(m) for m in self.runs])
        return (f"| {self.metric} | {self.setting} | {self.ours()} | {seeds} | {self.reference()} | "
                f"{self.source or '-'} | {self.verdict()} | {minutes:.1f} | {devices} | `{self.key}` in "
                f"{', '.join(self.rel)} |")


HEADER = ("| metric | setting | ours | seeds | reference | reference source | verdict | minutes per run | device | "
          "from |\n|---|---|---|---|---|---|---|---|---|---|")


def _kept(files, quick: bool) -> list[Path]:
    """The runs a report may use: in a --quick report all of them, else only those that saw the full data."""
    return [Path(f) for f in files if quick or not subset_run(f)]


def _seed_files(root: Path, rel: str, quick: bool = False) -> list[Path]:
    """``rel`` under the first seed's folder (``root``) and under every ``root/seed-<s>/``, where present (see
    _kept)."""
    return _kept([p for p in [root / rel, *sorted(root.glob(f"seed-*/{rel}"))] if p.is_file()], quick)


def _runs(root: Path, pattern: str, quick: bool = False):
    """(metrics.json path, its seed files) for every run matching ``pattern`` under ``root`` that has files left
    (see :func:`_seed_files`)."""
    for path in sorted(root.glob(pattern)):
        files = _seed_files(root, path.relative_to(root).as_posix(), quick)
        if files:
            yield path, files


def seq_rows(root: Path, ks=SEQ_KS, quick: bool = False) -> list[Row]:
    """Softmax baseline and quantizer accuracy for every K of the paper's figure that the run has (``ks``), and
    the decoder's numbers."""
    rows = []
    for path, files in _runs(root, "seq/*/*/metrics.json", quick):
        ds, arch = path.parts[-3], path.parts[-2]
        rows.append(Row("softmax classifier, test accuracy %", f"{ds} {arch}", files, "softmax_test_accuracy", root,
                        SEQ_REFERENCES.get((ds, arch, "softmax")),
                        source="the paper's black line is for one encoder only"))
        run_ks = {r["k"] for r in read_json(files[0]).get("quantizer", [])}
        for k in ks:
            if k in run_ks:
                rows.append(Row(f"SEQ quantizer K={k}, test accuracy %", f"{ds} {arch}", files,
                                f"quantizer[k={k}].test_accuracy", root, SEQ_REFERENCES.get((ds, arch, k))))
    for path, files in _runs(root, "seq/*/*/decoder/metrics.json", quick):
        ds, arch = path.parts[-4], path.parts[-3]
        rows.append(Row("decoder, test MSE per pixel", f"{ds} {arch}", files, "test_mse", root, better="lower",
                        percent=False, source="the paper reports figures only"))
        for mode in ("same_cluster", "across_clusters"):
            rows.append(Row(f"convex combinations ({mode.replace('_', ' ')}) keep the class, %", f"{ds} {arch}",
                            files, f"convex_{mode}.class_kept", root, source="the paper reports figures only"))
    return rows


def catvae_rows(root: Path, quick: bool = False) -> list[Row]:
    rows = []
    for ds_dir in sorted(root.glob("catvae/*/")):
        for variant in ("catvae", "infocatvae"):
            files = _kept(sorted(ds_dir.glob(f"{variant}/seed-*/metrics.json")), quick)
            if not files:
                continue
            name = VARIANTS[variant]
            rows.append(Row(f"{name} clustering accuracy % (Hungarian, test)", ds_dir.name, files,
                            "clustering_accuracy", root, CATVAE_REFERENCES.get(ds_dir.name)))
            rows.append(Row(f"{name} NMI", ds_dir.name, files, "nmi", root, percent=False,
                            source="no reference value reported"))
    return rows


def mlvae_rows(root: Path, quick: bool = False) -> list[Row]:
    """Our probes next to the reference repository's table: context only (another protocol, MLVAE_REFERENCES); the
    row grouped by true label leaks the labels and never gets a verdict."""
    src = MLVAE_REFERENCE["source"].split(" (")[0]
    rows = []
    for path, files in _runs(root, "mlvae/*/*/metrics.json", quick):
        ds, setting = path.parts[-3], path.parts[-2]
        noise = read_json(files[0]).get("group_noise_std")

        def ref(evidence, column):          # the reference repository ran MNIST only
            r = MLVAE_REFERENCES.get((noise, evidence, column)) if ds == "mnist" else None
            return None if r is None else replace(r, source=src)

        rows += [
            Row("class code of one image, test probe accuracy %", f"{ds} {setting}", files,
                "class_probe_test_accuracy_single_image", root, ref("none", "class_test")),
            Row("style code, test probe accuracy % (lower = less class in the style)", f"{ds} {setting}", files,
                "style_probe_test_accuracy", root, ref("none", "style_test"), better="lower"),
            Row("class code grouped by TRUE label (leaks labels), test probe %", f"{ds} {setting}", files,
                "class_probe_test_accuracy_grouped_by_true_label_LEAKS_LABELS", root,
                ref("true labels (leaks labels)", "class_test")),
            Row("swaps that keep the column's class, %", f"{ds} {setting}", files, "swap_class_kept", root,
                source="the reference reports figures only"),
        ]
    return rows


def aae_rows(root: Path, quick: bool = False) -> list[Row]:
    rows = []
    for path, files in _runs(root, "aae/*/*/metrics.json", quick):
        head, setting = path.parts[-3], path.parts[-2]
        m = read_json(files[0])
        ref = AAE_REFERENCES.get((head, setting))
        setting = f"{head}/{setting}, {m.get('epochs', '?')} epochs"      # runs shorter than the default show it
        missing = ("the paper runs MNIST only (targets stated in docs/aae.md)" if m.get("dataset", "mnist") != "mnist"
                   else "not found in the paper (docs/originals.md 3.9)")
        if "test_error" in m:
            rows.append(Row("test error %", setting, files, "test_error", root, ref, source=missing, better="lower"))
        if "style_probe_test_accuracy" in m:
            rows.append(Row("label probe on the style code z, test accuracy %", setting, files,
                            "style_probe_test_accuracy", root, better="lower", source="not reported"))
        rows.append(Row("reconstruction MSE per pixel, test", setting, files, "test_recon_mse", root,
                        better="lower", percent=False, source="not reported"))
    return rows


# The figures README.md, docs/ and REPORT.md show: (the run's file under results/, its committed copy under
# docs/figures/; reporting.records copies them).
FIGURES = [
    ("seq/accuracy_vs_clusters.png", "seq_accuracy_vs_clusters.png"),      # drawn from records/ (reproduce.py)
    ("seq/mnist/cae4/decoder/convex_same_cluster.png", "seq_mnist_convex_same_cluster.png"),
    ("seq/mnist/cae4/decoder/subclass_styles.png", "seq_mnist_subclass_styles.png"),
    ("catvae/mnist/infocatvae/seed-0/samples_by_cluster.png", "catvae_mnist_infocatvae_samples_by_cluster.png"),
    ("mlvae/mnist/noise-0.1/swap_no_evidence.png", "mlvae_mnist_swap_no_evidence.png"),
    ("aae/clustering/clusters-16/clusters.png", "aae_clustering_16_clusters.png"),
]

SECTIONS = [
    ("SEQ, Supervised-Encoding Quantizer (arXiv 1910.11067)", "seq", seq_rows,
     "python main_encoder.py; python main_decoder_mnist.py; python main_decoder_fmnist.py"),
    ("CatVAE / InfoCatVAE (arXiv 1806.08240)", "catvae", catvae_rows, "python main_catvae.py"),
    ("Multi-Level VAE (arXiv 1705.08841)", "mlvae", mlvae_rows, "python main_mlvae.py"),
    ("Adversarial autoencoder heads (arXiv 1511.05644)", "aae", aae_rows, "python main_aae.py --head=all"),
]


def figure_lines(root: Path, part: str, quick: bool = False) -> list[str]:
    """A table: each kind of figure, the runs' files (links relative to REPORT.md), the original's counterpart; a
    figure in the folder of a run on part of the data only in a --quick report."""
    by_name: dict = {}
    for png in sorted(root.glob(f"{part}/**/*.png")):
        if not quick and (png.parent / "metrics.json").is_file() and subset_run(png.parent / "metrics.json"):
            continue
        by_name.setdefault(png.name, []).append(png.relative_to(root).as_posix())
    if not by_name:
        return []
    lines = ["| figure | ours | the original's counterpart |", "|---|---|---|"]
    for name, paths in by_name.items():
        links = ", ".join(f"[{p.rsplit('/', 1)[0]}]({p})" for p in paths)
        lines.append(f"| {name} | {links} | {FIGURE_COUNTERPARTS.get(name, '-')} |")
    return lines


def committed_figure_lines(figures: Path, part: str, link_base: Path) -> list[str]:
    """The committed copies (reporting.records.FIGURES under ``figures``) of ``part``'s figures, linked relative to
    ``link_base`` (the folder of REPORT.md), next to the original's counterpart."""
    lines = []
    for src, name in FIGURES:
        if src.startswith(f"{part}/") and (figures / name).is_file():
            link = Path(os.path.relpath(figures / name, link_base)).as_posix()
            lines.append(f"| {src.rsplit('/', 1)[-1]} | [{src}]({link}) | "
                         f"{FIGURE_COUNTERPARTS.get(src.rsplit('/', 1)[-1], '-')} |")
    return ["| figure | ours (a committed copy) | the original's counterpart |", "|---|---|---|", *lines] if lines else []


def left_out_runs(root: Path, part: str) -> list[str]:
    """The runs of ``part`` (under ``root`` and its seed-<s>/ folders) that saw only part of the data."""
    found = [*root.glob(f"{part}/**/metrics.json"), *root.glob(f"seed-*/{part}/**/metrics.json")]
    return [p.parent.relative_to(root).as_posix() for p in sorted(found) if subset_run(p)]


def build_report(out_dir="results", *, title_note: str = "", failed=(), quick: bool = False, source: str = "",
                 figures: Path | None = None, link_base: Path | None = None) -> str:
    """REPORT.md: per paper, every metric with ours (from the runs' metrics.json files) next to the reference. Runs
    on part of the data are left out (and listed), or with ``quick`` (a --quick report) shown without a verdict."""
    root = Path(out_dir)
    out = [f"# Reproduction report{title_note}", "",
           "Written by `python reproduce.py` (after its runs, or alone with `--report_only=true`) from the runs' "
           f"metrics.json files under `{source or root}`; every device and time is the run's own. Every number in the "
           "*ours* column is the mean (+- the standard deviation over seeds, when there are several) of the value "
           "named in *from*, read from those metrics.json files; nothing is typed in. Reference values and their "
           "sources are in reporting/references.py, each marked verified or not and measured the same way as ours "
           "or not. **Verdicts** set our whole spread (mean +- std over seeds; std 0 with one seed, and then the "
           "verdict says *one seed*) against the reference, in the metric's better direction (written for "
           "higher-is-better; mirrored for error rates and other lower-is-better metrics): *meets* = mean - std >= "
           "the reference; *beats* = mean - std above the reference plus its own stated spread; *short by X* = "
           "mean + std below the reference (X = the gap between our mean and it); *within our spread* = the "
           "reference lies between mean - std and mean + std. Only the digitized SEQ figure gets a tolerance: its "
           "values count as +-0.2 points (the digitization error). No verdict is given against a reference from "
           "another method or protocol (*context only*: the CatVAE rows, set against peers such as VaDE and DEC "
           "because the CatVAE paper's numbers could not be retrieved, and the ML-VAE rows, whose reference is an "
           "MLP classifier on sampled codes where ours are linear probes on posterior means), against an "
           "unverified reference (recalled from a paper, or hearsay: *unverified* in the reference column, "
           "*unverified reference: no verdict*), nor for a metric that leaks the test labels (*leaks labels: "
           "context only*). Minutes are per run (training summed over its epochs, plus evaluation). "
           + ("Runs on part of the data (subset runs) have no verdict: their numbers are not comparable with the "
              "papers." if quick else "Runs on part of the data (subset runs) are left out: their numbers are not "
              "comparable with the papers."), ""]
    if failed:
        out += [f"**Runs that failed this time:** {', '.join(failed)}.", ""]
    for title, part, fn, command in SECTIONS:
        rows = fn(root, quick=quick)
        out += [f"## {title}", ""]
        left_out = [] if quick else left_out_runs(root, part)
        if left_out:
            out += [f"Subset runs left out: {', '.join(left_out)}.", ""]
        if not rows:
            out += [f"No finished runs yet: `{command}` (or `python reproduce.py`).", ""]
            continue
        out += [HEADER, *[r.markdown() for r in rows], ""]
        figs = (committed_figure_lines(figures, part, link_base or figures.parent) if figures is not None
                else figure_lines(root, part, quick))
        if figs:
            out += ["Figures:", "", *figs, ""]
    if not quick:                                     # a --quick report's runs saw part of the data: no targets
        out += ["## Issue 27's targets", "",
                "Each target of issue 27 (and the Fashion-MNIST targets the docs stated before that data set's first "
                "run) against the recorded seeds: met when their mean is on the target's side "
                "(reporting/targets.py).", "", targets_table(root), ""]
    out += ["## Generated images, judged independently (docs/judge.md)", "",
            "The judges (`python main_judge.py`), then every score they give with the judge's own accuracy beside it "
            "(no reference and no verdict: issue 27's targets are in docs/judge.md and the papers' docs).", "",
            judge_table(root, subsets=quick), "", judged_table(root, subsets=quick), ""]
    return "\n".join(out)


def summary_table(out_dir="results") -> str:
    """The README's copy of the report: the rows that have a reference value (SEQ: five of the twelve K), without
    the provenance columns (REPORT.md has them)."""
    root = Path(out_dir)
    lines = ["| paper | metric | setting | ours | seeds | reference | verdict | minutes per run |",
             "|---|---|---|---|---|---|---|---|"]
    for title, part, fn, _ in SECTIONS:
        for row in (seq_rows(root, ks=(10, 20, 50, 100, 120)) if part == "seq" else fn(root)):
            if row.ref is not None:
                minutes = np.mean([run_minutes(m) for m in row.runs])
                lines.append(f"| {title.split(' (')[0].split(',')[0]} | {row.metric} | {row.setting} | {row.ours()} | "
                             f"{', '.join(str(s) for s in row.seeds())} | {row.reference()} | {row.verdict()} | "
                             f"{minutes:.1f} |")
    return "\n".join(lines)


def write_report(out_dir="results", path: Path | None = None, **kwargs) -> Path:
    """REPORT.md of the runs under ``out_dir``, written to ``path`` (default: <out_dir>/REPORT.md)."""
    path = Path(path) if path is not None else Path(out_dir) / "REPORT.md"
    save_text(path, build_report(out_dir, **kwargs) + "\n")
    return path


if __name__ == "__main__":
    import sys

    print(f"## Summary of REPORT.md (rows with a reference value)\n\n{summary_table(sys.argv[1] if len(sys.argv) > 1 else 'results')}")
