"""Bar charts by region and scenario (matplotlib): real GDP, EV, employment, trade-supported jobs,
the welfare decomposition and agri-food exports by partner.

Labels and units come from the variables' ``long_name``/``units`` attrs
(:func:`cge.report.labels.label_from_attrs`). Charts of changes leave out the reference scenario
(its changes are zero by construction). With more than :data:`MAX_GROUPED` scenarios, one panel
per region on a shared value axis instead of grouped bars.
"""

from __future__ import annotations

from collections.abc import Iterable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from cge.dims import BASELINE, REGION, SCENARIO
from cge.indicators.compare import level_change
from cge.report.figure_style import (
    COMPACT,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    STYLE,
    THOUSANDS,
    label_bottom_axes,
    scenario_colours,
    scenario_legend,
    shown_scenarios,
    value_label,
)
from cge.report.heatmaps import pair_heatmap
from cge.report.labels import label_from_attrs, pair_label
from cge.report.scenario_tables import US_REGION, agrifood_exports_table
from cge.report.selection import ReportError, reference, scenarios

MAX_GROUPED = 6  # more scenarios than this: one panel per region instead of grouped bars
MAX_BARS = 40  # more partner pairs x scenarios than this: agri-food chart as a heat-map


def _grouped_bars(ax, table: pd.DataFrame, colours: dict, horizontal: bool = False) -> None:
    """Bars of ``table`` (rows = groups on the category axis, columns = scenarios in the legend)."""
    n_groups, n_series = table.shape
    width = min(0.8 / max(n_series, 1), 0.35)
    centres = np.arange(n_groups)
    for k, series in enumerate(table.columns):
        colour = colours[str(series)]
        offset = (k - (n_series - 1) / 2) * width
        values = table[series].to_numpy(dtype=float)
        if horizontal:
            ax.barh(centres + offset, values, height=width, label=str(series), color=colour)
        else:
            ax.bar(centres + offset, values, width=width, label=str(series), color=colour)
    if horizontal:
        ax.set_yticks(centres, [str(i) for i in table.index])
        ax.invert_yaxis()
        ax.axvline(0, color="black", linewidth=0.8)
        ax.grid(axis="x", color="0.85", linewidth=0.6)
    else:
        ax.set_xticks(centres, [str(i) for i in table.index])
        ax.axhline(0, color="black", linewidth=0.8)
        ax.grid(axis="y", color="0.85", linewidth=0.6)
    ax.set_axisbelow(True)


def _bar_figure(n_groups: int, n_series: int, horizontal: bool = False) -> tuple[Figure, plt.Axes]:
    if horizontal:
        height = max(3.5, 0.16 * n_groups * max(n_series, 2) + 1.8)
        return plt.subplots(figsize=(PAGE_WIDTH, min(height, PAGE_HEIGHT)), layout="constrained")
    width = min(max(6.0, 0.3 * n_groups * max(n_series, 2) + 2.0), PAGE_WIDTH)
    return plt.subplots(figsize=(width, 4.8), layout="constrained")


def plot_region_bars(
    ds: xr.Dataset, var: str, title: str | None = None, baseline: str = BASELINE, change: bool = False
) -> Figure:
    """Grouped bar chart of a region variable: regions on the x axis, one bar per scenario.

    Parameters
    ----------
    ds : xarray.Dataset
        Results with ``var`` by scenario and region.
    var : str
        Variable name, e.g. ``"real_gdp_pct"`` [percent] or ``"ev"`` [US$ bn].
    title : str or None
        Chart title (None = the variable's long name).
    baseline : str
        Scenario left out of the chart (and, with ``change``, subtracted from the others).
    change : bool
        Plot the difference from the baseline scenario (same units as ``var``).

    Returns
    -------
    matplotlib.figure.Figure
        The chart.
    """
    if var not in ds:
        raise ReportError(f"results have no variable {var!r}")
    da = ds[var]
    extra = ""
    if change:
        ref = reference(ds, baseline)
        if ref is None:
            raise ReportError(f"a change in {var!r} needs a '{baseline}' scenario")
        da = da.copy(data=level_change(da, ref[var].broadcast_like(da))).assign_attrs(da.attrs)
        extra = ", change vs baseline"
    shown = shown_scenarios(ds, baseline)
    table = da.sel({SCENARIO: shown}).transpose(REGION, SCENARIO).to_pandas()
    title = title or str(da.attrs.get("long_name", var)).capitalize()
    if len(shown) > MAX_GROUPED:
        return _region_panels(table, da, extra, title, scenario_colours(scenarios(ds), baseline))
    with plt.rc_context(STYLE):
        fig, ax = _bar_figure(*table.shape)
        _grouped_bars(ax, table, scenario_colours(scenarios(ds), baseline))
        ax.set_ylabel(label_from_attrs(da, extra, width=45))
        ax.set_xlabel("region")
        if da.attrs.get("units") == "persons":
            ax.yaxis.set_major_formatter(THOUSANDS)
        ax.set_title(title)
        scenario_legend(fig, ax, table.shape[1])
    return fig


def _region_panels(table: pd.DataFrame, da: xr.DataArray, extra: str, title: str, colours: dict) -> Figure:
    """Many scenarios: one panel per region, scenarios as labelled horizontal bars on one shared scale."""
    regions, names = [str(r) for r in table.index], [str(c) for c in table.columns]
    ncols = min(len(regions), 3)
    nrows = int(np.ceil(len(regions) / ncols))
    height = min(nrows * (0.2 * len(names) + 1.0) + 1.0, PAGE_HEIGHT)
    persons = da.attrs.get("units") == "persons"
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(PAGE_WIDTH, height), squeeze=False, sharex=True, layout="constrained"
        )
        for k, ax in enumerate(axes.flat):
            if k >= len(regions):
                ax.set_visible(False)
                continue
            values = table.loc[table.index[k]].to_numpy(dtype=float)
            y = np.arange(len(names))
            ax.barh(y, values, color=[colours[n] for n in names], height=0.7)
            ax.set_yticks(y, names if k % ncols == 0 else [""] * len(names), fontsize=6.5)
            ax.invert_yaxis()
            ax.axvline(0, color="black", linewidth=0.8)
            ax.grid(axis="x", color="0.85", linewidth=0.6)
            ax.set_axisbelow(True)
            ax.set_title(regions[k], fontsize=10)
            ax.margins(x=0.35)  # room for the value labels
            labels = [value_label(v, da.attrs.get("units")) for v in values]
            ax.bar_label(ax.containers[0], labels, padding=2, fontsize=5.5)
            ax.xaxis.set_major_locator(plt.MaxNLocator(4))
            if persons:
                ax.xaxis.set_major_formatter(COMPACT)
        label_bottom_axes(axes, len(regions), label_from_attrs(da, extra, width=32))
        fig.suptitle(title, fontweight="bold")
    return fig


def plot_gdp(ds: xr.Dataset, baseline: str = BASELINE) -> Figure:
    """Real GDP change [%] by region and scenario (grouped bars)."""
    return plot_region_bars(ds, "real_gdp_pct", "Real GDP change by region and scenario", baseline)


def plot_ev(ds: xr.Dataset, baseline: str = BASELINE) -> Figure:
    """Equivalent variation [US$ bn] by region and scenario (grouped bars)."""
    return plot_region_bars(ds, "ev", "Welfare: equivalent variation by region and scenario", baseline)


def plot_jobs(ds: xr.Dataset, baseline: str = BASELINE) -> Figure:
    """Change in total employment [persons] vs the reference, by region and scenario (grouped bars)."""
    if "employment_change" in ds:  # re-based on the reference by the indicator layer
        return plot_region_bars(ds, "employment_change", "Employment change by region and scenario", baseline)
    return plot_region_bars(ds, "employment_total", "Employment change by region and scenario", baseline, change=True)


def plot_trade_jobs(ds: xr.Dataset, baseline: str = BASELINE) -> Figure:
    """US jobs supported by trade with Mexico and Canada [persons], one horizontal bar per scenario.

    The baseline scenario's figure is drawn as a dashed reference line.
    """
    if "us_na_trade_jobs_model" not in ds:
        raise ReportError("results have no variable 'us_na_trade_jobs_model'")
    da = ds["us_na_trade_jobs_model"]
    names = scenarios(ds)
    values = [float(da.sel({SCENARIO: s})) for s in names]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(PAGE_WIDTH, min(0.28 * len(names) + 1.8, PAGE_HEIGHT)), layout="constrained")
        colours = scenario_colours(names, baseline)
        ax.barh(range(len(names)), values, color=[colours[n] for n in names], height=0.7)
        ax.set_yticks(range(len(names)), names)
        ax.invert_yaxis()
        if baseline in names:
            base = float(da.sel({SCENARIO: baseline}))
            ax.axvline(base, color="black", linestyle="--", linewidth=0.9)
            ax.annotate(
                f"baseline: {base:,.0f}",
                (base, -0.6),
                ha="right",
                va="bottom",
                fontsize=8,
                xytext=(-3, 0),
                textcoords="offset points",
            )
        ax.xaxis.set_major_formatter(COMPACT)
        ax.set_xlabel(label_from_attrs(da, width=70))
        ax.grid(axis="x", color="0.85", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_title("US jobs supported by trade with Mexico and Canada")
    return fig


def plot_welfare(ds: xr.Dataset, region: str = US_REGION, baseline: str = BASELINE) -> Figure:
    """EV by source (``ev_decomposition``) for one region: one stacked horizontal bar per scenario,
    components as segments (positive to the right, negative to the left), EV as a black tick."""
    if "ev_decomposition" not in ds:
        raise ReportError("results have no variable 'ev_decomposition'")
    regions = [str(r) for r in ds[REGION].values]
    region = region if region in regions else regions[0]
    dec = ds["ev_decomposition"].sel({REGION: region})
    names = [s for s in scenarios(ds) if s != baseline] or scenarios(ds)
    table = dec.sel({SCENARIO: names}).transpose(SCENARIO, "component").to_pandas()
    table = table.loc[:, (table.abs() > 1e-9 * max(1.0, float(table.abs().max().max()))).any()]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(PAGE_WIDTH, min(0.28 * len(names) + 2.2, PAGE_HEIGHT)), layout="constrained")
        cmap = plt.get_cmap("tab20")
        right, left = np.zeros(len(names)), np.zeros(len(names))
        y = np.arange(len(names))
        for k, component in enumerate(table.columns):
            values = table[component].to_numpy()
            ax.barh(
                y,
                values,
                left=np.where(values >= 0, right, left),
                height=0.7,
                color=cmap(k % cmap.N),
                label=str(component).replace("_", " "),
            )
            right += np.clip(values, 0, None)
            left += np.clip(values, None, 0)
        ax.plot(table.sum(axis=1).to_numpy(), y, "k|", markersize=12, markeredgewidth=2, label="EV")
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.set_xlabel(label_from_attrs(dec, extra=f", {region}", width=80))
        ax.grid(axis="x", color="0.85", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=4)
        ax.set_title(f"Welfare decomposition, {region}")
    return fig


def plot_agrifood_exports(ds: xr.Dataset, regions: Iterable[str] | None = None, baseline: str = BASELINE) -> Figure:
    """Change in agri-food exports [%] vs the baseline by exporter -> importer pair.

    Horizontal grouped bars; with more than :data:`MAX_BARS` pair × scenario values, an annotated
    heat-map (pairs × scenarios) instead.

    Parameters
    ----------
    ds : xarray.Dataset
        Results with ``agrifood_exports`` (or ``exports`` and an ``agrifood`` coordinate).
    regions : iterable of str or None
        Regions to include as exporters and importers (None = all); pairs with no trade are dropped.
    baseline : str
        Scenario that changes are measured against (must be in the results).
    """
    table = agrifood_exports_table(ds, regions, baseline)
    if baseline not in scenarios(ds):
        raise ReportError(f"agri-food export changes need a '{baseline}' scenario")
    shown = shown_scenarios(ds, baseline)
    pct = table["change [%]"].unstack(SCENARIO)
    pairs = list(dict.fromkeys((e, i) for e, i, _s in table.index))  # table order (regions as in the results)
    pct = pct.reindex(pd.MultiIndex.from_tuples(pairs))[shown]
    pct.index = [pair_label(e, i) for e, i in pairs]
    if pct.size > MAX_BARS:
        return pair_heatmap(pct)
    with plt.rc_context(STYLE):
        n_groups, n_series = pct.shape
        fig, ax = _bar_figure(n_groups, n_series, horizontal=True)
        _grouped_bars(ax, pct, scenario_colours(scenarios(ds), baseline), horizontal=True)
        ax.set_xlabel("agri-food exports, change vs baseline (current fob prices) [%]")
        ax.set_ylabel("exporter \N{RIGHTWARDS ARROW} importer")
        ax.set_title("Agri-food exports by partner")
        scenario_legend(fig, ax, pct.shape[1])
    return fig
