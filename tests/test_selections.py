"""reporting/selections.py and its place in reproduce.py: every declared selection plans validation-split runs that the
scripts accept, recorded under records/selections/<name>/, and the committed selection records are the runs declared."""
import importlib
import json
from pathlib import Path

import pytest

import reproduce
import reporting.plan as rp
from reporting.plan import Job, chosen_selections, differences, merged
from reporting.records import record_run, sync_records
from reporting.selections import SELECTIONS
from reporting.tables import selection_table, selections_table, with_predating
from utils.config import parse_config
from utils.errors import UserError
from utils.io import REPO


def _cfg(**kw):
    cfg = {k: getattr(reproduce, k) for k in ("quick", "datasets", "seeds", "other_seeds", "seq_archs", "mlvae_noise",
                                              "aae_heads", "data_dir", "device", "progress", "selection_seeds")}
    cfg.update({"out_dir": "results", "parts": "selections", "selections": "all", **kw})
    return cfg


def test_every_selection_plans_one_validation_run_per_candidate_and_seed_that_its_script_accepts():
    # by default a selection runs every seed it declares, whatever --seeds (the headline runs') says
    jobs = reproduce.planned_jobs(_cfg(seeds="0"))
    judges = {j.name: j for j in jobs if j.script == "main_judge.py"}
    assert len(jobs) == len(judges) + sum(len(s.candidates) * len(s.seeds) for s in SELECTIONS.values())
    for judge in judges.values():           # validation judges only: trained on the first 50,000 images, in fp32
        assert "--eval_split=val" in judge.args and judge.outputs[0].parts[:3] == ("results", "val", "judge")
        assert "--precision=fp32" in judge.args     # whether or not the CPU has native bf16
    for sel in SELECTIONS.values():
        mine = [j for j in jobs if j.name.startswith(f"Selection {sel.name} ")]
        assert len(mine) == len(sel.candidates) * len(sel.seeds)
        for job in mine:     # a judged selection waits for its data set's validation judge and is told where it is
            assert job.judge == (f"Judge val {sel.dataset}" if sel.judged else "")
            assert (f"--judge=results/val/judge/{sel.dataset}" in job.args) == sel.judged
        assert jobs.index(mine[0]) > max((jobs.index(j) for j in judges.values()), default=-1)
        script = importlib.import_module(sel.script[:-3])
        for job, (cand, seed, folder, _) in zip(mine, sel.runs()):
            assert "--eval_split=val" in job.args and job.record == f"selections/{sel.name}/{folder}"
            assert job.outputs == [Path(f"results/selections/{sel.name}/{folder}") / sel.output.format(seed=seed)]
            cfg = parse_config(vars(script), job.args)        # every flag exists and has a valid value
            assert cfg["eval_split"] == "val"
            assert cfg.get("seed", seed) == seed and str(seed) in str(cfg.get("seeds", seed))
        # the candidates differ from each other in at least one setting
        assert len({tuple(own) for own in sel.candidates.values()}) == len(sel.candidates)


def test_a_run_two_selections_declare_is_planned_once_and_copied_for_the_second():
    jobs = {j.name: j for j in reproduce.planned_jobs(_cfg(selections="aae-precision-mnist,aae-augment-mnist,"
                                                            "aae-semi-vat-mnist,aae-ema-mnist,aae-epochs-mnist",
                                                            selection_seeds="0,1"))}
    for seed in (0, 1):
        twin = jobs[f"Selection aae-augment-mnist augment-true seed {seed}"]     # --augment=true is the default
        assert twin.same_as is jobs[f"Selection aae-precision-mnist precision-fp32 seed {seed}"]
        assert twin.after == [twin.same_as.name] and twin.minutes == 0
        assert jobs[f"Selection aae-ema-mnist ema-off seed {seed}"].same_as is \
            jobs[f"Selection aae-precision-mnist precision-bf16 seed {seed}"]
    assert jobs["Selection aae-augment-mnist augment-false seed 0"].same_as is None             # one setting differs
    # values the script resolves at run time: --vat_weight=3 given and the head's "" (3) left, --epochs=30 given and
    # the head's 0 (30) left, make one run
    assert jobs["Selection aae-semi-vat-mnist vat-3 seed 0"].same_as is \
        jobs["Selection aae-precision-mnist precision-fp32 seed 0"]
    assert jobs["Selection aae-epochs-mnist epochs-30 seed 0"].same_as is \
        jobs["Selection aae-precision-mnist precision-bf16 seed 0"]
    assert jobs["Selection aae-epochs-mnist epochs-60 seed 0"].same_as is None
    clustering = {j.name: j for j in reproduce.planned_jobs(_cfg(
        selections="aae-balance-mnist,aae-cluster-vat-mnist,aae-cluster-consistency-mnist", selection_seeds="0"))}
    for twin in ("aae-cluster-vat-mnist vat-3", "aae-cluster-consistency-mnist consistency-1"):
        assert clustering[f"Selection {twin} seed 0"].same_as is clustering["Selection aae-balance-mnist balance-1 seed 0"]
    assert jobs["Selection aae-precision-mnist precision-fp32 seed 1"].same_as is None           # another seed
    # the ML-VAE's: Fashion-MNIST's decoder-2 runs name no style KL weight, the style selection's kl-3 names the default
    mlvae = {j.name: j for j in reproduce.planned_jobs(_cfg(
        selections="mlvae-style-kl-fashion-mnist,mlvae-decoder-depth-fashion-mnist", selection_seeds="0,1"))}
    for seed in (0, 1):
        assert mlvae[f"Selection mlvae-decoder-depth-fashion-mnist decoder-2 seed {seed}"].same_as is \
            mlvae[f"Selection mlvae-style-kl-fashion-mnist kl-3 seed {seed}"]
        assert mlvae[f"Selection mlvae-decoder-depth-fashion-mnist decoder-1 seed {seed}"].same_as is None


def test_a_selection_that_reads_another_runs_after_it_and_plans_it_when_not_chosen(monkeypatch):
    """A decoder selection (Selection.reads) decodes the encoder of another selection's candidate, seed by seed: that
    run is planned (once) before it even where its own selection is not chosen, and --encoder_dir is its folder."""
    from reporting import plan, selections

    decoder = selections._seq_decoder("seq-decoder-test", "mnist", ("seq-epochs-mnist", "epochs-2"),
                                      {"epochs-1": ("--epochs=1",), "epochs-3": ("--epochs=3",)}, seeds=(0, 1))
    monkeypatch.setitem(selections.SELECTIONS, decoder.name, decoder)
    for chosen in ("seq-decoder-test", "seq-epochs-mnist,seq-decoder-test"):
        jobs = reproduce.planned_jobs(_cfg(selections=chosen, selection_seeds="0,1", out_dir="out"))
        names = [j.name for j in jobs]
        assert len(names) == len(set(names)) and names[0] == "Judge val mnist"
        for seed in (0, 1):
            encoder = f"Selection seq-epochs-mnist epochs-2 seed {seed}"
            enc = jobs[names.index(encoder)]
            for cand in ("epochs-1", "epochs-3"):
                job = jobs[names.index(f"Selection seq-decoder-test {cand} seed {seed}")]
                assert names.index(encoder) < names.index(job.name) and encoder in job.after
                assert f"--encoder_dir={enc.outputs[0].parent}" in job.args and job.judge == "Judge val mnist"
                assert job.outputs == [Path(f"out/selections/seq-decoder-test/{cand}-seed{seed}/val/seq/mnist/cae4"
                                            "/decoder/metrics.json")]
        assert sum(n.startswith("Selection seq-epochs-mnist") for n in names) == (2 if "," not in chosen else 4)
    assert plan.statuses(jobs)["Selection seq-decoder-test epochs-1 seed 0"][0] == "new"


def test_a_pinned_precision_is_the_recorded_auto_only_where_the_run_resolved_auto_to_it():
    ran_bf16 = {"precision": "auto", "precision_used": "bf16", "seed": 0}
    assert differences(["--precision=bf16", "--seed=0"], ran_bf16) == []
    assert differences(["--precision=fp32"], ran_bf16) == ["precision=auto (planned fp32)"]
    assert differences(["--precision=bf16"], {"precision": "auto"}) == ["precision=auto (planned bf16)"]
    assert differences(["--precision=bf16"], {"precision": "fp32", "precision_used": "bf16"}) != []
    # every SEQ selection that does not compare precisions pins the bf16 its records ran in
    for sel in SELECTIONS.values():
        if sel.script == "main_encoder.py" and sel.name != "seq-precision":
            assert "--precision=bf16" in sel.args, sel.name


def test_merged_keeps_each_key_once_with_its_last_value():
    assert merged(["--a=1", "--b=2", "--a=3", "--c=4"]) == ["--a=3", "--b=2", "--c=4"]
    jobs = reproduce.planned_jobs(_cfg(selections="seq-label-smoothing-mnist", quick=True))
    assert all(sum(a.startswith("--ks=") for a in j.args) == 1 for j in jobs)


def test_one_selection_can_be_chosen_and_an_unknown_one_is_a_one_line_error():
    jobs = reproduce.planned_jobs(_cfg(selections="catvae-info-weight-mnist"))
    assert [j.name for j in jobs] == ["Selection catvae-info-weight-mnist info_weight-1 seed 0",
                                      "Selection catvae-info-weight-mnist info_weight-5 seed 0"]
    with pytest.raises(UserError, match="--selections: unknown nope"):
        reproduce.planned_jobs(_cfg(selections="nope"))


def test_selection_seeds_picks_some_of_a_selections_declared_seeds():
    jobs = reproduce.planned_jobs(_cfg(selections="catvae-precision-mnist", selection_seeds="1,2"))
    assert [j.name for j in jobs] == [f"Selection catvae-precision-mnist precision-{p} seed {s}"
                                      for s in (1, 2) for p in ("fp32", "bf16")]
    with pytest.raises(UserError, match=r"--selection_seeds=1,7: no selection chosen declares seed 7"):
        reproduce.planned_jobs(_cfg(selections="catvae-precision-mnist", selection_seeds="1,7"))


def test_committed_selection_records_are_the_declared_runs():
    """Each records/selections/<name>/<candidate>-seed<s>/ of a declared selection is one of its runs, and its
    config.json holds every setting the declaration gives it (so the table's "differs in" is what was compared); a
    setting added after the run counts with the value such runs had (reporting.tables.PREDATING)."""
    root = REPO / "records" / "selections"
    checked = 0
    for sel in SELECTIONS.values():
        if not (root / sel.name).is_dir():
            continue
        runs = {folder: merged(args) for _, _, folder, args in sel.runs()}  # as the scripts read them
        for record in sorted(p for p in (root / sel.name).iterdir() if p.is_dir()):
            assert record.name in runs, f"{record}: not a run of the declared selection {sel.name}"
            recorded = with_predating(sel.script, json.loads((record / "config.json").read_text()))
            assert differences(runs[record.name], recorded) == [], record
            checked += 1
    assert checked >= 10


def _run(folder: Path, config: dict, metrics: dict):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"eval_split": "val", **config}))
    (folder / "metrics.json").write_text(json.dumps({"eval_split": "val", "seconds": {"this_run": 60}, **metrics}))


def test_a_declared_selection_table_shows_its_own_numbers_the_first_deciding(tmp_path):
    folder = tmp_path / "seq-label-smoothing-mnist"
    for name, smoothing, accs in [("smoothing-0", 0.0, (0.90, 0.92)), ("smoothing-0.1", 0.1, (0.98, 0.99))]:
        for seed, acc in enumerate(accs):
            _run(folder / f"{name}-seed{seed}", {"label_smoothing": smoothing, "seed": seed},
                 {"softmax_test_accuracy": 0.99, "quantizer": [{"k": 10, "test_accuracy": acc},
                                                               {"k": 100, "test_accuracy": 0.985}]})
    table = selection_table(folder)
    assert table.splitlines()[0] == "Decides: main_encoder.py label_smoothing."
    assert "quantizer K=10 accuracy % (higher is better; decides)" in table.splitlines()[2]
    # K=20 and K=50 were not measured by these runs: "-"
    assert "| smoothing-0 | label_smoothing=0.0 | 0, 1 | 91.00 +- 1.41 (90.00, 92.00) | - | - | 98.50 +- 0.00" in table
    assert "| smoothing-0.1 | label_smoothing=0.1 | 0, 1 | 98.50 +- 0.71 (98.00, 99.00) |" in table


def test_a_setting_a_run_predates_counts_as_the_scripts_default_in_the_table(tmp_path):
    folder = tmp_path / "aae-ema-mnist"
    for name, extra in [("ema-off", {}), ("ema-0.999", {"ema_decay": 0.999}), ("ema-0", {"ema_decay": 0.0})]:
        _run(folder / f"{name}-seed0", {"seed": 0, **extra}, {"test_error": 0.03})
    rows = {line.split(" | ")[0][2:]: line.split(" | ")[1] for line in selection_table(folder).splitlines()
            if line.startswith("| ema")}
    # the off run records no ema_decay: it ran without the average, main_aae.py's default (0)
    assert rows == {"ema-off": "ema_decay=0.0", "ema-0.999": "ema_decay=0.999", "ema-0": "ema_decay=0.0"}


def test_a_data_sets_own_value_is_no_choice_where_the_run_records_the_key_resolved(tmp_path):
    """A CatVAE run records epochs as it resolved it; epochs_fashion (another data set's placeholder, absent from
    older runs and read at today's header default) does not make two MNIST candidates differ; epochs does."""
    folder = tmp_path / "catvae-epochs-encoder2-mnist"
    _run(folder / "epochs-20-seed0", {"seed": 0, "epochs": 20}, {"clustering_accuracy": 0.9})
    _run(folder / "epochs-40-seed0", {"seed": 0, "epochs": 40, "epochs_mnist": 40, "epochs_fashion": 7},
         {"clustering_accuracy": 0.8})
    rows = {line.split(" | ")[0][2:]: line.split(" | ")[1] for line in selection_table(folder).splitlines()
            if line.startswith("| epochs")}
    assert rows == {"epochs-20": "epochs=20", "epochs-40": "epochs=40"}


def test_selection_values_read_the_quantizer_rows_by_k_and_rule():
    from reporting.tables import selection_value

    m = {"quantizer": [{"k": 10, "test_accuracy": 0.9, "test_accuracy_soft_vote": 0.95}, {"k": 20, "test_accuracy": 0.8}]}
    assert selection_value(m, "quantizer_k10") == 0.9 and selection_value(m, "quantizer_soft_k10") == 0.95
    with pytest.raises(KeyError):
        selection_value(m, "quantizer_soft_k20")       # an older run without the soft vote
    with pytest.raises(KeyError):
        selection_value(m, "quantizer_k50")


def test_a_judged_selection_table_names_the_judges_accuracy(tmp_path):
    for name, kept in [("a", 0.9), ("b", 0.95)]:
        _run(tmp_path / "x" / f"{name}-seed0", {"style_kl_coef": kept},
             {"swap_class_kept": kept, "judge": {"eval_split": "val", "accuracy": 0.9912}})
    table = selection_table(tmp_path / "x")
    assert table.splitlines()[-1] == ("The judged numbers are the verdicts of the judge (main_judge.py) with accuracy "
                                      "99.12 % on its val split.")
    _run(tmp_path / "x" / "a-seed1", {"style_kl_coef": 0.9},         # a seed scored by a judge retrained elsewhere
         {"swap_class_kept": 0.9, "judge": {"eval_split": "val", "accuracy": 0.9905}})
    assert selection_table(tmp_path / "x").splitlines()[-1] == (
        "The judged numbers are the verdicts of 2 judges (main_judge.py, trained alike; each run's metrics.json names "
        "its own) with accuracy 99.05 %, 99.12 % on their val split.")


def test_a_candidate_with_restarts_gets_a_row_of_every_training_and_its_planned_minutes_count_them(tmp_path):
    folder = tmp_path / "catvae-restarts-mnist"
    for seed in (0, 1):
        _run(folder / f"restarts-1-seed{seed}", {"restarts": 1, "seed": seed},
             {"clustering_accuracy": 0.8, "restarts": [{"training_seed": seed, "clustering_accuracy": 0.8}]})
        kept = {"training_seed": 2 * seed, "clustering_accuracy": 0.9}
        _run(folder / f"restarts-2-seed{seed}", {"restarts": 2, "seed": seed},
             {"clustering_accuracy": 0.9, "restarts": [kept, {"training_seed": 2 * seed + 1, "clustering_accuracy": 0.7}]})
    rows = [line for line in selection_table(folder).splitlines() if line.startswith("| restarts")]
    assert [r.split(" | ")[0] for r in rows] == ["| restarts-1", "| restarts-2", "| restarts-2, every training"]
    assert rows[2] == ("| restarts-2, every training | each a run of restarts=1 | 0, 1, 2, 3 | "
                       "80.00 +- 11.55 (90.00, 70.00, 90.00, 70.00) | - |")
    jobs = {j.name: j for j in reproduce.planned_jobs(_cfg(selections="catvae-restarts-mnist", selection_seeds="0"))}
    one, three = (jobs[f"Selection catvae-restarts-mnist restarts-{r} seed 0"] for r in (1, 3))
    assert three.minutes == 3 * one.minutes > 0
    jobs = {j.name: j for j in reproduce.planned_jobs(_cfg(selections="aae-cluster-restarts-mnist",
                                                           selection_seeds="3"))}
    one, three = (jobs[f"Selection aae-cluster-restarts-mnist restarts-{r} seed 3"] for r in (1, 3))
    assert three.minutes == 3 * one.minutes > 0


def test_an_aae_runs_estimated_minutes_scale_with_its_epochs_except_in_a_quick_plan():
    """A full AAE run's estimate is its epochs' share of MINUTES_EPOCHS; a --quick plan trains every candidate for
    its one epoch, so the 120-epoch candidate is the 60-epoch one's twin and the estimate is the quick one."""
    names = [f"Selection aae-semi-epochs120-mnist epochs-{e} seed 0" for e in (60, 120)]
    jobs = {j.name: j for j in reproduce.planned_jobs(_cfg(selections="aae-semi-epochs120-mnist", selection_seeds="0"))}
    sixty, long = (jobs[n] for n in names)
    assert long.minutes == 2 * sixty.minutes == pytest.approx(2 * rp.MINUTES["aae"][0] * 60 / 45)
    assert rp.MINUTES_EPOCHS["main_aae.py"] == 45
    jobs = {j.name: j for j in reproduce.planned_jobs(_cfg(selections="aae-semi-epochs120-mnist", selection_seeds="0",
                                                           quick=True))}
    sixty, long = (jobs[n] for n in names)
    assert sixty.minutes == rp.MINUTES["aae"][1] and long.same_as is sixty


def test_a_ranking_leaves_out_a_group_whose_runs_all_belong_to_a_larger_one(tmp_path):
    """A selection that adds seeds to another's runs (copies) makes one group; the copies' own smaller group is not
    counted again. A group that shares only some runs with another stays."""
    from reporting.tables import catvae_confidence_table

    accs = {"catvae-a": [0.88, 0.75, 0.82], "catvae-b": [0.88, 0.75, 0.82, 0.90], "catvae-c": [0.5, 0.75, 0.82]}
    for sel, scores in accs.items():              # catvae-b: catvae-a's three runs and a fourth seed
        for seed, acc in enumerate(scores):
            _run(tmp_path / "selections" / sel / f"w-1-seed{seed}", {"seed": seed},
                 {"seed": seed, "dataset": "mnist", "model": "InfoCatVAE", "checkpoint_kind": "catvae",
                  "clustering_accuracy": acc, "history": [{"loss": 1.0, "kl_c": 2.0 + acc, "balance": 0.01}]})
    rows = [line.split(" | ")[2] for line in catvae_confidence_table(tmp_path).splitlines()
            if line.startswith("| mnist")]
    assert rows == ["catvae-b, w-1", "catvae-c, w-1"]


def test_the_confidence_table_lists_each_group_of_validation_runs_once_with_the_seed_each_criterion_ranks_first(
        tmp_path):
    for sel, cand in [("catvae-a", "w-1"), ("catvae-b", "w-2")]:     # catvae-b's runs are copies of catvae-a's
        for seed, (acc, kl_c, balance) in enumerate([(0.88, 2.10, 0.03), (0.75, 2.03, 0.01), (0.82, 2.06, 0.02)]):
            _run(tmp_path / "selections" / sel / f"{cand}-seed{seed}", {"seed": seed},
                 {"seed": seed, "dataset": "mnist", "model": "InfoCatVAE", "checkpoint_kind": "catvae",
                  "clustering_accuracy": acc, "history": [{"loss": 150.0 + seed, "kl_c": kl_c, "balance": balance}]})
    for seed, acc in enumerate([0.6, 0.7, 0.65]):                     # the balance term off: no balance logged
        _run(tmp_path / "selections" / "catvae-d" / f"paper-seed{seed}", {"seed": seed},
             {"seed": seed, "dataset": "mnist", "model": "InfoCatVAE", "checkpoint_kind": "catvae",
              "clustering_accuracy": acc, "history": [{"loss": 140.0 + seed, "kl_c": 2.0 - seed / 10}]})
    _run(tmp_path / "selections" / "catvae-c" / "w-1-seed0", {"seed": 0},        # one seed: no ranking to show
         {"seed": 0, "dataset": "mnist", "model": "InfoCatVAE", "checkpoint_kind": "catvae",
          "clustering_accuracy": 0.5, "history": [{"loss": 1.0, "kl_c": 2.2}]})
    trainings = [{"training_seed": 6 + r, "confidence_kl_c": c, "balance": b, "clustering_accuracy": a}
                 for r, (a, c, b) in enumerate([(0.9, 2.0, 0.02), (0.8, 2.1, 0.01), (0.7, 1.9, 0.03)])]
    _run(tmp_path / "selections" / "catvae-e" / "r-3-seed2", {"seed": 2},   # its three restarts are a group; the
         {"seed": 2, "dataset": "mnist", "model": "InfoCatVAE", "checkpoint_kind": "catvae",    # run alone is not
          "clustering_accuracy": 0.8, "history": [{"loss": 1.0, "kl_c": 2.1}], "restarts": trainings})
    from reporting.tables import catvae_confidence_table

    table = catvae_confidence_table(tmp_path).splitlines()
    rows = [line for line in table if line.startswith("| mnist")]
    assert rows == ["| mnist | InfoCatVAE | catvae-a, w-1 | 0, 1, 2 | 81.7 +- 6.5 (88.0, 75.0, 82.0) | "
                    "2.100, 2.030, 2.060 | 88.0 | 0.0300, 0.0100, 0.0200 | 75.0 | 88.0 |",
                    "| mnist | InfoCatVAE | catvae-d, paper | 0, 1, 2 | 65.0 +- 5.0 (60.0, 70.0, 65.0) | "
                    "2.000, 1.900, 1.800 | 60.0 | - | - | 70.0 |",
                    "| mnist | InfoCatVAE | catvae-e, r-3-seed2, its trainings | 6, 7, 8 | 80.0 +- 10.0 (90.0, 80.0, "
                    "70.0) | 2.000, 2.100, 1.900 | 80.0 | 0.0200, 0.0100, 0.0300 | 80.0 | 90.0 |"]
    assert [line for line in table if line.startswith("- ")] == [
        "- mnist, kept by balance: best seed in 0 of 2 groups, worst in 1; its seeds' clustering accuracy averages "
        "77.50 % against the groups' 80.83 %",
        "- mnist, kept by confidence: best seed in 1 of 3 groups, worst in 1; its seeds' clustering accuracy averages "
        "76.00 % against the groups' 75.56 %"]


def test_the_aae_vat_ranking_lists_each_group_and_each_run_of_restarts_once_with_both_ends_of_its_ranking(tmp_path):
    aae = {"dataset": "mnist", "checkpoint_kind": "aae", "head": "clustering", "setting": "clusters-16"}
    for seed, (err, vat) in enumerate([(0.10, 0.15), (0.14, 0.12), (0.12, 0.13)]):
        _run(tmp_path / "selections" / "aae-a" / f"r-1-seed{seed}", {"seed": seed},
             {**aae, "seed": seed, "test_error": err, "history": [{"rec": 0.07 + seed, "vat": vat}]})
    trainings = [{"training_seed": 3 + r, "last_epoch_vat": v, "test_error": e}
                 for r, (e, v) in enumerate([(0.20, 0.10), (0.11, 0.16), (0.15, 0.12)])]
    _run(tmp_path / "selections" / "aae-b" / "r-3-seed1", {"seed": 1},     # a run of three restarts: a group too
         {**aae, "seed": 1, "test_error": 0.11, "history": [{"rec": 0.05, "vat": 0.16}], "restarts": trainings})
    for seed, err in enumerate([0.03, 0.02, 0.04]):                       # no VAT term: not ranked
        _run(tmp_path / "selections" / "aae-c" / f"plain-seed{seed}", {"seed": seed},
             {**aae, "seed": seed, "test_error": err, "history": [{"rec": 0.1}]})
    from reporting.tables import aae_vat_ranking_table

    table = aae_vat_ranking_table(tmp_path).splitlines()
    assert [line for line in table if line.startswith("| mnist")] == [
        "| mnist | clustering, clusters-16 | aae-a, r-1 | 0, 1, 2 | 12.00 +- 2.00 (10.00, 14.00, 12.00) | "
        "0.1500, 0.1200, 0.1300 | 14.00 | 10.00 | 10.00 |",
        "| mnist | clustering, clusters-16 | aae-b, r-3-seed1, its trainings | 3, 4, 5 | 15.33 +- 4.51 (20.00, 11.00, "
        "15.00) | 0.1000, 0.1600, 0.1200 | 20.00 | 11.00 | 11.00 |"]
    assert [line for line in table if line.startswith("- ")] == [
        "- mnist, clustering, clusters-16, kept by the highest VAT loss: best seed in 2 of 2 groups, worst in 0; its "
        "seeds' error averages 10.50 % against the groups' 13.67 %",
        "- mnist, clustering, clusters-16, kept by the lowest VAT loss: best seed in 0 of 2 groups, worst in 2; its "
        "seeds' error averages 17.00 % against the groups' 13.67 %"]


def test_a_test_split_run_in_a_selection_is_refused(tmp_path):
    _run(tmp_path / "x" / "a-seed0", {"eval_split": "test"}, {"eval_split": "test", "clustering_accuracy": 0.5})
    with pytest.raises(UserError, match="not a validation-split run"):
        selection_table(tmp_path / "x")


def test_sync_records_writes_a_selection_run_to_its_declared_record_folder(tmp_path):
    run = tmp_path / "out" / "selections" / "s" / "a-seed0" / "val" / "seq" / "mnist" / "lae4"
    _run(run, {}, {"clustering_accuracy": 0.5})
    job = Job("Selection s a seed 0", "main_encoder.py", [], [run / "metrics.json"], 1.0,
              record="selections/s/a-seed0")
    written = sync_records([job], tmp_path / "out", tmp_path / "records", tmp_path / "out" / "logs")
    assert written == [tmp_path / "records" / "selections" / "s" / "a-seed0"]
    assert json.loads((written[0] / "metrics.json").read_text())["clustering_accuracy"] == 0.5


@pytest.mark.slow
def test_selections_run_end_to_end_on_tiny_data_each_where_its_declaration_expects(tiny_data_dir, tmp_path,
                                                                                      monkeypatch):
    """One selection of each script (seed 0 only), and one on Fashion-MNIST, through reproduce.py --quick: every run
    leaves its metrics.json at the declared ``output`` path (else it would never count as done), scored on the
    validation split of the declared data set; the judged ML-VAE selection trains its validation judge first. Quick
    runs are never recorded."""
    import dataclasses

    import reporting.plan as rp
    from tests.test_reproduce import TINY_ARGS

    monkeypatch.setattr(rp, "QUICK_ARGS", TINY_ARGS)
    names = ["seq-label-smoothing-mnist", "catvae-info-weight-mnist", "mlvae-style-kl-groups-mnist",
             "aae-precision-mnist", "aae-augment-mnist",          # augment-true: copied from precision-fp32
             "aae-semi-consistency-fashion-mnist"]
    for name in names:
        monkeypatch.setitem(SELECTIONS, name, dataclasses.replace(SELECTIONS[name], seeds=(0,)))
    jobs = reproduce.main([f"--data_dir={tiny_data_dir}", f"--out_dir={tmp_path}", "--quick=true", "--progress=false",
                           "--parts=selections", f"--selections={','.join(names)}"])
    assert [j.name for j in jobs][0] == "Judge val mnist"
    assert len(jobs) == 1 + sum(len(SELECTIONS[n].candidates) for n in names)
    for job in jobs:
        assert job.done(), job.name
        metrics = json.loads(job.outputs[0].read_text())
        assert metrics["eval_split"] == "val", job.name
        assert metrics["dataset"] == job.datasets[0], job.name
    twin = {j.name: j for j in jobs}["Selection aae-augment-mnist augment-true seed 0"]
    assert twin.same_as.name == "Selection aae-precision-mnist precision-fp32 seed 0"
    assert twin.outputs[0].read_text() == twin.same_as.outputs[0].read_text()
    assert not (tmp_path / "records").exists()


def test_the_overview_counts_each_selections_recorded_runs(tmp_path):
    sel = SELECTIONS["catvae-info-weight-mnist"]
    _run(tmp_path / "selections" / sel.name / "info_weight-1-seed0", {}, {"clustering_accuracy": 0.5})
    (tmp_path / "selections" / "by-hand" / "a-seed0").mkdir(parents=True)
    table = selections_table(tmp_path)
    assert ("| `catvae-info-weight-mnist` | main_catvae.py info_weight | info_weight-1, info_weight-5 | 0 | 1 of 2 |"
            in table)
    assert "| `seq-precision` | " in table and "| 0 of 6 |" in table
    assert table.splitlines()[-1] == "Recorded by hand and not declared (no command reruns them): by-hand."


def _aae_record(root: Path, selection: str, folder: str, **settings) -> Path:
    """A recorded validation run of main_aae.py at its header defaults, with ``settings`` changed."""
    import main_aae
    from utils.config import header_keys
    record = root / "selections" / selection / folder
    record.mkdir(parents=True)
    config = {**header_keys(vars(main_aae)), "eval_split": "val", "precision": "fp32", **settings}
    (record / "config.json").write_text(json.dumps(config))
    (record / "metrics.json").write_text(json.dumps({"eval_split": "val", "test_error": 0.025}))
    (record / "log.txt").write_text("epoch 1/30: ...\n")
    return record


def test_a_run_declared_twice_is_recorded_once_for_both_and_only_when_every_setting_agrees(tmp_path):
    from reporting.records import generate
    # (the consistency term and epochs these 100-label selections pin, as their runs recorded them)
    source = _aae_record(tmp_path, "aae-precision-mnist", "precision-fp32-seed0", seed=0, consistency_weight=1.0,
                         epochs=30)
    target = tmp_path / "selections" / "aae-augment-mnist" / "augment-true-seed0"
    line = generate(["--same-run", str(source), str(target)])
    assert "precision-fp32-seed0" in line and "augment-true-seed0" in line
    assert json.loads((target / "metrics.json").read_text())["test_error"] == 0.025
    assert (target / "log.txt").read_text().splitlines() == [line, "epoch 1/30: ..."]
    for other in ("augment-false-seed0",                       # a setting the candidate names differs
                  "augment-true-seed1"):                       # another seed
        with pytest.raises(UserError, match="not the same run"):
            generate(["--same-run", str(source), str(target.parent / other)])
    with pytest.raises(UserError, match="not of main_aae.py at val/aae/clustering"):   # another head and run folder
        generate(["--same-run", str(source), str(tmp_path / "selections" / "aae-balance-mnist" / "balance-1-seed0")])
    with pytest.raises(UserError, match="not a run of a selection declared"):
        generate(["--same-run", str(source), str(target.parent / "augment-maybe-seed0")])
    # a setting that neither candidate names, recorded off its default
    stale = _aae_record(tmp_path / "old", "aae-precision-mnist", "precision-fp32-seed0", seed=0, batch_size=7,
                        consistency_weight=1.0, epochs=30)
    with pytest.raises(UserError, match="batch_size=7"):
        generate(["--same-run", str(stale), str(tmp_path / "new" / "aae-augment-mnist" / "augment-true-seed0")])


def test_a_copied_twin_keeps_its_progress_bars_collapsible_for_the_record(tmp_path):
    twin = Job("A", "main_mlvae.py", [], outputs=[tmp_path / "a/metrics.json"], minutes=1)
    job = Job("B", "main_mlvae.py", [], outputs=[tmp_path / "b/metrics.json"], minutes=1, same_as=twin)
    (tmp_path / "a").mkdir()
    for name in ("config.json", "metrics.json"):
        (tmp_path / "a" / name).write_text("{}")
    (tmp_path / "a.log").write_bytes(b"start\nepoch 1/2\repoch 2/2\nend\n")
    job.copy_twin(tmp_path / "b.log", tmp_path / "a.log")
    record_run(tmp_path / "b", tmp_path / "rec", tmp_path / "b.log")
    assert (tmp_path / "rec/log.txt").read_text().splitlines()[1:] == ["start", "epoch 2/2", "end"]


def test_a_selection_runs_its_declared_seeds_or_those_that_selection_seeds_names():
    sel = SELECTIONS["aae-cluster-restarts-mnist"]           # declared with seeds 1-3
    default = sorted(j.name for j in reproduce.planned_jobs(_cfg(selections=sel.name, seeds="0,1,2")))
    assert default == sorted(f"Selection {sel.name} {c} seed {s}" for c in sel.candidates for s in (1, 2, 3))
    two = sorted(j.name for j in reproduce.planned_jobs(_cfg(selections=sel.name, selection_seeds="1,3")))
    assert two == sorted(f"Selection {sel.name} {c} seed {s}" for c in sel.candidates for s in (1, 3))


def test_every_selections_command_in_the_docs_runs_every_declared_seed_of_the_selections_it_names():
    # a command that the docs name for a selection regenerates all of its records (six-seed selections included)
    from tests.test_layout import doc_commands

    commands = [(doc, options) for doc, script, options in doc_commands()
                if script == "reproduce.py" and "selections" in options.get("parts", "").split(",")]
    assert len(commands) > 20
    for doc, options in commands:
        command = " ".join(f"--{k}={v}" for k, v in options.items())
        names = options.get("selections", "all")
        if "<" in names:                # a template (--selections=<name>), not a command
            continue
        cfg = _cfg(selections=names, selection_seeds=options.get("selection_seeds", ""))
        planned = {j.name for j in reproduce.planned_jobs(cfg)}
        for sel in (SELECTIONS[n] for n in chosen_selections(names)):
            missing = [f"{c} seed {s}" for c, s, _, _ in sel.runs()
                       if f"Selection {sel.name} {c} seed {s}" not in planned]
            assert not missing, f"{doc}: `{command}` leaves out {sel.name}'s {missing}"
