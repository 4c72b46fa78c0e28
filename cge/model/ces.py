"""CES building blocks in calibrated share form (prices and quantities are indices = 1 at benchmark)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

_CD_TOL = 1e-9


class Sigma(NamedTuple):
    """An elasticity of substitution: its calibrated value fixes the functional form (0: Leontief,
    1: Cobb-Douglas, else general CES); the general form uses ``symbol`` (a mutable Pyomo
    parameter), so a new value of the same form changes numbers, not the compiled model."""

    value: float
    symbol: Any


def is_special(value: float) -> bool:
    """Whether an elasticity value selects a special form (Leontief or Cobb-Douglas)."""
    return value == 0.0 or abs(value - 1.0) < _CD_TOL


def _parts(sigma) -> tuple[float, Any]:
    return (sigma.value, sigma.symbol) if isinstance(sigma, Sigma) else (sigma, sigma)


def ces_price(terms: Sequence[tuple[float, Any]], sigma: Sigma | float):
    """Unit cost index of a CES aggregate.

    Parameters
    ----------
    terms : sequence of (share, price)
        Benchmark value shares [fraction, summing to 1] and price indices (Pyomo expressions).
    sigma : Sigma or float
        Elasticity of substitution [unitless]; 0 = Leontief, 1 = Cobb-Douglas.

    Returns
    -------
    Pyomo expression
        ``(Σ θ p^(1-σ))^(1/(1-σ))``, ``Π p^θ`` when σ = 1, ``Σ θ p`` when σ = 0.
    """
    value, symbol = _parts(sigma)
    if len(terms) == 1:
        return terms[0][1]
    if abs(value - 1.0) < _CD_TOL:
        expr = 1.0
        for share, price in terms:
            expr = expr * price**share
        return expr
    if value == 0.0:
        return sum(share * price for share, price in terms)
    rho = 1.0 - symbol
    return sum(share * price**rho for share, price in terms) ** (1.0 / rho)


def ces_demand(quantity, agg_price, price, sigma: Sigma | float):
    """Conditional demand index ``q (P / p)^σ`` of one input of a CES aggregate."""
    value, symbol = _parts(sigma)
    if value == 0.0:
        return quantity
    if abs(value - 1.0) < _CD_TOL:
        return quantity * agg_price / price
    return quantity * (agg_price / price) ** symbol
