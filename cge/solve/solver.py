"""The solver: compile a built model once, then solve shocks by homotopy steps with warm starts.

A point is accepted only if our own checks pass: every active equation's residual and the
Walras residual (the dropped market) below ``tol``. Otherwise a :class:`SolveError` carries the
largest residuals by block and index and the structural (Dulmage–Mendelsohn) analysis.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Mapping
from typing import Literal

import numpy as np
import pyomo.environ as pyo

from cge.model import Model
from cge.solve.cache import CompiledCache, default_cache
from cge.solve.casadi_bridge import CompiledModel, compile_model
from cge.solve.diagnostics import residual_table, structural_report
from cge.solve.evaluate import model_layout
from cge.solve.ipopt import ipopt_solve
from cge.solve.newton import Factorization, NewtonOptions, newton_solve
from cge.solve.result import SolveError, SolveResult, SolveStatus

log = logging.getLogger(__name__)

SOLVE_METHODS = ("newton", "ipopt")
"""Solution methods of :class:`Solver`."""

ParameterValues = Mapping[str, Mapping[object, float]]
"""Shock values: parameter component name -> {index: value}; scalar parameters use index None."""


class Solver:
    """Compiled model plus warm-start state.

    Parameters
    ----------
    model : Model
        Built model (benchmark point).
    tol : float
        Acceptance tolerance on the max and Walras residuals [relative units].
    hessian : {"limited-memory", "exact"}
        Hessian used by Ipopt.
    ipopt_options : dict or None
        Extra Ipopt options.
    min_step : float
        Smallest homotopy step (fraction of the shock) before giving up.
    method : {"newton", "ipopt"}
        ``"newton"``: Newton–Krylov with a reused LU first, Ipopt homotopy if it fails;
        ``"ipopt"``: Ipopt homotopy only.
    newton_options : NewtonOptions or None
        Settings of the Newton–Krylov iteration (default: :class:`NewtonOptions` with ``tol``).
    cache : CompiledCache, None or "default"
        Where compiled functions are read from and stored (:mod:`cge.solve.cache`); "default"
        is ``$CGE_CACHE_DIR`` or the user cache directory, None compiles without a cache.
    """

    def __init__(
        self,
        model: Model,
        tol: float = 1e-9,
        hessian: str = "limited-memory",
        ipopt_options: dict | None = None,
        min_step: float = 1.0 / 64,
        method: str = "newton",
        newton_options: NewtonOptions | None = None,
        cache: CompiledCache | None | Literal["default"] = "default",
    ):
        if method not in SOLVE_METHODS:
            raise ValueError(f"method must be one of {SOLVE_METHODS}, got {method!r}")
        self.model = model
        self.method = method
        self.newton_options = newton_options or NewtonOptions(tol=tol)
        self.tol = tol
        self.hessian = hessian
        self.ipopt_options = ipopt_options or {}
        self.min_step = min_step
        t0 = time.perf_counter()
        name, index = model.walras_equation
        walras = getattr(model.pyomo, name)[index]
        self.compiled: CompiledModel = compile_model(
            model.pyomo,
            layout=model_layout(model),
            checks=(walras,),
            cache=default_cache() if cache == "default" else cache,
        )
        self.compile_s = time.perf_counter() - t0
        # labels from the components' items(): ParamData.index() looks each entry up again through
        # Param.__getitem__ (99,014 parameters of the flat 41 x 35 case: 0.79 s against 0.06 s)
        key_of = {
            id(data): (comp.local_name, index)
            for comp in model.pyomo.component_objects(pyo.Param, descend_into=True)
            if comp.mutable
            for index, data in comp.items()
        }
        self._param_pos = {key_of[id(q)]: k for k, q in enumerate(self.compiled.parameters)}
        self.x_benchmark = np.array([model.benchmark[v] for v in self.compiled.variables], dtype=float)
        self.p_benchmark = np.array([model.benchmark[q] for q in self.compiled.parameters], dtype=float)
        self.x_last = self.x_benchmark.copy()
        self.p_last = self.p_benchmark.copy()
        self._factorization: Factorization | None = None  # LU of an earlier Jacobian, kept between solves
        self._stored_p = np.full(len(self.p_benchmark), np.nan)  # parameters last written to Pyomo

    # ------------------------------------------------------------------ parameters
    def parameter_vector(self, values: ParameterValues, base: np.ndarray | None = None) -> np.ndarray:
        """Parameter vector with ``values`` applied on top of ``base`` (default: benchmark).

        Raises
        ------
        KeyError
            Naming the parameter and index when the model has no such parameter entry (for
            example a tariff on a flow that is zero in the SAM).
        """
        p = (self.p_benchmark if base is None else base).copy()
        for name, entries in values.items():
            for index, value in entries.items():
                pos = self._param_pos.get((name, index))
                if pos is None:
                    raise KeyError(f"model has no parameter {name}[{index}] (zero benchmark flow or unknown label)")
                if not np.isfinite(value):
                    raise ValueError(f"parameter {name}[{index}] = {value} is not finite")
                p[pos] = float(value)
        return p

    def _store(self, x: np.ndarray, p: np.ndarray) -> None:
        """Write (x, p) into the Pyomo model; only the parameters that changed since the last
        store (Pyomo validates every parameter write, which dominates small solves)."""
        self.compiled.store(x)
        parameters = self.compiled.parameters
        for k in np.flatnonzero(p != self._stored_p):
            parameters[k].set_value(float(p[k]))
        self._stored_p = p.copy()

    # ------------------------------------------------------------------ checks
    def residuals(self, x: np.ndarray, p: np.ndarray) -> tuple[float, float]:
        """(max |residual| of the active equations, |Walras residual|) at (x, p)."""
        g = self.compiled.eval_residual(x, p)
        walras = abs(float(self.compiled.eval_checks(x, p)[0]))
        max_res = float(np.max(np.abs(g))) if g.size else 0.0
        if not np.isfinite(max_res):
            max_res = float("inf")
        return max_res, float(walras)

    def _accepted(self, x: np.ndarray, p: np.ndarray) -> tuple[bool, float, float]:
        max_res, walras = self.residuals(x, p)
        return (max_res <= self.tol and walras <= self.tol), max_res, walras

    # ------------------------------------------------------------------ solve
    def solve(self, p_target: np.ndarray, warm_start: bool = True) -> SolveResult:
        """Solve the model at parameters ``p_target``; leaves the solution in the Pyomo model.

        Starts from the previous solution (``warm_start``) or the benchmark. With
        ``method="newton"`` a Newton–Krylov iteration (:mod:`cge.solve.newton`) preconditioned
        by the LU factors kept from earlier solves goes first; if it does not reach an accepted
        point, Ipopt moves the parameters towards the target in homotopy steps, halving a step
        that fails and doubling after a success.

        Raises
        ------
        SolveError
            With residual and structural diagnostics when no accepted point is reached.
        """
        t0 = time.perf_counter()
        x = self.x_last.copy() if warm_start else self.x_benchmark.copy()
        p_from = self.p_last.copy() if warm_start else self.p_benchmark.copy()
        ok, max_res, walras = self._accepted(x, p_target)
        if ok:
            result = SolveResult(SolveStatus.SOLVED_AT_START, 0, 0, max_res, walras, "not called", method="none")
        else:
            solved = self._newton(x, p_target) if self.method == "newton" else None
            result, x = solved if solved is not None else self._homotopy(x, p_from, p_target)
        self.x_last, self.p_last = x, p_target.copy()
        self._store(x, p_target)
        return dataclasses.replace(result, timings={**result.timings, "solve_s": time.perf_counter() - t0})

    def _newton(self, x: np.ndarray, p_target: np.ndarray) -> tuple[SolveResult, np.ndarray] | None:
        """Newton–Krylov from ``x``: (result, solution), or None when it does not reach an accepted point."""
        outcome, self._factorization = newton_solve(
            self.compiled, x, p_target, self._factorization, self.newton_options
        )
        if outcome.converged:
            ok, max_res, walras = self._accepted(outcome.x, p_target)
            if ok:
                return SolveResult(
                    SolveStatus.SOLVED,
                    outcome.iterations,
                    1,
                    max_res,
                    walras,
                    "not called",
                    method="newton",
                    factorizations=outcome.factorizations,
                    krylov_iterations=outcome.krylov_iterations,
                ), outcome.x
        log.info("Newton-Krylov: %s after %d steps; falling back to Ipopt", outcome.message, outcome.iterations)
        return None

    def _homotopy(self, x: np.ndarray, p_from: np.ndarray, p_target: np.ndarray) -> tuple[SolveResult, np.ndarray]:
        """Ipopt in homotopy steps from (x, p_from) to p_target: (result, solution); raises
        :class:`SolveError` on failure."""
        lam, step, iterations, steps, message = 0.0, 1.0, 0, 0, ""
        max_res = walras = float("inf")
        while lam < 1.0:
            target = min(1.0, lam + step)
            p_step = p_from + target * (p_target - p_from)
            outcome = ipopt_solve(self.compiled, x, p_step, self.ipopt_options, self.hessian)
            iterations += outcome.iterations
            message = outcome.message
            ok, max_res, walras = self._accepted(outcome.x, p_step)
            if ok:
                lam, x, steps = target, outcome.x, steps + 1
                step = min(1.0, 2 * step)
                continue
            log.info("homotopy step to %.4f failed (%s, residual %.3g); halving", target, message, max_res)
            step /= 2
            if step < self.min_step:
                self._store(outcome.x, p_step)
                raise SolveError(
                    f"no solution: homotopy stalled at {lam:.4f} of the shock (step {step:.4g}); "
                    f"Ipopt: {message}; max residual {max_res:.3g}, Walras residual {walras:.3g}",
                    residuals=residual_table(self.compiled, outcome.x, p_step),
                    structural=structural_report(self.model.pyomo),
                )
        return SolveResult(SolveStatus.SOLVED, iterations, steps, max_res, walras, message, method="ipopt"), x

    def reset(self) -> None:
        """Forget the warm start: the next solve starts from the benchmark, with no LU factors kept
        from earlier solves (so its numbers do not depend on what was solved before)."""
        self.x_last, self.p_last = self.x_benchmark.copy(), self.p_benchmark.copy()
        self._factorization = None
        self._store(self.x_last, self.p_last)
