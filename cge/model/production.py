"""Production block: CES(σ_T) of value added and intermediates; value added CES(σ_VA) over
factors; intermediates CES(σ_ND) over Armington composites (GTAP's nesting)."""

from __future__ import annotations

from collections import defaultdict
from functools import partial

import pyomo.environ as pyo

from cge.model.ces import ces_demand, ces_price
from cge.model.components import sigma
from cge.model.index import ModelIndex
from cge.model.lookup import Lookup
from cge.model.metadata import doc


def add_production(m: pyo.ConcreteModel, ix: ModelIndex, lk: Lookup) -> None:
    """Zero profit, nest prices and input demands of every activity (equation block ``production``)."""
    vom, va0, nd0 = lk("vom"), lk("va0"), lk("nd0")
    sigma_t, sigma_va, sigma_nd = (partial(sigma, m, lk, name) for name in ("sigma_t", "sigma_va", "sigma_nd"))
    vfm, vdfm, vifm = lk("vfm"), lk("vdfm"), lk("vifm")
    has_va, has_nd = set(ix.va_activities), set(ix.nd_activities)

    factors_of = defaultdict(list)
    for f, j, r in ix.factor_uses:
        factors_of[j, r].append(f)
    inputs_of = defaultdict(list)
    for i, j, r in ix.intermediate_uses:
        inputs_of[j, r].append(i)

    def va_price(_m, j, r):
        return ces_price([(vfm[f, j, r] / va0[j, r], m.pfe[f, j, r]) for f in factors_of[j, r]], sigma_va(j))

    def nd_price(_m, j, r):
        terms = [((vdfm[i, j, r] + vifm[i, j, r]) / nd0[j, r], m.pa[i, r]) for i in inputs_of[j, r]]
        return ces_price(terms, sigma_nd(j))

    m.pva = pyo.Expression(ix.va_activities, rule=va_price, doc=doc("pva"))
    m.pnd = pyo.Expression(ix.nd_activities, rule=nd_price, doc=doc("pnd"))

    def zero_profit(_m, j, r):
        terms = []
        if (j, r) in has_va:
            terms.append((va0[j, r] / vom[j, r], m.pva[j, r]))
        if (j, r) in has_nd:
            terms.append((nd0[j, r] / vom[j, r], m.pnd[j, r]))
        return m.py[j, r] - ces_price(terms, sigma_t(j)) == 0

    m.eq_zero_profit = pyo.Constraint(ix.activities, rule=zero_profit, doc=doc("eq_zero_profit"))
    m.qva = pyo.Expression(
        ix.va_activities,
        rule=lambda _m, j, r: ces_demand(m.qo[j, r], m.py[j, r], m.pva[j, r], sigma_t(j)),
        doc=doc("qva"),
    )
    m.qnd = pyo.Expression(
        ix.nd_activities,
        rule=lambda _m, j, r: ces_demand(m.qo[j, r], m.py[j, r], m.pnd[j, r], sigma_t(j)),
        doc=doc("qnd"),
    )
    m.qfe = pyo.Expression(
        ix.factor_uses,
        rule=lambda _m, f, j, r: ces_demand(m.qva[j, r], m.pva[j, r], m.pfe[f, j, r], sigma_va(j)),
        doc=doc("qfe"),
    )
    m.qf = pyo.Expression(
        ix.intermediate_uses,
        rule=lambda _m, i, j, r: ces_demand(m.qnd[j, r], m.pnd[j, r], m.pa[i, r], sigma_nd(j)),
        doc=doc("qf"),
    )
