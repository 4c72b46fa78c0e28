"""Calibration inputs: the elasticity table and the per-region parameters, read and checked.

The GTAP v7 database takes its elasticities from these tables (:func:`cge.gtap.from_sam`,
:mod:`cge.gtap.scenario_runner`) and its wage-curve elasticities from the region parameters
(:mod:`cge.gtap.horizons`); the sweep draws them (:mod:`cge.sweep.distributions`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from cge.dims import (
    ACTIVITY,
    COMMODITY,
    REGION,
)
from cge.errors import CalibrationError  # noqa: F401  (raised here; defined with the other user errors)
from cge.input_files import regular_file
from cge.paths import CALIBRATION_DIR
from cge.validation import csv_separator_hint

log = logging.getLogger(__name__)

SECTOR_ELASTICITIES = ("sigma_d", "sigma_m", "sigma_va", "sigma_t", "sigma_nd")
"""Per-sector elasticities: Armington domestic/import (σ_D), among import sources (σ_M),
among factors (σ_VA), value added vs intermediates (σ_T), among intermediates (σ_ND)."""

FINAL_DEMAND_ELASTICITIES = {"sigma_c": 1.0, "sigma_g": 1.0, "sigma_i": 0.0}
"""Substitution among commodities in private (σ_C), government (σ_G) and investment (σ_I)
demand. Defaults: Cobb-Douglas for households and government, Leontief for investment."""


REGION_PARAMETERS = ("unemployment_rate", "wage_curve_beta", "depreciation_rate", "gross_return")
"""Columns of ``calibration/region_parameters.csv`` (see that file for units and sources)."""
DEFAULT_REGION = "default"
"""Row of the region table used for regions it does not list."""


def load_elasticities(path: str | Path | None = None) -> pd.DataFrame:
    """Read an elasticity table (CSV with a ``sector`` column and the σ columns).

    Parameters
    ----------
    path : path or None
        CSV file; None reads the shipped ``calibration/elasticities.csv``.

    Returns
    -------
    pandas.DataFrame
        Indexed by sector, with the columns of :data:`SECTOR_ELASTICITIES` [unitless].
    """
    path = regular_file(
        CALIBRATION_DIR / "elasticities.csv" if path is None else path, "elasticity table", CalibrationError
    )
    if not path.exists():
        raise FileNotFoundError(f"no elasticity table at {path}")
    if path.is_dir():
        raise CalibrationError(f"elasticity table {path} is a directory, not a CSV file")
    try:
        frame = pd.read_csv(path, comment="#", dtype={"sector": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise CalibrationError(
            f"elasticity table {path}: cannot read as CSV ({str(exc).strip().splitlines()[0]})"
            + csv_separator_hint(path)
        ) from exc
    if "sector" not in frame.columns:
        raise CalibrationError(
            f"elasticity table {path} has no 'sector' column (columns: {list(frame.columns)})"
            + csv_separator_hint(path)
        )
    for col in [c for c in SECTOR_ELASTICITIES if c in frame.columns]:
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() & frame[col].notna()
        if bad.any():
            row = int(bad.idxmax())
            raise CalibrationError(
                f"elasticity table {path}: column '{col}' has {int(bad.sum())} values that are not numbers, "
                f"first {frame[col].iloc[row]!r} for sector {frame['sector'].iloc[row]!r} (row {row + 2})"
            )
        frame[col] = values
    repeated = sorted(set(frame["sector"][frame["sector"].duplicated()]))
    if repeated:
        raise CalibrationError(f"elasticity table {path} lists sectors {repeated} more than once")
    return frame.set_index("sector")


def check_elasticities(sam: xr.Dataset, elasticities: pd.DataFrame, source: str | Path | None = None) -> None:
    """Check an elasticity table against the SAM's sectors before anything is solved.

    Raises
    ------
    CalibrationError
        Naming ``source`` (the file), the missing columns or sectors, or every negative or
        non-finite value.
    """
    try:
        _elasticity_arrays(sam, elasticities)
    except CalibrationError as exc:
        if source is None:
            raise
        raise CalibrationError(f"elasticity table {source}: {exc}") from None


def load_region_parameters(path: str | Path | None = None) -> pd.DataFrame:
    """Read the per-region macro parameters (labour market and capital).

    Parameters
    ----------
    path : path or None
        CSV with a ``region`` column and the columns of :data:`REGION_PARAMETERS`; None reads the
        shipped ``calibration/region_parameters.csv``.

    Returns
    -------
    pandas.DataFrame
        Indexed by region label (with a ``default`` row for unlisted regions); fractions and
        unitless values as documented in the file.
    """
    path = CALIBRATION_DIR / "region_parameters.csv" if path is None else path
    path = regular_file(path, "region parameter table", CalibrationError)
    if not path.exists():
        raise FileNotFoundError(f"no region parameter table at {path}")
    frame = pd.read_csv(path, comment="#")
    missing = [c for c in ("region", *REGION_PARAMETERS) if c not in frame.columns]
    if missing:
        raise CalibrationError(f"region parameter table {path} lacks columns {missing}")
    return frame.set_index("region")


def region_parameter_arrays(regions: list[str], table: pd.DataFrame) -> xr.Dataset:
    """Per-region parameters for ``regions`` (unlisted regions take the ``default`` row), checked
    for range, plus the employment elasticity implied by the wage curve (dim ``region``)."""
    index = [str(r) for r in table.index]
    rows = []
    for region in regions:
        label = region if region in index else DEFAULT_REGION
        if label not in index:
            raise CalibrationError(f"region parameter table has no row for '{region}' and no '{DEFAULT_REGION}' row")
        rows.append(table.loc[label, list(REGION_PARAMETERS)].astype(float))
    values = pd.DataFrame(rows, index=regions)
    checks = {
        "unemployment_rate": (values["unemployment_rate"] > 0) & (values["unemployment_rate"] < 1),
        "wage_curve_beta": values["wage_curve_beta"] > 0,
        "depreciation_rate": (values["depreciation_rate"] >= 0) & (values["depreciation_rate"] < 1),
        "gross_return": values["gross_return"] > values["depreciation_rate"],
    }
    for column, ok in checks.items():
        if not bool(ok.all()):
            bad = {r: float(values.at[r, column]) for r in values.index[~ok.values]}
            raise CalibrationError(
                f"region parameter {column} out of range for {bad} (see calibration/region_parameters.csv)"
            )
    out = xr.Dataset(coords={REGION: regions})
    for column in REGION_PARAMETERS:
        out[column] = xr.DataArray(values[column].values, dims=REGION)
    u = out["unemployment_rate"]
    out["labour_supply_elasticity"] = u / ((1.0 - u) * out["wage_curve_beta"])
    return out


def _elasticity_arrays(sam: xr.Dataset, elasticities: pd.DataFrame | xr.Dataset) -> xr.Dataset:
    """Validate the elasticity table against the SAM's sectors and return it as arrays."""
    if isinstance(elasticities, xr.Dataset):
        elasticities = elasticities.to_dataframe()
    sectors = [str(s) for s in sam[COMMODITY].values]
    missing_cols = [c for c in SECTOR_ELASTICITIES if c not in elasticities.columns]
    if missing_cols:
        raise CalibrationError(f"elasticity table lacks columns {missing_cols}")
    index = [str(s) for s in elasticities.index]
    repeated = sorted({s for s in index if index.count(s) > 1})
    if repeated:
        raise CalibrationError(f"elasticity table lists sectors {repeated} more than once")
    missing = [s for s in sectors if s not in index]
    if missing:
        raise CalibrationError(f"missing elasticities for sectors {missing} (table has {index})")
    table = elasticities.copy()
    table.index = index
    table = table.loc[sectors, list(SECTOR_ELASTICITIES)].astype(float)
    bad_mask = (table < 0) | ~np.isfinite(table)
    if bool(bad_mask.values.any()):
        bad = [
            f"{table.columns[c]}[{table.index[k]}] = {table.iat[k, c]}" for k, c in zip(*np.nonzero(bad_mask.values))
        ]
        raise CalibrationError("elasticities must be finite and >= 0: " + ", ".join(bad))
    out = xr.Dataset()
    for col in ("sigma_d", "sigma_m"):
        out[col] = xr.DataArray(table[col].values, dims=COMMODITY, coords={COMMODITY: sam[COMMODITY].values})
    for col in ("sigma_va", "sigma_t", "sigma_nd"):
        out[col] = xr.DataArray(table[col].values, dims=ACTIVITY, coords={ACTIVITY: sam[ACTIVITY].values})
    return out
