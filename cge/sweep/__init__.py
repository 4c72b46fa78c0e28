"""Many scenarios and systematic sensitivity analysis on Dask (DESIGN §2, issue 5).

Public API: :func:`run_sweep`, :func:`run_many`, :class:`SSASpec` (the TOML schema),
:func:`stroud_points`, :func:`plan_draws`. See ``docs/sweep.md``.
"""

from cge.sweep.distributions import DrawPlan, SSAError, SSASpec, plan_draws, stroud_points
from cge.sweep.runner import CHEBYSHEV_K, SweepError, dask_client, run_many, run_sweep, summarize

__all__ = [
    "run_sweep",
    "run_many",
    "SSASpec",
    "SSAError",
    "SweepError",
    "DrawPlan",
    "plan_draws",
    "stroud_points",
    "summarize",
    "dask_client",
    "CHEBYSHEV_K",
]
