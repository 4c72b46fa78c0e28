"""Scenario files on the GTAP v7 model: solve each and stack its indicators on ``scenario``.

:func:`run_gtap` is what ``cge.run`` and ``cge run`` do: every scenario's rows become GTAP v7
shocks (:func:`cge.gtap.scenario_shocks.gtap_shocks`), its ``[closure]`` the project's closure on
GTAP v7 (:func:`cge.gtap.horizons.gtap_closure`), the model is built once per closure
(:func:`cge.gtap.simulate.prepare`) and solved as GEMPACK would, and the indicators come from the
solution and the database (:func:`cge.indicators.gtap.gtap_indicators`). With subtotals, every
result is split into the contributions of the scenario's shock groups (``subtotal`` dim).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from cge.dims import BASELINE, REGION, SCENARIO, SUBTOTAL
from cge.errors import ScenarioError, SolveError
from cge.gtap.closure import ClosureSpecError
from cge.gtap.database import benchmark_hash, database_hash, is_database_directory, parameter_names
from cge.gtap.horizons import GtapClosure, LabourClosure, gtap_closure
from cge.gtap.scenario_shocks import ShockPlan, gtap_shocks
from cge.gtap.simulate import PreparedModel, prepare
from cge.gtap.subtotals import TOTAL
from cge.gtap.trade_balance import solve_to_targets
from cge.options import RunOptions
from cge.scenario import ClosureSpec, Scenario

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""Called as ``progress(message, solves_done, solves_total)`` when a stage starts or a solve ends."""

DETAIL = {"headline": "default", "all": "all"}
"""RunOptions.detail -> the indicator layer's detail."""

ELASTICITY_PARAMETERS = {
    "sigma_d": "ESUBD",
    "sigma_m": "ESUBM",
    "sigma_va": "ESUBVA",
    "sigma_t": "ESUBT",
    "sigma_nd": "ESUBC",
}
"""Columns of an elasticity table (``calibration/elasticities.csv``) -> GTAP v7 parameters."""

SOLVER_FIGURES = {
    "iterations": "newton_iterations",
    "max_residual": "max_residual",
    "path_nodes": "path_nodes",
    "solve_seconds": "solve_seconds",
}
"""Solver figures by scenario -> the solution attr they come from."""


# ---------------------------------------------------------------------------------- inputs
def resolve_database(
    source: xr.Dataset | str | Path | None, elasticities: pd.DataFrame | str | Path | None = None
) -> xr.Dataset:
    """The GTAP v7 database a run solves, with ``elasticities`` (:func:`with_elasticities`).

    Parameters
    ----------
    source : Dataset, path or None
        None: the shipped open database (``sam/gtap``); a GTAP v7 Dataset or a directory with
        ``basedata.har``/``database.nc``; or a SAM of the project's schema (a Dataset or a SAM
        directory), converted by :func:`cge.gtap.from_sam` with the elasticity table (default the
        shipped one).
    elasticities : DataFrame, path or None
        An elasticity table by sector (``calibration/elasticities.csv`` format).
    """
    from cge.calibrate import CalibrationError, load_elasticities

    table = elasticities
    if table is None or isinstance(table, pd.DataFrame):
        return _database_with(source, table)
    try:
        return _database_with(source, load_elasticities(table))
    except CalibrationError as exc:
        if str(table) in str(exc):
            raise
        reason = str(exc).removeprefix("elasticity table ")
        raise CalibrationError(f"elasticity table {table}: {reason}") from None


def _database_with(source: xr.Dataset | str | Path | None, table: pd.DataFrame | None) -> xr.Dataset:
    """The database of ``source`` with ``table``, refused before anything is solved when it fails
    GTAP's checks (identities, non-negative flows, parameter ranges: :func:`cge.gtap.check_database`)."""
    from cge.gtap import check_database

    database = _database_of(source, table)
    check_database(database)
    return database


def _database_of(source: xr.Dataset | str | Path | None, table: pd.DataFrame | None) -> xr.Dataset:
    from cge.gtap import load_database
    from cge.gtap.sam_conversion import from_sam

    if source is None:
        return with_elasticities(load_database(), table)
    if isinstance(source, xr.Dataset) and "VDFB" in source:
        return with_elasticities(source, table)
    path = None if isinstance(source, xr.Dataset) else Path(source)
    if path is not None and is_database_directory(path):
        return with_elasticities(load_database(path), table)
    from cge.calibrate import check_elasticities
    from cge.sam import conform_sam, load_sam

    sam = conform_sam(source) if isinstance(source, xr.Dataset) else load_sam(path)
    if table is not None:
        check_elasticities(sam, table)  # every sector, column and value, before the conversion
    return from_sam(sam, table)


def with_elasticities(database: xr.Dataset, table: pd.DataFrame | str | Path | None) -> xr.Dataset:
    """The database with an elasticity table's values in its GTAP parameters (every region).

    ``table`` has one row per commodity (its database label, or a long name that
    ``calibration/database/sectors.csv`` maps to it) and columns among :data:`ELASTICITY_PARAMETERS`;
    a commodity of the database without a row, or a row for a commodity it does not have, is an
    error naming it. ``sigma_va``, ``sigma_t`` and ``sigma_nd`` apply to the activity that makes the
    commodity of the same label.
    """
    from cge.calibrate import CalibrationError, load_elasticities

    if table is None:
        return database
    frame = table if isinstance(table, pd.DataFrame) else load_elasticities(table)
    from cge.gtap.scenario_shocks import commodity_aliases

    comms = [str(c) for c in database["COMM"].values]
    aliases = commodity_aliases(tuple(comms))
    rows = {aliases.get(str(label), str(label)): row for label, row in frame.iterrows()}
    missing = [c for c in comms if c not in rows]
    extra = [label for label in rows if label not in comms]
    if missing or extra:
        what = f"has no row for {missing[0]!r}" if missing else f"names {extra[0]!r}, which the database does not have"
        raise CalibrationError(f"elasticity table {what} (database commodities: {', '.join(comms)})")
    ds = database.copy()
    for column, parameter in ELASTICITY_PARAMETERS.items():
        if column not in frame.columns or parameter not in ds:
            continue
        values = np.array([float(rows[c][column]) for c in comms])
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            bad = [c for c, v in zip(comms, values, strict=True) if not (np.isfinite(v) and v >= 0)]
            raise CalibrationError(
                f"elasticity table column {column}: values must be finite and >= 0 ({len(bad)} are not: {bad[:5]})"
            )
        set_name = "COMM" if "COMM" in ds[parameter].dims else "ACTS"
        by_label = dict(zip(comms, values))
        labels = [str(x) for x in ds[set_name].values]
        if any(label not in by_label for label in labels):
            continue  # an activity without a commodity of its name keeps the database's value
        per_label = xr.DataArray([by_label[label] for label in labels], dims=set_name, coords={set_name: ds[set_name]})
        ds[parameter] = (ds[parameter] * 0 + per_label).transpose(*ds[parameter].dims).assign_attrs(ds[parameter].attrs)
    return ds


def closure_arguments(spec: ClosureSpec) -> dict:
    """Keyword arguments of :func:`cge.gtap.horizons.gtap_closure` for a scenario's ``[closure]``.

    A macro rule the file does not set is GTAP's standard (``rate_of_return``: RORDELTA = 1).
    Per-region labour-supply elasticities choose the labour closure (0 full employment, infinity a
    fixed real wage, in between the wage curve with that elasticity). Trade-balance targets give
    the kind of target by region (their values are shocks: :func:`cge.gtap.gtap_shocks`).
    """
    by_region = {r: LabourClosure(c) for r, c in spec.labour_by_region.items()}
    elasticity = {}
    for region, value in spec.labour_supply_elasticity.items():
        if value == 0:
            by_region[region] = LabourClosure.FULL_EMPLOYMENT
        elif math.isinf(value):
            by_region[region] = LabourClosure.FIXED_REAL_WAGE
        else:
            by_region[region] = LabourClosure.WAGE_CURVE
            elasticity[region] = float(value)
    return {
        "horizon": spec.horizon,
        "labour": spec.labour,
        "capital": spec.capital,
        "labour_by_region": by_region,
        "wage_elasticity": elasticity,
        "macro": spec.macro,
        "rorflex": spec.rate_of_return_flexibility,
        "trade_balance": {t.region: t.kind for t in spec.trade_balance},
    }


# ---------------------------------------------------------------------------------- one scenario
def prepared_model(
    scenario: Scenario,
    database: xr.Dataset,
    models: dict[str, tuple[GtapClosure, PreparedModel]],
    on_build: Callable[[str], None] | None = None,
) -> tuple[GtapClosure, PreparedModel]:
    """The scenario's closure and the model prepared for it, from ``models`` (a cache by closure,
    filled here when the closure is new; ``on_build`` is called with the closure's description
    before a model is built).

    Raises
    ------
    ScenarioError
        For a closure the database cannot support.
    """
    try:
        arguments = closure_arguments(scenario.closure)
        key = json.dumps({k: str(v) for k, v in arguments.items()}, sort_keys=True)
        if key not in models:
            closure = gtap_closure(database, **arguments)
            if on_build is not None:
                on_build(closure.description)
            models[key] = (closure, prepare(closure.database, **closure.solve_options()))
    except ClosureSpecError as exc:
        raise ScenarioError(f"scenario '{scenario.name}': {exc}") from None
    return models[key]


def solve_one(
    scenario: Scenario,
    database: xr.Dataset,
    models: dict[str, tuple[GtapClosure, PreparedModel]],
    options: RunOptions,
    on_build: Callable[[str], None] | None = None,
) -> xr.Dataset:
    """Solve one scenario on a (cached) prepared model and return its indicators; ``on_build``
    is called with the closure's description before a model is built for it.

    Raises
    ------
    ScenarioError
        For rows or closures the database cannot support.
    cge.gtap.simulate.GtapSolveError
        When the solve fails (with diagnostics).
    """
    from cge.indicators.gtap import gtap_indicators, us_na_trade_jobs_gross
    from cge.indicators.gtap.subtotals import total_only

    t0 = time.perf_counter()
    closure, prepared = prepared_model(scenario, database, models, on_build)
    plan: ShockPlan = gtap_shocks(scenario, database, groups=options.groups)
    groups = plan.groups if options.subtotals and plan.groups else None
    solution = solve_to_targets(prepared, plan.shocks, database, groups)
    out = gtap_indicators(solution, database, DETAIL[options.detail], rates=plan.rates)
    if options.trade_jobs and _has_trade_jobs_inputs(database):
        jobs = us_na_trade_jobs_gross(database, {scenario.name: solution}).isel({SCENARIO: 0}, drop=True)
        out[str(jobs.name)] = jobs if SUBTOTAL not in out.dims else total_only(jobs, like=out["real_gdp_pct"])
    for name in ("qgdp", "EV"):
        attrs = {**solution[name].attrs, "gtap": name, "gtap_variable": name}
        out[name] = solution[name].rename({"REG": REGION}).assign_attrs(attrs)
    for name, attr in SOLVER_FIGURES.items():
        out[name] = xr.DataArray(float(solution.attrs[attr]), attrs=_attrs(name))
    out["walras_residual"] = xr.DataArray(float(np.abs(solution["walraslack"]).max()), attrs=_attrs("walras_residual"))
    out["closure"] = xr.DataArray(closure.description, attrs=_attrs("closure"))
    log.info(
        "%s: %d iterations, %d path nodes, %.1f s",
        scenario.name,
        solution.attrs["newton_iterations"],
        solution.attrs["path_nodes"],
        time.perf_counter() - t0,
    )
    return out


def _has_trade_jobs_inputs(database: xr.Dataset) -> bool:
    """Whether the gross trade-jobs attribution applies: the US, Mexico and Canada and the
    employment and distribution-margin satellites are in the database (the shipped one has them)."""
    from cge.indicators.gtap.levels import EMPLOYMENT
    from cge.indicators.gtap.trade_jobs import HOME, MARGINS, PARTNERS

    regions = {str(r) for r in database["REG"].values}
    return {HOME, *PARTNERS} <= regions and EMPLOYMENT in database and MARGINS in database


def _attrs(name: str) -> dict:
    from cge.indicators import indicator_attrs

    try:
        return indicator_attrs(name)
    except KeyError:
        return {}


# ---------------------------------------------------------------------------------- a batch
def stack_scenarios(results: Mapping[str, xr.Dataset]) -> xr.Dataset:
    """Per-scenario results stacked on ``scenario``; scenarios with other shock groups get zeros
    for the groups they do not have (a shock a scenario does not apply contributes nothing)."""
    labels: list[str] = []
    for ds in results.values():
        if "subtotal" in ds.dims:
            labels += [str(s) for s in ds["subtotal"].values if str(s) not in labels]
    if labels:
        labels = [TOTAL, *[s for s in labels if s != TOTAL]]
        results = {name: _with_subtotals(ds, labels) for name, ds in results.items()}
    names = list(results)
    out = xr.concat(list(results.values()), dim=pd.Index(names, name=SCENARIO, dtype=object), coords="minimal")
    for name, var in next(iter(results.values())).variables.items():
        if name in out:
            out[name].attrs = dict(var.attrs)
    return out


def _with_subtotals(ds: xr.Dataset, labels: list[str]) -> xr.Dataset:
    """``ds`` with a ``subtotal`` dim over ``labels``: the total as the total, 0 for other groups."""
    out = {}
    for name, var in ds.data_vars.items():
        if "subtotal" in var.dims:
            out[name] = var.reindex(subtotal=labels, fill_value=0.0)
        elif var.dtype.kind in "fc" and var.dims and name not in SOLVER_FIGURES:
            zeros = xr.zeros_like(var).expand_dims(subtotal=labels[1:])
            out[name] = xr.concat([var.expand_dims(subtotal=[TOTAL]), zeros], dim="subtotal").transpose(
                *var.dims, "subtotal"
            )
        else:
            out[name] = var
    return xr.Dataset(out, attrs=ds.attrs).assign_coords(subtotal=labels)


def run_inputs(
    scenarios: Scenario | str | Path | Iterable,
    database: xr.Dataset | str | Path | None,
    elasticities: pd.DataFrame | str | Path | None,
    options: RunOptions,
) -> tuple[list[Scenario], xr.Dataset]:
    """The scenarios (``baseline`` first unless ``options.include_baseline`` is off) and the
    database of a run, every scenario's rows and closure checked before anything is solved.

    Raises
    ------
    ScenarioError
        For bad scenarios or closures, or a reference scenario that is not among them.
    """
    from cge.scenario import scenario_list

    listed = scenario_list(scenarios, options.include_baseline)
    names = [s.name for s in listed]
    if options.reference is not None and options.reference not in names:
        raise ScenarioError(f"reference scenario '{options.reference}' is not among the scenarios: {', '.join(names)}")
    if options.reference is not None and options.subtotals:
        raise ScenarioError("subtotals are measured from the benchmark: give either a reference scenario or subtotals")
    db = resolve_database(database, elasticities)
    for scenario in listed:
        gtap_shocks(scenario, db, groups=options.groups)
        try:
            gtap_closure(db, **closure_arguments(scenario.closure))
        except ClosureSpecError as exc:
            raise ScenarioError(f"scenario '{scenario.name}': {exc}") from None
    return listed, db


def run_gtap(
    scenarios: Scenario | str | Path | Iterable,
    database: xr.Dataset | str | Path | None = None,
    elasticities: pd.DataFrame | str | Path | None = None,
    progress: Progress | None = None,
    options: RunOptions | None = None,
    **overrides,
) -> xr.Dataset:
    """Solve scenarios on the GTAP v7 model and stack their indicators on ``scenario``.

    Parameters
    ----------
    scenarios : Scenario, path, or iterable of them
        Scenario objects or TOML files (``baseline`` is prepended unless
        ``include_baseline=False``).
    database : Dataset, path or None
        The GTAP v7 database (:func:`resolve_database`; None = the shipped open database).
    elasticities : DataFrame, path or None
        An elasticity table replacing the database's parameters (:func:`with_elasticities`).
    progress : callable, optional
        ``progress(message, solves_done, solves_total)``.
    options : RunOptions, optional
        ``detail``, ``reference``, ``subtotals``, ``include_baseline``, ``groups``.
    **overrides
        Fields of :class:`~cge.options.RunOptions`.

    Returns
    -------
    xarray.Dataset
        Indicators by scenario (``cge/indicators.csv``), ``qgdp`` and ``EV`` under their GEMPACK
        names, solver figures, scenario descriptions, labels and definitions; attrs ``model =
        "GTAP v7"``, the database's hash and source, versions, the reference scenario.

    Raises
    ------
    ScenarioError
        For bad scenarios or closures, before anything is solved.
    cge.errors.BatchSolveError
        When some scenarios do not solve (its ``partial`` holds the others).
    """
    from cge.errors import BatchSolveError

    options = RunOptions.resolve(options, **overrides)
    listed, db = run_inputs(scenarios, database, elasticities, options)
    models: dict = {}
    results: dict[str, xr.Dataset] = {}
    failures: dict[str, SolveError] = {}
    total = len(listed)
    for done, scenario in enumerate(listed):
        if progress is not None:
            progress(f"solving {scenario.name}", done, total)
        try:
            building = None if progress is None else partial(progress_build, progress, done, total)
            results[scenario.name] = solve_one(scenario, db, models, options, building)
        except SolveError as exc:
            failures[scenario.name] = exc
            log.warning("scenario %s did not solve: %s", scenario.name, str(exc).splitlines()[0])
        if progress is not None:
            progress(f"solved {scenario.name}", done + 1, len(listed))
    if failures:
        reasons = "; ".join(f"{name}: {str(exc).splitlines()[0]}" for name, exc in failures.items())
        usable = bool(results) and options.reference not in failures and set(results) != {BASELINE}
        solved = None
        if usable:
            solved = finish_gtap(stack_scenarios(results), listed, db, options)
            solved.attrs["failed_scenarios"] = json.dumps(
                [{"scenario": n, "error": str(e).splitlines()[0]} for n, e in failures.items()]
            )
        kept = f"; solved: {', '.join(results)}" if results else ""
        raise BatchSolveError(
            f"{len(failures)} of {len(listed)} scenarios did not solve ({reasons}){kept}", failures, solved
        )
    return finish_gtap(stack_scenarios(results), listed, db, options)


def progress_build(progress: Progress, done: int, total: int, closure: str) -> None:
    """Report that a model is being built for ``closure`` (the stage an out-of-memory error names)."""
    progress(f"compiling the model ({closure})", done, total)


def finish_gtap(ds: xr.Dataset, scenarios: list[Scenario], database: xr.Dataset, options: RunOptions) -> xr.Dataset:
    """Scenario descriptions, labels and definitions on ``scenario``; provenance attrs; the
    indicators re-based on ``options.reference``."""
    from cge.indicators.compare import rebase
    from cge.provenance import git_commit, package_versions
    from cge.results_file import FORMAT_ATTR, GTAP_MODEL, RESULTS_FORMAT

    held = [str(s) for s in ds[SCENARIO].values]
    by_name = {s.name: s for s in scenarios}
    for name, get in (
        ("scenario_description", lambda s: s.description),
        ("scenario_label", lambda s: s.label),
        ("scenario_definition", lambda s: s.to_json()),
    ):
        ds[name] = xr.DataArray(
            [get(by_name[n]) if n in by_name else "" for n in held], dims=SCENARIO, attrs=_attrs(name)
        )
    for dim in ds.dims:  # every axis describes itself (long_name from cge/indicators.csv)
        if dim in ds.coords:
            ds[dim].attrs.update(_attrs(str(dim)))
    if options.groups is not None:
        ds.attrs["groups"] = json.dumps([[g.dimension, g.name, g.members] for g in options.groups])
    from cge import __version__

    ds.attrs.update(
        {
            "model": GTAP_MODEL,
            FORMAT_ATTR: RESULTS_FORMAT,
            "database_hash": database_hash(database),
            "benchmark_hash": benchmark_hash(database),
            "parameter_hash": database_hash(database, parameter_names(database)),
            "database_source": str(database.attrs.get("title", database.attrs.get("source", ""))),
            "cge_version": __version__,
            "package_versions": package_versions(),
            "git_commit": git_commit(),
            "created": pd.Timestamp.now(tz="UTC").isoformat(),
            "reference_scenario": options.reference or "benchmark",
            "units_note": "US$ bn unless stated; qgdp and EV under their GEMPACK names (%, US$ million)",
        }
    )
    return rebase(ds, options.reference)
