"""GTAP v7 behavioural parameters of the open database, each with its source.

- ``ESUBD, ESUBM`` (COMM, REG), ``ESUBVA`` (ACTS, REG): the project's GTAPAgg-style table
  ``calibration/elasticities.csv`` (``sigma_d, sigma_m, sigma_va``; GTAP 9 values aggregated with
  US 2024 import and value-added weights, sources per GTAP sector in
  ``calibration/elasticities/gtap_parameters.csv``), the same for every region.
- ``ESUBT, ESUBC`` (ACTS, REG): ``sigma_t, sigma_nd`` of the same table (0: GTAP's Leontief nests).
- GTAP's standard values, as stated in the GTAP v7 model's TABLO code: ``ETRAQ = −5``,
  ``ESUBQ = 0`` (perfect substitutes), ``ESUBG = 1``, ``ESUBS = 1``; ``ESUBI = 0`` (Leontief
  investment composite); ``RORFLEX = 10``, ``RORDELTA = 1``; ``ETRAE``: −1 for sluggish land,
  −0.001 for sector-specific natural resources, −2 for the mobile endowments (not used by the
  equations of mobile endowments).
- CDE private demand, **calibrated** (no public GTAP parameter file was available):
  ``SUBPAR = 0.7`` for every commodity (ASSUMPTION) and ``INCPAR`` chosen so that the income
  elasticities of demand at the database's budget shares equal assumed values — agriculture
  0.5, food 0.6, other goods 1.0, services 1.15 (ASSUMPTION, the ranking of Engel's law, e.g.
  Muhammad, Seale, Meade and Regmi 2011, USDA ERS TB-1929) — rescaled so that Engel aggregation
  holds. With a uniform ``SUBPAR`` = 1 − α the CDE income elasticity is
  ``η_i = (1 − α) INCPAR_i / Σ_k s_k INCPAR_k + α``, so ``INCPAR_i = (η_i − α) / (1 − α)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from cge.build.database.cells import ACTS, COMM, ENDOWMENT_TYPES, ENDW, LAND, MARG, NATRES, REG
from cge.build.database.sectors import SectorSet
from cge.build.sources import BuildInputError, read_csv_checked

ELASTICITY_FILE = "elasticities.csv"
SUBPAR = 0.7
INCOME_ELASTICITY = {"agri": 0.5, "food": 0.6, "goods": 1.0, "services": 1.15}
ETRAQ, ESUBQ, ESUBG, ESUBS, ESUBI, RORFLEX, RORDELTA = -5.0, 0.0, 1.0, 1.0, 0.0, 10.0, 1
ETRAE = {LAND: -1.0, NATRES: -0.001}
ETRAE_MOBILE = -2.0

SOURCES = {
    "ESUBD": "calibration/elasticities.csv sigma_d (GTAPAgg rule over GTAP 9 ESUBD; sources in "
    "calibration/elasticities/gtap_parameters.csv)",
    "ESUBM": "calibration/elasticities.csv sigma_m (= 2 x ESUBD, GTAP's rule of two; Hertel, Hummels, Ivanic and "
    "Keeney 2007)",
    "ESUBVA": "calibration/elasticities.csv sigma_va (GTAP ESUBVA by sector group)",
    "ESUBT": "calibration/elasticities.csv sigma_t (GTAP default 0, Leontief)",
    "ESUBC": "calibration/elasticities.csv sigma_nd (GTAP default 0, Leontief)",
    "ETRAQ": "GTAP v7 default (-5; 'ETRAQ all -5' in the GTAP v7 TABLO code)",
    "ESUBQ": "GTAP v7 default (0, perfect substitutes)",
    "ESUBG": "GTAP v7 default (1, Cobb-Douglas government demand)",
    "ESUBI": "ASSUMPTION: 0, Leontief investment composite",
    "ESUBS": "GTAP v7 default (1, Cobb-Douglas international transport)",
    "ETRAE": "GTAP convention: land -1 (sluggish), natural resources -0.001 (sector-specific); -2 for mobile "
    "endowments (unused)",
    "RORFLEX": "GTAP v7 default (10)",
    "RORDELTA": "GTAP v7 default (1: rates of return equalised)",
    "INCPAR": "calibrated to assumed income elasticities (agri 0.5, food 0.6, other goods 1.0, services 1.15, "
    "rescaled to Engel aggregation) with SUBPAR = 0.7",
    "SUBPAR": "ASSUMPTION: 0.7 for every commodity",
}


def read_elasticities(calibration_dir: Path, sectors: SectorSet) -> pd.DataFrame:
    """``sigma_d, sigma_m, sigma_va, sigma_t, sigma_nd`` by sector (index).

    Raises
    ------
    BuildInputError
        Naming the sectors of the aggregation without a row.
    """
    path = Path(calibration_dir) / ELASTICITY_FILE
    cols = ["sigma_d", "sigma_m", "sigma_va", "sigma_t", "sigma_nd"]
    frame = read_csv_checked(path, ["sector", *cols], cols, dtype_str=["sector"]).set_index("sector")
    missing = [s for s in sectors.sectors if s not in frame.index]
    if missing:
        raise BuildInputError(f"{path}: no elasticities for sector(s) {missing}")
    return frame.loc[list(sectors.sectors), cols]


def cde_parameters(budget_shares: xr.DataArray, sectors: SectorSet) -> tuple[xr.DataArray, xr.DataArray]:
    """INCPAR and SUBPAR (COMM, REG) from budget shares (COMM, REG) — see the module docstring."""
    eta = np.array(
        [
            INCOME_ELASTICITY.get(s, INCOME_ELASTICITY["goods"] if g else INCOME_ELASTICITY["services"])
            for s, g in zip(sectors.sectors, sectors.goods)
        ]
    )
    alpha = 1.0 - SUBPAR
    shares = budget_shares.transpose(COMM, REG).values
    engel = (shares * eta[:, None]).sum(axis=0)
    eta_r = eta[:, None] / engel[None, :]
    if (eta_r <= alpha).any():
        raise BuildInputError(f"CDE calibration: an income elasticity at or below 1 - SUBPAR = {alpha}")
    incpar = (eta_r - alpha) / (1.0 - alpha)
    coords = {COMM: budget_shares[COMM].values, REG: budget_shares[REG].values}
    return (
        xr.DataArray(incpar, dims=(COMM, REG), coords=coords),
        xr.DataArray(np.full(incpar.shape, SUBPAR), dims=(COMM, REG), coords=coords),
    )


def parameters(
    calibration_dir: Path, sectors: SectorSet, coords: dict, budget_shares: xr.DataArray
) -> dict[str, xr.DataArray]:
    """Every GTAP parameter of the database (see the module docstring)."""
    el = read_elasticities(calibration_dir, sectors)
    regions, comm, endw, marg = coords[REG], coords[COMM], coords[ENDW], coords[MARG]

    def by(col: str, dim: str) -> xr.DataArray:
        values = np.repeat(el[col].to_numpy()[:, None], len(regions), axis=1)
        return xr.DataArray(values, dims=(dim, REG), coords={dim: comm, REG: regions})

    def const(value: float, dims: tuple[str, ...]) -> xr.DataArray:
        shape = [len({REG: regions, COMM: comm, ACTS: comm, ENDW: endw, MARG: marg}[d]) for d in dims]
        return xr.DataArray(
            np.full(shape, value),
            dims=dims,
            coords={d: {REG: regions, COMM: comm, ACTS: comm, ENDW: endw, MARG: marg}[d] for d in dims},
        )

    incpar, subpar = cde_parameters(budget_shares, sectors)
    etrae = const(ETRAE_MOBILE, (ENDW, REG))
    for e, v in ETRAE.items():
        etrae.loc[{ENDW: e}] = v
    flag = np.array([[e not in ETRAE, e == LAND, e == NATRES] for e in endw], dtype=int)
    out = {
        "ESUBD": by("sigma_d", COMM),
        "ESUBM": by("sigma_m", COMM),
        "ESUBVA": by("sigma_va", ACTS),
        "ESUBT": by("sigma_t", ACTS),
        "ESUBC": by("sigma_nd", ACTS),
        "ETRAQ": const(ETRAQ, (ACTS, REG)),
        "ESUBQ": const(ESUBQ, (COMM, REG)),
        "ESUBG": const(ESUBG, (REG,)),
        "ESUBI": const(ESUBI, (REG,)),
        "ESUBS": const(ESUBS, (MARG,)),
        "ETRAE": etrae,
        "RORFLEX": const(RORFLEX, (REG,)),
        "RORDELTA": xr.DataArray(RORDELTA),
        "INCPAR": incpar,
        "SUBPAR": subpar,
        "ENDOWFLAG": xr.DataArray(flag, dims=(ENDW, "ENDWT"), coords={ENDW: endw, "ENDWT": list(ENDOWMENT_TYPES)}),
    }
    for name, arr in out.items():
        arr.attrs["source"] = SOURCES.get(
            name, "GTAP v7: mobile, sluggish (land) and fixed (natural resources) endowments"
        )
    return out


def read_region_parameters(calibration_dir: Path) -> pd.DataFrame:
    """``calibration/region_parameters.csv`` (depreciation rate and gross return by region, ``default`` row)."""
    path = Path(calibration_dir) / "region_parameters.csv"
    try:
        frame = pd.read_csv(path, comment="#", index_col=0)
    except FileNotFoundError as err:
        raise BuildInputError(f"{path}: file not found") from err
    for col in ("depreciation_rate", "gross_return"):
        if col not in frame.columns:
            raise BuildInputError(f"{path}: column {col!r} missing")
    if "default" not in frame.index:
        raise BuildInputError(f"{path}: no 'default' row")
    return frame
