"""Regenerate every number and figure of the four papers, then write results/REPORT.md.

Runs each script with its defaults (SEQ encoder and decoders, CatVAE/InfoCatVAE, ML-VAE, the seven AAE heads) over the
configured seeds, in separate processes, skipping every run that is done (its metrics.json exists and its config.json
records the planned settings) and rerunning stale ones afresh. As each run finishes it copies the run's config.json,
metrics.json and log into records/ (committed; reporting/records.py); at the end it rewrites, from records/ alone,
REPORT.md (per paper, each metric with ours as mean +- std over seeds, the reference value and its source, the verdict,
minutes and device) and every generated table of README.md and docs/, and copies the figures they show to docs/figures/.
Every option, the device, the output folder and the full data sets the runs need are checked before any run is launched.
reporting/plan.py plans and runs; reporting/report.py and reporting/tables.py write.

    python reproduce.py                       # everything missing (hours on a 2-core CPU: docs/speed.md)
    python reproduce.py --quick=true          # subsets and few epochs (minutes); writes results/quick/
    python reproduce.py --parts=seq,mlvae     # some papers only
    python reproduce.py --report_only=true    # only rewrite REPORT.md and the docs' tables from records/
    python reproduce.py --dry_run=true        # list the runs, their commands and what is already done
    python reproduce.py --jobs=2              # two runs at a time, one thread each (a 2-core CPU)
    python reproduce.py --parts=selections    # the validation-split runs behind the defaults (reporting/selections.py)
"""
from pathlib import Path

from data import DATASETS, DataError, DataNotFound, load_dataset
from main_aae import HEADS as AAE_HEADS
from main_aae import folder_name as aae_folder
from main_aae import resolve as aae_resolve
from main_catvae import PER_DATA_SET as CATVAE_PER_DATA_SET
from main_encoder import epochs_for
from figures.probes import comparison
from figures.seq import accuracy_vs_clusters
from models.encoders import ARCHS, DISPLAY
from reporting.references import SEQ_KS, SEQ_PAPER
from reporting.tables import collect_curves, probe_groups
from reporting.plan import PARTS, aae_settings, chosen_selections, clock, mode, plan, run_jobs, statuses
from reporting.records import copy_figures, publish, sync_records
from reporting.report import write_report
from utils.config import at_least, list_of, own_value, parse_config, script_header
from utils.datasets import data_folder
from utils.errors import UserError
from utils.io import REPO, ensure_writable, output_root
from utils.progress import log
from utils.runtime import get_device

# ---- hyperparameters: edit here, or override as --key=value (python reproduce.py -h lists them) ----
quick = False                     # reduced run (subsets, 1-5 epochs; numbers NOT comparable) into <out_dir>/quick/
parts = "seq,catvae,mlvae,aae,probes"  # which parts: seq (encoder + decoders), catvae, mlvae, aae, probes (main_probes.py: the same probes on every code), selections (the validation-split runs behind the defaults)
selections = "all"                # with --parts=selections: all, or some of the names in reporting/selections.py
selection_seeds = ""              # with --parts=selections: empty runs each selection's declared seeds (reporting/selections.py); else those of them named here
datasets = "mnist,fashion-mnist"  # data sets of every part (Fashion-MNIST ML-VAE and AAE runs: headline seeds, first setting)
seeds = "0,1,2"                   # seeds of the headline runs (SEQ encoders and CAE-4 decoders, CatVAE, ML-VAE noise 0.1, AAE semi_supervised and clustering); seed 0 writes to <out_dir>/, seed s to <out_dir>/seed-<s>/
other_seeds = "0"                 # seeds of the other runs (ML-VAE noise 1.0, the other AAE heads)
seq_archs = "cae4,lae4,lae2"      # SEQ encoders (the decoders use cae4)
mlvae_noise = "0.1,1.0"           # ML-VAE group noise settings (the reference repository's two rows)
aae_heads = "all"                 # AAE heads, comma-separated, or all; head:value runs one setting (semi_supervised:100)
force = False                     # rerun every run from scratch (--overwrite=true), also those that are done
jobs = 1                          # runs at once (processes): 2 on a 2-core CPU (one thread each, logs in <out_dir>/logs/), several on a GPU
dry_run = False                   # only list the runs (done, stale, resume, new) and their commands, and exit
report_only = False               # run nothing; rewrite REPORT.md and the README's and docs' generated tables from records/ (with --quick: results/quick/REPORT.md)
records = True                    # copy each full-data run's config.json, metrics.json and log into records/ as it finishes, then (at the end) rewrite REPORT.md, the tables and docs/figures/ from them
data_dir = ""                     # passed to every script; empty: $DATA_DIR if set, else data/ in the repository
device = "auto"                   # passed to every script: auto, cpu, cuda, mps
out_dir = ""                      # where the runs and REPORT.md go; empty: results/ in the repository (--quick appends /quick)
progress = True                   # the scripts' progress bars (the run-by-run display is always on)
# ---------------------------------------------------------------------------------------------------
# aae_heads, selections: checked by reporting.plan (aae_settings, chosen_selections); device: by utils.runtime.get_device; data_dir: by check_data
RULES = {"parts": list_of(names=PARTS), "datasets": list_of(names=DATASETS), "seeds": list_of(int, low=0),
         "selection_seeds": list_of(int, low=0, empty=True), "other_seeds": list_of(int, low=0), "seq_archs": list_of(names=tuple(ARCHS)),
         "mlvae_noise": list_of(float, low=0), "jobs": at_least(1)}


SCRIPTS = ("main_judge", "main_encoder", "main_decoder_mnist", "main_decoder_fmnist", "main_catvae", "main_mlvae",
           "main_aae", "main_probes")


def script_defaults() -> dict:
    """{main_x.py: its header defaults}: a finished run made with other defaults is stale (reporting.plan)."""
    return {f"{name}.py": script_header(Path(__file__).with_name(f"{name}.py")) for name in SCRIPTS}


# what a run resolves at run time from its settings (one data set, one encoder each), as the scripts do: the plan
# compares it with the run's record (reporting.plan.resolve)
RESOLVERS = {"main_encoder.py": lambda s: {"epochs": epochs_for(s, s["datasets"], s["archs"])},
             "main_mlvae.py": lambda s: {"decoder_layers": own_value(s, "decoder_layers", s["dataset"])},
             "main_catvae.py": lambda s: {key: own_value(s, key, s["datasets"]) for key in CATVAE_PER_DATA_SET}}


def planned_jobs(cfg: dict) -> list:
    """Every run of the reproduction (reporting.plan), with the AAE heads' default sweeps from main_aae.py."""
    return plan(cfg, AAE_HEADS, aae_resolve, aae_folder, script_defaults(), RESOLVERS)


def check_data(cfg: dict, jobs: list) -> None:
    """Stop before any run when a data set that ``jobs`` read is missing (or broken: data.DataError). The scripts
    would fall back to the 5,000-image MNIST sample or skip Fashion-MNIST; a reproduction must not, since such runs
    are not comparable with the papers. The folder is the scripts' (utils.datasets.load_or_fallback)."""
    needed = [d for d in DATASETS if any(d in job.datasets for job in jobs)]
    if not needed:
        return
    folder = data_folder(cfg["data_dir"] or None)
    for name in needed:
        try:
            load_dataset(name, folder)
        except DataNotFound as err:
            runs = sum(name in job.datasets for job in jobs)
            raise UserError(f"{folder}: the full {name} data set is missing, and {runs} run(s) need it ({err}); "
                            "reproduce.py does not fall back to the 5,000-image MNIST sample (not comparable with "
                            "the papers); no run was launched") from None


def publish_all() -> list[Path]:
    """REPORT.md and the generated tables from records/ (reporting.records.publish), the SEQ accuracy figure drawn
    from the seed-0 records (docs/figures/seq_accuracy_vs_clusters.png) and the probes' comparison from every seed's
    (docs/figures/probes_comparison.png); returns the files rewritten."""
    figures = REPO / "docs" / "figures"
    before = {p: p.read_bytes() for p in figures.glob("*.png")}
    curves = collect_curves(REPO / "records", subsets=False)
    drawn = []
    if curves:
        drawn.append(accuracy_vs_clusters(curves, {"ks": SEQ_KS, **SEQ_PAPER}, DISPLAY,
                                          figures / "seq_accuracy_vs_clusters.png"))
    groups = probe_groups(REPO / "records")
    if groups:
        drawn.append(comparison(groups, figures / "probes_comparison.png"))
    return [p for p in drawn if before.get(p) != p.read_bytes()] + publish(REPO)


def main(argv=None):
    cfg = parse_config(globals(), argv, __file__)
    aae_settings(cfg["aae_heads"], AAE_HEADS)         # known heads, whole-number settings (also when aae is not run)
    chosen_selections(cfg["selections"])              # known selections (also when they are not run)
    get_device(cfg["device"])                          # one that exists here
    root = output_root(cfg["out_dir"])
    cfg["out_dir"] = str(root / "quick" if cfg["quick"] else root)
    note = " (QUICK run: data subsets and few epochs; not comparable with the papers)" if cfg["quick"] else ""
    if cfg["report_only"]:
        if cfg["quick"]:
            log(f"report: {write_report(ensure_writable(cfg['out_dir']), title_note=note, quick=True)}")
        else:
            changed = publish_all()
            log(f"from records/: {', '.join(str(p.relative_to(REPO)) for p in changed)} written" if changed else
                "from records/: REPORT.md, the generated tables and figures are up to date (nothing changed)")
        return []
    jobs = planned_jobs(cfg)
    state = statuses(jobs)
    launch = [job for job in jobs if cfg["force"] or state[job.name][0] != "done"]
    if cfg["dry_run"]:
        for job in jobs:
            what, why = state[job.name]
            call = f"python {job.script} {' '.join(job.args)}"
            if job.same_as is not None:
                call = f"the same run as {job.same_as.name}, copied from it once it is done"
            elif cfg["force"] or what != "done":
                call += f" {mode(what, cfg['force'])}"
            log(f"{what:<6} {job.name}" + (f" ({'; '.join(why)})" if why else "") + f" (~{clock(60 * job.minutes)}): "
                + call)
        try:
            check_data(cfg, launch)
        except (UserError, DataError) as err:
            log(f"a real run would stop before launching anything: {err}")
        return jobs
    ensure_writable(cfg["out_dir"])
    check_data(cfg, launch)
    log_dir = Path(cfg["out_dir"]) / "logs"
    recording = not cfg["quick"] and cfg["records"]
    # each run is recorded as it finishes, so that an interrupted reproduction keeps the records of what it finished
    record = (lambda job: sync_records([job], cfg["out_dir"], REPO / "records", log_dir)) if recording else None
    failed = run_jobs(jobs, force=cfg["force"], at_once=cfg["jobs"], log_dir=log_dir, on_done=record)
    if not recording:
        log(f"report: {write_report(cfg['out_dir'], title_note=note, failed=failed, quick=cfg['quick'])}")
    else:
        recorded = sync_records(jobs, cfg["out_dir"], REPO / "records", log_dir)
        figures = copy_figures(Path(cfg["out_dir"]), REPO / "docs" / "figures")
        changed = publish_all()
        log(f"records/: {len(recorded)} run(s) recorded, {len(figures)} figure(s) copied to docs/figures/; "
            f"from records/: {', '.join(str(p.relative_to(REPO)) for p in changed) or 'nothing'} rewritten")
    if failed:
        raise UserError(f"{len(failed)} run(s) failed: {', '.join(failed)} (their rows are missing from the report)")
    return jobs


if __name__ == "__main__":
    from utils.errors import run_cli

    run_cli(main)
