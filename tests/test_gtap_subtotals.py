"""Subtotals by shock group (GEMPACK's Harrison-Horridge-Pearson subtotals) on synthetic databases."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from cge.errors import CmfError
from cge.gtap import synthetic_database
from cge.gtap.simulate import solve
from cge.gtap.subtotals import TOTAL


@pytest.fixture(scope="module")
def database() -> xr.Dataset:
    return synthetic_database(regions=3, commodities=4, seed=1)


GROUPS = {"import tariffs": {"tm": 10.0}, "output taxes": {"to": 2.0}, "numeraire": {"pfactwld": 1.0}}


def _largest_gap(result: xr.Dataset) -> tuple[float, str]:
    """Largest |sum of groups - total| relative to max(1, |total|), and where."""
    worst, where = 0.0, ""
    for name, da in result.data_vars.items():
        total = da.sel(subtotal=TOTAL)
        groups = da.drop_sel(subtotal=TOTAL).sum("subtotal")
        gap = float((np.abs(groups - total) / np.maximum(1.0, np.abs(total))).max()) if da.size else 0.0
        if gap > worst:
            worst, where = gap, name
    return worst, where


@pytest.mark.parametrize("options", [{}, {"rordelta": 0}, {"swaps": ['dpsave("r00") = del_tbalry("r00")']}])
def test_groups_sum_to_the_total(database: xr.Dataset, options) -> None:
    result = solve(database, subtotals=GROUPS, **options)
    assert list(result["subtotal"].values) == [TOTAL, *GROUPS]
    gap, where = _largest_gap(result)
    assert gap < 1e-6, where
    plain = solve(database, {k: v for g in GROUPS.values() for k, v in g.items()}, **options)
    for name in ("qgdp", "EV", "qxs", "pfe", "tot", "EV_decomposition", "u"):
        assert np.allclose(result[name].sel(subtotal=TOTAL), plain[name], atol=1e-6, rtol=1e-7), name


def test_a_single_group_is_the_total(database: xr.Dataset) -> None:
    result = solve(database, subtotals={"everything": {"tm": 10.0, "to": 2.0}})
    for name, da in result.data_vars.items():
        assert np.allclose(da.sel(subtotal="everything"), da.sel(subtotal=TOTAL), atol=1e-6, rtol=1e-8), name


def test_small_shocks_split_into_their_separate_effects(database: xr.Dataset) -> None:
    """Near the benchmark the model is linear: a group's contribution is the result of its
    shocks alone (to second order in the shock)."""
    groups = {"tariffs": {"tm": 0.01}, "output taxes": {"to": 0.02}}
    result = solve(database, subtotals=groups)
    for group, shocks in groups.items():
        alone = solve(database, shocks)
        for name in ("qgdp", "EV", "qo", "pds", "qxs"):
            contribution = result[name].sel(subtotal=group)
            scale = float(np.abs(alone[name]).max())
            assert np.allclose(contribution, alone[name], atol=1e-3 * scale), (group, name)


def test_a_group_of_zero_shocks_contributes_nothing(database: xr.Dataset) -> None:
    result = solve(database, subtotals={"tariffs": {"tm": 10.0}, "nothing": {"to": 0.0}})
    for name, da in result.data_vars.items():
        assert float(np.abs(da.sel(subtotal="nothing")).max()) < 1e-8, name


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"shocks": {"tm": 1.0}, "subtotals": {"a": {"to": 1.0}}}, "not both"),
        ({"subtotals": {TOTAL: {"tm": 1.0}}}, "label of the total"),
        ({"subtotals": {" ": {"tm": 1.0}}}, "non-empty"),
    ],
)
def test_bad_subtotal_requests_are_refused(database: xr.Dataset, kwargs, message) -> None:
    with pytest.raises(CmfError, match=message):
        solve(database, **kwargs)
