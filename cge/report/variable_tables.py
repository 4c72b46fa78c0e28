"""Tables of any result variable: one variable by scenario (``cge table -v``), and region variables
of one scenario against another (``cge diff A B``)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import xarray as xr

from cge.dims import REGION, SCENARIO
from cge.report.labels import REAL_GDP_FORMAT, number_format, pretty_units, sentence_case
from cge.report.selection import ReportError, require_variables, scenarios, select, source_note


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
        Columns ``<scenario> [units]``; title from the variable's ``long_name`` (its GTAP name in
        brackets when known). Rows where every scenario is empty (no such flow) are dropped.
    """
    require_variables(ds, name)
    da = ds[name]
    if not np.issubdtype(da.dtype, np.number):
        raise ReportError(f"variable {name!r} is not numeric")
    units = pretty_units(da.attrs.get("units"))
    others = [d for d in da.dims if d != SCENARIO]
    if others:
        frame = da.transpose(*others, SCENARIO).to_series().unstack(SCENARIO)
    else:
        frame = da.to_series().to_frame().T
        frame.index = pd.Index([name], name="variable")
    frame = frame[[s for s in scenarios(ds) if s in frame.columns]].dropna(how="all")
    frame.columns = [f"{s} [{units}]" if units else str(s) for s in frame.columns]
    gtap = f" (GTAP {da.attrs['gtap']})" if da.attrs.get("gtap") else ""
    frame.attrs.update(title=f"{sentence_case(str(da.attrs.get('long_name', name)))}{gtap}", variable=name)
    return frame


DIFF_VARIABLES = ("real_gdp_pct", "ev", "utility_pct", "terms_of_trade_pct", "employment_change", "tariff_revenue")
"""Default columns of :func:`diff_table` (those the results hold)."""


def diff_table(
    ds: xr.Dataset, a: str, b: str, variables: Iterable[str] | None = None, regions: Iterable[str] | None = None
) -> pd.DataFrame:
    """Scenario ``b`` against scenario ``a`` by region (``cge diff A B``).

    Percent changes and EV of ``b`` are measured from ``a`` (the indicators' ``reference`` rule);
    levels are ``b - a``. Region groups in ``regions`` add subtotals.

    Returns
    -------
    pandas.DataFrame
        Index region; one column ``<variable> [units]`` per region variable (default
        :data:`DIFF_VARIABLES`); title ``"<b> vs <a>"``; notes with the source line.
    """
    from cge.indicators.compare import difference

    for name in (a, b):
        if name not in scenarios(ds):
            raise ReportError(f"scenario {name!r} is not in the results; scenarios: {', '.join(scenarios(ds))}")
    shown = select(ds, None, [a, b], regions)
    diff = difference(shown, a, b)
    names = list(variables) if variables else [v for v in DIFF_VARIABLES if v in diff]
    missing = [v for v in names if v not in diff]
    if missing:
        raise ReportError(f"results have no numeric variable {missing[0]!r} with a scenario dimension")
    wrong = [v for v in names if diff[v].dims != (REGION,)]
    if wrong:
        raise ReportError(f"{wrong[0]!r} is not by region alone; use `cge table -v {wrong[0]}` for it")
    units = {v: pretty_units(diff[v].attrs.get("units")) for v in names}
    columns = {v: f"{v} [{units[v]}]".replace(" []", "") for v in names}
    frame = pd.DataFrame({columns[v]: diff[v].to_series() for v in names})
    frame.index = pd.Index([str(r) for r in frame.index], name=REGION)
    # every column is a change of B from A: signed; real GDP with its three decimals
    formats = {
        columns[v]: REAL_GDP_FORMAT if v == "real_gdp_pct" else number_format(units[v], signed=True) for v in names
    }
    frame.attrs.update(
        formats=formats,
        title=f"{b} vs {a}",
        notes=f"Percent changes and EV of '{b}' measured from '{a}'; levels as '{b}' minus '{a}'. "
        + source_note(shown, a),
    )
    return frame
