"""What a SAM build computed (:class:`BuildResult`), for the README and the tests.

Its own module so that :mod:`cge.build.readme` reads it without importing
:mod:`cge.build.pipeline`, which writes the README (no import cycle).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xarray as xr

from cge.balance import BalanceReport
from cge.build.assemble import AssemblyReport
from cge.build.controls import ControlSet
from cge.build.employment import Employment
from cge.build.mapping import Aggregation
from cge.build.sector_controls import SectorControls
from cge.build.trade import TariffRates
from cge.build.value_added import LabourShares
from cge.paths import CALIBRATION_DIR

BASE_YEAR = 2011
"""Year of the WIOD table."""


@dataclass(frozen=True)
class BuildResult:
    """Everything the build computed, for the README and the tests.

    Attributes
    ----------
    sam : xarray.Dataset
        The final SAM [US$ million; employment in persons].
    base : xarray.Dataset
        The balanced base-year (2011) SAM before the update.
    """

    sam: xr.Dataset
    base: xr.Dataset
    agg: Aggregation
    controls: ControlSet
    sector: SectorControls
    assembly: AssemblyReport
    balance: BalanceReport | None
    growth: dict[str, float]
    shares: LabourShares
    labour_share: pd.DataFrame
    tariffs: TariffRates
    tariff_factors: dict[str, float]
    employment: Employment
    source_digests: dict[str, str]
    seconds: float
    year: int
    calibration_dir: Path = CALIBRATION_DIR

    @property
    def base_year(self) -> int:
        """Year of the WIOD table the SAM starts from."""
        return BASE_YEAR
