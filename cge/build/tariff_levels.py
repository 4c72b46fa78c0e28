"""Tariff levels that reproduce the customs duties each importer collected.

The baseline applied rates (``calibration/tariffs/baseline_applied.csv``) are a 2005 WITS
pattern rescaled to simple-average MFN rates, plus the special duties of 2024. Collected duties
are lower than such rates imply: trade concentrates in low-tariff lines, and preferences (FTAs
concluded after 2005), duty drawback, processing-trade and de minimis exemptions and product
exclusions all reduce what is paid. A SAM's tariff revenue should be what was collected, so the
build scales all rates of an importer with a ``tariff_level`` figure by one factor

    k[r] = collected duties[r] / Σ_{i,s} t[i,s,r] · fob[i,s,r]

where ``fob`` are the importer's 2024 imports in the updated SAM. The update depends on the rates
(they are constraints of the cross-entropy step), so the build iterates: update, compute ``k``,
scale, update again, until every ``k`` is within ``tol`` of 1 (two or three rounds). A figure is
either a value (US$ million) or a share of the importer's goods imports (a collected-duty rate,
used for China with the 2021 ratio). Relative rates within an importer (sectors, partners,
special duties) are kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
import xarray as xr

from cge.dims import COMMODITY, EXPORTER, IMPORTER

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TariffLevel:
    """Customs duties collected by an importer: a value [US$ million] or a share of its goods
    imports (fob, fraction); exactly one is given."""

    importer: str
    value: float | None
    source: str
    share: float | None = None

    def __post_init__(self):
        if (self.value is None) == (self.share is None):
            raise ValueError(f"tariff level of {self.importer}: give exactly one of value or share")

    def target(self, sam: xr.Dataset) -> float:
        """Collected duties [US$ million] (a share times the SAM's goods imports of the importer)."""
        if self.value is not None:
            return float(self.value)
        fob = (sam["vxmd"] + sam["xtax"]).where(sam["goods"], 0.0)
        return float(cast(float, self.share)) * float(fob.sel({IMPORTER: self.importer}).sum())


def implied_revenue(sam: xr.Dataset, rate: np.ndarray) -> pd.Series:
    """Σ rate × fob imports by importer [US$ million]; ``rate`` shaped (commodity, exporter, importer)."""
    fob = (sam["vxmd"] + sam["xtax"]).transpose(COMMODITY, EXPORTER, IMPORTER).values
    return pd.Series((rate * fob).sum(axis=(0, 1)), index=[str(r) for r in sam[IMPORTER].values])


def level_factors(sam: xr.Dataset, rate: np.ndarray, levels) -> dict[str, float]:
    """Factor per importer with a level: collected duties over the revenue the rates imply."""
    revenue = implied_revenue(sam, rate)
    factors = {}
    for level in levels:
        if level.importer not in revenue.index:
            log.warning("tariff level for %s ignored: not a region of the SAM", level.importer)
            continue
        if revenue[level.importer] <= 0:
            log.warning("tariff level for %s ignored: its rates imply no revenue", level.importer)
            continue
        factors[level.importer] = level.target(sam) / revenue[level.importer]
    return factors


def scale_rates(rate: np.ndarray, factors: dict[str, float], importers: list[str]) -> np.ndarray:
    """``rate`` with the importer slices multiplied by their factors."""
    out = rate.copy()
    for importer, k in factors.items():
        out[:, :, importers.index(importer)] *= k
    return out


def revenue_table(sam: xr.Dataset, levels, factors: dict[str, float], pattern_rate: np.ndarray) -> pd.DataFrame:
    """For the README: per importer, revenue at the table's rates, collected duties, SAM revenue."""
    from cge.sam import tariff_revenue

    pattern = implied_revenue(sam, pattern_rate)
    got = tariff_revenue(sam).sum((COMMODITY, EXPORTER)).to_pandas()
    rows = []
    by_importer = {level.importer: level for level in levels}
    for r in pattern.index:
        level = by_importer.get(r)
        rows.append(
            {
                "importer": r,
                "at table rates (US$ bn)": pattern[r] / 1000.0,
                "collected (US$ bn)": level.target(sam) / 1000.0 if level else np.nan,
                "SAM (US$ bn)": float(got[r]) / 1000.0,
                "level factor": factors.get(r, 1.0),
                "source": level.source if level else "no figure: rates of the table kept",
            }
        )
    return pd.DataFrame(rows)
