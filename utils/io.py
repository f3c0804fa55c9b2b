"""Run folders, JSON and checkpoints, all written atomically (a crash never leaves half a file), and the guards that
keep a finished or interrupted run from being overwritten by accident."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import torch

from utils.errors import UserError

REPO = Path(__file__).resolve().parents[1]


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


def file_digest(path) -> str:
    """The SHA-256 of a file's bytes (hex): the same for a run's metrics.json and its record, a verbatim copy."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


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
        raise UserError(f"{path}: cannot read checkpoint: damaged, truncated or not a checkpoint "
                        f"({type(err).__name__}){suffix}") from None
    if not isinstance(payload, dict) or payload.get("kind") != kind:
        found = payload.get("kind") if isinstance(payload, dict) else type(payload).__name__
        raise UserError(f"{path}: holds a {found!r} checkpoint, expected {kind!r}{suffix}")
    return payload


def run_dir(*parts) -> Path:
    """Create (if needed) and return the run folder ``Path(*parts)``."""
    path = Path(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def output_root(out_dir: str, eval_split: str = "test") -> Path:
    """Where a script writes: ``--out_dir`` as given (relative to the working directory), or results/ in the
    repository when it is empty (the default), wherever the script is started from. Runs scored on the validation
    split go to its val/ subfolder, apart from the test-set runs that reports read."""
    root = Path(out_dir) if out_dir else REPO / "results"
    return root / "val" if eval_split == "val" else root


def ensure_writable(folder) -> Path:
    """Create ``folder`` and prove a file can be written there, before any training; a one-line error if not."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
    except OSError as err:
        raise UserError(f"{folder}: cannot write there ({err.strerror or err}); choose another --out_dir") from None
    return folder


def _results_in(folder: Path) -> list[str]:
    """The files in ``folder`` that an earlier run left and a new run would replace: checkpoints and metrics."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_file() and (p.suffix == ".pt" or p.name == "metrics.json"))


def guard_run_dirs(folders, *, resume: bool, overwrite: bool) -> None:
    """Refuse, before any work, to start afresh in a folder that holds an earlier run's checkpoint or metrics:
    that needs ``--resume=true`` (continue it) or ``--overwrite=true`` (replace it)."""
    if resume and overwrite:
        raise UserError("--resume=true and --overwrite=true contradict each other: choose one")
    if resume or overwrite:
        return
    for folder in folders:
        held = _results_in(Path(folder))
        if held:
            raise UserError(f"{folder}: holds {', '.join(held)} of an earlier run; pass --resume=true to continue it "
                            "or --overwrite=true to replace it")


def fresh_run_dir(*parts, resume: bool, overwrite: bool) -> Path:
    """The run folder, created; an earlier run's checkpoints and metrics are checked (:func:`guard_run_dirs`) and, with
    ``overwrite``, removed, so that nothing of the old run mixes with the new one."""
    folder = Path(*parts)
    guard_run_dirs([folder], resume=resume, overwrite=overwrite)
    if overwrite:
        for name in _results_in(folder):
            (folder / name).unlink()
    return run_dir(folder)
