"""``python -m data DATASET [--data_dir DIR] [--download]``: load and summarise.

Prints one line, e.g.
``mnist: read from /path (idx) | train 60000 | test 10000 | image 28x28 | pixel mean 0.1307``.
A data problem prints ``error: <one-line message>`` to stderr and exits 1:
this is a tool for checking a data folder, so a traceback would only hide
the message that says which file to fix.
"""

from __future__ import annotations

import argparse
import sys

from .errors import DataError
from .loader import DATASETS, SAMPLE_NAME, Dataset, load_dataset, load_mnist_sample


def summary(ds: Dataset) -> str:
    """The one-line description printed by the command."""
    height, width = ds.x_train.shape[1:]
    mean = float(ds.x_train.mean()) / 255.0
    return (
        f"{ds.name}: read from {ds.source} | train {len(ds.x_train)} | "
        f"test {len(ds.x_test)} | image {height}x{width} | pixel mean {mean:.4f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m data", description="Load a dataset and print a one-line summary."
    )
    parser.add_argument("dataset", choices=[*DATASETS, SAMPLE_NAME])
    parser.add_argument("--data_dir", default=None, help="folder to search (default: $DATA_DIR or ./data)")
    parser.add_argument("--download", action="store_true", help="download with torchvision if not found")
    args = parser.parse_args(argv)
    try:
        if args.dataset == SAMPLE_NAME:
            ds = load_mnist_sample()
        else:
            ds = load_dataset(args.dataset, data_dir=args.data_dir, download=args.download)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(summary(ds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
