"""Assemble the base-year SAM (schema of ``docs/sam_schema.md``) from the aggregated WIOD table.

Accounting (all US$ million; WIOD flows at basic prices, t = tariff rate on the fob value):

- ``vdfm[i,j,r] = Z[r,i,r,j]``; ``vdfd[i,a,r] = F[r,i,r,a]``;
- ``vxmd[i,s,r] = Σ_j Z[s,i,r,j] + Σ_a F[s,i,r,a]`` (s ≠ r); ``vims = vxmd (1 + t)``;
- ``vifm[i,j,r] = Σ_s Z[s,i,r,j] (1 + t[i,s,r])`` and ``vifd`` alike: users pay the tariff;
- the activity residual ``sales − intermediates at basic prices`` (WIOD value added incl. net
  product taxes and margins, plus the table's rounding gap) less the tariffs the activity pays
  on imported inputs is factor income, split by the labour share; a negative remainder becomes
  a net production subsidy (``ptax < 0``) and is reported; otherwise ``ptax = 0`` (WIOD 2013
  does not separate net product taxes from value added);
- ``savings[r]`` = income − household − government spending (the regional household's residual).

Every account then balances by construction; :func:`cge.sam.check_sam` verifies it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from cge.build.mapping import Aggregation
from cge.build.sources import BuildError
from cge.build.wiod import ModelIO
from cge.dims import (
    ACTIVITY,
    AGENT,
    AGENTS,
    AGRIFOOD,
    CAPITAL,
    COMMODITY,
    EXPORTER,
    FACTOR,
    FACTOR_TYPE,
    GOODS,
    GOVERNMENT,
    HOUSEHOLD,
    IMPORTER,
    LABOUR,
    REGION,
)
from cge.sam import SAM_SCHEMA, check_sam

log = logging.getLogger(__name__)

FACTORS = (LABOUR, CAPITAL)
"""Factors of the built SAM; their factor_type equals their name."""


@dataclass
class AssemblyReport:
    """What the assembly changed, in US$ million."""

    negative_inventories: float = 0.0
    row_gap_abs: float = 0.0
    row_gap_max_rel: float = 0.0
    negative_final_zeroed: list[dict] = field(default_factory=list)
    negative_factor_income: list[dict] = field(default_factory=list)
    tariff_revenue: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready dictionary."""
        return {
            "wiod_negative_inventory_cells_musd": self.negative_inventories,
            "wiod_row_sum_minus_output_abs_total_musd": self.row_gap_abs,
            "wiod_row_sum_minus_output_max_relative": self.row_gap_max_rel,
            "negative_final_use_set_to_zero": self.negative_final_zeroed,
            "negative_factor_income_moved_to_ptax": self.negative_factor_income,
            "tariff_revenue_base_year_musd": self.tariff_revenue,
        }


def empty_sam(agg: Aggregation) -> xr.Dataset:
    """A SAM of zeros with the aggregation's coordinates (US$ million; no employment)."""
    coords = {
        REGION: list(agg.regions),
        EXPORTER: list(agg.regions),
        IMPORTER: list(agg.regions),
        COMMODITY: list(agg.sectors),
        ACTIVITY: list(agg.sectors),
        FACTOR: list(FACTORS),
        AGENT: list(AGENTS),
    }
    data = {}
    for var in SAM_SCHEMA.values():
        if not var.required:
            continue
        shape = tuple(len(coords[d]) for d in var.dims)
        data[var.name] = xr.DataArray(
            np.zeros(shape), dims=var.dims, attrs={"long_name": var.long_name, "units": var.units}
        )
    sam = xr.Dataset(data, coords=coords)
    return sam.assign_coords(
        {
            FACTOR_TYPE: (FACTOR, list(FACTORS)),
            GOODS: (COMMODITY, np.array(agg.goods, dtype=bool)),
            AGRIFOOD: (COMMODITY, np.array(agg.agrifood, dtype=bool)),
        }
    )


def assemble_sam(
    io: ModelIO, labour_share: np.ndarray, tariff: np.ndarray, agg: Aggregation
) -> tuple[xr.Dataset, AssemblyReport]:
    """Build the base-year SAM from the aggregated table.

    Parameters
    ----------
    io : ModelIO
        Aggregated WIOD table [US$ million, basic prices].
    labour_share : ndarray, shape (region, sector)
        Labour share of factor income, in [0, 1].
    tariff : ndarray, shape (sector, exporter, importer)
        Ad-valorem tariff rates (fraction of fob).
    agg : Aggregation
        Labels and flags.

    Returns
    -------
    (sam, report)
        The checked SAM and what was changed to make it consistent.

    Raises
    ------
    BuildError
        If a region's savings come out negative (income below household + government spending).
    """
    nreg = len(agg.regions)
    report = AssemblyReport(
        negative_inventories=io.negative_inventories, negative_final_zeroed=list(io.negative_final_zeroed)
    )
    z, f = io.intermediate, io.final
    own = np.eye(nreg, dtype=bool)
    # domestic blocks: [r, i, r, j] -> (i, j, r)
    vdfm = np.einsum("rirj->ijr", z)
    vdfd = np.einsum("rira->iar", f)
    zi = np.where(own[:, None, :, None], 0.0, z)
    fi = np.where(own[:, None, :, None], 0.0, f)
    gross = 1.0 + tariff  # (i, s, r)
    vxmd = np.einsum("sirj->isr", zi) + np.einsum("sira->isr", fi)
    vims = vxmd * gross
    vifm = np.einsum("sirj,isr->ijr", zi, gross)
    vifd = np.einsum("sira,isr->iar", fi, gross)

    sales = io.sales()  # (r, j)
    added = np.zeros_like(sales)  # sales raised by zeroing negative final-use cells
    for cell in io.negative_final_zeroed:
        added[agg.regions.index(cell["exporter"]), agg.sectors.index(cell["commodity"])] -= cell["value_musd"]
    gap = sales - added - io.output_reported
    report.row_gap_abs = float(np.abs(gap).sum())
    report.row_gap_max_rel = float(np.max(np.abs(gap) / np.maximum(io.output_reported, 1.0)))
    basic_inputs = z.sum(axis=(0, 1))  # (r, j)
    tariff_inputs = np.einsum("sirj,isr->rj", zi, tariff)
    factor_income = sales - basic_inputs - tariff_inputs  # (r, j)
    ptax = np.zeros_like(factor_income)
    for r, j in np.argwhere(factor_income < 0):
        report.negative_factor_income.append(
            {"region": agg.regions[r], "activity": agg.sectors[j], "value_musd": float(factor_income[r, j])}
        )
        log.warning(
            "negative factor income %.1f US$ m in %s %s: booked as a production subsidy (ptax)",
            factor_income[r, j],
            agg.regions[r],
            agg.sectors[j],
        )
    ptax = np.minimum(factor_income, 0.0)
    factor_income = np.maximum(factor_income, 0.0)
    vfm = np.stack([factor_income * labour_share, factor_income * (1.0 - labour_share)])  # (f, r, j)

    sam = empty_sam(agg)
    sam["vdfm"].values[...] = vdfm
    sam["vifm"].values[...] = vifm
    sam["vdfd"].values[...] = vdfd
    sam["vifd"].values[...] = vifd
    sam["vfm"].values[...] = vfm.transpose(0, 2, 1)
    sam["ptax"].values[...] = ptax.T
    sam["vxmd"].values[...] = vxmd
    sam["vims"].values[...] = vims
    tariffs_r = (vims - vxmd).sum(axis=(0, 1))
    report.tariff_revenue = {r: float(v) for r, v in zip(agg.regions, tariffs_r)}
    income = factor_income.sum(1) + ptax.sum(1) + tariffs_r
    spend = (sam["vdfd"] + sam["vifd"]).sum(COMMODITY)
    savings = income - spend.sel({AGENT: HOUSEHOLD}).values - spend.sel({AGENT: GOVERNMENT}).values
    negative = [f"{agg.regions[r]} ({savings[r]:.1f})" for r in np.where(savings < 0)[0]]
    if negative:
        raise BuildError(f"negative savings (income < household + government spending) in {negative} US$ m")
    sam["savings"].values[...] = savings
    return check_sam(sam, rtol=1e-9), report
