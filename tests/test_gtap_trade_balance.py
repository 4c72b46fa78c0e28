"""Trade-balance targets on GTAP v7 (``[[closure.trade_balance]]``, cge.gtap.trade_balance): the
targets are met under every horizon and macro rule, a target at the benchmark replicates, the
closure is square and homogeneous, subtotals sum to the total, bad targets are refused in one
line; on the open database through ``cge.run`` and on the hand SAM through ``cge run``."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

import cge
from cge.cli import app
from cge.errors import BatchSolveError, CmfError, ScenarioError
from cge.gtap import load_database, synthetic_database
from cge.gtap.horizons import gtap_closure
from cge.gtap.scenario_runner import prepared_model
from cge.gtap.scenario_shocks import gtap_shocks
from cge.gtap.simulate import GtapSolveError, prepare
from cge.gtap.subtotals import TOTAL
from cge.gtap.trade_balance import benchmark_balance, solve_to_targets
from cge.indicators.gtap.subtotals import total
from cge.scenario import Scenario, definition_shocks

HORIZONS = ("short_run", "medium_run", "long_run")
MACROS = ("rate_of_return", "global_bank", "fixed_trade_balance")
TARGETS = ({"region": "r00", "usd_bn": -5.0}, {"region": "r02", "share_of_gdp_pct": 2.0, "group": "r02 balance"})
"""r00's balance from -7.75 to -5 US$ bn; r02's from 3.97 % to 2 % of its GDP."""
TARIFF = {"importer": "r00", "exporter": "r01", "commodity": "all", "rate_pct": 20.0}


@pytest.fixture(scope="module")
def database() -> xr.Dataset:
    return synthetic_database(regions=4, commodities=3, seed=2)


def _scenario(closure: dict, **fields) -> Scenario:
    return Scenario(name="t", closure=closure, **{"tariffs": [TARIFF], **fields})


def _solve(database: xr.Dataset, scenario: Scenario, subtotals: bool = False) -> xr.Dataset:
    _, prepared = prepared_model(scenario, database, {})
    plan = gtap_shocks(scenario, database)
    return solve_to_targets(prepared, plan.shocks, database, plan.groups if subtotals else None)


def _balances(database: xr.Dataset, result: xr.Dataset) -> tuple[xr.DataArray, xr.DataArray]:
    """The results' trade balance [US$ million] and its share of GDP at market prices [%] by region."""
    tbal, gdp, _ = benchmark_balance(database)
    balance = tbal + total(result["del_tbal"])
    return balance, 100.0 * balance / (gdp * (1.0 + total(result["vgdp"]) / 100.0))


@pytest.mark.parametrize("macro", MACROS)
@pytest.mark.parametrize("horizon", HORIZONS)
def test_targets_are_met_under_every_horizon_and_macro_rule(database, horizon, macro) -> None:
    scenario = _scenario({"horizon": horizon, "macro": macro, "trade_balance": TARGETS})
    result = _solve(database, scenario)
    balance, share = _balances(database, result)
    np.testing.assert_allclose(float(balance.sel(REG="r00")), -5000.0, rtol=1e-8)
    np.testing.assert_allclose(float(share.sel(REG="r02")), 2.0, rtol=1e-8)
    assert result.attrs["max_residual"] < 1e-9
    assert abs(float(result["walraslack"])) < 1e-9
    assert float(np.abs(result["qinv"].sel(REG=["r00", "r02"])).min()) > 0.1  # investment took the adjustment
    if macro == "fixed_trade_balance":  # r01 keeps its share of world income; r03, the mirror, moves
        assert abs(float(result["del_tbalry"].sel(REG="r01"))) < 1e-10
        assert abs(float(result["del_tbalry"].sel(REG="r03"))) > 1e-3


def test_a_target_on_the_last_region_moves_the_mirror_of_fixed_trade_balance(database) -> None:
    scenario = _scenario({"macro": "fixed_trade_balance", "trade_balance": [{"region": "r03", "usd_bn": 3.0}]})
    result = _solve(database, scenario)
    np.testing.assert_allclose(float(_balances(database, result)[0].sel(REG="r03")), 3000.0, rtol=1e-8)
    assert float(np.abs(result["del_tbalry"].sel(REG=["r00", "r01"])).max()) < 1e-10
    assert abs(float(result["del_tbalry"].sel(REG="r02"))) > 1e-3


def test_a_usd_target_is_met_in_the_results_numeraire(database) -> None:
    """Where GEMPACK's chained pfactwld and the levels model's index differ (short run: lambda - 1
    is about -5e-5 here), a second solve meets the US$ target in the results' numeraire."""
    result = _solve(database, _scenario({"horizon": "short_run", "trade_balance": TARGETS}))
    assert abs(result.attrs["numeraire_scale"] - 1.0) > 1e-6
    assert result.attrs["target_solves"] == 2
    np.testing.assert_allclose(float(_balances(database, result)[0].sel(REG="r00")), -5000.0, rtol=1e-8)


@pytest.mark.parametrize("horizon", HORIZONS)
def test_targets_at_the_benchmark_replicate(database, horizon) -> None:
    tbal, gdp, _ = benchmark_balance(database)
    at_benchmark = [
        {"region": "r00", "usd_bn": float(tbal.sel(REG="r00")) / 1000.0},
        {"region": "r02", "share_of_gdp_pct": float(100.0 * tbal.sel(REG="r02") / gdp.sel(REG="r02"))},
    ]
    result = _solve(database, Scenario(name="t", closure={"horizon": horizon, "trade_balance": at_benchmark}))
    assert result.attrs["newton_iterations"] == 0
    for name, values in result.data_vars.items():
        assert float(np.abs(values).max()) < 1e-9, name


def test_targets_are_homogeneous_of_degree_zero(database) -> None:
    """Doubling the numeraire doubles every value, the US$ target included, and moves nothing real."""
    closure = {"horizon": "short_run", "trade_balance": TARGETS}
    plain = _solve(database, _scenario(closure))
    doubled = _solve(database, _scenario(closure, numeraire_change_pct=100.0))
    for name in ("qgdp", "qo", "qxs", "qinv", "u", "tot", "del_tbalpf", "del_tbalgdp"):
        np.testing.assert_allclose(doubled[name], plain[name], atol=1e-8, err_msg=name)
    np.testing.assert_allclose(doubled["EV"], plain["EV"], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose((1 + doubled["pgdp"] / 100) / (1 + plain["pgdp"] / 100), 2.0, rtol=1e-12)
    np.testing.assert_allclose(_balances(database, doubled)[0], 2.0 * _balances(database, plain)[0], rtol=1e-10)


@pytest.mark.parametrize("macro", MACROS)
def test_the_closure_with_targets_is_square(database, macro) -> None:
    """Each target makes cgdslack(r) an unknown and the target variable exogenous (its equation a
    residual): the system grows by one unknown and one equation per target, except under
    fixed_trade_balance, where the targets take the place of del_tbalry swaps."""
    plain = gtap_closure(database, macro=macro)
    kinds = {"r00": "usd_bn", "r02": "share_of_gdp_pct"}
    targeted = gtap_closure(database, macro=macro, trade_balance=kinds)
    assert 'cgdslack("r00") = del_tbalpf("r00")' in targeted.swaps
    assert 'cgdslack("r02") = del_tbalgdp("r02")' in targeted.swaps
    base = prepare(plain.database, **plain.solve_options()).model
    model = prepare(targeted.database, **targeted.solve_options()).model
    assert model.n == model.compiled.m == base.n + (0 if macro == "fixed_trade_balance" else 2)
    regions = list(database["REG"].values)
    for region, variable in (("r00", "del_tbalpf"), ("r02", "del_tbalgdp")):
        k = regions.index(region)
        assert model.slots["cgdslack"].unknown[k] and model.slots[variable].exogenous[k]


def test_subtotals_of_targets_sum_to_the_total(database) -> None:
    scenario = _scenario({"horizon": "long_run", "trade_balance": TARGETS})
    result = _solve(database, scenario, subtotals=True)
    assert list(result["subtotal"].values) == [TOTAL, "tariffs r00", "trade_balance r00", "r02 balance"]
    assert result.attrs["subtotal_sum_error"] < 1e-6
    for name in ("del_tbal", "del_tbalgdp", "qgdp", "qinv", "EV", "qxs"):
        da = result[name]
        groups = da.drop_sel(subtotal=TOTAL).sum("subtotal")
        np.testing.assert_allclose(groups, da.sel(subtotal=TOTAL), rtol=1e-6, atol=1e-6, err_msg=name)
    share = result["del_tbalgdp"].sel(REG="r02")  # an exogenous ratio: all of it is its own group's
    np.testing.assert_allclose(share.sel(subtotal="r02 balance"), share.sel(subtotal=TOTAL), atol=1e-9)
    assert abs(float(share.sel(subtotal="tariffs r00"))) < 1e-9
    np.testing.assert_allclose(float(_balances(database, result)[0].sel(REG="r00")), -5000.0, rtol=1e-8)


def test_an_unknown_target_region_is_refused_with_the_closest_label(database) -> None:
    scenario = Scenario(name="t", closure={"trade_balance": [{"region": "R00", "usd_bn": 1.0}]})
    message = r"scenario 't': closure.trade_balance\[0\].region 'R00' is not a region of the database .*mean 'r00'"
    with pytest.raises(ScenarioError, match=message):
        gtap_shocks(scenario, database)
    with pytest.raises(ScenarioError, match=message):
        cge.run(scenario, sam=database)


@pytest.mark.parametrize(
    "kinds, message",
    [
        ({r: "usd_bn" for r in ("r00", "r01", "r02", "r03")}, "trade-balance targets in all 4 regions"),
        ({"r09": "usd_bn"}, "trade-balance target: region 'r09' is not in the database"),
        ({"r00": "percent"}, "trade-balance target kind 'percent' is not one of usd_bn, share_of_gdp_pct"),
    ],
)
def test_bad_targets_in_the_closure_are_refused(database, kinds, message) -> None:
    with pytest.raises(CmfError, match=message):
        gtap_closure(database, trade_balance=kinds)


def test_an_impossible_target_fails_with_the_solvers_diagnostics(database) -> None:
    """A surplus of 60 % of GDP needs r00's investment below zero: no equilibrium, and the error
    names the level that reached zero instead of returning a number."""
    scenario = Scenario(name="t", closure={"trade_balance": [{"region": "r00", "share_of_gdp_pct": 60.0}]})
    with pytest.raises(GtapSolveError, match=r"no solution at t = .*smallest level qinv\(r00\) = -100\.0 %"):
        _solve(database, scenario)
    with pytest.raises(BatchSolveError, match=r"1 of 2 scenarios did not solve \(t: no solution at t = ") as err:
        cge.run(scenario, sam=database)
    assert "\n" not in str(err.value).splitlines()[0] and "qinv(r00)" in str(err.value)


def test_a_target_is_a_shock() -> None:
    closure = {"trade_balance": [{"region": "A", "usd_bn": 1.0}]}
    assert definition_shocks(Scenario(name="t", closure=closure).model_dump(mode="json")) == 1
    with pytest.raises(ScenarioError, match="the name 'baseline' is reserved"):
        Scenario(name="baseline", closure=closure)


# ---------------------------------------------------------------------------- the open database
@pytest.fixture(scope="module")
def open_database() -> xr.Dataset:
    return load_database()


def test_targets_on_the_open_database_through_cge_run(tmp_path, open_database) -> None:
    """The 25 % US tariff on Mexico with the US trade balance held at US$ -850 bn and Mexico's at
    0 % of GDP (short run, where the numeraire scale is not 1), from a TOML file, with subtotals;
    and the same targets at their benchmark values, which replicate."""
    tbal, gdp, _ = benchmark_balance(open_database)
    usa, mex = float(tbal.sel(REG="USA")) / 1000.0, float(100.0 * tbal.sel(REG="MEX") / gdp.sel(REG="MEX"))
    closure = '[closure]\nhorizon = "short_run"\n'
    target = '[[closure.trade_balance]]\nregion = "{}"\n{} = {!r}\n'
    tariff = '[[tariffs]]\nimporter = "USA"\nexporter = "MEX"\nrate_pct = 25\ngroup = "US tariffs on Mexico"\n'
    (tmp_path / "held.toml").write_text(
        closure + target.format("USA", "usd_bn", -850.0) + target.format("MEX", "share_of_gdp_pct", 0.0) + tariff
    )
    (tmp_path / "same.toml").write_text(
        closure + target.format("USA", "usd_bn", usa) + target.format("MEX", "share_of_gdp_pct", mex)
    )
    ds = cge.run([tmp_path / "held.toml", tmp_path / "same.toml"], subtotals=True)
    held, same = ds.sel(scenario="held"), ds.sel(scenario="same")
    balance = held["trade_balance"].sel(subtotal=TOTAL)
    np.testing.assert_allclose(float(balance.sel(region="USA")), -850.0, rtol=1e-8)
    share = 100.0 * balance / held["gdp_expenditure"].sel(subtotal=TOTAL)
    assert abs(float(share.sel(region="MEX"))) < 1e-8
    groups = ["US tariffs on Mexico", "trade_balance USA", "trade_balance MEX"]
    assert [g for g in ds["subtotal"].values if g != TOTAL] == groups
    for name, benchmark in (("trade_balance", tbal / 1000.0), ("real_gdp_pct", 0.0), ("ev", 0.0)):
        change = held[name].sel(subtotal=TOTAL) - (benchmark.rename(REG="region") if name == "trade_balance" else 0)
        parts = held[name].sel(subtotal=groups).sum("subtotal")
        np.testing.assert_allclose(parts, change, rtol=1e-6, atol=1e-6, err_msg=name)
    assert float(same["iterations"]) == 0
    for name in ("real_gdp_pct", "ev", "real_investment_pct", "terms_of_trade_pct"):
        assert float(np.abs(same[name].sel(subtotal=TOTAL)).max()) < 1e-9, name
    np.testing.assert_allclose(same["trade_balance"].sel(subtotal=TOTAL), tbal.values / 1000.0, rtol=1e-12)


def test_cge_run_writes_results_that_meet_the_target(tmp_path, hand_sam, hand_elasticities) -> None:
    from cge.sam import save_sam

    save_sam(hand_sam, tmp_path / "sam")
    hand_elasticities.to_csv(tmp_path / "el.csv")
    scenario = tmp_path / "held.toml"
    scenario.write_text(
        '[[tariffs]]\nimporter = "A"\nexporter = "B"\ncommodity = "man"\nrate_pct = 30\n\n'
        '[[closure.trade_balance]]\nregion = "A"\nusd_bn = 0.0\n'
    )
    out = tmp_path / "r.nc"
    data = ["--sam", str(tmp_path / "sam"), "--elasticities", str(tmp_path / "el.csv")]
    result = CliRunner().invoke(app, ["run", str(scenario), "--out", str(out), *data])
    assert result.exit_code == 0, result.output
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        balance = ds["trade_balance"].sel(scenario="held")
        assert abs(float(balance.sel(region="A"))) < 1e-9
        assert abs(float(ds["trade_balance"].sel(scenario="baseline", region="A"))) > 1e-3  # it moved there
    bad = tmp_path / "bad.toml"
    bad.write_text('[[closure.trade_balance]]\nregion = "a"\nusd_bn = 0.0\n')
    result = CliRunner().invoke(app, ["run", str(bad), "--out", str(tmp_path / "bad.nc"), *data])
    assert result.exit_code == 1
    assert "closure.trade_balance[0].region 'a' is not a region of the database" in result.output
    assert "did you mean 'A'" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "bad.nc").exists()
