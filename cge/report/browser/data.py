"""What the results browser shows: results files as one Dataset, described as JSON for the page.

The page (``static/view.js``) receives an *index* (every numeric variable with its ``long_name``,
``units``, GTAP name and dims; the labels of every dim, which of them are group subtotals; the
scenarios with their descriptions; the notes line) and, per variable, its values as one flat
list in C order. Nothing here depends on today's variable list: any netCDF whose variables have
``long_name``/``units`` attrs and labelled dims is browsed the same way.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import TypedDict

import numpy as np
import xarray as xr

from cge.dims import SCENARIO
from cge.indicators.groups import Group, add_subtotals, load_groups
from cge.indicators.registry import reference_rule
from cge.report.selection import ReportError, _resummarized, is_sweep, reference_name, source_note

GROUP_FLAG = "{dim}_is_group"
"""Boolean coordinate that :func:`cge.indicators.groups.add_subtotals` puts on an extended dim."""

PERCENT_CHANGE_RULES = ("level", "ratio")
"""Reference rules (``cge/indicators.csv``) under which a percent change from a reference scenario
is defined: of a level, ``100 (x / r - 1)``; of a percent change, the change of the underlying
level ``100 ((1 + x/100) / (1 + r/100) - 1)``. Other variables (changes such as EV, solver
figures, summaries over draws) get differences only."""


def view_dataset(
    datasets: Sequence[xr.Dataset], sources: Sequence[str], groups: list[Group] | None = None
) -> xr.Dataset:
    """The results to browse: one file, or several stacked on ``scenario``, with group subtotals.

    Parameters
    ----------
    datasets : sequence of xarray.Dataset
        Results files read into memory (``cge run``, ``cge compare``, ``cge sweep`` or any netCDF
        with labelled dims); several must each have a ``scenario`` dim.
    sources : sequence of str
        Where each came from (file names), for messages.
    groups : list of Group or None
        Region and commodity groups (default: ``calibration/groups.csv``).

    Returns
    -------
    xarray.Dataset
        Stacked by :func:`cge.report.compare.stack_results` (same database required, one ``baseline``
        kept); group labels appended to the dims they apply to (flagged by ``<dim>_is_group``);
        summaries over draws of a sweep computed again with the groups. A ``subtotal`` dim (results
        split by shock group) stays a dim of its own: its ``total`` is one of its labels.

    Raises
    ------
    ReportError
        When several files are measured against different reference scenarios, or cannot be
        stacked (see :func:`~cge.report.compare.stack_results`).
    """
    if not datasets:
        raise ReportError("no results to view")
    if len(datasets) > 1:
        refs = [str(ds.attrs.get("reference_scenario", "benchmark")) for ds in datasets]
        k = next((k for k, ref in enumerate(refs) if ref != refs[0]), None)
        if k is not None:
            raise ReportError(
                f"{sources[0]} is measured against '{refs[0]}' and {sources[k]} against '{refs[k]}': "
                "rerun them against one reference (cge run --baseline) before viewing them together"
            )
        from cge.report.compare import stack_results  # imports the scenario schema (and the model): only here

        ds = stack_results(datasets, sources)
    else:
        ds = datasets[0]
    ds = add_subtotals(ds, groups if groups is not None else load_groups())
    return _resummarized(ds) if is_sweep(ds) else ds


def _is_numeric(var: xr.DataArray) -> bool:
    return np.issubdtype(var.dtype, np.number) and not np.issubdtype(var.dtype, np.bool_)


def numeric_variables(ds: xr.Dataset) -> list[str]:
    """Names of the variables the browser lists: numbers (not booleans, not text), in file order."""
    return [str(name) for name, var in ds.data_vars.items() if _is_numeric(var)]


def change_rule(name: str, attrs: dict) -> str:
    """How the page forms a percent change from a reference scenario: ``level``, ``ratio`` or ``none``
    (the variable's reference rule, :func:`cge.indicators.registry.reference_rule`)."""
    rule = reference_rule(name, attrs)
    return rule if rule in PERCENT_CHANGE_RULES else "none"


def _labels(ds: xr.Dataset, dim: str) -> list[str]:
    if dim in ds.coords:
        return [str(v) for v in ds[dim].values]
    return [str(k) for k in range(ds.sizes[dim])]


def _descriptions(ds: xr.Dataset, dim: str, groups: list[Group]) -> dict[str, str]:
    """Label -> description: scenario descriptions and closures; group descriptions."""
    out = {g.name: g.description for g in groups if g.description}
    if dim == SCENARIO:
        for name in ("scenario_description", "closure"):
            if name in ds and ds[name].dims == (SCENARIO,):
                for label, text in zip(_labels(ds, dim), map(str, ds[name].values)):
                    if text:
                        out[label] = f"{out[label]}; {text}" if label in out else text
    labels = set(_labels(ds, dim))
    return {label: text for label, text in out.items() if label in labels}


class _DimIndex(TypedDict):
    """What the browser knows of a dim."""

    labels: list[str]
    group: list[bool]
    descriptions: dict[str, str]
    long_name: str


def view_index(ds: xr.Dataset, sources: Sequence[str], groups: list[Group] | None = None) -> dict:
    """The page's description of the results (everything but the values).

    Returns
    -------
    dict
        ``title``, ``sources``, ``notes`` (the report notes line, for cge results only),
        ``scenario_dim`` (``"scenario"`` or None), ``reference`` (default reference scenario),
        ``dims`` (per dim: ``labels``, ``group`` flags, ``descriptions``, ``long_name``) and
        ``variables`` (per variable: ``name``, ``long_name``, ``units``, ``gtap``, ``dims``,
        ``shape``, ``rule``).
    """
    groups = groups if groups is not None else load_groups()
    names = numeric_variables(ds)
    used = list(dict.fromkeys(str(d) for name in names for d in ds[name].dims))
    dims: dict[str, _DimIndex] = {}
    for dim in used:
        labels = _labels(ds, dim)
        flag = GROUP_FLAG.format(dim=dim)
        is_group = [bool(v) for v in ds[flag].values] if flag in ds.coords else [False] * len(labels)
        long_name = str(ds[dim].attrs.get("long_name", "")) if dim in ds.coords else ""
        dims[dim] = {
            "labels": labels,
            "group": is_group,
            "descriptions": _descriptions(ds, dim, groups),
            "long_name": long_name,
        }
    variables = []
    for name in names:
        var = ds[name]
        variables.append(
            {
                "name": name,
                "long_name": str(var.attrs.get("long_name", "")),
                "units": str(var.attrs.get("units", "")),
                "gtap": str(var.attrs.get("gtap", "")),
                "dims": [str(d) for d in var.dims],
                "shape": [int(n) for n in var.shape],
                "rule": change_rule(name, dict(var.attrs)),
            }
        )
    scenario_dim = SCENARIO if SCENARIO in dims else None
    reference = None
    if scenario_dim:
        scenarios = dims[SCENARIO]["labels"]
        wanted = reference_name(ds)
        reference = wanted if wanted in scenarios else scenarios[0]
    is_cge = any(key in ds.attrs for key in ("cge_version", "sam_hash"))
    return {
        "title": "cge view: " + ", ".join(sources),
        "sources": [str(s) for s in sources],
        "notes": source_note(ds) if is_cge else "",
        "scenario_dim": scenario_dim,
        "reference": reference,
        "dims": dims,
        "variables": variables,
    }


def _json_number(x: float | int) -> float | int | str | None:
    """A value as JSON: NaN (missing) as null, infinities as the strings the page reads back."""
    if isinstance(x, float) and not math.isfinite(x):
        return None if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    return x


def variable_values(ds: xr.Dataset, name: str) -> list:
    """The values of ``name`` flattened in C order (the order of its dims) for the page.

    Floats keep every digit (JSON numbers are written with Python's shortest round-trip repr);
    NaN becomes null, +/-inf the strings ``"Infinity"``/``"-Infinity"``.

    Raises
    ------
    KeyError
        When ``name`` is not a numeric variable of ``ds``.
    """
    if name not in ds.data_vars or not _is_numeric(ds[name]):
        raise KeyError(f"no numeric variable {name!r} in the results")
    return [_json_number(x) for x in np.asarray(ds[name].values).ravel().tolist()]


def all_values(ds: xr.Dataset) -> dict[str, list]:
    """Every numeric variable's values (:func:`variable_values`), for a self-contained page."""
    return {name: variable_values(ds, name) for name in numeric_variables(ds)}


def to_json(payload: object) -> str:
    """Compact JSON (no NaN tokens: :func:`variable_values` has replaced them)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
