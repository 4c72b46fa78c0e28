"""The aggregation: which WIOD regions and industries form each model region and sector.

Read from two CSV files (``calibration/mappings/`` by default):

- ``sectors_wiod35.csv``: ``wiod_code, wiod_name, sector, goods, agrifood`` — one row per WIOD
  industry; ``goods``/``agrifood`` flag the model sector (merchandise; agriculture + food).
- ``regions_wiod41.csv``: ``wiod_region, region`` — one row per WIOD region.

Model sectors and regions appear in the order of their first row, unless the file has an
optional integer ``order`` column. Nothing in the build refers to region or sector names.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cge.build.sources import BuildInputError, read_csv_checked

log = logging.getLogger(__name__)

SECTOR_FILE = "sectors_wiod35.csv"
REGION_FILE = "regions_wiod41.csv"

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


@dataclass(frozen=True)
class Aggregation:
    """A mapping of WIOD regions/industries to model regions/sectors.

    Attributes
    ----------
    regions : tuple of str
        Model regions, in order.
    sectors : tuple of str
        Model sectors (commodities = activities), in order.
    region_of : dict
        WIOD region code → model region.
    sector_of : dict
        WIOD industry code → model sector.
    goods, agrifood : tuple of bool
        Per model sector: merchandise; agriculture + food.
    description : str
        One-line text for the SAM's ``aggregation`` attribute.
    parent_of : dict
        Sub-sector → the aggregate sector it was split from (:mod:`cge.build.split_spec`); empty
        for a plain WIOD aggregation, whose ``sector_of`` then names every sector.
    """

    regions: tuple[str, ...]
    sectors: tuple[str, ...]
    region_of: dict[str, str]
    sector_of: dict[str, str]
    goods: tuple[bool, ...]
    agrifood: tuple[bool, ...]
    description: str
    parent_of: dict[str, str] = field(default_factory=dict)

    def region_matrix(self, wiod_regions: list[str]) -> np.ndarray:
        """0/1 matrix (WIOD region × model region); raises if a WIOD region is unmapped."""
        return _matrix(wiod_regions, self.region_of, self.regions, "region", REGION_FILE)

    def sector_matrix(self, wiod_industries: list[str]) -> np.ndarray:
        """0/1 matrix (WIOD industry × model sector); raises if a WIOD industry is unmapped."""
        return _matrix(wiod_industries, self.sector_of, self.sectors, "industry", SECTOR_FILE)

    def members(self, region: str) -> list[str]:
        """WIOD region codes that form the model region ``region``."""
        return [w for w, r in self.region_of.items() if r == region]


def _matrix(codes: list[str], mapping: dict[str, str], labels: tuple[str, ...], what: str, file: str) -> np.ndarray:
    missing = [c for c in codes if c not in mapping]
    if missing:
        raise BuildInputError(f"{file}: WIOD {what}(s) {missing} have no row in the mapping")
    index = {label: k for k, label in enumerate(labels)}
    out = np.zeros((len(codes), len(labels)))
    for k, code in enumerate(codes):
        out[k, index[mapping[code]]] = 1.0
    return out


def _as_bool(series: pd.Series, path: Path, column: str) -> pd.Series:
    text = series.fillna("").astype(str).str.strip().str.lower()
    bad = ~text.isin(_TRUE | _FALSE)
    if bad.any():
        row = int(bad.idxmax())
        raise BuildInputError(f"{path}: column '{column}' row {row + 2} is not a boolean: {series.iloc[row]!r}")
    return text.isin(_TRUE)


def _ordered(frame: pd.DataFrame, label: str) -> list[str]:
    if "order" in frame.columns:
        first = frame.groupby(label, sort=False)["order"].min().sort_values(kind="stable")
        return [str(x) for x in first.index]
    return [str(x) for x in pd.unique(frame[label])]


def read_aggregation(mapping_dir: str | Path) -> Aggregation:
    """Read the sector and region mapping files from ``mapping_dir``.

    Raises
    ------
    BuildInputError
        If a file or column is missing, a code appears twice, a label is blank, or a model
        sector's ``goods``/``agrifood`` flags differ between its rows.
    """
    mapping_dir = Path(mapping_dir)
    spath, rpath = mapping_dir / SECTOR_FILE, mapping_dir / REGION_FILE
    sec = read_csv_checked(
        spath,
        ["wiod_code", "sector", "goods", "agrifood"],
        dtype_str=["wiod_code", "sector", "goods", "agrifood"],
    )
    reg = read_csv_checked(rpath, ["wiod_region", "region"], dtype_str=["wiod_region", "region"])
    for frame, path, code, label in (
        (sec, spath, "wiod_code", "sector"),
        (reg, rpath, "wiod_region", "region"),
    ):
        for col in (code, label):
            blank = frame[col].isna() | (frame[col].astype(str).str.strip() == "")
            if blank.any():
                raise BuildInputError(f"{path}: column '{col}' is blank in row {int(blank.idxmax()) + 2}")
        dup = frame[code][frame[code].duplicated()]
        if len(dup):
            raise BuildInputError(f"{path}: {code} {sorted(set(dup))} appear more than once")
    sec["goods"] = _as_bool(sec["goods"], spath, "goods")
    sec["agrifood"] = _as_bool(sec["agrifood"], spath, "agrifood")
    sectors = _ordered(sec, "sector")
    flags = sec.groupby("sector")[["goods", "agrifood"]].nunique()
    inconsistent = flags.index[(flags > 1).any(axis=1)].tolist()
    if inconsistent:
        raise BuildInputError(f"{spath}: sector(s) {inconsistent} have rows with different goods/agrifood flags")
    first = sec.groupby("sector")[["goods", "agrifood"]].first()
    regions = _ordered(reg, "region")
    description = (
        f"WIOD 2013 release, 41 regions x 35 industries aggregated to {len(regions)} regions "
        f"({', '.join(regions)}) x {len(sectors)} sectors ({', '.join(sectors)}) by "
        f"{SECTOR_FILE} and {REGION_FILE}; factors labour, capital"
    )
    return Aggregation(
        regions=tuple(regions),
        sectors=tuple(sectors),
        region_of=dict(zip(reg["wiod_region"], reg["region"])),
        sector_of=dict(zip(sec["wiod_code"], sec["sector"])),
        goods=tuple(bool(first.loc[s, "goods"]) for s in sectors),
        agrifood=tuple(bool(first.loc[s, "agrifood"]) for s in sectors),
        description=description,
    )
