"""reporting.targets: issue 27's scoreboard. A target is met when the mean over the seeds is on its side of the bound,
each seed is counted on its own, a judged number shows its judge's accuracy, a target without runs says so; and every
target names a run that the committed records hold."""
import json
from pathlib import Path

import pytest

from reporting import targets
from reporting.targets import TARGETS, Target, _largest_k_gap, targets_table

ROOT = Path(__file__).resolve().parents[1]


def _run(folder: Path, **metrics):
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text(json.dumps({"eval_split": "test", **metrics}))


def _rows(table: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split("|")] for line in table.splitlines()[2:]]


def test_mean_decides_and_each_seed_is_counted_in_the_bound_direction(tmp_path, monkeypatch):
    _run(tmp_path / "aae/x", seed=0, test_error=0.018)              # seed 0 at the top, seed s under seed-<s>/
    _run(tmp_path / "seed-1/aae/x", seed=1, test_error=0.021)
    _run(tmp_path / "seed-2/aae/x", seed=2, test_error=0.020)
    _run(tmp_path / "c/seed-0", seed=0, acc=0.91, judge={"accuracy": 0.99})
    _run(tmp_path / "c/seed-1", seed=1, acc=0.95, judge={"accuracy": 0.97})
    monkeypatch.setattr(targets, "TARGETS", [
        Target("AAE", "mnist", "error", "aae/x", "test_error", 0.019, "lower"),
        Target("AAE", "mnist", "error, looser", "aae/x", "test_error", 0.0197, "lower"),
        Target("CatVAE", "mnist", "judged", "c/seed-*", "acc", 0.92, judged=True),
        Target("ML-VAE", "mnist", "absent", "mlvae/none", "swap_class_kept", 0.97, judged=True),
        Target("CatVAE", "mnist", "unjudged", "c/seed-*", "judged_prior_samples_mode_class", 0.9, judged=True),
    ])
    strict, loose, judged, absent, unmeasured = _rows(targets_table(tmp_path))
    assert strict[3:7] == ["<= 1.9", "1.97 +- 0.15 (1.80, 2.10, 2.00)", "0, 1, 2", "no (1 of 3 seeds)"]
    assert loose[6] == "yes (1 of 3 seeds)"                 # the mean (1.967) meets 1.97, one seed does
    assert judged[3:8] == [">= 92", "93.00 +- 2.83 (91.00, 95.00)", "0, 1", "yes (1 of 2 seeds)", "98.00 +- 1.41"]
    assert absent[4:8] == ["no record", "-", "-", "-"]
    assert unmeasured[4:8] == ["not measured by its runs", "-", "-", "-"]


def test_a_mean_exactly_on_the_bound_meets_it():
    t = Target("SEQ", "mnist", "k", "seq/mnist/cae4", "x", 0.99)
    assert t.meets(0.99) and not t.meets(0.9899)
    low = Target("AAE", "mnist", "e", "aae/x", "x", 0.019, "lower")
    assert low.meets(0.019) and not low.meets(0.0191)


def test_largest_k_gap_is_the_worst_k_below_the_softmax_and_zero_when_every_k_is_above():
    m = {"softmax_test_accuracy": 0.99, "quantizer": [{"k": 10, "test_accuracy": 0.985},
                                                      {"k": 20, "test_accuracy": 0.992}]}
    assert _largest_k_gap(m) == pytest.approx(0.005)
    m["quantizer"][0]["test_accuracy"] = 0.995
    assert _largest_k_gap(m) == 0.0


def test_every_target_names_a_run_the_records_hold_and_reads_its_number():
    table = targets_table(ROOT / "records")
    rows = _rows(table)
    assert len(rows) == len(TARGETS)
    assert not [r for r in rows if r[4] in ("no record", "not measured by its runs")], table
    for t, row in zip(TARGETS, rows):
        assert row[8] != "-" if t.judged else row[7] == "-", row    # the judge's accuracy beside judged numbers only
