"""Solved values as dense arrays: the input of every indicator function.

:func:`solution` evaluates the solver's compiled evaluator (:mod:`cge.solve.evaluate`) once at
the accepted point and pairs the result with the benchmark arrays of the calibration (cached per
SAM), all as NumPy arrays on the evaluator's axes. Indicator functions are pure functions of a
:class:`Solution`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import xarray as xr

from cge.calibrate import Calibration
from cge.dims import (
    ACTIVITY,
    AGENT,
    AGRIFOOD,
    COMMODITY,
    EXPORTER,
    FACTOR,
    FACTOR_TYPE,
    GOODS,
    IMPORTER,
    LABOUR,
    REGION,
)

BENCHMARK_DIMS = {
    "vdfm": (COMMODITY, ACTIVITY, REGION),
    "vifm": (COMMODITY, ACTIVITY, REGION),
    "vdfd": (COMMODITY, AGENT, REGION),
    "vifd": (COMMODITY, AGENT, REGION),
    "vfm": (FACTOR, ACTIVITY, REGION),
    "vxmd": (COMMODITY, EXPORTER, IMPORTER),
    "vims": (COMMODITY, EXPORTER, IMPORTER),
    "cif0": (COMMODITY, EXPORTER, IMPORTER),
    "vom": (ACTIVITY, REGION),
    "vdm": (ACTIVITY, REGION),
    "dom0": (COMMODITY, REGION),
    "qa0": (COMMODITY, REGION),
    "fd0": (AGENT, REGION),
    "y0": (REGION,),
    "tb0": (REGION,),
    "savings": (REGION,),
    "employment0": (ACTIVITY, REGION),
    "jobs_per_wage": (ACTIVITY, REGION),
}
"""Benchmark arrays of the calibration the indicators use [US$ million; persons; persons per US$ million]."""
_CACHE_SIZE = 8
_benchmarks: OrderedDict = OrderedDict()


@dataclass(frozen=True)
class Benchmark:
    """Benchmark arrays of one SAM on the evaluator's axes.

    Attributes
    ----------
    arrays : dict
        Name -> ndarray on :data:`BENCHMARK_DIMS` (only those the calibration has; the
        employment satellite is optional).
    labour : ndarray of bool
        Factor is labour (factor axis).
    goods, agrifood : ndarray of bool
        Commodity flags (commodity axis).
    """

    arrays: Mapping[str, np.ndarray]
    labour: np.ndarray
    goods: np.ndarray
    agrifood: np.ndarray

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def __contains__(self, name: str) -> bool:
        return name in self.arrays


def _on_axes(da: xr.DataArray, dims: tuple[str, ...], coords: Mapping[str, tuple[str, ...]]) -> np.ndarray:
    """``da`` as an array on ``dims`` with the labels of ``coords`` (re-ordered only if needed)."""
    values = np.asarray(da.values, dtype=float)
    for k, d in enumerate(map(str, da.dims)):
        labels = [str(v) for v in da[d].values]
        if labels != list(coords[d]):
            order = [labels.index(label) for label in coords[d]]
            values = np.take(values, order, axis=k)
    return np.transpose(values, [da.dims.index(d) for d in dims])


def benchmark(cal: Calibration, coords: Mapping[str, tuple[str, ...]]) -> Benchmark:
    """The benchmark arrays of ``cal`` on ``coords`` (cached per SAM hash and axes)."""
    key = (cal.sam_hash, tuple((d, tuple(v)) for d, v in sorted(coords.items())))
    hit = _benchmarks.get(key)
    if hit is not None:
        _benchmarks.move_to_end(key)
        return hit
    d = cal.data
    arrays = {name: _on_axes(d[name], dims, coords) for name, dims in BENCHMARK_DIMS.items() if name in d}
    factor_types = dict(zip(map(str, d[FACTOR].values), map(str, d[FACTOR_TYPE].values)))
    commodity = [str(c) for c in d[COMMODITY].values]

    def flag(name: str) -> np.ndarray:
        values = dict(zip(commodity, np.asarray(d[name].values, dtype=bool))) if name in d.coords else {}
        return np.array([values.get(c, False) for c in coords[COMMODITY]], dtype=bool)

    out = Benchmark(
        arrays=arrays,
        labour=np.array([factor_types[f] == LABOUR for f in coords[FACTOR]], dtype=bool),
        goods=flag(GOODS),
        agrifood=flag(AGRIFOOD),
    )
    _benchmarks[key] = out
    while len(_benchmarks) > _CACHE_SIZE:
        _benchmarks.popitem(last=False)
    return out


@dataclass(frozen=True)
class Solution:
    """Every model variable, expression and mutable parameter at a solved point, with the benchmark.

    Attributes
    ----------
    arrays : dict
        Component name -> dense ndarray on its dims (NaN where the model has no entry) [the
        component's units: indices equal to 1 at the benchmark, rates as fractions].
    dims : dict
        Component name -> dimension names.
    coords : dict
        Dimension name -> labels.
    bench : Benchmark
        Benchmark arrays of the SAM.
    """

    arrays: Mapping[str, np.ndarray]
    dims: Mapping[str, tuple[str, ...]]
    coords: Mapping[str, tuple[str, ...]]
    bench: Benchmark

    def get(self, name: str, fill: float) -> np.ndarray:
        """Component ``name`` with ``fill`` where the model has no entry (e.g. 0 for an absent flow's
        quantity, 1 for its price index)."""
        arr = self.arrays[name]
        return np.where(np.isnan(arr), fill, arr)


def solution(solver, cal: Calibration) -> Solution:
    """Evaluate every component at the solver's accepted point (one compiled call).

    Parameters
    ----------
    solver : cge.solve.Solver
        A solver after an accepted :meth:`~cge.solve.Solver.solve` (its ``x_last``, ``p_last``).
    cal : Calibration
        The calibration the model was built from (benchmark values of the same SAM).
    """
    evaluator = solver.compiled.evaluator
    arrays = evaluator.dense(solver.x_last, solver.p_last)
    dims = {name: slot.dims for name, slot in evaluator.slots.items()}
    return Solution(arrays=arrays, dims=dims, coords=evaluator.coords, bench=benchmark(cal, evaluator.coords))
