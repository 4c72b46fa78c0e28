"""Bilateral special duties in force in 2024 (Section 301 on China, China's retaliation) by model sector.

Each input table (``calibration/tariffs/inputs/``) lists product groups with the model sector(s)
they belong to, their 2024 trade value and the additional duty on them:

- ``us_section301_2024.csv``: the share of the group's trade at 25 % (Section 301 Lists 1-3) and
  at 7.5 % (List 4A); the group's additional rate is ``25 share_25pct + 7.5 share_7_5pct``;
- ``china_retaliation_2024.csv``: the group's additional rate ``additional_pct`` directly.

A sector's additional rate is the trade-weighted mean over its groups (a group naming several
sectors, ``a;b``, counts in each with its full value); a sector without any group takes the
group with a blank sector (all other goods). The rates are added, in percentage points, to the
baseline applied rates of the importer on the exporter (:func:`add_special_duties`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cge.build.sources import BuildInputError

log = logging.getLogger(__name__)

SECTION301_FILE = "us_section301_2024.csv"
RETALIATION_FILE = "china_retaliation_2024.csv"


@dataclass(frozen=True)
class SpecialDuty:
    """One bilateral measure: the table of its groups and who imposes it on whom."""

    name: str
    importer: str
    exporter: str
    file: str


SPECIAL_DUTIES = (
    SpecialDuty("Section 301 (US on China, Lists 1-4A as in force in 2024)", "USA", "CHN", SECTION301_FILE),
    SpecialDuty("China's retaliation on US goods (2018-19 lists, after exclusions)", "CHN", "USA", RETALIATION_FILE),
)
"""The measures of the 2024 baseline; the build skips a measure whose file is absent."""


def group_rates(table: pd.DataFrame, name: str) -> pd.Series:
    """Additional rate of each group [percentage points]."""
    if "additional_pct" in table.columns:
        rate = pd.to_numeric(table["additional_pct"], errors="coerce")
    elif {"share_25pct", "share_7_5pct"} <= set(table.columns):
        s25 = pd.to_numeric(table["share_25pct"], errors="coerce")
        s75 = pd.to_numeric(table["share_7_5pct"], errors="coerce")
        if ((s25 < 0) | (s75 < 0) | (s25 + s75 > 1 + 1e-12)).any():
            raise BuildInputError(f"{name}: shares must be in [0, 1] and sum to at most 1")
        rate = 25.0 * s25 + 7.5 * s75
    else:
        raise BuildInputError(f"{name}: needs column additional_pct or share_25pct and share_7_5pct")
    if rate.isna().any() or (rate < 0).any():
        raise BuildInputError(f"{name}: rate missing or negative in rows {(np.flatnonzero(rate.isna()) + 2).tolist()}")
    return rate


def sector_rates(table: pd.DataFrame, goods: list[str], name: str) -> pd.DataFrame:
    """Trade-weighted additional rate by goods sector.

    Parameters
    ----------
    table : DataFrame
        ``group, sector, trade_2024_usd_bn`` and the rate columns (see the module docstring).
    goods : list of str
        Goods sectors of the aggregation.
    name : str
        File name for messages.

    Returns
    -------
    DataFrame
        ``sector, additional_pct, basis`` for every goods sector.

    Raises
    ------
    BuildInputError
        On a sector not in ``goods``, a group without trade value in a sector with several groups,
        or no default group when a goods sector has no group.
    """
    table = table.assign(rate=group_rates(table, name))
    default = table[table["sector"].fillna("").str.strip() == ""]
    named = table.drop(default.index)
    rows = []
    for r in named.itertuples(index=False):
        for sector in str(r.sector).split(";"):
            sector = sector.strip()
            if sector not in goods:
                raise BuildInputError(f"{name}: group {r.group!r} names sector {sector!r}, not a goods sector {goods}")
            value = pd.to_numeric(r.trade_2024_usd_bn, errors="coerce")
            rows.append((sector, float(value) if value > 0 else np.nan, float(r.rate), str(r.group)))
    frame = pd.DataFrame(rows, columns=["sector", "value", "rate", "group"])
    out = []
    for sector in goods:
        part = frame[frame["sector"] == sector]
        if len(part) == 1 and part["value"].isna().all():
            rate, basis = float(part["rate"].iloc[0]), f"{part['group'].iloc[0]} ({part['rate'].iloc[0]:.2f})"
        elif len(part):
            if part["value"].isna().any():
                raise BuildInputError(f"{name}: groups of sector {sector!r} need positive trade_2024_usd_bn values")
            rate = float(np.average(part["rate"], weights=part["value"]))
            basis = "trade-weighted over " + "; ".join(
                f"{g} ({v:g} US$ bn at {x:.2f})" for g, v, x in zip(part["group"], part["value"], part["rate"])
            )
        elif len(default) == 1:
            rate = float(default["rate"].iloc[0])
            basis = f"{default['group'].iloc[0]} ({rate:.2f})"
        else:
            raise BuildInputError(f"{name}: no group for sector {sector!r} and no single default group (blank sector)")
        out.append((sector, rate, basis))
    return pd.DataFrame(out, columns=["sector", "additional_pct", "basis"])


def add_special_duties(applied: pd.DataFrame, inputs: Path, goods: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add the special duties of :data:`SPECIAL_DUTIES` to the baseline applied rates.

    Parameters
    ----------
    applied : DataFrame
        ``importer, exporter, sector, tariff_pct, method`` (see :func:`cge.build.mfn_schedules.baseline_applied`).
    inputs : pathlib.Path
        Directory of the group tables.
    goods : list of str
        Goods sectors.

    Returns
    -------
    (applied, table)
        The rates with the additional points added (and named in ``method``), and the table of
        additional rates ``measure, importer, exporter, sector, additional_pct, basis``.
    """
    applied = applied.copy()
    tables = []
    for duty in SPECIAL_DUTIES:
        path = inputs / duty.file
        if not path.is_file():
            log.warning("no %s: %s not in the baseline", path, duty.name)
            continue
        rates = sector_rates(pd.read_csv(path), goods, str(path))
        rates = rates.assign(measure=duty.name, importer=duty.importer, exporter=duty.exporter)
        tables.append(rates)
        for r in rates.itertuples(index=False):
            hit = (applied["importer"] == duty.importer) & (applied["exporter"] == duty.exporter)
            hit &= applied["sector"] == r.sector
            if not hit.any():
                raise BuildInputError(f"{path}: no baseline row {duty.importer}<-{duty.exporter} {r.sector}")
            applied.loc[hit, "tariff_pct"] += r.additional_pct
            applied.loc[hit, "method"] += f"; + {r.additional_pct:.2f} points {duty.name} ({duty.file})"
        log.info(
            "%s: simple mean %.2f points over %d goods sectors", duty.name, rates["additional_pct"].mean(), len(rates)
        )
    cols = ["measure", "importer", "exporter", "sector", "additional_pct", "basis"]
    table = pd.concat(tables, ignore_index=True)[cols] if tables else pd.DataFrame(columns=cols)
    return applied, table
