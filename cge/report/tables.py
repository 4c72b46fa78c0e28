"""Report tables from a results Dataset: :func:`report_tables` builds every table the results
support, each with its notes/source line (writers in :mod:`cge.report.writers`).

The table functions live in :mod:`cge.report.scenario_tables` (the standard tables),
:mod:`cge.report.variable_tables` (any variable; ``cge diff``) and :mod:`cge.report.sweep_summary`
(sensitivity analyses); this module gathers them. Every table function is pure: results
``xarray.Dataset`` in, ``pandas.DataFrame`` out; nothing is re-solved. Column names carry their
units in brackets (``"EV [US$ bn]"``), which the writers use to format numbers. Changes are
relative to the reference scenario (``baseline`` by default; see
:func:`cge.report.selection.select`). Each table's ``attrs`` hold its ``title`` and ``notes``
(the source line printed under it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence

import pandas as pd
import xarray as xr

from cge.dims import BASELINE, SCENARIO
from cge.indicators.groups import Group
from cge.report.scenario_tables import (
    JOBS,
    TITLES,
    US_REGION,
    agrifood_exports_table,
    default_jobs_region,
    headline_table,
    jobs_by_sector_table,
    trade_by_partner_table,
    trade_jobs_region,
    trade_jobs_table,
    welfare_table,
)
from cge.report.selection import ReportError, check_regions, is_sweep, reference, scenarios, select, source_note
from cge.report.sweep_summary import SWEEP_INDICATORS, sweep_table, sweep_tables
from cge.report.variable_tables import DIFF_VARIABLES, diff_table, variable_table

__all__ = [
    "BASELINE",
    "DIFF_VARIABLES",
    "JOBS",
    "NOTES",
    "SWEEP_INDICATORS",
    "TITLES",
    "US_REGION",
    "ReportError",
    "agrifood_exports_table",
    "default_jobs_region",
    "diff_table",
    "headline_table",
    "jobs_by_sector_table",
    "reference",
    "report_tables",
    "scenarios",
    "sweep_table",
    "sweep_tables",
    "trade_by_partner_table",
    "trade_jobs_region",
    "trade_jobs_table",
    "variable_table",
    "welfare_table",
]

log = logging.getLogger(__name__)


def report_tables(
    ds: xr.Dataset,
    region: str | None = None,
    regions: Iterable[str] | None = None,
    baseline: str | None = None,
    names: Iterable[str] | None = None,
    scenarios: Iterable[str] | None = None,
    variables: Iterable[str] | None = None,
    commodities: Iterable[str] | None = None,
    groups: Sequence[Group] | None = None,
    names_as_labels: bool = False,
    subtotals: bool = False,
) -> dict[str, pd.DataFrame]:
    """All report tables the results support, by name (see :data:`TITLES`), each with its notes line.

    Tables whose inputs are missing (no employment satellite, no agri-food sectors, no
    trade-jobs attribution) are left out with an INFO log message, unless asked for by name.
    Results of a sensitivity analysis (``cge sweep --ssa``) give the sweep tables instead
    (:func:`sweep_tables`: mean, std and 90 % interval).

    Parameters
    ----------
    ds : xarray.Dataset
        Results.
    region : str or None
        Region of the jobs-by-sector table (None = ``"USA"`` if present, else the first region).
    regions : iterable of str or None
        Regions shown, in this order (None = all); region groups (``USMCA``, ``world``, user
        groups) add subtotals.
    baseline : str or None
        Reference scenario for every change (None = ``baseline`` if the results have it).
    names : iterable of str or None
        Tables to build (None = all available); unknown or unavailable names raise.
    scenarios : iterable of str or None
        Scenarios shown, in this order (the reference is kept); None = all.
    variables : iterable of str or None
        Instead of the named tables: one :func:`variable_table` per variable.
    commodities : iterable of str or None
        Commodities (activities) shown in variable tables, in this order; commodity groups
        (``goods``, ``services``, ``agri-food``, user groups) add subtotals.
    groups : sequence of Group or None
        The group registry (:func:`cge.indicators.groups.load_groups`, e.g. with a user's
        ``--groups FILE``); None = ``calibration/groups.csv``.
    names_as_labels : bool
        Show scenario names instead of their labels (``label``, else ``description``).
    subtotals : bool
        Rows by shock group after each scenario (results of ``cge run --subtotals``).

    Returns
    -------
    dict of str to pandas.DataFrame
        Tables in :data:`TITLES` order (or the variables' order).

    Raises
    ------
    ReportError
        For unknown table names, variables, scenarios or regions, or a requested table the results
        cannot support.
    """
    regions = list(regions) if regions is not None else None
    shown = select(ds, baseline, scenarios, regions, commodities, groups, names_as_labels, subtotals)
    ref = baseline or BASELINE
    note = source_note(shown, baseline)
    if is_sweep(ds):
        if variables:
            out = {n: sweep_table(shown, n) if f"{n}_mean" in shown else variable_table(shown, n) for n in variables}
        else:
            out = sweep_tables(shown)
        if not out:
            raise ReportError("sweep results have no summary indicators (<name>_mean)")
        return _with_notes(out, note)
    if variables:
        return _with_notes({name: variable_table(shown, name) for name in variables}, note)
    builders: dict[str, Callable[[], pd.DataFrame]] = {
        "headline": lambda: headline_table(shown, ref),
        "trade_jobs": lambda: trade_jobs_table(shown, ref),
        "welfare": lambda: welfare_table(shown, region),
        "jobs_by_sector": lambda: jobs_by_sector_table(shown, region, ref),
        "agrifood_exports": lambda: agrifood_exports_table(shown, regions, ref),
        "trade_by_partner": lambda: trade_by_partner_table(shown, regions, ref),
    }
    wanted = list(names) if names else None
    if wanted:
        unknown = [n for n in wanted if n not in builders]
        if unknown:
            raise ReportError(f"unknown table {unknown[0]!r}; tables: {', '.join(builders)}")
    if "real_gdp_pct" not in ds or SCENARIO not in ds.dims:
        raise ReportError("not a cge results file: no 'real_gdp_pct' variable with a 'scenario' dimension")
    if region is not None:
        check_regions(ds, [region])
    out = {}
    for name, build in builders.items():
        if wanted and name not in wanted:
            continue
        try:
            out[name] = build()
        except ReportError as exc:
            if wanted:
                raise
            log.info("table %s left out: %s", name, exc)
    return _with_notes(out, note)


def _with_notes(tables: dict[str, pd.DataFrame], note: str) -> dict[str, pd.DataFrame]:
    """Each table's notes: the source line, then the table's standard note (:data:`NOTES`) and its own."""
    for name, table in tables.items():
        parts = [note, NOTES.get(name, ""), str(table.attrs.get("notes", ""))]
        table.attrs["notes"] = " ".join(p for p in parts if p)
    return tables


NOTES = {
    "headline": "Employment change counts every person employed (net change vs the reference).",
}
