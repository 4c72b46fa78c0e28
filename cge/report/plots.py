"""Report charts (matplotlib, Agg backend) from a results Dataset: :func:`write_plots` writes every
chart the results support as PNG, PDF or SVG files (or one multi-page PDF), :func:`charts` makes
them, and this module gathers the chart functions.

The charts live in :mod:`cge.report.bar_charts` (by region and scenario), :mod:`cge.report.heatmaps`
(sectors and partner pairs) and :mod:`cge.report.sweep_chart` (sensitivity analyses); their shared
look (page size, colours, legend, title, notes line) in :mod:`cge.report.figure_style`. Every
figure fits a page (at most :data:`PAGE_WIDTH` x :data:`PAGE_HEIGHT` inches), carries the
notes/source line at its foot (unless ``notes=False``), shows each scenario by its label and in
its own colour, and has no overlapping text (:func:`cge.report.figure_check.text_overlaps`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from pathlib import Path

import matplotlib.pyplot as plt
import xarray as xr
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from cge.atomic import atomic_write
from cge.dims import BASELINE, COMMODITY, REGION, SCENARIO
from cge.indicators.groups import Group, GroupError, check_subtotals
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
from cge.report.scenario_tables import US_REGION, trade_jobs_region
from cge.report.selection import ReportError, is_sweep, select, source_note
from cge.report.sweep_chart import plot_sweep

__all__ = [
    "CELL_H",
    "CELL_W",
    "DPI",
    "FIGURE_FORMATS",
    "MAX_BARS",
    "MAX_GROUPED",
    "NOTE_FONTSIZE",
    "PAGE_HEIGHT",
    "PAGE_WIDTH",
    "STYLE",
    "SWEEP_CHARTS",
    "PlotProgress",
    "add_notes",
    "charts",
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

FIGURE_FORMATS = ("png", "pdf", "svg")
"""File formats of :func:`write_plots` (PNG at :data:`DPI`; PDF and SVG as vector graphics)."""
SWEEP_CHARTS = ("real_gdp_pct", "ev", "employment_change", "agrifood_exports_pct")
"""Indicators charted for a sensitivity analysis (``sweep_<name>``), those the results hold."""

PlotProgress = Callable[[str, int, int], None]
"""Called as ``progress(chart_name, charts_done, charts_total)`` before each chart is drawn."""

ChartMaker = Callable[[], Figure | list[Figure]]


def standard_charts(ds: xr.Dataset, baseline: str, regions: Sequence[str] | None) -> dict[str, ChartMaker]:
    """The standard charts of (selected) results, by file name: real GDP, EV, employment,
    trade-attributed jobs (when its region is shown), the welfare decomposition, agri-food exports
    and the output heat-maps; the sweep charts (:data:`SWEEP_CHARTS`) for a sensitivity analysis."""
    if is_sweep(ds):
        return {
            f"sweep_{name}": partial(plot_sweep, ds, name, baseline) for name in SWEEP_CHARTS if f"{name}_mean" in ds
        }
    out: dict[str, ChartMaker] = {
        "real_gdp": lambda: plot_gdp(ds, baseline),
        "ev": lambda: plot_ev(ds, baseline),
        "employment": lambda: plot_jobs(ds, baseline),
        "trade_jobs": lambda: _trade_jobs(ds, baseline, regions),
        "welfare": lambda: plot_welfare(ds, US_REGION, baseline, regions),
        "agrifood_exports": lambda: plot_agrifood_exports(ds, regions, baseline),
        "output_heatmap": lambda: plot_output_heatmaps(ds, "output_pct", baseline),
    }
    return out


def _trade_jobs(ds: xr.Dataset, baseline: str, regions: Sequence[str] | None) -> Figure:
    region = trade_jobs_region(ds)
    if regions is not None and region not in regions:
        raise ReportError(f"the trade-attributed jobs are {region}'s, which is not among the regions asked for")
    return plot_trade_jobs(ds, baseline)


def variable_chart(ds: xr.Dataset, name: str, baseline: str) -> ChartMaker:
    """The chart of one variable (``cge plot -v NAME``): region bars, sector heat-maps for
    (region, commodity) variables, or the sweep chart of an indicator of a sensitivity analysis.

    Raises
    ------
    ReportError
        For a variable the results do not have, one with other dimensions, or one with group rows it
        cannot be totalled over (:func:`cge.indicators.groups.check_subtotals`).
    """
    if is_sweep(ds) and f"{name}_mean" in ds:
        return lambda: plot_sweep(ds, name, baseline)
    if name not in ds:
        raise ReportError(f"results have no variable {name!r}")
    try:
        check_subtotals(ds, [name])
    except GroupError as exc:
        raise ReportError(str(exc)) from None
    dims = set(ds[name].dims) - {SCENARIO}
    if dims == {REGION}:
        return lambda: plot_region_bars(ds, name, baseline=baseline)
    if dims == {REGION, COMMODITY}:
        return lambda: plot_output_heatmaps(ds, name, baseline)
    raise ReportError(
        f"no chart for {name!r} with dims {sorted(map(str, dims))}: plot variables by region (and commodity)"
    )


def charts(
    ds: xr.Dataset,
    baseline: str | None = None,
    regions: Iterable[str] | None = None,
    scenarios: Iterable[str] | None = None,
    variables: Iterable[str] | None = None,
    commodities: Iterable[str] | None = None,
    groups: Sequence[Group] | None = None,
    notes: bool = True,
    progress: PlotProgress | None = None,
    names_as_labels: bool = False,
) -> Iterator[tuple[str, Figure]]:
    """Make the charts :func:`write_plots` writes, one ``(file stem, figure)`` at a time.

    Parameters are those of :func:`write_plots`. Charts whose inputs are missing are skipped with
    an INFO log message; a chart of several pages yields ``name``, ``name_2``, ... The caller
    closes each figure.
    """
    if SCENARIO not in ds.dims or ("real_gdp_pct" not in ds and "real_gdp_pct_mean" not in ds):
        raise ReportError("not a cge results file: no 'real_gdp_pct' variable with a 'scenario' dimension")
    regions = [str(r) for r in regions] if regions is not None else None
    shown = select(ds, baseline, scenarios, regions, commodities, groups, names_as_labels)
    ref = baseline or BASELINE
    note = source_note(shown, baseline) if notes else ""
    if variables:
        makers = {name: variable_chart(shown, name, ref) for name in variables}
    else:
        makers = standard_charts(shown, ref, regions)
    for k, (name, make) in enumerate(makers.items()):
        if progress is not None:
            progress(name, k, len(makers))
        try:
            figures = make()
        except ReportError as exc:
            log.info("chart %s skipped: %s", name, exc)
            continue
        figures = figures if isinstance(figures, list) else [figures]
        for page, fig in enumerate(figures, start=1):
            yield (name if page == 1 else f"{name}_{page}"), add_notes(fig, note)
    if progress is not None:
        progress("done", len(makers), len(makers))


def write_plots(
    ds: xr.Dataset,
    out_dir: str | Path,
    baseline: str | None = None,
    regions: Iterable[str] | None = None,
    scenarios: Iterable[str] | None = None,
    variables: Iterable[str] | None = None,
    progress: PlotProgress | None = None,
    fmt: str | None = None,
    notes: bool = True,
    commodities: Iterable[str] | None = None,
    groups: Sequence[Group] | None = None,
    names_as_labels: bool = False,
) -> list[Path]:
    """Write every chart the results support, page-sized, with a notes/source line.

    Files: ``real_gdp``, ``ev``, ``employment`` (needs employment and a baseline), ``trade_jobs``
    (needs ``us_na_trade_jobs_gross`` and its region among ``regions``), ``welfare`` (needs
    ``ev_decomposition``; USA, or the first of ``regions``), ``agrifood_exports`` (needs agri-food
    sectors and a baseline; the pairs of ``regions``), ``output_heatmap`` (more pages as
    ``output_heatmap_2``, ...). Sweep results (``cge sweep --ssa``) give ``sweep_<var>`` (mean
    and 90 % interval). With ``variables``, one chart per variable instead (``<var>``: bars by
    region and scenario, or a heat-map for (region, commodity) variables). Charts whose inputs are
    missing are skipped with an INFO log message.

    Parameters
    ----------
    ds : xarray.Dataset
        Results.
    out_dir : str or Path
        Directory (created if needed), one file per chart page; or a file ending in ``.pdf``: one
        PDF with a page per chart.
    baseline : str or None
        Reference scenario (changes re-based on it; left out of the charts of changes); None =
        ``baseline`` if the results have it.
    regions : iterable of str or None
        Regions shown, in this order; group names (``USMCA``, ``world``, user groups) add
        subtotals. None = all.
    scenarios : iterable of str or None
        Scenarios shown, in this order (the reference is kept); None = all.
    variables : iterable of str or None
        Charts of these variables instead of the standard set.
    progress : callable or None
        ``progress(name, done, total)`` before each chart.
    fmt : {"png", "pdf", "svg"} or None
        File format (:data:`FIGURE_FORMATS`; PNG at :data:`DPI` dpi); None = ``pdf`` when
        ``out_dir`` ends in ``.pdf``, else ``png``.
    notes : bool
        Print the notes/source line at the foot of each chart.
    commodities : iterable of str or None
        Commodities of the heat-maps, in this order; commodity groups add subtotals.
    groups : sequence of Group or None
        The group registry (None = ``calibration/groups.csv``; see
        :func:`cge.indicators.groups.load_groups` for a user's file).
    names_as_labels : bool
        Show scenario names instead of their labels.

    Returns
    -------
    list of Path
        Files written.

    Raises
    ------
    ReportError
        For an unknown format, a ``.pdf`` file with another format, or a selection or variable the
        results cannot support.
    """
    out = Path(out_dir)
    one_file = out.suffix.lower() == ".pdf"
    fmt = fmt or ("pdf" if one_file else "png")
    if fmt not in FIGURE_FORMATS:
        raise ReportError(f"unknown figure format {fmt!r}; formats: {', '.join(FIGURE_FORMATS)}")
    if one_file and fmt != "pdf":
        raise ReportError(f"{out} is a PDF file: use --format pdf, or give a directory for {fmt} files")
    made = charts(ds, baseline, regions, scenarios, variables, commodities, groups, notes, progress, names_as_labels)
    if one_file:
        return [_write_pdf_pages(made, out)]
    written = []
    for name, fig in made:
        written.append(_save(fig, out / f"{name}.{fmt}", fmt))
        log.info("wrote %s", written[-1])
    return written


def _save(fig: Figure, path: Path, fmt: str) -> Path:
    def write(tmp: Path) -> None:
        with plt.rc_context(STYLE):  # fonts embedded as TrueType (pdf.fonttype 42), not Type 3
            fig.savefig(tmp, dpi=DPI, format=fmt, facecolor="white", metadata=_metadata(fmt))

    try:
        return atomic_write(path, write)
    finally:
        plt.close(fig)


def _metadata(fmt: str) -> dict:
    """File metadata without a creation date, so that the same results give the same file."""
    if fmt == "pdf":
        return {"Creator": "cge", "Producer": "cge (matplotlib)", "CreationDate": None}
    if fmt == "svg":
        return {"Creator": "cge", "Date": None}
    return {"Software": "cge (matplotlib)"}


def _write_pdf_pages(figures: Iterator[tuple[str, Figure]], path: Path) -> Path:
    """Every chart as one page of one PDF (each page the size of its chart)."""

    def write(tmp: Path) -> None:
        pages = 0
        with plt.rc_context(STYLE), PdfPages(tmp, metadata=_metadata("pdf")) as pdf:
            for name, fig in figures:
                try:
                    pdf.savefig(fig, facecolor="white")
                    pages += 1
                    log.info("page %d: %s", pages, name)
                finally:
                    plt.close(fig)
        if not pages:
            raise ReportError("no chart to write: the results support none of the charts asked for")

    return atomic_write(path, write)
