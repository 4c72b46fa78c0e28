"""Aggregate a GTAP v7 database to new regions, commodities, activities and endowments, as
GTAPAgg does: flows are summed, parameters are averaged with flow weights.

The weights are those of GTAPAgg's parameter aggregation (FlexAgg's ``aggpar.tab``), given per
parameter in the ``aggregate`` column of ``schema.csv`` and listed in ``docs/gtap_database.md``:
a parameter is the average of its members weighted by the named flows summed over the dims the
parameter does not have (e.g. ESUBD by all agents' purchases of the commodity, INCPAR by private
consumption, ETRAQ by the make matrix). ``world:`` marks the parameters GTAPAgg keeps generic
across regions (ESUBD, ESUBM, ESUBC, ESUBVA): when the database has one value for every region,
the weights are world totals and the result is again one value for every region. Members whose
weights sum to zero get the plain mean. Trade between members of an aggregated region stays in
the bilateral arrays as the aggregate's trade with itself (GTAPAgg does the same).

Mapping file (CSV, one row per element): ``set,from,to`` with set REG, COMM, ACTS or ENDW; a set
not in the file is kept as it is; lines starting with ``#`` are comments. A commodity aggregate is
a margin commodity when one of its members is.
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Mapping

import numpy as np
import xarray as xr

from cge.errors import DatabaseError
from cge.gtap import schema as sc
from cge.gtap.database import conform_database
from cge.input_files import MAX_TEXT_BYTES, regular_file

log = logging.getLogger(__name__)

__all__ = ["aggregate_database", "read_mapping"]

MAPPED_SETS = (sc.REG, sc.COMM, sc.ACTS, sc.ENDW)
WORLD = "world:"


def read_mapping(path: str | os.PathLike) -> dict[str, dict[str, str]]:
    """Read a mapping CSV (``set,from,to``) into ``{set: {from: to}}``.

    Raises
    ------
    DatabaseError
        Naming the file and line of a row that is not ``set,from,to``, a set other than REG,
        COMM, ACTS, ENDW, or an element mapped twice; a file that is not a regular file (a FIFO
        blocked for ever) or larger than :data:`cge.input_files.MAX_TEXT_BYTES`.
    """
    path = regular_file(path, "mapping file", DatabaseError)
    if path.is_file() and path.stat().st_size > MAX_TEXT_BYTES:
        raise DatabaseError(f"{path}: {path.stat().st_size:,} bytes; a mapping is text of at most {MAX_TEXT_BYTES:,}")
    mapping: dict[str, dict[str, str]] = {}
    with open(path, newline="") as handle:
        rows = [(n, r) for n, r in enumerate(csv.reader(handle), 1) if r and not r[0].lstrip().startswith("#")]
    if not rows or [c.strip().lower() for c in rows[0][1]] != ["set", "from", "to"]:
        raise DatabaseError(f"{path}: the first row must be the header set,from,to")
    for number, row in rows[1:]:
        if len(row) != 3 or not all(c.strip() for c in row):
            raise DatabaseError(f"{path}:{number}: expected set,from,to, got {','.join(row)!r}")
        name, old, new = (c.strip() for c in row)
        if name not in MAPPED_SETS:
            raise DatabaseError(f"{path}:{number}: set {name!r} is not one of {', '.join(MAPPED_SETS)}")
        if old in mapping.setdefault(name, {}):
            raise DatabaseError(f"{path}:{number}: {name} element {old!r} is mapped twice")
        mapping[name][old] = new
    return mapping


def _mapping(ds: xr.Dataset, mapping) -> dict[str, dict[str, str]]:
    """Complete, checked mapping of every set (identity for the sets not given)."""
    if isinstance(mapping, (str, os.PathLike)):
        mapping = read_mapping(mapping)
    unknown_sets = sorted(set(mapping) - set(MAPPED_SETS))
    if unknown_sets:
        raise DatabaseError(f"mapping: sets {unknown_sets} are not among {list(MAPPED_SETS)}")
    full = {}
    for name in MAPPED_SETS:
        labels = [str(v) for v in ds[name].values]
        given = {str(k): str(v) for k, v in mapping.get(name, {}).items()} if name in mapping else None
        if given is None:
            full[name] = {label: label for label in labels}
            continue
        unmapped = [label for label in labels if label not in given]
        unknown = sorted(set(given) - set(labels))
        if unmapped:
            raise DatabaseError(f"mapping: {len(unmapped)} {name} elements are not mapped: {unmapped}")
        if unknown:
            raise DatabaseError(f"mapping: {name} has no elements {unknown} (it has {labels})")
        full[name] = {label: given[label] for label in labels}
    return full


def _matrix(old: list[str], to: Mapping[str, str], dim: str) -> xr.DataArray:
    """0/1 matrix (dim, new) summing the old elements into the new ones (in order of appearance)."""
    new = list(dict.fromkeys(to[o] for o in old))
    matrix = np.zeros((len(old), len(new)))
    matrix[np.arange(len(old)), [new.index(to[o]) for o in old]] = 1.0
    return xr.DataArray(matrix, dims=(dim, "_new"), coords={dim: old, "_new": new})


def _base(dim: str) -> str:
    head, _, tail = dim.rpartition("_")
    return head if tail.isdigit() and head else dim


class _Aggregator:
    def __init__(self, ds: xr.Dataset, maps: dict[str, dict[str, str]]):
        self.ds, self.maps = ds, maps
        margins = [str(m) for m in ds[sc.MARG].values]
        self.maps[sc.MARG] = {m: maps[sc.COMM][m] for m in margins}

    def sum(self, da: xr.DataArray) -> xr.DataArray:
        """Sum ``da`` over the members of every aggregate along each of its set dims."""
        for dim in da.dims:
            base = _base(str(dim))
            if base not in self.maps:
                continue
            old = [str(v) for v in da[dim].values]
            matrix = _matrix(old, self.maps[base], str(dim))
            da = xr.dot(da, matrix, dim=str(dim)).rename({"_new": dim})
        return da

    def weights(self, entry: sc.Entry, param: xr.DataArray, world: bool) -> xr.DataArray:
        flows = []
        for header in entry.aggregate.removeprefix(WORLD).split():
            flow = self.ds[header]
            extra = [d for d in flow.dims if d not in param.dims or (world and _base(str(d)) == sc.REG)]
            flows.append(flow.sum(extra))
        total = sum(flows[1:], start=flows[0])
        return total.broadcast_like(param).transpose(*param.dims)

    def average(self, entry: sc.Entry, param: xr.DataArray) -> xr.DataArray:
        generic = sc.REG in param.dims and bool((param == param.isel({sc.REG: 0})).all())
        world = entry.aggregate.startswith(WORLD) and generic
        weights = self.weights(entry, param, world)
        numerator, denominator = self.sum(weights * param), self.sum(weights)
        mean = self.sum(param) / self.sum(xr.ones_like(param))
        return xr.where(denominator > 0, numerator / denominator.where(denominator > 0), mean)

    def same(self, name: str, param: xr.DataArray) -> xr.DataArray:
        """Members must agree (ENDOWFLAG, RORDELTA): their common value."""
        count = self.sum(xr.ones_like(param, dtype=float))
        mean = self.sum(param.astype(float)) / count
        spread = self.sum(param.astype(float) ** 2) / count - mean**2
        if bool((np.abs(spread) > 1e-12).any()):
            where = spread.where(np.abs(spread) > 1e-12).to_series().dropna().index
            raise DatabaseError(f"aggregation mixes members with different {name} at {list(where)[:5]}")
        return mean.astype(param.dtype)


def _check_endowments(ds: xr.Dataset, to: dict[str, str]) -> None:
    types = {str(e): next(s for s in sc.ENDOWMENT_SUBSETS if bool(ds[s].sel({sc.ENDW: e}))) for e in ds[sc.ENDW].values}
    groups: dict[str, list[str]] = {}
    for old, new in to.items():
        groups.setdefault(new, []).append(old)
    for new, members in groups.items():
        kinds = {types[m] for m in members}
        if len(kinds) > 1:
            raise DatabaseError(f"mapping: endowment {new!r} mixes {members} of different mobility ({sorted(kinds)})")
        capital = [m for m in members if bool(ds[sc.CAPITAL].sel({sc.ENDW: m}))]
        if capital and len(members) > 1:
            raise DatabaseError(f"mapping: capital {capital[0]!r} is aggregated with {members}; keep it alone")


def aggregate_database(ds: xr.Dataset, mapping) -> xr.Dataset:
    """Aggregate a database to new regions, commodities, activities and endowments.

    Parameters
    ----------
    ds : xarray.Dataset
        A database in the schema (:func:`cge.gtap.load_database`).
    mapping : path or mapping
        A mapping CSV (``set,from,to``) or ``{set: {old label: new label}}`` for any of REG,
        COMM, ACTS, ENDW; sets not given are kept.

    Returns
    -------
    xarray.Dataset
        The aggregated database: flows summed [US$ million], parameters flow-weighted (see the
        module notes), subsets carried over, rates (``baserate.har``) and arrays the schema does
        not know dropped (logged). Its identities hold as well as the source's.

    Raises
    ------
    DatabaseError
        One line: unmapped or unknown labels (listing them), endowments of different mobility in
        one aggregate, capital aggregated with another endowment.
    """
    ds = conform_database(ds)
    maps = _mapping(ds, mapping)
    _check_endowments(ds, maps[sc.ENDW])
    agg = _Aggregator(ds, maps)
    out: dict[str, xr.DataArray] = {}
    dropped: list[str] = []
    for key, da in ds.data_vars.items():
        name = str(key)
        entry = sc.schema().get(name)
        if entry is None or entry.aggregate in ("", "drop"):
            dropped.append(name)
        elif entry.aggregate == "sum":
            out[name] = agg.sum(da)
        elif entry.aggregate == "same":
            out[name] = agg.same(name, da)
        else:
            out[name] = agg.average(entry, da)
    if dropped:
        log.warning("aggregation drops %s (rates and arrays the schema does not know)", ", ".join(dropped))
    new = {name: list(dict.fromkeys(maps[name].values())) for name in MAPPED_SETS}
    new[sc.MARG] = list(dict.fromkeys(maps[sc.MARG].values()))
    coords: dict[str, list[str] | np.ndarray | tuple[str, np.ndarray]] = {**new, sc.REG_2: new[sc.REG]}
    if sc.ENDWT in ds.coords:
        coords[sc.ENDWT] = ds[sc.ENDWT].values
    for subset in (*sc.ENDOWMENT_SUBSETS, sc.CAPITAL):
        members = {maps[sc.ENDW][str(e)] for e in ds[sc.ENDW].values[ds[subset].values]}
        coords[subset] = (sc.ENDW, np.array([e in members for e in new[sc.ENDW]]))
    result = xr.Dataset({k: v.drop_vars([c for c in v.coords if c not in v.dims]) for k, v in out.items()})
    result = result.assign_coords(coords)
    result.attrs = {k: v for k, v in ds.attrs.items() if not k.startswith("sha256_")}
    result.attrs["aggregation"] = "; ".join(
        f"{name} {ds.sizes[name]} -> {len(new[name])}" for name in MAPPED_SETS if len(new[name]) != ds.sizes[name]
    )
    return conform_database(result, where="aggregated database")
