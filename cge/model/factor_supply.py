"""Factor-supply closures: labour per region (full employment, wage curve, fixed real wage) and
the steady-state capital stock.

Labour: with real wage index ``ω = pf / (cpi · real_wage)`` [benchmark 1], employment
``qendow = ω^ε`` — the levels form of GTAP's linear labour-supply equation
``qo(labour) = ε (pf − ppriv)``. ε = 0 is full employment (no equation: the endowment is a
parameter) and ε = ∞ the fixed real wage (``ω = 1``); both limits are their own named closures.

Capital (steady state): the rental rate relative to the investment price is fixed (so is GTAP's
current rate of return ``rorc``), and the capital stock ``qendow`` is endogenous (GTAP's swap of
``qo("capital")`` with ``rorc``; Francois, McDonald and Nordström 1996). Investment follows the
macro closure rather than a fixed ratio to the capital stock, so the closure composes with every
macro closure and the regional household keeps its savings share (one definition of EV). The EV
therefore includes the income on the additional capital without deducting the saving that would
have to build it; the welfare decomposition shows that income as the capital endowment
component.
"""

from __future__ import annotations

import pyomo.environ as pyo

from cge.dims import HOUSEHOLD, INVESTMENT
from cge.model.closures import CapitalClosure, Closure, ClosureError, LabourClosure
from cge.model.index import ModelIndex
from cge.model.lookup import Lookup
from cge.model.metadata import doc


def add_labour_supply(m: pyo.ConcreteModel, ix: ModelIndex, lk: Lookup, closure: Closure) -> None:
    """``eq_wage_curve`` and ``eq_real_wage`` for the labour endowments of each region's closure."""
    by_closure = {c: [(f, r) for f, r in ix.labour_factors if closure.labour_in(r) == c] for c in LabourClosure}
    has_household = {r for a, r in ix.fd_agents if a == HOUSEHOLD}
    flexible = by_closure[LabourClosure.WAGE_CURVE] + by_closure[LabourClosure.FIXED_REAL_WAGE]
    missing = sorted({r for _f, r in flexible} - has_household)
    if missing:
        raise ClosureError(
            f"the wage_curve and fixed_real_wage closures need household consumption in regions {missing}"
        )

    def real_wage_index(f, r):
        return m.pf[f, r] / (m.pfd[HOUSEHOLD, r] * m.real_wage[f, r])

    m.eq_wage_curve = pyo.Constraint(
        by_closure[LabourClosure.WAGE_CURVE],
        rule=lambda _m, f, r: m.qendow[f, r] - real_wage_index(f, r) ** m.labour_supply_elasticity[r] == 0,
        doc=doc("eq_wage_curve"),
    )
    m.eq_real_wage = pyo.Constraint(
        by_closure[LabourClosure.FIXED_REAL_WAGE],
        rule=lambda _m, f, r: m.pf[f, r] - m.pfd[HOUSEHOLD, r] * m.real_wage[f, r] == 0,
        doc=doc("eq_real_wage"),
    )


def add_capital_supply(m: pyo.ConcreteModel, ix: ModelIndex, lk: Lookup, closure: Closure) -> None:
    """``eq_capital_return`` (steady state): rental = investment price × fixed real rental."""
    steady = closure.capital == CapitalClosure.STEADY_STATE
    uses = list(ix.capital_factors) if steady else []
    missing = sorted({r for _f, r in uses} - set(ix.investing_regions))
    if missing:
        raise ClosureError(f"steady_state capital needs investment demand (the price of capital) in regions {missing}")
    m.eq_capital_return = pyo.Constraint(
        uses,
        rule=lambda _m, f, r: m.pf[f, r] - m.pfd[INVESTMENT, r] * m.real_rental[f, r] == 0,
        doc=doc("eq_capital_return"),
    )
