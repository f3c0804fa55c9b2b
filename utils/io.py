"""Run folders, JSON and checkpoints, all written atomically (a crash never leaves half a file)."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import torch

from utils.errors import UserError


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_json(path, obj) -> None:
    text = json.dumps(obj, indent=2, sort_keys=False, default=_jsonable)
    _atomic_write(Path(path), lambda fh: fh.write(text.encode() + b"\n"))


def save_text(path, text: str) -> None:
    _atomic_write(Path(path), lambda fh: fh.write(text.encode()))


def _jsonable(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def load_json(path) -> dict:
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None
    except json.JSONDecodeError as err:
        raise UserError(f"{path}: not valid JSON ({err.msg} at line {err.lineno})") from None


def save_checkpoint(path, payload: dict) -> None:
    """torch.save to a temporary file, then rename: the old checkpoint survives a crash mid-write."""
    _atomic_write(Path(path), lambda fh: torch.save(payload, fh))


def load_checkpoint(path, kind: str, hint: str = "") -> dict:
    """Load a checkpoint written by :func:`save_checkpoint` and check that it holds a ``kind``.

    Every problem (missing, unreadable, another model's checkpoint) is a one-line UserError that names
    the file; ``hint`` says which command writes the right one.
    """
    path = Path(path)
    suffix = f"; {hint}" if hint else ""
    if not path.is_file():
        raise UserError(f"{path}: checkpoint not found{suffix}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:  # torch raises many types for a damaged file
        raise UserError(f"{path}: cannot read checkpoint ({type(err).__name__}){suffix}") from None
    if not isinstance(payload, dict) or payload.get("kind") != kind:
        found = payload.get("kind") if isinstance(payload, dict) else type(payload).__name__
        raise UserError(f"{path}: holds a {found!r} checkpoint, expected {kind!r}{suffix}")
    return payload


def run_dir(*parts) -> Path:
    """Create (if needed) and return the run folder ``Path(*parts)``."""
    path = Path(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
