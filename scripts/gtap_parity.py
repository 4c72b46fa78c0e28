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

HELD_OUT = ("15x10", "20x41")

EXPERIMENTS = [
    # (label, dataset, solution file, rordelta, swaps-from-cmf, shock)
    *[
        (f"{ds} tm {shock} std", ds, f"sl4dump_gtap7_{ds}_tm{tag}_s8-16-32.har", None, None, float(shock))
        for ds in ("3x3", "3x4", "5x5", "10x7")
        for shock, tag in (("10", "10"), ("3", "3"), ("1", "1"), ("0.3", "0p3"), ("0.1", "0p1"))
    ],
    *[(f"{ds} tm 10 capfix", ds, f"sl4dump_gtap7_{ds}_tm10_s8-16-32_capfix.har", 0, None, 10.0) for ds in ("3x3", "3x4", "5x5", "10x7")],
    ("9x10 tm 10 swaps", "9x10", "sl4dump_9x10_tm10.har", None, "9x10_tm10.cmf", 10.0),
    ("nus333 tm 10 swap", "nus333", "sl4dump_nus333_tm10.har", None, "nus333_tm10.cmf", 10.0),
]


def _swaps_from_cmf(path: Path) -> list[str]:
    """The ``swap`` statements of a CMF file (comments dropped)."""
    text = "\n".join(line.split("!")[0] for line in path.read_text().splitlines())
    swaps = []
    for statement in text.split(";"):
        words = statement.strip()
        if words.lower().startswith("swap "):
            swaps.append(words[5:].strip())
    return swaps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", default=os.environ.get("CGE_GTAP_FIXTURES"))
    parser.add_argument("--only", default=None, help="run the experiments whose label contains this")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args(argv)
    if not args.fixtures:
        print("set CGE_GTAP_FIXTURES or pass --fixtures", file=sys.stderr)
        return 2
    from cge.gtap import load_database, read_har
    from cge.gtap.model.coefficients import compute_coefficients
    from cge.gtap.parity import compare_with_gempack, summary
    from cge.gtap.simulate import solve

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
        database = load_database(root / "datasets" / ds_name)
        swaps = _swaps_from_cmf(root / "cmf" / cmf) if cmf else []
        t0 = time.perf_counter()
        result = solve(database, {"tm": shock}, swaps=swaps, rordelta=rordelta)
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
