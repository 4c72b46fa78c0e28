"""Aggregation of SAMs: balances, world totals, internal trade, metadata and map errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sam_factory import random_balanced_sam

from cge.aggregate import aggregate_sam
from cge.dims import ACTIVITY, AGENT, COMMODITY, EXPORTER, FACTOR, IMPORTER, REGION
from cge.sam import check_sam, final_demand, regional_income, sam_hash, tariff_revenue

REGIONS_4_TO_2 = {"r1": "north", "r2": "south", "r3": "north", "r4": "south"}
SECTORS_5_TO_3 = {"c1": "agrifood", "c2": "merchandise", "c3": "merchandise", "c4": "service", "c5": "service"}
"""Target labels avoid the reserved 'goods' and 'services' (a scenario selector and a report group)."""


@pytest.fixture(scope="module")
def sam4():
    return random_balanced_sam(4, 5, 3, seed=7, zero_share=0.2)


def test_four_regions_to_two_balances_and_keeps_world_totals(sam4):
    agg = aggregate_sam(sam4, REGIONS_4_TO_2, SECTORS_5_TO_3)
    check_sam(agg)
    assert list(agg[REGION].values) == ["north", "south"]
    assert list(agg[COMMODITY].values) == ["agrifood", "merchandise", "service"]
    np.testing.assert_allclose(float(agg["vfm"].sum()), float(sam4["vfm"].sum()), rtol=1e-12)
    np.testing.assert_allclose(final_demand(agg).sum(REGION).values, final_demand(sam4).sum(REGION).values, rtol=1e-12)
    income = float(regional_income(sam4).sum())
    np.testing.assert_allclose(float(regional_income(agg).sum()), income, rtol=1e-12)
    np.testing.assert_allclose(float(agg["employment"].sum()), float(sam4["employment"].sum()), rtol=1e-12)


def test_each_target_region_is_the_sum_of_its_sources(sam4):
    agg = aggregate_sam(sam4, REGIONS_4_TO_2)
    by_target = pd.Series(REGIONS_4_TO_2)
    for target in ("north", "south"):
        sources = list(by_target[by_target == target].index)
        for name in ("savings",):
            np.testing.assert_allclose(
                float(agg[name].sel({REGION: target})), float(sam4[name].sel({REGION: sources}).sum()), rtol=1e-12
            )
        np.testing.assert_allclose(
            float(regional_income(agg).sel({REGION: target})),
            float(regional_income(sam4).sel({REGION: sources}).sum()),
            rtol=1e-12,
        )
        np.testing.assert_allclose(
            agg["vfm"].sel({REGION: target}).values, sam4["vfm"].sel({REGION: sources}).sum(REGION).values, rtol=1e-12
        )


def test_internal_trade_becomes_domestic_use_and_production_tax(sam4):
    agg = aggregate_sam(sam4, REGIONS_4_TO_2)
    for name in ("vxmd", "xtax", "vims"):
        diag = np.diagonal(agg[name].transpose(COMMODITY, EXPORTER, IMPORTER).values, axis1=1, axis2=2)
        assert np.all(diag == 0)
    by_target = pd.Series(REGIONS_4_TO_2)
    for target in ("north", "south"):
        src = list(by_target[by_target == target].index)
        inside = {EXPORTER: src, IMPORTER: src}
        # every user pays what its sources paid: domestic + imported use is a plain sum
        for dom, imp in (("vdfm", "vifm"), ("vdfd", "vifd")):
            sources = (sam4[dom] + sam4[imp]).sel({REGION: src}).sum(REGION)
            np.testing.assert_allclose((agg[dom] + agg[imp]).sel({REGION: target}).values, sources.values, rtol=1e-12)
        # imports fall by the internal flows at importer prices
        moved = sam4["vims"].sel(inside).sum((EXPORTER, IMPORTER))
        before = (sam4["vifm"].sum(ACTIVITY) + sam4["vifd"].sum(AGENT)).sel({REGION: src}).sum(REGION)
        after = (agg["vifm"].sum(ACTIVITY) + agg["vifd"].sum(AGENT)).sel({REGION: target})
        np.testing.assert_allclose(after.values, (before - moved).values, rtol=1e-10, atol=1e-10)
        # the tariff and export tax on them are the seller's production tax now
        taxes = (tariff_revenue(sam4) + sam4["xtax"]).sel(inside).sum((EXPORTER, IMPORTER))
        expected = sam4["ptax"].sel({REGION: src}).sum(REGION) + taxes.rename({COMMODITY: ACTIVITY}).values
        np.testing.assert_allclose(agg["ptax"].sel({REGION: target}).values, expected.values, rtol=1e-12)


def test_all_regions_into_one_closes_the_economy(sam4):
    agg = aggregate_sam(sam4, {r: "globe" for r in REGIONS_4_TO_2})  # "world" is the name of a report group
    check_sam(agg)
    for name in ("vxmd", "xtax", "vims", "vifm", "vifd"):
        assert float(np.abs(agg[name]).max()) == 0.0
    investment = float(final_demand(agg).sel({AGENT: "investment"}).sum())
    np.testing.assert_allclose(float(agg["savings"].sum()), investment, rtol=1e-12)


def test_identity_maps_leave_values_unchanged(sam4):
    agg = aggregate_sam(sam4)
    for name in sam4.data_vars:
        assert np.array_equal(agg[name].transpose(*sam4[name].dims).values, sam4[name].values)


def test_factor_aggregation_and_metadata(sam4):
    agg = aggregate_sam(sam4, factor_map={"labour": "L", "capital": "K", "land": "K2"})
    check_sam(agg)
    assert list(agg["factor_type"].values) == ["labour", "capital", "land"]
    agg = aggregate_sam(sam4, sector_map=SECTORS_5_TO_3)
    assert list(agg["goods"].values) == [True, True, False]
    assert list(agg["agrifood"].values) == [True, False, False]


def test_mixed_factor_types_raise(sam4):
    with pytest.raises(ValueError, match="factor_type"):
        aggregate_sam(sam4, factor_map={"labour": "labour", "capital": "capital", "land": "capital"})


def test_mixed_goods_raise(sam4):
    with pytest.raises(ValueError, match="goods"):
        aggregate_sam(sam4, sector_map={"c1": "a", "c2": "a", "c3": "b", "c4": "b", "c5": "b"})


def test_missing_and_unknown_labels_raise(sam4):
    with pytest.raises(ValueError, match="missing from the map: \\['r4'\\]"):
        aggregate_sam(sam4, {"r1": "a", "r2": "a", "r3": "b"})
    with pytest.raises(ValueError, match="not in the SAM: \\['r9'\\]"):
        aggregate_sam(sam4, {**REGIONS_4_TO_2, "r9": "a"})
    with pytest.raises(ValueError, match="more than one target"):
        frame = pd.DataFrame({"src": ["r1", "r1", "r2", "r3", "r4"], "dst": ["a", "b", "a", "a", "a"]})
        aggregate_sam(sam4, frame)


def test_maps_from_dataframe_and_csv(sam4, tmp_path):
    frame = pd.DataFrame({"source": list(REGIONS_4_TO_2), "target": list(REGIONS_4_TO_2.values())})
    path = tmp_path / "regions.csv"
    frame.to_csv(path, index=False)
    from_dict = aggregate_sam(sam4, REGIONS_4_TO_2)
    for agg in (aggregate_sam(sam4, frame), aggregate_sam(sam4, str(path)), aggregate_sam(sam4, path)):
        assert agg.attrs["sam_hash"] == from_dict.attrs["sam_hash"]


def test_attrs_record_the_aggregation(sam4):
    once = aggregate_sam(sam4, sector_map=SECTORS_5_TO_3)
    twice = aggregate_sam(once, REGIONS_4_TO_2)
    lines = twice.attrs["aggregation"].splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0].removeprefix("aggregate_sam ")) == {
        COMMODITY: {"agrifood": ["c1"], "merchandise": ["c2", "c3"], "service": ["c4", "c5"]}
    }
    assert json.loads(lines[1].removeprefix("aggregate_sam "))[REGION]["north"] == ["r1", "r3"]
    assert twice.attrs["sam_hash"] == sam_hash(twice)
    assert FACTOR in twice.dims
