"""One solve's results as an ``xarray.Dataset``: every registered indicator, and with
``detail="all"`` every model variable, expression and shock parameter (levels and percent changes).

Values come from one call of the compiled evaluator (:func:`cge.indicators.values.solution`);
Pyomo expressions are never walked.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import xarray as xr

from cge.calibrate import Calibration
from cge.dims import PART
from cge.indicators.flows import flows
from cge.indicators.registry import MODEL_COMPONENT_ATTR, indicator_attrs, producers
from cge.indicators.trade_jobs import PARTS, TradeJobsSpec
from cge.indicators.values import Solution, solution

DETAILS = ("headline", "all")
"""``headline``: the indicators of ``cge/indicators.csv``; ``all``: also every model component."""
INDEX_UNITS = "index (benchmark = 1)"
INDICATOR_COORDS = {PART: PARTS}
"""Labels of the dimensions that indicators add (not model axes)."""


def indicators(sol: Solution, trade_jobs_spec: TradeJobsSpec | None = None) -> dict[str, tuple]:
    """Every registered indicator of a solution: ``{name: (dims, ndarray)}`` in table units."""
    trade = flows(sol)
    out: dict[str, tuple] = {}
    for func in producers():
        out.update(func(sol, trade=trade, trade_jobs_spec=trade_jobs_spec))
    return out


@cache
def _component_attrs(name: str) -> tuple[dict, dict | None]:
    """(level attrs, percent-change attrs or None) of a model component from ``cge/model/metadata.csv``."""
    from cge.model.metadata import metadata_table

    row = metadata_table().loc[name]
    base = {"long_name": str(row["description"]), "units": str(row["units"]), "block": str(row["block"])}
    gtap = str(row.get("gtap", "") or "")
    if gtap:
        base["gtap"] = gtap
    base[MODEL_COMPONENT_ATTR] = f"{row['kind']} {name}"
    if row["units"] != INDEX_UNITS:
        return base, None
    pct = dict(base, long_name=f"{row['description']}: change", units="percent")
    return base, pct


def model_components(sol: Solution, taken: set[str]) -> dict[str, tuple]:
    """Every model variable, expression and mutable parameter: ``<name>`` (level, NaN where the model
    has no entry) and, for indices, ``<name>_pct`` (change vs the benchmark [percent]).

    Names already used by an indicator (``taken``) are left to the indicator.
    """
    out = {}
    for name, arr in sol.arrays.items():
        level_attrs, pct_attrs = _component_attrs(name)
        dims = sol.dims[name]
        if name not in taken:
            out[name] = (dims, arr, level_attrs)
        if pct_attrs is not None and f"{name}_pct" not in taken:
            out[f"{name}_pct"] = (dims, 100.0 * (arr - 1.0), pct_attrs)
    return out


def extract(
    solver, cal: Calibration, trade_jobs: TradeJobsSpec | None = TradeJobsSpec(), detail: str = "headline"
) -> xr.Dataset:
    """Results of the solver's accepted point (no scenario dimension).

    Parameters
    ----------
    solver : cge.solve.Solver
        After an accepted solve.
    cal : Calibration
        The calibration the model was built from.
    trade_jobs : TradeJobsSpec or None
        Trade-supported jobs indicator (model measure); skipped when the SAM lacks it.
    detail : {"headline", "all"}
        ``all`` adds every model component (see :func:`model_components`).

    Returns
    -------
    xarray.Dataset
        Indicators with the attrs of ``cge/indicators.csv`` [their units]; coordinates with the
        attrs of their rows; the ``goods`` and ``agrifood`` flags on ``commodity``.
    """
    if detail not in DETAILS:
        raise ValueError(f"detail = {detail!r}: use one of {', '.join(DETAILS)}")
    sol = solution(solver, cal)
    variables = {
        name: (dims, values, indicator_attrs(name)) for name, (dims, values) in indicators(sol, trade_jobs).items()
    }
    if detail == "all":
        variables.update(model_components(sol, set(variables)))
    used = {d for dims, _v, _a in variables.values() for d in dims}
    labels = {**INDICATOR_COORDS, **sol.coords}
    coords: dict[str, tuple[str, Any, dict[str, str]]] = {d: (d, list(labels[d]), indicator_attrs(d)) for d in used}
    if "commodity" in used:
        coords["goods"] = ("commodity", sol.bench.goods, indicator_attrs("goods"))
        coords["agrifood"] = ("commodity", sol.bench.agrifood, indicator_attrs("agrifood"))
    return xr.Dataset(variables, coords=coords)


def extract_seconds(solver, cal: Calibration, detail: str = "headline") -> float:
    """Wall time of one :func:`extract` at the solver's accepted point [s] (for benchmarks)."""
    import time

    t0 = time.perf_counter()
    extract(solver, cal, detail=detail)
    return time.perf_counter() - t0


__all__ = ["DETAILS", "extract", "extract_seconds", "indicators", "model_components"]
