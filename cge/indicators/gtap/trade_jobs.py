"""US jobs and trade with Mexico and Canada: two measures under honest names (``docs/trade_jobs.md``).

- :func:`us_na_trade_jobs_gross` — the **gross input-output attribution** on a database: US jobs
  supported by exports to the partners and by imports from them, direct, indirect (Leontief
  inverse over the GTAP input-output table) and induced (household spending of the labour
  income generated). An accounting attribution: it says which jobs are tied to the trade flows,
  not how many would be lost without them.
- :func:`us_na_trade_jobs_net` — the **net counterfactual**: the change in US persons employed
  when trade with the partners stops, from solved results under each labour closure.

The published "more than 13 million US jobs depend on trade with Mexico and Canada" sits beside
both (attrs); nothing is scaled to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from cge.dims import LABOUR_CLOSURE, PART, SCENARIO, SUBTOTAL
from cge.errors import IndicatorError
from cge.indicators.gtap import levels
from cge.indicators.gtap.indicators import export_values, persons_employed
from cge.indicators.gtap.labels import ACTS, COMM, ENDW, REG, REG_2, conform_results
from cge.indicators.gtap.multipliers import Multipliers, ratio
from cge.indicators.gtap.subtotals import total
from cge.indicators.registry import indicator_attrs

PUBLISHED_PERSONS = 13.0e6
"""The published figure for 2024 [persons]."""
PUBLISHED_SOURCE = (
    "US Chamber of Commerce testimony, Dec. 2025 ('more than 13 million'); method of Trade Partnership "
    "Worldwide for the Business Roundtable (controls.csv row trade_supported_jobs USA CAN+MEX 2024)"
)
PUBLISHED_DESCRIPTION = (
    "a net estimate by its authors' own description: a model of the US economy that counts the gains and the "
    "losses from trade (Trade Partnership Worldwide, 'Trade and American Jobs', 2019 update: 7.2 million jobs "
    "with Canada and 4.9 million with Mexico in 2017, on net)"
)
HOME, PARTNERS = "USA", ("MEX", "CAN")
DISTRIBUTION = "trade"
"""Commodity that supplies the distribution (wholesale and retail) margins of the shipped database."""
MARGINS = "domestic_trade_margins"
"""Satellite of distribution margins on purchases of goods (COMM x REG) [US$ million]."""
FLOWS = ("exports", "imported_inputs", "import_distribution")
EFFECTS = ("direct", "indirect", "induced")
PARTS = tuple(f"{flow}_{effect}" for flow in FLOWS for effect in EFFECTS)
"""Labels of ``part``; they sum to the gross attribution."""
GROSS_METHOD = (
    "input-output attribution on the GTAP database: persons per US$ of output (employment satellite / "
    "MAKB output) times output supported; indirect = Leontief inverse over domestic inputs (VDFB by "
    "activity, commodities to activities by MAKB market shares); induced = household closed (labour "
    "income EVFB of labour per US$ of output; households buy domestic output VDPB per US$ of regional "
    "income INCOME; government spending and saving do not re-circulate). Demands: exports to the partners "
    "at basic prices (VXSB); imported inputs = each activity's intermediate imports (VMFP) times the "
    "partners' share of the commodity's imports (VMSB); import distribution = distribution margins "
    "(domestic_trade_margins over all purchases) on the partners' share of imports for final demand "
    "(VMPP + VMGP + VMIP), bought from the distribution commodity. See docs/trade_jobs.md"
)
NET_METHOD = (
    "change in persons employed in the home region (employment satellite moved by qfe, summed over "
    "activities and skills) in a scenario where its trade with the partners stops, under each labour "
    "closure; negative = jobs lost. Under full employment the labour endowment is fixed: the change is "
    "only the composition effect of persons per US$ of wages differing across activities"
)


def require_regions(db: xr.Dataset, regions: Sequence[str], measure: str) -> None:
    """Raise :class:`IndicatorError` naming the regions ``measure`` needs and ``db`` lacks."""
    have = [str(r) for r in db[REG].values]
    missing = [r for r in regions if r not in have]
    if missing:
        raise IndicatorError(
            f"{measure} needs region(s) {', '.join(missing)}, which the database lacks (it has {have})"
        )


def _published_attrs(home: str, partners: Sequence[str]) -> dict:
    return {
        "region": home,
        "partners": "+".join(partners),
        "published_persons": PUBLISHED_PERSONS,
        "published_source": PUBLISHED_SOURCE,
        "published_description": PUBLISHED_DESCRIPTION,
    }


def multipliers(db: xr.Dataset, home: str) -> tuple[Multipliers, np.ndarray]:
    """The home region's multiplier system and the activities' shares of each commodity's supply
    (activity, commodity), from the make matrix at basic prices."""
    at = {REG: home}
    make = db["MAKB"].sel(at).transpose(COMM, ACTS).values
    output = make.sum(axis=0)
    shares = ratio(make, make.sum(axis=1)[:, None]).T
    skills = {ENDW: levels.labour(db)}
    persons = db[levels.EMPLOYMENT].sel(at).sel(skills).sum(ENDW).transpose(ACTS).values
    wages = db["EVFB"].sel(at).sel(skills).sum(ENDW).transpose(ACTS).values
    inputs = ratio(db["VDFB"].sel(at).transpose(COMM, ACTS).values, output[None, :])
    households = db["VDPB"].sel(at).transpose(COMM).values / float(levels.income(db).sel(at))
    system = Multipliers(
        persons_per_output=ratio(persons, output),
        domestic_inputs=shares @ inputs,
        wages_per_output=ratio(wages, output),
        household_purchases=shares @ households,
    )
    return system, shares


def trade_demands(db: xr.Dataset, home: str, partners: Sequence[str], distribution: str) -> dict[str, np.ndarray]:
    """The three demand vectors by commodity or activity [US$ million] (keys of :data:`FLOWS`;
    ``imported_inputs`` is by activity, the others by commodity)."""
    imports = db["VMSB"].sel({REG_2: home})
    partner_share = ratio(imports.sel({REG: list(partners)}).sum(REG).values, imports.sum(REG).values)
    share = xr.DataArray(partner_share, dims=(COMM,), coords={COMM: imports[COMM].values})
    exports = db["VXSB"].sel({REG: home, REG_2: list(partners)}).sum(REG_2)
    inputs = (db["VMFP"].sel({REG: home}) * share).sum(COMM)
    margins = levels.require_satellite(db, MARGINS, "the import-distribution part of us_na_trade_jobs_gross")
    rate = ratio(margins.sel({REG: home}).values, levels.purchases(db).sel({REG: home}).values)
    final = levels.sum_of(db[h].sel({REG: home}) for h in ("VMPP", "VMGP", "VMIP"))
    distributed = float((rate * final.values * partner_share).sum())
    labels = [str(c) for c in db[COMM].values]
    if distribution not in labels:
        raise IndicatorError(f"distribution commodity {distribution!r} is not in COMM {labels}")
    on_distribution = np.where(np.asarray(labels) == distribution, distributed, 0.0)
    return {
        "exports": exports.transpose(COMM).values,
        "imported_inputs": inputs.transpose(ACTS).values,
        "import_distribution": on_distribution,
    }


def gross_parts(db: xr.Dataset, home: str, partners: Sequence[str], distribution: str) -> np.ndarray:
    """Persons by part (:data:`PARTS`) on one database."""
    levels.require_satellite(db, levels.EMPLOYMENT, "us_na_trade_jobs_gross")
    system, shares = multipliers(db, home)
    demands = trade_demands(db, home, partners, distribution)
    by_activity = {k: v if k == "imported_inputs" else shares @ v for k, v in demands.items()}
    return np.array([x for flow in FLOWS for x in system.jobs(by_activity[flow])])


def us_na_trade_jobs_gross(
    database: xr.Dataset,
    results: Mapping[str, xr.Dataset] | None = None,
    home: str = HOME,
    partners: Sequence[str] = PARTNERS,
    distribution: str = DISTRIBUTION,
) -> xr.DataArray:
    """Gross input-output attribution of US jobs to trade with the partners [persons].

    Parameters
    ----------
    database : xarray.Dataset
        A GTAP v7 database with the ``employment`` [persons] and ``domestic_trade_margins``
        [US$ million] satellites.
    results : mapping of str to xarray.Dataset, optional
        Scenario name -> results of :func:`cge.gtap.solve` on ``database``: the attribution is
        then evaluated at each scenario's flows (:func:`cge.indicators.gtap.levels.updated_flows`,
        the ``total`` of any subtotals) and stacked on ``scenario``. Its change between scenarios
        is the change of an accounting attribution, not jobs lost or gained
        (:func:`us_na_trade_jobs_net` measures those).
    home, partners : str, sequence of str
        Region whose jobs are counted, and its partners.
    distribution : str
        Commodity that supplies the distribution margins.

    Returns
    -------
    xarray.DataArray
        ``us_na_trade_jobs_gross`` over ``part`` (:data:`PARTS`; ``scenario`` first with
        ``results``), attrs: method, the published figure, its source and description.

    Raises
    ------
    IndicatorError
        A region, satellite or commodity the measure needs is missing (one line naming it).
    """
    require_regions(database, [home, *partners], "us_na_trade_jobs_gross")
    db = database.reset_coords(drop=True)
    if results is None:
        data = xr.DataArray(gross_parts(db, home, partners, distribution), dims=(PART,), coords={PART: list(PARTS)})
        note = "evaluated on the database (benchmark flows)"
    else:
        rows = []
        for res in results.values():
            res = total_results(conform_results(res, database).reset_coords(drop=True))
            rows.append(gross_parts(levels.updated_flows(db, res), home, partners, distribution))
        data = xr.DataArray(np.array(rows).reshape(len(rows), len(PARTS)), dims=(SCENARIO, PART))
        data = data.assign_coords({SCENARIO: list(results), PART: list(PARTS)})
        note = (
            "evaluated at each scenario's flows: the jobs this accounting attributes to the trade that remains; "
            "its change between scenarios is not a count of jobs lost or gained (see us_na_trade_jobs_net)"
        )
    data.name = "us_na_trade_jobs_gross"
    data.attrs = {
        **indicator_attrs("us_na_trade_jobs_gross"),
        **_published_attrs(home, partners),
        "method": GROSS_METHOD,
        "evaluated": note,
        "distribution_commodity": distribution,
    }
    return data


def total_results(results: xr.Dataset) -> xr.Dataset:
    """The ``total`` slice of results with subtotals (the results themselves otherwise)."""
    return results.sel({SUBTOTAL: "total"}, drop=True) if SUBTOTAL in results.dims else results


def partner_trade_remaining(res: xr.Dataset, db: xr.Dataset, home: str, partners: Sequence[str]) -> xr.DataArray:
    """Trade between ``home`` and the partners, both ways, at benchmark fob prices after the
    shock, as a percentage of the benchmark [percent] (total of any subtotals)."""
    _value, volume = export_values(res, db)
    out = volume.where(db["VFOB"][REG].isin([home]) & db["VFOB"][REG_2].isin(list(partners)))
    back = volume.where(db["VFOB"][REG].isin(list(partners)) & db["VFOB"][REG_2].isin([home]))
    both = (out + back).sum([COMM, REG, REG_2])
    return 100.0 * (both.base + total(both.change)) / both.base


def us_na_trade_jobs_net(
    results_by_labour_closure: Mapping[str, xr.Dataset],
    database: xr.Dataset,
    home: str = HOME,
    partners: Sequence[str] = PARTNERS,
    scenario: str = "na_trade_stop",
) -> xr.DataArray:
    """Net counterfactual: the change in US persons employed if trade with the partners stopped.

    Parameters
    ----------
    results_by_labour_closure : mapping of str to xarray.Dataset
        Labour closure name (e.g. ``full_employment``, ``fixed_real_wage``) -> results of
        :func:`cge.gtap.solve` on ``database`` for the trade-stop scenario under that closure
        (a ``scenario`` dim is kept; a ``subtotal`` dim is carried through).
    database : xarray.Dataset
        The benchmark database, with the ``employment`` satellite [persons].
    home, partners : str, sequence of str
        Region whose jobs are counted, and its partners.
    scenario : str
        Scenario label for results without a ``scenario`` dim.

    Returns
    -------
    xarray.DataArray
        ``us_na_trade_jobs_net`` over (``scenario``, ``labour_closure``) [persons; negative =
        jobs lost], with the coordinate ``partner_trade_remaining_pct`` (the home-partner trade
        left at benchmark prices [percent of the benchmark]) and the published figure in attrs.

    Raises
    ------
    IndicatorError
        A missing region or satellite, or results of another database.
    """
    require_regions(database, [home, *partners], "us_na_trade_jobs_net")
    levels.require_satellite(database, levels.EMPLOYMENT, "us_na_trade_jobs_net")
    db = database.reset_coords(drop=True)
    columns, remaining = [], []
    for res in results_by_labour_closure.values():
        res = conform_results(res, database).reset_coords(drop=True)
        columns.append(persons_employed(res, db).change.sel({REG: home}, drop=True).sum([ENDW, ACTS]))
        remaining.append(partner_trade_remaining(res, db, home, partners))
    closures = {LABOUR_CLOSURE: list(results_by_labour_closure)}
    data = xr.concat(columns, dim=LABOUR_CLOSURE).assign_coords(closures)
    trade_left = xr.concat(remaining, dim=LABOUR_CLOSURE).assign_coords(closures)
    if SCENARIO not in data.dims:
        data, trade_left = data.expand_dims({SCENARIO: [scenario]}), trade_left.expand_dims({SCENARIO: [scenario]})
    data = data.assign_coords(partner_trade_remaining_pct=trade_left)
    front = [d for d in (SUBTOTAL,) if d in data.dims]
    data = data.transpose(*front, SCENARIO, LABOUR_CLOSURE)
    data.name = "us_na_trade_jobs_net"
    data.attrs = {**indicator_attrs("us_na_trade_jobs_net"), **_published_attrs(home, partners), "method": NET_METHOD}
    data["partner_trade_remaining_pct"].attrs = {
        "long_name": f"trade between {home} and {'+'.join(partners)}, both ways, at benchmark fob prices",
        "units": "percent of the benchmark",
    }
    return data


__all__ = [
    "PARTS",
    "PUBLISHED_PERSONS",
    "PUBLISHED_SOURCE",
    "us_na_trade_jobs_gross",
    "us_na_trade_jobs_net",
]
