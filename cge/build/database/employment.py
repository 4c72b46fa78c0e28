"""Employment satellite of the open database: persons by activity, skill and region.

- USA and Canada: WIOD-SEA 2014 persons engaged (``EMP``) by model sector;
- Mexico: INEGI 2018 jobs (``PT``), a group's jobs split over its sectors by labour income;
- every other region: the SAM build's ILO-based estimate (:func:`cge.build.employment.employment_satellite`:
  ILO broad sectors split over WIOD industries by labour payments), on the WIOD 2013 sectors of
  ``calibration/mappings/sectors_wiod35.csv``, each of those sectors split over the model sectors
  it contains in proportion to the database's labour payments.

Each region is scaled to its ``employment`` row of ``controls.csv`` for 2024 where there is one.
Persons are split between skilled and unskilled labour in proportion to the labour payments
(ASSUMPTION: one wage per sector for both skills, so this overstates unskilled persons).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from cge.build.database.can import sea_employment
from cge.build.database.cells import ACTS, ENDW, LABOUR_ENDOWMENTS, REG
from cge.build.database.mex import inegi_jobs
from cge.build.database.sectors import SectorSet
from cge.build.database.sources import NationalFiles
from cge.build.employment import MILLION, _employment_controls, employment_satellite
from cge.build.mapping import Aggregation, read_aggregation
from cge.build.value_added import LabourShares
from cge.build.wiod import WiodTable


def employment(
    files: NationalFiles,
    calibration_dir: Path,
    sectors: SectorSet,
    national: dict[str, str | None],
    region_of: dict[str, str],
    labour: xr.DataArray,
    table: WiodTable,
    shares: LabourShares,
    controls: pd.DataFrame,
    year: int,
    wiod_concordance: np.ndarray,
) -> tuple[xr.DataArray, dict[str, str]]:
    """Persons (ENDW, ACTS, REG), nonzero for the labour endowments, and the source by region.

    Parameters
    ----------
    labour : xarray.DataArray (ENDW, ACTS, REG)
        The database's labour payments (EVFB) [US$ million].
    wiod_concordance : ndarray (WIOD 2013 industry, model sector)
        Shares of ``concordances/wiod35.csv``.
    """
    regions = list(labour[REG].values)
    labels = list(sectors.sectors)
    payments = labour.sel({ENDW: list(LABOUR_ENDOWMENTS)}).sum(ENDW).transpose(ACTS, REG)
    old = read_aggregation(Path(calibration_dir) / "mappings")
    agg = Aggregation(
        tuple(regions), old.sectors, dict(region_of), old.sector_of, old.goods, old.agrifood, old.description
    )
    ilo = employment_satellite(files.base, Path(calibration_dir), table, shares, agg, controls, year)
    totals = _employment_controls(controls, tuple(regions), year)
    # old WIOD sector -> model sectors it contains (through the WIOD industries)
    link = np.zeros((len(old.sectors), len(labels)))
    for k, industry in enumerate(table.industries):
        link[old.sectors.index(old.sector_of[industry])] += wiod_concordance[k]
    persons = np.zeros((len(labels), len(regions)))
    source = {}
    for j, r in enumerate(regions):
        code = national.get(r)
        if code in ("USA", "CAN"):
            persons[:, j] = sea_employment(files, code, calibration_dir, sectors).reindex(labels).fillna(0.0).to_numpy()
            text = "WIOD-SEA EMP 2014 by sector"
        elif code == "MEX":
            persons[:, j] = inegi_jobs(files, calibration_dir, sectors, payments.sel({REG: r}).to_series()).to_numpy()
            text = "INEGI MIP 2018 jobs (PT) by sector"
        else:
            by_old = ilo.persons.sel(region=r).to_numpy()
            pay = payments.sel({REG: r}).to_numpy()
            weights = link * pay[None, :]
            weights = np.divide(
                weights,
                weights.sum(axis=1, keepdims=True),
                out=np.zeros_like(weights),
                where=weights.sum(axis=1, keepdims=True) > 0,
            )
            persons[:, j] = by_old @ weights
            text = ilo.source[r]
        if r in totals and code is not None:
            target, note = totals[r]
            factor = target / persons[:, j].sum()
            persons[:, j] *= factor
            text += f"; scaled to {year} total {target / MILLION:.3f} million ({note}), factor {factor:.3f}"
        source[r] = text
    split = labour.sel({ENDW: list(LABOUR_ENDOWMENTS)}).transpose(ENDW, ACTS, REG)
    share = split / split.sum(ENDW).where(split.sum(ENDW) > 0, 1.0)
    out = share * xr.DataArray(persons, dims=(ACTS, REG), coords={ACTS: labels, REG: regions})
    out = out.reindex({ENDW: list(labour[ENDW].values)}, fill_value=0.0).transpose(ENDW, ACTS, REG)
    out.attrs = {"long_name": "persons employed by skill", "units": "persons"}
    return out, source
