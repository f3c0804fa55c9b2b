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
                "seconds": {"total": 120.0}})
    table = catvae_table(tmp_path)
    assert "| mnist | InfoCatVAE | 0, 1, 2 | 85.0 +- 5.0 | 0.500 | 0.400 | 100.0 | 2.0 |" in table
    assert "VaDE" in table  # the peers' reference rows follow


def test_aae_table_puts_the_paper_value_next_to_ours(tmp_path):
    _write(tmp_path / "aae/semi_supervised/labels-100/metrics.json",
           {"head": "semi_supervised", "setting": "labels-100", "test_error": 0.0512, "epochs": 20,
            "images_per_second": 400.0, "seconds": {"total": 600.0}, "test_recon_mse": 0.02})
    row = [r for r in aae_table(tmp_path).splitlines() if "labels-100" in r][0]
    assert "| 5.12 | 1.90 +- 0.10 | 20 | 400 | 10.0 |" in row


# ------------------------------------------------------------------------------------------------ subset runs
def _aae(root, setting, error, seed=0, subset=None, config=None):
    m = {"head": "semi_supervised", "setting": setting, "test_error": error, "test_recon_mse": 0.02, "epochs": 20,
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
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
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
