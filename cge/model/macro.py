"""Macro closures: how investment, savings and the trade balance adjust.

In every region savings are a fixed share of income (``save``) and savings = investment + trade
balance. A macro closure says which of investment and the trade balance is set and how:

* ``fixed_trade_balance``: each region's trade balance is fixed in numeraire units, investment
  absorbs the rest (every region must invest);
* ``global_bank``: world savings are pooled, each investing region gets its benchmark share;
* ``rate_of_return``: GTAP's rate-of-return global bank — investment is allocated so that
  expected rates of return move together (eqs. M3–M5 of docs/model.md).

A region in ``Closure.trade_balance_targets`` has its trade balance set to
``tb_level · pnum + tb_share · GDP`` under any of them (its investment = savings − target).
Under ``fixed_trade_balance`` the counterpart of the targets is spread over the other regions
in proportion to their benchmark GDP, so world trade still balances.
"""

from __future__ import annotations

import pyomo.environ as pyo

from cge.dims import INVESTMENT
from cge.model.closures import Closure, ClosureError, MacroClosure
from cge.model.components import WORLD
from cge.model.index import ModelIndex
from cge.model.lookup import Lookup
from cge.model.metadata import doc


def _investment(m: pyo.ConcreteModel, lk: Lookup, r: str):
    """Investment spending of region ``r`` at current prices [US$ million]."""
    return lk("fd0")[INVESTMENT, r] * m.pfd[INVESTMENT, r] * m.qfdt[INVESTMENT, r]


def _target(m: pyo.ConcreteModel, lk: Lookup, r: str):
    """Trade-balance target of region ``r`` [US$ million]: level in numeraire units + share of GDP."""
    return m.tb_level[r] * m.pnum + m.tb_share[r] * lk("y0")[r] * m.y[r]


def _require_investment(
    ix: ModelIndex, lk: Lookup, regions, closure: Closure, why: str, unless_no_savings: bool = False
) -> None:
    """Regions must invest when a rule sets their investment; with ``unless_no_savings`` a region
    without investment and without savings passes (it has nothing to balance)."""
    savings = lk("savings")
    lacking = set(regions) - set(ix.investing_regions)
    missing = sorted(r for r in lacking if savings[r] > 0 or not unless_no_savings)
    if missing:
        raise ClosureError(
            f"regions {missing} have no investment demand, so {why} cannot hold under macro={closure.macro.value}; "
            "use macro='rate_of_return' or 'global_bank' (their savings then finance other regions' investment)"
        )


def _investment_equation(m: pyo.ConcreteModel, lk: Lookup, regions: list[str], trade_balance) -> None:
    """``eq_investment``: investment = savings − trade balance (``trade_balance(r)`` [US$ million])."""
    fd0 = lk("fd0")
    m.eq_investment = pyo.Constraint(
        regions,
        rule=lambda _m, r: (_investment(m, lk, r) - m.save[r] + trade_balance(r)) / fd0[INVESTMENT, r] == 0,
        doc=doc("eq_investment"),
    )


def macro_fixed_trade_balance(m: pyo.ConcreteModel, ix: ModelIndex, lk: Lookup, closure: Closure) -> None:
    """Trade balance fixed in numeraire units (or at its target); investment = savings − trade balance."""
    _require_investment(ix, lk, ix.regions, closure, "a fixed trade balance", unless_no_savings=True)
    tb0, y0 = lk("tb0"), lk("y0")
    targets = set(closure.trade_balance_targets)
    others = [r for r in ix.investing_regions if r not in targets]  # a region without investment keeps 0
    if targets and not others:
        raise ClosureError("every region has a trade-balance target; leave one region free to balance world trade")
    gdp_others = sum(y0[r] for r in others)

    def balance(r):
        if r in targets:
            return _target(m, lk, r)
        offset = sum(_target(m, lk, x) - tb0[x] * m.pnum for x in sorted(targets))
        return tb0[r] * m.pnum - (y0[r] / gdp_others) * offset

    _investment_equation(m, lk, list(ix.investing_regions), balance)


def _pooled(ix: ModelIndex, lk: Lookup, closure: Closure) -> list[str]:
    """Investing regions without a target; an empty pool is an error unless there is nothing to
    pool (no investment anywhere and no savings)."""
    targets = set(closure.trade_balance_targets)
    _require_investment(ix, lk, targets, closure, "a trade-balance target")
    pooled = [r for r in ix.investing_regions if r not in targets]
    savings = lk("savings")
    if not pooled and (ix.investing_regions or any(savings[r] > 0 for r in ix.regions)):
        raise ClosureError(f"{closure.macro.value} needs at least one investing region without a trade-balance target")
    return pooled


def macro_global_bank(m: pyo.ConcreteModel, ix: ModelIndex, lk: Lookup, closure: Closure) -> None:
    """Each investing region without a target invests its benchmark share of the world savings
    left after the targeted regions' investment."""
    targets = set(closure.trade_balance_targets)
    fd0 = lk("fd0")
    pooled = _pooled(ix, lk, closure)
    pooled_base = sum(fd0[INVESTMENT, r] for r in pooled)

    def balance(r):
        if r in targets:
            return _target(m, lk, r)
        world_savings = sum(m.save[s] for s in ix.regions)
        targeted_investment = sum(m.save[x] - _target(m, lk, x) for x in sorted(targets))
        investment = fd0[INVESTMENT, r] / pooled_base * (world_savings - targeted_investment)
        return m.save[r] - investment

    _investment_equation(m, lk, list(ix.investing_regions), balance)


def macro_rate_of_return(m: pyo.ConcreteModel, ix: ModelIndex, lk: Lookup, closure: Closure) -> None:
    """GTAP's rate-of-return global bank (Hertel 1997 ch. 2, RORDELTA = 1).

    Expected rate of return ``rore = rorc · (KE/KB)^(−RORFLEX)`` relative to the benchmark, with
    end-of-period capital ``KE = (1 − δ) KB + I``; every investing region without a target has
    ``rore = rorg`` (one world rate); world investment = world savings.
    """
    targets = set(closure.trade_balance_targets)
    fd0 = lk("fd0")
    pooled = _pooled(ix, lk, closure)
    if not pooled:  # nothing to allocate: no investment and no savings anywhere
        return
    no_capital = sorted(set(pooled) - set(m.rore.index_set()))
    if no_capital:
        raise ClosureError(f"rate_of_return needs capital income in the investing regions {no_capital}")
    _investment_equation(m, lk, sorted(targets), lambda r: _target(m, lk, r))

    m.eq_rate_of_return = pyo.Constraint(
        pooled, rule=lambda _m, r: m.rore[r] - m.rorg[WORLD] == 0, doc=doc("eq_rate_of_return")
    )
    world = sum(fd0[INVESTMENT, r] for r in ix.investing_regions)
    m.eq_world_investment = pyo.Constraint(
        expr=(sum(_investment(m, lk, r) for r in ix.investing_regions) - sum(m.save[r] for r in ix.regions)) / world
        == 0,
        doc=doc("eq_world_investment"),
    )


MACRO_CLOSURES = {
    MacroClosure.FIXED_TRADE_BALANCE: macro_fixed_trade_balance,
    MacroClosure.GLOBAL_BANK: macro_global_bank,
    MacroClosure.RATE_OF_RETURN: macro_rate_of_return,
}
