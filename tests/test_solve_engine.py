"""The solve engine: chained Jacobians through named expressions, the tape conversion, and the
Newton-Krylov iteration with its Ipopt fallback."""

from __future__ import annotations

import casadi as ca
import numpy as np
import pyomo.environ as pyo
import pytest
from conftest import mixed_elasticities
from helpers import solved
from sam_factory import random_balanced_sam

from cge.calibrate import calibrate
from cge.model import Closure, build_model
from cge.solve import Solver
from cge.solve.casadi_bridge import compile_model
from cge.solve.convert import ConversionError
from cge.solve.evaluate import model_layout
from cge.solve.newton import NewtonOptions, jacobian_matrix

SHOCK = {"tm": {("man", "B", "A"): 0.4, ("man", "A", "B"): 0.2}}


def _inlined_jacobian(compiled, x, p):
    """Reference: CasADi's own Jacobian of the residual with every intermediate inlined."""
    xs, ps = ca.SX.sym("x", compiled.n), ca.SX.sym("p", len(p))
    g = compiled.residual(xs, ps)
    reference = ca.Function("ref", [xs, ps], [ca.jacobian(g, xs)])
    return np.asarray(ca.DM(reference(x, p)).full())


@pytest.mark.parametrize("seed", [0, 1])
def test_chained_jacobian_equals_inlined_differentiation(seed):
    """The level-by-level chain rule gives CasADi's Jacobian of the inlined equations to 1e-12,
    at points away from the benchmark, with every special elasticity form present (and the
    evaluator's intermediates, which get no derivatives, compiled alongside)."""
    sam = random_balanced_sam(seed=seed)
    model = build_model(calibrate(sam, mixed_elasticities(sam.commodity.values, seed)))
    compiled = compile_model(model.pyomo, layout=model_layout(model))
    rng = np.random.default_rng(seed)
    p0 = np.array([model.benchmark[q] for q in compiled.parameters])
    for _ in range(2):
        x = np.exp(0.3 * rng.standard_normal(compiled.n))
        p = p0 * np.exp(0.1 * rng.standard_normal(len(p0)))
        chained = jacobian_matrix(compiled, x, p).dense()
        reference = _inlined_jacobian(compiled, x, p)
        scale = max(1.0, np.abs(reference).max())
        assert np.abs(chained - reference).max() <= 1e-12 * scale


def test_residual_equals_pyomo(hand_sam, hand_elasticities):
    """The compiled residuals are the Pyomo constraint bodies minus their right-hand sides."""
    model = build_model(calibrate(hand_sam, hand_elasticities))
    compiled = compile_model(model.pyomo)
    rng = np.random.default_rng(3)
    x = np.exp(0.2 * rng.standard_normal(compiled.n))
    p = np.array([model.benchmark[q] for q in compiled.parameters])
    compiled.store(x)
    expected = [pyo.value(c.body) - pyo.value(c.upper) for c in compiled.constraints]
    assert np.allclose(compiled.eval_residual(x, p), expected, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("closure", [Closure(), Closure(labour="fixed_real_wage", capital="sector_specific")])
def test_every_expression_and_variable_equals_pyomo(hand_sam, hand_elasticities, closure):
    """The compiled evaluator (intermediates chained level by level, including expressions no
    equation uses) gives every Var and Expression entry's Pyomo value at a point off the benchmark."""
    model = build_model(calibrate(hand_sam, hand_elasticities), closure)
    compiled = Solver(model, cache=None).compiled
    rng = np.random.default_rng(5)
    x = np.exp(0.2 * rng.standard_normal(compiled.n))
    p = np.array([model.benchmark[q] for q in compiled.parameters]) * np.exp(
        0.05 * rng.standard_normal(len(compiled.parameters))
    )
    compiled.store(x)
    for q, value in zip(compiled.parameters, p):
        q.set_value(float(value))
    values = compiled.evaluator.values(x, p)
    checked = 0
    for name, slot in compiled.evaluator.slots.items():
        comp = getattr(model.pyomo, name)
        if slot.kind == "parameter":
            continue
        expected = [pyo.value(data) for _index, data in comp.items()]
        assert np.allclose(values[slot.start : slot.stop], expected, rtol=1e-12, atol=1e-12), name
        checked += len(expected)
    assert checked > compiled.n


def test_unsupported_expression_is_named():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(initialize=1.0)
    m.c = pyo.Constraint(expr=pyo.Expr_if(m.x >= 1, m.x, 2 * m.x) == 1)
    with pytest.raises(ConversionError, match="Expr_if"):
        compile_model(m)


def test_non_square_model_is_refused():
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], initialize=1.0)
    m.c = pyo.Constraint(expr=m.x[1] + m.x[2] == 2)
    with pytest.raises(ConversionError, match="not square: 2 free variables, 1 active equations"):
        compile_model(m)


@pytest.mark.parametrize("closure", [Closure(), Closure(labour="fixed_real_wage", capital="sector_specific")])
def test_newton_and_ipopt_reach_the_same_equilibrium(hand_sam, hand_elasticities, closure):
    _, newton, r_newton = solved(hand_sam, hand_elasticities, closure, SHOCK, method="newton")
    _, ipopt, r_ipopt = solved(hand_sam, hand_elasticities, closure, SHOCK, method="ipopt")
    assert r_newton.method == "newton" and r_ipopt.method == "ipopt"
    assert r_newton.max_residual <= 1e-9 and r_newton.walras_residual <= 1e-9
    assert np.abs(newton.x_last - ipopt.x_last).max() <= 1e-8


def test_newton_failure_falls_back_to_ipopt(hand_sam, hand_elasticities):
    """A Newton iteration stopped after one step hands over to Ipopt, whose point is accepted."""
    _, solver, result = solved(
        hand_sam, hand_elasticities, shocks=SHOCK, newton_options=NewtonOptions(max_iterations=1)
    )
    assert result.method == "ipopt"
    assert result.max_residual <= 1e-9 and result.walras_residual <= 1e-9


def test_factorization_is_reused_between_solves(hand_sam, hand_elasticities):
    """The LU factors of the first solve precondition the next: a nearby scenario needs none."""
    model = build_model(calibrate(hand_sam, hand_elasticities))
    solver = Solver(model)
    first = solver.solve(solver.parameter_vector(SHOCK))
    nearby = {"tm": {key: value * 1.1 for key, value in SHOCK["tm"].items()}}
    second = solver.solve(solver.parameter_vector(nearby))
    assert first.factorizations >= 1
    assert second.method == "newton" and second.factorizations == 0 and second.krylov_iterations > 0
