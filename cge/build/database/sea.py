"""WIOD 2016 Socio-Economic Accounts (``national/wiod2016_sea``) aggregated to model sectors.

The file has Canada (CAD million) and the USA (US$ million), 56 industries, 2010–2014: ``COMP``
(compensation of employees), ``LAB`` (labour compensation of employees and the self-employed),
``VA``, ``EMP`` (persons engaged, thousands). Only ratios within a country are used, so the
currency does not matter.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cge.build.database.niot import CONCORDANCE
from cge.build.database.sectors import CONCORDANCE_DIR, SectorSet, concordance_matrix, read_concordance
from cge.build.sources import BuildInputError, read_csv_checked

SEA_VARIABLES = ("COMP", "LAB", "VA", "EMP")


def read_sea(path: Path, country: str, year: int, calibration_dir: Path, sectors: SectorSet) -> pd.DataFrame:
    """``COMP, LAB, VA, EMP`` of ``country`` in ``year`` by model sector (index = sector).

    Raises
    ------
    BuildInputError
        If the file has no rows for the country and year, or industries the concordance lacks.
    """
    frame = read_csv_checked(
        path, ["country", "code", "year", *SEA_VARIABLES], ["year", *SEA_VARIABLES], dtype_str=["country", "code"]
    )
    rows = frame[(frame["country"] == country) & (frame["year"] == year)].fillna({v: 0.0 for v in SEA_VARIABLES})
    if rows.empty:
        raise BuildInputError(
            f"{path}: no rows for {country} {year} (the socio-economic accounts cover {sorted(set(frame['country']))})"
        )
    conc_path = Path(calibration_dir) / CONCORDANCE_DIR / CONCORDANCE
    codes = list(rows["code"])
    cm = concordance_matrix(read_concordance(conc_path, sectors), codes, sectors, str(conc_path))
    values = cm.T @ rows[list(SEA_VARIABLES)].to_numpy(float)
    return pd.DataFrame(values, index=list(sectors.sectors), columns=list(SEA_VARIABLES))


def labour_to_compensation(sea: pd.DataFrame) -> pd.Series:
    """``LAB / COMP`` by sector (≥ 1; 1 where compensation is zero): labour income incl. the
    self-employed over compensation of employees."""
    ratio = np.divide(sea["LAB"], sea["COMP"], out=np.ones(len(sea)), where=sea["COMP"] > 0)
    return pd.Series(np.maximum(ratio, 1.0), index=sea.index)
