"""A parse cache for CSV files, stored as an uncompressed ``.npz`` beside them.

Parsing a 60,000-row MNIST CSV takes seconds; loading the same arrays from
an uncompressed npz takes a few tens of milliseconds. The cache records the
CSV's size and modification time (nanoseconds), the same staleness test
``make`` and Python's bytecode cache use: cheap, and any rewrite of the CSV
changes at least one of them.

Caching is best effort: an unreadable or corrupt cache is ignored (and later
overwritten), and an unwritable directory just means no cache.
"""

from __future__ import annotations

import os
import tempfile
import zipfile

import numpy as np

# Bump when the stored layout or the parsing rules change, so old caches are
# rebuilt instead of trusted.
CACHE_VERSION = 1


def cache_path(csv_path: str) -> str:
    """Hidden file next to the CSV, e.g. ``.mnist_train.csv.cache.npz``."""
    folder, name = os.path.split(csv_path)
    return os.path.join(folder, f".{name}.cache.npz")


def fingerprint(csv_path: str) -> np.ndarray:
    """What identifies one version of the CSV (raises OSError if unreadable)."""
    st = os.stat(csv_path)
    return np.array([CACHE_VERSION, st.st_size, st.st_mtime_ns], dtype=np.int64)


def load_cache(csv_path: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Cached (images, labels) for ``csv_path``, or None if absent/stale/corrupt."""
    path = cache_path(csv_path)
    if not os.path.isfile(path):
        return None
    try:
        # Open the file ourselves: np.load leaks its handle when the zip is bad.
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as z:
            if not np.array_equal(z["fingerprint"], fingerprint(csv_path)):
                return None
            images, labels = z["images"], z["labels"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    # A cache that decodes but has the wrong shape is as bad as a corrupt one.
    if (
        images.dtype != np.uint8
        or images.ndim != 3
        or labels.dtype != np.int64
        or labels.shape != (len(images),)
    ):
        return None
    return images, labels


def save_cache(
    csv_path: str, images: np.ndarray, labels: np.ndarray, parsed_fingerprint: np.ndarray
) -> bool:
    """Write the cache atomically; return False (silently) if it cannot be written.

    ``parsed_fingerprint`` must be taken *before* parsing: if the CSV changes
    while it is being parsed, the stored fingerprint is then already stale and
    the cache is never trusted, instead of pairing old arrays with the new
    file's fingerprint. Writing to a temporary file and ``os.replace``-ing
    it means a crash or a concurrent reader never sees a half-written cache.
    """
    target = cache_path(csv_path)
    try:
        fd, tmp = tempfile.mkstemp(
            dir=os.path.dirname(target) or ".", prefix=".tmp-", suffix=".npz"
        )
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, images=images, labels=labels, fingerprint=parsed_fingerprint)
        os.replace(tmp, target)
        return True
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False
