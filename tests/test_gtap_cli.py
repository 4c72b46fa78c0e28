"""``cge gtap ...`` on the command line: check, aggregate, synthetic, from-sam; every bad input is
one ``error:`` line (a failing database: one line per failing identity after the count), exit 1,
and nothing written."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from conftest import hand_elasticity_table
from typer.testing import CliRunner

from cge.cli import app
from cge.examples import two_region_sam
from cge.gtap import load_database, read_har, save_database, synthetic_database, write_har
from cge.gtap.har import encode_har
from cge.sam import save_sam

runner = CliRunner()


def snapshot(directory):
    return {str(p.relative_to(directory)): (p.stat().st_size, p.stat().st_mtime_ns) for p in directory.rglob("*")}


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    directory = tmp_path_factory.mktemp("gtap") / "db"
    save_database(synthetic_database(3, 4, seed=4), directory)
    (directory / "database.nc").unlink()  # the HAR files are what users have
    return directory


def _copy(database, tmp_path, edit=None, header_file="basedata.har"):
    out = tmp_path / "copy"
    out.mkdir()
    for path in database.iterdir():
        (out / path.name).write_bytes(path.read_bytes())
    if edit is not None:
        arrays = dict(read_har(out / header_file))
        edit(arrays)
        (out / header_file).write_bytes(encode_har(arrays))
    return out


def test_check_ok_prints_one_summary_line(database):
    result = runner.invoke(app, ["gtap", "check", str(database)])
    assert result.exit_code == 0, result.output
    assert (
        result.output.strip()
        == "GTAP database OK: 3 REG x 4 COMM x 4 ACTS x 5 ENDW; identities hold within 0.0001 of each flow"
    )


def test_synthetic_aggregate_and_from_sam(tmp_path):
    result = runner.invoke(app, ["gtap", "synthetic", str(tmp_path / "s"), "--regions", "4", "--commodities", "5"])
    assert result.exit_code == 0, result.output
    assert "4 REG x 5 COMM x 5 ACTS x 5 ENDW, seed 0" in result.output
    mapping = tmp_path / "map.csv"
    mapping.write_text("set,from,to\nREG,r00,A\nREG,r01,A\nREG,r02,B\nREG,r03,B\n")
    result = runner.invoke(
        app, ["gtap", "aggregate", str(tmp_path / "s"), "--map", str(mapping), "--out", str(tmp_path / "a")]
    )
    assert result.exit_code == 0, result.output
    assert load_database(tmp_path / "a").sizes["REG"] == 2
    save_sam(two_region_sam(), tmp_path / "sam")
    hand_elasticity_table().to_csv(tmp_path / "el.csv")
    args = ["--sam", str(tmp_path / "sam"), "--elasticities", str(tmp_path / "el.csv")]
    result = runner.invoke(app, ["gtap", "from-sam", str(tmp_path / "f"), *args])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["gtap", "check", str(tmp_path / "f")]).exit_code == 0


def _bump_vdfb(arrays):
    arrays["VDFB"] = arrays["VDFB"] * 1.05


def _nan_save(arrays):
    arrays["SAVE"] = arrays["SAVE"].copy(data=np.array([1234.5, 2.0, 3.0], dtype="f4"))


def _drop_headers(arrays):
    del arrays["VTWR"], arrays["MAKS"]


def _wrong_dims(arrays):
    arrays["VDFB"] = arrays["VDFB"].sum("ACTS")


def _wrong_labels(arrays):
    arrays["SAVE"] = arrays["SAVE"].assign_coords(REG=["r00", "r01", "USA"])


def _no_types(arrays):
    for header in ("ENDM", "ENDS", "ENDF"):
        del arrays[header]


def _no_flags(arrays):
    del arrays["EFLG"]


def _save_as_text(arrays):
    arrays["SAVE"] = xr.DataArray(np.array(["1", "2", "3"]), dims=["SAVE"])


def _negative_esubt(arrays):
    arrays["ESBT"] = arrays["ESBT"] * -1.0


def _append(file: str, payload):
    """An edit that appends the bytes ``payload(db)`` to ``file`` (headers the writer refuses to write)."""

    def edit(db, tmp):
        (db / file).write_bytes((db / file).read_bytes() + payload(db))

    return edit


def _record(data: bytes) -> bytes:
    return struct.pack("<i", len(data)) + data + struct.pack("<i", len(data))


NEGATIVE_RANK = _record(b"XNEG") + _record(b"    RLFULL" + b" " * 70 + struct.pack("<i", -1) + b"\0" * 28)
HUGE = b"".join(
    _record(r)
    for r in (
        b"XHUG",
        b"    RLSPSE" + b" " * 70 + struct.pack("<8i", 7, 50000, 50000, 50000, 1, 1, 1, 1),
        b"    " + struct.pack("<3i", 0, 4, 4) + b" " * 80,
        b"    " + struct.pack("<3i", 1, 0, 0),
    )
)
CMF = "file GTAPDATA = copy/basedata.har;\n"


def _cmf(text: str | bytes):
    def edit(db, tmp):
        data = text if isinstance(text, bytes) else text.encode()
        (tmp / "c.cmf").write_bytes(data)

    return edit


def _stale_target(db, tmp):
    (tmp / "u").mkdir()
    for name in ("sets.har", "basedata.har", "default.prm"):
        (tmp / "u" / name).write_bytes((db / name).read_bytes())
    (tmp / "u" / "baserate.har").write_bytes((db / "sets.har").read_bytes())


FILE_OF = {_no_types: "sets.har", _no_flags: "default.prm", _negative_esubt: "default.prm"}
"""The file an arrays edit changes (default basedata.har)."""
RUN = ["run", "{db}", "--shock", "tm=10", "--out", "{tmp}/r.nc"]


CASES = [
    ("missing_file", lambda db, tmp: (db / "default.prm").unlink(), ["check", "{db}"], ["no default.prm"], 0),
    ("not_a_directory", None, ["check", "{db}/sets.har"], ["sets.har: not a directory"], 0),
    ("unbalanced", _bump_vdfb, ["check", "{db}"], ["fails GTAP's checks (", "problems):"], -1),
    ("missing_headers", _drop_headers, ["check", "{db}"], ["(2 problems)"], 2),
    (
        "wrong_dims",
        _wrong_dims,
        ["check", "{db}"],
        ["header 'VDFB' has dims ('COMM', 'REG')", "expected ('COMM', 'ACTS', 'REG')"],
        0,
    ),
    ("wrong_labels", _wrong_labels, ["check", "{db}"], ["header 'SAVE': REG labels ['r00', 'r01', 'USA'] differ"], 0),
    (
        "truncated",
        lambda db, tmp: (db / "sets.har").write_bytes((db / "sets.har").read_bytes()[:-5]),
        ["check", "{db}"],
        ["sets.har: truncated"],
        0,
    ),
    (
        "unmapped",
        None,
        ["aggregate", "{db}", "--map", "{tmp}/map.csv", "--out", "{tmp}/out"],
        ["2 REG elements are not mapped: ['r01', 'r02']"],
        0,
    ),
    ("out_is_input", None, ["aggregate", "{db}", "--map", "{tmp}/map.csv", "--out", "{db}"], ["would replace it"], 0),
    ("out_is_file", None, ["synthetic", "{db}/sets.har"], ["is a file; give a directory"], 0),
    (
        "long_labels",
        None,
        ["from-sam", "{tmp}/out"],
        ["set COMM: 5 label(s) GEMPACK cannot use as element names", "'motor_vehicles' (14 characters)"],
        0,
    ),
    # the audit of the GTAP v7 path (docs/bad_inputs.md, "Audit of the GTAP v7 path")
    (
        "files_differ_in_case",
        lambda db, tmp: (db / "BASEDATA.HAR").write_bytes((db / "basedata.har").read_bytes()),
        ["check", "{db}"],
        ["BASEDATA.HAR and basedata.har differ only in case"],
        0,
    ),
    (
        "headers_differ_in_case",
        _append("basedata.har", lambda db: encode_har({"save": read_har(db / "basedata.har")["SAVE"]})),
        ["check", "{db}"],
        ["headers 'SAVE' and 'save' differ only in case"],
        0,
    ),
    ("header_of_another_type", _save_as_text, ["check", "{db}"], ["header 'SAVE' is a character array (1C)"], 0),
    ("negative_rank", _append("basedata.har", lambda db: NEGATIVE_RANK), ["check", "{db}"], ["rank -1"], 0),
    (
        "huge_dimensions",
        _append("basedata.har", lambda db: HUGE),
        ["check", "{db}"],
        ["header 'XHUG': dimensions", "declare 125,000,000,000,000 values"],
        0,
    ),
    ("unbalanced_run", _bump_vdfb, RUN, ["fails GTAP's checks (", "problems):"], -1),
    ("negative_elasticity_run", _negative_esubt, RUN, ["fails GTAP's checks (", "is outside 'ge 0'"], -1),
    ("shock_nan", None, [*RUN[:3], "tm=nan", *RUN[4:]], ["shock to tm: nan is not a finite number"], 0),
    ("out_is_a_database_file", None, [*RUN[:5], "{db}/basedata.har"], ["--out {db}/basedata.har is the input"], 0),
    ("tolerance_nan", None, ["check", "{db}", "--tol", "nan"], ["'--tol': nan is not a finite number above 0"], 0),
    (
        "synthetic_too_large",
        None,
        ["synthetic", "{tmp}/s", "--regions", "4000"],
        ["at most 200 regions, commodities and activities", "regions=4000"],
        0,
    ),
    (
        "stale_database_file",
        _stale_target,
        ["synthetic", "{tmp}/u"],
        ["cannot write {tmp}/u: it holds baserate.har of another database"],
        0,
    ),
    (
        "cmf_unknown_variable",
        _cmf(CMF + "exogenous qfoo;\n"),
        ["run", "--cmf", "{tmp}/c.cmf", "--out", "{tmp}/r.nc"],
        ["c.cmf:2: unknown GTAP v7 variable 'qfoo'; did you mean"],
        0,
    ),
    (
        "cmf_nan_shock",
        _cmf(CMF + "shock tm = uniform nan;\n"),
        ["run", "--cmf", "{tmp}/c.cmf", "--out", "{tmp}/r.nc"],
        ["c.cmf:2: 'nan' is not a finite number"],
        0,
    ),
    (
        "cmf_utf16",
        _cmf((CMF + "shock tm = uniform 10;\n").encode("utf-16")),
        ["run", "--cmf", "{tmp}/c.cmf", "--out", "{tmp}/r.nc"],
        ["c.cmf: UTF-16 text"],
        0,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0])
def test_bad_inputs_are_one_line_and_write_nothing(case, database, tmp_path):
    name, edit, args, needles, extra = case
    arrays_edit = edit if edit is not None and edit.__code__.co_argcount == 1 else None
    db = _copy(database, tmp_path, arrays_edit, FILE_OF.get(edit, "basedata.har"))
    if edit is not None and edit.__code__.co_argcount == 2:
        edit(db, tmp_path)
    (tmp_path / "map.csv").write_text("set,from,to\nREG,r00,A\n")
    before = snapshot(tmp_path)
    result = runner.invoke(app, ["gtap", *[a.format(db=db, tmp=tmp_path) for a in args]])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("error: ") and "Traceback" not in result.output
    if extra >= 0:
        assert len(lines) == 1 + extra, result.output
    else:
        count = int(lines[0].split("(")[-1].split()[0])
        assert len(lines) == 1 + count and count >= 2
    for needle in needles:
        needle = needle.format(db=db, tmp=tmp_path)
        assert needle in result.output.replace("\n", " "), f"{needle!r} not in {result.output!r}"
    assert snapshot(tmp_path) == before


def test_docs_list_every_gtap_case():
    """docs/bad_inputs.md's GTAP table names every case above."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "bad_inputs.md").read_text()
    section = text[text.index("## GTAP databases (`cge gtap ...`)") : text.index("## Indicators on GTAP v7 results")]
    for case in CASES:
        assert f"`{case[0]}`" in section, case[0]


def test_nan_in_a_har_file_is_named(database, tmp_path):
    db = _copy(database, tmp_path, _nan_save)
    data = (db / "basedata.har").read_bytes()
    marker = struct.pack("<f", 1234.5)
    (db / "basedata.har").write_bytes(data.replace(marker, struct.pack("<f", float("nan"))))
    result = runner.invoke(app, ["gtap", "check", str(db)])
    assert result.exit_code == 1
    assert "SAVE: 1 NaN/inf values, first at REG=r00" in result.output


def test_endowment_types_that_cannot_be_told(database, tmp_path):
    db = _copy(database, tmp_path, _no_types, "sets.har")
    arrays = dict(read_har(db / "default.prm"))
    _no_flags(arrays)
    (db / "default.prm").write_bytes(encode_har(arrays))
    result = runner.invoke(app, ["gtap", "check", str(db)])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "cannot tell mobile, sluggish and sector-specific endowments apart" in result.output


def test_write_har_of_a_loaded_file_elsewhere(database, tmp_path):
    arrays = read_har(database / "sets.har")
    write_har(tmp_path / "sets.har", arrays)
    assert (tmp_path / "sets.har").read_bytes() == (database / "sets.har").read_bytes()
