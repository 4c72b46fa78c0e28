"""Pyomo -> CasADi: convert a square Pyomo model's active equality constraints into compiled
CasADi functions of (variables x, mutable parameters p).

Mutable parameters become symbolic inputs, so a new scenario changes the numbers passed in,
never the compiled functions. Shared sub-expressions (Pyomo ``Expression`` components) are
converted once.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import casadi as ca
import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr import numeric_expr as ne

from cge.solve.evaluate import Evaluator, Layout, build_evaluator

log = logging.getLogger(__name__)

_B, _U = ca.SX.binary, ca.SX.unary
_UNARY_OPS = {
    "log": ca.OP_LOG,
    "exp": ca.OP_EXP,
    "sqrt": ca.OP_SQRT,
    "sin": ca.OP_SIN,
    "cos": ca.OP_COS,
    "tan": ca.OP_TAN,
    "abs": ca.OP_FABS,
}
_UNARY_FLOAT = {
    "log": math.log,
    "exp": math.exp,
    "sqrt": math.sqrt,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "abs": abs,
}


class ConversionError(TypeError):
    """A Pyomo expression node that the bridge does not know how to convert."""


class _Converter:
    """Recursive Pyomo-expression -> CasADi SX conversion with memoisation by node identity.

    Nodes become SX through ``SX.binary``/``SX.unary`` (several times faster than CasADi's Python
    operators, which check shapes on every call); numeric sub-trees stay Python floats and are
    folded.
    """

    def __init__(self, var_pos: dict[int, int], par_pos: dict[int, int], x: ca.SX, p: ca.SX):
        self.var_pos, self.par_pos = var_pos, par_pos
        self.xs, self.ps = ca.vertsplit(x), ca.vertsplit(p)
        self.memo: dict[int, object] = {}
        self._consts: dict[float, ca.SX] = {}

    def const(self, value: float) -> ca.SX:
        out = self._consts.get(value)
        if out is None:
            out = self._consts[value] = ca.SX(value)
        return out

    def sx(self, value) -> ca.SX:
        return self.const(value) if isinstance(value, float) else value

    def __call__(self, node):
        if isinstance(node, (int, float)):
            return float(node)
        key = id(node)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        out = self._convert(node)
        self.memo[key] = out
        return out

    def _binary(self, op: int, a, b, fold):
        if isinstance(a, float) and isinstance(b, float):
            return float(fold(a, b))
        return _B(op, self.sx(a), self.sx(b))

    def _convert(self, node):
        if node.is_variable_type():
            return float(node.value) if node.fixed else self.xs[self.var_pos[id(node)]]
        if node.is_parameter_type():
            pos = self.par_pos.get(id(node))
            return float(pyo.value(node)) if pos is None else self.ps[pos]
        if node.is_named_expression_type():
            return self(node.expr)
        if not node.is_expression_type():
            return float(pyo.value(node))
        args = node.args
        if isinstance(node, ne.SumExpression):
            total = self(args[0])
            for arg in args[1:]:
                total = self._binary(ca.OP_ADD, total, self(arg), float.__add__)
            return total
        if isinstance(node, ne.ProductExpression):
            return self._binary(ca.OP_MUL, self(args[0]), self(args[1]), float.__mul__)
        if isinstance(node, ne.DivisionExpression):
            return self._binary(ca.OP_DIV, self(args[0]), self(args[1]), float.__truediv__)
        if isinstance(node, ne.PowExpression):
            base, exponent = self(args[0]), self(args[1])
            if isinstance(exponent, float):
                if exponent == 1.0:
                    return base
                if isinstance(base, float):
                    return base**exponent
                return _B(ca.OP_CONSTPOW, base, self.const(exponent))
            return _B(ca.OP_POW, self.sx(base), exponent)
        if isinstance(node, ne.NegationExpression):
            arg = self(args[0])
            return -arg if isinstance(arg, float) else _U(ca.OP_NEG, arg)
        if isinstance(node, ne.UnaryFunctionExpression):
            name = node.getname()
            if name not in _UNARY_OPS:
                raise ConversionError(f"unsupported function '{name}' in {node}")
            arg = self(args[0])
            return _UNARY_FLOAT[name](arg) if isinstance(arg, float) else _U(_UNARY_OPS[name], arg)
        raise ConversionError(f"unsupported Pyomo expression node {type(node).__name__}: {node}")


@dataclass
class CompiledModel:
    """Compiled residual and Jacobian functions of a square Pyomo model.

    Attributes
    ----------
    variables : list
        Pyomo VarData in x order.
    constraints : list
        Active Pyomo ConstraintData in residual order (residual = body - rhs).
    parameters : list
        Mutable Pyomo ParamData in p order.
    residual : casadi.Function
        (x, p) -> g [n_constraints].
    jacobian : casadi.Function
        (x, p) -> sparse dg/dx.
    jac_rows, jac_cols : ndarray
        Sparsity pattern of the Jacobian (CasADi's column-major nonzero order).
    lower : ndarray
        Lower bounds of x.
    timings : dict
        Seconds spent converting and compiling.
    evaluator : Evaluator or None
        Every Var and Expression as one compiled function of (x, p), when a layout was given.
    """

    variables: list
    constraints: list
    parameters: list
    residual: ca.Function
    jacobian: ca.Function
    jac_rows: np.ndarray
    jac_cols: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    timings: dict = field(default_factory=dict)
    evaluator: Evaluator | None = None
    _hessian: ca.Function | None = None
    _x: ca.SX | None = None
    _p: ca.SX | None = None
    _g: ca.SX | None = None

    @property
    def n(self) -> int:
        return len(self.variables)

    @property
    def m(self) -> int:
        return len(self.constraints)

    def store(self, x: np.ndarray) -> None:
        """Write x back into the Pyomo variables."""
        for var, value in zip(self.variables, x):
            var.set_value(float(value), skip_validation=True)

    def eval_residual(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        return np.asarray(self.residual(x, p)).ravel()

    def eval_jacobian_values(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        return np.asarray(self.jacobian(x, p), dtype=float).ravel()

    def hessian(self) -> tuple[ca.Function, np.ndarray, np.ndarray]:
        """Exact Hessian of the Lagrangian λᵀg (lower triangle), compiled on first use."""
        if self._hessian is None:
            lam = ca.SX.sym("lam", self.m)
            hess = ca.tril(ca.hessian(ca.dot(lam, self._g), self._x)[0])
            self._hessian = ca.Function("lagrangian_hessian", [self._x, self._p, lam], [hess])
            rows, cols = hess.sparsity().get_triplet()
            self._hess_rows, self._hess_cols = np.array(rows, dtype=int), np.array(cols, dtype=int)
        return self._hessian, self._hess_rows, self._hess_cols


def _row_jacobians(rows: list, g: ca.SX, x: ca.SX, xs: list) -> tuple[np.ndarray, np.ndarray, ca.SX]:
    """Exact sparse Jacobian, differentiated equation by equation.

    The pattern comes from CasADi's cheap sparsity propagation; each row is then differentiated
    only with respect to its own variables, which is much faster than ``casadi.jacobian`` on the
    whole system. Returns (row indices, column indices, SX vector of the nonzero values).
    """
    pattern = ca.jacobian_sparsity(g, x)
    r, c = pattern.get_triplet()
    r, c = np.asarray(r, dtype=int), np.asarray(c, dtype=int)
    order = np.lexsort((c, r))
    r, c = r[order], c[order]
    starts = np.searchsorted(r, np.arange(len(rows) + 1))
    parts = []
    for k, row in enumerate(rows):
        cols = c[starts[k] : starts[k + 1]]
        if len(cols):
            parts.append(ca.vec(ca.densify(ca.jacobian(row, ca.vertcat(*[xs[j] for j in cols])))))
    values = ca.vertcat(*parts) if parts else ca.SX(0, 1)
    return r, c, values


def compile_model(model: pyo.ConcreteModel, lower_bound: float = 1e-12, layout: Layout | None = None) -> CompiledModel:
    """Convert the active equality constraints of a square Pyomo model to CasADi functions.

    Parameters
    ----------
    model : ConcreteModel
        Model whose active constraints are equalities and whose free variables are as many.
    lower_bound : float
        Floor applied to variable lower bounds (positive variables get this instead of 0).
    layout : Layout or None
        Dims and coordinates of the model's components: also compile the evaluator of every
        Var and Expression (:mod:`cge.solve.evaluate`) with the same converter.

    Returns
    -------
    CompiledModel
    """
    t0 = time.perf_counter()
    constraints = list(model.component_data_objects(pyo.Constraint, active=True))
    for con in constraints:
        if not con.equality:
            raise ConversionError(f"constraint {con.name} is not an equality; the model must be square")
    variables = [v for v in model.component_data_objects(pyo.Var) if not v.fixed]
    parameters = [q for q in model.component_data_objects(pyo.Param) if q.parent_component().mutable]
    if len(variables) != len(constraints):
        raise ConversionError(
            f"model is not square: {len(variables)} free variables, {len(constraints)} active equations"
        )
    x = ca.SX.sym("x", len(variables))
    p = ca.SX.sym("p", len(parameters))
    convert = _Converter(
        {id(v): k for k, v in enumerate(variables)}, {id(q): k for k, q in enumerate(parameters)}, x, p
    )
    rows = []
    for con in constraints:
        body = convert(con.body)
        rhs = pyo.value(con.upper)
        rows.append(
            convert.sx(body - rhs if rhs else body)
            if isinstance(body, float)
            else (_B(ca.OP_SUB, body, convert.const(float(rhs))) if rhs else body)
        )
    g = ca.vertcat(*rows)
    t1 = time.perf_counter()
    jac_rows, jac_cols, jac_values = _row_jacobians(rows, g, x, convert.xs)
    residual = ca.Function("residual", [x, p], [g])
    jacobian = ca.Function("jacobian", [x, p], [jac_values])
    t2 = time.perf_counter()
    evaluator = None if layout is None else build_evaluator(model, convert, x, p, layout)
    lower = np.array([-math.inf if v.lb is None else max(lower_bound, v.lb) for v in variables])
    upper = np.array([v.ub if v.ub is not None else math.inf for v in variables])
    log.debug("converted %d equations in %.3fs, derivatives in %.3fs", len(rows), t1 - t0, t2 - t1)
    return CompiledModel(
        variables=variables,
        constraints=constraints,
        parameters=parameters,
        residual=residual,
        jacobian=jacobian,
        jac_rows=jac_rows,
        jac_cols=jac_cols,
        lower=lower,
        upper=upper,
        timings={"convert_s": t1 - t0, "derivatives_s": t2 - t1, "evaluator_s": time.perf_counter() - t2},
        evaluator=evaluator,
        _x=x,
        _p=p,
        _g=g,
    )
