"""Time the data loaders: ``python benchmarks/bench_data.py [--data_dir DIR]``.

Measures, on the real data:

* IDX load of each dataset (gunzip + parse, no cache);
* first parse of a 60,000-row CSV (written here from the MNIST IDX train set
  into a temporary folder, Kaggle layout with header), and the cached load
  that every later run gets;

prints a table and writes ``benchmarks/results/data.json`` (with the machine, benchmarks/machine.py; its table:
``python -m reporting.records --bench benchmarks/results/data.json``). The numbers
back the promises in the data package: CSV parsed in a few seconds, IDX and
cached loads well under a second.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
import platform
import sys
import tempfile
import time

import numpy as np
import torch

# Run as a plain script from anywhere: make the repository root importable.
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

from data import DATASETS, DataNotFound, default_data_dir, load_dataset  # noqa: E402
from data import cache, csvfile  # noqa: E402
from benchmarks.machine import header, write  # noqa: E402
from reporting.tables import bench_table  # noqa: E402

RESULTS = os.path.join(REPO_ROOT, "benchmarks", "results", "data.json")


def write_csv(path: str, images: np.ndarray, labels: np.ndarray, header: bool = True) -> None:
    """Write images/labels as a Kaggle-style CSV, quickly.

    ``np.savetxt`` would take about a minute for 47 million cells; joining
    precomputed byte strings for 0..255 is several times faster.
    """
    with_comma = np.array([f"{v},".encode() for v in range(256)], dtype=object)
    with_newline = np.array([f"{v}\n".encode() for v in range(256)], dtype=object)
    rows = np.concatenate([labels.reshape(-1, 1).astype(np.uint8), images.reshape(len(images), -1)], axis=1)
    with open(path, "wb") as f:
        if header:
            f.write(("label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29)) + "\n").encode())
        for start in range(0, len(rows), 5000):
            chunk = rows[start : start + 5000]
            tokens = with_comma[chunk]
            tokens[:, -1] = with_newline[chunk[:, -1]]
            f.write(b"".join(tokens.ravel()))


def timed(fn, repeat: int = 1):
    """Best wall time of ``repeat`` calls (seconds) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_dir", default=None, help="default: $DATA_DIR or ./data")
    parser.add_argument("--note", default="", help="free text stored in the file, e.g. what else ran on the machine")
    parser.add_argument("--out", default=RESULTS, help="the result file (default: benchmarks/results/data.json)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    data_dir = args.data_dir or default_data_dir()

    rows: list[dict] = []
    mnist = None
    for name in DATASETS:
        try:
            seconds, ds = timed(lambda: load_dataset(name, data_dir=data_dir), repeat=3)
        except DataNotFound as e:
            print(f"skip {name}: {e}", file=sys.stderr)
            continue
        rows.append({"case": f"{name} idx load", "seconds": seconds, "images": len(ds.x_train) + len(ds.x_test), "source": ds.source})
        if name == "mnist":
            mnist = ds

    if mnist is not None:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "mnist_train.csv")
            write_seconds, _ = timed(lambda: write_csv(path, mnist.x_train, mnist.y_train))
            size_mb = os.path.getsize(path) / 1e6
            print(f"(wrote {size_mb:.0f} MB test CSV in {write_seconds:.1f} s; not part of the table)")
            parse_seconds, (images, labels) = timed(lambda: csvfile.read_csv(path))
            if not (np.array_equal(images, mnist.x_train) and np.array_equal(labels, mnist.y_train)):
                raise SystemExit("CSV round trip does not match the IDX data")
            cached_seconds, _ = timed(lambda: csvfile.read_csv(path), repeat=3)
            cache_mb = os.path.getsize(cache.cache_path(path)) / 1e6
        rows.append({"case": "csv first parse (60000 rows)", "seconds": parse_seconds, "images": len(images), "csv_mb": round(size_mb, 1)})
        rows.append({"case": "csv cached load (60000 rows)", "seconds": cached_seconds, "images": len(images), "cache_mb": round(cache_mb, 1)})

    print(f"{'case':<32}{'seconds':>9}{'images':>9}")
    for row in rows:
        print(f"{row['case']:<32}{row['seconds']:>9.3f}{row['images']:>9}")

    report = {**header(torch.device("cpu"), args.note), "benchmark": "data", "repeat": 3,
              "python": platform.python_version(), "numpy": np.__version__,
              "results": [{**r, "seconds": round(r["seconds"], 4)} for r in rows],
              "seconds_total": round(time.perf_counter() - started, 1)}
    write(Path(args.out), report)
    print(bench_table(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
