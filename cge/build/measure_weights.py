"""Trade weights of the 2025 US product measures (``calibration/tariffs/us_2025_measure_weights.csv``).

A measure covering part of a model sector (steel within iron_steel, trucks within motor_vehicles)
becomes a sector rate: covered 2024 imports / the SAM's imports of the sector x the measure's rate.
"""

from __future__ import annotations

import logging

import pandas as pd

from cge.build.sources import BuildInputError, require_columns

log = logging.getLogger(__name__)

COVERED_VALUES_FILE = "us_2025_covered_values.csv"


def sam_sector_imports(sam, importer: str, exporters: list[str], goods: list[str]) -> pd.DataFrame:
    """Imports of ``importer`` by goods sector and exporter in a SAM (fob, US$ million).

    Parameters
    ----------
    sam : xarray.Dataset
        The SAM the scenarios run on (the shipped SAM by default).
    importer : str
        Importing region.
    exporters : list of str
        Partners.
    goods : list of str
        Goods sectors.

    Returns
    -------
    DataFrame
        ``exporter, sector, imports_musd, source``.
    """
    fob = sam["vxmd"] + sam["xtax"]
    rows = []
    for exporter in exporters:
        for sector in goods:
            value = float(fob.sel({"commodity": sector, "exporter": exporter, "importer": importer}))
            rows.append(
                (exporter, sector, value, f"SAM {sam.attrs.get('base_year', '')} fob imports {importer}<-{exporter}")
            )
    return pd.DataFrame(rows, columns=["exporter", "sector", "imports_musd", "source"])


def measure_weights(covered: pd.DataFrame, sector_imports: pd.DataFrame) -> pd.DataFrame:
    """Share of a model sector's imports covered by each measure and the implied sector rate.

    Parameters
    ----------
    covered : DataFrame
        ``measure, exporter, sector, covered_value_musd, rate_pct, source_or_assumption`` and,
        optionally, ``low_musd, high_musd`` (a plausible range of the covered value).
    sector_imports : DataFrame
        Output of :func:`sam_sector_imports`.

    Returns
    -------
    DataFrame
        ``measure, exporter, sector, share_of_sector_imports, rate_pct, effective_rate_pct,
        covered_value_musd, sector_imports_musd, [share_low, share_high,] source_or_assumption``;
        effective_rate_pct = share × rate_pct.
    """
    require_columns(
        covered,
        ["measure", "exporter", "sector", "covered_value_musd", "rate_pct", "source_or_assumption"],
        COVERED_VALUES_FILE,
    )
    m = covered.merge(
        sector_imports[["exporter", "sector", "imports_musd", "source"]],
        on=["exporter", "sector"],
        how="left",
    )
    if m["imports_musd"].isna().any():
        raise BuildInputError(
            f"{COVERED_VALUES_FILE}: no sector imports for "
            f"{m.loc[m['imports_musd'].isna(), ['exporter', 'sector']].values.tolist()}"
        )
    m["share_of_sector_imports"] = m["covered_value_musd"] / m["imports_musd"]
    over = m["share_of_sector_imports"] > 1
    if over.any():
        log.warning(
            "%s: covered value exceeds the sector's imports for %s: share capped at 1",
            COVERED_VALUES_FILE,
            m.loc[over, ["measure", "exporter", "sector"]].values.tolist(),
        )
        m["source_or_assumption"] = m["source_or_assumption"].where(
            ~over, m["source_or_assumption"] + " [covered value above the SAM flow: share capped at 1]"
        )
        m["share_of_sector_imports"] = m["share_of_sector_imports"].clip(upper=1.0)
    m["effective_rate_pct"] = m["share_of_sector_imports"] * m["rate_pct"]
    m["sector_imports_musd"] = m["imports_musd"]
    m["source_or_assumption"] = m["source_or_assumption"] + " | denominator: " + m["source"]
    cols = [
        "measure",
        "exporter",
        "sector",
        "share_of_sector_imports",
        "rate_pct",
        "effective_rate_pct",
        "covered_value_musd",
        "sector_imports_musd",
    ]
    for bound in ("low", "high"):
        if f"{bound}_musd" in m.columns:
            m[f"share_{bound}"] = m[f"{bound}_musd"] / m["imports_musd"]
            cols.append(f"share_{bound}")
    return m[cols + ["source_or_assumption"]]
