"""Closures: which variables are fixed and which adjust (model structure, not shocks).

A :class:`Closure` names one choice per market; each choice is a function that adds its
equations (macro closures in :mod:`cge.model.macro`, factor supply in
:mod:`cge.model.factor_supply`). Changing a closure rebuilds the model; the values inside a
closure (a labour-supply elasticity, the rate-of-return flexibility, a trade-balance target) are
mutable parameters, so a new value re-uses the compiled model.

Macro (investment, savings and the trade balance; GTAP's "macro closure"):
  ``fixed_trade_balance`` [default] — each region's trade balance is fixed in numeraire units;
  investment = savings − trade balance.
  ``global_bank`` — world savings are pooled and each region invests its benchmark share of them
  (GTAP's global bank with fixed investment shares, RORDELTA = 0); trade balances endogenous.
  ``rate_of_return`` — GTAP's global bank with rate-of-return allocation (RORDELTA = 1): expected
  rates of return are equalised across regions, with the flexibility parameter RORFLEX; world
  investment = world savings; trade balances endogenous.
  Any region may instead have its trade balance set to a target (US$ or share of GDP).
Labour, per region (the labour-supply / wage-curve elasticity ε from 0 to ∞):
  ``full_employment`` (ε = 0) — the labour endowment is fixed, the wage adjusts.
  ``wage_curve`` (0 < ε < ∞) — employment = (real wage index)^ε; ε defaults to the local slope of
  the wage curve at the benchmark unemployment rate (calibration/region_parameters.csv).
  ``fixed_real_wage`` (ε = ∞) — the wage is fixed in consumer prices, employment adjusts.
Capital:
  ``mobile`` — fixed stock, one rental rate per region (medium run).
  ``sector_specific`` — each activity keeps its capital and earns its own rental (short run).
  ``steady_state`` — the rental rate relative to the investment price (hence GTAP's current rate
  of return) is fixed and the capital stock is endogenous (long run; Francois, McDonald and
  Nordström 1996); investment follows the macro closure.
Horizons (presets of labour and capital, :data:`HORIZONS`): short run, medium run, long run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyomo.environ as pyo

from cge.gtap.horizons import HORIZONS, CapitalClosure, Horizon, LabourClosure, MacroClosure  # noqa: F401
from cge.model.index import ModelIndex
from cge.model.lookup import Lookup
from cge.model.metadata import doc


class ClosureError(ValueError):
    """A closure the data cannot support (an unknown region, a region without investment or
    households where the closure needs them); the message names the regions."""


@dataclass(frozen=True)
class Closure:
    """The closure of one model: its structure, not a shock (changing it rebuilds the model).

    Attributes
    ----------
    macro : MacroClosure
        Investment and trade-balance rule.
    labour : LabourClosure
        Labour closure of every region not listed in ``labour_by_region``.
    capital : CapitalClosure
        Capital closure (all regions).
    labour_by_region : tuple of (region, LabourClosure)
        Per-region labour closures (a mapping is accepted and stored sorted).
    trade_balance_targets : tuple of str
        Regions whose trade balance is set to a target (parameters ``tb_level`` [US$ million,
        numeraire units] and ``tb_share`` [fraction of GDP]) instead of following the macro rule.
    """

    macro: MacroClosure = MacroClosure.FIXED_TRADE_BALANCE
    labour: LabourClosure = LabourClosure.FULL_EMPLOYMENT
    capital: CapitalClosure = CapitalClosure.MOBILE
    labour_by_region: tuple[tuple[str, LabourClosure], ...] = ()
    trade_balance_targets: tuple[str, ...] = ()

    def __post_init__(self):
        # accept plain strings ("global_bank") and mappings as well as enums; unknown names raise ValueError
        object.__setattr__(self, "macro", MacroClosure(self.macro))
        object.__setattr__(self, "labour", LabourClosure(self.labour))
        object.__setattr__(self, "capital", CapitalClosure(self.capital))
        pairs = self.labour_by_region.items() if isinstance(self.labour_by_region, Mapping) else self.labour_by_region
        by_region = tuple(sorted((str(r), LabourClosure(c)) for r, c in pairs))
        object.__setattr__(self, "labour_by_region", by_region)
        object.__setattr__(self, "trade_balance_targets", tuple(sorted({str(r) for r in self.trade_balance_targets})))

    def labour_in(self, region: str) -> LabourClosure:
        """Labour closure of ``region``."""
        return dict(self.labour_by_region).get(region, self.labour)

    @property
    def capital_mobile(self) -> bool:
        """Whether capital moves across activities (mobile and steady state)."""
        return self.capital != CapitalClosure.SECTOR_SPECIFIC

    def named_regions(self) -> set[str]:
        """Regions the closure names explicitly (checked against the model's regions)."""
        return {r for r, _c in self.labour_by_region} | set(self.trade_balance_targets)

    def describe(self) -> str:
        text = f"macro={self.macro.value}, labour={self.labour.value}, capital={self.capital.value}"
        if self.labour_by_region:
            text += ", labour_by_region=" + ";".join(f"{r}:{c.value}" for r, c in self.labour_by_region)
        if self.trade_balance_targets:
            text += ", trade_balance_targets=" + ";".join(self.trade_balance_targets)
        return text


def check_closure(closure: Closure, ix: ModelIndex) -> None:
    """Raise :class:`ClosureError` when the closure names a region the model does not have."""
    unknown = sorted(closure.named_regions() - set(ix.regions))
    if unknown:
        raise ClosureError(f"closure names regions {unknown} that are not in the SAM (known: {list(ix.regions)})")


def endogenous_endowments(closure: Closure, ix: ModelIndex) -> list[tuple[str, str]]:
    """(factor, region) endowments that are variables under ``closure``: labour where the wage
    curve or the fixed real wage applies, capital under the steady state."""
    out = [(f, r) for f, r in ix.labour_factors if closure.labour_in(r) != LabourClosure.FULL_EMPLOYMENT]
    if closure.capital == CapitalClosure.STEADY_STATE:
        out += list(ix.capital_factors)
    return out


def add_numeraire(m: pyo.ConcreteModel, ix: ModelIndex, lk: Lookup) -> None:
    """World factor price index (GTAP's pfactwld), weighted by benchmark factor payments, = pnum."""
    vfm = lk("vfm")
    total = sum(vfm[k] for k in ix.factor_uses)
    m.eq_numeraire = pyo.Constraint(
        expr=sum(vfm[f, j, r] * m.pfe[f, j, r] for f, j, r in ix.factor_uses) / total - m.pnum == 0,
        doc=doc("eq_numeraire"),
    )
