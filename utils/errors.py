"""One-line errors for users: scripts print ``error: <message>`` and exit 2, never a traceback."""
from __future__ import annotations

import sys


class UserError(Exception):
    """Something the user can fix (a bad option, a missing or mismatched file). Message: one line."""


def run_cli(main, argv=None) -> None:
    """Call ``main(argv)``; turn user-facing errors into one line on stderr and exit status 2."""
    from data import DataError  # local import: utils must not import data at module load

    try:
        main(argv)
    except (UserError, DataError) as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    except BrokenPipeError:  # the reader of our output stopped (`... | head`): nothing went wrong here
        sys.stderr.close()
        raise SystemExit(0) from None
    except OSError as err:  # a full disk, a folder made read-only mid-run: name the file, keep the checkpoint
        where = f"{err.filename}: " if err.filename else ""
        print(f"error: {where}{err.strerror or err} (finished epochs are in the last checkpoint; --resume=true "
              "continues from it)", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        print("interrupted: rerun with --resume=true to continue from the last checkpoint", file=sys.stderr)
        raise SystemExit(130) from None
