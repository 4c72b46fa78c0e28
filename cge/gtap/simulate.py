"""Solve the GTAP v7 model for a shock: levels along the path, GEMPACK's indices, EV, results.

:func:`solve` is the public entry point (``cge.gtap.solve``). It builds the levels model for the
closure, moves the shocked exogenous variables along GEMPACK's path in ``N + 1`` Chebyshev nodes
(Newton at each node, warm-started from the previous one), integrates the path-dependent
variables (:mod:`cge.gtap.path`), solves the EV shadow system and returns every GEMPACK variable
as a percentage change (``pct`` variables) or an ordinary change (``change`` variables).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from cge.gtap.closure import ClosureSpecError, apply_swap, closure_from_cmf, shock_array, standard_closure
from cge.gtap.model.build import Model, build_model
from cge.gtap.model.coefficients import Coefficients, compute_coefficients
from cge.gtap.model.decomposition import COLUMN, decomposition_rates
from cge.gtap.model.indices import INDEX_EQUATIONS, Flows, numeraire_rate
from cge.gtap.model.variables import variable_table
from cge.gtap.model.welfare import shadow_household
from cge.gtap.path import PathState, cumulative_integral, differentiation_matrix, lobatto_nodes, subset_nodes
from cge.gtap.update import updated_database
from cge.solve.linalg import Factorization, SparseMatrix, gmres
from cge.solve.newton import NewtonOptions, newton_solve

log = logging.getLogger(__name__)

MAX_NODES = 64
"""Most Chebyshev-Lobatto intervals the adaptive path integration uses."""


class GtapSolveError(RuntimeError):
    """The model could not be solved at some point of the shock path (with diagnostics)."""


@dataclass
class TapeSystem:
    """The compiled tape as the square system :func:`cge.solve.newton.newton_solve` expects."""

    model: Model
    jac_rows: np.ndarray = field(init=False)
    jac_cols: np.ndarray = field(init=False)
    lower: np.ndarray = field(init=False)
    upper: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        compiled = self.model.compiled
        self.jac_rows = np.repeat(np.arange(compiled.m), np.diff(compiled.jac_indptr)).astype(np.int64)
        self.jac_cols = compiled.jac_indices.astype(np.int64)
        self.lower = self.model.lower
        self.upper = np.full(self.model.n, np.inf)

    @property
    def n(self) -> int:
        return self.model.n

    def eval_residual(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        return self.model.compiled.residual(x, p)

    def eval_jacobian_values(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        return self.model.compiled.jacobian(x, p)[1].data

    def jacobian(self, x: np.ndarray, p: np.ndarray) -> SparseMatrix:
        return SparseMatrix(self.jac_rows, self.jac_cols, self.eval_jacobian_values(x, p), self.n)


@dataclass
class ShockPath:
    """The exogenous parameters along GEMPACK's path: ``p(t)`` and ``dp/dt``."""

    p0: np.ndarray
    p1: np.ndarray
    is_change: np.ndarray

    def at(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        log_ratio = np.zeros_like(self.p0)
        pct = ~self.is_change
        log_ratio[pct] = np.log(self.p1[pct] / self.p0[pct])
        p = self.p0.copy()
        p[pct] = self.p0[pct] * np.exp(t * log_ratio[pct])
        p[self.is_change] = self.p0[self.is_change] + t * (self.p1 - self.p0)[self.is_change]
        dp = np.where(pct, p * log_ratio, self.p1 - self.p0)
        return p, dp


def _shock_vector(
    model: Model, cf: Coefficients, database: xr.Dataset, exogenous: dict[str, np.ndarray], shocks: list[tuple[object, object]], cmf
) -> ShockPath:
    """The end point of the exogenous parameters: each shock applied to its elements (a shock
    repeated on an element replaces the earlier one, as GEMPACK's ``shock`` does)."""
    p1 = model.p0.copy()
    is_change = np.zeros_like(model.p0, dtype=bool)
    for name in model.names:
        pos, _ = model.p_slice(name)
        is_change[pos] = model.slots[name].spec.is_change
    for key, value in shocks:
        spec, values = shock_array(cf, database, key, value, cmf)
        if spec.treatment != "slot" or spec.name not in model.slots:
            raise ClosureSpecError(f"cannot shock {spec.name}: it is not an exogenous variable of the model")
        shocked = ~np.isnan(values)
        exo = exogenous[spec.name]
        if (shocked & ~exo).any():
            raise ClosureSpecError(
                f"shock to {spec.name}: {int((shocked & ~exo).sum())} shocked element(s) are endogenous in this closure"
            )
        pos, flat = model.p_slice(spec.name)
        chosen = shocked.reshape(-1)[flat]
        amounts = values.reshape(-1)[flat][chosen]
        if spec.is_change:
            p1[pos[chosen]] = model.p0[pos[chosen]] + amounts
        else:
            if np.any(amounts <= -100):
                raise ClosureSpecError(f"shock to {spec.name}: a change of {amounts.min():g} % would make a level negative")
            p1[pos[chosen]] = model.p0[pos[chosen]] * (1.0 + amounts / 100.0)
    return ShockPath(model.p0.copy(), p1, is_change)


@dataclass
class NodeSolution:
    t: float
    x: np.ndarray
    p: np.ndarray
    dx: np.ndarray
    dp: np.ndarray
    iterations: int
    residual: float


LU_ORDERING = "COLAMD"
"""SuperLU ordering for the GTAP system. CPU seconds and fill of one factorisation at the benchmark
of synthetic databases: 10x7 (1,601 unknowns): MMD on A^T+A 0.005 s / 62 k, COLAMD 0.008 s /
104 k, MMD on A^T A 0.026 s / 206 k; 20x41 (26,573 unknowns, 956 k nonzeros): COLAMD 0.68 s /
7.2 M, MMD on A^T+A 1.32 s / 5.5 M, MMD on A^T A 22.8 s / 23.9 M (benchmarks/gtap_speed.py)."""


def _newton(system: TapeSystem, start: np.ndarray, p: np.ndarray, factorization: Factorization | None, tol: float):
    options = NewtonOptions(target=tol * 1e-2, tol=tol, max_iterations=40, lu_ordering=LU_ORDERING)
    return newton_solve(system, start, p, factorization, options)  # type: ignore[arg-type]


def _solve_node(
    model: Model,
    system: TapeSystem,
    path: ShockPath,
    t: float,
    previous: NodeSolution | None,
    factorization: Factorization | None,
    tol: float,
) -> tuple[NodeSolution, Factorization]:
    """Newton at one node of the path (from the previous node plus its derivative times the step),
    then the path derivative dx/dt (implicit function theorem). If Newton fails, the step from the
    previous node is cut in halves (continuation) until it succeeds or is 1/1024 of the path."""
    p, dp = path.at(t)
    t_from = 0.0 if previous is None else previous.t
    x_from = model.x0 if previous is None else previous.x
    dx_from = np.zeros_like(model.x0) if previous is None else previous.dx
    outcome, factorization = _newton(system, _predict(model, x_from, dx_from, t - t_from), p, factorization, tol)
    if not (outcome.converged and outcome.max_residual <= tol):
        x, t_now, step, iterations = x_from.copy(), t_from, (t - t_from) / 2, 0
        factorization = None
        while t_now < t:
            target = min(t, t_now + step)
            p_target, _ = path.at(target)
            trial, factorization = _newton(system, x, p_target, factorization, tol)
            iterations += trial.iterations
            if trial.converged and trial.max_residual <= tol:
                x, t_now = trial.x, target
                step = min(2 * step, t - t_now) if t_now < t else step
                continue
            step /= 2
            factorization = None
            if step < 1.0 / 1024:
                raise GtapSolveError(
                    f"no solution at t = {target:.4f} of the shock path (continuation from {t_now:.4f} stalled): "
                    f"{trial.message}; max residual {trial.max_residual:.3g} in {_worst(model, system, trial.x, p_target)}; "
                    f"smallest level {_smallest_level(model, trial.x)}"
                )
        outcome = trial
    x = outcome.x
    dx, factorization = _path_derivative(model, system, x, p, dp, factorization)
    return NodeSolution(t, x.copy(), p, dx, dp, outcome.iterations, outcome.max_residual), factorization


TANGENT_RTOL = 1e-10
"""Relative accuracy of the path derivative dx/dt when it is found by GMRES."""
CHEAP_LU_SECONDS = 0.05
"""A factorisation faster than this is redone at each node (exact and cheaper than GMRES's
several triangular solves); slower ones precondition GMRES instead."""


def _path_derivative(
    model: Model, system: TapeSystem, x: np.ndarray, p: np.ndarray, dp: np.ndarray, factorization: Factorization | None
) -> tuple[np.ndarray, Factorization]:
    """dx/dt = -J^-1 dF/dp dp/dt at a solution: GMRES preconditioned by the LU factors of a
    nearby Jacobian (an earlier node's), a new factorisation only when GMRES stalls."""
    jac = system.jacobian(x, p)
    _, rhs = model.compiled.jvp(x, p, np.zeros_like(x), dp)
    if not np.any(rhs):
        return np.zeros_like(x), factorization or Factorization(jac, LU_ORDERING)
    if factorization is not None and factorization.seconds > CHEAP_LU_SECONDS:
        dx, _iterations, converged = gmres(jac, -rhs, factorization, rtol=TANGENT_RTOL, restart=40, max_cycles=3)
        if converged:
            return dx, factorization
    factorization = Factorization(jac, LU_ORDERING)
    return factorization.solve(-rhs), factorization


def _predict(model: Model, x: np.ndarray, dx: np.ndarray, step: float) -> np.ndarray:
    """Euler predictor, kept inside the bounds."""
    guess = x + step * dx
    low = model.lower
    inside = np.isfinite(low)
    guess[inside] = np.maximum(guess[inside], 0.5 * x[inside])
    return guess


def _solve_nodes(
    model: Model, path: ShockPath, n: int, tol: float, known: dict[int, NodeSolution] | None = None
) -> list[NodeSolution]:
    """Solutions at the ``n + 1`` Lobatto nodes; ``known`` holds those of the ``n / 2`` level
    (the even nodes), which are reused. Each new node starts from the previous node plus the
    path derivative times the step (Euler predictor)."""
    system = TapeSystem(model)
    t_nodes = lobatto_nodes(n)
    out: list[NodeSolution] = []
    factorization = None
    previous: NodeSolution | None = None
    for j, t in enumerate(t_nodes):
        if known is not None and j % 2 == 0:
            node = known[j // 2]
        else:
            node, factorization = _solve_node(model, system, path, float(t), previous, factorization, tol)
        out.append(node)
        previous = node
    return out


def _worst(model: Model, system: TapeSystem, x: np.ndarray, p: np.ndarray) -> str:
    g = system.eval_residual(x, p)
    if not g.size:
        return "no equation"
    row = int(np.argmax(np.abs(g)))
    equation, variable, element = model.residual_of(row)
    spec = model.slots[variable].spec
    labels = _element_labels(model.coefficients, spec.dims, element)
    return f"{equation} ({variable}{labels})"


def _smallest_level(model: Model, x: np.ndarray) -> str:
    """The unknown closest to zero (an index that a shock drives towards zero stops the solve)."""
    inside = np.isfinite(model.lower)
    if not inside.any():
        return "none"
    k = int(np.flatnonzero(inside)[np.argmin(x[inside])])
    for name in model.names:
        pos, flat = model.x_slice(name)
        hit = np.flatnonzero(pos == k)
        if hit.size:
            spec = model.slots[name].spec
            labels = _element_labels(model.coefficients, spec.dims, int(flat[hit[0]]))
            return f"{name}{labels} = {100 * (x[k] - 1):.1f} %"
    return "unknown"


def _element_labels(cf: Coefficients, dims: tuple[str, ...], flat: int) -> str:
    if not dims:
        return ""
    idx = np.unravel_index(flat, cf.space.shape(dims))
    names = []
    for dim, k in zip(dims, idx):
        base = dim.split("_")[0] if dim.endswith("_2") else dim
        names.append(cf.labels[base][int(k)])
    return "(" + ", ".join(names) + ")"


def _states(model: Model, solutions: list[NodeSolution]) -> list[PathState]:
    """Levels values and percentage rates of every levels variable at each node (levels-model
    normalisation; the numeraire correction is applied afterwards)."""
    cf = model.coefficients
    names = model.names
    out = []
    for node in solutions:
        values, tangents = model.compiled.values(node.x, node.p, names, direction=(node.dx, node.dp))
        vals, rates = {}, {}
        for name in names:
            spec = model.slots[name].spec
            shape = cf.space.shape(spec.dims)
            v = values[name].reshape(shape)
            d = tangents[name].reshape(shape)
            vals[name] = v
            if spec.is_change:
                rates[name] = d
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    rates[name] = np.where(v != 0, 100.0 * d / np.where(v != 0, v, 1.0), 0.0)
        out.append(PathState(node.t, vals, rates))
    return out


def _apply_numeraire(model: Model, states: list[PathState], n: int) -> np.ndarray:
    """Correct the rates of nominal variables to GEMPACK's chained numeraire; returns the
    cumulative log scale ``100 ln lambda(t)`` at the nodes."""
    cf = model.coefficients
    r_lambda = np.array([float(s.rates["pfactwld"]) - numeraire_rate(s, cf) for s in states])
    for s, rl in zip(states, r_lambda):
        for name in model.names:
            if model.slots[name].spec.degree == 1 and name != "pfactwld":
                s.rates[name] = s.rates[name] + rl
    return cumulative_integral(r_lambda, n)


def _integrate_indices(model: Model, states: list[PathState], n: int) -> tuple[dict[str, np.ndarray], list[dict]]:
    """Cumulative integrals (at every node) of GEMPACK's path-dependent variables' rates."""
    cf = model.coefficients
    skip = {"globalcgds"} if cf.rordelta == 0 else {"rorg"}
    integrals: dict[str, np.ndarray] = {}
    caches = [dict() for _ in states]
    for name, fn in INDEX_EQUATIONS.items():
        if name in skip or name not in variable_table():
            continue
        if name == "u":  # UTILSAVE = QSAVE / POP along the path (QSAVE is itself a path index)
            for k, s in enumerate(states):
                s.extra["utilsave"] = np.exp(integrals["qsave"][k] / 100.0) / s.values["pop"]
        rates = np.stack([np.asarray(fn(s, cf, cache), dtype=float) for s, cache in zip(states, caches)])
        for s, r in zip(states, rates):
            s.rates[name] = r
        integrals[name] = cumulative_integral(rates, n)
    return integrals, caches


def _integrate_welfare(
    model: Model, states: list[PathState], caches: list[dict], integrals: dict[str, np.ndarray], n: int
) -> tuple[dict[str, np.ndarray], list]:
    """Shadow demand system at every node (EV, EVSCALFACT) and the decomposition's integrals."""
    cf = model.coefficients
    shadows = []
    rates: dict[str, list[np.ndarray]] = {}
    for k, s in enumerate(states):
        v = s.values
        beta = {"bp": cf.DPARPRIV * v["dppriv"], "bg": cf.DPARGOV * v["dpgov"], "bs": cf.DPARSAVE * v["dpsave"]}
        start = (np.log(v["up"]), np.log(v["yp"])) if not shadows else (np.log(shadows[-1].up), np.log(shadows[-1].yp))
        shadow = shadow_household(cf, integrals["u"][k] / 100.0, beta, v["pop"], np.log(v["au"]), start)
        shadows.append(shadow)
        s.extra["utilprivev"] = shadow.up
        s.extra["utilgovev"] = shadow.ug
        s.extra["utilsaveev"] = shadow.ysave / v["pop"]
        utilelas = 1.0 / (beta["bg"] + beta["bs"] + beta["bp"] / (cf.UELASPRIV * v["uepriv"]))
        income = cf.INCOME * v["y"]
        evscalfact = (shadow.utilelas / utilelas) * (shadow.income / income)
        flows = caches[k].get("flows") or Flows(s, cf)
        terms = decomposition_rates(s, cf, flows, evscalfact, shadow.income, shadow.utilelas)
        xshr_ev = {
            "dppriv": shadow.yp * cf.PRIVEXP / shadow.income,
            "dpgov": shadow.yg * cf.GOVEXP / shadow.income,
            "dpsave": shadow.ysave * cf.SAVE / shadow.income,
        }
        terms["dpavev"] = sum(xshr_ev[key] * s.rates[key] for key in xshr_ev)
        for key, value in terms.items():
            rates.setdefault(key, []).append(np.asarray(value, dtype=float))
    out = {key: cumulative_integral(np.stack(vals), n) for key, vals in rates.items()}
    return out, shadows


def _describe_shock(key, value) -> str:
    if value is None:  # a CMF shock statement
        what = "uniform " + f"{key.uniform:g}" if key.uniform is not None else ("from file" if key.file else "by element")
        return f"{key.kind} {key.var} = {what}"
    return f"{key} = {value:g}" if isinstance(value, (int, float)) else f"{key} = by element"


def solve_cmf(cmf_path, database: xr.Dataset | None = None, **options) -> xr.Dataset | tuple[xr.Dataset, xr.Dataset]:
    """Solve what a GEMPACK command file asks: its closure (exogenous list, ``rest endogenous``),
    swaps and shocks, on ``database`` or on the one its ``file GTAPDATA`` statements name.

    Parameters
    ----------
    cmf_path : path
        The CMF file.
    database : xarray.Dataset, optional
        The database; default: the directory of the CMF's GTAPDATA file.
    **options
        Passed to :func:`solve` (``nodes``, ``tol``, ``updated``...).
    """
    from cge.gtap.cmf import read_cmf
    from cge.gtap.database import load_database

    spec = read_cmf(cmf_path)
    if database is None:
        data = next((v for k, v in spec.files.items() if k.upper() == "GTAPDATA"), None)
        if data is None:
            raise ClosureSpecError(f"{cmf_path}: no 'file GTAPDATA = ...' statement and no database given")
        database = load_database(spec.resolve(data).parent)
    return solve(database, cmf=spec, **options)


def _path_error(
    model: Model,
    states: list[PathState],
    integrals: dict[str, np.ndarray],
    welfare: dict[str, np.ndarray],
    log_lambda: np.ndarray,
    n: int,
) -> float:
    """Largest change of any integrated quantity at t = 1 between n and n/2 intervals."""
    if n < 4:
        return float("inf")
    sub = subset_nodes(n)
    income = model.coefficients.INCOME.sum()
    worst = 0.0
    series: list[tuple[np.ndarray, float]] = [(log_lambda, 1.0)]
    series += [(v, 1.0) for v in integrals.values()]
    series += [(v, income / 100.0) for k, v in welfare.items()]
    for values, scale in series:
        fine = values[-1]
        coarse = _coarse_total(values, n, sub)
        worst = max(worst, float(np.max(np.abs(fine - coarse))) / scale if np.size(fine) else 0.0)
    return worst


def _coarse_total(cumulative: np.ndarray, n: int, sub: np.ndarray) -> np.ndarray:
    """The integral at t = 1 from the integrand's values at the n/2 subset of nodes."""
    return cumulative_integral(_integrand(cumulative, n)[sub], n // 2)[-1]


def _integrand(cumulative: np.ndarray, n: int) -> np.ndarray:
    """Values at the nodes of the integrand whose cumulative integral is given."""
    flat = cumulative.reshape(n + 1, -1)
    return (differentiation_matrix(n) @ flat).reshape(cumulative.shape)


def solve(
    database: xr.Dataset,
    shocks: Mapping | None = None,
    closure: Mapping[str, np.ndarray] | None = None,
    swaps: Sequence[str | tuple[str, str]] = (),
    rordelta: int | None = None,
    nodes: int | None = None,
    tol: float = 1e-9,
    path_tol: float = 1e-7,
    updated: bool = False,
    cmf=None,
) -> xr.Dataset | tuple[xr.Dataset, xr.Dataset]:
    """Solve GTAP v7 for a shock, as GEMPACK does, and return every variable.

    Parameters
    ----------
    database : xarray.Dataset
        A GTAP v7 database (:func:`cge.gtap.load_database`).
    shocks : mapping, optional
        Variable name (or ``(name, args)`` with GEMPACK element arguments such as
        ``("tms", ('"food"', '"USA"', "REG"))``) -> percentage change (``pct`` variables) or
        ordinary change, uniform (a number) or by element (a DataArray over the variable's sets).
        ``{"tm": 10.0}`` raises the power of every import tariff by 10 %.
    closure : mapping, optional
        Exogenous masks by variable (default: GEMPACK's standard closure).
    swaps : sequence of str
        Swaps applied to the closure, e.g. ``'dpsave("USA") = del_tbalry("USA")'``.
    rordelta : {0, 1}, optional
        Override the database's RORDELTA (1: expected rates of return equalised; 0: investment
        keeps the composition of capital stocks).
    nodes : int, optional
        Chebyshev intervals of the shock path (even). None: adaptive, from 4 intervals doubling
        until the path integrals change by less than ``path_tol`` (at most :data:`MAX_NODES`).
    tol : float
        Largest accepted residual of the levels system at every node.
    path_tol : float
        Accepted integration error of the path-dependent variables [percentage points, or
        US$ million per US$ million of regional income for change variables].
    updated : bool
        Also return the updated database (every flow at its new prices and quantities).
    cmf : CmfSpec, optional
        A parsed GEMPACK command file (:func:`cge.gtap.read_cmf`): its closure, swaps and shocks
        are applied before ``closure``, ``swaps`` and ``shocks`` (see :func:`solve_cmf`).

    Returns
    -------
    xarray.Dataset or (xarray.Dataset, xarray.Dataset)
        Every GEMPACK variable by its name, over its GEMPACK sets; percentage changes [%] or
        ordinary changes (US$ million, ratios), with attrs describing the solve; with
        ``updated``, also the updated database (:mod:`cge.gtap.update`).
    """
    t_start = time.perf_counter()
    cf = compute_coefficients(database)
    if rordelta is not None:
        if rordelta not in (0, 1):
            raise ClosureSpecError(f"RORDELTA must be 0 or 1, got {rordelta}")
        cf.rordelta = int(rordelta)
    if closure is not None:
        exogenous = {k: np.asarray(v, dtype=bool).copy() for k, v in closure.items()}
    elif cmf is not None:
        exogenous = closure_from_cmf(cf, database, cmf)
    else:
        exogenous = standard_closure(cf)
    all_swaps = [*(cmf.swaps if cmf is not None else []), *swaps]
    for swap in all_swaps:
        apply_swap(cf, database, exogenous, swap)
    model = build_model(cf, exogenous)
    shock_list = [(shock, None) for shock in (cmf.shocks if cmf is not None else [])]
    shock_list += list((shocks or {}).items())
    path = _shock_vector(model, cf, database, exogenous, shock_list, cmf)
    adaptive = nodes is None
    if not adaptive and (nodes < 2 or nodes % 2):
        raise ValueError(f"nodes must be an even number of intervals >= 2, got {nodes}")
    n = 4 if adaptive else nodes
    solutions = _solve_nodes(model, path, n, tol)
    while True:
        states = _states(model, solutions)
        log_lambda = _apply_numeraire(model, states, n)
        integrals, caches = _integrate_indices(model, states, n)
        welfare, shadows = _integrate_welfare(model, states, caches, integrals, n)
        error = _path_error(model, states, integrals, welfare, log_lambda, n)
        if not adaptive or error <= path_tol or n >= MAX_NODES:
            break
        n *= 2
        solutions = _solve_nodes(model, path, n, tol, known=dict(enumerate(solutions)))
    if adaptive and error > path_tol:
        log.warning("path integration error %.3g after %d nodes (tolerance %.3g)", error, n + 1, path_tol)
    result = _assemble(model, states, integrals, welfare, shadows[-1], log_lambda, n)
    result.attrs["path_integration_error"] = float(error)
    result.attrs.update(
        {
            "model": "GTAP v7",
            "rordelta": int(cf.rordelta),
            "swaps": "; ".join(s if isinstance(s, str) else f"{s[0]} = {s[1]}" for s in all_swaps),
            "shocks": "; ".join(_describe_shock(k, v) for k, v in shock_list),
            "path_nodes": n + 1,
            "newton_iterations": int(sum(s.iterations for s in solutions)),
            "max_residual": float(max(s.residual for s in solutions)),
            "solve_seconds": time.perf_counter() - t_start,
            "unknowns": model.n,
        }
    )
    if updated:
        scale = float(np.exp(log_lambda[-1] / 100.0))
        return result, updated_database(database, cf, states[-1].values, scale)
    return result


def _assemble(
    model: Model,
    states: list[PathState],
    integrals: dict[str, np.ndarray],
    welfare: dict[str, np.ndarray],
    shadow,
    log_lambda: np.ndarray,
    n: int,
) -> xr.Dataset:
    cf = model.coefficients
    table = variable_table()
    end = states[-1]
    scale = np.exp(log_lambda[-1] / 100.0)
    data: dict[str, tuple] = {}
    coords: dict[str, list[str]] = {}
    sub = subset_nodes(n)
    errors = {}
    for name, spec in table.items():
        if name == "save_value":
            continue
        if spec.treatment == "slot" and name in end.values:
            level = end.values[name] * scale ** _degree(cf, name, spec.degree)
            value = level if spec.is_change else 100.0 * (level - 1.0)
        elif name in integrals:
            total = integrals[name][-1]
            coarse = cumulative_integral(np.stack([s.rates[name] for s in states])[sub], n // 2)[-1]
            errors[name] = float(np.max(np.abs(total - coarse))) if np.size(total) else 0.0
            value = total if spec.is_change else 100.0 * (np.exp(total / 100.0) - 1.0)
        else:
            continue
        data[name] = _as_variable(cf, spec, np.asarray(value, dtype=float), coords)
    ev = _equivalent_variation(cf, shadow)
    ev["dpavev"] = 100.0 * (np.exp(welfare["dpavev"][-1] / 100.0) - 1.0)
    data.update({k: _as_variable(cf, table[k], v, coords) for k, v in ev.items()})
    for key, value in welfare.items():
        if key in table and key not in data:
            data[key] = _as_variable(cf, table[key], value[-1], coords)
    data["EV_decomposition"] = _welview_summary(cf, {k: v[-1] for k, v in welfare.items()})
    coords["COLUMN"] = list(COLUMN)
    ds = xr.Dataset(data, coords=coords)
    ds.attrs["path_integration_error"] = float(max(errors.values())) if errors else 0.0
    return ds


def _welview_summary(cf: Coefficients, cnt: dict[str, np.ndarray]) -> tuple:
    """WELVIEW's summary table "A": EV by region split into its seven columns [US$ million]."""
    columns = [
        cnt["CNTalleffr"].sum(axis=1),
        cnt["CNTendwr"],
        cnt["CNTtechr"].sum(axis=0),
        cnt["CNTpop"],
        cnt["CNTtotr"],
        cnt["CNTpinv"],
        cnt["CNTdpar"],
    ]
    return (
        ("REG", "COLUMN"),
        np.stack(columns, axis=1),
        {
            "long_name": "EV decomposition (WELVIEW summary A): allocative efficiency, endowments, technology, "
            "population, terms of trade, investment-saving, preferences",
            "units": "US$ million",
        },
    )


def _equivalent_variation(cf: Coefficients, shadow) -> dict[str, np.ndarray]:
    income0 = cf.INCOME
    out = {
        "yev": 100.0 * (shadow.income / income0 - 1.0),
        "ypev": 100.0 * (shadow.yp - 1.0),
        "ygev": 100.0 * (shadow.yg - 1.0),
        "ysaveev": 100.0 * (shadow.ysave - 1.0),
        "qsaveev": 100.0 * (shadow.ysave - 1.0),
        "upev": 100.0 * (shadow.up - 1.0),
        "ugev": 100.0 * (shadow.ug - 1.0),
        "ueprivev": 100.0 * (shadow.uelaspriv / cf.UELASPRIV - 1.0),
        "uelasev": 100.0 * (shadow.utilelas / cf.UTILELAS - 1.0),
        "qpev": 100.0 * (shadow.qp - 1.0),
        "EV": shadow.income - income0,
    }
    out["WEV"] = np.asarray(out["EV"].sum())
    return out


def _degree(cf: Coefficients, name: str, degree: int) -> np.ndarray | int:
    """Homogeneity degree of a variable's elements: ``ps`` and ``pca`` of commodities an activity
    does not make are not prices (TABLO: pca = 0, ps = -to there) and do not scale."""
    if name == "pfactwld":  # the numeraire: GEMPACK's index equals its exogenous value
        return 0
    if name == "ps":
        return (cf.MAKS > 0).astype(int) * degree
    if name == "pca":
        return (cf.MAKB > 0).astype(int) * degree
    return degree


def _subset_order(cf: Coefficients, gset: str) -> np.ndarray:
    """Positions in ENDW of a GEMPACK endowment subset, in GEMPACK's order (ENDWMS = ENDWM + ENDWS)."""
    if gset == "ENDWMS":
        return np.concatenate([np.flatnonzero(cf.masks["ENDWM"]), np.flatnonzero(cf.masks["ENDWS"])])
    return np.flatnonzero(cf.masks[gset])


def _as_variable(cf: Coefficients, spec, value: np.ndarray, coords: dict[str, list[str]]) -> tuple:
    """A result over the variable's GEMPACK sets as ``(dims, values, attrs)`` (subsets as their own
    labelled dims, whose labels go into ``coords``)."""
    value = np.asarray(value, dtype=float).reshape(cf.space.shape(spec.dims))
    dims: list[str] = []
    for axis, (gset, dim) in enumerate(zip(spec.sets, spec.dims)):
        base = dim.split("_")[0] if dim.endswith("_2") else dim
        labels = list(cf.labels[base])
        out_dim = gset if gset not in dims else f"{gset}_2"
        if gset in ("ENDWMS", "ENDWF", "ENDWC", "ENDWS", "ENDWM"):
            keep = _subset_order(cf, gset)
            value = np.take(value, keep, axis=axis)
            labels = [labels[k] for k in keep]
        elif gset == "MARG" and base == "COMM":
            keep = cf.masks["MARG_IN_COMM"]
            value = np.take(value, keep, axis=axis)
            labels = [labels[k] for k in keep]
        dims.append(out_dim)
        coords.setdefault(out_dim, labels)
    attrs = {
        "long_name": spec.description,
        "units": spec.units,
        "gempack_type": "percentage change" if spec.type == "pct" else "ordinary change",
        "equation": spec.equation,
    }
    return tuple(dims), value, attrs
