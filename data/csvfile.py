"""Reading MNIST-style CSV files: one image per row, ``label,p1,...,p784``.

Two header styles are in circulation (Kaggle's MNIST ``label,1x1,...,28x28``
and Fashion-MNIST ``label,pixel1,...,pixel784``), and headerless files exist
too; a header is recognised by its first row not being all numbers.

Parsing is done in two passes on purpose:

* a fast pass with pandas' C parser, straight into uint8, which rejects
  anything odd (empty cells, text, values outside 0..255, short or long rows)
  but cannot say *which line* was at fault in a reliable way;
* only if that fails, a slow line-by-line pass, starting at the 5,000-row
  chunk pandas failed in, that finds the first bad row and reports it as a
  person would count lines in the file (header = row 1).

So good files parse in a few seconds and bad files still get exact messages.
The result is cached next to the CSV (see :mod:`data.cache`).
"""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd

from . import cache
from .errors import DataError, DataNotFound

NUM_COLUMNS = 1 + 28 * 28
NUM_CLASSES = 10
CHUNK_ROWS = 5000  # rows per pandas chunk; also the most rows the slow scan re-reads


def read_csv(path: str, use_cache: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) uint8 and labels (N,) int64 from one CSV file.

    Uses the cache when it matches the file, else parses and (re)writes it.
    """
    try:
        fingerprint = cache.fingerprint(path)
    except FileNotFoundError:
        raise DataNotFound(f"{path}: file not found") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read file ({e.strerror or e})") from None
    if use_cache:
        hit = cache.load_cache(path)
        if hit is not None:
            return hit
    images, labels = parse_csv(path)
    if use_cache:
        cache.save_cache(path, images, labels, fingerprint)
    return images, labels


def parse_csv(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse and validate a CSV without any caching."""
    try:
        return _parse(path)
    except OSError as e:
        raise DataError(f"{path}: cannot read file ({e.strerror or e})") from None


def _parse(path: str) -> tuple[np.ndarray, np.ndarray]:
    if os.path.getsize(path) == 0:
        raise DataError(f"{path}: empty file")
    has_header = _detect_header(path)
    first_data_row = 2 if has_header else 1
    # Read in chunks so that, if a chunk fails, the slow scan only has to
    # start at that chunk's first row instead of at the top of the file.
    chunk_start, chunks = first_data_row, []
    try:
        with pd.read_csv(
            path,
            header=None,
            skiprows=1 if has_header else 0,
            names=range(NUM_COLUMNS),  # fixes the width: long rows error, short rows get NaN
            dtype=np.uint8,  # out-of-range, empty, text and fractional cells all raise
            skip_blank_lines=False,  # a blank line is a bad row, never silently dropped
            engine="c",
            chunksize=CHUNK_ROWS,
        ) as reader:
            for chunk in reader:
                chunks.append(chunk.to_numpy())
                chunk_start += len(chunk)
    except (ValueError, OverflowError) as fast_error:
        # pandas' ParserError and UnicodeDecodeError are both ValueErrors.
        raise _locate_error(path, chunk_start, fast_error) from None
    if chunk_start == first_data_row:  # pandas may hand back one empty chunk
        raise DataError(f"{path}: has a header row but no data rows")
    if _has_decimal_point(path, has_header):
        # pandas reads "3.0" as the integer 3; a cell must be written as an integer, like every other cell
        raise _locate_error(path, first_data_row, ValueError("a cell with a decimal point"))
    values = np.concatenate(chunks)
    labels = values[:, 0]
    bad = np.flatnonzero(labels >= NUM_CLASSES)
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"{path}: row {first_data_row + i}: label {labels[i]} is outside 0..{NUM_CLASSES - 1}"
        )
    images = np.ascontiguousarray(values[:, 1:]).reshape(-1, 28, 28)
    return images, labels.astype(np.int64)


def _has_decimal_point(path: str, has_header: bool) -> bool:
    """True if a data row holds a ".": integer cells never do (one pass of a byte search over the file)."""
    with open(path, "rb") as f:
        if has_header:
            f.readline()
        return b"." in f.read()


def _is_integer_text(cell: str) -> bool:
    text = cell.strip().strip('"').strip()
    return text.lstrip("+-").isdigit()


def _detect_header(path: str) -> bool:
    """True if the first line is a header (not all cells are numbers)."""
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        first = f.readline().rstrip("\r\n")
    if not first.strip():
        raise DataError(f"{path}: row 1: empty line")
    cells = first.split(",")
    if all(_is_number(c) for c in cells):
        return False
    if len(cells) != NUM_COLUMNS:
        raise DataError(
            f"{path}: row 1: header has {len(cells)} columns, expected {NUM_COLUMNS}"
        )
    return True


def _cell_value(cell: str) -> float | None:
    """The number in a cell (surrounding spaces and quotes allowed, as pandas
    allows them), or None if it holds none."""
    try:
        value = float(cell.strip().strip('"'))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _is_number(cell: str) -> bool:
    return _cell_value(cell) is not None


def _locate_error(path: str, start_row: int, fast_error: Exception) -> DataError:
    """Scan the file line by line from ``start_row`` and describe the first
    bad row as a DataError.

    Only runs after the fast parser has failed, on the chunk it failed in
    and what follows; it stops at the first problem it finds.
    """
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        for row, line in enumerate(f, start=1):
            if row < start_row:
                continue
            problem = _row_problem(line.rstrip("\r\n"))
            if problem:
                return DataError(f"{path}: row {row}: {problem}")
    # The fast parser objected to something the row checks accept; still an
    # error, but without a row number.
    return DataError(f"{path}: could not parse CSV ({type(fast_error).__name__}: {fast_error})")


def _row_is_valid(cells: list[str]) -> bool:
    """Vectorised check of a whole row; keeps the slow scan to ~0.1 ms a row."""
    if not all(_is_integer_text(c) for c in cells):
        return False
    try:
        values = np.array(cells, dtype=np.float64)
    except ValueError:
        return False
    return bool(
        np.all(values == np.round(values))  # also False for NaN and inf
        and 0 <= values[0] < NUM_CLASSES
        and np.all((values[1:] >= 0) & (values[1:] <= 255))
    )


def _row_problem(line: str) -> str | None:
    """Describe what is wrong with one data row, or None if it is fine."""
    if not line.strip():
        return "empty line"
    cells = line.split(",")
    if len(cells) != NUM_COLUMNS:
        return f"has {len(cells)} columns, expected {NUM_COLUMNS}"
    if _row_is_valid(cells):
        return None
    for col, cell in enumerate(cells, start=1):
        what = "label" if col == 1 else f"pixel {col - 1}"
        if not cell.strip():
            return f"column {col} ({what}) is empty"
        value = _cell_value(cell)
        if value is None:
            return f"column {col} ({what}): {cell.strip()!r} is not a number"
        if value != int(value) or not _is_integer_text(cell):
            return f"column {col} ({what}): {cell.strip()!r} is not an integer"
        low, high = (0, NUM_CLASSES - 1) if col == 1 else (0, 255)
        if not low <= value <= high:
            return f"column {col} ({what}): {cell.strip()} is outside {low}..{high}"
    return None
