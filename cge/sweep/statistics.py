"""Summary statistics of a sensitivity analysis over its draws: mean, standard deviation and a
90 % interval of every indicator (GTAP's SSA conventions for quadrature, sample statistics for
Monte Carlo)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import xarray as xr

from cge.dims import DRAW
from cge.sweep.distributions import QUADRATURE

CHEBYSHEV_K = 1.0 / math.sqrt(0.10)
"""Chebyshev: P(|X - mean| >= k std) <= 1/k², so mean ± 3.162 std covers at least 90 %."""
SOLVER_FIGURES = (
    "iterations",
    "path_nodes",
    "max_residual",
    "walras_residual",
    "solve_seconds",
)
"""Per-solve diagnostics, not economic indicators: kept by draw, never summarised."""


def summarize(ds: xr.Dataset, weights: xr.DataArray, method: str) -> xr.Dataset:
    """``<name>_mean``, ``_std``, ``_p05``, ``_p95`` over ``draw`` for every indicator of ``ds``.

    Parameters
    ----------
    ds : Dataset
        Indicators with a ``draw`` dimension; NaN marks a failed solve (left out).
    weights : DataArray
        Weight of each draw [fraction] (quadrature weights, or 1/N for Monte Carlo).
    method : {"quadrature", "monte_carlo"}
        Quadrature: weighted mean and standard deviation and the 90 % interval from Chebyshev's
        inequality, mean ± 3.162 std (as GTAP's SSA reports; at least 90 % whatever the
        distribution). Monte Carlo: sample mean, sample standard deviation (ddof = 1) and the
        empirical 5th and 95th percentiles.

    Returns
    -------
    xarray.Dataset
        Four variables per indicator, without the ``draw`` dimension, in the indicator's units.
    """
    out = xr.Dataset()
    for name, x in ds.data_vars.items():
        if DRAW not in x.dims or name in SOLVER_FIGURES or not np.issubdtype(x.dtype, np.number):
            continue
        valid = x.notnull()
        if method == QUADRATURE:
            w = weights.where(valid, 0.0)
            wsum = w.sum(DRAW)
            mean = (x.fillna(0.0) * w).sum(DRAW) / wsum
            std: Any = np.sqrt((((x - mean) ** 2).fillna(0.0) * w).sum(DRAW) / wsum)  # a DataArray
            low, high = mean - CHEBYSHEV_K * std, mean + CHEBYSHEV_K * std
            how = "Chebyshev 90 % interval, mean - 3.162 std"
        else:
            mean = x.mean(DRAW, skipna=True)
            std = x.std(DRAW, ddof=1, skipna=True) if x.sizes[DRAW] > 1 else xr.zeros_like(mean)
            q = x.quantile([0.05, 0.95], dim=DRAW, skipna=True)
            low, high = q.isel(quantile=0, drop=True), q.isel(quantile=1, drop=True)
            how = "empirical 5th percentile"
        long_name = x.attrs.get("long_name", name)
        units = x.attrs.get("units", "")
        stats: dict[str, tuple[Any, str]] = {
            "mean": (mean, f"{long_name}: mean over draws"),
            "std": (std, f"{long_name}: standard deviation over draws"),
            "p05": (low, f"{long_name}: lower bound ({how})"),
            "p95": (high, f"{long_name}: upper bound ({how.replace('-', '+').replace('5th', '95th')})"),
        }
        for suffix, (value, label) in stats.items():
            value = value.transpose(*[d for d in x.dims if d != DRAW])
            value.attrs = {"long_name": label, "units": units}
            out[f"{name}_{suffix}"] = value
    return out


def interval_method(method: str) -> str:
    """How :func:`summarize` forms its statistics under ``method``, for the results' attrs and the
    notes under tables and figures."""
    if method == QUADRATURE:
        return (
            "quadrature (Stroud degree 3, 2n equally weighted points): weighted mean and standard deviation; "
            f"90 % interval from Chebyshev's inequality, mean +/- {CHEBYSHEV_K:.3f} std (as GTAP's SSA)"
        )
    return "Monte Carlo: sample mean and standard deviation (ddof = 1); 90 % interval = empirical 5th-95th"
