"""Jobs supported by trade with partner regions, defined like the published "13 million US jobs".

The published figure — more than 13 million US jobs depend on trade with Mexico and Canada (US
Chamber of Commerce, Dec. 2025, from Trade Partnership Worldwide's method; see
``../shared/data/macro/controls.csv``) — counts jobs supported by exports *and* imports,
including indirect (supply-chain) and induced (re-spent income) jobs. Our measure follows that
definition with an input–output / SAM-multiplier model of the home region evaluated at the
solution (so it moves with every scenario). Nothing scales it to the published figure: the
published number, its source and the ratio published / ours are attrs
(:func:`annotate_trade_jobs`). Method: ``docs/trade_jobs.md``.

For a final-demand-like vector ``f`` [US$ million by activity], with ``e`` persons per US$ of
output, ``A`` the domestic input coefficients and the household closed (wages per US$ of output
``v``, domestic household purchases per US$ of regional income ``h``):

* direct   = ``e' f``;
* indirect = ``e' (I − A)^-1 f − e' f`` (Leontief type I);
* induced  = ``e' [(I − B)^-1 (f, 0)]_n − e' (I − A)^-1 f`` with ``B = [[A, h], [v, 0]]`` (type II).

Two vectors ``f``: **exports** — the home region's shipments to the partners at producer market
prices; **imports** — each home activity's intermediate inputs sourced from the partners, at the
user's price (the activity's jobs are apportioned by the partner inputs' share of its output).
Imports for final demand support distribution jobs in the published method; the SAM has no
trade margins to trace them, so they are not counted. The two sides can overlap (an activity
that both exports to and buys from the partners), as in the published gross figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from cge.dims import BASELINE, HOUSEHOLD, PART, REGION, SCENARIO
from cge.indicators.gtap.multipliers import Multipliers as SamMultipliers
from cge.indicators.gtap.multipliers import ratio as _ratio
from cge.indicators.gtap.trade_jobs import PUBLISHED_PERSONS, PUBLISHED_SOURCE
from cge.indicators.registry import indicator
from cge.indicators.sector import persons_employed
from cge.indicators.values import Solution

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
        Published figure for the benchmark year [persons], shown beside ours (never used to
        scale it).
    source : str
        Citation of the published figure.
    """

    home: str = "USA"
    partners: tuple[str, ...] = ("MEX", "CAN")
    published_persons: float = PUBLISHED_PERSONS
    source: str = PUBLISHED_SOURCE

    def applies_to(self, sol: Solution) -> bool:
        """Whether the solved model has the regions and the employment satellite."""
        regions = set(sol.coords[REGION])
        return self.home in regions and set(self.partners) <= regions and "jobs_per_wage" in sol.bench


def domestic_shares(sol: Solution, h: int) -> np.ndarray:
    """Domestic share of each Armington composite of region ``h`` by value at the solution."""
    b = sol.bench
    domestic = b["dom0"][:, h] * sol.get("qdd", 0.0)[:, h] * sol.get("pd", 1.0)[:, h]
    absorption = b["qa0"][:, h] * sol.get("qa", 0.0)[:, h] * sol.get("pa", 1.0)[:, h]
    return _ratio(domestic, absorption)


def intermediate_use(sol: Solution, h: int) -> np.ndarray:
    """Intermediate use of each Armington composite by each activity of region ``h`` at user prices
    (input, activity) [US$ million]."""
    b = sol.bench
    return (b["vdfm"][:, :, h] + b["vifm"][:, :, h]) * sol.get("qf", 0.0)[:, :, h] * sol.get("pa", 1.0)[:, h, None]


def sam_multipliers(sol: Solution, h: int) -> SamMultipliers:
    """The multiplier system of region ``h`` (index on the region axis) at the solution."""
    b = sol.bench
    output = b["vdm"][:, h] * sol.get("pd", 1.0)[:, h] * sol.get("qo", 0.0)[:, h]
    share = domestic_shares(sol, h)
    wages = (b["vfm"] * sol.get("pfe", 1.0) * sol.get("qfe", 0.0))[b.labour][:, :, h].sum(axis=0)
    household = list(sol.coords["agent"]).index(HOUSEHOLD)
    spending = (b["vdfd"] + b["vifd"])[:, household, h] * sol.get("qfd", 0.0)[:, household, h]
    income = b["y0"][h] * sol.get("y", 1.0)[h]
    persons, _total = persons_employed(sol)
    return SamMultipliers(
        persons_per_output=_ratio(persons[:, h], output),
        domestic_inputs=_ratio(share[:, None] * intermediate_use(sol, h), output[None, :]),
        wages_per_output=_ratio(wages, output),
        household_purchases=share * spending * sol.get("pa", 1.0)[:, h] / income,
    )


def trade_vectors(sol: Solution, spec: TradeJobsSpec) -> tuple[np.ndarray, np.ndarray]:
    """(exports, partner-input-supported output) of the home region by activity [US$ million].

    Exports: shipments to the partners at the producer's market price (incl. iceberg losses).
    Imports side: each activity's intermediate inputs sourced from the partners, at user prices
    (national Armington sourcing: the activity's use × the import share × the partners' share of
    imports by value).
    """
    b, regions = sol.bench, list(sol.coords[REGION])
    h = regions.index(spec.home)
    partner = np.isin(np.asarray(regions), list(spec.partners))
    qxs = sol.get("qxs", 0.0)
    shipped = b["vxmd"][:, h, partner] * sol.get("tau", 1.0)[:, h, partner] * qxs[:, h, partner]
    exports = shipped.sum(axis=1) * sol.get("pd", 1.0)[:, h]
    imports = b["vims"][:, :, h] * sol.get("pms", 1.0)[:, :, h] * qxs[:, :, h]  # (commodity, source)
    partner_share = _ratio(imports[:, partner].sum(axis=1), imports.sum(axis=1))
    supported = ((1.0 - domestic_shares(sol, h)) * partner_share) @ intermediate_use(sol, h)
    return exports, supported


def trade_jobs_parts(sol: Solution, spec: TradeJobsSpec) -> dict[str, float]:
    """Trade-supported jobs of ``spec.home`` by part (:data:`PARTS`) at the solution [persons]."""
    system = sam_multipliers(sol, list(sol.coords[REGION]).index(spec.home))
    exports, supported = trade_vectors(sol, spec)
    return dict(zip(PARTS, (*system.jobs(exports), *system.jobs(supported))))


@indicator("us_na_trade_jobs_model", "us_na_trade_jobs_parts")
def trade_jobs(sol: Solution, trade_jobs_spec: TradeJobsSpec | None = None, **_) -> dict:
    """Jobs supported by trade with the partners (published definition) and its parts [persons]."""
    if trade_jobs_spec is None or not trade_jobs_spec.applies_to(sol):
        return {}
    parts = np.array(list(trade_jobs_parts(sol, trade_jobs_spec).values()))
    return {"us_na_trade_jobs_model": ((), np.float64(parts.sum())), "us_na_trade_jobs_parts": ((PART,), parts)}


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
        "see cge/indicators/trade_jobs.py and docs/trade_jobs.md",
    }
    if BASELINE in ds[SCENARIO].values:
        base = ds["us_na_trade_jobs_model"].sel({SCENARIO: BASELINE}, drop=True)
        if base.ndim == 0:
            attrs.update(model_baseline_persons=float(base), published_over_model=spec.published_persons / float(base))
    ds["us_na_trade_jobs_model"].attrs.update(attrs)
    if "us_na_trade_jobs_parts" in ds:
        ds["us_na_trade_jobs_parts"].attrs.update(region=spec.home, partners=partners)
    return ds
