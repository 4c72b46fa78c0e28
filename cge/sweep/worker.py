"""What runs on a Dask worker: one task = one elasticity draw (or one scenario) on the GTAP v7 model.

A draw is an elasticity table: its database is the run's database with the table's values in
ESUBD, ESUBM, ESUBVA, ESUBT and ESUBC (:func:`cge.gtap.scenario_runner.with_elasticities`) and
the final-demand factors of the draw on ESUBG and ESUBI (:func:`draw_database`). The elasticities
are coefficients of the GTAP v7 levels model, so each draw prepares its own model per closure
(:func:`cge.gtap.simulate.prepare`) and solves its scenarios on it exactly as :func:`cge.run`
does (:func:`cge.gtap.scenario_runner.solve_one`). Every solve starts from the benchmark of its
own database, so the numbers do not depend on which worker ran which draw before (bit for bit).

Tasks that share their inputs (``Task.reuse``, used by :func:`cge.sweep.run_many`) keep the draw's
database and its prepared models in a small per-thread cache on the worker, so each worker
prepares one model per closure and re-uses it.

Failures that belong to a draw (no solution, a closure the draw makes singular, a numerical
error) are recorded in the :class:`Outcome`; a bad scenario (unknown label, zero flow) is the
user's error and is raised, since it would fail for every draw.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
import xarray as xr

from cge.errors import ScenarioError, SolveError
from cge.gtap.scenario_runner import prepared_model, solve_one, with_elasticities
from cge.options import RunOptions
from cge.scenario import Scenario

log = logging.getLogger(__name__)

CACHE_SIZE = 8
"""Draw databases and their prepared models kept per worker thread for re-use by later tasks (``Task.reuse``)."""
RECORDED_ERRORS = (SolveError, ArithmeticError, ValueError, RuntimeError)
"""Exceptions recorded as a failed draw instead of stopping the sweep (ScenarioError is raised)."""
FINAL_DEMAND_PARAMETERS = {"sigma_g": "ESUBG", "sigma_i": "ESUBI"}
"""Final-demand elasticities of an SSA -> the GTAP v7 parameter a draw scales (by region)."""


@dataclass(frozen=True)
class SharedData:
    """Inputs common to every task: a worker plugin the scheduler installs on every worker, present
    and future (see :mod:`cge.sweep.execute`).

    Attributes
    ----------
    database : xarray.Dataset
        The GTAP v7 database the run solves (with the run's elasticity table) [US$ million].
    database_key : str
        Its hash (:func:`cge.gtap.scenario_runner.database_hash`; cache key).
    options : RunOptions
        Results ``detail`` and the scenario-row groups.
    """

    database: xr.Dataset
    database_key: str
    options: RunOptions = RunOptions()


@dataclass(frozen=True)
class Task:
    """One unit of work: the scenarios to solve under one set of elasticities.

    Attributes
    ----------
    draw : int
        Draw number (0 for plain scenario runs).
    scenarios : tuple of Scenario
        Solved in this order.
    elasticities : DataFrame or None
        Per-sector elasticity table of this draw [unitless]; None: the database's own.
    final_demand : dict or None
        Factors of this draw on the final-demand elasticities (``sigma_g``, ``sigma_i``: 1 + change
        / 100) [unitless]; None: unchanged.
    reuse : bool
        Keep the draw's database and prepared models on the worker for later tasks with the same inputs.
    """

    draw: int
    scenarios: tuple[Scenario, ...]
    elasticities: pd.DataFrame | None = None
    final_demand: dict[str, float] | None = None
    reuse: bool = False


@dataclass
class Outcome:
    """What a task sends back.

    Attributes
    ----------
    draw : int
    results : dict
        Scenario name -> results (:func:`cge.gtap.scenario_runner.solve_one` without the closure
        description) of each accepted solve.
    errors : dict
        Scenario name -> first line of the error of each failed solve.
    setup_seconds : float
        The draw's database and the preparation of its models in this task [s].
    solve_seconds : float
        Solve and indicator time in this task [s].
    models_compiled : int
        Models prepared in this task (0 when all came from the worker's cache).
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


def _cache() -> OrderedDict[tuple[str, str], tuple[xr.Dataset, dict]]:
    cache = getattr(_local, "models", None)
    if cache is None:
        cache = _local.models = OrderedDict()
    return cache


def clear_cache() -> None:
    """Forget the draw databases and prepared models cached in this thread."""
    _cache().clear()


def _table_key(table: pd.DataFrame | None, final_demand: Mapping | None) -> str:
    digest = hashlib.sha256(b"" if table is None else table.to_csv().encode())
    digest.update(repr(sorted((final_demand or {}).items())).encode())
    return digest.hexdigest()


def error_line(exc: BaseException) -> str:
    """``Type: first line of the message`` (the whole message may hold long diagnostics)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}".rstrip(": ")


def draw_database(
    database: xr.Dataset, elasticities: pd.DataFrame | None, final_demand: Mapping[str, float] | None = None
) -> xr.Dataset:
    """The database of one draw: the table's elasticities in ESUBD, ESUBM, ESUBVA, ESUBT and ESUBC
    (:func:`~cge.gtap.scenario_runner.with_elasticities`), ESUBG and ESUBI times the draw's factors.

    Parameters
    ----------
    database : xarray.Dataset
        The run's GTAP v7 database.
    elasticities : DataFrame or None
        The draw's elasticity table by sector [unitless]; None leaves those parameters as they are.
    final_demand : mapping, optional
        ``sigma_g`` and ``sigma_i`` factors of the draw (1 + change / 100) [unitless].
    """
    ds = with_elasticities(database, elasticities)
    for name, factor in (final_demand or {}).items():
        parameter = FINAL_DEMAND_PARAMETERS[name]
        if factor != 1.0 and parameter in ds:
            ds = ds.assign({parameter: (ds[parameter] * float(factor)).assign_attrs(ds[parameter].attrs)})
    return ds


def _draw_models(task: Task, shared: SharedData) -> tuple[xr.Dataset, dict]:
    """The draw's database and its cache of prepared models (by closure): from the worker's cache
    when the task re-uses its inputs and an earlier task made them."""
    key = (shared.database_key, _table_key(task.elasticities, task.final_demand))
    cache = _cache()
    if task.reuse and key in cache:
        cache.move_to_end(key)
        return cache[key]
    entry: tuple[xr.Dataset, dict] = (draw_database(shared.database, task.elasticities, task.final_demand), {})
    if task.reuse:
        cache[key] = entry
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    return entry


def run_task(task: Task, shared: SharedData) -> Outcome:
    """Solve every scenario of a task (on a worker).

    Parameters
    ----------
    task : Task
        Draw number, scenarios and elasticities.
    shared : SharedData
        The database and the run's options.

    Returns
    -------
    Outcome
        Indicators of each accepted solve and the first error line of each failed one.

    Raises
    ------
    ScenarioError
        When a scenario names something the database does not have (fails for every draw).
    """
    out = Outcome(draw=task.draw, worker=f"{os.uname().nodename}:{os.getpid()}")
    t0 = time.perf_counter()
    try:
        database, models = _draw_models(task, shared)
    except ScenarioError:
        raise
    except RECORDED_ERRORS as exc:
        line = error_line(exc)
        out.errors = {s.name: line for s in task.scenarios}
        log.warning("draw %d: its database failed: %s", task.draw, line)
        return out
    out.setup_seconds += time.perf_counter() - t0
    for scenario in task.scenarios:
        t_setup = time.perf_counter()
        known = len(models)
        try:
            prepared_model(scenario, database, models)
        except ScenarioError:
            raise
        except RECORDED_ERRORS as exc:
            out.errors[scenario.name] = error_line(exc)
            log.warning(
                "draw %d, %s: model preparation failed: %s", task.draw, scenario.name, out.errors[scenario.name]
            )
            continue
        out.models_compiled += len(models) - known
        out.setup_seconds += time.perf_counter() - t_setup
        t_solve = time.perf_counter()
        try:
            solved = solve_one(scenario, database, models, shared.options)
        except ScenarioError:
            raise  # a bad scenario fails in every draw: not a draw failure
        except RECORDED_ERRORS as exc:
            out.errors[scenario.name] = error_line(exc)
            log.warning("draw %d, %s: %s", task.draw, scenario.name, out.errors[scenario.name])
            continue
        out.results[scenario.name] = solved.drop_vars("closure")  # numbers only: stacked on draw
        out.solve_seconds += time.perf_counter() - t_solve
    return out
