"""Update the base-year SAM to the target year by cross-entropy to control totals.

1. **Prior**: the base-year SAM scaled region by region by ``g[r] = GDP control[r] / GDP[r]``
   (nominal growth plus the level gap between WIOD's value added and the published GDP):
   domestic flows, factor payments, taxes and savings of region ``r`` by ``g[r]``; bilateral
   flows ``s → r`` by ``sqrt(g[s] g[r])``. Regions sharing one GDP control share one factor;
   a region without any takes the ratio of all GDP controls to the GDP they cover. The prior is
   not balanced; the cross-entropy step balances it.
2. **Cross-entropy** (:func:`cge.balance.cross_entropy`): the balanced SAM closest to the prior
   (all nonzero cells free, zero cells stay zero) that meets every control measure, comes as
   close as their standard errors say to the soft targets, and keeps each bilateral tariff rate:
   ``tariff[i,s,r] = t[i,s,r] (vxmd + xtax)[i,s,r]`` (the base year's rates, or given rates).
"""

from __future__ import annotations

import logging
from collections.abc import Set as AbstractSet

import numpy as np
import xarray as xr

from cge.balance import BalanceReport, Target, Term, cross_entropy
from cge.build.controls import ControlSet, evaluate, fob_terms, gdp_terms
from cge.build.sector_controls import SectorControls
from cge.dims import COMMODITY, EXPORTER, IMPORTER, REGION
from cge.sam import SAM_SCHEMA, tariff_revenue, trade_balance

log = logging.getLogger(__name__)


def region_growth(sam: xr.Dataset, controls: ControlSet) -> dict[str, float]:
    """Scale factor of each region from its GDP control over the SAM's GDP (dimensionless)."""
    growth: dict[str, float] = {}
    covered_target = covered_value = 0.0
    for m in controls.controls():
        if m.figure != "gdp_nominal":
            continue
        value = m.value(sam)
        if value <= 0:
            continue
        for region in m.region.split("+"):
            growth[region] = m.target / value
        covered_target += m.target
        covered_value += value
    default = covered_target / covered_value if covered_value > 0 else 1.0
    out = {str(r): growth.get(str(r), default) for r in sam[REGION].values}
    for r, g in out.items():
        log.info("prior scale factor %s: %.4f", r, g)
    return out


def scale_prior(sam: xr.Dataset, growth: dict[str, float]) -> xr.Dataset:
    """Scale domestic flows by ``g[r]`` and bilateral flows by ``sqrt(g[s] g[r])`` [US$ million]."""
    g = xr.DataArray([growth[str(r)] for r in sam[REGION].values], dims=REGION, coords={REGION: sam[REGION].values})
    gs = g.rename({REGION: EXPORTER})
    gr = g.rename({REGION: IMPORTER})
    out = sam.copy()
    for name, var in SAM_SCHEMA.items():
        if name not in sam or var.units != "US$ million":
            continue
        factor = np.sqrt(gs * gr) if EXPORTER in var.dims else g
        out[name] = (sam[name] * factor).transpose(*sam[name].dims)
        out[name].attrs = sam[name].attrs
    return out


def tariff_rates(sam: xr.Dataset) -> np.ndarray:
    """Tariff rates of a SAM, ``tariff / (vxmd + xtax)``, shaped (commodity, exporter, importer); 0 on zero flows."""
    fob = (sam["vxmd"] + sam["xtax"]).transpose(COMMODITY, EXPORTER, IMPORTER).values
    rev = tariff_revenue(sam).transpose(COMMODITY, EXPORTER, IMPORTER).values
    return np.divide(rev, fob, out=np.zeros_like(fob), where=fob > 0)


def with_rates(sam: xr.Dataset, rate: np.ndarray) -> xr.Dataset:
    """The SAM with ``vims = (vxmd + xtax)(1 + rate)``: tariff cells at the given rates (the
    users' payments are not adjusted, so the result is a prior for balancing, not balanced)."""
    out = sam.copy()
    fob = sam["vxmd"] + sam["xtax"]
    t = xr.DataArray(rate, dims=(COMMODITY, EXPORTER, IMPORTER))
    out["vims"] = (fob * (1.0 + t)).transpose(*sam["vims"].dims)
    out["vims"].attrs = sam["vims"].attrs
    return out


def tariff_rate_targets(sam: xr.Dataset, rate: np.ndarray) -> list[Target]:
    """Targets ``tariff - t (vxmd + xtax) = 0`` for every flow with a positive rate and trade."""
    fob = (sam["vxmd"] + sam["xtax"]).transpose(COMMODITY, EXPORTER, IMPORTER).values
    targets = []
    for i, s, r in np.argwhere((rate > 0) & (fob > 0)):
        sel = {
            COMMODITY: str(sam[COMMODITY].values[i]),
            EXPORTER: str(sam[EXPORTER].values[s]),
            IMPORTER: str(sam[IMPORTER].values[r]),
        }
        t = float(rate[i, s, r])
        targets.append(
            Target(
                f"tariff_rate[{sel[COMMODITY]},{sel[EXPORTER]}->{sel[IMPORTER]}]",
                (Term("tariff", sel), Term("vxmd", sel, -t), Term("xtax", sel, -t)),
                0.0,
            )
        )
    return targets


def trade_balance_targets(
    sam: xr.Dataset, growth: dict[str, float], skip: AbstractSet[str] = frozenset()
) -> list[Target]:
    """Targets keeping each region's trade balance at its base-year share of GDP.

    Left out: the largest region by base-year GDP (world exports equal world imports, so its
    balance is implied) and the regions in ``skip`` (those whose goods exports to and imports
    from the world are controls already). The target of region ``r`` is
    ``TB[r] / GDP[r] × g[r] GDP[r]``: the base-year ratio times its GDP in the prior [US$ million].
    """
    regions = [str(r) for r in sam[REGION].values]
    gdp = {r: evaluate(sam, gdp_terms([r])) for r in regions}
    balance = trade_balance(sam)
    largest = max(regions, key=lambda r: gdp[r])
    targets = []
    for r in regions:
        if r == largest or r in skip or gdp[r] <= 0:
            continue
        others = [o for o in regions if o != r]
        terms = fob_terms(list(map(str, sam[COMMODITY].values)), [r], others) + tuple(
            Term(t.variable, t.sel, -1.0) for t in fob_terms(list(map(str, sam[COMMODITY].values)), others, [r])
        )
        value = float(balance.sel({REGION: r})) * growth[r]
        targets.append(Target(f"trade_balance[{r}]", terms, value))
        log.info(
            "structural target: trade balance of %s = %.2f %% of GDP (base year) = %.0f US$ m",
            r,
            100 * float(balance.sel({REGION: r})) / gdp[r],
            value,
        )
    return targets


def update_sam(
    sam: xr.Dataset,
    controls: ControlSet,
    sector: SectorControls | None = None,
    keep_trade_balance_shares: bool = True,
    rate: np.ndarray | None = None,
) -> tuple[xr.Dataset, BalanceReport, dict[str, float]]:
    """Scale the base-year SAM and balance it to the controls by cross-entropy.

    Parameters
    ----------
    sam : xarray.Dataset
        Balanced base-year SAM [US$ million] (its tariff rates are kept).
    controls : ControlSet
        Measures; those with role ``control`` are imposed.
    sector : SectorControls, optional
        Figures below the totals; their soft targets (role ``target``) enter the update with
        their standard errors. A region whose trade balance is such a target gets no structural
        trade-balance target.
    keep_trade_balance_shares : bool
        Keep the base-year trade-balance-to-GDP ratio of regions whose balance no figure sets.
    rate : ndarray, optional
        Tariff rates of the target year, shaped (commodity, exporter, importer) as fractions of
        fob; the prior's tariff cells are set to them and every bilateral rate is a constraint.
        Default: the base-year SAM's rates.

    Returns
    -------
    (sam, report, growth)
        The updated SAM [US$ million, target-year prices], the balancing report and the prior
        scale factor of each region.

    Raises
    ------
    ValueError
        From :func:`cge.balance.cross_entropy`, naming controls that cannot be met.
    """
    data = sam[[v for v in SAM_SCHEMA if v in sam and SAM_SCHEMA[v].units == "US$ million"]]
    growth = region_growth(data, controls)
    rate = tariff_rates(data) if rate is None else rate
    prior = with_rates(scale_prior(data, growth), rate)
    sector = sector if sector is not None else SectorControls()
    targets = [Target(m.name, m.terms, m.target) for m in controls.controls()]
    soft = [Target(m.name, m.terms, m.target, m.sd, m.side) for m in sector.targets()]
    structural = []
    if keep_trade_balance_shares:
        skip = controls.world_trade_regions() | set(sector.balance_regions)
        structural = trade_balance_targets(data, growth, skip)
    rates = tariff_rate_targets(data, rate)
    targets += soft + structural + rates
    log.info(
        "cross-entropy update: %d controls, %d soft targets, %d structural targets, %d tariff-rate constraints",
        len(controls.controls()),
        len(soft),
        len(structural),
        len(rates),
    )
    updated, report = cross_entropy(prior, targets)
    return updated, report, growth
