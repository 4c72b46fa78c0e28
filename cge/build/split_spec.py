"""The sector splits of the build: read ``calibration/splits/`` and apply :func:`cge.build.split.split_sector`.

Files (every share names its source or is marked as an assumption):

- ``splits.csv``: ``parent, child, order, definition`` — which WIOD-aggregate sector is split into
  which sub-sectors (children take the parent's place, in ``order``);
- ``output_shares.csv``: ``parent, region, child, share, source, quality`` — children's shares of
  the parent's output by region; region ``*`` applies to regions without their own rows;
- ``cost_structure.csv`` (optional): ``parent, region, child, va_to_output, labour_to_va, source`` —
  relative cost structure where data say the children differ (only ratios between children
  matter: the parent's totals are kept); regions without rows keep the parent's structure;
- ``trade_shares.csv`` (optional): ``parent, exporter, importer, child, share, source`` —
  children's shares of a bilateral flow (``*`` wildcards); default: the exporter's output shares.

Without ``splits.csv`` nothing is split, so any aggregation builds.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from cge.build.mapping import Aggregation
from cge.build.sources import BuildInputError, read_csv_checked
from cge.build.split import CHILD, split_sector
from cge.dims import ACTIVITY, EXPORTER, FACTOR, FACTOR_TYPE, IMPORTER, LABOUR, REGION

log = logging.getLogger(__name__)

SPLIT_DIR = Path("splits")
ANY = "*"


@dataclass(frozen=True)
class SectorSplit:
    """One parent sector and the data that split it (tables as read, wildcards unresolved)."""

    parent: str
    children: tuple[str, ...]
    output: pd.DataFrame
    cost: pd.DataFrame
    trade: pd.DataFrame

    def _by_region(self, frame: pd.DataFrame, column: str, regions: list[str], fill: float) -> xr.DataArray:
        """(region, child) array from rows of ``frame``; a region without rows takes the ``*`` rows."""
        out = np.full((len(regions), len(self.children)), fill)
        for r, region in enumerate(regions):
            rows = frame[frame["region"] == region]
            if rows.empty:
                rows = frame[frame["region"] == ANY]
            for row in rows.itertuples(index=False):
                out[r, self.children.index(row.child)] = getattr(row, column)
        return xr.DataArray(out, dims=(REGION, CHILD), coords={REGION: regions, CHILD: list(self.children)})

    def output_share(self, regions: list[str]) -> xr.DataArray:
        """Children's output shares by region."""
        share = self._by_region(self.output, "share", regions, np.nan)
        missing = [regions[r] for r in np.nonzero(np.isnan(share.values).any(axis=1))[0]]
        if missing:
            raise BuildInputError(
                f"{SPLIT_DIR / 'output_shares.csv'}: no shares of {self.parent} for region(s) {missing} "
                "(and no '*' rows)"
            )
        return share

    def cost_ratio(self, column: str, regions: list[str]) -> xr.DataArray | None:
        """Relative cost-structure ratios by region (NaN where the parent's structure is kept)."""
        if self.cost.empty:
            return None
        return self._by_region(self.cost, column, regions, np.nan)

    def trade_share(self, regions: list[str], output: xr.DataArray) -> xr.DataArray:
        """Children's shares of bilateral trade: the exporter's output shares unless rows say otherwise."""
        share = output.rename({REGION: EXPORTER}).expand_dims({IMPORTER: regions}).copy()
        share = share.transpose(EXPORTER, IMPORTER, CHILD)
        for row in self.trade.itertuples(index=False):
            exporters = regions if row.exporter == ANY else [row.exporter]
            importers = regions if row.importer == ANY else [row.importer]
            for e in exporters:
                for i in importers:
                    if e in regions and i in regions:
                        share.loc[{EXPORTER: e, IMPORTER: i, CHILD: row.child}] = row.share
        return share


def read_splits(calibration_dir: Path) -> tuple[SectorSplit, ...]:
    """The splits of ``<calibration_dir>/splits`` (empty if there is no ``splits.csv``)."""
    folder = Path(calibration_dir) / SPLIT_DIR
    if not (folder / "splits.csv").is_file():
        return ()
    spec = read_csv_checked(
        folder / "splits.csv", ["parent", "child", "order"], ["order"], dtype_str=["parent", "child"]
    )
    output = read_csv_checked(
        folder / "output_shares.csv", ["parent", "region", "child", "share"], ["share"], ["parent", "region", "child"]
    )
    cost = (
        read_csv_checked(
            folder / "cost_structure.csv",
            ["parent", "region", "child", "va_to_output", "labour_to_va"],
            ["va_to_output", "labour_to_va"],
            ["parent", "region", "child"],
        )
        if (folder / "cost_structure.csv").is_file()
        else pd.DataFrame(columns=["parent", "region", "child", "va_to_output", "labour_to_va"])
    )
    trade = (
        read_csv_checked(
            folder / "trade_shares.csv",
            ["parent", "exporter", "importer", "child", "share"],
            ["share"],
            ["parent", "exporter", "importer", "child"],
        )
        if (folder / "trade_shares.csv").is_file()
        else pd.DataFrame(columns=["parent", "exporter", "importer", "child", "share"])
    )
    splits = []
    for parent, rows in spec.groupby("parent", sort=False):
        children = tuple(rows.sort_values("order", kind="stable")["child"])
        for name, frame in (("output_shares.csv", output), ("cost_structure.csv", cost), ("trade_shares.csv", trade)):
            unknown = sorted(set(frame.loc[frame["parent"] == parent, "child"]) - set(children))
            if unknown:
                raise BuildInputError(f"{folder / name}: children {unknown} of {parent} are not in splits.csv")
        splits.append(
            SectorSplit(
                parent,
                children,
                output[output["parent"] == parent],
                cost[cost["parent"] == parent],
                trade[trade["parent"] == parent],
            )
        )
    return tuple(splits)


def split_aggregation(agg: Aggregation, splits: tuple[SectorSplit, ...]) -> Aggregation:
    """The aggregation with each split parent replaced by its children (flags inherited)."""
    sectors, goods, agrifood, parent_of = [], [], [], dict(agg.parent_of)
    by_parent = {s.parent: s for s in splits}
    unknown = sorted(set(by_parent) - set(agg.sectors))
    if unknown:
        raise BuildInputError(f"{SPLIT_DIR / 'splits.csv'}: parent sector(s) {unknown} are not in the aggregation")
    for sector, g, a in zip(agg.sectors, agg.goods, agg.agrifood):
        for child in by_parent[sector].children if sector in by_parent else (sector,):
            sectors.append(child)
            goods.append(g)
            agrifood.append(a)
            if child != sector:
                parent_of[child] = sector
    description = agg.description
    if splits:
        description += "; split: " + "; ".join(f"{s.parent} -> {' + '.join(s.children)}" for s in splits)
    return dataclasses.replace(
        agg,
        sectors=tuple(sectors),
        goods=tuple(goods),
        agrifood=tuple(agrifood),
        parent_of=parent_of,
        description=description,
    )


def apply_splits(sam: xr.Dataset, splits: tuple[SectorSplit, ...]) -> xr.Dataset:
    """Split every parent of ``splits`` in ``sam`` (see :func:`cge.build.split.split_sector`)."""
    regions = [str(r) for r in sam[REGION].values]
    for split in splits:
        output = split.output_share(regions)
        sam = split_sector(
            sam,
            split.parent,
            output,
            split.trade_share(regions, output),
            split.cost_ratio("va_to_output", regions),
            split.cost_ratio("labour_to_va", regions),
        )
    return sam


def parent_rates(rate: np.ndarray, model: Aggregation, base: Aggregation, splits) -> np.ndarray:
    """Tariff rates on the parent sectors (for the unsplit base-year SAM): children's rates
    weighted by the exporter's output shares; ``rate`` shaped (model sector, exporter, importer)."""
    out = np.zeros((len(base.sectors),) + rate.shape[1:])
    by_parent = {s.parent: s for s in splits}
    regions = list(base.regions)
    for k, sector in enumerate(base.sectors):
        if sector not in by_parent:
            out[k] = rate[model.sectors.index(sector)]
            continue
        split = by_parent[sector]
        share = split.output_share(regions).transpose(REGION, CHILD).values  # (exporter, child)
        for c, child in enumerate(split.children):
            out[k] += share[:, c][:, None] * rate[model.sectors.index(child)]
    return out


def split_employment(persons: xr.DataArray, sam: xr.Dataset, model: Aggregation) -> xr.DataArray:
    """Persons by model activity: a split parent's persons shared by its children's labour payments."""
    if not model.parent_of:
        return persons
    labour = sam["vfm"].where(sam[FACTOR_TYPE] == LABOUR, 0.0).sum(FACTOR)
    parts = []
    for sector in model.sectors:
        parent = model.parent_of.get(sector)
        if parent is None:
            parts.append(persons.sel({ACTIVITY: sector}))
            continue
        children = [c for c, p in model.parent_of.items() if p == parent]
        total = labour.sel({ACTIVITY: children}).sum(ACTIVITY)
        share = xr.where(total > 0, labour.sel({ACTIVITY: sector}) / total.where(total > 0, 1.0), 1.0 / len(children))
        parts.append((persons.sel({ACTIVITY: parent}, drop=True) * share).assign_coords({ACTIVITY: sector}))
    return xr.concat(parts, dim=ACTIVITY).transpose(*persons.dims)
