"""A SAM as tidy CSV files (the format :func:`cge.sam.save_sam` writes next to ``sam.nc``).

For users whose own data come as tables: ``cge run --sam DIR`` reads ``DIR/sam.nc``, or, when
there is none, these CSV files. Every error names the file, the column and the size of the problem.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import xarray as xr

from cge.dims import ACTIVITY, AGENT, AGRIFOOD, COMMODITY, EXPORTER, FACTOR, FACTOR_TYPE, GOODS, IMPORTER, REGION
from cge.sam import SAM_VARIABLES, SamError, boolean_values
from cge.validation import csv_separator_hint

CSV_COORDS = "coords.csv"


def _read_table(path: Path, columns: list[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, keep_default_na=False, dtype=str)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SamError(
            f"{path}: cannot read as CSV ({str(exc).strip().splitlines()[0]}){csv_separator_hint(path)}"
        ) from exc
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SamError(
            f"{path}: missing column(s) {missing} of {columns}; found {list(frame.columns)}" + csv_separator_hint(path)
        )
    return frame


def _flag(column: pd.Series, path: Path, flag: str):
    """A commodity flag column as booleans (all empty: False); other text than true/false/1/0 is an error."""
    if (column.str.strip() == "").all():
        return [False] * len(column)
    try:
        return boolean_values(column.to_numpy(), f"column '{flag}'")
    except SamError as exc:
        raise SamError(f"{path}: {exc}") from None


def read_sam_csv(directory: str | Path) -> xr.Dataset:
    """Read a SAM from tidy CSV files (the format :func:`save_sam` writes), unchecked.

    ``coords.csv`` (columns dim, label, factor_type, goods, agrifood) gives the labels of
    region, commodity, factor and agent; ``<variable>.csv`` has one column per dimension of the
    variable and ``value`` [US$ million; persons for employment]. Cells not listed are zero.

    Raises
    ------
    SamError
        Naming the file and the missing column, unknown label, repeated cell or non-number.
    """
    directory = Path(directory)
    coords = _read_table(directory / CSV_COORDS, ["dim", "label", "factor_type", "goods", "agrifood"])
    labels = {dim: coords.loc[coords["dim"] == dim, "label"].tolist() for dim in (REGION, COMMODITY, FACTOR, AGENT)}
    for dim, found in labels.items():
        if not found:
            raise SamError(f"{directory / CSV_COORDS}: no labels for dimension '{dim}'")
    labels.update({EXPORTER: labels[REGION], IMPORTER: labels[REGION], ACTIVITY: labels[COMMODITY]})
    factors = coords[coords["dim"] == FACTOR]
    commodities = coords[coords["dim"] == COMMODITY]
    sam = xr.Dataset(
        coords={
            **{dim: labels[dim] for dim in (REGION, COMMODITY, ACTIVITY, FACTOR, AGENT, EXPORTER, IMPORTER)},
            FACTOR_TYPE: (FACTOR, factors["factor_type"].tolist()),
            **{flag: (COMMODITY, _flag(commodities[flag], directory / CSV_COORDS, flag)) for flag in (GOODS, AGRIFOOD)},
        }
    )
    for var in SAM_VARIABLES:
        path = directory / f"{var.name}.csv"
        if not path.exists():
            if var.required:
                raise SamError(f"{path}: missing file for variable '{var.name}' ({var.long_name}, dims {var.dims})")
            continue
        frame = _read_table(path, [*var.dims, "value"])
        values = pd.to_numeric(frame["value"], errors="coerce")
        bad = values.isna()
        if bad.any():
            row = int(bad.idxmax())
            raise SamError(
                f"{path}: {int(bad.sum())} values are not numbers, first in row {row + 2}: {frame['value'].iloc[row]!r}"
            )
        for dim in var.dims:
            unknown = sorted(set(frame[dim]) - set(labels[dim]))
            if unknown:
                raise SamError(f"{path}: column '{dim}' has {len(unknown)} labels not in {CSV_COORDS}: {unknown[:5]}")
        index = pd.MultiIndex.from_frame(frame[list(var.dims)])
        if index.duplicated().any():
            raise SamError(
                f"{path}: {int(index.duplicated().sum())} cells are listed twice, first {index[index.duplicated()][0]}"
            )
        full = pd.MultiIndex.from_product([labels[d] for d in var.dims], names=var.dims)
        series = pd.Series(values.to_numpy(), index=index).reindex(full, fill_value=0.0)
        sam[var.name] = xr.DataArray(
            series.to_numpy().reshape([len(labels[d]) for d in var.dims]),
            dims=var.dims,
            attrs={"long_name": var.long_name, "units": var.units},
        )
    sam.attrs["source"] = f"tidy CSV files in {directory}"
    return sam
