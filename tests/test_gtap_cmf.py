"""GEMPACK command files: the statements a GTAP run needs, one-line refusals of the rest, element
and subset selection with "did you mean"; with CGE_GTAP_FIXTURES the two real CMFs."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from gtap_fixtures import ROOT, cmf_files, needs_fixtures

from cge.gtap import CmfError, parse_cmf, read_cmf, select, shock_values, synthetic_database, write_har
from cge.gtap.cmf import Arg, Shock, VarRef

HAND = """! a hand-written CMF exercising every supported statement
Auxiliary files = gtapv7 ;
File GTAPSETS = sets.har ;  file gtapdata = basedata.har;
Updated file GTAPDATA = updated.har ;
Method = Gragg ; Steps = 2 4 6 ;
Automatic accuracy = yes ;  Subintervals = 3 ;
Verbal Description =
two lines of
description ;
Exogenous pop pfactwld
          qo(ENDW, REG)   ! a comment inside a statement
          tms("c00", REG, "r01") ;
Endogenous qo("Land", REG) ;
Rest Endogenous ;
swap qo("Capital", REG) = rore(REG) ;
Shock tm = uniform 10 ;
ashock tms("c00", REG, "r01") = 1 2 3 ;
tshock pop("r02") = -1.5 ;
change to(NMRG, ACTS, "r00") = 2*0.5 3*1 ;
Shock afe(ENDWS, ACTS, REG) = file shocks.har header "AFE" ;
CPU = yes ; NDS = no ; log file = yes ; Extrapolation accuracy file = NO ;
"""


@pytest.fixture(scope="module")
def ds():
    return synthetic_database(3, 5, 4, seed=2)


def test_every_supported_statement():
    spec = parse_cmf(HAND)
    assert spec.auxiliary_files == "gtapv7" and spec.files == {"GTAPSETS": "sets.har", "gtapdata": "basedata.har"}
    assert spec.updated_files == {"GTAPDATA": "updated.har"}
    assert (spec.method, spec.steps, spec.automatic_accuracy, spec.subintervals) == ("Gragg", (2, 4, 6), True, 3)
    assert spec.verbal_description == "two lines of description"
    assert [str(v) for v in spec.exogenous] == ["pop", "pfactwld", "qo(ENDW, REG)", 'tms("c00", REG, "r01")']
    assert [str(v) for v in spec.endogenous] == ['qo("Land", REG)'] and spec.rest == "endogenous"
    assert [(str(a), str(b)) for a, b in spec.swaps] == [('qo("Capital", REG)', "rore(REG)")]
    kinds = [(s.kind, s.var.name, s.uniform, s.values, s.file, s.header) for s in spec.shocks]
    assert kinds == [
        ("shock", "tm", 10.0, None, None, None),
        ("ashock", "tms", None, (1.0, 2.0, 3.0), None, None),
        ("tshock", "pop", None, (-1.5,), None, None),
        ("change", "to", None, (0.5, 0.5, 1.0, 1.0, 1.0), None, None),
        ("shock", "afe", None, None, "shocks.har", "AFE"),
    ]
    assert spec.shocks[1].line == 17
    assert spec.options == {"cpu": "yes", "nds": "no", "log file": "yes", "extrapolation accuracy file": "NO"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("exogenous pop;\nxset newreg (a, b);", r"CMF:2: statement 'xset newreg \(a, b\)' is not supported"),
        ("final_level x = 3;", "CMF:1: statement 'final_level x = 3' is not supported"),
        ("shock tm = select from 1 2;", "select from ...: not supported"),
        ("shock v1 2 4 = 1 2;", "component numbers are not supported"),
        ("shock tm = file tm.shk;", 'only `file F header "H"` is supported'),
        ("shock tm = uniform ten;", "'ten' is not a number"),
        ("steps = 2 four;", "steps = 'four' is not an integer"),
        ("exogenous tm(REG, 'x');", "argument \"'x'\" is neither a set name nor a quoted element"),
        ("exogenous pop", "has no closing ';'"),
        ("swap a b = c;", "one variable on each side"),
    ],
)
def test_unsupported_or_malformed_statements_are_one_line(text, message):
    with pytest.raises(CmfError, match=message) as err:
        parse_cmf(text)
    assert "\n" not in str(err.value)


def test_select_elements_sets_and_subsets(ds):
    mask = select((Arg("ENDWMS", False), Arg("r01", True)), ("ENDW", "REG"), ds)
    assert mask.dims == ("ENDW", "REG") and int(mask.sum()) == 4
    assert list(mask["ENDW"].values[mask.sel(REG="r01").values]) == ["UnSkLab", "SkLab", "Capital", "Land"]
    assert int(select((Arg("NMRG", False),), ("COMM",), ds).sum()) == 3
    assert int(select((Arg("marg", False), Arg("REG", False)), ("COMM", "REG_2"), ds).sum()) == 2 * 3
    assert int(select((), ("MARG", "REG"), ds).sum()) == 2 * 3
    assert int(select((Arg("ENDWC", False),), ("ENDW",), ds).sum()) == 1
    assert select((Arg("R01", True),), ("REG",), ds).sel(REG="r01")  # element names ignore case
    demd = select((Arg("ENDW", False),), ("DEMD",), ds)
    assert int(demd.sum()) == 5 and demd.sizes["DEMD"] == 10


@pytest.mark.parametrize(
    ("args", "dims", "message"),
    [
        ((Arg("ENDWX", False),), ("ENDW",), "unknown set 'ENDWX'; did you mean ENDW"),
        ((Arg("Captial", True),), ("ENDW",), 'element "Captial" is not in ENDW; did you mean Capital'),
        ((Arg("MARG", False),), ("ACTS",), r"set MARG is not a subset of ACTS: \['c03', 'c04'\]"),
        ((Arg("REG", False),), ("COMM", "REG"), "1 arguments"),
    ],
)
def test_select_errors(ds, args, dims, message):
    with pytest.raises(CmfError, match=message):
        select(args, dims, ds)


def test_shock_values(tmp_path, ds):
    spec = parse_cmf(HAND)
    dims = ("COMM", "REG", "REG_2")
    listed = shock_values(spec.shocks[1], dims, ds)  # tms("c00", REG, "r01") = 1 2 3
    np.testing.assert_array_equal(listed.sel(COMM="c00", REG_2="r01").values, [1, 2, 3])
    assert int(np.isnan(listed).sum()) == listed.size - 3
    uniform = shock_values(spec.shocks[0], dims, ds)
    assert bool((uniform == 10).all())
    ordered = parse_cmf('shock to(NMRG, "a00", REG) = 1 2 3 4 5 6 7 8 9;').shocks[0]
    values = shock_values(ordered, ("COMM", "ACTS", "REG"), ds).sel(ACTS="a00", COMM=["c00", "c01", "c02"])
    np.testing.assert_array_equal(values.values, [[1, 4, 7], [2, 5, 8], [3, 6, 9]])  # first index fastest
    with pytest.raises(CmfError, match="12 shocked components and 5 values"):
        shock_values(spec.shocks[3], ("COMM", "ACTS", "REG"), ds)


def test_shock_from_a_har_file(tmp_path, ds):
    spec = parse_cmf(HAND, tmp_path / "run.cmf")
    shocks = xr.DataArray(
        np.arange(60.0).reshape(5, 4, 3),
        dims=("ENDW", "ACTS", "REG"),
        coords={d: ds[d].values for d in ("ENDW", "ACTS", "REG")},
    )
    write_har(tmp_path / "shocks.har", {"AFE": shocks})
    values = shock_values(spec.shocks[4], ("ENDW", "ACTS", "REG"), ds, spec)
    np.testing.assert_array_equal(values.sel(ENDW="Land").values, shocks.sel(ENDW="Land").values)
    assert int(np.isnan(values).sum()) == 4 * 4 * 3


def test_a_shock_without_any_value_is_refused_in_one_line(ds):
    """A Shock made in Python with neither uniform, values nor file (a parsed one always has one)."""
    with pytest.raises(CmfError, match=r"line 7: shock tm has no value, no values and no file"):
        shock_values(Shock("shock", VarRef("tm"), line=7), ("COMM", "REG", "REG_2"), ds)


def test_read_cmf_names_the_file(tmp_path):
    path = tmp_path / "bad.cmf"
    path.write_text("exogenous pop;\n\nsubtotal tm = tariffs;\n")
    with pytest.raises(CmfError, match=r"bad.cmf:3: statement 'subtotal tm = tariffs' is not supported"):
        read_cmf(path)
    with pytest.raises(CmfError, match="cannot read"):
        read_cmf(tmp_path / "missing.cmf")


@needs_fixtures
@pytest.mark.parametrize("path", cmf_files(), ids=lambda p: p.name)
def test_real_cmf_files(path):
    spec = read_cmf(path)
    assert spec.method == "Gragg" and spec.steps == (8, 16, 32) and spec.rest == "endogenous"
    assert len(spec.exogenous) == 42 and spec.exogenous[0] == VarRef("pop")
    assert [(s.kind, s.var.name, s.uniform) for s in spec.shocks] == [("shock", "tm", 10.0)]
    assert all(a.name == "dpsave" and b.name == "del_tbalry" for a, b in spec.swaps)
    name = "9x10" if path.name.startswith("9x10") else "nus333"
    from cge.gtap import load_database

    ds = load_database(ROOT / "datasets" / name)
    for left, _ in spec.swaps:
        assert int(select(left.args, ("REG",), ds).sum()) == 1
