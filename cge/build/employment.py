"""Employment satellite: persons employed by model activity and region.

Method (the SAM's ``employment`` variable, persons):

1. The country of the WIOD-SEA file (the USA): persons engaged (``EMP``, thousands) by WIOD
   industry for the latest SEA year not after the SAM year (2014 for 2024), via
   ``calibration/value_added/sea56_to_wiod35.csv``.
2. Every other WIOD region: ILO modelled estimates by broad sector (agriculture, industry,
   services; the latest year that the world and every listed country share, not after the SAM
   year), via ``calibration/employment/wiod41_to_ilo.csv``; WIOD's rest of the world (``*``) is
   the ILO world total minus the listed countries. Each broad sector's persons are split over the
   WIOD industries of that sector (``calibration/employment/wiod35_to_ilo_broad.csv``) in
   proportion to their labour payments (labour share × WIOD residual, base year).
3. Aggregate to model regions and sectors; regions with an ``employment`` row for the SAM year
   in ``controls.csv`` are scaled to that total (USA: BLS CPS; MEX: INEGI ENOE; CAN: StatCan
   LFS). Other regions keep the ILO level of its latest year.

Jobs per US$ million of labour payments (``employment / vfm[labour]``) are the model's
employment coefficients.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from cge.build.mapping import Aggregation
from cge.build.sources import BuildInputError, SourceFiles, read_csv_checked
from cge.build.value_added import REST, LabourShares, sea_by_wiod_industry
from cge.build.wiod import WiodTable
from cge.dims import ACTIVITY, FACTOR, FACTOR_TYPE, LABOUR, REGION

log = logging.getLogger(__name__)

ILO_CONCORDANCE = "wiod41_to_ilo.csv"
BROAD_CONCORDANCE = "wiod35_to_ilo_broad.csv"
ILO_WORLD = "World"
BROAD_SECTORS = ("agriculture", "industry", "services")
THOUSAND = 1000.0
MILLION = 1.0e6


@dataclass(frozen=True)
class Employment:
    """Persons employed by model activity and region.

    Attributes
    ----------
    persons : xarray.DataArray
        dims (activity, region) [persons].
    source : dict
        Model region → text naming the sources, years and scaling.
    """

    persons: xr.DataArray
    source: dict[str, str]


def _ilo_by_wiod_region(
    files: SourceFiles, conc_path: Path, countries: tuple[str, ...], year: int
) -> tuple[pd.DataFrame, int]:
    """ILO employment (thousands) by WIOD region × broad sector for the chosen year."""
    conc = read_csv_checked(conc_path, ["wiod_region", "ilo_area"], dtype_str=["wiod_region", "ilo_area"])
    missing = sorted(set(countries) - set(conc["wiod_region"]))
    if missing:
        raise BuildInputError(f"{conc_path}: WIOD regions {missing} have no row")
    ilo = read_csv_checked(files.ilo, ["area", "year", *BROAD_SECTORS], ["year", *BROAD_SECTORS], dtype_str=["area"])
    listed = [a for a in conc["ilo_area"] if a != REST]
    needed = listed + ([ILO_WORLD] if (conc["ilo_area"] == REST).any() else [])
    absent = sorted(set(needed) - set(ilo["area"]))
    if absent:
        raise BuildInputError(f"{files.ilo}: no rows for area(s) {absent} (named in {conc_path})")
    have = ilo.dropna(subset=list(BROAD_SECTORS)).groupby("area")["year"].apply(set)
    common = set.intersection(*(have[a] for a in needed))
    if not common:
        raise BuildInputError(f"{files.ilo}: no year with data for all of {needed}")
    usable = sorted(y for y in common if y <= year)
    chosen = int(usable[-1]) if usable else int(min(common))
    if not usable:
        log.warning("%s: no ILO year <= %d for all areas; using %d", files.ilo, year, chosen)
    rows = ilo[ilo["year"] == chosen].drop_duplicates("area").set_index("area")[list(BROAD_SECTORS)]
    out = pd.DataFrame(0.0, index=list(countries), columns=list(BROAD_SECTORS))
    for wiod, area in zip(conc["wiod_region"], conc["ilo_area"]):
        if wiod not in out.index:
            continue
        out.loc[wiod] = rows.loc[ILO_WORLD] - rows.loc[listed].sum() if area == REST else rows.loc[area]
    if (out < 0).any().any():
        raise BuildInputError(f"{files.ilo}: world minus listed countries is negative in {chosen}")
    return out, chosen


def _employment_controls(frame: pd.DataFrame, regions: tuple[str, ...], year: int) -> dict[str, tuple[float, str]]:
    rows = frame[(frame["figure"] == "employment") & (frame["year"] == str(year)) & frame["region"].isin(regions)]
    out = {}
    for _, row in rows.iterrows():
        if row["unit"] != "million persons":
            raise BuildInputError(
                f"controls.csv: employment {row['region']} has unit {row['unit']!r}, expected 'million persons'"
            )
        out[row["region"]] = (float(row["value"]) * MILLION, f"{row['source']} [{row['quality']}]")
    return out


def employment_satellite(
    files: SourceFiles,
    calibration_dir: Path,
    table: WiodTable,
    shares: LabourShares,
    agg: Aggregation,
    controls: pd.DataFrame,
    year: int,
) -> Employment:
    """Persons employed by model activity and region in ``year``.

    Parameters
    ----------
    files : SourceFiles
        Raw sources (SEA, ILO).
    calibration_dir : pathlib.Path
        Calibration directory (``value_added/`` and ``employment/`` concordances).
    table : WiodTable
        WIOD table (residual and labour shares weight the split within broad sectors).
    shares : LabourShares
        Labour shares by WIOD region and industry.
    agg : Aggregation
        Model regions and sectors.
    controls : pandas.DataFrame
        ``controls.csv`` as read by :func:`cge.build.controls.read_controls`.
    year : int
        SAM year (2024): the employment control year and the latest SEA/ILO year to use.
    """
    sea = read_csv_checked(files.sea, ["year"], ["year"])
    sea_year = int(min(year, sea["year"].max()))
    sea_country, sea_frame = sea_by_wiod_industry(files, calibration_dir / "value_added", table, sea_year)
    emp_dir = calibration_dir / "employment"
    ilo, ilo_year = _ilo_by_wiod_region(files, emp_dir / ILO_CONCORDANCE, table.countries, year)
    broad_path = emp_dir / BROAD_CONCORDANCE
    broad = read_csv_checked(broad_path, ["wiod_code", "ilo_sector"], dtype_str=["wiod_code", "ilo_sector"])
    broad_of = dict(zip(broad["wiod_code"], broad["ilo_sector"]))
    missing = [i for i in table.industries if i not in broad_of]
    bad = sorted(set(broad_of.values()) - set(BROAD_SECTORS))
    if missing or bad:
        raise BuildInputError(f"{broad_path}: industries without a row {missing}; unknown ilo_sector {bad}")
    member = np.array([[broad_of[i] == b for i in table.industries] for b in BROAD_SECTORS], dtype=float)

    labour = np.maximum(table.residual(), 0.0) * shares.wiod  # (country, industry) US$ m
    persons = np.zeros_like(labour)
    for c, country in enumerate(table.countries):
        if country == sea_country:
            persons[c] = sea_frame["EMP"].to_numpy() * THOUSAND
            continue
        within = member @ labour[c]  # labour payments by broad sector
        weight = member * labour[c] / np.where(within > 0, within, 1.0)[:, None]
        persons[c] = (ilo.loc[country].to_numpy() * THOUSAND) @ weight
        lost = [b for b, w, e in zip(BROAD_SECTORS, within, ilo.loc[country]) if w <= 0 < e]
        if lost:
            log.warning("%s: ILO employment in %s has no labour payments to spread over; dropped", country, lost)
    rm = agg.region_matrix(list(table.countries))
    sm = agg.sector_matrix(list(table.industries))
    model = rm.T @ persons @ sm  # (region, sector)
    totals = _employment_controls(controls, agg.regions, year)
    source = {}
    for r, region in enumerate(agg.regions):
        parts = [f"WIOD-SEA EMP {sea_year}" if m == sea_country else "" for m in agg.members(region)]
        base = ("; ".join(sorted({p for p in parts if p})) or "") + (
            f"; ILO broad sectors {ilo_year} split by labour payments" if any(not p for p in parts) else ""
        )
        base = base.strip("; ")
        if region in totals:
            target, text = totals[region]
            before = model[r].sum()
            model[r] *= target / before
            source[region] = (
                f"{base}; scaled to {year} total {target / MILLION:.3f} million ({text}), factor {target / before:.3f}"
            )
        else:
            source[region] = f"{base}; not scaled (no {year} total in controls.csv)"
        log.info("employment %s: %.2f million (%s)", region, model[r].sum() / MILLION, source[region])
    da = xr.DataArray(
        model.T,
        dims=(ACTIVITY, REGION),
        coords={ACTIVITY: list(agg.sectors), REGION: list(agg.regions)},
        attrs={"long_name": "persons employed", "units": "persons"},
    )
    return Employment(da, source)


def employment_table(sam: xr.Dataset, employment: Employment) -> pd.DataFrame:
    """Tidy table: region, activity, persons, labour payments [US$ m], persons per US$ m of labour."""
    labour = sam["vfm"].where(sam[FACTOR_TYPE] == LABOUR).sum(FACTOR)
    frame = employment.persons.to_series().rename("persons").reset_index()
    pay = labour.transpose(ACTIVITY, REGION).to_series().rename("labour_musd").reset_index()
    frame = frame.merge(pay, on=[ACTIVITY, REGION])
    frame["persons_per_musd_labour"] = frame["persons"] / frame["labour_musd"].where(frame["labour_musd"] > 0)
    frame["source"] = frame[REGION].map(employment.source)
    return frame[[REGION, ACTIVITY, "persons", "labour_musd", "persons_per_musd_labour", "source"]]
