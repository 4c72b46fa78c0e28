"""Results files read back (``cge compare``, ``diff``, ``table``, ``plot``): format version and form.

Every results Dataset carries the attr ``format_version`` (:data:`RESULTS_FORMAT`, written with
the provenance attrs). A file is read only when it is a results file of this format, and every
variable the indicator table (``cge/indicators.csv``) or GTAP v7's variable table
(``cge/gtap/model/variables.csv``, for ``detail="all"`` variables) declares is put in the declared axis
order (``draw`` first in a sweep), as a SAM is (:func:`cge.sam.conform_sam`): code downstream may
rely on it, and a file whose arrays were transposed by another tool reads the same.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import xarray as xr

from cge import __version__
from cge.dims import DRAW, SCENARIO, SUBTOTAL
from cge.errors import ResultsFileError
from cge.ncio import read_netcdf

RESULTS_FORMAT = 2
"""Version of the results file format, raised whenever variables, dims or their meaning change.
2: files that carry the attr; files without it (format 1) were written before it existed (cge 0.2.0
and earlier, e.g. with the old employment definitions)."""
FORMAT_ATTR = "format_version"
GTAP_MODEL = "GTAP v7"
"""The ``model`` attr of a solution of :func:`cge.gtap.solve` (GEMPACK names on GTAP sets)."""
_SUMMARY_SUFFIXES = ("_mean", "_std", "_p05", "_p95")


def _gtap_sets() -> frozenset[str]:
    """GTAP's set names as results dims (:data:`cge.indicators.gtap.labels.CHECKED_SETS`)."""
    from cge.indicators.gtap.labels import CHECKED_SETS

    return frozenset(CHECKED_SETS)


def _gtap_declared(name: str, on_gtap_sets: bool) -> tuple[str, ...] | None:
    """The dims of a GEMPACK variable (``cge/gtap/model/variables.csv``) after ``scenario``: GTAP's
    sets in a solution of :func:`cge.gtap.solve`, result dims in a run's results."""
    from cge.gtap.model.variables import variable_table
    from cge.indicators.gtap.labels import result_dim_names

    spec = variable_table().get(name)
    if spec is None:
        return None
    return (SCENARIO, *(spec.dims if on_gtap_sets else result_dim_names(spec.dims)))


def is_gtap_results(ds: xr.Dataset) -> bool:
    """Whether ``ds`` holds GTAP v7 results: the ``model`` attr, or a variable on GTAP's sets."""
    if str(ds.attrs.get("model", "")) == GTAP_MODEL:
        return True
    return any(_gtap_sets().intersection(map(str, var.dims)) for var in ds.data_vars.values())


@cache
def _declared() -> dict[str, tuple[str, ...]]:
    """Variable name -> its dims as declared in the indicator table (with ``scenario``)."""
    from cge.indicators.registry import indicator_table

    return {name: tuple(str(d).split()) for name, d in indicator_table()["dims"].items()}


def declared_dims(name: str) -> tuple[str, ...] | None:
    """The axis order of a results variable (without ``draw``), or None when it is not declared.

    Indicators as in ``cge/indicators.csv`` (``<name>_pct`` as ``<name>``); sweep summaries
    (``<name>_mean`` ...) as ``<name>``.
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
    gtap_solution = is_gtap_results(ds)
    if SCENARIO not in ds.dims and gtap_solution and _format_problem(ds, source) is None:
        # one GEMPACK-style solution (`cge gtap run`): one scenario, named after the file
        return ds.expand_dims({SCENARIO: [Path(source).stem]})
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
        # GEMPACK's names on GTAP's sets are declared in cge/gtap/model/variables.csv
        on_gtap_sets = bool(_gtap_sets().intersection(map(str, var.dims)))
        gtap = _gtap_declared(str(name), on_gtap_sets) if gtap_solution else None
        declared = gtap if gtap is not None else declared_dims(str(name))
        if declared is None:
            continue
        expected = ((DRAW,) if DRAW in var.dims else ()) + declared + ((SUBTOTAL,) if SUBTOTAL in var.dims else ())
        if var.dims == expected:
            continue
        if sorted(map(str, var.dims)) != sorted(expected):
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
