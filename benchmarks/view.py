"""``cge view`` timings (issue 19): from the command to the first table drawn in headless Chromium.

For each results file: ``cge view FILE --no-browser`` is started ``--repeats`` times; measured are
the time until it prints its address (reading, stacking, group subtotals, the page) and the time
from navigating to the page until the first table is drawn (``data-ready``); then
``cge view FILE --html`` (writing the self-contained page) and opening that file. Chromium is the
system package that ``tests/browser.py`` drives (installed there when missing). The default file
is the scenario library run on the shipped SAM (``cge run experiments/*.toml``), made first.
Timings are measured here, never asserted in tests.

    python benchmarks/view.py [--results FILE ...] [--repeats 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CGE = str(Path(sys.executable).with_name("cge"))
sys.path.insert(0, str(ROOT / "tests"))

from browser import Browser, require_chromium  # noqa: E402

ADDRESS = re.compile(r"(http://127\.0\.0\.1:\d+/)")


def served(browser: Browser, results: Path) -> tuple[float, float]:
    """Seconds until ``cge view`` prints its address, and from navigation to the first table."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([CGE, "view", str(results), "--no-browser"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        t1 = time.perf_counter()
        match = ADDRESS.search(line)
        if not match:
            raise RuntimeError(f"cge view printed {line!r}")
        page = browser.new_page()
        t2 = time.perf_counter()
        page.open(match[1])
        t3 = time.perf_counter()
        page.close()
    finally:
        proc.terminate()
        proc.wait()
    return t1 - t0, t3 - t2


def self_contained(browser: Browser, results: Path, out: Path) -> tuple[float, float, int]:
    """Seconds to write ``--html``, to open it until the first table; its size in bytes."""
    t0 = time.perf_counter()
    subprocess.run([CGE, "view", str(results), "--html", str(out)], check=True, capture_output=True)
    t1 = time.perf_counter()
    page = browser.new_page()
    t2 = time.perf_counter()
    page.open(out.as_uri())
    t3 = time.perf_counter()
    page.close()
    return t1 - t0, t3 - t2, out.stat().st_size


def summary(runs: list[float]) -> dict:
    return {"median_s": statistics.median(runs), "min_s": min(runs), "max_s": max(runs)}


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, nargs="*", default=None, help="results files (default: the library)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp, Browser(require_chromium()) as browser:
        files = args.results
        if not files:
            files = [Path(tmp) / "library.nc"]
            library = sorted(str(p) for p in (ROOT / "experiments").glob("*.toml"))
            subprocess.run([CGE, "run", *library, "--out", str(files[0])], check=True, capture_output=True, cwd=ROOT)
        for results in files:
            load = os.getloadavg()[0]
            starts, pages, writes, opens = [], [], [], []
            for _ in range(args.repeats):
                start, page = served(browser, results)
                starts.append(start)
                pages.append(page)
                write, opened, size = self_contained(browser, results, Path(tmp) / "page.html")
                writes.append(write)
                opens.append(opened)
            rows.append(
                {
                    "results": results.name,
                    "results_bytes": results.stat().st_size,
                    "server_start": summary(starts),
                    "page_ready": summary(pages),
                    "command_to_table_median_s": statistics.median(s + p for s, p in zip(starts, pages)),
                    "html_write": summary(writes),
                    "html_bytes": size,
                    "html_open": summary(opens),
                    "load_average": [load, os.getloadavg()[0]],
                }
            )
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return rows


if __name__ == "__main__":
    main()
