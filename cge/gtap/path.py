"""Integration along the shock path: GEMPACK's index variables, the numeraire, and the levels path.

GEMPACK solves the linearised model along the path of the shock (Gragg's method with Richardson
extrapolation converges to the exact integral of the linear system). For the model's levels
variables that integral is the levels solution at the end point. Some GTAP variables are defined
only by a linearised equation whose shares change along the path: the GDP, trade and terms-of-trade
indices, ``ppriv``, ``p``, ``psave`` and hence ``qsave`` and utility ``u``, the factor price indices
``pfactor`` and ``pfactwld`` (the numeraire). Their values depend on the path, so this module
follows GEMPACK:

- the path: an exogenous percentage-change variable moves log-linearly from its benchmark level to
  its shocked level (``X(t) = X0 (1 + s/100)^t``), a change variable linearly, for ``t`` in [0, 1];
- the levels model is solved at the Chebyshev-Gauss-Lobatto nodes of [0, 1], and the derivative of
  every variable along the path comes from the implicit function theorem
  (``dx/dt = -J^-1 dF/dp dp/dt``, one sparse LU per node);
- each index variable's percentage rate (its TABLO equation, with shares at the node's values) is
  interpolated by a Chebyshev polynomial and integrated; percentage-change variables compound
  (``100 (exp(integral / 100) - 1)``) as GEMPACK accumulates them; the nested node sets of N and N/2
  give an error estimate;
- the numeraire: the levels model fixes a benchmark-weighted index of factor prices, GEMPACK a
  chained (current-weight) index ``pfactwld``. By homogeneity the two solutions differ only by a
  scalar ``lambda(t)`` on every price and value, with ``d ln lambda = d ln pfactwld - sum_w d ln peb``
  (``w`` current factor income shares); it is integrated with the others and applied to the levels.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import numpy.polynomial.chebyshev as cheb

log = logging.getLogger(__name__)


def lobatto_nodes(n: int) -> np.ndarray:
    """The ``n + 1`` Chebyshev-Gauss-Lobatto nodes of [0, 1], increasing from 0 to 1."""
    if n < 1:
        raise ValueError("at least two nodes")
    return (1.0 - np.cos(np.pi * np.arange(n + 1) / n)) / 2.0


@lru_cache(maxsize=32)
def integration_matrix(n: int) -> np.ndarray:
    """Matrix M with ``M @ f(t_k)`` = the integral from 0 to each Lobatto node ``t_k`` of the
    degree-n polynomial through the samples ``f(t_k)`` (Clenshaw-Curtis cumulative weights)."""
    x = 2.0 * lobatto_nodes(n) - 1.0
    coef = cheb.chebfit(x, np.eye(n + 1), n)  # columns: the interpolant of each unit sample
    integral = cheb.chebint(coef, lbnd=-1.0) / 2.0
    out = np.asarray(cheb.chebval(x, integral)).T  # (node, sample)
    out[0] = 0.0
    return out


@lru_cache(maxsize=32)
def differentiation_matrix(n: int) -> np.ndarray:
    """Matrix D with ``D @ F(t_k)`` = the derivative at the nodes of the polynomial through F."""
    x = 2.0 * lobatto_nodes(n) - 1.0
    coef = cheb.chebfit(x, np.eye(n + 1), n)
    return np.asarray(cheb.chebval(x, cheb.chebder(coef) * 2.0)).T


def cumulative_integral(values: np.ndarray, n: int) -> np.ndarray:
    """Integral from 0 to each node of a function sampled at :func:`lobatto_nodes` ``(n)``.

    Parameters
    ----------
    values : ndarray
        Samples, shape ``(n + 1, ...)``: one row per node.
    n : int
        Number of intervals (nodes - 1).

    Returns
    -------
    ndarray
        Same shape: the integral from 0 to ``t_k`` for each node k (row 0 is zero).
    """
    flat = np.asarray(values, dtype=float).reshape(n + 1, -1)
    return (integration_matrix(n) @ flat).reshape(np.shape(values))


def subset_nodes(n: int) -> np.ndarray:
    """Indices of the ``n // 2`` Lobatto nodes among the ``n`` ones (every second node)."""
    return np.arange(0, n + 1, 2)


@dataclass
class PathState:
    """Levels values and rates of the model's variables at one node of the path.

    ``values[name]`` are dense arrays over the variable's sets (levels indices, 1 at the
    benchmark; changes for change variables); ``rates[name]`` are percentage rates
    ``100 d ln X / dt`` (pct variables) or ``d X / dt`` (change variables), in GEMPACK's
    normalisation (the numeraire correction included).
    """

    t: float
    values: dict[str, np.ndarray]
    rates: dict[str, np.ndarray]
    scale: float = 1.0  # lambda(t): GEMPACK's price level over the levels model's
    extra: dict[str, np.ndarray] = field(default_factory=dict)


def hermite_interpolate(
    t_known: np.ndarray, values: np.ndarray, slopes: np.ndarray, t: float, derivative: int = 0
) -> np.ndarray:
    """Value (or a derivative) at ``t`` of the polynomial of degree ``2 m - 1`` through ``m``
    points of [0, 1] with their values and slopes (confluent interpolation in the Chebyshev basis).

    Parameters
    ----------
    t_known : ndarray
        The ``m`` distinct points, shape ``(m,)``.
    values, slopes : ndarray
        The function and its derivative at them, shape ``(m, ...)``.
    t : float
        Where to evaluate (inside or outside [0, 1]).
    derivative : int
        Order of the derivative in t (0: the value).

    Returns
    -------
    ndarray
        Shape ``values.shape[1:]``.
    """
    return hermite_at(t_known, values, slopes, t, (derivative,))[0]


def hermite_at(
    t_known: np.ndarray, values: np.ndarray, slopes: np.ndarray, t: float, derivatives: tuple[int, ...] = (0, 1)
) -> list[np.ndarray]:
    """:func:`hermite_interpolate` for several orders of derivative at once (default: the value
    and the slope), from one solve for the polynomial's coefficients."""
    x = 2.0 * np.asarray(t_known, dtype=float) - 1.0
    degree = 2 * x.size - 1
    basis = np.eye(degree + 1)
    vander = cheb.chebvander(x, degree)
    slope_vander = 2.0 * cheb.chebval(x, cheb.chebder(basis, axis=0)).T  # column k: the slope of T_k
    shape = values.shape[1:]
    data = np.concatenate([values.reshape(x.size, -1), slopes.reshape(x.size, -1)])
    coef = np.linalg.solve(np.concatenate([vander, slope_vander]), data)
    out = []
    for derivative in derivatives:
        if derivative:
            at_t = 2.0**derivative * cheb.chebval(2.0 * t - 1.0, cheb.chebder(basis, derivative, axis=0))
        else:
            at_t = cheb.chebvander(np.array([2.0 * t - 1.0]), degree)[0]
        out.append((at_t @ coef).reshape(shape))
    return out
