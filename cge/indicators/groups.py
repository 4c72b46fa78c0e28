"""The one registry of region and commodity groups (``calibration/groups.csv`` plus a user's
``--groups FILE``): which labels a group stands for, and subtotals over groups.

Each row of a groups file names a ``dimension`` (``region`` or ``commodity``), a ``group`` label, its
``members`` (labels separated by spaces, ``*`` for all, ``[flag]`` / ``[!flag]`` for the
commodities whose boolean SAM coordinate, such as ``goods`` or ``agrifood``, is true / false) and
an optional ``description``. A user's file adds its groups to the shipped ones and replaces a
shipped group of the same dimension and name. Region groups also apply to ``exporter`` and
``importer``; commodity groups to ``activity``.

The registry serves the report tables and charts (subtotal rows), ``cge diff`` and the scenario
rows (``importer = "USMCA"``, ``commodity = "services"`` expand to their members,
:func:`expand_label`).

How a variable is totalled follows its ``aggregate`` rule in ``cge/indicators.csv``: ``sum``;
``pct:<level>`` = the percent change of the summed level (the benchmark level of each member is
``level / (1 + pct/100)``); none = not defined. Model variables of ``detail="all"`` results follow
their units (:func:`subtotal_rule`): amounts in US$ are summed, their ``_pct`` changes are the
change of the sum, indices and prices have no subtotal. A subtotal asked for a variable without
a rule is an error (:func:`check_subtotals`), not an empty row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from cge.dims import ACTIVITY, COMMODITY, EXPORTER, IMPORTER, REGION
from cge.indicators.registry import GEMPACK_TYPE_ATTR, MODEL_COMPONENT_ATTR, aggregate_rule, indicator_table
from cge.input_files import regular_file
from cge.paths import CALIBRATION_DIR

log = logging.getLogger(__name__)

GROUPS_FILE = CALIBRATION_DIR / "groups.csv"
APPLIES_TO = {REGION: (REGION, EXPORTER, IMPORTER), COMMODITY: (COMMODITY, ACTIVITY)}
COLUMNS = ("dimension", "group", "members", "description")
"""Columns of a groups file (``description`` optional)."""
ALL_MEMBERS = "*"


class GroupError(ValueError):
    """A groups file that cannot be read, a group name that is not defined, or a subtotal that
    cannot be formed."""


@dataclass(frozen=True)
class Group:
    """One group: ``dimension`` (region / commodity), ``name``, member spec, description."""

    dimension: str
    name: str
    members: str
    description: str = ""

    def resolve(self, available: Sequence[str], flags: Mapping[str, Iterable[str]] | None = None) -> list[str] | None:
        """Member labels among ``available``, in the group's order.

        Parameters
        ----------
        available : sequence of str
            Labels of the dimension (e.g. the SAM's commodities).
        flags : mapping of str to iterable of str, or None
            For ``[flag]`` specs: the labels where each boolean flag is true.

        Returns
        -------
        list of str or None
            The members; None when the group cannot apply (a flag the data do not have, or a
            member label not in ``available``: see :meth:`missing`).
        """
        spec = self.members.strip()
        available = [str(a) for a in available]
        if spec == ALL_MEMBERS:
            return available
        if spec.startswith("[") and spec.endswith("]"):
            flag = spec[1:-1].strip()
            negate = flag.startswith("!")
            flag = flag.lstrip("!")
            if flags is None or flag not in flags:
                return None
            true = {str(x) for x in flags[flag]}
            return [a for a in available if (a in true) != negate]
        wanted = spec.split()
        return None if self.missing(available) else wanted

    def missing(self, available: Sequence[str]) -> list[str]:
        """Listed members that are not among ``available`` (none for ``*`` and flag specs)."""
        spec = self.members.strip()
        if spec == ALL_MEMBERS or spec.startswith("["):
            return []
        labels = {str(a) for a in available}
        return [m for m in spec.split() if m not in labels]

    def labels(self, ds: xr.Dataset, dim: str) -> list[str] | None:
        """Member labels along ``dim`` of ``ds`` (None when the group does not apply there)."""
        return self.resolve([str(v) for v in ds[dim].values], commodity_flags(ds))


PLURAL = {"commodity": "commodities", "activity": "activities"}
"""Plural of a dim name in messages (the others take an s)."""


def commodity_flags(ds: xr.Dataset) -> dict[str, list[str]]:
    """The boolean coordinates on ``commodity`` of ``ds``: ``{flag: labels where it is true}``."""
    if COMMODITY not in ds.coords:
        return {}
    labels = [str(c) for c in ds[COMMODITY].values]
    out = {}
    for name, coord in ds.coords.items():
        if coord.dims == (COMMODITY,) and name != COMMODITY and coord.dtype == bool:
            out[str(name)] = [c for c, flag in zip(labels, coord.values) if flag]
    return out


def read_groups(path: str | Path) -> list[Group]:
    """Groups of one CSV file (columns ``dimension, group, members[, description]``).

    Raises
    ------
    GroupError
        Naming the file, the row and the problem: unreadable file, missing column, unknown
        dimension, empty or comma-holding name, no members, a ``[flag]`` on regions, a group
        defined twice.
    """
    path = regular_file(path, "groups file", GroupError)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, comment="#", skipinitialspace=True)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise GroupError(f"cannot read groups file {path}: {exc}") from exc
    missing = [c for c in COLUMNS[:3] if c not in table.columns]
    if missing:
        raise GroupError(
            f"groups file {path} lacks column(s) {', '.join(missing)} "
            f"(columns: {', '.join(COLUMNS)}, the last optional)"
        )
    groups = []
    for k, row in table.iterrows():
        where = f"groups file {path}, row {k + 2}"
        dimension, name, members = (str(row[c]).strip() for c in COLUMNS[:3])
        if dimension not in APPLIES_TO:
            raise GroupError(f"{where}: dimension {dimension!r} is not region or commodity")
        if not name or "," in name or name != name.strip() or name.lower() == "all":
            raise GroupError(f"{where}: group name {name!r} must be non-empty, without commas, and not 'all'")
        if not members:
            raise GroupError(f"{where}: group {name!r} has no members")
        if members.startswith("[") and dimension != COMMODITY:
            raise GroupError(f"{where}: group {name!r}: [flag] members apply to commodity groups only")
        groups.append(Group(dimension, name, members, str(row.get("description", "")).strip()))
    names = [(g.dimension, g.name) for g in groups]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise GroupError(f"groups file {path}: group(s) defined twice: {', '.join(f'{d} {n}' for d, n in repeated)}")
    return groups


def load_groups(path: str | Path | None = None, extra: str | Path | None = None) -> list[Group]:
    """The group registry: ``path`` (default ``calibration/groups.csv``) and a user's ``extra`` file.

    Parameters
    ----------
    path : str, Path or None
        The base registry (None = the shipped ``calibration/groups.csv``).
    extra : str, Path or None
        A user's groups file (``--groups FILE``): its groups are added, and replace base groups of
        the same dimension and name.

    Raises
    ------
    GroupError
        For a file that cannot be read or holds a bad row (:func:`read_groups`).
    """
    groups = read_groups(path if path is not None else GROUPS_FILE)
    if extra is None:
        return groups
    added = read_groups(extra)
    replaced = {(g.dimension, g.name) for g in added}
    for g in groups:
        if (g.dimension, g.name) in replaced:
            log.info("group %s %s of %s replaced by %s", g.dimension, g.name, GROUPS_FILE.name, extra)
    return [g for g in groups if (g.dimension, g.name) not in replaced] + added


def group_names(groups: Sequence[Group] | None = None, dimension: str = REGION) -> list[str]:
    """Names of the groups on ``dimension``."""
    return [g.name for g in (groups if groups is not None else load_groups()) if g.dimension == dimension]


def find_group(groups: Sequence[Group], dimension: str, name: str) -> Group | None:
    """The group ``name`` on ``dimension``, or None."""
    return next((g for g in groups if g.dimension == dimension and g.name == name), None)


def expand_label(
    value: str,
    dimension: str,
    available: Sequence[str],
    flags: Mapping[str, Iterable[str]] | None = None,
    groups: Sequence[Group] | None = None,
) -> list[str] | None:
    """The labels a scenario row's ``value`` stands for when it names a group, else None.

    Parameters
    ----------
    value : str
        A label or group name (e.g. ``"USMCA"``, ``"services"``).
    dimension : {"region", "commodity"}
        The group dimension of the field.
    available : sequence of str
        Labels of the model on that dimension.
    flags : mapping or None
        Commodity flags (``{"goods": [...], "agrifood": [...]}``).
    groups : sequence of Group or None
        The registry (None = :func:`load_groups`).

    Raises
    ------
    GroupError
        When ``value`` is a group whose members the model does not have (named), or whose flag
        the SAM does not carry.
    """
    group = find_group(groups if groups is not None else load_groups(), dimension, value)
    if group is None:
        return None
    members = group.resolve(available, flags)
    if members is None:
        missing = group.missing(available)
        if missing:
            raise GroupError(
                f"group {value!r} ({group.members}) names {dimension}(s) {', '.join(missing)} "
                "that the SAM does not have"
            )
        raise GroupError(f"group {value!r} needs the SAM's {group.members.strip('[]!')!r} flag on {dimension}")
    return members


# --------------------------------------------------------------------------------------------------
# subtotals


def subtotal_rule(name: str, attrs: Mapping | None = None) -> str:
    """How a group subtotal of variable ``name`` is formed: ``sum``, ``pct:<level>`` or ``""`` (none).

    Indicators take their ``aggregate`` rule from ``cge/indicators.csv``. Model variables of
    ``detail="all"`` results (``model_component`` attr) follow their units: an amount in US$ is
    summed, ``<level>_pct`` of such an amount is the change of the summed level; indices,
    prices, rates and shares have no subtotal. A GTAP v7 ordinary change in US$ (``EV``,
    ``del_tbal``, the ``CNT*`` contributions) is summed; its percentage changes have no subtotal.
    """
    if name in indicator_table().index:
        return aggregate_rule(name)
    attrs = attrs or {}
    if attrs.get(GEMPACK_TYPE_ATTR) == "ordinary change" and str(attrs.get("units", "")).startswith("US$"):
        return "sum"
    if MODEL_COMPONENT_ATTR in attrs:
        if str(attrs.get("units", "")).startswith("US$"):
            return "sum"
        if name.endswith("_pct"):
            return f"pct:{name[: -len('_pct')]}"
    return ""


def _total(var: xr.DataArray, name: str, dim: str, labels: list[str], ds: xr.Dataset) -> xr.DataArray | None:
    rule = subtotal_rule(name, var.attrs)
    part = var.sel({dim: labels})
    if rule == "sum":
        return part.sum(dim, min_count=1)
    if rule.startswith("pct:"):
        level_name = rule[4:]
        if level_name not in ds or dim not in ds[level_name].dims:
            return None
        if subtotal_rule(level_name, ds[level_name].attrs) != "sum":
            return None
        level = ds[level_name].sel({dim: labels})
        with np.errstate(divide="ignore", invalid="ignore"):
            base = (level / (1.0 + part / 100.0)).sum(dim)
            return 100.0 * (level.sum(dim) / base - 1.0)
    return None


def has_subtotal(ds: xr.Dataset, name: str) -> bool:
    """Whether variable ``name`` of ``ds`` can be totalled over a group (a sum, or a change of one)."""
    rule = subtotal_rule(name, ds[name].attrs)
    if rule.startswith("pct:"):
        level = rule[4:]
        return level in ds and subtotal_rule(level, ds[level].attrs) == "sum"
    return rule == "sum"


def add_subtotals(
    ds: xr.Dataset, groups: Sequence[Group] | None = None, names: Sequence[str] | None = None
) -> xr.Dataset:
    """``ds`` with group rows appended along region / exporter / importer / commodity / activity.

    Parameters
    ----------
    ds : xarray.Dataset
        Results.
    groups : sequence of Group or None
        Groups (default: :func:`load_groups`).
    names : sequence of str or None
        Only these groups (default: all).

    Returns
    -------
    xarray.Dataset
        Each extended dimension gets the group labels after its members and a boolean
        ``<dim>_is_group`` coordinate; variables without a subtotal rule are NaN on group rows
        (:func:`check_subtotals` refuses them where a report asks for them).
    """
    groups = list(groups) if groups is not None else load_groups()
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
            chosen = [(g, g.labels(out, dim)) for g in groups if g.dimension == group_dim]
            for g, labels in chosen:
                if labels is None:
                    log.info("group %s skipped on %s: not all of %s in the results", g.name, dim, g.members)
            present = [(g, labels) for g, labels in chosen if labels]
            if not present:
                continue
            out = _extend(out, dim, present)
    return out


def group_rows(ds: xr.Dataset, dim: str) -> list[str]:
    """Labels of ``dim`` that are group subtotals (its ``<dim>_is_group`` coordinate)."""
    flag = f"{dim}_is_group"
    if dim not in ds.dims or flag not in ds.coords:
        return []
    return [str(v) for v, g in zip(ds[dim].values, ds[flag].values) if g]


def check_subtotals(ds: xr.Dataset, names: Iterable[str]) -> None:
    """Refuse group rows a variable cannot have.

    Raises
    ------
    GroupError
        Naming the first variable of ``names`` that has a group row (``<dim>_is_group``) on one of
        its dimensions but no subtotal rule, e.g. ``qo_pct`` (an index) with ``USMCA``.
    """
    for name in names:
        if name not in ds:
            continue
        var = ds[name]
        for dim in var.dims:
            rows = group_rows(ds, str(dim))
            if rows and not has_subtotal(ds, name):
                units = var.attrs.get("units", "")
                plural = PLURAL.get(str(dim), f"{dim}s")
                raise GroupError(
                    f"{name!r} ({units or 'no units'}) has no {rows[0]} subtotal: its {dim} values cannot be added up "
                    f"(no aggregate rule); leave {', '.join(rows)} out of the {plural} asked for"
                )


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
    flag_name = f"{dim}_is_group"
    before = ds[flag_name].values.astype(bool) if flag_name in ds.coords else np.zeros(len(members), dtype=bool)
    flag = np.concatenate([before, np.ones(len(names), dtype=bool)])
    out = out.assign_coords({flag_name: (dim, flag, {"long_name": f"{dim} label is a group subtotal"})})
    return out
