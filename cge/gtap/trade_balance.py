"""Trade-balance targets on GTAP v7 (a scenario's ``[[closure.trade_balance]]``): the shock and the solve.

In GEMPACK's terms a target is a swap and a shock: the region's investment slack ``cgdslack(r)``
becomes endogenous (:func:`cge.gtap.horizons.gtap_closure`, argument ``trade_balance``) and a
trade-balance variable exogenous, shocked from its benchmark value to the target. The trade
balance is GTAP's ``TBAL``: exports fob with margin services minus imports cif. The two kinds of
target use two variables this project adds to GTAP v7 (``variables.csv``):

- ``usd_bn``: ``del_tbalpf(r) = 100 (TB(r) / pfactwld - TBAL(r)) / INCOMEWLD`` [percentage points
  of benchmark world income; TB in numeraire units]. GTAP's own ``del_tbal`` would fix a nominal
  value, which a numeraire shock does not scale (GTAPv7.tab recommends ``del_tbalry`` for that
  reason); deflated by ``pfactwld`` the target is homogeneous of degree zero, as every other
  exogenous variable. (Measured in US$ million the fixed balance's residual is a million times
  larger than the model's other residuals, and Newton's tolerance cannot be reached.) GTAP's
  ``del_tbalry`` itself is the balance over *current* world income, not a level in US$.
- ``share_of_gdp_pct``: ``del_tbalgdp(r) = 100 (TB(r) / GDP(r) - TBAL(r) / GDP0(r))`` [percentage
  points], with GDP at market prices, expenditure side (TABLO's ``GDP``, the indicators'
  ``gdp_expenditure``). GTAP's ``del_tbalry`` is a share of *world income*, not of the region's GDP,
  so it is not used for this target.

The results' prices are GEMPACK's, normalised by the chained index ``pfactwld``; the levels model
fixes a benchmark-weighted index of factor prices instead, and the two differ by a scalar
``lambda`` that depends on the path (:mod:`cge.gtap.path`). ``lambda = 1`` when every factor has
one price per region and a fixed supply (the medium run of the open database); with sluggish or
sector-specific factors or endogenous capital it differs by up to 1e-4 (the short and long runs).
A ``usd_bn`` target is met in the results' units: :func:`solve_to_targets` solves with the target
divided by the ``lambda`` of the previous solve, at the first solve's node count, until
``lambda`` stops moving (two solves when ``lambda != 1``, one otherwise). A share of GDP is a
ratio of two values, which ``lambda`` leaves alone.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, TypeVar, cast

import numpy as np
import xarray as xr

from cge.errors import ScenarioError
from cge.gtap.horizons import TARGET_VARIABLES
from cge.gtap.schema import REG
from cge.validation import suggestion

if TYPE_CHECKING:
    from cge.gtap.simulate import PreparedModel
    from cge.scenario import Scenario

log = logging.getLogger(__name__)

Values = TypeVar("Values", xr.DataArray, float)

USD_PER_BN = 1000.0
"""US$ million per US$ bn (the database's unit and the target's)."""
MAX_SOLVES = 4
"""Most solves :func:`solve_to_targets` makes to meet a ``usd_bn`` target in the results' numeraire."""
LAMBDA_RTOL = 1e-8
"""Accepted relative change of ``lambda`` between the solve it was measured in and the one it was
used in: the ``usd_bn`` targets are then met to this (relative), plus the solver's tolerance.
Measured (synthetic 3x4 and the open database, short and long run): ``lambda - 1`` of 1e-5 to 1e-4
after the first solve, a change of 2e-10 to 4e-9 after the second, 1e-13 after the third."""


def benchmark_balance(database: xr.Dataset) -> tuple[xr.DataArray, xr.DataArray, float]:
    """Trade balance (TBAL) and GDP at market prices (TABLO's GDP) by region, and world income
    (INCOMEWLD) [US$ million]."""
    from cge.indicators.gtap import levels

    return levels.trade_balance(database), levels.gdp(database), float(levels.income(database).sum())


def usd_change(balance: Values, tbal: Values, world: float) -> Values:
    """The change of ``del_tbalpf`` that takes the trade balance from ``tbal`` to ``balance`` (both
    US$ million in numeraire units) [percentage points of the benchmark world income ``world``]."""
    return 100.0 * (balance - tbal) / world


def target_shocks(scenario: Scenario, database: xr.Dataset) -> list[tuple[str, str, xr.DataArray]]:
    """The shocks of a scenario's trade-balance targets as ``(group, variable, shock)``: an
    ordinary change over REG, NaN in the regions the target does not set.

    ``usd_bn``: ``del_tbalpf`` by ``100 (1000 usd_bn - TBAL) / INCOMEWLD`` [percentage points];
    ``share_of_gdp_pct``: ``del_tbalgdp`` by ``share_of_gdp_pct - 100 TBAL / GDP`` [percentage points].

    Raises
    ------
    ScenarioError
        For a region that is not in the database (with the closest label), or a share-of-GDP
        target in a region whose GDP is not positive.
    """
    regions = [str(r) for r in database[REG].values]
    tbal, gdp, world = benchmark_balance(database)
    out = []
    for k, target in enumerate(scenario.closure.trade_balance):
        where = f"scenario '{scenario.name}': closure.trade_balance[{k}].region"
        if target.region not in regions:
            raise ScenarioError(
                f"{where} {target.region!r} is not a region of the database (known: {regions})"
                + suggestion(target.region, regions)
            )
        base = float(tbal.sel({REG: target.region}))
        if target.usd_bn is not None:
            change = usd_change(USD_PER_BN * target.usd_bn, base, world)
        else:
            size = float(gdp.sel({REG: target.region}))
            if not size > 0:
                raise ScenarioError(f"{where} {target.region!r}: GDP is {size:g} US$ million, so it has no share")
            change = cast(float, target.share_of_gdp_pct) - 100.0 * base / size  # the schema gives one of the two
        variable = TARGET_VARIABLES[target.kind]
        values = xr.DataArray(np.full(len(regions), np.nan), dims=REG, coords={REG: regions}, name=variable)
        values.loc[{REG: target.region}] = change
        out.append((target.shock_group, variable, values))
    return out


def solve_to_targets(
    prepared: PreparedModel,
    shocks: dict[str, xr.DataArray],
    database: xr.Dataset,
    groups: dict[str, dict[str, xr.DataArray]] | None = None,
    **options,
) -> xr.Dataset:
    """Solve a scenario's shocks (:func:`cge.gtap.gtap_shocks`) on a model prepared for its
    closure, meeting its ``usd_bn`` targets in the results' numeraire (module docstring).

    Parameters
    ----------
    prepared : PreparedModel
        The model under the scenario's closure (with the targets' swaps).
    shocks : dict
        The scenario's shocks (``ShockPlan.shocks``); ``del_tbalpf`` holds the ``usd_bn``
        targets (NaN in the other regions).
    database : xarray.Dataset
        The database the model was prepared from (its TBAL and world income).
    groups : dict, optional
        The same shocks by shock group (``ShockPlan.groups``): the results are split into
        their subtotals.
    **options
        Passed to :func:`cge.gtap.solve` (``tol``, ``path_tol``...).

    Returns
    -------
    xarray.Dataset
        :func:`cge.gtap.solve`'s results of the last solve, with attrs ``newton_iterations`` and
        ``solve_seconds`` summed over the solves and ``target_solves`` (their number).

    Raises
    ------
    cge.gtap.GtapSolveError
        When a solve fails (an impossible target: the diagnostics name the level that reached
        zero, e.g. the region's investment), or the targets are not met after :data:`MAX_SOLVES`.
    """
    from cge.gtap.simulate import GtapSolveError

    usd = TARGET_VARIABLES["usd_bn"]
    if usd not in shocks:
        return _solve(prepared, shocks, groups, options)
    tbal, _, world = benchmark_balance(database)
    target = tbal + shocks[usd] * world / 100.0  # the balances to reach [US$ million, numeraire units]
    scale = 1.0  # lambda: the results' prices over the levels model's
    iterations, seconds = 0, 0.0
    for count in range(1, MAX_SOLVES + 1):
        change = usd_change(target / scale, tbal, world)
        parts = {g: _rescaled(s, change) for g, s in groups.items()} if groups else None
        solution = _solve(prepared, _rescaled(shocks, change), parts, options)
        iterations += int(solution.attrs["newton_iterations"])
        seconds += float(solution.attrs["solve_seconds"])
        measured = float(solution.attrs["numeraire_scale"])
        drift = abs(measured / scale - 1.0)  # relative gap between the balance reached and its target
        if drift <= LAMBDA_RTOL:
            solution.attrs.update(newton_iterations=iterations, solve_seconds=seconds, target_solves=count)
            log.debug("trade-balance targets: %d solve(s), lambda - 1 = %.3g", count, measured - 1.0)
            return solution
        scale = measured
        options = {**options, "nodes": int(solution.attrs["path_nodes"]) - 1}  # the same quadrature: lambda converges
    raise GtapSolveError(
        f"trade-balance targets in US$ not met after {MAX_SOLVES} solves: the numeraire scale lambda still moves by "
        f"{drift:.3g} between solves (the chained pfactwld against the levels model's index)"
    )


def _solve(prepared: PreparedModel, shocks: dict[str, xr.DataArray], groups: dict | None, options: dict) -> xr.Dataset:
    """One :func:`cge.gtap.solve` of ``shocks``, or of the shock ``groups`` (subtotals) when given."""
    from cge.gtap import simulate

    if groups:
        return cast(xr.Dataset, simulate.solve(prepared, subtotals=groups, **options))  # no updated=True: one Dataset
    return cast(xr.Dataset, simulate.solve(prepared, shocks, **options))


def _rescaled(shocks: dict[str, xr.DataArray], usd: xr.DataArray) -> dict[str, xr.DataArray]:
    """``shocks`` with the ``del_tbalpf`` shock ``usd`` on the regions it already shocks."""
    name = TARGET_VARIABLES["usd_bn"]
    if name not in shocks:
        return shocks
    return {**shocks, name: usd.where(shocks[name].notnull())}
