"""One-line errors for users: scripts print ``error: <message>`` and exit 1, never a traceback."""
from __future__ import annotations

import sys


class UserError(Exception):
    """Something the user can fix (a bad option, a missing or mismatched file). Message: one line."""


def run_cli(main, argv=None) -> None:
    """Call ``main(argv)``; turn user-facing errors into one line on stderr and exit code 1."""
    from data import DataError  # local import: utils must not import data at module load

    try:
        main(argv)
    except (UserError, DataError) as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        print("interrupted: rerun with --resume=true to continue from the last checkpoint", file=sys.stderr)
        raise SystemExit(130) from None
