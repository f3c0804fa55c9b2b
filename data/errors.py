"""Exceptions raised by the data package.

Every problem with the input files is reported as a :class:`DataError` whose
message is a single line naming the file (and, for CSV, the row), so that a
training script can print it as-is and a person knows what to fix.
"""

from __future__ import annotations


class DataError(Exception):
    """A data file is missing, malformed or inconsistent.

    The message is forced onto one line: messages are printed by command-line
    tools as ``error: <message>`` and a stray newline (e.g. from a wrapped
    pandas or zlib error) would break that contract.
    """

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class DataNotFound(DataError, FileNotFoundError):
    """No copy of the requested dataset was found in any searched place.

    Separate from :class:`DataError` so callers can fall back (e.g. to a
    download) when the data is simply absent, while still failing loudly on a
    file that is present but broken. It also subclasses FileNotFoundError so
    generic ``except OSError`` handlers behave sensibly.
    """
