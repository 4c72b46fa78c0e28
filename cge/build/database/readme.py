"""The generated README of the open database: sources, targets with value, gap and source, totals.

Written by :func:`write_readme` from the built Dataset and its :class:`BuildOutcome`; every number
comes from the run (nothing is typed by hand). Edit this module, not the generated file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from cge.atomic import atomic_write
from cge.build.database.cells import ACTS, COMM, ENDW, LABOUR_ENDOWMENTS, REG, REG_2

BN = 1000.0
WITHIN = 15.0
"""A target is met when the database is within this many percent of the public value."""


def _table(frame: pd.DataFrame, floatfmt: dict[str, str] | None = None) -> str:
    floatfmt = floatfmt or {}
    cols = list(frame.columns)
    lines = [
        "| " + " | ".join(cols) + " |",
        "|" + "|".join("---:" if frame[c].dtype.kind in "fi" else "---" for c in cols) + "|",
    ]
    for _, row in frame.iterrows():
        cells = []
        for c in cols:
            v = row[c]
            if isinstance(v, float | np.floating):
                cells.append("" if np.isnan(v) else format(v, floatfmt.get(c, ",.2f")))
            else:
                cells.append(str(v).replace("|", "/"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def macro_table(db: xr.Dataset) -> pd.DataFrame:
    """GDP and its parts by region [US$ bn]; labour share [%]."""
    gdp = db["EVFB"].sum([ENDW, ACTS]) + (db["MAKB"] - db["MAKS"]).sum([COMM, ACTS])
    for p, b in (
        ("VDFP", "VDFB"),
        ("VMFP", "VMFB"),
        ("VDPP", "VDPB"),
        ("VMPP", "VMPB"),
        ("VDGP", "VDGB"),
        ("VMGP", "VMGB"),
        ("VDIP", "VDIB"),
        ("VMIP", "VMIB"),
    ):
        gdp = gdp + (db[p] - db[b]).sum([d for d in db[p].dims if d != REG])
    tariffs = (db["VMSB"] - db["VCIF"]).sum([COMM, REG]).rename({REG_2: REG})
    gdp = gdp + tariffs
    c = (db["VDPP"] + db["VMPP"]).sum(COMM)
    g = (db["VDGP"] + db["VMGP"]).sum(COMM)
    i = (db["VDIP"] + db["VMIP"]).sum(COMM)
    x = db["VFOB"].sum([COMM, REG_2]) + db["VST"].sum("MARG")
    m = db["VCIF"].sum([COMM, REG]).rename({REG_2: REG})
    labour = db["EVFB"].sel({ENDW: list(LABOUR_ENDOWMENTS)}).sum([ENDW, ACTS])
    return pd.DataFrame(
        {
            "region": [str(r) for r in db[REG].values],
            "GDP": gdp.values / BN,
            "private": c.values / BN,
            "government": g.values / BN,
            "investment": i.values / BN,
            "exports fob + VST": x.values / BN,
            "imports cif": m.values / BN,
            "tariffs": tariffs.values / BN,
            "SAVE": db["SAVE"].values / BN,
            "VDEP": db["VDEP"].values / BN,
            "labour % GDP": 100.0 * labour.values / gdp.values,
        }
    )


def value_added_shares(db: xr.Dataset) -> pd.DataFrame:
    """Value added at basic prices by sector, % of GDP."""
    va = db["EVFP"].sum(ENDW) + (db["MAKB"] - db["MAKS"]).sum(COMM)
    gdp = macro_table(db)["GDP"].to_numpy() * BN
    shares = 100.0 * va / xr.DataArray(gdp, dims=(REG,), coords={REG: db[REG].values})
    frame: pd.DataFrame = shares.transpose(ACTS, REG).to_pandas()  # 2-D: a DataFrame
    frame.index.name = "sector"
    return frame.reset_index()


def render(db: xr.Dataset, outcome, seconds: float, out_name: str) -> str:
    """The README text."""
    report = json.loads(db.attrs["balancing_report"])
    tables = json.loads(db.attrs["tables"])
    regions_source = json.loads(db.attrs["regions_source"])
    notes = json.loads(db.attrs["table_notes"])
    issue = pd.DataFrame(report["issue17_targets"])
    issue["gap %"] = 100.0 * (issue["database"] / issue["value"] - 1.0)
    issue["within 15 %"] = np.where(issue["gap %"].abs() <= WITHIN, "yes", "NO")
    issue = issue[["name", "value", "unit", "year", "database", "gap %", "within 15 %", "use", "source"]]
    targets = pd.DataFrame(report["targets"])
    targets["gap %"] = 100.0 * (targets["achieved"] / targets["target"] - 1.0)
    hard = targets[targets["sd"].isna()][["name", "target", "achieved", "gap %"]].copy()
    soft = targets[targets["sd"].notna()][["name", "target", "before", "achieved", "gap %", "sd", "side"]].copy()
    for frame in (hard, soft):
        for c in ("target", "before", "achieved"):
            if c in frame:
                frame[c] = frame[c] / BN
    controls = {m.name: m.source for m in outcome.inputs.controls.controls()}
    hard["source"] = hard["name"].map(controls).fillna("")
    sector_src = {m.name: m.source for m in outcome.inputs.sector.measures}
    soft["source"] = (
        soft["name"].map(sector_src).fillna("see the issue-17 table, or the US HS6 data (national/us_imports_2024)")
    )
    factors = report["tariff_level_factors"]
    tariff_rows = []
    levels = {lv.importer: lv for lv in outcome.inputs.sector.tariff_levels}
    mtax_c, fob_c = db["VMSB"] - db["VCIF"], db["VFOB"]
    mtax, fob = mtax_c.sum(COMM), fob_c.sum(COMM)
    for r in db[REG].values:
        lv = levels.get(str(r))
        tariff_rows.append(
            {
                "importer": str(r),
                "revenue (US$ bn)": float(mtax.sel({REG_2: r}).sum()) / BN,
                "level factor": factors.get(str(r), 1.0),
                "collected duties source": lv.source[:160] if lv else "no figure: table rates kept",
            }
        )
    rate = pd.DataFrame(100.0 * (mtax / fob.where(fob > 0)).transpose(REG, REG_2).to_pandas())
    rate.index.name = "exporter \\ importer"
    claims = db["usmca_claim_share"]
    claim_rows = []
    for partner in ("CAN", "MEX"):
        if partner in db[REG].values and "USA" in db[REG].values:
            for s in db[COMM].values:
                if bool(db["goods"].sel({COMM: s})):
                    claim_rows.append(
                        {
                            "flow": f"{partner}->USA",
                            "sector": str(s),
                            "imports fob (US$ bn)": float(fob_c.sel({COMM: s, REG: partner, REG_2: "USA"})) / BN,
                            "claim share": float(claims.sel({COMM: s, REG: partner, REG_2: "USA"})),
                            "rate on all trade %": 100.0
                            * float(mtax_c.sel({COMM: s, REG: partner, REG_2: "USA"}))
                            / max(float(fob_c.sel({COMM: s, REG: partner, REG_2: "USA"})), 1e-9),
                            "rate on non-claimed %": 100.0
                            * float(db["usmca_nonclaimed_rate"].sel({COMM: s, REG: partner, REG_2: "USA"})),
                        }
                    )
    special = outcome.tariffs.special_rows
    lines = [
        "# The open North American database, 2024 (GTAP v7 format)",
        "",
        "*Generated by `cge build-database` (`cge/build/database/readme.py`); edit the generator, not this file.*",
        "",
        f"- Files: `sets.har`, `basedata.har`, `default.prm`, `{out_name}` (`cge.gtap.save_database`; the "
        "netCDF file keeps the satellites and float64 values), this README.",
        f"- Hash (SHA-256 of labels and values): `{db.attrs['hash']}`",
        f"- Build time of this run: {seconds:.1f} s; balancing: {report['rounds']} rounds (tariff levels), "
        f"{report['iterations']} Ipopt iterations in the last; largest identity gap "
        f"{report['largest_identity_gap_musd']:.2e} US$ million "
        f"(prior: {report['largest_identity_gap_prior_musd']:,.0f}).",
        "- Rebuild: `cge build-database --data-dir ../shared/data --out DIR` (see `docs/build_database.md`).",
        "",
        "## Regions and their tables",
        "",
        _table(
            pd.DataFrame(
                {
                    "region": list(tables),
                    "source": [regions_source[r] for r in tables],
                    "method": [tables[r] for r in tables],
                }
            )
        ),
        "",
        "Why these tables: each is the newest input-output table for the country in `national/` "
        "(BEA 2023; INEGI 2018 with the WIOD 2016 release's 2014 detail for Mexico; WIOD 2016 for 2014 with "
        "Statistics Canada's 2023 income shares for Canada, which has no newer table there; NBS 2020 for China). "
        "Every table is scaled by one factor to its region's 2024 GDP control; the balancing then moves it to the "
        "2024 targets. The make matrix is BEA's supply table for the USA (off-diagonal production); it is diagonal "
        "for the other regions (their tables are industry by industry).",
        "",
        "Figures of the conversion (national currency converted at the year's Federal Reserve G.5A rate):",
        "",
        _table(pd.DataFrame([{"region": r, "item": k, "value": v} for r, n in notes.items() for k, v in n.items()])),
        "",
        "## Targets of issue 17: public value, database, gap",
        "",
        "Soft targets (`use = target`) enter the balancing with the standard error of their quality; checks are "
        "reported only. "
        "Shares are % of GDP; values in US$ bn unless the unit says otherwise.",
        "",
        _table(issue, {"value": ",.3f", "database": ",.3f", "gap %": "+.2f"}),
        "",
        "## Controls (imposed exactly)",
        "",
        _table(hard, {"target": ",.3f", "achieved": ",.3f", "gap %": "+.4f"}),
        "",
        "## Soft targets of the 2024 figures below the totals (US$ bn)",
        "",
        "The figures of `macro/controls_2024_sector.csv` (through `calibration/controls/`, as in the SAM build), the "
        "US HS6 import composition and the targets above. `before` = the prior.",
        "",
        _table(soft, {"target": ",.2f", "before": ",.2f", "achieved": ",.2f", "gap %": "+.2f", "sd": ".3f"}),
        "",
        "## Tariffs (2024, as collected)",
        "",
        _table(pd.DataFrame(tariff_rows), {"revenue (US$ bn)": ",.3f", "level factor": ".4f"}),
        "",
        "Average rates (tariff revenue / f.o.b. imports, all commodities, %):",
        "",
        _table(rate.reset_index(), {c: ".2f" for c in rate.columns}),
        "",
        "US imports from Canada and Mexico: USMCA claim shares and rates (satellites `usmca_claim_share`, "
        "`usmca_nonclaimed_rate`):",
        "",
        _table(
            pd.DataFrame(claim_rows),
            {"claim share": ".3f", "rate on all trade %": ".3f", "rate on non-claimed %": ".3f"},
        ),
        "",
        "Special duties added after the level scaling (`calibration/database/special_duties_2024.csv`):",
        "",
        _table(
            special[
                ["measure", "importer", "exporter", "sector", "additional_pct", "coverage_share", "coverage_usd_bn"]
            ]
        )
        if len(special)
        else "none",
        "",
        "## Totals (US$ bn)",
        "",
        _table(macro_table(db), {"labour % GDP": ".1f"}),
        "",
        "Value added at basic prices by sector, % of GDP:",
        "",
        _table(value_added_shares(db), {c: ".2f" for c in db[REG].values}),
        "",
        "## Sources of the other numbers",
        "",
        f"- International margins (c.i.f./f.o.b. − 1 on goods, by importer): {db.attrs['margin_rates']} "
        "(`cge.build.database.margins`).",
        f"- Population: {db.attrs['population_source']}",
        f"- Employment: {db.attrs['employment_source']}",
        "- Endowments: `calibration/database/skill_shares.csv`, `calibration/database/endowments.csv` (assumptions, "
        "weak; see calibration/README.md).",
        "- Parameters: "
        + "; ".join(
            f"{k}: {db[k].attrs.get('source', '')}"
            for k in ("ESUBD", "ESUBM", "ESUBVA", "ETRAQ", "ETRAE", "INCPAR", "SUBPAR", "RORFLEX")
        ),
        "",
        "SHA-256 of the raw files read:",
        "",
        *[f"- `{k}`: `{v[:16]}…`" for k, v in json.loads(db.attrs["source_files_sha256"]).items()],
        "",
        "## Weak points",
        "",
        WEAK_POINTS,
    ]
    return "\n".join(lines) + "\n"


WEAK_POINTS = """1. **Tables of different years** (USA 2023, Mexico 2018/2014, Canada 2014, China 2020, rest of the
   world 2011)
   are scaled to 2024 GDP by one factor each; the 2024 structure comes only from the targets (sector shares,
   trade by partner and sector, taxes, labour shares). Prices within the year are the table's.
2. **Rest of the world** keeps WIOD 2013's 2011 structure, with no product or production taxes (WIOD 2013 does not
   separate them: they sit in factor income) and PWT labour shares with the US industry pattern.
3. **China's taxes on products** are zero: NBS's net taxes on production include VAT and are booked as output taxes.
4. **Skills, land and natural resources** are split with assumed shares (`calibration/database/`), not data: the WIOD
   2016 socio-economic accounts in the raw data have no skill detail.
5. **Canada's manufacturing and motor-vehicle targets** are secondary figures (World Bank WDI as reported, the
   manufacturers' association); Mexico's mining and motor-vehicle shares are secondary reports of INEGI figures.
6. **Domestic trade margins** are purchases of the trade and transport services by the users of goods (GTAP's
   convention); the trade-margin satellite exists only where a table gives margins (BEA).
7. **Tariffs**: US rates on Canada, Mexico and China are 2024 duties collected over customs value by sector (the
   rate on all trade; claim shares are satellites); other pairs keep the 2005 WITS pattern scaled to each importer's
   collected duties (the rest of the world unscaled); trade among USMCA members other than US imports is duty-free by
   assumption. Canada's October 2024 surtaxes on China are the rates in force on the covered share of trade (2024
   collections were far smaller).
8. **CDE parameters** are calibrated to assumed income elasticities; several GTAP elasticities could not be verified
   against the GTAP table (calibration/README.md, section 2).
"""


def write_readme(text: str, path: Path) -> None:
    """Write the rendered README atomically."""
    atomic_write(Path(path), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
