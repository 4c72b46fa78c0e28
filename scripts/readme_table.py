"""Print the README's headline table from library results (GTAP v7, the shipped open database).

    python scripts/readme_table.py [RESULTS.nc]

Without a file it reads the golden results (``tests/golden/library.nc``, written by
``scripts/regenerate_golden.py``; their ``total`` subtotal). Rows in the order of the README;
nothing is computed here beyond selecting and rounding.
"""

from __future__ import annotations

import sys
from pathlib import Path

import xarray as xr

ROOT = Path(__file__).resolve().parent.parent
MEMBERS = ["USA", "MEX", "CAN"]
ORDER = (
    "baseline",
    "termination",
    "termination_shortrun",
    "termination_longrun",
    "termination_tradecost",
    "bilateral_split",
    "split_us_mexico_only",
    "split_us_canada_only",
    "tariff25",
    "tariff25_shortrun",
    "tariff25_longrun",
    "tariff25_usmca",
    "tariff25_usmca_shortrun",
    "tariff25_usmca_longrun",
    "tariff25_usmca2024",
    "tariff25_retaliation",
    "tariff25_retaliation_shortrun",
    "tariff25_retaliation_longrun",
    "tariff25_retaliation_usmca",
    "sectoral_2025",
    "na_trade_stop",
    "na_trade_stop_longrun",
)
HEADER = (
    "| scenario | real GDP % USA | MEX | CAN | EV US$ bn USA | MEX | CAN | US employment change (persons) "
    "| US jobs attributed to NA trade (m, gross) | US agri-food exports to MEX+CAN (US$ bn) |"
)


def table(ds: xr.Dataset) -> list[str]:
    """Markdown rows of the headline table."""
    if "subtotal" in ds.dims:
        ds = ds.sel(subtotal="total", drop=True)
    jobs = ds["employment_total"].sel(region="USA")
    lines = [HEADER, "|" + "---|" * 10]
    for name in (n for n in ORDER if n in ds.scenario.values):
        row = ds.sel(scenario=name)
        gdp = [f"{float(row['real_gdp_pct'].sel(region=r)):.3f}" for r in MEMBERS]
        ev = [f"{float(row['ev'].sel(region=r)):+.1f}" if name != "baseline" else "0.0" for r in MEMBERS]
        change = round(float(jobs.sel(scenario=name) - jobs.sel(scenario="baseline")))
        gross = float(row["us_na_trade_jobs_gross"].sum("part")) / 1e6
        agri = float(row["agrifood_exports"].sel(exporter="USA", importer=["MEX", "CAN"]).sum())
        lines.append(f"| {name} | {' | '.join(gdp)} | {' | '.join(ev)} | {change:,} | {gross:.2f} | {agri:.1f} |")
    return lines


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "golden" / "library.nc"
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        print("\n".join(table(ds.load())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
