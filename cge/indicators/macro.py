"""Macro indicators by region: real and nominal GDP, welfare, terms of trade, tariff revenue.

Pure functions of a :class:`~cge.indicators.values.Solution`; US$ million in the model, US$ bn
in the results.
"""

from __future__ import annotations

import numpy as np

from cge.dims import HOUSEHOLD, INVESTMENT, REGION
from cge.indicators.flows import Flows, pct_change
from cge.indicators.registry import indicator
from cge.indicators.values import Solution

BN = 1e-3
"""US$ million -> US$ billion."""
R = (REGION,)


@indicator("real_gdp", "real_gdp_pct", "gdp_expenditure", "gdp_income")
def gdp(sol: Solution, trade: Flows, **_) -> dict:
    """Real GDP (expenditure side at benchmark prices) and nominal GDP by expenditure and income.

    Real GDP = final demand at benchmark prices + exports - imports at benchmark fob prices;
    its benchmark is final demand + the trade balance [US$ bn].
    """
    b = sol.bench
    basket = ((b["vdfd"] + b["vifd"]) * sol.get("qfd", 0.0)).sum(axis=(0, 1))
    exports, imports = trade.volume.sum(axis=(0, 2)), trade.volume.sum(axis=(0, 1))
    real = basket + exports - imports
    base = b["fd0"].sum(axis=0) + b["tb0"]
    nominal_fd = (b["fd0"] * sol.get("pfd", 1.0) * sol.get("qfdt", 1.0)).sum(axis=0)  # fd0 = 0 for absent agents
    expenditure = nominal_fd + trade.fob_value.sum(axis=(0, 2)) - trade.fob_value.sum(axis=(0, 1))
    return {
        "real_gdp": (R, real * BN),
        "real_gdp_pct": (R, pct_change(real, base)),
        "gdp_expenditure": (R, expenditure * BN),
        "gdp_income": (R, b["y0"] * sol.get("y", 1.0) * BN),
    }


@indicator("ev", "utility_pct")
def welfare(sol: Solution, **_) -> dict:
    """Equivalent variation [US$ bn] and utility change [percent]: the model's ``ev`` and ``utility``."""
    return {"ev": (R, sol.get("ev", 0.0) * BN), "utility_pct": (R, 100.0 * (sol.get("utility", 1.0) - 1.0))}


@indicator("terms_of_trade_pct", "tariff_revenue")
def terms_of_trade(sol: Solution, trade: Flows, **_) -> dict:
    """Terms of trade: the model's export price index ``pxw`` over its import price index ``pmw``
    [percent change]; tariff revenue collected by each importer [US$ bn]."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = sol.arrays["pxw"] / sol.arrays["pmw"]  # NaN for a region without exports or imports
    revenue = (trade.tm * trade.fob_value).sum(axis=(0, 1))
    return {"terms_of_trade_pct": (R, 100.0 * (ratio - 1.0)), "tariff_revenue": (R, revenue * BN)}


@indicator(
    "wage_pct",
    "rental_rate_pct",
    "cpi_pct",
    "real_wage_pct",
    "real_consumption_pct",
    "real_investment_pct",
    "capital_stock_pct",
    "trade_balance",
)
def prices_and_aggregates(sol: Solution, **_) -> dict:
    """Factor prices, consumer prices, real consumption and investment, capital stock [percent
    change] and the trade balance [US$ bn at current prices] by region: the model's aggregate
    expressions (``wage``, ``rental``, ``cpi``, ``capital_stock``, ``trade_balance``) and final
    demand; NaN where a region lacks the item (no households, no investment, no capital)."""
    agents = list(sol.coords["agent"])
    qfdt = sol.arrays["qfdt"]
    index = {
        "wage_pct": sol.arrays["wage"],
        "rental_rate_pct": sol.arrays["rental"],
        "cpi_pct": sol.arrays["cpi"],
        "real_wage_pct": sol.arrays["wage"] / sol.arrays["cpi"],
        "real_consumption_pct": qfdt[agents.index(HOUSEHOLD)],
        "real_investment_pct": qfdt[agents.index(INVESTMENT)],
        "capital_stock_pct": sol.arrays["capital_stock"],
    }
    out = {name: (R, 100.0 * (values - 1.0)) for name, values in index.items()}
    out["trade_balance"] = (R, sol.get("trade_balance", 0.0) * BN)
    return out
