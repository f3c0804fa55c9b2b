"""Every command-line value of every script is checked before any work: one line, exit status 2, nothing written.

The table is each script's own ``RULES``; a numeric key without a rule fails the first test, so a new setting cannot
slip past the checks.
"""
from pathlib import Path

import pytest

import main_aae
import main_catvae
import main_decoder_fmnist
import main_decoder_mnist
import main_encoder
import main_judge
import main_mlvae
import main_probes
import reproduce
from utils.config import header_keys, script_header
from utils.errors import UserError, run_cli

SCRIPTS = [main_encoder, main_decoder_mnist, main_decoder_fmnist, main_catvae, main_mlvae, main_aae, main_probes,
           main_judge, reproduce]
CASES = [(script, key) for script in SCRIPTS for key in script.RULES]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.__name__)
def test_script_header_read_as_text_is_the_imported_header(script):
    """reporting reads a script's defaults from its text (utils.config.script_header), never by importing it: the
    two must agree, key order and values included."""
    assert list(script_header(script.__file__).items()) == list(header_keys(vars(script)).items())


def test_script_header_of_a_missing_script_is_one_line(tmp_path):
    with pytest.raises(UserError, match="main_gone.py: cannot read the script"):
        script_header(tmp_path / "main_gone.py")


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.__name__)
def test_every_numeric_key_has_a_rule(script):
    header = header_keys(vars(script))
    assert "out_dir" in header and script.RULES, "the header or its rules were not found"
    numeric = [k for k, v in header.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    assert not [k for k in numeric if k not in script.RULES], "numeric keys without a rule"
    assert set(script.RULES) <= set(header_keys(vars(script))), "a rule for a key the header does not have"


@pytest.mark.parametrize("script, key", CASES, ids=[f"{s.__name__}-{k}" for s, k in CASES])
def test_an_invalid_value_is_one_line_and_writes_nothing(script, key, tmp_path, capsys):
    out = tmp_path / "out"
    value = script.RULES[key].invalid
    with pytest.raises(SystemExit) as stop:
        run_cli(script.main, [f"--{key}={value}", f"--out_dir={out}", f"--data_dir={tmp_path}"])
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert err.startswith(f"error: --{key}={value}") and err.count("\n") == 1 and "Traceback" not in err, err
    assert not out.exists()


@pytest.mark.parametrize("script", [main_encoder, main_catvae, main_mlvae, main_aae, main_probes, main_judge],
                         ids=lambda s: s.__name__)
def test_an_unwritable_output_folder_is_one_line_before_any_work(script, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SystemExit) as stop:
        run_cli(script.main, [f"--out_dir={blocker / 'results'}", f"--data_dir={tmp_path}"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1
    assert err.startswith(f"error: {blocker / 'results'}: cannot write there"), err


def test_resume_and_overwrite_together_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        run_cli(main_catvae.main, ["--resume=true", "--overwrite=true", f"--out_dir={tmp_path}"])
    assert "contradict each other" in capsys.readouterr().err


def test_more_clusters_than_training_images_is_one_line_before_training(tiny_data_dir, tmp_path, capsys):
    with pytest.raises(SystemExit):
        run_cli(main_encoder.main, ["--datasets=mnist", "--archs=lae2", "--train_limit=50", "--ks=10,60",
                                    f"--data_dir={tiny_data_dir}", f"--out_dir={tmp_path}", "--progress=false"])
    err = capsys.readouterr().err
    assert err == "error: --ks=10,60: K=60 is more clusters than the 50 training images\n"
    assert not list(tmp_path.rglob("*.pt"))


def test_default_paths_are_the_repositorys_wherever_the_script_starts(tmp_path, monkeypatch):
    import utils.datasets
    from utils.io import REPO, output_root

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATA_DIR", raising=False)
    assert output_root("") == REPO / "results" and output_root("mine") == Path("mine")
    asked = []
    monkeypatch.setattr(utils.datasets, "load_dataset", lambda name, folder: asked.append(folder) or "data")
    utils.datasets.load_or_fallback("mnist", None)
    assert asked == [REPO / "data"]


def test_the_validation_split_never_reads_the_test_set():
    import numpy as np

    from utils.datasets import split_arrays

    class Data:  # a data set whose test part must not be touched
        x_train, y_train = np.arange(60_000), np.arange(60_000) % 10

        @property
        def x_test(self):
            raise AssertionError("the validation split read the test images")

        y_test = x_test

    xtr, ytr, xva, yva, note = split_arrays(Data(), "val")
    assert (xtr == np.arange(50_000)).all() and (xva == np.arange(50_000, 60_000)).all()
    assert len(ytr) == 50_000 and len(yva) == 10_000 and "not read" in note
    small = type("Small", (), {"x_train": np.arange(4_000), "y_train": np.zeros(4_000)})()
    assert [len(a) for a in split_arrays(small, "val")[:4]] == [3_334, 3_334, 666, 666]


@pytest.mark.slow
def test_an_encoder_run_on_the_validation_split_goes_to_its_own_folder(tiny_data_dir, tmp_path):
    import json

    main_encoder.main(["--datasets=mnist", "--archs=lae2", "--lae_epochs=1", "--ks=10", "--eval_split=val",
                       f"--data_dir={tiny_data_dir}", f"--out_dir={tmp_path}", "--progress=false"])
    m = json.loads((tmp_path / "val/seq/mnist/lae2/metrics.json").read_text())
    assert m["eval_split"] == "val" and (m["n_train"], m["n_test"]) == (334, 66)
    assert not (tmp_path / "seq").exists()


@pytest.mark.parametrize("script", [s for s in SCRIPTS if s not in (reproduce, main_probes, main_judge)],
                         ids=lambda s: s.__name__)
def test_every_script_offers_the_papers_own_settings(script):
    from utils.config import check, parse_config

    header = header_keys(vars(script))
    assert "paper_settings" in header and "eval_split" in header
    assert script.PAPER and set(script.PAPER) <= set(header)
    cfg = parse_config(vars(script), ["--paper_settings=true"])
    check(cfg, script.RULES)
    assert {k: cfg[k] for k in script.PAPER} == script.PAPER


@pytest.mark.parametrize("script", [main_probes, main_judge], ids=lambda s: s.__name__)
def test_the_scripts_without_a_paper_still_take_both_keys(script):
    """No paper has the judge or the probes: --paper_settings=true is accepted and changes nothing."""
    from utils.config import parse_config

    header = header_keys(vars(script))
    assert "paper_settings" in header and "eval_split" in header
    assert {k: v for k, v in parse_config(vars(script), ["--paper_settings=true"]).items()
            if k != "paper_settings"} == {k: v for k, v in header.items() if k != "paper_settings"}
