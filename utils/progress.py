"""Progress bars (tqdm) that can be switched off with --progress=false."""
from __future__ import annotations

import sys

from tqdm.auto import tqdm


def bar(iterable=None, *, enabled: bool = True, **kwargs):
    """tqdm over ``iterable``; disabled bars still iterate and accept set_postfix()."""
    kwargs.setdefault("dynamic_ncols", True)
    kwargs.setdefault("leave", False)
    return tqdm(iterable, disable=not enabled, file=sys.stderr, **kwargs)


def log(message: str) -> None:
    """Print a line without breaking an active progress bar."""
    tqdm.write(message, file=sys.stdout)
