"""An Eaton–Kortum-shaped GTAP v7 database and its tariff-cut shock: the stress case of issue 18.

The shape of a published 31-region x 40-sector Eaton–Kortum (Caliendo–Parro) model, written as a
balanced GTAP v7 database so the standard GTAP v7 model (``cge.gtap.solve``) runs on it:

- one factor, mobile across activities (GTAP needs exactly one capital endowment, ENDWC, for its
  rate-of-return and investment equations, so the single factor is that endowment too);
- Cobb-Douglas production: ESUBT = ESUBC = ESUBVA = 1, a diagonal make matrix (one activity per
  commodity); Cobb-Douglas government and investment demand (ESUBG = ESUBI = 1);
- household demand as close to Cobb-Douglas as CDE allows: INCPAR = 1 and one small SUBPAR ``b``
  for every commodity, which gives income elasticities of exactly 1 and Allen partial
  elasticities sigma_ij = 1 - b (i != j), sigma_ii = (1 - b)(1 - 1/s_i) (s_i: budget share);
  SUBPAR = 0, the Cobb-Douglas limit, is outside GTAP's range (0, 1];
- one flat Armington nest: ESUBD = ESUBM = sigma_c for every region, sigma_c spread geometrically
  from 2 to 52 across commodities (goods and services alternating, as the flat case of
  the old model's ``benchmarks/solve.py``); with equal elasticities the two GTAP nests are one CES over the
  domestic good and every source;
- no taxes but import tariffs (between 2 % and 40 %, so a 30 pp cut is possible), and one margin
  commodity whose international margins are ``margin_rate`` of each CIF value.

The shock, :func:`ek_tariff_cuts`, cuts every tariff of ``cut_regions`` importing regions by up to
``max_cut`` percentage points (to zero where the tariff is smaller) and is expressed as GTAP's
``tms`` shock: the percentage change of the power of the tariff, new power / old power - 1.

This is a benchmark input, not part of the package: the numbers are random (``seed``) and the
shape, not the values, is what the stress case needs. Every identity of
:func:`cge.gtap.check_database` holds to rounding.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from cge.gtap import schema as sc
from cge.gtap.database import conform_database

FINAL_SHARES = {"P": 0.65, "G": 0.15, "I": 0.20}
"""Shares of final demand (household, government, investment) in each region's absorption."""
FACTOR = "Factor"
"""The one endowment (mobile; also GTAP's capital endowment ENDWC)."""
MIN_SAVE = 0.03
"""Smallest net saving, as a share of regional income."""
SAVE_TARGET = 0.10
"""Net saving aimed at, as a share of income, where it was below MIN_SAVE."""
RESCALES = 30
"""Most rounds of rescaling household demand to reach MIN_SAVE."""
ITERATIONS = 500
CONVERGED = 1e-14


def elasticities(sectors: int, low: float = 2.0, high: float = 52.0) -> np.ndarray:
    """Armington elasticities spread geometrically from ``low`` to ``high``, goods and services
    alternating (the largest next to the smallest), one per sector [1]."""
    spread = np.geomspace(low, high, sectors)
    order = np.empty(sectors, dtype=int)
    order[0::2] = np.arange((sectors + 1) // 2)
    order[1::2] = np.arange(sectors - 1, (sectors + 1) // 2 - 1, -1)
    return spread[order]


def _draws(rng: np.random.Generator, R: int, C: int) -> dict[str, np.ndarray]:
    """Every random ingredient: sizes, shares and rates (axes: c commodity, a activity, r region)."""
    size = rng.lognormal(12.0, 0.8, R)  # absorption [US$ million]
    va_share = rng.uniform(0.3, 0.6, (C, R))  # value added / output, by activity
    weights = rng.gamma(1.0, 1.0, (C, C, R))
    mix = rng.gamma(1.5, 1.0, (3, C, R))
    mix /= mix.sum(1, keepdims=True)
    source = rng.uniform(0.2, 1.0, (C, R, R)) * size[None, :, None]
    source[:, np.arange(R), np.arange(R)] = 0.0
    source /= source.sum(1, keepdims=True)
    tariff = rng.uniform(0.02, 0.40, (C, R, R))
    tariff[:, np.arange(R), np.arange(R)] = 0.0
    margin_supply = rng.uniform(0.2, 1.0, R) * size
    return {
        "coef": weights / weights.sum(0) * (1.0 - va_share),  # intermediates per unit of output (c, a, r)
        "final": np.stack([share * mix[i] * size for i, share in enumerate(FINAL_SHARES.values())]),  # (h, c, r)
        "domestic": rng.uniform(0.4, 0.9, (C, R)),  # domestic share of every agent's purchases of c in r
        "source": source,  # import sourcing shares (c, s, d)
        "tariff": tariff,  # (c, s, d)
        "margin_supply": margin_supply / margin_supply.sum(),  # (r)
        "depreciation": rng.uniform(0.3, 0.5, R),  # VDEP / investment
        "dep_rate": rng.uniform(0.04, 0.07, R),  # VDEP / VKB
        "population": rng.lognormal(3.0, 1.0, R),
    }


def _output(d: dict[str, np.ndarray], margin_rate: float) -> np.ndarray:
    """Output by commodity (= activity) and region: the fixed point of supply = demand."""
    C, R = d["domestic"].shape
    output = np.full((C, R), d["final"].sum() / (C * R))
    for _ in range(ITERATIONS):
        demand = (d["coef"] * output[None, :, :]).sum(1) + d["final"].sum(0)  # (c, r), no domestic taxes
        vcif = d["source"] * ((1.0 - d["domestic"]) * demand)[:, None, :] / (1.0 + d["tariff"])
        supply = d["domestic"] * demand + (1.0 - margin_rate) * vcif.sum(2)
        supply[-1] += d["margin_supply"] * margin_rate * vcif.sum()
        done = np.max(np.abs(supply - output) / supply) < CONVERGED
        output = supply
        if done:
            break
    return output


def _flows(d: dict[str, np.ndarray], margin_rate: float) -> dict[str, np.ndarray]:
    """Every flow of the database, balanced (costs = sales by construction)."""
    C = d["domestic"].shape[0]
    output = _output(d, margin_rate)
    f: dict[str, np.ndarray] = {}
    purchases = d["coef"] * output[None, :, :]
    f["VDFB"] = f["VDFP"] = purchases * d["domestic"][:, None, :]
    f["VMFB"] = f["VMFP"] = purchases - f["VDFB"]
    for i, h in enumerate(FINAL_SHARES):
        f[f"VD{h}B"] = f[f"VD{h}P"] = d["final"][i] * d["domestic"]
        f[f"VM{h}B"] = f[f"VM{h}P"] = d["final"][i] * (1.0 - d["domestic"])
    imports = f["VMFB"].sum(1) + f["VMPB"] + f["VMGB"] + f["VMIB"]
    f["VMSB"] = d["source"] * imports[:, None, :]
    f["VCIF"] = f["VMSB"] / (1.0 + d["tariff"])
    f["VTWR"] = (margin_rate * f["VCIF"])[None]
    f["VFOB"] = f["VXSB"] = f["VCIF"] - f["VTWR"][0]
    f["VST"] = (d["margin_supply"] * f["VTWR"].sum())[None]
    supply = f["VDFB"].sum(1) + f["VDPB"] + f["VDGB"] + f["VDIB"] + f["VXSB"].sum(2)
    supply[-1] += f["VST"][0]
    f["MAKB"] = f["MAKS"] = np.eye(C)[:, :, None] * supply[:, None, :]
    value_added = supply - (f["VDFP"] + f["VMFP"]).sum(0)
    f["EVFB"] = f["EVFP"] = f["EVOS"] = value_added[None]
    f["VDEP"] = d["depreciation"] * (f["VDIP"].sum(0) + f["VMIP"].sum(0))
    f["VKB"] = f["VDEP"] / d["dep_rate"]
    income = value_added.sum(0) - f["VDEP"] + (f["VMSB"] - f["VCIF"]).sum((0, 1))
    f["SAVE"] = income - _consumption(f)
    f["POP"] = d["population"]
    return f


def _consumption(f: dict[str, np.ndarray]) -> np.ndarray:
    """Household and government spending by region [US$ million]."""
    return (f["VDPP"] + f["VMPP"] + f["VDGP"] + f["VMGP"]).sum(0)


def ek_database(
    regions: int = 31,
    sectors: int = 40,
    sigma: tuple[float, float] = (2.0, 52.0),
    subpar: float = 1e-4,
    margin_rate: float = 1e-6,
    seed: int = 0,
) -> xr.Dataset:
    """A balanced GTAP v7 database of the Eaton–Kortum shape (module docstring).

    Parameters
    ----------
    regions, sectors : int
        Number of regions and of sectors (commodities = activities; the last is the margin
        commodity).
    sigma : (float, float)
        Smallest and largest Armington elasticity [1].
    subpar : float
        SUBPAR of every commodity, in (0, 1] (Allen cross-elasticities 1 - subpar).
    margin_rate : float
        International margins per unit CIF value [1], the same on every trade flow.
    seed : int
        Seed of the random flows.

    Returns
    -------
    xarray.Dataset
        In the schema of :func:`cge.gtap.load_database` [US$ million].
    """
    if regions < 2 or sectors < 2:
        raise ValueError(f"an Eaton-Kortum database needs at least 2 regions and 2 sectors, got {regions} x {sectors}")
    if not 0.0 < subpar <= 1.0:
        raise ValueError(f"subpar must be in (0, 1], got {subpar}")
    if not 0.0 < margin_rate < 1.0:  # no margins at all: qtm is undetermined, the first path node fails
        raise ValueError(f"margin_rate must be in (0, 1), got {margin_rate}")
    R, C = regions, sectors
    draws = _draws(np.random.default_rng(seed), R, C)
    flows = _flows(draws, margin_rate)
    for attempt in range(RESCALES + 1):  # a region whose trade deficit eats its saving consumes less
        share = flows["SAVE"] / (flows["SAVE"] + _consumption(flows))
        low = share < MIN_SAVE
        if not low.any():
            break
        if attempt == RESCALES:
            raise ValueError(f"seed {seed}: net saving below {MIN_SAVE:.0%} of income in {int(low.sum())} regions")
        private = (flows["VDPP"] + flows["VMPP"]).sum(0)
        income = flows["SAVE"] + _consumption(flows)
        draws["final"][0] *= np.where(
            low, np.clip((private + flows["SAVE"] - SAVE_TARGET * income) / private, 0.2, 1), 1
        )
        flows = _flows(draws, margin_rate)
    labels = {
        sc.REG: [f"r{i:02d}" for i in range(R)],
        sc.COMM: [f"c{i:02d}" for i in range(C)],
        sc.ACTS: [f"a{i:02d}" for i in range(C)],
        sc.ENDW: [FACTOR],
    }
    labels[sc.MARG] = labels[sc.COMM][-1:]
    coords = {
        **labels,
        sc.REG_2: labels[sc.REG],
        sc.ENDWT: ["mobile", "sluggish", "fixed"],
        sc.CAPITAL: (sc.ENDW, [True]),
    }
    esub = np.repeat(elasticities(C, *sigma)[:, None], R, 1)
    one_ar = np.ones((C, R))
    parameters = {
        "ESUBT": one_ar,
        "ESUBC": one_ar,
        "ESUBVA": one_ar,
        "ETRAQ": -one_ar,  # irrelevant with a diagonal make matrix (GTAP requires < 0)
        "ESUBQ": np.zeros((C, R)),
        "INCPAR": one_ar,
        "SUBPAR": np.full((C, R), subpar),
        "ESUBG": np.ones(R),
        "ESUBI": np.ones(R),
        "ESUBD": esub,
        "ESUBM": esub,
        "ESUBS": np.ones(1),
        "ETRAE": np.zeros((1, R)),
        "RORFLEX": np.full(R, 10.0),
    }
    variables = {name: (sc.schema()[name].dims, values) for name, values in {**flows, **parameters}.items()}
    variables["DPSM"] = ((sc.REG,), np.ones(R))
    variables["RORDELTA"] = ((), np.int64(1))
    variables["ENDOWFLAG"] = ((sc.ENDW, sc.ENDWT), np.array([[1.0, 0.0, 0.0]]))
    ds = xr.Dataset(variables, coords=coords)
    ds.attrs = {
        "source": "benchmarks/ek_database.py",
        "synthetic": f"Eaton-Kortum shape: regions={R}, sectors={C}, sigma={sigma}, subpar={subpar}, "
        f"margin_rate={margin_rate}, seed={seed}",
    }
    return conform_database(ds, where="Eaton-Kortum database")


def ek_tariff_cuts(ds: xr.Dataset, cut_regions: int = 3, max_cut: float = 0.30) -> xr.DataArray:
    """The ``tms`` shock cutting every import tariff of the first ``cut_regions`` regions by
    ``max_cut`` (a share: 0.30 = 30 percentage points), to zero where the tariff is smaller.

    Returns
    -------
    xarray.DataArray
        Over (COMM, REG, REG_2) = (commodity, source, destination): the percentage change of the
        power of each tariff [%] (0 where nothing is cut).
    """
    power = (ds["VMSB"] / ds["VCIF"]).where(ds["VCIF"] > 0, 1.0)
    cut = xr.zeros_like(power)
    destinations = ds[sc.REG_2].values[:cut_regions]
    rate = power.sel({sc.REG_2: destinations}) - 1.0
    cut.loc[{sc.REG_2: destinations}] = -np.minimum(rate, max_cut)
    return (100.0 * cut / power).rename("tms")
