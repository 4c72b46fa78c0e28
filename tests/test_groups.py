"""Groups everywhere (issue 19 item 3): one registry (``calibration/groups.csv`` plus a user's
``--groups FILE``) for scenario rows, tables, diffs and plots; a subtotal a variable cannot have is
a one-line error, not a silent drop."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from conftest import hand_elasticity_table, hand_results, saved_results
from sam_factory import random_balanced_sam
from typer.testing import CliRunner

import cge
from cge.cli import app
from cge.examples import two_region_sam
from cge.indicators.groups import GroupError, load_groups
from cge.report import ReportError, report_tables
from cge.report.tables import diff_table

runner = CliRunner()


@pytest.fixture(scope="module")
def results() -> xr.Dataset:
    return hand_results([cge.Scenario(name="tariff", tariffs=[{"importer": "A", "exporter": "B", "rate_pct": 30}])])


@pytest.fixture(scope="module")
def results_file(results, tmp_path_factory) -> str:
    return saved_results(results, tmp_path_factory, "groups")


@pytest.fixture
def groups_file(tmp_path) -> str:
    path = tmp_path / "groups.csv"
    path.write_text(
        "dimension,group,members,description\n"
        "region,pair,A B,both regions\n"
        "commodity,manufacturing,man,the goods sector\n"
    )
    return str(path)


# ------------------------------------------------------------------------------- scenario rows


@pytest.fixture(scope="module")
def model():
    """A random SAM and its GTAP v7 database (:func:`cge.gtap.from_sam`)."""
    from cge.gtap import from_sam

    sam = random_balanced_sam(n_regions=4, n_commodities=6, seed=3)
    return sam, from_sam(sam, _elasticities(sam))


def _elasticities(sam):
    from conftest import elasticity_table

    return elasticity_table(sam.commodity.values)


def _flows(model, rows, groups=None):
    """The (commodity, exporter, importer) flows whose tariff power the rows shock."""
    from cge.gtap import gtap_shocks

    _sam, database = model
    plan = gtap_shocks(cge.Scenario(name="s", tariffs=rows), database, groups=groups)
    tms = plan.shocks["tms"].transpose("COMM", "REG", "REG_2")
    hit = np.argwhere(tms.values != 0)
    return {(str(tms.COMM.values[i]), str(tms.REG.values[s]), str(tms.REG_2.values[r])) for i, s, r in hit}


def test_scenario_rows_expand_commodity_groups(model):
    """commodity = "services" / "agri-food" expand to their members (only "goods" did before)."""
    sam, m = model
    goods = {str(c) for c, g in zip(sam.commodity.values, sam.goods.values) if g}
    agri = {str(c) for c, g in zip(sam.commodity.values, sam.agrifood.values) if g}
    r = [str(x) for x in sam.region.values]
    row = {"importer": r[0], "exporter": r[1], "rate_pct": 10}
    services = _flows(model, [{**row, "commodity": "services"}])
    assert services and {i for i, _s, _r in services} <= set(map(str, sam.commodity.values)) - goods
    assert {i for i, _s, _r in _flows(model, [{**row, "commodity": "agri-food"}])} <= agri
    assert _flows(model, [{**row, "commodity": "goods"}]) | services == _flows(model, [{**row, "commodity": "all"}])


def test_scenario_rows_expand_region_groups_and_user_groups(model, tmp_path):
    sam, m = model
    r = [str(x) for x in sam.region.values]
    path = tmp_path / "g.csv"
    path.write_text(f"dimension,group,members\nregion,bloc,{r[0]} {r[1]}\ncommodity,two,c1 c2\n")
    groups = tuple(load_groups(extra=path))
    flows = _flows(model, [{"importer": "bloc", "exporter": r[2], "commodity": "two", "rate_pct": 5}], groups)
    assert flows and {(i, s, d) for i, s, d in flows} <= {(c, r[2], d) for c in ("c1", "c2") for d in r[:2]}
    world = _flows(model, [{"importer": "world", "exporter": r[3], "commodity": "all", "rate_pct": 5}])
    assert {d for _i, _s, d in world} == set(r[:3])
    with pytest.raises(
        cge.scenario.ScenarioError, match="'bloc' is not a region of the database .*region group: USMCA, world"
    ):
        _flows(model, [{"importer": "bloc", "exporter": r[2], "rate_pct": 5}])  # without the user's file


def test_cli_run_with_a_user_groups_file(tmp_path):
    """cge run --groups FILE: a scenario row naming a user group, recorded in the results' attrs."""
    sam_path = tmp_path / "sam.nc"
    two_region_sam().to_netcdf(sam_path, engine="h5netcdf")
    elasticities = tmp_path / "e.csv"
    hand_elasticity_table().reset_index().to_csv(elasticities, index=False)
    (tmp_path / "g.csv").write_text("dimension,group,members\nregion,home,A\n")
    (tmp_path / "s.toml").write_text('[[tariffs]]\nimporter = "home"\nexporter = "B"\nrate_pct = 20\n')
    out = tmp_path / "r.nc"
    args = ["run", str(tmp_path / "s.toml"), "--sam", str(sam_path), "--elasticities", str(elasticities)]
    options = ["--groups", str(tmp_path / "g.csv"), "--out", str(out), "--detail", "all"]
    result = runner.invoke(app, [*args, *options])
    assert result.exit_code == 0, result.output
    sam = two_region_sam()
    flow = {"commodity": "man", "exporter": "B", "importer": "A"}
    base = float(sam["vims"].sel(flow) / sam["vxmd"].sel(flow))  # 1 + A's tariff on B's goods before the shock
    with xr.open_dataset(out, engine="h5netcdf") as ds:  # tms: the power's change raising it to 20 %
        assert '"home"' in ds.attrs["groups"]
        power = float(ds["tms"].sel(scenario="s", importer="A", exporter="B", commodity="man"))
        assert power == pytest.approx(100 * (1.2 / base - 1))
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "no.nc")])
    assert result.exit_code == 1 and "'home' is not a region of the database" in result.output
    assert not (tmp_path / "no.nc").exists()


# --------------------------------------------------------------------------------------- files


@pytest.mark.parametrize(
    "text, message",
    [
        ("dimension,members\nregion,A\n", "lacks column(s) group"),
        ("dimension,group,members\nsector,x,a\n", "row 2: dimension 'sector' is not region or commodity"),
        ("dimension,group,members\nregion,x,\n", "row 2: group 'x' has no members"),
        ("dimension,group,members\nregion,x,[goods]\n", "row 2: group 'x': [flag] members apply to commodity"),
        ('dimension,group,members\nregion,"a,b",A\n', "must be non-empty, without commas"),
        ("dimension,group,members\nregion,x,A\nregion,x,B\n", "defined twice: region x"),
    ],
)
def test_bad_groups_files_are_one_line_errors(tmp_path, results_file, text, message):
    from cge.indicators.groups import read_groups

    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(GroupError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        read_groups(path)
    result = runner.invoke(app, ["table", results_file, "--groups", str(path)])
    assert result.exit_code == 1 and str(path) in " ".join(result.output.split()) and "Traceback" not in result.output


def test_a_user_group_replaces_a_shipped_one(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("dimension,group,members\nregion,USMCA,USA MEX\n")
    usmca = [g for g in load_groups(extra=path) if g.name == "USMCA"]
    assert len(usmca) == 1 and usmca[0].members == "USA MEX"


# ------------------------------------------------------------------------------ tables and diffs


def test_cli_table_with_user_groups_and_commodity_groups(results, results_file, groups_file):
    args = ["table", results_file, "-v", "output", "--regions", "A,pair", "--commodities", "man,services,manufacturing"]
    result = runner.invoke(app, [*args, "--groups", groups_file, "-f", "csv"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.output), comment="#").set_index(["region", "commodity"])
    output = results["output"].sel(scenario="tariff")
    column = table.columns[-1]
    assert table.loc[("pair", "manufacturing"), column] == pytest.approx(
        float(output.sel(commodity="man").sum()),
        abs=0.006,  # the precision shown: 2 decimals of US$ bn
    )
    assert table.loc[("A", "services"), column] == pytest.approx(
        float(output.sel(region="A", commodity="ser")), abs=0.006
    )
    result = runner.invoke(app, [*args, "-f", "csv"])  # without the file: its groups are unknown
    assert result.exit_code == 1 and "'pair' is not in the results" in result.output


def test_a_subtotal_a_variable_cannot_have_is_an_error(results_file, tmp_path):
    """-v qo --regions A,B,world: a percentage change cannot be added up; one line, exit 1, not a silent drop."""
    for command in (["table", results_file], ["plot", results_file, "--out", str(tmp_path / "p")]):
        result = runner.invoke(app, [*command, "-v", "qo", "--regions", "A,B,world"])
        assert result.exit_code == 1, result.output
        line = " ".join(result.output.split())
        assert "'qo'" in line and "no world subtotal" in line and "Traceback" not in line
    assert not (tmp_path / "p").exists() or not list((tmp_path / "p").iterdir())
    result = runner.invoke(app, ["table", results_file, "-v", "del_tbal", "--regions", "A,B,world", "-f", "csv"])
    assert result.exit_code == 0, result.output  # an amount in US$ is summed
    table = pd.read_csv(io.StringIO(result.output), comment="#").set_index("region")
    assert table.loc["world"].iloc[0] == pytest.approx(table.loc[["A", "B"]].iloc[:, 0].sum(), rel=1e-3)


def test_diff_with_groups(results):
    table = diff_table(results, "baseline", "tariff", regions=["A", "B", "world"])
    assert np.isnan(table.loc["world", "terms of trade [%]"])  # a default column without a subtotal: empty, said
    assert "terms of trade [%]" in table.attrs["notes"] and "no subtotal for world" in table.attrs["notes"]
    assert table.loc["world", "EV [US$ bn]"] == pytest.approx(table.loc[["A", "B"], "EV [US$ bn]"].sum())
    with pytest.raises(ReportError, match="'terms_of_trade_pct' .* has no world subtotal"):
        diff_table(results, "baseline", "tariff", ["terms_of_trade_pct"], regions=["A", "world"])


def test_standard_tables_take_user_groups(results, groups_file):
    tables = report_tables(
        results, regions=["A", "B", "pair"], groups=load_groups(extra=groups_file), names=["headline"]
    )
    headline = tables["headline"]
    assert headline.loc[("pair", "tariff"), "EV [US$ bn]"] == pytest.approx(
        float(results["ev"].sel(scenario="tariff").sum())
    )
