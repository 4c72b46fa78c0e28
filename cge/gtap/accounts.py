"""Aggregates of a GTAP v7 database (the "key derivatives" of the GTAP v7 TABLO file), as pure
functions of the Dataset. All values in US$ million; dims named by the GTAP sets.
"""

from __future__ import annotations

import xarray as xr

from cge.gtap.schema import ACTS, COMM, ENDW, MARG, REG, REG_2

FIRM_PURCHASES = ("VDFP", "VMFP")
FINAL_BASIC = ("VDPB", "VDGB", "VDIB")
IMPORT_AGENTS_BASIC = ("VMPB", "VMGB", "VMIB")
TAX_PAIRS = {
    "private consumption": [("VDPP", "VDPB"), ("VMPP", "VMPB")],
    "government consumption": [("VDGP", "VDGB"), ("VMGP", "VMGB")],
    "investment": [("VDIP", "VDIB"), ("VMIP", "VMIB")],
    "intermediate inputs": [("VDFP", "VDFB"), ("VMFP", "VMFB")],
    "factor use": [("EVFP", "EVFB")],
    "output": [("MAKB", "MAKS")],
    "exports": [("VFOB", "VXSB")],
    "imports": [("VMSB", "VCIF")],
}
"""Indirect tax revenue = value at the higher price minus value at the lower one, by tax base."""


def on_comm(ds: xr.Dataset, da: xr.DataArray) -> xr.DataArray:
    """An array over MARG (e.g. VST) as one over COMM, zero for non-margin commodities."""
    return da.rename({MARG: COMM}).reindex({COMM: ds[COMM].values}, fill_value=0.0)


def activity_costs(ds: xr.Dataset) -> xr.DataArray:
    """Cost of each activity at purchasers' prices (ACTS, REG): intermediates + endowments."""
    return (ds["VDFP"] + ds["VMFP"]).sum(COMM) + ds["EVFP"].sum(ENDW)


def activity_sales(ds: xr.Dataset) -> xr.DataArray:
    """Sales of each activity at supply prices, before output taxes (ACTS, REG): Σc MAKS."""
    return ds["MAKS"].sum(COMM)


def commodity_supply(ds: xr.Dataset) -> xr.DataArray:
    """Supply of each commodity at basic prices (COMM, REG): Σa MAKB."""
    return ds["MAKB"].sum(ACTS)


def domestic_sales(ds: xr.Dataset) -> xr.DataArray:
    """Domestic use of domestic output at basic prices (COMM, REG)."""
    return ds["VDFB"].sum(ACTS) + sum(ds[h] for h in FINAL_BASIC)


def exports(ds: xr.Dataset) -> xr.DataArray:
    """Non-margin exports at basic prices by source (COMM, REG)."""
    return ds["VXSB"].sum(REG_2)


def commodity_sales(ds: xr.Dataset) -> xr.DataArray:
    """Sales of each commodity at basic prices (COMM, REG): domestic use + exports + margin supply."""
    return domestic_sales(ds) + exports(ds) + on_comm(ds, ds["VST"])


def imports_by_source(ds: xr.Dataset) -> xr.DataArray:
    """Imports at basic prices summed over sources (COMM, REG = importer)."""
    return ds["VMSB"].sum(REG).rename({REG_2: REG})


def imports_by_agent(ds: xr.Dataset) -> xr.DataArray:
    """Imports at basic prices summed over the agents that buy them (COMM, REG)."""
    return ds["VMFB"].sum(ACTS) + sum(ds[h] for h in IMPORT_AGENTS_BASIC)


def margins_used(ds: xr.Dataset) -> xr.DataArray:
    """International margins on each flow (COMM, REG, REG_2): Σm VTWR."""
    return ds["VTWR"].sum(MARG)


def tax_revenue(ds: xr.Dataset) -> dict[str, xr.DataArray]:
    """Indirect tax revenue by tax base and region (REG) [US$ million]; imports in the importer."""
    out = {}
    for base, pairs in TAX_PAIRS.items():
        gaps = []
        for high, low in pairs:
            gap = ds[high] - ds[low]
            if base == "imports":
                gap = gap.sum((COMM, REG)).rename({REG_2: REG})
            else:
                gap = gap.sum([d for d in gap.dims if d != REG])
            gaps.append(gap)
        out[base] = sum(gaps[1:], start=gaps[0])
    return out


def factor_income(ds: xr.Dataset) -> xr.DataArray:
    """Factor income at basic prices net of depreciation (REG): Σ EVFB - VDEP (GTAP's FY)."""
    return ds["EVFB"].sum((ENDW, ACTS)) - ds["VDEP"]


def regional_income(ds: xr.Dataset) -> xr.DataArray:
    """Regional income (REG): factor income net of depreciation + every indirect tax."""
    return factor_income(ds) + sum(tax_revenue(ds).values())


def private_expenditure(ds: xr.Dataset) -> xr.DataArray:
    return (ds["VDPP"] + ds["VMPP"]).sum(COMM)


def government_expenditure(ds: xr.Dataset) -> xr.DataArray:
    return (ds["VDGP"] + ds["VMGP"]).sum(COMM)


def regional_expenditure(ds: xr.Dataset) -> xr.DataArray:
    """Private + government expenditure + net saving (REG): GTAP's INCOME."""
    return private_expenditure(ds) + government_expenditure(ds) + ds["SAVE"]


def gross_investment(ds: xr.Dataset) -> xr.DataArray:
    """Investment expenditure at purchasers' prices (REG): GTAP's REGINV."""
    return (ds["VDIP"] + ds["VMIP"]).sum(COMM)


def net_investment(ds: xr.Dataset) -> xr.DataArray:
    """Gross investment minus depreciation (REG): GTAP's NETINV."""
    return gross_investment(ds) - ds["VDEP"]
