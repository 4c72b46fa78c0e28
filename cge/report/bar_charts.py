"""Bar charts by region and scenario (matplotlib): real GDP, EV, employment, trade-attributed jobs,
the welfare decomposition and agri-food exports by partner.

Labels and units come from the variables' ``long_name``/``units`` attrs
(:func:`cge.report.labels.label_from_attrs`), scenarios are shown by their labels. Charts of
changes leave out the reference scenario (its changes are zero by construction). With more than
:data:`MAX_GROUPED` scenarios, one panel per region instead of grouped bars, each panel with its
own value axis when the regions' magnitudes differ.
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
    category_labels,
    check_categories,
    figure_title,
    labels_of,
    legend_above,
    magnitudes_differ,
    mark_all_zero,
    plain_numbers,
    scenario_colours,
    shared_xlabel,
    shown_scenarios,
    value_label,
)
from cge.report.heatmaps import pair_heatmap
from cge.report.labels import label_from_attrs, pair_label, welfare_component_label, without_noise
from cge.report.scenario_tables import US_REGION, agrifood_exports_table, trade_jobs_by_scenario
from cge.report.selection import ReportError, reference, scenarios

MAX_GROUPED = 6  # more scenarios than this: one panel per region instead of grouped bars
MAX_BARS = 40  # more partner pairs x scenarios than this: agri-food chart as a heat-map
TRADE_PARTNERS = "Mexico and Canada"
"""The partners of the trade-jobs attribution (``us_na_trade_jobs_gross``)."""
TICK_LABEL_WIDTH = 30
"""Scenario labels on a value axis wrap at this many characters."""


def _grouped_bars(
    ax, table: pd.DataFrame, colours: dict, labels: dict, horizontal: bool = False, units: str | None = None
) -> None:
    """Bars of ``table`` (rows = groups on the category axis, columns = scenarios in the legend,
    labelled by ``labels``)."""
    n_groups, n_series = table.shape
    width = min(0.8 / max(n_series, 1), 0.35)
    centres = np.arange(n_groups)
    for k, series in enumerate(table.columns):
        colour = colours[str(series)]
        offset = (k - (n_series - 1) / 2) * width
        values = without_noise(table[series].to_numpy(dtype=float), units)
        label = labels.get(str(series), str(series))
        if horizontal:
            ax.barh(centres + offset, values, height=width, label=label, color=colour)
        else:
            ax.bar(centres + offset, values, width=width, label=label, color=colour)
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
        height = max(3.8, 0.16 * n_groups * max(n_series, 2) + 2.4)
        return plt.subplots(figsize=(PAGE_WIDTH, min(height, PAGE_HEIGHT)), layout="constrained")
    width = min(max(6.0, 0.3 * n_groups * max(n_series, 2) + 2.0), PAGE_WIDTH)
    return plt.subplots(figsize=(width, 5.2), layout="constrained")


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
        Chart title (None = the variable's long name, in sentence case).
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
    if set(da.dims) != {SCENARIO, REGION}:
        raise ReportError(f"{var!r} is not by scenario and region (dims {', '.join(map(str, da.dims))})")
    extra = ""
    if change:
        ref = reference(ds, baseline)
        if ref is None:
            raise ReportError(f"a change in {var!r} needs a '{baseline}' scenario")
        da = da.copy(data=level_change(da, ref[var].broadcast_like(da))).assign_attrs(da.attrs)
        extra = ", change vs baseline"
    shown = shown_scenarios(ds, baseline)
    table = da.sel({SCENARIO: shown}).transpose(REGION, SCENARIO).to_pandas()
    table = table.loc[:, table.notna().any()]
    if table.empty:
        raise ReportError(f"{var!r} has no values for the scenarios and regions asked for")
    title = title or str(da.attrs.get("long_name", var))
    colours = scenario_colours(scenarios(ds), baseline)
    labels = dict(zip(scenarios(ds), labels_of(ds, scenarios(ds))))
    if len(table.columns) > MAX_GROUPED:
        return _region_panels(table, da, extra, title, colours, labels)
    with plt.rc_context(STYLE):
        fig, ax = _bar_figure(*table.shape)
        units = da.attrs.get("units")
        _grouped_bars(ax, table, colours, labels, units=units)
        if mark_all_zero(ax, without_noise(table.to_numpy(), units)):
            ax.set_ylim(-1, 1)
        ax.set_ylabel(label_from_attrs(da, extra, width=45))
        ax.set_xlabel("region")
        if da.attrs.get("units") == "persons":
            ax.yaxis.set_major_formatter(THOUSANDS)
        else:
            plain_numbers(ax.yaxis, table.to_numpy())
        figure_title(fig, title)
        legend_above(ax, table.shape[1])
    return fig


def _region_panels(
    table: pd.DataFrame, da: xr.DataArray, extra: str, title: str, colours: dict, labels: dict
) -> Figure:
    """Many scenarios: one panel per region, scenarios as labelled horizontal bars; one value axis
    for all panels unless their magnitudes differ (:func:`magnitudes_differ`)."""
    regions, names = [str(r) for r in table.index], [str(c) for c in table.columns]
    values = {r: without_noise(table.loc[r].to_numpy(dtype=float), da.attrs.get("units")) for r in regions}
    shared = not magnitudes_differ(list(values.values()))
    everything_zero = not any(np.any(np.nan_to_num(v)) for v in values.values())
    check_categories(len(names))
    ncols = min(len(regions), 3)
    nrows = int(np.ceil(len(regions) / ncols))
    height = min(nrows * (0.2 * len(names) + 1.1) + 1.4, PAGE_HEIGHT)
    persons = da.attrs.get("units") == "persons"
    spacing = ((height - 1.6) / nrows - 0.55) * 72 / len(names)
    tick_labels, font = category_labels([labels.get(n, n) for n in names], spacing, 6.5, TICK_LABEL_WIDTH)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(PAGE_WIDTH, height), squeeze=False, sharex=shared, layout="constrained"
        )
        for k, ax in enumerate(axes.flat):
            if k >= len(regions):
                ax.set_visible(False)
                continue
            y = np.arange(len(names))
            ax.barh(y, values[regions[k]], color=[colours[n] for n in names], height=0.7)
            if not np.any(np.nan_to_num(values[regions[k]])) and (everything_zero or not shared):
                ax.set_xlim(-1, 1)  # the bar labels say 0; no axis scaled to nothing
            ax.set_yticks(y, tick_labels if k % ncols == 0 else [""] * len(names), fontsize=font)
            ax.invert_yaxis()
            ax.axvline(0, color="black", linewidth=0.8)
            ax.grid(axis="x", color="0.85", linewidth=0.6)
            ax.set_axisbelow(True)
            ax.set_title(regions[k], fontsize=10)
            ax.margins(x=0.4)  # room for the value labels
            bar_labels = [value_label(v, da.attrs.get("units")) for v in values[regions[k]]]
            ax.bar_label(ax.containers[0], bar_labels, padding=2, fontsize=5)
            ax.xaxis.set_major_locator(plt.MaxNLocator(3))
            ax.tick_params(axis="x", labelbottom=True, labelsize=7)
            if persons:
                ax.xaxis.set_major_formatter(COMPACT)
            else:
                plain_numbers(ax.xaxis, table.to_numpy())
        shared_xlabel(fig, label_from_attrs(da, extra + ("" if shared else " (each panel its own scale)")))
        figure_title(fig, title)
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
    """US jobs attributed to trade with Mexico and Canada [persons] (the gross input-output
    attribution ``us_na_trade_jobs_gross`` summed over its parts), one horizontal bar per scenario.

    The baseline scenario's figure is drawn as a dashed reference line. The bars are levels of an
    accounting attribution; their differences are not jobs lost or gained (``docs/trade_jobs.md``).
    """
    da = trade_jobs_by_scenario(ds)
    names = scenarios(ds)
    check_categories(len(names))
    values = without_noise([float(da.sel({SCENARIO: s})) for s in names], "persons")
    height = min(0.26 * len(names) + 2.4, PAGE_HEIGHT)
    tick_labels, font = category_labels(labels_of(ds, names), (height - 2.4) * 72 / len(names), 8, 40)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(PAGE_WIDTH, height), layout="constrained")
        colours = scenario_colours(names, baseline)
        ax.barh(range(len(names)), values, color=[colours[n] for n in names], height=0.7)
        ax.set_yticks(range(len(names)), tick_labels, fontsize=font)
        ax.invert_yaxis()
        if baseline in names:
            base = float(da.sel({SCENARIO: baseline}))
            ax.axvline(base, color="black", linestyle="--", linewidth=0.9, label=f"baseline: {base:,.0f}")
            ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), borderaxespad=0.2, frameon=False)
        ax.xaxis.set_major_formatter(COMPACT)
        shared_xlabel(fig, f"US jobs attributed to trade with {TRADE_PARTNERS}, gross attribution [persons]")
        ax.grid(axis="x", color="0.85", linewidth=0.6)
        ax.set_axisbelow(True)
        figure_title(fig, f"US jobs attributed to trade with {TRADE_PARTNERS} (gross)")
    return fig


def plot_welfare(
    ds: xr.Dataset, region: str = US_REGION, baseline: str = BASELINE, regions: Iterable[str] | None = None
) -> Figure:
    """EV by source (``ev_decomposition``) for one region: one stacked horizontal bar per scenario,
    components as segments (positive to the right, negative to the left), EV as a black tick.

    ``region`` is used when it is among ``regions`` (default: the results' regions), else the first
    of them.
    """
    if "ev_decomposition" not in ds:
        raise ReportError("results have no variable 'ev_decomposition'")
    available = [str(r) for r in ds[REGION].values]
    regions = [str(r) for r in regions] if regions is not None else available
    region = region if region in regions else regions[0]
    dec = ds["ev_decomposition"].sel({REGION: region})
    if set(dec.dims) != {SCENARIO, "component"}:
        raise ReportError(
            f"'ev_decomposition' is not by scenario, region and component (dims {', '.join(map(str, dec.dims))})"
        )
    names = [s for s in scenarios(ds) if s != baseline] or scenarios(ds)
    table = dec.sel({SCENARIO: names}).transpose(SCENARIO, "component").to_pandas()
    table = table.apply(without_noise)
    table = table.loc[:, (table != 0).any()]
    if table.empty or table.isna().all().all():
        raise ReportError(f"the welfare decomposition of {region} is empty")
    check_categories(len(names))
    height = min(0.26 * len(names) + 3.2, PAGE_HEIGHT)
    tick_labels, font = category_labels(labels_of(ds, names), (height - 3.4) * 72 / len(names), 8, 40)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(PAGE_WIDTH, height), layout="constrained")
        cmap = plt.get_cmap("tab20")
        right, left = np.zeros(len(names)), np.zeros(len(names))
        y = np.arange(len(names))
        for k, component in enumerate(table.columns):
            values = np.nan_to_num(table[component].to_numpy())
            ax.barh(
                y,
                values,
                left=np.where(values >= 0, right, left),
                height=0.7,
                color=cmap(k % cmap.N),
                label=welfare_component_label(component),
            )
            right += np.clip(values, 0, None)
            left += np.clip(values, None, 0)
        ax.plot(table.sum(axis=1).to_numpy(), y, "k|", markersize=12, markeredgewidth=2, label="EV")
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_yticks(y, tick_labels, fontsize=font)
        ax.invert_yaxis()
        shared_xlabel(fig, label_from_attrs(dec, extra=f", {region}"))
        ax.grid(axis="x", color="0.85", linewidth=0.6)
        ax.set_axisbelow(True)
        legend_above(ax, 4)
        figure_title(fig, f"Welfare decomposition, {region}")
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
        Regions (and region groups of the selection) to include as exporters and importers
        (None = the results' ``region`` labels); pairs with no trade are dropped.
    baseline : str
        Scenario that changes are measured against (must be in the results).
    """
    if regions is None and REGION in ds.dims:
        regions = [str(r) for r in ds[REGION].values]
    table = agrifood_exports_table(ds, regions, baseline)
    if baseline not in scenarios(ds):
        raise ReportError(f"agri-food export changes need a '{baseline}' scenario")
    shown = shown_scenarios(ds, baseline)
    pct = table["change [%]"].unstack(SCENARIO)
    pairs = list(dict.fromkeys((e, i) for e, i, _s in table.index))  # table order (regions as asked for)
    pct = pct.reindex(pd.MultiIndex.from_tuples(pairs))[shown]
    pct.index = [pair_label(e, i) for e, i in pairs]
    pct.columns = labels_of(ds, shown)
    if pct.size > MAX_BARS:
        return pair_heatmap(pct)
    colours = dict(zip(pct.columns, (scenario_colours(scenarios(ds), baseline)[s] for s in shown)))
    with plt.rc_context(STYLE):
        n_groups, n_series = pct.shape
        fig, ax = _bar_figure(n_groups, n_series, horizontal=True)
        _grouped_bars(ax, pct, colours, {}, horizontal=True)
        ax.set_xlabel("agri-food exports, change vs baseline (current fob prices) [%]")
        ax.set_ylabel("exporter \N{RIGHTWARDS ARROW} importer")
        figure_title(fig, "Agri-food exports by partner")
        legend_above(ax, pct.shape[1])
    return fig
