"""Levels computed from GTAP v7 results, carried through GEMPACK's subtotals by shock group.

A results Dataset may carry a dim ``subtotal`` whose first label is ``total`` and whose other
labels are shock groups; each group's slice of every variable is its contribution to the
change, and the groups sum to the total (Harrison, Horridge and Pearson 2000). Indicators keep
that property:

- a change that is **linear** in the results (a percentage change times a benchmark value, a
  sum of such terms, an ordinary change such as EV) maps every slice with the same linear map;
- a **product** of two changing factors ``a = a0 + da`` and ``b = b0 + db`` (a value = price x
  quantity, tariff revenue = rate x base) has the cross term ``da db``, which is split
  symmetrically: group ``g`` gets ``a0 db_g + b0 da_g + (da_g db + db_g da) / 2`` with ``da``,
  ``db`` the totals. The groups then sum to ``a0 db + b0 da + da db``, the total change, exactly.
  A product of more factors is taken two at a time, from the left.

A level indicator (US$ bn, persons) holds the level in the ``total`` slice and, in each group's
slice, the group's contribution to the change from the benchmark: the groups sum to the total
minus the benchmark. Percentage changes and ordinary changes sum to the total.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import xarray as xr

from cge.dims import SUBTOTAL, TOTAL

Results = TypeVar("Results", xr.DataArray, xr.Dataset)


def total(x: Results) -> Results:
    """The ``total`` slice of ``x``, a DataArray or a whole Dataset (``x`` itself when it has no
    ``subtotal`` dim)."""
    return x.sel({SUBTOTAL: TOTAL}, drop=True) if SUBTOTAL in x.dims else x


def is_total(x: xr.DataArray) -> xr.DataArray | float:
    """1 on the ``total`` slice and 0 on the groups' (1 without a ``subtotal`` dim)."""
    if SUBTOTAL not in x.dims:
        return 1.0
    return (x[SUBTOTAL] == TOTAL).astype(float)


def total_only(x: xr.DataArray, like: xr.DataArray) -> xr.DataArray:
    """``x`` (no ``subtotal`` dim) on the ``total`` slice of ``like``'s subtotals, NaN on the
    groups': for indicators that are not additive over shock groups."""
    if SUBTOTAL not in like.dims:
        return x
    return x.expand_dims({SUBTOTAL: like[SUBTOTAL].values}).where(like[SUBTOTAL] == TOTAL)


@dataclass(frozen=True)
class Level:
    """A level as its benchmark and its change (the change may carry the ``subtotal`` dim).

    Attributes
    ----------
    base : xarray.DataArray
        Benchmark value (no ``subtotal`` dim) [its units].
    change : xarray.DataArray
        Change from the benchmark; with a ``subtotal`` dim, each group's contribution.
    """

    base: xr.DataArray
    change: xr.DataArray

    @classmethod
    def from_pct(cls, base: xr.DataArray, pct: xr.DataArray) -> Level:
        """A benchmark value moved by a percentage change: ``base (1 + pct / 100)``."""
        return cls(base, base * pct / 100.0)

    @classmethod
    def index(cls, pct: xr.DataArray) -> Level:
        """An index equal to 1 at the benchmark, moved by a percentage change."""
        return cls(xr.ones_like(total(pct)), pct / 100.0)

    def __add__(self, other: Level) -> Level:
        return Level(self.base + other.base, self.change + other.change)

    def __sub__(self, other: Level) -> Level:
        return Level(self.base - other.base, self.change - other.change)

    def __mul__(self, other: Level | float) -> Level:
        """Scale by a number, or the product of two levels with the cross term split
        symmetrically over the shock groups (module docstring)."""
        if not isinstance(other, Level):
            return Level(self.base * other, self.change * other)
        cross = (self.change * total(other.change) + other.change * total(self.change)) / 2.0
        return Level(self.base * other.base, self.base * other.change + other.base * self.change + cross)

    __rmul__ = __mul__

    def sum(self, dims) -> Level:
        """Sum over ``dims`` (linear in the change)."""
        return Level(self.base.sum(dims), self.change.sum(dims))

    def rename(self, names: dict) -> Level:
        """Dims renamed."""
        return Level(self.base.rename(names), self.change.rename(names))

    def where(self, mask: xr.DataArray) -> Level:
        """Zero outside ``mask``."""
        return Level(self.base.where(mask, 0.0), self.change.where(mask, 0.0))

    def value(self) -> xr.DataArray:
        """The level in the ``total`` slice; the groups' changes in theirs."""
        return self.change + self.base * is_total(self.change)

    def pct(self) -> xr.DataArray:
        """Percentage change from the benchmark [percent] (0 where the benchmark is 0)."""
        safe = self.base.where(self.base != 0, 1.0)
        return (100.0 * self.change / safe).where(self.base != 0, 0.0)


def weighted_mean(pct: xr.DataArray, weights: xr.DataArray, dims) -> xr.DataArray:
    """Average of a percentage change over ``dims`` with benchmark weights (linear in ``pct``;
    NaN where the weights sum to 0)."""
    w = weights.sum(dims)
    return (pct * weights).sum(dims) / w.where(w != 0, np.nan)
