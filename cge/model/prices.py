"""Price linkages that are expressions, not variables: domestic market prices, bilateral import
prices and the factor price each activity pays."""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from cge.model.index import ModelIndex
from cge.model.lookup import Lookup
from cge.model.metadata import doc


def add_trade_prices(m: pyo.ConcreteModel, ix: ModelIndex, lk: Lookup) -> None:
    """Domestic market price ``pd`` and bilateral import price ``pms``.

    ``pd[j,r] = py (1 + to) / (1 + to0)``: the production tax is a wedge on output.
    ``pms[i,s,r] = pd[i,s] (1 + te)/(1 + te0) · tau · (1 + tm)/(1 + tm0)``: export tax, iceberg
    cost (units shipped per unit delivered) and tariff on the cif value, all relative to the
    benchmark.
    """
    to0, te0, tm0 = lk("to0"), lk("te0"), lk("tm0")

    def pd_rule(_m, j, r):
        return m.py[j, r] * (1 + m.to[j, r]) / (1 + to0[j, r])

    m.pd = pyo.Expression(ix.activities, rule=pd_rule, doc=doc("pd"))

    def fob_rule(_m, i, s, r):
        return m.pd[i, s] * (1 + m.te[i, s, r]) / (1 + te0[i, s, r])

    m.pfob = pyo.Expression(ix.flows, rule=fob_rule, doc=doc("pfob"))

    def pms_rule(_m, i, s, r):
        return m.pfob[i, s, r] * m.tau[i, s, r] * (1 + m.tm[i, s, r]) / (1 + tm0[i, s, r])

    m.pms = pyo.Expression(ix.flows, rule=pms_rule, doc=doc("pms"))
    add_trade_price_indices(m, ix, lk)


def add_trade_price_indices(m: pyo.ConcreteModel, ix: ModelIndex, lk: Lookup) -> None:
    """Export and import price indices of each region (Laspeyres, benchmark cif-value weights).

    ``pxw[r] = Σ cif0 pfob / Σ cif0`` over r's exports (fob); ``pmw[r] = Σ cif0 pfob tau / Σ cif0``
    over r's imports (cif, before tariffs). Their ratio is the terms of trade.
    """
    cif0 = lk("cif0")
    exports, imports = defaultdict(list), defaultdict(list)
    for i, s, r in ix.flows:
        exports[s].append((i, s, r))
        imports[r].append((i, s, r))

    def export_index(_m, r):
        return sum(cif0[k] * m.pfob[k] for k in exports[r]) / sum(cif0[k] for k in exports[r])

    def import_index(_m, r):
        return sum(cif0[k] * m.pfob[k] * m.tau[k] for k in imports[r]) / sum(cif0[k] for k in imports[r])

    m.pxw = pyo.Expression([r for r in ix.regions if exports[r]], rule=export_index, doc=doc("pxw"))
    m.pmw = pyo.Expression([r for r in ix.regions if imports[r]], rule=import_index, doc=doc("pmw"))


def add_factor_prices(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Price ``pfe`` of each factor use: the economy-wide ``pf`` if mobile, else its own ``pfs``."""
    specific = set(ix.specific_uses)

    def pfe_rule(_m, f, j, r):
        return m.pfs[f, j, r] if (f, j, r) in specific else m.pf[f, r]

    m.pfe = pyo.Expression(ix.factor_uses, rule=pfe_rule, doc=doc("pfe"))
