"""Sector indicators: output and prices by commodity, persons employed by activity."""

from __future__ import annotations

import numpy as np

from cge.dims import ACTIVITY, COMMODITY, REGION
from cge.indicators.macro import BN
from cge.indicators.registry import indicator
from cge.indicators.values import Solution


@indicator("output", "output_pct", "price_pct")
def output_and_prices(sol: Solution, **_) -> dict:
    """Output volume [US$ bn at benchmark prices] and its change, and the change of the domestic
    market price [percent], by region and commodity (one commodity per activity)."""
    qo = sol.get("qo", 1.0)
    dims = (REGION, COMMODITY)
    return {
        "output": (dims, (sol.bench["vom"] * sol.get("qo", 0.0)).T * BN),
        "output_pct": (dims, 100.0 * (qo - 1.0).T),
        "price_pct": (dims, 100.0 * (sol.get("pd", 1.0) - 1.0).T),
    }


def labour_jobs(sol: Solution) -> np.ndarray:
    """Persons by (activity, region) at benchmark persons per US$ of wages times the labour
    volume in use (the one definition of jobs by activity) [persons]."""
    wage_volume = (sol.bench["vfm"] * sol.get("qfe", 0.0))[sol.bench.labour].sum(axis=0)
    return sol.bench["jobs_per_wage"] * wage_volume


def persons_employed(sol: Solution) -> tuple[np.ndarray, np.ndarray]:
    """Persons employed by (activity, region) and by region [persons] (needs the employment satellite).

    A region's total persons move with its labour volume (the labour in use, in benchmark US$ of
    wages): unchanged under full employment, changing under the wage-curve and fixed-real-wage
    closures. The total is spread over activities by :func:`labour_jobs`, so reallocation shows by
    activity without changing the total under full employment.
    """
    b = sol.bench
    wage_bench = b["vfm"][b.labour].sum(axis=0).sum(axis=0)
    wage_volume = (b["vfm"] * sol.get("qfe", 0.0))[b.labour].sum(axis=0).sum(axis=0)
    index = wage_volume / np.where(wage_bench > 0, wage_bench, 1.0)
    total = b["employment0"].sum(axis=0) * index
    raw = labour_jobs(sol)
    raw_total = raw.sum(axis=0)
    return raw * (total / np.where(raw_total > 0, raw_total, 1.0)), total


@indicator("employment", "employment_total", "employment_change", "employment_reallocation")
def employment(sol: Solution, **_) -> dict:
    """Persons employed by region and activity (:func:`persons_employed`), their total and its
    change vs the benchmark, and the persons who change activity: the smaller of the summed
    activity gains and the summed activity losses against the benchmark [persons]."""
    b = sol.bench
    if "jobs_per_wage" not in b:
        return {}
    jobs, total = persons_employed(sol)
    change = jobs - b["employment0"]
    moved = np.minimum(np.clip(change, 0, None).sum(axis=0), np.clip(-change, 0, None).sum(axis=0))
    return {
        "employment": ((REGION, ACTIVITY), jobs.T),
        "employment_total": ((REGION,), total),
        "employment_change": ((REGION,), total - b["employment0"].sum(axis=0)),
        "employment_reallocation": ((REGION,), moved),
    }
