"""Hyperparameters: a commented block at the top of each script, overridable as ``--key=value``.

Each ``main_*.py`` starts with plain assignments such as ``epochs = 3  # passes over the training set``.
:func:`parse_config` collects them, applies command-line overrides with type checks, checks every value against
the script's ``RULES`` (ranges, known names) before any work starts, and returns a plain dict that is saved with
every run. ``-h`` lists every key with its default and its comment.
"""
from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Callable

from utils.errors import UserError

_SCALARS = (bool, int, float, str, type(None))
_LINE = re.compile(r"^(\w+)\s*=\s*(.+?)\s*(?:#\s*(.*))?$")


def header_keys(namespace: dict) -> dict:
    """The script's hyperparameters: public lower-case module-level scalars, in definition order (upper-case names
    such as an imported ``AAE_KIND`` are constants, not settings)."""
    return {k: v for k, v in namespace.items()
            if not k.startswith("_") and k.islower() and isinstance(v, _SCALARS) and not isinstance(v, ModuleType)}


def script_header(path) -> dict:
    """The hyperparameters of the script at ``path``, read from its text without running it: its module-level
    assignments of a literal scalar to a public lower-case name, in order (what :func:`header_keys` gives for the
    imported script, so code that reports on runs never imports an experiment script). A missing file is a one-line
    UserError."""
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=str(path))
    except OSError as err:
        raise UserError(f"{path}: cannot read the script ({err.strerror or err.__class__.__name__})") from None
    header = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                continue
            if not name.startswith("_") and name.islower() and isinstance(value, _SCALARS):
                header[name] = value
    return header


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


def parse_config(namespace: dict, argv: list[str] | None = None, script: str | None = None,
                 rules: dict | None = None) -> dict:
    """Return the header hyperparameters of ``namespace`` with ``--key=value`` overrides applied.

    ``argv`` defaults to ``sys.argv[1:]``; ``script`` is the file whose comments ``-h`` shows; ``rules`` (default:
    the namespace's ``RULES``) maps keys to :class:`Rule` s that every value must pass. With ``--paper_settings=true``
    the namespace's ``PAPER`` values (the paper's own setup) replace the header's defaults; keys given on the command
    line still win. Unknown keys, malformed arguments, wrong types and values out of range are one-line
    :class:`UserError` s.
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
    cfg, given = dict(defaults), set()
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
        given.add(key)
    if cfg.get("paper_settings"):
        cfg.update({k: v for k, v in namespace.get("PAPER", {}).items() if k not in given})
    check(cfg, namespace.get("RULES", {}) if rules is None else rules)
    return cfg


def split_list(text: str, kind=str) -> list:
    """'a,b,c' -> ['a','b','c'] (with ``kind`` applied); used for list-valued keys like ``ks``."""
    items = [t.strip() for t in str(text).split(",") if t.strip()]
    try:
        return [kind(t) for t in items]
    except ValueError:
        raise UserError(f"cannot read {text!r} as a comma-separated list of {kind.__name__}") from None


# ----------------------------------------------------------------------------- what a value may be
@dataclass(frozen=True)
class Rule:
    """What one hyperparameter may be: ``ok(value)``, the phrase of the error, and ``invalid``: a value on the command
    line that the rule refuses (the tests try it on every script)."""
    ok: Callable[[object], bool]
    says: str
    invalid: str


def own_value(cfg: dict, key: str, dataset: str):
    """``cfg[key]``, or when it is 0 or empty (a header's "the data set's own") ``cfg[key + "_mnist"]`` on MNIST and
    ``cfg[key + "_fashion"]`` on Fashion-MNIST: the value a run on ``dataset`` uses, which its config.json records."""
    return cfg[key] or cfg[f"{key}_mnist" if dataset == "mnist" else f"{key}_fashion"]


def per_data_set_keys(header: dict) -> tuple[str, ...]:
    """The keys of a script's header that :func:`own_value` resolves per data set: those that have a <key>_mnist and a
    <key>_fashion beside them, in header order."""
    return tuple(k for k in header if f"{k}_mnist" in header and f"{k}_fashion" in header)


def at_least(low: int) -> Rule:
    return Rule(lambda v: v >= low, f"must be at least {low}", str(low - 1))


def positive() -> Rule:
    return Rule(lambda v: v > 0, "must be positive", "0")


def fraction(upper_open: bool = True) -> Rule:
    """In [0, 1) (or [0, 1])."""
    if upper_open:
        return Rule(lambda v: 0 <= v < 1, "must be in [0, 1)", "1")
    return Rule(lambda v: 0 <= v <= 1, "must be in [0, 1]", "1.5")


def number_or_empty(high: float | None = None, *, empty: str = "a default") -> Rule:
    """A text key: empty (``empty`` says what that means) or a number >= 0, and <= ``high`` when given."""
    def ok(text) -> bool:
        text = str(text).strip()
        return not text or (text.replace(".", "", 1).isdigit() and (high is None or float(text) <= high))
    bound = ">= 0" if high is None else f"from 0 to {high:g}"
    return Rule(ok, f"must be empty ({empty}) or a number {bound}", "-1" if high is None else str(high + 0.5))


def one_of(*names: str) -> Rule:
    shown = ", ".join(n or '""' for n in names)          # an empty choice (a header's "the data set's own") as ""
    return Rule(lambda v: v in names, f"must be one of {shown}", "nonsense")


def list_of(kind=str, *, names: tuple = (), low: int | None = None, empty: bool = False) -> Rule:
    """A comma-separated list: of known ``names``, or of numbers of ``kind`` at least ``low``; not empty unless
    ``empty``."""
    def ok(text) -> bool:
        try:
            items = split_list(text, kind)
        except UserError:
            return False
        return ((empty or bool(items)) and all(i in names for i in items) if names else
                (empty or bool(items)) and all(low is None or i >= low for i in items))
    if names:
        return Rule(ok, f"must be a comma-separated list of {', '.join(names)}", "nonsense")
    what = f"{kind.__name__}s" + (f" of at least {low}" if low is not None else "")
    return Rule(ok, f"must be a comma-separated list of {what}", str(low - 1) if low is not None else "x")


def check(cfg: dict, rules: dict) -> None:
    """One-line UserError for the first value that breaks its rule."""
    for key, rule in rules.items():
        if key not in cfg:
            raise KeyError(f"RULES names {key!r}, which is not a hyperparameter")
        if not rule.ok(cfg[key]):
            raise UserError(f"--{key}={cfg[key]}: {rule.says}")
