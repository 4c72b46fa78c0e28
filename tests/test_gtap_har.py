"""GEMPACK header array files: the record layout byte by byte, round trips of every array type,
one-line errors, and (with CGE_GTAP_FIXTURES) every GEMPACK-written fixture read and written back."""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest
import xarray as xr
from gtap_fixtures import har_files, needs_fixtures

from cge.gtap import HarError, read_har, write_har
from cge.gtap.har import encode_har


def _rec(payload: bytes) -> bytes:
    n = struct.pack("<i", len(payload))
    return n + payload + n


def _ints(*v: int) -> bytes:
    return struct.pack(f"<{len(v)}i", *v)


ZEROS = _ints(0, 0, 0)


def _labelled(values, **coords) -> xr.DataArray:
    return xr.DataArray(np.asarray(values, dtype="f4"), dims=list(coords), coords=coords)


def test_re_full_layout_byte_by_byte():
    """A labelled 2x2 array is written exactly in GEMPACK's record layout."""
    da = _labelled([[1.0, 2.0], [3.0, 4.0]], COMM=["food", "mnfc"], REG=["USA", "ROW"])
    da.attrs.update(long_name="Exports", coefficient="VX")
    expected = b"".join(
        [
            _rec(b"VXSB"),
            _rec(b"    REFULL" + b"Exports".ljust(70) + _ints(7, 2, 2, 1, 1, 1, 1, 1)),
            _rec(
                b"    "
                + _ints(2, 1, 2)
                + b"VX".ljust(12)
                + _ints(1)
                + b"COMM".ljust(12)
                + b"REG".ljust(12)
                + b"kk"
                + ZEROS
            ),
            _rec(b"    " + _ints(1, 2, 2) + b"food        mnfc        "),
            _rec(b"    " + _ints(1, 2, 2) + b"USA         ROW         "),
            _rec(b"    " + _ints(3, 7, 2, 2, 1, 1, 1, 1, 1)),
            _rec(b"    " + _ints(2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
            _rec(b"    " + _ints(1) + struct.pack("<4f", 1.0, 3.0, 2.0, 4.0)),  # first index fastest
        ]
    )
    assert encode_har({"VXSB": da}) == expected


def test_re_sparse_and_character_layout():
    da = _labelled([0.0, 0.0, 5.0, 0.0], ENDW=["a", "b", "c", "d"])  # 25 % non-zero: sparse
    text = xr.DataArray(["USA", "ROW"], dims=["REG"], attrs={"long_name": "Set REG regions"})
    expected = b"".join(
        [
            _rec(b"ETRE"),
            _rec(b"    RESPSE" + b"".ljust(70) + _ints(7, 4, 1, 1, 1, 1, 1, 1)),
            _rec(b"    " + _ints(1, 1, 1) + b"ETRE".ljust(12) + _ints(1) + b"ENDW".ljust(12) + b"k" + _ints(0, 0)),
            _rec(b"    " + _ints(1, 4, 4) + b"".join(x.ljust(12) for x in (b"a", b"b", b"c", b"d"))),
            _rec(b"    " + _ints(1, 4, 4) + b" " * 80),
            _rec(b"    " + _ints(1, 1, 1, 3) + struct.pack("<f", 5.0)),
            _rec(b"REG "),
            _rec(b"    1CFULL" + b"Set REG regions".ljust(70) + _ints(2, 2, 12)),
            _rec(b"    " + _ints(1, 2, 2) + b"USA         ROW         "),
        ]
    )
    assert encode_har({"ETRE": da, "REG": text}) == expected


def _every_kind() -> dict[str, xr.DataArray]:
    rng = np.random.default_rng(1)
    reg, comm = ["USA", "MEX", "CAN"], ["agri", "mnfc"]
    return {
        "REG": xr.DataArray(reg, dims=["REG"], attrs={"long_name": "Set REG regions"}),
        "DVER": xr.DataArray(np.float32(6.0), attrs={"long_name": "GTAP data format"}),
        "VXSB": _labelled(rng.random((2, 3, 3)), COMM=comm, REG=reg, REG_2=reg),
        "SPRS": _labelled(np.eye(3), REG=reg, REG_2=reg),
        "EMPT": _labelled(np.zeros((0, 3)), ENDF=np.array([], dtype="U1"), REG=reg),
        "MARG": _labelled(rng.random((1, 2)), MARG=["trans"], COMM=comm),
        "RLAR": xr.DataArray(rng.random((2, 4)).astype("f4"), dims=["dim_0", "dim_1"]),
        "2RAR": xr.DataArray(rng.random((3, 2)).astype("f4"), dims=["dim_0", "dim_1"], attrs={"har_type": "2R"}),
        "RDLT": xr.DataArray(np.array([[1]], dtype="i4"), dims=["dim_0", "dim_1"]),
        "INTS": xr.DataArray(np.arange(6, dtype="i4").reshape(2, 3), dims=["dim_0", "dim_1"]),
        "TEXT": xr.DataArray(["a longer line of text"] * 3, dims=["TEXT"], attrs={"har_strings_per_record": 2}),
    }


def test_every_kind_round_trips(tmp_path):
    arrays = _every_kind()
    path = write_har(tmp_path / "all.har", arrays)
    back = read_har(path)
    assert list(back) == list(arrays)
    for name, da in arrays.items():
        got = back[name]
        assert got.dims == da.dims, name
        np.testing.assert_array_equal(got.values, da.values, err_msg=name)
        for dim in da.indexes:
            assert list(got.indexes[dim]) == list(da.indexes[dim]), (name, dim)
        assert got.attrs.get("long_name", "") == da.attrs.get("long_name", ""), name
    assert back["RDLT"].dtype.kind == "i" and back["INTS"].dtype.kind == "i"
    assert back["VXSB"].dims == ("COMM", "REG", "REG_2")
    assert back["SPRS"].attrs["har_storage"] == "SPSE" and back["VXSB"].attrs["har_storage"] == "FULL"
    assert back["2RAR"].attrs["har_type"] == "2R" and back["RLAR"].attrs["har_type"] == "RL"
    assert encode_har(back) == path.read_bytes()  # reading and writing again changes no byte


def test_float64_is_stored_single_precision(tmp_path):
    da = _labelled([1.0 / 3.0, 2.0], REG=["A", "B"])
    back = read_har(write_har(tmp_path / "x.har", {"X": da}))["X"]
    assert back.dtype == np.float32
    assert back.values[0] == np.float32(1.0 / 3.0)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"TOOLONG": _labelled([1.0], R=["a"])}, "header 'TOOLONG': a header name has 1 to 4 characters"),
        ({"abc": _labelled([1.0], R=["a"]), "ABC": _labelled([1.0], R=["a"])}, "differ only in case"),
        ({"X": _labelled([1.0, np.nan], R=["a", "b"])}, r"1 values are NaN.*first at \{'R': 'b'\}"),
        ({"X": xr.DataArray([1e39], dims=["R"], coords={"R": ["a"]})}, "beyond single precision"),
        ({"X": xr.DataArray([1.0], dims=["R"], attrs={"long_name": "x" * 71})}, "long name of 71 characters"),
        ({"X": _labelled([1.0], R=["a" * 13])}, "has 13 characters"),
        ({"X": _labelled(np.ones((1, 2)), R=["a"], S=["b", "c"]).drop_vars("S")}, "label all or none"),
        ({"X": xr.DataArray(np.ones(2, dtype="i4"), dims=["R"], coords={"R": ["a", "b"]})}, "cannot carry element"),
        ({"X": xr.DataArray(np.ones((2, 2, 2), dtype="i4"))}, "at most 2 dimensions"),
        ({"X": xr.DataArray([True])}, "dtype bool"),
    ],
)
def test_bad_arrays_are_refused_in_one_line(tmp_path, arrays, message):
    target = tmp_path / "bad.har"
    with pytest.raises(HarError, match=message) as err:
        write_har(target, arrays)
    assert "\n" not in str(err.value)
    assert not target.exists()


def test_write_refuses_its_source_and_non_files(tmp_path):
    path = write_har(tmp_path / "a.har", {"X": _labelled([1.0], R=["a"])})
    before = path.read_bytes()
    arrays = read_har(path)
    with pytest.raises(HarError, match="the file these arrays were read from"):
        write_har(path, arrays)
    with pytest.raises(HarError, match="exists and is not a regular file"):
        write_har(tmp_path, arrays)
    assert path.read_bytes() == before
    write_har(tmp_path / "b.har", arrays)  # elsewhere is fine


@pytest.mark.parametrize(
    ("cut", "message"),
    [
        (lambda b: b[:-3], "truncated"),
        (lambda b: b[:7], "too short"),
        (lambda b: b"\x00" * 16, "not a header array file"),
    ],
)
def test_damaged_files_name_the_problem(tmp_path, cut, message):
    good = encode_har({"X": _labelled([1.0, 2.0], R=["a", "b"])})
    path = tmp_path / "bad.har"
    path.write_bytes(cut(good))
    with pytest.raises(HarError, match=message):
        read_har(path)


def test_big_endian_files_are_read(tmp_path):
    records = [b"ABCD", b"    2IFULL" + b"".ljust(70) + struct.pack(">3i", 2, 1, 2)]
    records.append(b"    " + struct.pack(">7i", 1, 1, 2, 1, 1, 1, 2) + struct.pack(">2i", 7, -8))
    path = tmp_path / "be.har"
    path.write_bytes(b"".join(struct.pack(">i", len(r)) + r + struct.pack(">i", len(r)) for r in records))
    np.testing.assert_array_equal(read_har(path)["ABCD"].values, [[7, -8]])


# --- GEMPACK's own files (licensed; CGE_GTAP_FIXTURES) ---------------------------------------------


@needs_fixtures
@pytest.mark.parametrize("path", har_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_round_trip_is_byte_identical(path, tmp_path):
    arrays = read_har(path)
    out = write_har(tmp_path / path.name, arrays)
    assert out.read_bytes() == path.read_bytes()
    back = read_har(out)
    assert list(back) == list(arrays)
    for name, da in arrays.items():
        xr.testing.assert_identical(back[name], da)


@needs_fixtures
def test_fixture_dims_and_labels():
    root = os.environ["CGE_GTAP_FIXTURES"]
    data = read_har(f"{root}/datasets/3x3/basedata.har")
    assert data["VXSB"].dims == ("COMM", "REG", "REG_2")
    assert data["VTWR"].dims == ("MARG", "COMM", "REG", "REG_2")
    assert data["VXSB"].attrs["long_name"].startswith("Non-margin exports")
    assert data["VDFB"].dtype == np.float32 and "VST" in data
    params = read_har(f"{root}/datasets/3x3/default.prm")
    assert params["ESBT"].attrs["coefficient"] == "ESUBT" and params["ESBT"].attrs["har_storage"] == "SPSE"
    assert params["RDLT"].dtype.kind == "i"
    sets = read_har(f"{root}/datasets/3x3/sets.har")
    assert sets["REG"].dims == ("REG",) and all(len(s) == len(s.rstrip()) for s in sets["REG"].values)
