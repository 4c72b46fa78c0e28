"""The project's closures on GTAP v7: horizons, labour markets, capital and the macro rule.

A scenario's ``[closure]`` (:class:`cge.scenario.ClosureSpec`) becomes what
:func:`cge.gtap.solve` takes: GEMPACK swaps on the standard closure, the RORDELTA switch and, for
sector-specific capital, a database whose capital is a sluggish endowment that cannot move:

- **medium run** (the default): GEMPACK's standard closure — labour and capital mobile across
  activities, their regional supplies fixed, RORDELTA = 1.
- **short run**: sluggish wages and sector-specific capital. Labour follows a wage curve per region,
  ``qe = fwage * rwage^WAGEELAS`` (an equation this project adds to GTAP v7: ``rwage`` is the
  endowment price deflated by a benchmark-basket consumer price index ``pcpi``), by the swap
  ``qe(l,r) = fwage(l,r)``; the elasticity is ``u / ((1 - u) beta)``, the local slope of the
  wage curve at the benchmark unemployment rate (``calibration/region_parameters.csv``). Capital
  is made a sluggish endowment with ETRAE = 0: each activity keeps its capital and earns its own
  rental (GTAP's own advice for sector-specific capital, ``GTAPv7.tab`` section 3).
- **long run**: capital endogenous at a fixed current rate of return, ``qe(capital,r) = rorc(r)``;
  labour fully employed.

Labour closures by region: ``full_employment`` (nothing swapped), ``wage_curve`` (above) and
``fixed_real_wage`` (``qe(l,r) = rwage(l,r)``: employment adjusts at a fixed real wage). Labour is
every mobile endowment that is not capital (ENDWM minus ENDWC). Macro rules: ``rate_of_return``
(RORDELTA = 1, the default), ``global_bank`` (RORDELTA = 0: investment keeps the composition of
capital stocks; GTAP's definition) and ``fixed_trade_balance`` (``cgdslack(r) = del_tbalry(r)``
for every region but the last of the database, whose balance is the mirror of the others': each
region's trade balance stays fixed as a share of world income and its investment adjusts).

Trade-balance targets (a scenario's ``[[closure.trade_balance]]``, :mod:`cge.gtap.trade_balance`)
swap ``cgdslack(r)`` with the target's variable in the targeted regions, under every horizon and
macro rule: ``del_tbalpf(r)`` for a level in US$ (numeraire units), ``del_tbalgdp(r)`` for a share
of GDP. Under ``fixed_trade_balance`` a targeted region takes that swap instead of
``del_tbalry``, and the mirror region is the last one without a target.

A closure that leaves the model without a price anchor in a region is refused in one line: a
fixed real wage together with a fixed rate of return on capital (long run) makes both factor
supplies of that region perfectly elastic. So are targets in every region: the regions' trade
balances sum to zero, so one follows from the others.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import xarray as xr

from cge.gtap.closure import ClosureSpecError


class MacroClosure(StrEnum):
    FIXED_TRADE_BALANCE = "fixed_trade_balance"
    GLOBAL_BANK = "global_bank"
    RATE_OF_RETURN = "rate_of_return"


class LabourClosure(StrEnum):
    FULL_EMPLOYMENT = "full_employment"
    WAGE_CURVE = "wage_curve"
    FIXED_REAL_WAGE = "fixed_real_wage"


class CapitalClosure(StrEnum):
    MOBILE = "mobile"
    SECTOR_SPECIFIC = "sector_specific"
    STEADY_STATE = "steady_state"


class Horizon(StrEnum):
    SHORT_RUN = "short_run"
    MEDIUM_RUN = "medium_run"
    LONG_RUN = "long_run"


HORIZONS: dict[Horizon, tuple[LabourClosure, CapitalClosure]] = {
    Horizon.SHORT_RUN: (LabourClosure.WAGE_CURVE, CapitalClosure.SECTOR_SPECIFIC),
    Horizon.MEDIUM_RUN: (LabourClosure.FULL_EMPLOYMENT, CapitalClosure.MOBILE),
    Horizon.LONG_RUN: (LabourClosure.FULL_EMPLOYMENT, CapitalClosure.STEADY_STATE),
}
"""Labour and capital closures of each horizon."""

MACRO_RORDELTA = {MacroClosure.RATE_OF_RETURN: 1, MacroClosure.GLOBAL_BANK: 0}
"""RORDELTA of the macro rules that are GTAP's global bank."""

TARGET_VARIABLES = {"usd_bn": "del_tbalpf", "share_of_gdp_pct": "del_tbalgdp"}
"""Kind of trade-balance target (the field of ``[[closure.trade_balance]]`` that sets it) -> the
variable that ``cgdslack(r)`` swaps with (:mod:`cge.gtap.trade_balance`)."""


@dataclass(frozen=True)
class GtapClosure:
    """What :func:`cge.gtap.solve` needs for a closure.

    Attributes
    ----------
    database : xarray.Dataset
        The database to solve (a copy with capital sluggish and immobile for sector-specific
        capital, and the wage-curve elasticities ``WAGEELAS`` by region).
    swaps : tuple of str
        GEMPACK swaps on the standard closure.
    rordelta : int or None
        RORDELTA to use (None: the database's).
    description : str
        One line: horizon, labour by region, capital, macro.
    """

    database: xr.Dataset
    swaps: tuple[str, ...]
    rordelta: int | None
    description: str

    def solve_options(self) -> dict:
        """Keyword arguments of :func:`cge.gtap.solve`."""
        return {"swaps": list(self.swaps), "rordelta": self.rordelta}


def labour_endowments(database: xr.Dataset) -> list[str]:
    """Labour in GTAP's sets: the mobile endowments that are not capital (ENDWM minus ENDWC)."""
    mobile = np.asarray(database["ENDM"].values, dtype=bool)
    capital = np.asarray(database["ENDC"].values, dtype=bool)
    return [str(e) for e, m, c in zip(database["ENDW"].values, mobile, capital) if m and not c]


def capital_endowments(database: xr.Dataset) -> list[str]:
    """The capital endowment(s) (ENDWC)."""
    capital = np.asarray(database["ENDC"].values, dtype=bool)
    return [str(e) for e, c in zip(database["ENDW"].values, capital) if c]


def gtap_closure(
    database: xr.Dataset,
    horizon: Horizon | str | None = None,
    labour: LabourClosure | str | None = None,
    capital: CapitalClosure | str | None = None,
    labour_by_region: Mapping[str, LabourClosure | str] | None = None,
    wage_elasticity: Mapping[str, float] | None = None,
    macro: MacroClosure | str = MacroClosure.RATE_OF_RETURN,
    rorflex: float | None = None,
    trade_balance: Mapping[str, str] | None = None,
) -> GtapClosure:
    """The GTAP v7 form of a closure (module docstring).

    Parameters
    ----------
    database : xarray.Dataset
        A GTAP v7 database (:func:`cge.gtap.load_database`).
    horizon : {"short_run", "medium_run", "long_run"}, optional
        Presets of labour and capital (default medium run); ``labour`` and ``capital`` override.
    labour, capital : str, optional
        Labour closure of every region; capital closure.
    labour_by_region : mapping, optional
        Labour closure by region label, overriding ``labour``.
    wage_elasticity : mapping, optional
        Elasticity of employment with respect to the real wage on the wage curve, by region label
        [unitless, > 0]; regions on the wage curve without one get
        ``u / ((1 - u) beta)`` from ``calibration/region_parameters.csv``.
    macro : str
        ``rate_of_return``, ``global_bank`` or ``fixed_trade_balance``.
    rorflex : float, optional
        RORFLEX of every region [unitless, > 0] (default: the database's).
    trade_balance : mapping, optional
        Regions whose trade balance is set to a target -> the kind of target, ``"usd_bn"`` or
        ``"share_of_gdp_pct"`` (:data:`TARGET_VARIABLES`); the targets' values are shocks
        (:func:`cge.gtap.gtap_shocks`).

    Raises
    ------
    ClosureSpecError
        For an unknown region, closure name or kind of target, a region on the wage curve whose
        elasticity is not positive and finite, a degenerate combination (a fixed real wage with a
        fixed rate of return on capital), naming the region, or targets in every region.
    """
    regions = [str(r) for r in database["REG"].values]
    horizon = Horizon(horizon) if horizon is not None else Horizon.MEDIUM_RUN
    preset_labour, preset_capital = HORIZONS[horizon]
    default_labour = LabourClosure(labour) if labour is not None else preset_labour
    capital = CapitalClosure(capital) if capital is not None else preset_capital
    macro = MacroClosure(macro)
    by_region = {str(r): LabourClosure(c) for r, c in (labour_by_region or {}).items()}
    _known_regions(regions, [*by_region, *(wage_elasticity or {})], "labour closure")
    targets = _target_variables(regions, trade_balance or {})
    closures = {r: by_region.get(r, default_labour) for r in regions}

    ds = database.copy()
    swaps: list[str] = []
    labour_names = labour_endowments(ds)
    capital_names = capital_endowments(ds)
    if capital == CapitalClosure.STEADY_STATE:
        stuck = [r for r, c in closures.items() if c == LabourClosure.FIXED_REAL_WAGE]
        if stuck:
            raise ClosureSpecError(
                f"region {stuck[0]}: a fixed real wage with a fixed rate of return on capital (long run) makes both "
                "factor supplies perfectly elastic; choose a wage curve or full employment for it, or a shorter horizon"
            )
    elasticity = _wage_elasticities(regions, closures, wage_elasticity)
    if elasticity is not None:
        ds["WAGEELAS"] = xr.DataArray(elasticity, dims="REG", coords={"REG": ds["REG"].values})
        ds["WAGEELAS"].attrs = {"long_name": "employment elasticity w.r.t. the real wage (wage curve)", "units": "1"}
    for region, closure in closures.items():
        for endowment in labour_names:
            if closure == LabourClosure.WAGE_CURVE:
                swaps.append(f'qe("{endowment}","{region}") = fwage("{endowment}","{region}")')
            elif closure == LabourClosure.FIXED_REAL_WAGE:
                swaps.append(f'qe("{endowment}","{region}") = rwage("{endowment}","{region}")')
    if capital == CapitalClosure.SECTOR_SPECIFIC:
        ds = _immobile_capital(ds, capital_names)
    elif capital == CapitalClosure.STEADY_STATE:
        swaps += [f'qe("{e}",REG) = rorc(REG)' for e in capital_names]
    if macro == MacroClosure.FIXED_TRADE_BALANCE:  # the last untargeted region's balance mirrors the others'
        free = [r for r in regions if r not in targets]
        swaps += [f'cgdslack("{r}") = del_tbalry("{r}")' for r in free[:-1]]
    swaps += [f'cgdslack("{r}") = {variable}("{r}")' for r, variable in targets.items()]
    if rorflex is not None:
        if not (rorflex > 0 and math.isfinite(rorflex)):
            raise ClosureSpecError(f"RORFLEX must be positive and finite, got {rorflex}")
        ds["RORFLEX"] = xr.full_like(ds["RORFLEX"], float(rorflex))
    labour_text = ", ".join(f"{r}: {c.value}" for r, c in closures.items())
    description = f"{horizon.value}: labour {labour_text}; capital {capital.value}; macro {macro.value}"
    if targets:
        description += "; trade-balance targets " + ", ".join(f"{r}: {k}" for r, k in (trade_balance or {}).items())
    return GtapClosure(ds, tuple(swaps), MACRO_RORDELTA.get(macro), description)


def _known_regions(regions: Sequence[str], named: Sequence[str], what: str) -> None:
    unknown = [r for r in named if r not in regions]
    if unknown:
        raise ClosureSpecError(f"{what}: region {unknown[0]!r} is not in the database (regions: {', '.join(regions)})")


def _target_variables(regions: list[str], kinds: Mapping[str, str]) -> dict[str, str]:
    """Targeted region -> the variable its ``cgdslack`` swaps with, in the database's region order."""
    _known_regions(regions, list(kinds), "trade-balance target")
    unknown = sorted({str(k) for k in kinds.values()} - set(TARGET_VARIABLES))
    if unknown:
        raise ClosureSpecError(f"trade-balance target kind {unknown[0]!r} is not one of {', '.join(TARGET_VARIABLES)}")
    if kinds and len(kinds) == len(regions):
        raise ClosureSpecError(
            f"trade-balance targets in all {len(regions)} regions ({', '.join(regions)}): the regions' balances sum to "
            "zero (world exports fob with margin services = world imports cif), so one follows from the others; "
            "leave one region without a target"
        )
    return {r: TARGET_VARIABLES[str(kinds[r])] for r in regions if r in kinds}


def _wage_elasticities(
    regions: list[str], closures: Mapping[str, LabourClosure], given: Mapping[str, float] | None
) -> np.ndarray | None:
    """WAGEELAS by region for the regions on the wage curve (0 elsewhere), None if none is."""
    on_curve = [r for r in regions if closures[r] == LabourClosure.WAGE_CURVE]
    if not on_curve:
        return None
    given = dict(given or {})
    missing = [r for r in on_curve if r not in given]
    if missing:
        from cge.calibrate import load_region_parameters, region_parameter_arrays

        table = region_parameter_arrays(missing, load_region_parameters())
        given.update({r: float(table["labour_supply_elasticity"].sel(region=r)) for r in missing})
    out = np.zeros(len(regions))
    for k, region in enumerate(regions):
        if region in on_curve:
            value = float(given[region])
            if not (value > 0 and math.isfinite(value)):
                raise ClosureSpecError(
                    f"region {region}: the wage curve needs an elasticity above 0 and finite, got {value} "
                    "(0 is full employment, infinity a fixed real wage)"
                )
            out[k] = value
    return out


def _immobile_capital(database: xr.Dataset, capital: Sequence[str]) -> xr.Dataset:
    """Capital as a sluggish endowment with ETRAE = 0: each activity keeps its capital stock."""
    ds = database.copy()
    is_capital = np.isin(ds["ENDW"].values.astype(str), list(capital))
    ds = ds.assign_coords(
        ENDM=("ENDW", np.asarray(ds["ENDM"].values, bool) & ~is_capital),
        ENDS=("ENDW", np.asarray(ds["ENDS"].values, bool) | is_capital),
    )
    etrae = ds["ETRAE"].copy()
    etrae.loc[{"ENDW": ds["ENDW"].values[is_capital]}] = 0.0
    ds["ETRAE"] = etrae
    return ds
