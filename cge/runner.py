"""``cge.run``: solve scenarios on the GTAP v7 model and stack the results on ``scenario``.

The work is :func:`cge.gtap.scenario_runner.run_gtap` (database, closures, shocks, indicators,
provenance); this module keeps the public entry point and its historic names
(:class:`~cge.errors.BatchSolveError`, :func:`~cge.scenario.scenario_list`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
import xarray as xr

from cge.errors import BatchSolveError
from cge.options import RunOptions
from cge.scenario import Scenario, scenario_list

Progress = Callable[[str, int, int], None]
"""Called as ``progress(message, solves_done, solves_total)`` when a stage starts or a solve ends."""

__all__ = ["BatchSolveError", "Progress", "run", "scenario_list"]


def run(
    scenarios: Scenario | str | Path | Iterable,
    sam: xr.Dataset | str | Path | None = None,
    elasticities: pd.DataFrame | str | Path | None = None,
    progress: Progress | None = None,
    options: RunOptions | None = None,
    **overrides,
) -> xr.Dataset:
    """Solve scenarios on the GTAP v7 model and return their results stacked on ``scenario``.

    The work of :func:`cge.gtap.scenario_runner.run_gtap`: the scenarios' rows become shocks to
    GTAP's tax powers, each closure is GTAP's standard closure with the horizon's swaps
    (:func:`cge.gtap.horizons.gtap_closure`), and the results are the indicators on GTAP v7
    variables with ``qgdp`` and ``EV`` (GEMPACK's names) beside them; with ``subtotals=True``
    each result is split by shock group (``subtotal`` dim).

    Parameters
    ----------
    scenarios : Scenario, path, or iterable of them
        Scenario objects or TOML files.
    sam : Dataset, path or None
        The database: a GTAP v7 database (a directory of HAR files or a Dataset of
        :func:`cge.gtap.load_database`), a SAM in the schema (converted by
        :func:`cge.gtap.from_sam`), or None for the shipped open database.
    elasticities : DataFrame, path or None
        Elasticity table; None = the shipped ``calibration/elasticities.csv``.
    progress : callable or None
        ``progress(message, solves_done, solves_total)`` at each compile and after each solve.
    options : RunOptions or None
        Baseline, trade-jobs indicator, groups, subtotals, ``detail`` and ``reference``.
    **overrides
        Fields of :class:`~cge.options.RunOptions` to change (``detail="all"``,
        ``reference="tariff25"``, ``include_baseline=False``, ``subtotals=True``).

    Returns
    -------
    xarray.Dataset
        Indicators (``real_gdp`` [US$ bn], ``ev`` [US$ bn], ...; every model variable with
        ``detail="all"``), solver figures, ``scenario_description`` and ``scenario_definition``
        by scenario; provenance attrs (SAM and elasticity hashes, versions, git commit).

    Raises
    ------
    ScenarioError, SamError, CalibrationError
        For bad inputs (including an unknown reference scenario), naming the field or account.
    SolveError
        When a scenario does not solve; never returns unaccepted numbers.
    """
    from cge.gtap.scenario_runner import run_gtap

    return run_gtap(scenarios, sam, elasticities, progress, options, **overrides)
