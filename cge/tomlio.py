"""Reading TOML input files with errors that name the file."""

from __future__ import annotations

import tomllib
from pathlib import Path


def read_toml(path: str | Path, error: type[Exception], kind: str) -> dict:
    """Parse a TOML file; a missing file or a syntax error raises ``error`` naming the file.

    A UTF-8 byte-order mark at the start is accepted (TOML itself forbids it; Windows editors
    write it).

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
        # utf-8-sig: a byte-order mark, which Windows editors write, is read as nothing
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise error(f"{path}: no such {kind} file") from exc
    except IsADirectoryError as exc:
        raise error(f"{path}: is a directory, not a {kind} file (TOML)") from exc
    except UnicodeDecodeError as exc:
        raise error(
            f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
            f"a {kind} file is TOML, which must be UTF-8"
        ) from exc
    except OSError as exc:
        raise error(f"{path}: cannot read the {kind} file ({exc.strerror or exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: invalid TOML: {exc}") from exc
