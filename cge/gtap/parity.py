"""Compare a solution with GEMPACK's (an SL4 dump as HAR): cells, shares within tolerances, worst cell.

GEMPACK solution files converted by SLTOHT hold one header per variable (``0001``, ``0002``...)
whose long name starts with the variable's name. :func:`compare_with_gempack` lines our results
(:func:`cge.gtap.solve`) up with them cell by cell, on the variable's labels (case-insensitive,
so GEMPACK's ``capital`` meets the database's ``Capital``).

Tolerances follow issue 16: a percentage-change cell is within when ``|ours - GEMPACK|`` is below
the tolerance in percentage points; an ordinary change in US$ million (EV, ``del_tbal``, the
``CNT*`` terms) when the difference is below the tolerance as a percentage of the benchmark income
of the variable's region (of world income for global ones); a change in a ratio (``del_taxr*``,
``del_tbalry``) when it is below the tolerance in the ratio's own units scaled to percent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

HELD_OUT = ("15x10", "20x41")

EXPERIMENTS = [
    # (label, dataset, solution file, rordelta, swaps-from-cmf, shock)
    *[
        (f"{ds} tm {shock} std", ds, f"sl4dump_gtap7_{ds}_tm{tag}_s8-16-32.har", None, None, float(shock))
        for ds in ("3x3", "3x4", "5x5", "10x7")
        for shock, tag in (("10", "10"), ("3", "3"), ("1", "1"), ("0.3", "0p3"), ("0.1", "0p1"))
    ],
    *[
        (f"{ds} tm 10 capfix", ds, f"sl4dump_gtap7_{ds}_tm10_s8-16-32_capfix.har", 0, None, 10.0)
        for ds in ("3x3", "3x4", "5x5", "10x7")
    ],
    ("9x10 tm 10 swaps", "9x10", "sl4dump_9x10_tm10.har", None, "9x10_tm10.cmf", 10.0),
    ("nus333 tm 10 swap", "nus333", "sl4dump_nus333_tm10.har", None, "nus333_tm10.cmf", 10.0),
]


def run_experiment(root: Path, experiment: tuple, updated: bool = False):
    """Solve one development experiment: (database, result[, updated database]). Experiments with
    a CMF file run it (its exogenous list, swaps and shock); the others the standard closure."""
    from cge.gtap.cmf import read_cmf
    from cge.gtap.database import load_database
    from cge.gtap.simulate import solve

    _label, dataset, _solution, rordelta, cmf, shock = experiment
    database = load_database(root / "datasets" / dataset)
    if cmf:
        return database, solve(database, cmf=read_cmf(root / "cmf" / cmf), rordelta=rordelta, updated=updated)
    return database, solve(database, {"tm": shock}, rordelta=rordelta, updated=updated)


TOLERANCES = (0.01, 0.1, 1.0)
"""Tolerances reported [percentage points, or % of regional income for US$ changes]."""


@dataclass(frozen=True)
class CellComparison:
    """One variable compared: cells, within each tolerance, the worst cell."""

    variable: str
    cells: int
    within: tuple[int, ...]
    worst: float
    worst_cell: str
    ours: float
    gempack: float


def gempack_variables(solution: dict[str, xr.DataArray]) -> dict[str, xr.DataArray]:
    """Variables of an SLTOHT dump by name (the first word of each header's long name)."""
    out = {}
    for header, array in solution.items():
        if not header.isdigit():
            continue
        name = str(array.attrs.get("long_name", "")).split()[0] if array.attrs.get("long_name") else header
        out[name] = array
    return out


def _aligned(ours: xr.DataArray, theirs: xr.DataArray) -> tuple[np.ndarray, np.ndarray, list]:
    """Both arrays in GEMPACK's element order (labels matched case-insensitively)."""
    theirs_values = np.asarray(theirs.values, dtype=float)
    if ours.ndim == 0 or theirs.ndim == 0 or theirs_values.size <= 1 and ours.size <= 1:
        return np.atleast_1d(np.asarray(ours.values, float)).reshape(-1), theirs_values.reshape(-1), [()]
    index = []
    labels = []
    for dim_ours, dim_theirs in zip(ours.dims, theirs.dims):
        ours_labels = [str(v).lower() for v in ours[dim_ours].values]
        their_labels = [str(v) for v in theirs[dim_theirs].values]
        index.append([ours_labels.index(lab.lower()) for lab in their_labels])
        labels.append(their_labels)
    values = np.asarray(ours.values, dtype=float)[np.ix_(*index)] if index else np.asarray(ours.values, float)
    cells = [tuple(t) for t in np.array(np.meshgrid(*labels, indexing="ij")).reshape(len(labels), -1).T]
    return values.reshape(-1), theirs_values.reshape(-1), cells


def _scale(ours: xr.DataArray, income: xr.DataArray | None) -> np.ndarray | float:
    """Divisor turning a US$ change into % of income (by the variable's first regional set)."""
    units = str(ours.attrs.get("units", ""))
    if not units.startswith("US$") or income is None:
        return 1.0
    reg_dims = [str(d) for d in ours.dims if str(d).startswith("REG")]
    if not reg_dims:
        return float(income.sum()) / 100.0
    scale = income.rename(REG=reg_dims[0]) / 100.0
    return np.asarray(scale.broadcast_like(ours).transpose(*ours.dims).values, dtype=float)


def compare_with_gempack(
    ours: xr.Dataset, solution: dict[str, xr.DataArray], income: xr.DataArray | None = None
) -> list[CellComparison]:
    """Compare every variable GEMPACK reports with ours.

    Parameters
    ----------
    ours : xarray.Dataset
        Our results (:func:`cge.gtap.solve`).
    solution : dict
        GEMPACK's solution dump (:func:`cge.gtap.read_har` of an SLTOHT HAR file).
    income : xarray.DataArray, optional
        Benchmark regional income by REG [US$ million], to express US$ changes as a share of it.

    Returns
    -------
    list of CellComparison
        One per variable in GEMPACK's file; a variable we do not have is reported with
        ``cells = -1``.
    """
    out = []
    for name, theirs in gempack_variables(solution).items():
        if name not in ours:
            out.append(CellComparison(name, -1, (), np.inf, "missing", np.nan, np.nan))
            continue
        arr = ours[name]
        scale = _scale(arr, income)
        scaled = arr / scale if not np.isscalar(scale) else arr / scale
        values, reference, cells = _aligned(scaled, theirs)
        ref_scaled = reference
        if not np.isscalar(scale):
            ref_scaled = (
                reference / _aligned(xr.DataArray(np.asarray(scale), dims=arr.dims, coords=arr.coords), theirs)[0]
            )
        elif scale != 1.0:
            ref_scaled = reference / scale
        diff = np.abs(values - ref_scaled)
        if diff.size == 0:
            out.append(CellComparison(name, 0, tuple(0 for _ in TOLERANCES), 0.0, "", np.nan, np.nan))
            continue
        k = int(np.argmax(diff))
        within = tuple(int((diff <= tol).sum()) for tol in TOLERANCES)
        raw = _aligned(arr, theirs)[0]
        out.append(
            CellComparison(
                name,
                int(diff.size),
                within,
                float(diff[k]),
                "(" + ", ".join(str(c) for c in cells[k]) + ")" if isinstance(cells[k], tuple) else str(cells[k]),
                float(raw[k]),
                float(reference[k]),
            )
        )
    return out


def summary(rows: list[CellComparison]) -> dict:
    """Totals over variables: cells, shares within each tolerance, worst variable and cell."""
    compared = [r for r in rows if r.cells > 0]
    cells = sum(r.cells for r in compared)
    worst = max(compared, key=lambda r: r.worst) if compared else None
    return {
        "variables": len(compared),
        "missing": [r.variable for r in rows if r.cells < 0],
        "cells": cells,
        "share_within": {
            tol: sum(r.within[i] for r in compared) / cells if cells else 1.0 for i, tol in enumerate(TOLERANCES)
        },
        "worst": None if worst is None else (worst.variable, worst.worst_cell, worst.worst, worst.ours, worst.gempack),
    }
