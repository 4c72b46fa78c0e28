"""Baseline applied tariffs by commodity, exporter and importer, read for the SAM build.

The tariff table (``calibration/tariffs/baseline_applied.csv``: ``importer, exporter, sector,
tariff_pct[, method]``) is made by ``cge.build.tariffs`` in the model's regions and sectors.
WIOD flows are at basic prices without import duties; the build adds these rates on top so
that ``vims = vxmd * (1 + t)`` and the revenue accrues to the importer's regional household.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cge.build.mapping import Aggregation
from cge.build.sources import BuildInputError, read_csv_checked

log = logging.getLogger(__name__)

TARIFF_FILE = Path("tariffs") / "baseline_applied.csv"
"""Baseline applied tariffs, relative to the calibration directory."""


@dataclass(frozen=True)
class TariffRates:
    """Ad-valorem tariff rates.

    Attributes
    ----------
    rate : ndarray, shape (sector, exporter, importer)
        Rate as a fraction of the fob value (0.05 = 5 %); the diagonal is 0.
    source : str
        File read, or a note that no file was found.
    ignored_rows : int
        Rows whose importer, exporter or sector is not in the aggregation.
    """

    rate: np.ndarray
    source: str
    ignored_rows: int = 0


def zero_tariffs(agg: Aggregation, why: str) -> TariffRates:
    """All-zero tariffs with ``why`` as the source note."""
    n, s = len(agg.regions), len(agg.sectors)
    return TariffRates(np.zeros((s, n, n)), why)


def read_tariff_rates(path: Path | None, agg: Aggregation, label: str | None = None) -> TariffRates:
    """Read bilateral applied tariffs in percent for the aggregation's regions and sectors.

    ``label`` names the file in the result's ``source`` (default: the path).

    A missing file gives zero tariffs with a warning. Rows naming regions or sectors outside the
    aggregation are ignored with a warning; pairs without a row have a zero rate.

    Raises
    ------
    BuildInputError
        On missing columns, non-numeric or negative rates, or duplicate rows.
    """
    if path is None or not Path(path).is_file():
        log.warning("no tariff table at %s: the SAM is built with zero tariffs", path)
        return zero_tariffs(agg, f"zero tariffs (no file at {path})")
    frame = read_csv_checked(
        Path(path),
        ["importer", "exporter", "sector", "tariff_pct"],
        ["tariff_pct"],
        dtype_str=["importer", "exporter", "sector"],
    )
    if frame["tariff_pct"].isna().any():
        row = int(frame["tariff_pct"].isna().idxmax())
        raise BuildInputError(f"{path}: column 'tariff_pct' is blank in row {row + 2}")
    if (frame["tariff_pct"] < 0).any():
        row = int((frame["tariff_pct"] < 0).idxmax())
        raise BuildInputError(f"{path}: negative tariff_pct in row {row + 2}: {frame.iloc[row].to_dict()}")
    dup = frame.duplicated(["importer", "exporter", "sector"])
    if dup.any():
        sample = frame.loc[dup, ["importer", "exporter", "sector"]].head(5).to_dict("records")
        raise BuildInputError(f"{path}: duplicate rows for {sample}")
    reg = {r: k for k, r in enumerate(agg.regions)}
    sec = {s: k for k, s in enumerate(agg.sectors)}
    known = frame["importer"].isin(reg) & frame["exporter"].isin(reg) & frame["sector"].isin(sec)
    ignored = int((~known).sum())
    if ignored:
        sample = frame.loc[~known, ["importer", "exporter", "sector"]].head(3).to_dict("records")
        log.warning(
            "%s: %d rows name regions/sectors outside the aggregation and are ignored, e.g. %s",
            path,
            ignored,
            sample,
        )
    frame = frame[known]
    rate = np.zeros((len(agg.sectors), len(agg.regions), len(agg.regions)))
    rate[
        frame["sector"].map(sec).to_numpy(dtype=int),
        frame["exporter"].map(reg).to_numpy(dtype=int),
        frame["importer"].map(reg).to_numpy(dtype=int),
    ] = frame["tariff_pct"].to_numpy() / 100.0
    own = np.arange(len(agg.regions))
    if rate[:, own, own].any():
        log.warning("%s: own-region tariff rows are ignored (domestic sales bear no tariff)", path)
        rate[:, own, own] = 0.0
    log.info("tariffs from %s: %d rows used; max rate %.1f %%", path, len(frame), 100 * rate.max(initial=0.0))
    return TariffRates(rate, label or str(path), ignored)
