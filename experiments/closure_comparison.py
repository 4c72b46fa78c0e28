"""Short, medium and long run for the headline USMCA scenarios, using only the public API.

    python experiments/closure_comparison.py [OUT.csv]

Runs termination and the 25% tariffs (with and without retaliation) under the three horizons on
GTAP v7 and the shipped open database and writes, for USA, MEX and CAN: real GDP [%], EV [US$ bn] and the change in
persons employed, one row per scenario and region. Prints the table too.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cge

HERE = Path(__file__).resolve().parent
FAMILIES = ("termination", "tariff25", "tariff25_retaliation")
MEMBERS = ["USA", "MEX", "CAN"]


def closure_table():
    """Run the scenarios and return a pandas DataFrame (scenario, region) -> indicators."""
    files = [HERE / f"{name}{suffix}.toml" for name in FAMILIES for suffix in ("", "_shortrun", "_longrun")]
    ds = cge.run(files)
    jobs = ds["employment_total"] - ds["employment_total"].sel(scenario="baseline")
    table = (
        ds[["real_gdp_pct", "ev"]]
        .assign(employment_change=jobs)
        .sel(region=MEMBERS)
        .drop_sel(scenario="baseline")
        .to_dataframe()[["real_gdp_pct", "ev", "employment_change"]]
    )
    labels = {"real_gdp_pct": "real GDP [%]", "ev": "EV [US$ bn]", "employment_change": "employment change [persons]"}
    return table.rename(columns=labels)


def main() -> int:
    table = closure_table()
    print(table.round(3).to_string())
    if len(sys.argv) > 1:
        table.to_csv(sys.argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
