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
the scale factor ``baseline_persons / model(baseline)`` is reported too (:func:`scale_trade_jobs`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from cge.dims import BASELINE, REGION, SCENARIO
from cge.indicators.flows import Flows
from cge.indicators.registry import indicator, indicator_attrs
from cge.indicators.sector import labour_jobs
from cge.indicators.values import Solution


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

    def applies_to(self, sol: Solution) -> bool:
        """Whether the solved model has the regions and the employment satellite."""
        regions = set(sol.coords[REGION])
        return self.home in regions and set(self.partners) <= regions and "jobs_per_wage" in sol.bench


def trade_jobs_components(sol: Solution, trade: Flows, spec: TradeJobsSpec) -> dict[str, float]:
    """Export jobs and import-using jobs of ``spec.home`` at the solution [persons].

    Arrays over the home region's commodities (activities): ``output`` and ``cost`` at market and
    basic prices, jobs by :func:`~cge.indicators.sector.labour_jobs`, domestic input coefficients
    ``A_d`` and the partners' share of imported inputs.
    """
    b, regions = sol.bench, sol.coords[REGION]
    h = regions.index(spec.home)
    partner = np.isin(np.asarray(regions), list(spec.partners))
    qo = sol.get("qo", 0.0)[:, h]
    output, cost = b["vdm"][:, h] * qo, b["vom"][:, h] * qo
    jobs = labour_jobs(sol)[:, h]
    absorption = b["qa0"][:, h] * sol.get("qa", 0.0)[:, h]
    domestic = b["dom0"][:, h] * sol.get("qdd", 0.0)[:, h]
    dom_share = np.divide(domestic, absorption, out=np.zeros_like(domestic), where=absorption > 0)
    imports = b["vims"][:, :, h] * sol.get("qxs", 0.0)[:, :, h]  # (commodity, source)
    total_imports = imports.sum(axis=1)
    partner_share = np.divide(
        imports[:, partner].sum(axis=1), total_imports, out=np.zeros_like(total_imports), where=total_imports > 0
    )
    use = (b["vdfm"][:, :, h] + b["vifm"][:, :, h]) * sol.get("qf", 0.0)[:, :, h]  # (input, activity)
    a_dom = np.divide(dom_share[:, None] * use, output[None, :], out=np.zeros_like(use), where=output[None, :] > 0)
    partner_inputs = ((1.0 - dom_share) * partner_share) @ use
    shipped = b["vxmd"][:, h, partner] * trade.tau[:, h, partner] * sol.get("qxs", 0.0)[:, h, partner]
    exports = shipped.sum(axis=1)  # at the exporter's benchmark market prices, incl. iceberg losses
    per_output = np.divide(jobs, output, out=np.zeros_like(jobs), where=output > 0)
    required = np.linalg.solve(np.eye(len(output)) - a_dom, exports)
    export_jobs = float(per_output @ required)
    import_jobs = float(np.sum(np.divide(jobs * partner_inputs, cost, out=np.zeros_like(jobs), where=cost > 0)))
    return {"export_jobs": export_jobs, "import_using_jobs": import_jobs, "total": export_jobs + import_jobs}


@indicator("us_na_trade_jobs_model", "us_na_trade_jobs_export_jobs", "us_na_trade_jobs_import_using_jobs")
def trade_jobs(sol: Solution, trade: Flows, trade_jobs_spec: TradeJobsSpec | None = None, **_) -> dict:
    """The model measure of jobs supported by trade with the partners and its two parts [persons]."""
    if trade_jobs_spec is None or not trade_jobs_spec.applies_to(sol):
        return {}
    parts = trade_jobs_components(sol, trade, trade_jobs_spec)
    return {
        "us_na_trade_jobs_model": ((), np.float64(parts["total"])),
        "us_na_trade_jobs_export_jobs": ((), np.float64(parts["export_jobs"])),
        "us_na_trade_jobs_import_using_jobs": ((), np.float64(parts["import_using_jobs"])),
    }


def scale_trade_jobs(ds: xr.Dataset, spec: TradeJobsSpec | None) -> xr.Dataset:
    """Trade-supported jobs on the published baseline: ``baseline_persons × model / model(baseline)``.

    Adds ``us_na_trade_jobs`` from ``us_na_trade_jobs_model`` (needs the ``baseline`` scenario;
    works on any extra dimension, e.g. the sweep's ``draw``: each draw's baseline is its own
    reference) and describes the measure in the attrs of both.
    """
    if spec is None or "us_na_trade_jobs_model" not in ds:
        return ds
    partners = "+".join(spec.partners)
    model_jobs = ds["us_na_trade_jobs_model"]
    model_jobs.attrs.update(
        long_name=f"{spec.home} jobs supported by trade with {partners}, model measure "
        "(export-embodied + import-using jobs)",
        region=spec.home,
        partners=partners,
    )
    if BASELINE not in ds[SCENARIO].values:  # nothing to scale by
        return ds
    base = model_jobs.sel({SCENARIO: BASELINE}, drop=True)
    attrs = indicator_attrs("us_na_trade_jobs") | {
        "long_name": f"{spec.home} jobs supported by trade with {partners}, on the published baseline",
        "region": spec.home,
        "partners": partners,
        "baseline_persons": spec.baseline_persons,
        "baseline_source": spec.source,
        "method": "published baseline x model(scenario) / model(baseline); see cge/indicators/trade_jobs.py",
    }
    if base.ndim == 0:
        attrs.update(model_baseline_persons=float(base), published_over_model=spec.baseline_persons / float(base))
    ds["us_na_trade_jobs"] = (model_jobs * (spec.baseline_persons / base)).assign_attrs(attrs)
    return ds
