"""Welfare decomposition (Huff and Hertel 2000) of the equivalent variation in a levels model:
solve the scenario along a path from the benchmark (:mod:`cge.welfare.path`) and integrate the
components (:mod:`cge.welfare.decomposition`)."""

from __future__ import annotations

import logging

import numpy as np
import xarray as xr

from cge.calibrate import Calibration
from cge.dims import COMMODITY, COMPONENT, INSTRUMENT, PARTNER, REGION
from cge.indicators.registry import indicator_attrs
from cge.solve import Solver
from cge.welfare.decomposition import COMPONENTS, INSTRUMENTS, Decomposition, decompose_path
from cge.welfare.path import solve_path

log = logging.getLogger(__name__)

BN = 1e-3  # US$ million -> US$ billion
WELFARE_STEPS = 4
"""Default number of path intervals to start with."""
MAX_WELFARE_STEPS = 128
"""Most path intervals the refinement tries."""
RESIDUAL_TOLERANCE = 1e-3
"""Target |residual| / |EV| of every region [fraction]; the path is refined (steps doubled)
until it holds (absolute floor: 1e-7 of the region's benchmark income)."""

__all__ = ["COMPONENTS", "INSTRUMENTS", "MAX_WELFARE_STEPS", "WELFARE_STEPS", "decompose", "decomposition_arrays"]


def decompose(
    solver: Solver,
    cal: Calibration,
    p_target: np.ndarray,
    steps: int = WELFARE_STEPS,
    tolerance: float = RESIDUAL_TOLERANCE,
    max_steps: int = MAX_WELFARE_STEPS,
    ev: xr.DataArray | None = None,
) -> dict:
    """EV decomposition of the scenario with parameters ``p_target``.

    Solves the path from the benchmark in ``steps`` intervals (the solver ends at the scenario's
    solution) and integrates; doubles the intervals while a region's |residual| exceeds
    ``tolerance`` × |EV| (and the floor), up to ``max_steps``. ``ev`` [US$ bn, dim region], when
    given, is the EV the components must sum to (the one reported from the scenario's own solve,
    equal to the path's end point within the solver tolerance); the residual absorbs the gap.

    Returns
    -------
    dict of DataArray
        ``ev_decomposition`` (region, component), ``ev_allocative`` (region, instrument,
        commodity, partner) and ``ev_terms_of_trade`` (region, commodity, partner) [US$ bn];
        ``welfare_steps``: the intervals used.
    """
    factor_types = solver.model.index.factor_types
    y0 = np.array([solver.model.lookup("y0")[r] for r in solver.model.index.regions])
    while True:
        dec = decompose_path(solve_path(solver, cal, p_target, steps), factor_types)
        residual = np.abs(dec.components[:, COMPONENTS.index("residual")])
        converged = np.all(residual <= np.maximum(tolerance * np.abs(dec.ev), 1e-7 * y0))
        if converged or 2 * steps > max_steps:
            break
        steps *= 2
    if not converged:
        log.warning("welfare decomposition: residual above %.1e of |EV| after %d steps", tolerance, steps)
    out = decomposition_arrays(dec, [str(c) for c in cal.data[COMMODITY].values])
    if ev is not None:
        table = out["ev_decomposition"]
        others = table.drop_sel({COMPONENT: "residual"}).sum(COMPONENT)
        table.loc[{COMPONENT: "residual"}] = ev.sel({REGION: list(dec.regions)}).values - others.values
    out["welfare_steps"] = xr.DataArray(steps, attrs=indicator_attrs("welfare_steps"))
    return out


def decomposition_arrays(dec: Decomposition, commodities: list[str]) -> dict[str, xr.DataArray]:
    """The decomposition as labelled arrays [US$ bn] (see :func:`decompose`)."""
    labels = {
        REGION: list(dec.regions),
        COMMODITY: commodities,
        PARTNER: list(dec.regions),
        COMPONENT: list(COMPONENTS),
        INSTRUMENT: list(INSTRUMENTS),
    }
    coords = {dim: (dim, values, indicator_attrs(dim)) for dim, values in labels.items()}

    def pick(*dims):
        return {d: coords[d] for d in dims}

    return {
        "ev_decomposition": xr.DataArray(
            dec.components * BN, dims=(REGION, COMPONENT), coords=pick(REGION, COMPONENT)
        ).assign_attrs(indicator_attrs("ev_decomposition")),
        "ev_allocative": xr.DataArray(
            dec.allocative * BN,
            dims=(REGION, INSTRUMENT, COMMODITY, PARTNER),
            coords=pick(REGION, INSTRUMENT, COMMODITY, PARTNER),
        ).assign_attrs(indicator_attrs("ev_allocative")),
        "ev_terms_of_trade": xr.DataArray(
            dec.terms_of_trade * BN, dims=(REGION, COMMODITY, PARTNER), coords=pick(REGION, COMMODITY, PARTNER)
        ).assign_attrs(indicator_attrs("ev_terms_of_trade")),
    }
