"""Tables of any result variable: one variable by scenario (``cge table -v``), and region variables
of one scenario against another (``cge diff A B``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from cge.dims import REGION, SCENARIO
from cge.indicators.groups import Group, GroupError, check_subtotals, group_rows, has_subtotal
from cge.report.labels import REAL_GDP_FORMAT, column_label, is_change, number_format, pretty_units, sentence_case
from cge.report.scenario_tables import without_zero_reference
from cge.report.selection import ReportError, require_variables, scenario_labels, scenarios, select, source_note


def variable_table(ds: xr.Dataset, name: str) -> pd.DataFrame:
    """One variable by scenario: rows = its other dimensions (region, commodity, ...), columns = scenarios.

    Parameters
    ----------
    ds : xarray.Dataset
        Results (after :func:`~cge.report.selection.select`).
    name : str
        Any variable with a ``scenario`` dimension (an indicator, or a model variable of a
        ``detail="all"`` run such as ``qo_pct`` or ``pm_pct``).

    Returns
    -------
    pandas.DataFrame
        Columns ``<scenario> [units]`` (shown with the scenarios' labels); title from the
        variable's ``long_name`` (its GTAP name in brackets when known). Rows where every scenario
        is empty (no such flow) are dropped; so is the reference scenario's column when it holds
        changes that are all 0 (the notes say so).

    Raises
    ------
    ReportError
        When the variable is missing or not numeric, or has group rows (``--regions ...,USMCA``)
        it cannot be totalled over (an index or a price: :func:`cge.indicators.groups.check_subtotals`).
    """
    require_variables(ds, name)
    da = ds[name]
    if not np.issubdtype(da.dtype, np.number):
        raise ReportError(f"variable {name!r} is not numeric")
    try:
        check_subtotals(ds, [name])
    except GroupError as exc:
        raise ReportError(str(exc)) from None
    units = pretty_units(da.attrs.get("units"))
    others = [d for d in da.dims if d != SCENARIO]
    if others:
        frame = da.transpose(*others, SCENARIO).to_series().unstack(SCENARIO)
    else:
        frame = da.to_series().to_frame().T
        frame.index = pd.Index([name], name="variable")
    frame = frame[[s for s in scenarios(ds) if s in frame.columns]].dropna(how="all")
    columns = {f"{s} [{units}]" if units else str(s): str(s) for s in frame.columns}
    frame.columns = list(columns)
    gtap = f" (GTAP {da.attrs['gtap']})" if da.attrs.get("gtap") else ""
    frame.attrs.update(
        title=f"{sentence_case(str(da.attrs.get('long_name', name)))}{gtap}",
        variable=name,
        changes=list(columns) if is_change(da, name) else [],
        scenario_columns=columns,
        scenario_labels=scenario_labels(ds),
    )
    return without_zero_reference(frame, ds) if is_change(da, name) else frame


DIFF_VARIABLES = ("real_gdp_pct", "ev", "utility_pct", "terms_of_trade_pct", "employment_change", "tariff_revenue")
"""Default columns of :func:`diff_table` (those the results hold)."""


def diff_table(
    ds: xr.Dataset,
    a: str,
    b: str,
    variables: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    groups: Sequence[Group] | None = None,
    names_as_labels: bool = False,
) -> pd.DataFrame:
    """Scenario ``b`` against scenario ``a`` by region (``cge diff A B``).

    Percent changes and EV of ``b`` are measured from ``a`` (the indicators' ``reference`` rule);
    levels are ``b - a``. Region groups in ``regions`` add subtotals.

    Parameters
    ----------
    ds : xarray.Dataset
        Results holding scenarios ``a`` and ``b``.
    a, b : str
        Scenario names: ``b`` is measured from ``a``.
    variables : iterable of str or None
        Region variables (default :data:`DIFF_VARIABLES`, those the results hold).
    regions : iterable of str or None
        Regions shown; groups add subtotals. A variable asked for by name that has no subtotal
        for a group is an error; a default column without one is left empty on the group's row
        (the notes say so).
    groups : sequence of Group or None
        Group registry (None = ``calibration/groups.csv``).
    names_as_labels : bool
        Name the scenarios in the title and notes by their names instead of their labels.

    Returns
    -------
    pandas.DataFrame
        Index region; one column ``<label> [units]`` per variable, labelled as in
        :func:`~cge.report.scenario_tables.headline_table` (:func:`cge.report.labels.column_label`);
        title ``"<label of b> vs <label of a>"``; notes with the source line.
    """
    from cge.indicators.compare import difference

    for name in (a, b):
        if name not in scenarios(ds):
            raise ReportError(f"scenario {name!r} is not in the results; scenarios: {', '.join(scenarios(ds))}")
    shown = select(ds, None, [a, b], regions, groups=groups, names_as_labels=names_as_labels)
    diff = difference(shown, a, b)
    names = list(variables) if variables else [v for v in DIFF_VARIABLES if v in diff]
    missing = [v for v in names if v not in diff]
    if missing:
        raise ReportError(f"results have no numeric variable {missing[0]!r} with a scenario dimension")
    wrong = [v for v in names if diff[v].dims != (REGION,)]
    if wrong:
        raise ReportError(f"{wrong[0]!r} is not by region alone; use `cge table -v {wrong[0]}` for it")
    notes = []
    if variables:
        try:
            check_subtotals(shown, names)
        except GroupError as exc:
            raise ReportError(str(exc)) from None
    elif group_rows(shown, REGION):
        empty = [column_label(shown[v], v) for v in names if not has_subtotal(shown, v)]
        if empty:
            rows = ", ".join(group_rows(shown, REGION))
            notes.append(f"{', '.join(empty)}: no subtotal for {rows} (not additive), left empty.")
    units = {v: pretty_units(diff[v].attrs.get("units")) for v in names}
    columns = {v: column_label(shown[v], v) if v in shown else column_label(diff[v], v) for v in names}
    frame = pd.DataFrame({columns[v]: diff[v].to_series() for v in names})
    frame.index = pd.Index([str(r) for r in frame.index], name=REGION)
    # every column is a change of B from A: signed; real GDP with its three decimals
    formats = {
        columns[v]: REAL_GDP_FORMAT if v == "real_gdp_pct" else number_format(units[v], signed=True) for v in names
    }
    labels = scenario_labels(shown)
    la, lb = labels.get(a, a), labels.get(b, b)
    frame.attrs.update(
        formats=formats,
        changes=list(columns.values()),
        title=f"{lb} vs {la}",
        notes=" ".join(
            [f"Percent changes and EV of '{lb}' measured from '{la}'; levels as '{lb}' minus '{la}'.", *notes]
        )
        + " "
        + source_note(shown, a),
    )
    return frame
