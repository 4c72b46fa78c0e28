"""Benchmark aggregates of a GTAP v7 database and the flows after a shock, as labelled arrays.

All values in US$ million over GTAP set dims, from the database's headers (TABLO's formulas:
``GDP``, ``INCOME``, ``TBAL``, ``VCB``); the ``employment`` satellite in persons.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from functools import reduce

import xarray as xr

from cge.errors import IndicatorError
from cge.gtap.update import UPDATES
from cge.indicators.gtap.labels import ACTS, COMM, ENDW, MARG, REG, REG_2

EMPLOYMENT = "employment"
"""Satellite of persons employed by endowment, activity and region (``docs/build_database.md``)."""
FINAL_AGENTS = (("VDPP", "VMPP"), ("VDGP", "VMGP"), ("VDIP", "VMIP"))
"""Domestic and imported purchases of the private household, government and investment."""
PURCHASES = ("VDFP", "VMFP", "VDPP", "VMPP", "VDGP", "VMGP", "VDIP", "VMIP")
"""Every agent's purchases at purchasers' prices."""


def sum_of(arrays: Iterable[xr.DataArray]) -> xr.DataArray:
    """``a + b + ...`` of one or more arrays (``sum()`` would start from the integer 0)."""
    return reduce(operator.add, arrays)


def final_demand(db: xr.Dataset) -> xr.DataArray:
    """Private + government + investment purchases by region (GTAP's PRIVEXP + GOVEXP + REGINV)."""
    return sum_of((db[d] + db[m]).sum(COMM) for d, m in FINAL_AGENTS)


def exports_fob(db: xr.Dataset) -> xr.DataArray:
    """Exports at fob prices plus margin services supplied to international transport, by region
    (GTAP's VXWREGION)."""
    return db["VFOB"].sum([COMM, REG_2]) + db["VST"].sum(MARG)


def imports_cif(db: xr.Dataset) -> xr.DataArray:
    """Imports at cif prices by importing region (GTAP's VMWREGION)."""
    return db["VCIF"].sum([COMM, REG]).rename({REG_2: REG})


def gdp(db: xr.Dataset) -> xr.DataArray:
    """GDP at market prices, expenditure side: C + G + I + exports fob + margin exports - imports cif."""
    return final_demand(db) + trade_balance(db)


def trade_balance(db: xr.Dataset) -> xr.DataArray:
    """Exports fob (with margin services) minus imports cif by region (GTAP's TBAL)."""
    return exports_fob(db) - imports_cif(db)


def income(db: xr.Dataset) -> xr.DataArray:
    """Regional household income: private + government expenditure + net saving (GTAP's INCOME)."""
    private = (db["VDPP"] + db["VMPP"]).sum(COMM)
    government = (db["VDGP"] + db["VMGP"]).sum(COMM)
    return private + government + db["SAVE"]


def commodity_supply(db: xr.Dataset) -> xr.DataArray:
    """Supply of each commodity at basic prices, the make matrix summed over activities (GTAP's VCB)."""
    return db["MAKB"].sum(ACTS)


def activity_output(db: xr.Dataset) -> xr.DataArray:
    """Output of each activity at basic prices (output taxes included), by region [US$ million]."""
    return db["MAKB"].sum(COMM)


def purchases(db: xr.Dataset) -> xr.DataArray:
    """Every agent's purchases of each commodity at purchasers' prices, domestic and imported."""
    return sum_of(db[h].sum(ACTS) if ACTS in db[h].dims else db[h] for h in PURCHASES)


def labour(db: xr.Dataset) -> list[str]:
    """The labour endowments: those with persons in the ``employment`` satellite (GTAP's skill split)."""
    persons = db[EMPLOYMENT].sum([d for d in db[EMPLOYMENT].dims if d != ENDW])
    return [str(e) for e in persons[ENDW].values[persons.values > 0]]


def require_satellite(db: xr.Dataset, name: str, purpose: str) -> xr.DataArray:
    """The satellite ``name`` of the database.

    Raises
    ------
    IndicatorError
        Naming the satellite and what needs it, when the database lacks it.
    """
    if name not in db:
        raise IndicatorError(f"the database has no {name!r} satellite, which {purpose} needs")
    return db[name]


def updated_flows(db: xr.Dataset, results: xr.Dataset) -> xr.Dataset:
    """The database's flows at a solution: each header times its price and quantity indices
    (GTAPv7.tab's ``Update`` statements, :data:`cge.gtap.update.UPDATES`), from the results'
    percentage changes; the ``employment`` satellite moves with ``qfe``.

    Equal to the updated database :func:`cge.gtap.solve` returns with ``updated=True`` (a
    test checks it, SAVE included); works from saved results. SAVE, whose ``save_value`` the
    solver does not report, moves with ``psave`` and ``qsave``; a header whose indices the
    results lack keeps its benchmark value.
    """
    updated: dict[str, xr.DataArray] = {}
    for header, (price, quantity) in UPDATES.items():
        if header not in db:
            continue
        factor: float | xr.DataArray = 1.0
        for name in (price, quantity):
            if name is None or name not in results:
                continue
            index = 1.0 + results[name] / 100.0
            if header == "VST" and name == "pds":
                index = index.sel({COMM: db[MARG].values}).rename({COMM: MARG})
            factor = factor * index
        updated[header] = (db[header] * factor).transpose(*db[header].dims)
    if "SAVE" in db and {"psave", "qsave"} <= set(results):
        updated["SAVE"] = db["SAVE"] * (1.0 + results["psave"] / 100.0) * (1.0 + results["qsave"] / 100.0)
    if EMPLOYMENT in db and "qfe" in results:
        updated[EMPLOYMENT] = (db[EMPLOYMENT] * (1.0 + results["qfe"] / 100.0)).transpose(*db[EMPLOYMENT].dims)
    return db.assign(updated)  # one merge, not one per header


__all__ = [
    "EMPLOYMENT",
    "ENDW",
    "activity_output",
    "commodity_supply",
    "final_demand",
    "gdp",
    "income",
    "labour",
    "purchases",
    "require_satellite",
    "trade_balance",
    "updated_flows",
]
