"""Extraction of a solved model into an ``xarray.Dataset`` of indicators.

Quantities in the model are indices (benchmark = 1); here they are multiplied by benchmark
values so that results are in US$ billion (at benchmark or current prices, as each variable's
``units`` attr says), persons or percent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from cge.calibrate import Calibration
from cge.dims import (
    ACTIVITY,
    AGENT,
    AGRIFOOD,
    COMMODITY,
    EXPORTER,
    FACTOR,
    FACTOR_TYPE,
    GOODS,
    HOUSEHOLD,
    IMPORTER,
    INVESTMENT,
    LABOUR,
    REGION,
)
from cge.indicators import indicator_attrs
from cge.model import Model

BN = 1e-3  # US$ million -> US$ billion


def _dense(component, dims: tuple[str, ...], cal: Calibration, fill: float = 0.0) -> xr.DataArray:
    """Values of an indexed Pyomo Var/Expression as a dense DataArray (``fill`` where absent)."""
    coords = {d: [str(x) for x in cal.data[d].values] for d in dims}
    pos = [{label: k for k, label in enumerate(coords[d])} for d in dims]
    arr = np.full(tuple(len(coords[d]) for d in dims), fill, dtype=float)
    for index, data in component.items():
        key = index if isinstance(index, tuple) else (index,)
        arr[tuple(p[k] for p, k in zip(pos, key))] = pyo.value(data)
    return xr.DataArray(arr, dims=dims, coords=coords)


def _attrs(da: xr.DataArray, name: str) -> xr.DataArray:
    """Attach the ``long_name``/``units`` of ``name`` from the indicator table."""
    da.attrs.update(indicator_attrs(name))
    return da


def _pct(new: xr.DataArray, base: xr.DataArray) -> xr.DataArray:
    return xr.where(base != 0, 100.0 * (new / base.where(base != 0, 1.0) - 1.0), 0.0)


@dataclass(frozen=True)
class BilateralFlows:
    """Bilateral trade at the solution, evaluated once per extraction [US$ million].

    ``volume``: shipped quantities at benchmark fob prices (incl. iceberg losses); ``fob_value``:
    the same at current fob prices; ``pfob`` and ``tau``: fob price index and iceberg factor.
    Dims (commodity, exporter, importer).
    """

    volume: xr.DataArray
    fob_value: xr.DataArray
    pfob: xr.DataArray
    tau: xr.DataArray


def bilateral_flows(model: Model, cal: Calibration) -> BilateralFlows:
    """Evaluate the bilateral demand and price expressions once (the costliest part of extraction)."""
    m, dims = model.pyomo, (COMMODITY, EXPORTER, IMPORTER)
    qxs = _dense(m.qxs, dims, cal)
    tau = _dense(m.tau, dims, cal, fill=1.0)
    pfob = _dense(m.pfob, dims, cal, fill=1.0)
    volume = cal.data["cif0"] * tau * qxs
    return BilateralFlows(volume=volume, fob_value=volume * pfob, pfob=pfob, tau=tau)


def gdp_indicators(model: Model, cal: Calibration, flows: BilateralFlows) -> dict[str, xr.DataArray]:
    """Real and nominal GDP by region, expenditure and income side, and EV."""
    m, d = model.pyomo, cal.data
    fd_basket = (d["vdfd"] + d["vifd"]) * _dense(m.qfd, (COMMODITY, AGENT, REGION), cal)
    real_x = flows.volume.sum((COMMODITY, IMPORTER)).rename({EXPORTER: REGION})
    real_m = flows.volume.sum((COMMODITY, EXPORTER)).rename({IMPORTER: REGION})
    real_gdp = fd_basket.sum((COMMODITY, AGENT)) + real_x - real_m
    base_gdp = d["fd0"].sum(AGENT) + d["tb0"]
    qfdt = _dense(m.qfdt, (AGENT, REGION), cal, fill=1.0)
    pfd = _dense(m.pfd, (AGENT, REGION), cal, fill=1.0)
    nominal_fd = (d["fd0"] * pfd * qfdt).sum(AGENT)  # fd0 is 0 where an agent is absent
    gdp_exp = (
        nominal_fd
        + flows.fob_value.sum((COMMODITY, IMPORTER)).rename({EXPORTER: REGION})
        - flows.fob_value.sum((COMMODITY, EXPORTER)).rename({IMPORTER: REGION})
    )
    gdp_inc = d["y0"] * _dense(m.y, (REGION,), cal)
    utility = _dense(m.utility, (REGION,), cal, fill=1.0)
    return {
        "real_gdp": _attrs(real_gdp * BN, "real_gdp"),
        "real_gdp_pct": _attrs(_pct(real_gdp, base_gdp), "real_gdp_pct"),
        "gdp_expenditure": _attrs(gdp_exp * BN, "gdp_expenditure"),
        "gdp_income": _attrs(gdp_inc * BN, "gdp_income"),
        "ev": _attrs(_dense(m.ev, (REGION,), cal) * BN, "ev"),
        "utility_pct": _attrs(100.0 * (utility - 1.0), "utility_pct"),
    }


def macro_indicators(model: Model, cal: Calibration) -> dict[str, xr.DataArray]:
    """Factor prices, consumer prices, real consumption and investment, capital stock and trade
    balance by region (the model's aggregate expressions; NaN where a region lacks the item)."""
    m = model.pyomo
    region = (REGION,)
    wage = _dense(m.wage, region, cal, fill=np.nan)
    cpi = _dense(m.cpi, region, cal, fill=np.nan)
    qfdt = _dense(m.qfdt, (AGENT, REGION), cal, fill=np.nan)
    change = {
        "wage_pct": wage,
        "rental_rate_pct": _dense(m.rental, region, cal, fill=np.nan),
        "cpi_pct": cpi,
        "real_wage_pct": wage / cpi,
        "real_consumption_pct": qfdt.sel({AGENT: HOUSEHOLD}, drop=True),
        "real_investment_pct": qfdt.sel({AGENT: INVESTMENT}, drop=True),
        "capital_stock_pct": _dense(m.capital_stock, region, cal, fill=np.nan),
    }
    out = {name: _attrs(100.0 * (index - 1.0), name) for name, index in change.items()}
    out["trade_balance"] = _attrs(_dense(m.trade_balance, region, cal) * BN, "trade_balance")
    return out


def trade_indicators(model: Model, cal: Calibration, flows: BilateralFlows) -> dict[str, xr.DataArray]:
    """Bilateral exports (value and volume), terms of trade and tariff revenue."""
    m, d = model.pyomo, cal.data
    tm = _dense(m.tm, (COMMODITY, EXPORTER, IMPORTER), cal)
    fob_value, volume, pfob, tau = flows.fob_value, flows.volume, flows.pfob, flows.tau
    w = d["cif0"]
    px = (w * pfob).sum((COMMODITY, IMPORTER)) / w.sum((COMMODITY, IMPORTER))
    pm = (w * pfob * tau).sum((COMMODITY, EXPORTER)) / w.sum((COMMODITY, EXPORTER))
    tot = 100.0 * (px.rename({EXPORTER: REGION}) / pm.rename({IMPORTER: REGION}) - 1.0)
    revenue = (tm * fob_value).sum((COMMODITY, EXPORTER)).rename({IMPORTER: REGION})
    agrifood = fob_value.where(d[AGRIFOOD], 0.0).sum(COMMODITY).transpose(EXPORTER, IMPORTER)
    return {
        "agrifood_exports": _attrs(agrifood * BN, "agrifood_exports"),
        "exports": _attrs(fob_value.transpose(EXPORTER, IMPORTER, COMMODITY) * BN, "exports"),
        "export_volume": _attrs(volume.transpose(EXPORTER, IMPORTER, COMMODITY) * BN, "export_volume"),
        "terms_of_trade_pct": _attrs(tot, "terms_of_trade_pct"),
        "tariff_revenue": _attrs(revenue * BN, "tariff_revenue"),
    }


def sector_indicators(model: Model, cal: Calibration) -> dict[str, xr.DataArray]:
    """Output and price changes by region and commodity; employment when the SAM has it."""
    m, d = model.pyomo, cal.data
    qo = _dense(m.qo, (ACTIVITY, REGION), cal, fill=1.0).rename({ACTIVITY: COMMODITY})
    pd_ = _dense(m.pd, (ACTIVITY, REGION), cal, fill=1.0).rename({ACTIVITY: COMMODITY})
    out = {
        "output_pct": _attrs(100.0 * (qo - 1.0), "output_pct").transpose(REGION, COMMODITY),
        "price_pct": _attrs(100.0 * (pd_ - 1.0), "price_pct").transpose(REGION, COMMODITY),
    }
    if "jobs_per_wage" in d:
        out.update(employment_indicators(model, cal))
    return out


def employment_indicators(model: Model, cal: Calibration) -> dict[str, xr.DataArray]:
    """Persons employed by region and sector.

    A region's total persons move with its labour volume (the labour in use, in benchmark US$ of
    wages): unchanged under full employment, changing under the fixed real wage closure. The total
    is spread over sectors by each sector's labour volume times its benchmark persons per US$ of
    wages (the employment satellite), so reallocation shows by sector without changing the
    total under full employment.
    """
    d = cal.data
    labour = d[FACTOR_TYPE] == LABOUR
    qfe = _dense(model.pyomo.qfe, (FACTOR, ACTIVITY, REGION), cal)
    wage_volume = (d["vfm"] * qfe).where(labour, 0.0).sum(FACTOR)
    wage_bench = d["vfm"].where(labour, 0.0).sum(FACTOR)
    raw = d["jobs_per_wage"] * wage_volume  # persons at benchmark persons per US$ of wages
    volume_index = wage_volume.sum(ACTIVITY) / wage_bench.sum(ACTIVITY).where(wage_bench.sum(ACTIVITY) > 0, 1.0)
    total = d["employment0"].sum(ACTIVITY) * volume_index
    jobs = raw * (total / raw.sum(ACTIVITY).where(raw.sum(ACTIVITY) > 0, 1.0))
    change = jobs - d["employment0"]
    moved = np.minimum(change.clip(min=0).sum(ACTIVITY), (-change).clip(min=0).sum(ACTIVITY))
    jobs = jobs.rename({ACTIVITY: COMMODITY}).transpose(REGION, COMMODITY)
    return {
        "employment": _attrs(jobs, "employment"),
        "employment_total": _attrs(total.transpose(REGION), "employment_total"),
        "employment_reallocation": _attrs(moved.transpose(REGION), "employment_reallocation"),
    }


def extract(model: Model, cal: Calibration) -> xr.Dataset:
    """All indicators of the solved model as one Dataset (no scenario dimension)."""
    flows = bilateral_flows(model, cal)
    parts = {}
    parts.update(gdp_indicators(model, cal, flows))
    parts.update(trade_indicators(model, cal, flows))
    parts.update(macro_indicators(model, cal))
    parts.update(sector_indicators(model, cal))
    ds = xr.Dataset(parts)
    return ds.assign_coords(
        {GOODS: (COMMODITY, cal.data[GOODS].values), AGRIFOOD: (COMMODITY, cal.data[AGRIFOOD].values)}
    )
