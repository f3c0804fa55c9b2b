"""Loading the judge (models/judge.py, trained by main_judge.py) for the scripts that score generated images, and
the one score they all report with it."""
from __future__ import annotations

from pathlib import Path

import torch

from models.judge import JUDGE_KIND, Judge
from utils.errors import UserError
from utils.io import load_checkpoint, load_json


def judge_folder(option: str, root: Path, dataset: str) -> Path | None:
    """Where a script's ``--judge`` points: None for "off", <root>/judge/<dataset>/ for "auto", else the path."""
    if option == "off":
        return None
    return Path(root) / "judge" / dataset if option == "auto" else Path(option)


def load_judge(folder: Path, dataset: str, eval_split: str, device: torch.device) -> tuple[Judge, dict]:
    """The finished judge of ``folder`` on ``device`` and what a judged score is shown with: its own accuracy, its
    data set and split, its folder. A one-line error when there is none, or when it was trained on another data
    set or, for a validation run, on images the run scores (a judge of the test protocol saw the validation images)."""
    ckpt, metrics_path = folder / "judge.pt", folder / "metrics.json"
    hint = f"train it with python main_judge.py --datasets={dataset} --eval_split={eval_split} (same --out_dir), " \
           "or pass --judge=off"
    if not metrics_path.is_file():
        raise UserError(f"{folder}: no finished judge there; {hint}")
    metrics = load_json(metrics_path)
    if metrics.get("dataset") != dataset:
        raise UserError(f"{folder}: the judge was trained on {metrics.get('dataset')}, not {dataset}; {hint}")
    if metrics.get("eval_split") != eval_split:
        raise UserError(f"{folder}: the judge was made with --eval_split={metrics.get('eval_split')}, this run uses "
                        f"{eval_split}; {hint}")
    state = load_checkpoint(ckpt, JUDGE_KIND, hint)
    judge = Judge(**{k: v for k, v in state["model_config"].items() if k != "arch"})
    judge.load_state_dict(state["model"])
    judge.to(device).eval()
    info = {"folder": str(folder), "dataset": dataset, "eval_split": eval_split,
            "accuracy": metrics["accuracy"], "subset": metrics.get("subset", False)}
    return judge, info


def judged_as(judge: Judge, images: torch.Tensor, classes) -> float:
    """The fraction of ``images`` that ``judge`` puts in the class given for each (a tensor or array of ints)."""
    return float((judge.predict(images) == torch.as_tensor(classes).reshape(-1).cpu()).float().mean())
