"""Results split by shock group (``cge run --subtotals``) as reports show them.

A results file with a ``subtotal`` dim (:mod:`cge.indicators.gtap.subtotals`) holds the whole
result in ``total`` and each shock group's contribution in the group's slice. Reports show the
total unless asked for the split; then every (scenario, group) becomes a row of its own, named
``scenario / group`` and labelled ``label: group``, so that every table and chart shows the
groups the way it shows scenarios. A level indicator's group slice is a contribution to the
change; its row shows the benchmark level plus that contribution (the benchmark level is the
total less the sum of the groups), so that the change a table computes from it is the group's
contribution. Groups a scenario does not have (zero in every variable) are left out.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from cge.dims import SCENARIO, SUBTOTAL, TOTAL

GROUP_SEPARATOR = " / "
"""Between a scenario's name and a shock group's in the rows of a split (``tariff25 / US tariff on Mexico``)."""


def _is_level(name: str) -> bool:
    from cge.indicators.registry import indicator_table

    table = indicator_table()
    return name in table.index and str(table.loc[name, "reference"]) == "level"


def split_by_shock_group(ds: xr.Dataset) -> xr.Dataset:
    """Every (scenario, shock group) as a scenario of its own, after each scenario's total.

    Parameters
    ----------
    ds : xarray.Dataset
        Results with ``scenario`` and ``subtotal`` dims.

    Returns
    -------
    xarray.Dataset
        Without ``subtotal``; scenarios ``name`` (the total) and ``name / group`` for every group
        the scenario has; ``scenario_label`` extended by the group's name.
    """
    groups = [str(g) for g in ds[SUBTOTAL].values if str(g) != TOTAL]
    varying = [n for n, v in ds.data_vars.items() if SUBTOTAL in v.dims and v.dtype.kind == "f"]
    rows, names = [], []
    for scenario in ds[SCENARIO].values:
        one = ds.sel({SCENARIO: scenario})
        rows.append(one.sel({SUBTOTAL: TOTAL}, drop=True))
        names.append(str(scenario))
        for group in groups:
            part = one.sel({SUBTOTAL: group}, drop=True)
            if all(float(np.nanmax(np.abs(part[n].values), initial=0.0)) == 0.0 for n in varying):
                continue
            for name in varying:
                if _is_level(str(name)):
                    benchmark = one[name].sel({SUBTOTAL: TOTAL}, drop=True) - one[name].sel({SUBTOTAL: groups}).sum(
                        SUBTOTAL
                    )
                    part[name] = (benchmark + part[name]).assign_attrs(one[name].attrs)
            for text in ("scenario_label", "scenario_description"):
                if text in part:
                    part[text] = xr.DataArray(f"{part[text].item()}: {group}", attrs=one[text].attrs)
            rows.append(part)
            names.append(f"{scenario}{GROUP_SEPARATOR}{group}")
    out = xr.concat(rows, dim=SCENARIO, coords="minimal", compat="override", join="outer")
    out = out.assign_coords({SCENARIO: names})
    for name, var in ds.data_vars.items():
        if name in out:
            out[name].attrs = dict(var.attrs)
    out.attrs = dict(ds.attrs)
    return out
