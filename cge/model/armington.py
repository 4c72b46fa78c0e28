"""Armington block: absorption is CES(σ_D) of the domestic good and an import composite; the
import composite is CES(σ_M) over source regions. With σ_D = σ_M the two levels are one flat
CES over all sources (nested CES with equal elasticities)."""

from __future__ import annotations

from collections import defaultdict
from functools import partial

import pyomo.environ as pyo

from cge.model.ces import ces_demand, ces_price
from cge.model.components import sigma
from cge.model.index import ModelIndex
from cge.model.lookup import Lookup
from cge.model.metadata import doc


def add_armington(m: pyo.ConcreteModel, ix: ModelIndex, lk: Lookup) -> None:
    """Armington prices and demands (equation block ``armington``)."""
    qa0, dom0, imp0, vims = lk("qa0"), lk("dom0"), lk("imp0"), lk("vims")
    sigma_d, sigma_m = partial(sigma, m, lk, "sigma_d"), partial(sigma, m, lk, "sigma_m")
    has_dom, has_imp = set(ix.domestic_supply), set(ix.import_composites)
    sources = defaultdict(list)
    for i, s, r in ix.flows:
        sources[i, r].append(s)

    def armington_price(_m, i, r):
        terms = []
        if (i, r) in has_dom:
            terms.append((dom0[i, r] / qa0[i, r], m.pd[i, r]))
        if (i, r) in has_imp:
            terms.append((imp0[i, r] / qa0[i, r], m.pm[i, r]))
        return m.pa[i, r] - ces_price(terms, sigma_d(i)) == 0

    def import_price(_m, i, r):
        return ces_price([(vims[i, s, r] / imp0[i, r], m.pms[i, s, r]) for s in sources[i, r]], sigma_m(i))

    m.pm = pyo.Expression(ix.import_composites, rule=import_price, doc=doc("pm"))

    m.eq_armington_price = pyo.Constraint(ix.armington, rule=armington_price, doc=doc("eq_armington_price"))
    m.qdd = pyo.Expression(
        ix.domestic_supply,
        rule=lambda _m, i, r: ces_demand(m.qa[i, r], m.pa[i, r], m.pd[i, r], sigma_d(i)),
        doc=doc("qdd"),
    )
    m.qm = pyo.Expression(
        ix.import_composites,
        rule=lambda _m, i, r: ces_demand(m.qa[i, r], m.pa[i, r], m.pm[i, r], sigma_d(i)),
        doc=doc("qm"),
    )
    m.qxs = pyo.Expression(
        ix.flows,
        rule=lambda _m, i, s, r: ces_demand(m.qm[i, r], m.pm[i, r], m.pms[i, s, r], sigma_m(i)),
        doc=doc("qxs"),
    )
