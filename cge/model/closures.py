"""Closures, each a named function that adds its equations.

Macro (investment and the trade balance):
  ``fixed_trade_balance`` [default] — each region's trade balance is fixed in numeraire units;
  investment absorbs domestic savings minus the trade balance (foreign savings fixed).
  ``global_bank`` — savings-driven with an endogenous trade balance: world savings are pooled and
  each region invests a fixed share of them (GTAP's global bank with fixed investment shares).
Labour market:
  ``full_employment`` [long run] — labour endowments fixed, wages adjust.
  ``fixed_real_wage`` [short run] — the wage is fixed in consumer prices, employment adjusts.
Capital:
  ``mobile`` [long run] — one rental rate per region.  ``sector_specific`` [short run] — each
  activity keeps its capital stock and earns its own rental.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pyomo.environ as pyo

from cge.dims import HOUSEHOLD, INVESTMENT
from cge.model.index import ModelIndex
from cge.model.lookup import Lookup
from cge.model.metadata import doc


class MacroClosure(StrEnum):
    FIXED_TRADE_BALANCE = "fixed_trade_balance"
    GLOBAL_BANK = "global_bank"


class LabourClosure(StrEnum):
    FULL_EMPLOYMENT = "full_employment"
    FIXED_REAL_WAGE = "fixed_real_wage"


class CapitalClosure(StrEnum):
    MOBILE = "mobile"
    SECTOR_SPECIFIC = "sector_specific"


@dataclass(frozen=True)
class Closure:
    """The closure of one model: its structure, not a shock (changing it rebuilds the model)."""

    macro: MacroClosure = MacroClosure.FIXED_TRADE_BALANCE
    labour: LabourClosure = LabourClosure.FULL_EMPLOYMENT
    capital: CapitalClosure = CapitalClosure.MOBILE

    def __post_init__(self):
        # accept plain strings ("global_bank") as well as the enums; unknown names raise ValueError
        object.__setattr__(self, "macro", MacroClosure(self.macro))
        object.__setattr__(self, "labour", LabourClosure(self.labour))
        object.__setattr__(self, "capital", CapitalClosure(self.capital))

    @property
    def endogenous_labour(self) -> bool:
        return self.labour == LabourClosure.FIXED_REAL_WAGE

    @property
    def capital_mobile(self) -> bool:
        return self.capital == CapitalClosure.MOBILE

    def describe(self) -> str:
        return f"macro={self.macro.value}, labour={self.labour.value}, capital={self.capital.value}"


def macro_fixed_trade_balance(m: pyo.ConcreteModel, ix: ModelIndex, lk: Lookup) -> None:
    """Investment spending = savings − trade balance (benchmark trade balance × numeraire)."""
    fd0, savings, tb0 = lk("fd0"), lk("savings"), lk("tb0")

    def rule(_m, r):
        value = savings[r] * m.y[r] - tb0[r] * m.pnum
        return m.pfd[INVESTMENT, r] * m.qfdt[INVESTMENT, r] - value / fd0[INVESTMENT, r] == 0

    m.eq_investment = pyo.Constraint(ix.regions, rule=rule, doc=doc("eq_investment"))


def macro_global_bank(m: pyo.ConcreteModel, ix: ModelIndex, lk: Lookup) -> None:
    """Investment spending = the region's benchmark share of world savings."""
    fd0, savings = lk("fd0"), lk("savings")
    world_investment = sum(fd0[INVESTMENT, r] for r in ix.regions)

    def rule(_m, r):
        world_savings = sum(savings[s] * m.y[s] for s in ix.regions)
        return m.pfd[INVESTMENT, r] * m.qfdt[INVESTMENT, r] - world_savings / world_investment == 0

    m.eq_investment = pyo.Constraint(ix.regions, rule=rule, doc=doc("eq_investment"))


def labour_full_employment(m: pyo.ConcreteModel, ix: ModelIndex, lk: Lookup) -> None:
    """Labour endowments are fixed parameters (``endowment``); no extra equation."""


def labour_fixed_real_wage(m: pyo.ConcreteModel, ix: ModelIndex, lk: Lookup) -> None:
    """Wage of each labour factor = household consumer price index × fixed real wage."""
    has_household = {r for a, r in ix.fd_agents if a == HOUSEHOLD}
    missing = sorted({r for _f, r in ix.labour_factors} - has_household)
    if missing:
        raise ValueError(f"fixed_real_wage closure needs household consumption in regions {missing}")
    m.eq_real_wage = pyo.Constraint(
        ix.labour_factors,
        rule=lambda _m, f, r: m.pf[f, r] - m.pfd[HOUSEHOLD, r] * m.real_wage[f, r] == 0,
        doc=doc("eq_real_wage"),
    )


MACRO_CLOSURES = {
    MacroClosure.FIXED_TRADE_BALANCE: macro_fixed_trade_balance,
    MacroClosure.GLOBAL_BANK: macro_global_bank,
}
LABOUR_CLOSURES = {
    LabourClosure.FULL_EMPLOYMENT: labour_full_employment,
    LabourClosure.FIXED_REAL_WAGE: labour_fixed_real_wage,
}


def add_numeraire(m: pyo.ConcreteModel, ix: ModelIndex, lk: Lookup) -> None:
    """World factor price index (GTAP's pfactwld), weighted by benchmark factor payments, = pnum."""
    vfm = lk("vfm")
    total = sum(vfm[k] for k in ix.factor_uses)
    m.eq_numeraire = pyo.Constraint(
        expr=sum(vfm[f, j, r] * m.pfe[f, j, r] for f, j, r in ix.factor_uses) / total - m.pnum == 0,
        doc=doc("eq_numeraire"),
    )
