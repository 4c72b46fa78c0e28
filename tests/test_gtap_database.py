"""GTAP databases as Datasets: the schema table, load/save round trips, schema order whatever the
input order, subsets, one-line errors; with CGE_GTAP_FIXTURES every development database loads."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from gtap_fixtures import ROOT, dataset_dirs, needs_fixtures

from cge.gtap import (
    SCHEMA,
    DatabaseError,
    conform_database,
    load_database,
    read_har,
    save_database,
    synthetic_database,
    write_har,
)
from cge.gtap.database import SHIPPED_DIR


@pytest.fixture(scope="module")
def small():
    return synthetic_database(3, 5, 4, seed=11)


def test_schema_table_covers_the_contract():
    data = {e.header for e in SCHEMA.values() if e.kind == "data"}
    for header in "VDFB VDFP VMFB VMFP VDPB VDPP VMPB VMPP VDGB VDGP VMGB VMGP VDIB VDIP VMIB VMIP".split():
        assert header in data
    for header in "EVFB EVFP EVOS VXSB VFOB VCIF VMSB VST VTWR SAVE VDEP VKB POP MAKB MAKS DPSM".split():
        assert header in data
    renames = {e.header: e.name for e in SCHEMA.values() if e.kind == "parameter"}
    expected = "ESBT:ESUBT ESBC:ESUBC ESBV:ESUBVA ESBD:ESUBD ESBM:ESUBM ESBG:ESUBG ESBI:ESUBI ESBQ:ESUBQ ESBS:ESUBS"
    expected += " ETRE:ETRAE ETRQ:ETRAQ INCP:INCPAR SUBP:SUBPAR RFLX:RORFLEX RDLT:RORDELTA EFLG:ENDOWFLAG"
    assert {k: renames[k] for k in dict(p.split(":") for p in expected.split())} == dict(
        p.split(":") for p in expected.split()
    )
    assert SCHEMA["VXSB"].dims == ("COMM", "REG", "REG_2") and SCHEMA["VTWR"].dims == ("MARG", "COMM", "REG", "REG_2")
    assert SCHEMA["ESUBD"].dims_for(("COMM",)) == ("COMM",)


def test_synthetic_round_trip_through_har_and_netcdf(tmp_path, small):
    out = save_database(small, tmp_path / "db")
    assert sorted(p.name for p in out.iterdir()) == ["basedata.har", "database.nc", "default.prm", "sets.har"]
    exact = load_database(out)  # database.nc: float64, identical
    for name in small.data_vars:
        np.testing.assert_array_equal(exact[name].values, small[name].values, err_msg=name)
        assert exact[name].dims == small[name].dims
    (out / "database.nc").unlink()
    har = load_database(out)  # HAR files: single precision
    assert har.attrs["precision"] == "float32" and set(har.data_vars) == set(small.data_vars)
    for name in small.data_vars:
        np.testing.assert_allclose(har[name].values, small[name].values, rtol=1e-7, err_msg=name)
    for subset in ("ENDM", "ENDS", "ENDF", "ENDC", "NMRG"):
        np.testing.assert_array_equal(har[subset].values, small[subset].values)
    assert har["RORDELTA"].dtype.kind == "i" and har["RORDELTA"].ndim == 0
    assert read_har(out / "default.prm")["ESBD"].attrs["coefficient"] == "ESUBD"


def test_stale_netcdf_is_ignored(tmp_path, small):
    out = save_database(small, tmp_path / "db")
    data = read_har(out / "basedata.har")
    data["SAVE"] = data["SAVE"] * 2
    write_har(tmp_path / "tmp.har", data)
    (tmp_path / "tmp.har").replace(out / "basedata.har")
    loaded = load_database(out)
    np.testing.assert_allclose(loaded["SAVE"].values, 2 * small["SAVE"].values, rtol=1e-6)


def test_file_names_are_case_insensitive(tmp_path, small):
    out = save_database(small, tmp_path / "db")
    (out / "database.nc").unlink()
    (out / "basedata.har").rename(out / "BaseData.HAR")
    (out / "default.prm").rename(out / "DEFAULT.PRM")
    assert load_database(out).sizes["REG"] == 3


def test_any_dim_order_is_put_in_schema_order(small):
    shuffled = small.copy()
    shuffled["VTWR"] = small["VTWR"].transpose("REG_2", "COMM", "MARG", "REG")
    shuffled["EVFB"] = small["EVFB"].transpose("REG", "ACTS", "ENDW")
    out = conform_database(shuffled)
    assert out["VTWR"].dims == SCHEMA["VTWR"].dims and out["EVFB"].dims == SCHEMA["EVFB"].dims
    np.testing.assert_array_equal(out["VTWR"].values, small["VTWR"].values)


def test_wrong_dims_and_nan_are_named(small):
    bad = small.copy()
    bad["VDFB"] = small["VDFB"].sum("ACTS")
    bad["VKB"] = small["VKB"].where(small["REG"] != "r01")
    with pytest.raises(DatabaseError) as err:
        conform_database(bad)
    text = str(err.value)
    assert "VDFB (header VDFB) has dims ('COMM', 'REG'), expected ('COMM', 'ACTS', 'REG')" in text
    assert "VKB: 1 NaN/inf values, first at REG=r01" in text


def test_missing_header_names_file_and_header(tmp_path, small):
    out = save_database(small, tmp_path / "db")
    (out / "database.nc").unlink()
    data = read_har(out / "basedata.har")
    del data["VTWR"], data["MAKB"]
    (out / "basedata.har").unlink()
    write_har(out / "basedata.har", data)
    with pytest.raises(DatabaseError) as err:
        load_database(out)
    lines = str(err.value).splitlines()
    assert "(2 problems)" in lines[0]
    assert any(f"{out / 'basedata.har'}: missing header 'VTWR'" in line for line in lines)
    assert any("missing header 'MAKB'" in line for line in lines)


def test_labels_that_differ_from_sets_are_refused(tmp_path, small):
    out = save_database(small, tmp_path / "db")
    (out / "database.nc").unlink()
    data = read_har(out / "basedata.har")
    data["SAVE"] = data["SAVE"].assign_coords(REG=["r00", "r01", "xx"])
    (out / "basedata.har").unlink()
    write_har(out / "basedata.har", data)
    with pytest.raises(DatabaseError, match=r"header 'SAVE': REG labels \['r00', 'r01', 'xx'\] differ"):
        load_database(out)


def test_labels_in_another_order_are_reordered(tmp_path, small):
    out = save_database(small, tmp_path / "db")
    (out / "database.nc").unlink()
    data = read_har(out / "basedata.har")
    data["SAVE"] = data["SAVE"].isel(REG=[2, 0, 1])
    (out / "basedata.har").unlink()
    write_har(out / "basedata.har", data)
    loaded = load_database(out)
    np.testing.assert_allclose(loaded["SAVE"].values, small["SAVE"].values, rtol=1e-7)


def test_subsets_from_endowflag_when_sets_har_has_none(tmp_path, small):
    out = save_database(small, tmp_path / "db")
    (out / "database.nc").unlink()
    sets = read_har(out / "sets.har")
    for header in ("ENDM", "ENDS", "ENDF", "ENDC"):
        del sets[header]
    (out / "sets.har").unlink()
    write_har(out / "sets.har", sets)
    loaded = load_database(out)
    assert list(loaded["ENDW"].values[loaded["ENDS"].values]) == ["Land"]
    assert list(loaded["ENDW"].values[loaded["ENDC"].values]) == ["Capital"]
    params = read_har(out / "default.prm")
    del params["EFLG"]
    (out / "default.prm").unlink()
    write_har(out / "default.prm", params)
    with pytest.raises(DatabaseError, match="cannot tell mobile, sluggish and sector-specific endowments apart"):
        load_database(out)


def test_save_refuses_its_source_and_files(tmp_path, small):
    out = save_database(small, tmp_path / "db")
    loaded = load_database(out)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    with pytest.raises(DatabaseError, match="the directory this database was loaded from"):
        save_database(loaded, out)
    (tmp_path / "file").write_text("x")
    with pytest.raises(DatabaseError, match="exists and is not a directory"):
        save_database(small, tmp_path / "file")
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


def test_save_writes_nothing_when_an_array_cannot_be_stored(tmp_path, small):
    bad = small.copy()
    bad["VKB"] = small["VKB"] * 1e40  # beyond single precision
    with pytest.raises(DatabaseError, match="beyond single precision"):
        save_database(bad, tmp_path / "db")
    assert not (tmp_path / "db").exists() and list(tmp_path.iterdir()) == []


def test_shipped_database_missing_is_one_line():
    if (SHIPPED_DIR / "sets.har").exists():
        pytest.skip("the open database is shipped")
    with pytest.raises(DatabaseError, match="open GTAP database is not there yet"):
        load_database()


def test_not_a_directory(tmp_path):
    with pytest.raises(DatabaseError, match="not a directory"):
        load_database(tmp_path / "nope")
    with pytest.raises(DatabaseError, match="no sets.har, basedata.har, default.prm"):
        load_database(tmp_path)


# --- the development databases (licensed; CGE_GTAP_FIXTURES) ----------------------------------------


@needs_fixtures
@pytest.mark.parametrize("directory", dataset_dirs(), ids=lambda p: p.name)
def test_fixture_databases_load(directory, tmp_path):
    ds = load_database(directory)
    basedata = read_har(next(p for p in directory.iterdir() if p.name.lower() == "basedata.har"))
    for name, entry in SCHEMA.items():
        if entry.kind == "data" and entry.header in basedata:
            assert ds[name].dims == entry.dims
            expected = basedata[entry.header].transpose(*[d for d in entry.dims]).values
            np.testing.assert_array_equal(ds[name].values, expected.astype("f8"), err_msg=name)
    assert ds["RORDELTA"].ndim == 0 and int(ds["RORDELTA"]) in (0, 1)
    assert int(ds["ENDC"].sum()) == 1 and ds["ENDM"].dtype == bool
    assert all(f"sha256_{name}" in ds.attrs for name in ("sets.har", "basedata.har", "default.prm"))
    save_database(ds, tmp_path / "copy")
    (tmp_path / "copy" / "database.nc").unlink()
    again = load_database(tmp_path / "copy")
    for name in ds.data_vars:
        xr.testing.assert_equal(again[name], ds[name])


@needs_fixtures
def test_fixture_parameters_keep_the_file_dims():
    ds = load_database(ROOT / "datasets" / "9x10")
    assert ds["ESUBD"].dims == ("COMM", "REG") and ds["ACTS"].size == 9 and ds["COMM"].size == 10
    assert ds["ENDOWFLAG"].dims == ("ENDW", "ENDWT")
    assert "VOSB" in ds and ds["VOSB"].attrs["units"] == "US$ million"
    assert ds.attrs["DREL"] == "R9.0A_2011_Apr2016"


def test_schema_table_in_docs_is_current():
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "scripts" / "write_gtap_docs.py"
    spec = importlib.util.spec_from_file_location("write_gtap_docs", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = module.DOC.read_text()
    assert text == module.render(text), "docs/gtap_database.md is stale: run python scripts/write_gtap_docs.py"
