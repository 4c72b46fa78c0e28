"""Reading TOML input files with errors that name the file."""

from __future__ import annotations

import tomllib
from pathlib import Path


def read_toml(path: str | Path, error: type[Exception], kind: str) -> dict:
    """Parse a TOML file; a missing file or a syntax error raises ``error`` naming the file.

    Parameters
    ----------
    path : path
        The file.
    error : exception class
        Raised on failure (e.g. ``ScenarioError``).
    kind : str
        What the file is, for the message (e.g. "scenario").
    """
    path = Path(path)
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError as exc:
        raise error(f"{path}: no such {kind} file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: invalid TOML: {exc}") from exc
