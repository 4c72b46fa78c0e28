"""Bad inputs raise clear errors that name the field, label or account."""

from __future__ import annotations

import pytest
from conftest import elasticity_table
from helpers import solved
from sam_factory import random_balanced_sam

import cge
from cge.calibrate import CalibrationError, calibrate
from cge.model import Closure, ClosureError, build_model
from cge.scenario import Scenario, ScenarioError
from cge.solve import SolveError, Solver
from cge.solve.newton import NewtonOptions


def test_unknown_region_in_scenario(hand_sam, hand_elasticities):
    scen = Scenario(name="x", tariffs=[{"importer": "USA", "exporter": "B", "rate_pct": 10}])
    with pytest.raises(ScenarioError, match=r"tariffs\[0\].importer 'USA' is not in the SAM"):
        cge.run(scen, sam=hand_sam, elasticities=hand_elasticities)


def test_unknown_commodity_in_scenario(hand_sam, hand_elasticities):
    scen = Scenario(name="x", trade_costs=[{"importer": "A", "exporter": "B", "commodity": "steel", "change_pct": 5}])
    with pytest.raises(ScenarioError, match=r"trade_costs\[0\].commodity 'steel' is not in the SAM"):
        cge.run(scen, sam=hand_sam, elasticities=hand_elasticities)


def test_tariff_on_zero_flow(hand_sam, hand_elasticities):
    scen = Scenario(name="x", tariffs=[{"importer": "A", "exporter": "B", "commodity": "ser", "rate_pct": 10}])
    with pytest.raises(ScenarioError, match="ser from B to A: this flow is zero in the SAM"):
        cge.run(scen, sam=hand_sam, elasticities=hand_elasticities)


def test_scenario_field_errors(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[[tariffs]]\nimporter = "A"\nexporter = "B"\nrate_pct = -5\n')
    with pytest.raises(ScenarioError, match=r"bad.toml: field 'tariffs.0.rate_pct'.*got -5"):
        Scenario.from_toml(path)
    path.write_text('colour = "red"\n')
    with pytest.raises(ScenarioError, match="field 'colour': Extra inputs are not permitted"):
        Scenario.from_toml(path)
    path.write_text('[[tariffs]]\nimporter = "A"\nexporter = "B"\nrate_pct = 5\nchange_pct = 1\n')
    with pytest.raises(ScenarioError, match="exactly one of rate_pct or change_pct"):
        Scenario.from_toml(path)
    with pytest.raises(ScenarioError, match="no such scenario file"):
        Scenario.from_toml(tmp_path / "missing.toml")


def test_scenario_toml_round_trip(tmp_path):
    path = tmp_path / "tariff_war.toml"
    path.write_text(
        'description = "test"\nnumeraire_change_pct = 0\n[closure]\nlabour = "fixed_real_wage"\n'
        '[[tariffs]]\nimporter = "A"\nexporter = "all"\ncommodity = "man"\nchange_pct = 25\n'
    )
    scen = Scenario.from_toml(path)
    assert scen.name == "tariff_war"
    assert scen.closure.labour == "fixed_real_wage"
    assert scen.tariffs[0].change_pct == 25


def test_duplicate_scenario_names(hand_sam, hand_elasticities):
    with pytest.raises(ScenarioError, match="repeated"):
        cge.run([Scenario(name="a"), Scenario(name="a")], sam=hand_sam, elasticities=hand_elasticities)


def test_missing_elasticity(hand_sam, hand_elasticities):
    with pytest.raises(CalibrationError, match=r"missing elasticities for sectors \['ser'\]"):
        calibrate(hand_sam, hand_elasticities.drop(index="ser"))
    with pytest.raises(CalibrationError, match=r"lacks columns \['sigma_m'\]"):
        calibrate(hand_sam, hand_elasticities.drop(columns="sigma_m"))
    bad = hand_elasticities.copy()
    bad.loc["man", "sigma_va"] = -1
    with pytest.raises(CalibrationError, match=r"sigma_va\[man\] = -1"):
        calibrate(hand_sam, bad)


def test_unbalanced_sam_rejected_by_run(hand_sam, hand_elasticities):
    sam = hand_sam.copy(deep=True)
    sam["savings"].loc[dict(region="A")] += 2.0
    with pytest.raises(cge.sam.SamError, match=r"regional household \[region=A\]: receipts - payments = -2"):
        cge.run(Scenario(name="b"), sam=sam, elasticities=hand_elasticities)


@pytest.mark.parametrize("method", ["newton", "ipopt"])
def test_solver_failure_raises_with_diagnostics(hand_sam, hand_elasticities, method):
    """Iteration limits of 1 (Newton-Krylov, then Ipopt with no room for homotopy) cannot reach a
    big shock: the error carries residuals by block and index and the structural analysis, and no
    numbers are returned."""
    with pytest.raises(SolveError) as err:
        solved(
            hand_sam,
            hand_elasticities,
            shocks={"tm": {("man", "B", "A"): 5.0}},
            ipopt_options={"max_iter": 1},
            min_step=0.5,
            method=method,
            newton_options=NewtonOptions(max_iterations=1),
        )
    exc = err.value
    assert len(exc.residuals) > 0
    assert set(exc.residuals.columns) == {"block", "index", "residual"}
    assert exc.residuals["block"].str.startswith("eq_").all()
    assert "structure: nonsingular" in exc.structural
    assert "largest residuals" in str(exc)


def test_structural_singularity_is_named(hand_sam, hand_elasticities):
    """Deactivating an equation leaves a variable undetermined: the report names it."""
    from cge.solve.diagnostics import structural_report

    model = build_model(calibrate(hand_sam, hand_elasticities))
    model.pyomo.eq_income["A"].deactivate()
    report = structural_report(model.pyomo)
    assert "SINGULAR" in report and "under-determined" in report


def test_unknown_parameter_entry(hand_sam, hand_elasticities):
    model = build_model(calibrate(hand_sam, hand_elasticities))
    solver = Solver(model)
    with pytest.raises(KeyError, match=r"tm\[\('ser', 'B', 'A'\)\]"):
        solver.parameter_vector({"tm": {("ser", "B", "A"): 0.1}})


def test_region_without_investment():
    """A closed economy whose investment demand is moved into household demand (savings 0)
    calibrates and solves; steady-state capital, which needs an investment price, says why not."""
    sam = random_balanced_sam(1, 3, 2, seed=3)
    for var in ("vdfd", "vifd"):
        sam[var].loc[dict(agent="household")] += sam[var].sel(agent="investment")
        sam[var].loc[dict(agent="investment")] = 0.0
    sam["savings"][:] = 0.0
    el = elasticity_table(sam.commodity.values)
    for closure in (Closure(), Closure("rate_of_return"), Closure("global_bank")):
        _m, _s, result = solved(sam, el, closure, {"pnum": {None: 1.5}})
        assert result.max_residual < 1e-9
    with pytest.raises(ClosureError, match=r"steady_state capital needs investment demand .* \['r1'\]"):
        build_model(calibrate(sam, el), Closure(capital="steady_state"))


def test_goods_selector_skips_services(hand_sam, hand_elasticities):
    """commodity = 'goods' selects merchandise only; the hand SAM's 'ser' is not a good."""
    from cge.shocks import scenario_parameters

    model = build_model(calibrate(hand_sam, hand_elasticities))
    scen = Scenario(name="g", tariffs=[{"importer": "all", "exporter": "all", "commodity": "goods", "change_pct": 10}])
    values = scenario_parameters(scen, model.index, model.lookup)
    assert set(values["tm"]) == {("man", "A", "B"), ("man", "B", "A")}
    assert values["tm"]["man", "B", "A"] == pytest.approx(0.1 + 0.1)
