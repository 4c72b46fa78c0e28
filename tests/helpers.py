"""Helpers for model tests: build + solve a SAM under a closure with shocks."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from cge.calibrate import calibrate
from cge.model import Closure, build_model
from cge.solve import Solver


def solved(sam, elasticities, closure: Closure | None = None, shocks: dict | None = None, **solver_kw):
    """Build, compile and solve; returns (model, solver, result)."""
    cal = calibrate(sam, elasticities)
    model = build_model(cal, closure)
    solver = Solver(model, **solver_kw)
    result = solver.solve(solver.parameter_vector(shocks or {}))
    return model, solver, result


def values(component) -> dict:
    """Current values of an indexed Pyomo component."""
    return {k: pyo.value(v) for k, v in component.items()}


def max_rel_diff(a: dict, b: dict, scale: float = 1.0) -> float:
    return max(abs(a[k] - scale * b[k]) / max(1.0, abs(scale * b[k])) for k in a) if a else 0.0


def all_quantities(model) -> dict:
    """Every quantity variable and demand expression (names starting with q) by (name, index)."""
    m = model.pyomo
    out = {}
    for comp in m.component_objects((pyo.Var, pyo.Expression)):
        if comp.local_name.startswith("q"):
            out.update({(comp.local_name, k): pyo.value(v) for k, v in comp.items()})
    return out


def all_prices(model) -> dict:
    m = model.pyomo
    out = {}
    for comp in m.component_objects(pyo.Var):
        if comp.local_name.startswith("p"):
            out.update({(comp.local_name, k): v.value for k, v in comp.items()})
    out.update({("y", k): v.value for k, v in m.y.items()})
    return out


def first_trade_flow(model):
    """A bilateral flow (i, s, r) with the largest benchmark value."""
    vims = model.lookup("vims")
    return max(model.index.flows, key=lambda k: vims[k])


def all_finite(x) -> bool:
    return bool(np.all(np.isfinite(x)))
