"""Never silently wrong (issue 20 and issue 19's remaining misuses): every input is put in the
schema's form or refused where it enters, hashes come from the data, outputs are regular files,
one line per error, user strings escaped for their output. Each test failed before its fix;
``docs/bad_inputs.md`` (section "The audit of issue 20") lists them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from test_bad_inputs import TARIFF as TARIFF_ROW
from test_bad_inputs import Case, _create, _results, _run, _workdir, snapshot
from typer.testing import CliRunner

import cge
from cge.cli import app
from cge.examples import two_region_sam
from cge.sam import SamError, check_sam, load_sam, sam_hash, save_sam
from cge.scenario import Scenario

VALUES = ("vdfm", "vifm", "vdfd", "vifd", "vfm", "ptax", "vxmd", "xtax", "vims", "savings")
BOUNDS = {"low_pct": -20, "high_pct": 20}
TARIFF = Scenario(name="t", tariffs=[{"importer": "A", "exporter": "B", "commodity": "man", "rate_pct": 30}])


def _transposed(sam: xr.Dataset) -> xr.Dataset:
    """The same SAM with a square and two non-square variables stored in another axis order."""
    return sam.assign(
        vdfm=sam["vdfm"].transpose("activity", "commodity", "region"),
        vfm=sam["vfm"].transpose("region", "activity", "factor"),
        vims=sam["vims"].transpose("importer", "commodity", "exporter"),
    )


def _doubled(sam: xr.Dataset) -> xr.Dataset:
    """Every value doubled (still balanced), the ``sam_hash`` attr of the original kept."""
    out = sam.copy(deep=True)
    for name in VALUES:
        out[name] = out[name] * 2.0
    out.attrs["sam_hash"] = sam_hash(sam)
    return out


def _gdp(ds: xr.Dataset) -> np.ndarray:
    return ds["real_gdp_pct"].sel(scenario="t").transpose("region").values


# ============================================================================ 20.1 dimension order
def test_check_sam_compares_dims_in_order(hand_sam):
    """Audit 20.1: check_sam compared dims as sets, so a transposed vdfm passed with the shipped hash."""
    with pytest.raises(SamError, match=r"'vdfm' has dims \('activity', 'commodity', 'region'\), expected"):
        check_sam(_transposed(hand_sam))
    from cge.sam import conform_sam

    check_sam(conform_sam(_transposed(hand_sam)))


def test_a_transposed_sam_gives_the_same_results_on_every_path(tmp_path, hand_sam, hand_elasticities):
    """Audit 20.1: the model keyed values in the array's own axis order (US real GDP +15.3 % instead of
    -0.04 %). Every way in puts the arrays in the schema order: load_sam, cge.run(sam=Dataset),
    aggregate_sam, save_sam."""
    reference = _gdp(cge.run(TARIFF, sam=hand_sam, elasticities=hand_elasticities))
    bad = _transposed(hand_sam)
    bad.to_netcdf(tmp_path / "t.nc", engine="h5netcdf")
    loaded = load_sam(tmp_path / "t.nc")
    assert all(loaded[v].dims == hand_sam[v].dims for v in VALUES) and sam_hash(loaded) == sam_hash(hand_sam)
    for sam in (bad, tmp_path / "t.nc", cge.aggregate_sam(bad)):
        ds = cge.run(TARIFF, sam=sam, elasticities=hand_elasticities)
        np.testing.assert_allclose(_gdp(ds), reference, rtol=1e-9)
    save_sam(bad, tmp_path / "saved")
    assert load_sam(tmp_path / "saved")["vfm"].dims == ("factor", "activity", "region")


# ============================================================================ 20.2 hashes from the data
def test_runs_in_one_process_use_each_sams_own_data(hand_sam, hand_elasticities):
    """Audit 20.2: ``cge.run(sc, sam=sam1)`` then ``cge.run(sc, sam=sam2)`` reported sam1's levels for
    sam2 (caches keyed by the ``sam_hash`` attr, which an edit with xarray keeps)."""
    doubled = _doubled(hand_sam)
    one = cge.run(TARIFF, sam=hand_sam, elasticities=hand_elasticities)
    two = cge.run(TARIFF, sam=doubled, elasticities=hand_elasticities)
    np.testing.assert_allclose(two["real_gdp"].values, 2 * one["real_gdp"].values, rtol=1e-9)
    assert two.attrs["database_hash"] != one.attrs["database_hash"]


def test_a_stale_hash_attr_is_recomputed_on_load_and_in_check_sam(tmp_path, hand_sam):
    doubled = _doubled(hand_sam)
    doubled.to_netcdf(tmp_path / "d.nc", engine="h5netcdf")
    assert load_sam(tmp_path / "d.nc").attrs["sam_hash"] == sam_hash(doubled) != sam_hash(hand_sam)
    result = CliRunner().invoke(app, ["check-sam", str(tmp_path / "d.nc")])
    assert result.exit_code == 0 and f"hash {sam_hash(doubled)[:12]}" in result.output


def test_results_of_two_sams_with_one_stale_attr_are_not_stacked(tmp_path, hand_sam, hand_elasticities):
    """Audit 20.2: results claimed the edited SAM's old hash, so compare and diff combined them."""
    for name, sam in (("one", hand_sam), ("two", _doubled(hand_sam))):
        scen = Scenario(name=name, tariffs=TARIFF.tariffs)
        ds = cge.run(scen, sam=sam, elasticities=hand_elasticities)
        ds.to_netcdf(tmp_path / f"{name}.nc", engine="h5netcdf")
    result = CliRunner().invoke(
        app, ["compare", str(tmp_path / "one.nc"), str(tmp_path / "two.nc"), "-o", str(tmp_path / "c.nc")]
    )
    assert result.exit_code == 1 and "were solved on different SAMs or databases" in result.output
    result = CliRunner().invoke(app, ["diff", str(tmp_path / "one.nc"), str(tmp_path / "two.nc")])
    assert result.exit_code == 1 and "different SAMs" in result.output


def test_sweeps_in_one_process_use_each_sams_own_data(hand_sam, hand_elasticities):
    """Audit 20.2: a persistent cluster returned the previous SAM's sweep bit for bit (worker caches
    and task keys named by the attr). The in-process scheduler keeps its worker caches between sweeps."""
    from cge.sweep import SSASpec, run_sweep

    spec = SSASpec.from_dict(
        {"method": "quadrature", "parameter": [{"name": "sigma_d", "distribution": "uniform", **BOUNDS}]}
    )
    kw = {"elasticities": hand_elasticities, "scheduler": "inprocess"}
    one = run_sweep([TARIFF], spec, sam=hand_sam, **kw)
    two = run_sweep([TARIFF], spec, sam=_doubled(hand_sam), **kw)
    np.testing.assert_allclose(two["real_gdp"].values, 2 * one["real_gdp"].values, rtol=1e-9)


def test_resume_with_another_sam_is_refused(tmp_path, hand_sam, hand_elasticities, monkeypatch):
    """Audit 20.2: ``--resume --sam other.nc`` accepted another SAM's checkpoint (same attr) and mixed draws."""
    import cge.cli

    save_sam(hand_sam, tmp_path / "sam")
    _doubled(hand_sam).to_netcdf(tmp_path / "other.nc", engine="h5netcdf")
    hand_elasticities.to_csv(tmp_path / "el.csv")
    (tmp_path / "t.toml").write_text('[[tariffs]]\nimporter = "A"\nexporter = "B"\ncommodity = "man"\nrate_pct = 30\n')
    (tmp_path / "ssa.toml").write_text(_ssa("low_pct = -20\nhigh_pct = 20\n")["ssa.toml"])
    args = ["sweep", str(tmp_path / "t.toml"), "--ssa", str(tmp_path / "ssa.toml"), "--scheduler", "inprocess"]
    args += ["--elasticities", str(tmp_path / "el.csv"), "--out", str(tmp_path / "s.nc")]

    def interrupted(ds, out):
        raise KeyboardInterrupt

    monkeypatch.setattr(cge.cli, "_write_netcdf", interrupted)
    result = CliRunner().invoke(app, [*args, "--sam", str(tmp_path / "sam")])
    assert result.exit_code == 130 and "rerun with --resume" in result.output
    monkeypatch.undo()
    result = CliRunner().invoke(app, [*args, "--sam", str(tmp_path / "other.nc"), "--resume"])
    assert result.exit_code == 1 and "belongs to another sweep" in result.output, result.output
    assert not (tmp_path / "s.nc").exists()
    result = CliRunner().invoke(app, [*args, "--sam", str(tmp_path / "sam"), "--resume"])
    assert result.exit_code == 0, result.output
    assert json.loads(xr.open_dataset(tmp_path / "s.nc", engine="h5netcdf").attrs["failed_draws"]) == []


# ============================================================================ the catalogue of issue 20
# Bad inputs of the classes of issue 20 through the real command line: one ``error:`` line naming
# the file, field or label, exit status 1, nothing written (the harness of tests/test_bad_inputs.py).


def _hand_variant(change, name: str = "bad_sam.nc"):
    """A writer of the hand SAM changed by ``change(sam) -> sam`` as ``name`` (netCDF)."""

    def write(d: Path) -> None:
        change(two_region_sam()).to_netcdf(d / name, engine="h5netcdf")

    return write


def _relabel(dim: str, old: str, new: str):
    """Rename a region (also exporter, importer) or a commodity (also activity) label."""
    dims = {"region": ("region", "exporter", "importer"), "commodity": ("commodity", "activity")}[dim]

    def change(sam):
        return sam.assign_coords({d: [new if str(v) == old else str(v) for v in sam[d].values] for d in dims})

    return change


def _goods_as(values):
    return lambda sam: sam.assign_coords(goods=("commodity", np.array(values, dtype=object)))


def _symlink(name: str):
    """``name`` as a symbolic link to a regular file (``real.txt``) of the work directory."""

    def make(d: Path) -> None:
        (d / "real.txt").write_text("a file the link points to\n")
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        (d / name).symlink_to(d / "real.txt")

    return make


def _fifo(name: str):
    def make(d: Path) -> None:
        import os

        os.mkfifo(d / name)

    return make


def _csv_sam_with(write_vdfm):
    """A SAM as tidy CSV files in ``csvsam/`` whose vdfm.csv is written by ``write_vdfm(frame, path)``."""

    def make(d: Path) -> None:
        import pandas as pd

        (d / "csvsam").mkdir()
        for path in (d / "sam").glob("*.csv"):
            (d / "csvsam" / path.name).write_text(path.read_text())
        write_vdfm(pd.read_csv(d / "sam" / "vdfm.csv"), d / "csvsam" / "vdfm.csv")

    return make


def _sweep_results(d: Path) -> None:
    """A sweep results file (quadrature on sigma_d, scenario v) as ``s.nc``."""
    from cge.sweep import SSASpec, run_sweep

    spec = SSASpec.from_dict(
        {"method": "quadrature", "parameter": [{"name": "sigma_d", "distribution": "uniform", **BOUNDS}]}
    )
    scen = Scenario(name="v", tariffs=[{"importer": "A", "exporter": "B", "commodity": "man", "rate_pct": 20}])
    run_sweep([scen], spec, sam=two_region_sam(), elasticities=d / "el.csv", scheduler="inprocess").to_netcdf(
        d / "s.nc", engine="h5netcdf"
    )


def _plain_hdf5(d: Path) -> None:
    import h5py

    with h5py.File(d / "plain.h5", "w") as handle:
        handle["x"] = np.arange(3)


def _results_without_format(d: Path) -> None:
    """A results file as cge 0.2.0 wrote it (no format_version attr)."""
    _results(d)
    ds = xr.load_dataset(d / "r.nc", engine="h5netcdf")
    del ds.attrs["format_version"]
    ds.to_netcdf(d / "old.nc", engine="h5netcdf")


def _results_against(reference: str | None, name: str):
    """Results of scenarios t (30 %) and u (10 %) measured against ``reference``, as ``name``."""

    def write(d: Path) -> None:
        scenarios = [
            Scenario(name=n, tariffs=[{"importer": "A", "exporter": "B", "commodity": "man", "rate_pct": r}])
            for n, r in (("t" if reference else "v", 30), ("u", 10))
        ]
        ds = cge.run(scenarios, sam=two_region_sam(), elasticities=d / "el.csv", reference=reference)
        ds.to_netcdf(d / name, engine="h5netcdf")

    return write


def _ssa(body: str) -> dict:
    return {"ssa.toml": 'method = "quadrature"\n[[parameter]]\nname = "sigma_d"\ndistribution = "uniform"\n' + body}


SWEEP = ("sweep", "{d}/t.toml", "--scheduler", "inprocess", "--sam", "{d}/sam", "--elasticities", "{d}/el.csv")
SWEEP_SSA = (*SWEEP, "--ssa", "{d}/ssa.toml", "--out", "{d}/s.nc")

CASES = [
    # ------------------------------------------------------------------ 20.3 output targets
    Case(
        "out_is_a_symlink",
        "target",
        {"l.nc": _symlink("l.nc")},
        _run("{d}/t.toml", out="{d}/l.nc"),
        ("cannot write {d}/l.nc: it is a symbolic link (to {d}/real.txt)",),
        defect="20.3",
    ),
    Case(
        "out_is_a_fifo",
        "target",
        {"f.nc": _fifo("f.nc")},
        _run("{d}/t.toml", out="{d}/f.nc"),
        ("cannot write {d}/f.nc: it is a named pipe (FIFO), not a regular file",),
        defect="20.3",
    ),
    Case(
        "compare_out_is_a_symlink",
        "target",
        {"r.nc": _results, "c.nc": _symlink("c.nc")},
        ("compare", "{d}/r.nc", "--out", "{d}/c.nc"),
        ("cannot write {d}/c.nc: it is a symbolic link",),
        defect="20.3",
    ),
    Case(
        "table_out_is_a_fifo",
        "target",
        {"r.nc": _results, "t.md": _fifo("t.md")},
        ("table", "{d}/r.nc", "--out", "{d}/t.md"),
        ("cannot write {d}/t.md: it is a named pipe",),
        defect="20.3",
    ),
    Case(
        "diff_out_is_a_symlink",
        "target",
        {"r.nc": _results, "d.md": _symlink("d.md")},
        ("diff", "baseline", "t", "--results", "{d}/r.nc", "--out", "{d}/d.md"),
        ("cannot write {d}/d.md: it is a symbolic link",),
        defect="20.3",
    ),
    Case(
        "sweep_out_is_a_symlink",
        "target",
        {"s.nc": _symlink("s.nc")},
        (*SWEEP, "--out", "{d}/s.nc"),
        ("cannot write {d}/s.nc: it is a symbolic link",),
        defect="20.3",
    ),
    Case(
        "build_sam_out_holds_a_symlink",
        "target",
        {"built/sam.nc": _symlink("built/sam.nc")},
        ("build-sam", "--data-dir", "{d}/nodata", "--out", "{d}/built"),
        ("cannot write {d}/built/sam.nc: it is a symbolic link",),
        defect="20.3",
    ),
    # ------------------------------------------------------------------ 20.6 strict schema: SAM
    Case(
        "sam_goods_not_boolean",
        "SAM",
        {"bad_sam.nc": _hand_variant(_goods_as(["maybe", "False"]))},
        _run("{d}/t.toml", sam="{d}/bad_sam.nc"),
        ("bad_sam.nc", "coordinate 'goods'", "not booleans", "'maybe'"),
        defect="20.6",
    ),
    Case(
        "sam_region_named_all",
        "SAM",
        {"bad_sam.nc": _hand_variant(_relabel("region", "B", "all"))},
        _run("{d}/t.toml", sam="{d}/bad_sam.nc"),
        ("bad_sam.nc", "region' has the label 'all'", "reserved"),
        defect="20.6",
    ),
    Case(
        "sam_commodity_named_goods",
        "SAM",
        {"bad_sam.nc": _hand_variant(_relabel("commodity", "man", "goods"))},
        _run("{d}/t.toml", sam="{d}/bad_sam.nc"),
        ("bad_sam.nc", "commodity' has the label 'goods'", "selector"),
        defect="20.6",
    ),
    Case(
        "sam_region_named_world",
        "SAM",
        {"bad_sam.nc": _hand_variant(_relabel("region", "A", "world"))},
        _run("{d}/t.toml", sam="{d}/bad_sam.nc"),
        ("region' has the label 'world'", "calibration/groups.csv"),
        defect="20.6",
    ),
    Case(
        "sam_label_with_newline",
        "SAM",
        {"bad_sam.nc": _hand_variant(_relabel("region", "B", "B\nC"))},
        _run("{d}/t.toml", sam="{d}/bad_sam.nc"),
        ("region' has the label 'B\\nC'", "control characters"),
        defect="20.6",
    ),
    Case(
        "sam_float32",
        "SAM",
        {"bad_sam.nc": _hand_variant(lambda s: s.assign({v: s[v].astype("float32") for v in VALUES}))},
        _run("{d}/t.toml", sam="{d}/bad_sam.nc"),
        ("bad_sam.nc", "vdfm, vifm", "hold float32 values", "store the SAM as float64"),
        defect="20.9",
    ),
    Case(
        "sam_plain_hdf5",
        "SAM",
        {"plain.h5": _plain_hdf5},
        _run("{d}/t.toml", sam="{d}/plain.h5"),
        ("plain.h5", "not a SAM: none of the schema's variables", "it holds x"),
        defect="20.9",
    ),
    # ------------------------------------------------------------------ 20.6 and 19.5: scenario files
    Case(
        "scenario_name_with_escape",
        "scenario",
        {"b.toml": 'name = "a\\u001b[31m"\n'},
        _run("{d}/b.toml"),
        ("b.toml", "control characters", "\\x1b[31m"),
        defect="20.6",
    ),
    Case(
        "scenario_name_with_nul",
        "scenario",
        {"b.toml": 'name = "a\\u0000b"\n'},
        _run("{d}/b.toml"),
        ("b.toml", "control characters", "\\x00"),
        defect="20.6",
    ),
    Case(
        "description_with_nul",
        "scenario",
        {"b.toml": 'description = "a\\u0000b"\n'},
        _run("{d}/b.toml"),
        ("b.toml", "description", "control characters"),
        defect="20.6",
    ),
    Case(
        "scenario_named_benchmark",
        "scenario",
        {"benchmark.toml": TARIFF_ROW + "rate_pct = 5\n"},
        _run("{d}/benchmark.toml"),
        ("benchmark.toml", "the name 'benchmark' stands for the SAM's own values"),
        defect="20.5",
    ),
    Case(
        "scenario_unknown_key",
        "scenario",
        {"b.toml": TARIFF_ROW + "rate = 25\n"},
        _run("{d}/b.toml"),
        ("field 'tariffs.0.rate'", "valid keys: importer, exporter, commodity, rate_pct", "did you mean 'rate_pct'"),
        defect="19.5",
    ),
    Case(
        "scenario_label_in_another_case",
        "scenario",
        {"b.toml": TARIFF_ROW.replace('"B"', '"b"') + "rate_pct = 5\n"},
        _run("{d}/b.toml"),
        ("tariffs[0].exporter 'b' is not a region of the database", "did you mean 'B'?"),
        defect="19.5",
    ),
    # ------------------------------------------------------------------ 20.6: SSA files and numbers
    Case(
        "ssa_bound_true",
        "SSA",
        _ssa("low_pct = -50\nhigh_pct = true\n"),
        SWEEP_SSA,
        ("field 'parameter[0].high_pct'", "valid number", "True"),
        defect="20.6",
    ),
    Case(
        "ssa_bound_text",
        "SSA",
        _ssa('low_pct = "-50"\nhigh_pct = 50\n'),
        SWEEP_SSA,
        ("field 'parameter[0].low_pct'", "'-50'"),
        defect="20.6",
    ),
    Case(
        "ssa_flag_number",
        "SSA",
        _ssa("low_pct = -50\nhigh_pct = 50\nper_sector = 1\n"),
        SWEEP_SSA,
        ("field 'parameter[0].per_sector'", "valid boolean"),
        defect="20.6",
    ),
    Case(
        "ssa_every_draw_fails",
        "SSA",
        {
            "ssa.toml": 'method = "monte_carlo"\ndraws = 4\n[[parameter]]\nname = "sigma_d"\ndistribution = '
            '"normal"\nstd_pct = 1e300\n'
        },
        SWEEP_SSA,
        ("mean_pct + 3 std_pct = 3e+300 is above 1000 %",),
        defect="20.9",
    ),
    Case(
        "sweep_retries_negative",
        "CLI",
        {},
        (*SWEEP, "--retries", "-1", "--out", "{d}/s.nc"),
        ("'--retries'", "greater than or equal to 0"),
        defect="20.6",
    ),
    Case(
        "sweep_worker_timeout_nan",
        "CLI",
        {},
        (*SWEEP, "--worker-timeout", "nan", "--out", "{d}/s.nc"),
        ("'--worker-timeout'", "nan is not a finite number above 0"),
        defect="20.6",
    ),
    Case(
        "unknown_option",
        "CLI",
        {},
        _run("{d}/t.toml", extra=("--frobnicate",)),
        ("No such option: --frobnicate", "run --help"),
        defect="19.5",
    ),
    Case("missing_argument", "CLI", {}, ("run",), ("Missing argument 'files'",), defect="19.5"),
    # ------------------------------------------------------------------ results files read back
    Case(
        "table_on_a_sam",
        "results",
        {},
        ("table", "{d}/sam/sam.nc"),
        ("{d}/sam/sam.nc is a SAM, not a cge results file",),
        defect="20.9",
    ),
    Case(
        "plot_on_plain_hdf5",
        "results",
        {"plain.h5": _plain_hdf5},
        ("plot", "{d}/plain.h5", "--out", "{d}/pl"),
        ("{d}/plain.h5 is not a cge results file", "no 'scenario' dimension"),
        defect="20.9",
    ),
    Case(
        "table_on_format_1_results",
        "results",
        {"old.nc": _results_without_format},
        ("table", "{d}/old.nc"),
        ("old.nc: written by cge", "before results files had a format version (format 1)", "reads results format 2"),
        defect="19.5",
    ),
    Case(
        "compare_different_references",
        "results",
        {"a.nc": _results_against(None, "a.nc"), "b.nc": _results_against("u", "b.nc")},
        ("compare", "{d}/a.nc", "{d}/b.nc", "--out", "{d}/c.nc"),
        ("a.nc measures changes against the benchmark", "b.nc against scenario 'u'", "not comparable"),
        defect="20.5",
    ),
    Case(
        "diff_different_references",
        "results",
        {"a.nc": _results_against(None, "a.nc"), "b.nc": _results_against("u", "b.nc")},
        ("diff", "{d}/a.nc", "{d}/b.nc", "--scenario", "u"),
        ("against scenario 'u'", "not comparable"),
        defect="20.5",
    ),
    # ------------------------------------------------------------------ found by the hostile audit of issue 20
    Case(
        "elasticities_semicolons",
        "audit",
        {"eu.csv": "sector;sigma_d;sigma_m;sigma_va;sigma_t;sigma_nd\nman;2,5;5;1;0;0\nser;2;4;0,5;0,5;1\n"},
        _run("{d}/t.toml", el="{d}/eu.csv"),
        ("eu.csv", "separated by ';'", "save it with ',' separators"),
        defect="audit",
    ),
    Case(
        "sam_csv_semicolons",
        "audit",
        {"csvsam/": _csv_sam_with(lambda frame, path: frame.to_csv(path, sep=";", index=False))},
        _run("{d}/t.toml", sam="{d}/csvsam"),
        ("csvsam/vdfm.csv: missing column(s)", "separated by ';'"),
        defect="audit",
    ),
    Case(
        "sam_empty_label",
        "audit",
        {"bad_sam.nc": _hand_variant(_relabel("region", "A", ""))},
        _run("{d}/t.toml", sam="{d}/bad_sam.nc"),
        ("region' has the label ''", "not empty"),
        defect="audit",
    ),
    Case(
        "sam_label_with_spaces",
        "audit",
        {"bad_sam.nc": _hand_variant(_relabel("commodity", "man", "man "))},
        _run("{d}/t.toml", sam="{d}/bad_sam.nc"),
        ("commodity' has the label 'man '", "no surrounding spaces"),
        defect="audit",
    ),
    Case(
        "scenario_name_leading_dash",
        "audit",
        {"b.toml": 'name = "-x"\n'},
        _run("{d}/b.toml"),
        ("'-x' starts with '-'", "option"),
        defect="audit",
    ),
    Case(
        "ssa_sectors_one_string",
        "audit",
        _ssa('sectors = "man"\nlow_pct = -20\nhigh_pct = 20\n'),
        SWEEP_SSA,
        ("field 'parameter[0].sectors'", "give 'all' or a list of sector labels, e.g. ['man']"),
        defect="audit",
    ),
    Case(
        "ssa_unknown_sector",
        "audit",
        _ssa('sectors = ["Man"]\nlow_pct = -20\nhigh_pct = 20\n'),
        SWEEP_SSA,
        ("{d}/ssa.toml: field 'parameter[0].sectors'", "['Man'] not in the elasticity table", "did you mean 'man'?"),
        defect="audit",
    ),
    Case(
        "plot_out_is_a_file",
        "audit",
        {"r.nc": _results, "pf": "a file\n"},
        ("plot", "{d}/r.nc", "--out", "{d}/pf"),
        ("cannot write charts into {d}/pf: it is a file, not a directory",),
        defect="audit",
    ),
    Case(
        "plot_later_chart_is_a_symlink",
        "audit",
        {"r.nc": _results, "pl/ev.png": _symlink("pl/ev.png")},
        ("plot", "{d}/r.nc", "--out", "{d}/pl"),
        ("cannot write {d}/pl/ev.png: it is a symbolic link",),
        defect="audit",
    ),
    Case(
        "csv_tables_one_is_a_symlink",
        "audit",
        {"r.nc": _results, "t_welfare.csv": _symlink("t_welfare.csv")},
        ("table", "{d}/r.nc", "--format", "csv", "--out", "{d}/t.csv"),
        ("cannot write {d}/t_welfare.csv: it is a symbolic link",),
        defect="audit",
    ),
    Case(
        "compare_one_file_twice",
        "audit",
        {"r.nc": _results},
        ("compare", "{d}/r.nc", "{d}/r.nc", "--out", "{d}/c.nc"),
        ("{d}/r.nc is given more than once",),
        defect="audit",
    ),
    Case(
        "compare_run_and_sweep",
        "audit",
        {"r.nc": _results, "s.nc": _sweep_results},
        ("compare", "{d}/r.nc", "{d}/s.nc", "--out", "{d}/c.nc"),
        ("{d}/s.nc is a sensitivity analysis", "{d}/r.nc a run without draws", "cannot be stacked"),
        defect="audit",
    ),
    Case(
        "compare_foreign_netcdf",
        "results",
        {"r.nc": _results, "plain.h5": _plain_hdf5},
        ("compare", "{d}/r.nc", "{d}/plain.h5", "--allow-different-sam", "--out", "{d}/c.nc"),
        ("plain.h5 is not a cge results file",),
        defect="20.6",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_issue_20_catalogue(case: Case, tmp_path, hand_sam, hand_elasticities):
    """One ``error:`` line naming the file, field or label; exit 1; nothing written."""
    d = _workdir(tmp_path, hand_sam, hand_elasticities)
    _create(d, case.files)
    before = snapshot(tmp_path)
    result = CliRunner().invoke(app, [a.format(d=d) for a in case.args])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ") and "Traceback" not in result.output
    for needle in case.needles:
        assert needle.format(d=d) in lines[0], f"{needle!r} not in {lines[0]!r}"
    assert snapshot(tmp_path) == before


# ============================================================================ 20.3 targets beyond the catalogue
@pytest.mark.skipif(
    not hasattr(__import__("os"), "geteuid") or __import__("os").geteuid() != 0, reason="mknod needs root"
)
def test_a_device_node_or_dev_null_link_is_never_replaced(tmp_path, hand_sam, hand_elasticities):
    """Audit 20.3: as root, ``--out dev/null`` on a mknod copy turned the device into a 130 kB file,
    and so did a ``/dev/stdout`` symlink; /dev/null itself is refused too."""
    import os
    import stat

    d = _workdir(tmp_path, hand_sam, hand_elasticities)
    os.mknod(d / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    (d / "stdout").symlink_to("/dev/stdout")
    for out, needle in ((d / "null", "a character device"), (d / "stdout", "a symbolic link"), ("/dev/null", "device")):
        result = CliRunner().invoke(app, [a.format(d=d) for a in _run("{d}/t.toml", out=str(out))])
        assert result.exit_code == 1 and needle in result.output, result.output
    assert stat.S_ISCHR(os.lstat(d / "null").st_mode) and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert (d / "stdout").is_symlink()


def test_every_writer_refuses_a_target_that_is_not_a_regular_file(tmp_path, hand_sam):
    """The rule sits in cge/atomic.py, so the API's writers inherit it: netCDF, text, save_sam."""
    from cge.atomic import WriteError, atomic_write
    from cge.ncio import write_netcdf

    (tmp_path / "real.txt").write_text("kept\n")
    (tmp_path / "link.nc").symlink_to(tmp_path / "real.txt")
    with pytest.raises(WriteError, match="link.nc: it is a symbolic link"):
        write_netcdf(hand_sam, tmp_path / "link.nc")
    with pytest.raises(WriteError, match="link.nc: it is a symbolic link"):
        atomic_write(tmp_path / "link.nc", lambda tmp: tmp.write_text("x"))
    (tmp_path / "sam").mkdir()
    (tmp_path / "sam" / "vdfm.csv").symlink_to(tmp_path / "real.txt")
    with pytest.raises(WriteError, match="vdfm.csv: it is a symbolic link"):
        save_sam(hand_sam, tmp_path / "sam")
    assert (tmp_path / "real.txt").read_text() == "kept\n" and sorted(p.name for p in (tmp_path / "sam").iterdir()) == [
        "vdfm.csv"
    ]


def test_default_outputs_never_replace_a_file(tmp_path, hand_sam, hand_elasticities, monkeypatch):
    """Issue 19.5: ``cge run`` without --out overwrote results.nc; ``cge build-sam`` wrote into the
    shipped sam/ by default. A default name is used only when nothing is there; --out replaces."""
    d = _workdir(tmp_path, hand_sam, hand_elasticities)
    monkeypatch.chdir(d)
    args = ["run", "t.toml", "--sam", "sam", "--elasticities", "el.csv"]
    assert CliRunner().invoke(app, args).exit_code == 0 and Path("results.nc").is_file()
    before = Path("results.nc").read_bytes()
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "results.nc exists and no --out was given" in result.output
    assert Path("results.nc").read_bytes() == before
    assert CliRunner().invoke(app, [*args, "--out", "results.nc"]).exit_code == 0
    Path("sweep.nc").write_text("previous")
    result = CliRunner().invoke(app, ["sweep", "t.toml", "--scheduler", "inprocess", "--sam", "sam"])
    assert result.exit_code == 1 and "sweep.nc exists and no --out was given" in result.output
    result = CliRunner().invoke(app, ["build-sam", "--data-dir", "nodata"])
    assert result.exit_code == 1 and "Missing option '--out'" in result.output


# ============================================================================ 20.6 strict schema beyond the catalogue
def test_boolean_flags_stored_as_text_are_read_as_booleans(tmp_path, hand_sam, hand_elasticities):
    """Audit 20.6: ``goods = 'True'/'False'`` stored as text made every commodity a good (NumPy reads
    the text 'False' as True), so a default 'goods' tariff also taxed services."""
    scen = Scenario(name="t", tariffs=[{"importer": "all", "exporter": "all", "rate_pct": 20}])
    reference = cge.run(scen, sam=hand_sam, elasticities=hand_elasticities)
    text = hand_sam.assign_coords(
        goods=("commodity", np.array(["True", "False"], dtype=object)),
        agrifood=("commodity", np.array(["false", "0"], dtype=object)),
    )
    text.to_netcdf(tmp_path / "text.nc", engine="h5netcdf")
    assert load_sam(tmp_path / "text.nc")["goods"].values.tolist() == [True, False]
    for sam in (text, tmp_path / "text.nc"):
        ds = cge.run(scen, sam=sam, elasticities=hand_elasticities)
        np.testing.assert_allclose(_gdp(ds), _gdp(reference), rtol=1e-12)
    save_sam(hand_sam, tmp_path / "csv")
    (tmp_path / "csv" / "sam.nc").unlink()
    coords = (tmp_path / "csv" / "coords.csv").read_text().replace("man,,True", "man,,yes")
    (tmp_path / "csv" / "coords.csv").write_text(coords)
    with pytest.raises(SamError, match=r"coords.csv: column 'goods' has 1 values that are not booleans.*'yes'"):
        load_sam(tmp_path / "csv")


def test_api_inputs_follow_the_same_schema(hand_sam):
    from cge.sweep import run_sweep

    with pytest.raises(cge.scenario.ScenarioError, match="control characters"):
        Scenario(name="a\nb")
    with pytest.raises(SamError, match="hold float32 values"):
        check_sam(hand_sam.assign(vdfm=hand_sam["vdfm"].astype("float32")))
    with pytest.raises(ValueError, match="retries = -1: must be a whole number >= 0"):
        run_sweep([TARIFF], None, sam=hand_sam, retries=-1)
    with pytest.raises(ValueError, match="worker_timeout = nan"):
        run_sweep([TARIFF], None, sam=hand_sam, worker_timeout=float("nan"))


# ============================================================================ 20.9 one line
def test_a_solver_failure_is_one_line_without_warnings(tmp_path, hand_sam, hand_elasticities):
    """Audit 20.9: a ``WARNING cge.runner: scenario ... did not solve`` line came before the ``error:``
    line, and NumPy RuntimeWarnings (overflow) were printed. The real command, in a process."""
    from processes import cge as cge_process

    d = _workdir(tmp_path, hand_sam, hand_elasticities)
    (d / "n.toml").write_text("numeraire_change_pct = 1e308\n")
    proc = cge_process(*_run(f"{d}/n.toml", sam=f"{d}/sam", el=f"{d}/el.csv", out=f"{d}/n.nc"))
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    [line] = lines
    assert line.startswith("error: 1 of 2 scenarios did not solve (n: ") and not (d / "n.nc").exists()


def test_a_failed_draw_on_a_local_cluster_is_one_line(tmp_path, hand_sam, hand_elasticities):
    """Worker processes print to the user's terminal: NumPy's RuntimeWarning and the worker's own
    log line came before the ``error:`` line (found after the fix of the single-process case)."""
    from processes import cge as cge_process

    d = _workdir(tmp_path, hand_sam, hand_elasticities)
    (d / "n.toml").write_text("numeraire_change_pct = 1e308\n")
    args = ("sweep", f"{d}/n.toml", "--workers", "1", "--sam", f"{d}/sam", "--elasticities", f"{d}/el.csv")
    proc = cge_process(*args, "--out", f"{d}/s.nc")
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    [line] = lines
    assert line.startswith("error: 1 solves failed (n: GtapSolveError: no solution") and not (d / "s.nc").exists()


def test_a_toml_file_with_a_byte_order_mark_is_read(tmp_path, hand_sam, hand_elasticities):
    """Audit 20.9: a UTF-8 BOM (Windows editors) gave 'Invalid statement (at line 1, column 1)'."""
    d = _workdir(tmp_path, hand_sam, hand_elasticities)
    (d / "bom.toml").write_bytes(b"\xef\xbb\xbf" + (d / "t.toml").read_bytes())
    assert Scenario.from_toml(d / "bom.toml") == Scenario.from_toml(d / "t.toml").model_copy(update={"name": "bom"})


def test_diff_of_a_file_with_itself_works(tmp_path, hand_sam, hand_elasticities):
    """Audit 20.9: ``cge diff r.nc r.nc`` was 'internal error InvalidIndexError'."""
    d = _workdir(tmp_path, hand_sam, hand_elasticities)
    _results(d)
    result = CliRunner().invoke(app, ["diff", str(d / "r.nc"), str(d / "r.nc")])
    assert result.exit_code == 0, result.output
    assert "r.nc) vs t (" in result.output and "0.000" in result.output, result.output


def test_results_with_transposed_variables_read_the_same(tmp_path, hand_sam, hand_elasticities):
    """Audit 20.1 for results: a file whose arrays another tool transposed is put in the declared order."""
    from cge.results_file import read_results

    d = _workdir(tmp_path, hand_sam, hand_elasticities)
    _results(d)
    ds = xr.load_dataset(d / "r.nc", engine="h5netcdf")
    ds.assign(real_gdp_pct=ds["real_gdp_pct"].transpose("region", "scenario")).to_netcdf(d / "tr.nc", engine="h5netcdf")
    assert read_results(d / "tr.nc")["real_gdp_pct"].dims == ("scenario", "region")
    tables = [CliRunner().invoke(app, ["table", str(d / name), "-t", "headline"]).output for name in ("r.nc", "tr.nc")]
    assert tables[0].replace("r.nc", "") == tables[1].replace("tr.nc", "") and "real" in tables[0]


# ============================================================================ 19.5 format version
def test_results_carry_their_format_version_and_a_newer_file_is_named(tmp_path, hand_sam, hand_elasticities):
    from cge.results_file import RESULTS_FORMAT, ResultsFileError, read_results

    ds = cge.run(TARIFF, sam=hand_sam, elasticities=hand_elasticities)
    assert ds.attrs["format_version"] == RESULTS_FORMAT
    ds.attrs["format_version"] = RESULTS_FORMAT + 1
    ds.to_netcdf(tmp_path / "new.nc", engine="h5netcdf")
    with pytest.raises(ResultsFileError, match=f"new.nc: results format {RESULTS_FORMAT + 1} .*upgrade cge"):
        read_results(tmp_path / "new.nc")


# ============================================================================ 19.5 save_sam, aggregate_elasticities
def test_save_sam_round_trips_the_shipped_and_an_aggregated_sam(tmp_path):
    """Issue 19.5: ``save_sam(cge.load_sam(), dir)`` crashed (int64 base year is not JSON serialisable)."""
    shipped = load_sam()
    sectors = {
        str(c): ("goods_sector" if g else "service_sector")
        for c, g in zip(shipped.commodity.values, shipped.goods.values)
    }
    sectors = {c: ("agrifood_sector" if a else sectors[c]) for c, a in zip(sectors, shipped.agrifood.values)}
    for name, sam in (("shipped", shipped), ("small", cge.aggregate_sam(shipped, sector_map=sectors))):
        save_sam(sam, tmp_path / name)
        again = load_sam(tmp_path / name)
        assert sam_hash(again) == sam_hash(sam) and again.attrs["base_year"] == shipped.attrs["base_year"]


def test_aggregate_elasticities_weights_each_sigma_by_its_flow(hand_sam, hand_elasticities):
    """Issue 19.5: ``cge.aggregate_elasticities`` beside ``aggregate_sam``, flow-weighted as GTAPAgg."""
    from cge.aggregate import elasticity_weights

    one = cge.aggregate_elasticities(hand_elasticities, hand_sam, {"man": "all_sectors", "ser": "all_sectors"})
    weights = elasticity_weights(hand_sam)
    assert list(one.index) == ["all_sectors"]
    for name in hand_elasticities.columns:
        w = weights[name]
        expected = float((hand_elasticities[name] * w).sum() / w.sum())
        assert one.loc["all_sectors", name] == pytest.approx(expected, rel=1e-12)
    assert weights.loc["man", "sigma_m"] == pytest.approx(float(hand_sam["vims"].sel(commodity="man").sum()))
    assert weights.loc["ser", "sigma_va"] == pytest.approx(float(hand_sam["vfm"].sel(activity="ser").sum()))
    same = cge.aggregate_elasticities(hand_elasticities, hand_sam, {"man": "man", "ser": "ser"})
    np.testing.assert_allclose(same.values, hand_elasticities.values)
    flat = hand_sam.assign_coords(goods=("commodity", [False, False]))  # sectors of one kind may merge
    small = cge.aggregate_sam(flat, sector_map={"man": "all_sectors", "ser": "all_sectors"})
    ds = cge.run(Scenario(name="x", numeraire_change_pct=10), sam=small, elasticities=one)
    assert float(ds["max_residual"].max()) < 1e-9


# ============================================================================ 19.5 command line
def test_help_shows_plain_value_types_and_v_means_variable(tmp_path):
    """Issue 19.5: help showed ``<bool>`` and ``<list[Path]>``; ``-v`` was verbose globally but
    variable in subcommands (now --verbose only; -v is --variable)."""
    for command in ([], ["run"], ["compare"], ["table"], ["plot"], ["diff"], ["sweep"], ["check-sam"], ["build-sam"]):
        result = CliRunner().invoke(app, [*command, "--help"])
        assert result.exit_code == 0 and not re.search(r"<(bool|str|int|float|path|list)", result.output), result.output
    assert "PATH" in CliRunner().invoke(app, ["run", "--help"]).output
    result = CliRunner().invoke(app, ["-v", "table", "r.nc"])
    assert result.exit_code == 1 and result.output.startswith("error: No such option: -v")


# ============================================================================ 20.11 escaping
def _results_named(d: Path, name: str) -> Path:
    """A results file whose shocked scenario is called ``name`` (as another tool or version could write)."""
    _results(d)
    ds = xr.load_dataset(d / "r.nc", engine="h5netcdf")
    ds.assign_coords(scenario=["baseline", name]).to_netcdf(d / "named.nc", engine="h5netcdf")
    return d / "named.nc"


def test_user_strings_never_act_in_their_output(tmp_path, hand_sam, hand_elasticities):
    """Audit 20.11: a name starting with '=' became an Excel formula; ANSI sequences reached the
    terminal; Rich markup and emoji codes were rendered, also inside ``error:`` lines."""
    from openpyxl import load_workbook

    d = _workdir(tmp_path, hand_sam, hand_elasticities)
    formula = '=HYPERLINK("http://x","y")'
    named = _results_named(d, formula)
    result = CliRunner().invoke(app, ["table", str(named), "-t", "headline", "-f", "xlsx", "-o", str(d / "t.xlsx")])
    assert result.exit_code == 0, result.output
    cells = [c for row in load_workbook(d / "t.xlsx").active.iter_rows() for c in row if c.value == formula]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)
    ansi = _results_named(d, "red\x1b[31mX")
    result = CliRunner().invoke(app, ["table", str(ansi), "-t", "headline"])
    assert result.exit_code == 0 and "\x1b" not in result.output and "red\\x1b[31mX" in result.output
    (d / "m.toml").write_text('name = "[bold]x :thumbs_up:"\n' + TARIFF_ROW + "rate_pct = 5\n")
    result = CliRunner().invoke(app, _run(f"{d}/m.toml", sam=f"{d}/sam", el=f"{d}/el.csv", out=f"{d}/m.nc"))
    assert result.exit_code == 0 and "[bold]x :thumbs_up:" in " ".join(result.output.split()), result.output
    (d / "e.toml").write_text(TARIFF_ROW.replace('"B"', '"[red]Z :x:"') + "rate_pct = 5\n")
    result = CliRunner().invoke(app, _run(f"{d}/e.toml", sam=f"{d}/sam", el=f"{d}/el.csv", out=f"{d}/e.nc"))
    assert result.exit_code == 1 and "'[red]Z :x:' is not a region of the database" in result.output


def test_escape_functions():
    from cge.escaping import escape_html, escape_rich, escape_terminal

    assert escape_terminal("a\x1b[2J\x00\u202eb\n") == "a\\x1b[2J\\x00\\u202eb\\n"
    assert escape_terminal("a\nb\tc", keep="\n\t") == "a\nb\tc"
    assert escape_rich("[red]x\x07") == "\\[red]x\\x07"
    assert escape_html("<script>\"&'") == "&lt;script&gt;&quot;&amp;&#x27;"


def test_docs_list_every_issue_20_case():
    """docs/bad_inputs.md documents this catalogue: every case by name, and the count."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "bad_inputs.md").read_text()
    section = text[text.index("## The audit of issue 20") :]
    for case in CASES:
        assert f"`{case.name}`" in section, case.name
    assert f"**{len(CASES)} cases of issue 20, all on the command line; all {len(CASES)} write nothing.**" in section
    for name in [n for n in globals() if n.startswith("test_") and n != "test_docs_list_every_issue_20_case"]:
        if name != "test_issue_20_catalogue":
            assert f"`{name}`" in section, name


def test_other_tools_types_in_inputs_read_as_meant(tmp_path, hand_sam, hand_elasticities):
    """Found by the hostile audit: labels stored as byte strings (|S1) read as "b'A'" and matched no
    scenario row; an elasticity CSV of whole numbers (int64) broke every sweep draw with
    "Invalid value '[1.77 1.77]' for dtype 'int64'"."""
    from cge.sweep import SSASpec, run_sweep

    labels = {k: np.array([b"A", b"B"], dtype="S1") for k in ("region", "exporter", "importer")}
    hand_sam.assign_coords(labels).to_netcdf(tmp_path / "bytes.nc", engine="h5netcdf")
    ds = cge.run(TARIFF, sam=tmp_path / "bytes.nc", elasticities=hand_elasticities)
    assert list(ds["region"].values) == ["A", "B"]
    whole = hand_elasticities.astype(float).round().astype("int64")
    spec = SSASpec.from_dict(
        {"method": "quadrature", "parameter": [{"name": "sigma_d", "distribution": "uniform", **BOUNDS}]}
    )
    sweep = run_sweep([TARIFF], spec, sam=hand_sam, elasticities=whole, scheduler="inprocess")
    assert sweep.attrs["n_failed"] == 0 and float(sweep["max_residual"].max()) < 1e-9


def test_readme_aggregation_example_runs(tmp_path, monkeypatch):
    """The README's second Python block (aggregate, aggregate_elasticities, save, run) runs as written."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = re.findall(r"```python\n(.*?)```", text, flags=re.S)[1]
    shipped = load_sam()
    kinds = zip(shipped.commodity.values, shipped.goods.values, shipped.agrifood.values)
    rows = [f"{c},{'agrifood' if a else 'merchandise' if g else 'service'}" for c, g, a in kinds]
    (tmp_path / "my_sectors.csv").write_text("source,target\n" + "\n".join(rows) + "\n")
    monkeypatch.chdir(tmp_path)
    scenarios = [Scenario(name="t", tariffs=[{"importer": "USA", "exporter": "MEX", "rate_pct": 25}])]
    namespace = {"cge": cge, "scenarios": scenarios}
    exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own documentation
    assert list(namespace["ds"]["commodity"].values) == ["agrifood", "merchandise", "service"]
    assert sam_hash(load_sam(tmp_path / "my_sam")) == sam_hash(namespace["small"])
    assert float(namespace["ds"]["real_gdp_pct"].sel(scenario="t", region="USA")) < 0


def test_a_sweep_worker_process_prints_nothing_to_the_terminal():
    """What a worker writes to stderr (a library's warning on a loaded machine) would come beside
    the sweep's one ``error:`` line: the LocalCluster's preload sends it to /dev/null."""
    import subprocess
    import sys

    from cge.sweep.execute import QUIET_WORKER

    code = (
        f"import sys, warnings, importlib; importlib.import_module({QUIET_WORKER!r}).dask_setup(None); "
        "print('to stderr', file=sys.stderr, flush=True); warnings.warn('a warning'); print('to stdout')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert (done.stdout, done.stderr) == ("to stdout\n", "")
