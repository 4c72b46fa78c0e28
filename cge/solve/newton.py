"""Newton–Krylov for a compiled square system g(x, p) = 0 with a reused sparse LU.

Each Newton step solves ``J(x) dx = -g(x)`` by GMRES preconditioned with the LU factors of a
Jacobian taken earlier (at the benchmark, a previous solution or an earlier iterate). While the
Jacobian has not moved far from the factorised one GMRES needs a few products with the sparse
``J(x)`` and a few triangular solves, so a step costs a small fraction of a factorisation; when
GMRES stalls the Jacobian at the current iterate is factorised and the step is an exact Newton
step. Steps keep the variables inside their bounds (fraction to the boundary) and are
backtracked until the residual norm falls (Armijo). The caller accepts the point only on its own
residual checks (:mod:`cge.gtap.simulate` at each node of the shock path).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from cge.solve.linalg import Factorization, SparseMatrix, gmres, single_threaded_blas

log = logging.getLogger(__name__)


class CompiledModel(Protocol):
    """A compiled square system g(x, p) = 0 (:class:`cge.gtap.simulate.TapeSystem`): ``n``
    unknowns with bounds, the residual and the Jacobian's values on a fixed sparsity pattern."""

    @property
    def n(self) -> int:
        """Number of unknowns (and of equations)."""
        ...

    lower: np.ndarray
    upper: np.ndarray
    jac_rows: np.ndarray
    jac_cols: np.ndarray

    def eval_residual(self, x: np.ndarray, p: np.ndarray) -> np.ndarray: ...

    def eval_jacobian_values(self, x: np.ndarray, p: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class NewtonOptions:
    """Settings of :func:`newton_solve`.

    Attributes
    ----------
    target : float
        Stop when the largest absolute residual is below this [relative units].
    tol : float
        Acceptance tolerance of the caller: a point below it where no step makes progress any
        more (rounding) ends the iteration as converged.
    max_iterations : int
        Newton steps before giving up.
    krylov_iterations : int
        GMRES restart length; after two restarts without convergence the Jacobian is
        factorised anew.
    boundary_fraction : float
        Fraction of the distance to a bound a step may cover (Ipopt's τ).
    max_backtracks : int
        Step halvings before giving up.
    lu_ordering : str or None
        SuperLU column ordering of the factorisations (None: :data:`cge.solve.linalg.LU_ORDERING`).
    lu_precision : {"double", "single"}
        Precision of the sparse LU factors (:class:`cge.solve.linalg.Factorization`); with
        single-precision factors the step after a new factorisation is found by GMRES
        preconditioned with them (one or two iterations) instead of a direct solve.
    finish_in_one_step : bool
        When the residual is small enough for the next step to be the last (its square below
        ten times ``target``: Newton's error is quadratic), solve that step to a linear residual
        (Euclidean norm, which bounds the largest entry) of ``target / 10`` rather than to the
        usual relative ``min(1e-3, residual)``: a few more GMRES iterations instead of one more
        Newton step (a Jacobian evaluation) when the residual is near the target, far fewer
        when it is already tiny (a refined node's start 1e-9 from the solution needs a relative
        1e-4 or so, not 1e-9).
    """

    target: float = 1e-12
    tol: float = 1e-9
    max_iterations: int = 50
    krylov_iterations: int = 30
    boundary_fraction: float = 0.99
    max_backtracks: int = 30
    lu_ordering: str | None = None
    lu_precision: str = "double"
    finish_in_one_step: bool = False


@dataclass(frozen=True)
class NewtonOutcome:
    """Result of :func:`newton_solve` (not yet accepted by the caller's checks).

    Attributes
    ----------
    x : ndarray
        Last iterate.
    converged : bool
        Whether the residual target (or the rounding floor below ``tol``) was reached.
    iterations : int
        Newton steps taken.
    factorizations : int
        LU factorisations computed (0 when the given one served throughout).
    krylov_iterations : int
        GMRES iterations over all steps.
    max_residual : float
        Largest absolute residual at ``x``.
    message : str
        Why it stopped.
    jacobian : SparseMatrix or None
        The Jacobian of the last step taken, at the iterate the step started from (None when no
        step was taken).
    last_step : float
        Largest absolute entry of that step (the distance from the point of ``jacobian`` to
        ``x``, in the units of x; inf when no step was taken).
    """

    x: np.ndarray
    converged: bool
    iterations: int
    factorizations: int
    krylov_iterations: int
    max_residual: float
    message: str
    jacobian: SparseMatrix | None = None
    last_step: float = np.inf


def jacobian_matrix(compiled: CompiledModel, x: np.ndarray, p: np.ndarray) -> SparseMatrix:
    """The sparse Jacobian dg/dx at (x, p) (with the system's CSR row pointer ``jac_indptr`` when
    it has one: :class:`cge.solve.linalg.SparseMatrix`)."""
    values = compiled.eval_jacobian_values(x, p)
    return SparseMatrix(compiled.jac_rows, compiled.jac_cols, values, compiled.n, getattr(compiled, "jac_indptr", None))


def norm_inf(g: np.ndarray) -> float:
    """Largest absolute entry (inf if any is not finite; 0 for an empty vector)."""
    value = float(np.max(np.abs(g))) if g.size else 0.0
    return value if np.isfinite(value) else np.inf


def newton_solve(
    compiled: CompiledModel,
    x0: np.ndarray,
    p: np.ndarray,
    factorization: Factorization | None,
    options: NewtonOptions = NewtonOptions(),
    residual: np.ndarray | None = None,
) -> tuple[NewtonOutcome, Factorization | None]:
    """Solve g(x, p) = 0 from ``x0`` by preconditioned Newton–Krylov.

    Parameters
    ----------
    compiled : CompiledModel
        Compiled residual and Jacobian.
    x0 : ndarray
        Start point (inside the bounds).
    p : ndarray
        Parameter values.
    factorization : Factorization or None
        LU factors of an earlier Jacobian to precondition with; None factorises at ``x0``.
    options : NewtonOptions
    residual : ndarray, optional
        g(x0, p) when the caller has it already (x0 inside the bounds); evaluated otherwise.

    Returns
    -------
    (NewtonOutcome, Factorization or None)
        The outcome and the factorisation in use at the end (for the next solve).
    """
    with single_threaded_blas():
        return _iterate(compiled, x0, p, factorization, options, residual)


def _iterate(
    compiled: CompiledModel,
    x0: np.ndarray,
    p: np.ndarray,
    factorization: Factorization | None,
    options: NewtonOptions,
    residual: np.ndarray | None = None,
) -> tuple[NewtonOutcome, Factorization | None]:
    """The Newton–Krylov iteration of :func:`newton_solve`."""
    lower, upper = compiled.lower, compiled.upper
    x = np.clip(np.asarray(x0, dtype=float), lower, upper)
    if residual is not None and np.array_equal(x, x0):
        g = np.asarray(residual, dtype=float)
    else:
        g = compiled.eval_residual(x, p)
    res = norm_inf(g)
    factorizations = krylov_total = 0
    message = "iteration limit"
    last_jac: SparseMatrix | None = None
    last_step = np.inf
    for iteration in range(options.max_iterations + 1):
        if res <= options.target:
            outcome = NewtonOutcome(
                x, True, iteration, factorizations, krylov_total, res, "converged", last_jac, last_step
            )
            return outcome, factorization
        if iteration == options.max_iterations:
            break
        jac = jacobian_matrix(compiled, x, p)
        dx, used = (None, 0) if factorization is None else _krylov_step(jac, g, factorization, res, options)
        krylov_total += used
        if dx is None:
            try:
                factorization = Factorization(jac, options.lu_ordering, options.lu_precision)
            except (RuntimeError, np.linalg.LinAlgError) as exc:  # singular Jacobian
                message = f"singular Jacobian: {exc}"
                break
            factorizations += 1
            dx, used = (None, 0) if factorization.exact else _krylov_step(jac, g, factorization, res, options)
            krylov_total += used
            if dx is None:
                dx = factorization.solve(-g)
            if not np.all(np.isfinite(dx)):
                message = "non-finite Newton step"
                break
        step = _boundary_step(x, dx, lower, upper, options.boundary_fraction)
        norm2 = float(np.linalg.norm(g))
        for _ in range(options.max_backtracks):
            trial = np.clip(x + step * dx, lower, upper)
            g_trial = compiled.eval_residual(trial, p)
            with np.errstate(over="ignore", invalid="ignore"):
                norm_trial = float(np.linalg.norm(g_trial))
            if np.isfinite(norm_trial) and norm_trial <= (1.0 - 1e-4 * step) * norm2:
                break
            step /= 2
        else:
            if res <= options.tol:  # no more progress possible at rounding level
                return NewtonOutcome(
                    x, True, iteration, factorizations, krylov_total, res, "rounding floor", jac, 0.0
                ), factorization
            message = f"line search failed at max residual {res:.3g}"
            break
        last_jac, last_step = jac, norm_inf(trial - x)
        x, g = trial, g_trial
        res = norm_inf(g)
        log.debug("newton %d: max residual %.3g, step %.3g, %d krylov iterations", iteration + 1, res, step, used)
    outcome = NewtonOutcome(x, False, iteration, factorizations, krylov_total, res, message, last_jac, last_step)
    return outcome, factorization


def _krylov_step(
    jac: SparseMatrix, g: np.ndarray, factorization: Factorization, res: float, options: NewtonOptions
) -> tuple[np.ndarray | None, int]:
    """GMRES for ``jac dx = -g`` preconditioned by ``factorization``: (dx or None if it stalled,
    iterations). The relative tolerance follows the residual (min(1e-3, max residual)), so
    steps stay quadratically convergent near the solution (see also
    :attr:`NewtonOptions.finish_in_one_step`)."""
    rtol = min(1e-3, max(res, 1e-14))
    if options.finish_in_one_step and res * res <= 10 * options.target:
        rtol = min(1e-3, max(0.1 * options.target / float(np.linalg.norm(g)), 1e-14))
    dx, iterations, converged = gmres(
        jac, -g, factorization, rtol=rtol, restart=options.krylov_iterations, max_cycles=2
    )
    if not converged:
        log.debug("gmres did not converge in %d iterations", iterations)
        return None, iterations
    return dx, iterations


def _boundary_step(x: np.ndarray, dx: np.ndarray, lower: np.ndarray, upper: np.ndarray, tau: float) -> float:
    """Largest step in (0, 1] keeping x + step·dx at least a fraction 1 - tau of the way from each bound."""
    step = 1.0
    down = dx < 0
    if np.any(down):
        step = min(step, float(np.min(tau * (x[down] - lower[down]) / -dx[down])))
    up = (dx > 0) & np.isfinite(upper)
    if np.any(up):
        step = min(step, float(np.min(tau * (upper[up] - x[up]) / dx[up])))
    return step
