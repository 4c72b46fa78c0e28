"""``cge.run``: solve scenarios on a SAM and stack the indicators on a ``scenario`` dimension."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from cge import __version__
from cge.calibrate import Calibration, calibrate
from cge.dims import SCENARIO
from cge.model import Closure, build_model
from cge.results import extract
from cge.sam import load_sam
from cge.scenario import Scenario, ScenarioError
from cge.shocks import load_mfn, scenario_parameters
from cge.solve import Solver
from cge.trade_jobs import TradeJobsSpec, trade_jobs_components

log = logging.getLogger(__name__)

BASELINE = "baseline"


def _as_scenarios(scenarios: Scenario | str | Path | Iterable) -> list[Scenario]:
    if isinstance(scenarios, (Scenario, str, Path)):
        scenarios = [scenarios]
    out = [s if isinstance(s, Scenario) else Scenario.from_toml(s) for s in scenarios]
    if not out:
        raise ScenarioError("no scenarios given")
    names = [s.name for s in out]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ScenarioError(f"scenario names must be unique; repeated: {duplicates}")
    return out


def _scale_trade_jobs(ds: xr.Dataset, spec: TradeJobsSpec) -> xr.Dataset:
    """Model measure and its change applied to the published baseline (see cge.trade_jobs)."""
    model_jobs = ds["us_na_trade_jobs_total"]
    base = float(model_jobs.sel({SCENARIO: BASELINE})) if BASELINE in ds[SCENARIO].values else np.nan
    scale = spec.baseline_persons / base
    partners = "+".join(spec.partners)
    ds["us_na_trade_jobs_model"] = model_jobs.assign_attrs(
        long_name=f"{spec.home} jobs supported by trade with {partners}, model measure "
        "(export-embodied + import-using jobs)",
        units="persons",
    )
    ds["us_na_trade_jobs"] = (model_jobs * scale).assign_attrs(
        long_name=f"{spec.home} jobs supported by trade with {partners}, on the published baseline",
        units="persons",
        region=spec.home,
        partners=partners,
        baseline_persons=spec.baseline_persons,
        baseline_source=spec.source,
        model_baseline_persons=base,
        published_over_model=scale,
        method="published baseline x model(scenario) / model(baseline); see cge/trade_jobs.py",
    )
    return ds.drop_vars("us_na_trade_jobs_total")


def _scalar(value, long_name: str, units: str) -> xr.DataArray:
    return xr.DataArray(value, attrs={"long_name": long_name, "units": units})


def run(
    scenarios: Scenario | str | Path | Iterable,
    sam: xr.Dataset | str | Path | None = None,
    elasticities: pd.DataFrame | str | Path | None = None,
    tol: float = 1e-9,
    hessian: str = "limited-memory",
    progress: Callable[[Scenario], None] | None = None,
    include_baseline: bool = True,
    trade_jobs: TradeJobsSpec | None = TradeJobsSpec(),
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
        with Mexico and Canada, on the 13 million baseline); skipped when the SAM lacks the
        regions or the employment satellite.

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
    scenario_list = _as_scenarios(scenarios)
    if include_baseline and BASELINE not in [s.name for s in scenario_list]:
        scenario_list.insert(0, Scenario(name=BASELINE, description="no shock: benchmark replication"))
    if sam is None or isinstance(sam, (str, Path)):
        sam = load_sam(sam)
    if isinstance(elasticities, (str, Path)):
        from cge.calibrate import load_elasticities

        elasticities = load_elasticities(elasticities)
    cal: Calibration = calibrate(sam, elasticities)
    mfn = load_mfn() if any(s.revert_to_mfn for s in scenario_list) else None
    solvers: dict[Closure, Solver] = {}
    results = {}
    for scenario in scenario_list:
        closure = scenario.closure.to_closure()
        t0 = time.perf_counter()
        if closure not in solvers:
            model = build_model(cal, closure)
            build_s = time.perf_counter() - t0
            solvers[closure] = Solver(model, tol=tol, hessian=hessian)
            solvers[closure].build_s = build_s
        solver = solvers[closure]
        values = scenario_parameters(scenario, solver.model.index, solver.model.lookup, mfn)
        try:
            p = solver.parameter_vector(values)
        except KeyError as exc:
            raise ScenarioError(f"scenario '{scenario.name}': {exc.args[0]}") from exc
        result = solver.solve(p)
        ds = extract(solver.model, cal)
        ds["iterations"] = _scalar(result.iterations, "Ipopt iterations", "1")
        ds["homotopy_steps"] = _scalar(result.homotopy_steps, "homotopy steps", "1")
        ds["max_residual"] = _scalar(result.max_residual, "largest equation residual (relative)", "1")
        ds["walras_residual"] = _scalar(result.walras_residual, "residual of the market dropped by Walras' law", "1")
        ds["solve_seconds"] = _scalar(time.perf_counter() - t0, "wall time for this scenario", "s")
        ds["closure"] = _scalar(closure.describe(), "closure", "")
        if trade_jobs is not None and trade_jobs.applies_to(solver.model):
            jobs = trade_jobs_components(solver.model, trade_jobs)
            for part, value in jobs.items():
                ds[f"us_na_trade_jobs_{part}"] = _scalar(value, f"model trade-supported jobs: {part}", "persons")
        results[scenario.name] = ds
        log.info("%s: %d iterations, max residual %.2e", scenario.name, result.iterations, result.max_residual)
        if progress is not None:
            progress(scenario)
    out = xr.concat(list(results.values()), dim=pd.Index(list(results), name=SCENARIO, dtype=object), coords="minimal")
    for name, var in next(iter(results.values())).data_vars.items():
        out[name].attrs = dict(var.attrs)
    if "us_na_trade_jobs_total" in out:
        out = _scale_trade_jobs(out, trade_jobs)
    out.attrs.update(
        {
            "scenarios": "[" + ",".join(s.to_json() for s in scenario_list) + "]",
            "sam_hash": cal.sam_hash,
            "sam_source": str(sam.attrs.get("title", "")),
            "cge_version": __version__,
            "units_note": "US$ bn; percent changes relative to the benchmark SAM",
        }
    )
    return out
