"""reporting.tables: the README's tables are read from metrics.json files, with mean +- std over seeds."""
import json

from reporting.tables import aae_table, catvae_table


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
