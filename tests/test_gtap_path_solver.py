"""The GTAP path solver's machinery: Hermite starts of refined nodes, the factorisations kept
along the path (synthetic databases; counts, never times)."""

from __future__ import annotations

import numpy as np
import numpy.polynomial.polynomial as poly
import pytest

import cge.gtap.simulate as simulate
from cge.gtap import synthetic_database
from cge.gtap.path import hermite_at, hermite_interpolate
from cge.gtap.simulate import (
    KEPT_FILL,
    REUSED_JACOBIAN_STEP,
    TANGENT_RTOL,
    Preconditioners,
    TapeSystem,
    _iterations_from_zero,
    _shock_vector,
    _solve_nodes,
    prepare,
)
from cge.solve.linalg import SparseMatrix


def test_hermite_interpolation_is_exact_for_polynomials_of_its_degree() -> None:
    rng = np.random.default_rng(3)
    t_known = np.array([0.0, 0.2, 0.7, 1.0])  # 4 points: degree 7
    coef = rng.normal(size=(8, 5))  # five polynomials of degree 7 in t

    def value(t):
        return np.stack([np.polynomial.polynomial.polyval(t, coef[:, k]) for k in range(5)], axis=-1)

    def slope(t):
        deriv = np.polynomial.polynomial.polyder(coef, axis=0)
        return np.stack([np.polynomial.polynomial.polyval(t, deriv[:, k]) for k in range(5)], axis=-1)

    for t in (0.1, 0.45, 0.95, 1.3):  # 1.3: extrapolation
        got = hermite_interpolate(t_known, value(t_known), slope(t_known), t)
        assert np.allclose(got, value(t), rtol=1e-10, atol=1e-10)
    # one degree more and it is no longer exact
    coef9 = np.vstack([coef, rng.normal(size=(1, 5))])
    values9 = np.stack([np.polynomial.polynomial.polyval(t_known, coef9[:, k]) for k in range(5)], axis=-1)
    slopes9 = np.stack(
        [np.polynomial.polynomial.polyval(t_known, np.polynomial.polynomial.polyder(coef9[:, k])) for k in range(5)],
        axis=-1,
    )
    exact = np.stack([np.polynomial.polynomial.polyval(0.45, coef9[:, k]) for k in range(5)])
    assert not np.allclose(hermite_interpolate(t_known, values9, slopes9, 0.45), exact, rtol=1e-6)


def test_hermite_slope_is_exact_for_polynomials_of_its_degree() -> None:
    rng = np.random.default_rng(4)
    t_known = np.array([0.0, 0.3, 1.0])  # 3 points: degree 5
    coef = rng.normal(size=6)
    deriv = poly.polyder(coef)
    for t in (0.1, 0.6, 1.2):
        got = hermite_interpolate(t_known, poly.polyval(t_known, coef), poly.polyval(t_known, deriv), t, derivative=1)
        assert np.isclose(got, poly.polyval(t, deriv), rtol=1e-10, atol=1e-10)


def test_hermite_at_gives_each_order_from_one_solve() -> None:
    """The value, slope and second derivative from one coefficient solve equal, bit for bit, those
    of one call each; and the slope is the polynomial's (checked against its derivative)."""
    rng = np.random.default_rng(6)
    t_known = np.array([0.0, 0.15, 0.5, 0.85, 1.0])
    values, slopes = rng.normal(size=(5, 7)), rng.normal(size=(5, 7))
    together = hermite_at(t_known, values, slopes, 0.3, (0, 1, 2))
    for order, got in zip((0, 1, 2), together):
        assert np.array_equal(got, hermite_interpolate(t_known, values, slopes, 0.3, derivative=order))
    step = 1e-6
    ahead, behind = (hermite_interpolate(t_known, values, slopes, 0.3 + s) for s in (step, -step))
    assert np.allclose(together[1], (ahead - behind) / (2 * step), rtol=1e-6, atol=1e-6)


def test_stale_tangent_count_scales_a_warm_start_to_a_start_at_zero() -> None:
    """A path derivative's GMRES from a start 1e-5 (relative residual) from the solution covers
    5 of the 10 decades of TANGENT_RTOL: its iterations count twice for the staleness rule;
    without a start, or with one worse than zero, they count as they are."""
    n = 30
    rng = np.random.default_rng(5)
    matrix = SparseMatrix(np.arange(n), np.arange(n), rng.uniform(1.0, 2.0, n), n)
    solution = rng.normal(size=n)
    rhs = matrix.matvec(solution)
    direction = rng.normal(size=n)
    close = solution + 1e-5 * np.linalg.norm(rhs) * direction / np.linalg.norm(matrix.matvec(direction))
    assert TANGENT_RTOL == 1e-10
    assert np.isclose(_iterations_from_zero(matrix, rhs, close, 3), 6.0)
    assert _iterations_from_zero(matrix, rhs, None, 3) == 3.0
    assert _iterations_from_zero(matrix, rhs, -5 * solution, 3) == 3.0
    # a start within a decade of the target counts as one decade, not as a tiny fraction
    assert _iterations_from_zero(matrix, rhs, solution, 1) == 10.0


@pytest.fixture(scope="module")
def coarse_and_fine():
    database = synthetic_database(regions=3, commodities=4, seed=1)
    prepared = prepare(database)
    model = prepared.model
    path = _shock_vector(model, model.coefficients, database, prepared.exogenous, [("tm", 10.0)], None)
    coarse = _solve_nodes(model, path, 4, 1e-9)
    fine = _solve_nodes(model, path, 8, 1e-9, known=dict(enumerate(coarse)))
    return coarse, fine


def test_refined_nodes_start_next_to_their_solution(coarse_and_fine) -> None:
    """The nodes a refinement adds start from the polynomial through the coarser level's
    solutions and path derivatives: one Newton step at most (from the previous node plus its
    derivative times the step, two or three)."""
    coarse, fine = coarse_and_fine
    assert [node.t for node in fine[::2]] == [node.t for node in coarse]
    new = fine[1::2]
    assert all(node.iterations <= 1 for node in new), [node.iterations for node in new]
    assert max(node.residual for node in fine) <= 1e-9


def test_preconditioners_give_the_nearest_and_keep_within_the_fill_budget() -> None:
    class Factors:  # stands in for a Factorization: only its fill matters here
        def __init__(self, fill: int) -> None:
            self.fill = fill

    kept = Preconditioners()
    assert kept.nearest(0.3) is None
    a, b, c = Factors(KEPT_FILL // 3), Factors(KEPT_FILL // 3), Factors(KEPT_FILL // 3)
    kept.add(0.0, a)
    kept.add(1.0, b)
    kept.add(1.0, b)  # the same one twice is kept once
    assert len(kept.kept) == 2
    assert kept.nearest(0.4) is a and kept.nearest(0.6) is b
    kept.add(0.5, c)
    assert kept.nearest(0.45) is c
    d = Factors(KEPT_FILL // 3)
    kept.add(0.9, d)  # over the budget: the kept one nearest to 0.9 (b at 1.0) goes
    assert [t for t, _ in kept.kept] == [0.0, 0.5, 0.9]
    assert sum(f.fill for _, f in kept.kept) <= KEPT_FILL


def test_path_derivatives_from_the_last_newton_steps_jacobian_match_fresh_ones(monkeypatch) -> None:
    """Where factorisations are kept along the path (here forced: CHEAP_LU_FILL = 0), a node whose
    last Newton step was below REUSED_JACOBIAN_STEP solves its path derivative with that step's
    Jacobian: fewer Jacobian evaluations, the same solutions (a Newton start moves with the
    derivatives before it, so it may take one polishing step more or fewer) and derivatives within
    1e-8 of those with fresh Jacobians. A derivative whose residual against the Jacobian at the
    solution is above REUSED_TANGENT_RTOL is solved again with that Jacobian (here: all of them)."""
    database = synthetic_database(regions=3, commodities=4, seed=2)
    prepared = prepare(database)
    model = prepared.model
    path = _shock_vector(model, model.coefficients, database, prepared.exogenous, [("tms", 20.0)], None)
    evaluations = []
    original = TapeSystem.eval_jacobian_values

    def counted(self, z, p):
        evaluations.append(1)
        return original(self, z, p)

    monkeypatch.setattr(TapeSystem, "eval_jacobian_values", counted)
    monkeypatch.setattr(simulate, "CHEAP_LU_FILL", 0)

    def solve_path():
        evaluations.clear()
        coarse = _solve_nodes(model, path, 4, 1e-9)
        fine = _solve_nodes(model, path, 8, 1e-9, known=dict(enumerate(coarse)))
        return fine, len(evaluations)

    reused, count_reused = solve_path()
    monkeypatch.setattr(simulate, "REUSED_TANGENT_RTOL", 0.0)  # every check fails: a fresh Jacobian each
    checked, count_checked = solve_path()
    monkeypatch.setattr(simulate, "REUSED_JACOBIAN_STEP", -1.0)  # never reuse
    fresh, count_fresh = solve_path()
    assert REUSED_JACOBIAN_STEP == 1e-8
    assert count_reused < count_fresh == count_checked
    for a, b in zip(reused, fresh):  # measured: 6e-12 and 1.9e-9
        assert np.max(np.abs(a.x - b.x) / np.abs(b.x)) <= 1e-10
        assert np.max(np.abs(a.dx - b.dx)) <= 1e-8 * np.max(np.abs(b.dx))
    for a, b in zip(checked, fresh):
        assert np.max(np.abs(a.dx - b.dx)) <= 1e-8 * np.max(np.abs(b.dx))
