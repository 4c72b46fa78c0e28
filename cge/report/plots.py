"""Report charts (matplotlib, Agg backend, 150 dpi PNG) from a results Dataset: :func:`write_plots`
writes every chart the results support, and this module gathers the chart functions.

The charts live in :mod:`cge.report.bar_charts` (by region and scenario), :mod:`cge.report.heatmaps`
(sectors and partner pairs) and :mod:`cge.report.sweep_chart` (sensitivity analyses); their shared
look (page size, colours, notes line) in :mod:`cge.report.figure_style`. Every figure fits a page
(at most :data:`PAGE_WIDTH` x :data:`PAGE_HEIGHT` inches), carries the notes/source line at its
foot, gives each scenario its own colour and shares the value axis wherever panels compare
magnitudes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import xarray as xr
from matplotlib.figure import Figure

from cge.atomic import atomic_write
from cge.dims import BASELINE, COMMODITY, REGION, SCENARIO
from cge.report.bar_charts import (
    MAX_BARS,
    MAX_GROUPED,
    plot_agrifood_exports,
    plot_ev,
    plot_gdp,
    plot_jobs,
    plot_region_bars,
    plot_trade_jobs,
    plot_welfare,
)
from cge.report.figure_style import (
    DPI,
    NOTE_FONTSIZE,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    STYLE,
    add_notes,
    compact_persons,
    scenario_colours,
)
from cge.report.heatmaps import CELL_H, CELL_W, plot_output_heatmap, plot_output_heatmaps
from cge.report.scenario_tables import US_REGION
from cge.report.selection import ReportError, is_sweep, select, source_note
from cge.report.sweep_chart import plot_sweep

__all__ = [
    "CELL_H",
    "CELL_W",
    "DPI",
    "MAX_BARS",
    "MAX_GROUPED",
    "NOTE_FONTSIZE",
    "PAGE_HEIGHT",
    "PAGE_WIDTH",
    "STYLE",
    "PlotProgress",
    "add_notes",
    "compact_persons",
    "plot_agrifood_exports",
    "plot_ev",
    "plot_gdp",
    "plot_jobs",
    "plot_output_heatmap",
    "plot_output_heatmaps",
    "plot_region_bars",
    "plot_sweep",
    "plot_trade_jobs",
    "plot_welfare",
    "scenario_colours",
    "write_plots",
]

log = logging.getLogger(__name__)


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
    charts: dict[str, Callable[[], Any]]
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
    if is_sweep(ds) and f"{name}_mean" in ds:
        return lambda: plot_sweep(ds, name, baseline)
    if name not in ds:
        raise ReportError(f"results have no variable {name!r}")
    dims = set(ds[name].dims) - {SCENARIO}
    if dims == {REGION}:
        return lambda: plot_region_bars(ds, name, baseline=baseline)
    if dims == {REGION, COMMODITY}:
        return lambda: plot_output_heatmaps(ds, name, baseline)
    raise ReportError(
        f"no chart for {name!r} with dims {sorted(map(str, dims))}: plot variables by region (and commodity)"
    )
