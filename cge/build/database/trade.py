"""Bilateral trade: the WIOD 2011 pattern and the US import data of 2024 by HS6 product.

- :func:`bilateral_2011`: exports by commodity, exporter and importer between the model regions
  in the WIOD 2013 release table (intermediate + final use, US$ million at basic prices); the
  pattern of every flow the 2024 data do not give.
- :func:`us_imports_2024`: US imports for consumption in 2024 from Canada, Mexico and China by
  model sector (``national/us_imports_2024``: Census customs value, calculated duties and the
  USMCA-claimed value by HS6, mapped to GTAP sectors by the Yale Budget Lab crosswalk and to model
  sectors by ``concordances/gtap.csv``). HS chapters 98–99 (special classification provisions,
  no GTAP sector) are spread over the partner's goods sectors in proportion to its other imports.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cge.build.database.regions import RegionSet
from cge.build.database.sectors import CONCORDANCE_DIR, SectorSet
from cge.build.sources import BuildInputError, read_csv_checked
from cge.build.wiod import WiodTable

GTAP_CONCORDANCE = "gtap.csv"
PARTNERS = {"1220": "CAN", "2010": "MEX", "5700": "CHN"}
"""Census country codes of the HS6 file."""
MUSD = 1e-6
"""US$ million per US$."""


def bilateral_2011(table: WiodTable, regions: RegionSet, sm: np.ndarray) -> np.ndarray:
    """WIOD 2011 exports (model commodity, exporter, importer) between different model regions [US$ million]."""
    region_of = regions.region_of()
    missing = [c for c in table.countries if c not in region_of]
    if missing:
        raise BuildInputError(f"regions_wiod41.csv: WIOD region(s) {missing} have no model region")
    rm = np.zeros((len(table.countries), len(regions.regions)))
    for k, c in enumerate(table.countries):
        rm[k, regions.regions.index(region_of[c])] = 1.0
    flows = table.intermediate.sum(axis=3) + table.final.sum(axis=3)  # (from, industry, to)
    out = np.einsum("aib,ar,is,bq->srq", flows, rm, sm, rm, optimize=True)
    for r in range(len(regions.regions)):
        out[:, r, r] = 0.0
    return out


def read_gtap_concordance(calibration_dir: Path, sectors: SectorSet) -> dict[str, str]:
    """GTAP code (lower case) → model sector; ``""`` for codes spread over the goods sectors."""
    path = Path(calibration_dir) / CONCORDANCE_DIR / GTAP_CONCORDANCE
    frame = read_csv_checked(path, ["gtap_code", "sector"], dtype_str=["gtap_code", "sector"])
    frame["sector"] = frame["sector"].fillna("")
    unknown = sorted(set(frame["sector"]) - set(sectors.sectors) - {""})
    if unknown:
        raise BuildInputError(f"{path}: sector(s) {unknown} are not model sectors")
    return dict(zip(frame["gtap_code"].str.lower(), frame["sector"]))


def us_imports_2024(hs6_path: Path, crosswalk_path: Path, calibration_dir: Path, sectors: SectorSet) -> pd.DataFrame:
    """US imports for consumption 2024 by partner and model sector [US$ million].

    Returns
    -------
    pandas.DataFrame
        Index (partner, sector); columns ``value`` (customs value), ``duties`` (calculated
        duties), ``claimed`` (value entered under USMCA, estimated from HS10 claim shares).

    Raises
    ------
    BuildInputError
        If an HS6 code has no GTAP sector or a GTAP code has no model sector.
    """
    imports = read_csv_checked(
        hs6_path,
        ["cty_code", "hs6", "con_val_usd", "cal_dut_usd", "usmca_claimed_usd_est"],
        ["con_val_usd", "cal_dut_usd", "usmca_claimed_usd_est"],
        dtype_str=["cty_code", "hs6"],
    )
    cross = pd.read_csv(crosswalk_path, dtype=str, keep_default_na=False)
    if not {"hs6_code", "gtap_code"} <= set(cross.columns):
        raise BuildInputError(f"{crosswalk_path}: columns hs6_code, gtap_code expected")
    gtap = dict(zip(cross["hs6_code"], cross["gtap_code"].str.lower()))
    missing = sorted(set(imports["hs6"]) - set(gtap))
    if missing:
        raise BuildInputError(
            f"{crosswalk_path}: HS6 code(s) {missing[:5]} ({len(missing)} in all) of {hs6_path.name} have no GTAP code"
        )
    to_sector = read_gtap_concordance(calibration_dir, sectors)
    imports["gtap"] = imports["hs6"].map(gtap)
    unknown = sorted(set(imports["gtap"]) - set(to_sector))
    if unknown:
        raise BuildInputError(
            f"{Path(calibration_dir) / CONCORDANCE_DIR / GTAP_CONCORDANCE}: GTAP code(s) {unknown} have no row"
        )
    imports["sector"] = imports["gtap"].map(to_sector)
    imports["partner"] = imports["cty_code"].map(PARTNERS)
    if imports["partner"].isna().any():
        raise BuildInputError(
            f"{hs6_path}: unknown Census country code(s) "
            f"{sorted(set(imports.loc[imports['partner'].isna(), 'cty_code']))}"
        )
    cols = {"con_val_usd": "value", "cal_dut_usd": "duties", "usmca_claimed_usd_est": "claimed"}
    frame = imports.rename(columns=cols)
    frame[list(cols.values())] = frame[list(cols.values())].fillna(0.0) * MUSD
    out = []
    goods = sectors.flagged("goods")
    for partner, part in frame.groupby("partner"):
        known = part[part["sector"] != ""].groupby("sector")[list(cols.values())].sum()
        spread = part.loc[part["sector"] == "", list(cols.values())].sum()
        base = known.reindex(goods).fillna(0.0)
        weights = base["value"] / base["value"].sum()
        known = known.add(pd.DataFrame({c: weights * spread[c] for c in cols.values()}), fill_value=0.0)
        known.index.name = "sector"
        out.append(known.assign(partner=partner).reset_index())
    result = pd.concat(out).set_index(["partner", "sector"]).sort_index()
    return result.reindex(
        pd.MultiIndex.from_product([sorted(PARTNERS.values()), list(sectors.sectors)], names=["partner", "sector"])
    ).fillna(0.0)
