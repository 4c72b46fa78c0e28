"""The prior of the balancing: national tables at 2024 size, bilateral trade, wedges and endowments.

1. Each region's table (:mod:`cge.build.database.table`) is scaled by one factor to its 2024 GDP
   control (``controls.csv``; the derived rest-of-world GDP for the WIOD 2013 region).
2. Bilateral trade starts from WIOD 2011 (:func:`cge.build.database.trade.bilateral_2011`) grown
   by ``sqrt(g_s g_d)`` (``g`` = 2024 GDP over WIOD 2011 value added), with US goods imports from
   Canada, Mexico and China replaced by the 2024 HS6 data (scaled to the Census totals of
   ``controls.csv``); then rows and columns of the regions with national tables are scaled
   (:data:`RAS_SWEEPS` sweeps, HS6 cells held) towards the tables' exports and imports by commodity.
3. Wedges: product-tax rates (each user's taxes over its purchases at basic prices), output-tax
   rates (production taxes over output net of them), margin rates, tariff rates at c.i.f.; no
   export, factor-use or income taxes.
4. Imports by agent at basic prices = the table's imports × (1 + the average tariff of the
   commodity in the region) (a commodity the table does not import but the bilateral data do
   gets those imports, spread like its domestic use); endowments from :mod:`cge.build.database.factors`; depreciation
   from the table (Canada, China) or PWT's rate × the capital stock implied by PWT's return
   (``calibration/region_parameters.csv``); saving = the regional household's residual.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from cge.build.database.cells import (
    ACTS,
    CAPITAL,
    COMM,
    ENDOWMENTS,
    ENDW,
    FREE_DIMS,
    MARG,
    REG,
    REG_2,
    CellSpace,
)
from cge.build.database.table import FINAL_USERS, GOVERNMENT, INVESTMENT, PRIVATE, USER, NationalTable

log = logging.getLogger(__name__)

RAS_SWEEPS = 20
RAS_FLOOR = 0.05
"""Smallest share of a WIOD-based flow the trade RAS keeps when a table says the trade is smaller."""
AGENT_HEADERS = {
    PRIVATE: ("VDPB", "VMPB", "dpp", "mpp"),
    GOVERNMENT: ("VDGB", "VMGB", "dgp", "mgp"),
    INVESTMENT: ("VDIB", "VMIB", "dip", "mip"),
}
MIN_SAVE_SHARE = 0.005
"""Floor of the prior's net saving as a share of GDP (the balancing sets the final value)."""


@dataclass(frozen=True)
class Prior:
    """Everything the balancing starts from.

    Attributes
    ----------
    space : CellSpace
    x0 : ndarray
        Prior free cells [US$ million].
    tables : dict
        Region → its table scaled to 2024.
    growth : dict
        Region → scale factor from the table's year to 2024.
    vkb : xarray.DataArray (REG)
        Capital stock at the start of 2024 [US$ million].
    fixed_trade : ndarray of bool (COMM, REG, REG_2)
        Flows set from the HS6 data.
    """

    space: CellSpace
    x0: np.ndarray
    tables: dict[str, NationalTable]
    growth: dict[str, float]
    vkb: xr.DataArray
    fixed_trade: np.ndarray


def grow_trade(flows_2011: np.ndarray, growth_2011: np.ndarray) -> np.ndarray:
    """WIOD 2011 flows (c, s, d) times ``sqrt(g_s g_d)``."""
    g = np.sqrt(np.outer(growth_2011, growth_2011))
    return flows_2011 * g[None, :, :]


def ras_trade(
    flows: np.ndarray,
    fixed: np.ndarray,
    row_target: dict[int, np.ndarray],
    col_target: dict[int, np.ndarray],
    sweeps: int = RAS_SWEEPS,
) -> np.ndarray:
    """Scale free cells of exporter rows (c, s, ·) and importer columns (c, ·, d) towards targets.

    ``row_target[s]`` / ``col_target[d]``: totals by commodity; fixed cells keep their values; a
    target below the fixed part (or zero) leaves the free cells at :data:`RAS_FLOOR` of their
    starting value, never lower (the balancing decides; no flow of the data is zeroed)."""
    out = flows.copy()
    floor = RAS_FLOOR * np.where(fixed, 0.0, flows)
    for _ in range(sweeps):
        for s, target in row_target.items():
            out[:, s, :] = _scale_free(out[:, s, :], fixed[:, s, :], floor[:, s, :], target)
        for d, target in col_target.items():
            out[:, :, d] = _scale_free(out[:, :, d], fixed[:, :, d], floor[:, :, d], target)
    return out


def _scale_free(block: np.ndarray, fixed: np.ndarray, floor: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Rows of ``block`` (commodity × partner) with the free cells scaled so that each row sums to
    ``target``, each free cell at least its ``floor``."""
    free = np.where(fixed, 0.0, block)
    held = np.where(fixed, block, 0.0).sum(axis=1)
    total = free.sum(axis=1)
    k = np.divide(np.maximum(target - held, 0.0), total, out=np.ones_like(total), where=total > 0)
    return np.where(fixed, block, np.maximum(free * k[:, None], floor))


def _imports_where_traded(imp: np.ndarray, dom: np.ndarray, traded: np.ndarray) -> np.ndarray:
    """Imports by user (c, u) with a commodity the table does not import but the bilateral trade
    does (WIOD; e.g. construction services) spread over its users like their domestic purchases.

    Without this the balancing drives the commodity's imports to zero, and a CES import composite
    of nothing has no price (GTAP's databases import every commodity a little)."""
    out = imp.copy()
    missing = (imp.sum(axis=1) <= 0) & (traded > 0) & (dom.sum(axis=1) > 0)
    for c in np.nonzero(missing)[0]:
        out[c] = traded[c] * dom[c] / dom[c].sum()
    return out


def build_prior(
    tables: dict[str, NationalTable],
    gdp: dict[str, float],
    regions: list[str],
    sectors: list[str],
    margin_sectors: list[str],
    trade: np.ndarray,
    fixed_trade: np.ndarray,
    margin: np.ndarray,
    tariff_fob: np.ndarray,
    evfb: dict[str, xr.DataArray],
    region_parameters: pd.DataFrame,
) -> Prior:
    """Assemble the prior (see the module docstring).

    Parameters
    ----------
    tables : dict
        Region → table in its source year.
    gdp : dict
        Region → 2024 GDP control [US$ million].
    trade : ndarray (c, s, d)
        Bilateral exports at basic prices after growth and RAS [US$ million].
    margin : ndarray (m, c, s, d)
        Margin rates [fraction of f.o.b.].
    tariff_fob : ndarray (c, s, d)
        Tariff rates [fraction of f.o.b.].
    evfb : dict
        Region → endowment payments (ENDW, ACTS) of its 2024 table [US$ million].
    region_parameters : pandas.DataFrame
        ``depreciation_rate, gross_return`` by region (index; ``default`` row).
    """
    coords = {REG: regions, COMM: sectors, ACTS: sectors, ENDW: list(ENDOWMENTS), MARG: margin_sectors}
    growth = {r: gdp[r] / tables[r].gdp() for r in regions}
    scaled = {r: tables[r].scaled(growth[r]) for r in regions}
    n, nr = len(sectors), len(regions)

    def da(values, dims: tuple[str, ...]) -> xr.DataArray:
        return xr.DataArray(values, dims=dims, coords={d: (regions if d in (REG, REG_2) else coords[d]) for d in dims})

    margin_total = margin.sum(axis=0)
    ms = tariff_fob / (1.0 + margin_total)
    vcif = trade * (1.0 + margin_total)
    duty = ms * vcif
    with np.errstate(invalid="ignore", divide="ignore"):
        avg_tariff = np.where(vcif.sum(axis=1) > 0, duty.sum(axis=1) / vcif.sum(axis=1), 0.0)  # (c, d)
    wedges = {w: np.zeros(s) for w, s in (("dfp", (n, n, nr)), ("mfp", (n, n, nr)), ("out", (n, n, nr)))}
    for w in ("dpp", "mpp", "dgp", "mgp", "dip", "mip"):
        wedges[w] = np.zeros((n, nr))
    free = {
        "MAKB": np.zeros((n, n, nr)),
        "VDFB": np.zeros((n, n, nr)),
        "VMFB": np.zeros((n, n, nr)),
        **{h: np.zeros((n, nr)) for h in ("VDPB", "VMPB", "VDGB", "VMGB", "VDIB", "VMIB")},
        "EVFB": np.zeros((len(ENDOWMENTS), n, nr)),
    }
    vdep, vkb = np.zeros(nr), np.zeros(nr)
    for k, r in enumerate(regions):
        t = scaled[r]
        dom = t.dom.transpose(COMM, USER).values
        imp = t.imp.transpose(COMM, USER).values * (1.0 + avg_tariff[:, k])[:, None]
        imp = _imports_where_traded(imp, dom, (duty + vcif)[:, :, k].sum(axis=1))
        tax = t.tax.transpose(COMM, USER).values
        base = dom + imp
        rate = np.divide(tax, base, out=np.zeros_like(tax), where=base > 0)
        free["MAKB"][:, :, k] = t.make.transpose(COMM, ACTS).values
        free["VDFB"][:, :, k], free["VMFB"][:, :, k] = dom[:, :n], imp[:, :n]
        wedges["dfp"][:, :, k] = wedges["mfp"][:, :, k] = rate[:, :n]
        for j, user in enumerate(FINAL_USERS):
            hd, hm, wd, wm = AGENT_HEADERS[user]
            free[hd][:, k], free[hm][:, k] = dom[:, n + j], imp[:, n + j]
            wedges[wd][:, k] = wedges[wm][:, k] = rate[:, n + j]
        output = t.make.sum(COMM).values
        ptax = t.production_tax.values
        out_rate = np.divide(ptax, output - ptax, out=np.zeros(n), where=(output - ptax) > 0)
        wedges["out"][:, :, k] = out_rate[None, :]
        free["EVFB"][:, :, k] = evfb[r].transpose(ENDW, ACTS).values * growth[r]
        params = region_parameters.loc[r] if r in region_parameters.index else region_parameters.loc["default"]
        capital = float(free["EVFB"][ENDOWMENTS.index(CAPITAL), :, k].sum())
        if t.depreciation is not None:
            vdep[k] = t.depreciation
            vkb[k] = vdep[k] / float(params["depreciation_rate"])
        else:
            vkb[k] = capital / float(params["gross_return"])
            vdep[k] = float(params["depreciation_rate"]) * vkb[k]
    wedge_arrays = {
        **{w: da(wedges[w], (COMM, ACTS, REG)) for w in ("dfp", "mfp", "out")},
        **{w: da(wedges[w], (COMM, REG)) for w in ("dpp", "mpp", "dgp", "mgp", "dip", "mip")},
        "fe": da(np.zeros((len(ENDOWMENTS), n, nr)), (ENDW, ACTS, REG)),
        "inc": da(np.zeros((len(ENDOWMENTS), n, nr)), (ENDW, ACTS, REG)),
        "xs": da(np.zeros((n, nr, nr)), (COMM, REG, REG_2)),
        "margin": da(margin, (MARG, COMM, REG, REG_2)),
        "ms": da(ms, (COMM, REG, REG_2)),
        "VDEP": da(vdep, (REG,)),
    }
    space = CellSpace(coords, wedge_arrays)
    arrays = {h: da(v, FREE_DIMS[h]) for h, v in free.items()}
    arrays["VXSB"] = da(trade, (COMM, REG, REG_2))
    # supply of international margins in proportion to exports of the margin commodities
    vtwr = margin * trade[None, :, :, :]
    vst = np.zeros((len(margin_sectors), nr))
    for m, name in enumerate(margin_sectors):
        exports = trade[sectors.index(name)].sum(axis=1)
        vst[m] = vtwr[m].sum() * exports / exports.sum() if exports.sum() > 0 else vtwr[m].sum() / nr
    arrays["VST"] = da(vst, (MARG, REG))
    arrays["SAVE"] = da(np.zeros(nr), (REG,))
    x0 = space.to_vector(arrays)
    # saving: the regional household's residual (income row), with a floor
    income = {b.name: b for b in space.identities() if b.name.startswith("income[")}
    for k, r in enumerate(regions):
        row = income[f"income[{r}]"]
        residual = row.evaluate(x0) - row.value
        x0[space.offsets["SAVE"] + k] = max(residual, MIN_SAVE_SHARE * gdp[r])
    return Prior(space, x0, scaled, growth, da(vkb, (REG,)), fixed_trade)
