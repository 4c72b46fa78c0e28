"""``cge.run``: solve scenarios on a SAM and stack the indicators on a ``scenario`` dimension."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
import xarray as xr

from cge import __version__
from cge.calibrate import Calibration, calibrate, load_elasticities
from cge.dims import BASELINE, SCENARIO
from cge.indicators import indicator_attrs
from cge.model import Closure, ClosureError, build_model
from cge.results import extract
from cge.sam import load_sam
from cge.scenario import Scenario, ScenarioError
from cge.shocks import load_mfn, scenario_parameters
from cge.solve import Solver
from cge.trade_jobs import TradeJobsSpec, annotate_trade_jobs, trade_jobs_arrays
from cge.welfare import WELFARE_STEPS, decompose

log = logging.getLogger(__name__)


def scenario_list(scenarios: Scenario | str | Path | Iterable, include_baseline: bool = True) -> list[Scenario]:
    """Scenario objects from objects or TOML paths; names must be unique.

    With ``include_baseline`` an unshocked scenario named ``baseline`` is prepended unless one is
    given.
    """
    if isinstance(scenarios, (Scenario, str, Path)):
        scenarios = [scenarios]
    out = [s if isinstance(s, Scenario) else Scenario.from_toml(s) for s in scenarios]
    if not out:
        raise ScenarioError("no scenarios given")
    names = [s.name for s in out]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ScenarioError(f"scenario names must be unique; repeated: {duplicates}")
    if include_baseline and BASELINE not in names:
        out.insert(0, Scenario(name=BASELINE, description="no shock: benchmark replication"))
    return out


def solve_scenario(
    solver: Solver,
    cal: Calibration,
    scenario: Scenario,
    mfn: pd.DataFrame | None,
    trade_jobs: TradeJobsSpec | None,
    extra: dict | None = None,
    welfare_steps: int = 0,
) -> xr.Dataset:
    """Solve one scenario warm on a compiled solver and extract its indicators.

    ``extra`` holds further parameter values applied with the scenario's shocks (e.g. the
    elasticities of a sensitivity-analysis draw, see :func:`cge.model.components.elasticity_values`).
    ``welfare_steps`` > 0 adds the EV decomposition (:func:`cge.welfare.decompose`), solved along a
    path of that many steps from the benchmark.

    Returns
    -------
    xarray.Dataset
        Indicators of :func:`cge.results.extract`, the trade-supported jobs and their parts (when
        the spec applies) and the solver figures (iterations, residuals, seconds, closure).

    Raises
    ------
    ScenarioError
        When the scenario names a parameter entry the model does not have.
    SolveError
        When the solve is not accepted.
    """
    t0 = time.perf_counter()
    values = scenario_parameters(scenario, solver.model.index, solver.model.lookup, mfn)
    values.update(extra or {})
    try:
        p = solver.parameter_vector(values)
    except KeyError as exc:
        raise ScenarioError(f"scenario '{scenario.name}': {exc.args[0]}") from exc
    result = solver.solve(p)
    ds = extract(solver.model, cal)
    if trade_jobs is not None and trade_jobs.applies_to(solver.model):
        ds.update(trade_jobs_arrays(solver.model, trade_jobs, ds["employment"]))
    if welfare_steps:
        ds.update(decompose(solver, cal, p, welfare_steps, ev=ds["ev"]))
    ds["iterations"] = _scalar(result.iterations, "iterations")
    ds["homotopy_steps"] = _scalar(result.homotopy_steps, "homotopy_steps")
    ds["max_residual"] = _scalar(result.max_residual, "max_residual")
    ds["walras_residual"] = _scalar(result.walras_residual, "walras_residual")
    ds["solve_seconds"] = _scalar(time.perf_counter() - t0, "solve_seconds")
    ds["closure"] = _scalar(solver.model.closure.describe(), "closure")
    log.info("%s: %d iterations, max residual %.2e", scenario.name, result.iterations, result.max_residual)
    return ds


def _scalar(value, name: str) -> xr.DataArray:
    """A per-scenario scalar with the attrs of ``name`` from the indicator table."""
    return xr.DataArray(value, attrs=indicator_attrs(name))


def run(
    scenarios: Scenario | str | Path | Iterable,
    sam: xr.Dataset | str | Path | None = None,
    elasticities: pd.DataFrame | str | Path | None = None,
    tol: float = 1e-9,
    hessian: str = "limited-memory",
    progress: Callable[[Scenario], None] | None = None,
    include_baseline: bool = True,
    trade_jobs: TradeJobsSpec | None = TradeJobsSpec(),
    welfare_steps: int = WELFARE_STEPS,
) -> xr.Dataset:
    """Solve scenarios and return their indicators stacked on a ``scenario`` dimension.

    Parameters
    ----------
    scenarios : Scenario, path, or iterable of them
        Scenario objects or TOML files.
    sam : Dataset, path or None
        SAM in the schema; None = the shipped SAM.
    elasticities : DataFrame, path or None
        Elasticity table; None = the shipped ``calibration/elasticities.csv``.
    tol : float
        Acceptance tolerance on max and Walras residuals [relative units].
    hessian : {"limited-memory", "exact"}
        Hessian used by Ipopt.
    progress : callable or None
        Called with each scenario after it is solved (for progress bars).
    include_baseline : bool
        Prepend an unshocked scenario named ``baseline`` unless one is given.
    trade_jobs : TradeJobsSpec or None
        Definition of the trade-supported jobs indicator (default: US jobs supported by trade
        with Mexico and Canada, reported beside the published 13 million); skipped when the SAM
        lacks the regions or the employment satellite.
    welfare_steps : int
        Path intervals of the EV decomposition (``ev_decomposition``); 0 skips it.

    Returns
    -------
    xarray.Dataset
        Indicators (``real_gdp`` [US$ bn], ``ev`` [US$ bn], ...) and solver figures
        (``iterations``, ``max_residual``, ``walras_residual``) by scenario; attrs hold the
        scenario definitions (JSON), the SAM hash and the package version.

    Raises
    ------
    ScenarioError, SamError, CalibrationError
        For bad inputs, naming the field or account.
    SolveError
        When a scenario does not solve; never returns unaccepted numbers.
    """
    scenarios = scenario_list(scenarios, include_baseline)
    if sam is None or isinstance(sam, (str, Path)):
        sam = load_sam(sam)
    if isinstance(elasticities, (str, Path)):
        elasticities = load_elasticities(elasticities)
    cal: Calibration = calibrate(sam, elasticities)
    mfn = load_mfn() if any(s.revert_to_mfn for s in scenarios) else None
    solvers: dict[Closure, Solver] = {}
    results = {}
    for scenario in scenarios:
        closure = scenario.closure.to_closure()
        if closure not in solvers:
            try:
                model = build_model(cal, closure)
            except ClosureError as exc:
                raise ScenarioError(f"scenario '{scenario.name}': {exc}") from exc
            solvers[closure] = Solver(model, tol=tol, hessian=hessian)
        results[scenario.name] = solve_scenario(
            solvers[closure], cal, scenario, mfn, trade_jobs, welfare_steps=welfare_steps
        )
        if progress is not None:
            progress(scenario)
    out = xr.concat(list(results.values()), dim=pd.Index(list(results), name=SCENARIO, dtype=object), coords="minimal")
    for name, var in next(iter(results.values())).data_vars.items():
        out[name].attrs = dict(var.attrs)
    out = annotate_trade_jobs(out, trade_jobs)
    out.attrs.update(
        {
            "scenarios": "[" + ",".join(s.to_json() for s in scenarios) + "]",
            "sam_hash": cal.sam_hash,
            "sam_source": str(sam.attrs.get("title", "")),
            "cge_version": __version__,
            "units_note": "US$ bn; percent changes relative to the benchmark SAM",
        }
    )
    return out
