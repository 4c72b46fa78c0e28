"""Report charts (matplotlib, Agg backend, 150 dpi PNG) from a results Dataset.

Labels and units come from the variables' ``long_name``/``units`` attrs
(:func:`cge.report.labels.label_from_attrs`). Charts of changes leave out the ``baseline``
scenario (its changes are zero by construction).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
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
from cge.report.labels import label_from_attrs, pair_label  # noqa: E402
from cge.report.tables import BASELINE, ReportError, reference, scenarios  # noqa: E402

log = logging.getLogger(__name__)

DPI = 150
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
    """One colour per scenario, the same in every chart: grey for the baseline, tab10/tab20 for the rest."""
    others = [str(n) for n in names if str(n) != baseline]
    cmap = plt.get_cmap("tab10" if len(others) <= 10 else "tab20")
    colours = {name: cmap(k % cmap.N) for k, name in enumerate(others)}
    colours[baseline] = (0.6, 0.6, 0.6, 1.0)
    return colours


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
        height = max(3.5, 0.18 * n_groups * max(n_series, 2) + 1.8)
        return plt.subplots(figsize=(8, min(height, 30)), layout="constrained")
    width = min(max(6.5, 0.35 * n_groups * max(n_series, 2) + 2.0), 16)
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
        da = (da - ref[var]).assign_attrs(da.attrs)
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
    """Many scenarios: one panel per region, scenarios as labelled horizontal bars (own x scale each)."""
    regions, names = [str(r) for r in table.index], [str(c) for c in table.columns]
    ncols = min(len(regions), 5)
    nrows = int(np.ceil(len(regions) / ncols))
    label_w = 0.07 * max(len(n) for n in names) + 0.3
    height = nrows * (0.24 * len(names) + 1.0) + 0.8
    persons = da.attrs.get("units") == "persons"
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(min(label_w + 2.6 * ncols, 20), height), squeeze=False, layout="constrained"
        )
        for k, ax in enumerate(axes.flat):
            if k >= len(regions):
                ax.set_visible(False)
                continue
            values = table.loc[table.index[k]].to_numpy(dtype=float)
            y = np.arange(len(names))
            ax.barh(y, values, color=[colours[n] for n in names], height=0.7)
            ax.set_yticks(y, names if k % ncols == 0 else [""] * len(names))
            ax.invert_yaxis()
            ax.axvline(0, color="black", linewidth=0.8)
            ax.grid(axis="x", color="0.85", linewidth=0.6)
            ax.set_axisbelow(True)
            ax.set_title(regions[k], fontsize=10)
            ax.margins(x=0.35)  # room for the value labels
            labels = [_value_label(v, da.attrs.get("units")) for v in values]
            ax.bar_label(ax.containers[0], labels, padding=2, fontsize=6.5)
            ax.xaxis.set_major_locator(plt.MaxNLocator(4))
            if persons:
                ax.xaxis.set_major_formatter(_COMPACT)
        fig.supxlabel(label_from_attrs(da, extra), fontsize=9)
        fig.suptitle(title, fontweight="bold")
    return fig


def plot_gdp(ds: xr.Dataset, baseline: str = BASELINE) -> Figure:
    """Real GDP change [%] by region and scenario (grouped bars)."""
    return plot_region_bars(ds, "real_gdp_pct", "Real GDP change by region and scenario", baseline)


def plot_ev(ds: xr.Dataset, baseline: str = BASELINE) -> Figure:
    """Equivalent variation [US$ bn] by region and scenario (grouped bars)."""
    return plot_region_bars(ds, "ev", "Welfare: equivalent variation by region and scenario", baseline)


def plot_jobs(ds: xr.Dataset, baseline: str = BASELINE) -> Figure:
    """Change in total employment [persons] vs the baseline, by region and scenario (grouped bars)."""
    return plot_region_bars(ds, "employment_total", "Employment change by region and scenario", baseline, change=True)


def plot_trade_jobs(ds: xr.Dataset, baseline: str = BASELINE) -> Figure:
    """US jobs supported by trade with Mexico and Canada [persons], one bar per scenario.

    The baseline scenario's figure is drawn as a dashed reference line.
    """
    if "us_na_trade_jobs_model" not in ds:
        raise ReportError("results have no variable 'us_na_trade_jobs_model'")
    da = ds["us_na_trade_jobs_model"]
    names = scenarios(ds)
    values = [float(da.sel({SCENARIO: s})) for s in names]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(max(6.0, 0.7 * len(names) + 2.5), 4.8), layout="constrained")
        colours = scenario_colours(names, baseline)
        ax.bar(range(len(names)), values, color=[colours[n] for n in names])
        rotate = len(names) > 4
        ax.set_xticks(range(len(names)), names, rotation=30 if rotate else 0, ha="right" if rotate else "center")
        if baseline in names:
            base = float(da.sel({SCENARIO: baseline}))
            ax.axhline(base, color="black", linestyle="--", linewidth=0.9)
            ax.annotate(
                f"baseline: {base:,.0f}",
                (len(names) - 0.6, base),
                ha="right",
                va="top",
                fontsize=8,
                xytext=(0, -3),
                textcoords="offset points",
            )
        ax.yaxis.set_major_formatter(_THOUSANDS)
        ax.set_ylabel(label_from_attrs(da, width=45))
        ax.set_xlabel("scenario")
        ax.grid(axis="y", color="0.85", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_title("US jobs supported by trade with Mexico and Canada")
    return fig


def _pair_heatmap(pct: pd.DataFrame) -> Figure:
    """Agri-food export changes as an annotated heat-map: partner pairs (rows) × scenarios (columns)."""
    norm, clipped = _diverging_norm(pct.to_numpy())
    n_rows, n_cols = pct.shape
    label_w = 0.075 * max(len(str(c)) for c in pct.columns)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(
            figsize=(min(max(1.6 + 0.62 * n_cols + 1.2, 6.5), 22), min(0.3 * n_rows + label_w + 1.2, 40)),
            layout="constrained",
        )
        image = _annotated_heatmap(ax, pct.to_numpy(dtype=float), norm, 7 if n_rows * n_cols <= 800 else None)
        ax.set_yticks(range(n_rows), [str(i) for i in pct.index])
        ax.set_xticks(range(n_cols), [str(c) for c in pct.columns], rotation=45, ha="left", rotation_mode="anchor")
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


def plot_output_heatmap(ds: xr.Dataset, var: str = "output_pct", baseline: str = BASELINE) -> Figure:
    """Heat-map of sector changes (commodity rows × region columns), one panel per scenario.

    Diverging colour map centred at 0 (red = fall, blue = rise), each cell annotated with its value.

    Parameters
    ----------
    ds : xarray.Dataset
        Results with ``var`` by scenario, region and commodity.
    var : str
        ``"output_pct"`` [percent] (default) or ``"price_pct"``.
    baseline : str
        Scenario left out of the panels.
    """
    if var not in ds:
        raise ReportError(f"results have no variable {var!r}")
    da = ds[var]
    shown = _shown_scenarios(ds, baseline)
    regions = [str(r) for r in ds[REGION].values]
    commodities = [str(c) for c in ds[COMMODITY].values]
    n = len(shown)
    ncols = min(n, 4)
    nrows = int(np.ceil(n / ncols))
    cell_w, cell_h = 0.62, 0.3
    label_w = 0.075 * max(len(c) for c in commodities) + 0.4
    panel_w = cell_w * len(regions)
    fig_w = min(max(label_w + ncols * (panel_w + 0.25) + 1.2, 6.5), 22)
    fig_h = min(max(nrows * (cell_h * len(commodities) + 0.9) + 1.0, 3.2), 40)
    norm, clipped = _diverging_norm(da.sel({SCENARIO: shown}).values)
    annotate = len(regions) * len(commodities) <= 600
    fontsize = 7 if len(regions) <= 8 else 6
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(nrows, ncols, figsize=(fig_w, fig_h), squeeze=False, sharey=True, layout="constrained")
        image = None
        for k, ax in enumerate(axes.flat):
            if k >= n:
                ax.set_visible(False)
                continue
            panel = da.sel({SCENARIO: shown[k]}).transpose(COMMODITY, REGION).values
            image = _annotated_heatmap(ax, panel, norm, fontsize if annotate else None)
            ax.set_xticks(range(len(regions)), regions)
            ax.xaxis.tick_top()
            ax.set_yticks(range(len(commodities)), commodities)
            ax.set_title(shown[k], fontsize=9, pad=16)
        cbar = fig.colorbar(
            image, ax=axes, shrink=min(0.8, 6 / fig_h + 0.3), pad=0.02, extend="both" if clipped else "neither"
        )
        cbar.set_label(label_from_attrs(da, width=30))
        noun = str(da.attrs.get("long_name", var))
        fig.suptitle(f"{noun[0].upper() + noun[1:]} by sector and region", fontweight="bold")
    return fig


def _save(fig: Figure, path: Path) -> Path:
    def write(tmp: Path) -> None:
        fig.savefig(tmp, dpi=DPI, format="png", facecolor="white")

    try:
        return atomic_write(path, write)
    finally:
        plt.close(fig)


def plot_welfare(ds: xr.Dataset, region: str = "USA", baseline: str = BASELINE) -> Figure:
    """EV by source (``ev_decomposition``) for one region: one stacked horizontal bar per scenario,
    components as segments (positive to the right, negative to the left), EV as a black marker."""
    if "ev_decomposition" not in ds:
        raise ReportError("results have no variable 'ev_decomposition'")
    regions = [str(r) for r in ds[REGION].values]
    if region not in regions:
        region = regions[0]
    dec = ds["ev_decomposition"].sel({REGION: region})
    names = _shown_scenarios(ds, baseline)
    table = dec.sel({SCENARIO: names}).transpose(SCENARIO, "component").to_pandas()
    table = table.loc[:, (table.abs() > 1e-9 * max(1.0, float(table.abs().max().max()))).any()]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8.0, max(3.0, 0.45 * len(names) + 1.8)), layout="constrained")
        cmap = plt.get_cmap("tab20")
        left_pos, left_neg = np.zeros(len(names)), np.zeros(len(names))
        y = np.arange(len(names))
        for k, component in enumerate(table.columns):
            values = table[component].to_numpy()
            start = np.where(values >= 0, left_pos, left_neg)
            ax.barh(y, values, left=start, color=cmap(k % cmap.N), label=str(component).replace("_", " "))
            left_pos += np.clip(values, 0, None)
            left_neg += np.clip(values, None, 0)
        ax.plot(table.sum(axis=1).to_numpy(), y, "k|", markersize=14, label="EV")
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.set_xlabel(label_from_attrs(dec, extra=f", {region}", width=70))
        ax.set_title(f"Welfare decomposition, {region}")
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    return fig


def write_plots(
    ds: xr.Dataset, out_dir: str | Path, baseline: str = BASELINE, regions: Iterable[str] | None = None
) -> list[Path]:
    """Write every chart the results support as 150 dpi PNGs.

    Files: ``real_gdp.png``, ``ev.png``, ``employment.png`` (needs employment and a baseline),
    ``trade_jobs.png`` (needs ``us_na_trade_jobs_model``), ``welfare.png`` (needs
    ``ev_decomposition``; USA or the first region), ``agrifood_exports.png`` (needs agri-food
    sectors and a baseline), ``output_heatmap.png``. Charts whose inputs are missing are skipped
    with an INFO log message.

    Parameters
    ----------
    ds : xarray.Dataset
        Results.
    out_dir : str or Path
        Directory (created if needed).
    baseline : str
        The unshocked scenario.
    regions : iterable of str or None
        Regions of the agri-food chart (None = all).

    Returns
    -------
    list of Path
        Files written.
    """
    if "real_gdp_pct" not in ds or SCENARIO not in ds.dims:
        raise ReportError("not a cge results file: no 'real_gdp_pct' variable with a 'scenario' dimension")
    out_dir = Path(out_dir)
    regions = list(regions) if regions is not None else None
    charts = {
        "real_gdp": lambda: plot_gdp(ds, baseline),
        "ev": lambda: plot_ev(ds, baseline),
        "employment": lambda: plot_jobs(ds, baseline),
        "trade_jobs": lambda: plot_trade_jobs(ds, baseline),
        "welfare": lambda: plot_welfare(ds, "USA", baseline),
        "agrifood_exports": lambda: plot_agrifood_exports(ds, regions, baseline),
        "output_heatmap": lambda: plot_output_heatmap(ds, "output_pct", baseline),
    }
    written = []
    for name, make in charts.items():
        try:
            fig = make()
        except ReportError as exc:
            log.info("chart %s skipped: %s", name, exc)
            continue
        written.append(_save(fig, out_dir / f"{name}.png"))
        log.info("wrote %s", written[-1])
    return written
