"""Sparse factorisations and preconditioned GMRES (cge.solve.linalg) and the Newton step that
finishes in one (cge.solve.newton)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import scipy.sparse as sp

from cge.solve.linalg import DENSE_MAX, Factorization, SparseMatrix, gmres
from cge.solve.newton import NewtonOptions, newton_solve


def _matrix(n: int, seed: int, shift: float = 0.0) -> SparseMatrix:
    rng = np.random.default_rng(seed)
    a = sp.random(n, n, density=3.0 / n, random_state=seed, format="coo") + sp.diags(4.0 + shift + rng.random(n))
    a = a.tocoo()
    return SparseMatrix(a.row.astype(np.int64), a.col.astype(np.int64), a.data, n)


def test_single_precision_factors_precondition_gmres_to_full_accuracy() -> None:
    n = DENSE_MAX + 500  # sparse (SuperLU) factors
    matrix = _matrix(n, seed=1)
    rhs = np.random.default_rng(2).normal(size=n)
    exact = np.linalg.solve(matrix.dense(), rhs)
    single = Factorization(matrix, "COLAMD", precision="single")
    double = Factorization(matrix, "COLAMD")
    assert double.exact and not single.exact
    assert single.solve(rhs).dtype == np.float64
    single_error = np.abs(single.solve(rhs) - exact).max() / np.abs(exact).max()
    assert 1e-12 < single_error < 1e-5  # float32 factors: about 1e-7
    assert np.abs(double.solve(rhs) - exact).max() / np.abs(exact).max() < 1e-12
    x, iterations, converged = gmres(matrix, rhs, single, rtol=1e-12, restart=20, max_cycles=2)
    assert converged and iterations <= 4
    assert np.abs(x - exact).max() / np.abs(exact).max() < 1e-10
    # a nearby matrix (a stale preconditioner) still converges, in more iterations
    x, iterations, converged = gmres(_matrix(n, seed=1, shift=0.5), rhs, single, rtol=1e-12, restart=40, max_cycles=2)
    assert converged and iterations > 4


def test_gmres_from_a_close_start_needs_fewer_iterations_for_the_same_accuracy() -> None:
    n = DENSE_MAX + 500
    matrix = _matrix(n, seed=1)
    stale = Factorization(_matrix(n, seed=1, shift=0.5), "COLAMD", precision="single")
    rhs = np.random.default_rng(2).normal(size=n)
    exact = np.linalg.solve(matrix.dense(), rhs)
    close = exact * (1.0 + 1e-6 * np.random.default_rng(3).normal(size=n))
    cold, cold_iterations, cold_ok = gmres(matrix, rhs, stale, rtol=1e-10, restart=40, max_cycles=2)
    warm, warm_iterations, warm_ok = gmres(matrix, rhs, stale, rtol=1e-10, restart=40, max_cycles=2, x0=close)
    assert cold_ok and warm_ok
    assert warm_iterations < cold_iterations / 2
    for x in (cold, warm):  # the same test on the true residual
        assert np.linalg.norm(rhs - matrix.matvec(x)) <= 1e-10 * np.linalg.norm(rhs)
    # a start worse than zero is not used: the iteration from zero
    _, far_iterations, far_ok = gmres(matrix, rhs, stale, rtol=1e-10, restart=40, max_cycles=2, x0=-10 * exact)
    assert far_ok and far_iterations == cold_iterations


def test_small_systems_stay_dense_and_exact_whatever_the_precision() -> None:
    matrix = _matrix(50, seed=3)
    factors = Factorization(matrix, precision="single")
    assert factors.exact and factors.fill == 50 * 50


def test_an_unknown_precision_is_refused() -> None:
    with pytest.raises(ValueError, match="precision must be 'double' or 'single'"):
        Factorization(_matrix(50, seed=3), precision="half")


@dataclass
class _Cubic:
    """g(x) = A x + 0.1 x^3 - b: a square system with a Jacobian that moves with x."""

    a: SparseMatrix
    b: np.ndarray

    @property
    def n(self) -> int:
        return self.a.n

    @property
    def lower(self) -> np.ndarray:
        return np.full(self.n, -np.inf)

    @property
    def upper(self) -> np.ndarray:
        return np.full(self.n, np.inf)

    @property
    def jac_rows(self) -> np.ndarray:
        return self.a.rows

    @property
    def jac_cols(self) -> np.ndarray:
        return self.a.cols

    def eval_residual(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        return self.a.matvec(x) + 0.1 * x**3 - self.b

    def eval_jacobian_values(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        diagonal = self.a.rows == self.a.cols  # every row has one (the shifted diagonal)
        return self.a.values + np.where(diagonal, 0.3 * x[self.a.rows] ** 2, 0.0)


def test_the_last_newton_step_is_solved_to_the_target_when_asked() -> None:
    """From a start whose squared residual is below the target, one step suffices when GMRES
    solves it to target / 10; with the usual relative tolerance (the residual) it takes two."""
    n = 200
    a = _matrix(n, seed=4)
    solution = np.random.default_rng(5).uniform(0.5, 1.5, n)
    system = _Cubic(a, a.matvec(solution) + 0.1 * solution**3)
    start = solution + 1e-7 * np.random.default_rng(6).normal(size=n)
    diagonal = a.rows == a.cols  # a poor preconditioner: GMRES stops near its tolerance
    stale = Factorization(SparseMatrix(a.rows[diagonal], a.cols[diagonal], a.values[diagonal], n))
    usual = NewtonOptions(target=1e-12, tol=1e-9)
    finishing = NewtonOptions(target=1e-12, tol=1e-9, finish_in_one_step=True)
    plain, _ = newton_solve(system, start, np.zeros(0), stale, usual)
    one, _ = newton_solve(system, start, np.zeros(0), stale, finishing)
    assert plain.converged and one.converged
    assert one.iterations == 1 and plain.iterations == 2
    assert one.max_residual <= 1e-12


def test_a_last_step_from_a_tiny_residual_is_not_solved_further_than_the_target() -> None:
    """From a start 1e-10 from the solution (a refined node's Hermite start), one step reaches the
    target with GMRES solved to a linear residual of target / 10, in fewer iterations than the
    relative tolerance of the residual itself (1e-9) would take."""
    n = 200
    a = _matrix(n, seed=4)
    solution = np.random.default_rng(5).uniform(0.5, 1.5, n)
    system = _Cubic(a, a.matvec(solution) + 0.1 * solution**3)
    start = solution + 1e-10 * np.random.default_rng(7).normal(size=n)
    diagonal = a.rows == a.cols
    stale = Factorization(SparseMatrix(a.rows[diagonal], a.cols[diagonal], a.values[diagonal], n))
    usual = NewtonOptions(target=1e-12, tol=1e-9)
    finishing = NewtonOptions(target=1e-12, tol=1e-9, finish_in_one_step=True)
    plain, _ = newton_solve(system, start, np.zeros(0), stale, usual)
    one, _ = newton_solve(system, start, np.zeros(0), stale, finishing)
    assert one.converged and one.iterations == 1 and one.max_residual <= 1e-12
    assert plain.converged and plain.iterations == 1
    assert one.krylov_iterations < plain.krylov_iterations


def test_newton_reports_the_jacobian_of_its_last_step_and_how_far_that_step_went() -> None:
    """The outcome carries the Jacobian the last step was solved with (at the iterate it started
    from) and the step's largest entry; a residual passed in for the start is used instead of
    evaluating it again, with the same result."""
    n = 200
    a = _matrix(n, seed=4)
    solution = np.random.default_rng(5).uniform(0.5, 1.5, n)
    system = _Cubic(a, a.matvec(solution) + 0.1 * solution**3)
    start = solution + 1e-7 * np.random.default_rng(6).normal(size=n)
    options = NewtonOptions(target=1e-12, tol=1e-9, finish_in_one_step=True)
    outcome, _ = newton_solve(system, start, np.zeros(0), None, options)
    assert outcome.converged and outcome.iterations == 1
    assert outcome.jacobian is not None
    assert np.array_equal(outcome.jacobian.values, system.eval_jacobian_values(start, np.zeros(0)))
    assert outcome.last_step == np.max(np.abs(outcome.x - start))
    assert 1e-8 < outcome.last_step < 1e-6

    calls = []

    class Counted(_Cubic):
        def eval_residual(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
            calls.append(1)
            return super().eval_residual(x, p)

    counted = Counted(system.a, system.b)
    given, _ = newton_solve(counted, start, np.zeros(0), None, options, system.eval_residual(start, np.zeros(0)))
    evaluations_given = len(calls)
    calls.clear()
    again, _ = newton_solve(counted, start, np.zeros(0), None, options)
    assert len(calls) == evaluations_given + 1
    assert np.array_equal(given.x, again.x) and np.array_equal(given.x, outcome.x)

    at_solution, _ = newton_solve(system, outcome.x, np.zeros(0), None, options)
    assert at_solution.iterations == 0 and at_solution.jacobian is None and at_solution.last_step == np.inf


def test_a_row_pointer_gives_the_same_products_as_the_triplets() -> None:
    """Above DENSE_MAX the product goes through SciPy's CSR: made from the row pointer when one is
    given (a tape's pattern), from the triplets otherwise, with the same result."""
    n = DENSE_MAX + 50
    rng = np.random.default_rng(8)
    matrix = sp.random(n, n, density=0.01, random_state=9, format="csr") + sp.eye(n, format="csr")
    rows = np.repeat(np.arange(n), np.diff(matrix.indptr))
    plain = SparseMatrix(rows, matrix.indices, matrix.data, n)
    pointed = SparseMatrix(rows, matrix.indices, matrix.data, n, matrix.indptr)
    v = rng.normal(size=n)
    assert np.array_equal(plain.matvec(v), pointed.matvec(v))
    assert np.allclose(pointed.matvec(v), matrix @ v, rtol=1e-14, atol=1e-14)
