"""GTAP set names -> the results' dims, and the check that results belong to a database.

GTAP v7 results (:func:`cge.gtap.solve`) and databases (:func:`cge.gtap.load_database`) use the
GTAP sets as dims (``REG``, ``COMM``, ``ACTS``, ``ENDW``, ``MARG``; a repeated set gets ``_2``).
Indicators use the project's singular lowercase dims (:mod:`cge.dims`):

| GTAP | result dim |
|---|---|
| ``REG`` alone, or ``REG_2`` alone | ``region`` |
| ``REG`` and ``REG_2`` together (source, destination) | ``exporter``, ``importer`` |
| ``COMM`` / ``ACTS`` | ``commodity`` / ``activity`` |
| ``ENDW``; its subsets ``ENDWMS``, ``ENDWF``, ``ENDWC`` | ``factor`` (a subset within ``ENDW``, NaN elsewhere) |
| ``MARG``, ``DIR``, ``CTAX`` | ``margin``, ``origin``, ``instrument`` |
| ``TECHTYPE``, ``COLUMN`` | ``technology``, ``component`` |
"""

from __future__ import annotations

import xarray as xr

from cge.dims import (
    ACTIVITY,
    COMMODITY,
    COMPONENT,
    EXPORTER,
    FACTOR,
    IMPORTER,
    INSTRUMENT,
    MARGIN,
    ORIGIN,
    REGION,
    TECHNOLOGY,
)
from cge.errors import IndicatorError

REG, REG_2, COMM, ACTS, ENDW, MARG = "REG", "REG_2", "COMM", "ACTS", "ENDW", "MARG"
ENDW_SUBSETS = ("ENDWMS", "ENDWF", "ENDWC")
"""Endowment subsets that results use as dims (placed within ``ENDW`` in the indicators)."""
RENAME = {
    COMM: COMMODITY,
    ACTS: ACTIVITY,
    ENDW: FACTOR,
    MARG: MARGIN,
    "DIR": ORIGIN,
    "CTAX": INSTRUMENT,
    "TECHTYPE": TECHNOLOGY,
    "COLUMN": COMPONENT,
}
"""GTAP set -> result dim (regions: :func:`result_dims`)."""
CHECKED_SETS = (REG, REG_2, COMM, ACTS, ENDW, MARG)


def result_dims(da: xr.DataArray, endowments=None) -> xr.DataArray:
    """``da`` with GTAP set dims renamed to result dims (table in the module docstring).

    Parameters
    ----------
    da : xarray.DataArray
        Over GTAP sets (and possibly ``subtotal``, ``scenario``).
    endowments : sequence of str, optional
        The database's ENDW labels, onto which an endowment subset is reindexed (NaN outside it).
    """
    for subset in ENDW_SUBSETS:
        if subset in da.dims:
            da = da.rename({subset: ENDW})
            if endowments is not None:
                da = da.reindex({ENDW: list(endowments)})
    return da.rename(dict(zip(da.dims, result_dim_names(tuple(map(str, da.dims))), strict=True)))


def result_dim_names(dims: tuple[str, ...]) -> tuple[str, ...]:
    """The result dims of GTAP set dims (the renaming of :func:`result_dims`); other dims unchanged."""
    names = {**{s: ENDW for s in ENDW_SUBSETS}, **RENAME}
    names = {s: RENAME.get(names[s], names[s]) for s in names}
    if REG in dims and REG_2 in dims:
        names.update({REG: EXPORTER, REG_2: IMPORTER})
    else:
        names.update({REG: REGION, REG_2: REGION})
    return tuple(names.get(d, d) for d in dims)


def conform_results(results: xr.Dataset, database: xr.Dataset) -> xr.Dataset:
    """The results in the database's label order.

    Raises
    ------
    IndicatorError
        When a GTAP set has other labels in the results than in the database (results of
        another database), naming the set and the labels that differ.
    """
    order = {}
    for name in CHECKED_SETS:
        if name not in results.dims or name not in database.dims:
            continue
        theirs, ours = [str(v) for v in results[name].values], [str(v) for v in database[name].values]
        if set(theirs) != set(ours):
            extra, missing = sorted(set(theirs) - set(ours)), sorted(set(ours) - set(theirs))
            raise IndicatorError(
                f"results and database differ in set {name}: results only {extra}, database only {missing} "
                "(results of another database?)"
            )
        if theirs != ours:
            order[name] = ours
    return results.reindex(order) if order else results


def variable(results: xr.Dataset, name: str) -> xr.DataArray:
    """A results variable by its GEMPACK name.

    Raises
    ------
    IndicatorError
        When the results lack it (not GTAP v7 results of :func:`cge.gtap.solve`).
    """
    if name not in results:
        raise IndicatorError(f"results have no variable {name!r}: pass GTAP v7 results of cge.gtap.solve")
    return results[name]


def every_variable(results: xr.Dataset, database: xr.Dataset) -> dict[str, xr.DataArray]:
    """Every results variable under its GEMPACK name, over result dims, with its attrs and
    ``gtap_variable`` naming it (for ``detail="all"``)."""
    endowments = database[ENDW].values if ENDW in database.dims else None
    out = {}
    for name, da in results.data_vars.items():
        renamed = result_dims(da, endowments)
        renamed.attrs = {**da.attrs, "gtap_variable": str(name)}
        out[str(name)] = renamed
    return out
