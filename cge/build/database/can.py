"""Canada: the WIOD 2016 release national table for 2014, with Statistics Canada's 2023 income totals.

Structure (input coefficients, import shares by user, final demand, exports, value added by
sector) is the WIOD 2016 table for 2014 (:mod:`cge.build.database.niot`), the newest input-output
table in ``national/`` for Canada (no Statistics Canada supply-use table for 2019–2023 was
available). Statistics Canada table 36-10-0221 (income-based GDP, 2023) sets the national
shares of GDP:

- net taxes on products (the table's ``TXSP`` scaled to StatCan's share);
- net taxes on production (spread over industries in proportion to value added: no industry
  detail in the table, ASSUMPTION);
- labour income = compensation of employees × WIOD-SEA 2014's ``LAB / COMP`` (the labour part
  of mixed income), spread over industries with WIOD-SEA 2014's ``LAB / VA`` pattern;
- consumption of fixed capital (corporations, government, unincorporated businesses).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cge.build.database.niot import read_niot
from cge.build.database.sea import labour_to_compensation, read_sea
from cge.build.database.sectors import SectorSet
from cge.build.database.sources import STATCAN_YEAR, WIOD16_YEAR, NationalFiles
from cge.build.database.table import NationalTable, by_activity, by_commodity, comm_user, make_matrix, value_added
from cge.build.sources import BuildInputError, read_csv_checked

STATCAN_ITEMS = {
    "gdp": "Gross domestic product at market prices",
    "compensation": "Compensation of employees",
    "production_taxes": "Taxes less subsidies on production",
    "product_taxes": "Taxes less subsidies on products and imports",
    "mixed_income": "Gross mixed income",
    "cfc_corporations": "Consumption of fixed capital: corporations",
    "cfc_government": "Consumption of fixed capital: general governments and non-profit institutions serving "
    "households",
    "cfc_unincorporated": "Consumption of fixed capital: unincorporated businesses",
}
"""Statistics Canada 36-10-0221 items used (national, CAD million)."""


def read_statcan(path: Path, year: int) -> dict[str, float]:
    """Canada's income-based GDP items of ``year`` [CAD million].

    Raises
    ------
    BuildInputError
        If an item is missing for Canada in that year.
    """
    frame = read_csv_checked(
        path, ["REF_DATE", "GEO", "Estimates", "VALUE"], ["REF_DATE", "VALUE"], dtype_str=["GEO", "Estimates"]
    )
    rows = frame[(frame["GEO"] == "Canada") & (frame["REF_DATE"] == year)].set_index("Estimates")["VALUE"]
    out = {}
    for key, label in STATCAN_ITEMS.items():
        match = [i for i in rows.index if i.startswith(label)]
        if not match:
            raise BuildInputError(f"{path}: no row '{label}' for Canada {year}")
        out[key] = float(rows[match[0]])
    return out


def read_can(files: NationalFiles, calibration_dir: Path, sectors: SectorSet) -> NationalTable:
    """Canada's table (WIOD 2016, 2014) with StatCan 2023 shares [US$ million of 2014]."""
    labels = list(sectors.sectors)
    t = read_niot(files.niot["CAN"], WIOD16_YEAR, calibration_dir, sectors)
    sea = read_sea(files.sea, "CAN", WIOD16_YEAR, calibration_dir, sectors)
    sc = read_statcan(files.statcan, STATCAN_YEAR)
    gdp_sc = sc["gdp"]
    product_share = sc["product_taxes"] / gdp_sc
    production_share = sc["production_taxes"] / gdp_sc
    ratio = float(sea["LAB"].sum() / sea["COMP"].sum())
    labour_share = sc["compensation"] * ratio / gdp_sc
    va = t.va
    # product taxes: GDP = VA + taxes with taxes / GDP = StatCan's share
    taxes = product_share / (1.0 - product_share) * va.sum()
    tax = t.tax * (taxes / t.tax.sum())
    gdp = va.sum() + taxes
    ptax = production_share * gdp * va / va.sum()
    lab_va = np.divide(
        sea["LAB"].to_numpy(), sea["VA"].to_numpy(), out=np.zeros(len(labels)), where=sea["VA"].to_numpy() > 0
    )
    pattern = lab_va * va
    labour = pattern * (labour_share * gdp / pattern.sum())
    labour = np.minimum(labour, va - ptax)
    comp = labour / labour_to_compensation(sea).to_numpy()
    surplus = va - ptax - labour
    depreciation = (sc["cfc_corporations"] + sc["cfc_government"] + sc["cfc_unincorporated"]) / gdp_sc * gdp
    notes = {
        "statcan_year": str(STATCAN_YEAR),
        "product_taxes_share_gdp": f"{product_share:.4f}",
        "production_taxes_share_gdp": f"{production_share:.4f}",
        "labour_share_gdp": f"{labour_share:.4f}",
        "lab_to_comp_sea": f"{ratio:.4f}",
        "cfc_share_gdp": f"{depreciation / gdp:.4f}",
    }
    source = (
        f"WIOD 2016 release national IO table CAN {WIOD16_YEAR} (national/wiod2016_niot; Timmer et al. 2015, "
        "CC BY 4.0); "
        f"Statistics Canada table 36-10-0221-01 {STATCAN_YEAR} (shares of GDP: product taxes "
        f"{100 * product_share:.2f} %, "
        f"production taxes {100 * production_share:.2f} %, labour {100 * labour_share:.2f} % = compensation x WIOD-SEA "
        f"{WIOD16_YEAR} LAB/COMP {ratio:.3f}, CFC); sector pattern of labour: WIOD-SEA CAN {WIOD16_YEAR} LAB/VA"
    )
    return NationalTable(
        region="CAN",
        year=WIOD16_YEAR,
        source=source,
        make=make_matrix(np.diag(t.output), labels),
        dom=comm_user(t.dom, labels),
        imp=comm_user(t.imp, labels),
        tax=comm_user(tax, labels),
        exports=by_commodity(t.exports, labels),
        value_added=value_added(comp, labour, surplus, labels),
        production_tax=by_activity(ptax, labels),
        depreciation=float(depreciation),
        notes=notes,
    )


def sea_employment(files: NationalFiles, country: str, calibration_dir: Path, sectors: SectorSet) -> pd.Series:
    """Persons engaged by model sector, WIOD-SEA :data:`WIOD16_YEAR` [persons]."""
    return read_sea(files.sea, country, WIOD16_YEAR, calibration_dir, sectors)["EMP"] * 1000.0
