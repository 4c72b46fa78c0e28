"""Aggregation of a SAM to fewer regions, sectors or factors.

Maps send each source label to a target label. Every variable of the schema is summed over
the source labels of each target; the region map applies to ``region``, ``exporter`` and
``importer``, the sector map to ``commodity`` and ``activity``, the factor map to ``factor``.

Trade between two source regions that fall into the same target region becomes domestic
(the schema keeps bilateral diagonals at zero). For commodity ``i`` and target region ``R``
let ``V, X, M`` be the within-``R`` sums of ``vxmd``, ``xtax`` and ``vims`` and
``T = M - V - X`` the tariff revenue on them. Then

* ``vxmd``, ``xtax``, ``vims`` on the diagonal are set to zero;
* import use of ``i`` in ``R`` falls by ``M`` and domestic use rises by ``M``, in proportion to
  each user's use of imported ``i`` (``share = M / (sum_j vifm[i,j,R] + sum_a vifd[i,a,R])``):
  ``vifm -= share * vifm``, ``vdfm += share * vifm`` (and the same for ``vifd``/``vdfd``), so
  every user pays what it paid before;
* the tariff and export tax on these flows, ``T + X``, become net production tax of the
  selling activity: ``ptax[i, R] += T + X``.

The activity's sales change by ``M - V = T + X`` and its costs by ``ptax``'s ``T + X``; the
regional household loses ``T`` tariff revenue and ``X`` export tax and gains ``T + X`` production
tax; every user's spending is unchanged. So a balanced SAM stays balanced, and regional income,
factor income, final demand and savings of every target region are sums of their sources.
Units: US$ million throughout (employment: persons).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pandas as pd
import xarray as xr

from cge.dims import (
    ACTIVITY,
    AGENT,
    AGRIFOOD,
    COMMODITY,
    EXPORTER,
    FACTOR,
    FACTOR_TYPE,
    GOODS,
    IMPORTER,
    REGION,
)
from cge.input_files import regular_file
from cge.sam import SAM_VARIABLES, conform_sam, import_use, output_market, sam_hash

log = logging.getLogger(__name__)

MapLike: TypeAlias = Mapping[str, str] | pd.DataFrame | str | Path | None
DIMS_OF_MAP = {REGION: (REGION, EXPORTER, IMPORTER), COMMODITY: (COMMODITY, ACTIVITY), FACTOR: (FACTOR,)}
METADATA = {FACTOR: (FACTOR_TYPE,), COMMODITY: (GOODS, AGRIFOOD)}


def read_map(mapping: MapLike, labels: list[str], what: str) -> dict[str, str]:
    """Normalise a map to ``{source: target}`` and check it covers exactly ``labels``.

    Parameters
    ----------
    mapping : mapping, pandas.DataFrame, path or None
        ``{source: target}``, a DataFrame or CSV file whose first two columns are source and
        target, or None for the identity.
    labels : list of str
        The source labels present in the SAM.
    what : str
        Name of the dimension, for messages.

    Returns
    -------
    dict
        Source label -> target label.

    Raises
    ------
    ValueError
        If labels are missing from the map, the map names labels that do not exist, or a
        source label is mapped to two targets.
    """
    if mapping is None:
        return {label: label for label in labels}
    if isinstance(mapping, (str, Path)):
        source = pd.read_csv(regular_file(mapping, f"{what} map (CSV)"), dtype=str)
    else:
        source = mapping
    if isinstance(source, pd.DataFrame):
        if source.shape[1] < 2:
            raise ValueError(f"{what} map needs two columns (source, target), got {list(source.columns)}")
        pairs = source.iloc[:, :2].astype(str).drop_duplicates()
        twice = sorted(pairs.iloc[:, 0][pairs.iloc[:, 0].duplicated()].unique())
        if twice:
            raise ValueError(f"{what} map sends {twice} to more than one target")
        source = dict(zip(pairs.iloc[:, 0], pairs.iloc[:, 1], strict=True))
    out = {str(k): str(v) for k, v in source.items()}
    missing = [label for label in labels if label not in out]
    unknown = sorted(set(out) - set(labels))
    problems = []
    if missing:
        problems.append(f"{what} labels missing from the map: {missing}")
    if unknown:
        problems.append(f"{what} map names labels that are not in the SAM: {unknown}")
    if problems:
        raise ValueError("; ".join(problems))
    return out


def _targets(labels: list[str], mapping: dict[str, str]) -> list[str]:
    """Target labels in order of first appearance along the source labels."""
    return list(dict.fromkeys(mapping[label] for label in labels))


def _aggregation_matrix(dim: str, labels: list[str], mapping: dict[str, str]) -> xr.DataArray:
    """0/1 matrix (``_target``, dim) that sums sources into targets."""
    targets = _targets(labels, mapping)
    mat = np.zeros((len(targets), len(labels)))
    mat[[targets.index(mapping[s]) for s in labels], np.arange(len(labels))] = 1.0
    return xr.DataArray(mat, dims=("_target", dim), coords={"_target": targets, dim: labels})


def _sum_dim(da: xr.DataArray, dim: str, matrix: xr.DataArray) -> xr.DataArray:
    """Sum ``da`` over the sources of each target along ``dim``."""
    return xr.dot(matrix, da, dim=dim).rename({"_target": dim})


def _metadata(sam: xr.Dataset, dim: str, mapping: dict[str, str]) -> dict[str, tuple[str, list]]:
    """Metadata coordinates of the targets; raise if sources of one target disagree."""
    coords = {}
    labels = list(map(str, sam[dim].values))
    for name in METADATA.get(dim, ()):
        if name not in sam.coords:
            continue
        values = dict(zip(labels, sam[name].values.tolist(), strict=True))
        per_target: dict[str, set] = {}
        for label in labels:
            per_target.setdefault(mapping[label], set()).add(values[label])
        clash = {t: sorted(map(str, v)) for t, v in per_target.items() if len(v) > 1}
        if clash:
            raise ValueError(f"{dim} map merges labels with different {name}: {clash}")
        coords[name] = (dim, [next(iter(per_target[t])) for t in _targets(labels, mapping)])
    return coords


def _move_internal_trade(sam: xr.Dataset) -> xr.Dataset:
    """Turn diagonal bilateral flows into domestic use and production tax (module docstring)."""
    n_r = sam.sizes[REGION]
    eye = xr.DataArray(
        np.eye(n_r, dtype=bool),
        dims=(EXPORTER, IMPORTER),
        coords={EXPORTER: sam[EXPORTER].values, IMPORTER: sam[IMPORTER].values},
    )

    def diagonal(name: str) -> xr.DataArray:
        return sam[name].where(eye, 0.0).sum(EXPORTER).rename({IMPORTER: REGION})

    internal, vxmd, xtax = diagonal("vims"), diagonal("vxmd"), diagonal("xtax")
    if not bool((internal != 0).any() | (vxmd != 0).any() | (xtax != 0).any()):
        return sam
    use = import_use(sam)
    short = (internal > use * (1 + 1e-9) + 1e-12) | ((use <= 0) & (internal > 0))
    if bool(short.any()):
        where = short.where(short, drop=True).to_series().index.tolist()
        raise ValueError(f"trade inside aggregated regions exceeds import use at (commodity, region) {where}")
    share = xr.where(use > 0, internal / use, 0.0).clip(0.0, 1.0)
    share = xr.where(share > 1.0 - 1e-12, 1.0, share)  # all imports come from inside: none left
    out = sam.copy()
    for imported, domestic in (("vifm", "vdfm"), ("vifd", "vdfd")):
        moved = (sam[imported] * share).transpose(*sam[imported].dims)
        kept = sam[imported] * (1.0 - share)
        out[imported] = kept.transpose(*sam[imported].dims).assign_attrs(sam[imported].attrs)
        added = sam[domestic] + moved
        out[domestic] = added.transpose(*sam[domestic].dims).assign_attrs(sam[domestic].attrs)
    taxes = (internal - vxmd).rename({COMMODITY: ACTIVITY})
    out["ptax"] = (sam["ptax"] + taxes).transpose(*sam["ptax"].dims).assign_attrs(sam["ptax"].attrs)
    for name in ("vxmd", "xtax", "vims"):
        out[name] = sam[name].where(~eye, 0.0).transpose(*sam[name].dims).assign_attrs(sam[name].attrs)
    log.info(
        "aggregation moved %.6g US$ million of trade inside target regions into domestic use", float(internal.sum())
    )
    return out


def _describe(maps: dict[str, dict[str, str]], given: dict[str, bool]) -> str:
    """Text for the ``aggregation`` attribute: target -> sources for each map given."""
    parts = {}
    for dim, mapping in maps.items():
        if given[dim]:
            grouped: dict[str, list[str]] = {}
            for source, target in mapping.items():
                grouped.setdefault(target, []).append(source)
            parts[dim] = grouped
    return "aggregate_sam " + json.dumps(parts)


def aggregate_sam(
    sam: xr.Dataset, region_map: MapLike = None, sector_map: MapLike = None, factor_map: MapLike = None
) -> xr.Dataset:
    """Aggregate a SAM's regions, sectors and factors.

    Parameters
    ----------
    sam : xarray.Dataset
        SAM in the schema [US$ million].
    region_map, sector_map, factor_map : mapping, pandas.DataFrame, path or None
        Source label -> target label (a mapping, or a DataFrame / CSV file with two columns,
        source then target); None keeps the labels. Every source label must be mapped and every
        mapped label must exist.

    Returns
    -------
    xarray.Dataset
        The aggregated SAM [US$ million]; trade inside a target region becomes domestic use
        (see the module docstring); ``factor_type``, ``goods`` and ``agrifood`` carried over;
        attrs ``aggregation`` extended and ``sam_hash`` refreshed.

    Raises
    ------
    ValueError
        For labels missing from a map or unknown to the SAM, for a target factor whose sources
        have different ``factor_type``, or a target sector whose sources differ in ``goods`` or
        ``agrifood``.
    """
    sam = conform_sam(sam)
    raw = {REGION: region_map, COMMODITY: sector_map, FACTOR: factor_map}
    given = {dim: m is not None for dim, m in raw.items()}
    maps = {dim: read_map(m, list(map(str, sam[dim].values)), dim) for dim, m in raw.items()}
    meta = {}
    for dim, mapping in maps.items():
        meta.update(_metadata(sam, dim, mapping))
    data_vars = {}
    for var in SAM_VARIABLES:
        if var.name not in sam:
            continue
        da = sam[var.name].reset_coords(drop=True)
        for key, dims in DIMS_OF_MAP.items():
            for dim in dims:
                if dim in da.dims:
                    labels = list(map(str, sam[dim].values))
                    da = _sum_dim(da, dim, _aggregation_matrix(dim, labels, maps[key]))
        data_vars[var.name] = da.transpose(*sam[var.name].dims).assign_attrs(sam[var.name].attrs)
    out = xr.Dataset(data_vars, attrs=dict(sam.attrs)).assign_coords(meta)
    out = _move_internal_trade(out)
    previous = str(sam.attrs.get("aggregation", "") or "")
    entry = _describe(maps, given)
    out.attrs["aggregation"] = f"{previous}\n{entry}" if previous and previous != "none" else entry
    out.attrs["sam_hash"] = sam_hash(out)
    log.info(
        "aggregated SAM to %d regions, %d sectors, %d factors",
        out.sizes[REGION],
        out.sizes[COMMODITY],
        out.sizes[FACTOR],
    )
    return out


# --------------------------------------------------------------------------- elasticities
ELASTICITY_WEIGHTS = {
    "sigma_d": "absorption (domestic and imported purchases of the commodity)",
    "sigma_m": "imports (of the commodity, all routes)",
    "sigma_va": "value added (factor payments of the activity)",
    "sigma_t": "output (sales of the activity)",
    "sigma_nd": "intermediate inputs (purchases of the activity)",
}
"""The flow each elasticity of an aggregated sector is weighted by (all regions together)."""


def _by_commodity(da: xr.DataArray) -> xr.DataArray:
    """An activity array labelled by commodity (one commodity per activity, same labels)."""
    return da.rename({ACTIVITY: COMMODITY})


def elasticity_weights(sam: xr.Dataset) -> pd.DataFrame:
    """The flows that weight each elasticity when sectors are aggregated [US$ million].

    Returns
    -------
    pandas.DataFrame
        Index: sector (commodity = activity label); one column per key of
        :data:`ELASTICITY_WEIGHTS`, summed over regions.
    """
    sam = conform_sam(sam)
    flows = {
        "sigma_d": ((sam["vdfm"] + sam["vifm"]).sum(ACTIVITY) + (sam["vdfd"] + sam["vifd"]).sum(AGENT)).sum(REGION),
        "sigma_m": sam["vims"].sum((EXPORTER, IMPORTER)),
        "sigma_va": _by_commodity(sam["vfm"].sum((FACTOR, REGION))),
        "sigma_t": _by_commodity(output_market(sam).sum(REGION)),
        "sigma_nd": _by_commodity((sam["vdfm"] + sam["vifm"]).sum((COMMODITY, REGION))),
    }
    index = pd.Index([str(c) for c in sam[COMMODITY].values], name="sector")
    return pd.DataFrame({k: v.reset_coords(drop=True).to_series().to_numpy() for k, v in flows.items()}, index=index)


def aggregate_elasticities(
    elasticities: pd.DataFrame | str | Path | None, sam: xr.Dataset, sector_map: MapLike
) -> pd.DataFrame:
    """Elasticities of aggregated sectors: each a flow-weighted mean of its sources' (as GTAPAgg).

    The weight of a source sector is the flow its elasticity governs in ``sam`` (the SAM *before*
    aggregation, all regions): absorption for ``sigma_d``, imports for ``sigma_m``, value added
    for ``sigma_va``, output for ``sigma_t``, intermediate inputs for ``sigma_nd``
    (:data:`ELASTICITY_WEIGHTS`). A target whose sources all have zero weight gets their simple
    mean. Use it with :func:`aggregate_sam` and the same ``sector_map``::

        small = cge.aggregate_sam(sam, sector_map=m)
        el = cge.aggregate_elasticities(None, sam, m)
        cge.run(scenarios, sam=small, elasticities=el)

    Parameters
    ----------
    elasticities : DataFrame, path or None
        Elasticities of the SAM's sectors (index or ``sector`` column; the columns of
        :data:`cge.calibrate.SECTOR_ELASTICITIES`) [unitless]; None = the shipped table.
    sam : xarray.Dataset
        The SAM the sectors come from [US$ million].
    sector_map : mapping, pandas.DataFrame or path
        Source sector -> target sector, as for :func:`aggregate_sam`.

    Returns
    -------
    pandas.DataFrame
        Index ``sector`` (target labels in order of first appearance), the five elasticity
        columns [unitless].

    Raises
    ------
    CalibrationError
        When the table lacks a column or a sector of the SAM, or holds a negative or non-finite value.
    ValueError
        For a map that does not cover the SAM's sectors exactly.
    """
    from cge.calibrate import SECTOR_ELASTICITIES, check_elasticities, load_elasticities

    if elasticities is None or isinstance(elasticities, (str, Path)):
        table = load_elasticities(elasticities).copy()
    else:
        table = elasticities.copy()
    table.index = pd.Index([str(s) for s in table.index], name="sector")
    sam = conform_sam(sam)
    check_elasticities(sam, table)
    labels = [str(c) for c in sam[COMMODITY].values]
    mapping = read_map(sector_map, labels, COMMODITY)
    weights = elasticity_weights(sam)
    rows = {}
    for target in _targets(labels, mapping):
        sources = [s for s in labels if mapping[s] == target]
        row = {}
        for name in SECTOR_ELASTICITIES:
            values, w = table.loc[sources, name].astype(float), weights.loc[sources, name]
            if w.sum() > 0:
                row[name] = float(np.average(values, weights=w))
            else:
                row[name] = float(values.mean())
                if values.nunique() > 1:
                    log.info("%s of %s: simple mean (its sources have no %s)", name, target, ELASTICITY_WEIGHTS[name])
        rows[target] = row
    out = pd.DataFrame.from_dict(rows, orient="index")[list(SECTOR_ELASTICITIES)]
    out.index.name = "sector"
    return out
