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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, overload

import numpy as np
import xarray as xr

from cge import __version__
from cge.errors import SolveError
from cge.gtap import subtotals as sub_
from cge.gtap.closure import ClosureSpecError, apply_swap, closure_from_cmf, shock_array, standard_closure
from cge.gtap.cmf import Shock, VarRef, at
from cge.gtap.model.build import Model, build_model
from cge.gtap.model.coefficients import Coefficients, compute_coefficients
from cge.gtap.model.decomposition import COLUMN, decomposition_rates
from cge.gtap.model.indices import INDEX_EQUATIONS, Flows, numeraire_rate
from cge.gtap.model.variables import NOMINAL_CHANGE_BASE, element_degree, variable_table
from cge.gtap.model.welfare import Shadow, ev_results, shadow_household
from cge.gtap.path import PathState, cumulative_integral, hermite_at, lobatto_nodes, subset_nodes
from cge.gtap.subtotals import TOTAL, WelfareNode, group_states
from cge.gtap.update import updated_database
from cge.results_file import FORMAT_ATTR, RESULTS_FORMAT
from cge.solve.allocation import reused_memory
from cge.solve.linalg import Factorization, SparseMatrix, gmres, with_single_threaded_blas, within
from cge.solve.newton import NewtonOptions, newton_solve, norm_inf

log = logging.getLogger(__name__)

MAX_NODES = 64
"""Most Chebyshev-Lobatto intervals the adaptive path integration uses."""


class GtapSolveError(SolveError):
    """The model could not be solved at some point of the shock path (with diagnostics)."""


@dataclass
class TapeSystem:
    """The compiled tape as the square system :func:`cge.solve.newton.newton_solve` expects, in
    log-levels: an unknown that is a positive index (finite lower bound) is ``x = exp(z)``, so a
    Newton step is a relative change, as GEMPACK's percentage changes are, and a level that heads
    for zero (the rental of capital stuck in a collapsing activity) approaches it without ever
    reaching or crossing it; the other unknowns stay as they are (``z = x``)."""

    model: Model
    jac_rows: np.ndarray = field(init=False)
    jac_cols: np.ndarray = field(init=False)
    jac_indptr: np.ndarray = field(init=False)
    """CSR row pointer of the Jacobian's pattern (the tape's: sorted by row, no duplicates)."""
    lower: np.ndarray = field(init=False)
    upper: np.ndarray = field(init=False)
    positive: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        compiled = self.model.compiled
        self.jac_rows = np.repeat(np.arange(compiled.m), np.diff(compiled.jac_indptr)).astype(np.int64)
        self.jac_cols = compiled.jac_indices.astype(np.int64)
        self.jac_indptr = compiled.jac_indptr
        self.positive = np.isfinite(self.model.lower)
        self.lower = np.full(self.model.n, -np.inf)
        self.upper = np.full(self.model.n, np.inf)

    @property
    def n(self) -> int:
        return self.model.n

    def to_x(self, z: np.ndarray) -> np.ndarray:
        """Levels from log-levels."""
        with np.errstate(over="ignore"):
            return np.where(self.positive, np.exp(np.minimum(z, 700.0)), z)

    def to_z(self, x: np.ndarray) -> np.ndarray:
        """Log-levels from levels (positive levels only)."""
        return np.where(self.positive, np.log(np.where(self.positive, x, 1.0)), x)

    def scale(self, x: np.ndarray) -> np.ndarray:
        """dx/dz at x."""
        return np.where(self.positive, x, 1.0)

    def eval_residual(self, z: np.ndarray, p: np.ndarray) -> np.ndarray:
        return self.model.compiled.residual(self.to_x(z), p)

    def eval_jacobian_values(self, z: np.ndarray, p: np.ndarray) -> np.ndarray:
        x = self.to_x(z)
        return self.model.compiled.jacobian(x, p)[1].data * self.scale(x)[self.jac_cols]

    def jacobian(self, z: np.ndarray, p: np.ndarray) -> SparseMatrix:
        return SparseMatrix(self.jac_rows, self.jac_cols, self.eval_jacobian_values(z, p), self.n, self.jac_indptr)


@dataclass
class ShockPath:
    """The exogenous parameters along GEMPACK's path: ``p(t)`` and ``dp/dt``."""

    p0: np.ndarray
    p1: np.ndarray
    is_change: np.ndarray
    owner: np.ndarray
    """Index of the shock (in the order given) that set each parameter; -1 where none did."""

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
    model: Model,
    cf: Coefficients,
    database: xr.Dataset,
    exogenous: dict[str, np.ndarray],
    shocks: Sequence[tuple[str | VarRef | Shock, object]],
    cmf,
    groups: Sequence[str] = (),
) -> ShockPath:
    """The end point of the exogenous parameters: each shock applied to its elements (a shock
    repeated on an element replaces the earlier one, as GEMPACK's ``shock`` does). ``groups``
    names the subtotal group of each shock; an element shocked by two groups is an error (its
    contribution would belong to neither)."""
    p1 = model.p0.copy()
    is_change = np.zeros_like(model.p0, dtype=bool)
    for name in model.names:
        pos, _ = model.p_slice(name)
        is_change[pos] = model.slots[name].spec.is_change
    owner = np.full(model.p0.shape, -1, dtype=int)
    for item, (key, value) in enumerate(shocks):
        with at(getattr(key, "where", "")):  # a CMF's shock: errors name its file and line
            spec, values = shock_array(cf, database, key, value, cmf)
            if spec.treatment != "slot" or spec.name not in model.slots:
                raise ClosureSpecError(f"cannot shock {spec.name}: it is not an exogenous variable of the model")
            shocked = ~np.isnan(values)
            exo = exogenous[spec.name]
            if (shocked & ~exo).any():
                raise ClosureSpecError(
                    f"shock to {spec.name}: {int((shocked & ~exo).sum())} shocked element(s) are endogenous in "
                    "this closure"
                )
        pos, flat = model.p_slice(spec.name)
        chosen = shocked.reshape(-1)[flat]
        amounts = values.reshape(-1)[flat][chosen]
        if groups:
            earlier = owner[pos[chosen]]
            clash = (earlier >= 0) & (np.asarray(groups)[earlier] != groups[item])
            if clash.any():
                first = int(np.flatnonzero(clash)[0])
                element = _element_labels(cf, spec.dims, int(flat[chosen][first]))
                raise ClosureSpecError(
                    f"{spec.name}{element} is shocked by subtotal groups '{groups[int(earlier[first])]}' and "
                    f"'{groups[item]}': give each element to one group (NaN where a group does not shock it)"
                )
        if spec.is_change:
            p1[pos[chosen]] = model.p0[pos[chosen]] + amounts
        else:
            if np.any(amounts <= -100):
                raise ClosureSpecError(
                    f"shock to {spec.name}: a change of {amounts.min():g} % would make a level negative"
                )
            p1[pos[chosen]] = model.p0[pos[chosen]] * (1.0 + amounts / 100.0)
        owner[pos[chosen]] = item
    return ShockPath(model.p0.copy(), p1, is_change, owner)


@dataclass
class NodeSolution:
    t: float
    x: np.ndarray
    p: np.ndarray
    dx: np.ndarray
    dp: np.ndarray
    iterations: int
    residual: float
    dx_groups: list[np.ndarray] = field(default_factory=list)
    """The path derivative in each shock group's direction (subtotals only)."""
    state: PathState | None = None
    """Levels values and rates before the numeraire correction (:func:`_states`), once computed."""


LU_ORDERING = "COLAMD"
"""SuperLU ordering for the GTAP system. CPU seconds and fill of one factorisation at the benchmark
of synthetic databases: 10x7 (1,601 unknowns): MMD on A^T+A 0.005 s / 62 k, COLAMD 0.008 s /
104 k, MMD on A^T A 0.026 s / 206 k; 20x41 (26,573 unknowns, 956 k nonzeros): COLAMD 0.68 s /
7.2 M, MMD on A^T+A 1.32 s / 5.5 M, MMD on A^T A 22.8 s / 23.9 M (benchmarks/gtap_speed.py)."""
LU_PRECISION = "single"
"""Precision of the sparse LU factors: they only precondition GMRES, which solves the float64
system (:class:`cge.solve.linalg.Factorization`)."""
TANGENT_RTOL = 1e-10
"""Relative accuracy of the path derivative dx/dt when it is found by GMRES."""
REUSED_JACOBIAN_STEP = 1e-8
"""Largest last Newton step (largest entry, in log-levels: a relative change) after which the
path derivative at a node is solved with the Jacobian of that step, taken where the step started,
instead of one evaluated at the solution; only where factorisations are not redone at each node
(fill above :data:`CHEAP_LU_FILL`: there a Jacobian is cheap and its exact factors solve the
derivative). The matrix is then off by about the step times the second derivatives, and the
derivative is accepted only if its residual against the Jacobian at the solution (one
forward-mode product) is within :data:`REUSED_TANGENT_RTOL`. Measured on the 31 x 40 stress case
of ``benchmarks/gtap_speed.py`` (Armington elasticities up to 52): 25 of the 33 nodes reuse,
with residuals of 7e-13 to 4.0e-10 (a fresh Jacobian's: 3e-13 to 8.2e-11), and EV, qgdp and the
WELVIEW decomposition move by at most 1.2e-6 US$ million; 25 Jacobian evaluations fewer."""
REUSED_TANGENT_RTOL = 1e-9
"""Largest residual of a path derivative from a reused Jacobian against the Jacobian at the
solution, relative to that of zero (:data:`REUSED_JACOBIAN_STEP`); ten times
:data:`TANGENT_RTOL`, which bounds GMRES's own residual."""
CHEAP_LU_FILL = 500_000
"""A factorisation with fewer stored nonzeros (L + U) is redone at each node (exact, and cheaper
than GMRES's several triangular solves); larger ones precondition GMRES instead. A size, not a
time, so that the same inputs give the same numbers on a busy machine (10x7: 1e5; synthetic
20x41: 7e6)."""
STALE_TANGENT = 20
"""GMRES iterations of a path derivative (counted as from a start at zero,
:func:`_iterations_from_zero`) above which its preconditioner counts as stale for the nodes near
this one: the Jacobian at the node's solution is then factorised and kept. A count, never a
time, so that the same inputs give the same numbers on a busy machine."""
KEPT_FILL = 100_000_000
"""Most stored nonzeros (L + U) of the factorisations kept along the path (about 8 bytes each
in single precision); beyond it, the kept one nearest to the new one goes."""


@dataclass
class Preconditioners:
    """LU factorisations of Jacobians met along the shock path, each with the ``t`` where it was
    taken, kept across the refinements of the node set: a new node is preconditioned by the
    nearest one (the first kept on a tie)."""

    kept: list[tuple[float, Factorization]] = field(default_factory=list)

    def nearest(self, t: float) -> Factorization | None:
        if not self.kept:
            return None
        return min(self.kept, key=lambda item: abs(item[0] - t))[1]

    def add(self, t: float, factorization: Factorization | None) -> None:
        if factorization is None or any(factorization is kept for _, kept in self.kept):
            return
        while self.kept and sum(f.fill for _, f in self.kept) + factorization.fill > KEPT_FILL:
            self.kept.pop(min(range(len(self.kept)), key=lambda k: abs(self.kept[k][0] - t)))
        self.kept.append((t, factorization))


def _newton(
    system: TapeSystem,
    start: np.ndarray,
    p: np.ndarray,
    factorization: Factorization | None,
    tol: float,
    residual: np.ndarray | None = None,
):
    options = NewtonOptions(
        target=tol * 1e-2,
        tol=tol,
        max_iterations=40,
        lu_ordering=LU_ORDERING,
        lu_precision=LU_PRECISION,
        finish_in_one_step=True,
    )
    return newton_solve(system, start, p, factorization, options, residual)


def _predictor(
    system: TapeSystem,
    t: float,
    p: np.ndarray,
    previous: NodeSolution | None,
    following: NodeSolution | None,
    anchors: Sequence[NodeSolution],
    x0: np.ndarray,
    tol: float,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Start of Newton at ``t`` in log-levels: of the curves below, tried in this order, the
    first whose residual is at most ``tol`` (Newton's acceptance tolerance: such a start needs
    one polishing step whichever it is), else the one with the smallest residual:

    1. the polynomial through the solutions and derivatives of all ``anchors`` (Hermite; the
       nodes of the coarser level in a refinement);
    2. the cubic through the solutions and derivatives of ``previous`` and ``following`` (when a
       refinement knows the node after ``t``);
    3. at the first level only (no ``following``), the ``previous`` node plus its path
       derivative times the step (Euler); in a refinement the cubic uses the same node and more.

    Measured on the 31 x 40 stress case of ``benchmarks/gtap_speed.py``, the refinement from 16
    to 32 intervals starts 9e-12 to 4e-9 from the solution with the Hermite polynomial, 5e-9 to
    7e-4 with the cubic and 2e-5 to 0.1 with Euler; at the refinements from 4 to 8 and 8 to 16
    the cubic or the Hermite polynomial is best, Euler never.

    Returns the start, the same curve's slope dz/dt at ``t`` (None at the first node), a start
    for the path derivative's GMRES, and the residual at the start (None at the first node)."""
    if previous is None:
        return system.to_z(x0), None, None

    def through(nodes: Sequence[NodeSolution]) -> tuple[np.ndarray, np.ndarray]:
        known = (
            np.array([node.t for node in nodes]),
            np.stack([system.to_z(node.x) for node in nodes]),
            np.stack([node.dx / system.scale(node.x) for node in nodes]),
        )
        value, slope = hermite_at(*known, t)
        return value, slope

    def euler() -> tuple[np.ndarray, np.ndarray]:
        slope = previous.dx / system.scale(previous.x)
        return system.to_z(previous.x) + (t - previous.t) * slope, slope

    curves: list[Callable[[], tuple[np.ndarray, np.ndarray]]] = []
    if len(anchors) > 1:
        curves.append(lambda: through(anchors))
    if following is not None:
        curves.append(lambda: through([previous, following]))
    else:
        curves.append(euler)
    best: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    tried = []
    for curve in curves:
        z, slope = curve()
        g = system.eval_residual(z, p)
        tried.append(norm_inf(g))
        if best is None or tried[-1] < norm_inf(best[2]):
            best = (z, slope, g)
        if tried[-1] <= tol:
            break
    log.debug("t = %.5f: start residuals %s", t, ", ".join(f"{r:.2e}" for r in tried))
    assert best is not None  # at least one curve: Euler or the cubic
    return best


def _solve_node(
    model: Model,
    system: TapeSystem,
    path: ShockPath,
    t: float,
    previous: NodeSolution | None,
    following: NodeSolution | None,
    anchors: Sequence[NodeSolution],
    preconditioners: Preconditioners,
    tol: float,
    group_masks: Sequence[np.ndarray] = (),
) -> NodeSolution:
    """Newton at one node of the path (in log-levels, from :func:`_predictor`, preconditioned by
    the nearest factorisation kept), then the path derivative dx/dt (implicit function theorem).
    If Newton fails, the step from the previous node is cut in halves (continuation) until it
    succeeds or is 1/1024 of the path."""
    p, dp = path.at(t)
    t_from = 0.0 if previous is None else previous.t
    z_from = system.to_z(model.x0 if previous is None else previous.x)
    given = preconditioners.nearest(t)
    start, slope, residual = _predictor(system, t, p, previous, following, anchors, model.x0, tol)
    outcome, factorization = _newton(system, start, p, given, tol, residual)
    if factorization is not given:
        preconditioners.add(t, factorization)
    if not (outcome.converged and outcome.max_residual <= tol) and t <= t_from:
        x_fail = system.to_x(outcome.x)
        raise GtapSolveError(
            f"the database does not replicate (no solution without shocks): {outcome.message}; max residual "
            f"{outcome.max_residual:.3g} in {_worst(model, x_fail, p)}; smallest level {_smallest_level(model, x_fail)}"
        )
    if not (outcome.converged and outcome.max_residual <= tol):
        z, t_now, step, iterations = z_from.copy(), t_from, (t - t_from) / 2, 0
        factorization = None
        while t_now < t:
            target = min(t, t_now + step)
            p_target, _ = path.at(target)
            trial, factorization = _newton(system, z, p_target, factorization, tol)
            iterations += trial.iterations
            if trial.converged and trial.max_residual <= tol:
                z, t_now = trial.x, target
                step = min(2 * step, t - t_now) if t_now < t else step
                continue
            step /= 2
            factorization = None
            if step < 1.0 / 1024:
                x_trial = system.to_x(trial.x)
                raise GtapSolveError(
                    f"no solution at t = {target:.4f} of the shock path (continuation from {t_now:.4f} stalled): "
                    f"{trial.message}; max residual {trial.max_residual:.3g} in "
                    f"{_worst(model, x_trial, p_target)}; "
                    f"smallest level {_smallest_level(model, x_trial)}"
                )
        outcome = trial
    z = outcome.x
    x = system.to_x(z)
    dx_dz = system.scale(x)
    factorization = preconditioners.nearest(t)
    cheap = factorization is None or factorization.fill <= CHEAP_LU_FILL
    last = None if cheap or outcome.last_step > REUSED_JACOBIAN_STEP else outcome.jacobian
    jac = system.jacobian(z, p) if last is None else last
    if factorization is None or cheap:
        factorization = Factorization(jac, LU_ORDERING, LU_PRECISION)
        preconditioners.add(t, factorization)
    directions = np.stack([dp, *(np.where(mask, dp, 0.0) for mask in group_masks)], axis=1)
    fresh = None if last is None else (lambda: system.jacobian(z, p))
    dzs, tangent_iterations = _path_derivative(
        model, jac, x, p, directions, factorization, preconditioners, t, slope, fresh, dx_dz
    )
    if tangent_iterations > STALE_TANGENT:
        preconditioners.add(t, Factorization(jac, LU_ORDERING, LU_PRECISION))
    dxs = dzs * dx_dz[:, None]
    dx_groups = [dxs[:, g + 1] for g in range(len(group_masks))]
    return NodeSolution(t, x.copy(), p, dxs[:, 0], dp, outcome.iterations, outcome.max_residual, dx_groups)


def _path_derivative(
    model: Model,
    jac: SparseMatrix,
    x: np.ndarray,
    p: np.ndarray,
    dps: np.ndarray,
    factorization: Factorization,
    preconditioners: Preconditioners,
    t: float,
    guess: np.ndarray | None = None,
    fresh: Callable[[], SparseMatrix] | None = None,
    dx_dz: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """dz/dt = -J^-1 dF/dp dp/dt at a solution for each column of ``dps`` (the path's direction,
    then each shock group's part of it), with ``jac`` the Jacobian in the system's (log-)levels
    ``z``: a direct solve with exact factors of ``jac``, else GMRES preconditioned by
    ``factorization`` (single-precision factors, or those of a nearby Jacobian), started from
    ``guess`` for the path's direction (the slope of the Newton start's curve,
    :func:`_predictor`), to the same accuracy; if GMRES does not converge, ``jac`` is factorised
    (and kept) and GMRES runs again.

    With ``fresh`` (and ``dx_dz``, dx/dz at ``x``), ``jac`` was taken near ``x`` rather than at
    it (:data:`REUSED_JACOBIAN_STEP`): the residual of each derivative against the Jacobian at
    ``x`` itself is computed in forward mode (``J(x) dz + dF/dp dp``, one product for all
    columns) and must be within :data:`REUSED_TANGENT_RTOL` of ``dF/dp dp``; otherwise ``fresh()``
    gives that Jacobian and the derivatives are solved again with it, from the first ones.

    Returns the derivatives and the most GMRES iterations one of them took, counted as from a
    start at zero (:func:`_iterations_from_zero`; 0 for direct solves)."""
    _, rhs = model.compiled.jvp(x, p, np.zeros((x.size, dps.shape[1])), dps)
    out = np.zeros((x.size, dps.shape[1]))
    nonzero = np.flatnonzero(np.any(rhs != 0, axis=0))
    if not nonzero.size:
        return out, 0
    starts: list[np.ndarray | None] = [guess if j == 0 else None for j in range(dps.shape[1])]
    most = _tangents(jac, rhs, nonzero, factorization, preconditioners, t, starts, out)
    if fresh is not None and dx_dz is not None:
        _, residual = model.compiled.jvp(x, p, out * dx_dz[:, None], dps)
        worst = max(float(np.linalg.norm(residual[:, j]) / np.linalg.norm(rhs[:, j])) for j in nonzero)
        if worst > REUSED_TANGENT_RTOL:
            log.debug("t = %.5f: derivative from the last Newton step's Jacobian off by %.2e: a fresh one", t, worst)
            first = [out[:, j].copy() for j in range(dps.shape[1])]
            most = _tangents(fresh(), rhs, nonzero, factorization, preconditioners, t, first, out)
    return out, most


def _tangents(
    jac: SparseMatrix,
    rhs: np.ndarray,
    nonzero: np.ndarray,
    factorization: Factorization,
    preconditioners: Preconditioners,
    t: float,
    starts: Sequence[np.ndarray | None],
    out: np.ndarray,
) -> float:
    """The solves of :func:`_path_derivative` into ``out`` (columns ``nonzero`` of ``jac dz =
    -rhs``, GMRES from ``starts``); returns the most iterations counted as from zero."""
    if factorization.exact and factorization.fill <= CHEAP_LU_FILL:
        out[:, nonzero] = factorization.solve(-rhs[:, nonzero])
        return 0.0
    for attempt in range(2):
        converged, most = True, 0.0
        for j in nonzero:
            out[:, j], iterations, ok = gmres(jac, -rhs[:, j], factorization, TANGENT_RTOL, 40, 3, starts[j])
            converged = converged and ok
            most = max(most, _iterations_from_zero(jac, -rhs[:, j], starts[j], iterations))
        if converged:
            return most
        if attempt == 0:
            factorization = Factorization(jac, LU_ORDERING, LU_PRECISION)
            preconditioners.add(t, factorization)
    raise GtapSolveError(f"the path derivative at t = {t:.4f} did not converge (GMRES with a new factorisation)")


def _iterations_from_zero(jac: SparseMatrix, rhs: np.ndarray, start: np.ndarray | None, iterations: int) -> float:
    """GMRES iterations of a path derivative scaled to what a start at zero would have taken,
    for :data:`STALE_TANGENT` (a measure of the preconditioner, not of the start): ``iterations``
    times the decades from 1 to :data:`TANGENT_RTOL` over the decades from the start's relative
    residual to it (at least one decade). The same count when there is no start or it was not
    used (residual above that of zero)."""
    if start is None or not iterations:
        return float(iterations)
    gap = float(np.linalg.norm(rhs - jac.matvec(start))) / float(np.linalg.norm(rhs))
    if not gap < 1.0:
        return float(iterations)
    decades = float(np.log10(max(gap, TANGENT_RTOL) / TANGENT_RTOL))
    return iterations * float(np.log10(1.0 / TANGENT_RTOL)) / max(1.0, decades)


def _solve_nodes(
    model: Model,
    path: ShockPath,
    n: int,
    tol: float,
    known: dict[int, NodeSolution] | None = None,
    group_masks: Sequence[np.ndarray] = (),
    preconditioners: Preconditioners | None = None,
) -> list[NodeSolution]:
    """Solutions at the ``n + 1`` Lobatto nodes; ``known`` holds those of the ``n / 2`` level
    (the even nodes), which are reused; each new node starts from its neighbours and the known
    nodes, or at the first level the nodes solved before it (:func:`_predictor`).
    ``preconditioners`` carries the factorisations from level to level."""
    system = TapeSystem(model)
    preconditioners = Preconditioners() if preconditioners is None else preconditioners
    t_nodes = lobatto_nodes(n)
    out: list[NodeSolution] = []
    for j, t in enumerate(t_nodes):
        if known is not None and j % 2 == 0:
            out.append(known[j // 2])
            continue
        previous = out[-1] if out else None
        following = known[(j + 1) // 2] if known is not None else None
        anchors = list(known.values()) if known is not None else list(out)
        out.append(
            _solve_node(model, system, path, float(t), previous, following, anchors, preconditioners, tol, group_masks)
        )
    return out


def _worst(model: Model, x: np.ndarray, p: np.ndarray) -> str:
    g = model.compiled.residual(x, p)
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


def _levels_and_tangents(
    model: Model, x: np.ndarray, p: np.ndarray, dx: np.ndarray, dp: np.ndarray
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every levels variable's values and derivative along ``(dx, dp)``, over its sets."""
    cf = model.coefficients
    values, tangents = model.compiled.values(x, p, model.names, direction=(dx, dp))
    shapes = {name: cf.space.shape(model.slots[name].spec.dims) for name in model.names}
    extra = (dx.shape[1],) if dx.ndim == 2 else ()
    return (
        {name: values[name].reshape(shape) for name, shape in shapes.items()},
        {name: tangents[name].reshape((*shape, *extra)) for name, shape in shapes.items()},
    )


def _states(model: Model, solutions: list[NodeSolution]) -> list[PathState]:
    """Levels values and percentage rates of every levels variable at each node (levels-model
    normalisation; the numeraire correction is applied afterwards)."""
    is_change = {name: model.slots[name].spec.is_change for name in model.names}
    out = []
    for node in solutions:
        if node.state is None:  # kept on the node: a refinement reuses the coarser level's nodes
            values, tangents = _levels_and_tangents(model, node.x, node.p, node.dx, node.dp)
            node.state = group_states([PathState(node.t, values, {})], [tangents], is_change)[0]
        out.append(PathState(node.t, dict(node.state.values), dict(node.state.rates)))
    return out


def _apply_numeraire(model: Model, states: list[PathState]) -> np.ndarray:
    """Correct the rates of nominal variables to GEMPACK's chained numeraire; returns the rate
    ``100 d ln lambda / dt`` at the nodes (its integral is the log scale of prices and values)."""
    cf = model.coefficients
    r_lambda = np.array([float(s.rates["pfactwld"]) - numeraire_rate(s, cf) for s in states])
    for s, rl in zip(states, r_lambda):
        for name in model.names:
            if model.slots[name].spec.degree == 1 and not model.slots[name].spec.is_change and name != "pfactwld":
                s.rates[name] = s.rates[name] + rl
    return r_lambda


def _integrate_indices(model: Model, states: list[PathState], n: int) -> tuple[dict[str, np.ndarray], list[dict]]:
    """Cumulative integrals (at every node) of GEMPACK's path-dependent variables' rates."""
    cf = model.coefficients
    skip = {"globalcgds"} if cf.rordelta == 0 else {"rorg"}
    integrals: dict[str, np.ndarray] = {}
    caches: list[dict[str, Any]] = [{} for _ in states]
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
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], list[WelfareNode]]:
    """Shadow demand system at every node (EV, EVSCALFACT), the decomposition's integrals and
    their integrands (stacked over nodes)."""
    cf = model.coefficients
    shadows: list[Shadow] = []
    nodes: list[WelfareNode] = []
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
        nodes.append(WelfareNode(shadow, evscalfact, xshr_ev, beta, flows))
    stacked = {key: np.stack(vals) for key, vals in rates.items()}
    return {key: cumulative_integral(r, n) for key, r in stacked.items()}, stacked, nodes


def _describe_shock(key, value) -> str:
    if value is None:  # a CMF shock statement
        what = (
            "uniform " + f"{key.uniform:g}" if key.uniform is not None else ("from file" if key.file else "by element")
        )
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
    from cge.gtap.checks import check_database
    from cge.gtap.cmf import database_source, read_cmf
    from cge.gtap.database import load_database

    spec = read_cmf(cmf_path)
    if database is None:
        directory, files = database_source(spec)
        if directory is None:
            raise ClosureSpecError(f"{cmf_path}: no 'file GTAPDATA = ...' statement and no database given")
        database = check_database(load_database(directory, files=files))
    return solve(database, cmf=spec, **options)


def _path_error(series: list[tuple[np.ndarray, np.ndarray, float]], n: int) -> float:
    """Estimated error at t = 1 of the integrals on ``n`` intervals, the largest over the series.

    ``series`` holds ``(rates at the n + 1 nodes, their cumulative integral, scale)``; errors are
    divided by the scale (1 for percentage rates, a hundredth of world income for US$ million).
    The nested node sets give the integrals on n, n/2 and n/4 intervals; with the gaps
    ``g1 = |I_n - I_n/2|`` and ``g2 = |I_n/2 - I_n/4|`` the estimate is ``g1 min(1, g1 / g2)``:
    the error of I_n when the integrals converge geometrically, and never less than ``g1`` when
    they have not started to (``g1 >= g2``).
    """
    if n < 4:
        return float("inf")
    half, quarter = subset_nodes(n), subset_nodes(n)[subset_nodes(n // 2)]
    worst = 0.0
    for rates, cumulative, scale in series:
        if not np.size(cumulative):
            continue
        coarse = cumulative_integral(rates[half], n // 2)[-1]
        coarser = cumulative_integral(rates[quarter], n // 4)[-1]
        g1, g2 = np.abs(cumulative[-1] - coarse), np.abs(coarse - coarser)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(g2 > 0, np.minimum(1.0, g1 / np.where(g2 > 0, g2, 1.0)), 1.0)
        worst = max(worst, float(np.max(g1 * ratio)) / scale)
    return worst


NOMINAL_BALANCES = ("del_tbal", "del_tbalc")
"""Ordinary changes of trade balances in US$ at current prices, refused as exogenous variables."""


@dataclass(frozen=True)
class PreparedModel:
    """A database's levels model under one closure, built once and solved for many shocks
    (:func:`prepare`; pass it to :func:`solve` instead of the database)."""

    database: xr.Dataset
    model: Model
    exogenous: dict[str, np.ndarray]
    swaps: tuple
    cmf: object = None


def prepare(
    database: xr.Dataset,
    closure: Mapping[str, np.ndarray] | None = None,
    swaps: Sequence[str | tuple[str, str]] = (),
    rordelta: int | None = None,
    cmf=None,
) -> PreparedModel:
    """Build the levels model of ``database`` for a closure (arguments as in :func:`solve`).

    Raises
    ------
    ClosureSpecError
        For a bad swap or RORDELTA; :class:`~cge.gtap.model.build.ClosureError` for a closure
        that is not square.
    """
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
    all_swaps = (*(cmf.swaps if cmf is not None else []), *swaps)
    for swap in all_swaps:
        apply_swap(cf, database, exogenous, swap)
    table = variable_table()
    for name, mask in exogenous.items():
        spec = table[name]
        if spec.degree == 1 and not spec.is_change and name != "pfactwld" and np.any(mask):
            raise ClosureSpecError(
                f"{name} is a price made exogenous ({int(np.sum(mask))} element(s)): fixing a nominal variable besides "
                "the numeraire pfactwld is not supported (GEMPACK's chained pfactwld and the levels model's numeraire "
                "differ by a path-dependent scale); fix a real one instead (rwage, the real wage; del_tbalry)"
            )
        if name in NOMINAL_BALANCES and np.any(mask):
            raise ClosureSpecError(
                f"{name} made exogenous ({int(np.sum(mask))} element(s)): a trade balance in US$ at current prices "
                "cannot be held in the levels model (GEMPACK's chained pfactwld and its numeraire differ by a "
                "path-dependent scale); swap del_tbalry (share of world income), del_tbalgdp (share of the "
                "region's GDP) or del_tbalpf (US$ over pfactwld, what [[closure.trade_balance]] usd_bn uses)"
            )
    return PreparedModel(database, build_model(cf, exogenous), exogenous, all_swaps, cmf)


@overload
def solve(
    database: xr.Dataset | PreparedModel,
    shocks: Mapping | None = None,
    closure: Mapping[str, np.ndarray] | None = None,
    swaps: Sequence[str | tuple[str, str]] = (),
    rordelta: int | None = None,
    nodes: int | None = None,
    tol: float = 1e-9,
    path_tol: float = 1e-5,
    updated: Literal[False] = False,
    cmf=None,
    subtotals: Mapping[str, Mapping] | None = None,
) -> xr.Dataset: ...


@overload
def solve(
    database: xr.Dataset | PreparedModel,
    shocks: Mapping | None = None,
    closure: Mapping[str, np.ndarray] | None = None,
    swaps: Sequence[str | tuple[str, str]] = (),
    rordelta: int | None = None,
    nodes: int | None = None,
    tol: float = 1e-9,
    path_tol: float = 1e-5,
    *,
    updated: Literal[True],
    cmf=None,
    subtotals: Mapping[str, Mapping] | None = None,
) -> tuple[xr.Dataset, xr.Dataset]: ...


@overload
def solve(
    database: xr.Dataset | PreparedModel,
    shocks: Mapping | None = None,
    closure: Mapping[str, np.ndarray] | None = None,
    swaps: Sequence[str | tuple[str, str]] = (),
    rordelta: int | None = None,
    nodes: int | None = None,
    tol: float = 1e-9,
    path_tol: float = 1e-5,
    updated: bool = False,
    cmf=None,
    subtotals: Mapping[str, Mapping] | None = None,
) -> xr.Dataset | tuple[xr.Dataset, xr.Dataset]: ...


@with_single_threaded_blas
@within(reused_memory)
def solve(
    database: xr.Dataset | PreparedModel,
    shocks: Mapping | None = None,
    closure: Mapping[str, np.ndarray] | None = None,
    swaps: Sequence[str | tuple[str, str]] = (),
    rordelta: int | None = None,
    nodes: int | None = None,
    tol: float = 1e-9,
    path_tol: float = 1e-5,
    updated: bool = False,
    cmf=None,
    subtotals: Mapping[str, Mapping] | None = None,
) -> xr.Dataset | tuple[xr.Dataset, xr.Dataset]:
    """Solve GTAP v7 for a shock, as GEMPACK does, and return every variable.

    Parameters
    ----------
    database : xarray.Dataset or PreparedModel
        A GTAP v7 database (:func:`cge.gtap.load_database`), or a model :func:`prepare` built
        (then ``closure``, ``swaps``, ``rordelta`` and ``cmf`` are its own).
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
        Accepted gap between the path integrals on N and N/2 intervals [percentage points, or
        US$ million per hundredth of world income for change variables], and between the total
        and the sum of the subtotals. The gap bounds the error of the N/2 integral; the N-node
        integral that is reported is far closer (10x7, tm 10 %: gap 4.5e-4 at 4 intervals with a
        true error of 1.3e-7; gap 1.6e-7 at 8 with 1.3e-9).
    updated : bool
        Also return the updated database (every flow at its new prices and quantities).
    cmf : CmfSpec, optional
        A parsed GEMPACK command file (:func:`cge.gtap.read_cmf`): its closure, swaps and shocks
        are applied before ``closure``, ``swaps`` and ``shocks`` (see :func:`solve_cmf`).
    subtotals : mapping, optional
        Shock groups, ``{group name: shocks}`` (each in the form of ``shocks``), instead of
        ``shocks``: the groups are applied together and every result is split into their
        contributions (GEMPACK's subtotals, :mod:`cge.gtap.subtotals`). Results then have a
        ``subtotal`` dim labelled ``"total"`` followed by the group names; the groups sum to the
        total to the accuracy of the path quadrature (attr ``subtotal_sum_error``).

    Returns
    -------
    xarray.Dataset or (xarray.Dataset, xarray.Dataset)
        Every GEMPACK variable by its name, over its GEMPACK sets; percentage changes [%] or
        ordinary changes (US$ million, ratios), with attrs describing the solve (among them
        ``numeraire_scale``, the ``lambda`` of :mod:`cge.gtap.path` at the end of the path:
        every price and value of the results over the levels model's); with ``updated``, also
        the updated database (:mod:`cge.gtap.update`).
    """
    t_start = time.perf_counter()
    if isinstance(database, PreparedModel):
        if closure is not None or swaps or rordelta is not None or cmf is not None:
            raise ValueError("a prepared model has its closure: give closure, swaps, rordelta and cmf to prepare()")
        prepared = database
    else:
        prepared = prepare(database, closure, swaps, rordelta, cmf)
    database, model, exogenous, all_swaps = prepared.database, prepared.model, prepared.exogenous, prepared.swaps
    cf, cmf = model.coefficients, prepared.cmf
    shock_list: list[tuple[str | VarRef | Shock, object]] = [
        (shock, None) for shock in (cmf.shocks if cmf is not None else [])
    ]
    shock_list += list((shocks or {}).items())
    group_names: list[str] = []
    item_group: list[int] = []
    if subtotals is not None:
        if shock_list:
            raise ClosureSpecError("give the shocks either as shocks (or a CMF's) or as subtotal groups, not both")
        group_names = list(subtotals)
        try:
            sub_.check_group_names(group_names)
        except ValueError as err:
            raise ClosureSpecError(str(err)) from None
        for g, group in enumerate(subtotals.values()):
            shock_list += list(group.items())
            item_group += [g] * len(group)
    path = _shock_vector(model, cf, database, exogenous, shock_list, cmf, [group_names[g] for g in item_group])
    group_items = [np.flatnonzero(np.asarray(item_group) == g) for g in range(len(group_names))]
    masks = [np.isin(path.owner, items) for items in group_items]
    adaptive = nodes is None
    if nodes is not None and (nodes < 2 or nodes % 2):
        raise ValueError(f"nodes must be an even number of intervals >= 2, got {nodes}")
    n = 4 if nodes is None else nodes
    preconditioners = Preconditioners()
    solutions = _solve_nodes(model, path, n, tol, group_masks=masks, preconditioners=preconditioners)
    while True:
        states = _states(model, solutions)
        r_lambda = _apply_numeraire(model, states)
        log_lambda = cumulative_integral(r_lambda, n)
        integrals, caches = _integrate_indices(model, states, n)
        welfare, welfare_rates, welfare_nodes = _integrate_welfare(model, states, caches, integrals, n)
        income = float(cf.INCOME.sum())
        series = [(r_lambda, log_lambda, 1.0)]
        series += [(np.stack([s.rates[k] for s in states]), v, 1.0) for k, v in integrals.items()]
        series += [(welfare_rates[k], v, income / 100.0) for k, v in welfare.items()]
        error = _path_error(series, n)
        if adaptive and error > path_tol and n < MAX_NODES:  # the total first: subtotals only once it holds
            n *= 2
            solutions = _solve_nodes(
                model,
                path,
                n,
                tol,
                known=dict(enumerate(solutions)),
                group_masks=masks,
                preconditioners=preconditioners,
            )
            continue
        totals = _totals(model, states, integrals, welfare, welfare_nodes[-1].shadow, log_lambda, n)
        all_tangents = _group_tangents(model, solutions, masks) if masks else []
        parts = [
            _group_contributions(
                model, solutions, states, caches, integrals, welfare, welfare_nodes, log_lambda, g, all_tangents, n
            )
            for g in range(len(masks))
        ]
        gap = sub_.sum_gap(totals, parts, income) if parts else 0.0
        if not adaptive or max(error, gap) <= path_tol or n >= MAX_NODES:
            break
        n *= 2
        solutions = _solve_nodes(
            model, path, n, tol, known=dict(enumerate(solutions)), group_masks=masks, preconditioners=preconditioners
        )
    if adaptive and max(error, gap) > path_tol:
        log.warning("path integration error %.3g after %d nodes (tolerance %.3g)", max(error, gap), n + 1, path_tol)
    result = _dataset(cf, totals, dict(zip(group_names, parts)))
    result.attrs["path_integration_error"] = float(error)
    if parts:
        result.attrs["subtotal_sum_error"] = float(gap)
    result.attrs.update(
        {
            "model": "GTAP v7",
            FORMAT_ATTR: RESULTS_FORMAT,
            "cge_version": __version__,
            "rordelta": int(cf.rordelta),
            "swaps": "; ".join(s if isinstance(s, str) else f"{s[0]} = {s[1]}" for s in all_swaps),
            "shocks": "; ".join(_describe_shock(k, v) for k, v in shock_list),
            "path_nodes": n + 1,
            "newton_iterations": int(sum(s.iterations for s in solutions)),
            "max_residual": float(max(s.residual for s in solutions)),
            "solve_seconds": time.perf_counter() - t_start,
            "unknowns": model.n,
            "numeraire_scale": float(np.exp(log_lambda[-1] / 100.0)),
        }
    )
    if updated:
        scale = float(np.exp(log_lambda[-1] / 100.0))
        return result, updated_database(database, cf, states[-1].values, scale)
    return result


def _group_tangents(
    model: Model, solutions: list[NodeSolution], masks: list[np.ndarray]
) -> list[dict[str, np.ndarray]]:
    """At each node, every levels variable's derivative in each group's direction (last axis)."""
    out = []
    for node in solutions:
        dx = np.stack(node.dx_groups, axis=1)
        dp = np.stack([np.where(mask, node.dp, 0.0) for mask in masks], axis=1)
        out.append(_levels_and_tangents(model, node.x, node.p, dx, dp)[1])
    return out


def _group_contributions(
    model: Model,
    solutions: list[NodeSolution],
    states: list[PathState],
    caches: list[dict],
    integrals: dict[str, np.ndarray],
    welfare: dict[str, np.ndarray],
    welfare_nodes: list[WelfareNode],
    log_lambda: np.ndarray,
    group: int,
    all_tangents: list[dict[str, np.ndarray]],
    n: int,
) -> dict[str, np.ndarray]:
    """One shock group's contribution to every result (:mod:`cge.gtap.subtotals`)."""
    cf = model.coefficients
    tangents = [{name: t[..., group] for name, t in node_tangents.items()} for node_tangents in all_tangents]
    is_change = {name: model.slots[name].spec.is_change for name in model.names}
    group_path = group_states(states, tangents, is_change)
    degree_one = [
        name
        for name in model.names
        if model.slots[name].spec.degree == 1 and not model.slots[name].spec.is_change and name != "pfactwld"
    ]
    r_lambda = sub_.apply_group_numeraire(group_path, cf, degree_one)
    skip = {"globalcgds"} if cf.rordelta == 0 else {"rorg"}
    sub_.index_rates(group_path, cf, caches, skip)
    group_welfare = sub_.welfare_rates(group_path, cf, welfare_nodes)
    shadow_rates = sub_.shadow_derivatives(group_path, cf, integrals["u"], welfare_nodes)
    out = sub_.contributions(
        cf, states, group_path, tangents, r_lambda, log_lambda, integrals, welfare, group_welfare, shadow_rates, n
    )
    out["EV_decomposition"] = _welview_summary(cf, {k: v for k, v in out.items() if k.startswith("CNT")})
    return out


def _totals(
    model: Model,
    states: list[PathState],
    integrals: dict[str, np.ndarray],
    welfare: dict[str, np.ndarray],
    shadow,
    log_lambda: np.ndarray,
    n: int,
) -> dict[str, np.ndarray]:
    """Every reported result over its model sets [% or US$ million]."""
    cf = model.coefficients
    table = variable_table()
    end = states[-1]
    scale = np.exp(log_lambda[-1] / 100.0)
    out: dict[str, np.ndarray] = {}
    for name, spec in table.items():
        if name == "save_value":
            continue
        if spec.treatment == "slot" and name in end.values and spec.is_change and spec.degree:
            base = getattr(cf, NOMINAL_CHANGE_BASE[name])
            value = scale * (base + end.values[name]) - base
        elif spec.treatment == "slot" and name in end.values:
            level = end.values[name] * scale ** element_degree(cf, name, spec.degree)
            value = level if spec.is_change else 100.0 * (level - 1.0)
        elif name in integrals:
            total = integrals[name][-1]
            value = total if spec.is_change else 100.0 * (np.exp(total / 100.0) - 1.0)
        else:
            continue
        out[name] = np.asarray(value, dtype=float)
    ev = ev_results(cf, shadow)
    ev["dpavev"] = 100.0 * (np.exp(welfare["dpavev"][-1] / 100.0) - 1.0)
    out.update({k: np.asarray(v, dtype=float) for k, v in ev.items()})
    for key, value in welfare.items():
        if key in table and key not in out:
            out[key] = np.asarray(value[-1], dtype=float)
    out["EV_decomposition"] = _welview_summary(cf, {k: v[-1] for k, v in welfare.items()})
    return out


def _dataset(cf: Coefficients, totals: dict[str, np.ndarray], groups: dict[str, dict[str, np.ndarray]]) -> xr.Dataset:
    """The results Dataset: GEMPACK names and sets; with groups, a last dim ``subtotal``
    (``"total"``, then the groups)."""
    table = variable_table()
    data: dict[str, tuple] = {}
    coords: dict[str, list[str]] = {}
    for name, total in totals.items():
        stacked = np.stack([total, *(g[name] for g in groups.values())]) if groups else total[None]
        if name == "EV_decomposition":
            dims, values, attrs = ["REG", "COLUMN"], stacked, dict(WELVIEW_ATTRS)
        else:
            dims, values, attrs = _as_variable(cf, table[name], stacked, coords)
        if groups:
            data[name] = ((*dims, "subtotal"), np.moveaxis(values, 0, -1), attrs)
        else:
            data[name] = (tuple(dims), values[0], attrs)
    coords["COLUMN"] = list(COLUMN)
    coords.setdefault("REG", list(cf.labels["REG"]))
    if groups:
        coords["subtotal"] = [TOTAL, *groups]
    return xr.Dataset(data, coords=coords)


WELVIEW_ATTRS = {
    "long_name": "EV decomposition (WELVIEW summary A): allocative efficiency, endowments, technology, "
    "population, terms of trade, investment-saving, preferences",
    "units": "US$ million",
}


def _welview_summary(cf: Coefficients, cnt: dict[str, np.ndarray]) -> np.ndarray:
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
    return np.stack(columns, axis=1)


def _subset_order(cf: Coefficients, gset: str) -> np.ndarray:
    """Positions in ENDW of a GEMPACK endowment subset, in GEMPACK's order (ENDWMS = ENDWM + ENDWS)."""
    if gset == "ENDWMS":
        return np.concatenate([np.flatnonzero(cf.masks["ENDWM"]), np.flatnonzero(cf.masks["ENDWS"])])
    return np.flatnonzero(cf.masks[gset])


def _as_variable(cf: Coefficients, spec, value: np.ndarray, coords: dict[str, list[str]]) -> tuple:
    """Results stacked on a leading axis (total, then groups) over the variable's GEMPACK sets as
    ``(dims, values, attrs)`` (subsets as their own labelled dims, whose labels go into
    ``coords``; ``dims`` name the axes after the leading one)."""
    value = np.asarray(value, dtype=float)
    value = value.reshape((value.shape[0], *cf.space.shape(spec.dims)))
    dims: list[str] = []
    for axis, (gset, dim) in enumerate(zip(spec.sets, spec.dims), start=1):
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
