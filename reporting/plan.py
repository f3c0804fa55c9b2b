"""The whole reproduction as a list of runs: plan them, skip the finished ones, run the rest, show how far it is.

A run ("job") is one call of a main_*.py script with command-line overrides. It is *done* when every metrics.json it
writes exists and the config.json next to each records the planned settings (and, unless the plan is --quick, a run
on the full data); reproduce.py then skips it unless --force=true. A run whose files record other settings is
*stale*: it is rerun with --overwrite=true, since continuing it would mix two settings in one result. Any other
unfinished run gets --resume=true, so an interrupted reproduction continues each run from its last checkpoint. Each
script runs in its own process (``python main_x.py --key=value ...``), exactly as a user would call it, so a crash in
one run does not stop the others and the report marks its rows as missing.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from reporting.selections import DECODER_SCRIPTS, SELECTIONS
from reporting.tables import NOT_SETTINGS, read_json, subset_of, with_predating
from utils.config import convert, per_data_set_keys, script_header, split_list
from utils.errors import UserError
from utils.io import REPO, file_digest
from utils.progress import log
from utils.runtime import usable_cpus

PARTS = ("seq", "catvae", "mlvae", "aae", "probes", "selections")
JUDGED_SCRIPTS = ("main_decoder_mnist.py", "main_decoder_fmnist.py", "main_catvae.py", "main_mlvae.py", "main_aae.py")


def _per_data_set(script: str) -> set[str]:
    """A script's per-data-set keys (utils.config.per_data_set_keys of its header, read as text) with their two
    values' keys."""
    keys = per_data_set_keys(script_header(REPO / script))
    return {f"{key}{of}" for key in keys for of in ("", "_mnist", "_fashion")}


# Header keys that a script resolves at run time and records resolved (the AAE's 0 / empty = "the head's value", the
# ML-VAE's empty setting = noise-<std>, each data set's own value where a key is 0 and its per-data-set keys decide):
# a finished run's config.json holds the resolved value, so it is not compared with the header's placeholder; a job
# compares the value that the script would resolve now (Job.resolved: main_aae.resolve for an AAE head, the
# ``resolvers`` of :func:`plan` for the others), so a run is stale when its own value changed, not another data
# set's.
RESOLVED_KEYS = {"main_aae.py": {"epochs", "z_dim", "optimizer", "beta1", "vat_weight", "consistency_weight",
                                 "lr_decay"},
                 "main_mlvae.py": {"setting", *_per_data_set("main_mlvae.py")},
                 "main_encoder.py": {"cae_epochs_mnist", "cae_epochs_fashion", "lae_epochs"},
                 "main_catvae.py": _per_data_set("main_catvae.py")}

# Overrides of the reduced run (--quick): subsets of the data and few epochs.
QUICK_ARGS = {
    "main_encoder.py": ["--train_limit=6000", "--test_limit=2000", "--cae_epochs_mnist=1", "--cae_epochs_fashion=1",
                        "--lae_epochs=2"],
    "main_decoder_mnist.py": ["--epochs=1"],
    "main_decoder_fmnist.py": ["--epochs=1"],
    "main_catvae.py": ["--train_limit=6000", "--test_limit=2000", "--epochs=3"],
    "main_mlvae.py": ["--train_limit=6000", "--test_limit=2000", "--epochs=5", "--swap_pairs=1000",
                      "--tsne_points=500"],
    "main_aae.py": ["--train_limit=15000", "--test_limit=2000", "--epochs=1"],   # 15000: 1000 labels per class
    "main_probes.py": [],
    "main_judge.py": ["--train_limit=6000", "--test_limit=2000", "--epochs=1"],
}

# Estimated minutes of one run with the defaults (full) and with --quick, on a 2-core CPU without a GPU (one thread
# per run, bf16 where the script's default precision takes it, as the records' minutes per run show): they only seed
# the time-left display, which rescales them by how long the finished runs actually took.
MINUTES = {"seq-cae4": (22, 0.8), "seq-lae4": (1.5, 0.15), "seq-lae2": (0.7, 0.12), "decoder": (15, 1.3),
           "catvae": (12, 0.17), "mlvae": (55, 0.33), "aae": (30, 0.33), "probes": (4, 1.0),
           "judge": (18, 0.3)}
# the epochs that MINUTES assumes for a script whose epochs resolve per data set or per head (its full runs' minutes
# scale with them; a --quick run's minutes are already those of its few epochs)
MINUTES_EPOCHS = {"main_catvae.py": 20, "main_aae.py": 45}


# The runs behind the headline numbers, which run over every seed of --seeds (the others over --other_seeds).
HEADLINE_NOISE = 0.1
HEADLINE_AAE_HEADS = ("semi_supervised", "clustering")
# the AAE run whose codes main_probes.py probes, per data set: the 30-cluster head on MNIST (the paper's best
# unsupervised result), the 16-cluster head on Fashion-MNIST (the clustering setting run there)
PROBED_AAE_RUNS = {"mnist": ("clustering", "clusters-30"), "fashion-mnist": ("clustering", "clusters-16")}


def aae_job_name(dataset: str, head: str, setting: str, seed: int) -> str:
    """The name of an AAE run's job (the paper's MNIST runs do not name their data set)."""
    return f"AAE {'' if dataset == 'mnist' else dataset + ' '}{head}/{setting} seed {seed}"


@dataclass
class Job:
    name: str                      # what the progress display calls it
    script: str                    # main_*.py in the repository root
    args: list[str]                # --key=value overrides, without --resume / --overwrite (see mode)
    outputs: list[Path]            # the metrics.json files it writes; all present with the planned config = done
    minutes: float                 # estimated minutes (seeds the time-left display)
    after: list[str] = field(default_factory=list)   # names of jobs whose outputs it reads
    datasets: list[str] = field(default_factory=list)   # the data sets it reads
    subset: bool = False           # runs on part of the data are planned (--quick), so they can be done
    defaults: dict = field(default_factory=dict)   # the script's header defaults: a run made with others is stale
    judge: str = ""                # the judge job whose judge scores its generated images (it waits for it)
    resolved: dict = field(default_factory=dict)   # RESOLVED_KEYS as the script resolves them now (an AAE head's
                                   # vat_weight, epochs, ...): a run recorded with other values is stale too
    record: str = ""               # its folder under records/ when not its path below out_dir (the selections)
    same_as: "Job | None" = None   # a planned job with the same settings (another selection's run): its files are
                                   # copied once it is done, instead of training the same run twice (Job.copy_twin)

    def status(self) -> tuple[str, list[str]]:
        """("done" | "stale" | "resume" | "new", why): *stale* when a config.json or metrics.json it would write
        records other settings than ``args`` (``why`` names them); else *done* when every metrics.json exists;
        *resume* when a run folder holds a checkpoint to continue; *new* otherwise."""
        why = []
        for out in self.outputs:
            config = out.parent / "config.json"
            try:
                metrics = read_json(out) if out.is_file() else {}
                if config.is_file():
                    recorded = with_predating(self.script, read_json(config))
                    why += differences(self.args, recorded)
                    why += default_differences({**self.defaults, **self.resolved}, self.args, recorded,
                                               set(RESOLVED_KEYS.get(self.script, ())) - set(self.resolved))
                    if self.script == "main_probes.py":
                        why += probed_runs_changed(metrics, recorded)
                    if not self.subset and subset_of(metrics, recorded):
                        why.append("subset=true (it saw part of the data; a full run is planned)")
                elif out.is_file():
                    why.append(f"no config.json next to {out}")
            except UserError:
                why.append(f"{out.parent}: an unreadable config.json or metrics.json")
        if why:
            return "stale", why
        if all(p.is_file() for p in self.outputs):
            return "done", []
        return ("resume" if any(any(p.parent.glob("*.pt")) for p in self.outputs) else "new"), []

    def done(self) -> bool:
        return self.status()[0] == "done"

    def copy_twin(self, log: Path, twin_log: Path) -> None:
        """Give this job the finished run of ``same_as``: its config.json and metrics.json, and as log (``log``)
        the twin's log (``twin_log``) after a line that says whose run it is."""
        src, dst = self.same_as.outputs[0].parent, self.outputs[0].parent
        dst.mkdir(parents=True, exist_ok=True)
        for name in ("config.json", "metrics.json"):
            shutil.copyfile(src / name, dst / name)
        # as bytes: read_text would turn a progress bar's carriage returns into new lines, which the recording
        # (reporting.records._clean_log) then cannot collapse
        text = twin_log.read_bytes().decode(errors="replace") if twin_log.is_file() else ""
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"# {self.name}: not run again, the settings are those of {self.same_as.name}, whose run this "
                       f"is (reporting.plan.same_settings)\n{text}")

    def command(self, mode: str = "--resume=true") -> list[str]:
        """The call, by the script's path (so relative --out_dir / --data_dir mean the same to it as to the plan)."""
        return [sys.executable, str(REPO / self.script), *self.args, mode]


def differences(args: list[str], recorded: dict) -> list[str]:
    """The planned ``--key=value`` settings that ``recorded`` (a run's config.json) does not hold, as "key=recorded
    (planned value)"; each value is read with the type of the recorded one (utils.config.convert), so 0.1, 1e-1 and
    0.10 are the same noise. Keys in NOT_SETTINGS are not compared. A recorded ``auto`` that the run resolved to the
    planned value (``<key>_used``: a precision of auto that ran in bf16) is that value."""
    out = []
    for arg in args:
        key, _, text = arg[2:].partition("=")
        if not arg.startswith("--") or key in NOT_SETTINGS:
            continue
        if key not in recorded:
            out.append(f"{key} not recorded (planned {text})")
            continue
        try:
            planned = convert(key, text, recorded[key])
        except UserError:
            planned = text
        if planned != recorded[key] and not (recorded[key] == "auto" and recorded.get(f"{key}_used") == planned):
            out.append(f"{key}={recorded[key]} (planned {text})")
    return out


def _aae_resolved(run: dict) -> dict:
    """An AAE run's RESOLVED_KEYS as main_aae.resolve gave them (``run``): what its config.json records."""
    return {k: run[k] for k in RESOLVED_KEYS["main_aae.py"]}


def default_differences(defaults: dict, args: list[str], recorded: dict, resolved=()) -> list[str]:
    """The script's current header defaults (``defaults``) that a finished run's config.json (``recorded``) holds
    with another value, for the keys the plan does not set (``args``): a run made before a default changed is not
    the default run any more. Keys in NOT_SETTINGS or ``resolved`` and keys the run does not record (it predates
    them) are not compared."""
    given = {a[2:].partition("=")[0] for a in args if a.startswith("--")}
    return [f"{key}={recorded[key]} (the default is now {value})" for key, value in defaults.items()
            if key in recorded and key not in given and key not in NOT_SETTINGS and key not in resolved
            and recorded[key] != value]


def statuses(jobs: list[Job]) -> dict[str, tuple[str, list[str]]]:
    """Each job's :meth:`Job.status`, by name; a done job that reads the outputs of one that runs again (a decoder
    whose encoder is rerun) is stale too: its numbers were made from the old outputs."""
    out: dict = {}
    for job in jobs:
        state, why = job.status()
        again = [d for d in job.after if out.get(d, ("done",))[0] != "done"]
        if state == "done" and again:
            state, why = "stale", [f"it reads {', '.join(again)}, which runs again"]
        if state == "done" and job.judge and (out.get(job.judge, ("done",))[0] != "done" or unjudged(job)):
            state, why = "resume", [f"to be scored by {job.judge}: re-evaluated from its checkpoint, not retrained"]
        out[job.name] = (state, why)
    return out


def unjudged(job: Job) -> bool:
    """Whether a finished run was made without the independent judge (before main_judge.py existed)."""
    return any(read_json(p).get("judge") is None for p in job.outputs if p.is_file())


def probed_runs_changed(metrics: dict, config: dict) -> list[str]:
    """What makes a main_probes.py run stale although its settings are the plan's: a run it probed has been rerun
    since (the metrics.json in the folder its config.json names is not the one its row's digest names)."""
    changed = set()
    for row in metrics.get("rows", []):
        folder = config.get("runs", {}).get(row["system"])
        path = Path(folder, "metrics.json") if folder else None
        if row.get("run_metrics_sha256") and path and path.is_file() and file_digest(path) != row["run_metrics_sha256"]:
            changed.add(f"{row['system']}: {folder} was rerun after it was probed")
    return sorted(changed)


def mode(state: str, force: bool = False) -> str:
    """--overwrite=true for a stale run and for every run with --force=true (start afresh); --resume=true otherwise
    (continue from the checkpoint, or start afresh when there is none)."""
    return "--overwrite=true" if force or state == "stale" else "--resume=true"


def seed_root(out_dir: str, seed: int) -> str:
    """Seed 0 writes where the scripts write by default (results/...); seed s > 0 to results/seed-<s>/, whichever
    seeds a reproduction runs (records/ mirrors this layout). CatVAE's folders already carry the seed
    (catvae/<dataset>/<variant>/seed-<s>/), so all its seeds share one."""
    return out_dir if seed == 0 else f"{out_dir}/seed-{seed}"


def plan(cfg: dict, aae_heads: dict, aae_resolve, aae_folder, defaults: dict | None = None,
         resolvers: dict | None = None) -> list[Job]:
    """Every run of the reproduction, in an order that respects what reads what (decoders after encoders). The
    headline runs (SEQ encoders and the CAE-4 decoders, CatVAE / InfoCatVAE, the ML-VAE with HEADLINE_NOISE, the
    HEADLINE_AAE_HEADS, and beyond the papers the ML-VAE and the first setting of each headline AAE head on
    Fashion-MNIST) run for every seed of ``seeds``, the others (the ML-VAE's other noise, the other AAE heads) for
    those of ``other_seeds``.
    ``aae_heads``: main_aae.HEADS (each head's default sweep); ``aae_resolve(settings, head, value)``: a run's
    settings as the script resolves them from its flags (main_aae.resolve: its RESOLVED_KEYS make Job.resolved); ``aae_folder(setting, dataset)``: the
    name of its run folder (main_aae.folder_name);
    ``defaults``: {script: its header defaults} (Job.defaults; reproduce.py reads them from the scripts);
    ``resolvers``: {script: f(settings) -> {key: value}}, what a run of the script resolves at run time from its
    settings (a SEQ encoder's epochs, an ML-VAE's decoder depth, a CatVAE's restarts: :func:`resolve`)."""
    quick, out = cfg["quick"], cfg["out_dir"]
    seeds, other_seeds = split_list(cfg["seeds"], int), split_list(cfg["other_seeds"], int)
    datasets, parts = split_list(cfg["datasets"]), split_list(cfg["parts"])
    # --resume / --overwrite are added when a run is launched (mode): they depend on what its folder holds then
    common = [f"--progress={str(cfg['progress']).lower()}", f"--device={cfg['device']}"]
    if cfg["data_dir"]:
        common.append(f"--data_dir={cfg['data_dir']}")

    def job(name, script, args, outputs, minutes_key, after=(), data=("mnist",), resolved=None):
        extra = QUICK_ARGS.get(script, []) if quick else []
        judged = script in JUDGED_SCRIPTS
        if judged:   # one judge per data set, at <out>/judge/<dataset>/, whatever the seed folder of the run
            args = [*args, f"--judge={out}/judge/{data[0]}"]
        return resolve(Job(name, script, [*args, *extra, *common], [Path(p) for p in outputs],
                           MINUTES[minutes_key][1 if quick else 0], list(after), list(data), subset=quick,
                           defaults=(defaults or {}).get(script, {}), judge=f"Judge {data[0]}" if judged else "",
                           resolved=resolved or {}), resolvers)

    jobs: list[Job] = []
    every = sorted(set(seeds) | set(other_seeds))
    for seed in every:
        root = seed_root(out, seed)
        tag = f" seed {seed}"
        headline, other = seed in seeds, seed in other_seeds
        if "seq" in parts:
            for ds in datasets:
                for arch in split_list(cfg["seq_archs"]) if headline else []:
                    jobs.append(job(f"SEQ encoder {ds} {arch}{tag}", "main_encoder.py",
                                    [f"--datasets={ds}", f"--archs={arch}", f"--seed={seed}", f"--out_dir={root}"],
                                    [f"{root}/seq/{ds}/{arch}/metrics.json"], f"seq-{arch}", data=[ds]))
                script = DECODER_SCRIPTS[ds]
                if headline and "cae4" in split_list(cfg["seq_archs"]):   # the judged generations (issue 27)
                    jobs.append(job(f"SEQ decoder {ds} cae4{tag}", script, [f"--seed={seed}", f"--out_dir={root}"],
                                    [f"{root}/seq/{ds}/cae4/decoder/metrics.json"], "decoder",
                                    after=[f"SEQ encoder {ds} cae4{tag}"], data=[ds]))
        if "mlvae" in parts:
            for noise in split_list(cfg["mlvae_noise"], float) if "mnist" in datasets else []:
                if headline if noise == HEADLINE_NOISE else other:
                    jobs.append(job(f"ML-VAE mnist noise {noise}{tag}", "main_mlvae.py",
                                    [f"--group_noise_std={noise}", f"--seed={seed}", f"--out_dir={root}"],
                                    [f"{root}/mlvae/mnist/noise-{noise}/metrics.json"], "mlvae"))
            if headline and "fashion-mnist" in datasets:   # beyond the paper: Fashion-MNIST, the headline noise
                jobs.append(job(f"ML-VAE fashion-mnist noise {HEADLINE_NOISE}{tag}", "main_mlvae.py",
                                ["--dataset=fashion-mnist", f"--group_noise_std={HEADLINE_NOISE}", f"--seed={seed}",
                                 f"--out_dir={root}"],
                                [f"{root}/mlvae/fashion-mnist/noise-{HEADLINE_NOISE}/metrics.json"], "mlvae",
                                data=["fashion-mnist"]))
        if "aae" in parts:
            for head, values in aae_settings(cfg["aae_heads"], aae_heads):
                if not (headline if head in HEADLINE_AAE_HEADS else other):
                    continue
                for value in values:
                    run = aae_resolve({}, head, value)
                    setting, resolved = run["setting"], _aae_resolved(run)
                    if "mnist" in datasets:
                        jobs.append(job(aae_job_name("mnist", head, setting, seed), "main_aae.py",
                                        [f"--head={head}", f"--values={value}", f"--seed={seed}",
                                         f"--out_dir={root}"],
                                        [f"{root}/aae/{head}/{aae_folder(setting, 'mnist')}/metrics.json"], "aae",
                                        resolved=resolved))
                    first = aae_heads[head]["sweep"][1][0]          # 100 labels, 16 clusters
                    if headline and head in HEADLINE_AAE_HEADS and value == first and "fashion-mnist" in datasets:
                        # beyond the paper: Fashion-MNIST, the first setting of each headline head (docs/aae.md
                        # states the targets)
                        jobs.append(job(aae_job_name("fashion-mnist", head, setting, seed), "main_aae.py",
                                        ["--dataset=fashion-mnist", f"--head={head}", f"--values={value}",
                                         f"--seed={seed}", f"--out_dir={root}"],
                                        [f"{root}/aae/{head}/{aae_folder(setting, 'fashion-mnist')}/metrics.json"],
                                        "aae", data=["fashion-mnist"],
                                        resolved=_aae_resolved(aae_resolve({"dataset": "fashion-mnist"}, head,
                                                                           value))))
    if "catvae" in parts:
        for ds in datasets:
            for variant in ("catvae", "infocatvae"):
                for seed in seeds:
                    jobs.append(job(f"CatVAE {ds} {variant} seed {seed}", "main_catvae.py",
                                    [f"--datasets={ds}", f"--variants={variant}", f"--seeds={seed}",
                                     f"--out_dir={out}"],
                                    [f"{out}/catvae/{ds}/{variant}/seed-{seed}/metrics.json"], "catvae",
                                    data=[ds]))
    if "probes" in parts:                              # after the runs whose codes it probes (main_probes.py)
        for seed in seeds:
            for ds in datasets:
                reads = [j.name for j in jobs if j.name in (
                    f"SEQ encoder {ds} cae4 seed {seed}", f"CatVAE {ds} catvae seed {seed}",
                    f"CatVAE {ds} infocatvae seed {seed}", f"ML-VAE {ds} noise {HEADLINE_NOISE} seed {seed}",
                    aae_job_name(ds, *PROBED_AAE_RUNS[ds], seed))]
                jobs.append(job(f"Probes {ds} seed {seed}", "main_probes.py",
                                [f"--datasets={ds}", f"--seed={seed}", f"--runs_dir={out}", f"--out_dir={out}"],
                                [f"{seed_root(out, seed)}/probes/{ds}/metrics.json"], "probes", after=reads,
                                data=[ds]))
    needed = {j.datasets[0] for j in jobs if j.judge}           # the judges first: one per data set judged
    return [job(f"Judge {ds}", "main_judge.py", [f"--datasets={ds}", f"--out_dir={out}"],
                [f"{out}/judge/{ds}/metrics.json"], "judge", data=[ds])
            for ds in ("mnist", "fashion-mnist") if ds in needed] + jobs + (
        selection_jobs(cfg, common, defaults or {}, aae_resolve, resolvers)
        if "selections" in parts else [])


def selection_jobs(cfg: dict, common: list[str], defaults: dict, aae_resolve=None,
                   resolvers: dict | None = None) -> list[Job]:
    """The validation-split runs of the selections named by ``cfg["selections"]`` (reporting.selections; ``all``):
    one per candidate and seed, into <out_dir>/selections/<name>/<candidate>-seed<s>/, recorded in
    records/selections/<name>/<candidate>-seed<s>/, for each declared seed (or, where --selection_seeds names some,
    each declared seed it names). With --quick they see the scripts' --quick subsets. An AAE run's Job.resolved
    comes from ``aae_resolve`` (as in :func:`plan`), so a run that gives --epochs=30 and one that leaves the head's
    30 are one run; the other scripts' resolved settings come from ``resolvers`` (as in :func:`plan`)."""
    out, quick, seeds = cfg["out_dir"], cfg["quick"], set(split_list(cfg.get("selection_seeds", ""), int))
    jobs, judges = {}, {}

    def add(sel, cand, seed, folder, args) -> str:
        """Plan one run (once), and the validation judge it needs; returns its job's name."""
        name = f"Selection {sel.name} {cand} seed {seed}"
        if name in jobs:
            return name
        needs, reads = [], []
        if sel.reads:      # the run it reads (a decoder's encoder), planned first where its selection is not chosen
            other = SELECTIONS[sel.reads[0]]
            needs = [add(other, *next(r for r in other.runs() if r[:2] == (sel.reads[1], seed)))]
            reads = [f"--encoder_dir={jobs[needs[0]].outputs[0].parent}"]
        judge = []
        if sel.judged:      # one validation judge per data set (trained on the first 50,000 images only)
            # in fp32, so that its precision does not change with the CPU (auto: bf16 on one with native bf16)
            judges.setdefault(sel.dataset, Job(
                f"Judge val {sel.dataset}", "main_judge.py",
                [f"--datasets={sel.dataset}", "--eval_split=val", "--precision=fp32", f"--out_dir={out}",
                 *(QUICK_ARGS["main_judge.py"] if quick else []), *common],
                [Path(f"{out}/val/judge/{sel.dataset}/metrics.json")], MINUTES["judge"][quick],
                datasets=[sel.dataset], subset=quick, defaults=defaults.get("main_judge.py", {})))
            judge = [f"--judge={out}/val/judge/{sel.dataset}"]
        run_dir = f"{out}/selections/{sel.name}/{folder}"
        extra = QUICK_ARGS.get(sel.script, []) if quick else []
        job = Job(name, sel.script, merged([*args, *reads, *judge, f"--out_dir={run_dir}", *extra, *common]),
                  [Path(run_dir) / sel.output.format(seed=seed)], MINUTES[sel.kind][quick], needs,
                  datasets=[sel.dataset], subset=quick, defaults=defaults.get(sel.script, {}),
                  judge=f"Judge val {sel.dataset}" if sel.judged else "", record=f"selections/{sel.name}/{folder}")
        if sel.script == "main_aae.py" and aae_resolve is not None:
            settings = _settings(job)
            values = split_list(settings.get("values", ""), int)    # a selection runs one value (or the sweep)
            run = aae_resolve(settings, settings["head"], values[0] if len(values) == 1 else None)
            job.resolved = _aae_resolved(run)
        resolve(job, resolvers)
        job.same_as = next((j for j in jobs.values() if j.same_as is None and same_settings(j, job)), None)
        if job.same_as is not None:
            job.after, job.minutes = [job.same_as.name], 0.0
        jobs[name] = job
        return name

    chosen = [SELECTIONS[n] for n in chosen_selections(cfg["selections"])]
    unknown = sorted(seeds - {seed for sel in chosen for seed in sel.seeds})
    if unknown:
        raise UserError(f"--selection_seeds={cfg['selection_seeds']}: no selection chosen declares seed "
                        f"{', '.join(map(str, unknown))} (reporting/selections.py)")
    for sel in chosen:
        for run in sel.runs():
            if not seeds or run[1] in seeds:
                add(sel, *run)
    return [*judges.values(), *jobs.values()]


def resolve(job: Job, resolvers: dict | None = None) -> Job:
    """``job`` with the settings its script resolves at run time from its own (``resolvers[job.script](settings)``,
    e.g. an ML-VAE's decoder depth of its data set) as Job.resolved, which is compared with the run's record instead
    of the header's placeholder (RESOLVED_KEYS). A run that trains several times (restarts, as resolved or as given)
    gets that many times the minutes, and a full CatVAE or AAE run its epochs' share of MINUTES_EPOCHS (an AAE job
    comes with its head's resolved values, main_aae.resolve, as Job.resolved)."""
    if not job.defaults:
        return job
    settings = _settings(job)
    resolver = (resolvers or {}).get(job.script)
    if resolver is not None:
        job.resolved = {**job.resolved, **resolver(settings)}
    if job.script in MINUTES_EPOCHS and "epochs" in job.resolved and not job.subset:
        job.minutes *= job.resolved["epochs"] / MINUTES_EPOCHS[job.script]
    job.minutes *= job.resolved.get("restarts") or settings.get("restarts") or 1     # 0: a placeholder unresolved
    return job


# what only says where a run writes or how it runs, not what it computes
_PLACES = {"out_dir", "progress", "device", "data_dir", "resume", "overwrite"}


def same_settings(a: Job, b: Job) -> bool:
    """Whether jobs ``a`` and ``b`` make the same run: one script, one run folder layout below their --out_dir, and
    every setting the same, whether given or left at the script's header default (``Job.defaults``) or resolved at
    run time (``Job.resolved``); the values are compared as the script reads them (utils.config.convert), so
    --augment=true and the default True agree."""
    return (a.script == b.script and _below_out_dir(a) == _below_out_dir(b)
            and {**_settings(a), **a.resolved} == {**_settings(b), **b.resolved})


def _below_out_dir(job: Job) -> list[Path]:
    """The job's outputs relative to its --out_dir (as given when it has none)."""
    out = next((a.partition("=")[2] for a in job.args if a.startswith("--out_dir=")), "")
    return [p.relative_to(out) if out else p for p in job.outputs]


def _settings(job: Job) -> dict:
    given = {}
    for arg in job.args:
        key, _, text = arg[2:].partition("=")
        if key in _PLACES:
            continue
        try:
            given[key] = convert(key, text, job.defaults[key]) if key in job.defaults else text
        except UserError:
            given[key] = text
    return {**{k: v for k, v in job.defaults.items() if k not in _PLACES}, **given}


def merged(args: list[str]) -> list[str]:
    """``--key=value`` arguments with each key once, at its first place with its last value (as the scripts read
    them): a --quick override of a setting the selection fixes (its epochs, its K) replaces it, so the planned
    settings are those the run records."""
    last = {a.partition("=")[0]: a for a in args}
    out = []
    for a in args:
        key = a.partition("=")[0]
        if key in last:
            out.append(last.pop(key))
    return out


def chosen_selections(spec: str) -> list[str]:
    """``all`` or comma-separated names of reporting.selections.SELECTIONS; an unknown name is a UserError."""
    chosen = list(SELECTIONS) if spec == "all" else split_list(spec)
    unknown = [n for n in chosen if n not in SELECTIONS]
    if unknown or not chosen:
        what = ", ".join(unknown) if unknown else repr(spec)
        raise UserError(f"--selections: unknown {what} (use all or some of "
                        f"{', '.join(SELECTIONS)})")
    return chosen


def aae_settings(spec: str, heads: dict) -> list[tuple[str, list]]:
    """``all``, or comma-separated heads, each optionally with one setting: ``semi_supervised:100,clustering``
    runs semi_supervised with 100 labels and clustering with its default sweep."""
    out = []
    for item in (list(heads) if spec == "all" else spec.split(",")):
        head, _, value = item.strip().partition(":")
        if head not in heads:
            raise UserError(f"--aae_heads: unknown head {head!r} (use all or some of {', '.join(heads)})")
        if value and not value.isdigit():
            raise UserError(f"--aae_heads: {item!r}: the setting after ':' must be a whole number")
        out.append((head, [int(value)] if value else list(heads[head]["sweep"][1])))
    return out


def clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


def log_path(job: Job, log_dir: Path) -> Path:
    """Where a run's printed output goes: <log_dir>/<its name>.log (reproduce.py: <out_dir>/logs/)."""
    return Path(log_dir) / f"{re.sub(r'[^A-Za-z0-9.-]+', '-', job.name)}.log"


_CHILDREN: set = set()   # the runs that run_command has launched and that are still going


@contextmanager
def children_stop_with_us():
    """Within it (in the main thread), a SIGTERM to this process (a batch scheduler's cancel, ``kill``) terminates
    the runs it launched too and exits with status 143; without it they would go on as orphans. Ctrl-C already
    reaches them (one process group). Their checkpoints are whole epochs, so ``--resume`` continues them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        for proc in list(_CHILDREN):
            proc.terminate()
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_command(cmd: list[str], *, log: Path, tee: bool, env: dict, append: bool = False) -> int:
    """Run ``cmd`` to its end with its output in the file ``log`` and, with ``tee``, on the screen too; returns its
    exit status. With ``append`` the output goes after what ``log`` holds (an interrupted attempt's output, which a
    resumed run's record keeps), after a line that says so."""
    with open(log, "ab" if append else "wb") as out:
        if append and out.tell():
            out.write(f"\n# reproduce.py, {time.strftime('%Y-%m-%d %H:%M')}: python {' '.join(cmd[1:])}\n".encode())
            out.flush()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE if tee else out, stderr=subprocess.STDOUT, env=env)
        _CHILDREN.add(proc)
        try:
            for chunk in iter(lambda: proc.stdout.read1(4096), b"") if tee else ():
                out.write(chunk)
                sys.stdout.buffer.write(chunk)
                sys.stdout.flush()
            return proc.wait()
        finally:
            _CHILDREN.discard(proc)


def _launch(job: Job, flag: str, at_once: int, log_dir: Path) -> int:
    """Run one job to its end, its output in its log file (:func:`log_path`; records/ keeps it as log.txt) and, when
    it runs alone, on the screen too; with several at once, each gets an equal share of the cores it may use
    (utils.runtime.usable_cpus) as its thread count (two one-thread runs side by side beat one two-thread run)."""
    path = log_path(job, log_dir)
    if job.same_as is not None:
        job.copy_twin(path, log_path(job.same_as, log_dir))
        log(f"{job.name}: the same run as {job.same_as.name}, copied from it")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if at_once > 1:
        threads = str(max(1, usable_cpus() // at_once))
        env.update(OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    # a resumed run continues the attempt whose output the log holds; a run started afresh replaces it
    return run_command(job.command(flag), log=path, tee=at_once == 1, env=env, append=flag == "--resume=true")


def run_jobs(jobs: list[Job], log_dir: Path, force: bool = False, at_once: int = 1, on_done=None) -> list[str]:
    """Run every job that is not done (all with ``force``), each with its :func:`mode`, ``at_once`` at a time (a job
    starts only after the jobs it reads have finished), with a line per run saying which run, how far the whole
    reproduction is and the estimated time left; returns the names of the runs that failed (a run fails when it
    exits with an error or does not leave a done run behind); each run's output goes to its log in ``log_dir``
    (:func:`log_path`). ``on_done(job)`` is called as each run finishes well (reproduce.py records it then, so an
    interrupted reproduction keeps the records of the runs it finished)."""
    state = statuses(jobs)
    todo = [j for j in jobs if force or state[j.name][0] != "done"]
    stale = [j for j in todo if state[j.name][0] == "stale"]
    log(f"reproduce: {len(jobs)} runs, {len(jobs) - len(todo)} already finished (skipped; --force=true reruns them), "
        f"{len(todo)} to run ({len(stale)} stale, rerun afresh), {at_once} at a time, "
        f"estimated {clock(60 * sum(j.minutes for j in todo) / at_once)} on a 2-core CPU")
    for job in stale:
        log(f"stale: {job.name} ({'; '.join(state[job.name][1])}): rerun with --overwrite=true")
    failed: list[str] = []
    pending, running, started, began = list(todo), {}, 0, {}
    t0, estimated_done = time.perf_counter(), 0.0
    with children_stop_with_us(), ThreadPoolExecutor(max_workers=at_once) as pool:
        while pending or running:
            for job in list(pending):
                if len(running) == at_once:
                    break
                needs = [*job.after, *([job.judge] if job.judge else [])]
                if any(name in failed for name in needs):
                    started += 1
                    log(f"[{started}/{len(todo)}] {job.name}: skipped, it needs {', '.join(needs)}, which failed")
                    failed.append(job.name)
                    pending.remove(job)
                    continue
                if any(other.name in needs for other in [*pending, *running.values()]):
                    continue                                      # what it reads is not finished yet
                started += 1
                elapsed = time.perf_counter() - t0
                rate = elapsed / (60 * estimated_done) if estimated_done > 0 else 1.0   # actual / estimated so far
                left = rate * 60 * sum(j.minutes for j in [*pending, *running.values()]) / at_once
                flag = mode(state[job.name][0], force)
                log(f"[{started}/{len(todo)}] {job.name} | elapsed {clock(elapsed)}, about {clock(left)} left | "
                    f"python {job.script} {' '.join(job.args)} {flag}")
                pending.remove(job)
                running[pool.submit(_launch, job, flag, at_once, log_dir)] = job
                began[job.name] = (started, time.perf_counter())
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                job = running.pop(future)
                rc, (number, start) = future.result(), began[job.name]
                result, differ = job.status() if rc == 0 else ("", [])
                if rc != 0 or result != "done":
                    missing = [str(p) for p in job.outputs if not p.is_file()]
                    if rc:
                        why = f"exit status {rc}"
                    elif missing:
                        why = "no metrics.json written: " + ", ".join(missing)
                    else:
                        why = "its config.json does not record the planned settings: " + "; ".join(differ)
                    log(f"[{number}/{len(todo)}] {job.name} FAILED ({why}); going on with the other runs")
                    failed.append(job.name)
                else:
                    log(f"[{number}/{len(todo)}] {job.name} finished in {clock(time.perf_counter() - start)}")
                    if on_done is not None:
                        on_done(job)
                estimated_done += job.minutes
    log(f"reproduce: {len(todo) - len(failed)}/{len(todo)} runs finished in {clock(time.perf_counter() - t0)}"
        + (f"; failed: {', '.join(failed)}" if failed else ""))
    return failed
