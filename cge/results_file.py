"""Results files read back (``cge compare``, ``diff``, ``table``, ``plot``): format version and form.

Every results Dataset carries the attr ``format_version`` (:data:`RESULTS_FORMAT`, written with
the provenance attrs). A file is read only when it is a results file of this format, and every
variable the indicator table (``cge/indicators.csv``) or the model's metadata table
(``cge/model/metadata.csv``, for ``detail="all"`` variables) declares is put in the declared axis
order (``draw`` first in a sweep), as a SAM is (:func:`cge.sam.conform_sam`): code downstream may
rely on it, and a file whose arrays were transposed by another tool reads the same.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
import xarray as xr

from cge import __version__
from cge.dims import DRAW, SCENARIO
from cge.errors import ResultsFileError
from cge.ncio import read_netcdf

RESULTS_FORMAT = 2
"""Version of the results file format, raised whenever variables, dims or their meaning change.
2: files that carry the attr; files without it (format 1) were written before it existed (cge 0.2.0
and earlier, e.g. with the old employment definitions)."""
FORMAT_ATTR = "format_version"
_METADATA = Path(__file__).resolve().parent / "model" / "metadata.csv"
_SUMMARY_SUFFIXES = ("_mean", "_std", "_p05", "_p95")


@cache
def _declared() -> dict[str, tuple[str, ...]]:
    """Variable name -> its dims as declared (indicators with ``scenario``; model components without)."""
    from cge.indicators.registry import indicator_table

    dims = {name: tuple(str(d).split()) for name, d in indicator_table()["dims"].items()}
    model = pd.read_csv(_METADATA, keep_default_na=False).set_index("name")["dims"]
    for name, d in model.items():
        dims.setdefault(str(name), (SCENARIO, *str(d).split()))
    return dims


def declared_dims(name: str) -> tuple[str, ...] | None:
    """The axis order of a results variable (without ``draw``), or None when it is not declared.

    Indicators as in ``cge/indicators.csv``; model components (``qo``, ``qo_pct``) as in the
    model's metadata table after ``scenario``; sweep summaries (``<name>_mean`` ...) as ``<name>``.
    """
    table = _declared()
    if name in table:
        return table[name]
    for suffix in ("_pct", *_SUMMARY_SUFFIXES):
        if name.endswith(suffix) and name[: -len(suffix)] in table:
            return table[name[: -len(suffix)]]
    return None


def format_version(ds: xr.Dataset) -> int | None:
    """The ``format_version`` attr of a results Dataset (None when absent or not a whole number)."""
    value = ds.attrs.get(FORMAT_ATTR)
    try:
        return int(value) if value is not None and float(value) == int(value) else None
    except (TypeError, ValueError):
        return None


def _format_problem(ds: xr.Dataset, source: str) -> str | None:
    found = format_version(ds)
    if found == RESULTS_FORMAT:
        return None
    writer = f"cge {ds.attrs['cge_version']}" if "cge_version" in ds.attrs else "an unknown program"
    commit = str(ds.attrs.get("git_commit", ""))
    writer += f" (commit {commit[:10]})" if len(commit) >= 10 and " " not in commit else ""
    ours = f"this cge ({__version__}) reads results format {RESULTS_FORMAT}"
    if found is None:
        return (
            f"{source}: written by {writer} before results files had a format version (format 1); {ours}: "
            "re-create it by running its scenarios again (their definitions are in its 'scenario_definition' "
            "variable), or read it with the cge version that wrote it"
        )
    if found > RESULTS_FORMAT:
        return f"{source}: results format {found} (written by {writer}); {ours}: upgrade cge to read it"
    return (
        f"{source}: results format {found} (written by {writer}); {ours}: re-create it by running its scenarios "
        "again, or read it with the cge version that wrote it"
    )


def check_results(ds: xr.Dataset, source: str) -> xr.Dataset:
    """A results Dataset checked and in the declared axis order.

    Parameters
    ----------
    ds : xarray.Dataset
        As read from a file.
    source : str
        Where it came from (file name), for messages.

    Returns
    -------
    xarray.Dataset
        The same results with every declared variable transposed to its declared order.

    Raises
    ------
    ResultsFileError
        One line naming ``source``: not a cge results file (a SAM, another tool's netCDF), another
        results format (both versions and what to do), or a variable whose dims are not the
        declared ones.
    """
    if SCENARIO not in ds.dims:
        if "vdfm" in ds and "savings" in ds:
            raise ResultsFileError(f"{source} is a SAM, not a cge results file; solve it with `cge run --sam {source}`")
        held = ", ".join(list(map(str, ds.data_vars))[:5]) or "no variables"
        raise ResultsFileError(
            f"{source} is not a cge results file: it has no '{SCENARIO}' dimension (it holds {held})"
        )
    problem = _format_problem(ds, source)
    if problem:
        raise ResultsFileError(problem)
    ordered = {}
    for name, var in ds.data_vars.items():
        declared = declared_dims(str(name))
        if declared is None:
            continue
        expected = ((DRAW,) if DRAW in var.dims else ()) + declared
        if var.dims == expected:
            continue
        if sorted(var.dims) != sorted(expected):
            raise ResultsFileError(f"{source}: variable '{name}' has dims {var.dims}, expected {expected}")
        ordered[name] = var.transpose(*expected)
    return ds.assign(ordered) if ordered else ds


def read_results(path: str | Path) -> xr.Dataset:
    """Read a results file into memory and check it (:func:`check_results`).

    Raises
    ------
    FileNotFoundError
        When nothing exists at ``path``.
    ResultsFileError
        For a file that cannot be read, is not a results file of this format, or has variables
        with other dims than declared; one line naming the file.
    """
    return check_results(read_netcdf(path, "results", ResultsFileError), str(path))
