"""evaluation/probes.py and main_probes.py: the same probes on every system's code (issue 27's comparison)."""
import json

import pytest
import torch

import evaluation.probes as probes
from evaluation.probes import probe
from utils.errors import UserError
from utils.io import file_digest, save_json


def _codes(n: int, seed: int, noise: float):
    """Codes that are the one-hot label plus Gaussian noise (``noise`` large: no class information)."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 10
    return torch.eye(10)[y] + noise * torch.randn(n, 10, generator=g), y


def test_codes_that_are_the_labels_score_full_marks_and_noise_scores_chance():
    train, ytr = _codes(600, 0, 0.05)
    test, yte = _codes(300, 1, 0.05)
    clean = probe(train, ytr, test, yte, labels=100)
    assert clean["linear_probe_accuracy"] == clean["kmeans_accuracy"] == clean["few_labels_accuracy"] == 1.0
    assert clean["kmeans_nmi"] == pytest.approx(1.0) and clean["dim"] == 10
    train, ytr = _codes(600, 0, 50.0)
    test, yte = _codes(300, 1, 50.0)
    noisy = probe(train, ytr, test, yte, labels=100)
    for key in ("linear_probe_accuracy", "kmeans_accuracy", "few_labels_accuracy"):
        assert noisy[key] < 0.3, key                                   # chance is 0.1
    assert noisy["kmeans_nmi"] < 0.1


def test_the_scored_labels_only_score(monkeypatch):
    """Shuffling the scored labels changes no prediction (the k-means assignment and the fitted probes see the
    training codes only), only the scores."""
    seen = []
    real = probes.clustering_metrics
    monkeypatch.setattr(probes, "clustering_metrics", lambda y, clusters: seen.append(clusters.copy()) or real(y, clusters))
    train, ytr = _codes(600, 0, 0.15)
    test, yte = _codes(300, 1, 0.15)
    shuffled = yte[torch.randperm(len(yte), generator=torch.Generator().manual_seed(3))]
    a, b = probe(train, ytr, test, yte), probe(train, ytr, test, shuffled)
    assert (seen[0] == seen[1]).all()
    assert a["kmeans_accuracy"] > 0.9 > 0.3 > b["kmeans_accuracy"]
    assert a["linear_probe_accuracy"] > 0.9 > 0.3 > b["linear_probe_accuracy"]


@pytest.mark.slow
def test_end_to_end_on_tiny_runs_of_every_system(tiny_data_dir, tmp_path):
    import main_aae
    import main_catvae
    import main_encoder
    import main_mlvae
    import main_probes

    common = [f"--data_dir={tiny_data_dir}", f"--out_dir={tmp_path}", "--progress=false"]
    main_encoder.main(["--datasets=mnist", "--archs=cae4", "--cae_epochs_mnist=1", "--ks=10", *common])
    main_catvae.main(["--datasets=mnist", "--variants=catvae", "--seeds=0", "--epochs=1", "--batch_size=64",
                      "--pca_points=100", "--judge=off", *common])
    main_mlvae.main(["--epochs=1", "--batch_size=64", "--judge=off", "--swap_pairs=200", "--tsne_points=100",
                     *common])
    main_aae.main(["--head=clustering", "--values=30", "--train_limit=400", "--test_limit=200", "--epochs=1",
                   "--hidden=32", "--batch_size=50", "--judge=off", *common])
    out = tmp_path / "probes-out"
    results = main_probes.main(["--datasets=mnist,fashion-mnist", f"--runs_dir={tmp_path}", f"--out_dir={out}",
                                f"--data_dir={tiny_data_dir}", "--labels=10"])
    assert list(results) == ["mnist"]                                   # no Fashion-MNIST runs: left out
    m = json.loads((out / "probes/mnist/metrics.json").read_text())
    assert [r["system"] for r in m["rows"]] == ["seq", "catvae", "mlvae", "mlvae", "aae", "aae"]
    assert [r["dim"] for r in m["rows"]] == [128, 20, 10, 10, 30, 10]
    assert m["rows"][4]["run"] == "aae/clustering/clusters-30"
    for row in m["rows"]:
        for key in ("linear_probe_accuracy", "kmeans_accuracy", "few_labels_accuracy"):
            assert 0.0 <= row[key] <= 1.0
    assert m["rows"][0]["run"] == "seq/mnist/cae4" and "infocatvae" in json.loads(
        (out / "probes/mnist/config.json").read_text())["systems"]
    # each row names the run it read by its folder and its metrics.json's digest
    assert all(r["run_metrics_sha256"] == file_digest(tmp_path / r["run"] / "metrics.json") for r in m["rows"])


    # one system's probes join the others' (--resume=true keeps the rows of the systems not named), in one order;
    # another number of labels would mix two protocols in one table: refused
    again = tmp_path / "probes-again"
    probe_args = ["--datasets=mnist", f"--runs_dir={tmp_path}", f"--out_dir={again}", f"--data_dir={tiny_data_dir}",
                  "--labels=10"]
    main_probes.main([*probe_args, "--systems=mlvae,seq"])
    first = json.loads((again / "probes/mnist/metrics.json").read_text())["seconds"]
    main_probes.main([*probe_args, "--systems=aae", "--resume=true"])
    merged = json.loads((again / "probes/mnist/metrics.json").read_text())
    assert merged["rows"] == [r for r in m["rows"] if r["system"] != "catvae"]   # the same probes, the same numbers
    # each system's time stays with it, so the total of a merged record counts the systems probed in either call
    assert list(merged["seconds"]) == ["seq", "mlvae", "aae", "total"]
    assert {k: merged["seconds"][k] for k in ("seq", "mlvae")} == {k: first[k] for k in ("seq", "mlvae")}
    assert merged["seconds"]["total"] == pytest.approx(sum(v for k, v in merged["seconds"].items() if k != "total"))
    config = json.loads((again / "probes/mnist/config.json").read_text())
    assert config["systems"] == "seq,mlvae,aae" and list(config["runs"]) == ["seq", "mlvae", "aae"]
    with pytest.raises(UserError, match="--labels=10"):
        main_probes.main([*probe_args[:-1], "--labels=20", "--systems=catvae", "--resume=true"])


def test_no_runs_to_probe_is_one_line(tmp_path, capsys):
    import main_probes
    from utils.errors import run_cli

    with pytest.raises(SystemExit) as stop:
        run_cli(main_probes.main, [f"--runs_dir={tmp_path / 'nothing'}", f"--out_dir={tmp_path / 'out'}"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1 and "no finished run" in err


def test_the_probes_of_a_run_rerun_since_leave_the_table_and_are_planned_again(tmp_path):
    from reporting.plan import Job
    from reporting.tables import probe_groups, probes_table

    scores = {"dim": 20, "linear_probe_accuracy": 0.97, "kmeans_accuracy": 0.9, "kmeans_nmi": 0.8,
              "few_labels_accuracy": 0.9, "few_labels": 100, "clusters": 10, "run_subset": False}
    rows, runs = [], {}
    for system, code, run in (("catvae", "CatVAE E[z|x]", "catvae/mnist/catvae/seed-0"),
                              ("seq", "SEQ CAE-4 features", "seq/mnist/cae4")):
        save_json(tmp_path / run / "metrics.json", {"seed": 0, "accuracy": 0.9})
        rows.append({"system": system, "code": code, "run": run,
                     "run_metrics_sha256": file_digest(tmp_path / run / "metrics.json"), **scores})
        runs[system] = str(tmp_path / run)
    rows.append({"system": "aae", "code": "AAE y", "run": "aae/clustering/clusters-30", **scores})  # no digest yet
    metrics = {"dataset": "mnist", "seed": 0, "eval_split": "test", "rows": rows, "subset": False}
    config = {"seed": 0, "runs": runs}
    save_json(tmp_path / "probes/mnist/metrics.json", metrics)
    save_json(tmp_path / "probes/mnist/config.json", config)
    probes = Job("Probes mnist seed 0", "main_probes.py", [], [tmp_path / "probes/mnist/metrics.json"], 1.0)
    assert sorted(code for _, code in probe_groups(tmp_path)) == ["AAE y", "CatVAE E[z|x]", "SEQ CAE-4 features"]
    assert "Left out" not in probes_table(tmp_path) and probes.status() == ("done", [])

    save_json(tmp_path / "catvae/mnist/catvae/seed-0/metrics.json", {"seed": 0, "accuracy": 0.8})   # rerun
    assert sorted(code for _, code in probe_groups(tmp_path)) == ["AAE y", "SEQ CAE-4 features"]
    table = probes_table(tmp_path)
    assert "| CatVAE E[z|x] |" not in table and "Left out: mnist CatVAE E[z|x] seed 0, whose probes read" in table
    assert probes.status() == ("stale", [f"catvae: {runs['catvae']} was rerun after it was probed"])
    (tmp_path / "seq/mnist/cae4/metrics.json").unlink()          # a run no longer there: not the one probed either
    assert sorted(code for _, code in probe_groups(tmp_path)) == ["AAE y"]
