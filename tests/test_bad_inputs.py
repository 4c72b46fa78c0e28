"""Bad inputs raise clear errors that name the field, label or account; the catalogue of bad inputs
(docs/bad_inputs.md) checks one line, exit status 1 and nothing written for each."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

import cge
from cge.calibrate import CalibrationError, check_elasticities
from cge.cli import app
from cge.examples import two_region_sam
from cge.ncio import netcdf_bytes
from cge.runner import BatchSolveError
from cge.sam import SamError, save_sam
from cge.scenario import Scenario, ScenarioError
from cge.sweep import run_many


def test_unknown_region_in_scenario(hand_sam, hand_elasticities):
    scen = Scenario(name="x", tariffs=[{"importer": "USA", "exporter": "B", "rate_pct": 10}])
    with pytest.raises(ScenarioError, match=r"tariffs\[0\].importer 'USA' is not a region of the database"):
        cge.run(scen, sam=hand_sam, elasticities=hand_elasticities)


def test_unknown_commodity_in_scenario(hand_sam, hand_elasticities):
    scen = Scenario(name="x", trade_costs=[{"importer": "A", "exporter": "B", "commodity": "steel", "change_pct": 5}])
    with pytest.raises(ScenarioError, match=r"trade_costs\[0\].commodity 'steel' is not a commodity of the database"):
        cge.run(scen, sam=hand_sam, elasticities=hand_elasticities)


def test_tariff_on_zero_flow(hand_sam, hand_elasticities):
    scen = Scenario(name="x", tariffs=[{"importer": "A", "exporter": "B", "commodity": "ser", "rate_pct": 10}])
    with pytest.raises(ScenarioError, match="ser from B to A: this flow is zero in the database"):
        cge.run(scen, sam=hand_sam, elasticities=hand_elasticities)


def test_scenario_field_errors(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[[tariffs]]\nimporter = "A"\nexporter = "B"\nrate_pct = -5\n')
    with pytest.raises(ScenarioError, match=r"bad.toml: .*field 'tariffs.0.rate_pct'.*got -5"):
        Scenario.from_toml(path)
    path.write_text('colour = "red"\n')
    with pytest.raises(ScenarioError, match="field 'colour': Extra inputs are not permitted"):
        Scenario.from_toml(path)
    path.write_text('[[tariffs]]\nimporter = "A"\nexporter = "B"\nrate_pct = 5\nchange_pct = 1\n')
    with pytest.raises(ScenarioError, match="exactly one of rate_pct or change_pct"):
        Scenario.from_toml(path)
    with pytest.raises(ScenarioError, match="no such scenario file"):
        Scenario.from_toml(tmp_path / "missing.toml")


def test_scenario_toml_round_trip(tmp_path):
    path = tmp_path / "tariff_war.toml"
    path.write_text(
        'description = "test"\nnumeraire_change_pct = 0\n[closure]\nlabour = "fixed_real_wage"\n'
        '[[tariffs]]\nimporter = "A"\nexporter = "all"\ncommodity = "man"\nchange_pct = 25\n'
    )
    scen = Scenario.from_toml(path)
    assert scen.name == "tariff_war"
    assert scen.closure.labour == "fixed_real_wage"
    assert scen.tariffs[0].change_pct == 25


def test_duplicate_scenario_names(hand_sam, hand_elasticities):
    with pytest.raises(ScenarioError, match="repeated"):
        cge.run([Scenario(name="a"), Scenario(name="a")], sam=hand_sam, elasticities=hand_elasticities)


def test_missing_elasticity(hand_sam, hand_elasticities):
    with pytest.raises(CalibrationError, match=r"missing elasticities for sectors \['ser'\]"):
        check_elasticities(hand_sam, hand_elasticities.drop(index="ser"))
    with pytest.raises(CalibrationError, match=r"lacks columns \['sigma_m'\]"):
        check_elasticities(hand_sam, hand_elasticities.drop(columns="sigma_m"))
    bad = hand_elasticities.copy()
    bad.loc["man", "sigma_va"] = -1
    with pytest.raises(CalibrationError, match=r"sigma_va\[man\] = -1"):
        check_elasticities(hand_sam, bad)


def test_unbalanced_sam_rejected_by_run(hand_sam, hand_elasticities):
    sam = hand_sam.copy(deep=True)
    sam["savings"].loc[dict(region="A")] += 2.0
    with pytest.raises(cge.sam.SamError, match=r"regional household \[region=A\]: receipts - payments = -2"):
        cge.run(Scenario(name="b"), sam=sam, elasticities=hand_elasticities)


# ==================================================================================================
# The bad-input catalogue (issue 12): every case is one line on stderr, exit status 1, and writes
# nothing. The table in docs/bad_inputs.md lists the same cases.

TARIFF = '[[tariffs]]\nimporter = "A"\nexporter = "B"\ncommodity = "man"\n'
"""A tariff row on the hand SAM's one traded good (B's manufactures into A); add the rate."""


def _sam_variant(change) -> Callable[[Path], None]:
    """A writer of the hand SAM changed by ``change(sam) -> sam`` as ``bad_sam.nc``."""

    def write(d: Path) -> None:
        change(two_region_sam()).to_netcdf(d / "bad_sam.nc", engine="h5netcdf")

    return write


def _unbalanced(sam):
    sam["savings"] += 1.0
    return sam


def _with_nan(sam):
    sam["vdfm"][0, 0, 0] = np.nan
    return sam


def _negative(sam):
    sam["vfm"].loc[dict(factor="cap", activity="ser", region="B")] = -4.0
    return sam


def _wrong_dims(sam):
    return sam.assign(vdfm=sam["vdfm"].rename({"activity": "sector"}))


def _labels_differ(sam):
    return sam.assign_coords(exporter=["A", "C"])


def _zero_output(sam):
    for var in ("vdfm", "vdfd"):  # nobody buys B's services, but B's service activity keeps its inputs
        sam[var].loc[{"commodity": "ser", "region": "B"}] = 0.0
    return sam


def _no_employment(sam):
    sam["employment"][:] = 0.0  # before: every scenario solved, then ZeroDivisionError in the jobs indicator
    return sam


def _text_values(sam):
    return sam.assign(savings=sam["savings"].astype(str))


def _truncated(d: Path) -> None:
    (d / "bad_sam.nc").write_bytes((d / "sam" / "sam.nc").read_bytes()[:3000])


def _csv_sam(drop: str | None = None, relabel: bool = False) -> Callable[[Path], None]:
    def write(d: Path) -> None:
        target = d / "csvsam"
        target.mkdir()
        for path in (d / "sam").glob("*.csv"):
            (target / path.name).write_text(path.read_text())
        frame = pd.read_csv(target / "vdfm.csv")
        if drop:
            frame = frame.drop(columns=drop)
        if relabel:
            frame.loc[0, "region"] = "Z"
        frame.to_csv(target / "vdfm.csv", index=False)

    return write


def _elasticity_file(change) -> Callable[[Path], None]:
    def write(d: Path) -> None:
        change(pd.read_csv(d / "el.csv")).to_csv(d / "bad_el.csv", index=False)

    return write


def _set(frame, row: int, col: str, value):
    frame[col] = frame[col].astype(object)
    frame.loc[row, col] = value
    return frame


SOURCE_STUBS = (
    "wiod2013/wiot2011_intermediate.csv.gz",
    "wiod2013/wiot2011_final.csv.gz",
    "wiod2013/wiot2011_output.csv",
    "wiod2013/industries.csv",
    "employment/wiod2016_sea_usa.csv",
    "employment/ilo_employment_broad_sectors.csv",
    "macro/pwt100_labsh_emp_2005_2019.csv",
    "macro/controls.csv",
)


def _mapping(sectors: str | None, regions: str | None = "wiod_region,region\nUSA,USA\n") -> Callable[[Path], None]:
    """Empty stand-ins for the raw sources (the build reads the mapping files first) and mapping files."""

    def write(d: Path) -> None:
        for rel in SOURCE_STUBS:
            (d / "data" / rel).parent.mkdir(parents=True, exist_ok=True)
            (d / "data" / rel).write_text("")
        (d / "maps").mkdir()
        if sectors is not None:
            (d / "maps" / "sectors_wiod35.csv").write_text(sectors)
        if regions is not None:
            (d / "maps" / "regions_wiod41.csv").write_text(regions)

    return write


_RESULTS: dict[str, bytes] = {}


def _results(d: Path) -> None:
    """A results file of the hand SAM (solved once per test session)."""
    if "nc" not in _RESULTS:
        ds = cge.run(
            Scenario(name="t", tariffs=[{"importer": "A", "exporter": "B", "rate_pct": 30}]),
            sam=two_region_sam(),
            elasticities=d / "el.csv",
        )
        _RESULTS["nc"] = bytes(netcdf_bytes(ds))
    (d / "r.nc").write_bytes(_RESULTS["nc"])


def _results_truncated(d: Path) -> None:
    _results(d)
    (d / "r.nc").write_bytes((d / "r.nc").read_bytes()[:5000])


def _run(*files: str, sam: str = "{d}/sam", el: str = "{d}/el.csv", out: str = "{d}/out.nc", extra=()) -> tuple:
    return ("run", *files, "--sam", sam, "--elasticities", el, "--out", out, *extra)


@dataclass(frozen=True)
class Case:
    """One bad input: files to create in the work directory, the command, what the line must say.

    ``{d}`` in ``args`` and ``needles`` is the work directory. ``accounts`` counts the lines after
    the first (a SAM error lists one failing account per line).
    """

    name: str
    kind: str
    files: dict = field(default_factory=dict)
    args: tuple = ()
    needles: tuple = ()
    accounts: int = 0
    defect: str = ""


GOOD_SECTORS = "wiod_code,sector,goods,agrifood\nc1,agri,True,True\n"
CASES = [
    # ------------------------------------------------------------------ scenario files
    Case("scenario_missing", "scenario", {}, _run("{d}/nope.toml"), ("{d}/nope.toml: no such scenario file",)),
    Case(
        "scenario_is_directory",
        "scenario",
        {"adir/": None},
        _run("{d}/adir"),
        ("{d}/adir: is a directory",),
        defect="7",
    ),
    Case(
        "scenario_not_utf8",
        "scenario",
        {"latin.toml": b"description = '\xe9t\xe9'\n"},
        _run("{d}/latin.toml"),
        ("latin.toml: not UTF-8", "0xe9", "offset 15"),
        defect="7",
    ),
    Case(
        "scenario_bad_toml",
        "scenario",
        {"b.toml": "tariffs = [\n"},
        _run("{d}/b.toml"),
        ("b.toml: invalid TOML", "at end of document"),
    ),
    Case(
        "scenario_unknown_field",
        "scenario",
        {"b.toml": 'colour = "red"\n'},
        _run("{d}/b.toml"),
        ("b.toml", "field 'colour'", "red"),
    ),
    Case(
        "rate_negative",
        "scenario",
        {"b.toml": TARIFF + "rate_pct = -5\n"},
        _run("{d}/b.toml"),
        ("field 'tariffs.0.rate_pct'", "-5"),
    ),
    Case(
        "rate_boolean",
        "scenario",
        {"b.toml": TARIFF + "rate_pct = true\n"},
        _run("{d}/b.toml"),
        ("field 'tariffs.0.rate_pct'", "valid number", "True"),
        defect="6",
    ),
    Case(
        "change_nan",
        "scenario",
        {"b.toml": TARIFF + "change_pct = nan\n"},
        _run("{d}/b.toml"),
        ("field 'tariffs.0.change_pct'", "finite", "nan"),
        defect="6",
    ),
    Case(
        "rate_inf",
        "scenario",
        {"b.toml": TARIFF + "rate_pct = inf\n"},
        _run("{d}/b.toml"),
        ("field 'tariffs.0.rate_pct'", "finite", "inf"),
        defect="6",
    ),
    Case(
        "rate_text",
        "scenario",
        {"b.toml": TARIFF + 'rate_pct = "25"\n'},
        _run("{d}/b.toml"),
        ("field 'tariffs.0.rate_pct'", "'25'"),
    ),
    Case(
        "trade_cost_inf",
        "scenario",
        {"b.toml": '[[trade_costs]]\nimporter = "A"\nexporter = "B"\nchange_pct = inf\n'},
        _run("{d}/b.toml"),
        ("field 'trade_costs.0.change_pct'", "inf"),
        defect="6",
    ),
    Case(
        "numeraire_inf",
        "scenario",
        {"b.toml": "numeraire_change_pct = inf\n"},
        _run("{d}/b.toml"),
        ("field 'numeraire_change_pct'", "inf"),
        defect="6",
    ),
    Case(
        "numeraire_minus_100",
        "scenario",
        {"b.toml": "numeraire_change_pct = -100\n"},
        _run("{d}/b.toml"),
        ("field 'numeraire_change_pct'", "-100"),
    ),
    Case(
        "rate_and_change",
        "scenario",
        {"b.toml": TARIFF + "rate_pct = 5\nchange_pct = 1\n"},
        _run("{d}/b.toml"),
        ("tariffs.0", "A<-B man", "exactly one of rate_pct or change_pct"),
    ),
    Case("tariffs_not_a_list", "scenario", {"b.toml": "tariffs = 5\n"}, _run("{d}/b.toml"), ("field 'tariffs'", "5")),
    Case(
        "closure_unknown",
        "scenario",
        {"b.toml": '[closure]\nlabour = "flexible"\n'},
        _run("{d}/b.toml"),
        ("field 'closure.labour'", "flexible"),
    ),
    Case("name_with_slash", "scenario", {"b.toml": 'name = "a/b"\n'}, _run("{d}/b.toml"), ("'a/b'", "'/'")),
    Case(
        "unknown_region",
        "scenario",
        {"b.toml": TARIFF.replace('"A"', '"ZZZ"') + "rate_pct = 5\n"},
        _run("{d}/b.toml"),
        ("scenario 'b'", "tariffs[0].importer 'ZZZ' is not a region of the database", "['A', 'B']"),
    ),
    Case(
        "unknown_commodity",
        "scenario",
        {"b.toml": TARIFF.replace('"man"', '"steel"') + "rate_pct = 5\n"},
        _run("{d}/b.toml"),
        ("tariffs[0].commodity 'steel' is not a commodity of the database",),
    ),
    Case(
        "tariff_on_zero_flow",
        "scenario",
        {"b.toml": TARIFF.replace('"man"', '"ser"') + "rate_pct = 5\n"},
        _run("{d}/b.toml"),
        ("tariffs[0] on ser from B to A: this flow is zero in the database",),
    ),
    Case(
        "change_makes_rate_negative",
        "scenario",
        {"b.toml": TARIFF + "change_pct = -50\n"},
        _run("{d}/b.toml"),
        ("tariffs[0] makes the tariff on man from B to A negative",),
    ),
    Case(
        "tariff_on_itself",
        "scenario",
        {"b.toml": TARIFF.replace('"B"', '"A"') + "rate_pct = 5\n"},
        _run("{d}/b.toml"),
        ("tariffs.0", "tariff row A<-A", "same region"),
        defect="6",
    ),
    Case(
        "export_tax_on_itself",
        "scenario",
        {"b.toml": '[[export_taxes]]\nimporter = "B"\nexporter = "B"\nrate_pct = 5\n'},
        _run("{d}/b.toml"),
        ("export_taxes.0", "export tax row B<-B", "same region"),
    ),
    Case(
        "mfn_reversion_on_itself",
        "scenario",
        {"b.toml": '[[revert_to_mfn]]\nimporter = "A"\nexporter = "A"\n'},
        _run("{d}/b.toml"),
        ("revert_to_mfn.0", "revert_to_mfn row A<-A", "same region"),
        defect="6",
    ),
    Case(
        "trade_cost_on_itself",
        "scenario",
        {"b.toml": '[[trade_costs]]\nimporter = "A"\nexporter = "A"\nchange_pct = 2\n'},
        _run("{d}/b.toml"),
        ("trade_costs.0", "trade_costs row A<-A", "same region"),
    ),
    Case(
        "mfn_without_schedule",
        "scenario",
        {"b.toml": '[[revert_to_mfn]]\nimporter = "A"\nexporter = "B"\n'},
        _run("{d}/b.toml"),
        ("revert_to_mfn[0] needs the database's mfn_rate satellite",),
    ),
    Case(
        "shocked_baseline",
        "scenario",
        {"baseline.toml": TARIFF + "rate_pct = 30\n"},
        _run("{d}/baseline.toml"),
        ("baseline.toml", "'baseline' is reserved for the unshocked run", "1 shock(s)"),
        defect="2",
    ),
    Case(
        "duplicate_names",
        "scenario",
        {"a.toml": 'name = "x"\n', "b.toml": 'name = "x"\n'},
        _run("{d}/a.toml", "{d}/b.toml"),
        ("scenario names must be unique", "['x']"),
    ),
    # ------------------------------------------------------------------ SAM files
    Case("sam_missing", "SAM", {}, _run("{d}/t.toml", sam="{d}/nosam.nc"), ("no SAM at {d}/nosam.nc",)),
    Case(
        "sam_directory_without_sam",
        "SAM",
        {"empty/": None},
        _run("{d}/t.toml", sam="{d}/empty"),
        ("no SAM at {d}/empty/sam.nc",),
    ),
    Case(
        "sam_truncated",
        "SAM",
        {"bad_sam.nc": _truncated},
        _run("{d}/t.toml", sam="{d}/bad_sam.nc"),
        ("bad_sam.nc: cannot read as a netCDF SAM file", "truncated: 3,000 of"),
        defect="7",
    ),
    Case(
        "sam_empty_file",
        "SAM",
        {"bad_sam.nc": b""},
        _run("{d}/t.toml", sam="{d}/bad_sam.nc"),
        ("bad_sam.nc: empty file (0 bytes)",),
        defect="7",
    ),
    Case(
        "sam_not_netcdf",
        "SAM",
        {"bad_sam.nc": "# A README\n\ntext\n"},
        _run("{d}/t.toml", sam="{d}/bad_sam.nc"),
        ("bad_sam.nc", "not a netCDF file", "# A READ"),
        defect="7",
    ),
    Case(
        "check_sam_on_readme",
        "SAM",
        {"README.md": "# cge\n"},
        ("check-sam", "{d}/README.md"),
        ("README.md", "not a netCDF file"),
        defect="7",
    ),
    Case(
        "sam_csv_file",
        "SAM",
        {},
        _run("{d}/t.toml", sam="{d}/sam/vdfm.csv"),
        ("sam/vdfm.csv: a CSV file is not a SAM",),
        defect="7",
    ),
    Case(
        "sam_wrong_dims",
        "SAM",
        {"bad_sam.nc": _sam_variant(_wrong_dims)},
        _run("{d}/t.toml", sam="{d}/bad_sam.nc"),
        ("bad_sam.nc: SAM schema violation", "'vdfm' has dims ('commodity', 'sector', 'region')"),
    ),
    Case(
        "sam_labels_differ",
        "SAM",
        {"bad_sam.nc": _sam_variant(_labels_differ)},
        _run("{d}/t.toml", sam="{d}/bad_sam.nc"),
        ("coordinate 'exporter' ['A', 'C'] differs from region ['A', 'B']",),
    ),
    Case(
        "sam_zero_output_activity",
        "SAM",
        {"bad_sam.nc": _sam_variant(_zero_output)},
        ("check-sam", "{d}/bad_sam.nc"),
        ("bad_sam.nc: SAM does not balance (5 accounts):",),
        accounts=5,  # among them: "activity [activity=ser, region=B]: inputs of 55 US$ million but no sales"
    ),
    Case(
        "sam_unbalanced",
        "SAM",
        {"bad_sam.nc": _sam_variant(_unbalanced)},
        _run("{d}/t.toml", sam="{d}/bad_sam.nc"),
        ("bad_sam.nc: SAM does not balance (3 accounts):",),
        accounts=3,
        defect="5",
    ),
    Case(
        "sam_nan",
        "SAM",
        {"bad_sam.nc": _sam_variant(_with_nan)},
        _run("{d}/t.toml", sam="{d}/bad_sam.nc"),
        ("bad_sam.nc: SAM has invalid values", "'vdfm' has 1 NaN/inf values", "commodity=man, activity=man, region=A"),
    ),
    Case(
        "sam_negative",
        "SAM",
        {"bad_sam.nc": _sam_variant(_negative)},
        _run("{d}/t.toml", sam="{d}/bad_sam.nc"),
        ("'vfm' [factor=cap, activity=ser, region=B] is negative: -4",),
    ),
    Case(
        "sam_zero_employment",
        "SAM",
        {"bad_sam.nc": _sam_variant(_no_employment)},
        ("check-sam", "{d}/bad_sam.nc"),
        ("bad_sam.nc: SAM has invalid values (2 problems):",),
        accounts=2,  # "'employment' [region=A] is 0 persons for 70 US$ million of labour payments; ..."
        defect="7",
    ),
    Case(
        "sam_text_values",
        "SAM",
        {"bad_sam.nc": _sam_variant(_text_values)},
        _run("{d}/t.toml", sam="{d}/bad_sam.nc"),
        ("variable 'savings' holds", "not numbers"),
    ),
    Case(
        "sam_csv_missing_column",
        "SAM",
        {"csvsam/": _csv_sam(drop="value")},
        _run("{d}/t.toml", sam="{d}/csvsam"),
        ("csvsam/vdfm.csv: missing column(s) ['value']",),
    ),
    Case(
        "sam_csv_unknown_label",
        "SAM",
        {"csvsam/": _csv_sam(relabel=True)},
        _run("{d}/t.toml", sam="{d}/csvsam"),
        ("csvsam/vdfm.csv: column 'region' has 1 labels not in coords.csv: ['Z']",),
    ),
    # ------------------------------------------------------------------ elasticity tables
    Case(
        "elasticities_missing_file",
        "elasticities",
        {},
        _run("{d}/t.toml", el="{d}/none.csv"),
        ("no elasticity table at {d}/none.csv",),
    ),
    Case(
        "elasticities_missing_sector",
        "elasticities",
        {"bad_el.csv": _elasticity_file(lambda f: f.iloc[:1])},
        _run("{d}/t.toml", el="{d}/bad_el.csv"),
        ("bad_el.csv", "missing elasticities for sectors ['ser']"),
    ),
    Case(
        "elasticities_negative",
        "elasticities",
        {"bad_el.csv": _elasticity_file(lambda f: _set(f, 0, "sigma_va", -1))},
        _run("{d}/t.toml", el="{d}/bad_el.csv"),
        ("bad_el.csv", "sigma_va[man] = -1"),
    ),
    Case(
        "elasticities_nan",
        "elasticities",
        {"bad_el.csv": _elasticity_file(lambda f: _set(f, 1, "sigma_m", None))},
        _run("{d}/t.toml", el="{d}/bad_el.csv"),
        ("bad_el.csv", "sigma_m[ser] = nan"),
    ),
    Case(
        "elasticities_text",
        "elasticities",
        {"bad_el.csv": _elasticity_file(lambda f: _set(f, 0, "sigma_d", "high"))},
        _run("{d}/t.toml", el="{d}/bad_el.csv"),
        ("bad_el.csv", "'sigma_d' has 1 values that are not numbers", "'high'", "'man'"),
        defect="7",
    ),
    Case(
        "elasticities_duplicate_sector",
        "elasticities",
        {"bad_el.csv": _elasticity_file(lambda f: pd.concat([f, f.iloc[:1]]))},
        _run("{d}/t.toml", el="{d}/bad_el.csv"),
        ("bad_el.csv lists sectors ['man'] more than once",),
        defect="7",
    ),
    Case(
        "elasticities_missing_column",
        "elasticities",
        {"bad_el.csv": _elasticity_file(lambda f: f.drop(columns="sigma_m"))},
        _run("{d}/t.toml", el="{d}/bad_el.csv"),
        ("bad_el.csv", "lacks columns ['sigma_m']"),
    ),
    Case(
        "elasticities_no_sector_column",
        "elasticities",
        {"bad_el.csv": _elasticity_file(lambda f: f.rename(columns={"sector": "name"}))},
        _run("{d}/t.toml", el="{d}/bad_el.csv"),
        ("bad_el.csv has no 'sector' column",),
    ),
    Case(
        "elasticities_binary",
        "elasticities",
        {"bad_el.csv": b"\x89HDF\r\n\x1a\n\xff\xfe"},
        _run("{d}/t.toml", el="{d}/bad_el.csv"),
        ("bad_el.csv: cannot read as CSV",),
    ),
    # ------------------------------------------------------------------ mapping files (build-sam)
    Case(
        "mapping_missing_column",
        "mapping",
        {"maps/": _mapping("wiod_code,sector,goods\nc1,agri,True\n")},
        ("build-sam", "--data-dir", "{d}/data", "--mapping-dir", "{d}/maps", "--out", "{d}/built"),
        ("maps/sectors_wiod35.csv: missing column(s) ['agrifood']",),
    ),
    Case(
        "mapping_duplicate_code",
        "mapping",
        {"maps/": _mapping(GOOD_SECTORS + "c1,food,True,True\n")},
        ("build-sam", "--data-dir", "{d}/data", "--mapping-dir", "{d}/maps", "--out", "{d}/built"),
        ("sectors_wiod35.csv: wiod_code ['c1'] appear more than once",),
    ),
    Case(
        "mapping_not_boolean",
        "mapping",
        {"maps/": _mapping("wiod_code,sector,goods,agrifood\nc1,agri,maybe,True\n")},
        ("build-sam", "--data-dir", "{d}/data", "--mapping-dir", "{d}/maps", "--out", "{d}/built"),
        ("sectors_wiod35.csv: column 'goods' row 2 is not a boolean: 'maybe'",),
    ),
    Case(
        "mapping_missing_file",
        "mapping",
        {"maps/": _mapping(GOOD_SECTORS, regions=None)},
        ("build-sam", "--data-dir", "{d}/data", "--mapping-dir", "{d}/maps", "--out", "{d}/built"),
        ("regions_wiod41.csv: file not found",),
    ),
    # ------------------------------------------------------------------ command-line misuse
    Case(
        "out_is_the_scenario",
        "CLI",
        {},
        _run("{d}/t.toml", out="{d}/t.toml"),
        ("--out {d}/t.toml is the input {d}/t.toml",),
        defect="1",
    ),
    Case(
        "out_is_the_sam",
        "CLI",
        {},
        _run("{d}/t.toml", out="{d}/sam/sam.nc"),
        ("is the input {d}/sam/sam.nc",),
        defect="1",
    ),
    Case(
        "out_is_the_elasticities",
        "CLI",
        {},
        _run("{d}/t.toml", out="{d}/el.csv"),
        ("is the input {d}/el.csv",),
        defect="1",
    ),
    Case(
        "out_in_unwritable_place",
        "CLI",
        {},
        _run("{d}/t.toml", out="{d}/t.toml/r.nc"),
        ("cannot write {d}/t.toml/r.nc: {d}/t.toml is a file, not a directory",),
        defect="8",
    ),
    Case(
        "out_is_a_directory",
        "CLI",
        {"adir/": None},
        _run("{d}/t.toml", out="{d}/adir"),
        ("cannot write {d}/adir: it is a directory",),
    ),
    Case("detail_unknown", "CLI", {}, _run("{d}/t.toml", extra=("--detail", "most")), ("detail = 'most'",)),
    Case(
        "run_baseline_unknown",
        "CLI",
        {},
        _run("{d}/t.toml", extra=("--baseline", "nope")),
        ("reference scenario 'nope' is not among the scenarios: baseline, t",),
    ),
    Case(
        "table_baseline_unknown",
        "CLI",
        {"r.nc": _results},
        ("table", "{d}/r.nc", "--baseline", "nope"),
        ("reference scenario 'nope'",),
        defect="6",
    ),
    Case(
        "table_on_truncated_results",
        "CLI",
        {"r.nc": _results_truncated},
        ("table", "{d}/r.nc"),
        ("r.nc: cannot read as a netCDF results file", "truncated"),
        defect="7",
    ),
    Case(
        "table_out_is_results",
        "CLI",
        {"r.nc": _results},
        ("table", "{d}/r.nc", "--out", "{d}/r.nc"),
        ("is the input {d}/r.nc",),
        defect="1",
    ),
    Case(
        "compare_out_is_input",
        "CLI",
        {"r.nc": _results},
        ("compare", "{d}/r.nc", "--out", "{d}/r.nc"),
        ("is the input {d}/r.nc",),
        defect="1",
    ),
    Case(
        "sweep_zero_workers",
        "CLI",
        {},
        (
            "sweep",
            "{d}/t.toml",
            "--workers",
            "0",
            "--sam",
            "{d}/sam",
            "--elasticities",
            "{d}/el.csv",
            "--out",
            "{d}/out.nc",
        ),
        ("--workers 0: a sweep needs at least one worker",),
        defect="7",
    ),
    Case(
        "sweep_bad_scheduler",
        "CLI",
        {},
        (
            "sweep",
            "{d}/t.toml",
            "--scheduler",
            "tcp://127.0.0.1:1",
            "--sam",
            "{d}/sam",
            "--elasticities",
            "{d}/el.csv",
            "--out",
            "{d}/out.nc",
        ),
        ("cannot reach the Dask scheduler at tcp://127.0.0.1:1",),
        defect="7",
    ),
    Case(
        "sweep_bad_scenario",
        "CLI",
        {"b.toml": TARIFF.replace('"A"', '"ZZZ"') + "rate_pct = 5\n"},
        ("sweep", "{d}/b.toml", "--sam", "{d}/sam", "--elasticities", "{d}/el.csv", "--out", "{d}/out.nc"),
        ("scenario 'b'", "tariffs[0].importer 'ZZZ' is not a region of the database"),
    ),
    Case(
        "sweep_ssa_missing",
        "CLI",
        {},
        ("sweep", "{d}/t.toml", "--ssa", "{d}/none.toml", "--sam", "{d}/sam", "--out", "{d}/out.nc"),
        ("none.toml: no such SSA file",),
    ),
]


def _workdir(tmp_path: Path, hand_sam, hand_elasticities) -> Path:
    d = tmp_path / "work"
    save_sam(hand_sam, d / "sam")
    hand_elasticities.to_csv(d / "el.csv")
    (d / "t.toml").write_text(TARIFF + "rate_pct = 30\n")
    return d


def _create(d: Path, files: dict) -> None:
    for name, content in files.items():
        if name.endswith("/") and content is None:
            (d / name).mkdir()
        elif callable(content):
            content(d)
        elif isinstance(content, bytes):
            (d / name).write_bytes(content)
        else:
            (d / name).write_text(content)


def snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``directory`` with its size and modification time, and every directory."""
    return {
        str(p.relative_to(directory)): (p.stat().st_size, p.stat().st_mtime_ns) if p.is_file() else (0, 0)
        for p in directory.rglob("*")
    }


def test_catalogue_has_at_least_40_cases_with_unique_names():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)) and len(CASES) + len(API_CASES) >= 40
    assert {c.kind for c in CASES} == {"scenario", "SAM", "elasticities", "mapping", "CLI"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input_catalogue(case: Case, tmp_path, hand_sam, hand_elasticities):
    """One ``error:`` line naming the file/field/account and the size of the problem, exit 1,
    and nothing written: no output, no temporary file, every input unchanged."""
    d = _workdir(tmp_path, hand_sam, hand_elasticities)
    _create(d, case.files)
    before = snapshot(tmp_path)
    result = CliRunner().invoke(app, [a.format(d=d) for a in case.args])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 + case.accounts, result.output
    assert lines[0].startswith("error: ") and "Traceback" not in result.output
    for needle in case.needles:
        assert needle.format(d=d) in lines[0], f"{needle!r} not in {lines[0]!r}"
    assert snapshot(tmp_path) == before


API_CASES = [
    ("run_no_scenarios", lambda sam, el: cge.run([], sam=sam, elasticities=el), ScenarioError, ("no scenarios given",)),
    (
        "run_unknown_option",
        lambda sam, el: cge.run(Scenario(name="x"), sam=sam, elasticities=el, tolerance=1),
        TypeError,
        ("unknown option(s) tolerance",),
    ),
    (
        "run_bad_detail",
        lambda sam, el: cge.run(Scenario(name="x"), sam=sam, elasticities=el, detail="most"),
        ValueError,
        ("detail = 'most'",),
    ),
    (
        "scenario_shocked_baseline",
        lambda sam, el: Scenario(name="baseline", numeraire_change_pct=10),
        ScenarioError,
        ("scenario 'baseline'", "reserved for the unshocked run", "1 shock(s)"),
    ),
    (
        "scenario_boolean_rate",
        lambda sam, el: Scenario(name="x", tariffs=[{"importer": "A", "exporter": "B", "rate_pct": True}]),
        ScenarioError,
        ("field 'tariffs.0.rate_pct'", "True"),
    ),
    (
        "scenario_self_tariff",
        lambda sam, el: Scenario(name="x", tariffs=[{"importer": "B", "exporter": "B", "rate_pct": 5}]),
        ScenarioError,
        ("tariff row B<-B", "same region"),
    ),
    (
        "run_duplicate_elasticity_sectors",
        lambda sam, el: cge.run(Scenario(name="x"), sam=sam, elasticities=pd.concat([el, el.iloc[:1]])),
        CalibrationError,
        ("sectors ['man'] more than once",),
    ),
    (
        "run_many_zero_workers",
        lambda sam, el: run_many([Scenario(name="x")], sam=sam, elasticities=el, n_workers=0),
        ValueError,
        ("--workers 0",),
    ),
    (
        "goods_default_on_a_sam_without_goods",
        lambda sam, el: cge.run(
            Scenario(name="x", tariffs=[{"importer": "A", "exporter": "B", "rate_pct": 5}]),
            sam=sam.assign_coords(goods=("commodity", [False, False])),
            elasticities=el,
        ),
        ScenarioError,
        ("tariffs[0].commodity 'goods'", "the group selects no commodity of the database"),
    ),
    ("load_sam_text_file", lambda sam, el: cge.load_sam(Path(__file__)), SamError, ("not a netCDF file",)),
]


@pytest.mark.parametrize(("name", "call", "error", "needles"), API_CASES, ids=[c[0] for c in API_CASES])
def test_api_misuse_is_one_line(name, call, error, needles, hand_sam, hand_elasticities):
    with pytest.raises(error) as info:
        call(hand_sam, hand_elasticities)
    message = str(info.value)
    assert len(message.strip().splitlines()) == 1, message
    for needle in needles:
        assert needle in message, message


# ==================================================================================================
# Audit defects (issue 12) beyond the catalogue: each test failed before its fix.


def _failing_above(threshold_pct: float):
    """A GTAP v7 solve that fails when a shock exceeds ``threshold_pct`` (percent change of a power)."""
    from cge.gtap import simulate
    from cge.gtap.simulate import GtapSolveError

    original = simulate.solve

    def solve(prepared, shocks=None, **options):
        largest = max((float(np.max(np.abs(np.asarray(v)))) for v in (shocks or {}).values()), default=0.0)
        if largest > threshold_pct:
            raise GtapSolveError("no solution: forced for the test")
        return original(prepared, shocks, **options)

    return solve


def test_batch_keeps_the_solved_scenarios_and_names_the_failed(tmp_path, hand_sam, hand_elasticities, monkeypatch):
    """Audit defect 4: one unsolvable scenario threw away every other result without naming itself."""
    d = _workdir(tmp_path, hand_sam, hand_elasticities)
    for rate in (30, 90):
        (d / f"t{rate}.toml").write_text(TARIFF + f"rate_pct = {rate}\n")
    from cge.gtap import simulate

    monkeypatch.setattr(simulate, "solve", _failing_above(50.0))  # what the runner's solves call
    args = _run("{d}/t30.toml", "{d}/t90.toml")
    result = CliRunner().invoke(app, [a.format(d=d) for a in args])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "1 of 3 scenarios did not solve (t90: no solution: forced for the test)" in lines[0]
    assert "solved: baseline, t30" in lines[0] and "--allow-partial" in lines[0]
    assert not (d / "out.nc").exists()
    result = CliRunner().invoke(app, [a.format(d=d) for a in args] + ["--allow-partial"])
    assert result.exit_code == 0, result.output
    assert "not solved: t90: no solution: forced for the test" in result.output
    with xr.open_dataset(d / "out.nc", engine="h5netcdf") as ds:
        assert list(ds.scenario.values) == ["baseline", "t30"]
        assert json.loads(ds.attrs["failed_scenarios"])[0]["scenario"] == "t90"
    with pytest.raises(BatchSolveError) as info:  # the API raises, with the solved ones attached
        cge.run(
            [Scenario.from_toml(d / "t30.toml"), Scenario.from_toml(d / "t90.toml")],
            sam=hand_sam,
            elasticities=hand_elasticities,
        )
    assert list(info.value.failures) == ["t90"] and list(info.value.partial.scenario.values) == ["baseline", "t30"]


def test_output_location_is_checked_before_solving(tmp_path, hand_sam, hand_elasticities, monkeypatch):
    """Audit defect 8: an unwritable --out was found only after the whole solve."""
    d = _workdir(tmp_path, hand_sam, hand_elasticities)

    def must_not_solve(*args, **kwargs):
        raise AssertionError("solved before checking the output")

    monkeypatch.setattr(cge, "run", must_not_solve)
    result = CliRunner().invoke(app, [a.format(d=d) for a in _run("{d}/t.toml", out="{d}/t.toml/r.nc")])
    assert result.exit_code == 1 and "cannot write" in result.output and "AssertionError" not in result.output


def _results_with_baseline(d: Path, hand_sam, hand_elasticities, shocked: bool) -> Path:
    """A results file whose 'baseline' is the unshocked run, or (as the old code allowed) a shocked one."""
    scen = Scenario(name="t", tariffs=[{"importer": "A", "exporter": "B", "rate_pct": 30 if shocked else 60}])
    ds = cge.run(scen, sam=hand_sam, elasticities=hand_elasticities)
    if shocked:  # the file an old version wrote for a shocked scenario named 'baseline'
        ds = ds.sel(scenario=["t"]).assign_coords(scenario=["baseline"])
    path = d / f"{'shocked' if shocked else 'plain'}.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    return path


def test_compare_refuses_a_shocked_baseline_and_keeps_one_real_one(tmp_path, hand_sam, hand_elasticities):
    """Audit defect 2: ``cge compare`` deduplicated baselines on the SAM hash only and kept a shocked one."""
    plain = _results_with_baseline(tmp_path, hand_sam, hand_elasticities, shocked=False)
    shocked = _results_with_baseline(tmp_path, hand_sam, hand_elasticities, shocked=True)
    result = CliRunner().invoke(app, ["compare", str(shocked), str(plain), "--out", str(tmp_path / "c.nc")])
    assert result.exit_code == 1
    assert "shocked.nc: its scenario 'baseline' has shocks (1)" in result.output
    assert not (tmp_path / "c.nc").exists()
    again = tmp_path / "again.nc"
    again.write_bytes(plain.read_bytes())
    result = CliRunner().invoke(app, ["compare", str(plain), str(again), "--out", str(tmp_path / "c.nc")])
    assert result.exit_code == 1 and "scenario name 't' appears in both" in result.output  # not the baseline


def test_docs_list_every_catalogue_case():
    """docs/bad_inputs.md documents the catalogue: every case by name, and the counts."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "bad_inputs.md").read_text()
    for name in [c.name for c in CASES] + [c[0] for c in API_CASES]:
        assert f"`{name}`" in text, name
    total = len(CASES) + len(API_CASES)
    assert f"**{total} cases: {len(CASES)} on the command line, {len(API_CASES)} through the API" in text
