"""Tables of finished runs, read from their metrics.json files (never typed in): Markdown for the docs and plain
text for the scripts' closing log lines. The docs' tables leave out runs on part of the data (subset_run): their
numbers are not comparable with the papers.

    python -m reporting.tables [results]          # prints every table for the runs under results/
    python -m reporting.records --seq records     # one table (the README's and docs' generated blocks name theirs)

A folder of runs has the layout reproduce.py gives it (results/, or records/, its text-only copy): seed 0 at the top,
every other seed under seed-<s>/ (reporting.plan.seed_root); the CatVAE's folders carry the seed themselves.
"""
from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import numpy as np

from models.aae import AAE
from models.catvae import VARIANTS, CatVAE
from models.mlvae import MLVAE
from reporting.references import AAE_REFERENCES, CLUSTERING_PEER_REFERENCES, SEQ_KS, SEQ_PAPER
from utils.datasets import is_subset
from utils.config import script_header
from utils.errors import UserError
from utils.io import REPO, file_digest

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


_INDEX = re.compile(r"^(\w+)\[(?:(\w+)=([^\]]+)|(-?\d+))\]$")


def lookup(metrics: dict, key: str):
    """The value at ``key`` in a metrics dict: dotted names, ``name[3]`` (list index) or ``name[k=120]`` (the list
    element whose field k equals 120). A KeyError names the part that is missing."""
    value = metrics
    for part in key.split("."):
        m = _INDEX.match(part)
        if not m:
            value = value[part]
            continue
        items = value[m.group(1)]
        if m.group(4) is not None:
            value = items[int(m.group(4))]
            continue
        field, want = m.group(2), m.group(3)
        found = [it for it in items if str(it.get(field)) == want]
        if not found:
            raise KeyError(f"{m.group(1)}[{field}={want}]")
        value = found[0]
    return value


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


def run_minutes(m: dict) -> float:
    """Minutes of one run: training summed over its epochs (valid across --resume) plus this run's evaluation and
    figures and any set-up every run repeats (the CatVAE's VAT radii)."""
    s = m.get("seconds", {})
    if "train_epochs_sum" in s:
        return (s["train_epochs_sum"] + s.get("vat_radii", 0.0) + s.get("total", s["train"]) - s["train"]) / 60
    if "this_run_training" in s:                                  # SEQ encoder / decoder: train = sum over epochs
        return (s["train"] + s["this_run"] - s["this_run_training"]) / 60
    return s.get("total", s.get("this_run", 0.0)) / 60


def _pct(values, digits: int = 1) -> str:
    values = np.asarray(values, dtype=float) * 100
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} +- {values.std(ddof=1):.{digits}f}"


_SEED_DIR = re.compile(r"^seed-\d+$")

# Arguments that do not change what a run computes, so runs that differ in them are the same recipe: how a run is
# carried out; where it goes, where the data are read and which judge scores it (the same data or judge in another
# folder are the same, and so is the encoder run a decoder reads); which runs one call of a script makes (a user's
# `python main_catvae.py` makes the three seeds that reproduce.py makes one by one; the run's folder already names its
# data set, encoder, variant, seed, head and setting); and the systems and run folders a probe read (main_probes.py
# records them: they differ per seed, and a system's probes can join a record later). reporting.plan does not compare
# them with a finished run either.
NOT_SETTINGS = {"progress", "device", "resume", "overwrite", "out_dir", "data_dir", "runs_dir", "judge",
                "datasets", "archs", "variants", "seeds", "head", "values", "runs", "systems", "encoder_dir",
                "data_source", "device_used", "cpu", "gpu", "threads", "torch_version"}   # where and how a run went


# Settings added to a script after some of its runs were recorded, with the value those runs had (the model's
# ADDED_CONFIG): a config.json without the key counts with this value, whatever the script's default has become since.
# A CatVAE run made before main_catvae.py's restarts trained once, and before its restart_criterion kept the most
# confident training; an AAE run made before --lr_decay kept its rates.
PREDATING = {"main_mlvae.py": MLVAE.ADDED_CONFIG,
             "main_catvae.py": {**CatVAE.ADDED_CONFIG, "restarts": 1, "restart_criterion": "confidence"},
             "main_aae.py": {**AAE.ADDED_CONFIG, "lr_decay": 0.0, "restarts": 1,
                             "restart_criterion": "highest_vat"}}


def with_predating(script: str, config: dict) -> dict:
    """``config`` (a run's config.json) with the PREDATING settings of ``script`` that it does not record."""
    return {**PREDATING.get(script, {}), **config}


def recipe_differences(configs: list[dict]) -> list[str]:
    """The settings that the config.json files ``configs`` of one row's seeds record with more than one value, as
    "key (a, b)"; keys in NOT_SETTINGS, the seed, and keys a run does not record (it predates them) are not
    compared."""
    out = []
    for key in sorted({k for c in configs for k in c} - NOT_SETTINGS - {"seed"}):
        values = [json.dumps(c[key], sort_keys=True) for c in configs if key in c]
        if len(set(values)) > 1:
            out.append(f"{key} ({', '.join(dict.fromkeys(values))})")
    return out


def seeded_runs(root, pattern: str, split: str = "test", subsets: bool = False,
                script: str = "") -> dict[str, list[dict]]:
    """The runs matching ``pattern`` under ``root`` and under ``root/seed-<s>/`` that saw the full data (any, with
    ``subsets``: a --quick report) and were scored on ``split``, grouped by run folder without its seed-<s> parts (so
    the seeds of one setting share a key), each group sorted by seed. A run's seed is in its metrics.json, or in its
    config.json (older runs). A group whose seeds' config.json differ in a setting (recipe_differences) is refused;
    a setting of ``script`` that a run predates counts with the value such runs had (PREDATING)."""
    root = Path(root)
    groups: dict = {}
    for path in sorted({*root.glob(pattern), *root.glob(f"seed-*/{pattern}")}):
        m = read_json(path)
        config_path = path.parent / "config.json"
        config = with_predating(script, read_json(config_path) if config_path.is_file() else {})
        if not subsets and subset_of(m, config) or m.get("eval_split", "test") != split:
            continue
        m.setdefault("seed", config.get("seed", 0))
        key = "/".join(p for p in path.relative_to(root).parent.parts if not _SEED_DIR.match(p))
        groups.setdefault(key, []).append((m, config))
    for key, runs in groups.items():
        if mixed := recipe_differences([config for _, config in runs]):
            raise UserError(f"{root / key}: its seeds ({_seeds([m for m, _ in runs])}) were run with different "
                            f"settings: {'; '.join(mixed)}; one row must be one recipe (rerun the odd seeds with "
                            "python reproduce.py, or remove their folders)")
    return {key: sorted((m for m, _ in runs), key=lambda m: m["seed"]) for key, runs in sorted(groups.items())}


def spread(values, digits: int = 2, scale: float = 100.0) -> str:
    """``mean +- std (each seed)`` of ``values`` times ``scale`` (std over seeds, ddof 1); one value says so."""
    v = np.asarray(values, dtype=float) * scale
    if len(v) == 1:
        return f"{v[0]:.{digits}f} (one seed)"
    return f"{v.mean():.{digits}f} +- {v.std(ddof=1):.{digits}f} ({', '.join(f'{x:.{digits}f}' for x in v)})"


def mean_std(values, digits: int = 3, scale: float = 1.0) -> str:
    """``mean +- std`` of ``values`` times ``scale`` without the per-seed values (:func:`spread`)."""
    return spread(values, digits, scale).split(" (")[0]


def _seeds(ms: list[dict]) -> str:
    return ", ".join(str(m["seed"]) for m in ms)


def _none(what: str, command: str, columns: int) -> str:
    """The one row of a table of ``columns`` columns that has no runs yet."""
    return "| " + f"no {what} recorded yet (`{command}`)" + " |" * (columns - 1) + " |"


ARCH_NAMES = {"cae4": "CAE-4", "lae4": "LAE-4", "lae2": "LAE-2"}


def _dataset_order(key: str) -> int:
    """The rank of the data set named by ``key``: a data set, or a run folder such as seq/mnist/cae4."""
    ds = key.split("/")[1] if "/" in key else key
    return ORDER.index(ds) if ds in ORDER else len(ORDER)


def seq_table(root="results", ks=(10, 20, 50, 100, 120)) -> str:
    """SEQ's test accuracy %: the softmax classifier and the quantizer at ``ks`` clusters, mean +- std over seeds
    and each seed, per data set and encoder, each cell followed by "/ the paper's value" (read off its figure 3,
    digitized, +-0.2 points; its softmax line is drawn for CAE-4 only)."""
    runs = seeded_runs(root, "seq/*/*/metrics.json")
    arch_rank = {a: i for i, a in enumerate(ARCH_NAMES)}
    lines = ["| data set | encoder | seeds | softmax (ours / paper) | " + " | ".join(f"K={k}" for k in ks) + " |",
             "|---|---|---|---|" + "---|" * len(ks)]
    for key in sorted(runs, key=lambda k: (_dataset_order(k), arch_rank.get(k.split("/")[-1], 9), k)):
        ms = runs[key]
        ds, arch = ms[0]["dataset"], ms[0]["arch"]
        paper = SEQ_PAPER.get(ds, {})
        ref = dict(zip(SEQ_KS, paper.get(arch, [])))
        if arch == "cae4" and "softmax" in paper:
            ref["softmax"] = paper["softmax"]

        def cell(values, k):
            return spread(values) + (f" / {100 * ref[k]:.1f}" if k in ref else "")

        acc = [{r["k"]: r["test_accuracy"] for r in m.get("quantizer", [])} for m in ms]
        cells = [cell([a[k] for a in acc], k) if all(k in a for a in acc) else "-" for k in ks]
        lines.append(f"| {ds} | {ARCH_NAMES.get(arch, arch)} | {_seeds(ms)} | "
                     f"{cell([m['softmax_test_accuracy'] for m in ms], 'softmax')} | " + " | ".join(cells) + " |")
    if len(lines) == 2:
        lines.append(_none("SEQ runs", "python main_encoder.py", 4 + len(ks)))
    return "\n".join(lines)


seq_seed_table = seq_table


def decoder_table(root="results") -> str:
    """The SEQ decoders: test reconstruction loss and how often convex combinations keep their class (judged by
    the frozen encoder), mean +- std over seeds and each seed."""
    runs = seeded_runs(root, "seq/*/*/decoder/metrics.json")
    lines = ["| data set | encoder | seeds | test BCE per pixel | same-cluster combinations keep the class % | "
             "across-cluster combinations keep the class % | the same, independent judge, anchors left out % "
             "(judge's accuracy) | minutes per run |", "|---|---|---|---|---|---|---|---|"]
    for key in sorted(runs, key=lambda k: (_dataset_order(k), k)):
        ms = runs[key]
        judged = "-"
        if all(m.get("judge") for m in ms):
            judged = (f"{mean_std([m['judged_convex_same_cluster'] for m in ms], 1, 100.0)} / "
                      f"{mean_std([m['judged_convex_across_clusters'] for m in ms], 1, 100.0)} "
                      f"({mean_std([m['judge']['accuracy'] for m in ms], 2, 100.0)})")
        lines.append(f"| {ms[0]['dataset']} | {ARCH_NAMES.get(ms[0]['arch'], ms[0]['arch'])} | {_seeds(ms)} | "
                     f"{spread([m['test_bce'] for m in ms], 4, 1)} | "
                     f"{spread([m['convex_same_cluster']['class_kept'] for m in ms], 1)} | "
                     f"{spread([m['convex_across_clusters']['class_kept'] for m in ms], 1)} | {judged} | "
                     f"{np.mean([run_minutes(m) for m in ms]):.1f} |")
    if len(lines) == 2:
        lines.append(_none("decoder runs", "python main_decoder_mnist.py", 8))
    return "\n".join(lines)


def catvae_table(root="results") -> str:
    """Per data set and variant: clustering accuracy % (Hungarian), NMI, ARI, test -ELBO, the settings that differ
    between data sets, minutes per run, over seeds; then the peers' published accuracy (other methods: context, no
    verdict)."""
    groups: dict = {}
    for ms in seeded_runs(root, "catvae/*/*/seed-*/metrics.json", script="main_catvae.py").values():
        for m in ms:
            groups.setdefault((m["dataset"], m["variant"]), []).append(m)
    lines = ["| data set | model | seeds | clustering accuracy % | NMI | ARI | test -ELBO (nats) | lambda "
             "| encoder layers | epochs | trainings per run | precision | minutes per run |", "|---" * 13 + "|"]
    for (ds, variant), ms in sorted(groups.items(), key=lambda kv: (_dataset_order(kv[0][0]), kv[0][1])):
        ms = sorted(ms, key=lambda m: m["seed"])
        precisions = ", ".join(sorted({m.get("precision", "fp32") for m in ms}))     # mixed seeds show both
        def each(value):                                   # mixed seeds show every value
            return ", ".join(f"{v:g}" for v in sorted({value(m) for m in ms}))
        scales = each(lambda m: m["model_config"]["scale"])
        layers = each(lambda m: m["model_config"].get("encoder_layers", CatVAE.ADDED_CONFIG["encoder_layers"]))
        epochs = each(lambda m: len(m["history"])) if all("history" in m for m in ms) else "-"
        trainings = each(lambda m: len(m.get("restarts", [None])))
        lines.append(f"| {ds} | {ms[0]['model']} | {_seeds(ms)} | {spread([m['clustering_accuracy'] for m in ms], 1)} | "
                     f"{mean_std([m['nmi'] for m in ms])} | "
                     f"{mean_std([m['ari'] for m in ms])} | "
                     f"{np.mean([m['test_elbo']['neg_elbo'] for m in ms]):.1f} | {scales} | {layers} | {epochs} | "
                     f"{trainings} | {precisions} | "
                     f"{np.mean([run_minutes(m) for m in ms]):.1f} |")
    if len(lines) == 2:
        lines.append(_none("CatVAE runs", "python main_catvae.py", 13))
    for ds in sorted({k[0] for k in groups}, key=_dataset_order):
        peers = "; ".join(f"{name} {ref.percent_text(1)}" for name, ref in CLUSTERING_PEER_REFERENCES.get(ds, []))
        if peers:
            lines.append(f"| {ds} | other methods (context; sources in docs/references.md) | | {peers} "
                         "| | | | | | | | | |")
    return "\n".join(lines)


def _seed_groups(root, kind: str, training=None) -> list[tuple[str, str, str, list[dict]]]:
    """(data set, selection, candidate, its runs by seed) for every validation-split selection candidate of
    ``kind`` (checkpoint_kind) with three or more recorded seeds, and, with ``training`` (a run's metrics and one entry
    of its ``restarts`` -> that training as a run's metrics), for every run of three or more restarts (candidate
    "<candidate>-seed<s>, its trainings"); copies of the same runs (record_same_run, or a restart that is another
    record's run) once: a group whose runs all belong to a larger group (a selection that added seeds to another's
    runs) or to one listed before it is left out, so that no ranking is counted twice."""
    groups: dict = {}
    for path in sorted(Path(root).glob("selections/*/*/metrics.json")):
        m = read_json(path)
        if m.get("checkpoint_kind") == kind and m.get("eval_split") == "val" and m.get("history"):
            sel, cand = path.parent.parent.name, _SEED_SUFFIX.sub("", path.parent.name)
            groups.setdefault((m["dataset"], sel, cand), []).append(m)
            if training is not None and len(m.get("restarts", [])) >= 3:
                groups[(m["dataset"], sel, f"{path.parent.name}, its trainings")] = [
                    {**training(m, t), "seed": t["training_seed"]} for t in m["restarts"]]
    kept, seen = [], []   # the groups kept, and each one's runs by seed and score (a copy has both)
    for (ds, sel, cand), ms in sorted(groups.items(), key=lambda kv: (-len(kv[1]), _dataset_order(kv[0][0]),
                                                                       kv[0][1:])):
        runs = frozenset((m["seed"], round(m.get("test_error", m.get("clustering_accuracy")), 4)) for m in ms)
        if len(ms) >= 3 and not any(runs <= other for other in seen):
            kept.append((ds, sel, cand, sorted(ms, key=lambda m: m["seed"])))
            seen.append(runs)
    return sorted(kept, key=lambda g: (_dataset_order(g[0]), g[1:3]))


def _tally(tally: dict, key, scores: list, pick: int, higher_is_better: bool) -> None:
    """Count, under ``key``, whether the seed a criterion ranks first (``pick``) is its group's best and its worst."""
    best, worst = (max, min) if higher_is_better else (min, max)
    t = tally.setdefault(key, {"groups": 0, "best": 0, "worst": 0, "picked": [], "all": []})
    t["groups"] += 1
    t["best"] += scores[pick] == best(scores)
    t["worst"] += scores[pick] == worst(scores)
    t["picked"].append(scores[pick])
    t["all"].append(float(np.mean(scores)))


def _with_tally(lines: list[str], tally: dict, unit: str, what: str, columns: int) -> str:
    """A ranking table's ``lines`` (header and rows), then one line per key of its ``tally`` (by data set): how often
    the criterion's seed was its group's best and its worst, and the mean ``unit`` of its seeds against the groups'."""
    if len(lines) == 2:
        return "\n".join([*lines, _none(what, "python reproduce.py --parts=selections", columns)])
    ordered = sorted(tally.items(), key=lambda kv: (_dataset_order(kv[0][0]), kv[0][1:]))
    return "\n".join([*lines, "", *(
        f"- {', '.join(key)}: best seed in {t['best']} of {t['groups']} groups, worst in {t['worst']}; its seeds' "
        f"{unit} averages {100 * np.mean(t['picked']):.2f} % against the groups' {100 * np.mean(t['all']):.2f} %"
        for key, t in ordered)])


def catvae_confidence_table(root="records") -> str:
    """The evidence behind main_catvae.py's restarts and its restart_criterion: per validation-split selection
    candidate of CatVAE runs with three or more seeds, and per run of three or more restarts (copies of the same runs
    listed once), the clustering accuracy of each seed, two label-free statistics of each seed's last training epoch,
    and the accuracy of the seed that each ranks first against the best seed's: the mean kl_c on the training images
    (KL(q(c|x) || uniform), how confidently the encoder assigns clusters; the highest ranks first) and the mean
    balance term (KL(batch mean of q(c|x) || uniform), how evenly a batch spreads over the clusters, as the training
    logged it; the lowest ranks first). Below the table, per data set: how often each criterion's seed is its group's
    best and its worst, and the mean accuracy of the seeds each ranks first against the mean of all."""
    lines = ["| data set | model | selection, candidate | seeds | clustering accuracy % | last-epoch kl_c of each "
             "seed | the most confident seed's accuracy % | last-epoch balance of each seed | the most even seed's "
             "accuracy % | the best seed's accuracy % |", "|---" * 10 + "|"]
    tally: dict = {}
    trainings = lambda m, t: {"model": m["model"], "clustering_accuracy": t["clustering_accuracy"],
                              "history": [{"kl_c": t["confidence_kl_c"], "balance": t.get("balance")}]}
    for ds, sel, cand, ms in _seed_groups(root, "catvae", trainings):
        acc = [m["clustering_accuracy"] for m in ms]
        confidence = [m["history"][-1]["kl_c"] for m in ms]
        balance = [m["history"][-1].get("balance") for m in ms]
        picks = {"confidence": int(np.argmax(confidence))}
        if None not in balance:                   # a run with the balance term off logs none
            picks["balance"] = int(np.argmin(balance))
        for name, i in picks.items():
            _tally(tally, (ds, f"kept by {name}"), acc, i, higher_is_better=True)
        even = (f"{', '.join(f'{b:.4f}' for b in balance)} | {100 * acc[picks['balance']]:.1f}" if "balance" in picks
                else "- | -")
        lines.append(f"| {ds} | {ms[0]['model']} | {sel}, {cand} | {_seeds(ms)} | {spread(acc, 1)} | "
                     f"{', '.join(f'{c:.3f}' for c in confidence)} | {100 * acc[picks['confidence']]:.1f} | {even} | "
                     f"{100 * max(acc):.1f} |")
    return _with_tally(lines, tally, "clustering accuracy", "validation-split CatVAE selections", 10)


def aae_vat_ranking_table(root="records") -> str:
    """A lead for ranking AAE trainings without labels: per validation-split selection candidate of AAE runs with VAT
    and three or more seeds, and per run of three or more restarts (copies of the same runs listed once), the
    validation error of each seed, the mean VAT loss of its last training epoch (a number from the training images,
    no labels), and the error of the seed with the lowest and with the highest VAT loss against the best seed's. Below
    the table, per data set, head and setting: how often each end of the ranking is its group's best and its worst
    seed."""
    lines = ["| data set | head, setting | selection, candidate | seeds | error % | last-epoch VAT loss of each seed | "
             "the lowest-VAT seed's error % | the highest-VAT seed's error % | the best seed's error % |",
             "|---" * 9 + "|"]
    tally: dict = {}
    trainings = lambda m, t: {"head": m["head"], "setting": m["setting"], "test_error": t["test_error"],
                              "history": [{"vat": t["last_epoch_vat"]}]}
    for ds, sel, cand, ms in _seed_groups(root, "aae", trainings):
        vat = [m["history"][-1].get("vat") for m in ms]
        if None in vat or len({(m["head"], m["setting"]) for m in ms}) > 1:
            continue                              # no VAT term, or several settings under one candidate
        err = [m["test_error"] for m in ms]
        low, high = int(np.argmin(vat)), int(np.argmax(vat))
        for name, i in (("the lowest VAT loss", low), ("the highest VAT loss", high)):
            _tally(tally, (ds, ms[0]["head"], ms[0]["setting"], f"kept by {name}"), err, i, higher_is_better=False)
        lines.append(f"| {ds} | {ms[0]['head']}, {ms[0]['setting']} | {sel}, {cand} | {_seeds(ms)} | "
                     f"{spread(err, 2)} | {', '.join(f'{v:.4f}' for v in vat)} | {100 * err[low]:.2f} | "
                     f"{100 * err[high]:.2f} | {100 * min(err):.2f} |")
    return _with_tally(lines, tally, "error", "validation-split AAE selections with VAT", 9)


def mlvae_swaps(root="results") -> str:
    """The ML-VAE's headline numbers per setting, over seeds: linear probes on the posterior means (class code of
    one image; style code, lower = less class information in it), swaps judged by a CNN trained on real images,
    and the metric that groups test images by their true label (it leaks the labels: context only)."""
    lines = ["| data set | setting | seeds | class code, one image % | style code % (lower is better) | "
             "swap keeps the column's class % | judge's own test accuracy % | grouped by TRUE label (LEAKS_LABELS, "
             "context) % | minutes per run |", "|---|---|---|---|---|---|---|---|---|"]
    runs = seeded_runs(root, "mlvae/*/*/metrics.json", script="main_mlvae.py")
    for key, ms in sorted(runs.items(), key=lambda kv: _dataset_order(kv[0])):
        evidence = [_get(m, "swap_class_kept_with_evidence_LEAKS_LABELS", "swap_class_kept_with_evidence")
                    for m in ms]
        lines.append(f"| {ms[0]['dataset']} | {ms[0]['setting']} | {_seeds(ms)} | "
                     f"{spread([m['class_probe_test_accuracy_single_image'] for m in ms])} | "
                     f"{spread([m['style_probe_test_accuracy'] for m in ms])} | "
                     f"{spread([m['swap_class_kept'] for m in ms], 1)} | "
                     f"{mean_std([m['judge_test_accuracy'] for m in ms], 2, 100.0)} | "
                     f"{mean_std(evidence, 1, 100.0)} | {np.mean([run_minutes(m) for m in ms]):.1f} |")
    if len(lines) == 2:
        lines.append(_none("ML-VAE runs", "python main_mlvae.py", 9))
    return "\n".join(lines)


def aae_table(root="results") -> str:
    """Per data set, head and setting: test error % over seeds next to the paper's, epochs, precision, minutes per
    run, and what the run adds to the paper (from its metrics.json)."""
    runs = seeded_runs(root, "aae/*/*/metrics.json")
    lines = ["| data set | head | setting | seeds | test error % | paper | epochs | precision | minutes per run | "
             "other (first seed) |", "|---|---|---|---|---|---|---|---|---|---|"]
    for key, ms in sorted(runs.items(), key=lambda kv: _dataset_order(kv[1][0]["dataset"])):
        m = ms[0]
        ref = AAE_REFERENCES.get((m["head"], m["setting"]))
        err = spread([r["test_error"] for r in ms]) if all("test_error" in r for r in ms) else "-"
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
        extras = [f"{name} {m[k]:g}" for k, name in (("consistency_weight", "consistency"),
                                                   ("balance_weight", "balance"), ("vat_weight", "vat"),
                                                   ("ema_decay", "ema"), ("lr_decay", "lr decay")) if m.get(k)]
        if m.get("augment_labelled"):
            extras.insert(0, "augmented labels" + (" (mirrored too)" if m.get("augment_flip") else ""))
        if extras:
            other.append("not in the paper: " + ", ".join(extras))
        precisions = ", ".join(sorted({r.get("precision", "fp32") for r in ms}))     # mixed seeds show both
        lines.append(f"| {m['dataset']} | {m['head']} | {m['setting']} | {_seeds(ms)} | {err} | "
                     f"{ref.percent_text() if ref else '-'} | {m['epochs']} | {precisions} | {np.mean([run_minutes(r) for r in ms]):.1f} | "
                     f"{'; '.join(other)} |")
    if len(lines) == 2:
        lines.append(_none("AAE runs", "python main_aae.py", 9))
    return "\n".join(lines)


# What the independent judge (main_judge.py) scores, per system: (run folders, the row's name, [(metric, what)]).
JUDGED = [
    ("seq/*/*/decoder/metrics.json", lambda m: f"SEQ decoder ({ARCH_NAMES.get(m['arch'], m['arch'])})",
     [("judged_convex_same_cluster", "convex combinations of three members of one cluster (anchors left out)"),
      ("judged_convex_across_clusters", "convex combinations across clusters of one class (anchors left out)"),
      ("judged_style_transfer", "style transfer: paths between two centroids of one class"),
      ("judged_test_reconstructions", "decoded test features, as their image's class")]),
    ("catvae/*/*/seed-*/metrics.json", lambda m: m["model"],
     [("judged_prior_samples_mode_class", "prior samples of each mode, as the mode's majority class"),
      ("judged_prior_samples_min_mode", "the same, the worst mode"),
      ("judged_fitted_samples_mode_class", "samples of the Gaussian each mode's training codes fill, as its class "
                                           "(beyond the paper)")]),
    ("mlvae/*/*/metrics.json", lambda m: f"ML-VAE {m['setting']}",
     [("swap_class_kept", "swaps (style of one image, class code of another), as the class code's image")]),
    ("aae/*/*/metrics.json", lambda m: f"AAE {m['head']}/{m['setting']}",
     [("judged_generations_class_kept", "generations per category (z from the prior), as the category's class")]),
]


def judged_table(root="results", subsets: bool = False) -> str:
    """Every generated image the independent judge scores, per data set and system: the fraction it puts in the
    expected class, over seeds, with the judge's own accuracy beside it. Runs made before the judge (no "judge" in
    their metrics) are left out, and runs on part of the data unless ``subsets`` (a --quick report)."""
    groups: dict = {}
    for pattern, name, keys in JUDGED:
        for ms in seeded_runs(root, pattern, subsets=subsets).values():
            for m in ms:
                if not m.get("judge"):
                    continue
                for key, what in keys:
                    if m.get(key) is not None:
                        groups.setdefault((m["dataset"], name(m), what), []).append((m, m[key]))
    lines = ["| data set | system | judged images | seeds | in the expected class % | judge's own accuracy % |",
             "|---|---|---|---|---|---|"]
    for (ds, system, what), rows in sorted(groups.items(), key=lambda kv: _dataset_order(kv[0][0])):
        rows = sorted(rows, key=lambda r: r[0]["seed"])
        ms = [m for m, _ in rows]
        lines.append(f"| {ds} | {system} | {what} | {_seeds(ms)} | {spread([v for _, v in rows], 1)} | "
                     f"{mean_std([m['judge']['accuracy'] for m in ms], 2, 100.0)} |")
    if len(lines) == 2:
        lines.append(_none("judged runs", "python main_judge.py, then the scripts", 6))
    return "\n".join(lines)


def judge_table(root="results", subsets: bool = False) -> str:
    """The judges themselves (main_judge.py): accuracy on the scored images, the worst class, epochs, minutes
    (``subsets``: also judges trained on part of the data, for a --quick report)."""
    lines = ["| data set | scored on | accuracy % | worst class % | epochs | minutes |", "|---|---|---|---|---|---|"]
    judges = seeded_runs(root, "judge/*/metrics.json", subsets=subsets)
    for key, ms in sorted(judges.items(), key=lambda kv: _dataset_order(kv[0])):
        m = ms[0]
        lines.append(f"| {m['dataset']} | {m['n_test']:,} test images | {100 * m['accuracy']:.2f} | "
                     f"{100 * min(m['per_class_accuracy']):.1f} | {len(m['history'])} | "
                     f"{m['seconds']['this_run'] / 60:.1f} |")
    if len(lines) == 2:
        lines.append(_none("judges", "python main_judge.py", 6))
    return "\n".join(lines)


def _probe_rows(root) -> list[dict]:
    """Every row of main_probes.py's runs under ``root``, with its data set and seed."""
    return [{**row, "dataset": m["dataset"], "seed": m["seed"]}
            for ms in seeded_runs(root, "probes/*/metrics.json").values() for m in ms for row in m["rows"]]


def _probed_another_run(root, row: dict) -> bool:
    """Whether the run that a probe row read is no longer the one under ``root`` (rerun since, or not there): its
    metrics.json's SHA-256 is not the one the probe recorded. A row probed before main_probes.py recorded the digest
    cannot tell, and counts as current."""
    digest, path = row.get("run_metrics_sha256"), Path(root, row["run"], "metrics.json")
    return digest is not None and (not path.is_file() or file_digest(path) != digest)


def probe_groups(root="results") -> dict:
    """main_probes.py's rows over seeds: {(data set, code): [row, by seed]}, data sets in order; rows whose probed run
    has changed since are left out (probes_table names them)."""
    groups: dict = {}
    for row in _probe_rows(root):
        if not _probed_another_run(root, row):
            groups.setdefault((row["dataset"], row["code"]), []).append(row)
    return {key: sorted(rows, key=lambda r: r["seed"])
            for key, rows in sorted(groups.items(), key=lambda kv: _dataset_order(kv[0][0]))}


def probes_table(root="results") -> str:
    """main_probes.py's comparison: per data set and code, linear-probe accuracy, k-means (K = 10) Hungarian accuracy
    and NMI, and the accuracy of a classifier fitted on 100 labelled training images, over seeds."""
    lines = ["| data set | code | seeds | size | linear probe % | k-means (K=10) accuracy % | k-means NMI | "
             "classifier on 100 labels % |", "|---|---|---|---|---|---|---|---|"]
    for (ds, code), rows in probe_groups(root).items():
        lines.append(f"| {ds} | {code} | {_seeds(rows)} | {rows[0]['dim']} | "
                     f"{spread([r['linear_probe_accuracy'] for r in rows], 1)} | "
                     f"{spread([r['kmeans_accuracy'] for r in rows], 1)} | "
                     f"{mean_std([r['kmeans_nmi'] for r in rows])} | "
                     f"{spread([r['few_labels_accuracy'] for r in rows], 1)} |")
    if len(lines) == 2:
        lines.append(_none("probe runs", "python main_probes.py", 8))
    stale = [r for r in _probe_rows(root) if _probed_another_run(root, r)]
    if stale:
        names = ", ".join(sorted({f"{r['dataset']} {r['code']} seed {r['seed']}" for r in stale}))
        lines += ["", f"Left out: {names}, whose probes read an earlier run than the one now in its folder "
                      "(`python main_probes.py --datasets=<data set> --seed=<s> --systems=<system> --resume=true` "
                      "probes it again)."]
    return "\n".join(lines)


def mlvae_table(out_dir="results") -> str:
    """The reference table's layout (style / class code, train / test probe accuracy) per setting and grouping."""
    lines = ["| data set | setting | class code from | style train | style test | class train | class test |",
             "|---|---|---|---|---|---|---|"]
    for m in [m for ms in seeded_runs(out_dir, "mlvae/*/*/metrics.json", script="main_mlvae.py").values() for m in ms]:
        for row in m.get("table", []):
            lines.append(f"| {m['dataset']} | {m['setting']} | {row['description']} | {100 * row['style_train']:.2f} | "
                         f"{100 * row['style_test']:.2f} | {100 * row['class_train']:.2f} | "
                         f"{100 * row['class_test']:.2f} |")
    return "\n".join(lines)


def _get(m: dict, key: str, old: str):
    """``m[key]``, or ``m[old]`` in a metrics.json written before the key was renamed to ``key``."""
    return m[key] if key in m or old not in m else m[old]


def catvae_summary(out_dir: str) -> dict:
    """Mean and spread over seeds of every finished run under <out_dir>/catvae/<dataset>/<variant>/seed-*/. Runs on
    part of the data are never averaged with full runs: a data set and variant with full runs uses those only;
    one with subset runs only uses those and says so ("subset": true)."""
    table: dict = {}
    for path in sorted(Path(out_dir, "catvae").glob("*/*/seed-*/metrics.json")):
        m = read_json(path)
        table.setdefault(m["dataset"], {}).setdefault(m["variant"], []).append((subset_run(path), m))
    summary = {}
    for ds, variants in table.items():
        for variant, found in variants.items():
            full = [m for sub, m in found if not sub]
            runs = full or [m for _, m in found]
            acc = np.array([r["clustering_accuracy"] for r in runs])
            summary.setdefault(ds, {})[variant] = {
                "seeds": [r["seed"] for r in runs],
                "subset": not full,
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
                         f"{'':<9} {s['nmi_mean']:6.3f} {s['ari_mean']:6.3f}"
                         + ("  (part of the data only: not comparable)" if s.get("subset") else ""))
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


# The number a selection compares, per kind of run (the first key its metrics.json has), and its better direction;
# a declared selection (reporting.selections) names its own numbers, the first deciding.
SELECTION_METRICS = [("clustering_accuracy", "clustering accuracy %", "higher"),
                     ("swap_class_kept", "swap keeps the class %", "higher"),
                     ("test_error", "error % on the validation split", "lower"),
                     ("test_bce", "BCE per pixel on the validation split", "lower"),
                     ("softmax_test_accuracy", "softmax accuracy %", "higher"),
                     ("class_probe_test_accuracy_single_image", "class probe, one image %", "higher"),
                     ("style_probe_test_accuracy", "style probe %", "lower"),
                     ("judged_prior_samples_mode_class", "prior samples judged as their mode's class %", "higher"),
                     ("judged_prior_samples_min_mode", "the same, worst mode %", "higher"),
                     ("judged_fitted_samples_mode_class", "fitted-mode samples judged as their mode's class %",
                      "higher"),
                     ("judged_test_reconstructions", "reconstructions judged as their image's class %", "higher"),
                     ("judged_convex_same_cluster", "same-cluster combinations judged as their class %", "higher"),
                     ("judged_convex_across_clusters", "across-cluster combinations judged as their class %",
                      "higher")]
_QUANTIZER_K = re.compile(r"quantizer(_soft)?_k(\d+)$")   # SEQ's quantizer accuracy at K clusters (or its soft vote)
_SEED_SUFFIX = re.compile(r"-seed(\d+)$")
# Not choices a selection compares: what is not a setting (NOT_SETTINGS), the seed, the precision an "auto" resolved
# to, and how many images are evaluated per pass or judged (not its training).
_NOT_CHOICES = NOT_SETTINGS | {"seed", "precision_used", "eval_batch_size", "judge_samples"}


def selection_value(m: dict, key: str) -> float:
    """A selection's number from a run's metrics.json: a key of it, or ``quantizer_k<K>`` (SEQ at K clusters)."""
    k = _QUANTIZER_K.match(key)
    if k:
        field = "test_accuracy_soft_vote" if k.group(1) else "test_accuracy"
        found = [r[field] for r in m.get("quantizer", []) if r["k"] == int(k.group(2)) and field in r]
        if not found:
            raise KeyError(key)
        return found[0]
    return m[key]


def _metric_label(key: str) -> tuple[str, str]:
    k = _QUANTIZER_K.match(key)
    if k:
        return f"quantizer K={k.group(2)}{', soft vote' if k.group(1) else ''} accuracy %", "higher"
    return next((lab, b) for name, lab, b in SELECTION_METRICS if name == key)


_OWN_VALUE_SUFFIX = re.compile(r"_(mnist|fashion)$")


def _resolved_elsewhere(key: str, recorded: set) -> bool:
    """``key`` is a data set's own value (<key>_mnist, <key>_fashion) of a key the run records as it resolved it."""
    stem = _OWN_VALUE_SUFFIX.sub("", key)
    return stem != key and stem in recorded


def selection_table(folder) -> str:
    """A selection record (records/selections/<choice>/<candidate>-seed<s>/, validation-split runs): per candidate,
    the settings in which it differs from the others, its seeds, the compared numbers (mean +- std and each seed;
    percentages scaled: the selection's own, declared in reporting.selections, the first deciding; else the first
    of SELECTION_METRICS the runs have) and minutes per run. The split each run was scored on is checked: a choice
    is never made on the test set. A setting a run does not record (it predates the option) counts with the value
    such runs had (PREDATING), else as the script's header default, which is what such a run did. A candidate whose
    runs train several times and keep one (main_catvae.py's restarts) gets a second row: every training it made, each
    what a run of one training with that seed gives."""
    from reporting.selections import selection_for

    declared = selection_for(folder)
    defaults = script_header(REPO / declared.script) if declared else {}
    groups: dict = {}
    for path in sorted(Path(folder).glob("*/metrics.json")):
        m, config = read_json(path), read_json(path.parent / "config.json")
        if m.get("eval_split", config.get("eval_split")) != "val":
            raise UserError(f"{path}: not a validation-split run (eval_split={m.get('eval_split')!r}); a selection "
                            "record holds --eval_split=val runs only")
        name = _SEED_SUFFIX.sub("", path.parent.name)
        groups.setdefault(name, []).append((m, {**defaults, **with_predating(declared.script, config)}
                                               if declared else config))
    if not groups:
        raise UserError(f"{folder}: no runs (expected <candidate>-seed<s>/metrics.json)")
    configs = [c for runs in groups.values() for _, c in runs]
    recorded = set().union(*configs)
    # a data set's own value of a key (<key>_mnist, <key>_fashion) is no choice where the run records <key> as it
    # resolved it: that is what the run did, whatever the placeholders said (or a later header says)
    keys = sorted(k for k in recorded if k not in _NOT_CHOICES and not _resolved_elsewhere(k, recorded)
                  and len({json.dumps(c.get(k), sort_keys=True) for c in configs}) > 1)
    first = next(iter(groups.values()))[0][0]
    metrics = list(declared.metrics) if declared and declared.metrics else \
        [next(k for k, _, _ in SELECTION_METRICS if k in first)]
    heads = []
    for i, key in enumerate(metrics):
        label, better = _metric_label(key)
        heads.append(f"{label} ({better} is better{'; decides' if i == 0 and len(metrics) > 1 else ''})")
    lines = [f"Decides: {declared.decides}.", ""] if declared and declared.decides else []
    lines += [f"| candidate | differs in | seeds | {' | '.join(heads)} | minutes per run |",
              "|---" * (4 + len(metrics)) + "|"]
    for name, runs in groups.items():
        runs = sorted(runs, key=lambda mc: mc[1].get("seed", mc[0].get("seed", 0)))
        differs = ", ".join(f"{k}={runs[0][1].get(k)}" for k in keys) or "-"
        seeds = ", ".join(str(c.get("seed", m.get("seed", 0))) for m, c in runs)
        cells = []
        for key in metrics:
            try:
                values = [selection_value(m, key) for m, _ in runs]
            except KeyError:             # a run that did not measure it (an older run, another K sweep)
                cells.append("-")
                continue
            cells.append(spread(values, 4 if key == "test_bce" else 2, 1.0 if key == "test_bce" else 100.0))
        lines.append(f"| {name} | {differs} | {seeds} | {' | '.join(cells)} | "
                     f"{np.mean([run_minutes(m) for m, _ in runs]):.1f} |")
        trainings = [t for m, _ in runs for t in m.get("restarts", [])]
        if len(trainings) > len(runs):   # runs that trained several times and kept one: every training, as one run
            cells = [spread([t[key] for t in trainings]) if all(key in t for t in trainings) else "-"
                     for key in metrics]
            lines.append(f"| {name}, every training | each a run of restarts=1 | "
                         f"{', '.join(str(t['training_seed']) for t in trainings)} | {' | '.join(cells)} | - |")
    judges = sorted({(m["judge"]["eval_split"], m["judge"]["accuracy"]) for runs in groups.values() for m, _ in runs
                     if isinstance(m.get("judge"), dict)})
    if len(judges) == 1:                                # the judge's own accuracy beside the numbers it judged
        lines += ["", f"The judged numbers are the verdicts of the judge (main_judge.py) with accuracy "
                      f"{100 * judges[0][1]:.2f} % on its {judges[0][0]} split."]
    elif judges:                                        # judges retrained on other machines: each run names its own
        lines += ["", f"The judged numbers are the verdicts of {len(judges)} judges (main_judge.py, trained alike; "
                      "each run's metrics.json names its own) with accuracy "
                  + ", ".join(f"{100 * acc:.2f} %" for _, acc in judges)
                  + f" on their {' / '.join(sorted({split for split, _ in judges}))} split."]
    return "\n".join(lines)


def _train_rows(result: dict) -> str:
    """The docs' table of a result file: images/s median (min-max) per precision, the ratio of the medians (and the
    range of the per-round ratios), the recorded loss term at the first and the last step in each precision."""
    lines = ["| family | batch | fp32 images/s | bf16 images/s | bf16 / fp32 (per round) "
             "| loss fp32 / bf16 (first -> last step) |",
             "|---|---|---|---|---|---|"]
    for name, row in result["families"].items():
        cells = []
        for prec in ("fp32", "bf16"):
            s = row[prec]["images_per_s"]
            cells.append(f"{s['median']:.0f} ({s['min']:.0f}-{s['max']:.0f})")
        r = row["ratio_per_round"]
        loss = " / ".join(f"{row[p]['loss_first']:.4g} -> {row[p]['loss_last']:.4g}"
                          + ("" if row[p]["finite"] else " NOT FINITE") for p in ("fp32", "bf16"))
        term = "" if row["loss_term"] == "loss" else f"{row['loss_term']}: "
        lines.append(f"| {name} | {row['batch_size']} | {cells[0]} | {cells[1]} "
                     f"| {row['ratio_bf16_fp32']:.2f} ({r['min']:.2f}-{r['max']:.2f}) | {term}{loss} |")
    return "\n".join(lines)


def machine_line(result: dict) -> str:
    """One sentence naming the machine and the conditions of a benchmark's result file (benchmarks/machine.py)."""
    m = result["machine"]
    bf16 = [f for f in ("avx512_bf16", "amx_bf16") if m[f]]
    cpu = f"{m['cpu']}, {m['logical_cpus']} logical CPUs, {', '.join(bf16) or 'no bf16 flags'}"
    where = f"{m['gpu']} (host CPU: {cpu})" if m.get("gpu") else cpu
    load = result.get("load_average_1min") or {}
    rounds = (f"; {result['rounds']} rounds of ~{result['seconds_per_block']} s blocks" if "rounds" in result else "")
    return (f"{result['date'][:10]}, device {result['device']}: {where}; torch {result['torch']}, "
            f"{result['threads']} thread(s), native bf16 {m['native_bf16']}{rounds}, {result['seconds_total']} s in "
            f"all" + (f"; load average {load['before']} before, {load['after']} after" if load.get("after") is not None
                      else "") + (f"; {result['note']}" if result.get("note") else ""))


def selections_table(root="records") -> str:
    """Every declared selection (reporting/selections.py): what it decides, its candidates, and how many of its
    runs (candidates x seeds) have a record under <root>/selections/<name>/: where each choice stands."""
    from reporting.selections import SELECTIONS

    lines = ["| selection | decides | candidates | seeds | runs recorded |", "|---|---|---|---|---|"]
    for sel in SELECTIONS.values():
        folder = Path(root) / "selections" / sel.name
        done = sum((folder / run[2] / "metrics.json").is_file() for run in sel.runs())
        lines.append(f"| `{sel.name}` | {sel.decides} | {', '.join(sel.candidates)} | "
                     f"{', '.join(map(str, sel.seeds))} | {done} of {len(sel.candidates) * len(sel.seeds)} |")
    other = sorted(p.name for p in (Path(root) / "selections").glob("*") if p.is_dir() and p.name not in SELECTIONS)
    if other:
        lines += ["", f"Recorded by hand and not declared (no command reruns them): {', '.join(other)}."]
    return "\n".join(lines)


def quantizer_rule_table(path="benchmarks/results/quantizer_rule.json") -> str:
    """benchmarks/bench_quantizer_rule.py's record: per data set, encoder, label smoothing and K, the quantizer's
    accuracy read by the nearest centroid (the paper's) and by the soft vote, and the softmax's, over the runs."""
    record = read_json(Path(path))
    by: dict = {}
    for row in record["rows"]:
        by.setdefault((row["dataset"], row["arch"], row["label_smoothing"], row["k"]), []).append(row)
    splits = {row.get("split", "val") for row in record["rows"]}
    where = {"val": "validation split (last 10,000 training images scored; k-means fitted as the runs fit it)",
             "test": "test split (each run's own saved quantizers, read both ways)"}
    lines = [f"{'; '.join(where[s] for s in sorted(splits)).capitalize()}, {record['threads']} thread(s), "
             f"{record['date'][:10]}:", "",
             "| data set | encoder | smoothing | K | seeds | nearest centroid % | soft vote % | softmax % |",
             "|---|---|---|---|---|---|---|---|"]
    for (ds, arch, smoothing, k), rows in sorted(by.items(), key=lambda kv: (_dataset_order(kv[0][0]), kv[0][1:])):
        rows = sorted(rows, key=lambda r: r["seed"])
        cells = [spread([r[key] for r in rows]) for key in ("nearest", "soft", "softmax")]
        lines.append(f"| {ds} | {ARCH_NAMES.get(arch, arch)} | {smoothing} | {k} | "
                     f"{', '.join(str(r['seed']) for r in rows)} | {' | '.join(cells)} |")
    return "\n".join(lines)


def train_table(path="benchmarks/results/train.json") -> str:
    """benchmarks/bench_train.py's record: the machine line (wrapped) and the table of every family's training step
    in fp32 and bf16; for AAE heads also each head's default run length (its epochs at these speeds)."""
    result = read_json(Path(path))
    out = textwrap.fill(f"Machine: {machine_line(result)}.", width=116) + "\n\n" + _train_rows(result)
    heads = {name: row for name, row in result["families"].items() if "default_run_minutes" in row}
    if heads:
        out += "\n\n" + textwrap.fill("Each head's default run at these speeds (training only: its default epochs "
                                      "when this was measured, of 60,000 images; evaluation, figures and the VAT "
                                      "radii come on top):", 116)
        out += ("\n\n| head | default epochs | minutes in fp32 | minutes in bf16 |\n|---|---|---|---|\n")
        out += "\n".join(f"| {name[4:]} | {row['default_epochs']} | {row['default_run_minutes']['fp32']:.1f} | "
                         f"{row['default_run_minutes']['bf16']:.1f} |" for name, row in heads.items())
    return out


def bench_table(path) -> str:
    """The table of benchmarks/bench_seq.py's, bench_data.py's or bench_capability.py's record (its ``benchmark``
    key says which), under the machine line."""
    result = read_json(Path(path))
    kind = result.get("benchmark")
    if kind == "seq":
        lines = ["| what | seconds | images/s |", "|---|---|---|"]
        lines += [f"| inference (feature extraction), {ARCH_NAMES.get(a, a)}, batch {result['inference_batch']} "
                  f"| | {v:.0f} |" for a, v in result["inference_images_per_s"].items()]
        sweep = result["kmeans_sweep"]
        ks = sweep["ks"].split(",")
        lines.append(f"| k-means sweep, K = {ks[0]}, {ks[1]}, ..., {ks[-1]} on {sweep['n']:,} x {sweep['dim']} random "
                     f"features, {sweep['restarts']} | {sweep['seconds']:.1f} | |")
        if "main_encoder_seconds" in result:
            lines.append(f"| `python main_encoder.py` (defaults) | {result['main_encoder_seconds']:.0f} | |")
    elif kind == "data":
        lines = [f"Best of {result['repeat']} (the first CSV parse: one run):", "",
                 "| case | seconds | images |", "|---|---|---|"]
        lines += [f"| {r['case']} | {r['seconds']:.3f} | {r['images']:,} |" for r in result["results"]]
    elif kind == "capability":
        names = result["conditions"]
        lines = [textwrap.fill(f"Two single-thread processes side by side, one per core: ATen's default code path "
                               f"({names['default']}) and ATEN_CPU_CAPABILITY=avx2 ({names['avx2']}); each number "
                               f"the mean of two passes, the cores swapped in the second.", 116), "",
                 f"| kernel | {names['default']} microseconds | {names['avx2']} microseconds | "
                 f"{names['default']} / {names['avx2']} time |", "|---|---|---|---|"]
        lines += [f"| {k['what']} | {k['default']:.1f} | {k['avx2']:.1f} | {k['default'] / k['avx2']:.2f} |"
                  for k in result["kernels"].values()]
        lines += ["", f"| training step | precision | {names['default']} images/s | {names['avx2']} images/s | "
                  f"{names['avx2']} / {names['default']} speed |", "|---|---|---|---|---|"]
        lines += [f"| {fam} | {prec} | {row['default'][prec]:.0f} | {row['avx2'][prec]:.0f} | "
                  f"{row['avx2'][prec] / row['default'][prec]:.2f} |"
                  for fam, row in result["families"].items() for prec in ("fp32", "bf16")]
    else:
        raise UserError(f"{path}: not a bench_seq.py, bench_data.py or bench_capability.py record (its 'benchmark' key is {kind!r})")
    return textwrap.fill(f"Machine: {machine_line(result)}.", width=116) + "\n\n" + "\n".join(lines)


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

    root = sys.argv[1] if len(sys.argv) > 1 else "results"
    for title, fn in [("SEQ", seq_table), ("SEQ decoders", decoder_table), ("CatVAE / InfoCatVAE", catvae_table),
                      ("ML-VAE", mlvae_swaps), ("ML-VAE probes, the reference's layout", mlvae_table),
                      ("AAE", aae_table)]:
        print(f"## {title}\n\n{fn(root)}\n")
