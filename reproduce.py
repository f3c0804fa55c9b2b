"""Regenerate every number and figure of the four papers, then write results/REPORT.md.

Runs each script with its defaults (SEQ encoder and decoders, CatVAE/InfoCatVAE, ML-VAE, the seven AAE heads)
over the configured seeds, in separate processes, skipping every run whose metrics.json already exists; then
writes <out_dir>/REPORT.md: per paper, each metric with ours (mean +- std over seeds, read from the runs'
metrics.json files), the reference value and its source, match / beat / short, minutes and device, and the
figures next to the originals' counterparts. reporting/plan.py plans and runs; reporting/report.py writes.

    python reproduce.py                       # everything missing (hours on a 2-core CPU: docs/speed.md)
    python reproduce.py --quick=true          # subsets and few epochs (minutes); writes results/quick/
    python reproduce.py --parts=seq,mlvae     # some papers only
    python reproduce.py --report_only=true    # only rewrite REPORT.md from the runs already there
    python reproduce.py --dry_run=true        # list the runs, their commands and what is already done
"""
from main_aae import HEADS as AAE_HEADS
from main_aae import resolve as aae_resolve
from reporting.plan import clock, plan, run_jobs
from reporting.report import write_report
from utils.config import parse_config, split_list
from utils.errors import UserError
from utils.progress import log

# ---- hyperparameters: edit here, or override as --key=value (python reproduce.py -h lists them) ----
quick = False                     # reduced run (subsets, 1-5 epochs; numbers NOT comparable) into <out_dir>/quick/
parts = "seq,catvae,mlvae,aae"    # which papers: seq (encoder + decoders), catvae, mlvae, aae
datasets = "mnist,fashion-mnist"  # for SEQ and CatVAE (ML-VAE and the AAE heads run on MNIST, as the papers)
seeds = "0"                       # seeds of SEQ, ML-VAE and AAE runs; the first writes to <out_dir>/, others to <out_dir>/seed-<s>/
catvae_seeds = "0,1,2"            # CatVAE seeds (its folders carry the seed: catvae/<dataset>/<variant>/seed-<s>/)
seq_archs = "cae4,lae4,lae2"      # SEQ encoders (the decoders use cae4)
mlvae_noise = "0.1,1.0"           # ML-VAE group noise settings (the reference repository's two rows)
aae_heads = "all"                 # AAE heads, comma-separated, or all; head:value runs one setting (semi_supervised:100)
force = False                     # rerun runs whose metrics.json already exists
dry_run = False                   # only list the runs and exit
report_only = False               # run nothing; rewrite REPORT.md from the metrics.json files present
data_dir = ""                     # passed to every script; empty: $DATA_DIR if set, else data/
device = "auto"                   # passed to every script: auto, cpu, cuda, mps
out_dir = "results"               # where the runs and REPORT.md go (--quick appends /quick)
progress = True                   # the scripts' progress bars (the run-by-run display is always on)
# ---------------------------------------------------------------------------------------------------


def planned_jobs(cfg: dict) -> list:
    """Every run of the reproduction (reporting.plan), with the AAE heads' default sweeps from main_aae.py."""
    return plan(cfg, AAE_HEADS, lambda head, value: aae_resolve({}, head, value)["setting"])


def main(argv=None):
    cfg = parse_config(globals(), argv, __file__)
    unknown = set(split_list(cfg["parts"])) - {"seq", "catvae", "mlvae", "aae"}
    if unknown:
        raise UserError(f"--parts: unknown {', '.join(sorted(unknown))} (use seq, catvae, mlvae, aae)")
    if cfg["quick"]:
        cfg["out_dir"] = f"{cfg['out_dir']}/quick"
    jobs = planned_jobs(cfg)
    if cfg["dry_run"]:
        for job in jobs:
            log(f"{'done' if job.done() else 'todo'}  {job.name} (~{clock(60 * job.minutes)}): "
                f"python {job.script} {' '.join(job.args)}")
        return jobs
    failed = [] if cfg["report_only"] else run_jobs(jobs, force=cfg["force"])
    note = " (QUICK run: data subsets and few epochs; not comparable with the papers)" if cfg["quick"] else ""
    report = write_report(cfg["out_dir"], title_note=note, failed=failed)
    log(f"report: {report}")
    if failed:
        raise UserError(f"{len(failed)} run(s) failed: {', '.join(failed)} (their rows are missing from {report})")
    return jobs


if __name__ == "__main__":
    from utils.errors import run_cli

    run_cli(main)
