"""The indicator layer: the registry, every variable on request, reference
scenarios, scenario differences and group subtotals."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr
from conftest import hand_elasticity_table

import cge
from cge.indicators import indicator_table
from cge.indicators.compare import ReferenceError, difference, rebase
from cge.indicators.groups import GroupError, add_subtotals, load_groups
from cge.options import RunOptions
from cge.scenario import ScenarioError

TARIFF = [{"importer": "A", "exporter": "B", "commodity": "man", "rate_pct": 30}]


@pytest.fixture(scope="module")
def three(hand_sam_module, hand_elasticities_module):
    """Baseline and three scenarios on the hand SAM, every variable."""
    scenarios = [
        cge.Scenario(name="t30", tariffs=TARIFF),
        cge.Scenario(name="t60", tariffs=[dict(TARIFF[0], rate_pct=60)]),
        cge.Scenario(name="retaliation", tariffs=[*TARIFF, {"importer": "B", "exporter": "A", "rate_pct": 30}]),
    ]
    return cge.run(scenarios, sam=hand_sam_module, elasticities=hand_elasticities_module, detail="all")


@pytest.fixture(scope="module")
def hand_sam_module():
    from cge.examples import two_region_sam

    return two_region_sam()


@pytest.fixture(scope="module")
def hand_elasticities_module():
    return hand_elasticity_table()


def test_every_indicator_row_has_one_producer_and_back():
    """Every indicator row is produced by the GTAP v7 layer (cge.indicators.gtap.PRODUCED), and
    every produced name has a row."""
    from cge.indicators.gtap import PRODUCED

    table = indicator_table()
    rows = set(table.index[table["kind"] == "indicator"])
    assert set(PRODUCED) == rows
    assert set(table["reference"]) <= {"ratio", "difference", "level", "none"}
    for name, rule in table["aggregate"].items():
        if rule.startswith("pct:"):
            assert rule[4:] in table.index, name


def test_detail_all_has_every_gtap_variable(three):
    """``detail="all"``: every GTAP v7 variable under its GEMPACK name, on result dims."""
    from cge.gtap.model.variables import variable_table
    from cge.indicators.gtap.labels import result_dim_names

    for name, spec in variable_table().items():
        if "internal:" in spec.description:  # save_value: a helper of the levels model, not a result
            assert name not in three, name
            continue
        assert name in three, name
        assert three[name].attrs["gtap_variable"] == name
        assert three[name].dims == ("scenario", *result_dim_names(spec.dims)), name
    assert three["qo"].dims == ("scenario", "activity", "region")
    np.testing.assert_allclose(three["qo"].sel(scenario="baseline"), 0.0, atol=1e-9)
    tms = three["tms"].sel(commodity="man", exporter="B", importer="A")
    # rates of 30 % and 60 % of the cif value: the powers' ratio is 1.6 / 1.3 whatever the benchmark rate
    assert (1 + tms.sel(scenario="t60") / 100) / (1 + tms.sel(scenario="t30") / 100) == pytest.approx(1.6 / 1.3)
    # the EV indicator is GEMPACK's EV in US$ bn
    np.testing.assert_allclose(three["ev"], three["EV"] / 1000.0, rtol=1e-12)


def test_results_describe_themselves(three):
    for dim in ("region", "activity", "commodity", "scenario"):
        assert three[dim].attrs["long_name"], dim
    assert three["real_gdp_pct"].dims == ("scenario", "region")
    assert three["scenario_description"].dims == ("scenario",)
    assert json.loads(three["scenario_definition"].sel(scenario="t30").item())["name"] == "t30"
    for key in ("database_hash", "cge_version", "git_commit", "created"):
        assert three.attrs[key], key
    assert three.attrs["model"] == "GTAP v7"
    assert "xarray" in json.loads(three.attrs["package_versions"])


def test_reference_scenario_rebases_every_change(three):
    based = rebase(three, "t30")
    np.testing.assert_allclose(based["real_gdp_pct"].sel(scenario="t30"), 0.0, atol=1e-12)
    np.testing.assert_allclose(based["ev"].sel(scenario="t30"), 0.0, atol=1e-12)
    gdp = three["real_gdp"]
    expected = 100 * (gdp.sel(scenario="t60") / gdp.sel(scenario="t30") - 1)
    np.testing.assert_allclose(based["real_gdp_pct"].sel(scenario="t60"), expected, rtol=1e-9)
    np.testing.assert_allclose(based["ev"], three["ev"] - three["ev"].sel(scenario="t30"))
    np.testing.assert_allclose(based["real_gdp"], three["real_gdp"])  # levels stay levels
    # transitive: via another reference gives the same
    np.testing.assert_allclose(rebase(rebase(three, "t60"), "t30")["output_pct"], based["output_pct"], atol=1e-10)
    # the baseline reproduces the benchmark: re-basing on it changes nothing
    np.testing.assert_allclose(rebase(three, "baseline")["terms_of_trade_pct"], three["terms_of_trade_pct"], atol=1e-10)
    with pytest.raises(ReferenceError, match="'nosuch' is not in the results"):
        rebase(three, "nosuch")


def test_run_with_reference_and_unknown_reference(hand_sam, hand_elasticities):
    scen = [cge.Scenario(name="t30", tariffs=TARIFF)]
    ds = cge.run(scen, sam=hand_sam, elasticities=hand_elasticities, reference="t30")
    assert ds.attrs["reference_scenario"] == "t30"
    np.testing.assert_allclose(ds["real_gdp_pct"].sel(scenario="t30"), 0.0, atol=1e-12)
    assert (ds["ev"].sel(scenario="baseline") > 0).any()  # removing the tariff from t30 helps someone
    with pytest.raises(ScenarioError, match="reference scenario 'nosuch' is not among the scenarios"):
        cge.run(scen, sam=hand_sam, elasticities=hand_elasticities, reference="nosuch")
    with pytest.raises(TypeError, match="unknown option"):
        cge.run(scen, sam=hand_sam, elasticities=hand_elasticities, referenc="t30")
    with pytest.raises(ValueError, match="detail"):
        RunOptions(detail="everything")


def test_difference_of_two_scenarios(three):
    diff = difference(three, "t30", "retaliation")
    assert "scenario" not in diff.dims
    np.testing.assert_allclose(diff["ev"], three["ev"].sel(scenario="retaliation") - three["ev"].sel(scenario="t30"))
    np.testing.assert_allclose(
        diff["exports"], three["exports"].sel(scenario="retaliation") - three["exports"].sel(scenario="t30")
    )
    assert "iterations" not in diff


def test_gtap_variables_are_rebased_and_differenced_by_their_type(three, tmp_path):
    """``detail="all"`` GTAP variables follow their type: percentage changes (``qo``) re-based as
    ratios, ordinary changes (``del_tbal``) differenced, also after a netCDF round trip (the rule
    comes from the ``gtap_variable`` attr)."""
    path = tmp_path / "three.nc"
    three.to_netcdf(path)
    with xr.open_dataset(path) as stored:
        reread = stored.load()
    for ds in (three, reread):
        based = rebase(ds, "t30")
        np.testing.assert_allclose(based["qo"].sel(scenario="t30"), 0.0, atol=1e-12)
        qo = ds["qo"]
        expected = 100 * ((1 + qo.sel(scenario="t60") / 100) / (1 + qo.sel(scenario="t30") / 100) - 1)
        np.testing.assert_allclose(based["qo"].sel(scenario="t60"), expected, rtol=1e-9, atol=1e-12)
        assert float(abs(based["qo"].sel(scenario="t60")).max()) > 1e-3  # a change that could be lost
        tbal = ds["del_tbal"]
        np.testing.assert_allclose(based["del_tbal"], tbal - tbal.sel(scenario="t30"), atol=1e-12)
        diff = difference(ds, "t30", "t60")
        np.testing.assert_allclose(diff["qo"], expected, rtol=1e-9, atol=1e-12)


def test_group_subtotals_from_the_data_file(three):
    groups = load_groups()
    assert {g.name for g in groups} >= {"USMCA", "world", "goods", "services", "agri-food"}
    out = add_subtotals(three, groups, names=["world", "goods", "services"])
    assert list(out.region.values) == ["A", "B", "world"]
    np.testing.assert_allclose(out["ev"].sel(region="world"), three["ev"].sum("region"))
    gdp, pct = three["real_gdp"], three["real_gdp_pct"]
    expected = 100 * (gdp.sum("region") / (gdp / (1 + pct / 100)).sum("region") - 1)
    np.testing.assert_allclose(out["real_gdp_pct"].sel(region="world"), expected, rtol=1e-10)
    assert bool(out["terms_of_trade_pct"].sel(region="world").isnull().all())  # no aggregation rule
    assert bool(out["region_is_group"].sel(region="world"))
    goods = three["exports"].where(three["goods"], 0.0).sum("commodity")
    np.testing.assert_allclose(out["exports"].sel(commodity="goods", exporter=["A", "B"], importer=["A", "B"]), goods)
    assert out["exports"].sel(commodity="services").sum() == pytest.approx(
        float(three["exports"].where(~three["goods"], 0.0).sum())
    )
    # USMCA needs USA, MEX and CAN: skipped on the hand SAM, an unknown name is an error
    assert "USMCA" not in add_subtotals(three, groups).region.values
    with pytest.raises(GroupError, match="unknown group 'Mercosur'"):
        add_subtotals(three, groups, names=["Mercosur"])


def test_bad_groups_file_is_named(tmp_path):
    bad = tmp_path / "groups.csv"
    bad.write_text("dimension,group,members\nsector,x,a b\n")
    with pytest.raises(GroupError, match=r"groups.csv, row 2: dimension 'sector'"):
        load_groups(bad)
