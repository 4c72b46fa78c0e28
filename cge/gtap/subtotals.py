"""Subtotals by shock group (Harrison, Horridge and Pearson 2000) by integration along the path.

GEMPACK splits every result into the contributions of groups of shocks: in each step of its
linearised solution the change of a variable is a sum of the effects of the shocks (the system is
linear in them), and each group's effects accumulate over the steps. The levels model does the
same exactly. At every node of the shock path the path derivative ``dx/dt = -J^-1 dF/dp dp/dt``
is linear in ``dp/dt``, so it splits into one derivative per group (``dp/dt`` kept on the group's
shocked elements: one more solve with the node's Jacobian per group). A group's contribution to a
result is the integral along the path of the result's derivative in the group's direction:

- a levels percentage-change variable ``X`` (index 1 at the benchmark, GEMPACK price level
  ``lambda(t)`` for prices and values): ``100 * integral of d(X lambda^deg)`` in the group's
  direction, so the contributions of a percentage change compound as GEMPACK's do;
- a path-dependent index with cumulative log-rate ``I(t)``:
  ``integral of exp(I(t) / 100) * r_g(t) dt`` (``r_g`` its TABLO rate in the group's direction);
- a change variable (US$ million): the integral of its group derivative;
- EV and the other results of the shadow household: the derivative of the shadow system in the
  group's direction (central differences of :func:`cge.gtap.model.welfare.shadow_household`).

The contributions sum to the total to the accuracy of the path quadrature; the adaptive node
count of :func:`cge.gtap.solve` includes that gap in its error estimate, and the results record it
(attr ``subtotal_sum_error``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from cge.dims import TOTAL
from cge.gtap.model.coefficients import Coefficients
from cge.gtap.model.decomposition import decomposition_rates
from cge.gtap.model.indices import INDEX_EQUATIONS, Flows, numeraire_rate
from cge.gtap.model.variables import NOMINAL_CHANGE_BASE, element_degree, variable_table
from cge.gtap.model.welfare import Shadow, ev_results, shadow_household
from cge.gtap.path import PathState, cumulative_integral

SHADOW_STEP = 1e-5
"""Relative step of the central differences of the shadow household [unitless]."""


@dataclass(frozen=True)
class WelfareNode:
    """What the EV decomposition used at one node of the total path (shared by the groups)."""

    shadow: Shadow
    evscalfact: np.ndarray
    xshr_ev: dict[str, np.ndarray]
    beta: dict[str, np.ndarray]
    flows: Flows


def check_group_names(names: list[str]) -> None:
    """Group names must be non-empty strings, unique, and not the total's label."""
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"subtotal group names must be non-empty strings, got {name!r}")
    if TOTAL in names:
        raise ValueError(f"'{TOTAL}' is the label of the total; give the group another name")


def group_states(
    states: list[PathState],
    tangents: list[dict[str, np.ndarray]],
    is_change: Mapping[str, bool],
) -> list[PathState]:
    """Path states of one group: the total's values, the group's percentage rates.

    Parameters
    ----------
    states : list of PathState
        The total path (values at each node).
    tangents : list of dict
        ``d X / dt`` in the group's direction for every levels variable at each node [index units].
    is_change : mapping
        Whether each variable is a change variable (rate = the tangent) or a percentage one
        (rate = 100 tangent / value; 0 where the value is 0).
    """
    out = []
    for s, tangent in zip(states, tangents):
        rates = {}
        for name, d in tangent.items():
            if is_change[name]:
                rates[name] = d
            else:
                v = s.values[name]
                with np.errstate(divide="ignore", invalid="ignore"):
                    rates[name] = np.where(v != 0, 100.0 * d / np.where(v != 0, v, 1.0), 0.0)
        out.append(PathState(s.t, s.values, rates, extra=dict(s.extra)))
    return out


def apply_group_numeraire(states: list[PathState], cf: Coefficients, degree_one: list[str]) -> np.ndarray:
    """Add the group's part of the numeraire rate to its degree-1 rates (as for the total);
    returns that part ``100 d ln lambda_g / dt`` at the nodes."""
    r_lambda = np.array([float(s.rates["pfactwld"]) - numeraire_rate(s, cf) for s in states])
    for s, rl in zip(states, r_lambda):
        for name in degree_one:
            s.rates[name] = s.rates[name] + rl
    return r_lambda


def index_rates(states: list[PathState], cf: Coefficients, caches: list[dict], skip: set[str]) -> None:
    """The TABLO rates of the path-dependent indices in the group's direction (in place)."""
    table = variable_table()
    for name, fn in INDEX_EQUATIONS.items():
        if name in skip or name not in table:
            continue
        for s, cache in zip(states, caches):
            s.rates[name] = np.asarray(fn(s, cf, cache), dtype=float)


def welfare_rates(states: list[PathState], cf: Coefficients, nodes: list[WelfareNode]) -> dict[str, np.ndarray]:
    """Integrands of the CNT* terms and ``dpavev`` in the group's direction, stacked over nodes."""
    rates: dict[str, list[np.ndarray]] = {}
    for s, node in zip(states, nodes):
        terms = decomposition_rates(s, cf, node.flows, node.evscalfact, node.shadow.income, node.shadow.utilelas)
        terms["dpavev"] = sum(node.xshr_ev[key] * s.rates[key] for key in node.xshr_ev)
        for key, value in terms.items():
            rates.setdefault(key, []).append(np.asarray(value, dtype=float))
    return {key: np.stack(values) for key, values in rates.items()}


def shadow_derivatives(
    states: list[PathState], cf: Coefficients, u_integral: np.ndarray, nodes: list[WelfareNode]
) -> dict[str, np.ndarray]:
    """``d/dt`` of every :func:`ev_results` quantity in the group's direction at each node, by
    central differences of the shadow household (its inputs: ln u, the distribution parameters,
    population and AU move along the group's rates)."""
    out: dict[str, list[np.ndarray]] = {}
    h = SHADOW_STEP
    for k, (s, node) in enumerate(zip(states, nodes)):
        v, r = s.values, s.rates

        def shadow_at(step: float, s=s, v=v, r=r, node=node, k=k) -> dict[str, np.ndarray]:
            log_u = u_integral[k] / 100.0 + step * r["u"] / 100.0
            beta = {
                key: value * (1.0 + step * r[name] / 100.0)
                for (key, value), name in zip(node.beta.items(), ("dppriv", "dpgov", "dpsave"))
            }
            pop = v["pop"] * (1.0 + step * r["pop"] / 100.0)
            log_au = np.log(v["au"]) + step * r["au"] / 100.0
            start = (np.log(node.shadow.up), np.log(node.shadow.yp))
            return ev_results(cf, shadow_household(cf, log_u, beta, pop, log_au, start))

        plus, minus = shadow_at(h), shadow_at(-h)
        for key in plus:
            out.setdefault(key, []).append((np.asarray(plus[key]) - np.asarray(minus[key])) / (2.0 * h))
    return {key: np.stack(values) for key, values in out.items()}


def contributions(
    cf: Coefficients,
    total: list[PathState],
    group: list[PathState],
    tangents: list[dict[str, np.ndarray]],
    r_lambda: np.ndarray,
    log_lambda: np.ndarray,
    integrals: Mapping[str, np.ndarray],
    welfare: Mapping[str, np.ndarray],
    group_welfare: Mapping[str, np.ndarray],
    shadow_rates: Mapping[str, np.ndarray],
    n: int,
) -> dict[str, np.ndarray]:
    """One group's contribution to every result that :func:`cge.gtap.solve` reports.

    Returns
    -------
    dict
        Result name -> the group's contribution over the variable's model sets [% or US$ million].
    """
    table = variable_table()
    scale = np.exp(np.asarray(log_lambda) / 100.0)  # (node,)
    out: dict[str, np.ndarray] = {}

    def integral(values: np.ndarray) -> np.ndarray:
        return cumulative_integral(values, n)[-1]

    for name, spec in table.items():
        if name == "save_value":
            continue
        if spec.treatment == "slot" and name in tangents[0]:
            d = np.stack([t[name] for t in tangents])
            if spec.is_change and spec.degree:  # nominal US$: lambda * (base + x) - base
                base = getattr(cf, NOMINAL_CHANGE_BASE[name])
                x = np.stack([s.values[name] for s in total])
                lam = scale.reshape((-1,) + (1,) * (x.ndim - 1))
                rl = r_lambda.reshape((-1,) + (1,) * (x.ndim - 1))
                out[name] = integral(lam * (d + (base + x) * rl / 100.0))
                continue
            if spec.is_change:
                out[name] = integral(d)
                continue
            deg = np.asarray(element_degree(cf, name, spec.degree), dtype=float)
            x = np.stack([s.values[name] for s in total])
            lam = scale.reshape((-1,) + (1,) * (x.ndim - 1)) ** deg
            rl = r_lambda.reshape((-1,) + (1,) * (x.ndim - 1))
            out[name] = integral(100.0 * lam * (d + deg * x * rl / 100.0))
        elif name in integrals:
            rates = np.stack([s.rates[name] for s in group])
            if spec.is_change:
                out[name] = integral(rates)
            else:
                out[name] = integral(np.exp(integrals[name] / 100.0) * rates)
    for key, rates in group_welfare.items():
        if key == "dpavev":
            out[key] = integral(np.exp(welfare[key] / 100.0) * rates)
        elif key in table and key not in out:
            out[key] = integral(rates)
    for key, rates in shadow_rates.items():
        out[key] = integral(rates)
    return out


def sum_gap(totals: Mapping[str, np.ndarray], groups: list[dict[str, np.ndarray]], income: float) -> float:
    """Largest gap between a result and the sum of its groups' contributions [percentage points,
    or US$ million per US$ million of world income x 100 for change variables]."""
    table = variable_table()
    worst = 0.0
    for name, total in totals.items():
        if name not in groups[0] or not np.size(total):
            continue
        gap = np.abs(np.asarray(total) - sum(g[name] for g in groups))
        scale = income / 100.0 if name not in table or table[name].is_change else 1.0
        worst = max(worst, float(np.max(gap)) / scale)
    return worst
