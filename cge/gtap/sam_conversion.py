"""Convert a SAM of the project's schema (``docs/sam_schema.md``) into a GTAP v7 database.

What becomes what (every choice is listed in ``docs/gtap_database.md``, "From a SAM"):

* The SAM's market prices are GTAP's basic prices, and it has no taxes on purchases, so purchasers'
  prices equal basic prices: VDFB = VDFP = vdfm, VMFB = VMFP = vifm (imports at the importer's
  price incl. tariffs), VDPB = VDPP = vdfd[household], VDGB/VDGP, VDIB/VDIP likewise, and the
  imported final demands from vifd.
* Factors: EVFB = EVFP = EVOS = vfm (no factor-use or income taxes). ENDW are the SAM's factors;
  factor_type labour and capital are mobile (ENDM), land and natural_resource sector-specific
  (ENDF, as the SAM model treats them); ENDS is empty; the one capital-type factor is ENDC.
* One commodity per activity: the make matrix is diagonal, MAKB = output at market prices (sales),
  MAKS = MAKB - ptax (the net production tax is GTAP's output tax).
* Trade: VXSB = vxmd, VFOB = vxmd + xtax, VCIF = VFOB (no international margins), VMSB = vims.
  No margin commodity unless ``margins`` names some; VST and VTWR are then zero.
* VKB = capital income / gross return and VDEP = depreciation rate x VKB, both from the region
  parameter table (``calibration/region_parameters.csv`` by default, Penn World Table); SAVE =
  savings - VDEP (GTAP's SAVE is net saving). POP is not carried; the SAM's persons employed
  become the ``employment`` satellite (ENDW x ACTS x REG), split over labour factors by wage bill.
* Parameters: ESUBD, ESUBM, ESUBVA, ESUBT, ESUBC from the elasticity table's sigma_d, sigma_m,
  sigma_va, sigma_t, sigma_nd; household demand is homothetic (INCPAR = 1) with SUBPAR =
  1 - sigma_c (the CES case of the CDE), at least 0.01 because the CDE needs SUBPAR > 0;
  ESUBG = sigma_g, ESUBI = sigma_i; ETRAQ = -5 and ESUBQ = 0 (they play no part with a diagonal
  make matrix), ESUBS = 1, ETRAE = 0 (mobile) or -0.001 (sector-specific), RORFLEX = 10,
  RORDELTA = 1, DPSM = 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from cge.dims import (
    ACTIVITY,
    AGENT,
    CAPITAL,
    COMMODITY,
    EXPORTER,
    FACTOR,
    FACTOR_TYPE,
    GOVERNMENT,
    HOUSEHOLD,
    IMPORTER,
    INVESTMENT,
    LABOUR,
    REGION,
)
from cge.errors import DatabaseError
from cge.gtap import schema as sc
from cge.gtap.database import conform_database

__all__ = ["from_sam"]

SUBPAR_FLOOR = 0.01
"""Smallest SUBPAR from_sam writes: the CDE needs SUBPAR > 0 (sigma_c = 1 becomes 0.99)."""
ETRAQ_DEFAULT = -5.0
"""GTAP's parameter files' value; no effect with a diagonal make matrix."""
RORFLEX_DEFAULT = 10.0
"""GTAP's parameter files' value (and the SAM model's)."""
AGENT_HEADERS = {HOUSEHOLD: "P", GOVERNMENT: "G", INVESTMENT: "I"}
MOBILE_TYPES = (LABOUR, CAPITAL)


def _to_gtap(da: xr.DataArray) -> xr.DataArray:
    names = {REGION: sc.REG, COMMODITY: sc.COMM, ACTIVITY: sc.ACTS, FACTOR: sc.ENDW}
    names |= {EXPORTER: sc.REG, IMPORTER: sc.REG_2}
    return da.rename({k: v for k, v in names.items() if k in da.dims}).drop_vars(
        [c for c in da.coords if c not in da.dims]
    )


def _by_sector(table: pd.DataFrame, column: str, commodities: list[str]) -> np.ndarray:
    values = table[column].reindex(commodities)
    if values.isna().any():
        missing = [c for c, v in zip(commodities, values.isna()) if v]
        raise DatabaseError(f"elasticity table has no {column} for the SAM's sectors {missing}")
    return values.to_numpy(dtype=float)


def _parameters(sam: xr.Dataset, elasticities: pd.DataFrame, margins: list[str]) -> dict[str, tuple]:
    from cge.calibrate import FINAL_DEMAND_ELASTICITIES

    comm = [str(c) for c in sam[COMMODITY].values]
    n_reg = sam.sizes[REGION]
    per_sector = {name: _by_sector(elasticities, name, comm) for name in ("sigma_d", "sigma_m", "sigma_va")}
    per_sector |= {name: _by_sector(elasticities, name, comm) for name in ("sigma_t", "sigma_nd")}
    finals = {k: float(elasticities.attrs.get(k, v)) for k, v in FINAL_DEMAND_ELASTICITIES.items()}

    def by_region(values):
        return np.repeat(np.asarray(values, dtype=float)[:, None], n_reg, 1)

    fixed = ~np.isin(sam[FACTOR_TYPE].values, MOBILE_TYPES)
    return {
        "ESUBT": ((sc.ACTS, sc.REG), by_region(per_sector["sigma_t"])),
        "ESUBC": ((sc.ACTS, sc.REG), by_region(per_sector["sigma_nd"])),
        "ESUBVA": ((sc.ACTS, sc.REG), by_region(per_sector["sigma_va"])),
        "ETRAQ": ((sc.ACTS, sc.REG), np.full((len(comm), n_reg), ETRAQ_DEFAULT)),
        "ESUBQ": ((sc.COMM, sc.REG), np.zeros((len(comm), n_reg))),
        "INCPAR": ((sc.COMM, sc.REG), np.ones((len(comm), n_reg))),
        "SUBPAR": ((sc.COMM, sc.REG), np.full((len(comm), n_reg), max(1.0 - finals["sigma_c"], SUBPAR_FLOOR))),
        "ESUBG": ((sc.REG,), np.full(n_reg, finals["sigma_g"])),
        "ESUBI": ((sc.REG,), np.full(n_reg, finals["sigma_i"])),
        "ESUBD": ((sc.COMM, sc.REG), by_region(per_sector["sigma_d"])),
        "ESUBM": ((sc.COMM, sc.REG), by_region(per_sector["sigma_m"])),
        "ESUBS": ((sc.MARG,), np.ones(len(margins))),
        "ETRAE": ((sc.ENDW, sc.REG), by_region(np.where(fixed, -0.001, 0.0))),
        "RORFLEX": ((sc.REG,), np.full(n_reg, RORFLEX_DEFAULT)),
        "RORDELTA": ((), np.int64(1)),
        "DPSM": ((sc.REG,), np.ones(n_reg)),
    }


def from_sam(
    sam: xr.Dataset,
    elasticities: pd.DataFrame | None = None,
    region_parameters: pd.DataFrame | None = None,
    margins: tuple[str, ...] = (),
) -> xr.Dataset:
    """A GTAP v7 database equivalent to a SAM of the project's schema.

    Parameters
    ----------
    sam : xarray.Dataset
        A SAM (:func:`cge.load_sam`); it is checked first [US$ million].
    elasticities : pandas.DataFrame, optional
        Sector elasticity table (:func:`cge.calibrate.load_elasticities`); default the shipped one.
    region_parameters : pandas.DataFrame, optional
        ``depreciation_rate`` and ``gross_return`` by region
        (:func:`cge.calibrate.load_region_parameters`); default the shipped table.
    margins : tuple of str
        Commodities to declare margin commodities (with zero margin flows); default none.

    Returns
    -------
    xarray.Dataset
        The database (see the module notes for what becomes what); it passes
        :func:`cge.gtap.check_database`.

    Raises
    ------
    cge.errors.SamError
        When the SAM fails its own checks.
    DatabaseError
        When a sector lacks elasticities, a margin commodity is not a commodity, or the SAM does
        not have exactly one capital-type factor.
    """
    from cge.calibrate import load_elasticities, load_region_parameters
    from cge.sam import check_sam

    check_sam(sam)
    elasticities = load_elasticities() if elasticities is None else elasticities
    region_parameters = load_region_parameters() if region_parameters is None else region_parameters
    comm = [str(c) for c in sam[COMMODITY].values]
    unknown = sorted(set(margins) - set(comm))
    if unknown:
        raise DatabaseError(f"margin commodities {unknown} are not commodities of the SAM ({comm})")
    types = np.asarray([str(t) for t in sam[FACTOR_TYPE].values])
    if (types == CAPITAL).sum() != 1:
        raise DatabaseError(f"the SAM has {(types == CAPITAL).sum()} capital-type factors; GTAP needs one (ENDWC)")

    flows: dict[str, xr.DataArray] = {}
    for kind, (dom, imp) in {"F": ("vdfm", "vifm")}.items():
        flows[f"VD{kind}B"] = flows[f"VD{kind}P"] = _to_gtap(sam[dom])
        flows[f"VM{kind}B"] = flows[f"VM{kind}P"] = _to_gtap(sam[imp])
    for agent, letter in AGENT_HEADERS.items():
        flows[f"VD{letter}B"] = flows[f"VD{letter}P"] = _to_gtap(sam["vdfd"].sel({AGENT: agent}, drop=True))
        flows[f"VM{letter}B"] = flows[f"VM{letter}P"] = _to_gtap(sam["vifd"].sel({AGENT: agent}, drop=True))
    flows["EVFB"] = flows["EVFP"] = flows["EVOS"] = _to_gtap(sam["vfm"])
    sales = flows["VDFB"].sum(sc.ACTS) + sum(flows[f"VD{x}B"] for x in "PGI") + _to_gtap(sam["vxmd"]).sum(sc.REG_2)
    diagonal = xr.DataArray(np.eye(len(comm)), dims=(sc.COMM, sc.ACTS), coords={sc.COMM: comm, sc.ACTS: comm})
    flows["MAKB"] = sales * diagonal
    flows["MAKS"] = (sales - _to_gtap(sam["ptax"]).rename({sc.ACTS: sc.COMM})) * diagonal
    flows["VXSB"] = _to_gtap(sam["vxmd"])
    flows["VFOB"] = flows["VCIF"] = _to_gtap(sam["vxmd"] + sam["xtax"])
    flows["VMSB"] = _to_gtap(sam["vims"])
    reg = [str(r) for r in sam[REGION].values]
    flows["VST"] = xr.DataArray(np.zeros((len(margins), len(reg))), dims=(sc.MARG, sc.REG))
    flows["VTWR"] = xr.DataArray(np.zeros((len(margins), len(comm), len(reg), len(reg))), dims=sc.schema()["VTWR"].dims)

    rates = region_parameters.reindex(reg).fillna(region_parameters.loc["default"]) if len(reg) else region_parameters
    capital_income = flows["EVFB"].where(xr.DataArray(types == CAPITAL, dims=sc.ENDW), 0.0).sum((sc.ENDW, sc.ACTS))
    flows["VKB"] = capital_income / xr.DataArray(rates["gross_return"].to_numpy(float), dims=sc.REG)
    flows["VDEP"] = flows["VKB"] * xr.DataArray(rates["depreciation_rate"].to_numpy(float), dims=sc.REG)
    flows["SAVE"] = _to_gtap(sam["savings"]) - flows["VDEP"]

    variables = {name: da for name, da in flows.items()}
    for name, (dims, values) in _parameters(sam, elasticities, list(margins)).items():
        variables[name] = xr.DataArray(values, dims=dims)
    flag = np.stack([np.isin(types, MOBILE_TYPES), np.zeros(len(types), bool), ~np.isin(types, MOBILE_TYPES)], 1)
    variables["ENDOWFLAG"] = xr.DataArray(flag.astype(float), dims=(sc.ENDW, sc.ENDWT))
    coords = {
        sc.REG: reg,
        sc.REG_2: reg,
        sc.COMM: comm,
        sc.ACTS: comm,
        sc.ENDW: [str(f) for f in sam[FACTOR].values],
        sc.MARG: list(margins),
        sc.ENDWT: ["mobile", "sluggish", "fixed"],
        sc.CAPITAL: (sc.ENDW, types == CAPITAL),
    }
    for extra in ("goods", "agrifood"):
        if extra in sam.coords:
            coords[extra] = (sc.COMM, sam[extra].values.astype(bool))
    if "employment" in sam:
        variables["employment"] = _employment(sam, flows["EVFB"], types == LABOUR)
    ds = xr.Dataset({k: v.drop_vars(list(v.coords)) for k, v in variables.items()}, coords=coords)
    ds.attrs = {"source": f"cge.gtap.from_sam of a SAM with hash {sam.attrs.get('sam_hash', 'unknown')[:12]}"}
    return conform_database(ds, where="database from the SAM")


def _employment(sam: xr.Dataset, evfb: xr.DataArray, labour: np.ndarray) -> xr.DataArray:
    """The SAM's persons employed (activity, region) as the database's ``employment`` satellite
    (ENDW, ACTS, REG) [persons]: split over the labour factors by their wage bills in each
    activity (equally where an activity pays no wages), zero for the other factors."""
    mask = xr.DataArray(labour, dims=sc.ENDW)
    wages = evfb.where(mask, 0.0)
    total = wages.sum(sc.ENDW)
    equal = mask.astype(float) / max(int(labour.sum()), 1)
    share = xr.where(total > 0, wages / total.where(total > 0, 1.0), equal)
    persons = _to_gtap(sam["employment"])
    out = (share * persons).transpose(sc.ENDW, sc.ACTS, sc.REG)
    out.attrs = {"long_name": "persons employed", "units": "persons", "header": sc.SATELLITE_HEADERS["employment"]}
    return out
