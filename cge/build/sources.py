"""Locations of the raw public sources and checked CSV reading.

The build reads a directory laid out as ``../shared/data`` (see its README): WIOD 2013 tables,
WIOD-SEA for the USA, ILO broad-sector employment, PWT 10.0 labour shares and the 2024 control
totals. Every read names the file, and the column or row, when the input is bad.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cge.input_files import regular_file

log = logging.getLogger(__name__)


class BuildInputError(ValueError):
    """A raw input or mapping file is missing or malformed; the message names file and column."""


class BuildError(RuntimeError):
    """The build cannot produce a valid SAM from valid inputs; the message names the account."""


@dataclass(frozen=True)
class SourceFiles:
    """Paths of the raw source files inside a data directory.

    Attributes are paths relative to ``data_dir`` as laid out in ``../shared/data/README.md``.
    """

    data_dir: Path
    wiod_intermediate: Path
    wiod_final: Path
    wiod_output: Path
    wiod_industries: Path
    sea: Path
    ilo: Path
    pwt: Path
    controls: Path
    sector_controls: Path | None = None
    """``macro/controls_2024_sector.csv`` (optional: figures below the totals; None if absent)."""

    @classmethod
    def from_dir(cls, data_dir: str | Path) -> SourceFiles:
        """Resolve and check the source files under ``data_dir``.

        Raises
        ------
        BuildInputError
            Naming every missing file.
        """
        root = Path(data_dir)
        files = cls(
            data_dir=root,
            wiod_intermediate=root / "wiod2013" / "wiot2011_intermediate.csv.gz",
            wiod_final=root / "wiod2013" / "wiot2011_final.csv.gz",
            wiod_output=root / "wiod2013" / "wiot2011_output.csv",
            wiod_industries=root / "wiod2013" / "industries.csv",
            sea=root / "employment" / "wiod2016_sea_usa.csv",
            ilo=root / "employment" / "ilo_employment_broad_sectors.csv",
            pwt=root / "macro" / "pwt100_labsh_emp_2005_2019.csv",
            controls=root / "macro" / "controls.csv",
        )
        sector = root / "macro" / "controls_2024_sector.csv"
        if sector.is_file():
            files = cls(**{**files.__dict__, "sector_controls": sector})
        missing = [str(p) for p in files.paths().values() if not p.is_file()]
        if missing:
            raise BuildInputError(f"source data directory {root}: missing file(s) {missing}")
        return files

    def paths(self) -> dict[str, Path]:
        """Name → path of every source file."""
        return {k: v for k, v in self.__dict__.items() if k != "data_dir" and v is not None}

    def digests(self) -> dict[str, str]:
        """SHA-256 of every source file, keyed by its path relative to ``data_dir``."""
        out = {}
        for path in self.paths().values():
            out[str(path.relative_to(self.data_dir))] = hashlib.sha256(path.read_bytes()).hexdigest()
        return out


def require_columns(frame: pd.DataFrame, columns: list[str], name: str) -> None:
    """Raise :class:`BuildInputError` naming ``name`` and the missing columns if any is absent."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise BuildInputError(f"{name}: missing column(s) {missing}; found {list(frame.columns)}")


def read_csv_checked(
    path: Path,
    columns: list[str],
    numeric: list[str] | tuple[str, ...] = (),
    dtype_str: list[str] | tuple[str, ...] = (),
) -> pd.DataFrame:
    """Read a CSV and check that it has ``columns`` and that ``numeric`` columns are numbers.

    Parameters
    ----------
    path : pathlib.Path
        CSV file (``.gz`` is decompressed).
    columns : list of str
        Required columns.
    numeric : list of str
        Columns that must parse as finite numbers (blank cells are allowed and become NaN).
    dtype_str : list of str
        Columns read as strings.

    Raises
    ------
    BuildInputError
        Naming the file and the missing column, or the first bad cell (row and value).
    """
    regular_file(path, "source table (CSV)", BuildInputError)
    try:
        frame = pd.read_csv(path, dtype={c: str for c in dtype_str}, keep_default_na=True)
    except FileNotFoundError as err:
        raise BuildInputError(f"{path}: file not found") from err
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise BuildInputError(f"{path}: cannot parse as CSV ({err})") from err
    require_columns(frame, columns, str(path))
    for col in numeric:
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() & frame[col].notna()
        if bad.any():
            row = int(bad.idxmax())
            raise BuildInputError(f"{path}: column '{col}' row {row + 2} is not a number: {frame[col].iloc[row]!r}")
        frame[col] = values.astype(float)
    return frame
