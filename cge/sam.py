"""The multi-region SAM container: schema, loading, saving, hashing and checks.

The SAM is an :class:`xarray.Dataset` in the schema of ``docs/sam_schema.md``. Values are
US$ million at benchmark prices. This module knows nothing about particular regions or
sectors: it validates any dataset in the schema.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from cge.dims import (
    ACTIVITY,
    AGENT,
    AGENTS,
    AGRIFOOD,
    COMMODITY,
    EXPORTER,
    FACTOR,
    FACTOR_TYPE,
    FACTOR_TYPES,
    GOODS,
    GOVERNMENT,
    HOUSEHOLD,
    IMPORTER,
    INVESTMENT,
    LABOUR,
    REGION,
)
from cge.errors import SamError  # noqa: F401  (raised here; defined with the other user errors)
from cge.escaping import has_control_characters
from cge.paths import CALIBRATION_DIR, SAM_DIR
from cge.validation import boolean_values  # noqa: F401  (defined there: sam_csv uses it too)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SamVariable:
    """Schema entry of one SAM variable."""

    name: str
    dims: tuple[str, ...]
    nonnegative: bool
    gtap: str
    long_name: str
    units: str = "US$ million"
    required: bool = True


SAM_VARIABLES: tuple[SamVariable, ...] = (
    SamVariable("vdfm", (COMMODITY, ACTIVITY, REGION), True, "VDFM", "domestic intermediate use at market prices"),
    SamVariable(
        "vifm", (COMMODITY, ACTIVITY, REGION), True, "VIFM", "imported intermediate use at market prices incl. tariffs"
    ),
    SamVariable(
        "vdfd", (COMMODITY, AGENT, REGION), True, "VDPM/VDGM/VDIM", "domestic final demand by agent at market prices"
    ),
    SamVariable(
        "vifd",
        (COMMODITY, AGENT, REGION),
        True,
        "VIPM/VIGM/VIIM",
        "imported final demand by agent at market prices incl. tariffs",
    ),
    SamVariable("vfm", (FACTOR, ACTIVITY, REGION), True, "VFM", "factor payments"),
    SamVariable("ptax", (ACTIVITY, REGION), False, "OSEP", "net taxes on production"),
    SamVariable("vxmd", (COMMODITY, EXPORTER, IMPORTER), True, "VXMD", "exports at the exporter's market prices"),
    SamVariable("xtax", (COMMODITY, EXPORTER, IMPORTER), False, "XTREV", "export taxes"),
    SamVariable(
        "vims", (COMMODITY, EXPORTER, IMPORTER), True, "VIMS", "imports at the importer's market prices incl. tariffs"
    ),
    SamVariable("savings", (REGION,), True, "SAVE", "savings of the regional household"),
    SamVariable("employment", (ACTIVITY, REGION), True, "-", "persons employed", units="persons", required=False),
)
SAM_SCHEMA = {v.name: v for v in SAM_VARIABLES}
BILATERAL = ("vxmd", "xtax", "vims")
FLAGS = (GOODS, AGRIFOOD)
"""Boolean coordinates on ``commodity``: merchandise (``goods``) and agriculture and food (``agrifood``)."""
SELECTORS = {REGION: ("all",), COMMODITY: ("all", GOODS)}
"""Words that scenario rows use as selectors, so no region or commodity may be labelled with them."""


# --------------------------------------------------------------------------- the schema's form
def conform_sam(sam: xr.Dataset) -> xr.Dataset:
    """The SAM in the form the model reads: every variable's dims in the schema's order, the
    commodity flags (``goods``, ``agrifood``) as booleans.

    Every way a SAM enters (:func:`load_sam`, a Dataset given to :func:`cge.run`,
    :func:`cge.aggregate_sam`, :func:`cge.calibrate`, the balancing functions) passes through
    here, so code downstream may rely on the schema's axis order. Labels stored as byte strings
    (by other tools) become text. Variables whose dims differ from the schema's as a set are left
    for :func:`check_sam` to name.

    Returns
    -------
    xarray.Dataset
        A new Dataset (the input is not modified) [US$ million].

    Raises
    ------
    SamError
        When a flag holds values that are not booleans.
    """
    reordered = {
        var.name: sam[var.name].transpose(*var.dims)
        for var in SAM_VARIABLES
        if var.name in sam
        and tuple(sam[var.name].dims) != var.dims
        and sorted(map(str, sam[var.name].dims)) == sorted(var.dims)
    }
    out = sam.assign(reordered) if reordered else sam.copy()
    text = {  # labels other tools stored as byte strings ("|S3"): b'USA' would not match 'USA'
        name: [v.decode("utf-8", errors="replace") if isinstance(v, bytes) else v for v in out[name].values.tolist()]
        for name in (REGION, EXPORTER, IMPORTER, COMMODITY, ACTIVITY, FACTOR, AGENT, FACTOR_TYPE)
        if name in out.coords and any(isinstance(v, bytes) for v in out[name].values.tolist())
    }
    for name, labels in text.items():
        out = out.assign_coords({name: (out[name].dims, np.array(labels, dtype=object), out[name].attrs)})
    flags = {
        flag: (out[flag].dims, boolean_values(out[flag].values, f"coordinate '{flag}'"), out[flag].attrs)
        for flag in FLAGS
        if flag in out.coords and out[flag].dtype != bool
    }
    return out.assign_coords(flags) if flags else out


# --------------------------------------------------------------------------- derived flows
def tariff_revenue(sam: xr.Dataset) -> xr.DataArray:
    """Tariff revenue by commodity, exporter and importer [US$ million]: ``vims - vxmd - xtax``."""
    return sam["vims"] - sam["vxmd"] - sam["xtax"]


def output_market(sam: xr.Dataset) -> xr.DataArray:
    """Output of each activity at market prices, from its sales [US$ million], dims (activity, region)."""
    sales = sam["vdfm"].sum(ACTIVITY) + sam["vdfd"].sum(AGENT) + sam["vxmd"].sum(IMPORTER).rename({EXPORTER: REGION})
    return sales.rename({COMMODITY: ACTIVITY})


def output_cost(sam: xr.Dataset) -> xr.DataArray:
    """Cost of each activity incl. production tax [US$ million], dims (activity, region)."""
    return (sam["vdfm"] + sam["vifm"]).sum(COMMODITY) + sam["vfm"].sum(FACTOR) + sam["ptax"]


def import_supply(sam: xr.Dataset) -> xr.DataArray:
    """Imports by commodity and importing region at importer prices [US$ million]."""
    return sam["vims"].sum(EXPORTER).rename({IMPORTER: REGION})


def import_use(sam: xr.Dataset) -> xr.DataArray:
    """Use of imports by commodity and region, intermediate + final [US$ million]."""
    return sam["vifm"].sum(ACTIVITY) + sam["vifd"].sum(AGENT)


def regional_income(sam: xr.Dataset) -> xr.DataArray:
    """Income of each regional household [US$ million]: factors + all taxes it collects."""
    tariffs = tariff_revenue(sam).sum((COMMODITY, EXPORTER)).rename({IMPORTER: REGION})
    xtax = sam["xtax"].sum((COMMODITY, IMPORTER)).rename({EXPORTER: REGION})
    return sam["vfm"].sum((FACTOR, ACTIVITY)) + sam["ptax"].sum(ACTIVITY) + tariffs + xtax


def final_demand(sam: xr.Dataset) -> xr.DataArray:
    """Final demand by agent and region, domestic + imported [US$ million]."""
    return (sam["vdfd"] + sam["vifd"]).sum(COMMODITY)


def regional_expenditure(sam: xr.Dataset) -> xr.DataArray:
    """Household + government spending + savings of each region [US$ million]."""
    fd = final_demand(sam)
    return fd.sel({AGENT: HOUSEHOLD}, drop=True) + fd.sel({AGENT: GOVERNMENT}, drop=True) + sam["savings"]


def trade_balance(sam: xr.Dataset) -> xr.DataArray:
    """Fob exports minus cif imports by region [US$ million]."""
    fob = sam["vxmd"] + sam["xtax"]
    exports = fob.sum((COMMODITY, IMPORTER)).rename({EXPORTER: REGION})
    imports = fob.sum((COMMODITY, EXPORTER)).rename({IMPORTER: REGION})
    return exports - imports


# --------------------------------------------------------------------------- checks
def _sam_error(header: str, problems: list[str], noun: str) -> SamError:
    """One line for one problem; otherwise a first line with the count and one line per problem."""
    if len(problems) == 1:
        return SamError(f"{header}: {problems[0]}")
    plural = noun if noun.endswith("s") else f"{noun}s"
    return SamError(f"{header} ({len(problems)} {plural}):\n  " + "\n  ".join(problems))


def _gap_lines(account: str, gap: xr.DataArray, scale: xr.DataArray, rtol: float) -> list[str]:
    """Lines naming each element whose absolute gap exceeds ``rtol * max(1, scale)``."""
    tol = rtol * np.maximum(1.0, np.abs(scale))
    bad = np.abs(gap) > tol
    if not bool(bad.any()):
        return []
    if gap.ndim == 0:
        return [f"{account}: receipts - payments = {float(gap):+.6g} US$ million"]
    stacked = gap.where(bad).to_series().dropna()
    stacked = stacked.reindex(stacked.abs().sort_values(ascending=False).index)
    lines = []
    for key, value in stacked.items():
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{d}={k}" for d, k in zip(gap.dims, key))
        lines.append(f"{account} [{label}]: receipts - payments = {value:+.6g} US$ million")
    return lines


def _check_structure(sam: xr.Dataset) -> list[str]:
    if not any(var.name in sam for var in SAM_VARIABLES):
        held = ", ".join(list(map(str, sam.data_vars))[:5]) or "no variables"
        names = ", ".join(var.name for var in SAM_VARIABLES if var.required)
        return [f"not a SAM: none of the schema's variables ({names}) is in it; it holds {held}"]
    problems = []
    for var in SAM_VARIABLES:
        if var.name not in sam:
            if var.required:
                problems.append(f"missing variable '{var.name}' ({var.long_name}, dims {var.dims})")
            continue
        dims = tuple(sam[var.name].dims)
        if dims != var.dims:
            order = " (the same dims in another order: cge.sam.conform_sam puts them in order)"
            problems.append(
                f"variable '{var.name}' has dims {dims}, expected {var.dims}"
                + (order if sorted(map(str, dims)) == sorted(var.dims) else "")
            )
        else:
            problems += _dtype_problems(f"variable '{var.name}'", sam[var.name].dtype)
    problems += _precision_problems(sam)
    if problems:
        return problems
    for dim in (REGION, COMMODITY, ACTIVITY, FACTOR, AGENT, EXPORTER, IMPORTER):
        if dim not in sam.coords:
            problems.append(f"missing coordinate '{dim}'")
    if problems:
        return problems
    labels = {
        dim: [str(x) for x in sam[dim].values] for dim in (REGION, EXPORTER, IMPORTER, ACTIVITY, COMMODITY, AGENT)
    }
    for dim in (EXPORTER, IMPORTER):
        if labels[dim] != labels[REGION]:
            problems.append(f"coordinate '{dim}' {labels[dim]} differs from region {labels[REGION]}")
    if labels[ACTIVITY] != labels[COMMODITY]:
        problems.append(
            f"coordinate 'activity' {labels[ACTIVITY]} differs from commodity {labels[COMMODITY]} "
            "(one commodity per activity)"
        )
    if sorted(labels[AGENT]) != sorted(AGENTS):
        problems.append(f"coordinate 'agent' is {labels[AGENT]}, expected {list(AGENTS)}")
    if FACTOR_TYPE not in sam.coords:
        problems.append("missing coordinate 'factor_type' on 'factor' (labour/capital/land/natural_resource)")
    else:
        unknown = sorted(set(map(str, sam[FACTOR_TYPE].values)) - set(FACTOR_TYPES))
        if unknown:
            problems.append(f"factor_type values {unknown} not in {list(FACTOR_TYPES)}")
    for dim in (REGION, COMMODITY, FACTOR):
        dim_labels = list(map(str, sam[dim].values))
        if len(set(dim_labels)) != len(dim_labels):
            problems.append(f"coordinate '{dim}' has duplicate labels")
        if not dim_labels:
            problems.append(f"coordinate '{dim}' is empty")
        problems += [
            f"coordinate '{dim}' has the label {label!r} with control characters (newline, NUL, escape ...)"
            for label in dim_labels
            if has_control_characters(label)
        ]
        problems += [
            f"coordinate '{dim}' has the label {label!r}: labels are not empty and have no surrounding spaces"
            for label in dim_labels
            if label != label.strip() or not label
        ]
    for flag in FLAGS:
        if flag in sam.coords and sam[flag].dtype != bool:
            problems.append(
                f"coordinate '{flag}' holds {sam[flag].dtype} values, not booleans (cge.sam.conform_sam reads "
                "the text true/false)"
            )
    if not problems:
        problems += _reserved_label_problems(sam)
    return problems


def _dtype_problems(what: str, dtype: np.dtype) -> list[str]:
    """A variable must hold real numbers (integers or floats)."""
    if not np.issubdtype(dtype, np.number) or np.issubdtype(dtype, np.complexfloating):
        return [f"{what} holds {dtype} values, not numbers"]
    return []


def _precision_problems(sam: xr.Dataset) -> list[str]:
    """One line naming every variable stored with less than double precision (float32, float16)."""
    narrow = {
        var.name: sam[var.name].dtype
        for var in SAM_VARIABLES
        if var.name in sam and np.issubdtype(sam[var.name].dtype, np.floating) and sam[var.name].dtype.itemsize < 8
    }
    if not narrow:
        return []
    dtype = next(iter(narrow.values()))
    return [
        f"variables {', '.join(narrow)} hold {dtype} values: about {np.finfo(dtype).precision} significant digits "
        "cannot balance to the check's relative tolerance (1e-9); store the SAM as float64"
    ]


@cache
def _group_rows() -> tuple[tuple[str, str, str], ...]:
    """(dimension, group, members) of the shipped ``calibration/groups.csv``."""
    path = CALIBRATION_DIR / "groups.csv"
    if not path.exists():
        return ()
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    return tuple(zip(table["dimension"], table["group"], table["members"], strict=True))


def _reserved_label_problems(sam: xr.Dataset) -> list[str]:
    """Labels that scenario rows or report subtotals use as names of a selection.

    ``all`` (every region or commodity) and ``goods`` are selectors of scenario rows; a group of
    ``calibration/groups.csv`` is a subtotal row of the reports when its members are present
    (``*`` and ``[flag]`` groups always are).
    """
    problems = []
    for dim in (REGION, COMMODITY):
        labels = set(map(str, sam[dim].values))
        reserved = {name: "a selector of scenario rows" for name in SELECTORS[dim]}
        for group_dim, group, members in _group_rows():
            spec = members.strip()
            applies = spec == "*" or spec.startswith("[") or set(spec.split()) <= labels
            if group_dim == dim and applies:
                reserved.setdefault(group, "a group of calibration/groups.csv (a subtotal in the reports)")
        for name, why in reserved.items():
            if name in labels:
                problems.append(f"coordinate '{dim}' has the label {name!r}, which is reserved as {why}; rename it")
    return problems


def _check_values(sam: xr.Dataset) -> list[str]:
    problems = []
    for var in SAM_VARIABLES:
        if var.name not in sam:
            continue
        da = sam[var.name]
        finite = np.isfinite(da)
        if not bool(finite.all()):
            bad = da.where(~finite, drop=True).to_series()
            where = "; ".join(
                ", ".join(f"{d}={k}" for d, k in zip(da.dims, key if isinstance(key, tuple) else (key,)))
                for key in bad.index[:5]
            )
            problems.append(f"'{var.name}' has {int((~finite).sum())} NaN/inf values, e.g. at {where}")
            continue
        if var.nonnegative:
            neg = da < 0
            if bool(neg.any()):
                series = da.where(neg).to_series().dropna().sort_values()
                for key, value in series.head(10).items():
                    key = key if isinstance(key, tuple) else (key,)
                    label = ", ".join(f"{d}={k}" for d, k in zip(da.dims, key))
                    problems.append(f"'{var.name}' [{label}] is negative: {value:.6g} {var.units}")
    if "employment" in sam and not problems:
        labour = sam[FACTOR_TYPE] == LABOUR
        wages = sam["vfm"].where(labour, 0.0).sum((FACTOR, ACTIVITY))
        persons = sam["employment"].sum(ACTIVITY)
        for region in [str(r) for r in sam[REGION].values if float(persons.sel({REGION: r})) <= 0]:
            paid = float(wages.sel({REGION: region}))
            if paid > 0:
                problems.append(
                    f"'employment' [region={region}] is 0 persons for {paid:.6g} US$ million of labour payments; "
                    "fill the employment satellite or drop the variable"
                )
    for name in BILATERAL:
        diag = np.diagonal(sam[name].transpose(COMMODITY, EXPORTER, IMPORTER).values, axis1=1, axis2=2)
        if np.any(diag != 0):
            problems.append(
                f"'{name}' has non-zero own-region flows (exporter == importer), largest "
                f"{np.abs(diag).max():.6g} US$ million; domestic sales belong in vdfm/vdfd"
            )
    return problems


def check_sam(sam: xr.Dataset, rtol: float = 1e-9) -> xr.Dataset:
    """Validate a SAM against the schema and its accounting balances.

    Parameters
    ----------
    sam : xarray.Dataset
        A SAM in the schema of ``docs/sam_schema.md`` [US$ million].
    rtol : float
        Relative tolerance: a gap counts when ``|gap| > rtol * max(1, account total)``.

    Returns
    -------
    xarray.Dataset
        The same dataset, so calls can be chained.

    Raises
    ------
    SamError
        Naming every failing account (activity, import composite, regional household, world
        savings-investment) with the size of its gap in US$ million, or every schema violation.
    """
    problems = _check_structure(sam)
    if problems:
        raise _sam_error("SAM schema violation", problems, "problems")
    problems = _check_values(sam)
    if problems:
        raise _sam_error("SAM has invalid values", problems, "problems")

    sales = output_market(sam)
    cost = output_cost(sam)
    lines = _gap_lines("activity", sales - cost, sales, rtol)
    inputs = (sam["vdfm"] + sam["vifm"]).sum(COMMODITY) + sam["vfm"].sum(FACTOR)
    no_output = (sales <= 0) & (inputs > 0)
    for key, value in inputs.where(no_output).to_series().dropna().items():
        lines.append(
            f"activity [activity={key[0]}, region={key[1]}]: inputs of {value:.6g} US$ million but no sales "
            "(zero output); remove the activity's inputs or give it sales"
        )
    lines += _gap_lines("import composite", import_use(sam) - import_supply(sam), import_use(sam), rtol)
    tariff = tariff_revenue(sam)
    if bool((tariff < -rtol * np.maximum(1.0, sam["vims"])).any()):
        worst = tariff.where(tariff < 0).to_series().dropna().sort_values().head(5)
        for key, value in worst.items():
            lines.append(
                f"tariff revenue [commodity={key[0]}, exporter={key[1]}, importer={key[2]}] "
                f"= vims - vxmd - xtax = {value:.6g} US$ million is negative"
            )
    income = regional_income(sam)
    lines += _gap_lines("regional household", income - regional_expenditure(sam), income, rtol)
    world_s = sam["savings"].sum()
    world_i = final_demand(sam).sel({AGENT: INVESTMENT}).sum()
    lines += _gap_lines("world savings-investment", world_s - world_i, world_s, rtol)
    if lines:
        raise _sam_error("SAM does not balance", lines, "accounts")
    return sam


# --------------------------------------------------------------------------- hashing and I/O
def sam_hash(sam: xr.Dataset) -> str:
    """SHA-256 of the SAM's labels and values (independent of attrs and file format)."""
    digest = hashlib.sha256()
    for var in SAM_VARIABLES:
        if var.name not in sam:
            continue
        da = sam[var.name].transpose(*var.dims)
        digest.update(var.name.encode())
        for dim in var.dims:
            digest.update(json.dumps([str(x) for x in da[dim].values]).encode())
        digest.update(np.ascontiguousarray(da.values, dtype="<f8").tobytes())
    for coord in (FACTOR_TYPE, GOODS, AGRIFOOD):
        if coord in sam.coords:
            digest.update(json.dumps([str(x) for x in sam[coord].values]).encode())
    return digest.hexdigest()


def save_sam(sam: xr.Dataset, directory: str | Path) -> Path:
    """Write a SAM as ``sam.nc`` plus one tidy CSV per variable and ``coords.csv``.

    Every file is written to a temporary name first and moved into place, so an interrupted
    save never leaves a half-written file; a target that exists but is not a regular file
    (symbolic link, device, FIFO) is refused before anything is written. The ``sam_hash``
    attribute is computed from the data; attrs that netCDF cannot store (NumPy scalars,
    mappings) are stored as numbers or JSON.

    Parameters
    ----------
    sam : xarray.Dataset
        SAM in the schema [US$ million]; it is checked before anything is written.
    directory : path
        Output directory (created if missing).

    Returns
    -------
    pathlib.Path
        Path of the netCDF file.
    """
    from cge.atomic import refuse_special_target
    from cge.ncio import netcdf_bytes

    sam = check_sam(conform_sam(sam))
    directory = Path(directory)
    names = ["sam.nc", *(f"{var.name}.csv" for var in SAM_VARIABLES if var.name in sam), "coords.csv"]
    for name in names:
        refuse_special_target(directory / name)
    directory.mkdir(parents=True, exist_ok=True)
    sam.attrs = {key: _netcdf_attr(value) for key, value in sam.attrs.items()}
    sam.attrs["sam_hash"] = sam_hash(sam)
    with tempfile.TemporaryDirectory(dir=directory) as tmpdir:
        tmp = Path(tmpdir)
        written = []
        nc_tmp = tmp / "sam.nc"
        nc_tmp.write_bytes(netcdf_bytes(sam))  # serialised in memory: a full disk is an OSError, not an HDF5 crash
        written.append((nc_tmp, directory / "sam.nc"))
        for var in SAM_VARIABLES:
            if var.name not in sam:
                continue
            frame = sam[var.name].transpose(*var.dims).to_series().rename("value").reset_index()
            path = tmp / f"{var.name}.csv"
            frame.to_csv(path, index=False, float_format="%.17g")
            written.append((path, directory / f"{var.name}.csv"))
        coords = _coords_frame(sam)
        coords.to_csv(tmp / "coords.csv", index=False)
        written.append((tmp / "coords.csv", directory / "coords.csv"))
        for src, dst in written:
            os.replace(src, dst)
    log.info("saved SAM to %s (hash %s)", directory, sam.attrs["sam_hash"][:12])
    return directory / "sam.nc"


def _netcdf_attr(value):
    """An attr value netCDF stores as it is: text or a number (NumPy scalars included); JSON otherwise."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return value
    return json.dumps(value, default=lambda v: v.tolist() if hasattr(v, "tolist") else str(v))


def _coords_frame(sam: xr.Dataset) -> pd.DataFrame:
    rows = []
    for dim in (REGION, COMMODITY, FACTOR, AGENT):
        for label in sam[dim].values:
            row = {"dim": dim, "label": str(label), "factor_type": "", "goods": "", "agrifood": ""}
            if dim == FACTOR:
                row["factor_type"] = str(sam[FACTOR_TYPE].sel({FACTOR: label}).item())
            if dim == COMMODITY:
                for coord in (GOODS, AGRIFOOD):
                    if coord in sam.coords:
                        row[coord] = str(bool(sam[coord].sel({COMMODITY: label}).item()))
            rows.append(row)
    return pd.DataFrame(rows)


def load_sam(path: str | Path | None = None) -> xr.Dataset:
    """Load a SAM from a netCDF file, or a directory written by :func:`save_sam`.

    Parameters
    ----------
    path : path or None
        ``None`` loads the shipped SAM (``sam/sam.nc``); a directory loads its ``sam.nc``, or,
        when it has none, its tidy CSV files (:func:`read_sam_csv`).

    Returns
    -------
    xarray.Dataset
        The checked SAM [US$ million], loaded into memory.

    Raises
    ------
    FileNotFoundError
        If nothing exists at ``path``.
    SamError
        Naming the file: when it cannot be read (empty, truncated, not netCDF, a CSV file) or the
        SAM fails :func:`check_sam` (every failing account, one per line after the first).
    """
    from cge.ncio import read_netcdf
    from cge.sam_csv import CSV_COORDS, read_sam_csv

    path = SAM_DIR if path is None else Path(path)
    if path.is_dir():
        if not (path / "sam.nc").exists() and (path / CSV_COORDS).exists():
            return _checked(read_sam_csv(path, SAM_VARIABLES), path)
        path = path / "sam.nc"
    if not path.exists():
        raise FileNotFoundError(f"no SAM at {path}")
    if path.suffix.lower() == ".csv":
        raise SamError(
            f"{path}: a CSV file is not a SAM; give the directory that holds {CSV_COORDS} and one CSV per "
            "variable (as written by save_sam), or a sam.nc file"
        )
    return _checked(read_netcdf(path, "SAM", SamError), path)


def _checked(sam: xr.Dataset, path: Path) -> xr.Dataset:
    """The SAM read from ``path`` in schema form, checked, with ``sam_hash`` computed from its data."""
    try:
        sam = check_sam(conform_sam(sam))
    except SamError as exc:
        raise SamError(f"{path}: {exc}") from None
    stored = sam.attrs.get("sam_hash")
    sam.attrs["sam_hash"] = sam_hash(sam)
    if stored is not None and stored != sam.attrs["sam_hash"]:
        log.info("%s: stored sam_hash %.12s is not the hash of its data (%.12s)", path, stored, sam.attrs["sam_hash"])
    return sam


def ensure_metadata_coords(sam: xr.Dataset) -> xr.Dataset:
    """Return the SAM with ``goods``/``agrifood`` coordinates, False where missing."""
    out = sam
    for coord in (GOODS, AGRIFOOD):
        if coord not in out.coords:
            out = out.assign_coords({coord: (COMMODITY, np.zeros(out.sizes[COMMODITY], dtype=bool))})
    return out
