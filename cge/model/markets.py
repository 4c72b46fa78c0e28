"""Market clearing block: domestic goods, Armington composites and factors (normalised by the
benchmark flow, so residuals are relative)."""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from cge.model.index import ModelIndex
from cge.model.lookup import Lookup
from cge.model.metadata import doc


def add_market_clearing(m: pyo.ConcreteModel, ix: ModelIndex, lk: Lookup, endogenous: list[tuple[str, str]]) -> None:
    """Supply = demand for every domestic good, Armington composite and factor.

    ``endogenous`` lists the (factor, region) endowments that are variables (``qendow``) under
    the closure; the others are the parameter ``endowment``.
    """
    vdm, dom0, vxmd, qa0 = lk("vdm"), lk("dom0"), lk("vxmd"), lk("qa0")
    vdfm, vifm, vdfd, vifd, vfm, endow0 = lk("vdfm"), lk("vifm"), lk("vdfd"), lk("vifd"), lk("vfm"), lk("endow0")
    has_dom = set(ix.domestic_supply)
    exports = defaultdict(list)
    for i, s, r in ix.flows:
        exports[i, s].append(r)
    users = defaultdict(list)
    for i, j, r in ix.intermediate_uses:
        users[i, r].append(("int", j))
    for i, a, r in ix.fd_uses:
        users[i, r].append(("fd", a))
    employers = defaultdict(list)
    for f, j, r in ix.factor_uses:
        employers[f, r].append(j)

    def domestic_market(_m, j, r):
        demand = dom0[j, r] * m.qdd[j, r] if (j, r) in has_dom else 0.0
        demand += sum(vxmd[j, r, d] * m.tau[j, r, d] * m.qxs[j, r, d] for d in exports[j, r])
        return m.qo[j, r] - demand / vdm[j, r] == 0

    def armington_market(_m, i, r):
        use = sum(
            (vdfm[i, k, r] + vifm[i, k, r]) * m.qf[i, k, r]
            if kind == "int"
            else (vdfd[i, k, r] + vifd[i, k, r]) * m.qfd[i, k, r]
            for kind, k in users[i, r]
        )
        return m.qa[i, r] - use / qa0[i, r] == 0

    variable_supply = set(endogenous)

    def factor_market(_m, f, r):
        supply = m.qendow[f, r] if (f, r) in variable_supply else m.endowment[f, r]
        return sum(vfm[f, j, r] * m.qfe[f, j, r] for j in employers[f, r]) / endow0[f, r] - supply == 0

    m.eq_domestic_market = pyo.Constraint(ix.activities, rule=domestic_market, doc=doc("eq_domestic_market"))
    m.eq_armington_market = pyo.Constraint(ix.armington, rule=armington_market, doc=doc("eq_armington_market"))
    m.eq_factor_market = pyo.Constraint(ix.mobile_factors, rule=factor_market, doc=doc("eq_factor_market"))
    m.eq_specific_factor = pyo.Constraint(
        ix.specific_uses,
        rule=lambda _m, f, j, r: m.qfe[f, j, r] - m.endowment[f, r] == 0,
        doc=doc("eq_specific_factor"),
    )
