"""Solver benchmark per model size against the Newton floor (issues 5 and 11; DESIGN §8).

Sizes: ``shipped`` (the shipped 5 x 17 SAM); ``r10s35`` (10 regions x 35 WIOD industries) and
``native41s35`` (the WIOD-native 41 x 35), built from the raw data with the mappings in
``benchmarks/mappings/``; ``flat41s35``, the flat-Armington stress case of issue 11 made from the
41 x 35 SAM by :func:`flat_case` (one factor, Cobb-Douglas nests, σ_D = σ_M from 2 to 52).

Each size is measured in fresh processes (``--repeats``, default 3): imports, SAM load and
calibration, model build, compilation (conversion, functions, evaluator), the first scenario
solved cold from the benchmark (method, Newton iterations, LU factorisations, GMRES iterations),
one sparse LU of the Jacobian at the solution (SciPy SuperLU with the solver's ordering),
results extraction (:func:`cge.indicators.extract`), a second scenario solved warm, peak RSS, and
the load average before and after. ``floor_ratio = solve_s / (iterations * lu_s)``: below 1 when
the Newton steps reuse one factorisation. With ``--ipopt`` the first scenario is also solved
cold by the Ipopt path (the fallback) for comparison.

    python benchmarks/solve.py [--sizes shipped,r10s35,native41s35,flat41s35] [--repeats 3]
                               [--sam-dir DIR] [--data-dir ../shared/data] [--ipopt]

Timings are measured here, never asserted in tests. Results go to ``benchmarks/results.json``;
the printed Markdown table (medians, with the min-max range of the timings over the repeats)
is what ``benchmarks/README.md`` records.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

T_PROCESS = time.perf_counter()

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SIZES = ("shipped", "r10s35", "native41s35", "flat41s35")
BUILT = {"r10s35": "r10s35", "native41s35": "native41s35", "flat41s35": "native41s35"}
"""SAM built from the raw data for each size (the flat case derives from the 41 x 35 one)."""


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


SPLIT_SECTORS = {"metals": ("iron_steel", "other_metals"), "transport_equipment": ("motor_vehicles", "other_transport")}
"""Shipped sectors split from one WIOD industry: the benchmark gives the WIOD industry the plain
mean of their elasticities (a benchmark assumption)."""


def _elasticities(sam):
    """Shipped elasticities, mapped to WIOD industries when the SAM uses WIOD codes."""
    import pandas as pd

    from cge.calibrate import load_elasticities

    table = load_elasticities()
    if set(map(str, sam.commodity.values)) <= set(table.index):
        return table
    numeric = table.select_dtypes("number")
    for name, parts in SPLIT_SECTORS.items():
        numeric.loc[name] = numeric.loc[list(parts)].mean()
    mapping = pd.read_csv(ROOT / "calibration" / "mappings" / "sectors_wiod35.csv").set_index("wiod_code")["sector"]
    return numeric.loc[mapping.values].set_index(mapping.index)


FLAT_SIGMA_RANGE = (2.0, 52.0)
"""σ_D = σ_M of the flat-Armington case: a geometric spread from 2 to 52 over the sectors. A
benchmark assumption, not a calibration (it spans the range of sectoral trade elasticities in the
literature); goods and services alternate along the spread, so each group covers the range."""


def flat_case(sam):
    """The flat-Armington stress case from a SAM: one factor (all value added, labour type,
    mobile), Cobb-Douglas production and final-demand nests, σ_D = σ_M per sector from
    :data:`FLAT_SIGMA_RANGE`.

    Returns
    -------
    (xarray.Dataset, pandas.DataFrame, dict)
        The one-factor SAM, its elasticity table and the final-demand elasticities.
    """
    import numpy as np
    import pandas as pd

    from cge.sam import sam_hash

    vfm = sam["vfm"].sum("factor").expand_dims(factor=["labour"])
    one = sam.drop_vars(["vfm", "factor", "factor_type"]).assign(vfm=vfm)
    one = one.assign_coords(factor_type=("factor", ["labour"]))
    one.attrs["sam_hash"] = sam_hash(one)
    sectors = [str(c) for c in sam.commodity.values]
    goods = [s for s, g in zip(sectors, sam["goods"].values) if bool(g)]
    services = [s for s in sectors if s not in goods]
    order = [s for pair in zip(goods, services) for s in pair]
    order += goods[len(services) :] + services[len(goods) :]
    lo, hi = FLAT_SIGMA_RANGE
    spread = lo * (hi / lo) ** (np.arange(len(order)) / max(1, len(order) - 1))
    sigma = pd.Series(spread, index=order).loc[sectors].to_numpy()
    table = pd.DataFrame(
        {"sigma_d": sigma, "sigma_m": sigma, "sigma_va": 1.0, "sigma_t": 1.0, "sigma_nd": 1.0},
        index=pd.Index(sectors, name="sector"),
    )
    return one, table, {"sigma_c": 1.0, "sigma_g": 1.0, "sigma_i": 1.0}


def lu_seconds(compiled, x, p) -> tuple[float, int]:
    """Seconds and fill of one SuperLU factorisation (the solver's ordering) of the Jacobian at (x, p)."""
    from scipy.sparse.linalg import splu

    from cge.solve.linalg import LU_ORDERING
    from cge.solve.newton import jacobian_matrix

    jac = jacobian_matrix(compiled, x, p).csc()
    t0 = time.perf_counter()
    lu = splu(jac, permc_spec=LU_ORDERING)
    return time.perf_counter() - t0, int(lu.L.nnz + lu.U.nnz)


def measure_one(size: str, sam_path: Path | None, with_ipopt: bool) -> dict:
    """Measure one size in this process (called in a fresh subprocess)."""
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    import numpy as np

    import cge
    from cge.calibrate import calibrate
    from cge.indicators import extract
    from cge.model import build_model
    from cge.shocks import load_mfn, scenario_parameters
    from cge.solve import Solver

    t_imports = time.perf_counter()
    sam = cge.load_sam(sam_path)
    if size == "flat41s35":
        sam, table, final_demand = flat_case(sam)
        cal = calibrate(sam, table, final_demand)
    else:
        cal = calibrate(sam, _elasticities(sam))
    first, second = _scenarios(size == "shipped")
    t_cal = time.perf_counter()
    model = build_model(cal, first.closure.to_closure())
    t_build = time.perf_counter()
    solver = Solver(model, cache=None)
    t_compile = time.perf_counter()
    mfn = load_mfn() if size == "shipped" else None
    p1 = solver.parameter_vector(scenario_parameters(first, model.index, model.lookup, mfn))
    t_shock = time.perf_counter()
    result = solver.solve(p1)
    t_solve = time.perf_counter()
    extract_runs = []
    for _ in range(3):
        t = time.perf_counter()
        extract(solver, cal)
        extract_runs.append(time.perf_counter() - t)
    c = solver.compiled
    x_first = solver.x_last.copy()
    lu_s, lu_fill = lu_seconds(c, x_first, p1)
    p2 = solver.parameter_vector(scenario_parameters(second, model.index, model.lookup, mfn))
    t = time.perf_counter()
    result2 = solver.solve(p2)
    resolve_s = time.perf_counter() - t
    solve_s = t_solve - t_shock
    row = {
        "size": f"{sam.sizes['region']}x{sam.sizes['commodity']} ({size})",
        "n_equations": c.m,
        "jacobian_nnz": int(len(c.jac_rows)),
        "lu_fill_nnz": lu_fill,
        "imports_s": t_imports - t0,
        "load_calibrate_s": t_cal - t_imports,
        "build_s": t_build - t_cal,
        "compile_s": t_compile - t_build,
        "convert_s": c.timings["convert_s"],
        "functions_s": c.timings["functions_s"],
        "evaluator_s": c.timings["evaluator_s"],
        "method": result.method,
        "iterations": result.iterations,
        "factorizations": result.factorizations,
        "krylov_iterations": result.krylov_iterations,
        "solve_s": solve_s,
        "lu_s": lu_s,
        "floor_ratio": solve_s / max(1, result.iterations) / lu_s,
        "extract_s": statistics.median(extract_runs),
        "extract_first_s": extract_runs[0],
        "cold_total_s": t_solve - T_PROCESS,
        "resolve_s": resolve_s,
        "resolve_iterations": result2.iterations,
        "resolve_factorizations": result2.factorizations,
        "max_residual": float(np.float64(max(result.max_residual, result2.max_residual))),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if with_ipopt:
        solver.method = "ipopt"
        solver.reset()
        t = time.perf_counter()
        ipopt = solver.solve(p1, warm_start=False)
        row.update(
            ipopt_solve_s=time.perf_counter() - t,
            ipopt_iterations=ipopt.iterations,
            ipopt_max_abs_dx=float(np.max(np.abs(solver.x_last - x_first))),
        )
    row["load_average"] = [load_before, os.getloadavg()[0]]
    return row


def _build(size: str, data_dir: Path, workdir: Path) -> Path:
    from cge.build import build_sam

    out = workdir / size
    t0 = time.perf_counter()
    build_sam(data_dir, out, HERE / "mappings" / size)
    print(f"built {size} SAM in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return out


TIMINGS = ("build_s", "compile_s", "solve_s", "lu_s", "extract_s", "cold_total_s", "resolve_s")
TABLE = (
    ("size", "size"),
    ("unknowns", "n_equations"),
    ("build s", "build_s"),
    ("compile s", "compile_s"),
    ("iterations (LU)", None),
    ("solve s", "solve_s"),
    ("LU s", "lu_s"),
    ("floor ratio", "floor_ratio"),
    ("extract s", "extract_s"),
    ("cold total s", "cold_total_s"),
    ("warm re-solve s", "resolve_s"),
    ("peak RSS MB", "peak_rss_mb"),
)


def summarise(runs: list[dict]) -> dict:
    """Median of every numeric field over the repeats, with the min and max of the timings."""
    out = dict(runs[-1])
    for key, value in runs[-1].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = statistics.median(r[key] for r in runs)
    out["range"] = {key: [min(r[key] for r in runs), max(r[key] for r in runs)] for key in TIMINGS}
    out["load_average"] = [r["load_average"] for r in runs]
    out["repeats"] = len(runs)
    return out


def markdown(rows: list[dict]) -> str:
    """The README table: medians, and the min-max range where repeats differ by more than 20 %."""

    def cell(row, key):
        value = row[key]
        if key == "size" or not isinstance(value, float):
            return f"{value:,}" if isinstance(value, int) else str(value)
        text = f"{value:.3g}" if value < 100 else f"{value:,.0f}"
        lo, hi = row.get("range", {}).get(key, (value, value))
        return f"{text} ({lo:.3g}–{hi:.3g})" if hi > 1.2 * lo else text

    lines = ["| " + " | ".join(h for h, _ in TABLE) + " |", "|" + "---|" * len(TABLE)]
    for row in rows:
        cells = [
            f"{row['iterations']:.0f} ({row['factorizations']:.0f})" if key is None else cell(row, key)
            for _h, key in TABLE
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(SIZES), help=f"comma-separated subset of {SIZES}")
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per size")
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--sam-dir", type=Path, help="directory with SAMs already built (one per size)")
    parser.add_argument("--ipopt", action="store_true", help="also solve the first scenario by the Ipopt path")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--sam", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one, args.sam, args.ipopt)))
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes.split(","):
            sam_path = None
            if size != "shipped":
                built = BUILT[size]
                given = args.sam_dir / built if args.sam_dir is not None else None
                sam_path = given if given is not None and given.exists() else Path(tmp) / built
                if not sam_path.exists():
                    sam_path = _build(built, args.data_dir, Path(tmp))
            cmd = [sys.executable, __file__, "--one", size] + ([] if sam_path is None else ["--sam", str(sam_path)])
            cmd += ["--ipopt"] if args.ipopt else []
            runs = []
            for _ in range(args.repeats):
                proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
                if proc.returncode != 0:
                    print(proc.stderr, file=sys.stderr)
                    raise SystemExit(f"benchmark {size} failed")
                runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
                print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
            rows.append(summarise(runs))
    machine = {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()}
    report = {"machine": machine, "date": time.strftime("%Y-%m-%d %H:%M"), "results": rows}
    tmp_path = args.out.with_suffix(".json.tmp")
    tmp_path.write_text(json.dumps(report, indent=2))
    tmp_path.replace(args.out)
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
