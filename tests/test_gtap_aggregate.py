"""Aggregation as GTAPAgg does it: flows summed, parameters flow-weighted (checked by hand on
members), identities kept, mapping errors in one line; with CGE_GTAP_FIXTURES a real database."""

from __future__ import annotations

import numpy as np
import pytest
from gtap_fixtures import ROOT, needs_fixtures

from cge.gtap import DatabaseError, aggregate_database, database_problems, load_database, synthetic_database
from cge.gtap.aggregate import read_mapping

MAPPING = {
    "REG": {"r00": "A", "r01": "A", "r02": "B", "r03": "C"},
    "COMM": {"c00": "x", "c01": "x", "c02": "y", "c03": "y", "c04": "m1", "c05": "m2"},
    "ACTS": {"a00": "p", "a01": "p", "a02": "q", "a03": "q", "a04": "s"},
    "ENDW": {"UnSkLab": "Lab", "SkLab": "Lab", "Capital": "Capital", "Land": "Land", "NatRes": "NatRes"},
}


@pytest.fixture(scope="module")
def ds():
    return synthetic_database(4, 6, 5, seed=3)


@pytest.fixture(scope="module")
def agg(ds):
    return aggregate_database(ds, MAPPING)


def test_sizes_labels_and_identities(ds, agg):
    assert dict(agg.sizes) == {"REG": 3, "REG_2": 3, "COMM": 4, "ACTS": 3, "ENDW": 4, "MARG": 2, "ENDWT": 3}
    assert list(agg["REG"].values) == ["A", "B", "C"] and list(agg["MARG"].values) == ["m1", "m2"]
    assert database_problems(agg, tol=1e-12) == []
    for name in ("VDFB", "VTWR", "EVOS", "SAVE", "VKB", "POP"):
        assert float(agg[name].sum()) == pytest.approx(float(ds[name].sum()), rel=1e-12), name


def test_flows_are_sums_of_members(ds, agg):
    members = ds["VXSB"].sel(COMM=["c00", "c01"], REG=["r00", "r01"], REG_2="r02").sum()
    assert float(agg["VXSB"].sel(COMM="x", REG="A", REG_2="B")) == pytest.approx(float(members), rel=1e-12)
    inside = ds["VXSB"].sel(REG=["r00", "r01"], REG_2=["r00", "r01"]).sum("REG_2").sum("REG")
    assert float(agg["VXSB"].sel(REG="A", REG_2="A").sum()) == pytest.approx(float(inside.sum()), rel=1e-12)


def test_parameters_are_flow_weighted(ds, agg):
    # INCPAR by private consumption, over commodities and regions
    weight = (ds["VDPP"] + ds["VMPP"]).sel(COMM=["c02", "c03"], REG=["r00", "r01"])
    members = ds["INCPAR"].sel(COMM=["c02", "c03"], REG=["r00", "r01"])
    expected = float((weight * members).sum() / weight.sum())
    assert float(agg["INCPAR"].sel(COMM="y", REG="A")) == pytest.approx(expected, rel=1e-12)
    # ETRAQ by the make matrix at supply prices, over activities
    weight = ds["MAKS"].sum("COMM").sel(ACTS=["a02", "a03"], REG="r02")
    expected = float((weight * ds["ETRAQ"].sel(ACTS=["a02", "a03"], REG="r02")).sum() / weight.sum())
    assert float(agg["ETRAQ"].sel(ACTS="q", REG="B")) == pytest.approx(expected, rel=1e-12)


def test_region_generic_elasticities_stay_generic_with_world_weights(ds, agg):
    assert bool((ds["ESUBD"] == ds["ESUBD"].isel(REG=0)).all())  # generic, as in GTAP's files
    weight = sum(ds[h] for h in ("VDPP", "VMPP", "VDGP", "VMGP", "VDIP", "VMIP"))
    weight = (weight + (ds["VDFP"] + ds["VMFP"]).sum("ACTS")).sel(COMM=["c00", "c01"]).sum("REG")
    expected = float((weight * ds["ESUBD"].sel(COMM=["c00", "c01"]).isel(REG=0)).sum() / weight.sum())
    np.testing.assert_allclose(agg["ESUBD"].sel(COMM="x").values, expected, rtol=1e-12)


def test_zero_weights_give_the_plain_mean(ds):
    only_land = ds.copy(deep=True)
    only_land["EVOS"].loc[{"ENDW": "Land"}] = 0.0
    out = aggregate_database(only_land, {"REG": {"r00": "A", "r01": "A", "r02": "B", "r03": "C"}})
    expected = float(ds["ETRAE"].sel(ENDW="Land", REG=["r00", "r01"]).mean())
    assert float(out["ETRAE"].sel(ENDW="Land", REG="A")) == pytest.approx(expected)


def test_endowment_types_carry_over(agg):
    assert list(agg["ENDW"].values[agg["ENDM"].values]) == ["Lab", "Capital"]
    assert list(agg["ENDW"].values[agg["ENDC"].values]) == ["Capital"]
    assert agg["ENDOWFLAG"].sel(ENDW="Lab", ENDWT="mobile") == 1


def test_identity_mapping_changes_nothing(ds):
    same = aggregate_database(ds, {})
    for name in ds.data_vars:
        np.testing.assert_allclose(same[name].values, ds[name].values, rtol=1e-15, err_msg=name)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"REG": {"r00": "A", "r01": "A", "r02": "B"}}, r"1 REG elements are not mapped: \['r03'\]"),
        ({"REG": {**MAPPING["REG"], "zz": "A"}}, r"REG has no elements \['zz'\]"),
        ({"SECTOR": {"a": "b"}}, r"sets \['SECTOR'\] are not among"),
        ({"ENDW": {**MAPPING["ENDW"], "Land": "Lab"}}, "mixes .* of different mobility"),
        ({"ENDW": {**MAPPING["ENDW"], "Capital": "Lab"}}, "capital 'Capital' is aggregated with"),
    ],
)
def test_bad_mappings_are_one_line(ds, mapping, message):
    with pytest.raises(DatabaseError, match=message) as err:
        aggregate_database(ds, mapping)
    assert "\n" not in str(err.value)


def test_mapping_file(tmp_path, ds):
    path = tmp_path / "map.csv"
    rows = "\n".join(f"{s},{a},{b}" for s, m in MAPPING.items() for a, b in m.items())
    path.write_text(f"# a comment\nset,from,to\n{rows}\n")
    assert read_mapping(path) == MAPPING
    assert aggregate_database(ds, path).sizes["REG"] == 3
    path.write_text("set,from\nREG,r00\n")
    with pytest.raises(DatabaseError, match="the first row must be the header set,from,to"):
        read_mapping(path)
    path.write_text("set,from,to\nREG,r00,A\nREG,r00,B\n")
    with pytest.raises(DatabaseError, match=r"map.csv:3: REG element 'r00' is mapped twice"):
        read_mapping(path)
    path.write_text("set,from,to\nREGION,r00,A\n")
    with pytest.raises(DatabaseError, match=r"map.csv:2: set 'REGION' is not one of REG, COMM, ACTS, ENDW"):
        read_mapping(path)


@needs_fixtures
def test_fixture_aggregation_keeps_its_balance():
    ds = load_database(ROOT / "datasets" / "10x7")
    regions = {str(r): ("NAmerica" if str(r) == "USA" else "Other") for r in ds["REG"].values}
    out = aggregate_database(ds, {"REG": regions})
    assert out.sizes["REG"] == 2 and database_problems(out) == []
    assert float(out["VDFB"].sum()) == pytest.approx(float(ds["VDFB"].sum()), rel=1e-9)
    np.testing.assert_allclose(out["ESUBD"].isel(REG=0).values, ds["ESUBD"].isel(REG=0).values, rtol=1e-12)
