"""Time GTAP database I/O: build a synthetic database, save it, load it from HAR files and from
database.nc, check it; optionally load licensed GTAP databases (a directory laid out as
CGE_GTAP_FIXTURES: datasets/<name>/...).

    python benchmarks/gtap_database.py --repeats 5 [--fixtures /path/to/gtap_fixtures] [--out results.json]

Each timing is the median of ``--repeats`` runs in this process (the first, cold run included in
the min-max range). Nothing here is asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from cge.gtap import database_problems, load_database, save_database, synthetic_database

SIZES = ((3, 4), (10, 10), (20, 41), (60, 65))
"""(regions, commodities) of the synthetic databases."""


def _timed(function, repeats: int) -> dict:
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "value": value}


def _synthetic(regions: int, commodities: int, repeats: int) -> dict:
    build = _timed(lambda: synthetic_database(regions, commodities), repeats)
    ds = build.pop("value")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "db"
        save = _timed(lambda: save_database(ds, directory), repeats)
        save.pop("value")
        nc = _timed(lambda: load_database(directory), repeats)
        nc.pop("value")
        (directory / "database.nc").unlink()
        har = _timed(lambda: load_database(directory), repeats)
        har.pop("value")
        sizes = {p.name: p.stat().st_size for p in directory.iterdir()}
    check = _timed(lambda: len(database_problems(ds, tol=1e-12)), repeats)
    return {
        "regions": regions,
        "commodities": commodities,
        "build": build,
        "save": save,
        "load_netcdf": nc,
        "load_har": har,
        "check": check,
        "problems_at_1e-12": check.pop("value"),
        "file_bytes": sizes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--fixtures", type=Path, default=os.environ.get("CGE_GTAP_FIXTURES"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    result = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_before": os.getloadavg()[0],
        "synthetic": [_synthetic(r, c, args.repeats) for r, c in SIZES],
        "fixtures": {},
    }
    if args.fixtures:
        for directory in sorted((Path(args.fixtures) / "datasets").iterdir()):
            timing = _timed(lambda d=directory: load_database(d), args.repeats)
            ds = timing.pop("value")
            timing["size"] = {k: int(v) for k, v in ds.sizes.items() if k in ("REG", "COMM", "ACTS", "ENDW")}
            result["fixtures"][directory.name] = timing
    result["load_average_after"] = os.getloadavg()[0]
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
