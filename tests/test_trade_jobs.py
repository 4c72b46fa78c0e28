"""Trade-supported jobs with the published definition: multipliers, parts, no scale factor."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import solved

import cge
from cge.calibrate import calibrate
from cge.indicators.trade_jobs import (
    PARTS,
    SamMultipliers,
    TradeJobsSpec,
    sam_multipliers,
    trade_jobs_parts,
    trade_vectors,
)
from cge.indicators.values import solution

SPEC = TradeJobsSpec(home="A", partners=("B",), published_persons=1000.0, source="a test figure")


def test_multiplier_parts_match_closed_forms():
    rng = np.random.default_rng(3)
    n = 4
    a = rng.uniform(0.0, 0.15, (n, n))
    e, v, h = rng.uniform(1, 10, n), rng.uniform(0.2, 0.5, n), rng.uniform(0.0, 0.2, n)
    system = SamMultipliers(e, a, v, h)
    f = rng.uniform(0, 100, n)
    direct, indirect, induced = system.jobs(f)
    assert direct == pytest.approx(e @ f)
    assert direct + indirect == pytest.approx(e @ np.linalg.inv(np.eye(n) - a) @ f)
    # type II: the household's spending h * (wages) feeds back until it dies out
    x, total = f.copy(), np.zeros(n)
    for _ in range(400):
        output = np.linalg.solve(np.eye(n) - a, x)
        total += output
        x = h * (v @ output)
    assert direct + indirect + induced == pytest.approx(e @ total, rel=1e-9)
    assert indirect > 0 and induced > 0
    bare = SamMultipliers(e, np.zeros((n, n)), v, np.zeros(n))
    assert bare.jobs(f) == pytest.approx((e @ f, 0.0, 0.0))


def test_direct_export_jobs_by_hand(hand_sam, hand_elasticities):
    """At the benchmark, A's direct export jobs = persons in man x exports / output = 1000 x 25/95."""
    model, solver, _r = solved(hand_sam, hand_elasticities)
    sol = solution(solver, calibrate(hand_sam, hand_elasticities))
    parts = trade_jobs_parts(sol, SPEC)
    assert parts["exports_direct"] == pytest.approx(1000.0 * 25.0 / 95.0, rel=1e-12)
    exports, supported = trade_vectors(sol, SPEC)
    assert exports == pytest.approx([25.0, 0.0])
    # inputs from B: each activity's Armington use of man (man 20 + 10, ser 5) x the import share of man in A
    lk = model.lookup
    share = lk("imp0")["man", "A"] / lk("qa0")["man", "A"]
    assert supported == pytest.approx([30.0 * share, 5.0 * share])
    system = sam_multipliers(sol, 0)
    assert parts["imports_direct"] == pytest.approx(system.persons_per_output @ supported)
    assert all(value >= 0 for value in parts.values())


def test_run_reports_measure_parts_and_published_ratio(hand_sam, hand_elasticities):
    scen = cge.Scenario(name="t", tariffs=[{"importer": "A", "exporter": "B", "commodity": "man", "rate_pct": 40}])
    ds = cge.run(scen, sam=hand_sam, elasticities=hand_elasticities, trade_jobs=SPEC, welfare_steps=0)
    jobs, parts = ds["us_na_trade_jobs_model"], ds["us_na_trade_jobs_parts"]
    assert list(parts.part.values) == list(PARTS)
    np.testing.assert_allclose(parts.sum("part"), jobs, rtol=1e-12)
    base = float(jobs.sel(scenario="baseline"))
    assert jobs.attrs["published_over_model"] == pytest.approx(1000.0 / base)
    assert jobs.attrs["published_persons"] == 1000.0
    assert jobs.attrs["published_source"] == "a test figure"
    # the tariff cuts trade with B, so fewer jobs depend on it
    assert float(jobs.sel(scenario="t")) < base
    assert "us_na_trade_jobs" not in ds
