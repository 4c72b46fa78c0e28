"""Synthetic GTAP databases: exactly balanced, with every feature the model must exercise (taxes and
subsidies on every flow, margins on every trade flow, a non-diagonal make matrix, mobile, sluggish
and sector-specific endowments), reproducible from the seed, any size."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cge.gtap import database_problems, load_database, synthetic_database
from cge.gtap.accounts import TAX_PAIRS, regional_income

TAXED = [pair for pairs in TAX_PAIRS.values() for pair in pairs] + [("EVFB", "EVOS")]
"""(value after tax, value before): factor-use, income, output, export taxes and tariffs too."""


@pytest.fixture(scope="module")
def ds():
    return synthetic_database(4, 6, 5, seed=3)


def test_taxes_and_subsidies_on_every_flow(ds):
    for after, before in TAXED:
        positive = ds[before] > 0
        tax = (ds[after] - ds[before]).where(positive)
        assert bool((tax > 0).any()), f"no tax in {after} - {before}"
        assert bool((tax < 0).any()), f"no subsidy in {after} - {before}"


def test_margins_on_every_trade_flow(ds):
    assert ds.sizes["MARG"] >= 2
    trade = ds["VCIF"] > 0
    margins = ds["VTWR"].sum("MARG")
    assert bool((margins.where(trade) > 0).sum() == trade.sum())
    np.testing.assert_allclose(ds["VST"].sum("REG").values, ds["VTWR"].sum(("COMM", "REG", "REG_2")).values)


def test_make_matrix_is_not_diagonal(ds):
    makes = ds["MAKS"].isel(REG=0) > 0
    assert int(makes.sel(ACTS="a00").sum()) >= 2, "an activity producing two commodities"
    assert int(makes.sel(COMM="c01").sum()) >= 2, "a commodity produced by two activities"


def test_endowments_of_every_type(ds):
    names = lambda mask: [str(e) for e in ds["ENDW"].values[ds[mask].values]]  # noqa: E731
    assert names("ENDM") == ["UnSkLab", "SkLab", "Capital"] and names("ENDS") == ["Land"]
    assert names("ENDF") == ["NatRes"] and names("ENDC") == ["Capital"]
    land = ds["EVFB"].sel(ENDW="Land").isel(REG=0) > 0
    assert 0 < int(land.sum()) < ds.sizes["ACTS"], "land only in some activities"
    assert float(ds["ETRAE"].sel(ENDW="Land").max()) < 0


def test_macro_items_and_parameters(ds):
    for name in ("SAVE", "VDEP", "VKB", "POP"):
        assert bool((ds[name] > 0).all()), name
    assert bool((ds["DPSM"] == 1).all()) and int(ds["RORDELTA"]) == 1
    assert bool((ds["VKB"] > ds["VDEP"]).all())
    share = ds["SAVE"] / regional_income(ds)
    assert bool(((share > 0.02) & (share < 0.4)).all())
    assert bool((ds["ETRAQ"] < 0).all()) and bool((ds["ESUBM"] >= ds["ESUBD"]).all())


@settings(max_examples=12, deadline=None)
@given(
    regions=st.integers(2, 6),
    commodities=st.integers(3, 8),
    activities=st.integers(2, 8),
    margins=st.integers(1, 2),
    seed=st.integers(0, 2**16),
)
def test_every_size_balances_to_machine_precision(regions, commodities, activities, margins, seed):
    ds = synthetic_database(regions, commodities, activities, seed=seed, margins=margins)
    assert database_problems(ds, tol=1e-12) == []
    assert bool((ds["SAVE"] > 0).all())


def test_same_seed_same_database_other_seed_other_database():
    a, b, c = synthetic_database(seed=7), synthetic_database(seed=7), synthetic_database(seed=8)
    assert a.identical(b)
    assert not np.allclose(a["VDFB"].values, c["VDFB"].values)


def test_large_database_builds_and_balances():
    ds = synthetic_database(regions=20, commodities=41)
    assert dict(ds.sizes)["COMM"] == 41 and database_problems(ds, tol=1e-12) == []


def test_written_and_read_back_as_har(tmp_path, ds):
    from cge.gtap import save_database

    save_database(ds, tmp_path / "db")
    (tmp_path / "db" / "database.nc").unlink()
    back = load_database(tmp_path / "db")
    assert database_problems(back) == []  # single precision: within 1e-4


@pytest.mark.parametrize(
    "kwargs", [dict(regions=1), dict(commodities=2), dict(activities=1), dict(commodities=3, margins=3)]
)
def test_impossible_sizes_are_refused(kwargs):
    with pytest.raises(ValueError, match="a synthetic database needs at least 2 regions"):
        synthetic_database(**kwargs)
