"""Random SAMs in the schema of ``docs/sam_schema.md``, balanced exactly by construction.

Used by the SAM, balancing and model tests (``from sam_factory import random_balanced_sam``
inside ``tests/``, or ``from tests.sam_factory import ...`` from the repository root).

Construction (all values US$ million, every account balanced up to floating-point rounding):

1. Domestic intermediate use ``vdfm`` and domestic final demand ``vdfd`` are drawn positive.
2. With two or more regions, bilateral exports ``vxmd`` are drawn positive off the diagonal
   (a share ``zero_share`` of them set to zero); export taxes ``xtax`` are signed (subsidies
   occur) and present on about a third of the flows; tariffs are >= 0 and zero on about a
   fifth of the flows (free-trade pairs); ``vims = vxmd + xtax + tariff``.
3. Each import composite's supply ``sum_s vims[i, s, r]`` is split over intermediate users and
   final agents (``vifm``, ``vifd``) with random positive shares, so the import account
   balances.
4. If an activity's intermediate costs exceed 60 % of its sales, domestic household demand
   for its commodity is raised until they do not (basic output then stays positive).
5. Savings are the residual of the regional household; where they would fall below 5 % of
   income, domestic investment demand is raised (this raises output, income and savings by
   the same amount), so savings are >= 0 and world savings equal world investment.
6. Each activity gets a production-tax rate in [-3 %, 10 %] of basic output (some zero); value
   added at basic prices (basic output minus intermediates, > 0) is split over factors.

With one region there is no trade: the bilateral arrays are 1x1 zeros and all use is domestic.
Factors are ``labour``, ``capital``, ``land``, ``natres`` with ``factor_type`` labour, capital,
land, natural_resource (the first ``n_factors``); every activity pays every factor. Commodity
``c1`` is agri-food; the first half of the commodities (rounded up) are goods. An employment
satellite gives 5-30 persons per US$ million of labour payments.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from cge.dims import (
    ACTIVITY,
    AGENT,
    AGENTS,
    AGRIFOOD,
    CAPITAL,
    COMMODITY,
    EXPORTER,
    FACTOR,
    FACTOR_TYPE,
    GOODS,
    GOVERNMENT,
    HOUSEHOLD,
    IMPORTER,
    INVESTMENT,
    LABOUR,
    LAND,
    NATURAL_RESOURCE,
    REGION,
)
from cge.sam import SAM_SCHEMA, check_sam, final_demand, regional_income

FACTOR_LABELS = ("labour", "capital", "land", "natres")
FACTOR_TYPE_OF = (LABOUR, CAPITAL, LAND, NATURAL_RESOURCE)
MAX_INTERMEDIATE_SHARE = 0.6
MIN_SAVINGS_SHARE = 0.05


def _bilateral(rng: np.random.Generator, n_c: int, n_r: int, zero_share: float):
    """Draw (vxmd, xtax, vims) [US$ million], dims (commodity, exporter, importer)."""
    shape = (n_c, n_r, n_r)
    off_diag = ~np.eye(n_r, dtype=bool)[None, :, :]
    present = off_diag & (rng.random(shape) >= zero_share)
    vxmd = np.where(present, rng.uniform(2.0, 15.0, shape), 0.0)
    has_xtax = rng.random(shape) < 0.35
    xtax = np.where(has_xtax, vxmd * rng.uniform(-0.02, 0.04, shape), 0.0)
    free_trade = rng.random(shape) < 0.2
    tariff = np.where(free_trade, 0.0, (vxmd + xtax) * rng.uniform(0.0, 0.15, shape))
    return vxmd, xtax, vxmd + xtax + tariff


def _split(rng: np.random.Generator, total: np.ndarray, n_users: int) -> np.ndarray:
    """Split ``total[i, r]`` over ``n_users`` with random positive shares -> (i, user, r)."""
    weights = rng.uniform(0.2, 1.0, (total.shape[0], n_users, total.shape[1]))
    return total[:, None, :] * weights / weights.sum(axis=1, keepdims=True)


def _sales(vdfm: np.ndarray, vdfd: np.ndarray, vxmd: np.ndarray) -> np.ndarray:
    """Output at market prices (j, r): domestic intermediate + final sales + exports."""
    return vdfm.sum(axis=1) + vdfd.sum(axis=1) + vxmd.sum(axis=2)


def _raise_household_demand(vdfm, vifm, vdfd, vxmd, hh: int) -> None:
    """Raise domestic household demand so intermediates are <= 60 % of each activity's sales."""
    inter = vdfm.sum(axis=0) + vifm.sum(axis=0)
    shortfall = np.maximum(0.0, inter / MAX_INTERMEDIATE_SHARE - _sales(vdfm, vdfd, vxmd))
    vdfd[:, hh, :] += shortfall


def _raise_investment(vdfm, vifm, vdfd, vifd, vxmd, tax_revenue, hh: int, gov: int, inv: int) -> None:
    """Raise domestic investment demand where savings would fall below 5 % of income."""
    inter = vdfm.sum(axis=0) + vifm.sum(axis=0)
    income = (_sales(vdfm, vdfd, vxmd) - inter).sum(axis=0) + tax_revenue
    spending = (vdfd + vifd)[:, [hh, gov], :].sum(axis=(0, 1))
    lift = np.maximum(0.0, MIN_SAVINGS_SHARE * income - (income - spending))
    weights = vdfd[:, inv, :] / vdfd[:, inv, :].sum(axis=0, keepdims=True)
    vdfd[:, inv, :] += weights * lift[None, :]


def _value_added(rng, vdfm, vifm, vdfd, vxmd, n_f: int):
    """Production tax (j, r) and factor payments (f, j, r) that close every activity account."""
    n_c, _, n_r = vdfm.shape
    sales = _sales(vdfm, vdfd, vxmd)
    rate = np.where(rng.random((n_c, n_r)) < 0.2, 0.0, rng.uniform(-0.03, 0.10, (n_c, n_r)))
    basic = sales / (1.0 + rate)
    ptax = sales - basic
    va = basic - (vdfm.sum(axis=0) + vifm.sum(axis=0))
    shares = rng.uniform(0.2, 1.0, (n_f, n_c, n_r))
    vfm = va[None] * shares / shares.sum(axis=0, keepdims=True)
    return ptax, vfm


def _coords(n_r: int, n_c: int, n_f: int) -> dict:
    regions = [f"r{k + 1}" for k in range(n_r)]
    commodities = [f"c{k + 1}" for k in range(n_c)]
    return {
        REGION: regions,
        EXPORTER: regions,
        IMPORTER: regions,
        COMMODITY: commodities,
        ACTIVITY: commodities,
        FACTOR: list(FACTOR_LABELS[:n_f]),
        AGENT: list(AGENTS),
        FACTOR_TYPE: (FACTOR, list(FACTOR_TYPE_OF[:n_f])),
        GOODS: (COMMODITY, [k < (n_c + 1) // 2 for k in range(n_c)]),
        AGRIFOOD: (COMMODITY, [k == 0 for k in range(n_c)]),
    }


def _dataset(arrays: dict[str, np.ndarray], n_r: int, n_c: int, n_f: int, seed: int) -> xr.Dataset:
    data_vars = {}
    for name, values in arrays.items():
        spec = SAM_SCHEMA[name]
        data_vars[name] = (spec.dims, values, {"long_name": spec.long_name, "units": spec.units})
    attrs = {
        "title": f"random balanced SAM ({n_r} regions, {n_c} commodities, {n_f} factors, seed {seed})",
        "source": "synthetic: tests/sam_factory.py",
        "base_year": 2017,
        "units": "US$ million",
        "aggregation": "none",
        "balancing_report": "",
    }
    return xr.Dataset(data_vars, coords=_coords(n_r, n_c, n_f), attrs=attrs)


def random_balanced_sam(
    n_regions: int = 3, n_commodities: int = 3, n_factors: int = 2, seed: int = 0, zero_share: float = 0.0
) -> xr.Dataset:
    """Make a random SAM in the schema whose accounts all balance exactly.

    Parameters
    ----------
    n_regions : int
        Number of regions (>= 1; 1 means no trade). Labels ``r1, r2, ...``.
    n_commodities : int
        Number of commodities = activities (>= 1). Labels ``c1, c2, ...``.
    n_factors : int
        Number of factors, 1 to 4: ``labour`` (labour), ``capital`` (capital), ``land`` (land),
        ``natres`` (natural_resource), in that order.
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same SAM.
    zero_share : float
        Share in [0, 1] of the off-diagonal bilateral flows (vxmd, xtax, vims) set to zero.

    Returns
    -------
    xarray.Dataset
        A SAM [US$ million] that passes :func:`cge.sam.check_sam` with ``goods``,
        ``agrifood`` and ``factor_type`` coordinates and an ``employment`` satellite [persons].
    """
    if n_regions < 1 or n_commodities < 1 or not 1 <= n_factors <= len(FACTOR_LABELS):
        raise ValueError(
            f"need n_regions >= 1, n_commodities >= 1, 1 <= n_factors <= {len(FACTOR_LABELS)}; got "
            f"{n_regions}, {n_commodities}, {n_factors}"
        )
    if not 0.0 <= zero_share <= 1.0:
        raise ValueError(f"zero_share must be in [0, 1], got {zero_share}")
    rng = np.random.default_rng(seed)
    n_c, n_r, n_f = n_commodities, n_regions, n_factors
    hh, gov, inv = (AGENTS.index(a) for a in (HOUSEHOLD, GOVERNMENT, INVESTMENT))

    vdfm = rng.uniform(1.0, 10.0, (n_c, n_c, n_r))
    vdfd = np.empty((n_c, len(AGENTS), n_r))
    vdfd[:, hh, :] = rng.uniform(20.0, 60.0, (n_c, n_r))
    vdfd[:, gov, :] = rng.uniform(5.0, 20.0, (n_c, n_r))
    vdfd[:, inv, :] = rng.uniform(5.0, 20.0, (n_c, n_r))
    vxmd, xtax, vims = _bilateral(rng, n_c, n_r, zero_share)
    supply = vims.sum(axis=1)
    vifm = _split(rng, supply, n_c + len(AGENTS))
    vifd = vifm[:, n_c:, :].copy()
    vifm = vifm[:, :n_c, :].copy()

    _raise_household_demand(vdfm, vifm, vdfd, vxmd, hh)
    tax_revenue = (vims - vxmd).sum(axis=(0, 1)) + xtax.sum(axis=(0, 2)) - xtax.sum(axis=(0, 1))
    _raise_investment(vdfm, vifm, vdfd, vifd, vxmd, tax_revenue, hh, gov, inv)
    ptax, vfm = _value_added(rng, vdfm, vifm, vdfd, vxmd, n_f)
    employment = vfm[0] * rng.uniform(5.0, 30.0, (n_c, n_r))

    arrays = {
        "vdfm": vdfm,
        "vifm": vifm,
        "vdfd": vdfd,
        "vifd": vifd,
        "vfm": vfm,
        "ptax": ptax,
        "vxmd": vxmd,
        "xtax": xtax,
        "vims": vims,
        "savings": np.zeros(n_r),
        "employment": employment,
    }
    sam = _dataset(arrays, n_r, n_c, n_f, seed)
    fd = final_demand(sam)
    spending = fd.sel({AGENT: HOUSEHOLD}, drop=True) + fd.sel({AGENT: GOVERNMENT}, drop=True)
    savings = regional_income(sam) - spending
    sam["savings"].values[:] = np.maximum(savings.transpose(REGION).values, 0.0)
    return check_sam(sam)


def perturb_sam(sam: xr.Dataset, noise: float = 0.05, seed: int = 1) -> xr.Dataset:
    """Multiply every flow by independent noise ``exp(N(0, noise))``: an unbalanced SAM.

    Parameters
    ----------
    sam : xarray.Dataset
        SAM in the schema [US$ million].
    noise : float
        Standard deviation of the log noise (0.05 is about +-5 %).
    seed : int
        Seed of the noise.

    Returns
    -------
    xarray.Dataset
        A copy with every money variable perturbed (zeros stay zero, signs are kept; employment
        untouched). ``vims`` is perturbed as ``vxmd + xtax + tariff`` with each part perturbed, so
        tariff revenue stays >= 0.
    """
    rng = np.random.default_rng(seed)
    out = sam.copy(deep=True)
    tariff = (sam["vims"] - sam["vxmd"] - sam["xtax"]).values

    def noisy(values: np.ndarray) -> np.ndarray:
        return values * np.exp(rng.normal(0.0, noise, values.shape))

    for name in ("vdfm", "vifm", "vdfd", "vifd", "vfm", "ptax", "vxmd", "xtax", "savings"):
        out[name].values[:] = noisy(sam[name].values)
    out["vims"].values[:] = out["vxmd"].values + out["xtax"].values + noisy(tariff).clip(min=0.0)
    return out
