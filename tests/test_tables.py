"""Tables a paper can use (issue 19 item 2): no float noise, a sign on every change, LaTeX with true
minus signs and standard font sizes that compiles, scenario labels in the order asked for, whole
numbers as integers, the same column labels in ``table`` and ``diff``, and no all-zero reference
column."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from conftest import hand_results, saved_results
from latex_engine import compile_latex
from typer.testing import CliRunner

import cge
from cge.cli import app
from cge.errors import ScenarioError
from cge.report import headline_table, report_tables, write_table, write_tables
from cge.report.tables import diff_table, variable_table

runner = CliRunner()


@pytest.fixture(scope="module")
def results() -> xr.Dataset:
    """Baseline and two tariffs on the hand SAM, every model variable; the scenarios have
    descriptions and are held in another order than the one asked for below."""
    scenarios = [
        cge.Scenario(name="baseline"),
        cge.Scenario(
            name="small",
            description="a 10% tariff of A on B",
            tariffs=[{"importer": "A", "exporter": "B", "rate_pct": 10}],
        ),
        cge.Scenario(
            name="big", description="30% tariff", tariffs=[{"importer": "A", "exporter": "B", "rate_pct": 30}]
        ),
    ]
    return hand_results(scenarios)


@pytest.fixture(scope="module")
def results_file(results, tmp_path_factory) -> str:
    return saved_results(results, tmp_path_factory, "tables")


def _noisy_copy(results: xr.Dataset) -> xr.Dataset:
    """``big`` and an identical ``big_again`` whose levels differ by solver noise (1e-12 relative)."""
    again = results.sel(scenario=["big"]).assign_coords(scenario=["big_again"])
    for name in ("trade_balance", "tariff_revenue", "real_gdp", "del_tbal"):
        again[name] = again[name] * (1 + 1e-12) + 1e-13
    return xr.concat([results, again], dim="scenario", coords="minimal", compat="override")


def test_noise_is_printed_as_zero_in_every_format(results):
    """The diff of two identical scenarios shows 0, not 9.89e-13 (issue 19: diff of identical runs)."""
    ds = _noisy_copy(results)
    table = diff_table(ds, "big", "big_again", ["real_gdp_pct", "ev", "tariff_revenue", "trade_balance", "del_tbal"])
    for fmt in ("md", "latex", "csv"):
        text = write_table(table, fmt)
        assert not re.search(r"\de-\d", text), (fmt, text)
    body = pd.read_csv(io.StringIO(write_table(table, "csv")), comment="#").set_index("region")
    assert (body == 0).all().all()


def test_every_change_carries_a_sign(results):
    """Positive EV and percent changes print with '+' in Markdown and LaTeX; levels without."""
    table = headline_table(results)
    ev = float(results["ev"].sel(region="A", scenario="big"))
    assert ev > 0
    md = write_table(table, "md")
    assert f"{ev:+.2f}" in md or f"{ev:+.3g}" in md
    tex = write_table(table, "latex")
    assert "$+$" in tex and "$-$" in tex
    gdp = float(results["real_gdp"].sel(region="A", scenario="big"))
    assert f"+{gdp:.2f}" not in md  # a level is not a change
    tot = variable_table(results, "terms_of_trade_pct")
    assert re.search(r"\| +\+\d", write_table(tot, "md"))


def test_latex_has_true_minus_signs_and_no_scaling(results):
    tables = report_tables(results)
    tex = write_tables(tables, "latex")
    assert "resizebox" not in tex and "scalebox" not in tex
    assert not re.search(r"(^|& )-\d", tex, flags=re.M)  # every minus sign is $-$
    assert "$-$" in tex


def test_latex_tables_compile(results, tmp_path):
    """Every standard table, a long one and a wide one compile with pdflatex and fit the page."""
    tables = dict(report_tables(results))
    tables["long"] = variable_table(results.assign_coords(region=["A" * 3, "B" * 3]), "qo")
    tables["long"] = pd.concat([tables["long"]] * 12)
    wide = pd.DataFrame(
        {f"column {k} [US$ bn]": [-12345.678, 0.5] for k in range(11)}, index=pd.Index(["a", "b"], name="row")
    )
    tables["wide"] = wide
    tables["very wide"] = pd.concat([wide.add_prefix(f"part {k} ") for k in range(4)], axis=1)  # 44 columns
    tex = write_tables(tables, "latex")
    assert "\\begin{longtable}" in tex and "\\begin{sidewaystable}" in tex
    assert "\\caption{very wide (1/" in tex  # too wide for any page: split, label columns repeated
    log = compile_latex(tex, tmp_path)
    assert "Overfull \\hbox" not in log


def test_scenario_labels_in_the_order_asked_for(results):
    """Tables show each scenario's label (else its description) in the --scenarios order."""
    tables = report_tables(results, scenarios=["big", "small"], variables=["real_gdp_pct"])
    text = write_table(tables["real_gdp_pct"], "md")
    header = text.splitlines()[2]
    assert header.index("30% tariff") < header.index("a 10% tariff of A on B")
    assert "| big" not in text and "small [" not in text
    headline = write_table(report_tables(results, scenarios=["big", "small"], names=["headline"])["headline"], "csv")
    rows = [line.split(",")[1] for line in headline.splitlines()[1:4]]
    assert rows == ["baseline", "30% tariff", "a 10% tariff of A on B"]  # the reference first, then as asked
    names = write_table(report_tables(results, names_as_labels=True, names=["headline"])["headline"], "csv")
    assert ",big," in names and "30% tariff" not in names


def test_a_label_is_shown_instead_of_the_description(results):
    scenario = cge.Scenario(name="big", label="Big tariff", description="a long description of the shock")
    assert scenario.label == "Big tariff"
    ds = results.copy()
    ds["scenario_label"] = ("scenario", ["", "", "Big tariff"])
    text = write_table(variable_table(ds, "ev"), "md")
    assert "Big tariff [US$ bn]" in text and "30% tariff" not in text
    with pytest.raises(ScenarioError, match="label"):
        cge.Scenario(name="x", label="two\nlines")


def test_cli_scenarios_order_and_labels(results_file):
    result = runner.invoke(app, ["table", results_file, "-v", "ev", "--scenarios", "big,small", "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "region,30% tariff [US$ bn],a 10% tariff of A on B [US$ bn]"


def test_persons_are_integers_in_csv(results):
    table = headline_table(results.assign(employment_total=results["employment_total"] + 0.37))
    csv = write_table(table, "csv")
    column = pd.read_csv(io.StringIO(csv), comment="#")["employment change [persons]"]
    assert column.dtype.kind == "i"
    assert not re.search(r",-?\d+\.0,", csv.replace("0.0,", "x,"))  # no 7786065.0-style persons


def test_diff_and_table_use_the_same_column_labels(results):
    diff = diff_table(results, "baseline", "big")
    headline = headline_table(results)
    shared = [c for c in diff.columns if c in headline.columns]
    assert {"real GDP [%]", "EV [US$ bn]", "terms of trade [%]"} <= set(shared)
    assert not [c for c in diff.columns if "_pct" in c or c.startswith("ev ")]
    assert diff.attrs["title"] == "30% tariff vs baseline"


def test_zero_reference_column_is_dropped_and_said(results):
    table = variable_table(results, "qo")  # a GEMPACK percentage change
    assert not [c for c in table.columns if c.startswith("baseline")]
    assert "The reference scenario 'baseline' is not shown: every change in it is 0." in table.attrs["notes"]
    levels = variable_table(results, "output")  # levels keep the reference column
    assert [c for c in levels.columns if c.startswith("baseline")]
    welfare = report_tables(results, names=["welfare"])["welfare"]
    assert not [c for c in welfare.columns if c.startswith("baseline")] and "not shown" in welfare.attrs["notes"]


def test_table_notes_keep_the_tables_own_notes(results):
    """The notes line is the source line plus each table's own note (the welfare table's dropped
    reference; the trade-jobs table's published figure is kept the same way)."""
    welfare = report_tables(results, names=["welfare"])["welfare"]
    notes = welfare.attrs["notes"]
    assert notes.startswith("Changes vs the benchmark database") and notes.endswith("every change in it is 0.")


def test_excel_cells_show_signs_and_zero_noise(results, tmp_path):
    import openpyxl

    ds = _noisy_copy(results)
    table = diff_table(ds, "big", "big_again", ["ev", "trade_balance"])
    (path,) = write_tables({"diff": table}, "xlsx", tmp_path / "d.xlsx")
    sheet = openpyxl.load_workbook(path)["diff"]
    values = [sheet.cell(row=r, column=c).value for r in (3, 4) for c in (2, 3)]
    assert values == [0, 0, 0, 0]
    assert sheet.cell(row=3, column=2).number_format.startswith("+")
    assert np.isfinite(values).all()


def test_library_scale_tables_compile(many_scenarios, tmp_path):
    """Every table of a 37-scenario report (the library's labels) fits the page: smaller standard
    sizes, landscape pages, or parts (k/n) that repeat the row labels; pdflatex finds no overfull box."""
    tables = report_tables(many_scenarios, regions=["USA", "MEX", "CAN", "USMCA", "world"])
    tex = write_tables(tables, "latex")
    assert "resizebox" not in tex and "(1/" in tex
    log = compile_latex(tex, tmp_path)
    assert "Overfull \\hbox" not in log


def test_labels_of_stacked_files_with_and_without_labels(results):
    """A file written before scenario labels existed stacks with a new one: its scenarios keep their
    descriptions (or names), never 'nan'."""
    from cge.report.compare import stack_results
    from cge.report.selection import scenario_labels

    new = results.sel(scenario=["big"]).assign_coords(scenario=["big_new"])
    new["scenario_label"] = ("scenario", ["Big, new"])
    old = results.drop_vars("scenario_label", errors="ignore")
    labels = scenario_labels(stack_results([old, new], ["old.nc", "new.nc"]))
    assert labels == {
        "baseline": "baseline",
        "small": "a 10% tariff of A on B",
        "big": "30% tariff",
        "big_new": "Big, new",
    }


def test_gempack_variables_are_re_based_by_their_type(results):
    """--baseline and diff re-base a GEMPACK percentage change (qo) as a ratio of levels and an
    ordinary change (del_tbal, US$ million) as a difference; both carry signs as changes."""
    from cge.indicators.compare import rebase

    assert results["qo"].attrs["gempack_type"] == "percentage change"
    assert results["del_tbal"].attrs["gempack_type"] == "ordinary change"
    moved = rebase(results, "small")
    qo, ref = results["qo"].sel(scenario="big"), results["qo"].sel(scenario="small")
    np.testing.assert_allclose(moved["qo"].sel(scenario="big"), 100 * ((1 + qo / 100) / (1 + ref / 100) - 1))
    tbal = results["del_tbal"]
    np.testing.assert_allclose(
        moved["del_tbal"].sel(scenario="big"), tbal.sel(scenario="big") - tbal.sel(scenario="small")
    )
    assert float(abs(moved["qo"].sel(scenario="small")).max()) < 1e-12
    text = write_table(variable_table(results, "del_tbal"), "md")
    assert re.search(r"\| +[+-]\d", text)  # a change carries its sign
