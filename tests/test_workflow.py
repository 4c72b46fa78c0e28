"""The README's economist workflow, command by command, on the shipped SAM: three scenarios, a diff
against a reference scenario, subtotals, a LaTeX table with notes, figures and a sweep table."""

from __future__ import annotations

import re
import shlex
import struct
from pathlib import Path

import pytest
import xarray as xr
from typer.testing import CliRunner

from cge.cli import app

ROOT = Path(__file__).resolve().parent.parent
PAGE_PX = (1050, 1350)


def _commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Economist workflow.*?```bash\n(.*?)```", text, flags=re.S)
    assert block, "README has no economist workflow block"
    commands = [shlex.split(line) for line in block.group(1).splitlines() if line.strip()]
    assert all(c[0] == "cge" for c in commands)
    return [c[1:] for c in commands]


def _png_size(path: Path) -> tuple[int, int]:
    return struct.unpack(">II", path.read_bytes()[16:24])


@pytest.fixture(scope="module")
def workflow(tmp_path_factory):
    """Run every README command in a fresh directory (the sweep in-process instead of a LocalCluster)."""
    work = tmp_path_factory.mktemp("workflow")
    (work / "experiments").symlink_to(ROOT / "experiments")
    outputs = {}
    runner = CliRunner()
    import os

    old = os.getcwd()
    os.chdir(work)
    try:
        for args in _commands():
            if args[0] == "sweep":
                args = [*args, "--scheduler", "inprocess"]
            result = runner.invoke(app, args)
            assert result.exit_code == 0, (args, result.output)
            outputs[" ".join(args[:2])] = result.output
    finally:
        os.chdir(old)
    return work, outputs


def test_three_scenarios_with_every_variable(workflow):
    work, _ = workflow
    with xr.open_dataset(work / "results.nc", engine="h5netcdf") as ds:
        assert list(ds.scenario.values) == ["baseline", "termination", "tariff25", "tariff25_retaliation"]
        assert ds["qo"].attrs["gempack_type"] == "percentage change"  # GTAP v7 variables by their GEMPACK names
        assert ds["employment"].dims == ("scenario", "region", "activity")


def test_diff_against_a_reference_scenario_with_subtotals(workflow):
    _, outputs = workflow
    text = outputs["diff tariff25"]
    assert "25% tariffs + retaliation vs 25% US tariffs" in text  # the scenarios' labels
    assert re.search(r"\| USMCA\s+\|", text) and re.search(r"\| world\s+\|", text)
    assert "measured from '25% US tariffs'" in text
    assert "| real GDP [%] |" in re.sub(r" +", " ", text)  # the headline table's column labels


def test_latex_table_with_notes_and_subtotal(workflow):
    work, _ = workflow
    tex = (work / "headline.tex").read_text()
    assert "\\toprule" in tex and "\\bottomrule" in tex
    assert "USMCA" in tex
    assert "Notes:" in tex and "Changes vs scenario 'tariff25'" in tex and "Source: cge" in tex
    assert "\\resizebox" not in tex and "$-$" in tex  # standard font sizes; true minus signs


def test_latex_table_compiles(workflow, tmp_path):
    """The LaTeX table of the workflow compiles with pdflatex and fits the page (no overfull box)."""
    from latex_engine import compile_latex

    work, _ = workflow
    log = compile_latex((work / "headline.tex").read_text(), tmp_path)
    assert "Overfull \\hbox" not in log


def test_group_table_of_a_user_groups_file(workflow):
    _, outputs = workflow
    text = outputs["table results.nc"]
    for label in ("partners", "metals", "vehicles", "goods", "services"):
        assert re.search(rf"\|\s+{label}\s+\|", text), label
    assert text.index("25% tariffs + retaliation [%]") < text.index("25% US tariffs [%]")  # --scenarios order


def test_variable_table_csv_is_rounded(workflow):
    work, _ = workflow
    lines = (work / "output.csv").read_text().splitlines()
    assert lines[0].startswith("activity,region") and "25% tariffs + retaliation [%]" in lines[0]
    assert lines[-1].startswith("# Notes:")
    for line in lines[1:-1]:
        for value in line.split(",")[2:]:
            assert len(value.split(".")[-1]) <= 2 or "e" not in value, line


def test_figures_fit_a_page(workflow):
    work, _ = workflow
    pngs = sorted((work / "figures").rglob("*.png"))
    names = {p.name for p in pngs}
    assert {"real_gdp.png", "ev.png", "output_heatmap.png"} <= names
    for path in pngs:
        width, height = _png_size(path)
        assert width <= PAGE_PX[0] and height <= PAGE_PX[1], (path.name, width, height)
    svgs = {p.name for p in (work / "figures" / "sweep").glob("*.svg")}
    assert {"sweep_real_gdp_pct.svg", "sweep_ev.svg"} <= svgs


def test_figures_as_one_pdf(workflow):
    """The workflow's figures as one PDF: a page per chart, each at most a page, fonts embedded as TrueType."""
    work, _ = workflow
    data = (work / "figures.pdf").read_bytes()
    boxes = [tuple(map(float, m)) for m in re.findall(rb"/MediaBox \[ *0 0 ([\d.]+) ([\d.]+) *\]", data)]
    assert len(boxes) == len(list((work / "figures").glob("*.png")))  # the same charts
    assert all(w <= PAGE_PX[0] * 72 / 150 + 0.5 and h <= PAGE_PX[1] * 72 / 150 + 0.5 for w, h in boxes)
    assert b"/FontFile2" in data and b"/Type3" not in data  # journals refuse Type 3 fonts


def test_sweep_table(workflow):
    _, outputs = workflow
    text = outputs["table sweep.nc"]
    assert "90% low" in text and "90% high" in text and "25% US tariffs" in text
    assert "Chebyshev" in text  # the interval method is in the notes
    from cge.report.tables import sweep_table
    from cge.report.writers import write_table

    work, _ = workflow
    with xr.open_dataset(next(work.glob("sweep*.nc"))) as ds:
        csv = write_table(sweep_table(ds.load(), "real_gdp_pct"), "csv")
    means = [line.split(",")[2] for line in csv.splitlines()[1:] if not line.startswith("#") and "," in line]
    assert means and all(len(m.split(".")[1]) <= 3 for m in means)  # rounded as shown: 3 decimals
    assert any(len(m.split(".")[1]) == 3 for m in means), means


def test_a_sweep_variable_is_plotted_by_its_indicator_name(workflow, tmp_path):
    from cge.report.plots import write_plots

    work, _ = workflow
    with xr.open_dataset(next(work.glob("sweep*.nc"))) as ds:
        written = write_plots(ds.load(), tmp_path, variables=["terms_of_trade_pct"])
    assert [p.name for p in written] == ["terms_of_trade_pct.png"]
