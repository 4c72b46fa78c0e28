"""Pyomo -> CasADi: convert a square Pyomo model's active equality constraints into compiled
CasADi functions of (variables x, mutable parameters p).

Mutable parameters become symbolic inputs, so a new scenario changes the numbers passed in,
never the compiled functions.

Shared sub-expressions (Pyomo ``Expression`` components: CES price indices, nest aggregates,
bilateral demands) are converted once into intermediate symbols ``z`` (:mod:`cge.solve.convert`),
each with its own small body in terms of (x, z, p). The bodies are differentiated locally and the
exact Jacobian is chained level by level as sparse products (:mod:`cge.solve.chain`): the same
Jacobian as differentiating the inlined equations, without re-differentiating a price index for
every equation that uses it. The compiled functions are CasADi MX functions that call SX
functions level by level; they serialize (:mod:`cge.solve.cache`).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass, field
from functools import cached_property

import casadi as ca
import numpy as np
import pyomo.environ as pyo

from cge.gcpause import paused_gc
from cge.solve.cache import CompiledCache, CompiledFunctions, fingerprint
from cge.solve.chain import build_chain, row_jacobian
from cge.solve.convert import ConversionError, Converted, Tape
from cge.solve.evaluate import Evaluator, Layout, build_evaluator

log = logging.getLogger(__name__)


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
        (x, p) -> nonzeros of dg/dx, in the order of ``jac_rows``/``jac_cols``.
    jac_rows, jac_cols : ndarray
        Sparsity pattern of the Jacobian (CasADi's column-major nonzero order).
    lower, upper : ndarray
        Bounds of x.
    checks : casadi.Function
        (x, p) -> residuals of the inactive equations given as checks (e.g. the market that
        Walras' law drops), same convention as ``residual``.
    timings : dict
        Seconds spent converting (``convert_s``: recording the tape), building or reading the
        functions (``functions_s``) and the evaluator (``evaluator_s``); ``cache_hit``.
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
    checks: ca.Function
    timings: dict = field(default_factory=dict)
    evaluator: Evaluator | None = None

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

    def eval_checks(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        return np.asarray(self.checks(x, p)).ravel()

    def eval_jacobian_values(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        return np.asarray(self.jacobian(x, p), dtype=float).ravel()

    @cached_property
    def _lagrangian_hessian(self) -> tuple[ca.Function, np.ndarray, np.ndarray]:
        x, p, lam = ca.SX.sym("x", self.n), ca.SX.sym("p", self.residual.size1_in(1)), ca.SX.sym("lam", self.m)
        hess = ca.tril(ca.hessian(ca.dot(lam, self.residual(x, p)), x)[0])
        rows, cols = hess.sparsity().get_triplet()
        function = ca.Function("lagrangian_hessian", [x, p, lam], [hess])
        return function, np.array(rows, dtype=int), np.array(cols, dtype=int)

    def hessian(self) -> tuple[ca.Function, np.ndarray, np.ndarray]:
        """Exact Hessian of the Lagrangian λᵀg (lower triangle), compiled on first use."""
        return self._lagrangian_hessian


def _compile_functions(tape: Tape, row_ids: list, check_ids: list, n_derivative: int) -> CompiledFunctions:
    """Play the tape into SX, chain the derivatives (of the first ``n_derivative`` intermediates,
    those the equations use) and assemble the (x, p) functions."""
    x, p, z = ca.SX.sym("x", tape.n), ca.SX.sym("p", tape.n_p), ca.SX.sym("z", len(tape.symbols))
    values = tape.play(x, p, z)
    g = values[row_ids] if row_ids else ca.SX(0, 1)
    g_checks = values[check_ids] if check_ids else ca.SX(0, 1)
    bodies = values[tape.bodies] if tape.bodies else ca.SX(0, 1)
    X, P = ca.MX.sym("x", tape.n), ca.MX.sym("p", tape.n_p)
    levels = np.asarray(tape.symbol_levels, dtype=np.int64)
    chain = build_chain(x, p, z, bodies, levels, n_derivative, X, P)
    local = row_jacobian(g, ca.vertcat(x, chain.der_symbols))
    equations = ca.Function("equations", [x, chain.symbols, p], [g, local[:, : tape.n], local[:, tape.n :], g_checks])
    g_mx, gx, gz, checks_mx = equations(X, chain.values, P)
    jac = gx + ca.mtimes(gz, chain.derivatives)
    jac_rows, jac_cols = (np.asarray(a, dtype=np.int64) for a in jac.sparsity().get_triplet())
    small = len(tape.op) <= EXPAND_MAX
    return CompiledFunctions(
        residual=_function("residual", [X, P], [g_mx], ["g"], small),
        jacobian=_function("jacobian", [X, P], [jac.nz[:]], ["jac_nz"], small),
        checks=_function("checks", [X, P], [checks_mx], ["g"], small),
        intermediates=_function("intermediates", [X, P], [chain.values_by_symbol], ["z"], small),
        jac_rows=jac_rows,
        jac_cols=jac_cols,
    )


EXPAND_MAX = 100_000
"""Largest conversion tape whose functions are expanded into single SX functions: a call then
costs about two thirds as much (shipped 5 x 17: residual 0.13 ms against 0.21 ms, 0.06 s to
expand all), while at 41 x 35 expanding the Jacobian alone takes 6 s."""


def _function(name: str, inputs: list, outputs: list, output_names: list, expand: bool) -> ca.Function:
    """A (x, p) function, expanded into one SX function when ``expand``."""
    function = ca.Function(name, inputs, outputs, ["x", "p"], output_names)
    return function.expand() if expand else function


def compile_model(
    model: pyo.ConcreteModel,
    lower_bound: float = 1e-12,
    layout: Layout | None = None,
    checks: tuple = (),
    cache: CompiledCache | None = None,
) -> CompiledModel:
    """Convert the active equality constraints of a square Pyomo model to CasADi functions.

    Parameters
    ----------
    model : ConcreteModel
        Model whose active constraints are equalities and whose free variables are as many.
    lower_bound : float
        Floor applied to variable lower bounds (positive variables get this instead of 0).
    layout : Layout or None
        Dims and coordinates of the model's components: also compile the evaluator of every
        Var and Expression (:mod:`cge.solve.evaluate`) from the same conversion.
    checks : tuple of ConstraintData
        Equality constraints outside the system (deactivated) whose residuals are compiled too,
        e.g. the market dropped by Walras' law.
    cache : CompiledCache or None
        Read the compiled functions from this cache when an entry for the model's conversion
        tape exists, else compile and store them (:mod:`cge.solve.cache`).

    Returns
    -------
    CompiledModel

    Notes
    -----
    Python's cyclic garbage collector is paused while compiling (:func:`cge.gcpause.paused_gc`),
    as in :func:`cge.model.build_model`: the conversion and the evaluator create hundreds of thousands
    of Python objects and no garbage cycles (flat 41 x 35 evaluator 1.85 -> 1.34 s).
    """
    with paused_gc():
        return _compile_model(model, lower_bound, layout, checks, cache)


def _compile_model(
    model: pyo.ConcreteModel, lower_bound: float, layout: Layout | None, checks: tuple, cache: CompiledCache | None
) -> CompiledModel:
    """The body of :func:`compile_model`."""
    t0 = time.perf_counter()
    constraints = list(model.component_data_objects(pyo.Constraint, active=True))
    for con in (*constraints, *checks):
        if not con.equality:
            raise ConversionError(f"constraint {con.name} is not an equality; the model must be square")
    variables = [v for v in model.component_data_objects(pyo.Var) if not v.fixed]
    parameters = [q for q in model.component_data_objects(pyo.Param) if q.parent_component().mutable]
    if len(variables) != len(constraints):
        raise ConversionError(
            f"model is not square: {len(variables)} free variables, {len(constraints)} active equations"
        )
    tape = Tape(
        {id(v): k for k, v in enumerate(variables)},
        {id(q): k for k, q in enumerate(parameters)},
        len(variables),
        len(parameters),
    )
    row_ids = [tape.residual(con) for con in constraints]
    n_derivative = len(tape.symbols)  # the intermediates the equations use: the first ones met
    check_ids = [tape.residual(con) for con in checks]
    if layout is not None:  # every named expression gets its symbol before the evaluator needs it
        for expr in model.component_data_objects(pyo.Expression):
            tape(expr)
    tape.end_walk()
    t1 = time.perf_counter()
    key: str | None = None
    functions = None
    if cache is not None:
        key = fingerprint(
            {
                **tape.arrays(),
                "rows": np.asarray(row_ids),
                "checks": np.asarray(check_ids),
                "n_derivative": np.asarray([n_derivative]),
            }
        )
        functions = cache.load(key)
        sizes = (tape.n, tape.n_p, len(row_ids), len(check_ids), len(tape.symbols))
        if functions is not None and not functions.matches(*sizes):
            log.warning("ignoring compiled-model cache entry %s: sizes do not match the model", key[:12])
            functions = None
    cache_hit = functions is not None
    if functions is None:
        functions = _compile_functions(tape, row_ids, check_ids, n_derivative)
        if cache is not None and key is not None:
            cache.store(key, functions)
    t2 = time.perf_counter()
    evaluator = None
    if layout is not None:
        x, p, z = ca.SX.sym("x", tape.n), ca.SX.sym("p", tape.n_p), ca.SX.sym("z", len(tape.symbols))
        staged = build_evaluator(model, Converted(tape, x, p, z), x, ca.vertcat(p, z), layout)
        X, P = ca.MX.sym("x", tape.n), ca.MX.sym("p", tape.n_p)
        outputs = staged.function(X, ca.vertcat(P, functions.intermediates(X, P)))
        function = _function("evaluate", [X, P], [outputs], ["values"], len(tape.op) <= EXPAND_MAX)
        evaluator = dataclasses.replace(staged, function=function)
    lower = np.array([-math.inf if v.lb is None else max(lower_bound, v.lb) for v in variables])
    upper = np.array([v.ub if v.ub is not None else math.inf for v in variables])
    log.log(
        logging.INFO if cache is not None else logging.DEBUG,
        "converted %d equations (%d intermediates) in %.3fs; functions %s in %.3fs",
        len(row_ids),
        len(tape.symbols),
        t1 - t0,
        "read from the cache" if cache_hit else "compiled",
        t2 - t1,
    )
    return CompiledModel(
        variables=variables,
        constraints=constraints,
        parameters=parameters,
        residual=functions.residual,
        jacobian=functions.jacobian,
        jac_rows=functions.jac_rows,
        jac_cols=functions.jac_cols,
        lower=lower,
        upper=upper,
        checks=functions.checks,
        timings={
            "convert_s": t1 - t0,
            "functions_s": t2 - t1,
            "evaluator_s": time.perf_counter() - t2,
            "cache_hit": cache_hit,
        },
        evaluator=evaluator,
    )
