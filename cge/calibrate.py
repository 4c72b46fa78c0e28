"""Calibration: SAM + elasticities -> the benchmark in calibrated share form.

Pure functions. :func:`calibrate` returns a :class:`Calibration`, a frozen holder of an
``xarray.Dataset`` whose arrays are read-only. Benchmark prices are 1, so every benchmark value
[US$ million] is also a benchmark quantity; shares and tax rates follow from the values.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

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
    IMPORTER,
    INVESTMENT,
    LABOUR,
    REGION,
)
from cge.errors import CalibrationError  # noqa: F401  (raised here; defined with the other user errors)
from cge.paths import CALIBRATION_DIR
from cge.sam import (
    check_sam,
    conform_sam,
    ensure_metadata_coords,
    import_use,
    output_market,
    regional_income,
    sam_hash,
    tariff_revenue,
    trade_balance,
)
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


@dataclass(frozen=True)
class Calibration:
    """Calibrated benchmark: a read-only dataset of values, shares, rates and elasticities.

    Attributes
    ----------
    data : xarray.Dataset
        Benchmark values [US$ million], tax rates [fraction], shares [fraction] and
        elasticities [unitless]; see ``docs/model.md`` for every variable.
    sam_hash : str
        SHA-256 of the SAM it was calibrated from.
    """

    data: xr.Dataset
    sam_hash: str

    def __getitem__(self, name: str) -> xr.DataArray:
        return self.data[name]


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
    path = CALIBRATION_DIR / "elasticities.csv" if path is None else Path(path)
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
    path = CALIBRATION_DIR / "region_parameters.csv" if path is None else Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no region parameter table at {path}")
    frame = pd.read_csv(path, comment="#")
    missing = [c for c in ("region", *REGION_PARAMETERS) if c not in frame.columns]
    if missing:
        raise CalibrationError(f"region parameter table {path} lacks columns {missing}")
    return frame.set_index("region")


def _region_arrays(sam: xr.Dataset, table: pd.DataFrame) -> xr.Dataset:
    """Per-region parameters for the SAM's regions (unlisted regions take the ``default`` row),
    checked for range, plus the employment elasticity implied by the wage curve."""
    regions = [str(r) for r in sam[REGION].values]
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
    out = xr.Dataset(coords={REGION: sam[REGION].values})
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


def _safe_ratio(num: xr.DataArray, den: xr.DataArray) -> xr.DataArray:
    """num / den where den > 0, else 0."""
    return xr.where(den > 0, num / den.where(den > 0, 1.0), 0.0)


def calibrate(
    sam: xr.Dataset,
    elasticities: pd.DataFrame | xr.Dataset | None = None,
    final_demand_elasticities: dict[str, float] | None = None,
    region_parameters: pd.DataFrame | None = None,
) -> Calibration:
    """Calibrate the model's benchmark from a SAM and elasticities.

    Parameters
    ----------
    sam : xarray.Dataset
        Balanced SAM in the schema of ``docs/sam_schema.md`` [US$ million].
    elasticities : DataFrame or Dataset or None
        Per-sector σ_D, σ_M, σ_VA, σ_T, σ_ND [unitless]; None reads the shipped table.
    final_demand_elasticities : dict or None
        Overrides of :data:`FINAL_DEMAND_ELASTICITIES`.
    region_parameters : DataFrame or None
        Per-region labour-market and capital parameters (:func:`load_region_parameters`); None
        reads the shipped table.

    Returns
    -------
    Calibration
        Frozen benchmark (values, rates, shares, elasticities).

    Raises
    ------
    CalibrationError
        For a missing or negative elasticity or a region parameter out of range. A region
        without investment demand is accepted (the macro closures say what it allows).
    """
    sam = check_sam(conform_sam(sam))
    data_hash = sam_hash(sam)  # from the data, never from an attr: caches are keyed by it
    sam = ensure_metadata_coords(sam)
    if elasticities is None:
        elasticities = load_elasticities()
    sigmas = _elasticity_arrays(sam, elasticities)
    fd_sigmas = dict(FINAL_DEMAND_ELASTICITIES)
    for key, value in (final_demand_elasticities or {}).items():
        if key not in fd_sigmas:
            raise CalibrationError(f"unknown final demand elasticity '{key}' (known: {list(fd_sigmas)})")
        if not np.isfinite(value) or value < 0:
            raise CalibrationError(f"final demand elasticity {key} = {value} must be finite and >= 0")
        fd_sigmas[key] = float(value)

    data = xr.Dataset(coords={c: sam.coords[c] for c in sam.coords})
    for name in ("vdfm", "vifm", "vdfd", "vifd", "vfm", "ptax", "vxmd", "xtax", "vims", "savings"):
        data[name] = sam[name].astype(float)
    sales = output_market(sam)
    data["vom"] = sales - sam["ptax"]  # output at basic prices
    data["vdm"] = sales  # output at market prices = supply of the domestic good
    data["to0"] = _safe_ratio(sam["ptax"], data["vom"])
    data["va0"] = sam["vfm"].sum(FACTOR)
    data["nd0"] = (sam["vdfm"] + sam["vifm"]).sum(COMMODITY)
    data["dom0"] = sam["vdfm"].sum(ACTIVITY) + sam["vdfd"].sum(AGENT)
    data["imp0"] = import_use(sam)
    data["qa0"] = data["dom0"] + data["imp0"]
    data["fd0"] = (sam["vdfd"] + sam["vifd"]).sum(COMMODITY)
    data["endow0"] = sam["vfm"].sum(ACTIVITY)
    fob = sam["vxmd"] + sam["xtax"]
    data["cif0"] = fob
    data["te0"] = _safe_ratio(sam["xtax"], sam["vxmd"])
    data["tm0"] = _safe_ratio(tariff_revenue(sam), fob)
    data["y0"] = regional_income(sam)
    data["tb0"] = trade_balance(sam)
    if "employment" in sam:
        labour = sam[FACTOR_TYPE] == LABOUR
        wages = sam["vfm"].where(labour, 0.0).sum(FACTOR)
        data["employment0"] = sam["employment"].astype(float)
        data["jobs_per_wage"] = _safe_ratio(sam["employment"], wages)
    for name in sigmas:
        data[name] = sigmas[name]
    for key, value in fd_sigmas.items():
        data[key] = value

    regional = _region_arrays(sam, load_region_parameters() if region_parameters is None else region_parameters)
    for name in regional.data_vars:
        data[name] = regional[name]
    capital = sam[FACTOR_TYPE] == CAPITAL
    data["capital_income0"] = sam["vfm"].where(capital, 0.0).sum((FACTOR, ACTIVITY))
    data["capital_stock0"] = data["capital_income0"] / data["gross_return"]
    investment = data["fd0"].sel({AGENT: INVESTMENT}, drop=True)
    data["investment_capital_ratio"] = _safe_ratio(investment, data["capital_stock0"])
    no_investment = investment <= 0
    if bool(no_investment.any()):
        log.info("regions without investment demand: %s", [str(r) for r in data[REGION].values[no_investment.values]])
    for dim in (EXPORTER, IMPORTER):
        data = data.assign_coords({dim: sam[dim].values})

    data.attrs.update(
        {
            "sam_hash": data_hash,
            "units": "US$ million at benchmark prices; rates and shares as fractions",
        }
    )
    for var in data.data_vars.values():
        var.values.flags.writeable = False
    log.debug("calibrated %d regions x %d sectors", sam.sizes[REGION], sam.sizes[COMMODITY])
    return Calibration(data=data, sam_hash=data.attrs["sam_hash"])
