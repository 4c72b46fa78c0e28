"""``cge.run``: solve scenarios on a SAM and stack the indicators on a ``scenario`` dimension.

The pieces shared with :func:`cge.sweep.run_many` and :func:`cge.sweep.run_sweep` live here:
:func:`prepare` (scenarios, SAM, elasticities, MFN table), :func:`solve_scenario` (one warm solve
and its extraction) and :func:`finish` (published-baseline jobs, scenario variables, provenance,
the reference scenario). Options are one :class:`cge.options.RunOptions`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xarray as xr

from cge.calibrate import SECTOR_ELASTICITIES, Calibration, calibrate, check_elasticities, load_elasticities
from cge.dims import BASELINE, SCENARIO
from cge.indicators import annotate_trade_jobs, extract, indicator_attrs
from cge.indicators.compare import rebase
from cge.indicators.groups import Group
from cge.model import Closure, ClosureError, build_model
from cge.options import RunOptions
from cge.provenance import elasticity_hash, provenance
from cge.sam import conform_sam, load_sam, sam_hash
from cge.scenario import Scenario, ScenarioError
from cge.shocks import load_mfn, scenario_parameters
from cge.solve import SolveError, Solver
from cge.welfare import decompose

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""Called as ``progress(message, solves_done, solves_total)`` when a stage starts or a solve ends."""


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
        out.insert(0, Scenario(name=BASELINE, label=BASELINE, description="no shock: benchmark replication"))
    return out


@dataclass(frozen=True)
class RunInputs:
    """Everything a run needs besides the options.

    Attributes
    ----------
    scenarios : list of Scenario
        In solve order (``baseline`` first when included).
    sam : xarray.Dataset
        The SAM [US$ million].
    elasticities : pandas.DataFrame
        Central per-sector elasticity table (index: sector labels as strings) [unitless].
    mfn : DataFrame or None
        MFN schedule for scenarios that revert to it.
    sam_hash : str
        SHA-256 of the SAM, computed from its data (never read from its ``sam_hash`` attr).
    groups : tuple of Group or None
        Group registry of the scenario rows (``RunOptions.groups``; None = the shipped one).
    """

    scenarios: list[Scenario]
    sam: xr.Dataset
    elasticities: pd.DataFrame
    mfn: pd.DataFrame | None
    sam_hash: str
    groups: tuple[Group, ...] | None = None

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.scenarios]


def prepare(
    scenarios: Scenario | str | Path | Iterable,
    sam: xr.Dataset | str | Path | None,
    elasticities: pd.DataFrame | xr.Dataset | str | Path | None,
    options: RunOptions,
) -> RunInputs:
    """Load and check the inputs of a run (before anything is solved).

    Raises
    ------
    ScenarioError
        For bad scenarios, or a reference scenario that is not among them.
    SamError, CalibrationError, FileNotFoundError
        For bad data, naming the file, account or label.
    """
    listed = scenario_list(scenarios, options.include_baseline)
    names = [s.name for s in listed]
    if options.reference is not None and options.reference not in names:
        raise ScenarioError(f"reference scenario '{options.reference}' is not among the scenarios: {', '.join(names)}")
    sam = load_sam(sam) if sam is None or isinstance(sam, (str, Path)) else conform_sam(sam)
    source = elasticities if isinstance(elasticities, (str, Path)) else None
    if elasticities is None:
        source = "calibration/elasticities.csv (the shipped table)"
    if elasticities is None or isinstance(elasticities, (str, Path)):
        elasticities = load_elasticities(elasticities)
    elif isinstance(elasticities, xr.Dataset):
        elasticities = elasticities.to_dataframe()
    table = elasticities.copy()
    table.index = pd.Index([str(s) for s in table.index], name=elasticities.index.name or "sector")
    check_elasticities(sam, table, source)
    sigmas = [c for c in SECTOR_ELASTICITIES if c in table.columns]
    table[sigmas] = table[sigmas].astype(float)  # a CSV of whole numbers reads as int64; draws are floats
    mfn = load_mfn() if any(s.revert_to_mfn for s in listed) else None
    return RunInputs(
        scenarios=listed, sam=sam, elasticities=table, mfn=mfn, sam_hash=sam_hash(sam), groups=options.groups
    )


def solve_scenario(
    solver: Solver,
    cal: Calibration,
    scenario: Scenario,
    mfn: pd.DataFrame | None,
    options: RunOptions,
    extra: Mapping | None = None,
) -> xr.Dataset:
    """Solve one scenario warm on a compiled solver and extract its results.

    ``extra`` holds further parameter values applied with the scenario's shocks (e.g. the
    elasticities of a sensitivity-analysis draw, see :func:`cge.model.components.elasticity_values`).

    Returns
    -------
    xarray.Dataset
        :func:`cge.indicators.extract` at ``options.detail``, the EV decomposition
        (:func:`cge.welfare.decompose`, unless ``options.welfare_steps`` is 0) and the solver
        figures (iterations, residuals, solve and extraction seconds, closure).

    Raises
    ------
    ScenarioError
        When the scenario names a parameter entry the model does not have.
    SolveError
        When the solve is not accepted.
    """
    t0 = time.perf_counter()
    values = scenario_parameters(scenario, solver.model.index, solver.model.lookup, mfn, groups=options.groups)
    values.update(extra or {})
    try:
        p = solver.parameter_vector(values)
    except KeyError as exc:
        raise ScenarioError(f"scenario '{scenario.name}': {exc.args[0]}") from exc
    result = solver.solve(p)
    t1 = time.perf_counter()
    ds = extract(solver, cal, options.trade_jobs, options.detail)
    t2 = time.perf_counter()
    if options.welfare_steps:
        ds.update(decompose(solver, cal, p, options.welfare_steps, ev=ds["ev"]))
    figures = {
        "iterations": result.iterations,
        "homotopy_steps": result.homotopy_steps,
        "max_residual": result.max_residual,
        "walras_residual": result.walras_residual,
        "solve_seconds": t1 - t0,
        "extract_seconds": t2 - t1,
        "closure": solver.model.closure.describe(),
    }
    for name, value in figures.items():
        ds[name] = xr.DataArray(value, attrs=indicator_attrs(name))
    log.info("%s: %d iterations, max residual %.2e", scenario.name, result.iterations, result.max_residual)
    return ds


def stack(results: Mapping[str, xr.Dataset]) -> xr.Dataset:
    """Per-scenario results stacked on ``scenario`` (in the mapping's order), attrs kept."""
    names = list(results)
    out = xr.concat(list(results.values()), dim=pd.Index(names, name=SCENARIO, dtype=object), coords="minimal")
    for name, var in next(iter(results.values())).variables.items():
        out[name].attrs = dict(var.attrs)
    return out


def finish(ds: xr.Dataset, inputs: RunInputs, options: RunOptions) -> xr.Dataset:
    """The shared last steps of :func:`run`, ``run_many`` and ``run_sweep``.

    The published trade-supported jobs figure beside ours (attrs), the scenario descriptions and
    definitions as variables on ``scenario``, the provenance attrs, and the indicators re-based on
    ``options.reference``.
    """
    ds = annotate_trade_jobs(ds, options.trade_jobs)
    held = [str(s) for s in ds[SCENARIO].values]
    by_name = {s.name: s for s in inputs.scenarios}
    ds[SCENARIO].attrs.update(indicator_attrs(SCENARIO))
    ds["scenario_description"] = xr.DataArray(
        [by_name[n].description if n in by_name else "" for n in held],
        dims=SCENARIO,
        attrs=indicator_attrs("scenario_description"),
    )
    ds["scenario_label"] = xr.DataArray(
        [by_name[n].label if n in by_name else "" for n in held],
        dims=SCENARIO,
        attrs=indicator_attrs("scenario_label"),
    )
    ds["scenario_definition"] = xr.DataArray(
        [by_name[n].to_json() if n in by_name else "" for n in held],
        dims=SCENARIO,
        attrs=indicator_attrs("scenario_definition"),
    )
    if "closure" not in ds:
        ds["closure"] = xr.DataArray(
            [by_name[n].closure.to_closure().describe() for n in held], dims=SCENARIO, attrs=indicator_attrs("closure")
        )
    if inputs.groups is not None:  # a user's groups file: what its names meant in the scenario rows
        ds.attrs["groups"] = json.dumps([[g.dimension, g.name, g.members] for g in inputs.groups])
    title = str(inputs.sam.attrs.get("title", ""))
    ds.attrs.update(provenance(inputs.sam_hash, elasticity_hash(inputs.elasticities), title, options.reference))
    return rebase(ds, options.reference)


def run(
    scenarios: Scenario | str | Path | Iterable,
    sam: xr.Dataset | str | Path | None = None,
    elasticities: pd.DataFrame | str | Path | None = None,
    progress: Progress | None = None,
    options: RunOptions | None = None,
    **overrides,
) -> xr.Dataset:
    """Solve scenarios and return their results stacked on a ``scenario`` dimension.

    Parameters
    ----------
    scenarios : Scenario, path, or iterable of them
        Scenario objects or TOML files.
    sam : Dataset, path or None
        SAM in the schema; None = the shipped SAM.
    elasticities : DataFrame, path or None
        Elasticity table; None = the shipped ``calibration/elasticities.csv``.
    progress : callable or None
        ``progress(message, solves_done, solves_total)`` at each compile and after each solve.
    options : RunOptions or None
        Solver tolerance, Hessian, baseline, trade-jobs indicator, ``detail`` and ``reference``.
    **overrides
        Fields of :class:`~cge.options.RunOptions` to change (``detail="all"``,
        ``reference="tariff25"``, ``tol=1e-10``, ``include_baseline=False``, ``trade_jobs=None``,
        ``welfare_steps=0``).

    Returns
    -------
    xarray.Dataset
        Indicators (``real_gdp`` [US$ bn], ``ev`` [US$ bn], ...; every model variable with
        ``detail="all"``), solver figures, ``scenario_description`` and ``scenario_definition``
        by scenario; provenance attrs (SAM and elasticity hashes, versions, git commit).

    Raises
    ------
    ScenarioError, SamError, CalibrationError
        For bad inputs (including an unknown reference scenario), naming the field or account.
    SolveError
        When a scenario does not solve; never returns unaccepted numbers.
    """
    from cge.gtap.scenario_runner import run_gtap

    return run_gtap(scenarios, sam, elasticities, progress, options, **overrides)
    options = RunOptions.resolve(options, **overrides)
    inputs = prepare(scenarios, sam, elasticities, options)
    cal: Calibration = calibrate(inputs.sam, inputs.elasticities)
    models = build_models(cal, inputs.scenarios)
    check_scenarios(inputs, next(iter(models.values())))
    solvers: dict[Closure, Solver] = {}
    results, failures = {}, {}
    total = len(inputs.scenarios)
    for done, scenario in enumerate(inputs.scenarios):
        closure = scenario.closure.to_closure()
        if closure not in solvers:
            if progress is not None:
                progress(f"compiling the model ({closure.describe()})", done, total)
            model = models.pop(closure)
            solvers[closure] = Solver(model, tol=options.tol, hessian=options.hessian)
        if progress is not None:
            progress(f"solving {scenario.name}", done, total)
        try:
            results[scenario.name] = solve_scenario(solvers[closure], cal, scenario, inputs.mfn, options)
        except SolveError as exc:
            failures[scenario.name] = exc
            log.warning("scenario %s did not solve: %s", scenario.name, str(exc).splitlines()[0])
        if progress is not None:
            progress(f"solved {scenario.name}", done + 1, total)
    if failures:
        raise BatchSolveError.of(failures, results, inputs, options)
    return finish(stack(results), inputs, options)


def build_models(cal: Calibration, scenarios: list[Scenario]) -> dict[Closure, object]:
    """One built (not yet compiled) model per closure of the scenarios, before anything is solved.

    Raises
    ------
    ScenarioError
        Naming the first scenario whose closure the SAM cannot support.
    """
    models = {}
    for scenario in scenarios:
        closure = scenario.closure.to_closure()
        if closure not in models:
            try:
                models[closure] = build_model(cal, closure)
            except ClosureError as exc:
                raise ScenarioError(f"scenario '{scenario.name}': {exc}") from exc
    return models


def check_scenarios(inputs: RunInputs, model) -> None:
    """Translate every scenario into parameter values before anything is solved.

    Raises
    ------
    ScenarioError
        For the first scenario that names a label, flow or MFN schedule the model does not have.
    """
    for scenario in inputs.scenarios:
        scenario_parameters(scenario, model.index, model.lookup, inputs.mfn, groups=inputs.groups)


class BatchSolveError(SolveError):
    """Some scenarios of a batch did not solve; the others are kept.

    Attributes
    ----------
    failures : dict
        Scenario name -> its :class:`~cge.solve.SolveError` (with diagnostics).
    partial : xarray.Dataset or None
        The scenarios that solved, finished as :func:`run` would (attr ``failed_scenarios``: JSON
        list of ``{scenario, error}``); None when nothing useful solved (only the baseline, or
        the reference scenario failed).
    """

    def __init__(self, message: str, failures: dict[str, SolveError], partial: xr.Dataset | None):
        first = next(iter(failures.values()))
        super().__init__(message, first.residuals, first.structural)
        self.failures = failures
        self.partial = partial

    @classmethod
    def of(
        cls, failures: dict[str, SolveError], results: dict, inputs: RunInputs, options: RunOptions
    ) -> BatchSolveError:
        names = inputs.names
        reasons = "; ".join(f"{name}: {str(exc).splitlines()[0]}" for name, exc in failures.items())
        usable = bool(results) and options.reference not in failures and set(results) != {BASELINE}
        partial = None
        if usable:
            partial = finish(stack(results), inputs, options)
            partial.attrs["failed_scenarios"] = json.dumps(
                [{"scenario": n, "error": str(e).splitlines()[0]} for n, e in failures.items()]
            )
        kept = f"; solved: {', '.join(results)}" if results else ""
        message = f"{len(failures)} of {len(names)} scenarios did not solve ({reasons}){kept}"
        return cls(message, failures, partial)
