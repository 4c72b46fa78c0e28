"""Every chart the CLI and the API make is legible: no two pieces of text overlap and none leaves
the figure (legend, notes line, titles, axis and tick labels, colour bars, annotations), measured
with matplotlib's window extents after a draw (cge.report.figure_check).

The charts are enumerated from the code: the standard and sweep charts of ``charts()`` (what
``cge plot`` writes), a ``-v`` chart of every kind of variable (one per dims and units), and every
public ``plot_*`` function of ``cge.report.plots`` called with each variable it accepts. They are
drawn for small results (hand SAM), the shipped SAM with region groups, 37 labelled scenarios
(the library's labels) and sensitivity analyses.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr
from conftest import hand_elasticity_table, hand_results, saved_results

import cge
from cge.dims import DRAW, REGION, SCENARIO
from cge.examples import two_region_sam
from cge.report import plots
from cge.report.figure_check import text_overlaps
from cge.report.selection import ReportError, select

ROOT = Path(__file__).resolve().parent.parent
PAGE_IN = (plots.PAGE_WIDTH, plots.PAGE_HEIGHT)


# ------------------------------------------------------------------------------------- results


@pytest.fixture(scope="module")
def hand() -> xr.Dataset:
    """Baseline and a 30% tariff on the hand SAM (two regions, two sectors; one agri-food)."""
    scenarios = [
        cge.Scenario(name="baseline"),
        cge.Scenario(
            name="tariff", label="30% tariff of A on B", tariffs=[{"importer": "A", "exporter": "B", "rate_pct": 30}]
        ),
    ]
    return hand_results(scenarios)


@pytest.fixture(scope="module")
def hand_sweep() -> xr.Dataset:
    """A quadrature sensitivity analysis of the hand SAM (in-process)."""
    from cge.sweep import SSASpec, run_sweep

    spec = SSASpec.from_dict(
        {
            "method": "quadrature",
            "parameter": [{"name": "sigma_d", "distribution": "uniform", "low_pct": -50, "high_pct": 50}],
        }
    )
    scenarios = [cge.Scenario(name="tariff", tariffs=[{"importer": "A", "exporter": "B", "rate_pct": 30}])]
    sam = two_region_sam().assign_coords(agrifood=("commodity", [True, False]))
    return run_sweep(scenarios, spec, sam=sam, elasticities=hand_elasticity_table(), scheduler="inprocess")


def _synthetic_sweep(ds: xr.Dataset) -> xr.Dataset:
    """Sweep summaries of ``ds``'s scenarios (intervals of very different widths by region), for
    the layout of five region panels."""
    out = ds[["real_gdp_pct", "ev", "employment_change", "agrifood_exports_pct", "scenario_label"]].copy()
    out = out.expand_dims({DRAW: 2}).assign(weight=(DRAW, [0.5, 0.5]))
    out["scenario_label"] = ds["scenario_label"]
    for name in ("real_gdp_pct", "ev", "employment_change", "agrifood_exports_pct"):
        mean = ds[name]
        width = np.abs(mean) * xr.DataArray(np.linspace(0.05, 3.0, ds.sizes[REGION]), dims=REGION) + 1e-3
        out[f"{name}_mean"], out[f"{name}_p05"], out[f"{name}_p95"] = mean, mean - width, mean + width
        out[f"{name}_std"] = width / 3
    out.attrs = dict(ds.attrs, method="quadrature", interval_method="quadrature: Chebyshev interval (test)")
    return out


@pytest.fixture(scope="module", params=["hand", "shipped", "shipped_groups", "many", "hand_sweep", "sweep5"])
def case(request):
    """(results, selection) pairs whose charts are checked."""
    if request.param == "hand":
        return request.getfixturevalue("hand"), {}
    if request.param == "shipped":
        return request.getfixturevalue("shipped_results"), {}
    if request.param == "shipped_groups":
        return request.getfixturevalue("shipped_results"), {"regions": ["USA", "MEX", "CAN", "USMCA", "world"]}
    if request.param == "many":
        return request.getfixturevalue("many_scenarios"), {}
    if request.param == "hand_sweep":
        return request.getfixturevalue("hand_sweep"), {}
    return _synthetic_sweep(request.getfixturevalue("shipped_results")), {}


# -------------------------------------------------------------------------------------- checks


def _check(name: str, fig) -> list[str]:
    try:
        width, height = fig.get_size_inches()
        problems = [f"{name}: {p}" for p in text_overlaps(fig)]
        if width > PAGE_IN[0] + 1e-9 or height > PAGE_IN[1] + 1e-9:
            problems.append(f"{name}: {width:.2f} x {height:.2f} in is larger than a page")
        return problems
    finally:
        plt.close(fig)


def _check_pages(figures: list) -> list[str]:
    """Check the first two and the last page of each chart (the pages between share their layout)."""
    problems = []
    for name, fig in figures:
        base = name.rsplit("_", 1)[0] if name.rsplit("_", 1)[-1].isdigit() else name
        pages = [n for n, _ in figures if n == base or (n.startswith(base + "_") and n[len(base) + 1 :].isdigit())]
        position = pages.index(name) if name in pages else 0
        if position < 2 or position == len(pages) - 1:
            problems += _check(name, fig)
        else:
            plt.close(fig)
    return problems


def _representatives(ds: xr.Dataset) -> list[str]:
    """One variable of each (dims, units) kind that ``cge plot -v`` charts."""
    seen, out = set(), []
    for name, var in ds.data_vars.items():
        dims = frozenset(var.dims) - {SCENARIO}
        if SCENARIO not in var.dims or dims not in ({REGION}, {REGION, "commodity"}):
            continue
        if not np.issubdtype(var.dtype, np.number):
            continue
        key = (dims, var.attrs.get("units"))
        if key not in seen:
            seen.add(key)
            out.append(str(name))
    return out


def test_every_cli_chart_is_legible(case):
    """What ``cge plot`` writes: the standard (or sweep) charts with the notes line, and one ``-v``
    chart of every kind of variable."""
    ds, selection = case
    figures = list(plots.charts(ds, **selection))
    drawn = [name for name, _ in figures]
    problems = _check_pages(figures)
    shown = select(ds, regions=selection.get("regions"))
    variables = _representatives(shown) if DRAW not in ds.dims else list(plots.SWEEP_CHARTS)
    for var in variables:
        try:
            figures = list(plots.charts(ds, variables=[var], **selection))
        except ReportError:  # e.g. a group subtotal the variable cannot have: refused, not drawn
            continue
        drawn += [name for name, _ in figures]
        problems += _check_pages(figures)
    assert drawn
    assert not problems, "\n".join(problems[:30])


def _public_chart_functions():
    return {name: getattr(plots, name) for name in plots.__all__ if name.startswith("plot_")}


def test_every_api_chart_is_legible(case):
    """Every public ``plot_*`` function, with every variable it accepts, with and without notes
    (the many-scenario layouts are those of the CLI charts above)."""
    ds, selection = case
    if ds.sizes[SCENARIO] > 10 or (ds.sizes[SCENARIO] > 2 and not selection and DRAW not in ds.dims):
        pytest.skip("the same layouts as the CLI charts of these results, or of the shipped SAM with groups")
    shown = select(ds, regions=selection.get("regions"))
    variables = _representatives(shown) + [v for v in plots.SWEEP_CHARTS if f"{v}_mean" in shown]
    problems = []
    for name, func in _public_chart_functions().items():
        parameters = inspect.signature(func).parameters
        for var in variables if "var" in parameters else [None]:
            try:
                result = func(shown, var) if var is not None else func(shown)
            except ReportError:
                continue
            pages = result if isinstance(result, list) else [result]
            for page, fig in enumerate(pages):
                if 1 < page < len(pages) - 1:
                    plt.close(fig)
                    continue
                if page % 2:
                    plots.add_notes(fig, "Notes: " + "a long notes line to wrap " * 12)
                problems += _check(f"{name}({var or ''}) page {page + 1}", fig)
    assert not problems, "\n".join(problems[:30])


def test_every_public_chart_function_draws_something(hand, shipped_results):
    """The enumeration above reaches every public chart function (none is silently skipped)."""
    sweep = _synthetic_sweep(shipped_results)
    for name, func in _public_chart_functions().items():
        parameters = inspect.signature(func).parameters
        drawn = False
        for ds in (hand, shipped_results, sweep):
            for var in (_representatives(ds) + list(plots.SWEEP_CHARTS)) if "var" in parameters else [None]:
                try:
                    result = func(ds, var) if var is not None else func(ds)
                except ReportError:
                    continue
                for fig in result if isinstance(result, list) else [result]:
                    plt.close(fig)
                drawn = True
                break
            if drawn:
                break
        assert drawn, name


# ------------------------------------------------------------------------------ figure options


@pytest.fixture(scope="module")
def hand_file(hand, tmp_path_factory) -> str:
    return saved_results(hand, tmp_path_factory, "figures")


def test_plot_formats_and_one_pdf(hand_file, tmp_path):
    """cge plot --format png|pdf|svg, --out FILE.pdf for one PDF with a page per chart, TrueType fonts."""
    from typer.testing import CliRunner

    from cge.cli import app

    runner = CliRunner()
    signatures = {"png": b"\x89PNG", "pdf": b"%PDF", "svg": b"<?xml"}
    counts = {}
    for fmt, signature in signatures.items():
        result = runner.invoke(app, ["plot", hand_file, "--format", fmt, "--out", str(tmp_path / fmt)])
        assert result.exit_code == 0, result.output
        files = sorted((tmp_path / fmt).iterdir())
        assert files and all(f.suffix == f".{fmt}" and f.read_bytes()[:5].startswith(signature) for f in files)
        counts[fmt] = len(files)
    assert len(set(counts.values())) == 1
    result = runner.invoke(app, ["plot", hand_file, "--out", str(tmp_path / "all.pdf")])
    assert result.exit_code == 0, result.output
    data = (tmp_path / "all.pdf").read_bytes()
    assert data.count(b"/Type /Page\n") + data.count(b"/Type /Page ") + data.count(b"/Type/Page") >= counts["pdf"]
    assert b"/FontFile2" in data and b"/Type3" not in data
    result = runner.invoke(app, ["plot", hand_file, "--format", "svg", "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1 and "use --format pdf" in " ".join(result.output.split())
    result = runner.invoke(app, ["plot", hand_file, "--format", "tiff", "--out", str(tmp_path / "t")])
    assert result.exit_code == 1 and "unknown figure format 'tiff'" in result.output


def test_no_notes(hand):
    with_notes = dict(plots.charts(hand))
    without = dict(plots.charts(hand, notes=False))
    assert set(with_notes) == set(without)
    for name in with_notes:
        texts = [t.get_text() for t in with_notes[name].texts]
        assert any(t.startswith("Changes vs") for t in texts), name
        assert not any(t.startswith("Changes vs") for t in (x.get_text() for x in without[name].texts)), name
    plt.close("all")


def test_agrifood_chart_respects_regions(shipped_results):
    figures = dict(plots.charts(shipped_results, regions=["USA", "MEX", "CAN"]))
    ax = figures["agrifood_exports"].axes[0]
    pairs = [t.get_text() for t in ax.get_yticklabels()] + [t.get_text() for t in ax.get_xticklabels()]
    pairs = [p for p in pairs if "\N{RIGHTWARDS ARROW}" in p]
    assert pairs and not [p for p in pairs if "CHN" in p or "ROW" in p]
    welfare = figures["welfare"]
    assert welfare._suptitle.get_text().endswith("USA")
    plt.close("all")
    figures = dict(plots.charts(shipped_results, regions=["MEX", "CAN"]))
    assert "trade_jobs" not in figures  # the US jobs indicator: USA not shown
    assert figures["welfare"]._suptitle.get_text().endswith("MEX")
    plt.close("all")


def test_heatmaps_leave_out_empty_columns(shipped_results):
    """A column with no value (e.g. a region without the variable) is not drawn as an empty column."""
    ds = shipped_results.copy()
    ds["pms"] = ds["pms"].where(ds["region"] != "CHN")  # price of the import bundle (GTAP v7)
    for fig in plots.plot_output_heatmaps(ds, "pms"):
        for ax in fig.axes[:-1]:
            if ax.get_visible() and ax.images:
                assert "CHN" not in [t.get_text() for t in ax.get_xticklabels()]
                assert not np.isnan(ax.images[0].get_array().filled(np.nan)).all(axis=0).any()
        plt.close(fig)
    with pytest.raises(ReportError, match="no USMCA subtotal"):
        list(plots.charts(shipped_results, variables=["pms"], regions=["USA", "MEX", "CAN", "USMCA"]))


def test_titles_and_units_read_properly(shipped_results):
    fig = plots.plot_region_bars(shipped_results, "real_gdp_pct")
    assert fig._suptitle.get_text() == "Real GDP change"  # not "Real gdp change"
    plt.close(fig)
    sweep = _synthetic_sweep(shipped_results)
    fig = plots.plot_sweep(sweep, "ev")
    label = fig._supxlabel.get_text()
    assert "[US$ bn]" in label and "[US$\n" not in label
    plt.close(fig)


def test_sweep_panels_have_their_own_scales_when_magnitudes_differ(shipped_results):
    """A narrow US interval is drawn wide enough to see beside Mexico's wide one."""
    sweep = _synthetic_sweep(shipped_results)
    fig = plots.plot_sweep(sweep, "ev")
    axes = {ax.get_title(): ax for ax in fig.axes if ax.get_visible()}
    for region, ax in axes.items():
        values = [0.0] + [float(v) for s in ("p05", "p95") for v in sweep[f"ev_{s}"].sel(region=region).values]
        left, right = ax.get_xlim()
        assert right - left < 2 * (max(values) - min(values)), region  # scaled to its own data
    assert len({ax.get_xlim() for ax in axes.values()}) == len(axes)
    plt.close(fig)


def test_solver_noise_is_drawn_as_zero(hand):
    """Employment under full employment changes by ~1e-6 persons (as in the shipped results): the chart
    says 0 instead of drawing an axis of noise."""
    ds = hand.copy()
    ds["employment_change"] = ds["employment_change"] * 0 + xr.DataArray([5.9e-6, -3.7e-9], dims="region")
    fig = plots.plot_jobs(ds)
    ax = fig.axes[0]
    assert "every value is 0" in [t.get_text() for t in ax.texts]
    assert ax.get_ylim() == (-1.0, 1.0)
    plt.close(fig)
