"""Changes against a reference scenario, and one scenario minus another.

Each indicator's ``reference`` rule in ``cge/indicators.csv`` says how it is re-expressed:

- ``ratio`` (percent changes): ``100 ((1 + x/100) / (1 + x_ref/100) - 1)``, the change of the
  underlying level from the reference instead of the benchmark (exact for real GDP, output,
  utility, terms of trade);
- ``difference`` (EV, employment change): ``x - x_ref`` (EV is money-metric utility at benchmark
  prices, so this is the EV of the scenario against the reference);
- ``level`` and ``none``: unchanged (levels; solver figures).

Model components of ``detail="all"`` results follow the same rules by their units: ``<name>_pct``
is a ratio, the level is a level (:func:`cge.indicators.registry.reference_rule`).

Re-basing is transitive: against ``A`` then ``B`` equals against ``B``. The benchmark itself is
the default reference (the ``baseline`` scenario reproduces it).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from cge.dims import SCENARIO
from cge.indicators.registry import reference_rule


class ReferenceError(KeyError):
    """The reference scenario is not in the results."""

    def __str__(self) -> str:
        return str(self.args[0])


def check_reference(ds: xr.Dataset, reference: str) -> None:
    """Raise :class:`ReferenceError` naming the scenarios when ``reference`` is not one of them."""
    names = [str(s) for s in ds[SCENARIO].values] if SCENARIO in ds.dims else []
    if reference not in names:
        raise ReferenceError(f"reference scenario '{reference}' is not in the results; scenarios: {', '.join(names)}")


def rebase(ds: xr.Dataset, reference: str | None) -> xr.Dataset:
    """Indicators of ``ds`` measured against the scenario ``reference`` (None: unchanged).

    Returns
    -------
    xarray.Dataset
        Same variables; those with a ``ratio`` or ``difference`` rule re-expressed, their
        ``reference_scenario`` attr set; the Dataset's ``reference_scenario`` attr set.

    Raises
    ------
    ReferenceError
        When ``reference`` is not a scenario of ``ds``.
    """
    if reference is None:
        return ds
    check_reference(ds, reference)
    out = ds.copy()
    for name, var in ds.data_vars.items():
        rule = reference_rule(str(name), var.attrs)
        if SCENARIO not in var.dims or rule not in ("ratio", "difference"):
            continue
        ref = var.sel({SCENARIO: reference}, drop=True)
        if rule == "difference":
            new = var - ref
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                base = 1.0 + ref / 100.0
                new = xr.where(base != 0, 100.0 * ((1.0 + var / 100.0) / base - 1.0), np.nan)
        out[name] = new.transpose(*var.dims).assign_attrs(var.attrs, reference_scenario=reference)
    out.attrs["reference_scenario"] = reference
    out.attrs["units_note"] = f"US$ bn; percent changes and EV relative to the '{reference}' scenario"
    return out


def difference(ds: xr.Dataset, a: str, b: str) -> xr.Dataset:
    """Scenario ``b`` against scenario ``a``: percent changes and EV of ``b`` measured from ``a``,
    levels as ``b - a``.

    Returns
    -------
    xarray.Dataset
        Without the scenario dimension; numeric variables only; attrs ``scenario_a``/``scenario_b``.
    """
    for scenario in (a, b):
        check_reference(ds, scenario)
    based = rebase(ds, a)
    out = xr.Dataset(attrs=dict(ds.attrs, scenario_a=a, scenario_b=b))
    for name, var in based.data_vars.items():
        rule = reference_rule(str(name), var.attrs)
        if SCENARIO not in var.dims or not np.issubdtype(var.dtype, np.number) or rule == "none":
            continue
        new = var.sel({SCENARIO: b}, drop=True)
        if rule == "level":
            new = (new - var.sel({SCENARIO: a}, drop=True)).assign_attrs(
                var.attrs, long_name=f"{var.attrs.get('long_name', name)}: {b} minus {a}"
            )
        out[name] = new.assign_attrs(reference_scenario=a)
    return out


def percent_change(new, base):
    """``100 (new / base - 1)`` [percent], NaN where ``base`` is 0 (arrays, Series or scalars):
    the change of a level between two scenarios, as the report tables show it."""
    new, base = np.asarray(new, dtype=float), np.asarray(base, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(base != 0, 100.0 * (new / base - 1.0), np.nan)


def level_change(new, base):
    """``new - base`` in the level's units: the change of a level between two scenarios."""
    return np.asarray(new, dtype=float) - np.asarray(base, dtype=float)
