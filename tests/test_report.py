"""Report tables, writers, plots and the compare/table/plot commands, on results of the hand SAM."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xarray as xr
from conftest import hand_database
from typer.testing import CliRunner

import cge
from cge.cli import app
from cge.examples import two_region_sam
from cge.report import (
    ReportError,
    agrifood_exports_table,
    headline_table,
    jobs_by_sector_table,
    report_tables,
    trade_by_partner_table,
    write_table,
    write_tables,
)
from cge.report.compare import stack_results
from cge.report.selection import source_note

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def results() -> xr.Dataset:
    """Baseline + 30% tariff of A on B, solved on the hand database (``man`` agri-food, persons employed)."""
    scenarios = [
        cge.Scenario(name="baseline"),
        cge.Scenario(name="tariff", tariffs=[{"importer": "A", "exporter": "B", "rate_pct": 30}]),
    ]
    return cge.run(scenarios, sam=hand_database())


@pytest.fixture(scope="module")
def results_file(results, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("results") / "r.nc"
    results.to_netcdf(path, engine="h5netcdf")
    return str(path)


# ----------------------------------------------------------------------------------------- tables


def test_headline_table_matches_the_dataset(results):
    table = headline_table(results)
    assert list(table.index.names) == ["region", "scenario"]
    for region in ("A", "B"):
        for scen in ("baseline", "tariff"):
            row = table.loc[(region, scen)]
            point = results.sel(region=region, scenario=scen)
            assert row["real GDP [%]"] == pytest.approx(float(point["real_gdp_pct"]))
            assert row["real GDP [US$ bn]"] == pytest.approx(float(point["real_gdp"]))
            assert row["EV [US$ bn]"] == pytest.approx(float(point["ev"]))
        base = table.loc[(region, "baseline")]
        assert base["real GDP [%]"] == pytest.approx(0.0, abs=1e-9)
        assert base["EV [US$ bn]"] == pytest.approx(0.0, abs=1e-9)
        assert base["employment change [persons]"] == 0.0
    change = table.loc[("A", "tariff"), "employment change [persons]"]
    emp = results["employment_total"].sel(region="A")
    assert change == pytest.approx(float(emp.sel(scenario="tariff") - emp.sel(scenario="baseline")))
    assert table.loc[("B", "tariff"), "real GDP [%]"] < 0  # the tariff lowers the exporter's GDP


def test_headline_without_employment_or_baseline(results, caplog):
    slim = results.drop_vars(["employment", "employment_total"])
    assert not any("employment" in c for c in headline_table(slim).columns)
    assert "jobs_by_sector" not in report_tables(slim)
    only_tariff = results.sel(scenario=["tariff"])
    table = headline_table(only_tariff)
    assert table["employment change [persons]"].isna().all()
    assert "no 'baseline' scenario" in caplog.text
    with pytest.raises(ReportError, match="need a 'baseline' scenario"):
        jobs_by_sector_table(only_tariff)


def test_jobs_by_sector(results):
    table = jobs_by_sector_table(results, region="B")
    emp = results["employment"].sel(region="B")
    assert list(table.index) == ["man", "ser", "total"]
    assert table.loc["man", "baseline [persons]"] == pytest.approx(float(emp.sel(scenario="baseline", activity="man")))
    expected = float(emp.sel(scenario="tariff", activity="ser") - emp.sel(scenario="baseline", activity="ser"))
    assert table.loc["ser", "tariff change [persons]"] == pytest.approx(expected)
    assert table.loc["total"].to_numpy() == pytest.approx(table.loc[["man", "ser"]].sum().to_numpy())
    with pytest.raises(ReportError, match="region 'ZZ' is not in the results"):
        jobs_by_sector_table(results, region="ZZ")


def test_bilateral_tables(results):
    trade = trade_by_partner_table(results)
    assert list(trade.index.names) == ["exporter", "importer", "scenario"]
    assert {(e, i) for e, i, _ in trade.index} == {("A", "B"), ("B", "A")}  # no domestic "exports"
    level = float(results["exports"].sel(exporter="B", importer="A", commodity="man", scenario="tariff"))
    base = float(results["exports"].sel(exporter="B", importer="A", commodity="man", scenario="baseline"))
    row = trade.loc[("B", "A", "tariff")]
    assert row["level [US$ bn]"] == pytest.approx(level)  # goods only: ``ser`` is not traded as a good
    assert row["change [%]"] == pytest.approx(100 * (level / base - 1))
    assert row["change [%]"] < 0
    assert trade.loc[("B", "A", "baseline"), "change [%]"] == pytest.approx(0.0)
    agri = agrifood_exports_table(results)
    assert agri.loc[("A", "B", "tariff"), "level [US$ bn]"] == pytest.approx(
        trade.loc[("A", "B", "tariff"), "level [US$ bn]"]
    )
    no_agri = results.drop_vars("agrifood_exports", errors="ignore").assign_coords(agrifood=("commodity", [0, 0]))
    with pytest.raises(ReportError, match="no agri-food commodities"):
        agrifood_exports_table(no_agri.assign_coords(agrifood=no_agri.agrifood.astype(bool)))
    with pytest.raises(ReportError, match="unknown table"):
        report_tables(results, names=["nope"])


def test_markdown_and_latex_formatting(results):
    table = headline_table(results)
    md = write_table(table, "md", name="headline")
    gdp = float(results["real_gdp_pct"].sel(region="B", scenario="tariff"))
    assert f"{gdp:+.3f}" in md
    assert "| region" in md and "### Headline results" in md
    latex = write_table(table, "latex", name="headline")
    assert "\\toprule" in latex and "\\bottomrule" in latex and "US\\$ bn" in latex and "[\\%]" in latex
    persons = pd.DataFrame({"x [persons]": [13_000_000.0, -1234.4]}, index=pd.Index(["a", "b"], name="k"))
    assert "13,000,000" in write_table(persons, "md") and "-1,234" in write_table(persons, "md")


def test_every_format_writes_a_file(results, tmp_path):
    tables = report_tables(results)
    assert set(tables) >= {"headline", "jobs_by_sector", "agrifood_exports", "trade_by_partner"}
    for fmt, name in (("md", "t.md"), ("latex", "t.tex"), ("xlsx", "t.xlsx")):
        (path,) = write_tables(tables, fmt, tmp_path / name)
        assert path.stat().st_size > 0
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames == list(tables)
    assert book["headline"]["A1"].value == "Headline results by region and scenario"
    written = write_tables(tables, "csv", tmp_path / "t.csv")
    assert [p.name for p in written] == [f"t_{name}.csv" for name in tables]
    headline = pd.read_csv(tmp_path / "t_headline.csv", comment="#")
    assert headline["real GDP [%]"].iloc[1] == round(float(results["real_gdp_pct"][1, 0]), 3)  # precision shown
    assert (tmp_path / "t_headline.csv").read_text().splitlines()[-1].startswith("# Notes: Changes vs")
    with pytest.raises(ReportError, match="xlsx"):
        write_tables(tables, "xlsx")
    with pytest.raises(ReportError, match="unknown table format"):
        write_tables(tables, "pdf", tmp_path / "t.pdf")
    assert not list(tmp_path.glob("*.tmp"))  # atomic writes leave no temporary files


# ------------------------------------------------------------------------------------------ plots


def test_plots_write_pngs(results, tmp_path):
    from cge.report.plots import write_plots

    written = write_plots(results, tmp_path / "plots")
    names = {p.name for p in written}
    assert {"real_gdp.png", "ev.png", "employment.png", "output_heatmap.png", "agrifood_exports.png"} <= names
    for path in written:
        assert path.read_bytes()[:8] == PNG


# ------------------------------------------------------------------------------- compare and CLI


def test_stack_results(results):
    tariff = results.sel(scenario=["tariff"]).assign_coords(scenario=["tariff2"])
    stacked = stack_results([results, tariff], ["a.nc", "b.nc"])
    assert list(stacked.scenario.values) == ["baseline", "tariff", "tariff2"]
    assert stacked["real_gdp"].attrs["units"] == "US$ bn"
    np.testing.assert_allclose(
        stacked["ev"].sel(scenario="tariff2").values, results["ev"].sel(scenario="tariff").values
    )
    # definitions of the scenarios each file holds (the renamed copy's "tariff" definition is dropped)
    definitions = [json.loads(d)["name"] for d in stacked["scenario_definition"].values]
    assert definitions == ["baseline", "tariff", "tariff"]
    with pytest.raises(ReportError, match="scenario name 'tariff' appears in both a.nc and b.nc"):
        stack_results([results, results.sel(scenario=["tariff"])], ["a.nc", "b.nc"])
    other = tariff.assign_attrs(database_hash="0" * 64, benchmark_hash="0" * 64)
    with pytest.raises(ReportError, match="different SAMs or databases"):
        stack_results([results, other], ["a.nc", "b.nc"])
    assert stack_results([results, other], allow_different_sam=True).sizes["scenario"] == 3


def test_stack_keeps_one_baseline_of_the_same_sam(results):
    """Every cge run includes the baseline; stacking two runs on the same SAM keeps one."""
    second = results.assign_coords(scenario=["baseline", "tariff_b"])
    stacked = stack_results([results, second], ["a.nc", "b.nc"])
    assert list(stacked.scenario.values) == ["baseline", "tariff", "tariff_b"]
    other_sam = second.assign_attrs(database_hash="1" * 64, benchmark_hash="1" * 64)
    with pytest.raises(ReportError, match="different SAMs or databases"):
        stack_results([results, other_sam], ["a.nc", "b.nc"])
    with pytest.raises(ReportError, match="'baseline' appears in both"):
        stack_results([results, other_sam], ["a.nc", "b.nc"], allow_different_sam=True)


def test_cli_compare_table_plot(results, results_file, tmp_path):
    second = tmp_path / "second.nc"
    results.sel(scenario=["tariff"]).assign_coords(scenario=["tariff_b"]).to_netcdf(second, engine="h5netcdf")
    out = tmp_path / "both.nc"
    result = runner.invoke(app, ["compare", results_file, str(second), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert list(ds.scenario.values) == ["baseline", "tariff", "tariff_b"]
    result = runner.invoke(app, ["compare", results_file, results_file, "--out", str(tmp_path / "x.nc")])
    assert result.exit_code == 1 and "is given more than once" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x.nc").exists()

    result = runner.invoke(app, ["table", str(out), "--table", "headline"])
    assert result.exit_code == 0, result.output
    assert "Headline results" in result.output and "tariff_b" in result.output
    result = runner.invoke(app, ["table", str(out), "-t", "headline", "--format", "csv"])
    assert result.exit_code == 0 and result.output.startswith("region,scenario,real GDP [%]")
    result = runner.invoke(app, ["table", str(out), "--format", "xlsx", "--out", str(tmp_path / "t.xlsx")])
    assert result.exit_code == 0 and (tmp_path / "t.xlsx").stat().st_size > 0

    result = runner.invoke(app, ["plot", results_file, "--out", str(tmp_path / "plots")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "plots" / "real_gdp.png").read_bytes()[:8] == PNG


@pytest.mark.parametrize(
    "args, message",
    [
        (["table", "{missing}"], "results file not found"),
        (["table", "{junk}"], "cannot read"),
        (["table", "{results}", "--format", "pdf"], "unknown table format 'pdf'"),
        (["table", "{results}", "--format", "xlsx"], "needs --out"),
        (["table", "{results}", "--region", "ZZ"], "region 'ZZ' is not in the results"),
        (["plot", "{sam}", "--out", "{tmp}/p"], "not a cge results file"),
        (["table", "{results}", "--baseline", "nosuch"], "reference scenario 'nosuch' is not in the results"),
        (["plot", "{results}", "--baseline", "nosuch", "--out", "{tmp}/p"], "reference scenario 'nosuch'"),
        (["table", "{results}", "--scenarios", "nosuch"], "scenario 'nosuch' is not in the results"),
        (["table", "{results}", "--regions", "A,Mercosur"], "region 'Mercosur' is not in the results"),
        (["diff", "baseline", "nosuch", "--results", "{results}"], "scenario 'nosuch' is not in the results"),
        (["table", "{results}", "-v", "nosuch"], "results have no variable 'nosuch'"),
    ],
)
def test_cli_user_errors(args, message, results_file, tmp_path):
    junk = tmp_path / "junk.nc"
    junk.write_text("not netCDF")
    sam = tmp_path / "sam.nc"
    two_region_sam().to_netcdf(sam, engine="h5netcdf")
    names = {"missing": tmp_path / "none.nc", "junk": junk, "results": results_file, "sam": sam, "tmp": tmp_path}
    result = runner.invoke(app, [a.format(**names) for a in args])
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())  # rich may wrap long lines
    assert "Traceback" not in result.output
    assert np.all([not p.name.endswith(".tmp") for p in tmp_path.iterdir()])


def test_cli_diff_of_scenarios_and_of_files(results, results_file, tmp_path):
    result = runner.invoke(app, ["diff", "baseline", "tariff", "--results", results_file, "--regions", "A,B,world"])
    assert result.exit_code == 0, result.output
    assert "tariff vs baseline" in result.output and "| world" in result.output and "Notes:" in result.output
    ev = results["ev"].sel(scenario="tariff", region="A").item()
    assert f"{ev:.2f}" in result.output
    other = tmp_path / "other.nc"
    results.sel(scenario=["baseline"]).to_netcdf(other, engine="h5netcdf")
    result = runner.invoke(app, ["diff", results_file, str(other), "--scenario", "baseline", "-f", "csv"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(__import__("io").StringIO(result.output), comment="#").set_index("region")
    assert (table.abs() < 1e-9).all().all()  # the same scenario in two files: no difference
    result = runner.invoke(app, ["diff", results_file, str(other)])
    assert result.exit_code == 1 and "--scenario" in result.output


def test_diff_shows_signed_changes_and_both_files_provenance(results, tmp_path):
    from cge.report.compare import pair_for_diff
    from cge.report.tables import diff_table

    table = diff_table(results, "baseline", "tariff")
    text = write_table(table, "csv")
    body = pd.read_csv(__import__("io").StringIO(text), comment="#").set_index("region")
    gdp = results["real_gdp_pct"].sel(scenario="tariff")
    np.testing.assert_allclose(body["real GDP [%]"], gdp.round(3), atol=1e-12)  # three decimals
    md = write_table(table, "md")
    for region in ("A", "B"):
        ev = results["ev"].sel(scenario="tariff", region=region).item()
        assert f"{ev:+.2f}" in md  # a change carries its sign
    first, second = results.copy(), results.copy()
    # GTAP v7 results carry the elasticities inside the database (and its hash): the files may
    # differ in version and commit, which the notes name for both
    second.attrs = dict(results.attrs, cge_version="9.9.9", git_commit="e" * 40)
    pair, a, b = pair_for_diff(first, second, "a.nc", "b.nc", scenario="tariff")
    notes = diff_table(pair, a, b).attrs["notes"]
    assert f"Source: cge {results.attrs['cge_version']} (A), 9.9.9 (B)" in notes
    assert f", {'e' * 10} (B)" in notes
    assert f"(hash {results.attrs['database_hash'][:12]})" in notes
    stacked = stack_results([first.sel(scenario=["tariff"]), second.sel(scenario=["baseline"])])
    assert f"Source: cge {results.attrs['cge_version']}, 9.9.9, commit" in source_note(stacked)
    other = second.assign_attrs(database_hash="f" * 64, benchmark_hash="f" * 64)
    with pytest.raises(ReportError, match="different SAMs or databases"):
        pair_for_diff(first, other, "a.nc", "b.nc", scenario="tariff")


def test_latex_layouts_and_notes(results):
    long = pd.DataFrame({"x [%]": np.linspace(-1, 1, 60)}, index=pd.Index([f"r{k}" for k in range(60)], name="row"))
    long.attrs["notes"] = "Source: test & more"
    tex = write_table(long, "latex", name="long")
    assert "\\begin{longtable}" in tex and "\\endhead" in tex and "Source: test \\& more" in tex
    wide = pd.DataFrame({f"column {k} [US$ bn]": [-12345.678] for k in range(9)}, index=pd.Index(["a"], name="row"))
    tex = write_table(wide, "latex")  # too wide at the normal size: smaller standard sizes, never scaled
    assert "resizebox" not in tex and "\\footnotesize" in tex
    wider = pd.concat([wide, wide.add_prefix("more ")], axis=1)
    assert "\\begin{sidewaystable}" in write_table(wider, "latex")  # then a landscape page
    small = write_table(wide.iloc[:, :2], "latex")
    assert "\\begin{table}" in small and "small" not in small and "$-$12,345.68" in small
    tables = report_tables(results)
    for table in tables.values():
        assert table.attrs["notes"].startswith("Changes vs the benchmark database")
        assert (
            "Source: cge" in table.attrs["notes"]
            and f"(hash {results.attrs['database_hash'][:12]})" in table.attrs["notes"]
        )
    assert "*Notes:*" in write_table(tables["headline"], "md")


def test_scenario_colours_are_unique_and_never_grey():
    from cge.report.plots import scenario_colours

    for n in (3, 12, 17, 25):
        names = ["baseline", *[f"s{k}" for k in range(n)]]
        colours = scenario_colours(names)
        others = [colours[f"s{k}"] for k in range(n)]
        assert len(set(others)) == n
        assert all(not (abs(c[0] - c[1]) < 0.02 and abs(c[1] - c[2]) < 0.02) for c in others)  # not grey


def test_figures_have_notes_and_fit_a_page(results, tmp_path):
    from cge.report.plots import PAGE_HEIGHT, PAGE_WIDTH, write_plots

    calls = []
    written = write_plots(results, tmp_path, regions=["A", "B", "world"], progress=lambda *a: calls.append(a))
    assert calls and calls[-1][0] == "done"
    for path in written:
        width, height = __import__("struct").unpack(">II", path.read_bytes()[16:24])
        assert width <= PAGE_WIDTH * 150 and height <= PAGE_HEIGHT * 150, path.name
    (path,) = write_plots(results, tmp_path / "v", variables=["ev"])
    assert path.name == "ev.png"


# ---------------------------------------------------------------------- results split by shock group


@pytest.fixture(scope="module")
def split() -> xr.Dataset:
    """A tariff of A on B and B's retaliation, split by shock group (one group per importer)."""
    both = cge.Scenario(
        name="war",
        tariffs=[
            {"importer": "A", "exporter": "B", "rate_pct": 20},
            {"importer": "B", "exporter": "A", "rate_pct": 20},
        ],
    )
    return cge.run([both], sam=hand_database(), subtotals=True)


def test_a_split_file_shows_its_totals_everywhere(split, tmp_path):
    """Without --subtotals, tables, diff, compare and view of a file split by shock group show the
    totals, as a run without the split; compare keeps the split only when every run has it."""
    from cge.indicators.gtap.subtotals import total as total_only
    from cge.report.browser.data import view_dataset
    from cge.report.compare import pair_for_diff
    from cge.report.plots import write_plots
    from cge.report.tables import diff_table

    assert "subtotal" in split.dims and split.sizes["subtotal"] == 3
    totals = total_only(split)
    expected = headline_table(totals)
    pd.testing.assert_frame_equal(report_tables(split, names=["headline"])["headline"], expected)
    plain = totals.sel(scenario=["war"]).assign_coords(scenario=["war_plain"])
    stacked = stack_results([split, plain], ["split.nc", "plain.nc"])
    assert "subtotal" not in stacked.dims  # a run without the split says nothing of a group
    np.testing.assert_allclose(stacked["ev"].sel(scenario="war_plain"), stacked["ev"].sel(scenario="war"))
    both = stack_results([split, split.assign_coords(scenario=["baseline", "war2"])], ["a.nc", "b.nc"])
    assert list(both["subtotal"].values) == list(split["subtotal"].values)  # the same groups: kept
    pair, a, b = pair_for_diff(split, plain, "split.nc", "plain.nc")
    assert (diff_table(pair, a, b).abs() < 1e-9).all().all()  # the same scenario: its totals agree
    viewed = view_dataset([split], ["split.nc"])  # the browser keeps the split: 'total' is one of its columns
    np.testing.assert_allclose(viewed["ev"].sel(subtotal="total", region=["A", "B"]), totals["ev"])
    written = write_plots(split, tmp_path / "plots", names_as_labels=True)
    assert {"real_gdp.png", "ev.png", "welfare.png"} <= {p.name for p in written}


def test_source_note_reads_a_commit_attribute_over_two_lines():
    """An attribute with a newline (cge writes none, but a netCDF file may hold one) is read as one
    unlabelled value in the provenance line under every table and figure."""
    ds = xr.Dataset(attrs={"git_commit": "abcdef1234567\nmodified", "cge_version": "0.2.0"})
    assert source_note(ds).endswith("Source: cge 0.2.0, commit abcdef1234.")


def test_runs_that_differ_only_in_elasticities_stack_and_diff():
    """Two runs on the shipped database with different Armington elasticities share the benchmark
    (benchmark_hash) but not the database (database_hash, parameter_hash): compare stacks them
    (one baseline) and diff compares them without --allow-different-sam; the notes name both
    parameter hashes. A database with other flows is still refused."""
    from cge.calibrate import load_elasticities
    from cge.report.compare import pair_for_diff

    table = load_elasticities()
    high = table.assign(sigma_d=table["sigma_d"] * 1.5, sigma_m=table["sigma_m"] * 1.5)
    scenario = cge.Scenario.from_toml(ROOT / "experiments" / "termination.toml")
    first = cge.run(scenario)
    second = cge.run(scenario.model_copy(update={"name": "termination_high"}), elasticities=high)
    assert first.attrs["database_hash"] != second.attrs["database_hash"]
    assert first.attrs["parameter_hash"] != second.attrs["parameter_hash"]
    assert first.attrs["benchmark_hash"] == second.attrs["benchmark_hash"]
    stacked = stack_results([first, second], ["a.nc", "b.nc"])
    assert list(stacked.scenario.values) == ["baseline", "termination", "termination_high"]
    assert stacked.attrs["parameter_hash"] == f"{first.attrs['parameter_hash']},{second.attrs['parameter_hash']}"
    assert first.attrs["parameter_hash"][:12] in source_note(stacked)
    pair, a, b = pair_for_diff(first, second, "a.nc", "b.nc", scenario=None)
    assert (a, b) == ("a.nc:termination", "b.nc:termination_high")
    other = second.assign_attrs(benchmark_hash="2" * 64)
    with pytest.raises(ReportError, match="different SAMs or databases"):
        stack_results([first, other], ["a.nc", "b.nc"])
