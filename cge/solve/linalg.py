"""Linear algebra of the Newton–Krylov iteration: the sparse Jacobian as triplets, its
factorisation (dense up to :data:`DENSE_MAX` unknowns, SuperLU above) and a right-preconditioned
restarted GMRES.

SciPy's sparse LU is imported only for systems above :data:`DENSE_MAX` unknowns.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cache, cached_property, wraps
from typing import ParamSpec, TypeVar

import numpy as np

DENSE_MAX = 1000
"""Largest system factorised as a dense matrix (NumPy/LAPACK); larger ones use SuperLU."""

P = ParamSpec("P")
R = TypeVar("R")

LU_ORDERING = "MMD_ATA"
"""Column ordering of SuperLU. Measured at 41 x 35 (6,033 unknowns, benchmarks/README.md):
minimum degree on AᵀA fills 14.1 M nonzeros in 3.1 s, COLAMD 18.4 M in 4.5 s, MMD on Aᵀ+A
17.2 M in 7.3 s."""


@cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def single_threaded_blas() -> AbstractContextManager:
    """Limit BLAS to one thread (threadpoolctl). The dense products and factorisations here are
    small; on a busy machine OpenBLAS's threads wait for each other: the inverse of the shipped
    5 x 17 model's 385 x 385 Jacobian took 0.12 s with two threads and 0.004 s with one."""
    return _blas_controller().limit(limits=1, user_api="blas")


def within(context: Callable[[], AbstractContextManager]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator factory: run the decorated function inside a fresh ``context()`` at each call."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with context():
                return function(*args, **kwargs)

        return wrapper

    return decorate


with_single_threaded_blas = within(single_threaded_blas)
"""Decorator: run the function under :func:`single_threaded_blas`."""


@dataclass(frozen=True)
class SparseMatrix:
    """A square sparse matrix as triplets (a Jacobian's sparsity pattern and its values).

    ``indptr``, when given, is the CSR row pointer of the triplets, which must then be sorted by
    row without duplicates (a compiled tape's pattern): the CSR matrix of the products is then
    made without a conversion (0.24 instead of 2.8 ms for the 970 k entries of the stress case).
    """

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    n: int
    indptr: np.ndarray | None = None

    def matvec(self, v: np.ndarray) -> np.ndarray:
        if self.n <= DENSE_MAX:  # no SciPy import for small systems
            return np.bincount(self.rows, weights=self.values * v[self.cols], minlength=self.n)
        return self._csr @ v

    @cached_property
    def _csr(self):
        """As a SciPy CSR matrix (large systems: its product is ~10x faster than bincount)."""
        import scipy.sparse as sp

        if self.indptr is not None:
            return sp.csr_matrix((self.values, self.cols, self.indptr), shape=(self.n, self.n))
        return sp.csr_matrix((self.values, (self.rows, self.cols)), shape=(self.n, self.n))

    def dense(self) -> np.ndarray:
        out = np.zeros((self.n, self.n))
        out[self.rows, self.cols] = self.values
        return out

    def csc(self):
        """As a SciPy CSC matrix (imports SciPy)."""
        import scipy.sparse as sp

        return sp.csc_matrix((self.values, (self.rows, self.cols)), shape=(self.n, self.n))


class Factorization:
    """LU factors of a Jacobian: solves with it, and preconditions GMRES for nearby Jacobians.

    Dense (the explicit inverse, from LAPACK) up to :data:`DENSE_MAX` unknowns, SuperLU with
    ``ordering`` (default :data:`LU_ORDERING`) above. With ``precision="single"`` the sparse
    factors are computed and stored in float32: about half the time and memory of a
    factorisation and of each triangular solve, for a preconditioner (GMRES still converges on
    the float64 system; measured on the 31 x 40 stress case of ``benchmarks/gtap_speed.py``: the
    same GMRES iteration counts with a stale preconditioner, 1.3-2.5 s per factorisation instead
    of 3.2-4.7 s). Such factors solve only to about 1e-7 relative (:attr:`exact` is False), so a
    caller that needs an exact solve runs GMRES with them. Dense inverses are always float64.

    Attributes
    ----------
    seconds : float
        Time the factorisation took [s].
    fill : int
        Stored nonzeros (n² when dense; L + U when sparse).
    exact : bool
        Whether :meth:`solve` is accurate to float64 rounding (False for single-precision factors).

    Raises
    ------
    np.linalg.LinAlgError, RuntimeError
        When the matrix is singular.
    """

    def __init__(self, matrix: SparseMatrix, ordering: str | None = None, precision: str = "double"):
        if precision not in ("double", "single"):
            raise ValueError(f"precision must be 'double' or 'single', got {precision!r}")
        t0 = time.perf_counter()
        self.exact = True
        if matrix.n <= DENSE_MAX:
            self._inverse: np.ndarray | None = np.linalg.inv(matrix.dense())
            self._lu = None
            self.fill = matrix.n * matrix.n
        else:
            from scipy.sparse.linalg import splu

            self._inverse = None
            csc = matrix.csc()
            if precision == "single":
                csc = csc.astype(np.float32)
                self.exact = False
            self._lu = splu(csc, permc_spec=ordering or LU_ORDERING)
            self.fill = int(self._lu.L.nnz + self._lu.U.nnz)
        self.seconds = time.perf_counter() - t0

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        if self._lu is None:
            return self._inverse @ rhs
        if self.exact:
            return self._lu.solve(rhs)
        return self._lu.solve(np.asarray(rhs, dtype=np.float32)).astype(np.float64)


def gmres(
    matrix: SparseMatrix,
    rhs: np.ndarray,
    precondition: Factorization,
    rtol: float,
    restart: int,
    max_cycles: int,
    x0: np.ndarray | None = None,
) -> tuple[np.ndarray, int, bool]:
    """Right-preconditioned restarted GMRES for ``matrix @ x = rhs``.

    With right preconditioning the minimised residual is the true one, so the stopping test
    ``||rhs - matrix @ x|| <= rtol ||rhs||`` is checked on the actual system. A start ``x0``
    (an estimate of the solution) is used when its residual is smaller than ``||rhs||`` (that of
    zero); the stopping test is the same.

    Returns
    -------
    (x, iterations, converged)
    """
    n = rhs.size
    x = np.zeros(n)
    rhs_norm = float(np.linalg.norm(rhs))
    target = rtol * rhs_norm
    iterations = 0
    residual = rhs.copy()
    if x0 is not None and np.all(np.isfinite(x0)):
        start_residual = rhs - matrix.matvec(x0)
        if float(np.linalg.norm(start_residual)) < rhs_norm:
            x, residual = np.array(x0, dtype=float), start_residual
    for _cycle in range(max_cycles):
        beta = float(np.linalg.norm(residual))
        if beta <= target:
            return x, iterations, True
        basis = np.zeros((restart + 1, n))
        directions = np.zeros((restart, n))
        hessenberg = np.zeros((restart + 1, restart))
        cos, sin = np.zeros(restart), np.zeros(restart)
        g = np.zeros(restart + 1)
        g[0] = beta
        basis[0] = residual / beta
        size = 0
        for j in range(restart):
            directions[j] = precondition.solve(basis[j])
            w = matrix.matvec(directions[j])
            for _ in range(2):  # classical Gram-Schmidt, twice
                h = basis[: j + 1] @ w
                w -= h @ basis[: j + 1]
                hessenberg[: j + 1, j] += h
            hessenberg[j + 1, j] = np.linalg.norm(w)
            if hessenberg[j + 1, j] > 0:
                basis[j + 1] = w / hessenberg[j + 1, j]
            for i in range(j):  # previous Givens rotations
                a, b = hessenberg[i, j], hessenberg[i + 1, j]
                hessenberg[i, j], hessenberg[i + 1, j] = cos[i] * a + sin[i] * b, -sin[i] * a + cos[i] * b
            a, b = hessenberg[j, j], hessenberg[j + 1, j]
            radius = float(np.hypot(a, b))
            if radius == 0.0:
                break
            cos[j], sin[j] = a / radius, b / radius
            hessenberg[j, j], hessenberg[j + 1, j] = radius, 0.0
            g[j + 1], g[j] = -sin[j] * g[j], cos[j] * g[j]
            iterations += 1
            size = j + 1
            if abs(g[j + 1]) <= target:
                break
        if size == 0:
            break
        y = np.linalg.solve(np.triu(hessenberg[:size, :size]), g[:size])
        x += y @ directions[:size]
        residual = rhs - matrix.matvec(x)
    converged = bool(np.all(np.isfinite(x))) and float(np.linalg.norm(residual)) <= target
    return x, iterations, converged
