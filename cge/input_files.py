"""Only regular files are read as inputs: a FIFO, a device or a socket is one line, never a hang.

``open()`` on a FIFO with no writer blocks for ever, and a character device such as ``/dev/zero``
or ``/dev/urandom`` never ends; the audit's ``cge run fifo.toml`` hung. Every reader of a user's
file (scenario and SSA TOML, SAM netCDF and CSV, elasticity, mapping and groups CSV, results
netCDF, raw build sources) asks :func:`regular_file` first, which only calls ``stat`` (it does
not block).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

KINDS = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}
"""File types that are refused, with their names for the message."""
MAX_TEXT_BYTES = 64 * 2**20
"""Largest TOML input read [bytes] (a scenario or SSA file is a few kB)."""


def regular_file(path: str | os.PathLike[str], what: str, error: type[Exception] = ValueError) -> Path:
    """``path`` itself if it is a regular file, a directory or absent (the caller reports those).

    Parameters
    ----------
    path : path
        The input (symbolic links are followed).
    what : str
        What the file should be, for the message (e.g. "scenario file").
    error : exception class
        Raised for anything else.

    Raises
    ------
    error
        ``"<path>: a FIFO (named pipe), not a regular file: the scenario file must be ..."``.
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return path  # absent or unreadable: the reader's own message names it
    kind = KINDS.get(stat.S_IFMT(mode))
    if kind is not None:
        raise error(f"{path}: {kind}, not a regular file: the {what} must be a regular file (nothing was read)")
    return path
