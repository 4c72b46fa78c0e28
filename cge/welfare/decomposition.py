"""Huff–Hertel decomposition of the equivalent variation, integrated along the solution path.

With Cobb-Douglas regional utility over real private consumption, real government consumption
and real savings, and fixed expenditure shares, ``dEV = (dY − C dpC − G dpG − S/psave dpsave) / P``
where ``P = Y / (Y0 U)`` is the utility price index. Substituting the zero-profit, market-clearing
and income identities of the model (docs/model.md, eqs. W1–W4) turns the numerator into

* allocative efficiency: tariff × d(imports), export tax × d(exports), production tax × d(output);
* terms of trade: exports × pnum d(fob price / pnum) − imports × pnum d(fob price of the source /
  pnum): world prices relative to the numeraire (the world factor price index), so that prices
  moving with the numeraire change no region's terms of trade (GTAP measures them against a
  world price index for the same reason);
* trade costs: −imports × fob price × d(iceberg factor);
* investment–savings: real investment × pnum d(investment price / pnum) − real savings × pnum
  d(price of savings / pnum) (it absorbs the trade balance × d ln pnum that the terms-of-trade
  normalisation leaves out);
* endowments: factor price × d(endowment in use) (employment, capital stock, other factors).

Each term is a Stieltjes integral ``∫ w dq`` along the path from the benchmark to the solution;
it is computed by the trapezoid rule on the nodes and refined by one Richardson step (the rule's
error expands in even powers of the step). The decomposition total differs from the exact EV
(``Y0 (U − 1)`` at the solution) only by the quadrature error, reported as ``residual``.
Pure functions over arrays: no model, no solver.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cge.dims import CAPITAL, INVESTMENT, LABOUR
from cge.model.index import ModelIndex
from cge.model.lookup import Lookup
from cge.welfare.path import Node

COMPONENTS = (
    "allocative_tariff",
    "allocative_export_tax",
    "allocative_production_tax",
    "terms_of_trade_goods",
    "terms_of_trade_services",
    "trade_costs",
    "investment_savings",
    "endowment_labour",
    "endowment_capital",
    "endowment_other",
    "residual",
)
"""Components of ``ev_decomposition``; they sum to ``ev`` (``residual`` = EV − the others)."""
INSTRUMENTS = ("tariff", "export_tax", "production_tax")
"""Tax instruments of the allocative-efficiency detail."""


@dataclass(frozen=True)
class Term:
    """Integrals of one kind of term [US$ million], with the owner region and labels of each."""

    component: np.ndarray
    region: np.ndarray
    commodity: np.ndarray
    partner: np.ndarray
    value: np.ndarray


@dataclass(frozen=True)
class Decomposition:
    """Result of :func:`decompose_path` [US$ million].

    Attributes
    ----------
    regions : tuple of str
    ev : ndarray
        Exact EV by region.
    components : ndarray
        (region, component) in the order of :data:`COMPONENTS`, ``residual`` last.
    terms : Term
        Every integrated term with its labels (for the detail by instrument, commodity, partner).
    """

    regions: tuple[str, ...]
    ev: np.ndarray
    components: np.ndarray
    terms: Term


def stieltjes(w: np.ndarray, q: np.ndarray, stride: int = 1) -> np.ndarray:
    """Trapezoid rule for ``∫ w dq`` over nodes (axis 0) taken every ``stride`` nodes."""
    w, q = w[::stride], q[::stride]
    return 0.5 * ((w[1:] + w[:-1]) * np.diff(q, axis=0)).sum(axis=0)


def integrate(w: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``∫ w dq`` by Romberg extrapolation of the trapezoid rule.

    The trapezoid rule on every node, every second node, every fourth … (as long as the
    interval count stays even) is extrapolated (Richardson) to remove the h², h⁴, … error terms.

    Parameters
    ----------
    w, q : ndarray
        Shape (nodes, terms): weights and the integrated variable at each node.
    """
    intervals = len(w) - 1
    strides = [1]
    while intervals % (2 * strides[-1]) == 0 and intervals // strides[-1] > 1:
        strides.append(2 * strides[-1])
    table = [stieltjes(w, q, k) for k in strides]  # finest first
    for level in range(1, len(table)):
        factor = 4.0**level
        table = [(factor * table[k] - table[k + 1]) / (factor - 1.0) for k in range(len(table) - 1)]
    return table[0]


def _stack(nodes: list[Node], name: str) -> np.ndarray:
    return np.array([getattr(n, name) for n in nodes])


def decompose_path(nodes: list[Node], ix: ModelIndex, lk: Lookup, goods: set[str]) -> Decomposition:
    """Integrate the EV decomposition over the solved path.

    Parameters
    ----------
    nodes : list of Node
        Path from the benchmark (first) to the solution (last), equally spaced.
    ix : ModelIndex
        Index lists the node arrays follow.
    lk : Lookup
        Benchmark values [US$ million].
    goods : set of str
        Merchandise commodities (terms of trade in goods vs services).

    Returns
    -------
    Decomposition
    """
    regions = list(ix.regions)
    pos = {r: k for k, r in enumerate(regions)}
    y0 = np.array([lk("y0")[r] for r in regions])
    sav0 = np.array([lk("savings")[r] for r in regions])
    s = {name: _stack(nodes, name) for name in Node.__dataclass_fields__}
    price_index = s["y"] / s["utility"]  # P = Y / (Y0 U) by region, per node

    flows = ix.flows
    exporter = np.array([pos[e] for _i, e, _r in flows], dtype=int)
    importer = np.array([pos[r] for _i, _e, r in flows], dtype=int)
    flow_commodity = np.array([i for i, _e, _r in flows], dtype=object)
    cif0 = np.array([lk("cif0")[k] for k in flows])
    vxmd = np.array([lk("vxmd")[k] for k in flows])
    acts = ix.activities
    act_region = np.array([pos[r] for _j, r in acts], dtype=int)
    act_commodity = np.array([j for j, _r in acts], dtype=object)
    vom = np.array([lk("vom")[k] for k in acts])
    uses = ix.factor_uses
    use_region = np.array([pos[r] for _f, _j, r in uses], dtype=int)
    use_type = [ix.factor_types[f] for f, _j, _r in uses]
    vfm = np.array([lk("vfm")[k] for k in uses])
    fd0 = np.array([lk("fd0")[k] for k in ix.fd_agents])
    investment = np.array([a == INVESTMENT for a, _r in ix.fd_agents])
    agent_region = np.array([pos[r] for _a, r in ix.fd_agents], dtype=int)

    def per_owner(weight: np.ndarray, owner: np.ndarray) -> np.ndarray:
        return weight / price_index[:, owner]

    shipped = cif0 * s["tau"] * s["qxs"]  # volume at benchmark fob prices, per node
    num = s["pnum"]  # world prices are measured against the numeraire (broadcasts over terms)
    tot_component = np.array(
        ["terms_of_trade_goods" if i in goods else "terms_of_trade_services" for i in flow_commodity], dtype=object
    )
    parts = [
        # (component, owner, commodity, partner, weight, integrated variable)
        ("allocative_tariff", importer, flow_commodity, exporter, s["tm"] * s["pfob"] * s["tau"] * cif0, s["qxs"]),
        (
            "allocative_export_tax",
            exporter,
            flow_commodity,
            importer,
            s["te"] * s["pd_exporter"] * vxmd,
            s["tau"] * s["qxs"],
        ),
        ("allocative_production_tax", act_region, act_commodity, act_region, s["to"] * s["py"] * vom, s["qo"]),
        (tot_component, exporter, flow_commodity, importer, shipped * num, s["pfob"] / num),
        (tot_component, importer, flow_commodity, exporter, -shipped * num, s["pfob"] / num),
        ("trade_costs", importer, flow_commodity, exporter, -cif0 * s["qxs"] * s["pfob"], s["tau"]),
        (
            "investment_savings",
            agent_region[investment],
            None,
            None,
            fd0[investment] * s["qfdt"][:, investment] * num,
            s["pfd"][:, investment] / num,
        ),
        (
            "investment_savings",
            np.arange(len(regions)),
            None,
            None,
            -sav0 * s["y"] / s["psave"] * num,
            s["psave"] / num,
        ),
    ]
    endowment = np.array(
        [
            "endowment_labour" if t == LABOUR else "endowment_capital" if t == CAPITAL else "endowment_other"
            for t in use_type
        ],
        dtype=object,
    )
    parts.append((endowment, use_region, None, None, vfm * s["pfe"], s["qfe"]))
    terms = [
        _term(component, owner, commodity, partner, integrate(per_owner(w, owner), q))
        for component, owner, commodity, partner, w, q in parts
    ]
    term = Term(*(np.concatenate([getattr(t, f) for t in terms]) for f in Term.__dataclass_fields__))
    ev = y0 * (s["utility"][-1] - 1.0)
    table = np.zeros((len(regions), len(COMPONENTS)))
    column = {c: k for k, c in enumerate(COMPONENTS)}
    np.add.at(table, (term.region, np.array([column[c] for c in term.component], dtype=int)), term.value)
    table[:, column["residual"]] = ev - table.sum(axis=1)
    return Decomposition(regions=tuple(regions), ev=ev, components=table, terms=term)


def _term(component, owner, commodity, partner, value) -> Term:
    n = len(value)
    component = np.full(n, component, dtype=object) if isinstance(component, str) else component
    return Term(
        component=component,
        region=owner,
        commodity=np.full(n, None, dtype=object) if commodity is None else commodity,
        partner=np.full(n, -1, dtype=int) if partner is None else partner,
        value=value,
    )
