"""Write ``sam/README.md``: sources, steps, controls (target vs achieved), totals, weak points.

The text lives in ``readme_template.md`` next to this module (``{{name}}`` placeholders); the
numbers come from the :class:`~cge.build.pipeline.BuildResult`, so the README always describes
the SAM it sits next to.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from cge.atomic import atomic_write
from cge.build.controls import BN, measure_table
from cge.build.result import BuildResult
from cge.dims import (
    ACTIVITY,
    AGENT,
    AGRIFOOD,
    COMMODITY,
    EXPORTER,
    FACTOR,
    FACTOR_TYPE,
    GOODS,
    IMPORTER,
    LABOUR,
    REGION,
)
from cge.sam import final_demand, regional_income, tariff_revenue, trade_balance

TEMPLATE = Path(__file__).with_name("readme_template.md")


def md_table(frame: pd.DataFrame, floatfmt: str = "{:,.1f}", index: bool = True) -> str:
    """A GitHub Markdown table of ``frame`` (numbers formatted with ``floatfmt``)."""
    frame = frame.reset_index() if index else frame
    cols = [str(c) for c in frame.columns]
    lines = [
        "| " + " | ".join(cols) + " |",
        "|" + "|".join("---:" if pd.api.types.is_numeric_dtype(frame[c]) else "---" for c in frame.columns) + "|",
    ]
    for row in frame.itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, (float, np.floating)):
                cells.append("" if np.isnan(v) else floatfmt.format(v))
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _gdp_table(sam: xr.Dataset) -> pd.DataFrame:
    fd = final_demand(sam).transpose(REGION, AGENT).to_pandas() / BN
    fob = sam["vxmd"] + sam["xtax"]
    exports = fob.sum((COMMODITY, IMPORTER)).to_pandas() / BN
    imports = fob.sum((COMMODITY, EXPORTER)).to_pandas() / BN
    out = pd.DataFrame(
        {
            "GDP (income)": regional_income(sam).to_pandas() / BN,
            "labour": sam["vfm"].where(sam[FACTOR_TYPE] == LABOUR).sum((FACTOR, ACTIVITY)).to_pandas() / BN,
            "capital": sam["vfm"].where(sam[FACTOR_TYPE] != LABOUR).sum((FACTOR, ACTIVITY)).to_pandas() / BN,
            "tariff revenue": tariff_revenue(sam).sum((COMMODITY, EXPORTER)).to_pandas() / BN,
            "household": fd.iloc[:, 0],
            "government": fd.iloc[:, 1],
            "investment": fd.iloc[:, 2],
            "exports fob": exports.values,
            "imports fob": imports.values,
            "trade balance": trade_balance(sam).to_pandas() / BN,
        }
    )
    out.index.name = "region"
    out.loc["world"] = out.sum()
    return out


def _trade_matrix(sam: xr.Dataset, mask: xr.DataArray | None) -> pd.DataFrame:
    fob = sam["vxmd"] + sam["xtax"]
    if mask is not None:
        fob = fob.where(mask, 0.0)
    out = fob.sum(COMMODITY).transpose(EXPORTER, IMPORTER).to_pandas() / BN
    out.index.name = "exporter \\ importer"
    return out


def _tariff_rates(sam: xr.Dataset) -> pd.DataFrame:
    fob = (sam["vxmd"] + sam["xtax"]).sum(COMMODITY)
    rate = 100 * tariff_revenue(sam).sum(COMMODITY) / fob.where(fob > 0)
    out = rate.transpose(EXPORTER, IMPORTER).to_pandas()
    out.index.name = "exporter \\ importer"
    return out


def _tariff_levels(result: BuildResult) -> pd.DataFrame:
    """Collected duties against the revenue the table's rates imply, and the level factors."""
    from cge.build.tariff_levels import revenue_table

    return revenue_table(result.sam, result.sector.tariff_levels, result.tariff_factors, result.tariffs.rate)


def _us_china_rates(result: BuildResult, pair: tuple[str, str]) -> pd.DataFrame:
    """Rates by goods sector on exporter -> importer: the table's and the SAM's [%]."""
    sam = result.sam
    exporter, importer = pair
    if exporter not in result.agg.regions or importer not in result.agg.regions:
        return pd.DataFrame()
    e, i = result.agg.regions.index(exporter), result.agg.regions.index(importer)
    fob = (sam["vxmd"] + sam["xtax"]).sel({EXPORTER: exporter, IMPORTER: importer})
    rate = 100 * tariff_revenue(sam).sel({EXPORTER: exporter, IMPORTER: importer}) / fob.where(fob > 0)
    goods = [s for s, g in zip(result.agg.sectors, result.agg.goods) if g]
    rows = []
    for k, sector in enumerate(result.agg.sectors):
        if sector in goods:
            rows.append(
                (
                    f"{exporter}->{importer}",
                    sector,
                    100 * result.tariffs.rate[k, e, i],
                    float(rate.sel({COMMODITY: sector})),
                    float(fob.sel({COMMODITY: sector})) / BN,
                )
            )
    g = fob.sel({COMMODITY: goods})
    total = float(tariff_revenue(sam).sel({EXPORTER: exporter, IMPORTER: importer, COMMODITY: goods}).sum())
    table_avg = float((result.tariffs.rate[[result.agg.sectors.index(s) for s in goods], e, i] * g.values).sum())
    rows.append(
        (
            f"{exporter}->{importer}",
            "goods, trade-weighted",
            100 * table_avg / float(g.sum()),
            100 * total / float(g.sum()),
            float(g.sum()) / BN,
        )
    )
    return pd.DataFrame(rows, columns=["flow", "sector", "table rate %", "SAM rate %", "imports fob (US$ bn)"])


def _employment(result: BuildResult) -> pd.DataFrame:
    sam = result.sam
    labour = sam["vfm"].where(sam[FACTOR_TYPE] == LABOUR).sum(FACTOR)
    persons = sam["employment"]
    out = pd.DataFrame(
        {
            "persons (million)": persons.sum(ACTIVITY).to_pandas() / 1e6,
            "labour payments (US$ bn)": labour.sum(ACTIVITY).to_pandas() / BN,
            "jobs per US$ million of labour": (persons.sum(ACTIVITY) / labour.sum(ACTIVITY)).to_pandas(),
            "source": pd.Series(result.employment.source),
        }
    )
    out.index.name = "region"
    return out


def _sector_table(result: BuildResult) -> pd.DataFrame:
    agg = result.agg
    rows = []
    for k, sector in enumerate(agg.sectors):
        parent = agg.parent_of.get(sector, sector)
        codes = " ".join(c for c, s in agg.sector_of.items() if s == parent)
        rows.append(
            {
                "sector": sector,
                "WIOD industries": codes if parent == sector else f"part of {codes} (split from {parent})",
                "goods": agg.goods[k],
                "agrifood": agg.agrifood[k],
            }
        )
    return pd.DataFrame(rows)


def _region_table(result: BuildResult) -> pd.DataFrame:
    agg = result.agg
    rows = []
    for region in agg.regions:
        members = agg.members(region)
        text = " ".join(members) if len(members) < 8 else f"{len(members)} WIOD regions: {' '.join(members)}"
        rows.append({"region": region, "WIOD regions": text})
    frame = pd.DataFrame(rows)
    sam = result.sam
    lab = sam["vfm"].where(sam[FACTOR_TYPE] == LABOUR).sum((FACTOR, ACTIVITY))
    share = (lab / sam["vfm"].sum((FACTOR, ACTIVITY))).to_pandas()
    frame["labour share of factor income"] = frame["region"].map(share)

    def describe(region: str) -> str:
        members = agg.members(region)
        if len(members) == 1:
            return result.shares.source[members[0]].split(",")[0]
        kinds = sorted(
            {"WIOD-SEA" if result.shares.source[m].startswith("WIOD") else "PWT 10.0 labsh" for m in members}
        )
        return " + ".join(kinds) + f" of the {len(members)} members, residual-weighted"

    frame["labour share source"] = frame["region"].map(describe)
    return frame


def _controls(result: BuildResult) -> tuple[pd.DataFrame, pd.DataFrame]:

    measures = [m for m in result.controls.measures if m.year != str(result.base_year)]
    base_checks = [m for m in result.controls.measures if m.year == str(result.base_year)]
    table = measure_table(result.sam, measures)
    if result.balance is None:
        table["role"] = "check"
    return table, measure_table(result.base, base_checks)


def _sector_targets(result: BuildResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Soft targets (public value, prior, SAM, gap, standard error, side) and checks [US$ bn]."""
    prior = {}
    if result.balance is not None:
        prior = dict(zip(result.balance.targets["name"], result.balance.targets["before"]))
    rows = []
    for m in result.sector.measures:
        value = m.value(result.sam)
        rows.append(
            {
                "measure": m.name,
                "role": m.role,
                "public (US$ bn)": m.target / BN,
                "prior (US$ bn)": prior.get(m.name, np.nan) / BN,
                "SAM (US$ bn)": value / BN,
                "gap %": 100.0 * (value - m.target) / abs(m.target) if m.target else np.nan,
                "sd %": 100.0 * m.sd if m.sd is not None else np.nan,
                "side": m.side.value if m.role == "target" else "-",
                "source": m.source,
            }
        )
    table = pd.DataFrame(
        rows,
        columns=[
            "measure",
            "role",
            "public (US$ bn)",
            "prior (US$ bn)",
            "SAM (US$ bn)",
            "gap %",
            "sd %",
            "side",
            "source",
        ],
    )
    targets = table[table["role"] == "target"].drop(columns="role")
    checks = table[table["role"] == "check"].drop(columns=["role", "prior (US$ bn)", "sd %", "side"])
    return targets, checks


def _sector_rows(result: BuildResult) -> pd.DataFrame:
    """Every row of the sector control file with its use."""
    rows = result.sector.rows
    if rows.empty:
        return rows
    out = rows[["quantity", "region_from", "region_to", "sector_or_scope", "value", "unit", "quality", "status"]]
    return out.assign(measure=rows["target"].fillna("")).rename(columns={"status": "use"})


def _agrifood_note(result: BuildResult) -> str:
    """What the agri-food controls cover and the exports of the agri-food sectors alone."""
    sam = result.sam
    text = sam[AGRIFOOD].attrs.get("definition", "") if AGRIFOOD in sam.coords else ""
    agri = [s for s, a in zip(result.agg.sectors, result.agg.agrifood) if a]
    fob = sam["vxmd"] + sam["xtax"]
    parts = []
    for m in result.controls.controls():
        if m.figure != "agrifood_exports":
            continue
        sel = dict(m.terms[0].sel)
        own = float(fob.sel({COMMODITY: agri, EXPORTER: sel[EXPORTER], IMPORTER: sel[IMPORTER]}).sum()) / BN
        parts.append(f"{m.name}: control {m.target / BN:,.2f}, agri-food sectors alone {own:,.2f}")
    if parts:
        text += (
            ". US$ bn in this SAM (the agri-food indicators of the model use the agri-food sectors alone): "
            + "; ".join(parts)
        )
    return text + "." if text else "(no agri-food sectors)"


def _key_flows(result: BuildResult) -> pd.DataFrame:
    """Flows nobody controlled before the sector targets (``controls/key_flows_2024.csv``): public
    value or range, the SAM's value, the gap to the range and how the build handles them."""
    from cge.build.sector_controls import KEY_FLOWS_FILE, key_flow_value

    path = result.calibration_dir / KEY_FLOWS_FILE
    if not path.is_file():
        return pd.DataFrame()
    rows = []
    for r in pd.read_csv(path).itertuples(index=False):
        value = key_flow_value(result.sam, r.measure, r.region_from, r.region_to, r.sectors)
        if value is None:
            continue
        low, high = sorted((float(r.public_low), float(r.public_high)))
        gap = (
            0.0
            if low <= value <= high
            else 100.0 * (value - (low if value < low else high)) / abs(low if value < low else high)
        )
        public = f"{low:,.2f}" if low == high else f"{low:,.2f} - {high:,.2f}"
        rows.append((r.label, r.unit, public, value, gap, r.public_source, r.how))
    return pd.DataFrame(rows, columns=["flow", "unit", "public", "SAM", "gap %", "public source", "in the build"])


def _split_text(result: BuildResult) -> str:
    """The sector splits of the build and their output shares (from calibration/splits/)."""
    if not result.agg.parent_of:
        return "No sector was split (no `calibration/splits/splits.csv`)."
    parents = sorted(set(result.agg.parent_of.values()), key=list(result.agg.parent_of.values()).index)
    lines = [
        "`cge.build.split.split_sector` splits a sector of the balanced 2011 SAM into sub-sectors from external "
        "shares, before the update (`calibration/splits/`, every share with its source): children's shares of "
        "output by region, of bilateral trade (default: the exporter's output shares) and, where data say the "
        "children differ, their value-added intensity and labour share (US WIOD-SEA 2011); otherwise the parent's "
        "input structure. Imports are split by the trade shares (same tariff rates as the parent until the "
        "update imposes the children's own rates), users buy the same import and domestic mixes; every account "
        "stays balanced. Splits: "
        + "; ".join(f"**{p}** -> {', '.join(c for c, q in result.agg.parent_of.items() if q == p)}" for p in parents)
        + ". The 2024 update then moves the children's trade towards the sector figures (motor-vehicle items, "
        "steel mill products, aluminium, automotive exports; see the soft targets)."
    ]
    return "\n".join(lines)


def _largest_changes(result: BuildResult, n: int = 12) -> pd.DataFrame:
    if result.balance is None:
        return pd.DataFrame()
    adj = result.balance.adjustments
    adj = adj[(adj["before"].abs() >= 1000.0) & (adj["variable"] != "vims")]
    adj = adj.reindex(adj["change_pct"].abs().sort_values(ascending=False).index).head(n)
    coords = [c for c in (COMMODITY, ACTIVITY, AGENT, FACTOR, REGION, EXPORTER, IMPORTER)]
    adj = adj.assign(
        cell=adj.apply(
            lambda r: (
                r["variable"] + "[" + ", ".join(str(r[c]) for c in coords if r[c] is not None and r[c] == r[c]) + "]"
            ),
            axis=1,
        )
    )
    return adj[["cell", "before", "after", "change_pct"]].rename(
        columns={"before": "prior (US$ m)", "after": "updated (US$ m)", "change_pct": "change %"}
    )


def render_readme(result: BuildResult) -> str:
    """The README text for a build result."""
    sam = result.sam
    controls, base_checks = _controls(result)
    sector_targets, sector_checks = _sector_targets(result)
    ctrl = controls[controls["role"] == "control"]
    checks = controls[controls["role"] == "check"]
    fmt = {"target_bn": "target (US$ bn)", "sam_bn": "SAM (US$ bn)", "gap_pct": "gap %"}
    assembly = result.assembly.to_dict()
    update = json.loads(sam.attrs["balancing_report"]).get("update") or {}
    structural = [t for t in update.get("targets", []) if t["name"].startswith("trade_balance[")]
    n_rate = sum(1 for t in update.get("targets", []) if t["name"].startswith("tariff_rate["))
    goods_mask = sam[GOODS] if GOODS in sam.coords else None
    agri_mask = sam[AGRIFOOD] if AGRIFOOD in sam.coords else None
    zeroed = pd.DataFrame(assembly["negative_final_use_set_to_zero"])
    values = {
        "title": sam.attrs["title"],
        "year": result.year,
        "sam_hash": sam.attrs["sam_hash"],
        "seconds": f"{result.seconds:.1f}",
        "aggregation": sam.attrs["aggregation"],
        "n_regions": len(result.agg.regions),
        "n_sectors": len(result.agg.sectors),
        "region_table": md_table(_region_table(result), "{:.3f}", index=False),
        "sector_table": md_table(_sector_table(result), index=False),
        "row_gap": f"{assembly['wiod_row_sum_minus_output_abs_total_musd'] / BN:,.1f}",
        "row_gap_rel": f"{100 * assembly['wiod_row_sum_minus_output_max_relative']:.2f}",
        "negative_inventories": f"{-assembly['wiod_negative_inventory_cells_musd'] / BN:,.1f}",
        "zeroed_table": md_table(
            zeroed.assign(value_bn=zeroed["value_musd"] / BN).drop(columns="value_musd"),
            "{:,.3f}",
            index=False,
        )
        if len(zeroed)
        else "(none)",
        "zeroed_total": f"{-zeroed['value_musd'].sum() / BN:,.1f}" if len(zeroed) else "0",
        "negative_factor_income": str(len(assembly["negative_factor_income_moved_to_ptax"])),
        "tariff_source": result.tariffs.source,
        "tariff_rates_table": md_table(_tariff_rates(sam), "{:.2f}"),
        "tariff_level_table": md_table(_tariff_levels(result), "{:,.3f}", index=False)
        if result.tariff_factors
        else "(no customs-duty figures: the table's rates are kept)",
        "us_china_table": md_table(
            pd.concat([_us_china_rates(result, ("CHN", "USA")), _us_china_rates(result, ("USA", "CHN"))]),
            "{:,.2f}",
            index=False,
        )
        if {"USA", "CHN"} <= set(result.agg.regions)
        else "(no USA or CHN region)",
        "base_tariff_revenue": ", ".join(
            f"{r} {v / BN:,.1f}" for r, v in assembly["tariff_revenue_base_year_musd"].items()
        ),
        "growth_table": md_table(
            pd.DataFrame({"prior scale factor": pd.Series(result.growth)}).rename_axis("region"), "{:.4f}"
        )
        if result.growth
        else "(no update)",
        "derived_gdp": "\n".join(
            f"- `{m.name}`: {m.source}." for m in result.controls.measures if m.source.startswith("derived")
        )
        or "- (none)",
        "ce_iterations": str(update.get("iterations", "-")),
        "ce_message": str(update.get("message", "no update")),
        "ce_cells": str(update.get("n_adjustments", 0)),
        "ce_total_change": f"{update.get('total_abs_change', 0.0) / BN:,.0f}",
        "ce_gap_before": f"{update.get('max_gap_before', 0.0) / BN:,.1f}",
        "ce_gap_after": f"{update.get('max_gap_after', 0.0):.2g}",
        "n_rate_targets": str(n_rate),
        "structural_table": md_table(
            pd.DataFrame(structural).assign(
                target_bn=lambda d: d["target"] / BN,
                achieved_bn=lambda d: d["achieved"] / BN,
                prior_bn=lambda d: d["before"] / BN,
            )[["name", "prior_bn", "target_bn", "achieved_bn"]],
            "{:,.1f}",
            index=False,
        )
        if structural
        else "(none)",
        "largest_changes": md_table(_largest_changes(result), "{:,.1f}", index=False)
        if result.balance is not None
        else "(no update)",
        "control_table": md_table(
            ctrl[["measure", "target_bn", "sam_bn", "gap_pct", "source"]].rename(columns=fmt),
            "{:,.3f}",
            index=False,
        ),
        "check_table": md_table(
            checks[["measure", "target_bn", "sam_bn", "gap_pct", "source"]].rename(columns=fmt),
            "{:,.3f}",
            index=False,
        ),
        "base_check_table": md_table(
            base_checks[["measure", "target_bn", "sam_bn", "gap_pct", "source"]].rename(columns=fmt),
            "{:,.3f}",
            index=False,
        ),
        "unused": "\n".join(f"- `{u}`" for u in result.controls.unused),
        "agrifood_note": _agrifood_note(result),
        "split_text": _split_text(result),
        "key_flow_table": md_table(key, "{:,.2f}", index=False) if len(key := _key_flows(result)) else "(none)",
        "sector_target_table": md_table(sector_targets, "{:,.2f}", index=False) if len(sector_targets) else "(none)",
        "sector_check_table": md_table(sector_checks, "{:,.2f}", index=False) if len(sector_checks) else "(none)",
        "sector_rows_table": md_table(_sector_rows(result), "{:,.3f}", index=False)
        if not result.sector.rows.empty
        else "(no `controls_2024_sector.csv` or no mapping file)",
        "gdp_table": md_table(_gdp_table(sam), "{:,.1f}"),
        "trade_table": md_table(_trade_matrix(sam, None), "{:,.1f}"),
        "goods_table": md_table(_trade_matrix(sam, goods_mask), "{:,.1f}"),
        "agri_table": md_table(_trade_matrix(sam, agri_mask), "{:,.2f}"),
        "employment_table": md_table(_employment(result), "{:,.2f}"),
        "source_files": "\n".join(f"- `{k}`: `{v[:16]}…`" for k, v in result.source_digests.items()),
    }
    text = TEMPLATE.read_text()
    missing = sorted(set(re.findall(r"\{\{(\w+)\}\}", text)) - set(values))
    if missing:
        raise KeyError(f"{TEMPLATE}: no value for placeholder(s) {missing}")
    return re.sub(r"\{\{(\w+)\}\}", lambda m: str(values[m.group(1)]), text)


def write_readme(result: BuildResult, path: Path) -> Path:
    """Write the README atomically to ``path``."""
    path = Path(path)
    text = render_readme(result)
    return atomic_write(path, lambda tmp: tmp.write_text(text))
