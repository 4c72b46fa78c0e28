"""Control totals for the 2024 update, read from ``macro/controls.csv``.

Each row of ``controls.csv`` is one published figure (US$ bn, million persons, ...). The build
turns the rows that name regions of the aggregation into linear functions of SAM cells
(:class:`Measure`), used either as **controls** (targets of the cross-entropy update) or as
**checks** (reported next to the SAM's value, not imposed):

- ``gdp_nominal`` (``year`` = target year): GDP at market prices = factor income + ``ptax``
  + tariff revenue + export taxes of the region [control]. Regions without a GDP row share one
  derived control: world GDP of the latest year before the target year, grown to the target
  year at the average annual growth of world GDP between the base and that year (both in
  ``controls.csv``), minus the controlled regions' GDP.
- ``goods_exports``/``goods_imports`` (target year, partner a region, ``WLD`` = all others):
  fob value (``vxmd + xtax``) of the ``goods`` commodities [control]. ``A+B`` partner rows are
  sums of other rows [check].
- ``agrifood_exports`` (target year): fob value of the ``agrifood`` commodities [control].
- ``ag_exports`` (fiscal years, other years) [check]; ``gdp_nominal`` of the base year [check
  on the base-year SAM].
- ``employment`` rows are read by :mod:`cge.build.employment`.

Only the regions that exist in the aggregation are read; nothing else depends on names.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from cge.balance import Side, Term
from cge.build.mapping import Aggregation
from cge.build.sources import BuildInputError, read_csv_checked
from cge.dims import COMMODITY, EXPORTER, IMPORTER, REGION
from cge.sam import tariff_revenue

log = logging.getLogger(__name__)

WORLD = "WLD"
BN = 1000.0
"""US$ million per US$ billion."""


@dataclass(frozen=True)
class Measure:
    """A published figure as a linear function of SAM cells (terms of :class:`cge.balance.Term`).

    Attributes
    ----------
    name : str
        Unique label, e.g. ``gdp[USA]`` or ``goods_exports[USA->CAN]``.
    terms : tuple of Term
        The SAM expression [US$ million].
    target : float
        Published value [US$ million].
    role : str
        ``"control"`` (imposed exactly in the update), ``"target"`` (a soft target of the
        update, see ``sd`` and ``side``) or ``"check"`` (reported only).
    source : str
        Source, year and quality of the row(s) in ``controls.csv``, or the derivation.
    year : str
        Year of the figure as written in ``controls.csv`` (e.g. ``2024``, ``FY2024``).
    figure : str
        The ``figure`` column of ``controls.csv`` (``derived`` for derived measures).
    region : str
        The reporting region (``region`` column), or the regions joined by ``+``.
    world : bool
        The partner is every other region (``WLD`` rows).
    sd : float or None
        Relative standard error of a soft target (None for controls and checks).
    side : Side
        Which deviations of a soft target are penalised (see :class:`cge.balance.Side`).
    """

    name: str
    terms: tuple[Term, ...]
    target: float
    role: str
    source: str
    year: str
    figure: str = ""
    region: str = ""
    world: bool = False
    sd: float | None = None
    side: Side = Side.EQUAL

    def value(self, sam: xr.Dataset) -> float:
        """The SAM's value of the measure [US$ million]."""
        return evaluate(sam, self.terms)


def evaluate(sam: xr.Dataset, terms: tuple[Term, ...]) -> float:
    """Σ over terms of ``coef × sum of the selected cells`` [US$ million]."""
    total = 0.0
    for term in terms:
        da = tariff_revenue(sam) if term.variable == "tariff" else sam[term.variable]
        total += term.coef * float(da.sel(dict(term.sel)).sum())
    return total


def gdp_terms(regions: list[str]) -> tuple[Term, ...]:
    """GDP at market prices of ``regions`` from the income side [US$ million]."""
    return (
        Term("vfm", {REGION: regions}),
        Term("ptax", {REGION: regions}),
        Term("tariff", {IMPORTER: regions}),
        Term("xtax", {EXPORTER: regions}),
    )


def fob_terms(commodities: list[str], exporters: list[str], importers: list[str]) -> tuple[Term, ...]:
    """Fob value ``vxmd + xtax`` of ``commodities`` from ``exporters`` to ``importers``."""
    sel = {COMMODITY: commodities, EXPORTER: exporters, IMPORTER: importers}
    return (Term("vxmd", sel), Term("xtax", sel))


@dataclass(frozen=True)
class ControlSet:
    """Measures for an aggregation, plus the rows of ``controls.csv`` not used by the SAM."""

    measures: tuple[Measure, ...]
    unused: tuple[str, ...] = field(default_factory=tuple)
    world_growth: float = float("nan")

    def world_trade_regions(self) -> set[str]:
        """Regions whose goods exports to and imports from all other regions are both controls."""
        world = [m for m in self.controls() if m.world]
        exp = {m.region for m in world if m.figure == "goods_exports"}
        imp = {m.region for m in world if m.figure == "goods_imports"}
        return exp & imp

    def controls(self) -> list[Measure]:
        """Measures imposed in the update."""
        return [m for m in self.measures if m.role == "control"]


def read_controls(path: Path) -> pd.DataFrame:
    """Read ``controls.csv`` (figure, region, partner, value, unit, year, source, quality)."""
    frame = read_csv_checked(
        path,
        ["figure", "region", "partner", "value", "unit", "year", "source", "quality"],
        ["value"],
        dtype_str=["figure", "region", "partner", "unit", "year", "source", "quality"],
    )
    frame["partner"] = frame["partner"].fillna("")
    if frame["value"].isna().any():
        row = int(frame["value"].isna().idxmax())
        raise BuildInputError(f"{path}: column 'value' is blank in row {row + 2}")
    return frame


def _musd(row: pd.Series, path: Path) -> float:
    if row["unit"] != "USD bn":
        raise BuildInputError(
            f"{path}: row {row['figure']} {row['region']} has unit {row['unit']!r}, expected 'USD bn'"
        )
    return float(row["value"]) * BN


def _describe(row: pd.Series) -> str:
    return (
        f"controls.csv {row['figure']} {row['region']}{'->' + row['partner'] if row['partner'] else ''} "
        f"{row['year']}: {row['source']} [{row['quality']}]"
    )


def build_measures(frame: pd.DataFrame, agg: Aggregation, base_year: int, target_year: int, path: Path) -> ControlSet:
    """Turn the rows of ``controls.csv`` into measures for the aggregation.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``controls.csv`` as read by :func:`read_controls`.
    agg : Aggregation
        Regions and the goods/agrifood flags.
    base_year, target_year : int
        2011 and 2024 for the shipped SAM.
    path : pathlib.Path
        The file, for messages.
    """
    regions = list(agg.regions)
    goods = [s for s, g in zip(agg.sectors, agg.goods) if g]
    agrifood = [s for s, a in zip(agg.sectors, agg.agrifood) if a]
    ty, by = str(target_year), str(base_year)
    measures: list[Measure] = []
    used: set[int] = set()

    # GDP
    gdp = frame[frame["figure"] == "gdp_nominal"]
    controlled = []
    for idx, row in gdp.iterrows():
        if row["region"] in regions and row["year"] in (ty, by):
            role = "control" if row["year"] == ty else "check"
            name = f"gdp[{row['region']}]" + ("" if role == "control" else f"@{by}")
            measures.append(
                Measure(
                    name,
                    gdp_terms([row["region"]]),
                    _musd(row, path),
                    role,
                    _describe(row),
                    row["year"],
                    "gdp_nominal",
                    row["region"],
                )
            )
            used.add(idx)
            if role == "control":
                controlled.append(row["region"])
    rest = [r for r in regions if r not in controlled]
    world = gdp[gdp["region"] == WORLD].copy()
    world["y"] = pd.to_numeric(world["year"], errors="coerce")
    growth = float("nan")
    if rest and controlled:
        before = world[world["y"] < target_year].sort_values("y")
        base = world[world["y"] == base_year]
        if before.empty or base.empty:
            log.warning(
                "%s: no world GDP rows for %s and a year before %s: regions %s have no GDP control",
                path,
                base_year,
                target_year,
                rest,
            )
        else:
            last = before.iloc[-1]
            years = float(last["y"]) - base_year
            growth = (float(last["value"]) / float(base.iloc[0]["value"])) ** (1.0 / years) - 1.0
            world_target = _musd(last, path) * (1.0 + growth) ** (target_year - float(last["y"]))
            own = sum(m.target for m in measures if m.role == "control" and m.name.startswith("gdp["))
            name = f"gdp[{'+'.join(rest)}]"
            source = (
                f"derived: world GDP {int(last['y'])} ({last['source']}) x (1 + {100 * growth:.2f} %)^"
                f"{target_year - int(last['y'])} (average annual growth of world GDP {base_year}-"
                f"{int(last['y'])} in controls.csv) minus the GDP controls of {', '.join(controlled)}"
            )
            measures.append(
                Measure(
                    name,
                    gdp_terms(rest),
                    world_target - own,
                    "control",
                    source,
                    ty,
                    "gdp_nominal",
                    "+".join(rest),
                )
            )
            used.update(before.index[-1:].tolist() + base.index.tolist())

    # goods trade, agri-food exports
    for idx, row in frame.iterrows():
        fig, reg, partner = row["figure"], row["region"], row["partner"]
        if fig not in ("goods_exports", "goods_imports", "agrifood_exports", "ag_exports"):
            continue
        if reg not in regions:
            continue
        partners = [p for p in regions if p != reg] if partner == WORLD else partner.split("+")
        if not partners or any(p not in regions or p == reg for p in partners):
            continue
        commodities = agrifood if fig in ("agrifood_exports", "ag_exports") else goods
        if not commodities:
            continue
        exporters, importers = ([reg], partners) if fig != "goods_imports" else (partners, [reg])
        other = WORLD if partner == WORLD else partner
        arrow = f"{reg}->{other}" if fig != "goods_imports" else f"{other}->{reg}"
        role = "control" if (row["year"] == ty and "+" not in partner and fig != "ag_exports") else "check"
        label = "goods" if fig.startswith("goods") else fig.replace("_exports", "")
        name = f"{label}[{arrow}]" + ("" if row["year"] == ty else f"@{row['year']}")
        measures.append(
            Measure(
                name,
                fob_terms(commodities, exporters, importers),
                _musd(row, path),
                role,
                _describe(row),
                row["year"],
                fig,
                reg,
                partner == WORLD,
            )
        )
        used.add(idx)
    names = [m.name for m in measures]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise BuildInputError(f"{path}: more than one row for {dup}")
    unused = tuple(
        sorted(
            {
                " ".join(str(r[c]) for c in ("figure", "region", "partner", "year") if r[c])
                for i, r in frame.iterrows()
                if i not in used and r["figure"] != "employment"
            }
        )
    )
    return ControlSet(tuple(measures), unused, growth)


def measure_table(sam: xr.Dataset, measures: tuple[Measure, ...] | list[Measure]) -> pd.DataFrame:
    """Target, SAM value and gap of each measure (US$ bn and percent)."""
    rows = []
    for m in measures:
        value = m.value(sam)
        rows.append(
            {
                "measure": m.name,
                "role": m.role,
                "year": m.year,
                "target_bn": m.target / BN,
                "sam_bn": value / BN,
                "gap_pct": 100.0 * (value - m.target) / m.target if m.target else np.nan,
                "source": m.source,
            }
        )
    return pd.DataFrame(rows)
