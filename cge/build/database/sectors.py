"""The model sectors of the open database and the concordances that map source classifications to them.

``calibration/database/sectors.csv`` lists the sectors (one commodity and one activity each) with
their ``label`` in the database (at most 12 characters: GEMPACK's limit on set elements; the
calibration tables use the ``sector`` names) and their flags: ``goods`` (merchandise), ``agrifood``
(agriculture and food) and ``margin`` (the
commodity that supplies international transport margins). Each source classification has a
concordance in ``calibration/database/concordances/`` with columns ``code, sector, share, source``:
a code may be split over several sectors by shares that sum to 1 (e.g. basic metals into iron and
steel and other metals), each share naming its source.

A concordance that leaves a source code without a sector, names a sector that
``sectors.csv`` does not have, or whose shares do not sum to 1 stops the build with a one-line
:class:`~cge.build.sources.BuildInputError` naming the file and the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cge.build.mapping import _as_bool
from cge.build.sources import BuildInputError, read_csv_checked

SECTOR_FILE = Path("database") / "sectors.csv"
CONCORDANCE_DIR = Path("database") / "concordances"
SHARE_TOL = 1e-6
MAX_LABEL = 12
"""GEMPACK's limit on the length of a set element."""
"""Tolerance on the sum of a code's shares."""


@dataclass(frozen=True)
class SectorSet:
    """The model sectors (commodities = activities) and their flags.

    Attributes
    ----------
    sectors : tuple of str
        Labels in order.
    goods, agrifood, margin : tuple of bool
        Merchandise; agriculture and food; margin commodity (international transport).
    definition : tuple of str
        ISIC Rev.4 / NAICS / GTAP definition of each sector.
    labels : tuple of str
        Label of each sector in the database (≤ 12 characters); the sector name if empty.
    """

    sectors: tuple[str, ...]
    goods: tuple[bool, ...]
    agrifood: tuple[bool, ...]
    margin: tuple[bool, ...]
    definition: tuple[str, ...]
    labels: tuple[str, ...] = ()

    def label_of(self) -> dict[str, str]:
        """Sector name → its label in the database."""
        return dict(zip(self.sectors, self.labels or self.sectors))

    def flagged(self, flag: str) -> list[str]:
        """Sectors whose ``flag`` (goods, agrifood, margin) is set."""
        return [s for s, f in zip(self.sectors, getattr(self, flag)) if f]


def read_sectors(calibration_dir: Path) -> SectorSet:
    """Read ``database/sectors.csv`` under ``calibration_dir``.

    Raises
    ------
    BuildInputError
        On a missing file or column, a repeated or blank sector, a non-boolean flag or no margin sector.
    """
    path = Path(calibration_dir) / SECTOR_FILE
    frame = read_csv_checked(
        path,
        ["sector", "goods", "agrifood", "margin", "definition"],
        dtype_str=["sector", "label", "goods", "agrifood", "margin", "definition"],
    )
    blank = frame["sector"].isna() | (frame["sector"].str.strip() == "")
    if blank.any():
        raise BuildInputError(f"{path}: column 'sector' is blank in row {int(blank.idxmax()) + 2}")
    dup = frame["sector"][frame["sector"].duplicated()]
    if len(dup):
        raise BuildInputError(f"{path}: sector(s) {sorted(set(dup))} appear more than once")
    if "order" in frame.columns:
        frame = frame.sort_values("order", kind="stable")
    flags = {c: tuple(bool(x) for x in _as_bool(frame[c], path, c)) for c in ("goods", "agrifood", "margin")}
    labels = (
        frame["label"].fillna(frame["sector"]).str.strip() if "label" in frame.columns else frame["sector"].str.strip()
    )
    long = labels[labels.str.len() > MAX_LABEL]
    if len(long):
        raise BuildInputError(
            f"{path}: label(s) {long.tolist()} have more than {MAX_LABEL} characters (GEMPACK's limit)"
        )
    if labels.duplicated().any():
        raise BuildInputError(f"{path}: label(s) {sorted(set(labels[labels.duplicated()]))} appear more than once")
    if not any(flags["margin"]):
        raise BuildInputError(f"{path}: no sector has margin = True (international transport margins need one)")
    return SectorSet(
        tuple(frame["sector"].str.strip()),
        flags["goods"],
        flags["agrifood"],
        flags["margin"],
        tuple(frame["definition"].fillna("")),
        tuple(labels),
    )


def read_concordance(path: Path, sectors: SectorSet) -> pd.DataFrame:
    """Read a concordance (``code, sector, share, source``) and check it against ``sectors``.

    Raises
    ------
    BuildInputError
        On a missing file or column, an unknown sector, a negative share or shares of a code
        that do not sum to 1.
    """
    frame = read_csv_checked(path, ["code", "sector", "share", "source"], ["share"], dtype_str=["code", "sector"])
    frame["code"] = frame["code"].str.strip()
    unknown = sorted(set(frame["sector"]) - set(sectors.sectors))
    if unknown:
        raise BuildInputError(f"{path}: sector(s) {unknown} are not in {SECTOR_FILE.as_posix()}")
    if (frame["share"].isna() | (frame["share"] < 0)).any():
        row = int((frame["share"].isna() | (frame["share"] < 0)).idxmax())
        raise BuildInputError(f"{path}: column 'share' row {row + 2} must be a number >= 0")
    totals = frame.groupby("code")["share"].sum()
    bad = totals[(totals - 1.0).abs() > SHARE_TOL]
    if len(bad):
        raise BuildInputError(f"{path}: shares of code(s) {bad.index.tolist()} sum to {bad.round(6).tolist()}, not 1")
    return frame


def concordance_matrix(frame: pd.DataFrame, codes: list[str], sectors: SectorSet, name: str) -> np.ndarray:
    """Shares (source code × model sector) for ``codes`` in this order.

    Raises
    ------
    BuildInputError
        Naming the concordance and the codes of the source table it does not map.
    """
    missing = [c for c in codes if c not in set(frame["code"])]
    if missing:
        raise BuildInputError(f"{name}: code(s) {missing} of the source table have no row")
    row = {c: k for k, c in enumerate(codes)}
    col = {s: k for k, s in enumerate(sectors.sectors)}
    out = np.zeros((len(codes), len(sectors.sectors)))
    for r in frame.itertuples():
        if r.code in row:
            out[row[r.code], col[r.sector]] += r.share
    return out
