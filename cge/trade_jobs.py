"""Jobs supported by trade with partner regions (the "13 million US jobs" indicator).

The published figure — more than 13 million US jobs depend on trade with Mexico and Canada (US
Chamber of Commerce, Dec. 2025, from Trade Partnership Worldwide's method; see
``../shared/data/macro/controls.csv``) — comes from a different model. We therefore compute our
*own* measure in every scenario and apply its relative change to the published baseline:

``us_na_trade_jobs = baseline_persons × model(scenario) / model(baseline)``.

The model measure [persons] has two parts, both from the employment satellite (persons per US$
of labour payments) and the solved quantities:

1. **export jobs**: persons embodied, directly and through the domestic supply chain, in the home
   region's exports to the partners: ``e' (I - A_d)^-1 x``, where ``e`` is persons per US$ of
   output by activity, ``A_d`` the domestic input coefficients (intermediate use × the domestic
   share of the national Armington composite) and ``x`` exports to the partners at benchmark
   prices (incl. iceberg losses);
2. **import-using jobs**: persons in each home activity times the share of its input costs that
   are intermediates imported from the partners (jobs in activities that process partner inputs).

Both parts are reported in the variable's attrs. Nothing here is tuned to reproduce 13 million:
the scale factor ``baseline_persons / model(baseline)`` is reported too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from cge.dims import LABOUR
from cge.model import Model


@dataclass(frozen=True)
class TradeJobsSpec:
    """Which trade relationship the indicator measures.

    Attributes
    ----------
    home : str
        Region whose jobs are counted.
    partners : tuple of str
        Partner regions.
    baseline_persons : float
        Published baseline figure [persons].
    source : str
        Citation of the published figure.
    """

    home: str = "USA"
    partners: tuple[str, ...] = ("MEX", "CAN")
    baseline_persons: float = 13.0e6
    source: str = (
        "US Chamber of Commerce testimony, Dec. 2025 ('more than 13 million'); method of Trade Partnership "
        "Worldwide for the Business Roundtable (controls.csv row trade_supported_jobs USA CAN+MEX 2024)"
    )

    def applies_to(self, model: Model) -> bool:
        regions = set(model.index.regions)
        return self.home in regions and set(self.partners) <= regions and model.lookup.has("jobs_per_wage")


def trade_jobs_components(model: Model, spec: TradeJobsSpec) -> dict[str, float]:
    """Export jobs and import-using jobs of ``spec.home`` at the current solution [persons]."""
    m, lk, ix = model.pyomo, model.lookup, model.index
    home, partners = spec.home, set(spec.partners)
    acts = [j for j, r in ix.activities if r == home]
    pos = {j: k for k, j in enumerate(acts)}
    n = len(acts)
    vdm, vom, vdfm, vifm = lk("vdm"), lk("vom"), lk("vdfm"), lk("vifm")
    dom0, qa0, vims, vxmd, vfm = lk("dom0"), lk("qa0"), lk("vims"), lk("vxmd"), lk("vfm")
    jobs_per_wage = lk("jobs_per_wage")
    labour = {f for f, t in ix.factor_types.items() if t == LABOUR}

    output = np.array([vdm[j, home] * m.qo[j, home].value for j in acts])  # market value units
    cost = np.array([vom[j, home] * m.qo[j, home].value for j in acts])
    jobs = np.zeros(n)
    for f, j, r in ix.factor_uses:
        if r == home and f in labour:
            jobs[pos[j]] += jobs_per_wage[j, r] * vfm[f, j, r] * pyo.value(m.qfe[f, j, r])

    dom_share, partner_share = {}, {}
    for i, r in ix.armington:
        if r != home:
            continue
        dom = dom0[i, r] * pyo.value(m.qdd[i, r]) if (i, r) in m.qdd else 0.0
        dom_share[i] = dom / (qa0[i, r] * m.qa[i, r].value)
    imports = {}
    for i, s, r in ix.flows:
        if r == home:
            value = vims[i, s, r] * pyo.value(m.qxs[i, s, r])
            tot, part = imports.get(i, (0.0, 0.0))
            imports[i] = (tot + value, part + (value if s in partners else 0.0))
    for i, (tot, part) in imports.items():
        partner_share[i] = part / tot if tot > 0 else 0.0

    a_dom = np.zeros((n, n))
    partner_inputs = np.zeros(n)
    for i, j, r in ix.intermediate_uses:
        if r != home:
            continue
        use = (vdfm[i, j, r] + vifm[i, j, r]) * pyo.value(m.qf[i, j, r])
        if i in pos:
            a_dom[pos[i], pos[j]] += dom_share.get(i, 0.0) * use / output[pos[j]]
        partner_inputs[pos[j]] += (1.0 - dom_share.get(i, 1.0)) * partner_share.get(i, 0.0) * use

    exports = np.zeros(n)
    for i, s, d in ix.flows:
        if s == home and d in partners:
            exports[pos[i]] += vxmd[i, s, d] * pyo.value(m.tau[i, s, d]) * pyo.value(m.qxs[i, s, d])
    per_output = np.divide(jobs, output, out=np.zeros(n), where=output > 0)
    required = np.linalg.solve(np.eye(n) - a_dom, exports)
    export_jobs = float(per_output @ required)
    import_jobs = float(np.sum(np.divide(jobs * partner_inputs, cost, out=np.zeros(n), where=cost > 0)))
    return {"export_jobs": export_jobs, "import_using_jobs": import_jobs, "total": export_jobs + import_jobs}
