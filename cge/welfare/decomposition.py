"""Huff–Hertel decomposition of the equivalent variation, integrated along the solution path.

With Cobb-Douglas regional utility over real private consumption, real government consumption
and real savings, and fixed expenditure shares, ``dEV = (dY − C dpC − G dpG − S/psave dpsave) / P``
where ``P = Y / (Y0 U)`` is the utility price index. Substituting the zero-profit, market-clearing
and income identities of the model (docs/model.md, section "Welfare decomposition") turns the
numerator into

* allocative efficiency: tariff × d(imports), export tax × d(exports), production tax × d(output);
* terms of trade: exports × pnum d(fob price / pnum) − imports × pnum d(fob price of the source /
  pnum): world prices relative to the numeraire (the world factor price index), so that prices
  moving with the numeraire change no region's terms of trade (GTAP measures them against a
  world price index for the same reason);
* trade costs: −imports × fob price × d(iceberg factor);
* investment–savings: real investment × pnum d(investment price / pnum) − real savings × pnum
  d(price of savings / pnum) (it absorbs the trade balance × d ln pnum that the terms-of-trade
  normalisation leaves out);
* endowments: factor price × d(factor in use) (employment, capital stock, other factors).

Each term is a Stieltjes integral ``∫ w dq`` along the path from the benchmark to the solution,
computed by the trapezoid rule on the nodes and refined by Romberg extrapolation. The
decomposition total differs from the exact EV (``Y0 (U − 1)`` at the solution) only by the
quadrature error, reported as ``residual``. Pure functions over arrays: no model, no solver.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cge.dims import INVESTMENT, REGION
from cge.indicators.values import Solution

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
class Decomposition:
    """Result of :func:`decompose_path` [US$ million].

    Attributes
    ----------
    regions : tuple of str
    ev : ndarray
        Exact EV by region (at the path's end).
    components : ndarray
        (region, component) in the order of :data:`COMPONENTS`, ``residual`` last.
    allocative : ndarray
        (region, instrument, commodity, partner): allocative efficiency by tax instrument.
    terms_of_trade : ndarray
        (region, commodity, partner): terms of trade in goods and services.
    """

    regions: tuple[str, ...]
    ev: np.ndarray
    components: np.ndarray
    allocative: np.ndarray
    terms_of_trade: np.ndarray


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
        Shape (nodes, ...): weights and the integrated variable at each node.
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


def _stack(nodes: list[Solution], name: str, fill: float) -> np.ndarray:
    return np.array([n.get(name, fill) for n in nodes])


def decompose_path(nodes: list[Solution], factor_types: dict[str, str]) -> Decomposition:
    """Integrate the EV decomposition over the solved path.

    Parameters
    ----------
    nodes : list of Solution
        Path from the benchmark (first) to the solution (last), equally spaced in the path
        parameter.
    factor_types : dict
        Factor label -> type (``labour``, ``capital``, ...): the endowment components.

    Returns
    -------
    Decomposition
    """
    b, coords = nodes[0].bench, nodes[0].coords
    regions = tuple(coords[REGION])
    agents = list(coords["agent"])
    cif0, vxmd, vom, vfm, fd0 = b["cif0"], b["vxmd"], b["vom"], b["vfm"], b["fd0"]
    goods = b.goods

    qxs, pfob, tau = _stack(nodes, "qxs", 0.0), _stack(nodes, "pfob", 1.0), _stack(nodes, "tau", 1.0)
    tm, te = _stack(nodes, "tm", 0.0), _stack(nodes, "te", 0.0)
    pd, qo, py, to = (
        _stack(nodes, "pd", 1.0),
        _stack(nodes, "qo", 0.0),
        _stack(nodes, "py", 1.0),
        _stack(nodes, "to", 0.0),
    )
    pfe, qfe = _stack(nodes, "pfe", 1.0), _stack(nodes, "qfe", 0.0)
    pfd, qfdt = _stack(nodes, "pfd", 1.0), _stack(nodes, "qfdt", 0.0)
    y, psave, utility = _stack(nodes, "y", 1.0), _stack(nodes, "psave", 1.0), _stack(nodes, "utility", 1.0)
    num = _stack(nodes, "pnum", 1.0).reshape(len(nodes), *([1] * 3))  # broadcasts over any 3-d term
    inv_p = utility / y  # 1 / P by (node, region): P = Y / (Y0 U)
    by_importer, by_exporter = inv_p[:, None, None, :], inv_p[:, None, :, None]
    shipped = cif0 * tau * qxs  # (node, commodity, exporter, importer) at benchmark fob prices

    tariff = integrate(tm * pfob * tau * cif0 * by_importer, qxs)  # owner importer, partner exporter
    export_tax = integrate(te * pd[:, :, :, None] * vxmd * by_exporter, tau * qxs)  # owner exporter
    production_tax = integrate(to * py * vom * inv_p[:, None, :], qo)  # (activity, region)
    relative = pfob / num
    tot_exports = integrate(shipped * num * by_exporter, relative)  # owner exporter, partner importer
    tot_imports = integrate(-shipped * num * by_importer, relative)  # owner importer, partner exporter
    trade_costs = integrate(-cif0 * qxs * pfob * by_importer, tau)
    k = agents.index(INVESTMENT)
    num_r = num[:, 0, 0, :1]
    investment = integrate(fd0[k] * qfdt[:, k] * num_r * inv_p, pfd[:, k] / num_r)
    savings = integrate(-b["savings"] * y / psave * num_r * inv_p, psave / num_r)
    endowment = integrate(vfm * pfe * inv_p[:, None, None, :], qfe).sum(axis=1)  # (factor, region)

    n_reg, n_com = len(regions), tariff.shape[0]
    allocative = np.zeros((n_reg, len(INSTRUMENTS), n_com, n_reg))
    allocative[:, 0] = tariff.transpose(2, 0, 1)
    allocative[:, 1] = export_tax.transpose(1, 0, 2)
    allocative[np.arange(n_reg), 2, :, np.arange(n_reg)] = production_tax.T
    terms_of_trade = tot_exports.transpose(1, 0, 2) + tot_imports.transpose(2, 0, 1)
    types = np.array([factor_types[str(f)] for f in coords["factor"]])
    table = np.zeros((n_reg, len(COMPONENTS)))
    column = {c: j for j, c in enumerate(COMPONENTS)}
    for j, instrument in enumerate(INSTRUMENTS):
        table[:, column[f"allocative_{instrument}"]] = allocative[:, j].sum(axis=(1, 2))
    table[:, column["terms_of_trade_goods"]] = terms_of_trade[:, goods].sum(axis=(1, 2))
    table[:, column["terms_of_trade_services"]] = terms_of_trade[:, ~goods].sum(axis=(1, 2))
    table[:, column["trade_costs"]] = trade_costs.sum(axis=(0, 1))
    table[:, column["investment_savings"]] = investment + savings
    for name, kind in (("endowment_labour", "labour"), ("endowment_capital", "capital")):
        table[:, column[name]] = endowment[types == kind].sum(axis=0)
    table[:, column["endowment_other"]] = endowment[~np.isin(types, ["labour", "capital"])].sum(axis=0)
    ev = b["y0"] * (utility[-1] - 1.0)
    table[:, column["residual"]] = ev - table.sum(axis=1)
    return Decomposition(regions, ev, table, allocative, terms_of_trade)
