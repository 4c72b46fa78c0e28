"""Solver benchmark against the Newton floor (issue 5; DESIGN §8).

For each size — the shipped SAM, and larger aggregations built from the raw data with
``cge build-sam`` (10 regions x 35 sectors, WIOD-native 41 x 35) — a fresh process measures:
model build, CasADi conversion + derivative compilation, Ipopt iterations and solve time, one
sparse LU of the Jacobian at the solution (scipy ``splu``, COLAMD), a second scenario solved
warm in the same process, and peak RSS. ``floor_ratio = solve_s / (iterations * lu_s)``.

    python benchmarks/solve.py [--json] [--sizes shipped,r10s35,native41s35] [--data-dir ../shared/data]

Timings are measured here, never asserted in tests. Results go to ``benchmarks/results.json``
(and stdout with ``--json``); ``benchmarks/README.md`` records a run with the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SIZES = ("shipped", "r10s35", "native41s35")


def _scenarios(shipped: bool):
    """(first, second) scenario: termination on the shipped SAM (MFN schedules are per shipped
    sector); on other aggregations a 25% US tariff on MEX+CAN goods, then the same with
    retaliation."""
    import cge

    if shipped:
        return (
            cge.Scenario.from_toml(ROOT / "experiments" / "termination.toml"),
            cge.Scenario.from_toml(ROOT / "experiments" / "tariff25_retaliation.toml"),
        )
    us = [{"importer": "USA", "exporter": e, "commodity": "goods", "rate_pct": 25} for e in ("MEX", "CAN")]
    back = [{"importer": i, "exporter": "USA", "commodity": "goods", "rate_pct": 25} for i in ("MEX", "CAN")]
    return cge.Scenario(name="tariff25", tariffs=us), cge.Scenario(name="tariff25_retaliation", tariffs=us + back)


def _elasticities(sam):
    """Shipped elasticities, mapped to WIOD industries when the SAM uses WIOD codes."""
    import pandas as pd

    from cge.calibrate import load_elasticities

    table = load_elasticities()
    if set(map(str, sam.commodity.values)) <= set(table.index):
        return table
    mapping = pd.read_csv(ROOT / "calibration" / "mappings" / "sectors_wiod35.csv").set_index("wiod_code")["sector"]
    return table.loc[mapping.values].set_index(mapping.index)


FLAT_SIGMA_RANGE = (2.0, 52.0)
"""σ_D = σ_M of the flat-Armington case, spread geometrically over the sectors in SAM order
(a benchmark assumption, not a calibration: it spans the range of sectoral trade elasticities
in the literature, with petroleum-like goods near the top)."""


def flat_case(sam):
    """The flat-Armington stress case from a SAM: one factor (all value added, labour type),
    Cobb-Douglas production and final-demand nests, σ_D = σ_M per sector in
    :data:`FLAT_SIGMA_RANGE`.

    Returns
    -------
    (xarray.Dataset, pandas.DataFrame, dict)
        The one-factor SAM, its elasticity table and the final-demand elasticities.
    """
    import numpy as np
    import pandas as pd
    import xarray as xr

    from cge.sam import sam_hash

    vfm = sam["vfm"].sum("factor").expand_dims(factor=["labour"])
    one = sam.drop_vars(["vfm", "factor", "factor_type"]).assign(vfm=vfm)
    one = one.assign_coords(factor_type=("factor", ["labour"]))
    one.attrs["sam_hash"] = sam_hash(one)
    sectors = [str(c) for c in sam.commodity.values]
    lo, hi = FLAT_SIGMA_RANGE
    sigma = lo * (hi / lo) ** (np.arange(len(sectors)) / max(1, len(sectors) - 1))
    table = pd.DataFrame(
        {"sigma_d": sigma, "sigma_m": sigma, "sigma_va": 1.0, "sigma_t": 1.0, "sigma_nd": 1.0}, index=sectors
    )
    table.index.name = "sector"
    del xr
    return one, table, {"sigma_c": 1.0, "sigma_g": 1.0, "sigma_i": 1.0}


LU_TIMEOUT_S = 300.0


def _lu_worker(jac, queue) -> None:
    from scipy.sparse.linalg import splu

    t0 = time.perf_counter()
    lu = splu(jac, permc_spec="COLAMD")
    queue.put((time.perf_counter() - t0, int(lu.L.nnz + lu.U.nnz)))


def _lu_seconds(jac, timeout: float) -> tuple[float | None, int | None]:
    """Seconds of one scipy ``splu`` (COLAMD) of ``jac`` and its fill; (None, None) past ``timeout``."""
    import multiprocessing as mp

    queue = mp.Queue()
    proc = mp.Process(target=_lu_worker, args=(jac, queue))
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return None, None
    return queue.get()


def measure_one(size: str, sam_path: Path | None) -> dict:
    """Measure one size in this process (called in a fresh subprocess)."""
    t_start = time.perf_counter()
    import numpy as np
    import scipy.sparse as sp

    import cge
    from cge.calibrate import calibrate
    from cge.model import build_model
    from cge.shocks import load_mfn, scenario_parameters
    from cge.solve import Solver

    sam = cge.load_sam(sam_path)
    first, second = _scenarios(size == "shipped")
    t0 = time.perf_counter()
    cal = calibrate(sam, _elasticities(sam))
    model = build_model(cal, first.closure.to_closure())
    t1 = time.perf_counter()
    solver = Solver(model)
    t2 = time.perf_counter()
    mfn = load_mfn()
    p1 = solver.parameter_vector(scenario_parameters(first, model.index, model.lookup, mfn))
    result = solver.solve(p1)
    t3 = time.perf_counter()
    c = solver.compiled
    jac = sp.csc_matrix((c.eval_jacobian_values(solver.x_last, p1), (c.jac_rows, c.jac_cols)), shape=(c.m, c.n))
    lu_s, lu_fill = _lu_seconds(jac, LU_TIMEOUT_S)
    p2 = solver.parameter_vector(scenario_parameters(second, model.index, model.lookup, mfn))
    t5 = time.perf_counter()
    result2 = solver.solve(p2)
    resolve_s = time.perf_counter() - t5
    solve_s = t3 - t2
    return {
        "size": f"{sam.sizes['region']}x{sam.sizes['commodity']} ({size})",
        "n_equations": c.m,
        "jacobian_nnz": int(len(c.jac_rows)),
        "lu_fill_nnz": lu_fill,
        "build_s": round(t1 - t0, 3),
        "compile_s": round(t2 - t1, 3),
        "iterations": result.iterations,
        "homotopy_steps": result.homotopy_steps,
        "solve_s": round(solve_s, 3),
        "lu_s": None if lu_s is None else round(lu_s, 4),
        "floor_ratio": None if lu_s is None else round(solve_s / max(1, result.iterations) / lu_s, 2),
        "cold_total_s": round(t3 - t_start, 3),
        "resolve_s": round(resolve_s, 3),
        "resolve_iterations": result2.iterations,
        "max_residual": float(np.float64(max(result.max_residual, result2.max_residual))),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _build(size: str, data_dir: Path, workdir: Path) -> Path:
    from cge.build import build_sam

    out = workdir / size
    t0 = time.perf_counter()
    build_sam(data_dir, out, HERE / "mappings" / size)
    print(f"built {size} SAM in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--sizes", default=",".join(SIZES), help=f"comma-separated subset of {SIZES}")
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--sam", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one, args.sam)))
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes.split(","):
            sam_path = None if size == "shipped" else _build(size, args.data_dir, Path(tmp))
            cmd = [sys.executable, __file__, "--one", size] + ([] if sam_path is None else ["--sam", str(sam_path)])
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                raise SystemExit(f"benchmark {size} failed")
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]), file=sys.stderr)
    machine = {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()}
    report = {"machine": machine, "results": rows}
    tmp_path = HERE / "results.json.tmp"
    tmp_path.write_text(json.dumps(report, indent=2))
    tmp_path.replace(HERE / "results.json")
    if args.json:
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
