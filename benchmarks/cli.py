"""Command-line timings from the shell (issue 11): ``cge --help``, one scenario, the whole library.

Each command runs ``--repeats`` times in a fresh process (the compiled-model cache off, as on a
first run); the load average is recorded before and after. Timings are measured here, never
asserted in tests.

    python benchmarks/cli.py [--repeats 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CGE = str(Path(sys.executable).with_name("cge"))


def timed(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=ROOT)
    return time.perf_counter() - t0


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    env = dict(os.environ)
    library = sorted(str(p) for p in (ROOT / "experiments").glob("*.toml"))
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "out.nc")
        commands = {
            "cge --help": [CGE, "--help"],
            "cge run experiments/termination.toml": [CGE, "run", "experiments/termination.toml", "-o", out],
            f"cge run experiments/*.toml ({len(library)} scenarios)": [CGE, "run", *library, "-o", out],
        }
        rows = []
        for label, cmd in commands.items():
            load = os.getloadavg()[0]
            runs = [timed(cmd, env) for _ in range(args.repeats)]
            rows.append(
                {
                    "command": label,
                    "median_s": statistics.median(runs),
                    "min_s": min(runs),
                    "max_s": max(runs),
                    "runs_s": runs,
                    "load_average": [load, os.getloadavg()[0]],
                }
            )
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    result = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(), "rows": rows}
    for row in rows:
        print(
            f"| `{row['command']}` | {row['median_s']:.2f} ({row['min_s']:.2f}–{row['max_s']:.2f}) | "
            f"{row['load_average'][0]:.1f}–{row['load_average'][1]:.1f} |"
        )
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
