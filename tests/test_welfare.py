"""Welfare decomposition: components sum to EV, the quadrature is accurate, signs are right."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import solved

import cge
from cge.calibrate import calibrate
from cge.model import CapitalClosure, Closure, LabourClosure, MacroClosure
from cge.welfare import decompose
from cge.welfare.decomposition import integrate, stieltjes

SHOCK = {"tm": {("man", "B", "A"): 0.5, ("man", "A", "B"): 0.3}, "tau": {("man", "A", "B"): 1.05}}


def test_romberg_is_exact_for_polynomials():
    lam = np.linspace(0.0, 1.0, 9)[:, None]
    w, q = 1.0 + lam**2, lam**3  # ∫ (1 + λ²) 3λ² dλ = 1 + 3/5
    assert float(integrate(w, q)[0]) == pytest.approx(1.6, rel=1e-13)
    assert abs(float(stieltjes(w, q)[0]) - 1.6) > 1e-3  # the plain trapezoid is not


@pytest.mark.parametrize(
    "closure",
    [
        Closure(),
        Closure(labour=LabourClosure.WAGE_CURVE, capital=CapitalClosure.SECTOR_SPECIFIC),
        Closure(MacroClosure.RATE_OF_RETURN, capital=CapitalClosure.STEADY_STATE),
        Closure(MacroClosure.GLOBAL_BANK, labour_by_region={"A": "fixed_real_wage"}, trade_balance_targets=("B",)),
    ],
    ids=lambda c: c.describe(),
)
def test_components_sum_to_ev(hand_sam, hand_elasticities, closure):
    model, solver, _r = solved(hand_sam, hand_elasticities, closure)
    cal = calibrate(hand_sam, hand_elasticities)
    p = solver.parameter_vector(SHOCK)
    out = decompose(solver, cal, p)
    table = out["ev_decomposition"]
    ev = np.array([model.pyomo.ev[r]() for r in ("A", "B")]) * 1e-3
    np.testing.assert_allclose(table.sum("component").values, ev, rtol=1e-12)
    residual = np.abs(table.sel(component="residual").values)
    assert np.all(residual <= 1e-3 * np.abs(ev))
    assert np.all(np.abs(ev) > 1e-4)
    # the details add up to their components
    alloc = out["ev_allocative"].sum(("commodity", "partner"))
    for instrument in ("tariff", "export_tax", "production_tax"):
        np.testing.assert_allclose(
            alloc.sel(instrument=instrument), table.sel(component=f"allocative_{instrument}"), atol=1e-12
        )
    tot = table.sel(component=["terms_of_trade_goods", "terms_of_trade_services"]).sum("component")
    np.testing.assert_allclose(out["ev_terms_of_trade"].sum(("commodity", "partner")), tot, atol=1e-12)
    # the solver ends at the scenario's solution
    assert solver.solve(p).iterations == 0
    endowment = table.sel(component=["endowment_labour", "endowment_capital"])
    if closure.capital == CapitalClosure.STEADY_STATE or closure.labour_by_region:
        assert float(abs(endowment).sum()) > 1e-6
    if closure == Closure():
        assert float(abs(endowment).sum()) < 1e-9  # fixed endowments contribute nothing


def test_signs_of_a_unilateral_tariff(hand_sam, hand_elasticities):
    """A's 50 % tariff on B: A gains terms of trade and loses allocative efficiency; B loses."""
    _m, solver, _r = solved(hand_sam, hand_elasticities)
    cal = calibrate(hand_sam, hand_elasticities)
    out = decompose(solver, cal, solver.parameter_vector({"tm": {("man", "B", "A"): 0.5}}))
    table = out["ev_decomposition"]
    assert float(table.sel(region="A", component="terms_of_trade_goods")) > 0
    assert float(table.sel(region="A", component="allocative_tariff")) < 0
    assert float(table.sel(region="B", component="terms_of_trade_goods")) < 0
    assert float(out["ev_allocative"].sel(region="A", instrument="tariff", commodity="man", partner="B")) < 0
    assert float(abs(table.sel(component="trade_costs")).max()) < 1e-12


def test_numeraire_shock_has_no_welfare_effect(hand_sam, hand_elasticities):
    _m, solver, _r = solved(hand_sam, hand_elasticities, Closure(MacroClosure.RATE_OF_RETURN))
    cal = calibrate(hand_sam, hand_elasticities)
    out = decompose(solver, cal, solver.parameter_vector({"pnum": {None: 2.0}}))
    assert float(abs(out["ev_decomposition"]).max()) < 1e-9


def test_run_reports_the_decomposition(hand_sam, hand_elasticities):
    """cge.run on GTAP v7 reports WELVIEW's seven columns (every one labelled by the reports); they
    sum to EV to the accuracy of the solve path, and a tariff of A on B moves the terms of trade
    A's way. (The old model's components and its welfare_steps quadrature are gone with it.)"""
    from cge.report.labels import WELFARE_COMPONENTS

    scen = cge.Scenario(name="t", tariffs=[{"importer": "A", "exporter": "B", "commodity": "man", "rate_pct": 40}])
    ds = cge.run(scen, sam=hand_sam, elasticities=hand_elasticities)
    dec = ds["ev_decomposition"]
    assert list(dec.component.values) == list(WELFARE_COMPONENTS)
    np.testing.assert_allclose(dec.sum("component"), ds["ev"], rtol=1e-6, atol=1e-12)
    assert dec.attrs["units"] == "US$ bn"
    shocked = dec.sel(scenario="t")
    assert float(shocked.sel(region="A", component="tot_E1")) > 0 > float(shocked.sel(region="B", component="tot_E1"))
    assert float(abs(shocked.sel(component=["tech_C1", "pop_D1", "pref_G1"])).max()) < 1e-12  # not shocked


def test_welfare_table_and_plot(hand_sam, hand_elasticities, tmp_path):
    from cge.report import report_tables, welfare_table, write_plots

    scen = cge.Scenario(name="t", tariffs=[{"importer": "A", "exporter": "B", "commodity": "man", "rate_pct": 40}])
    ds = cge.run(scen, sam=hand_sam, elasticities=hand_elasticities)
    table = welfare_table(ds, "A")
    assert list(table.index)[-1] == "EV"
    # the EV row is the sum of the components, which GTAP v7 gives to the accuracy of the solve path
    assert table.loc["EV", "t [US$ bn]"] == pytest.approx(float(ds["ev"].sel(scenario="t", region="A")), rel=1e-6)
    assert table.loc["EV", "t [US$ bn]"] == pytest.approx(table.drop(index="EV")["t [US$ bn]"].sum(), rel=1e-12)
    assert "terms of trade (tot_E1)" in table.index
    assert "welfare" in report_tables(ds, region="A")
    written = write_plots(ds, tmp_path)
    assert any(p.name == "welfare.png" for p in written)
