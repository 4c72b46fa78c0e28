"""Parity of cge's GTAP v7 with GEMPACK on the development aggregations (issue 16).

Reads the directory named by ``CGE_GTAP_FIXTURES`` (or ``--fixtures``), laid out as
``datasets/<name>/{sets.har,basedata.har,default.prm}``, ``solutions/sl4dump_*.har`` (GEMPACK's
solutions of ``gtapv7.tab`` converted by SLTOHT) and ``cmf/<name>_tm10.cmf``, solves each
experiment with ``cge.gtap.solve`` and prints, per experiment, the cells compared, the share
within 0.01 / 0.1 / 1 percentage point (US$ changes: % of the region's benchmark income) and the
largest deviation with its cell. The held-out aggregations (15x10, 20x41) are never run.

    python scripts/gtap_parity.py [--fixtures DIR] [--only 10x7] [--markdown]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", default=os.environ.get("CGE_GTAP_FIXTURES"))
    parser.add_argument("--only", default=None, help="run the experiments whose label contains this")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args(argv)
    if not args.fixtures:
        print("set CGE_GTAP_FIXTURES or pass --fixtures", file=sys.stderr)
        return 2
    from cge.gtap import read_har
    from cge.gtap.model.coefficients import compute_coefficients
    from cge.gtap.parity import EXPERIMENTS, HELD_OUT, compare_with_gempack, run_experiment, summary

    import xarray as xr

    root = Path(args.fixtures)
    rows = []
    for label, ds_name, solution, rordelta, cmf, shock in EXPERIMENTS:
        if any(h in label for h in HELD_OUT) or (args.only and args.only not in label):
            continue
        sol_path = root / "solutions" / solution
        if not sol_path.exists():
            print(f"{label}: no {sol_path.name}, skipped", file=sys.stderr)
            continue
        t0 = time.perf_counter()
        database, result = run_experiment(root, (label, ds_name, solution, rordelta, cmf, shock))
        seconds = time.perf_counter() - t0
        cf = compute_coefficients(database)
        income = xr.DataArray(cf.INCOME, dims="REG", coords={"REG": cf.labels["REG"]})
        table = compare_with_gempack(result, read_har(sol_path), income)
        s = summary(table)
        rows.append((label, s, seconds, result.attrs))
        w = s["worst"]
        print(
            f"{label:24s} cells {s['cells']:6d}  within 0.01/0.1/1: "
            + " / ".join(f"{100 * s['share_within'][t]:.3f}%" for t in (0.01, 0.1, 1.0))
            + f"  worst {w[2]:.2e} at {w[0]}{w[1]} (ours {w[3]:.6g}, GEMPACK {w[4]:.6g})"
            + f"  [{seconds:.1f} s, {result.attrs['path_nodes']} nodes]"
            + (f"  missing: {s['missing']}" if s["missing"] else "")
        )
    if args.markdown:
        print("\n| experiment | cells | within 0.01 | within 0.1 | within 1 | largest deviation (cell) |")
        print("|---|---|---|---|---|---|")
        for label, s, _seconds, _attrs in rows:
            w = s["worst"]
            print(
                f"| {label} | {s['cells']} | "
                + " | ".join(f"{100 * s['share_within'][t]:.2f} %" for t in (0.01, 0.1, 1.0))
                + f" | {w[2]:.2g} ({w[0]}{w[1]}) |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
