"""Print the model side of docs/validation.md: our numbers for experiments comparable to published ones.

    python scripts/validation_table.py [results.nc]

Without a file it runs the scenario library on the shipped SAM first. Three tables: the library
by horizon; the macro-closure comparison (the same shocks under fixed_trade_balance and the
rate_of_return global bank, which is GTAP's standard closure); and the parts of the
trade-supported jobs measure beside the published figure. Nothing here is tuned: the scenario
files and closures are run as they are.
"""

from __future__ import annotations

import sys
from pathlib import Path

import xarray as xr

import cge
from cge.calibrate import load_elasticities
from cge.gtap.horizons import LabourClosure, MacroClosure
from cge.indicators.groups import add_subtotals

ROOT = Path(__file__).resolve().parent.parent
MEMBERS = ["USA", "MEX", "CAN"]
MACRO_VARIANTS = ("tariff25", "tariff25_shortrun", "tariff25_retaliation", "tariff25_retaliation_shortrun")
"""Library scenarios also run under the rate-of-return global bank (GTAP's standard macro closure)."""


def _pct(new: float, old: float) -> float:
    return 100.0 * (new / old - 1.0)


def us_goods_to_partners(ds: xr.Dataset) -> xr.DataArray:
    """US goods exports to MEX+CAN at benchmark fob prices by scenario [US$ bn]."""
    flows = ds["export_volume"].where(ds["goods"], 0.0).sum("commodity")
    return flows.sel(exporter="USA", importer=["MEX", "CAN"]).sum("importer")


def library_rows(ds: xr.Dataset) -> list[str]:
    """One Markdown row per shocked scenario."""
    exports = us_goods_to_partners(ds)
    usmca = add_subtotals(ds, names=["USMCA"])["real_gdp_pct"].sel(region="USMCA")
    out = []
    for name in ds.scenario.values:
        if name == "baseline":
            continue
        s = ds.sel(scenario=name)
        gdp = [float(s["real_gdp_pct"].sel(region=r)) for r in MEMBERS]
        members = float(usmca.sel(scenario=name))
        jobs = float(s["employment_change"].sel(region="USA"))
        moved = float(s["employment_reallocation"].sel(region="USA"))
        export_change = _pct(float(exports.sel(scenario=name)), float(exports.sel(scenario="baseline")))
        out.append(
            f"| {name} | {gdp[0]:+.3f} | {gdp[1]:+.3f} | {gdp[2]:+.3f} | {members:+.3f} | {jobs:+,.0f} | "
            f"{moved:,.0f} | {export_change:+.1f} | {float(s['ev'].sel(region='USA')):+.1f} | "
            f"{float(s['us_na_trade_jobs_gross'].sum('part')):,.0f} |"
        )
    return out


def closure_variants(names: tuple[str, ...], suffix: str, **closure) -> xr.Dataset:
    """Library scenarios ``names`` as they are and with ``closure`` fields changed (``<name><suffix>``)."""
    scenarios = []
    for name in names:
        scen = cge.Scenario.from_toml(ROOT / "experiments" / f"{name}.toml")
        changed = scen.model_copy(
            update={"name": f"{name}{suffix}", "closure": scen.closure.model_copy(update=closure)}
        )
        scenarios += [scen, changed]
    return cge.run(scenarios)


def _by_member(da: xr.DataArray, spec: str, regions=MEMBERS) -> str:
    return " / ".join(format(float(da.sel(region=r)), spec) for r in regions)


def macro_rows() -> list[str]:
    """The tariff scenarios under fixed_trade_balance (as in the library) and rate_of_return."""
    ds = closure_variants(MACRO_VARIANTS, "_ror", macro=MacroClosure.RATE_OF_RETURN)
    exports = us_goods_to_partners(ds)
    balance_change = ds["trade_balance"] - ds["trade_balance"].sel(scenario="baseline")
    rows = []
    for name in MACRO_VARIANTS:
        cells = []
        for variant in (name, f"{name}_ror"):
            s = ds.sel(scenario=variant)
            change = _pct(float(exports.sel(scenario=variant)), float(exports.sel(scenario="baseline")))
            balance = _by_member(balance_change.sel(scenario=variant), "+.1f", ("MEX", "CAN"))
            jobs = float(s["employment_change"].sel(region="USA"))
            cells.append(f"{_by_member(s['real_gdp_pct'], '+.3f')} | {change:+.1f} | {balance} | {jobs:+,.0f}")
        rows.append(f"| {name} | {cells[0]} | {cells[1]} |")
    return rows


RIGID_WAGE_VARIANTS = ("termination_shortrun", "tariff25_shortrun", "tariff25_retaliation_shortrun")
"""Short-run scenarios also run with the fixed real wage everywhere (the limit ε = ∞)."""


def rigid_wage_rows() -> list[str]:
    """Short run with the wage curve (library) beside the fixed-real-wage extreme."""
    ds = closure_variants(RIGID_WAGE_VARIANTS, "_rigid", labour=LabourClosure.FIXED_REAL_WAGE)
    rows = []
    for name in RIGID_WAGE_VARIANTS:
        cells = [
            f"{_by_member(ds['real_gdp_pct'].sel(scenario=v), '+.3f')} | "
            f"{_by_member(ds['employment_change'].sel(scenario=v), '+,.0f')}"
            for v in (name, f"{name}_rigid")
        ]
        rows.append(f"| {name} | {cells[0]} | {cells[1]} |")
    return rows


USMCA_CLAIM_SHARES = {"MEX": 0.49, "CAN": 0.38}
"""Shares of 2024 US imports from each partner that claimed USMCA preference (experiments/README.md):
the March 2025 IEEPA tariffs exempted USMCA-qualifying goods."""


def mechanism_rows() -> list[str]:
    """Two mechanisms behind our larger trade response in ``tariff25`` (never adopted as defaults):
    the shock definition (USMCA-qualifying goods exempt: rate x (1 - claim share)) and the
    Armington elasticities (σ_D and σ_M halved)."""
    base = cge.Scenario.from_toml(ROOT / "experiments" / "tariff25.toml")
    rows = [t.model_copy(update={"rate_pct": t.rate_pct * (1 - USMCA_CLAIM_SHARES[t.exporter])}) for t in base.tariffs]
    exempt = base.model_copy(update={"name": "tariff25_usmca_exempt", "tariffs": tuple(rows)})
    table = load_elasticities()
    half = table.assign(sigma_d=table["sigma_d"] * 0.5, sigma_m=table["sigma_m"] * 0.5)
    runs = {
        "shipped elasticities": cge.run([base, exempt]),
        "σ_D, σ_M halved": cge.run([base, exempt], elasticities=half),
    }
    out = []
    for label, ds in runs.items():
        exports = us_goods_to_partners(ds)
        for name, shock in (("tariff25", "25 % on all goods"), ("tariff25_usmca_exempt", "USMCA goods exempt")):
            change = _pct(float(exports.sel(scenario=name)), float(exports.sel(scenario="baseline")))
            gdp = " / ".join(f"{float(ds['real_gdp_pct'].sel(scenario=name, region=r)):+.3f}" for r in MEMBERS)
            out.append(f"| {shock} | {label} | {gdp} | {change:+.1f} |")
    return out


def jobs_rows(ds: xr.Dataset) -> list[str]:
    """Parts of the gross trade-jobs attribution at the baseline, and the published figure."""
    jobs = ds["us_na_trade_jobs_gross"]
    parts = jobs.sel(scenario="baseline")
    rows = [f"| {str(p).replace('_', ' ')} | {float(parts.sel(part=p)):,.0f} |" for p in parts.part.values]
    total = float(parts.sum("part"))
    rows.append(f"| **ours, total** | **{total:,.0f}** |")
    rows.append(f"| published (US Chamber of Commerce 2025, TPW method) | {jobs.attrs['published_persons']:,.0f} |")
    rows.append(f"| published / ours | {jobs.attrs['published_persons'] / total:.2f} |")
    return rows


def main() -> int:
    if len(sys.argv) > 1:
        ds = xr.open_dataset(sys.argv[1], engine="h5netcdf").load()
    else:
        ds = cge.run(sorted((ROOT / "experiments").glob("*.toml")))
    print(
        "| scenario | US GDP % | MEX GDP % | CAN GDP % | USA+MEX+CAN GDP % | US employment change (persons) | "
        "US persons changing sector | US goods export volume to MEX+CAN % | US EV (US$ bn) | "
        "US trade-supported jobs (ours) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(library_rows(ds)))
    print()
    print(
        "| scenario | fixed_trade_balance: GDP % USA / MEX / CAN | US goods exports to MEX+CAN % | "
        "trade balance change MEX / CAN (US$ bn) | US employment change | rate_of_return: GDP % USA / MEX / CAN | "
        "US goods exports to MEX+CAN % | trade balance change MEX / CAN (US$ bn) | US employment change |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(macro_rows()))
    print()
    print(
        "| scenario | wage curve: GDP % USA / MEX / CAN | employment change USA / MEX / CAN | "
        "fixed real wage: GDP % USA / MEX / CAN | employment change USA / MEX / CAN |"
    )
    print("|---|---|---|---|---|")
    print("\n".join(rigid_wage_rows()))
    print()
    print("| tariff25 shock | elasticities | GDP % USA / MEX / CAN | US goods exports to MEX+CAN % |")
    print("|---|---|---|---|")
    print("\n".join(mechanism_rows()))
    print()
    print("| trade-supported jobs, baseline | persons |")
    print("|---|---|")
    print("\n".join(jobs_rows(ds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
