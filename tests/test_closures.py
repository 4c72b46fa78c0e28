"""Closure choices of a scenario (cge.scenario.ClosureSpec): horizons, per-region labour
closures, errors, and their values reaching the GTAP v7 model (cge.gtap.horizons; the closures'
replication, homogeneity and effects are tested in test_gtap_horizons.py)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import cge
from cge.gtap.horizons import HORIZONS, Horizon, LabourClosure
from cge.scenario import ClosureSpec, Scenario, ScenarioError

ROOT = Path(__file__).resolve().parent.parent


def test_closure_errors_reach_the_user_as_scenario_errors(hand_sam, hand_elasticities):
    scen = Scenario(name="x", closure={"labour_by_region": {"XYZ": "wage_curve"}})
    with pytest.raises(ScenarioError, match=r"scenario 'x'.*region 'XYZ' is not in the database \(regions: A, B\)"):
        cge.run(scen, sam=hand_sam, elasticities=hand_elasticities)
    every = Scenario(name="y", closure={"trade_balance": [{"region": r, "usd_bn": 0} for r in ("A", "B")]})
    with pytest.raises(ScenarioError, match=r"scenario 'y': trade-balance targets in all 2 regions \(A, B\)"):
        cge.run(every, sam=hand_sam, elasticities=hand_elasticities)


@pytest.mark.parametrize("horizon", list(Horizon))
def test_horizons_preset_labour_and_capital(horizon):
    spec = ClosureSpec(horizon=horizon)
    labour, capital = HORIZONS[horizon]
    assert (spec.labour_default(), spec.capital_closure()) == (labour, capital)
    explicit = ClosureSpec(horizon=horizon, labour="fixed_real_wage")
    assert explicit.labour_default() == LabourClosure.FIXED_REAL_WAGE
    assert explicit.capital_closure() == capital


def test_elasticity_zero_and_infinity_select_the_extreme_closures():
    spec = ClosureSpec(horizon="short_run", labour_supply_elasticity={"A": 0.0, "B": math.inf, "C": 0.3})
    by_region = spec.labour_by_region_resolved()
    assert by_region["A"] == LabourClosure.FULL_EMPLOYMENT
    assert by_region["B"] == LabourClosure.FIXED_REAL_WAGE
    assert "C" not in by_region  # a wage curve, the short run's default


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


def test_a_scenario_without_a_macro_rule_records_the_rule_it_ran():
    """A scenario file without ``macro`` runs GTAP's standard rule (rate_of_return, RORDELTA = 1);
    its definition in the results (``scenario_definition``) said ``fixed_trade_balance``, so a
    scenario re-created from the definition ran another closure."""
    from cge.gtap.horizons import MacroClosure
    from cge.gtap.scenario_runner import closure_arguments

    scenario = cge.Scenario.from_toml(ROOT / "experiments" / "tariff25.toml")
    assert scenario.closure.macro == MacroClosure.RATE_OF_RETURN
    again = cge.Scenario.model_validate_json(scenario.to_json())
    assert again.closure.macro == MacroClosure.RATE_OF_RETURN
    assert closure_arguments(again.closure) == closure_arguments(scenario.closure)
