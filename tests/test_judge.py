"""The independent judge: trained by main_judge.py, loaded by evaluation/judge.py with one-line errors."""
from __future__ import annotations

import pytest
import torch

import main_judge
from evaluation.judge import judge_folder, judged_as, load_judge
from models.judge import Judge
from utils.errors import UserError
from utils.io import load_json

CPU = torch.device("cpu")


def test_judge_run_writes_its_folder_and_learns_the_tiny_classes(tiny_judges):
    for split, sub in (("test", ""), ("val", "val/")):
        for dataset in ("mnist", "fashion-mnist"):
            folder = tiny_judges / f"{sub}judge" / dataset
            assert {"config.json", "metrics.json", "judge.pt", "confusion.png"} <= {p.name for p in folder.iterdir()}
            m = load_json(folder / "metrics.json")
            assert m["eval_split"] == split and m["dataset"] == dataset and m["subset"] is False
            assert sum(map(sum, m["confusion"])) == m["n_test"]
            assert m["accuracy"] > 0.5  # the synthetic bars are easy; chance is 0.1


def test_load_judge_reproduces_the_recorded_accuracy(tiny_judges, tiny_data_dir):
    from utils.datasets import load_split

    _, _, _, xte, yte, _ = load_split("mnist", str(tiny_data_dir))
    judge, info = load_judge(tiny_judges / "judge" / "mnist", "mnist", "test", CPU)
    assert info["accuracy"] == pytest.approx(judged_as(judge, xte, yte))
    assert judge_folder("auto", tiny_judges, "mnist") == tiny_judges / "judge" / "mnist"
    assert judge_folder("off", tiny_judges, "mnist") is None


def test_a_missing_or_mismatched_judge_is_one_line_naming_the_folder(tiny_judges, tmp_path):
    with pytest.raises(UserError, match="no finished judge there.*python main_judge.py --datasets=mnist "):
        load_judge(tmp_path / "judge" / "mnist", "mnist", "test", CPU)
    with pytest.raises(UserError, match="trained on fashion-mnist, not mnist"):
        load_judge(tiny_judges / "judge" / "fashion-mnist", "mnist", "test", CPU)
    with pytest.raises(UserError, match="--eval_split=test, this run uses val"):
        load_judge(tiny_judges / "judge" / "mnist", "mnist", "val", CPU)


def test_judged_as_counts_agreements():
    class Fixed(Judge):
        def predict(self, x, batch_size=1000):
            return torch.tensor([0, 1, 2, 3])

    assert judged_as(Fixed(), torch.zeros(4, 784), [0, 1, 9, 9]) == 0.5


@pytest.mark.slow
def test_an_interrupted_judge_resumes_to_the_same_result(tiny_data_dir, tmp_path, interrupt_after):
    """The augmentation draws from the RNG that each checkpoint saves, so a resumed run repeats the uninterrupted one."""
    args = [f"--data_dir={tiny_data_dir}", "--datasets=mnist", "--epochs=2", "--batch_size=64", "--channels=4",
            "--hidden=16", "--progress=false", "--device=cpu"]
    whole = main_judge.main(args + [f"--out_dir={tmp_path / 'a'}"])["mnist"]
    with interrupt_after(1):
        main_judge.main(args + [f"--out_dir={tmp_path / 'b'}"])
    resumed = main_judge.main(args + [f"--out_dir={tmp_path / 'b'}", "--resume=true"])["mnist"]
    strip = [{k: v for k, v in h.items() if k not in ("seconds", "images_per_second")} for h in whole["history"]]
    assert [{k: v for k, v in h.items() if k not in ("seconds", "images_per_second")} for h in resumed["history"]] \
        == strip
    assert resumed["accuracy"] == whole["accuracy"] and resumed["confusion"] == whole["confusion"]
