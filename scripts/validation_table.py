"""Print the model side of docs/validation.md: our numbers for experiments comparable to published ones.

    python scripts/validation_table.py [results.nc]

Without a file it runs the scenario library on the shipped SAM first.
"""

from __future__ import annotations

import sys
from pathlib import Path

import xarray as xr

import cge
from cge.indicators.groups import add_subtotals

ROOT = Path(__file__).resolve().parent.parent


def _pct(new: float, old: float) -> float:
    return 100.0 * (new / old - 1.0)


def _us_goods_to_partners(ds: xr.Dataset) -> float:
    flows = ds["export_volume"].where(ds["goods"], 0.0).sum("commodity")
    return float(flows.sel(exporter="USA", importer=["MEX", "CAN"]).sum())


def rows(ds: xr.Dataset) -> list[tuple[str, str, str]]:
    base = ds.sel(scenario="baseline")
    usmca = add_subtotals(ds, names=["USMCA"])["real_gdp_pct"].sel(region="USMCA")
    out = []
    for name in ds.scenario.values:
        if name == "baseline":
            continue
        s = ds.sel(scenario=name)
        us_gdp = float(s["real_gdp_pct"].sel(region="USA"))
        region_gdp = float(usmca.sel(scenario=name))
        can_gdp = float(s["real_gdp_pct"].sel(region="CAN"))
        jobs = float(s["employment_change"].sel(region="USA"))
        exports = _pct(_us_goods_to_partners(s), _us_goods_to_partners(base))
        out.append(
            (
                str(name),
                f"{us_gdp:+.3f} | {region_gdp:+.3f} | {can_gdp:+.3f} | {jobs:+,.0f} | {exports:+.1f}",
                f"{float(s['us_na_trade_jobs']):,.0f}",
            )
        )
    return out


def main() -> int:
    if len(sys.argv) > 1:
        ds = xr.open_dataset(sys.argv[1], engine="h5netcdf").load()
    else:
        ds = cge.run(sorted((ROOT / "experiments").glob("*.toml")))
    print(
        "| scenario | US GDP % | USA+MEX+CAN GDP % | CAN GDP % | US employment change (persons) | "
        "US goods export volume to MEX+CAN % | US trade-supported jobs |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, cells, jobs in rows(ds):
        print(f"| {name} | {cells} | {jobs} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
