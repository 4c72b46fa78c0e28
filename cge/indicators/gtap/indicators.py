"""The project's indicators from a GTAP v7 solution and the database's levels.

:func:`gtap_indicators` maps the results of :func:`cge.gtap.solve` (percentage changes of every
GEMPACK variable, ordinary changes in US$ million) and the benchmark database onto the
indicators of ``cge/indicators.csv`` (names, dims, units, long names); ``detail="all"`` adds
every GTAP v7 variable under its GEMPACK name. Definitions: ``docs/gtap_indicators.md``.
Results with a ``subtotal`` dim (GEMPACK's subtotals by shock group) give indicators with it
(:mod:`cge.indicators.gtap.subtotals`).
"""

from __future__ import annotations

import logging

import numpy as np
import xarray as xr

from cge.dims import AGRIFOOD, GOODS, SCENARIO, SKILL, SUBTOTAL
from cge.errors import IndicatorError
from cge.indicators.gtap import levels
from cge.indicators.gtap.labels import (
    ACTS,
    COMM,
    ENDW,
    REG,
    REG_2,
    conform_results,
    every_variable,
    result_dims,
    variable,
)
from cge.indicators.gtap.subtotals import Level, total, total_only, weighted_mean
from cge.indicators.registry import indicator_attrs, indicator_table

log = logging.getLogger(__name__)

BN = 1e-3
"""US$ million -> US$ billion."""
DETAILS = ("default", "all")
"""``default``: the indicators (and ``qgdp``, ``EV``); ``all``: also every GTAP v7 variable."""
RATE_TOLERANCE_PP = 1e-3
"""Largest accepted difference between the ``rates`` argument and the database's or results'
tariff rates [percentage points] (the HAR files store float32)."""
FLAGS = (GOODS, AGRIFOOD)
"""Boolean coordinates on COMM that the indicators keep on ``commodity``."""


def gtap_indicators(
    results: xr.Dataset, database: xr.Dataset, detail: str = "default", rates: xr.Dataset | None = None
) -> xr.Dataset:
    """The indicators of a GTAP v7 solution.

    Parameters
    ----------
    results : xarray.Dataset
        Results of :func:`cge.gtap.solve` on ``database`` (percentage changes [%], ordinary
        changes [US$ million]), optionally with a ``subtotal`` dim (``total`` first, then shock
        groups) or a ``scenario`` dim.
    database : xarray.Dataset
        The benchmark database (:func:`cge.gtap.load_database`); employment indicators need its
        ``employment`` satellite [persons], agri-food exports its ``agrifood`` coordinate.
    detail : {"default", "all"}
        ``all`` adds every results variable under its GEMPACK name, over result dims.
    rates : xarray.Dataset, optional
        ``tariff_base_pct`` and ``tariff_new_pct`` over (COMM, REG, REG_2) [percent of the cif
        value]; checked against the database (VMSB / VCIF - 1) and the results' ``tm``, ``tms``
        within :data:`RATE_TOLERANCE_PP`.

    Returns
    -------
    xarray.Dataset
        Indicators in the units of ``cge/indicators.csv`` with its ``long_name``/``units``
        attrs; dims ``region``, ``exporter``, ``importer``, ``commodity``, ``activity``,
        ``skill``, ``component`` (and ``subtotal``, ``scenario`` when the results have them).

    Raises
    ------
    IndicatorError
        Results of another database, a missing results variable, or rates that disagree.
    """
    if detail not in DETAILS:
        raise IndicatorError(f"detail = {detail!r}: use one of {', '.join(DETAILS)}")
    flags = {f: database[f] for f in FLAGS if f in database.coords and database[f].dims == (COMM,)}
    results = conform_results(results, database)
    db = database.reset_coords(drop=True)
    res = results.reset_coords(drop=True)
    values: dict[str, xr.DataArray] = {}
    values.update(macro(res, db, capital_endowments(database)))
    values.update(trade(res, db, flags.get(AGRIFOOD), rates))
    values.update(sectors(res, db))
    values.update(employment(res, db))
    endowments = db[ENDW].values
    out = {name: _finish(name, da, endowments) for name, da in values.items()}
    if detail == "all":
        out.update({k: v for k, v in every_variable(res, db).items() if k not in out})
    ds = xr.Dataset(out)
    for dim in ds.dims:
        if dim in indicator_table().index:
            ds[dim].attrs.update(indicator_attrs(dim))
    if "commodity" in ds.dims:
        ds = ds.assign_coords({f: ("commodity", flag.values, indicator_attrs(f)) for f, flag in flags.items()})
    ds.attrs["indicators"] = "cge.indicators.gtap.gtap_indicators (docs/gtap_indicators.md)"
    return ds


def _finish(name: str, da: xr.DataArray, endowments) -> xr.DataArray:
    """Result dims in the table's order (``subtotal`` and ``scenario`` first) and the table's attrs."""
    da = result_dims(da, endowments)
    table_dims = [d for d in str(indicator_table().at[name, "dims"]).split() if d != SCENARIO]
    front = [d for d in (SUBTOTAL, SCENARIO) if d in da.dims]
    if set(da.dims) != set(front + table_dims):
        raise AssertionError(f"{name}: dims {da.dims}, the table says {table_dims}")
    out = da.transpose(*front, *table_dims)
    out.attrs = indicator_attrs(name)
    return out


def capital_endowments(database: xr.Dataset) -> list[str]:
    """The capital endowments (the database's ``ENDC`` subset, GTAP's ENDWC)."""
    if "ENDC" not in database.coords:
        raise IndicatorError("the database has no ENDC subset on ENDW (capital): load it with cge.gtap.load_database")
    return [str(e) for e in database[ENDW].values[np.asarray(database["ENDC"].values, bool)]]


def macro(res: xr.Dataset, db: xr.Dataset, capital: list[str]) -> dict[str, xr.DataArray]:
    """GDP, welfare, terms of trade, prices and aggregates by region (GTAP v7 variables)."""
    v = lambda name: variable(res, name)  # noqa: E731
    gdp = levels.gdp(db)
    evfb_capital = db["EVFB"].sel({ENDW: capital})
    return {
        "real_gdp": Level.from_pct(gdp, v("qgdp")).value() * BN,
        "real_gdp_pct": v("qgdp"),
        "gdp_expenditure": Level.from_pct(gdp, v("vgdp")).value() * BN,
        "ev": v("EV") * BN,
        "utility_pct": v("u"),
        "ev_decomposition": v("EV_decomposition") * BN,
        "terms_of_trade_pct": v("tot"),
        "trade_balance": Level(levels.trade_balance(db), v("del_tbal")).value() * BN,
        "cpi_pct": v("ppriv"),
        "rental_rate_pct": v("rental"),
        "real_consumption_pct": weighted_mean(v("qpa"), db["VDPP"] + db["VMPP"], COMM),
        "real_investment_pct": v("qinv"),
        "capital_stock_pct": weighted_mean(v("qfe").sel({ENDW: capital}), evfb_capital, [ENDW, ACTS]),
        "qgdp": v("qgdp"),
        "EV": v("EV"),
    }


def export_values(res: xr.Dataset, db: xr.Dataset) -> tuple[Level, Level]:
    """Bilateral exports (COMM, REG = source, REG_2 = destination) at current fob prices and at
    benchmark fob prices [US$ million]: ``VFOB (1 + pfob/100)(1 + qxs/100)`` and ``VFOB (1 + qxs/100)``."""
    qxs = variable(res, "qxs")
    return Level.from_pct(db["VFOB"], variable(res, "pfob")) * Level.index(qxs), Level.from_pct(db["VFOB"], qxs)


def trade(
    res: xr.Dataset, db: xr.Dataset, agrifood: xr.DataArray | None, rates: xr.Dataset | None
) -> dict[str, xr.DataArray]:
    """Bilateral exports (value and volume), agri-food exports, tariff revenue."""
    value, volume = export_values(res, db)
    out = {
        "exports": value.value() * BN,
        "export_volume": volume.value() * BN,
        "tariff_revenue": tariff_revenue(res, db, rates).value() * BN,
    }
    if agrifood is None:
        log.info("the database has no 'agrifood' coordinate on COMM: no agri-food exports")
        return out
    by_pair = value.where(agrifood.reset_coords(drop=True)).sum(COMM)
    to_all = by_pair.sum(REG_2)
    out.update(
        agrifood_exports=by_pair.value() * BN,
        agrifood_exports_total=to_all.value() * BN,
        agrifood_exports_pct=to_all.pct(),
    )
    return out


def tariff_rates(res: xr.Dataset, db: xr.Dataset) -> Level:
    """Ad-valorem tariff rates by flow (COMM, REG, REG_2) [fraction of the cif value]: the
    database's ``VMSB / VCIF - 1`` moved by the power changes ``(1 + tm/100)(1 + tms/100)``."""
    flow = db["VCIF"] > 0
    base = (db["VMSB"] / db["VCIF"].where(flow) - 1.0).where(flow, 0.0)
    power = Level.index(variable(res, "tm").rename({REG: REG_2})) * Level.index(variable(res, "tms"))
    return Level(base, (1.0 + base) * power.change)


def tariff_revenue(res: xr.Dataset, db: xr.Dataset, rates: xr.Dataset | None = None) -> Level:
    """Tariff revenue by importing region (REG_2 summed to the importer) [US$ million]: the rate
    times the cif value ``VCIF (1 + pcif/100)(1 + qxs/100)``, a product split over shock groups
    by the symmetric rule."""
    rate = tariff_rates(res, db)
    if rates is not None:
        check_rates(rates, rate, db)
    cif = Level.from_pct(db["VCIF"], variable(res, "pcif")) * Level.index(variable(res, "qxs"))
    return (rate * cif).sum([COMM, REG]).rename({REG_2: REG})


def check_rates(rates: xr.Dataset, rate: Level, db: xr.Dataset) -> None:
    """Raise :class:`IndicatorError` when the ``rates`` argument disagrees with the database's
    base rates or the results' new rates by more than :data:`RATE_TOLERANCE_PP` on a flow."""
    flow = db["VCIF"] > 0
    ours = {"tariff_base_pct": 100.0 * rate.base, "tariff_new_pct": 100.0 * (rate.base + total(rate.change))}
    for name, mine in ours.items():
        if name not in rates:
            raise IndicatorError(f"rates have no {name!r} (tariff rates over COMM, REG, REG_2 in percent)")
        theirs = rates[name].reindex_like(mine)
        gap = abs(theirs - mine).where(flow, 0.0).fillna(np.inf)
        worst = gap.argmax(...)
        size = float(gap[worst])
        if size > RATE_TOLERANCE_PP:
            c, s, d = (str(gap[k][worst[k]].values) for k in (COMM, REG, REG_2))
            source = "database (VMSB/VCIF - 1)" if name == "tariff_base_pct" else "results' tm and tms"
            raise IndicatorError(
                f"rates: {name} of {c} from {s} to {d} is {float(theirs[worst]):.6g} % but the {source} give "
                f"{float(mine[worst]):.6g} % (off by {size:.3g} pp; tolerance {RATE_TOLERANCE_PP} pp)"
            )


def sectors(res: xr.Dataset, db: xr.Dataset) -> dict[str, xr.DataArray]:
    """Output of each commodity at benchmark basic prices (VCB moved by ``qc``) and the price of
    domestic supply ``pds``."""
    qc = variable(res, "qc")
    return {
        "output": Level.from_pct(levels.commodity_supply(db), qc).value() * BN,
        "output_pct": qc,
        "price_pct": variable(res, "pds"),
    }


def persons_employed(res: xr.Dataset, db: xr.Dataset) -> Level:
    """Persons employed by labour endowment (ENDW), activity and region [persons].

    The ``employment`` satellite moved by the labour demand ``qfe``, with the total of each skill
    and region moved by the endowment ``qe``. GTAP's labour is homogeneous in efficiency units
    (one wage per skill and region when it is mobile), whereas the satellite's persons per US$ of
    wages differ by activity: moving each activity's persons by ``qfe`` alone would count a
    worker who moves from a high-wage to a low-wage activity as more than one person (US
    employment "-111,566" under full employment in ``tariff25_retaliation``). The difference
    between the endowment's change in persons and the sum of the activities' is shared out in
    proportion to the benchmark persons, so the total is ``N0 (1 + qe / 100)``: unchanged under
    full employment. Linear in the results, so shock-group subtotals sum to the total.
    """
    persons = levels.require_satellite(db, levels.EMPLOYMENT, "employment by activity")
    skills = {ENDW: levels.labour(db)}
    base = persons.sel(skills)
    moved = Level.from_pct(base, variable(res, "qfe").sel(skills))
    everyone = base.sum(ACTS)
    qe = variable(res, "qe")
    qe = qe.rename({d: ENDW for d in qe.dims if str(d).startswith(ENDW) and d != ENDW})
    target = everyone * qe.sel(skills) / 100.0
    share = (base / everyone.where(everyone != 0, 1.0)).where(everyone != 0, 0.0)
    return Level(base, moved.change + share * (target - moved.change.sum(ACTS)))


def employment(res: xr.Dataset, db: xr.Dataset) -> dict[str, xr.DataArray]:
    """Persons employed by activity (and skill), their total and change, persons who change
    activity; wages and real wages (``pes`` and ``pfactreal`` averaged with the benchmark payments
    EVOS: over activities by skill, over activities and skills for the region)."""
    if levels.EMPLOYMENT not in db:
        log.info("the database has no 'employment' satellite: no employment indicators")
        return {}
    persons = persons_employed(res, db)
    everyone = persons.sum([ENDW, ACTS])
    moved = total(persons.change)
    gains, losses = moved.clip(min=0).sum([ENDW, ACTS]), (-moved).clip(min=0).sum([ENDW, ACTS])
    skills = {ENDW: levels.labour(db)}
    payments = db["EVOS"].sel(skills)
    wage, real_wage = variable(res, "pes").sel(skills), variable(res, "pfactreal").sel(skills)
    out = {
        "employment": persons.sum(ENDW).value(),
        "employment_by_skill": persons.value(),
        "employment_total": everyone.value(),
        "employment_change": everyone.change,
        # np.minimum of DataArrays is a DataArray (__array_ufunc__); numpy's stub says ndarray
        "employment_reallocation": total_only(np.minimum(gains, losses), like=persons.change),  # type: ignore[arg-type]
        "wage_pct": weighted_mean(wage, payments, [ENDW, ACTS]),
        "real_wage_pct": weighted_mean(real_wage, payments, [ENDW, ACTS]),
        "wage_by_skill_pct": weighted_mean(wage, payments, ACTS),
        "real_wage_by_skill_pct": weighted_mean(real_wage, payments, ACTS),
    }
    return {k: v.rename({ENDW: SKILL}) if ENDW in v.dims else v for k, v in out.items()}


__all__ = ["DETAILS", "gtap_indicators", "persons_employed", "tariff_rates", "tariff_revenue"]
