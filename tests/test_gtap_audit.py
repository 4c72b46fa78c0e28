"""The hostile audit of the GTAP v7 path (issue 20's rules on GTAP databases, HAR and CMF files):
only regular files read, bounded inputs, one line naming the file, header or label, nothing
silently wrong, nothing written half-way, never an input or the shipped data replaced, hashes
from the data. Each test failed before its fix; ``docs/bad_inputs.md`` (section "Audit of the
GTAP v7 path") lists them."""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from processes import cge, finish
from typer.testing import CliRunner

import cge as cge_api
from cge.cli import app
from cge.errors import CmfError, DatabaseError, HarError
from cge.gtap import load_database, read_har, save_database, synthetic_database
from cge.gtap.database import element_name_problems, har_files
from cge.gtap.har import encode_har
from cge.scenario import Scenario

runner = CliRunner()
DOCS = Path(__file__).resolve().parents[1] / "docs" / "bad_inputs.md"
STANDARD_EXOGENOUS = (
    "exogenous pop psaveslack pfactwld profitslack incomeslack endwslack cgdslack tradslack ams atm atf ats atd "
    "aosec aoreg avasec avareg aintsec aintreg aintall afcom afsec afreg afecom afesec afereg aoall afall afeall "
    "au dppriv dpgov dpsave to tinc tpreg tm tms tx txs qe qesf;\nrest endogenous;\n"
)
FILES = "file GTAPSETS = sets.har;\nfile GTAPDATA = basedata.har;\nfile GTAPPARM = default.prm;\n"
TARIFF = Scenario(name="t", tariffs=[{"importer": "r00", "exporter": "r01", "commodity": "c00", "rate_pct": 25}])


@pytest.fixture(scope="module")
def har_database(tmp_path_factory) -> Path:
    """A small synthetic database as GTAP users have them: HAR files only."""
    directory = tmp_path_factory.mktemp("gtap") / "db"
    save_database(synthetic_database(3, 3, seed=4), directory)
    (directory / "database.nc").unlink()
    return directory


def _copy(source: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    for path in source.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    return target


def _edit(db: Path, file: str, change) -> None:
    arrays = dict(read_har(db / file))
    change(arrays)
    (db / file).write_bytes(encode_har(arrays))


def _record(payload: bytes) -> bytes:
    length = struct.pack("<i", len(payload))
    return length + payload + length


def _snapshot(directory: Path) -> dict:
    return {str(p.relative_to(directory)): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in directory.rglob("*")}


def _cli(*args: str) -> tuple[int, str]:
    """``cge ARGS`` in a subprocess with a hang guard (a FIFO blocked for ever): (status, stderr)."""
    status, _, stderr = finish(cge(*args))
    return status, stderr.strip()


def _one_error(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


# ============================================================================ HAR files
def test_only_regular_files_are_read_from_a_database(har_database, tmp_path):
    """A FIFO as a CMF, a shock file, a mapping or basedata.har blocked for ever; sets.har linked
    to /dev/zero and a FIFO basedata.har were reported as missing ("no sets.har")."""
    db = _copy(har_database, tmp_path / "db")
    (db / "c.cmf").write_text(FILES + STANDARD_EXOGENOUS + 'shock tms = file s.har header "TMS";\n')
    os.mkfifo(db / "s.har")
    os.mkfifo(tmp_path / "fifo.cmf")
    status, stderr = _cli("gtap", "run", "--cmf", str(tmp_path / "fifo.cmf"), "--out", str(tmp_path / "r.nc"))
    assert status == 1 and "fifo.cmf: a FIFO (named pipe), not a regular file" in stderr, stderr
    os.mkfifo(tmp_path / "map.csv")
    status, stderr = _cli(
        "gtap", "aggregate", str(db), "--map", str(tmp_path / "map.csv"), "--out", str(tmp_path / "a")
    )
    assert status == 1 and "map.csv: a FIFO (named pipe), not a regular file" in stderr, stderr
    status, stderr = _cli("gtap", "run", "--cmf", str(db / "c.cmf"), "--out", str(tmp_path / "r.nc"))
    assert status == 1 and f"{db}/c.cmf:6: {db}/s.har: a FIFO (named pipe), not a regular file" in stderr, stderr
    (db / "sets.har").unlink()
    (db / "sets.har").symlink_to("/dev/zero")
    result = runner.invoke(app, ["gtap", "check", str(db)])
    assert f"{db}/sets.har: a character device, not a regular file" in _one_error(result)
    with pytest.raises(HarError, match="/dev/zero: a character device, not a regular file"):
        read_har("/dev/zero")
    assert not (tmp_path / "r.nc").exists() and not (tmp_path / "a").exists()


def test_har_files_with_8_byte_record_markers_are_read(har_database, tmp_path):
    """Fortran compilers with 8-byte record markers (gfortran -frecord-marker=8) write the same
    records; they were refused as "corrupt record at byte 0"."""
    data = (har_database / "sets.har").read_bytes()
    out, pos = [], 0
    while pos < len(data):
        (length,) = struct.unpack_from("<i", data, pos)
        out.append(struct.pack("<q", length) + data[pos + 4 : pos + 4 + length] + struct.pack("<q", length))
        pos += 8 + length
    (tmp_path / "sets8.har").write_bytes(b"".join(out))
    wide, usual = read_har(tmp_path / "sets8.har"), read_har(har_database / "sets.har")
    assert list(wide) == list(usual)
    assert all(wide[k].equals(usual[k]) for k in usual)


def test_hostile_array_descriptions_are_one_line_before_anything_is_allocated(har_database, tmp_path):
    """A negative rank was an internal struct error; an array declaring 1.25e14 values in an 18 kB
    file ran out of memory; both are one line naming the header."""
    desc = b"    RLFULL" + b"bad".ljust(70) + struct.pack("<i", -1) + b"\0" * 28
    (tmp_path / "rank.har").write_bytes(_record(b"XNEG") + _record(desc))
    with pytest.raises(HarError, match=r"rank.har: header 'XNEG': rank -1 in the description record \(0 to 7"):
        read_har(tmp_path / "rank.har")
    dims = (50000, 50000, 50000, 1, 1, 1, 1)
    desc = b"    RLSPSE" + b"huge".ljust(70) + struct.pack("<8i", 7, *dims)
    sparse = [b"    " + struct.pack("<3i", 0, 4, 4) + b" " * 80, b"    " + struct.pack("<3i", 1, 0, 0)]
    (tmp_path / "huge.har").write_bytes(b"".join(_record(r) for r in [b"XHUG", desc, *sparse]))
    with pytest.raises(HarError, match=r"declare 125,000,000,000,000 values, more than the 2,147,483,647"):
        read_har(tmp_path / "huge.har")
    desc = b"    RLFULL" + b"full".ljust(70) + struct.pack("<8i", 7, 1000, 1000, 1, 1, 1, 1, 1)
    (tmp_path / "full.har").write_bytes(_record(b"XFUL") + _record(desc))
    with pytest.raises(HarError, match=r"declare 1,000,000 values \(4,000,000 bytes\) in a file of"):
        read_har(tmp_path / "full.har")


def test_headers_or_files_that_differ_only_in_case_are_refused(har_database, tmp_path):
    """GEMPACK reads SAVE and save as one header, and a directory with basedata.har and
    BASEDATA.HAR holds two databases: one of each was used silently."""
    db = _copy(har_database, tmp_path / "db")
    save = read_har(db / "basedata.har")["SAVE"]
    (db / "basedata.har").write_bytes((db / "basedata.har").read_bytes() + encode_har({"save": save * 2}))
    with pytest.raises(HarError, match="headers 'SAVE' and 'save' differ only in case; GEMPACK reads them as one"):
        read_har(db / "basedata.har")
    other = _copy(har_database, tmp_path / "other")
    (other / "BASEDATA.HAR").write_bytes((other / "basedata.har").read_bytes())
    with pytest.raises(DatabaseError, match="BASEDATA.HAR and basedata.har differ only in case"):
        load_database(other)


def test_a_header_of_another_type_is_named_not_missing(har_database, tmp_path):
    """SAVE stored as text and REG stored as integers were reported as missing headers."""
    db = _copy(har_database, tmp_path / "db")
    _edit(db, "basedata.har", lambda a: a.__setitem__("SAVE", xr.DataArray(np.array(["1", "2", "3"]), dims=["SAVE"])))
    with pytest.raises(DatabaseError, match=r"header 'SAVE' is a character array \(1C\); GTAP's SAVE holds numbers"):
        load_database(db)
    db = _copy(har_database, tmp_path / "db2")
    _edit(db, "sets.har", lambda a: a.__setitem__("REG", xr.DataArray(np.array([[1], [2], [3]], dtype="i4"))))
    with pytest.raises(DatabaseError, match=r"header 'REG' is an integer array \(2I\); a set is a character array"):
        load_database(db)


def test_one_label_difference_is_one_line_per_file(har_database, tmp_path):
    """One REG label of sets.har with a leading blank gave 45 lines, one per header."""
    db = _copy(har_database, tmp_path / "db")
    _edit(db, "sets.har", lambda a: a.__setitem__("REG", a["REG"].copy(data=np.array([" r00", "r01", "r02"]))))
    result = runner.invoke(app, ["gtap", "check", str(db)])
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1 and len(lines) == 3 and "(2 problems)" in lines[0], result.output
    assert "basedata.har: 32 headers (VDFP, VMFP, VDFB, VMFB, VDPP, ...): REG labels ['r00', 'r01', 'r02']" in lines[1]
    assert "differ from [' r00', 'r01', 'r02'] of sets.har" in lines[1]


def test_an_empty_set_is_written_as_characters(tmp_path):
    """An empty MARG (a database from a SAM) was written as an empty real array, which GEMPACK
    does not read as a set; files written so are still read."""
    from cge.gtap.database import _set_labels, har_files

    sets = har_files(synthetic_database(3, 3, seed=1).isel(MARG=slice(0, 0)))["sets.har"]
    (tmp_path / "sets.har").write_bytes(encode_har(sets))
    assert read_har(tmp_path / "sets.har")["MARG"].attrs["har_type"] == "1C"
    old = dict(read_har(tmp_path / "sets.har"))
    old["MARG"] = xr.DataArray(np.zeros(0, dtype="f4"), dims=["dim_0"], attrs={"har_type": "RL"})
    assert list(_set_labels(old, tmp_path / "sets.har")["MARG"]) == []


# ============================================================================ database.nc beside the HAR files
def test_an_edited_database_nc_is_not_trusted(tmp_path):
    """database.nc edited with xarray keeps the recorded HAR hashes: its values were solved, not
    the HAR files' (SAVE x 3). It must hold the HAR files' values to be read."""
    db = tmp_path / "db"
    save_database(synthetic_database(3, 3, seed=4), db)
    har_save = read_har(db / "basedata.har")["SAVE"].values
    edited = xr.load_dataset(db / "database.nc", engine="h5netcdf")
    edited["SAVE"] = edited["SAVE"] * 3
    (db / "database.nc").unlink()
    edited.to_netcdf(db / "database.nc", engine="h5netcdf")
    ds = load_database(db)
    np.testing.assert_array_equal(ds["SAVE"].values, har_save.astype("f8"))
    assert ds.attrs["precision"] == "float32"
    save_database(synthetic_database(3, 3, seed=4), tmp_path / "fresh")
    assert "precision" not in load_database(tmp_path / "fresh").attrs  # an unedited one is read


# ============================================================================ GTAP's checks before solving
def _bad(har_database: Path, directory: Path, file: str, change) -> Path:
    db = _copy(har_database, directory)
    _edit(db, file, change)
    return db


def _times(header: str, factor: float):
    def change(arrays):
        arrays[header] = arrays[header] * factor

    return change


def test_runs_refuse_a_database_that_fails_gtaps_checks(har_database, tmp_path):
    """An unbalanced database, negative flows and elasticities, a positive ETRAE and RORDELTA = 0.5
    (read as 0) were solved, exit 0."""
    (tmp_path / "t.toml").write_text(_toml())
    out = str(tmp_path / "r.nc")
    db = _bad(har_database, tmp_path / "unbalanced", "basedata.har", _times("VDFB", 1.05))
    result = runner.invoke(app, ["run", str(tmp_path / "t.toml"), "--sam", str(db), "--out", out])
    assert result.exit_code == 1 and "fails GTAP's checks (" in result.output and "supply = demand" in result.output
    for header, needle in (("ESBT", "ESUBT"), ("ETRE", "ETRAE"), ("RDLT", "RORDELTA = 0.5 is outside 'in 0 1'")):
        db = _bad(har_database, tmp_path / header, "default.prm", _times(header, 0.5 if header == "RDLT" else -1.0))
        result = runner.invoke(app, ["gtap", "run", str(db), "--shock", "tm=10", "--out", out])
        assert result.exit_code == 1 and "fails GTAP's checks" in result.output and needle in result.output
    negative = load_database(har_database).copy(deep=True)
    negative["VDPB"][0, 0] = -50.0
    with pytest.raises(DatabaseError, match=r"VDPB \[COMM=c00, REG=r00\] = -50 US\$ million is outside 'ge 0'"):
        cge_api.run(TARIFF, sam=negative)
    assert not (tmp_path / "r.nc").exists()


def test_labels_gempack_cannot_use_are_refused_when_a_database_is_read_or_written(tmp_path):
    """HAR files whose labels have a blank, more than 12 characters, or differ only in case inside
    one set (files GEMPACK refuses) were read and solved, exit 0, and a 15-character label was
    refused only when ``--updated`` wrote the database, after the solve; ``save_database`` wrote
    blanks and case twins into HAR files. A Dataset in memory (a SAM's conversion, whose sectors
    have long names) still solves: the rule is the files'."""
    base = synthetic_database(3, 3, seed=4)
    cases = {
        "case": (["r00", "r01", "R01"], "set REG: labels 'r01' and 'R01' differ only in case (GEMPACK ignores case)"),
        "blank": (["r00", "r01", "r 02"], "no blanks or hyphens): 'r 02' (a blank)"),
        "long": (["r00", "r01", "region_number2"], "no blanks or hyphens): 'region_number2' (14 characters)"),
    }
    for name, (labels, needle) in cases.items():
        ds = base.assign_coords(REG=labels, REG_2=labels)
        with pytest.raises(DatabaseError, match=re.escape(needle)):
            save_database(ds, tmp_path / name)
        assert not (tmp_path / name).exists()
        if name == "long":  # the element labels of a HAR array hold 12 characters: no such files to read
            problems = element_name_problems(ds)
            assert len(problems) == 1 and needle in problems[0], problems
            continue
        db = tmp_path / f"{name}_har"  # HAR files another tool wrote
        db.mkdir()
        for file, arrays in har_files(ds).items():
            (db / file).write_bytes(encode_har(arrays))
        with pytest.raises(DatabaseError, match=re.escape(needle)):
            load_database(db)
        out, updated = tmp_path / f"{name}.nc", tmp_path / f"{name}_updated"
        status, stderr = _cli("gtap", "run", str(db), "--shock", "tm=10", "--out", str(out), "--updated", str(updated))
        assert status == 1 and needle in stderr and len(stderr.splitlines()) == 1, stderr
        assert not out.exists() and not updated.exists()
    long = ["r00", "r01", "region_number2"]
    assert cge_api.run(TARIFF, sam=base.assign_coords(REG=long, REG_2=long)).sizes["scenario"] == 2


def _toml() -> str:
    return 'name = "t"\n[[tariffs]]\nimporter = "r00"\nexporter = "r01"\ncommodity = "c00"\nrate_pct = 25\n'


# ============================================================================ shocks and CMF files
def test_shocks_are_finite_numbers(har_database, tmp_path):
    """``--shock tm=nan``, ``shock tm = uniform nan`` and a NaN in a shock file left the elements
    unshocked (a zero shock, exit 0); ``-2*5`` was dropped from a list without a word."""
    out = str(tmp_path / "r.nc")
    result = runner.invoke(app, ["gtap", "run", str(har_database), "--shock", "tm=nan", "--out", out])
    assert "shock to tm: nan is not a finite number" in _one_error(result)
    db = _copy(har_database, tmp_path / "db")
    for statement, needle in (
        ("shock tm = uniform nan;", "c.cmf:6: 'nan' is not a finite number"),
        ("shock tm = -2*5 3*10;", "c.cmf:6: '-2*5': the repeat count before '*' must be a whole number of at least 1"),
        ('shock tms = file s.har header "TMS";', "c.cmf:6: header TMS of {db}/s.har"),
    ):
        (db / "c.cmf").write_text(FILES + STANDARD_EXOGENOUS + statement + "\n")
        if "s.har" in statement:
            ds = load_database(har_database)
            labels = {"COMM": ds.COMM.values, "REG": ds.REG.values, "REG_2": ds.REG.values}
            values = np.full((3, 3, 3), 5.0, dtype="f4")
            values[0, 0, 1] = 4321.5
            data = encode_har({"TMS": xr.DataArray(values, dims=list(labels), coords=labels)})
            (db / "s.har").write_bytes(data.replace(struct.pack("<f", 4321.5), struct.pack("<f", float("nan"))))
            needle += " has 1 NaN/inf values, first at COMM=c00, REG=r00, REG_2=r01"
        result = runner.invoke(app, ["gtap", "run", "--cmf", str(db / "c.cmf"), "--out", out])
        assert needle.format(db=db) in _one_error(result)
    assert not (tmp_path / "r.nc").exists()


@pytest.mark.parametrize(
    ("statement", "needle"),
    [
        ("exogenous qfoo;", "c.cmf:6: unknown GTAP v7 variable 'qfoo'; did you mean"),
        ("swap dpsave = zzsave;", "c.cmf:6: unknown GTAP v7 variable 'zzsave'; did you mean"),
        ('shock tms("steel", REG, REG) = uniform 10;', 'c.cmf:6: element "steel" is not in COMM'),
        ("swap qe = rore;", "c.cmf:6: swap qe = rore: 12 elements against 3"),
        ("shock qgdp = uniform 1;", "c.cmf:6: cannot shock qgdp: it is not an exogenous variable"),
    ],
    ids=["unknown_variable", "swap_unknown", "unknown_element", "swap_sizes", "shock_endogenous"],
)
def test_cmf_errors_name_the_file_and_line(har_database, tmp_path, statement, needle):
    """These named the variable or element but neither the CMF nor its line."""
    db = _copy(har_database, tmp_path / "db")
    (db / "c.cmf").write_text(FILES + STANDARD_EXOGENOUS + statement + "\n")
    result = runner.invoke(app, ["gtap", "run", "--cmf", str(db / "c.cmf"), "--out", str(tmp_path / "r.nc")])
    assert needle in _one_error(result)


def test_a_cmf_is_plain_bounded_text(har_database, tmp_path, monkeypatch):
    """A UTF-16 CMF gave "statement 'ÿþf\\x00i\\x00...' is not supported"; a CMF had no size bound."""
    import cge.gtap.cmf as cmf_module
    from cge.gtap import read_cmf

    (tmp_path / "u.cmf").write_bytes((FILES + "shock tm = uniform 10;\n").encode("utf-16"))
    with pytest.raises(CmfError, match=r"u.cmf: UTF-16 text \(or binary\)"):
        read_cmf(tmp_path / "u.cmf")
    (tmp_path / "b.cmf").write_bytes(b"\xef\xbb\xbf" + FILES.encode())
    assert read_cmf(tmp_path / "b.cmf").files["GTAPSETS"] == "sets.har"  # a UTF-8 byte-order mark is read
    monkeypatch.setattr(cmf_module, "MAX_TEXT_BYTES", 50)
    with pytest.raises(CmfError, match=r"b.cmf: 88 bytes; a command file is text of at most 50 bytes"):
        read_cmf(tmp_path / "b.cmf")


def test_the_files_a_cmf_names_are_the_ones_solved(har_database, tmp_path):
    """``file GTAPPARM = mine.prm`` was ignored for the directory's default.prm; a database given
    beside a CMF naming another one was solved silently; a missing GTAPDATA said "nowhere: not a
    directory"."""
    db = _copy(har_database, tmp_path / "db")
    arrays = dict(read_har(db / "default.prm"))
    arrays["ESBD"] = arrays["ESBD"] * 4
    (db / "mine.prm").write_bytes(encode_har(arrays))
    runs = {}
    for name, parm in (("default", "default.prm"), ("mine", "mine.prm")):
        text = FILES.replace("default.prm", parm) + STANDARD_EXOGENOUS + "shock tm = uniform 10;\n"
        (db / f"{name}.cmf").write_text(text)
        result = runner.invoke(app, ["gtap", "run", "--cmf", str(db / f"{name}.cmf"), "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        runs[name] = xr.load_dataset(tmp_path / name, engine="h5netcdf")
    assert runs["mine"].attrs["database_hash"] != runs["default"].attrs["database_hash"]
    assert not np.allclose(runs["mine"]["qgdp"].values, runs["default"]["qgdp"].values)
    other = _copy(har_database, tmp_path / "other")
    result = runner.invoke(app, ["gtap", "run", str(other), "--cmf", str(db / "default.cmf"), "--out", "x.nc"])
    assert f"its file GTAPDATA is {db}/basedata.har, but the database given is {other}" in _one_error(result)
    (tmp_path / "lost.cmf").write_text("file GTAPDATA = nowhere/basedata.har;\nshock tm = uniform 10;\n")
    result = runner.invoke(app, ["gtap", "run", "--cmf", str(tmp_path / "lost.cmf"), "--out", "x.nc"])
    assert "lost.cmf: file GTAPDATA = nowhere/basedata.har: no such file" in _one_error(result)


def test_a_swap_without_equals_sign_says_how_to_write_one(har_database, tmp_path):
    result = runner.invoke(app, ["gtap", "run", str(har_database), "--swap", "qgdp(", "--out", str(tmp_path / "r.nc")])
    assert "swap 'qgdp(': write 'a = b'" in _one_error(result)


# ============================================================================ outputs
def test_outputs_never_replace_a_file_of_an_input_database(har_database, tmp_path):
    """``--out db/basedata.har`` replaced the database's data with a results file (``cge run``
    and ``cge gtap run``), and ``--out db/database.nc`` its netCDF copy."""
    db = _copy(har_database, tmp_path / "db")
    (tmp_path / "t.toml").write_text(_toml())
    before = _snapshot(tmp_path)
    for target in ("basedata.har", "database.nc", "BaseData.har"):
        out = str(db / target)
        result = runner.invoke(app, ["gtap", "run", str(db), "--shock", "tm=10", "--out", out])
        assert f"--out {out} is the input" in _one_error(result)
    result = runner.invoke(app, ["run", str(tmp_path / "t.toml"), "--sam", str(db), "--out", str(db / "basedata.har")])
    assert "is the input" in _one_error(result)
    assert _snapshot(tmp_path) == before


def test_outputs_never_replace_the_shipped_data(tmp_path, monkeypatch):
    """``cge gtap run --out sam/gtap/database.nc``, ``cge run --out`` there, ``cge gtap synthetic
    sam/gtap`` and ``write_har`` onto a shipped file replaced the shipped database. (The shipped
    directories are a copy here.)"""
    import cge.gtap.database as database_module
    import cge.paths
    from cge.atomic import WriteError
    from cge.gtap import write_har

    shipped = tmp_path / "shipped" / "sam"
    save_database(synthetic_database(3, 3, seed=2), shipped / "gtap")
    monkeypatch.setattr(cge.paths, "SAM_DIR", shipped)
    monkeypatch.setattr(database_module, "SHIPPED_DIR", shipped / "gtap")
    before = _snapshot(shipped)
    nc = str(shipped / "gtap" / "database.nc")
    result = runner.invoke(app, ["gtap", "run", "--shock", "tm=10", "--out", nc])
    assert f"cannot write {nc}: it is part of the data shipped with cge" in _one_error(result)
    (tmp_path / "t.toml").write_text(_toml())
    result = runner.invoke(app, ["run", str(tmp_path / "t.toml"), "--out", nc])
    assert "part of the data shipped with cge" in _one_error(result)
    result = runner.invoke(app, ["gtap", "synthetic", str(shipped / "gtap")])
    assert "part of the data shipped with cge" in _one_error(result)
    with pytest.raises(WriteError, match="part of the data shipped with cge"):
        write_har(shipped / "gtap" / "sets.har", read_har(shipped / "gtap" / "sets.har") | {})
    with pytest.raises(WriteError, match="part of the data shipped with cge"):
        save_database(synthetic_database(3, 3, seed=5), shipped / "gtap")
    assert _snapshot(shipped) == before
    from cge.atomic import rebuilding_shipped_data

    with rebuilding_shipped_data():  # what cge build-sam and cge build-database do
        save_database(synthetic_database(3, 3, seed=5), shipped / "gtap")
    assert _snapshot(shipped) != before


def test_a_database_directory_is_never_left_with_files_of_two_databases(har_database, tmp_path, monkeypatch):
    """Writing into an existing database directory replaced sets.har and basedata.har, then
    stopped at a FIFO default.prm; a Ctrl-C after two files left them with the previous
    default.prm (which loaded); a baserate.har of the previous database stayed beside the new
    files."""
    import cge.gtap.database as database_module

    target = _copy(har_database, tmp_path / "u")
    (target / "default.prm").unlink()
    os.mkfifo(target / "default.prm")
    before = _snapshot(tmp_path)
    result = runner.invoke(
        app, ["gtap", "run", str(har_database), "--shock", "tm=10", "--out", "r.nc", "--updated", str(target)]
    )
    assert "cannot write" in _one_error(result) and "named pipe (FIFO)" in result.output
    assert _snapshot(tmp_path) == before
    target = _copy(har_database, tmp_path / "v")
    (target / "baserate.har").write_bytes((har_database / "sets.har").read_bytes())
    result = runner.invoke(app, ["gtap", "synthetic", str(target), "--seed", "3"])
    assert f"cannot write {target}: it holds baserate.har of another database" in _one_error(result)
    target = _copy(har_database, tmp_path / "w")
    before = _snapshot(target)
    written = []
    real = database_module._write_file

    def interrupted(path, data, mode):
        if len(written) == 2:
            raise KeyboardInterrupt
        written.append(path)
        real(path, data, mode)

    monkeypatch.setattr(database_module, "_write_file", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_database(synthetic_database(3, 3, seed=9), target)
    assert _snapshot(target) == before  # the previous database, whole; no staging directory left


# ============================================================================ results of `cge gtap run`
def test_gtap_run_results_carry_their_database_hash_and_name_their_file(har_database, tmp_path):
    """Results of ``cge gtap run`` on two databases were stacked by ``cge compare`` and diffed by
    ``cge diff`` (no database hash); ``cge table``/``plot`` said "not a cge results file" without
    the file's name."""
    other = tmp_path / "other"
    save_database(synthetic_database(3, 3, seed=7), other)
    for name, db in (("a.nc", har_database), ("b.nc", other)):
        result = runner.invoke(app, ["gtap", "run", str(db), "--shock", "tm=10", "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    a, b = str(tmp_path / "a.nc"), str(tmp_path / "b.nc")
    from cge.gtap.database import database_hash

    assert xr.open_dataset(a, engine="h5netcdf").attrs["database_hash"] == database_hash(load_database(har_database))
    result = runner.invoke(app, ["compare", a, b, "--out", str(tmp_path / "c.nc")])
    assert "were solved on different SAMs or databases" in _one_error(result)
    result = runner.invoke(app, ["diff", a, b, "-v", "qgdp"])
    assert "different SAMs or databases" in _one_error(result)
    result = runner.invoke(app, ["table", a])
    assert f"{a} holds one `cge gtap run` solution" in _one_error(result) and "--variable NAME" in result.output
    result = runner.invoke(app, ["plot", a, "--out", str(tmp_path / "p")])
    assert f"{a} holds one `cge gtap run` solution" in _one_error(result)
    assert not (tmp_path / "c.nc").exists() and not (tmp_path / "p").exists()


# ============================================================================ command-line bounds
def test_check_tolerance_and_synthetic_sizes_are_bounded(har_database, tmp_path):
    """``--tol nan`` passed an unbalanced database; ``--tol -1`` failed a balanced one on 168
    cells; ``--regions 4000`` ran out of memory ("use a smaller SAM"); ``--seed -1`` said
    "expected non-negative integer"."""
    for tol in ("nan", "-1"):
        result = runner.invoke(app, ["gtap", "check", str(har_database), "--tol", tol])
        assert "'--tol'" in _one_error(result) and "is not a finite number above 0" in result.output
    result = runner.invoke(app, ["gtap", "synthetic", str(tmp_path / "s"), "--regions", "4000"])
    assert "at most 200 regions, commodities and activities" in _one_error(result) and "regions=4000" in result.output
    result = runner.invoke(app, ["gtap", "synthetic", str(tmp_path / "s"), "--seed", "-1"])
    assert "'--seed'" in _one_error(result)
    with pytest.raises(ValueError, match="at most 200 regions, commodities and activities"):
        synthetic_database(201, 3)
    assert not (tmp_path / "s").exists()


def test_a_har_file_given_for_a_database_names_its_directory(har_database, tmp_path):
    """``--sam db/basedata.har`` said "not a netCDF file: it starts with b'\\x04...'"; a database
    whose file names are upper case (as GEMPACK on Windows writes them) was not recognised."""
    (tmp_path / "t.toml").write_text(_toml())
    args = ["run", str(tmp_path / "t.toml"), "--out", str(tmp_path / "r.nc"), "--sam"]
    result = runner.invoke(app, [*args, str(har_database / "basedata.har")])
    assert f"{har_database}/basedata.har is a file of a GTAP database: give its directory" in _one_error(result)
    upper = tmp_path / "UPPER"
    upper.mkdir()
    for path in har_database.iterdir():
        (upper / path.name.upper()).write_bytes(path.read_bytes())
    result = runner.invoke(app, [*args, str(upper)])
    assert result.exit_code == 0, result.output


def test_a_sam_runs_after_the_from_sam_module_was_imported(hand_sam, hand_elasticities):
    """Once anything imported the module ``cge.gtap.from_sam`` (``cge gtap from-sam`` in the same
    process), ``cge.run(sam=SAM)`` failed with "'module' object is not callable": the package
    attribute of that name was the module from then on, not the function. The module is now
    ``cge.gtap.sam_conversion``."""
    import importlib

    import cge.gtap

    importlib.import_module("cge.gtap.sam_conversion")
    assert callable(cge.gtap.from_sam)
    scenario = Scenario(name="t", tariffs=[{"importer": "A", "exporter": "B", "commodity": "man", "rate_pct": 30}])
    ds = cge_api.run(scenario, sam=hand_sam, elasticities=hand_elasticities)
    assert float(ds["real_gdp_pct"].sel(scenario="t", region="A")) != 0


def test_docs_list_this_audit():
    """docs/bad_inputs.md's section on this audit names every test of this module."""
    text = DOCS.read_text()
    section = text[text.index("## Audit of the GTAP v7 path") :]
    for name in [n for n in globals() if n.startswith("test_") and n != "test_docs_list_this_audit"]:
        assert f"`{name}`" in section, name
