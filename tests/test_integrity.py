"""Never silently wrong (issue 20 and issue 19's remaining misuses): every input is put in the
schema's form or refused where it enters, hashes come from the data, outputs are regular files,
one line per error, user strings escaped for their output. Each test failed before its fix;
``docs/bad_inputs.md`` (section "The audit of issue 20") lists them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

import cge
from cge.calibrate import calibrate
from cge.cli import app
from cge.examples import two_region_sam
from cge.sam import SamError, check_sam, conform_sam, load_sam, sam_hash, save_sam
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
    check_sam(conform_sam(_transposed(hand_sam)))


def test_a_transposed_sam_gives_the_same_results_on_every_path(tmp_path, hand_sam, hand_elasticities):
    """Audit 20.1: the model keyed values in the array's own axis order (US real GDP +15.3 % instead of
    -0.04 %). Every way in puts the arrays in the schema order: load_sam, cge.run(sam=Dataset),
    aggregate_sam, calibrate."""
    reference = _gdp(cge.run(TARIFF, sam=hand_sam, elasticities=hand_elasticities, welfare_steps=0))
    bad = _transposed(hand_sam)
    bad.to_netcdf(tmp_path / "t.nc", engine="h5netcdf")
    loaded = load_sam(tmp_path / "t.nc")
    assert all(loaded[v].dims == hand_sam[v].dims for v in VALUES) and sam_hash(loaded) == sam_hash(hand_sam)
    for sam in (bad, tmp_path / "t.nc", cge.aggregate_sam(bad)):
        ds = cge.run(TARIFF, sam=sam, elasticities=hand_elasticities, welfare_steps=0)
        np.testing.assert_allclose(_gdp(ds), reference, rtol=1e-9)
    cal = calibrate(bad, hand_elasticities)
    assert cal["vdfm"].dims == ("commodity", "activity", "region")
    save_sam(bad, tmp_path / "saved")
    assert load_sam(tmp_path / "saved")["vfm"].dims == ("factor", "activity", "region")


# ============================================================================ 20.2 hashes from the data
def test_runs_in_one_process_use_each_sams_own_data(hand_sam, hand_elasticities):
    """Audit 20.2: ``cge.run(sc, sam=sam1)`` then ``cge.run(sc, sam=sam2)`` reported sam1's levels for
    sam2 (caches keyed by the ``sam_hash`` attr, which an edit with xarray keeps)."""
    doubled = _doubled(hand_sam)
    one = cge.run(TARIFF, sam=hand_sam, elasticities=hand_elasticities, welfare_steps=0)
    two = cge.run(TARIFF, sam=doubled, elasticities=hand_elasticities, welfare_steps=0)
    np.testing.assert_allclose(two["real_gdp"].values, 2 * one["real_gdp"].values, rtol=1e-9)
    assert two.attrs["sam_hash"] == sam_hash(doubled) != one.attrs["sam_hash"] == sam_hash(hand_sam)
    assert calibrate(doubled, hand_elasticities).sam_hash == sam_hash(doubled)


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
        ds = cge.run(scen, sam=sam, elasticities=hand_elasticities, welfare_steps=0)
        ds.to_netcdf(tmp_path / f"{name}.nc", engine="h5netcdf")
    result = CliRunner().invoke(app, ["compare", str(tmp_path / "one.nc"), str(tmp_path / "two.nc"), "-o", "c.nc"])
    assert result.exit_code == 1 and "were solved on different SAMs" in result.output
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
    (tmp_path / "ssa.toml").write_text(
        'method = "quadrature"\n[[parameter]]\nname = "sigma_d"\ndistribution = "uniform"\nlow_pct = -20\nhigh_pct = 20\n'
    )
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
from test_bad_inputs import TARIFF as TARIFF_ROW  # noqa: E402
from test_bad_inputs import Case, _create, _results, _run, _workdir, snapshot  # noqa: E402


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
        ds = cge.run(scenarios, sam=two_region_sam(), elasticities=d / "el.csv", reference=reference, welfare_steps=0)
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
        ("tariffs[0].exporter 'b' is not in the SAM", "did you mean 'B'?"),
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
