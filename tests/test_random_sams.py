"""Hypothesis: random balanced SAMs (up to 6 regions x 8 sectors, zero flows, 1-3 factors)
calibrate and replicate the benchmark with 0 Ipopt iterations."""

from __future__ import annotations

import numpy as np
from conftest import mixed_elasticities
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sam_factory import random_balanced_sam

from cge.calibrate import calibrate
from cge.model import CapitalClosure, Closure, LabourClosure, MacroClosure, build_model
from cge.solve import Solver
from cge.solve.ipopt import ipopt_solve


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_regions=st.integers(1, 6),
    n_commodities=st.integers(1, 8),
    n_factors=st.integers(1, 3),
    zero_share=st.sampled_from([0.0, 0.2, 0.5]),
    seed=st.integers(0, 10_000),
    closure=st.sampled_from(
        [
            Closure(),
            Closure(MacroClosure.GLOBAL_BANK, LabourClosure.FIXED_REAL_WAGE, CapitalClosure.SECTOR_SPECIFIC),
            Closure(MacroClosure.RATE_OF_RETURN, LabourClosure.WAGE_CURVE, CapitalClosure.STEADY_STATE),
        ]
    ),
)
def test_random_sam_replicates_with_zero_iterations(n_regions, n_commodities, n_factors, zero_share, seed, closure):
    assume(n_factors > 1 or closure.macro != MacroClosure.RATE_OF_RETURN)  # the bank needs capital income
    sam = random_balanced_sam(n_regions, n_commodities, n_factors, seed=seed, zero_share=zero_share)
    cal = calibrate(sam, mixed_elasticities(sam.commodity.values, seed=seed))
    solver = Solver(build_model(cal, closure))
    max_res, walras = solver.residuals(solver.x_benchmark, solver.p_benchmark)
    assert max_res < 1e-9 and walras < 1e-9
    outcome = ipopt_solve(solver.compiled, solver.x_benchmark, solver.p_benchmark)
    assert outcome.iterations == 0
    assert np.max(np.abs(outcome.x - 1.0)) < 1e-12
