"""Functional forms of GTAP v7 in levels, normalised to 1 at the benchmark.

Every price and quantity in the model is an index equal to 1 in the database, so a CES nest is
written with the benchmark value shares ``w`` of its inputs:

- unit cost (price index): ``P = [sum_i w_i P_i^(1 - sigma)]^(1 / (1 - sigma))``, the
  Cobb-Douglas limit ``P = prod_i P_i^w_i`` where ``sigma = 1``, and ``P = sum_i w_i P_i``
  (Leontief) where ``sigma = 0``;
- demand for input i: ``Q_i = Q (P_i / P)^(-sigma)``.

A CET frontier (ETRAQ, ETRAE, which GTAP stores as negative numbers ``E``) has the revenue index
``P = [sum_i w_i P_i^(1 - E)]^(1 / (1 - E))`` and supplies ``Q_i = Q (P_i / P)^(-E)``.

These are the exact integrals of GTAP's linearised equations, whose shares are the current value
shares: for a CES nest the Divisia index of the inputs' prices weighted by current shares is the
CES unit cost itself. Where GEMPACK's shares are a zero-divide default (an input bundle with no
benchmark value), GEMPACK keeps the default weights at every step, so the exact integral is the
geometric mean with those weights: :func:`ces_price` takes such groups as ``default_mask``.
"""

from __future__ import annotations

import numpy as np

from cge.gtap.model.algebra import Term

UNIT_SIGMA_TOL = 1e-9
"""Elasticities within this distance of 1 use the Cobb-Douglas form."""


def ces_price(
    prices: Term,
    shares: np.ndarray,
    sigma: np.ndarray | float,
    over: str | tuple[str, ...],
    default_mask: np.ndarray | None = None,
) -> Term:
    """CES unit-cost index of ``prices`` aggregated over the set(s) ``over``.

    Parameters
    ----------
    prices : Term
        Input price indices [benchmark = 1].
    shares : ndarray
        Benchmark value shares of the inputs, over ``prices.dims`` (C order), summing to 1 over
        ``over`` [fraction].
    sigma : ndarray or float
        Elasticity of substitution, over the output's sets (C order) or one number [unitless].
    over : str or tuple of str
        Set(s) aggregated over.
    default_mask : ndarray of bool, optional
        Output entries whose shares are GEMPACK's zero-divide defaults: aggregated log-linearly.

    Returns
    -------
    Term
        The price index over the remaining sets [benchmark = 1].
    """
    over = (over,) if isinstance(over, str) else tuple(over)
    out_dims = tuple(d for d in prices.dims if d not in over)
    n_out = prices.space.count(out_dims)
    sig = (
        np.broadcast_to(np.asarray(sigma, dtype=float), (n_out,)).astype(float)
        if np.ndim(sigma) == 0
        else np.asarray(sigma, float).reshape(-1)
    )
    unit = np.abs(sig - 1.0) < UNIT_SIGMA_TOL
    if default_mask is not None:
        unit = unit | np.asarray(default_mask, dtype=bool).reshape(-1)
    w = Term(np.asarray(shares, dtype=float).reshape(-1), prices.dims, prices.space)
    parts = []
    if unit.any():
        geometric = (prices.log() * w).sum(*over).exp()
        parts.append((unit, geometric))
    if (~unit).any():
        rho = np.where(unit, 0.5, 1.0 - sig)  # 0.5: any safe value where the CES form is not used
        rho_t = Term(rho, out_dims, prices.space)
        power = prices**rho_t
        ces = (power * w).sum(*over) ** (1.0 / rho)
        parts.append((~unit, ces))
    if len(parts) == 1:
        return parts[0][1]
    return _blend(parts, out_dims, prices)


def _blend(parts: list[tuple[np.ndarray, Term]], dims: tuple[str, ...], like: Term) -> Term:
    """Combine terms by entry masks (each entry from exactly one part)."""
    pieces = [term * mask.astype(float) for mask, term in parts]
    total = pieces[0]
    for piece in pieces[1:]:
        total = total + piece
    return total


def ces_demand(quantity: Term, price: Term, aggregate_price: Term, sigma: np.ndarray | float) -> Term:
    """Demand ``Q_i = Q (P_i / P)^(-sigma)`` over the inputs' sets [benchmark = 1].

    ``quantity`` and ``aggregate_price`` are over (a subset of) the inputs' sets; ``sigma`` is a
    number or an array over the inputs' sets (C order).
    """
    dims = price.dims
    ratio = price / aggregate_price.expand(dims)
    exponent = -np.asarray(sigma, dtype=float)
    return quantity.expand(dims) * ratio ** (exponent if exponent.ndim == 0 else exponent.reshape(-1))


def cet_price(prices: Term, shares: np.ndarray, elasticity: np.ndarray, over: str) -> Term:
    """CET revenue index (``elasticity`` = GTAP's negative ETRAQ/ETRAE, over the output's sets)."""
    return ces_price(prices, shares, elasticity, over)


def cet_supply(quantity: Term, price: Term, aggregate_price: Term, elasticity: np.ndarray) -> Term:
    """CET supply ``Q_i = Q (P_i / P)^(-E)`` (E negative: supply rises with its own price)."""
    return ces_demand(quantity, price, aggregate_price, elasticity)
