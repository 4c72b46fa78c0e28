"""Regenerate the golden results (tests/golden/library.nc): the scenario library on GTAP v7 and the
shipped open database, split by shock group (``subtotal`` dim).

Run explicitly, after a deliberate change of the model, data or scenarios, and commit the file
with a message that says why the numbers moved:

    python scripts/regenerate_golden.py

The tests compare fresh runs to this file; they never rewrite it.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import cge

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "library.nc"
KEEP = (
    "real_gdp",
    "real_gdp_pct",
    "ev",
    "employment_total",
    "terms_of_trade_pct",
    "tariff_revenue",
    "agrifood_exports",
    "us_na_trade_jobs_gross",
    "qgdp",
    "EV",
    "ev_decomposition",
    "output_pct",
    "wage_pct",
    "cpi_pct",
    "trade_balance",
    "capital_stock_pct",
    "employment_reallocation",
)


def main() -> int:
    logging.basicConfig(level=logging.INFO)
    ds = cge.run(sorted((ROOT / "experiments").glob("*.toml")), subtotals=True)
    golden = ds[list(KEEP)]
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    tmp = GOLDEN.with_suffix(".tmp")
    golden.to_netcdf(tmp, engine="h5netcdf")
    tmp.replace(GOLDEN)
    logging.info("wrote %s (%d scenarios)", GOLDEN, ds.sizes["scenario"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
