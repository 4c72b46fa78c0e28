"""Print the model side of docs/validation.md: GTAP v7 numbers for experiments comparable to published ones.

    python scripts/validation_table.py [--only SECTION ...]

Runs the scenario library and the experiments below on the standard GTAP v7 model and the shipped
open 2024 database (what ``cge run`` solves) and prints Markdown tables:

``library``
    every library scenario: real GDP (qgdp) of the members, US employment and reallocation, US goods
    export volume to Mexico and Canada, US EV, the gross trade-jobs attribution;
``macro``
    tariff scenarios under the three macro rules (GTAP's RORDELTA = 1, the library's; RORDELTA = 0;
    fixed trade balances);
``labour``
    short-run scenarios with the wage curve and with fixed real wages;
``exports``
    the US export response to ``tariff25``: shock definition (USMCA exemption) and Armington
    elasticities (ESUBD, ESUBM scaled);
``optimal``
    the US optimal-tariff result: US EV and its WELVIEW parts against the tariff rate and the
    Armington elasticities;
``brookings``
    the Brookings/Purdue shocks as published (every row at 25 %) beside the library's;
``unskilled``
    Walmsley and Minor's closure (unskilled real wage fixed) on ``termination``;
``canada``
    Canada's investment under RORDELTA = 1, with the shipped capital stock and with it halved;
``longrun``
    Mexico in the long run: capital stock, capital share and real GDP;
``jobs``
    the parts of the gross trade-jobs attribution at the baseline.

Nothing is tuned: scenario files, closures and elasticities are run as they are, and the variants
change one thing each (named in the tables).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

import cge
from cge.calibrate import load_elasticities
from cge.errors import SolveError
from cge.gtap.database import load_database
from cge.gtap.horizons import LabourClosure, MacroClosure
from cge.indicators.groups import add_subtotals

ROOT = Path(__file__).resolve().parent.parent
MEMBERS = ["USA", "MEX", "CAN"]
BN = 1e-3
"""US$ bn per US$ million."""


def _pct(new: float, old: float) -> float:
    return 100.0 * (new / old - 1.0)


def _scenario(name: str) -> cge.Scenario:
    return cge.Scenario.from_toml(ROOT / "experiments" / f"{name}.toml")


def _variant(name: str, suffix: str, **closure) -> cge.Scenario:
    """Library scenario ``name`` with ``closure`` fields changed, named ``<name><suffix>``."""
    scen = _scenario(name)
    return scen.model_copy(update={"name": f"{name}{suffix}", "closure": scen.closure.model_copy(update=closure)})


def _with_rate(name: str, rate_pct: float) -> cge.Scenario:
    """Library scenario ``name`` with every tariff row at ``rate_pct`` (named ``<name>_at<rate>``)."""
    scen = _scenario(name)
    rows = tuple(t.model_copy(update={"rate_pct": rate_pct}) for t in scen.tariffs)
    return scen.model_copy(update={"name": f"{name}_at{rate_pct:g}", "tariffs": rows})


def scaled_elasticities(factor: float) -> pd.DataFrame:
    """The shipped elasticity table with sigma_d (ESUBD) and sigma_m (ESUBM) times ``factor``."""
    table = load_elasticities()
    return table.assign(sigma_d=table["sigma_d"] * factor, sigma_m=table["sigma_m"] * factor)


def us_goods_to_partners(ds: xr.Dataset) -> xr.DataArray:
    """US goods exports to MEX+CAN at benchmark fob prices by scenario [US$ bn]."""
    flows = ds["export_volume"].where(ds["goods"], 0.0).sum("commodity")
    return flows.sel(exporter="USA", importer=["MEX", "CAN"]).sum("importer")


def _export_change(ds: xr.Dataset, name: str) -> float:
    exports = us_goods_to_partners(ds)
    return _pct(float(exports.sel(scenario=name)), float(exports.sel(scenario="baseline")))


def _by_member(da: xr.DataArray, spec: str, regions: Iterable[str] = MEMBERS) -> str:
    return " / ".join(format(float(da.sel(region=r)), spec) for r in regions)


def _run(scenarios: list, **kwargs) -> xr.Dataset:
    return cge.run(scenarios, detail="all", **kwargs)


def library_rows(ds: xr.Dataset) -> list[str]:
    """One Markdown row per shocked library scenario."""
    usmca = add_subtotals(ds[["real_gdp_pct", "real_gdp"]], names=["USMCA"])["real_gdp_pct"].sel(region="USMCA")
    out = [
        "| scenario | US GDP % | MEX GDP % | CAN GDP % | USA+MEX+CAN GDP % | US employment change (persons) | "
        "US persons changing sector | US goods export volume to MEX+CAN % | US EV (US$ bn) | "
        "US trade jobs, gross attribution |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ds.scenario.values:
        if name == "baseline":
            continue
        s = ds.sel(scenario=name)
        gdp = " | ".join(f"{float(s['real_gdp_pct'].sel(region=r)):+.3f}" for r in MEMBERS)
        out.append(
            f"| {name} | {gdp} | {float(usmca.sel(scenario=name)):+.3f} | "
            f"{float(s['employment_change'].sel(region='USA')):+,.0f} | "
            f"{float(s['employment_reallocation'].sel(region='USA')):,.0f} | {_export_change(ds, str(name)):+.1f} | "
            f"{float(s['ev'].sel(region='USA')):+.1f} | {float(s['us_na_trade_jobs_gross'].sum('part')):,.0f} |"
        )
    return out


MACRO_NAMES = ("tariff25", "tariff25_shortrun", "tariff25_retaliation", "tariff25_retaliation_shortrun")
MACRO_RULES = {
    "RORDELTA = 1 (library)": None,
    "RORDELTA = 0": MacroClosure.GLOBAL_BANK,
    "fixed trade balances": MacroClosure.FIXED_TRADE_BALANCE,
}


def macro_rows() -> list[str]:
    """Tariff scenarios under each macro rule."""
    scenarios = []
    for name in MACRO_NAMES:
        for i, rule in enumerate(MACRO_RULES.values()):
            scenarios.append(_scenario(name) if rule is None else _variant(name, f"_m{i}", macro=rule))
    ds = _run(scenarios)
    balance = ds["trade_balance"] - ds["trade_balance"].sel(scenario="baseline")
    out = [
        "| scenario | macro rule | GDP % USA / MEX / CAN | US goods exports to MEX+CAN % | "
        "trade balance change USA / MEX / CAN (US$ bn) | real investment % USA / MEX / CAN | US EV (US$ bn) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in MACRO_NAMES:
        for i, label in enumerate(MACRO_RULES):
            v = name if i == 0 else f"{name}_m{i}"
            s = ds.sel(scenario=v)
            out.append(
                f"| {name} | {label} | {_by_member(s['real_gdp_pct'], '+.3f')} | {_export_change(ds, v):+.1f} | "
                f"{_by_member(balance.sel(scenario=v), '+.1f')} | {_by_member(s['real_investment_pct'], '+.2f')} | "
                f"{float(s['ev'].sel(region='USA')):+.1f} |"
            )
    return out


LABOUR_NAMES = ("termination_shortrun", "tariff25_shortrun", "tariff25_retaliation_shortrun")
LABOUR_MACRO = {"RORDELTA = 1 (library)": {}, "RORDELTA = 0": {"macro": MacroClosure.GLOBAL_BANK}}


def _solve_or_reason(scenario: cge.Scenario, **kwargs) -> xr.Dataset | str:
    """The scenario's results (with its baseline), or the reason it has no solution (where the path stalled)."""
    try:
        return _run([scenario], **kwargs)
    except SolveError as err:
        where = re.search(r"at t = ([0-9.]+)", str(err))
        level = re.search(r"smallest level (.+? %)", str(err))
        return (f"beyond t = {float(where.group(1)):.3f} of the shock" if where else str(err)) + (
            f" ({level.group(1)})" if level else ""
        )


def _cells(ds: xr.Dataset | str, name: str, cells: Callable[[xr.Dataset, str], str], width: int) -> str:
    """Table cells of one solved variant, or its failure in the first cell."""
    if isinstance(ds, str):
        return " | ".join([f"no solution {ds}"] + [""] * (width - 1))
    return cells(ds, name)


def labour_rows() -> list[str]:
    """Short run with the wage curve (library) beside fixed real wages in every region, under both
    of GTAP's macro rules."""
    out = [
        "| scenario | macro rule | wage curve: GDP % USA / MEX / CAN | employment change USA / MEX / CAN | "
        "fixed real wage: GDP % USA / MEX / CAN | employment change USA / MEX / CAN |",
        "|---|---|---|---|---|---|",
    ]

    def cells(ds: xr.Dataset, name: str) -> str:
        s = ds.sel(scenario=name)
        return f"{_by_member(s['real_gdp_pct'], '+.3f')} | {_by_member(s['employment_change'], '+,.0f')}"

    for name in LABOUR_NAMES:
        for i, (label, macro) in enumerate(LABOUR_MACRO.items()):
            row = []
            for labour in ({}, {"labour": LabourClosure.FIXED_REAL_WAGE}):
                variant = _variant(name, f"_{i}{len(labour)}", **macro, **labour)
                row.append(_cells(_solve_or_reason(variant), variant.name, cells, 2))
            out.append(f"| {name} | {label} | {row[0]} | {row[1]} |")
    return out


def _welview(s: xr.Dataset, region: str = "USA") -> dict[str, float]:
    """A region's EV decomposition (WELVIEW columns) of one scenario's results [US$ bn]."""
    parts = s["ev_decomposition"].sel(region=region)
    return {str(c): float(parts.sel(component=c)) for c in parts.component.values}


EXPORT_SHOCKS = {
    "tariff25": "25 % on all goods (library)",
    "tariff25_usmca2024": "USMCA goods exempt, 2024 claim shares",
    "tariff25_usmca": "USMCA goods exempt, 2025H2 claim shares (as applied)",
    "tariff25_retaliation": "25 % and 25 % retaliation",
    "tariff25_retaliation_usmca": "both, USMCA goods exempt (as applied)",
}
ELASTICITY_FACTORS = (1.0, 0.5, 1.5)
MACRO_PAIR = {"RORDELTA = 1": {}, "RORDELTA = 0": {"macro": MacroClosure.GLOBAL_BANK}}


def export_rows() -> list[str]:
    """US exports to MEX+CAN under tariff25 and variants: shock definition x elasticities x macro rule."""
    out = [
        "| shock | ESUBD, ESUBM | macro rule | GDP % USA / MEX / CAN | US goods exports to MEX+CAN % | "
        "MEX+CAN goods exports to US % | US EV (US$ bn) |",
        "|---|---|---|---|---|---|---|",
    ]

    def cells(ds: xr.Dataset, name: str) -> str:
        flows = ds["export_volume"].where(ds["goods"], 0.0).sum("commodity")
        to_us = flows.sel(exporter=["MEX", "CAN"], importer="USA").sum("exporter")
        s = ds.sel(scenario=name)
        imports = _pct(float(to_us.sel(scenario=name)), float(to_us.sel(scenario="baseline")))
        return (
            f"{_by_member(s['real_gdp_pct'], '+.3f')} | {_export_change(ds, name):+.1f} | {imports:+.1f} | "
            f"{float(s['ev'].sel(region='USA')):+.1f}"
        )

    for factor in ELASTICITY_FACTORS:
        table = scaled_elasticities(factor)
        for name, label in EXPORT_SHOCKS.items():
            for i, (rule, macro) in enumerate(MACRO_PAIR.items()):
                variant = _variant(name, f"_x{factor:g}_{i}", **macro)
                ds = _solve_or_reason(variant, elasticities=table)
                out.append(f"| {label} | x{factor:g} | {rule} | {_cells(ds, variant.name, cells, 4)} |")
    return out


OPTIMAL_RATES = (5.0, 10.0, 25.0, 50.0)


def optimal_rows() -> list[str]:
    """US EV and its WELVIEW parts against the rate of the tariff25 rows, the elasticities and the macro rule."""
    out = [
        "| ESUBD, ESUBM | macro rule | US tariff on MEX and CAN goods | US EV (US$ bn) | allocative efficiency | "
        "terms of trade | investment-saving | MEX EV | CAN EV | US GDP % |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]

    def cells(ds: xr.Dataset, name: str) -> str:
        s = ds.sel(scenario=name)
        parts = _welview(s)
        return (
            f"{float(s['ev'].sel(region='USA')):+.1f} | {parts['alloc_A1']:+.1f} | {parts['tot_E1']:+.1f} | "
            f"{parts['IS_F1']:+.1f} | {float(s['ev'].sel(region='MEX')):+.1f} | "
            f"{float(s['ev'].sel(region='CAN')):+.1f} | {float(s['real_gdp_pct'].sel(region='USA')):+.3f}"
        )

    for factor in (0.5, 1.0, 1.5, 2.0):
        table = scaled_elasticities(factor)
        for rule, macro in MACRO_PAIR.items():
            for rate in OPTIMAL_RATES:
                scen = _with_rate("tariff25", rate)
                scen = scen.model_copy(update={"closure": scen.closure.model_copy(update=macro)})
                ds = _solve_or_reason(scen, elasticities=table)
                out.append(f"| x{factor:g} | {rule} | {rate:g} % | {_cells(ds, scen.name, cells, 7)} |")
    return out


def canada_capital_rows() -> list[str]:
    """Canada's investment under RORDELTA = 1: the shipped database and one with Canada's capital
    stock VKB halved (an experiment, not data), at shipped and halved elasticities."""
    from cge.gtap.model.coefficients import compute_coefficients

    shipped = load_database()
    halved = shipped.copy()
    halved["VKB"] = shipped["VKB"].where(shipped["REG"] != "CAN", shipped["VKB"] * 0.5)
    out = [
        "| database | Canada: GRNETRATIO, INVKERATIO, investment response GRNETRATIO / (RORFLEX INVKERATIO) | "
        "ESUBD, ESUBM | tariff25: qinv CAN % | qgdp CAN % | US goods exports to MEX+CAN % |",
        "|---|---|---|---|---|---|",
    ]

    def cells(ds: xr.Dataset, name: str) -> str:
        s = ds.sel(scenario=name)
        return (
            f"{float(s['qinv'].sel(region='CAN')):+.1f} | {float(s['qgdp'].sel(region='CAN')):+.3f} | "
            f"{_export_change(ds, name):+.1f}"
        )

    for label, db in (("shipped", shipped), ("Canada's VKB halved (experiment)", halved)):
        cf = compute_coefficients(db)
        k = [str(r) for r in db["REG"].values].index("CAN")
        gr, ik, flex = (float(np.asarray(getattr(cf, c))[k]) for c in ("GRNETRATIO", "INVKERATIO", "RORFLEX"))
        for factor in (1.0, 0.5):
            ds = _solve_or_reason(_scenario("tariff25"), sam=db, elasticities=scaled_elasticities(factor))
            result = _cells(ds, "tariff25", cells, 3)
            out.append(f"| {label} | {gr:.2f}, {ik:.3f}, {gr / (flex * ik):.2f} | x{factor:g} | {result} |")
    return out


def capital_shares() -> xr.DataArray:
    """Capital's share in each region's factor income at agents' prices (open database) [1]."""
    db = load_database()
    evfp = db["EVFP"].sum("ACTS")
    capital = evfp.sel(ENDW=[e for e in evfp.ENDW.values if str(e).lower().startswith("capital")]).sum("ENDW")
    return (capital / evfp.sum("ENDW")).rename({"REG": "region"})


def longrun_rows() -> list[str]:
    """Real GDP, capital stock and rental rate of the members: medium and long run of tariff25."""
    names = ("tariff25", "tariff25_longrun", "tariff25_retaliation", "tariff25_retaliation_longrun")
    ds = _run([_scenario(n) for n in names])
    share = capital_shares()
    out = [
        "| scenario | region | real GDP % | capital stock % | capital share of factor income | "
        "capital share x capital stock % | rental rate % | real investment % |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in names:
        s = ds.sel(scenario=name)
        for r in MEMBERS:
            k = float(s["capital_stock_pct"].sel(region=r))
            out.append(
                f"| {name} | {r} | {float(s['real_gdp_pct'].sel(region=r)):+.3f} | {k:+.2f} | "
                f"{float(share.sel(region=r)):.3f} | {k * float(share.sel(region=r)):+.2f} | "
                f"{float(s['rental_rate_pct'].sel(region=r)):+.2f} | "
                f"{float(s['real_investment_pct'].sel(region=r)):+.2f} |"
            )
    return out


def longrun_mechanism_rows() -> list[str]:
    """Mexico's long run against the substitution between capital and labour (ESUBVA scaled)."""
    out = [
        "| ESUBVA | tariff25 medium run: rental rate MEX % | tariff25_longrun: capital stock MEX % | real GDP MEX % | "
        "real GDP USA / CAN % |",
        "|---|---|---|---|---|",
    ]
    for factor in (0.5, 1.0, 2.0):
        table = load_elasticities()
        table = table.assign(sigma_va=table["sigma_va"] * factor)
        ds = _run([_scenario("tariff25"), _scenario("tariff25_longrun")], elasticities=table)
        medium, long = ds.sel(scenario="tariff25"), ds.sel(scenario="tariff25_longrun")
        out.append(
            f"| x{factor:g} | {float(medium['rental_rate_pct'].sel(region='MEX')):+.2f} | "
            f"{float(long['capital_stock_pct'].sel(region='MEX')):+.2f} | "
            f"{float(long['real_gdp_pct'].sel(region='MEX')):+.3f} | "
            f"{_by_member(long['real_gdp_pct'], '+.3f', ('USA', 'CAN'))} |"
        )
    return out


def _all_exports_change(ds: xr.Dataset, name: str, importers: list[str] | None = None, value: bool = False) -> float:
    """US exports of goods and services to ``importers`` (default: every region), % change: volume at
    benchmark fob prices, or with ``value`` the value at the solution's fob prices (numeraire units)."""
    flows = ds["exports" if value else "export_volume"].sum("commodity").sel(exporter="USA")
    flows = flows.sel(importer=importers).sum("importer") if importers else flows.sum("importer")
    return _pct(float(flows.sel(scenario=name)), float(flows.sel(scenario="baseline")))


BROOKINGS = ("tariff25", "tariff25_shortrun", "tariff25_retaliation", "tariff25_retaliation_shortrun")


def brookings_rows() -> list[str]:
    """The Brookings/Purdue shocks (25 % on all goods, energy included; retaliation in kind) in the
    medium and short run, beside the library's files (Canadian energy at 10 %)."""
    scenarios = [_scenario(n) for n in BROOKINGS] + [_with_rate(n, 25.0) for n in BROOKINGS]
    ds = _run(scenarios)
    out = [
        "| scenario | US GDP % | US employment change | US real wage % (skilled / unskilled) | "
        "US goods exports to MEX+CAN % | US goods and services exports to MEX+CAN % | "
        "US exports to all destinations %: volume / value | US EV (US$ bn) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in [*BROOKINGS, *(f"{n}_at25" for n in BROOKINGS)]:
        s = ds.sel(scenario=name)
        wages = s["real_wage_by_skill_pct"].sel(region="USA")
        wage = " / ".join(f"{float(wages.sel(skill=k)):+.2f}" for k in ("SkLab", "UnSkLab"))
        label = name.replace("_at25", " (all rows at 25 %, energy included)")
        out.append(
            f"| {label} | {float(s['real_gdp_pct'].sel(region='USA')):+.3f} | "
            f"{float(s['employment_change'].sel(region='USA')):+,.0f} | {wage} | {_export_change(ds, name):+.1f} | "
            f"{_all_exports_change(ds, name, ['MEX', 'CAN']):+.1f} | {_all_exports_change(ds, name):+.1f} / "
            f"{_all_exports_change(ds, name, value=True):+.1f} | {float(s['ev'].sel(region='USA')):+.1f} |"
        )
    return out


def unskilled_rows() -> list[str]:
    """Walmsley and Minor's closure on ``termination``: unskilled labour at a fixed real wage in every
    region (GEMPACK swap ``qe = rwage`` for UnSkLab), skilled labour fully employed, capital mobile."""
    from cge.gtap.horizons import gtap_closure
    from cge.gtap.scenario_runner import closure_arguments
    from cge.gtap.scenario_shocks import gtap_shocks
    from cge.gtap.simulate import prepare, solve
    from cge.indicators.gtap import gtap_indicators

    db = load_database()
    out = [
        "| closure | macro rule | US unskilled employment change (persons) | US skilled | US GDP % | "
        "MEX unskilled | CAN unskilled |",
        "|---|---|---|---|---|---|---|",
    ]
    spec = _scenario("termination")
    for rule, macro in MACRO_PAIR.items():
        scen = spec.model_copy(update={"closure": spec.closure.model_copy(update=macro)})
        closure = gtap_closure(db, **closure_arguments(scen.closure))
        fixed = [f'qe("UnSkLab","{r}") = rwage("UnSkLab","{r}")' for r in db["REG"].values]
        for label, swaps in (("full employment", []), ("unskilled real wage fixed", fixed)):
            model = prepare(closure.database, swaps=[*closure.swaps, *swaps], rordelta=closure.rordelta)
            result = gtap_indicators(solve(model, gtap_shocks(scen, db).shocks), db, "all")
            base = gtap_indicators(solve(model, {}), db, "all")["employment_by_skill"]
            persons = (result["employment_by_skill"] - base).sum("activity")
            unsk, sk, dim = "UnSkLab", "SkLab", "skill"
            out.append(
                f"| {label} | {rule} | {float(persons.sel(region='USA', **{dim: unsk})):+,.0f} | "
                f"{float(persons.sel(region='USA', **{dim: sk})):+,.0f} | "
                f"{float(result['real_gdp_pct'].sel(region='USA')):+.3f} | "
                f"{float(persons.sel(region='MEX', **{dim: unsk})):+,.0f} | "
                f"{float(persons.sel(region='CAN', **{dim: unsk})):+,.0f} |"
            )
    return out


def longrun_macro_rows() -> list[str]:
    """``tariff25_longrun`` under each macro rule."""
    scenarios = [
        _scenario("tariff25_longrun") if rule is None else _variant("tariff25_longrun", f"_m{i}", macro=rule)
        for i, rule in enumerate(MACRO_RULES.values())
    ]
    ds = _run(scenarios)
    out = [
        "| tariff25_longrun, macro rule | real GDP % USA / MEX / CAN | capital stock % USA / MEX / CAN | "
        "US EV (US$ bn) |",
        "|---|---|---|---|",
    ]
    for scen, label in zip(scenarios, MACRO_RULES, strict=True):
        s = ds.sel(scenario=scen.name)
        out.append(
            f"| {label} | {_by_member(s['real_gdp_pct'], '+.3f')} | {_by_member(s['capital_stock_pct'], '+.2f')} | "
            f"{float(s['ev'].sel(region='USA')):+.1f} |"
        )
    return out


def jobs_rows(ds: xr.Dataset) -> list[str]:
    """Parts of the gross trade-jobs attribution at the baseline, and the published figure."""
    jobs = ds["us_na_trade_jobs_gross"]
    parts = jobs.sel(scenario="baseline")
    out = ["| gross trade-jobs attribution, baseline | persons |", "|---|---|"]
    out += [f"| {str(p).replace('_', ' ')} | {float(parts.sel(part=p)):,.0f} |" for p in parts.part.values]
    total = float(parts.sum("part"))
    out.append(f"| **ours, total** | **{total:,.0f}** |")
    out.append(f"| published (US Chamber of Commerce 2025, TPW method) | {jobs.attrs['published_persons']:,.0f} |")
    out.append(f"| published / ours | {jobs.attrs['published_persons'] / total:.2f} |")
    return out


def _library() -> xr.Dataset:
    return _run(sorted((ROOT / "experiments").glob("*.toml")))


SECTIONS: dict[str, Callable[[], list[str]]] = {
    "library": lambda: library_rows(_library()),
    "macro": macro_rows,
    "labour": labour_rows,
    "exports": export_rows,
    "optimal": optimal_rows,
    "canada": canada_capital_rows,
    "brookings": brookings_rows,
    "unskilled": unskilled_rows,
    "longrun": lambda: longrun_rows() + [""] + longrun_mechanism_rows() + [""] + longrun_macro_rows(),
    "jobs": lambda: jobs_rows(_run([_scenario("baseline")])),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(SECTIONS), help="sections to print (default: all)")
    args = parser.parse_args(argv)
    for name in args.only or SECTIONS:
        sys.stdout.write(f"\n### {name}\n\n" + "\n".join(SECTIONS[name]()) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
