"""Import tariffs of 2024 as collected, the USMCA claim shares, and Canada's 2024 surtaxes on China.

Rates are fractions of the f.o.b. (customs) value, by (commodity, exporter, importer):

- **US imports from Canada, Mexico and China**: duties collected over customs value by sector,
  2024 (Census calculated duties by HS6, :func:`cge.build.database.trade.us_imports_2024`).
  Duties on USMCA partners are paid only on trade that did not claim the preference, so the
  rate is the average over all trade; the claim shares and the rate paid on non-claimed trade
  are satellites of the database (:func:`claim_satellites`).
- **Every other pair**: the pattern of ``calibration/tariffs/baseline_applied.csv`` (WITS AHS
  2005 rescaled to MFN averages, plus Section 301 and China's retaliation), with each importer
  that has a customs-duty figure (``tariff_level`` rows of the sector controls) scaled by one
  factor so that its revenue equals the duties collected (:func:`level_factors`; the US factor
  scales only its imports from the other regions). Pairs without a row in the table stop the
  build (a region the table does not know would otherwise get zero tariffs).
- **Special duties** (``calibration/database/special_duties_2024.csv``): Canada's surtaxes on
  Chinese electric vehicles (100 %) and steel and aluminium (25 %), in force from October 2024,
  as the rate times the share of the sector's trade they cover; added after the level scaling.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from cge.build.sources import BuildInputError, read_csv_checked
from cge.build.tariff_levels import TariffLevel

log = logging.getLogger(__name__)

TABLE_FILE = Path("tariffs") / "baseline_applied.csv"
SPECIAL_FILE = Path("database") / "special_duties_2024.csv"
US = "USA"
USMCA_PARTNERS = ("CAN", "MEX")


@dataclass(frozen=True)
class Tariffs:
    """Tariff rates of the database and how each was set.

    Attributes
    ----------
    base : ndarray (commodity, exporter, importer)
        Rates before the level factors [fraction of f.o.b.].
    scalable : ndarray of bool (commodity, exporter, importer)
        Cells a level factor scales (table rates; not the HS6-based US rates).
    special : ndarray (commodity, exporter, importer)
        Special duties added after scaling [fraction of f.o.b.].
    factors : dict
        Importer → level factor (1 where no customs-duty figure).
    source : dict
        (importer, exporter) → text.
    special_rows : pandas.DataFrame
        The special duties with their coverage and sources.
    """

    base: np.ndarray
    scalable: np.ndarray
    special: np.ndarray
    factors: dict[str, float]
    source: dict[tuple[str, str], str]
    special_rows: pd.DataFrame

    def rates(self, regions: list[str]) -> np.ndarray:
        """Rates with the level factors and special duties [fraction of f.o.b.]."""
        k = np.array([self.factors.get(r, 1.0) for r in regions])
        return np.where(self.scalable, self.base * k[None, None, :], self.base) + self.special


def read_table(path: Path, regions: list[str], sectors: list[str], goods: list[str]) -> np.ndarray:
    """The baseline applied table as rates (commodity, exporter, importer); every ordered pair of
    regions must have rows for the goods sectors.

    Raises
    ------
    BuildInputError
        Naming the file and the pairs of regions it lacks.
    """
    frame = read_csv_checked(
        path,
        ["importer", "exporter", "sector", "tariff_pct"],
        ["tariff_pct"],
        dtype_str=["importer", "exporter", "sector"],
    )
    if (frame["tariff_pct"].isna() | (frame["tariff_pct"] < 0)).any():
        row = int((frame["tariff_pct"].isna() | (frame["tariff_pct"] < 0)).idxmax())
        raise BuildInputError(f"{path}: column 'tariff_pct' row {row + 2} must be a number >= 0")
    have = set(zip(frame["importer"], frame["exporter"], frame["sector"]))
    missing = sorted({(i, e) for i in regions for e in regions if i != e for s in goods if (i, e, s) not in have})
    if missing:
        raise BuildInputError(
            f"{path}: no tariff rows for {len(missing)} importer-exporter pair(s) of the aggregation, e.g. "
            f"{[f'{i}<-{e}' for i, e in missing[:6]]}; add rows (tariff_pct, source) for them"
        )
    rate = np.zeros((len(sectors), len(regions), len(regions)))
    rows = frame[frame["importer"].isin(regions) & frame["exporter"].isin(regions) & frame["sector"].isin(sectors)]
    rate[
        rows["sector"].map(sectors.index).to_numpy(int),
        rows["exporter"].map(regions.index).to_numpy(int),
        rows["importer"].map(regions.index).to_numpy(int),
    ] = rows["tariff_pct"].to_numpy() / 100.0
    for r in range(len(regions)):
        rate[:, r, r] = 0.0
    return rate


def us_rates(us_imports: pd.DataFrame, regions: list[str], sectors: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Duties over customs value of US imports by sector from the HS6 partners, and the mask of
    the cells they set (commodity, exporter, importer)."""
    rate = np.zeros((len(sectors), len(regions), len(regions)))
    mask = np.zeros(rate.shape, dtype=bool)
    if US not in regions:
        return rate, mask
    d = regions.index(US)
    for partner in us_imports.index.get_level_values(0).unique():
        if partner not in regions:
            continue
        part = us_imports.loc[partner].reindex(sectors).fillna(0.0)
        s = regions.index(partner)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate[:, s, d] = np.where(part["value"] > 0, part["duties"] / part["value"], 0.0)
        mask[:, s, d] = part["value"].to_numpy() > 0
    return rate, mask


def read_special(path: Path, regions: list[str], sectors: list[str]) -> pd.DataFrame:
    """Special duties (``importer, exporter, sector, additional_pct, coverage_usd_bn | coverage_share, ...``)."""
    if not path.is_file():
        return pd.DataFrame(
            columns=["importer", "exporter", "sector", "additional_pct", "coverage_share", "coverage_usd_bn"]
        )
    frame = read_csv_checked(
        path,
        ["measure", "importer", "exporter", "sector", "additional_pct", "coverage_share", "coverage_usd_bn", "source"],
        ["additional_pct", "coverage_share", "coverage_usd_bn"],
        dtype_str=["measure", "importer", "exporter", "sector"],
    )
    unknown = frame[~frame["sector"].isin(sectors)]
    if len(unknown):
        raise BuildInputError(f"{path}: sector(s) {sorted(set(unknown['sector']))} are not model sectors")
    both = frame["coverage_share"].notna() == frame["coverage_usd_bn"].notna()
    if both.any():
        raise BuildInputError(
            f"{path}: row {int(both.idxmax()) + 2}: give exactly one of coverage_share, coverage_usd_bn"
        )
    skipped = frame[~(frame["importer"].isin(regions) & frame["exporter"].isin(regions))]
    if len(skipped):
        log.warning("%s: %d special-duty rows name regions outside the aggregation (skipped)", path, len(skipped))
    return frame.drop(skipped.index)


def special_rates(rows: pd.DataFrame, fob: np.ndarray, regions: list[str], sectors: list[str]) -> np.ndarray:
    """Special duties as rates on the whole flow: additional rate × covered share (a covered value
    is divided by the flow, at most 1)."""
    out = np.zeros(fob.shape)
    for r in rows.itertuples():
        c, s, d = sectors.index(r.sector), regions.index(r.exporter), regions.index(r.importer)
        share = (
            r.coverage_share
            if pd.notna(r.coverage_share)
            else min(1.0, r.coverage_usd_bn * 1000.0 / max(fob[c, s, d], 1e-9))
        )
        out[c, s, d] += r.additional_pct / 100.0 * share
    return out


def level_factors(
    fob: np.ndarray,
    base: np.ndarray,
    scalable: np.ndarray,
    special: np.ndarray,
    levels: list[TariffLevel],
    regions: list[str],
    goods: np.ndarray,
) -> dict[str, float]:
    """Factor per importer so that fixed + factor × scalable revenue + special = collected duties.

    Parameters
    ----------
    fob : ndarray (commodity, exporter, importer)
        Imports at f.o.b. [US$ million].
    goods : ndarray of bool (commodity,)
        Merchandise commodities (a collected-duty share applies to goods imports).

    Raises
    ------
    BuildInputError
        If an importer's fixed and special duties alone exceed its collected duties.
    """
    out = {}
    for level in levels:
        if level.importer not in regions:
            continue
        d = regions.index(level.importer)
        # exactly one of value and share (TariffLevel.__post_init__)
        target = level.value if level.value is not None else cast(float, level.share) * float(fob[goods, :, d].sum())
        fixed = float((np.where(scalable, 0.0, base) + special)[:, :, d].__mul__(fob[:, :, d]).sum())
        variable = float((np.where(scalable, base, 0.0) * fob)[:, :, d].sum())
        if variable <= 0 or target < fixed:
            raise BuildInputError(
                f"customs duties of {level.importer} ({target:.0f} US$ m, {level.source[:80]}) cannot be met: "
                f"duties fixed by data {fixed:.0f}, scalable base {variable:.0f}"
            )
        out[level.importer] = (target - fixed) / variable
    return out


def claim_satellites(us_imports: pd.DataFrame, regions: list[str], sectors: list[str]) -> dict[str, np.ndarray]:
    """USMCA claim shares and the duty rate on non-claimed trade, (commodity, exporter, importer).

    ``usmca_claim_share``: value entered under USMCA over customs value (US imports from Canada
    and Mexico, 2024); ``usmca_nonclaimed_rate``: duties over the value that did not claim."""
    share = np.zeros((len(sectors), len(regions), len(regions)))
    rate = np.zeros_like(share)
    if US not in regions:
        return {"usmca_claim_share": share, "usmca_nonclaimed_rate": rate}
    d = regions.index(US)
    for partner in USMCA_PARTNERS:
        if partner not in regions or partner not in us_imports.index.get_level_values(0):
            continue
        part = us_imports.loc[partner].reindex(sectors).fillna(0.0)
        s = regions.index(partner)
        value, claimed, duties = part["value"].to_numpy(), part["claimed"].to_numpy(), part["duties"].to_numpy()
        share[:, s, d] = np.divide(claimed, value, out=np.zeros(len(sectors)), where=value > 0)
        rest = value - claimed
        rate[:, s, d] = np.divide(duties, rest, out=np.zeros(len(sectors)), where=rest > 0)
    return {"usmca_claim_share": share, "usmca_nonclaimed_rate": rate}
