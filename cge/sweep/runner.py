"""Run many scenarios, or a systematic sensitivity analysis (SSA), on a Dask cluster.

:func:`run_sweep` solves every (draw, scenario) of an SSA, one Dask task per draw (see
:mod:`cge.sweep.worker`), and stacks the indicators on ``draw`` and ``scenario`` with summary
statistics over the draws. :func:`run_many` spreads plain scenarios over the workers; each
worker prepares the model once per closure. Both run the GTAP v7 model as :func:`cge.run` does
(:mod:`cge.gtap.scenario_runner`), so a sweep's numbers are the numbers of :func:`cge.run`.

The cluster is a ``distributed.LocalCluster`` (one single-threaded worker process per core asked
for) unless ``scheduler`` names an existing scheduler or is a ``distributed.Client``. Execution
survives lost workers (:mod:`cge.sweep.execute`); with ``checkpoint`` every finished task is
saved as it arrives and an interrupted sweep resumes (:mod:`cge.sweep.checkpoint`). Every draw
starts from its own benchmark, so the numbers do not depend on which worker ran what, in which
order: a seeded sweep gives the same numbers bit for bit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from cge import __version__
from cge.calibrate import FINAL_DEMAND_ELASTICITIES, SECTOR_ELASTICITIES, CalibrationError
from cge.dims import DRAW, SCENARIO
from cge.gtap.horizons import gtap_closure
from cge.gtap.scenario_runner import (
    ELASTICITY_PARAMETERS,
    closure_arguments,
    database_hash,
    finish_gtap,
    run_inputs,
    with_elasticities,
)
from cge.indicators import indicator_attrs
from cge.options import RunOptions
from cge.scenario import Scenario, ScenarioError
from cge.sweep.checkpoint import Checkpoint, checkpoint_lock, fingerprint
from cge.sweep.distributions import QUADRATURE, DrawPlan, SSAError, SSASpec, plan_draws
from cge.sweep.execute import SweepError, SweepIncompleteError, dask_client, execute_tasks
from cge.sweep.statistics import interval_method, summarize
from cge.sweep.worker import FINAL_DEMAND_PARAMETERS, Outcome, SharedData, Task

log = logging.getLogger(__name__)

PARAMETER = "parameter"
SECTOR = "sector"
SIGMA = "sigma"
STATUS_OK, STATUS_FAILED = 0, 1

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(solves_done, solves_total)`` after each finished task."""


# --------------------------------------------------------------------------- inputs
def _inputs(scenarios, sam, elasticities, options: RunOptions) -> tuple[list[Scenario], SharedData]:
    """The run's scenarios and database (:func:`cge.gtap.scenario_runner.run_inputs`, as for
    :func:`cge.run`) and what every task shares.

    Every scenario's rows and closure are checked here, before any task is sent, so a bad scenario
    or closure is one error before any work (and no checkpoint is written).
    """
    if options.subtotals:
        raise ScenarioError("subtotals are not available in a sweep: run the scenarios with cge run --subtotals")
    listed, database = run_inputs(scenarios, sam, elasticities, options)
    return listed, SharedData(database=database, database_key=database_hash(database), options=options)


def central_table(database: xr.Dataset, elasticities: pd.DataFrame | str | Path | None) -> pd.DataFrame:
    """The elasticity table an SSA varies: ``elasticities`` when given, else the shipped
    ``calibration/elasticities.csv`` when the database has its values, else the database's own
    values by commodity (the activity of the same name for sigma_va, sigma_t, sigma_nd).

    Returns
    -------
    DataFrame
        Index: sector labels as strings; columns :data:`cge.calibrate.SECTOR_ELASTICITIES` as floats
        [unitless].

    Raises
    ------
    SSAError
        When the database's elasticities differ by region (no table says them), naming the parameter.
    """
    from cge.calibrate import load_elasticities

    if isinstance(elasticities, pd.DataFrame):
        table = elasticities.copy()
    elif elasticities is not None:
        table = load_elasticities(elasticities)
    else:
        table = load_elasticities()
        try:
            applied = with_elasticities(database, table)
            same = all(applied[p].equals(database[p]) for p in ELASTICITY_PARAMETERS.values() if p in database)
        except CalibrationError:  # the shipped table does not fit this database's commodities
            same = False
        if not same:
            table = _database_table(database)
    table.index = pd.Index([str(s) for s in table.index], name=table.index.name or SECTOR)
    sigmas = list(SECTOR_ELASTICITIES)
    table[sigmas] = table[sigmas].astype(float)  # a CSV of whole numbers reads as int64; draws are floats
    return table


def _database_table(database: xr.Dataset) -> pd.DataFrame:
    """The database's elasticities as a table by commodity (each uniform across regions)."""
    comms = [str(c) for c in database["COMM"].values]
    columns = {}
    for column, parameter in ELASTICITY_PARAMETERS.items():
        var = database[parameter]
        set_name = "COMM" if "COMM" in var.dims else "ACTS"
        spread = var.max("REG") - var.min("REG")
        if float(spread.max()) > 0:
            where = str(spread[set_name].values[int(np.argmax(spread.values))])
            raise SSAError(
                f"the database's {parameter} differs by region (for {where!r}): an SSA varies an elasticity "
                "table by sector; give one with --elasticities"
            )
        by_label = {str(k): float(v) for k, v in zip(var[set_name].values, var.isel(REG=0).values)}
        missing = [c for c in comms if c not in by_label]
        if missing:
            raise SSAError(f"the database has no activity named as commodity {missing[0]!r} for {parameter}")
        columns[column] = [by_label[c] for c in comms]
    return pd.DataFrame(columns, index=pd.Index(comms, name=SECTOR))


def _closures(scenarios: list[Scenario], database: xr.Dataset) -> xr.DataArray:
    """The closure description of each scenario (as :func:`cge.run` reports it) on ``scenario``."""
    described = [gtap_closure(database, **closure_arguments(s.closure)).description for s in scenarios]
    names = [s.name for s in scenarios]
    return xr.DataArray(described, dims=SCENARIO, coords={SCENARIO: names}, attrs=indicator_attrs("closure"))


def check_execution(retries: int, worker_timeout: float) -> None:
    """Refuse retries that are not a whole number >= 0, and a worker timeout that is not a finite
    number of seconds > 0 (``--retries -1``, ``--worker-timeout nan``), before any work."""
    if isinstance(retries, bool) or not isinstance(retries, (int, np.integer)) or retries < 0:
        raise ValueError(f"retries = {retries!r}: must be a whole number >= 0 [count]")
    if isinstance(worker_timeout, bool) or not isinstance(worker_timeout, (int, float, np.number)):
        raise ValueError(f"worker_timeout = {worker_timeout!r}: must be a number of seconds")
    if not (np.isfinite(worker_timeout) and worker_timeout > 0):
        raise ValueError(f"worker_timeout = {worker_timeout!r}: must be a finite number of seconds > 0")


def _sweep_key(kind: str, scenario_list: list[Scenario], shared: SharedData, table: pd.DataFrame | None, ssa) -> str:
    """What makes two sweeps the same: scenarios, SSA (with its seed), database hash (with the run's
    elasticities), the SSA's elasticity table, options and cge version (the reference scenario only
    re-bases after stacking)."""
    return fingerprint(
        {
            "kind": kind,
            "scenarios": [s.to_json() for s in scenario_list],
            "ssa": ssa.to_json() if ssa is not None else None,
            "database": shared.database_key,
            "elasticities": table.to_csv() if table is not None else None,
            "options": repr(dataclasses.replace(shared.options, reference=None)),
            "cge_version": __version__,
        }
    )


def _where(checkpoint: Checkpoint | None) -> str:
    if checkpoint is None:
        return "not saved (pass checkpoint= to keep finished draws)"
    return f"saved in {checkpoint.directory}; rerun with --resume to finish"


def _run_tasks(
    tasks: list[Task],
    shared: SharedData,
    key: str,
    scheduler,
    n_workers: int,
    progress: ProgressCallback | None,
    checkpoint: str | Path | None,
    resume: bool,
    retries: int,
    worker_timeout: float,
    noun: str,
) -> tuple[list[Outcome], int, float]:
    """Run the tasks not yet in the checkpoint; returns (outcomes by draw, workers, wall seconds).

    Raises
    ------
    SweepIncompleteError
        On an interrupt, a lost scheduler or no workers: how many tasks finished and where.
    """
    lock = checkpoint_lock(checkpoint) if checkpoint is not None else contextlib.nullcontext()
    with lock:  # held for the sweep's life: a second sweep into this checkpoint is refused
        store = Checkpoint(Path(checkpoint), key, len(tasks)) if checkpoint is not None else None
        outcomes: dict[int, Outcome] = store.open(resume) if store is not None else {}
        per_task = {t.draw: len(t.scenarios) for t in tasks}
        total = sum(per_task.values())
        done = sum(per_task[d] for d in outcomes)
        if progress is not None:
            progress(done, total)

        def arrived(outcome: Outcome) -> None:
            nonlocal done
            if store is not None:
                store.save(outcome)
            outcomes[outcome.draw] = outcome
            done += per_task[outcome.draw]
            for name, error in outcome.errors.items():
                log.warning("draw %d, scenario %s failed: %s", outcome.draw, name, error)
            if progress is not None:
                progress(done, total)

        todo = [t for t in tasks if t.draw not in outcomes]
        t0 = time.perf_counter()
        n_active = 0

        def incomplete(what: str) -> SweepIncompleteError:
            # the tasks saved in the checkpoint: an interrupt between saving a task and counting it
            # said "1 of 6 finished" with 2 task files saved
            finished = len(store.finished()) if store is not None else len(outcomes)
            message = f"sweep {what}: {finished} of {len(tasks)} {noun} finished, {_where(store)}"
            return SweepIncompleteError(message, finished, len(tasks))

        try:
            if todo:
                with dask_client(scheduler, n_workers) as client:
                    n_active = len(client.scheduler_info().get("workers", {}))
                    execute_tasks(client, todo, shared, arrived, retries, worker_timeout, key)
        except (OSError, TimeoutError) as exc:  # scheduler lost, no workers, a full disk for the checkpoint
            raise incomplete(
                f"stopped ({str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__})"
            ) from exc
        except Exception:
            raise  # a bad scenario or a bug: not an incomplete sweep
        except (SystemExit, GeneratorExit):
            raise
        except BaseException as exc:  # Ctrl-C, SIGTERM
            raise incomplete(f"interrupted ({'Ctrl-C' if isinstance(exc, KeyboardInterrupt) else exc})") from exc
        return [outcomes[d] for d in sorted(outcomes)], n_active, time.perf_counter() - t0


# --------------------------------------------------------------------------- stacking
def _failed_like(template: xr.Dataset) -> xr.Dataset:
    return xr.Dataset({k: xr.full_like(v, np.nan, dtype=float) for k, v in template.data_vars.items()})


def _stack(outcomes: list[Outcome], draws: list[int], names: list[str]) -> tuple[xr.Dataset, np.ndarray, list]:
    """Indicators stacked on (draw, scenario, ...); NaN where a solve failed."""
    by_draw = {o.draw: o for o in outcomes}
    template = next((ds for o in outcomes for ds in o.results.values()), None)
    failures = [
        {"draw": int(o.draw), "scenario": name, "error": o.errors[name]}
        for o in outcomes
        for name in names
        if name in o.errors
    ]
    if template is None:
        lines = "; ".join(f"draw {f['draw']} {f['scenario']}: {f['error']}" for f in failures[:5])
        raise SweepError(f"all {len(draws) * len(names)} solves failed; first errors: {lines}")
    blank = _failed_like(template)
    status = np.full((len(draws), len(names)), STATUS_OK, dtype=np.int8)
    arrays = {k: np.full((len(draws), len(names), *v.shape), np.nan) for k, v in template.data_vars.items()}
    for a, draw in enumerate(draws):
        outcome = by_draw[draw]
        for b, name in enumerate(names):
            ds = outcome.results.get(name)
            if ds is None:
                status[a, b] = STATUS_FAILED
                ds = blank
            for k in arrays:
                arrays[k][a, b] = ds[k].transpose(*template[k].dims).values
    out = xr.Dataset(attrs=dict(template.attrs))  # what the indicators say of themselves, as cge.run keeps
    for k, var in template.data_vars.items():
        coords: dict[str, np.ndarray | list[int] | list[str]] = {
            str(d): var[d].values for d in var.dims if d in var.coords
        }
        coords.update({DRAW: draws, SCENARIO: names})
        out[k] = xr.DataArray(arrays[k], dims=(DRAW, SCENARIO, *var.dims), coords=coords, attrs=dict(var.attrs))
    for coord_name, coord in template.coords.items():
        if coord_name not in out.coords and set(coord.dims) <= set(out.dims):
            out = out.assign_coords({coord_name: coord})
    return out, status, failures


def _refuse_private_demand(ssa: SSASpec) -> None:
    """GTAP v7's private demand is CDE (SUBPAR and INCPAR by commodity and region): it has no one
    substitution elasticity sigma_c for an SSA to vary.

    Raises
    ------
    SSAError
        Naming the parameter, before any work.
    """
    for k, parameter in enumerate(ssa.parameter):
        if parameter.name not in FINAL_DEMAND_PARAMETERS and parameter.name in FINAL_DEMAND_ELASTICITIES:
            raise SSAError(
                f"field 'parameter[{k}].name': {parameter.name} has no counterpart in GTAP v7, whose private demand "
                "is CDE (SUBPAR, INCPAR by commodity); vary sigma_g (ESUBG), sigma_i (ESUBI) or the sector elasticities"
            )


# --------------------------------------------------------------------------- public API
def work_attrs(outcomes: list[Outcome]) -> dict:
    """Model-preparation and time figures of a sweep's tasks, in total and per worker process.

    ``models_compiled`` counts the GTAP v7 models prepared (:func:`cge.gtap.simulate.prepare`);
    ``models_compiled_by_worker`` (JSON: worker ``host:pid`` -> models prepared) shows whether each
    worker of :func:`run_many` prepared each closure once; a worker restarted by its nanny has a new pid.
    """
    by_worker: dict[str, int] = {}
    for o in outcomes:
        by_worker[o.worker] = by_worker.get(o.worker, 0) + o.models_compiled
    return {
        "models_compiled": sum(by_worker.values()),
        "models_compiled_by_worker": json.dumps(by_worker, sort_keys=True),
        "setup_seconds": sum(o.setup_seconds for o in outcomes),
        "solve_seconds": sum(o.solve_seconds for o in outcomes),
    }


def run_sweep(
    scenarios: Scenario | str | Path | Iterable,
    ssa: SSASpec | str | Path | None,
    sam: xr.Dataset | str | Path | None = None,
    elasticities: pd.DataFrame | str | Path | None = None,
    scheduler=None,
    n_workers: int = 2,
    progress: ProgressCallback | None = None,
    options: RunOptions | None = None,
    checkpoint: str | Path | None = None,
    resume: bool = False,
    retries: int = 2,
    worker_timeout: float = 300.0,
    **overrides,
) -> xr.Dataset:
    """Systematic sensitivity analysis: solve every scenario for every draw of the parameters.

    Parameters
    ----------
    scenarios, sam : as in :func:`cge.run`
        Scenarios (objects or TOML files) and the GTAP v7 database (None = the shipped open
        database; a database directory or Dataset, or a SAM converted by :func:`cge.gtap.from_sam`).
    ssa : SSASpec, path or None
        Uncertain parameters and method (TOML schema in ``docs/sweep.md``); None runs the
        scenarios once with the run's elasticities (:func:`run_many`).
    elasticities : DataFrame, path or None
        Central elasticity table [unitless] (:func:`central_table`; None = the shipped
        ``calibration/elasticities.csv`` when the database holds its values, else the database's).
    scheduler : None, str or distributed.Client
        None/"local": a new LocalCluster of ``n_workers`` single-threaded processes;
        "inprocess": one worker thread in this process; an address: an existing scheduler.
    n_workers : int
        Worker processes of a new LocalCluster [count].
    progress : callable or None
        ``progress(solves_done, solves_total)`` after each finished draw.
    options : RunOptions or None
        As for :func:`cge.run` (baseline, ``detail``, ``reference``, ``groups``; ``subtotals`` is
        refused); ``**overrides`` replace single fields (``detail="all"``, ``reference=...``).
    checkpoint : path or None
        Directory where each finished draw is saved as it arrives (``cge sweep`` uses
        ``<out>.partial``); None keeps nothing on disk. Remove it after saving the results.
    resume : bool
        Load the finished draws of ``checkpoint`` (same sweep only) and solve the rest.
    retries : int
        Resubmissions of a draw lost with its workers before it is recorded as failed [count].
    worker_timeout : float
        Stop (:class:`SweepIncompleteError`) when no worker has been connected for this long [s].

    Returns
    -------
    xarray.Dataset
        Per-draw indicators on (``draw``, ``scenario``, ...) as in :func:`cge.run` [their units];
        ``<name>_mean``, ``_std``, ``_p05``, ``_p95`` over draws; ``weight`` (draw) [fraction];
        ``parameter_change_pct`` (draw, parameter) [percent]; ``elasticity`` (draw, sector,
        sigma) [unitless]; ``draw_status`` (draw, scenario) [0 ok, 1 failed]; ``draws_ok``
        (scenario) [count]; ``closure`` (scenario). Attrs: those of :func:`cge.run` (``model =
        "GTAP v7"``, ``database_hash``, provenance), method, interval method, failed draws (JSON
        list with the first line of each error), SSA (JSON), wall time.

    Raises
    ------
    SweepError
        When every solve failed (with the first errors).
    SweepIncompleteError
        When the sweep stops early (interrupt, scheduler lost, no workers): how many draws
        finished and where they are.
    ScenarioError, SSAError, SamError, DatabaseError
        For bad inputs, naming the field or label (``sigma_c``, which GTAP v7's CDE private
        demand does not have, before any work).
    CheckpointError
        When ``checkpoint`` holds another sweep, or finished draws and ``resume`` is False.
    """
    check_execution(retries, worker_timeout)
    options = RunOptions.resolve(options, **overrides)
    if ssa is None:
        return run_many(
            scenarios,
            sam,
            elasticities,
            scheduler,
            n_workers,
            progress,
            on_error="record",
            options=options,
            checkpoint=checkpoint,
            resume=resume,
            retries=retries,
            worker_timeout=worker_timeout,
        )
    if isinstance(ssa, (str, Path)):
        ssa = SSASpec.from_toml(ssa)
    _refuse_private_demand(ssa)
    scenario_list, shared = _inputs(scenarios, sam, elasticities, options)
    table = central_table(shared.database, elasticities)
    plan: DrawPlan = plan_draws(ssa, list(table.index))
    unit = dict.fromkeys(FINAL_DEMAND_ELASTICITIES, 1.0)  # so the draw's final-demand values are its factors
    tasks = []
    tables: list[pd.DataFrame] = []  # each draw's elasticity table
    for draw in range(plan.n_draws):
        el, factors = plan.elasticities(draw, table, unit)
        tables.append(el)
        fd = {k: v for k, v in factors.items() if k in FINAL_DEMAND_PARAMETERS and v != 1.0}
        tasks.append(Task(draw=draw, scenarios=tuple(scenario_list), elasticities=el, final_demand=fd or None))
    names = [s.name for s in scenario_list]
    log.info("SSA (%s): %d draws x %d scenarios", plan.method, plan.n_draws, len(names))
    key = _sweep_key("ssa", scenario_list, shared, table, ssa)
    outcomes, n_active, wall = _run_tasks(
        tasks, shared, key, scheduler, n_workers, progress, checkpoint, resume, retries, worker_timeout, "draws"
    )
    draws = list(range(plan.n_draws))
    per_draw, status, failures = _stack(outcomes, draws, names)
    per_draw["closure"] = _closures(scenario_list, shared.database)
    per_draw = finish_gtap(per_draw, scenario_list, shared.database, options)
    weights = xr.DataArray(
        plan.weights,
        dims=DRAW,
        coords={DRAW: draws},
        attrs={"long_name": "integration weight of the draw", "units": "1"},
    )
    out = per_draw.copy()
    out.update(summarize(per_draw, weights, plan.method))
    out["weight"] = weights
    out["parameter_change_pct"] = xr.DataArray(
        plan.changes_pct,
        dims=(DRAW, PARAMETER),
        coords={DRAW: draws, PARAMETER: plan.labels},
        attrs={"long_name": "relative change of the parameter from its central value", "units": "percent"},
    )
    sigma_cols = list(SECTOR_ELASTICITIES)
    out["elasticity"] = xr.DataArray(
        np.stack([el.loc[:, sigma_cols].to_numpy(dtype=float) for el in tables]),
        dims=(DRAW, SECTOR, SIGMA),
        coords={DRAW: draws, SECTOR: list(table.index), SIGMA: sigma_cols},
        attrs={"long_name": "elasticities of the draw", "units": "1"},
    )
    out["draw_status"] = xr.DataArray(
        status,
        dims=(DRAW, SCENARIO),
        coords={DRAW: draws, SCENARIO: names},
        attrs={
            "long_name": "solve status of the draw",
            "units": "1",
            "flag_values": np.array([STATUS_OK, STATUS_FAILED], dtype=np.int8),
            "flag_meanings": "ok failed",
        },
    )
    out["draws_ok"] = xr.DataArray(
        (status == STATUS_OK).sum(axis=0),
        dims=SCENARIO,
        attrs={"long_name": "draws solved", "units": "1"},
    )
    incomplete = [n for n, ok in zip(names, (status == STATUS_OK).all(axis=0)) if not ok]
    if failures:
        log.warning("%d of %d solves failed: %s", len(failures), status.size, failures)
    if incomplete and plan.method == QUADRATURE:
        log.warning("quadrature incomplete for %s: moments use the remaining points, no longer exact", incomplete)
    out.attrs.update(
        {
            "title": "systematic sensitivity analysis",
            "method": plan.method,
            "interval_method": interval_method(plan.method),
            "n_draws": plan.n_draws,
            "n_failed": len(failures),
            "failed_draws": json.dumps(failures),
            "incomplete_scenarios": json.dumps(incomplete),
            "ssa": ssa.to_json(),
            "n_workers": n_active,
            "wall_seconds": wall,
            "solves_per_second": status.size / wall if wall > 0 else float("nan"),
            **work_attrs(outcomes),
        }
    )
    return out


def run_many(
    scenarios: Scenario | str | Path | Iterable,
    sam: xr.Dataset | str | Path | None = None,
    elasticities: pd.DataFrame | str | Path | None = None,
    scheduler=None,
    n_workers: int = 2,
    progress: ProgressCallback | None = None,
    on_error: Literal["raise", "record"] = "raise",
    options: RunOptions | None = None,
    checkpoint: str | Path | None = None,
    resume: bool = False,
    retries: int = 2,
    worker_timeout: float = 300.0,
    **overrides,
) -> xr.Dataset:
    """Solve many scenarios in parallel (one Dask task each; each worker prepares one model per closure).

    Parameters
    ----------
    scenarios, sam, elasticities, scheduler, n_workers, progress, options, **overrides
        As in :func:`run_sweep`.
    checkpoint, resume, retries, worker_timeout
        As in :func:`run_sweep` (one task per scenario).
    on_error : {"raise", "record"}
        A failed scenario raises :class:`SweepError` (like :func:`cge.run`), or is recorded as
        NaN with ``scenario_status`` = 1 and its error in the ``failed_scenarios`` attr.

    Returns
    -------
    xarray.Dataset
        The variables and attrs of :func:`cge.run` (bit for bit), plus ``scenario_status``
        [0 ok, 1 failed]; attrs also ``failed_scenarios``, ``wall_seconds`` and :func:`work_attrs`.
    """
    if on_error not in ("raise", "record"):
        raise ValueError(f"on_error = {on_error!r}: use 'raise' or 'record'")
    check_execution(retries, worker_timeout)
    options = RunOptions.resolve(options, **overrides)
    scenario_list, shared = _inputs(scenarios, sam, elasticities, options)
    tasks = [Task(draw=k, scenarios=(s,), reuse=True) for k, s in enumerate(scenario_list)]
    key = _sweep_key("many", scenario_list, shared, None, None)
    outcomes, n_active, wall = _run_tasks(
        tasks, shared, key, scheduler, n_workers, progress, checkpoint, resume, retries, worker_timeout, "scenarios"
    )
    names = [s.name for s in scenario_list]
    # one task per scenario: put every result on draw 0 for stacking
    merged = Outcome(draw=0)
    for o in outcomes:
        merged.results.update(o.results)
        merged.errors.update(o.errors)
    failures = [{"scenario": n, "error": merged.errors[n]} for n in names if n in merged.errors]
    if failures and on_error == "raise":
        lines = "; ".join(f"{f['scenario']}: {f['error']}" for f in failures)
        raise SweepError(f"{len(failures)} of {len(names)} scenarios failed: {lines}")
    stacked, status, _ = _stack([merged], [0], names)
    stacked = stacked.isel({DRAW: 0}, drop=True)
    stacked["closure"] = _closures(scenario_list, shared.database)
    out = finish_gtap(stacked, scenario_list, shared.database, options)
    out["scenario_status"] = xr.DataArray(
        status[0],
        dims=SCENARIO,
        attrs={"long_name": "solve status", "units": "1", "flag_values": np.array([0, 1], np.int8)}
        | {"flag_meanings": "ok failed"},
    )
    out.attrs.update(
        {
            "failed_scenarios": json.dumps(failures),
            "n_workers": n_active,
            "wall_seconds": wall,
            "solves_per_second": len(names) / wall if wall > 0 else float("nan"),
            **work_attrs(outcomes),
        }
    )
    return out
