"""MUMPS settings of the Ipopt path (the fallback of the Newton–Krylov solve), per size.

For each size the model is compiled once and the first scenario of ``benchmarks/solve.py`` is
solved cold by Ipopt (``Solver(method="ipopt")``) with each option set: the fill-reducing
ordering (``mumps_pivot_order``), the pivot tolerance (``mumps_pivtol``) and the scaling
(``mumps_scaling``), each varied from the defaults of :data:`cge.solve.ipopt.DEFAULT_IPOPT_OPTIONS`.
Reports Ipopt iterations and seconds (median of ``--repeats``) and the load average. Timings
are measured here, never asserted in tests.

    python benchmarks/mumps.py [--sizes shipped,r10s35] [--sam-dir DIR] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from solve import BUILT, _elasticities, _scenarios, flat_case  # noqa: E402

OPTION_SETS = {
    "defaults (AMF, pivtol 1e-6, auto scaling)": {},
    "ordering AMD": {"mumps_pivot_order": 0},
    "ordering METIS": {"mumps_pivot_order": 5},
    "ordering QAMD": {"mumps_pivot_order": 6},
    "ordering automatic": {"mumps_pivot_order": 7},
    "pivtol 1e-8": {"mumps_pivtol": 1e-8},
    "pivtol 1e-4": {"mumps_pivtol": 1e-4},
    "no scaling": {"mumps_scaling": 0},
    "scaling: row and column iterative": {"mumps_scaling": 7},
}
"""Option sets on top of the defaults (MUMPS codes: 0 AMD, 2 AMF, 5 METIS, 6 QAMD, 7 automatic)."""


def measure_one(size: str, sam_path: Path | None, repeats: int, sets: list[str]) -> list[dict]:
    import cge
    from cge.calibrate import calibrate
    from cge.model import build_model
    from cge.shocks import load_mfn, scenario_parameters
    from cge.solve import Solver

    sam = cge.load_sam(sam_path)
    if size == "flat41s35":
        sam, table, final_demand = flat_case(sam)
        cal = calibrate(sam, table, final_demand)
    else:
        cal = calibrate(sam, _elasticities(sam))
    first, _second = _scenarios(size == "shipped")
    model = build_model(cal, first.closure.to_closure())
    solver = Solver(model, method="ipopt", cache=None)
    mfn = load_mfn() if size == "shipped" else None
    p = solver.parameter_vector(scenario_parameters(first, model.index, model.lookup, mfn))
    rows = []
    for label, options in OPTION_SETS.items():
        if sets and not any(label.startswith(prefix) for prefix in sets):
            continue
        solver.ipopt_options = dict(options)
        runs, iterations = [], None
        load = os.getloadavg()[0]
        for _ in range(repeats):
            solver.reset()
            t0 = time.perf_counter()
            result = solver.solve(p, warm_start=False)
            runs.append(time.perf_counter() - t0)
            iterations = result.iterations
        rows.append(
            {
                "size": f"{sam.sizes['region']}x{sam.sizes['commodity']} ({size})",
                "options": label,
                "iterations": iterations,
                "solve_s": statistics.median(runs),
                "runs_s": runs,
                "load_average": [load, os.getloadavg()[0]],
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="shipped,r10s35")
    parser.add_argument("--sam-dir", type=Path, default=None, help="directory with the SAMs built by solve.py")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--sets", default="", help="comma-separated prefixes of the option sets to run (default: all)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--sam", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one, args.sam, args.repeats, [x for x in args.sets.split(",") if x])))
        return 0
    rows = []
    for size in args.sizes.split(","):
        cmd = [sys.executable, __file__, "--one", size, "--repeats", str(args.repeats), "--sets", args.sets]
        if size != "shipped":
            if args.sam_dir is None:
                raise SystemExit(f"--sam-dir is needed for {size} (build the SAMs with benchmarks/solve.py)")
            cmd += ["--sam", str(args.sam_dir / BUILT[size])]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            raise SystemExit(f"benchmark {size} failed")
        rows += json.loads(proc.stdout.strip().splitlines()[-1])
    for row in rows:
        print(f"| {row['size']} | {row['options']} | {row['iterations']} | {row['solve_s']:.3g} |")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
