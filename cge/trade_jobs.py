"""Jobs supported by trade with partner regions, defined like the published "13 million US jobs".

The published figure — more than 13 million US jobs depend on trade with Mexico and Canada (US
Chamber of Commerce, Dec. 2025, from Trade Partnership Worldwide's method; see
``../shared/data/macro/controls.csv``) — counts jobs supported by exports *and* imports,
including indirect (supply-chain) and induced (re-spent income) jobs. Our measure follows that
definition with an input–output / SAM-multiplier model of the home region evaluated at the
current solution (so it moves with every scenario); nothing scales it to the published figure.

For a final-demand-like vector ``f`` [US$ million], with ``e`` persons per US$ of output by
activity, ``A`` the domestic input coefficients and the household closed (SAM multiplier:
wages per US$ of output ``v``, domestic household purchases per US$ of regional income ``h``):

* direct   = ``e' f``;
* indirect = ``e' (I − A)^-1 f − e' f`` (Leontief type I);
* induced  = ``e' [(I − B)^-1 (f, 0)]_n − e' (I − A)^-1 f`` with ``B = [[A, h], [v, 0]]`` (type II).

Two vectors ``f``: **exports** — the home region's shipments to the partners at producer market
prices; **imports** — the output of each home activity attributable to its intermediate inputs
from the partners (the value of those inputs at the user's price: the activity's jobs are
apportioned by the partner inputs' share of its output value). Imports for final demand support
distribution jobs in the published method; the SAM has no trade margins to trace them, so they
are not counted. The two sides can overlap (an activity that both exports to and buys from the
partners), as in the published gross figure. See ``docs/trade_jobs.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from cge.dims import BASELINE, HOUSEHOLD, LABOUR, PART, SCENARIO
from cge.indicators import indicator_attrs
from cge.model import Model

PARTS = (
    "exports_direct",
    "exports_indirect",
    "exports_induced",
    "imports_direct",
    "imports_indirect",
    "imports_induced",
)
"""Parts of ``us_na_trade_jobs_parts``; they sum to ``us_na_trade_jobs_model``."""


@dataclass(frozen=True)
class TradeJobsSpec:
    """Which trade relationship the indicator measures.

    Attributes
    ----------
    home : str
        Region whose jobs are counted.
    partners : tuple of str
        Partner regions.
    published_persons : float
        Published figure for the benchmark year [persons], reported beside ours (never used to
        scale it).
    source : str
        Citation of the published figure.
    """

    home: str = "USA"
    partners: tuple[str, ...] = ("MEX", "CAN")
    published_persons: float = 13.0e6
    source: str = (
        "US Chamber of Commerce testimony, Dec. 2025 ('more than 13 million'); method of Trade Partnership "
        "Worldwide for the Business Roundtable (controls.csv row trade_supported_jobs USA CAN+MEX 2024)"
    )

    def applies_to(self, model: Model) -> bool:
        regions = set(model.index.regions)
        return self.home in regions and set(self.partners) <= regions and model.lookup.has("jobs_per_wage")


@dataclass(frozen=True)
class SamMultipliers:
    """The home region's input–output and SAM-multiplier system at the current solution.

    Attributes
    ----------
    activities : list of str
    persons_per_output : ndarray
        ``e`` [persons per US$ million of output at market prices].
    domestic_inputs : ndarray
        ``A`` (n, n) [US$ of domestic input per US$ of output].
    wages_per_output : ndarray
        ``v`` [US$ of labour income per US$ of output].
    household_purchases : ndarray
        ``h`` [US$ of domestic household purchases per US$ of income].
    """

    activities: list[str]
    persons_per_output: np.ndarray
    domestic_inputs: np.ndarray
    wages_per_output: np.ndarray
    household_purchases: np.ndarray

    def jobs(self, demand: np.ndarray) -> tuple[float, float, float]:
        """(direct, indirect, induced) persons supported by ``demand`` [US$ million by activity]."""
        n = len(self.activities)
        e = self.persons_per_output
        type_one = np.linalg.solve(np.eye(n) - self.domestic_inputs, demand)
        closed = np.zeros((n + 1, n + 1))
        closed[:n, :n] = self.domestic_inputs
        closed[:n, n] = self.household_purchases
        closed[n, :n] = self.wages_per_output
        type_two = np.linalg.solve(np.eye(n + 1) - closed, np.append(demand, 0.0))[:n]
        direct = float(e @ demand)
        return direct, float(e @ type_one) - direct, float(e @ type_two - e @ type_one)


def sam_multipliers(model: Model, home: str, persons: dict[str, float]) -> SamMultipliers:
    """Build the home region's multiplier system from the solved model.

    Parameters
    ----------
    model : Model
        Solved model.
    home : str
        Region label.
    persons : dict
        Persons employed by activity in ``home`` at the solution (the ``employment`` result).
    """
    m, lk, ix = model.pyomo, model.lookup, model.index
    acts = [j for j, r in ix.activities if r == home]
    pos = {j: k for k, j in enumerate(acts)}
    n = len(acts)
    vdm, vdfm, vifm = lk("vdm"), lk("vdfm"), lk("vifm")
    vfm, vdfd, vifd, y0 = lk("vfm"), lk("vdfd"), lk("vifd"), lk("y0")
    labour = {f for f, t in ix.factor_types.items() if t == LABOUR}
    output = np.array([vdm[j, home] * pyo.value(m.pd[j, home] * m.qo[j, home]) for j in acts])
    share = domestic_shares(model, home)
    a_dom = np.zeros((n, n))
    for i, j, r in ix.intermediate_uses:
        if r == home and i in pos:
            use = (vdfm[i, j, r] + vifm[i, j, r]) * pyo.value(m.qf[i, j, r] * m.pa[i, r])
            a_dom[pos[i], pos[j]] += share.get(i, 0.0) * use / output[pos[j]]
    wages = np.zeros(n)
    for f, j, r in ix.factor_uses:
        if r == home and f in labour:
            wages[pos[j]] += vfm[f, j, r] * pyo.value(m.pfe[f, j, r] * m.qfe[f, j, r])
    income = y0[home] * pyo.value(m.y[home])
    purchases = np.zeros(n)
    for i, a, r in ix.fd_uses:
        if r == home and a == HOUSEHOLD and i in pos:
            value = (vdfd[i, a, r] + vifd[i, a, r]) * pyo.value(m.qfd[i, a, r] * m.pa[i, r])
            purchases[pos[i]] += share.get(i, 0.0) * value / income
    per_output = np.array([persons.get(j, 0.0) for j in acts])
    return SamMultipliers(
        activities=acts,
        persons_per_output=np.divide(per_output, output, out=np.zeros(n), where=output > 0),
        domestic_inputs=a_dom,
        wages_per_output=np.divide(wages, output, out=np.zeros(n), where=output > 0),
        household_purchases=purchases,
    )


def domestic_shares(model: Model, region: str) -> dict[str, float]:
    """Domestic share of each Armington composite of ``region`` by value at the solution."""
    m, lk, ix = model.pyomo, model.lookup, model.index
    dom0, qa0 = lk("dom0"), lk("qa0")
    has_dom = set(ix.domestic_supply)
    out = {}
    for i, r in ix.armington:
        if r == region:
            dom = dom0[i, r] * pyo.value(m.qdd[i, r] * m.pd[i, r]) if (i, r) in has_dom else 0.0
            out[i] = dom / (qa0[i, r] * pyo.value(m.qa[i, r] * m.pa[i, r]))
    return out


def trade_vectors(model: Model, spec: TradeJobsSpec) -> tuple[np.ndarray, np.ndarray]:
    """(exports, partner-input-supported output) of the home region by activity [US$ million].

    Exports: shipments to the partners at the producer's market price (incl. iceberg losses).
    Imports side: each activity's intermediate inputs sourced from the partners, at user prices.
    """
    m, lk, ix = model.pyomo, model.lookup, model.index
    home, partners = spec.home, set(spec.partners)
    acts = [j for j, r in ix.activities if r == home]
    pos = {j: k for k, j in enumerate(acts)}
    vxmd, vims, vdfm, vifm = lk("vxmd"), lk("vims"), lk("vdfm"), lk("vifm")
    exports = np.zeros(len(acts))
    imports, from_partners = {}, {}
    for i, s, d in ix.flows:
        if s == home and d in partners:
            exports[pos[i]] += vxmd[i, s, d] * pyo.value(m.pd[i, s] * m.tau[i, s, d] * m.qxs[i, s, d])
        if d == home:
            value = vims[i, s, d] * pyo.value(m.pms[i, s, d] * m.qxs[i, s, d])
            imports[i] = imports.get(i, 0.0) + value
            from_partners[i] = from_partners.get(i, 0.0) + (value if s in partners else 0.0)
    share = domestic_shares(model, home)
    supported = np.zeros(len(acts))
    for i, j, r in ix.intermediate_uses:
        if r == home and imports.get(i, 0.0) > 0:
            use = (vdfm[i, j, r] + vifm[i, j, r]) * pyo.value(m.qf[i, j, r] * m.pa[i, r])
            supported[pos[j]] += use * (1.0 - share.get(i, 1.0)) * from_partners[i] / imports[i]
    return exports, supported


def trade_jobs_parts(model: Model, spec: TradeJobsSpec, persons: dict[str, float]) -> dict[str, float]:
    """Trade-supported jobs of ``spec.home`` by part (:data:`PARTS`) at the solution [persons]."""
    system = sam_multipliers(model, spec.home, persons)
    exports, supported = trade_vectors(model, spec)
    values = (*system.jobs(exports), *system.jobs(supported))
    return dict(zip(PARTS, values))


def trade_jobs_arrays(model: Model, spec: TradeJobsSpec, employment: xr.DataArray) -> dict[str, xr.DataArray]:
    """``us_na_trade_jobs_parts`` (part) and ``us_na_trade_jobs_model`` [persons] of one solve.

    ``employment`` is the persons-by-activity result (dims region, commodity).
    """
    persons = {str(j): float(v) for j, v in employment.sel(region=spec.home).to_series().items()}
    parts = trade_jobs_parts(model, spec, persons)
    da = xr.DataArray(list(parts.values()), dims=PART, coords={PART: list(parts)})
    return {
        "us_na_trade_jobs_parts": da.assign_attrs(indicator_attrs("us_na_trade_jobs_parts")),
        "us_na_trade_jobs_model": xr.DataArray(float(da.sum()), attrs=indicator_attrs("us_na_trade_jobs_model")),
    }


def annotate_trade_jobs(ds: xr.Dataset, spec: TradeJobsSpec | None) -> xr.Dataset:
    """Attach the published figure, its source and the ratio published / ours (at the baseline)
    to ``us_na_trade_jobs_model``. Works on any extra dimension (e.g. the sweep's ``draw``)."""
    if spec is None or "us_na_trade_jobs_model" not in ds:
        return ds
    partners = "+".join(spec.partners)
    attrs = {
        "region": spec.home,
        "partners": partners,
        "published_persons": spec.published_persons,
        "published_source": spec.source,
        "method": "exports and imports x direct, indirect (Leontief) and induced (SAM multiplier); "
        "see cge/trade_jobs.py and docs/trade_jobs.md",
    }
    if BASELINE in ds[SCENARIO].values:
        base = ds["us_na_trade_jobs_model"].sel({SCENARIO: BASELINE}, drop=True)
        if base.ndim == 0:
            attrs.update(model_baseline_persons=float(base), published_over_model=spec.published_persons / float(base))
    ds["us_na_trade_jobs_model"].attrs.update(attrs)
    for name in ("us_na_trade_jobs_parts",):
        if name in ds:
            ds[name].attrs.update(region=spec.home, partners=partners)
    return ds
