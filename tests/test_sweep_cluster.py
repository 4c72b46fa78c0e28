"""`cge sweep` on a Dask cluster started outside the process (`dask scheduler` + `dask worker`),
in normal operation: the results equal `cge run`'s and every task ran on the cluster's workers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from dask_processes import external_cluster
from typer.testing import CliRunner

import cge
from cge.cli import app

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"
SCENARIOS = ["termination.toml", "tariff25.toml", "us_canada_only.toml", "tariff25_retaliation.toml"]


@pytest.mark.slow
def test_cli_sweep_on_external_scheduler_and_workers(tmp_path):
    files = [str(EXPERIMENTS / name) for name in SCENARIOS]
    reference = cge.run(files)
    out = tmp_path / "sweep.nc"
    with external_cluster(n_workers=2) as cluster:
        result = CliRunner().invoke(app, ["sweep", *files, "--scheduler", cluster.address, "--out", str(out)])
        assert result.exit_code == 0, result.output + cluster.logs()
        from distributed import Client

        with Client(cluster.address) as client:
            workers = client.scheduler_info()["workers"]
            assert len(workers) == 2
            executed = client.run(lambda dask_worker: dask_worker.state.executed_count)
        assert cluster.scheduler.poll() is None and all(w.poll() is None for w in cluster.workers)
    # every task ran on the cluster's workers (how many each took depends on the scheduling)
    assert len(executed) == 2 and sum(executed.values()) >= len(SCENARIOS) + 1, f"tasks per worker: {executed}"
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        sweep = ds.load()
    for name in ("real_gdp_pct", "ev"):
        expected = reference[name].sel(scenario=sweep.scenario.values)
        assert np.allclose(sweep[name].values, expected.values, rtol=1e-8, atol=1e-9), name
