"""CES building blocks in calibrated share form (prices and quantities are indices = 1 at benchmark)."""

from __future__ import annotations

from collections.abc import Sequence

_CD_TOL = 1e-9


def ces_price(terms: Sequence[tuple[float, object]], sigma: float):
    """Unit cost index of a CES aggregate.

    Parameters
    ----------
    terms : sequence of (share, price)
        Benchmark value shares [fraction, summing to 1] and price indices (Pyomo expressions).
    sigma : float
        Elasticity of substitution [unitless]; 0 = Leontief, 1 = Cobb-Douglas.

    Returns
    -------
    Pyomo expression
        ``(Σ θ p^(1-σ))^(1/(1-σ))``, ``Π p^θ`` when σ = 1, ``Σ θ p`` when σ = 0.
    """
    if len(terms) == 1:
        return terms[0][1]
    if abs(sigma - 1.0) < _CD_TOL:
        expr = 1.0
        for share, price in terms:
            expr = expr * price**share
        return expr
    if sigma == 0.0:
        return sum(share * price for share, price in terms)
    rho = 1.0 - sigma
    return sum(share * price**rho for share, price in terms) ** (1.0 / rho)


def ces_demand(quantity, agg_price, price, sigma: float):
    """Conditional demand index ``q (P / p)^σ`` of one input of a CES aggregate."""
    if sigma == 0.0:
        return quantity
    if abs(sigma - 1.0) < _CD_TOL:
        return quantity * agg_price / price
    return quantity * (agg_price / price) ** sigma
