"""MFN schedules of the tariff tables: recent MFN averages on the 2005 WITS sector pattern.

:func:`mfn_schedules` gives each importer's MFN rate by goods sector (``calibration/tariffs/mfn.csv``),
:func:`baseline_applied` the 2024 baseline's bilateral applied rates before the special duties,
:func:`supply_management_alternative` Canada's over-quota alternative (``mfn_alternatives.csv``).
Pure functions of data frames; :func:`cge.build.tariffs.build_tariff_tables` reads and writes.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from cge.build.sources import BuildInputError, require_columns

log = logging.getLogger(__name__)

USMCA = ("USA", "MEX", "CAN")
"""Members of the preference bloc whose mutual tariffs are 0 in the baseline."""

REFERENCE_EXPORTER = "ROW"
"""Partner whose 2005 rates give an importer's MFN sector pattern."""

CONTROLS_FILE = Path("macro") / "controls.csv"
MFN_GROUPS_FILE = "mfn_groups_to_sectors.csv"
SUPPLEMENTARY_TARGETS_FILE = "mfn_supplementary_targets.csv"
SUPPLY_MANAGEMENT_FILE = "canada_supply_management.csv"
MFN_CONTROL_FIGURE = "mfn_simple_avg_applied"
NO_TARIFF = "non-merchandise sector: no tariff"


def overall_mfn_targets(controls: pd.DataFrame) -> pd.DataFrame:
    """Recent simple-average MFN applied rates from ``controls.csv``.

    Returns
    -------
    DataFrame
        Indexed by ``region``: ``value`` [percent], ``year``, ``source``, ``quality``.
    """
    require_columns(controls, ["figure", "region", "value", "year", "source", "quality"], str(CONTROLS_FILE))
    rows = controls[controls["figure"] == MFN_CONTROL_FIGURE]
    if rows["region"].duplicated().any():
        raise BuildInputError(f"{CONTROLS_FILE}: more than one '{MFN_CONTROL_FIGURE}' row for a region")
    return rows.set_index("region")[["value", "year", "source", "quality"]].astype({"value": float})


def _solve_scale(target: float, fixed: pd.Series, free: pd.Series) -> float:
    """Factor k such that mean(fixed ∪ k·free) = target."""
    n = len(fixed) + len(free)
    if free.sum() <= 0:
        raise BuildInputError(f"cannot rescale to {target}: the free sectors' 2005 rates are all zero")
    k = (target * n - fixed.sum()) / free.sum()
    if k <= 0:
        raise BuildInputError(f"cannot rescale to {target}: fixed sectors {fixed.to_dict()} already exceed it")
    return float(k)


def mfn_schedules(
    pattern: pd.DataFrame,
    goods: list[str],
    overall: pd.DataFrame,
    groups: pd.DataFrame,
    controls: pd.DataFrame,
    partial: pd.DataFrame,
    reference: str = REFERENCE_EXPORTER,
) -> pd.DataFrame:
    """MFN rate by importer and goods sector, and the factor that links it to the 2005 pattern.

    The 2005 rate of each importer on ``reference`` (a mix of MFN and preferential partners)
    gives the sector pattern. Levels come, in this order, from (1) WTO group averages mapped to
    whole sectors (``groups`` rows with ``use == 'sector'``; the sector's MFN is the simple mean
    of its groups); (2) partial targets (``partial``: a simple average over a list of sectors,
    met by scaling the pattern of that list's sectors not fixed in step 1); (3) the overall
    simple average over all goods sectors in ``overall``, met by scaling the sectors still free.
    Importers with no control keep the 2005 pattern unscaled.

    Parameters
    ----------
    pattern : DataFrame
        Output of :func:`aggregate_pattern`.
    goods : list of str
        Model goods sectors.
    overall : DataFrame
        Output of :func:`overall_mfn_targets`.
    groups : DataFrame
        ``figure, region, sector, use, note`` mapping ``controls.csv`` figures to sectors.
    controls : DataFrame
        ``controls.csv`` (values of the ``groups`` figures).
    partial : DataFrame
        ``figure, region, value, year, source, quality, sectors`` (``;``-separated).
    reference : str
        Reference partner.

    Returns
    -------
    DataFrame
        ``importer, sector, mfn_pct, pattern_pct, factor, method, quality``.
    """
    base = pattern[pattern["exporter"] == reference].set_index(["importer", "sector"])["tariff_pct"]
    out = []
    for importer in sorted(pattern["importer"].unique()):
        if importer == reference:
            continue
        pat = base.xs(importer, level="importer").reindex(goods)
        if pat.isna().any():
            raise BuildInputError(
                f"no 2005 rate of {importer} on {reference} for sector(s) {pat.index[pat.isna()].tolist()}"
            )
        mfn = pd.Series(np.nan, index=goods)
        method = pd.Series("", index=goods, dtype=object)
        quality = pd.Series("", index=goods, dtype=object)

        g = groups[(groups["region"] == importer) & (groups["use"] == "sector")]
        for sector, rows in g.groupby("sector"):
            vals = controls[(controls["region"] == importer) & controls["figure"].isin(rows["figure"])]
            if len(vals) != len(rows):
                raise BuildInputError(
                    f"{MFN_GROUPS_FILE}: figure(s) {sorted(set(rows['figure']) - set(vals['figure']))} "
                    f"for {importer} not in {CONTROLS_FILE}"
                )
            mfn[sector] = vals["value"].astype(float).mean()
            listed = ", ".join(f"{f} {v:g}" for f, v in zip(vals["figure"], vals["value"], strict=True))
            method[sector] = (
                f"simple mean of WTO group averages {listed}"
                f" ({'; '.join(vals['source'].unique())}, {', '.join(vals['year'].astype(str).unique())})"
            )
            quality[sector] = "weak: WTO product-group simple averages, groups cover only part of the sector"

        for p in partial[partial["region"] == importer].itertuples(index=False):
            sectors = [s.strip() for s in str(p.sectors).split(";") if s.strip()]
            unknown = sorted(set(sectors) - set(goods))
            if unknown:
                raise BuildInputError(f"{SUPPLEMENTARY_TARGETS_FILE}: unknown sector(s) {unknown} for {p.figure}")
            fixed = mfn[sectors].dropna()
            free = [s for s in sectors if s not in fixed.index]
            k = _solve_scale(float(p.value), fixed, pat[free])
            mfn[free] = k * pat[free]
            method[free] = (
                f"2005 pattern on {reference} x{k:.3f} so that the simple mean over {len(sectors)} "
                f"manufacturing sectors = {float(p.value):g} ({p.figure}, {p.year}, {p.source})"
            )
            quality[free] = f"weak: {p.quality} target outside controls.csv; pattern from 2005"

        if importer in overall.index:
            t = overall.loc[importer]
            free = [s for s in goods if np.isnan(mfn[s])]
            fixed = mfn.dropna()
            k = _solve_scale(float(t["value"]), fixed, pat[free])
            mfn[free] = k * pat[free]
            method[free] = (
                f"2005 pattern on {reference} x{k:.3f} so that the simple mean over the {len(goods)} goods "
                f"sectors = {float(t['value']):g} ({MFN_CONTROL_FIGURE}, {t['year']}, {t['source']})"
            )
            quality[free] = f"control ({t['quality']}); sector pattern from 2005"
        free = [s for s in goods if np.isnan(mfn[s])]
        if free:
            log.info("%s: no MFN control for %s; 2005 pattern kept unscaled", importer, free)
            mfn[free] = pat[free]
            method[free] = f"2005 applied rate on {reference}, not rescaled (no MFN control for {importer})"
            quality[free] = "weak: 2005 level, no recent control"
        factor = (mfn / pat).where(pat > 0)
        out.append(
            pd.DataFrame(
                {
                    "importer": importer,
                    "sector": goods,
                    "mfn_pct": mfn.to_numpy(),
                    "pattern_pct": pat.to_numpy(),
                    "factor": factor.to_numpy(),
                    "method": method.to_numpy(),
                    "quality": quality.to_numpy(),
                }
            )
        )
    return pd.concat(out, ignore_index=True)


def baseline_applied(
    pattern: pd.DataFrame,
    schedules: pd.DataFrame,
    sectors: list[str],
    goods: list[str],
    bloc: tuple[str, ...] = USMCA,
) -> pd.DataFrame:
    """Baseline applied rates: 0 inside ``bloc``, rescaled 2005 pattern elsewhere, 0 for services.

    The importer-sector factor of :func:`mfn_schedules` (MFN / 2005 rate on the reference
    partner) scales the importer's 2005 rate on every partner outside the bloc, so bilateral
    differences of 2005 (e.g. preferences) are kept in proportion. Importers without a schedule
    row (the reference region) keep the 2005 rates. Where the 2005 reference rate is 0 but the
    MFN is not, the MFN rate is used.

    Returns
    -------
    DataFrame
        ``importer, exporter, sector, tariff_pct, method`` for every ordered region pair with
        importer ≠ exporter and every sector in ``sectors``.
    """
    sched = schedules.set_index(["importer", "sector"])
    rows = []
    for r in pattern.itertuples(index=False):
        if r.sector not in goods:
            continue
        if r.importer in bloc and r.exporter in bloc:
            rows.append(
                (
                    r.importer,
                    r.exporter,
                    r.sector,
                    0.0,
                    "USMCA preference: 0 assumed (full utilisation; 2024 claim shares < 1)",
                )
            )
            continue
        src = f"WITS 2005 AHS (Caliendo-Parro 2015), {r.weighting}"
        if (r.importer, r.sector) in sched.index:
            s = sched.loc[(r.importer, r.sector)]
            if np.isfinite(s["factor"]):
                rate, how = (
                    r.tariff_pct * s["factor"],
                    f"{src}; x{s['factor']:.3f} as in MFN step: {s['method']}",
                )
            else:
                rate, how = s["mfn_pct"], f"MFN rate (2005 reference rate is 0): {s['method']}"
        else:
            rate, how = r.tariff_pct, f"{src}; not rescaled (no MFN control for {r.importer})"
        rows.append((r.importer, r.exporter, r.sector, float(rate), how))
    out = pd.DataFrame(rows, columns=["importer", "exporter", "sector", "tariff_pct", "method"])
    pairs = out[["importer", "exporter"]].drop_duplicates()
    services = [s for s in sectors if s not in goods]
    extra = pairs.merge(pd.DataFrame({"sector": services}), how="cross")
    extra["tariff_pct"] = 0.0
    extra["method"] = NO_TARIFF
    out = pd.concat([out, extra], ignore_index=True)
    order = {s: k for k, s in enumerate(sectors)}
    return out.sort_values(
        ["importer", "exporter", "sector"],
        key=lambda c: c.map(order) if c.name == "sector" else c,
        ignore_index=True,
    )


def supply_management_alternative(schedules: pd.DataFrame, controls: pd.DataFrame, spec: pd.DataFrame) -> pd.DataFrame:
    """Alternative MFN rates with over-quota tariffs applied to a share of a sector's trade.

    rate_alt = (1 − s) · rate_default + s · mean(over-quota rates), where s is the assumed
    share of the sector's imports (from the partner) that are supply-managed products.

    Parameters
    ----------
    schedules : DataFrame
        Output of :func:`mfn_schedules`.
    controls : DataFrame
        ``controls.csv`` (over-quota rates).
    spec : DataFrame
        ``importer, sector, figures (;-separated controls figures), share, source``.

    Returns
    -------
    DataFrame
        ``importer, sector, mfn_pct, default_mfn_pct, method``.
    """
    rows = []
    sched = schedules.set_index(["importer", "sector"])
    for p in spec.itertuples(index=False):
        figures = [f.strip() for f in str(p.figures).split(";") if f.strip()]
        vals = controls[(controls["region"] == p.importer) & controls["figure"].isin(figures)]
        if len(vals) != len(figures):
            raise BuildInputError(
                f"{SUPPLY_MANAGEMENT_FILE}: figure(s) {sorted(set(figures) - set(vals['figure']))} "
                f"for {p.importer} not in {CONTROLS_FILE}"
            )
        over = vals["value"].astype(float).mean()
        base = float(sched.loc[(p.importer, p.sector), "mfn_pct"])
        share = float(p.share)
        rows.append(
            (
                p.importer,
                p.sector,
                (1 - share) * base + share * over,
                base,
                f"(1-{share:g})x{base:.2f} + {share:g}x{over:.1f} "
                f"(mean over-quota rate of {', '.join(figures)}); "
                f"share: {p.source}",
            )
        )
    return pd.DataFrame(rows, columns=["importer", "sector", "mfn_pct", "default_mfn_pct", "method"])
