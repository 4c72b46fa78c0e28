"""Aggregates block: the economy-wide expressions that closures, welfare and the results share.

Savings and the price of savings, the regional household's utility and its equivalent
variation, the consumer price index, average wage and rental rates, the trade balance, the
capital stock and the current and expected rates of return on capital. All are Pyomo ``Expression`` objects
(no new unknowns): the model states each concept once, and results evaluate it.
"""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from cge.dims import GOVERNMENT, HOUSEHOLD, INVESTMENT
from cge.model.index import ModelIndex
from cge.model.lookup import Lookup
from cge.model.metadata import doc


def _price_index(m: pyo.ConcreteModel, lk: Lookup, uses: list[tuple[str, str, str]]):
    """Laspeyres index of the prices ``pfe`` of factor uses, weighted by benchmark payments."""
    vfm = lk("vfm")
    total = sum(vfm[k] for k in uses)
    return sum(vfm[k] * m.pfe[k] for k in uses) / total


def add_aggregates(m: pyo.ConcreteModel, ix: ModelIndex, lk: Lookup, endogenous: list[tuple[str, str]]) -> None:
    """Add the aggregate expressions (equation numbers refer to docs/model.md).

    Parameters
    ----------
    m : ConcreteModel
        Model with prices, quantities and final demand already declared.
    ix : ModelIndex
        Sparse index sets.
    lk : Lookup
        Calibrated values.
    endogenous : list of (factor, region)
        Endowments that are variables (``qendow``) under the closure.
    """
    y0, fd0, sav, cif0, endow0 = lk("y0"), lk("fd0"), lk("savings"), lk("cif0"), lk("endow0")
    agents = set(ix.fd_agents)
    investors = set(ix.investing_regions)
    world_investment = sum(fd0[INVESTMENT, r] for r in investors)

    m.save = pyo.Expression(ix.regions, rule=lambda _m, r: sav[r] * m.y[r], doc=doc("save"))

    def psave(_m, r):
        if r in investors:
            return m.pfd[INVESTMENT, r]
        if not investors:
            return m.pnum
        return sum(fd0[INVESTMENT, s] * m.pfd[INVESTMENT, s] for s in investors) / world_investment

    m.psave = pyo.Expression(ix.regions, rule=psave, doc=doc("psave"))

    def utility(_m, r):
        expr = 1.0
        for agent in (HOUSEHOLD, GOVERNMENT):
            if (agent, r) in agents:
                expr = expr * m.qfdt[agent, r] ** (fd0[agent, r] / y0[r])
        if sav[r] > 0:
            expr = expr * (m.y[r] / m.psave[r]) ** (sav[r] / y0[r])
        return expr

    m.utility = pyo.Expression(ix.regions, rule=utility, doc=doc("utility"))
    m.ev = pyo.Expression(ix.regions, rule=lambda _m, r: y0[r] * (m.utility[r] - 1.0), doc=doc("ev"))
    households = [r for r in ix.regions if (HOUSEHOLD, r) in agents]
    m.cpi = pyo.Expression(households, rule=lambda _m, r: m.pfd[HOUSEHOLD, r], doc=doc("cpi"))

    labour_types = {f for f, _r in ix.labour_factors}
    capital_types = {f for f, _r in ix.capital_factors}
    labour_uses, capital_uses = defaultdict(list), defaultdict(list)
    for f, j, r in ix.factor_uses:
        if f in labour_types:
            labour_uses[r].append((f, j, r))
        elif f in capital_types:
            capital_uses[r].append((f, j, r))
    m.wage = pyo.Expression(
        sorted(labour_uses), rule=lambda _m, r: _price_index(m, lk, labour_uses[r]), doc=doc("wage")
    )
    m.rental = pyo.Expression(
        sorted(capital_uses), rule=lambda _m, r: _price_index(m, lk, capital_uses[r]), doc=doc("rental")
    )

    def trade_balance(_m, r):
        value = 0.0
        for i, s, d in ix.flows:
            if r in (s, d):
                flow = cif0[i, s, d] * m.pfob[i, s, d] * m.tau[i, s, d] * m.qxs[i, s, d]
                value += flow if s == r else -flow
        return value

    m.trade_balance = pyo.Expression(ix.regions, rule=trade_balance, doc=doc("trade_balance"))

    is_endogenous = set(endogenous)
    capital_of = defaultdict(list)
    for f, r in ix.capital_factors:
        capital_of[r].append(f)

    def capital_stock(_m, r):
        stock = [
            (endow0[f, r], m.qendow[f, r] if (f, r) in is_endogenous else m.endowment[f, r]) for f in capital_of[r]
        ]
        return sum(w * q for w, q in stock) / sum(w for w, _q in stock)

    m.capital_stock = pyo.Expression(sorted(capital_of), rule=capital_stock, doc=doc("capital_stock"))
    gross, delta = lk("gross_return"), lk("depreciation_rate")

    def rorc(_m, r):
        return (gross[r] * m.rental[r] / m.pfd[INVESTMENT, r] - delta[r]) / (gross[r] - delta[r])

    with_capital = sorted(investors & set(capital_uses))
    m.rorc = pyo.Expression(with_capital, rule=rorc, doc=doc("rorc"))
    ik0 = lk("investment_capital_ratio")

    def expected_return(_m, r):
        # GTAP: rore = rorc (KE/KB)^-RORFLEX with end-of-period capital KE = (1 - δ) KB + I
        growth = ((1.0 - delta[r]) + ik0[r] * m.qfdt[INVESTMENT, r] / m.capital_stock[r]) / ((1.0 - delta[r]) + ik0[r])
        return m.rorc[r] * growth ** (-m.rorflex[r])

    m.rore = pyo.Expression(with_capital, rule=expected_return, doc=doc("rore"))
