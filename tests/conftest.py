"""Shared fixtures: tiny data sets written as Kaggle-style CSVs, and the real data when present."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def synthetic_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Learnable fake digits: class c lights up a class-specific bar, plus noise. uint8 (n, 28, 28)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 10
    rng.shuffle(y)
    x = rng.integers(0, 60, size=(n, 28, 28))
    for i, c in enumerate(y):
        x[i, 2 + 2 * c: 5 + 2 * c, 4:24] = rng.integers(180, 256, size=(3, 20))
    return x.astype(np.uint8), y.astype(np.int64)


def write_csv(path: Path, x: np.ndarray, y: np.ndarray, header: str | None) -> None:
    rows = np.concatenate([y[:, None], x.reshape(len(x), -1)], axis=1)
    with open(path, "w") as fh:
        if header:
            fh.write(header + "\n")
        np.savetxt(fh, rows, fmt="%d", delimiter=",")


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory) -> Path:
    """A data directory with both data sets as small Kaggle CSVs (400 train / 200 test images)."""
    root = tmp_path_factory.mktemp("tiny_data")
    mnist_header = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))
    fashion_header = "label," + ",".join(f"pixel{i}" for i in range(1, 785))
    for prefix, header, seed in [("mnist", mnist_header, 0), ("fashion-mnist", fashion_header, 1)]:
        xtr, ytr = synthetic_images(400, seed)
        xte, yte = synthetic_images(200, seed + 10)
        write_csv(root / f"{prefix}_train.csv", xtr, ytr, header)
        write_csv(root / f"{prefix}_test.csv", xte, yte, header)
    return root


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """$DATA_DIR holding the full MNIST / Fashion-MNIST IDX files; tests using it skip without it."""
    path = Path(os.environ.get("DATA_DIR", ROOT / "data"))
    if not (path / "mnist").is_dir():
        pytest.skip(f"full data not found in {path} (set DATA_DIR)")
    return path


@pytest.fixture
def interrupt_after(monkeypatch):
    """``with interrupt_after(n):`` makes the shared training loop stop with KeyboardInterrupt (as Ctrl-C would) when
    it starts epoch n + 1, after the checkpoint of epoch n is written."""
    import contextlib

    import utils.training

    @contextlib.contextmanager
    def stop(epochs_done: int):
        real = utils.training.batch_order

        def order(n, batch_size, seed, epoch, *args, **kwargs):
            if epoch == epochs_done:
                raise KeyboardInterrupt
            return real(n, batch_size, seed, epoch, *args, **kwargs)

        monkeypatch.setattr(utils.training, "batch_order", order)
        try:
            with pytest.raises(KeyboardInterrupt):
                yield
        finally:
            monkeypatch.setattr(utils.training, "batch_order", real)

    return stop


@pytest.fixture(scope="session")
def tiny_judges(tiny_data_dir, tmp_path_factory) -> Path:
    """An out_dir holding main_judge.py's judges of both tiny data sets, for the test split (<dir>/judge/<dataset>/)
    and the validation split (<dir>/val/judge/<dataset>/): pass --judge=<that folder> to a script under test."""
    import main_judge

    root = tmp_path_factory.mktemp("tiny_judges")
    for split in ("test", "val"):
        main_judge.main([f"--data_dir={tiny_data_dir}", f"--out_dir={root}", f"--eval_split={split}", "--epochs=20",
                         "--batch_size=64", "--channels=8", "--hidden=32", "--dropout=0", "--progress=false"])
    return root
