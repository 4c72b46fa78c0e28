"""Subtotals over groups of regions and commodities, defined in a data file (``calibration/groups.csv``).

Each row of the file names a ``dimension`` (``region`` or ``commodity``), a ``group`` label and its
``members``: labels separated by spaces, ``*`` for all, ``[flag]`` / ``[!flag]`` for the
commodities whose boolean SAM coordinate (``goods``, ``agrifood``) is true / false. A region group
whose members are not all in the results is skipped. Region groups also apply to ``exporter`` and
``importer``; commodity groups to ``activity``.

How a variable is totalled follows its ``aggregate`` rule in ``cge/indicators.csv``: ``sum``;
``pct:<level>`` = the percent change of the summed level (the benchmark level of each member is
``level / (1 + pct/100)``); none = not defined (NaN on the group rows).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from cge.dims import ACTIVITY, COMMODITY, EXPORTER, IMPORTER, REGION
from cge.indicators.registry import aggregate_rule
from cge.input_files import regular_file
from cge.paths import CALIBRATION_DIR

log = logging.getLogger(__name__)

GROUPS_FILE = CALIBRATION_DIR / "groups.csv"
APPLIES_TO = {REGION: (REGION, EXPORTER, IMPORTER), COMMODITY: (COMMODITY, ACTIVITY)}


class GroupError(ValueError):
    """A groups file that cannot be read, or a group name that is not defined."""


@dataclass(frozen=True)
class Group:
    """One group: ``dimension`` (region / commodity), ``name``, member spec, description."""

    dimension: str
    name: str
    members: str
    description: str

    def labels(self, ds: xr.Dataset, dim: str) -> list[str] | None:
        """Member labels along ``dim`` of ``ds`` (None when the group does not apply there)."""
        available = [str(v) for v in ds[dim].values]
        spec = self.members.strip()
        if spec == "*":
            return available
        if spec.startswith("[") and spec.endswith("]"):
            flag = spec[1:-1]
            negate = flag.startswith("!")
            flag = flag.lstrip("!")
            if flag not in ds.coords or COMMODITY not in ds[flag].dims:
                return None
            values = dict(zip(map(str, ds[COMMODITY].values), np.asarray(ds[flag].values, dtype=bool)))
            return [c for c in available if c in values and values[c] != negate]
        wanted = spec.split()
        missing = [m for m in wanted if m not in available]
        if missing:
            log.info("group %s skipped: %s not in the results", self.name, ", ".join(missing))
            return None
        return wanted


def load_groups(path: str | Path | None = None) -> list[Group]:
    """Groups from a CSV file (default ``calibration/groups.csv``).

    Raises
    ------
    GroupError
        Naming the file and the problem (missing column, unknown dimension, repeated group).
    """
    path = regular_file(path if path is not None else GROUPS_FILE, "groups file", GroupError)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as exc:
        raise GroupError(f"cannot read groups file {path}: {exc}") from exc
    missing = {"dimension", "group", "members"} - set(table.columns)
    if missing:
        raise GroupError(f"groups file {path} lacks column(s) {', '.join(sorted(missing))}")
    groups = []
    for k, row in table.iterrows():
        if row["dimension"] not in APPLIES_TO:
            raise GroupError(
                f"groups file {path}, row {k + 2}: dimension {row['dimension']!r} is not region or commodity"
            )
        groups.append(Group(row["dimension"], row["group"], row["members"], row.get("description", "")))
    names = [(g.dimension, g.name) for g in groups]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise GroupError(f"groups file {path}: group(s) defined twice: {repeated}")
    return groups


def group_names(groups: list[Group] | None = None, dimension: str = REGION) -> list[str]:
    """Names of the groups on ``dimension``."""
    return [g.name for g in (groups if groups is not None else load_groups()) if g.dimension == dimension]


def _total(var: xr.DataArray, name: str, dim: str, labels: list[str], ds: xr.Dataset) -> xr.DataArray | None:
    rule = aggregate_rule(name)
    part = var.sel({dim: labels})
    if rule == "sum":
        return part.sum(dim, min_count=1)
    if rule.startswith("pct:"):
        level_name = rule[4:]
        if level_name not in ds or dim not in ds[level_name].dims:
            return None
        level = ds[level_name].sel({dim: labels})
        with np.errstate(divide="ignore", invalid="ignore"):
            base = (level / (1.0 + part / 100.0)).sum(dim)
            return 100.0 * (level.sum(dim) / base - 1.0)
    return None


def add_subtotals(ds: xr.Dataset, groups: list[Group] | None = None, names: list[str] | None = None) -> xr.Dataset:
    """``ds`` with group rows appended along region / exporter / importer / commodity / activity.

    Parameters
    ----------
    ds : xarray.Dataset
        Results.
    groups : list of Group or None
        Groups (default: :func:`load_groups`).
    names : list of str or None
        Only these groups (default: all).

    Returns
    -------
    xarray.Dataset
        Each extended dimension gets the group labels after its members and a boolean
        ``<dim>_is_group`` coordinate; variables without an aggregate rule are NaN on group rows.
    """
    groups = groups if groups is not None else load_groups()
    if names is not None:
        known = {g.name for g in groups}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise GroupError(f"unknown group {unknown[0]!r}; groups: {', '.join(sorted(known))}")
        groups = [g for g in groups if g.name in names]
    out = ds
    for group_dim, dims in APPLIES_TO.items():
        for dim in dims:
            if dim not in out.dims:
                continue
            found = [(g, g.labels(out, dim)) for g in groups if g.dimension == group_dim]
            chosen = [(g, labels) for g, labels in found if labels]
            if not chosen:
                continue
            out = _extend(out, dim, chosen)
    return out


def _extend(ds: xr.Dataset, dim: str, chosen: list[tuple[Group, list[str]]]) -> xr.Dataset:
    names = [g.name for g, _ in chosen]
    members = [str(v) for v in ds[dim].values]
    clash = [n for n in names if n in members]
    if clash:
        raise GroupError(f"group name {clash[0]!r} is also a {dim} label")
    labels = np.array(members + names, dtype=object)
    variables = {}
    for name, var in ds.data_vars.items():
        if dim not in var.dims:
            variables[name] = var
            continue
        axis = var.dims.index(dim)
        parts = [var.values.astype(float) if np.issubdtype(var.dtype, np.number) else var.values]
        for _g, member_labels in chosen:
            total = _total(var, str(name), dim, member_labels, ds) if np.issubdtype(var.dtype, np.number) else None
            template = var.isel({dim: 0}, drop=True)
            values = np.full(template.shape, np.nan) if total is None else total.transpose(*template.dims).values
            parts.append(np.expand_dims(values, axis))
        coords = {d: (labels if d == dim else var[d].values) for d in var.dims}
        variables[name] = xr.DataArray(np.concatenate(parts, axis=axis), dims=var.dims, coords=coords, attrs=var.attrs)
    out = xr.Dataset(variables, attrs=ds.attrs)
    keep = {k: v for k, v in ds.coords.items() if dim not in v.dims and k not in out.coords}
    out = out.assign_coords(keep)
    for name, coord in ds.coords.items():
        if name != dim and coord.dims == (dim,):
            fill = np.zeros(len(names), dtype=coord.dtype) if coord.dtype == bool else np.full(len(names), np.nan)
            out = out.assign_coords({name: (dim, np.concatenate([coord.values, fill]), coord.attrs)})
    out[dim].attrs = dict(ds[dim].attrs)
    flag = np.array([False] * len(members) + [True] * len(names))
    out = out.assign_coords({f"{dim}_is_group": (dim, flag, {"long_name": f"{dim} label is a group subtotal"})})
    return out
