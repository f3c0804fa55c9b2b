"""One comparison across the systems (issue 27; in none of the papers): the same probes on every system's code.

Reads the finished runs of the other scripts (nothing is trained here) and, for each data set, probes each code with
evaluation/probes.py: linear-probe accuracy, k-means (K = 10) Hungarian accuracy and NMI, and the accuracy of a
classifier fitted on 100 labelled training images. The codes:

- SEQ: the CAE-4 encoder's 128 features (main_encoder.py's features.pt), a supervised code (context for the rest);
- CatVAE / InfoCatVAE: the posterior mean E[z|x] (main_catvae.py's model.pt), unsupervised;
- ML-VAE: the class code and the style code of one image (posterior means; main_mlvae.py's mlvae.pt, noise 0.1),
  trained with grouped labels;
- AAE: q(y|x) and the style code z of a clustering head (main_aae.py's model.pt), unsupervised: 30 clusters on MNIST
  (the paper's best unsupervised result), 16 on Fashion-MNIST (the clustering setting run there); reporting.plan's
  PROBED_AAE_RUNS.

A system without a finished run is left out (and said so). With --resume=true the probes of the systems named in
--systems are redone and the folder's rows of the other systems are kept, so one system can join a comparison whose
other runs are gone (``python main_probes.py --systems=aae --datasets=mnist --resume=true``).

Writes <out_dir>/probes/<dataset>/ (config.json, metrics.json); the seed-s runs' probes go to
<out_dir>/seed-<s>/probes/<dataset>/ as the runs they read (reporting/plan.py seed_root).

    python main_probes.py                 # after main_encoder.py, main_catvae.py, main_mlvae.py, main_aae.py (seed 0)
    python main_probes.py --seed=1        # the runs of seed 1
"""
import time
from pathlib import Path

import torch

from data import DATASETS
from evaluation.probes import probe
from main_aae import folder_name
from models.aae import AAE, AAE_KIND
from models.catvae import CATVAE_KIND, CatVAE
from models.encoders import DISPLAY
from models.mlvae import MLVAE, MLVAE_KIND
from reporting.plan import PROBED_AAE_RUNS, seed_root
from reporting.tables import read_json, subset_run
from utils.config import at_least, list_of, one_of, parse_config, split_list
from utils.datasets import EVAL_SPLITS, load_split
from utils.errors import UserError
from utils.io import ensure_writable, file_digest, fresh_run_dir, load_checkpoint, output_root, save_json
from utils.progress import bar, log
from utils.runtime import get_device, run_environment, seed_everything

# ---- hyperparameters: edit here, or override as --key=value (python main_probes.py -h lists them) ----
datasets = "mnist,fashion-mnist"            # comma-separated: mnist, fashion-mnist
systems = "seq,catvae,infocatvae,mlvae,aae" # whose codes: seq (CAE-4 features), catvae, infocatvae, mlvae (class and style codes), aae (clustering head: q(y|x) and z)
data_dir = ""                               # empty: $DATA_DIR if set, else data/ in the repository
runs_dir = ""                               # where the runs to probe are; empty: results/ in the repository
eval_split = "test"                         # test: probe the test-split runs on the test images; val: the validation-split runs (<runs_dir>/val/) on the last 10,000 training images (the test set is not read; writes <out_dir>/val/)
seed = 0                                    # whose runs (seed 0: <runs_dir>/..., seed s: <runs_dir>/seed-<s>/...; CatVAE: its seed-<s> folder); also seeds the probes
clusters = 10                               # K of the k-means probe
labels = 100                                # labelled training images of the few-label probe (the same number per class)
device = "auto"                             # auto (cuda, then mps, then cpu), cpu, cuda, mps: where the codes are computed
eval_batch_size = 1000                      # images per forward pass when encoding
out_dir = ""                                # writes <out_dir>/probes/<dataset>/ (seed s: <out_dir>/seed-<s>/probes/...); empty: results/
resume = False                              # redo the probes of --systems in a folder that has probes, keeping its rows of the other systems
overwrite = False                           # replace an earlier probe run in the same folder (with resume: refused)
progress = True                             # a progress bar over the runs probed
paper_settings = False                      # no paper has these probes: accepted for symmetry with the other scripts, changes nothing
# ---------------------------------------------------------------------------------------------------
SYSTEMS = ("seq", "catvae", "infocatvae", "mlvae", "aae")
PAPER = {}
RULES = {"eval_split": one_of(*EVAL_SPLITS), "datasets": list_of(names=DATASETS), "systems": list_of(names=SYSTEMS),
         "seed": at_least(0),
         "clusters": at_least(2), "labels": at_least(10), "eval_batch_size": at_least(1)}
MLVAE_SETTING = "noise-0.1"


def run_folders(runs: Path, dataset: str, system: str, seed: int) -> Path:
    """The run folder of ``system`` on ``dataset`` for ``seed`` (the layout of reporting.plan)."""
    root = Path(seed_root(str(runs), seed))
    if system == "seq":
        return root / "seq" / dataset / "cae4"
    if system in ("catvae", "infocatvae"):
        return runs / "catvae" / dataset / system / f"seed-{seed}"
    if system == "aae":
        head, setting = PROBED_AAE_RUNS[dataset]
        return root / "aae" / head / folder_name(setting, dataset)
    return root / "mlvae" / dataset / MLVAE_SETTING


def codes_of(system: str, folder: Path, split, device, batch_size: int) -> list[tuple]:
    """[(name, training codes, their labels, scored codes, their labels)] of one finished run: the codes of the
    images of ``split`` (SEQ: the features the encoder run saved, with the labels of the images they encode)."""
    _, xtr, ytr, xte, yte, _ = split
    if system == "seq":
        feats = load_checkpoint(folder / "features.pt", "seq-features", "run python main_encoder.py first")
        return [(f"SEQ {DISPLAY['cae4']} features (supervised)", feats["train"], feats["train_labels"], feats["test"],
                 feats["test_labels"])]
    if system in ("catvae", "infocatvae"):
        state = load_checkpoint(folder / "model.pt", CATVAE_KIND, "run python main_catvae.py first")
        model = CatVAE.from_config(state["model_config"]).to(device).eval()
        model.load_state_dict(state["model"])
        name = "InfoCatVAE" if system == "infocatvae" else "CatVAE"
        with torch.inference_mode():
            return [(f"{name} E[z|x]", model.codes(xtr.to(device), batch_size), ytr,
                     model.codes(xte.to(device), batch_size), yte)]
    if system == "aae":
        state = load_checkpoint(folder / "model.pt", AAE_KIND, "run python main_aae.py --head=clustering")
        model = AAE(**state["model_config"]).to(device)
        model.load_state_dict(state["model"])
        tr, te = model.codes(xtr, batch_size), model.codes(xte, batch_size)
        return [(f"AAE q(y|x), {model.n_y} clusters", tr["q_y"], ytr, te["q_y"], yte),
                ("AAE style code z (clustering head)", tr["z"], ytr, te["z"], yte)]
    state = load_checkpoint(folder / "mlvae.pt", MLVAE_KIND, "run python main_mlvae.py first")
    model = MLVAE(**state["model_config"]).to(device)
    model.load_state_dict(state["model"])
    tr, te = model.codes(xtr, batch_size), model.codes(xte, batch_size)
    return [("ML-VAE class code (one image)", tr["class_mu"], ytr, te["class_mu"], yte),
            ("ML-VAE style code", tr["style_mu"], ytr, te["style_mu"], yte)]


def kept_probes(out: Path, cfg: dict, probed: dict) -> tuple[list[dict], dict, dict]:
    """The rows, run folders and seconds of the probes in ``out`` (an earlier main_probes.py run) of the systems not
    in ``probed``, which are kept beside the new ones; none when ``out`` holds no probes. Refused when the earlier
    probes were made with another K or number of labels (one table would mix two protocols)."""
    if not (out / "metrics.json").is_file():
        return [], {}, {}
    earlier = read_json(out / "config.json")
    changed = [f"--{k}={earlier.get(k)}" for k in ("clusters", "labels") if earlier.get(k) != cfg[k]]
    if changed:
        raise UserError(f"{out}: its probes were made with {' '.join(changed)}; add to them with those values, or "
                        "redo every system with --overwrite=true")
    metrics = read_json(out / "metrics.json")
    rows = [r for r in metrics["rows"] if r["system"] not in probed]
    kept = {s: f for s, f in earlier.get("runs", {}).items() if s not in probed}
    return rows, kept, {s: t for s, t in metrics["seconds"].items() if s in kept}


def main(argv=None) -> dict:
    cfg = parse_config(globals(), argv, __file__)
    device = get_device(cfg["device"])
    runs = output_root(cfg["runs_dir"], cfg["eval_split"])
    out_root = Path(seed_root(str(ensure_writable(output_root(cfg["out_dir"], cfg["eval_split"]))), cfg["seed"]))
    results = {}
    for dataset in split_list(cfg["datasets"]):
        found = {s: run_folders(runs, dataset, s, cfg["seed"]) for s in split_list(cfg["systems"])}
        missing = [f"{s} ({f})" for s, f in found.items() if not (f / "metrics.json").is_file()]
        for item in missing:
            log(f"{dataset}: no finished run of {item}: left out of the probes")
        found = {s: f for s, f in found.items() if (f / "metrics.json").is_file()}
        if not found:
            log(f"{dataset}: no finished run to probe under {runs} for seed {cfg['seed']}")
            continue
        split = load_split(dataset, cfg["data_dir"] or None, eval_split=cfg["eval_split"])
        if split is None:
            raise UserError(f"{dataset} data not found (see the warning above)")
        tag, source = split[0], split[-1]
        out = fresh_run_dir(out_root, "probes", tag, resume=cfg["resume"], overwrite=cfg["overwrite"])
        kept, kept_runs, seconds = kept_probes(out, cfg, found) if cfg["resume"] else ([], {}, {})
        ran = {**kept_runs, **{s: str(f) for s, f in found.items()}}
        systems = ",".join(s for s in SYSTEMS if s in split_list(cfg["systems"]) or s in kept_runs)
        save_json(out / "config.json", {**cfg, "systems": systems, "dataset": tag, "data_source": source,
                                        **run_environment(device), "runs": {s: ran[s] for s in SYSTEMS if s in ran}})
        rows = []
        for system, folder in bar(found.items(), enabled=cfg["progress"], desc=f"{dataset} probes", total=len(found)):
            t0 = time.perf_counter()
            run_config = read_json(folder / "config.json")
            if run_config.get("eval_split", "test") != cfg["eval_split"]:
                raise UserError(f"{folder}: a run of --eval_split={run_config.get('eval_split', 'test')}; these probes "
                                f"read --eval_split={cfg['eval_split']} runs")
            for name, train, ytr_run, test, yte_run in codes_of(system, folder, split, device, cfg["eval_batch_size"]):
                seed_everything(cfg["seed"])
                # the run is named by its folder and its metrics.json's digest, so that a table of recorded probes
                # can tell the run probed from a later one in the same folder (reporting.tables.probe_groups)
                row = {"system": system, "code": name, "run": folder.relative_to(runs).as_posix(),
                       "run_metrics_sha256": file_digest(folder / "metrics.json"),
                       "run_subset": subset_run(folder / "metrics.json"),
                       **probe(train, ytr_run, test, yte_run, clusters=cfg["clusters"], labels=cfg["labels"],
                               seed=cfg["seed"])}
                rows.append(row)
                log(f"{tag} {name}: linear {100 * row['linear_probe_accuracy']:.2f}%, k-means "
                    f"{100 * row['kmeans_accuracy']:.2f}% (NMI {row['kmeans_nmi']:.3f}), {cfg['labels']} labels "
                    f"{100 * row['few_labels_accuracy']:.2f}%")
            seconds[system] = time.perf_counter() - t0
        rows = sorted(kept + rows, key=lambda r: SYSTEMS.index(r["system"]))   # stable: a system's codes in order
        metrics = {"dataset": tag, "seed": cfg["seed"], "eval_split": cfg["eval_split"], "rows": rows,
                   "subset": any(r["run_subset"] for r in rows) or tag == "mnist-sample",
                   "seconds": {**{s: seconds[s] for s in SYSTEMS if s in seconds},   # kept ones: their own
                               "total": sum(seconds.values())}}
        save_json(out / "metrics.json", metrics)
        results[tag] = metrics
        log(f"{tag}: {out / 'metrics.json'}")
    if not results:
        raise UserError(f"{runs}: no finished run of {cfg['systems']} for seed {cfg['seed']} on {cfg['datasets']}; "
                        "run main_encoder.py, main_catvae.py, main_mlvae.py or main_aae.py first (or point "
                        "--runs_dir at their output folder)")
    return results


if __name__ == "__main__":
    from utils.errors import run_cli

    run_cli(main)
