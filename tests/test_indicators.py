"""The indicator layer: compiled evaluation, the registry, every variable on request, reference
scenarios, scenario differences and group subtotals."""

from __future__ import annotations

import json

import numpy as np
import pyomo.environ as pyo
import pytest
import xarray as xr
from conftest import hand_elasticity_table
from helpers import solved

import cge
from cge.calibrate import calibrate
from cge.indicators import extract, indicator_table
from cge.indicators.compare import ReferenceError, difference, rebase
from cge.indicators.groups import GroupError, add_subtotals, load_groups
from cge.indicators.registry import PRODUCERS
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
    """Every indicator row is produced by the old model's registry or by the GTAP v7 layer
    (cge.indicators.gtap.PRODUCED), and every produced name has a row."""
    from cge.indicators.gtap import PRODUCED

    table = indicator_table()
    rows = set(table.index[table["kind"] == "indicator"])
    assert set(PRODUCERS) | set(PRODUCED) == rows
    assert set(table["reference"]) <= {"ratio", "difference", "level", "none"}
    for name, rule in table["aggregate"].items():
        if rule.startswith("pct:"):
            assert rule[4:] in table.index, name


def test_compiled_evaluation_equals_the_pyomo_expressions(hand_sam, hand_elasticities):
    """Every variable, expression and mutable parameter from the compiled evaluator equals the
    Pyomo value at the solution (the one place the expressions are walked: this check)."""
    model, solver, _ = solved(hand_sam, hand_elasticities, shocks={"tm": {("man", "B", "A"): 0.4}})
    evaluator = solver.compiled.evaluator
    dense = evaluator.dense(solver.x_last, solver.p_last)
    checked = 0
    for comp in model.pyomo.component_objects((pyo.Var, pyo.Expression, pyo.Param)):
        if comp.local_name not in evaluator.slots:
            assert comp.ctype is pyo.Param and not comp.mutable, comp.local_name
            continue
        slot = evaluator.slots[comp.local_name]
        for index, data in comp.items():
            key = () if index is None else (index if isinstance(index, tuple) else (index,))
            at = tuple(evaluator.coords[d].index(k) for d, k in zip(slot.dims, key))
            assert dense[comp.local_name][at] == pytest.approx(pyo.value(data), rel=1e-12, abs=1e-14)
            checked += 1
    assert checked > 50
    assert np.isnan(dense["qxs"]).any()  # no entry where the SAM has no flow


def test_detail_all_has_every_model_component_with_gtap_names(three):
    from cge.model.metadata import metadata_table

    meta = metadata_table()
    for name, row in meta[meta["kind"].isin(["variable", "expression"])].iterrows():
        if name in ("qendow",):  # empty under full employment: no entries, still a (NaN) variable
            assert name in three
            continue
        assert name in three, name
        if name in indicator_table().index:  # an indicator of that name takes the table's attrs
            continue
        assert three[name].attrs["gtap"] == row["gtap"]
        if row["units"].startswith("index"):
            np.testing.assert_allclose(three[f"{name}_pct"], 100 * (three[name] - 1), equal_nan=True)
    assert three["qo"].dims == ("scenario", "activity", "region")
    np.testing.assert_allclose(three["qo_pct"].sel(scenario="baseline"), 0.0, atol=1e-9)
    assert three["tm"].sel(scenario="t30", commodity="man", exporter="B", importer="A") == pytest.approx(0.3)
    # the EV indicator is the model's ev expression in US$ bn
    np.testing.assert_allclose(three["ev"], three["utility_pct"] / 100 * three["gdp_income"].sel(scenario="baseline"))


def test_results_describe_themselves(three):
    assert three["region"].attrs["long_name"] and three["activity"].attrs["long_name"]
    assert three["employment"].dims == ("scenario", "region", "activity")
    assert three["scenario_description"].dims == ("scenario",)
    assert json.loads(three["scenario_definition"].sel(scenario="t30").item())["name"] == "t30"
    for key in ("sam_hash", "elasticity_hash", "cge_version", "git_commit", "created"):
        assert three.attrs[key], key
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


def test_model_components_are_rebased_and_differenced_by_their_units(three, tmp_path):
    """``detail="all"`` variables follow the indicators: ``<name>_pct`` re-based as a ratio of
    levels, levels left alone (``rebase``) or differenced (``difference``), also after a netCDF
    round trip (the rule comes from the ``model_component`` attr)."""
    path = tmp_path / "three.nc"
    three.to_netcdf(path)
    with xr.open_dataset(path) as stored:
        reread = stored.load()
    for ds in (three, reread):
        based = rebase(ds, "t30")
        np.testing.assert_allclose(based["qo_pct"].sel(scenario="t30"), 0.0, atol=1e-12)
        qo = ds["qo"]
        expected = 100 * (qo.sel(scenario="t60") / qo.sel(scenario="t30") - 1)
        np.testing.assert_allclose(based["qo_pct"].sel(scenario="t60"), expected, rtol=1e-9, atol=1e-12)
        assert float(abs(based["qo_pct"].sel(scenario="t60")).max()) > 1e-3  # a change that could be lost
        np.testing.assert_allclose(based["qo"], qo)
        diff = difference(ds, "t30", "t60")
        np.testing.assert_allclose(diff["qo_pct"], expected, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(diff["qo"], qo.sel(scenario="t60") - qo.sel(scenario="t30"))


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


def test_extraction_needs_no_pyomo_values(hand_sam, hand_elasticities, monkeypatch):
    """Extraction reads the compiled evaluator only: it works with pyo.value disabled."""
    model, solver, _ = solved(hand_sam, hand_elasticities, shocks={"tm": {("man", "B", "A"): 0.4}})
    cal = calibrate(hand_sam, hand_elasticities)

    def forbidden(*_a, **_k):
        raise AssertionError("pyo.value called during extraction")

    monkeypatch.setattr(pyo, "value", forbidden)
    ds = extract(solver, cal, detail="all")
    assert isinstance(ds, xr.Dataset) and float(ds["real_gdp_pct"].sel(region="B")) < 0
