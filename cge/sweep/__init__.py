"""Many scenarios and systematic sensitivity analysis on Dask (DESIGN §2, issue 5).

Public API: :func:`run_sweep`, :func:`run_many`, :class:`SSASpec` (the TOML schema),
:func:`stroud_points`, :func:`plan_draws`; checkpoints and resume (:mod:`cge.sweep.checkpoint`),
fault-tolerant execution (:mod:`cge.sweep.execute`). See ``docs/sweep.md``.
"""

from cge.sweep.checkpoint import CheckpointError, default_checkpoint
from cge.sweep.distributions import DrawPlan, SSAError, SSASpec, plan_draws, stroud_points
from cge.sweep.execute import SweepError, SweepIncompleteError, dask_client
from cge.sweep.runner import run_many, run_sweep
from cge.sweep.statistics import CHEBYSHEV_K, summarize

__all__ = [
    "run_sweep",
    "run_many",
    "SSASpec",
    "SSAError",
    "SweepError",
    "SweepIncompleteError",
    "CheckpointError",
    "default_checkpoint",
    "DrawPlan",
    "plan_draws",
    "stroud_points",
    "summarize",
    "dask_client",
    "CHEBYSHEV_K",
]
