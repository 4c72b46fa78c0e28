"""Time the open database build (``cge build-database``) from ../shared/data, stage by stage.

Run: ``python benchmarks/build_database.py [--repeats 3] [--data-dir ../shared/data] [--out results_database.json]``.
Each repeat is a fresh process (imports included). Prints and writes the median, min and max of
the wall time of ``run_database_build``, its reading step, the balancing rounds, and the 1-minute
load average before each run. Timings are never asserted in tests.
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

ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import json, logging, time
t0 = time.perf_counter()
from cge.build.database.pipeline import read_inputs, run_database_build
t1 = time.perf_counter()
inputs = read_inputs(DATA)
t2 = time.perf_counter()
db, outcome, seconds = run_database_build(DATA)
print(json.dumps({"imports_s": t1 - t0, "read_s": t2 - t1, "build_s": seconds, "rounds": outcome.rounds,
                  "iterations_last_round": outcome.balance.iterations, "cells": int(outcome.prior.space.size)}))
"""


def run_once(data_dir: Path) -> dict:
    load = os.getloadavg()[0]
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", f"DATA = {str(data_dir)!r}\n" + CHILD],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - start
    result["load_1min"] = load
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results_database.json")
    args = parser.parse_args()
    runs = [run_once(args.data_dir) for _ in range(args.repeats)]
    summary = {}
    for key in ("read_s", "build_s", "process_s"):
        values = [r[key] for r in runs]
        summary[key] = {"median": statistics.median(values), "min": min(values), "max": max(values)}
    report = {"runs": runs, "summary": summary}
    args.out.write_text(json.dumps(report, indent=2))
    for key, s in summary.items():
        print(f"{key:10s} median {s['median']:6.1f} s  (min {s['min']:.1f}, max {s['max']:.1f})")
    print(f"rounds {runs[0]['rounds']}, cells {runs[0]['cells']}, loads {[round(r['load_1min'], 1) for r in runs]}")


if __name__ == "__main__":
    main()
