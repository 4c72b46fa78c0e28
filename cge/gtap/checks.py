"""GTAP's own sanity checks of a database: the accounting identities of the data balance check of
the GTAP v7 TABLO file, non-negative flows and the parameter ranges GTAP asserts.

Each failure is one line: the identity, where (labels), and the gap in US$ million and relative to
the larger side. :func:`check_database` raises :class:`DatabaseError` with every line;
:func:`database_problems` returns them.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from cge.errors import DatabaseError
from cge.gtap import accounts as ac
from cge.gtap import schema as sc
from cge.gtap.database import conform_database, database_error

__all__ = ["DatabaseError", "check_database", "database_problems", "IDENTITIES"]

IDENTITIES = {
    "costs = sales": "activity costs at purchasers' prices (Σc VDFP+VMFP + Σe EVFP) = Σc MAKS",
    "supply = demand": "Σa MAKB = domestic use at basic prices + Σd VXSB + VST (margins)",
    "imports": "Σs VMSB = imports by agent at basic prices (Σa VMFB + VMPB + VMGB + VMIB)",
    "cif = fob + margins": "VCIF = VFOB + Σm VTWR for every flow",
    "margins": "Σr VST = Σ VTWR over commodities and routes, by margin commodity",
    "income = expenditure": "Σ EVFB - VDEP + indirect taxes = private + government expenditure + SAVE",
    "saving = investment": "world Σr SAVE = world Σr (investment at purchasers' prices - VDEP)",
    "output taxes": "MAKB = MAKS + PTAX (when the database has PTAX)",
}
"""Identity name -> what it states (docs/gtap_database.md lists them)."""


def _labels(dims, key) -> str:
    key = key if isinstance(key, tuple) else (key,)
    return ", ".join(f"{d}={k}" for d, k in zip(dims, key))


def gap_lines(identity: str, lhs: xr.DataArray, rhs: xr.DataArray, tol: float) -> list[str]:
    """One line per cell where ``|lhs - rhs| > tol * max(|lhs|, |rhs|, 1 US$ million)``."""
    lhs, rhs = xr.align(lhs, rhs, join="exact")
    gap = lhs - rhs
    scale = np.maximum(np.maximum(np.abs(lhs), np.abs(rhs)), 1.0)
    bad = np.abs(gap) > tol * scale
    if not bool(bad.any()):
        return []
    if gap.ndim == 0:
        return [f"{identity}: gap {float(gap):+.6g} US$ million ({float(gap / scale):+.2e} relative)"]
    table = xr.Dataset({"gap": gap, "rel": gap / scale}).where(bad).to_dataframe().dropna()
    table = table.reindex(table["gap"].abs().sort_values(ascending=False).index)
    return [
        f"{identity} [{_labels(gap.dims, key)}]: gap {row.gap:+.6g} US$ million ({row.rel:+.2e} relative)"
        for key, row in table.iterrows()
    ]


def _identity_lines(ds: xr.Dataset, tol: float) -> list[str]:
    lines = gap_lines("costs = sales", ac.activity_costs(ds), ac.activity_sales(ds), tol)
    lines += gap_lines("supply = demand", ac.commodity_supply(ds), ac.commodity_sales(ds), tol)
    lines += gap_lines("imports", ac.imports_by_source(ds), ac.imports_by_agent(ds), tol)
    lines += gap_lines("cif = fob + margins", ds["VCIF"], ds["VFOB"] + ac.margins_used(ds), tol)
    lines += gap_lines("margins", ds["VST"].sum(sc.REG), ds["VTWR"].sum((sc.COMM, sc.REG, sc.REG_2)), tol)
    lines += gap_lines("income = expenditure", ac.regional_income(ds), ac.regional_expenditure(ds), tol)
    lines += gap_lines("saving = investment", ds["SAVE"].sum(), ac.net_investment(ds).sum(), tol)
    if "PTAX" in ds:
        lines += gap_lines("output taxes", ds["MAKB"], ds["MAKS"] + ds["PTAX"], tol)
    return lines


def _violations(rule: str, values: np.ndarray) -> np.ndarray:
    """Mask of the values outside a range rule of schema.csv (``ge 0``, ``gt 0, le 1``, ``in 0 1``)."""
    bad = np.zeros(values.shape, dtype=bool)
    for part in rule.split(","):
        op, *numbers = part.split()
        bounds = [float(n) for n in numbers]
        if op == "in":
            bad |= ~np.isin(values, bounds)
        else:
            ok = {"ge": np.greater_equal, "gt": np.greater, "le": np.less_equal, "lt": np.less}[op]
            bad |= ~ok(values, bounds[0])
    return bad


def _range_lines(ds: xr.Dataset, tol: float) -> list[str]:
    lines = []
    for name, entry in sc.schema().items():
        if not entry.range or name not in ds:
            continue
        da = ds[name]
        values = np.asarray(da.values, dtype=float)
        if entry.kind == "data":  # flows: a negative value is an error beyond rounding
            bad = values < -tol
        else:
            bad = _violations(entry.range, values)
        lines += _outside(name, entry.range, da, bad, entry.units)
    if "ETRAE" in ds and "ENDS" in ds.coords:  # GTAP asserts ETRAE < 0 on sluggish endowments
        etrae = ds["ETRAE"]
        sluggish = ds["ENDS"].sel({sc.ENDW: etrae[sc.ENDW]})
        bad = ((etrae >= 0) & sluggish).transpose(*etrae.dims).values
        lines += _outside("ETRAE", "lt 0 on sluggish endowments (ENDS)", etrae, bad, "1")
    return lines


def _outside(name: str, rule: str, da: xr.DataArray, bad: np.ndarray, units: str) -> list[str]:
    if not bad.any():
        return []
    if da.ndim == 0:
        return [f"{name} = {float(da):.6g} is outside '{rule}'"]
    series = da.where(xr.DataArray(bad, dims=da.dims, coords=da.coords)).to_series().dropna()
    return [
        f"{name} [{_labels(da.dims, key)}] = {value:.6g} {units} is outside '{rule}'" for key, value in series.items()
    ]


SINGLE_PRECISION_TOL = 1e-4
"""Default tolerance for a database read from HAR files (4-byte reals): GTAP's own aggregated
databases miss the identities by up to about 1.2e-5 of a cell (measured on six GTAP 8-11
aggregations), the rounding of single-precision arithmetic in the programs that wrote them."""
DOUBLE_PRECISION_TOL = 1e-6


def default_tol(ds: xr.Dataset) -> float:
    """1e-6, or 1e-4 for a database whose values were read from single-precision (HAR) files."""
    return SINGLE_PRECISION_TOL if ds.attrs.get("precision") == "float32" else DOUBLE_PRECISION_TOL


def database_problems(ds: xr.Dataset, tol: float | None = None) -> list[str]:
    """Every failing identity, negative flow and out-of-range parameter, one line each.

    Parameters
    ----------
    ds : xarray.Dataset
        A database (any dim order; :func:`cge.gtap.database.conform_database` is applied).
    tol : float, optional
        Relative tolerance: an identity fails where ``|gap| > tol * max(|lhs|, |rhs|, 1)``
        [US$ million]; a flow fails below ``-tol`` US$ million. Default 1e-6, or 1e-4 when
        ``ds.attrs["precision"] == "float32"`` (read from HAR files, see :data:`SINGLE_PRECISION_TOL`).

    Returns
    -------
    list of str
        Empty when the database passes.
    """
    ds = conform_database(ds)
    tol = default_tol(ds) if tol is None else tol
    return _identity_lines(ds, tol) + _range_lines(ds, tol)


def check_database(ds: xr.Dataset, tol: float | None = None) -> xr.Dataset:
    """Check a database; return it (conformed to the schema) or raise with every failure.

    ``tol`` as in :func:`database_problems` (1e-6; 1e-4 for values read from HAR files).

    Raises
    ------
    DatabaseError
        One line per failing identity cell (identity, labels, gap in US$ million and relative),
        negative flow or parameter outside GTAP's range.
    """
    problems = database_problems(ds, tol)
    ds = conform_database(ds)
    if problems:
        where = ds.attrs.get("source_directory", "database")
        raise database_error(f"{where} fails GTAP's checks", problems)
    return ds
