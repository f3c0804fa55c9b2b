"""reporting.tables: the README's tables are read from metrics.json files, with mean +- std over seeds."""
import json

from reporting.tables import aae_table, catvae_table, collect_curves, seq_table


def _write(path, obj):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))


def test_catvae_table_averages_the_seeds_of_each_variant(tmp_path):
    for seed, acc in [(0, 0.80), (1, 0.90), (2, 0.85)]:
        _write(tmp_path / f"catvae/mnist/infocatvae/seed-{seed}/metrics.json",
               {"dataset": "mnist", "variant": "infocatvae", "model": "InfoCatVAE", "seed": seed,
                "clustering_accuracy": acc, "nmi": 0.5, "ari": 0.4, "test_elbo": {"neg_elbo": 100.0},
                "seconds": {"total": 120.0}, "model_config": {"scale": 4.0 if seed == 2 else 2.0},
                **({"precision": "bf16"} if seed == 2 else {})})
    table = catvae_table(tmp_path)
    assert "| mnist | InfoCatVAE | 0, 1, 2 | 85.0 +- 5.0 (80.0, 90.0, 85.0) | 0.500 +- 0.000 | 0.400 +- 0.000 | 100.0 " \
           "| 2, 4 | 1 | - | 1 | bf16, fp32 | 2.0 |" in table      # mixed lambdas or precisions: the row says so
    assert "VaDE" in table.splitlines()[-1]  # the peers' reference row follows


def test_aae_table_puts_the_paper_value_next_to_ours(tmp_path):
    _write(tmp_path / "aae/clustering/clusters-16-fashion-mnist/metrics.json",
           {"dataset": "fashion-mnist", "head": "clustering", "setting": "clusters-16-fashion-mnist", "test_error": 0.35,
            "epochs": 20, "images_per_second": 400.0, "seconds": {"total": 600.0}, "test_recon_mse": 0.02})
    _write(tmp_path / "aae/semi_supervised/labels-100/metrics.json",
           {"dataset": "mnist", "head": "semi_supervised", "setting": "labels-100", "test_error": 0.0512, "epochs": 20,
            "images_per_second": 400.0, "seconds": {"total": 600.0}, "test_recon_mse": 0.02})
    _write(tmp_path / "seed-1/aae/semi_supervised/labels-100/metrics.json",
           {"dataset": "mnist", "head": "semi_supervised", "setting": "labels-100", "test_error": 0.0488, "epochs": 20, "precision": "bf16", "seed": 1,
            "images_per_second": 400.0, "seconds": {"total": 600.0}, "test_recon_mse": 0.02})
    rows = aae_table(tmp_path).splitlines()[2:]
    assert rows[0].startswith("| mnist | semi_supervised | labels-100 | 0, 1 | 5.00 +- 0.17 (5.12, 4.88) | 1.90 +- 0.10 | "
                              "20 | bf16, fp32 | 10.0 |")          # mixed precisions; MNIST first, whatever the folders
    assert rows[1].startswith("| fashion-mnist | clustering | clusters-16-fashion-mnist | 0 | 35.00 (one seed) | - |")


# ------------------------------------------------------------------------------------------------ subset runs
def _aae(root, setting, error, seed=0, subset=None, config=None):
    m = {"dataset": "mnist", "head": "semi_supervised", "setting": setting, "test_error": error, "test_recon_mse": 0.02, "epochs": 20,
         "seed": seed, "images_per_second": 400.0, "seconds": {"total": 600.0}, "device": "cpu"}
    _write(root / f"aae/semi_supervised/{setting}/metrics.json", m if subset is None else {**m, "subset": subset})
    if config is not None:
        _write(root / f"aae/semi_supervised/{setting}/config.json", config)


def _subset_runs(root):
    """A full run (labels-100), the same setting's seed 1 on part of the data (it must not enter the mean), a run
    marked subset (labels-1000) and an older one whose config.json alone says it used --train_limit (labels-10)."""
    _aae(root, "labels-100", 0.0512)
    _aae(root / "seed-1", "labels-100", 0.7777, seed=1, subset=True)
    _aae(root, "labels-1000", 0.6666, subset=True)
    _aae(root, "labels-10", 0.5555, config={"train_limit": 6000, "test_limit": 0, "dataset": "mnist"})
    (root / "aae/semi_supervised/labels-1000/scatter.png").write_bytes(b"png")
    _write(root / "seq/mnist-sample/cae4/metrics.json",       # an older run on the 5,000-image sample: no "subset"
           {"dataset": "mnist-sample", "arch": "cae4", "softmax_test_accuracy": 0.4444, "seconds": {"total": 60.0},
            "quantizer": [{"k": 10, "test_accuracy": 0.4444}]})


def test_subset_runs_never_enter_the_reports_rows(tmp_path):
    from reporting.report import build_report, summary_table

    _subset_runs(tmp_path)
    text = build_report(tmp_path)
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`" in line and not line.startswith("| no ")]
    assert rows and all("labels-100" in line for line in rows)
    assert "| test error % | semi_supervised/labels-100, 20 epochs | 5.12 | 0 | 1.90 +- 0.10 |" in text
    for number in ("77.77", "66.66", "55.55", "44.44"):
        assert number not in text
    assert not any(folder in line for line in rows for folder in ("labels-1000", "labels-10,", "seed-1/"))
    assert "scatter.png" not in text                # nor the subset run's figures
    assert ("Subset runs left out: aae/semi_supervised/labels-10, aae/semi_supervised/labels-1000, "
            "seed-1/aae/semi_supervised/labels-100.") in text
    assert "Subset runs left out: seq/mnist-sample/cae4." in text
    assert "66.66" not in summary_table(tmp_path) and "5.12" in summary_table(tmp_path)
    for fn in (aae_table, catvae_table, seq_table):
        assert not any(n in fn(tmp_path) for n in ("66.66", "55.55", "77.77", "44.44"))
    assert "mnist-sample" in collect_curves(tmp_path)           # the encoder's own figure still draws it


def test_a_quick_report_shows_subset_runs_without_a_verdict(tmp_path):
    from reporting.report import build_report

    _subset_runs(tmp_path)
    rows = {line.split("|")[2].strip(): line for line in build_report(tmp_path, quick=True).splitlines()
            if line.startswith("| test error %")}
    assert "| 66.66 |" in rows["semi_supervised/labels-1000, 20 epochs"]
    assert "| subset run: no verdict |" in rows["semi_supervised/labels-1000, 20 epochs"]
    assert "| subset run: no verdict |" in rows["semi_supervised/labels-10, 20 epochs"]
    full_and_subset = rows["semi_supervised/labels-100, 20 epochs"]           # seed 0 full, seed 1 subset
    assert "| 0, 1 |" in full_and_subset and "| subset run: no verdict |" in full_and_subset


# ------------------------------------------------------------------------------------------------ verdicts
def _cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _runs_beating_every_reference(root):
    """One run per paper whose numbers would beat every reference: the verdicts must still hold back where the
    reference is unverified, from another method or protocol, or the metric leaks the labels."""
    _write(root / "seq/mnist/cae4/metrics.json",
           {"dataset": "mnist", "arch": "cae4", "seed": 0, "softmax_test_accuracy": 0.9935, "seconds": {"total": 60.0},
            "quantizer": [{"k": 10, "test_accuracy": 0.99}]})
    for seed in (0, 1):
        for variant in ("catvae", "infocatvae"):
            _write(root / f"catvae/mnist/{variant}/seed-{seed}/metrics.json",
                   {"seed": seed, "clustering_accuracy": 0.99 + 0.001 * seed, "nmi": 0.9, "seconds": {"total": 60.0}})
    _write(root / "mlvae/mnist/noise-0.1/metrics.json",
           {"seed": 0, "group_noise_std": 0.1, "class_probe_test_accuracy_single_image": 0.99,
            "style_probe_test_accuracy": 0.11, "class_probe_test_accuracy_grouped_by_true_label_LEAKS_LABELS": 1.0,
            "swap_class_kept": 0.9, "seconds": {"total": 60.0}})
    for head, setting in [("semi_supervised", "labels-100"), ("semi_supervised", "labels-1000"),
                          ("clustering", "clusters-16"), ("clustering", "clusters-30"),
                          ("dim_reduction", "clusters-20")]:
        _write(root / f"aae/{head}/{setting}/metrics.json",
               {"seed": 0, "test_error": 0.001, "test_recon_mse": 0.02, "epochs": 5, "seconds": {"total": 60.0}})


UNVERIFIED = ["semi_supervised/labels-1000", "clustering/clusters-16", "clustering/clusters-30",
              "dim_reduction/clusters-20"]


def test_report_marks_unverified_references_and_never_judges_peers_or_probes(tmp_path):
    from reporting.report import build_report, summary_table

    _runs_beating_every_reference(tmp_path)
    text = build_report(tmp_path)
    rows = [_cells(line) for line in text.splitlines() if line.startswith("| ") and "`" in line]
    by = {(r[0], r[1]): r for r in rows}       # metric, setting -> cells; reference = r[4], verdict = r[6]
    for setting in UNVERIFIED:
        r = by[("test error %", f"{setting}, 5 epochs")]
        assert r[4].endswith("(unverified)") and r[6] == "unverified reference: no verdict", r
    verified = by[("test error %", "semi_supervised/labels-100, 5 epochs")]
    assert verified[4] == "1.90 +- 0.10" and verified[6] == "beats (one seed)"
    catvae = [r for r in rows if "clustering accuracy" in r[0]]
    assert len(catvae) == 2
    for r in catvae:
        assert r[3] == "0, 1" and r[6].startswith("context only (another method: VaDE"), r
    mlvae = [r for r in rows if r[1] == "mnist noise-0.1" and r[4] != "-"]
    assert len(mlvae) == 3
    for r in mlvae:
        assert r[6].startswith("context only (another protocol:") or r[6] == "leaks labels: context only", r
    assert by[("class code grouped by TRUE label (leaks labels), test probe %", "mnist noise-0.1")][6] == \
        "leaks labels: context only"
    for r in catvae + mlvae:
        assert not any(word in r[6] for word in ("meets", "beats", "short by", "within")), r
    assert by[("softmax classifier, test accuracy %", "mnist cae4")][4:7] == [
        "99.20 (digitized)", "SEQ repository images/fig3.jpg, digitized (+-0.2 points)", "meets (one seed)"]
    assert by[("SEQ quantizer K=10, test accuracy %", "mnist cae4")][6] == "beats (one seed)"
    for words in ("*meets*", "*beats*", "*short by X*", "*within our spread*", "*context only*", "*one seed*",
                  "*unverified reference: no verdict*", "*leaks labels: context only*", "+-0.2 points"):
        assert words in text.split("\n## ")[0], words          # the header explains every verdict

    summary = [_cells(line) for line in summary_table(tmp_path).splitlines()[2:]]
    assert len(summary) == 2 + 2 + 3 + 5    # SEQ softmax and K=10 (one of the summary's K), CatVAE, ML-VAE, AAE
    for r in summary:                       # paper, metric, setting, ours, seeds, reference, verdict, minutes
        if any(r[2].startswith(u) for u in UNVERIFIED):
            assert r[5].endswith("(unverified)") and r[6] == "unverified reference: no verdict", r
        if r[0] in ("CatVAE / InfoCatVAE", "Multi-Level VAE"):
            assert "context only" in r[6] and not any(w in r[6] for w in ("meets", "beats", "short")), r
    assert sum("(unverified)" in r[5] for r in summary) == len(UNVERIFIED)


def test_every_reference_says_how_far_it_can_be_trusted():
    """Unverified values say so in their source text (which tables print); context values name the other method or
    protocol; the older plain names carry the same numbers."""
    from reporting import references as R

    every = [*R.SEQ_REFERENCES.values(), *R.AAE_REFERENCES.values(), *R.CATVAE_REFERENCES.values(),
             *R.MLVAE_REFERENCES.values(), *[r for peers in R.CLUSTERING_PEER_REFERENCES.values() for _, r in peers]]
    assert len(every) == 74 + 5 + 2 + 16 + 8
    for r in every:
        assert r.source
        assert r.verified == ("unverified" not in r.source and "hearsay" not in r.source), r
        assert r.same_protocol == (not r.note.startswith(("another method", "another protocol"))), r
        assert r.digitized == ("digitized" in r.source), r
    assert [k for k, r in R.AAE_REFERENCES.items() if not r.verified] == [
        ("semi_supervised", "labels-1000"), ("clustering", "clusters-16"), ("clustering", "clusters-30"),
        ("dim_reduction", "clusters-20")]
    assert all(not r.same_protocol for r in R.CATVAE_REFERENCES.values())
    assert R.AAE_PAPER[("clustering", "clusters-16")] == (0.0955, 0.0225, "paper Table 3 (recalled, unverified)")
    assert R.CLUSTERING_PEERS["mnist"][-1] == ("VaDE (with the shipped pretrained AE)", 0.9446, "slim1017/VaDE README")
    assert R.CATVAE_REFERENCE["fashion-mnist"][0] == 0.618
    assert R.SEQ_REFERENCES[("fashion-mnist", "lae2", 20)].value == R.SEQ_PAPER["fashion-mnist"]["lae2"][1]
    assert R.MLVAE_REFERENCES[(0.1, "none", "style_test")].value == 0.4299
    assert R.AAE_REFERENCES[("dim_reduction", "clusters-20")].percent_text() == "13.50 (unverified)"
    assert R.AAE_REFERENCES[("semi_supervised", "labels-100")].percent_text() == "1.90 +- 0.10"


def test_the_seq_table_averages_test_runs_over_seed_folders_and_leaves_out_validation_and_subset_runs(tmp_path):
    from reporting.tables import seq_table

    def run(root, seed, acc, **extra):
        folder = root / "seq" / "mnist" / "cae4"
        folder.mkdir(parents=True)
        quantizer = [{"k": k, "test_accuracy": acc} for k in (10, 20, 50, 100, 120)]
        (folder / "metrics.json").write_text(json.dumps({"dataset": "mnist", "arch": "cae4", "seed": seed,
                                                         "softmax_test_accuracy": acc, "quantizer": quantizer,
                                                         **extra}))
        (folder / "config.json").write_text(json.dumps({"seed": seed, "train_limit": 0, "test_limit": 0}))

    run(tmp_path, 0, 0.98)                       # seed 0 at the top, seed s under seed-<s>/ (reporting.plan)
    run(tmp_path / "seed-1", 1, 0.99)
    run(tmp_path / "val", 2, 0.10, eval_split="val")
    run(tmp_path / "seed-3", 3, 0.20, subset=True)
    rows = seq_table(tmp_path).splitlines()
    assert len(rows) == 3 and rows[2].count("98.50 +- 0.71 (98.00, 99.00)") == 6
    assert rows[2].startswith("| mnist | CAE-4 | 0, 1 | 98.50 +- 0.71 (98.00, 99.00) / 99.2 | "
                              "98.50 +- 0.71 (98.00, 99.00) / 85.5 |")      # ours / the paper's (digitized)


def test_the_catvae_summary_never_averages_subset_runs_with_full_ones(tmp_path):
    from reporting.tables import catvae_summary

    def run(seed, acc, subset):
        _write(tmp_path / f"catvae/mnist/catvae/seed-{seed}/metrics.json",
               {"dataset": "mnist", "variant": "catvae", "seed": seed, "subset": subset, "clustering_accuracy": acc,
                "nmi": 0.5, "ari": 0.4, "test_elbo": {"neg_elbo": 100.0}})

    run(0, 0.2, True)
    assert catvae_summary(tmp_path)["mnist"]["catvae"]["subset"] is True      # subset runs only: used, and said so
    run(1, 0.8, False)
    s = catvae_summary(tmp_path)["mnist"]["catvae"]
    assert s["seeds"] == [1] and s["clustering_accuracy_mean"] == 0.8 and s["subset"] is False


def test_the_mlvae_reference_applies_to_mnist_runs_only(tmp_path):
    """The reference repository's table is MNIST's: a Fashion-MNIST run of the same setting gets no reference."""
    from reporting.report import mlvae_rows

    m = {"seed": 0, "group_noise_std": 0.1, "class_probe_test_accuracy_single_image": 0.8,
         "style_probe_test_accuracy": 0.3, "class_probe_test_accuracy_grouped_by_true_label_LEAKS_LABELS": 0.9,
         "swap_class_kept": 0.8, "seconds": {"total": 60.0}}
    for ds in ("mnist", "fashion-mnist"):
        _write(tmp_path / f"mlvae/{ds}/noise-0.1/metrics.json", {**m, "dataset": ds})
        _write(tmp_path / f"mlvae/{ds}/noise-0.1/config.json", {"seed": 0, "dataset": ds, "train_limit": 0})
    rows = mlvae_rows(tmp_path)
    by_ds = {ds: [r for r in rows if r.setting.startswith(f"{ds} ")] for ds in ("mnist", "fashion-mnist")}
    assert any(r.ref is not None for r in by_ds["mnist"])
    assert by_ds["fashion-mnist"] and all(r.ref is None for r in by_ds["fashion-mnist"])


def test_a_fashion_mnist_aae_row_gets_no_paper_reference_and_says_why(tmp_path):
    """The AAE paper runs MNIST only: a Fashion-MNIST run (its folder and setting end in -fashion-mnist) is not
    compared with the MNIST number, and its source cell points to the targets stated before the runs."""
    from reporting.report import aae_rows

    for ds, setting in (("mnist", "labels-100"), ("fashion-mnist", "labels-100-fashion-mnist")):
        _write(tmp_path / f"aae/semi_supervised/{setting}/metrics.json",
               {"head": "semi_supervised", "setting": setting, "dataset": ds, "test_error": 0.2, "seed": 0,
                "test_recon_mse": 0.02, "epochs": 60, "seconds": {"total": 60.0}})
    errors = {r.setting: r for r in aae_rows(tmp_path) if r.key == "test_error"}
    assert errors["semi_supervised/labels-100, 60 epochs"].ref is not None
    fashion = errors["semi_supervised/labels-100-fashion-mnist, 60 epochs"]
    assert fashion.ref is None and "MNIST only" in fashion.source and "docs/aae.md" in fashion.source


def test_a_row_whose_seeds_were_run_with_different_recipes_is_refused(tmp_path):
    import pytest

    from utils.errors import UserError

    recipe = {"head": "semi_supervised", "epochs": 30, "vat_weight": 3.0, "out_dir": "/tmp/a", "progress": True}
    _aae(tmp_path, "labels-100", 0.03, config={**recipe, "seed": 0, "data_source": "/data (idx)", "device_used": "cpu",
                                               "cpu": "Intel Xeon", "threads": 1, "torch_version": "2.14.1"})
    _aae(tmp_path / "seed-1", "labels-100", 0.02, seed=1,       # where and how it ran: the same recipe
         config={**recipe, "seed": 1, "out_dir": "/tmp/b/seed-1", "progress": False, "data_source": "/data (csv)",
                 "device_used": "cuda", "cpu": "AMD EPYC", "gpu": "NVIDIA H200", "threads": 2,
                 "torch_version": "2.11.0"})
    _aae(tmp_path / "seed-2", "labels-100", 0.04, seed=2, config={"seed": 2, "epochs": 30})   # predates vat_weight
    assert "3.00 +- 1.00 (3.00, 2.00, 4.00)" in aae_table(tmp_path)
    _aae(tmp_path / "seed-2", "labels-100", 0.04, seed=2, config={**recipe, "seed": 2, "vat_weight": 0.0})
    with pytest.raises(UserError, match=r"labels-100: its seeds \(0, 1, 2\) were run with different settings: "
                                        r"vat_weight \(3\.0, 0\.0\)"):
        aae_table(tmp_path)


def test_a_run_that_predates_a_setting_joins_a_row_at_the_value_it_had(tmp_path):
    """An ML-VAE seed recorded before encoder_layers existed had one encoder layer (reporting.tables.PREDATING): it
    shares a row with a seed that records one layer, and is refused beside a seed that records two."""
    import pytest

    from reporting.tables import seeded_runs
    from utils.errors import UserError

    m = {"dataset": "mnist", "setting": "noise-0.1", "eval_split": "test"}
    _write(tmp_path / "mlvae/mnist/noise-0.1/metrics.json", {**m, "seed": 0})
    _write(tmp_path / "mlvae/mnist/noise-0.1/config.json", {"seed": 0, "train_limit": 0})            # predates it
    second = tmp_path / "seed-1/mlvae/mnist/noise-0.1"
    _write(second / "metrics.json", {**m, "seed": 1})
    _write(second / "config.json", {"seed": 1, "train_limit": 0, "encoder_layers": 1})
    runs = seeded_runs(tmp_path, "mlvae/*/*/metrics.json", script="main_mlvae.py")
    assert [r["seed"] for r in runs["mlvae/mnist/noise-0.1"]] == [0, 1]
    _write(second / "config.json", {"seed": 1, "train_limit": 0, "encoder_layers": 2})
    with pytest.raises(UserError, match=r"were run with different settings: encoder_layers \(1, 2\)"):
        seeded_runs(tmp_path, "mlvae/*/*/metrics.json", script="main_mlvae.py")
