"""Reading MNIST-style IDX files (plain or gzipped).

The IDX format is a big-endian header followed by raw bytes:

* images: magic 0x00000803, then count, rows, cols (uint32 each), then
  count*rows*cols pixel bytes;
* labels: magic 0x00000801, then count (uint32), then count label bytes.

Whole files are read into memory: the largest (Fashion-MNIST train images)
is 47 MB decompressed and takes well under a second, so no cache is needed.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib

import numpy as np

from .errors import DataError, DataNotFound

IMAGE_MAGIC = 0x00000803
LABEL_MAGIC = 0x00000801
IMAGE_SIZE = (28, 28)
NUM_CLASSES = 10

# The four files of a dataset, keyed by role, with the stem used on disk.
IDX_STEMS = {
    "train_images": ("train-images", "idx3-ubyte"),
    "train_labels": ("train-labels", "idx1-ubyte"),
    "test_images": ("t10k-images", "idx3-ubyte"),
    "test_labels": ("t10k-labels", "idx1-ubyte"),
}

_GZIP_MAGIC = b"\x1f\x8b"


def candidate_names(role: str) -> list[str]:
    """File names accepted for one role, most common first.

    The original distribution uses ``train-images-idx3-ubyte``; some mirrors
    (and the name stored inside the original MNIST gzip headers) use
    ``train-images.idx3-ubyte``. Either may be gzipped. An uncompressed file
    wins over a gzipped one (torchvision keeps both) because it reads faster.
    """
    stem, kind = IDX_STEMS[role]
    names = []
    for sep in ("-", "."):
        base = f"{stem}{sep}{kind}"
        names += [base, base + ".gz"]
    return names


def find_idx_files(directory: str) -> dict[str, str] | None:
    """Return the paths of the four IDX files in ``directory``.

    Returns None when none of them is there (so the caller keeps searching),
    and raises DataError when only some are: half a dataset is a mistake the
    user should hear about, not something to skip over silently.
    """
    if not os.path.isdir(directory):
        return None
    found: dict[str, str] = {}
    for role in IDX_STEMS:
        for name in candidate_names(role):
            path = os.path.join(directory, name)
            if os.path.isfile(path):
                found[role] = path
                break
    if not found:
        return None
    missing = [role for role in IDX_STEMS if role not in found]
    if missing:
        role = missing[0]
        wanted = os.path.join(directory, candidate_names(role)[0])
        present = os.path.basename(next(iter(found.values())))
        raise DataError(
            f"{wanted}: missing file (found {present} in the same folder, "
            f"but no {' or '.join(candidate_names(role))})"
        )
    return found


def _read_bytes(path: str) -> bytes:
    """Whole file contents, transparently gunzipped.

    Compression is detected from the content rather than the name, so a
    gzipped file without ``.gz`` (or the reverse) still loads.
    """
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise DataNotFound(f"{path}: file not found") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read file ({e.strerror or e})") from None
    if not raw:
        raise DataError(f"{path}: empty file")
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        data = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        # gzip.BadGzipFile is an OSError; a cut-off stream is an EOFError.
        raise DataError(f"{path}: corrupt gzip data ({e})") from None
    if not data:
        raise DataError(f"{path}: empty file (after gunzip)")
    return data


def _check_magic(path: str, data: bytes, expected: int, what: str) -> None:
    if len(data) < 4:
        raise DataError(f"{path}: truncated IDX header ({len(data)} bytes)")
    (magic,) = struct.unpack(">I", data[:4])
    if magic != expected:
        raise DataError(
            f"{path}: wrong magic number 0x{magic:08X} "
            f"(expected 0x{expected:08X} for an IDX {what} file)"
        )


def _check_length(path: str, data: bytes, header: int, payload: int, what: str) -> None:
    actual = len(data) - header
    if actual < payload:
        raise DataError(
            f"{path}: truncated file: header promises {payload} bytes of {what}, "
            f"found {actual}"
        )
    if actual > payload:
        raise DataError(
            f"{path}: {actual - payload} unexpected bytes after the "
            f"{payload} bytes of {what} the header promises"
        )


def read_idx_images(path: str) -> np.ndarray:
    """Images as a writable uint8 array of shape (N, 28, 28)."""
    data = _read_bytes(path)
    _check_magic(path, data, IMAGE_MAGIC, "image")
    if len(data) < 16:
        raise DataError(f"{path}: truncated IDX header ({len(data)} of 16 bytes)")
    count, rows, cols = struct.unpack(">III", data[4:16])
    if (rows, cols) != IMAGE_SIZE:
        raise DataError(
            f"{path}: images are {rows}x{cols}, expected "
            f"{IMAGE_SIZE[0]}x{IMAGE_SIZE[1]}"
        )
    _check_length(path, data, 16, count * rows * cols, "pixels")
    images = np.frombuffer(data, dtype=np.uint8, count=count * rows * cols, offset=16)
    # Copy: frombuffer on bytes is read-only, which trips up torch.from_numpy.
    return images.reshape(count, rows, cols).copy()


def read_idx_labels(path: str) -> np.ndarray:
    """Labels as an int64 array of shape (N,), each checked to be in 0..9."""
    data = _read_bytes(path)
    _check_magic(path, data, LABEL_MAGIC, "label")
    if len(data) < 8:
        raise DataError(f"{path}: truncated IDX header ({len(data)} of 8 bytes)")
    (count,) = struct.unpack(">I", data[4:8])
    _check_length(path, data, 8, count, "labels")
    labels = np.frombuffer(data, dtype=np.uint8, count=count, offset=8)
    bad = np.flatnonzero(labels >= NUM_CLASSES)
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"{path}: label {labels[i]} at item {i + 1} is outside 0..{NUM_CLASSES - 1}"
        )
    return labels.astype(np.int64)


def load_idx_set(files: dict[str, str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read the four files found by :func:`find_idx_files` and cross-check counts."""
    arrays = {}
    for split in ("train", "test"):
        images = read_idx_images(files[f"{split}_images"])
        labels = read_idx_labels(files[f"{split}_labels"])
        if len(images) != len(labels):
            raise DataError(
                f"{files[f'{split}_labels']}: has {len(labels)} labels but "
                f"{files[f'{split}_images']} has {len(images)} images"
            )
        arrays[split] = (images, labels)
    return (*arrays["train"], *arrays["test"])
