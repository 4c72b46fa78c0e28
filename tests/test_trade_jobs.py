"""Trade-attributed jobs: the input-output multipliers and the gross attribution of GTAP v7 runs."""

from __future__ import annotations

import numpy as np
import pytest

from cge.indicators.gtap.multipliers import Multipliers as SamMultipliers


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


def test_run_reports_measure_parts_and_published_ratio(shipped_results):
    """cge.run (GTAP v7) reports the gross attribution by part with the published figure in its attrs;
    the headline and trade_jobs tables show it as a level, with the published / gross ratio and no
    change column (its change is not jobs lost). The old model's SAM-multiplier measure
    (us_na_trade_jobs_model, on the hand SAM) is gone: the gross measure needs the US, Mexico, Canada
    and the employment and margin satellites, which the shipped database has."""
    from cge.indicators.gtap.trade_jobs import PARTS as GROSS_PARTS
    from cge.indicators.gtap.trade_jobs import PUBLISHED_PERSONS
    from cge.report import headline_table, trade_jobs_table

    jobs = shipped_results["us_na_trade_jobs_gross"]
    assert jobs.dims == ("scenario", "part") and list(jobs.part.values) == list(GROSS_PARTS)
    assert jobs.attrs["published_persons"] == PUBLISHED_PERSONS and jobs.attrs["published_source"]
    assert "us_na_trade_jobs_model" not in shipped_results
    total = jobs.sum("part")
    base = float(total.sel(scenario="baseline"))
    table = trade_jobs_table(shipped_results)
    column = "gross trade-attributed jobs [persons]"
    assert table.loc["baseline", column] == pytest.approx(base)
    assert table.loc["baseline", "published / gross [ratio]"] == pytest.approx(PUBLISHED_PERSONS / base)
    parts = table[[f"{p.replace('_', ' ')} [persons]" for p in GROSS_PARTS]]
    np.testing.assert_allclose(parts.sum(axis=1), table[column], rtol=1e-12)
    assert not [c for c in table.columns if "change" in c]
    headline = headline_table(shipped_results)
    assert headline.loc[("USA", "tariff25"), column] == pytest.approx(float(total.sel(scenario="tariff25")))
    assert headline.loc["MEX", column].isna().all()  # the US measure on the US rows only
    # the tariffs cut the flows with the partners, so less is attributed to them
    assert float(total.sel(scenario="tariff25")) < base
