"""Results extraction against solve time (issue 11, item 1): extraction <= 10 % of solve time.

For each size — the shipped 5 x 17 SAM and SAMs built with the mappings in
``benchmarks/mappings/`` (10 x 35, WIOD-native 41 x 35) — a fresh process builds, compiles and
solves the first scenario of ``benchmarks/solve.py`` and times :func:`cge.indicators.extract`
(every indicator, and ``detail="all"``: every model variable) on the solved model, with the time
spent building the compiled evaluator at compile time.

    python benchmarks/extract.py [--sizes shipped,r10s35,native41s35] [--sam-dir DIR] [--data-dir ../shared/data]

``--sam-dir`` re-uses SAMs already built there (one sub-directory per size). Timings are measured
here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from solve import _build, _elasticities, _scenarios  # noqa: E402

SIZES = ("shipped", "r10s35", "native41s35")

REPEATS = 5


def measure_one(size: str, sam_path: Path | None) -> dict:
    """Build, compile, solve and extract one size in this process."""
    import cge
    from cge.calibrate import calibrate
    from cge.indicators import extract
    from cge.model import build_model
    from cge.shocks import load_mfn, scenario_parameters
    from cge.solve import Solver

    sam = cge.load_sam(sam_path)
    first, _second = _scenarios(size == "shipped")
    cal = calibrate(sam, _elasticities(sam))
    model = build_model(cal, first.closure.to_closure())
    t0 = time.perf_counter()
    solver = Solver(model)
    compile_s = time.perf_counter() - t0
    p = solver.parameter_vector(scenario_parameters(first, model.index, model.lookup, load_mfn()))
    t1 = time.perf_counter()
    result = solver.solve(p)
    solve_s = time.perf_counter() - t1
    times = {}
    for detail in ("headline", "all"):
        runs = []
        for _ in range(REPEATS):
            t = time.perf_counter()
            extract(solver, cal, detail=detail)
            runs.append(time.perf_counter() - t)
        times[detail] = {"first_s": runs[0], "median_s": sorted(runs)[len(runs) // 2]}
    return {
        "size": f"{sam.sizes['region']}x{sam.sizes['commodity']} ({size})",
        "compile_s": round(compile_s, 3),
        "evaluator_build_s": round(solver.compiled.timings["evaluator_s"], 4),
        "iterations": result.iterations,
        "solve_s": round(solve_s, 4),
        "extract_first_s": round(times["headline"]["first_s"], 5),
        "extract_s": round(times["headline"]["median_s"], 5),
        "extract_all_s": round(times["all"]["median_s"], 5),
        "extract_over_solve": round(times["headline"]["median_s"] / solve_s, 4),
        "extract_all_over_solve": round(times["all"]["median_s"] / solve_s, 4),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(SIZES), help=f"comma-separated subset of {SIZES}")
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--sam-dir", type=Path, help="directory with SAMs already built (one per size)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--sam", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one, args.sam)))
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes.split(","):
            if size == "shipped":
                sam_path = None
            elif args.sam_dir is not None and (args.sam_dir / size).exists():
                sam_path = args.sam_dir / size
            else:
                sam_path = _build(size, args.data_dir, Path(tmp))
            cmd = [sys.executable, __file__, "--one", size] + ([] if sam_path is None else ["--sam", str(sam_path)])
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                raise SystemExit(f"benchmark {size} failed")
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
