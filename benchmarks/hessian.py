"""Exact Hessian of the Lagrangian versus L-BFGS in the Ipopt path (the fallback of the Newton solve) on
the shipped SAM (issue 2: "measure both").

    python benchmarks/hessian.py

For each library scenario prints Ipopt iterations and solve seconds with each Hessian, plus the
one-off cost of compiling the exact Hessian. Measured here, never asserted in tests.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import cge
from cge.calibrate import calibrate
from cge.model import build_model
from cge.shocks import load_mfn, scenario_parameters
from cge.solve import Solver

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("termination", "tariff25", "tariff25_retaliation", "sectoral_2025")


def main() -> int:
    cal = calibrate(cge.load_sam())
    model = build_model(cal)
    mfn = load_mfn()
    rows = []
    for hessian in ("limited-memory", "exact"):
        solver = Solver(model, hessian=hessian, method="ipopt", cache=None)
        t0 = time.perf_counter()
        if hessian == "exact":
            solver.compiled.hessian()
        compile_hessian_s = time.perf_counter() - t0
        for name in SCENARIOS:
            scen = cge.Scenario.from_toml(ROOT / "experiments" / f"{name}.toml")
            p = solver.parameter_vector(scenario_parameters(scen, model.index, model.lookup, mfn))
            solver.reset()
            t1 = time.perf_counter()
            result = solver.solve(p, warm_start=False)
            rows.append(
                {
                    "hessian": hessian,
                    "scenario": name,
                    "iterations": result.iterations,
                    "solve_s": round(time.perf_counter() - t1, 4),
                    "max_residual": result.max_residual,
                    "compile_hessian_s": round(compile_hessian_s, 3),
                }
            )
            print(json.dumps(rows[-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
