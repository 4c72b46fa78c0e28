"""Report charts (matplotlib, Agg backend, 150 dpi PNG) from a results Dataset.

Labels and units come from the variables' ``long_name``/``units`` attrs
(:func:`cge.report.labels.label_from_attrs`). Charts of changes leave out the reference scenario
(its changes are zero by construction). Every figure fits a page (at most :data:`PAGE_WIDTH` x
:data:`PAGE_HEIGHT` inches), carries the notes/source line at its foot, gives each scenario its
own colour and shares the value axis wherever panels compare magnitudes.
"""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.colors import TwoSlopeNorm  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from cge.atomic import atomic_write  # noqa: E402
from cge.dims import COMMODITY, REGION, SCENARIO  # noqa: E402
from cge.indicators.compare import level_change  # noqa: E402
from cge.report.labels import label_from_attrs, pair_label  # noqa: E402
from cge.report.selection import is_sweep, select, source_note  # noqa: E402
from cge.report.tables import BASELINE, US_REGION, ReportError, reference, scenarios  # noqa: E402

log = logging.getLogger(__name__)

DPI = 150
PAGE_WIDTH = 7.0
"""Largest figure width [inches] (a page's text width): 1050 px at :data:`DPI`."""
PAGE_HEIGHT = 9.0
"""Largest figure height [inches]: 1350 px at :data:`DPI`."""
NOTE_FONTSIZE = 6.5
MAX_GROUPED = 6  # more scenarios than this: one panel per region instead of grouped bars
MAX_BARS = 40  # more partner pairs x scenarios than this: agri-food chart as a heat-map
STYLE = {
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
}
_THOUSANDS = FuncFormatter(lambda x, _pos: f"{x:,.0f}")


def compact_persons(value: float, sign: bool = False) -> str:
    """Persons in a short form: ``1,336``, ``354k``, ``1.56M`` (``+`` shown when ``sign``)."""
    s = "+" if sign else ""
    if abs(value) >= 1e6:
        return format(value / 1e6, f"{s}.2f") + "M"
    if abs(value) >= 1e4:
        return format(value / 1e3, f"{s},.0f") + "k"
    return format(value, f"{s},.0f") if round(value) != 0 else "0"


_COMPACT = FuncFormatter(lambda x, _pos: compact_persons(x))


def _shown_scenarios(ds: xr.Dataset, baseline: str = BASELINE) -> list[str]:
    """Scenarios to chart as changes: every one but the baseline (all if that leaves none)."""
    names = [s for s in scenarios(ds) if s != baseline]
    return names or scenarios(ds)


def scenario_colours(names: Iterable[str], baseline: str = BASELINE) -> dict[str, tuple]:
    """One distinct colour per scenario, the same in every chart: grey for the baseline; the others
    from tab10 (up to 9 scenarios), tab20 (up to 18) or evenly spaced hues, never grey."""
    others = [str(n) for n in names if str(n) != baseline]
    if len(others) <= 9:
        palette = [c for k, c in enumerate(plt.get_cmap("tab10").colors) if k != 7]  # 7 is grey
    elif len(others) <= 18:
        palette = [c for k, c in enumerate(plt.get_cmap("tab20").colors) if k not in (14, 15)]  # greys
    else:
        palette = [plt.get_cmap("hsv")(k / len(others)) for k in range(len(others))]
    colours = {name: tuple(palette[k]) for k, name in enumerate(others)}
    colours[baseline] = (0.6, 0.6, 0.6, 1.0)
    return colours


def add_notes(fig: Figure, note: str) -> Figure:
    """Write the notes/source line at the foot of ``fig`` (wrapped to its width; the constrained
    layout keeps the axes clear of it)."""
    if not note:
        return fig
    width, height = fig.get_size_inches()
    lines = textwrap.wrap(note, max(40, int(width * 17)))
    fig.text(0.01, 0.004, "\n".join(lines), fontsize=NOTE_FONTSIZE, color="0.35", ha="left", va="bottom")
    reserve = min(0.3, (len(lines) * NOTE_FONTSIZE * 1.35 / 72 + 0.06) / height)
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        engine.set(rect=(0, reserve, 1, 1 - reserve))
    return fig


def _label_bottom_axes(axes: np.ndarray, n_panels: int, label: str) -> None:
    """The x label under the lowest visible panel of each column (panels share the x axis)."""
    nrows, ncols = axes.shape
    for col in range(ncols):
        rows = [r for r in range(nrows) if r * ncols + col < n_panels]
        if rows:
            axes[rows[-1], col].set_xlabel(label, fontsize=7.5)
            axes[rows[-1], col].tick_params(axis="x", labelbottom=True)


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


def _legend(fig: Figure, ax, n_series: int) -> None:
    """Scenario legend below the axes (several columns), so long scenario names never cover bars."""
    handles, labels = ax.get_legend_handles_labels()
    ncol = min(n_series, 3)
    fig.legend(handles, labels, title="scenario", loc="outside lower center", ncol=ncol)


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
    shown = _shown_scenarios(ds, baseline)
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
            ax.yaxis.set_major_formatter(_THOUSANDS)
        ax.set_title(title)
        _legend(fig, ax, table.shape[1])
    return fig


def _value_label(value: float, units: str | None) -> str:
    """Bar label: persons with thousands separators, percent with 3 decimals, others with 2; no "-0.00"."""
    if not np.isfinite(value):
        return ""
    if units == "persons":
        return compact_persons(value, sign=True)
    spec = "+.3f" if units == "percent" else "+,.2f"
    text = format(value, spec)
    return format(0.0, spec[1:]) if text.lstrip("+-").strip("0.,") == "" else text


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
            labels = [_value_label(v, da.attrs.get("units")) for v in values]
            ax.bar_label(ax.containers[0], labels, padding=2, fontsize=5.5)
            ax.xaxis.set_major_locator(plt.MaxNLocator(4))
            if persons:
                ax.xaxis.set_major_formatter(_COMPACT)
        _label_bottom_axes(axes, len(regions), label_from_attrs(da, extra, width=32))
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
        ax.xaxis.set_major_formatter(_COMPACT)
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


def _pair_heatmap(pct: pd.DataFrame) -> Figure:
    """Agri-food export changes as an annotated heat-map: partner pairs (rows) × scenarios (columns)."""
    norm, clipped = _diverging_norm(pct.to_numpy())
    n_rows, n_cols = pct.shape
    label_w = 0.075 * max(len(str(c)) for c in pct.columns)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(
            figsize=(PAGE_WIDTH, min(0.22 * n_rows + label_w + 1.6, PAGE_HEIGHT)),
            layout="constrained",
        )
        cells = n_rows * n_cols
        image = _annotated_heatmap(
            ax, pct.to_numpy(dtype=float), norm, (6 if n_cols <= 10 else 4.5) if cells <= 800 else None
        )
        ax.set_yticks(range(n_rows), [str(i) for i in pct.index], fontsize=6.5 if n_rows > 25 else 8)
        ax.set_xticks(
            range(n_cols), [str(c) for c in pct.columns], rotation=45, ha="left", rotation_mode="anchor", fontsize=7
        )
        ax.xaxis.tick_top()
        ax.set_ylabel("exporter \N{RIGHTWARDS ARROW} importer")
        cbar = fig.colorbar(image, ax=ax, shrink=0.8, pad=0.02, extend="both" if clipped else "neither")
        cbar.set_label("change vs baseline\n(current fob prices) [%]")
        fig.suptitle("Agri-food exports by partner: change vs baseline", fontweight="bold")
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
    from cge.report.tables import agrifood_exports_table

    table = agrifood_exports_table(ds, regions, baseline)
    if baseline not in scenarios(ds):
        raise ReportError(f"agri-food export changes need a '{baseline}' scenario")
    shown = _shown_scenarios(ds, baseline)
    pct = table["change [%]"].unstack(SCENARIO)
    pairs = list(dict.fromkeys((e, i) for e, i, _s in table.index))  # table order (regions as in the results)
    pct = pct.reindex(pd.MultiIndex.from_tuples(pairs))[shown]
    pct.index = [pair_label(e, i) for e, i in pairs]
    if pct.size > MAX_BARS:
        return _pair_heatmap(pct)
    with plt.rc_context(STYLE):
        fig, ax = _bar_figure(*pct.shape, horizontal=True)
        _grouped_bars(ax, pct, scenario_colours(scenarios(ds), baseline), horizontal=True)
        ax.set_xlabel("agri-food exports, change vs baseline (current fob prices) [%]")
        ax.set_ylabel("exporter \N{RIGHTWARDS ARROW} importer")
        ax.set_title("Agri-food exports by partner")
        _legend(fig, ax, pct.shape[1])
    return fig


def _diverging_norm(values: np.ndarray) -> tuple[TwoSlopeNorm, bool]:
    """Colour scale centred at 0, symmetric; returns the norm and whether extreme values are clipped.

    The limit is the 97th percentile of |value| (the maximum for small maps), so one outlier does not
    wash out the map; annotations carry the exact values and the colour bar shows clipping with arrows.
    """
    values = np.abs(np.asarray(values, dtype=float))
    values = values[np.isfinite(values)]
    vmax = float(np.percentile(values, 97) if values.size > 50 else values.max()) if values.size else 0.0
    vmax = vmax if vmax > 0 else 1.0
    return TwoSlopeNorm(vcenter=0.0, vmin=-vmax, vmax=vmax), bool(values.size and values.max() > vmax)


def _annotated_heatmap(ax, matrix: np.ndarray, norm: TwoSlopeNorm, fontsize: float | None):
    """``imshow`` with the diverging map; each cell labelled with its value (1 decimal) unless ``fontsize`` is None."""
    image = ax.imshow(matrix, cmap="RdBu", norm=norm, aspect="auto")
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if fontsize is not None:
        for i in range(matrix.shape[0]):
            for j in range(matrix.shape[1]):
                v = matrix[i, j]
                if np.isfinite(v):
                    colour = "white" if abs(v) > 0.6 * norm.vmax else "black"
                    text = f"{v:+.1f}" if round(v, 1) != 0 else "0.0"
                    ax.text(j, i, text, ha="center", va="center", fontsize=fontsize, color=colour)
    return image


CELL_W, CELL_H = 0.34, 0.2
"""Heat-map cell size [inches]."""


def _page_grid(n_panels: int, panel_w: float, panel_h: float, label_w: float) -> tuple[int, int]:
    """Columns and rows of panels that fit one page."""
    ncols = max(1, min(n_panels, int((PAGE_WIDTH - label_w - 1.0) // panel_w)))
    nrows = max(1, min(int(np.ceil(n_panels / ncols)), int((PAGE_HEIGHT - 1.4) // panel_h)))
    return ncols, nrows


def plot_output_heatmaps(ds: xr.Dataset, var: str = "output_pct", baseline: str = BASELINE) -> list[Figure]:
    """Heat-maps of sector changes, as many page-sized figures as needed.

    Commodity rows; the panels are the scenarios (region columns) or, when that needs fewer pages,
    the regions (scenario columns). Diverging colour map centred at 0 (red = fall, blue = rise),
    one colour scale for every panel and page, each cell annotated with its value.

    Parameters
    ----------
    ds : xarray.Dataset
        Results with ``var`` by scenario, region and commodity.
    var : str
        ``"output_pct"`` [percent] (default), ``"price_pct"`` or any (scenario, region, commodity)
        variable.
    baseline : str
        Scenario left out of the panels.
    """
    if var not in ds:
        raise ReportError(f"results have no variable {var!r}")
    da = ds[var]
    shown = _shown_scenarios(ds, baseline)
    regions = [str(r) for r in ds[REGION].values]
    commodities = [str(c) for c in ds[COMMODITY].values]
    label_w = 0.06 * max(len(c) for c in commodities) + 0.3
    head = 0.08 * max(len(x) for x in shown + regions) + 0.4
    panel_h = CELL_H * len(commodities) + head
    layouts = []
    for panel_dim, panels, columns in ((SCENARIO, shown, regions), (REGION, regions, shown)):
        panel_w = CELL_W * len(columns) + 0.25
        ncols, nrows = _page_grid(len(panels), panel_w, panel_h, label_w)
        pages = int(np.ceil(len(panels) / (ncols * nrows)))
        layouts.append((pages, panel_dim, panels, columns, ncols, nrows))
    pages, panel_dim, panels, columns, ncols, nrows = min(layouts, key=lambda t: t[0])
    column_dim = REGION if panel_dim == SCENARIO else SCENARIO
    norm, clipped = _diverging_norm(da.sel({SCENARIO: shown}).values)
    annotate = len(columns) * len(commodities) <= 700
    noun = str(da.attrs.get("long_name", var))
    per_page = ncols * nrows
    figures = []
    for page in range(pages):
        chunk = panels[page * per_page : (page + 1) * per_page]
        rows = int(np.ceil(len(chunk) / ncols))
        fig_w = min(label_w + ncols * (CELL_W * len(columns) + 0.25) + 1.1, PAGE_WIDTH)
        fig_h = min(rows * panel_h + 1.2, PAGE_HEIGHT)
        with plt.rc_context(STYLE):
            fig, axes = plt.subplots(
                rows, ncols, figsize=(max(fig_w, 4.5), fig_h), squeeze=False, sharey=True, layout="constrained"
            )
            image = None
            for k, ax in enumerate(axes.flat):
                if k >= len(chunk):
                    ax.set_visible(False)
                    continue
                panel = da.sel({SCENARIO: shown, panel_dim: chunk[k]}).sel({column_dim: columns})
                values = panel.transpose(COMMODITY, column_dim).values
                image = _annotated_heatmap(ax, values, norm, 5.5 if annotate else None)
                ax.set_xticks(range(len(columns)), columns, rotation=90 if column_dim == SCENARIO else 0, fontsize=7)
                ax.xaxis.tick_top()
                ax.set_yticks(range(len(commodities)), commodities, fontsize=7)
                ax.set_title(chunk[k], fontsize=9)
            cbar = fig.colorbar(image, ax=axes, shrink=0.6, pad=0.02, extend="both" if clipped else "neither")
            cbar.set_label(label_from_attrs(da, width=30))
            suffix = f" ({page + 1}/{pages})" if pages > 1 else ""
            fig.suptitle(f"{noun[0].upper() + noun[1:]} by sector and region{suffix}", fontweight="bold")
        figures.append(fig)
    return figures


def plot_output_heatmap(ds: xr.Dataset, var: str = "output_pct", baseline: str = BASELINE) -> Figure:
    """The first page of :func:`plot_output_heatmaps` (the only one for a few scenarios)."""
    figures = plot_output_heatmaps(ds, var, baseline)
    for fig in figures[1:]:
        plt.close(fig)
    return figures[0]


def plot_sweep(ds: xr.Dataset, var: str = "real_gdp_pct", baseline: str = BASELINE) -> Figure:
    """Mean and 90 % interval over the draws of a sensitivity analysis, by region and scenario.

    One panel per region on a shared value axis; each scenario a point (mean) with a bar from
    ``<var>_p05`` to ``<var>_p95``.
    """
    for suffix in ("mean", "p05", "p95"):
        if f"{var}_{suffix}" not in ds:
            raise ReportError(f"sweep results have no variable '{var}_{suffix}'")
    mean, low, high = (ds[f"{var}_{s}"] for s in ("mean", "p05", "p95"))
    if REGION not in mean.dims:
        raise ReportError(f"'{var}' has no region dimension")
    names = [s for s in scenarios(ds) if s != baseline] or scenarios(ds)
    regions = [str(r) for r in ds[REGION].values]
    colours = scenario_colours(scenarios(ds), baseline)
    ncols = min(len(regions), 3)
    nrows = int(np.ceil(len(regions) / ncols))
    source = ds[var] if var in ds else mean
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(PAGE_WIDTH, min(nrows * (0.25 * len(names) + 1.2) + 1.2, PAGE_HEIGHT)),
            squeeze=False,
            sharex=True,
            layout="constrained",
        )
        for k, ax in enumerate(axes.flat):
            if k >= len(regions):
                ax.set_visible(False)
                continue
            at = {REGION: regions[k]}
            for y, name in enumerate(names):
                m = float(mean.sel(at | {SCENARIO: name}))
                lo, hi = float(low.sel(at | {SCENARIO: name})), float(high.sel(at | {SCENARIO: name}))
                ax.errorbar(m, y, xerr=[[m - lo], [hi - m]], fmt="o", color=colours[name], capsize=3, markersize=4)
            ax.set_yticks(range(len(names)), names if k % ncols == 0 else [""] * len(names), fontsize=7)
            ax.invert_yaxis()
            ax.axvline(0, color="black", linewidth=0.8)
            ax.grid(axis="x", color="0.85", linewidth=0.6)
            ax.set_title(regions[k], fontsize=10)
        label = label_from_attrs(source, ": mean and 90 % interval over the draws", width=32)
        _label_bottom_axes(axes, len(regions), label)
        fig.suptitle(f"{str(source.attrs.get('long_name', var)).capitalize()}: sensitivity analysis", fontweight="bold")
    return fig


def _save(fig: Figure, path: Path) -> Path:
    def write(tmp: Path) -> None:
        fig.savefig(tmp, dpi=DPI, format="png", facecolor="white")

    try:
        return atomic_write(path, write)
    finally:
        plt.close(fig)


PlotProgress = Callable[[str, int, int], None]
"""Called as ``progress(chart_name, charts_done, charts_total)`` before each chart is drawn."""


def write_plots(
    ds: xr.Dataset,
    out_dir: str | Path,
    baseline: str | None = None,
    regions: Iterable[str] | None = None,
    scenarios: Iterable[str] | None = None,
    variables: Iterable[str] | None = None,
    progress: PlotProgress | None = None,
) -> list[Path]:
    """Write every chart the results support as page-sized 150 dpi PNGs with a notes/source line.

    Files: ``real_gdp.png``, ``ev.png``, ``employment.png`` (needs employment and a baseline),
    ``trade_jobs.png`` (needs ``us_na_trade_jobs_model``), ``welfare.png`` (needs
    ``ev_decomposition``; USA or the first region), ``agrifood_exports.png`` (needs agri-food
    sectors and a baseline), ``output_heatmap.png`` (more pages as ``output_heatmap_2.png``, ...).
    Sweep results (``cge sweep --ssa``) give ``sweep_<var>.png`` (mean and 90 % interval).
    With ``variables``, one chart per variable instead (``<var>.png``: bars by region and
    scenario, or a heat-map for (region, commodity) variables). Charts whose inputs are missing
    are skipped with an INFO log message.

    Parameters
    ----------
    ds : xarray.Dataset
        Results.
    out_dir : str or Path
        Directory (created if needed).
    baseline : str or None
        Reference scenario (changes re-based on it; left out of the charts of changes); None =
        ``baseline`` if the results have it.
    regions : iterable of str or None
        Regions shown; group names (``USMCA``, ``world``) add subtotals. None = all.
    scenarios : iterable of str or None
        Scenarios shown (the reference is kept); None = all.
    variables : iterable of str or None
        Charts of these variables instead of the standard set.
    progress : callable or None
        ``progress(name, done, total)`` before each chart.

    Returns
    -------
    list of Path
        Files written.
    """
    if SCENARIO not in ds.dims or ("real_gdp_pct" not in ds and "real_gdp_pct_mean" not in ds):
        raise ReportError("not a cge results file: no 'real_gdp_pct' variable with a 'scenario' dimension")
    out_dir = Path(out_dir)
    shown = select(ds, baseline, scenarios, regions)
    ref = baseline or BASELINE
    note = source_note(shown, baseline)
    if variables:
        charts = {name: _variable_chart(shown, name, ref) for name in variables}
    elif is_sweep(ds):
        charts = {
            f"sweep_{name}": (lambda name=name: plot_sweep(shown, name, ref))
            for name in ("real_gdp_pct", "ev", "employment_change", "agrifood_exports_pct")
            if f"{name}_mean" in shown
        }
    else:
        charts = {
            "real_gdp": lambda: plot_gdp(shown, ref),
            "ev": lambda: plot_ev(shown, ref),
            "employment": lambda: plot_jobs(shown, ref),
            "trade_jobs": lambda: plot_trade_jobs(shown, ref),
            "welfare": lambda: plot_welfare(shown, US_REGION, ref),
            "agrifood_exports": lambda: plot_agrifood_exports(shown, None, ref),
            "output_heatmap": lambda: plot_output_heatmaps(shown, "output_pct", ref),
        }
    written = []
    for k, (name, make) in enumerate(charts.items()):
        if progress is not None:
            progress(name, k, len(charts))
        try:
            figures = make()
        except ReportError as exc:
            log.info("chart %s skipped: %s", name, exc)
            continue
        figures = figures if isinstance(figures, list) else [figures]
        for page, fig in enumerate(figures, start=1):
            path = out_dir / (f"{name}.png" if page == 1 else f"{name}_{page}.png")
            written.append(_save(add_notes(fig, note), path))
            log.info("wrote %s", written[-1])
    if progress is not None:
        progress("done", len(charts), len(charts))
    return written


def _variable_chart(ds: xr.Dataset, name: str, baseline: str) -> Callable[[], Figure | list[Figure]]:
    """The chart of one variable: region bars, or sector heat-maps for (region, commodity) variables."""
    if name not in ds:
        raise ReportError(f"results have no variable {name!r}")
    dims = set(ds[name].dims) - {SCENARIO}
    if dims == {REGION}:
        return lambda: plot_region_bars(ds, name, baseline=baseline)
    if dims == {REGION, COMMODITY}:
        return lambda: plot_output_heatmaps(ds, name, baseline)
    raise ReportError(f"no chart for {name!r} with dims {sorted(dims)}: plot variables by region (and commodity)")
