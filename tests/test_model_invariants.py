"""Economic invariants of the model on hand-checkable and random SAMs."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest
from conftest import elasticity_table, mixed_elasticities
from helpers import all_prices, all_quantities, solved, values
from sam_factory import random_balanced_sam

import cge
from cge.model import CapitalClosure, Closure, LabourClosure, MacroClosure
from cge.model.metadata import metadata_table

CLOSURES = [
    Closure(),
    Closure(MacroClosure.GLOBAL_BANK),
    Closure(labour=LabourClosure.FIXED_REAL_WAGE, capital=CapitalClosure.SECTOR_SPECIFIC),
    Closure(MacroClosure.GLOBAL_BANK, LabourClosure.FIXED_REAL_WAGE, CapitalClosure.MOBILE),
    Closure(MacroClosure.RATE_OF_RETURN),
    Closure(capital=CapitalClosure.STEADY_STATE),
    Closure(labour=LabourClosure.WAGE_CURVE, capital=CapitalClosure.SECTOR_SPECIFIC),
    Closure(MacroClosure.RATE_OF_RETURN, LabourClosure.WAGE_CURVE, CapitalClosure.STEADY_STATE),
    # per-region combinations: labour closures and trade-balance targets
    Closure(labour_by_region={"A": LabourClosure.FIXED_REAL_WAGE, "B": LabourClosure.WAGE_CURVE}),
    Closure(MacroClosure.RATE_OF_RETURN, trade_balance_targets=("A",), labour_by_region={"B": "wage_curve"}),
    Closure(trade_balance_targets=("B",), capital=CapitalClosure.STEADY_STATE),
    Closure(MacroClosure.GLOBAL_BANK, LabourClosure.WAGE_CURVE, trade_balance_targets=("A",)),
]


@pytest.mark.parametrize("closure", CLOSURES, ids=lambda c: c.describe())
def test_benchmark_replication_hand_sam(hand_sam, hand_elasticities, closure):
    model, solver, result = solved(hand_sam, hand_elasticities, closure)
    assert result.iterations == 0
    assert result.max_residual < 1e-12
    assert result.walras_residual < 1e-12
    # Ipopt itself, started at the benchmark, takes no step
    from cge.solve.ipopt import ipopt_solve

    outcome = ipopt_solve(solver.compiled, solver.x_benchmark, solver.p_benchmark)
    assert outcome.iterations == 0
    np.testing.assert_allclose(outcome.x, 1.0, atol=1e-12)


@pytest.mark.parametrize("closure", CLOSURES, ids=lambda c: c.describe())
def test_model_is_square(hand_sam, hand_elasticities, closure):
    model, solver, _ = solved(hand_sam, hand_elasticities, closure)
    m = model.pyomo
    n_var = sum(1 for v in m.component_data_objects(pyo.Var) if not v.fixed)
    n_con = sum(1 for c in m.component_data_objects(pyo.Constraint, active=True))
    assert n_var == n_con == solver.compiled.n


def test_closures_cover_every_block(hand_sam, hand_elasticities):
    """Every equation, expression and variable in the metadata table exists (non-empty) under at
    least one of the tested closures, and every model component has a metadata row."""
    table = metadata_table()
    seen, components = set(), set()
    for closure in CLOSURES:
        model, _s, _r = solved(hand_sam, hand_elasticities, closure)
        m = model.pyomo
        for comp in m.component_objects((pyo.Var, pyo.Expression, pyo.Constraint, pyo.Param)):
            components.add(comp.local_name)
            if len(comp) > 0:
                seen.add(comp.local_name)
    expected = set(table.query("kind in ('equation', 'expression', 'variable')").index)
    assert expected - seen == set()
    assert components - set(table.index) == set()


@pytest.mark.parametrize("closure", CLOSURES, ids=lambda c: c.describe())
def test_homogeneity_numeraire_doubling(hand_sam, hand_elasticities, closure):
    """A 100% numeraire shock doubles every price and nominal value, leaves quantities unchanged."""
    model, _solver, result = solved(hand_sam, hand_elasticities, closure, {"pnum": {None: 2.0}})
    q = all_quantities(model)
    p = all_prices(model)
    assert max(abs(v - 1.0) for v in q.values()) < 1e-8
    assert max(abs(v - 2.0) for v in p.values()) < 1e-8
    assert result.max_residual < 1e-9


def test_homogeneity_after_tariff_shock_via_run(hand_sam, hand_elasticities):
    """Same tariff scenario with and without a 100% numeraire change: real results equal, nominal double."""
    tariff = [{"importer": "A", "exporter": "B", "commodity": "man", "rate_pct": 30}]
    runs = cge.run(
        [cge.Scenario(name="t", tariffs=tariff), cge.Scenario(name="t2", tariffs=tariff, numeraire_change_pct=100)],
        sam=hand_sam,
        elasticities=hand_elasticities,
    )
    a, b = runs.sel(scenario="t"), runs.sel(scenario="t2")
    for real in ("real_gdp", "ev", "export_volume", "output_pct", "qgdp", "EV"):
        np.testing.assert_allclose(b[real], a[real], atol=1e-8 * float(abs(a[real]).max() + 1))
    for nominal in ("gdp_expenditure", "exports", "tariff_revenue"):
        np.testing.assert_allclose(b[nominal], 2 * a[nominal], rtol=1e-8)


@pytest.mark.parametrize("closure", CLOSURES, ids=lambda c: c.describe())
def test_walras_gdp_identity_and_world_trade(hand_sam, hand_elasticities, closure):
    """After a tariff: the dropped market clears, GDP by income = by expenditure, world exports = imports."""
    model, solver, result = solved(
        hand_sam, hand_elasticities, closure, {"tm": {("man", "B", "A"): 0.4}, "tau": {("man", "A", "B"): 1.1}}
    )
    assert result.iterations > 0
    assert result.walras_residual < 1e-9
    cal = model.lookup
    from cge.calibrate import calibrate
    from cge.indicators import extract

    ds = extract(solver, calibrate(hand_sam, hand_elasticities))
    np.testing.assert_allclose(ds["gdp_income"], ds["gdp_expenditure"], rtol=1e-9)
    exports = ds["exports"].sum(("importer", "commodity")).values
    imports = ds["exports"].sum(("exporter", "commodity")).values
    assert abs(exports.sum() - imports.sum()) < 1e-12
    # regional trade balance equals savings minus investment (fixed in numeraire units by default)
    if closure.macro == MacroClosure.FIXED_TRADE_BALANCE:
        tb0 = np.array([cal("tb0")[r] for r in ("A", "B")]) * 1e-3
        np.testing.assert_allclose(exports - imports, tb0, atol=1e-12)


def test_tariff_raises_importer_price_of_taxed_import(hand_sam, hand_elasticities):
    model, _s, _r = solved(hand_sam, hand_elasticities, shocks={"tm": {("man", "B", "A"): 0.5}})
    m = model.pyomo
    # the benchmark tariff is 2/20 = 10%; the wedge over the fob price becomes 1.5/1.1
    wedge = pyo.value(m.pms["man", "B", "A"]) / pyo.value(m.pfob["man", "B", "A"])
    assert wedge == pytest.approx(1.5 / 1.1, rel=1e-12)
    assert pyo.value(m.pms["man", "B", "A"]) > 1.0
    assert pyo.value(m.pm["man", "A"]) > 1.0
    assert pyo.value(m.qxs["man", "B", "A"]) < 1.0  # less is imported from the taxed source
    assert pyo.value(m.qxs["man", "A", "B"]) < 1.0  # B's income falls


def test_flat_nest_when_sigma_d_equals_sigma_m():
    """With σ_D = σ_M the relative demand for the domestic good and any source follows one flat CES."""
    sam = random_balanced_sam(3, 3, 2, seed=4)
    sigma = 3.0
    el = elasticity_table(sam.commodity.values, sigma_d=sigma, sigma_m=sigma)
    model, _s, _r = solved(sam, el, shocks={"tm": {k: 0.3 for k in _flows_into(sam, "r1")}})
    m, lk = model.pyomo, model.lookup
    for i, s, r in model.index.flows:
        if (i, r) not in set(model.index.domestic_supply):
            continue
        ratio = (pyo.value(m.qdd[i, r]) * lk("dom0")[i, r]) / (pyo.value(m.qxs[i, s, r]) * lk("vims")[i, s, r])
        base = lk("dom0")[i, r] / lk("vims")[i, s, r]
        expected = base * (pyo.value(m.pms[i, s, r]) / pyo.value(m.pd[i, r])) ** sigma
        assert ratio == pytest.approx(expected, rel=1e-8)


def _flows_into(sam, region):
    vims = sam["vims"]
    return [
        (str(i), str(s), region)
        for i in vims.commodity.values
        for s in vims.exporter.values
        if s != region and float(vims.sel(commodity=i, exporter=s, importer=region)) > 0
    ]


def test_tariff_25pct_on_random_5x10_sam():
    sam = random_balanced_sam(5, 10, 2, seed=11, zero_share=0.15)
    el = mixed_elasticities(sam.commodity.values, seed=3)
    shocks = {"tm": {k: 0.25 for k in _flows_into(sam, "r1")}}
    _model, _solver, result = solved(sam, el, shocks=shocks)
    assert result.iterations > 0
    assert result.max_residual < 1e-8
    assert result.walras_residual < 1e-8


def test_exact_and_lbfgs_hessians_agree(hand_sam, hand_elasticities):
    shocks = {"tm": {("man", "B", "A"): 0.6}}
    m1, _, r1 = solved(hand_sam, hand_elasticities, shocks=shocks, hessian="limited-memory")
    m2, _, r2 = solved(hand_sam, hand_elasticities, shocks=shocks, hessian="exact")
    a, b = all_quantities(m1), all_quantities(m2)
    assert max(abs(a[k] - b[k]) for k in a) < 1e-9
    assert r1.max_residual < 1e-9 and r2.max_residual < 1e-9


def test_single_factor_and_single_region():
    one_factor = random_balanced_sam(3, 4, 1, seed=2)
    el = mixed_elasticities(one_factor.commodity.values)
    _m, _s, r = solved(one_factor, el, shocks={"tm": {k: 0.2 for k in _flows_into(one_factor, "r2")}})
    assert r.max_residual < 1e-9
    closed = random_balanced_sam(1, 3, 2, seed=5)
    _m, _s, r = solved(closed, elasticity_table(closed.commodity.values), shocks={"pnum": {None: 1.5}})
    assert r.max_residual < 1e-9


def test_large_shock_takes_homotopy_steps(hand_sam, hand_elasticities):
    """A 2000% tariff is reached, by more than one step if needed, and still satisfies the checks."""
    model, _s, result = solved(hand_sam, hand_elasticities, shocks={"tm": {("man", "B", "A"): 20.0}})
    assert result.max_residual < 1e-9
    assert pyo.value(model.pyomo.qxs["man", "B", "A"]) < 0.05


def test_fixed_real_wage_changes_employment(hand_sam, hand_elasticities):
    closure = Closure(labour=LabourClosure.FIXED_REAL_WAGE)
    model, _s, _r = solved(
        hand_sam, hand_elasticities, closure, {"tm": {("man", "B", "A"): 0.5, ("man", "A", "B"): 0.5}}
    )
    qendow = values(model.pyomo.qendow)
    assert all(v < 1.0 for v in qendow.values())  # a tariff war costs jobs when wages are rigid
    m = model.pyomo
    for f, r in qendow:
        assert pyo.value(m.pf[f, r]) == pytest.approx(pyo.value(m.pfd["household", r]), rel=1e-10)


def test_elasticity_parameter_equals_recalibration(hand_sam, hand_elasticities):
    """Changing σ through the model's parameter (no rebuild) gives the same solution as a model
    calibrated with the new σ: what lets a sensitivity analysis re-use one compiled model."""
    shocks = {"tm": {("man", "B", "A"): 0.5}}
    changed = hand_elasticities.copy()
    changed.loc["man", "sigma_d"] = 3.7
    changed.loc["man", "sigma_m"] = 6.1
    rebuilt, _s, _r = solved(hand_sam, changed, shocks=shocks)
    base_model, solver, _r = solved(hand_sam, hand_elasticities)
    p = solver.parameter_vector({**shocks, "sigma_d": {"man": 3.7}, "sigma_m": {"man": 6.1}})
    result = solver.solve(p)
    assert result.max_residual < 1e-9
    a, b = all_quantities(rebuilt), all_quantities(base_model)
    assert max(abs(a[k] - b[k]) for k in a) < 1e-9
