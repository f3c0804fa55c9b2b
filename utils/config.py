"""Hyperparameters: a commented block at the top of each script, overridable as ``--key=value``.

Each ``main_*.py`` starts with plain assignments such as ``epochs = 3  # passes over the training set``.
:func:`parse_config` collects them, applies command-line overrides with type checks, and returns a
plain dict that is saved with every run. ``-h`` lists every key with its default and its comment.
"""
from __future__ import annotations

import re
import sys
from types import ModuleType

from utils.errors import UserError

_SCALARS = (bool, int, float, str, type(None))
_LINE = re.compile(r"^(\w+)\s*=\s*(.+?)\s*(?:#\s*(.*))?$")


def header_keys(namespace: dict) -> dict:
    """The script's hyperparameters: public module-level scalars, in definition order."""
    return {k: v for k, v in namespace.items()
            if not k.startswith("_") and isinstance(v, _SCALARS) and not isinstance(v, ModuleType)}


def _comments(path: str | None) -> dict:
    if not path:
        return {}
    comments = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            m = _LINE.match(line.rstrip())
            if m and m.group(3):
                comments[m.group(1)] = m.group(3)
    return comments


def convert(key: str, text: str, default):
    """Parse ``text`` into the type of ``default``; a one-line UserError if it does not fit."""
    if isinstance(default, bool):
        low = text.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise UserError(f"--{key} expects a boolean (true/false), got {text!r}")
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            raise UserError(f"--{key} expects an integer, got {text!r}") from None
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            raise UserError(f"--{key} expects a number, got {text!r}") from None
    if default is None:
        return None if text.strip().lower() in ("", "none") else text
    return text


def parse_config(namespace: dict, argv: list[str] | None = None, script: str | None = None) -> dict:
    """Return the header hyperparameters of ``namespace`` with ``--key=value`` overrides applied.

    ``argv`` defaults to ``sys.argv[1:]``; ``script`` is the file whose comments ``-h`` shows.
    Unknown keys, malformed arguments and wrong types are one-line :class:`UserError` s.
    """
    defaults = header_keys(namespace)
    argv = sys.argv[1:] if argv is None else list(argv)
    if any(a in ("-h", "--help") for a in argv):
        comments = _comments(script)
        width = max(len(k) for k in defaults)
        print(f"usage: python {script or 'script.py'} [--key=value ...]\n\nhyperparameters (default, meaning):")
        for k, v in defaults.items():
            print(f"  --{k:<{width}} = {v!r:<24} {comments.get(k, '')}")
        raise SystemExit(0)
    cfg = dict(defaults)
    for arg in argv:
        if not arg.startswith("--"):
            raise UserError(f"unexpected argument {arg!r}: use --key=value (see -h)")
        key, sep, value = arg[2:].partition("=")
        key = key.replace("-", "_")
        if key not in defaults:
            raise UserError(f"unknown option --{key} (see -h for the {len(defaults)} known keys)")
        if not sep:
            if isinstance(defaults[key], bool):
                value = "true"  # a bare --flag switches a boolean on
            else:
                raise UserError(f"--{key} needs a value: --{key}=VALUE")
        cfg[key] = convert(key, value, defaults[key])
    return cfg


def split_list(text: str, kind=str) -> list:
    """'a,b,c' -> ['a','b','c'] (with ``kind`` applied); used for list-valued keys like ``ks``."""
    items = [t.strip() for t in str(text).split(",") if t.strip()]
    try:
        return [kind(t) for t in items]
    except ValueError:
        raise UserError(f"cannot read {text!r} as a comma-separated list of {kind.__name__}") from None
