"""The command line: runs scenarios on a given SAM, writes netCDF, reports user errors in one line."""

from __future__ import annotations

import numpy as np
import xarray as xr
from typer.testing import CliRunner

from cge.cli import app
from cge.sam import save_sam

runner = CliRunner()


def _setup(tmp_path, hand_sam, hand_elasticities):
    save_sam(hand_sam, tmp_path / "sam")
    hand_elasticities.to_csv(tmp_path / "el.csv")
    scen = tmp_path / "tariff.toml"
    scen.write_text('[[tariffs]]\nimporter = "A"\nexporter = "B"\ncommodity = "man"\nrate_pct = 30\n')
    return scen


def test_run_writes_results(tmp_path, hand_sam, hand_elasticities):
    scen = _setup(tmp_path, hand_sam, hand_elasticities)
    out = tmp_path / "r.nc"
    result = runner.invoke(
        app,
        [
            "run",
            str(scen),
            "--out",
            str(out),
            "--sam",
            str(tmp_path / "sam"),
            "--elasticities",
            str(tmp_path / "el.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "tariff" in result.output
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert list(ds.scenario.values) == ["baseline", "tariff"]
        assert ds["real_gdp"].attrs["units"] == "US$ bn"
        assert float(ds["max_residual"].max()) < 1e-9


def test_user_error_is_one_line_without_traceback(tmp_path, hand_sam, hand_elasticities):
    _setup(tmp_path, hand_sam, hand_elasticities)
    bad = tmp_path / "bad.toml"
    bad.write_text('[[tariffs]]\nimporter = "ZZZ"\nexporter = "B"\nrate_pct = 30\n')
    out = tmp_path / "r.nc"
    result = runner.invoke(
        app,
        [
            "run",
            str(bad),
            "--out",
            str(out),
            "--sam",
            str(tmp_path / "sam"),
            "--elasticities",
            str(tmp_path / "el.csv"),
        ],
    )
    assert result.exit_code == 1
    assert "importer 'ZZZ' is not a region of the database" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_check_sam_command(tmp_path, hand_sam):
    save_sam(hand_sam, tmp_path / "sam")
    result = runner.invoke(app, ["check-sam", str(tmp_path / "sam")])
    assert result.exit_code == 0, result.output
    assert "SAM OK: 2 regions x 2 sectors x 2 factors" in result.output
    broken = hand_sam.copy(deep=True)
    broken["savings"] += 1.0
    broken.to_netcdf(tmp_path / "broken.nc", engine="h5netcdf")
    result = runner.invoke(app, ["check-sam", str(tmp_path / "broken.nc")])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0] == f"error: {tmp_path / 'broken.nc'}: SAM does not balance (3 accounts):"
    # every failing account on its own line, as the API's SamError names them
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "regional household [region=A]",
        "regional household [region=B]",
        "world savings-investment",
    ]


def test_run_always_has_the_welfare_decomposition(tmp_path, hand_sam, hand_elasticities):
    """GTAP v7's WELVIEW decomposition comes with every solve: no --welfare-steps to turn it off."""
    scen = _setup(tmp_path, hand_sam, hand_elasticities)
    data = ["--sam", str(tmp_path / "sam"), "--elasticities", str(tmp_path / "el.csv")]
    out = tmp_path / "r.nc"
    result = runner.invoke(app, ["run", str(scen), "--out", str(out), *data])
    assert result.exit_code == 0, result.output
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        dec, ev = ds["ev_decomposition"], ds["ev"]
        np.testing.assert_allclose(dec.sum("component"), ev, rtol=1e-8, atol=1e-9)
    result = runner.invoke(app, ["run", str(scen), "--out", str(tmp_path / "s.nc"), *data, "--welfare-steps", "0"])
    assert result.exit_code == 1 and "--welfare-steps" in result.output
