"""The closures do what they say: wage curve, steady-state capital, rate-of-return bank,
trade-balance targets, horizons, per-region choices, and regions without investment."""

from __future__ import annotations

import math

import pyomo.environ as pyo
import pytest
from conftest import elasticity_table
from helpers import solved
from sam_factory import random_balanced_sam

import cge
from cge.calibrate import calibrate
from cge.dims import AGENT, INVESTMENT, REGION
from cge.model import HORIZONS, CapitalClosure, Closure, ClosureError, Horizon, LabourClosure, MacroClosure, build_model
from cge.scenario import ClosureSpec, Scenario, ScenarioError
from cge.solve import Solver

TARIFF = {"tm": {("man", "B", "A"): 0.5}}
RETALIATION = {"tm": {("man", "B", "A"): 0.5, ("man", "A", "B"): 0.4}}


def _v(expr) -> float:
    return float(pyo.value(expr))


def test_wage_curve_sets_employment_to_real_wage_power(hand_sam, hand_elasticities):
    model, solver, result = solved(hand_sam, hand_elasticities, Closure(labour=LabourClosure.WAGE_CURVE), RETALIATION)
    m = model.pyomo
    assert result.iterations > 0
    for f, r in model.index.labour_factors:
        omega = _v(m.pf[f, r] / m.pfd["household", r])
        eps = _v(m.labour_supply_elasticity[r])
        assert eps == pytest.approx(0.05 / (0.95 * 0.1))  # the 'default' row: u = 5 %, beta = 0.1
        assert m.qendow[f, r].value == pytest.approx(omega**eps, rel=1e-10)
        assert m.qendow[f, r].value < 1.0  # a tariff war lowers the real wage and employment


def test_wage_curve_spans_full_employment_to_fixed_real_wage(hand_sam, hand_elasticities):
    """ε → 0 approaches full employment, ε → ∞ the fixed real wage (same compiled model)."""
    full, _s, _r = solved(hand_sam, hand_elasticities, Closure(), RETALIATION)
    rigid, _s, _r = solved(hand_sam, hand_elasticities, Closure(labour=LabourClosure.FIXED_REAL_WAGE), RETALIATION)
    model, solver, _r = solved(hand_sam, hand_elasticities, Closure(labour=LabourClosure.WAGE_CURVE))
    m = model.pyomo
    employment = {}
    for eps in (1e-6, 0.5, 2.0, 1e4):
        solver.solve(solver.parameter_vector({**RETALIATION, "labour_supply_elasticity": {"A": eps, "B": eps}}))
        employment[eps] = m.qendow["lab", "A"].value
    assert employment[1e-6] == pytest.approx(1.0, abs=1e-6)
    assert employment[1e4] == pytest.approx(rigid.pyomo.qendow["lab", "A"].value, rel=1e-3)
    assert employment[1e-6] > employment[0.5] > employment[2.0] > employment[1e4]
    assert _v(m.pf["lab", "A"]) != pytest.approx(_v(full.pyomo.pf["lab", "A"]), rel=1e-6)


def test_steady_state_fixes_rental_over_investment_price(hand_sam, hand_elasticities):
    model, _s, _r = solved(hand_sam, hand_elasticities, Closure(capital=CapitalClosure.STEADY_STATE), RETALIATION)
    m = model.pyomo
    for f, r in model.index.capital_factors:
        assert _v(m.pf[f, r] / m.pfd[INVESTMENT, r]) == pytest.approx(1.0, rel=1e-10)
        assert _v(m.rorc[r]) == pytest.approx(1.0, rel=1e-10)
        assert abs(m.qendow[f, r].value - 1.0) > 1e-4  # the stock moved
    medium, _s, _r = solved(hand_sam, hand_elasticities, Closure(), RETALIATION)
    for r in model.index.regions:  # capital falls where the medium-run real rental fell
        falls = _v(medium.pyomo.rental[r] / medium.pyomo.pfd[INVESTMENT, r]) < 1.0
        assert (_v(m.capital_stock[r]) < 1.0) == falls


def test_rate_of_return_bank_equalises_expected_returns(hand_sam, hand_elasticities):
    model, solver, _r = solved(hand_sam, hand_elasticities, Closure(MacroClosure.RATE_OF_RETURN), RETALIATION)
    m = model.pyomo
    rore = [_v(m.rore[r]) for r in model.index.regions]
    assert rore[0] == pytest.approx(rore[1], rel=1e-10)
    assert rore[0] != pytest.approx(1.0, abs=1e-6)
    fd0, sav = model.lookup("fd0"), model.lookup("savings")
    investment = sum(fd0[INVESTMENT, r] * _v(m.pfd[INVESTMENT, r] * m.qfdt[INVESTMENT, r]) for r in ("A", "B"))
    assert investment == pytest.approx(sum(sav[r] * m.y[r].value for r in ("A", "B")), rel=1e-10)
    # trade balances are endogenous and still sum to zero
    tb = [_v(m.trade_balance[r]) for r in ("A", "B")]
    assert tb[0] + tb[1] == pytest.approx(0.0, abs=1e-9)
    assert tb[0] != pytest.approx(model.lookup("tb0")["A"], abs=1e-4)
    # a more flexible bank (lower RORFLEX) moves investment more
    moves = {}
    for flex in (1.0, 50.0):
        solver.solve(solver.parameter_vector({**RETALIATION, "rorflex": {"A": flex, "B": flex}}))
        moves[flex] = abs(m.qfdt[INVESTMENT, "A"].value - 1.0)
    assert moves[1.0] > moves[50.0]


@pytest.mark.parametrize("macro", list(MacroClosure))
def test_trade_balance_target_is_met(hand_sam, hand_elasticities, macro):
    closure = Closure(macro, trade_balance_targets=("A",))
    level = {**TARIFF, "tb_level": {"A": 0.0}, "tb_share": {"A": 0.0}}
    model, solver, _r = solved(hand_sam, hand_elasticities, closure, level)
    m = model.pyomo
    assert _v(m.trade_balance["A"]) == pytest.approx(0.0, abs=1e-9)
    assert _v(m.trade_balance["B"]) == pytest.approx(0.0, abs=1e-9)
    share = {**TARIFF, "tb_level": {"A": 0.0}, "tb_share": {"A": 0.02}}
    solver.solve(solver.parameter_vector(share))
    gdp = model.lookup("y0")["A"] * m.y["A"].value
    assert _v(m.trade_balance["A"]) == pytest.approx(0.02 * gdp, rel=1e-9)


def test_fixed_trade_balance_spreads_a_target_over_the_others_by_gdp():
    sam = random_balanced_sam(3, 3, 2, seed=7)
    el = elasticity_table(sam.commodity.values)
    closure = Closure(trade_balance_targets=("r1",))
    model, _s, _r = solved(sam, el, closure, {"tb_level": {"r1": 0.0}})
    m, lk = model.pyomo, model.lookup
    assert _v(m.trade_balance["r1"]) == pytest.approx(0.0, abs=1e-9)
    offset = 0.0 - lk("tb0")["r1"]
    gdp = {r: lk("y0")[r] for r in ("r2", "r3")}
    for r in ("r2", "r3"):
        expected = lk("tb0")[r] - gdp[r] / sum(gdp.values()) * offset
        assert _v(m.trade_balance[r]) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def _no_investment_sam(hand_sam):
    """Region A without investment: its investment goods go to households, savings = trade balance."""
    sam = hand_sam.copy(deep=True)
    inv, hh = {AGENT: "investment", REGION: "A"}, {AGENT: "household", REGION: "A"}
    sam["vdfd"].loc[hh] = sam["vdfd"].loc[hh] + sam["vdfd"].loc[inv]
    sam["vdfd"].loc[inv] = 0.0
    sam["savings"].loc[{REGION: "A"}] = 5.0
    return sam


@pytest.mark.parametrize("closure", [Closure(MacroClosure.RATE_OF_RETURN), Closure(MacroClosure.GLOBAL_BANK)])
def test_region_without_investment_calibrates_and_solves(hand_sam, hand_elasticities, closure):
    sam = _no_investment_sam(hand_sam)
    cal = calibrate(sam, hand_elasticities)
    assert float(cal.data["fd0"].sel({AGENT: INVESTMENT, REGION: "A"})) == 0.0
    model, _s, result = solved(sam, hand_elasticities, closure)
    assert result.iterations == 0 and result.max_residual < 1e-12
    model, _s, result = solved(sam, hand_elasticities, closure, {"pnum": {None: 2.0}})
    assert all(abs(v.value - 1.0) < 1e-8 for v in model.pyomo.qfdt.values())
    model, _s, result = solved(sam, hand_elasticities, closure, TARIFF)
    m = model.pyomo
    # A's savings finance B: its trade balance is its savings
    assert _v(m.trade_balance["A"]) == pytest.approx(_v(m.save["A"]), rel=1e-9)


@pytest.mark.parametrize(
    "closure, match",
    [
        (Closure(), "have no investment demand"),
        (Closure(MacroClosure.RATE_OF_RETURN, capital=CapitalClosure.STEADY_STATE), "steady_state capital needs"),
        (Closure(MacroClosure.RATE_OF_RETURN, trade_balance_targets=("A",)), "have no investment demand"),
    ],
)
def test_region_without_investment_errors_name_the_region(hand_sam, hand_elasticities, closure, match):
    cal = calibrate(_no_investment_sam(hand_sam), hand_elasticities)
    with pytest.raises(ClosureError, match=match) as info:
        build_model(cal, closure)
    assert "'A'" in str(info.value)


def test_closure_errors_reach_the_user_as_scenario_errors(hand_sam, hand_elasticities):
    scen = Scenario(name="x", closure={"labour_by_region": {"XYZ": "wage_curve"}})
    with pytest.raises(ScenarioError, match=r"scenario 'x'.*region 'XYZ' is not in the database \(regions: A, B\)"):
        cge.run(scen, sam=hand_sam, elasticities=hand_elasticities)
    every = Scenario(name="y", closure={"trade_balance": [{"region": r, "usd_bn": 0} for r in ("A", "B")]})
    with pytest.raises(ScenarioError, match="trade_balance targets are not available on the GTAP v7 model"):
        cge.run(every, sam=hand_sam, elasticities=hand_elasticities)


@pytest.mark.parametrize("horizon", list(Horizon))
def test_horizons_preset_labour_and_capital(horizon):
    spec = ClosureSpec(horizon=horizon)
    labour, capital = HORIZONS[horizon]
    assert spec.to_closure() == Closure(labour=labour, capital=capital)
    explicit = ClosureSpec(horizon=horizon, labour="fixed_real_wage")
    assert explicit.to_closure().labour == LabourClosure.FIXED_REAL_WAGE
    assert explicit.to_closure().capital == capital


def test_elasticity_zero_and_infinity_select_the_extreme_closures():
    spec = ClosureSpec(horizon="short_run", labour_supply_elasticity={"A": 0.0, "B": math.inf, "C": 0.3})
    closure = spec.to_closure()
    assert closure.labour_in("A") == LabourClosure.FULL_EMPLOYMENT
    assert closure.labour_in("B") == LabourClosure.FIXED_REAL_WAGE
    assert closure.labour_in("C") == LabourClosure.WAGE_CURVE
    assert ("C", LabourClosure.WAGE_CURVE) not in closure.labour_by_region  # same as the default


@pytest.mark.parametrize(
    "closure, match",
    [
        ({"labour_supply_elasticity": {"A": -1}}, "must be >= 0"),
        ({"labour_supply_elasticity": {"A": 1}, "labour_by_region": {"A": "wage_curve"}}, "give one of them"),
        ({"rate_of_return_flexibility": 5, "macro": "global_bank"}, "applies only to macro = 'rate_of_return'"),
        ({"trade_balance": [{"region": "A"}]}, "exactly one of usd_bn or share_of_gdp_pct"),
        ({"trade_balance": [{"region": "A", "usd_bn": 1}, {"region": "A", "usd_bn": 2}]}, "repeat regions"),
        ({"capital": "steady"}, "capital"),
    ],
)
def test_closure_spec_errors(closure, match):
    with pytest.raises(ValueError, match=match):
        Scenario(name="x", closure=closure)


def test_scenario_closure_values_reach_the_model(hand_sam, hand_elasticities):
    """A labour-supply elasticity and RORFLEX set in the scenario file reach the GTAP v7 model."""
    shock = [{"importer": "A", "exporter": "B", "commodity": "man", "rate_pct": 30}]
    scenarios = [
        Scenario(name="a", tariffs=shock, closure={"labour_supply_elasticity": {"B": 0.2}}),
        Scenario(name="b", tariffs=shock, closure={"labour_supply_elasticity": {"B": 3.0}}),
        Scenario(
            name="c", tariffs=shock, closure={"labour_supply_elasticity": {"B": 3.0}, "rate_of_return_flexibility": 2}
        ),
    ]
    ds = cge.run(scenarios, sam=hand_sam, elasticities=hand_elasticities)
    gdp = ds["real_gdp_pct"].sel(region="B")  # the wage curve moves employment, and with it GDP
    assert abs(float(gdp.sel(scenario="b"))) > 2 * abs(float(gdp.sel(scenario="a"))) > 0
    invest = ds["real_investment_pct"].sel(region="A")
    assert float(invest.sel(scenario="b")) != pytest.approx(float(invest.sel(scenario="c")), rel=1e-6)
    assert "B: wage_curve" in str(ds["closure"].sel(scenario="a").item())


def test_library_horizons_use_the_named_closures():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "experiments"
    for path in root.glob("*.toml"):
        scen = Scenario.from_toml(path)
        if scen.name == "baseline":
            continue
        expected = {"_shortrun": Horizon.SHORT_RUN, "_longrun": Horizon.LONG_RUN}
        horizon = next((h for suffix, h in expected.items() if scen.name.endswith(suffix)), Horizon.MEDIUM_RUN)
        assert scen.closure.horizon == horizon, path.name
        assert f"{horizon.value.replace('_', ' ')}" in scen.description, path.name


def test_rate_of_return_and_steady_state_on_shipped_sam_replicate():
    cal = calibrate(cge.load_sam())
    closure = Closure(MacroClosure.RATE_OF_RETURN, LabourClosure.WAGE_CURVE, CapitalClosure.STEADY_STATE)
    solver = Solver(build_model(cal, closure))
    result = solver.solve(solver.p_benchmark)
    assert result.iterations == 0 and result.max_residual < 1e-9
