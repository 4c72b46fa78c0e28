"""Throughput of Dask sweeps: solves per second with 1 and 2 workers, and the scaling efficiency.

Not a test: run it by hand, e.g. ``python benchmarks/sweep_throughput.py --json out.json``.

Two workloads on the GTAP v7 model of one database (default: the shipped open database;
``--database`` a GTAP database directory or a SAM):

``many``  ``--scenarios`` tariff scenarios through :func:`cge.sweep.run_many` (one task per
          scenario; each worker prepares the model once and solves each scenario from the benchmark);
``ssa``   a Monte Carlo SSA of ``--draws`` draws of sigma_d and sigma_m (uniform +/- 50 %) x 2
          scenarios through :func:`cge.sweep.run_sweep` (one task per draw: the draw's database and
          its prepared model, then both scenarios); ``setup_s_per_draw`` is what a draw costs
          before its solves, ``solve_s_per_solve`` a solve with its indicators.

Cluster start-up and the workers' first import of ``cge`` are excluded (a warm-up runs first);
model preparation inside the tasks is included. Scaling efficiency = throughput_2 / (2 x throughput_1).
For reference the same run measures the machine's own parallel capacity (``cpu_probe``: a
pure-Python loop in 1 and 2 processes) and the load average: on a shared or hyper-threaded
2-vCPU machine that ratio, not 1.0, is the ceiling of the sweep's scaling efficiency.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _database(path: str | None):
    """The GTAP v7 database of the run (the shipped open database by default, or a GTAP database
    directory or SAM that :func:`cge.gtap.scenario_runner.resolve_database` reads) and a label."""
    from cge.gtap.scenario_runner import resolve_database

    database = resolve_database(path)
    size = f"{database.sizes['REG']}x{database.sizes['COMM']}"
    return database, f"{'shipped open GTAP v7 database' if path is None else path} ({size})", size


def _scenarios(database, n: int):
    from cge.scenario import Scenario

    regions = [str(r) for r in database["REG"].values]
    importer = "USA" if "USA" in regions else regions[0]
    partners = [r for r in ("MEX", "CAN") if r in regions] or regions[1:3]
    rates = np.linspace(5.0, 40.0, n)
    return [
        Scenario(
            name=f"tariff{k:02d}",
            tariffs=[
                {"importer": importer, "exporter": p, "commodity": "all", "rate_pct": float(rate)} for p in partners
            ],
        )
        for k, rate in enumerate(rates)
    ]


def _spin(_=None) -> float:
    """A fixed pure-Python workload [s]: the probe of the machine's own parallel capacity."""
    t0 = time.perf_counter()
    total = 0
    for i in range(4_000_000):
        total += i * i
    return time.perf_counter() - t0


def cpu_probe() -> dict:
    """Throughput of the same CPU-bound work in 1 and 2 processes: what 2 workers can gain at most here."""
    from concurrent.futures import ProcessPoolExecutor

    one = _spin()
    t0 = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_spin, range(4)))
    two = time.perf_counter() - t0
    return {"one_process_s": one, "two_processes_4_jobs_s": two, "parallel_efficiency": (4 * one) / (2 * two)}


def _warm_up() -> str:
    import cge.sweep.worker  # noqa: F401  (imports the GTAP v7 model and its solver)

    return "ok"


@contextmanager
def _client(workers: int, external: bool):
    """A client of a LocalCluster, or of ``dask scheduler`` + ``dask worker`` processes started
    from the shell (tests/dask_processes.py)."""
    from distributed import Client, LocalCluster

    if external:
        sys.path.insert(0, str(ROOT / "tests"))
        from dask_processes import external_cluster

        with external_cluster(n_workers=workers) as cluster, Client(cluster.address) as client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            yield client


def measure(database, n_scenarios: int, n_draws: int, workers: int, external: bool = False) -> dict:
    from cge.sweep import SSASpec, run_many, run_sweep

    spec = SSASpec.from_dict(
        {
            "method": "monte_carlo",
            "draws": n_draws,
            "seed": 1,
            "parameter": [
                {"name": "sigma_d", "distribution": "uniform", "low_pct": -50, "high_pct": 50},
                {"name": "sigma_m", "distribution": "uniform", "low_pct": -50, "high_pct": 50},
            ],
        }
    )
    scenarios = _scenarios(database, n_scenarios)
    out = {"workers": workers, "cluster": "dask scheduler + dask worker processes" if external else "LocalCluster"}
    with _client(workers, external) as client:
        client.run(_warm_up)
        t0 = time.perf_counter()
        many = run_many(scenarios, sam=database, scheduler=client, include_baseline=False)
        wall = time.perf_counter() - t0
        out["many"] = {
            "solves": len(scenarios),
            "wall_s": wall,
            "solves_per_s": len(scenarios) / wall,
            "models_compiled": many.attrs["models_compiled"],
            "mean_iterations": float(many["iterations"].mean()),
            "mean_path_nodes": float(many["path_nodes"].mean()),
            "prepare_s": many.attrs["setup_seconds"],
        }
        t0 = time.perf_counter()
        ssa = run_sweep(scenarios[-2:], spec, sam=database, scheduler=client, include_baseline=False)
        wall = time.perf_counter() - t0
        solves = int(ssa["draw_status"].size)
        out["ssa"] = {
            "solves": solves,
            "draws": n_draws,
            "wall_s": wall,
            "solves_per_s": solves / wall,
            "models_compiled": ssa.attrs["models_compiled"],
            "failed": ssa.attrs["n_failed"],
            # what a draw costs: its database and prepared model, then each solve with its indicators
            "setup_s_per_draw": ssa.attrs["setup_seconds"] / n_draws,
            "solve_s_per_solve": ssa.attrs["solve_seconds"] / max(solves - ssa.attrs["n_failed"], 1),
        }
    return out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database", default=None, help="GTAP database directory or SAM (default: the shipped open database)"
    )
    parser.add_argument("--scenarios", type=int, default=16, help="tariff scenarios of the 'many' workload")
    parser.add_argument("--draws", type=int, default=8, help="Monte Carlo draws of the 'ssa' workload")
    parser.add_argument("--json", type=Path, default=None, help="write the results to this JSON file")
    parser.add_argument(
        "--external",
        action="store_true",
        help="workers as 'dask scheduler' + 'dask worker' processes, not a LocalCluster",
    )
    args = parser.parse_args(argv)
    database, label, size = _database(args.database)
    load_before = os.getloadavg()
    probe = cpu_probe()
    runs = [measure(database, args.scenarios, args.draws, w, args.external) for w in (1, 2)]
    result = {
        "database": label,
        "size": size,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
        },
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "cpu_probe": probe,
        "runs": runs,
    }
    for workload in ("many", "ssa"):
        t1, t2 = (r[workload]["solves_per_s"] for r in runs)
        result[f"{workload}_solves_per_s_1"] = t1
        result[f"{workload}_solves_per_s_2"] = t2
        result[f"{workload}_scaling_efficiency"] = t2 / (2 * t1)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n")
    return result


if __name__ == "__main__":
    main()
