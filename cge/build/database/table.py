"""One region's supply and use in model sectors: the common form every national source is read into.

All values are at **basic prices** in US$ million of the table's year (converted from national
currency at that year's exchange rate). Domestic trade and transport margins are purchases of
the margin services by the user of the good (GTAP's convention: no separate margin account);
``margins`` keeps the trade margins by good as a satellite where the source gives them (BEA).

Identities that hold (to the rounding of the source) after reading:

- activity ``a``: Σ_c dom + imp + tax (user ``a``) + factor income + production tax = Σ_c make(c, a);
- commodity ``c``: Σ_a make(c, a) = Σ_u dom(c, u) + exports(c).

The build does not rely on them: the cross-entropy balancing of :mod:`cge.build.database.balance`
restores every GTAP identity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr

COMM = "COMM"
ACTS = "ACTS"
USER = "USER"
PRIVATE = "private"
GOVERNMENT = "government"
INVESTMENT = "investment"
FINAL_USERS = (PRIVATE, GOVERNMENT, INVESTMENT)
"""Final users of the domestic economy (GTAP's private household, government, investment)."""
VALUE_ADDED = "VA"
COMPENSATION = "compensation"
LABOUR = "labour"
SURPLUS = "surplus"
VALUE_ADDED_PARTS = (COMPENSATION, LABOUR, SURPLUS)
"""Value-added rows: compensation of employees; labour income = compensation + labour part of
mixed income; surplus = gross value added at basic prices less labour income less production taxes."""


@dataclass(frozen=True)
class NationalTable:
    """A region's supply-use table in model sectors [US$ million of ``year``, basic prices].

    Attributes
    ----------
    region : str
        Model region.
    year : int
        Year of the source table.
    source : str
        Sources, exchange rate and method (one paragraph).
    make : xarray.DataArray (COMM, ACTS)
        Output of commodity ``c`` by activity ``a``.
    dom, imp : xarray.DataArray (COMM, USER)
        Purchases of domestic (basic prices) and imported (cif, before import duties) goods by
        every activity and final user.
    tax : xarray.DataArray (COMM, USER)
        Net taxes on products paid on the purchase (domestic and imported), import duties excluded.
    exports : xarray.DataArray (COMM)
        Exports at basic prices.
    value_added : xarray.DataArray (VA, ACTS)
        ``compensation``, ``labour`` (compensation + labour part of mixed income), ``surplus``.
    production_tax : xarray.DataArray (ACTS)
        Other taxes less subsidies on production.
    depreciation : float or None
        Consumption of fixed capital, where the source gives it.
    margins : xarray.DataArray (COMM, USER) or None
        Domestic trade margins on the purchases of each good (satellite; transport margins are
        not kept).
    notes : dict
        Figures of the conversion for the README (str → str).
    """

    region: str
    year: int
    source: str
    make: xr.DataArray
    dom: xr.DataArray
    imp: xr.DataArray
    tax: xr.DataArray
    exports: xr.DataArray
    value_added: xr.DataArray
    production_tax: xr.DataArray
    depreciation: float | None = None
    margins: xr.DataArray | None = None
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def sectors(self) -> list[str]:
        return [str(s) for s in self.make[COMM].values]

    def gdp(self) -> float:
        """GDP at market prices: value added at basic prices + net product taxes [US$ million].

        Import duties are not in ``tax``; they are added by the tariff step."""
        return float(
            self.value_added.sel({VALUE_ADDED: [LABOUR, SURPLUS]}).sum() + self.production_tax.sum() + self.tax.sum()
        )

    def value_added_basic(self) -> xr.DataArray:
        """Gross value added at basic prices by activity [US$ million]."""
        return self.value_added.sel({VALUE_ADDED: [LABOUR, SURPLUS]}).sum(VALUE_ADDED) + self.production_tax

    def activity_gap(self) -> xr.DataArray:
        """Costs minus output by activity [US$ million] (≈ 0 up to the source's rounding)."""
        users = self.make[ACTS].values
        costs = (self.dom + self.imp + self.tax).sel({USER: users}).sum(COMM).rename({USER: ACTS})
        return costs + self.value_added_basic() - self.make.sum(COMM)

    def commodity_gap(self) -> xr.DataArray:
        """Supply minus use of domestic commodities [US$ million]."""
        return self.make.sum(ACTS) - self.dom.sum(USER) - self.exports

    def scaled(self, factor: float) -> NationalTable:
        """Every value times ``factor`` (e.g. a currency conversion or a growth factor)."""
        margins = None if self.margins is None else self.margins * factor
        dep = None if self.depreciation is None else self.depreciation * factor
        return NationalTable(
            self.region,
            self.year,
            self.source,
            self.make * factor,
            self.dom * factor,
            self.imp * factor,
            self.tax * factor,
            self.exports * factor,
            self.value_added * factor,
            self.production_tax * factor,
            dep,
            margins,
            dict(self.notes),
        )


def users(sectors: list[str]) -> list[str]:
    """The USER labels: every activity, then the final users."""
    return list(sectors) + list(FINAL_USERS)


def comm_user(values: np.ndarray, sectors: list[str]) -> xr.DataArray:
    """A (COMM, USER) array with the standard labels."""
    return xr.DataArray(values, dims=(COMM, USER), coords={COMM: sectors, USER: users(sectors)})


def by_activity(values: np.ndarray, sectors: list[str]) -> xr.DataArray:
    return xr.DataArray(values, dims=(ACTS,), coords={ACTS: sectors})


def by_commodity(values: np.ndarray, sectors: list[str]) -> xr.DataArray:
    return xr.DataArray(values, dims=(COMM,), coords={COMM: sectors})


def make_matrix(values: np.ndarray, sectors: list[str]) -> xr.DataArray:
    return xr.DataArray(values, dims=(COMM, ACTS), coords={COMM: sectors, ACTS: sectors})


def value_added(compensation: np.ndarray, labour: np.ndarray, surplus: np.ndarray, sectors: list[str]) -> xr.DataArray:
    """The (VA, ACTS) array of a table."""
    return xr.DataArray(
        np.vstack([compensation, labour, surplus]),
        dims=(VALUE_ADDED, ACTS),
        coords={VALUE_ADDED: list(VALUE_ADDED_PARTS), ACTS: sectors},
    )


def net_negative(values: np.ndarray) -> np.ndarray:
    """Negative purchases (sales of used goods, inventory draw-downs) netted against the positive
    purchases of the same commodity (row), in proportion; row totals are kept (≥ 0)."""
    pos = np.maximum(values, 0.0)
    neg = np.minimum(values, 0.0).sum(axis=1)
    total = pos.sum(axis=1)
    factor = np.divide(total + neg, total, out=np.ones_like(total), where=total > 0)
    return pos * np.maximum(factor, 0.0)[:, None]
