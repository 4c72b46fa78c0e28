"""What runs on a Dask worker: one task = one elasticity draw (or one scenario) solved warm.

Elasticities are parameters of the compiled model (only their form, 0 / 1 / CES, is structure),
so draws re-use one compiled model per closure; every draw starts from its own benchmark and
its scenarios warm-start from each other in file order, so the results do not depend on which
worker ran which draw before (bit for bit). Scenarios
with another closure get their own model inside the task. Tasks that share their inputs
(``Task.reuse``, used by :func:`cge.sweep.run_many`) keep the compiled solver in a small
per-thread cache on the worker, so each worker compiles once and re-solves warm.

Failures that belong to a draw (no solution, a calibration the draw makes impossible, a
numerical error) are recorded in the :class:`Outcome`; a bad scenario (unknown label, zero flow)
is the user's error and is raised, since it would fail for every draw.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import pandas as pd
import xarray as xr

from cge.calibrate import Calibration, CalibrationError, calibrate
from cge.model import Closure, build_model
from cge.model.components import elasticity_forms, elasticity_values
from cge.options import RunOptions
from cge.runner import solve_scenario
from cge.scenario import Scenario, ScenarioError
from cge.solve import SolveError, Solver

log = logging.getLogger(__name__)

BN = 1e-3  # US$ million -> US$ billion
CACHE_SIZE = 8
"""Calibrations and compiled solvers kept per worker thread for re-use by later tasks (``Task.reuse``)."""
RECORDED_ERRORS = (SolveError, CalibrationError, ArithmeticError, ValueError, RuntimeError)
"""Exceptions recorded as a failed draw instead of stopping the sweep (ScenarioError is raised)."""


@dataclass(frozen=True)
class SharedData:
    """Inputs common to every task: a worker plugin the scheduler installs on every worker, present
    and future (see :mod:`cge.sweep.execute`).

    Attributes
    ----------
    sam : xarray.Dataset
        The SAM [US$ million].
    sam_key : str
        Its hash (cache key).
    mfn : DataFrame or None
        MFN schedule (columns importer, sector, mfn_pct [percent]) for scenarios that revert to it.
    options : RunOptions
        Solver tolerance and Hessian, results ``detail`` and the trade-jobs indicator (model
        measure per solve; annotated with the published figure after stacking); the welfare
        decomposition is skipped per draw.
    """

    sam: xr.Dataset
    sam_key: str
    mfn: pd.DataFrame | None
    options: RunOptions = RunOptions()


@dataclass(frozen=True)
class Task:
    """One unit of work: the scenarios to solve under one set of elasticities.

    Attributes
    ----------
    draw : int
        Draw number (0 for plain scenario runs).
    scenarios : tuple of Scenario
        Solved in this order within each closure, warm-starting from the previous one.
    elasticities : DataFrame
        Per-sector elasticity table of this draw [unitless].
    final_demand : dict or None
        Final-demand elasticities of this draw (sigma_c, sigma_g, sigma_i) [unitless].
    reuse : bool
        Keep the compiled solver on the worker for later tasks with the same inputs.
    """

    draw: int
    scenarios: tuple[Scenario, ...]
    elasticities: pd.DataFrame
    final_demand: dict[str, float] | None = None
    reuse: bool = False


@dataclass
class Outcome:
    """What a task sends back.

    Attributes
    ----------
    draw : int
    results : dict
        Scenario name -> results (``cge.indicators.extract`` plus the
        solver figures) of each accepted solve.
    errors : dict
        Scenario name -> first line of the error of each failed solve.
    setup_seconds : float
        Calibration, model build and compilation time in this task [s].
    solve_seconds : float
        Solve and extraction time in this task [s].
    models_compiled : int
        Models built and compiled in this task (0 when all came from the worker's cache).
    worker : str
        Host and process id that ran the task.
    """

    draw: int
    results: dict[str, xr.Dataset] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    setup_seconds: float = 0.0
    solve_seconds: float = 0.0
    models_compiled: int = 0
    worker: str = ""


_local = threading.local()


def _cache() -> OrderedDict:
    cache = getattr(_local, "solvers", None)
    if cache is None:
        cache = _local.solvers = OrderedDict()
    return cache


def _remember(key: tuple, value) -> None:
    cache = _cache()
    cache[key] = value
    while len(cache) > CACHE_SIZE:
        cache.popitem(last=False)


def clear_cache() -> None:
    """Forget the compiled solvers cached in this thread."""
    _cache().clear()


def _table_key(table: pd.DataFrame, final_demand: dict | None) -> str:
    digest = hashlib.sha256(table.to_csv().encode())
    digest.update(repr(sorted((final_demand or {}).items())).encode())
    return digest.hexdigest()


def error_line(exc: BaseException) -> str:
    """``Type: first line of the message`` (the whole message may hold long diagnostics)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}".rstrip(": ")


def _get_solver(
    key: tuple, cal: Calibration, closure: Closure, shared: SharedData, local: dict, reuse: bool
) -> tuple[Solver, bool]:
    """The compiled solver for ``key``: from this task, the worker's cache, or newly compiled."""
    if key in local:
        return local[key], False
    cache = _cache()
    if reuse and key in cache:
        cache.move_to_end(key)
        local[key] = cache[key]
        return local[key], False
    solver = Solver(build_model(cal, closure), tol=shared.options.tol, hessian=shared.options.hessian)
    local[key] = solver
    if reuse:
        _remember(key, solver)
    return solver, True


def _calibration(key: tuple, task: Task, shared: SharedData) -> Calibration:
    cache = _cache()
    cal_key = ("calibration", *key)
    if task.reuse and cal_key in cache:
        cache.move_to_end(cal_key)
        return cache[cal_key]
    cal = calibrate(shared.sam, task.elasticities, task.final_demand)
    if task.reuse:
        _remember(cal_key, cal)
    return cal


def start_at_benchmark(solver: Solver, sigmas: dict) -> None:
    """Make the draw's own benchmark (its elasticities, no shock) the solver's starting point.

    A cached solver remembers the last solution of whatever task ran before on this worker;
    starting every draw from its benchmark (which replicates the SAM for any elasticities, so it
    is accepted without an iteration) makes the results independent of the scheduling.
    """
    solver.reset()
    result = solver.solve(solver.parameter_vector(sigmas), warm_start=False)
    if result.iterations:
        log.warning("the draw's benchmark needed %d iterations (expected 0)", result.iterations)


def run_task(task: Task, shared: SharedData) -> Outcome:
    """Solve every scenario of a task (on a worker).

    Parameters
    ----------
    task : Task
        Draw number, scenarios and elasticities.
    shared : SharedData
        SAM, MFN table and solver settings.

    Returns
    -------
    Outcome
        Indicators of each accepted solve and the first error line of each failed one.

    Raises
    ------
    ScenarioError
        When a scenario names something the model does not have (fails for every draw).
    """
    out = Outcome(draw=task.draw, worker=f"{os.uname().nodename}:{os.getpid()}")
    solver_key = (shared.options.tol, shared.options.hessian)
    cal_key = (shared.sam_key, _table_key(task.elasticities, task.final_demand), *solver_key)
    t0 = time.perf_counter()
    try:
        cal = _calibration(cal_key, task, shared)
    except RECORDED_ERRORS as exc:
        line = error_line(exc)
        out.errors = {s.name: line for s in task.scenarios}
        log.warning("draw %d: calibration failed: %s", task.draw, line)
        return out
    out.setup_seconds += time.perf_counter() - t0
    # the compiled model depends on the elasticities only through their forms (0 / 1 / CES):
    # draws with the same forms share it and set the elasticity parameters instead
    base_key = (shared.sam_key, elasticity_forms(cal), *solver_key)
    sigmas = elasticity_values(cal)
    local: dict[tuple, Solver] = {}
    closures = list(dict.fromkeys(s.closure.to_closure() for s in task.scenarios))
    for closure in closures:
        started: set[int] = set()
        for scenario in (s for s in task.scenarios if s.closure.to_closure() == closure):
            t_setup = time.perf_counter()
            try:
                solver, compiled = _get_solver((*base_key, closure), cal, closure, shared, local, task.reuse)
                if id(solver) not in started:
                    start_at_benchmark(solver, sigmas)
                    started.add(id(solver))
            except RECORDED_ERRORS as exc:
                out.errors[scenario.name] = error_line(exc)
                log.warning("draw %d, %s: model build failed: %s", task.draw, scenario.name, out.errors[scenario.name])
                continue
            out.models_compiled += int(compiled)
            out.setup_seconds += time.perf_counter() - t_setup
            t_solve = time.perf_counter()
            try:
                # no welfare decomposition per draw (it re-solves a path from the benchmark)
                options = dataclasses.replace(shared.options, welfare_steps=0)
                solved = solve_scenario(solver, cal, scenario, shared.mfn, options, extra=sigmas)
                ds = solved.drop_vars("closure")  # numbers only: stacked on draw
            except ScenarioError:
                raise  # a bad scenario fails in every draw: not a draw failure
            except RECORDED_ERRORS as exc:
                out.errors[scenario.name] = error_line(exc)
                log.warning("draw %d, %s: %s", task.draw, scenario.name, out.errors[scenario.name])
                continue
            elapsed = time.perf_counter() - t_solve
            out.results[scenario.name] = ds
            out.solve_seconds += elapsed
    return out
