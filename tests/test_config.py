import pytest

from utils.config import own_value, parse_config, per_data_set_keys, split_list
from utils.errors import UserError

HEADER = {"epochs": 3, "lr": 1e-3, "name": "cae4", "resume": False, "data_dir": "", "maybe": None,
          "parse_config": parse_config}  # functions in the namespace are not hyperparameters


def test_defaults_and_typed_overrides():
    cfg = parse_config(HEADER, ["--epochs=5", "--lr=0.01", "--name=lae2", "--resume=true"])
    assert cfg == {"epochs": 5, "lr": 0.01, "name": "lae2", "resume": True, "data_dir": "", "maybe": None}
    assert isinstance(cfg["epochs"], int) and isinstance(cfg["lr"], float)


def test_float_accepts_int_text_and_bare_bool_flag():
    cfg = parse_config(HEADER, ["--lr=1", "--resume"])
    assert cfg["lr"] == 1.0 and isinstance(cfg["lr"], float) and cfg["resume"] is True


@pytest.mark.parametrize("arg, fragment", [
    ("--epochs=2.5", "--epochs expects an integer"),
    ("--lr=fast", "--lr expects a number"),
    ("--resume=maybe", "--resume expects a boolean"),
    ("--batchsize=3", "unknown option --batchsize"),
    ("epochs=3", "unexpected argument"),
    ("--epochs", "--epochs needs a value"),
])
def test_bad_arguments_are_one_line_errors(arg, fragment):
    with pytest.raises(UserError) as err:
        parse_config(HEADER, [arg])
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_help_lists_keys_with_comments(tmp_path, capsys):
    script = tmp_path / "s.py"
    script.write_text("epochs = 3  # passes over the data\nlr = 1e-3  # step size\n")
    with pytest.raises(SystemExit) as stop:
        parse_config({"epochs": 3, "lr": 1e-3}, ["-h"], str(script))
    out = capsys.readouterr().out
    assert stop.value.code == 0
    assert "--epochs" in out and "passes over the data" in out and "step size" in out


def test_split_list():
    assert split_list("10, 20,30", int) == [10, 20, 30]
    with pytest.raises(UserError):
        split_list("10,x", int)


def test_paper_settings_replace_the_defaults_but_not_the_given_keys():
    header = {**HEADER, "paper_settings": False, "PAPER": {"epochs": 10, "lr": 1.0}}
    assert parse_config(header, [])["epochs"] == 3
    cfg = parse_config(header, ["--paper_settings=true", "--lr=0.5"])
    assert cfg["epochs"] == 10 and cfg["lr"] == 0.5 and cfg["paper_settings"] is True


def test_number_or_empty_takes_empty_or_a_bounded_non_negative_number():
    from utils.config import number_or_empty
    weight, fraction = number_or_empty(empty="the head's"), number_or_empty(high=1)
    assert all(weight.ok(v) for v in ("", " ", "0", "3", "2.5", "300"))
    assert not any(weight.ok(v) for v in ("-1", "lots", "1e3", "1.2.3", weight.invalid))
    assert all(fraction.ok(v) for v in ("", "0", "0.5", "1"))
    assert not any(fraction.ok(v) for v in ("1.01", "-0.5", fraction.invalid))
    assert weight.says == "must be empty (the head's) or a number >= 0"
    assert fraction.says == "must be empty (a default) or a number from 0 to 1"


def test_per_data_set_keys_are_those_with_both_data_sets_values_beside_them():
    header = {"epochs": 0, "epochs_mnist": 20, "epochs_fashion": 40, "cae_epochs_mnist": 5, "cae_epochs_fashion": 8,
              "lr": 1e-3, "lr_mnist": 1e-2, "precision": "", "precision_fashion": "auto", "precision_mnist": "fp32"}
    assert per_data_set_keys(header) == ("epochs", "precision")      # no bare cae_epochs; lr has no Fashion value
    assert [own_value(header, "epochs", ds) for ds in ("mnist", "fashion-mnist")] == [20, 40]
    assert own_value({**header, "epochs": 7}, "epochs", "mnist") == 7   # a value given wins on both
