"""Final demand block: the regional household's income and its Cobb-Douglas split over private
consumption, government and savings; CES demands of each final agent over Armington composites."""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from cge.dims import GOVERNMENT, HOUSEHOLD, INVESTMENT
from cge.model.ces import ces_demand, ces_price
from cge.model.components import sigma
from cge.model.index import ModelIndex
from cge.model.lookup import Lookup
from cge.model.metadata import doc

AGENT_SIGMA = {HOUSEHOLD: "sigma_c", GOVERNMENT: "sigma_g", INVESTMENT: "sigma_i"}


def income_terms(m: pyo.ConcreteModel, ix: ModelIndex, lk: Lookup, region: str) -> dict[str, object]:
    """Components of a region's income at current prices [US$ million] as Pyomo expressions.

    Keys: ``factors``, ``production_tax``, ``tariffs`` (on its imports), ``export_tax`` (on its
    exports). Used by the income equation and by the results.
    """
    vfm, vom, cif0, vxmd = lk("vfm"), lk("vom"), lk("cif0"), lk("vxmd")
    return {
        "factors": sum(vfm[f, j, r] * m.pfe[f, j, r] * m.qfe[f, j, r] for f, j, r in ix.factor_uses if r == region),
        "production_tax": sum(
            m.to[j, r] * vom[j, r] * m.py[j, r] * m.qo[j, r] for j, r in ix.activities if r == region
        ),
        "tariffs": sum(
            m.tm[i, s, r] * cif0[i, s, r] * m.pfob[i, s, r] * m.tau[i, s, r] * m.qxs[i, s, r]
            for i, s, r in ix.flows
            if r == region
        ),
        "export_tax": sum(
            m.te[i, s, r] * vxmd[i, s, r] * m.pd[i, s] * m.tau[i, s, r] * m.qxs[i, s, r]
            for i, s, r in ix.flows
            if s == region
        ),
    }


def add_final_demand(m: pyo.ConcreteModel, ix: ModelIndex, lk: Lookup) -> None:
    """Income, final demand prices and demands, household and government spending."""
    y0, fd0, vdfd, vifd = lk("y0"), lk("fd0"), lk("vdfd"), lk("vifd")
    sigma_of = {agent: sigma(m, lk, name) for agent, name in AGENT_SIGMA.items()}
    uses_of = defaultdict(list)
    for i, a, r in ix.fd_uses:
        uses_of[a, r].append(i)

    def income(_m, r):
        return m.y[r] - sum(income_terms(m, ix, lk, r).values()) / y0[r] == 0

    def fd_price(_m, a, r):
        terms = [((vdfd[i, a, r] + vifd[i, a, r]) / fd0[a, r], m.pa[i, r]) for i in uses_of[a, r]]
        return m.pfd[a, r] - ces_price(terms, sigma_of[a]) == 0

    m.eq_income = pyo.Constraint(ix.regions, rule=income, doc=doc("eq_income"))
    m.eq_fd_price = pyo.Constraint(ix.fd_agents, rule=fd_price, doc=doc("eq_fd_price"))
    m.qfd = pyo.Expression(
        ix.fd_uses,
        rule=lambda _m, i, a, r: ces_demand(m.qfdt[a, r], m.pfd[a, r], m.pa[i, r], sigma_of[a]),
        doc=doc("qfd"),
    )
    consumers = [(a, r) for a, r in ix.fd_agents if a in (HOUSEHOLD, GOVERNMENT)]
    m.eq_fd_spending = pyo.Constraint(
        consumers, rule=lambda _m, a, r: m.pfd[a, r] * m.qfdt[a, r] - m.y[r] == 0, doc=doc("eq_fd_spending")
    )
