"""The standard report tables of a results Dataset: headline macro results, trade-attributed jobs,
the welfare decomposition, jobs by sector, agri-food exports and merchandise exports by partner.

Every table function is pure: results ``xarray.Dataset`` in, ``pandas.DataFrame`` out; nothing is
re-solved. Column names carry their units in brackets (``"EV [US$ bn]"``), which the writers
(:mod:`cge.report.writers`) use to format numbers. Changes are relative to the reference scenario
(``baseline`` by default; see :func:`cge.report.selection.select`). Each table's ``attrs`` hold its
``title``; :func:`cge.report.tables.report_tables` adds the ``notes`` (the source line printed under it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
import pandas as pd
import xarray as xr

from cge.dims import ACTIVITY, AGRIFOOD, BASELINE, COMMODITY, EXPORTER, GOODS, IMPORTER, PART, REGION, SCENARIO
from cge.indicators.compare import level_change, percent_change
from cge.report.labels import REAL_GDP_FORMAT, column_label, welfare_component_label, without_noise
from cge.report.selection import (
    ReportError,
    check_regions,
    reference,
    reference_name,
    require_variables,
    scenario_labels,
    scenarios,
)

log = logging.getLogger(__name__)

US_REGION = "USA"

#: Table names (keys of :func:`cge.report.tables.report_tables`) and their titles.
TITLES = {
    "headline": "Headline results by region and scenario",
    "trade_jobs": "US jobs attributed to trade with Mexico and Canada (gross input-output attribution)",
    "welfare": "Welfare decomposition: sources of EV",
    "jobs_by_sector": "Employment by sector: change vs baseline",
    "agrifood_exports": "Agri-food exports by partner",
    "trade_by_partner": "Merchandise exports by partner",
}


JOBS = "us_na_trade_jobs_gross"
"""US jobs attributed to trade with Mexico and Canada: the gross input-output attribution by ``part``
(:func:`cge.indicators.gtap.us_na_trade_jobs_gross`, ``docs/trade_jobs.md``)."""
JOBS_NOTE = (
    "Gross trade-attributed jobs is a level: the input-output attribution of US jobs to trade with the partners "
    "at each scenario's flows, not jobs that depend on the trade; its change is not jobs lost (docs/trade_jobs.md)."
)
EMPLOYMENT_CHANGE = "employment change [persons]"
"""Column of the change in persons employed (``employment_change``'s label in every table)."""


def trade_jobs_region(ds: xr.Dataset) -> str | None:
    """Region whose jobs ``us_na_trade_jobs_gross`` counts (its ``region`` attr, else ``"USA"`` if present)."""
    if JOBS not in ds:
        return None
    region = str(ds[JOBS].attrs.get("region", US_REGION))
    return region if REGION in ds.coords and region in [str(r) for r in ds[REGION].values] else None


def trade_jobs_by_scenario(ds: xr.Dataset) -> xr.DataArray:
    """The gross trade-jobs attribution summed over its parts, by scenario [persons], with its attrs.

    Raises
    ------
    ReportError
        When the results have no ``us_na_trade_jobs_gross`` or it has dims other than scenario and part.
    """
    require_variables(ds, JOBS)
    jobs = ds[JOBS]
    summed = jobs.sum(PART, min_count=1) if PART in jobs.dims else jobs
    if summed.dims != (SCENARIO,):
        raise ReportError(f"'{JOBS}' is not by scenario and part (dims {', '.join(map(str, jobs.dims))})")
    return summed.rename(JOBS).assign_attrs(jobs.attrs)


def headline_table(ds: xr.Dataset, baseline: str = BASELINE) -> pd.DataFrame:
    """Headline macro results by region and scenario.

    Parameters
    ----------
    ds : xarray.Dataset
        Results (``real_gdp_pct``, ``real_gdp`` and ``ev`` required; ``terms_of_trade_pct``,
        ``employment_total`` and ``us_na_trade_jobs_gross`` used when present).
    baseline : str
        Scenario that employment changes are measured against.

    Returns
    -------
    pandas.DataFrame
        Index (region, scenario); columns ``real GDP [%]`` (change vs benchmark), ``real GDP
        [US$ bn]`` (benchmark prices), ``EV [US$ bn]``, ``terms of trade [%]``, ``employment change
        [persons]``, ``employment change [%]`` and ``gross trade-attributed jobs [persons]`` (the
        ``us_na_trade_jobs_gross`` attribution summed over its parts, a level, on its region's rows only).
    """
    require_variables(ds, "real_gdp_pct", "real_gdp", "ev")
    names = ["real_gdp_pct", "real_gdp", "ev"] + (["terms_of_trade_pct"] if "terms_of_trade_pct" in ds else [])
    columns = {column_label(ds[name]): ds[name] for name in names}
    changes = [column_label(ds[name]) for name in names if name != "real_gdp"]
    ref = reference(ds, baseline)
    if "employment_total" in ds:
        emp = ds["employment_total"]
        persons, pct = EMPLOYMENT_CHANGE, EMPLOYMENT_CHANGE.replace("[persons]", "[%]")
        if ref is not None:
            base = ref["employment_total"]
            columns[persons] = emp.copy(data=level_change(emp, base.broadcast_like(emp)))
            columns[pct] = emp.copy(data=percent_change(emp, base.broadcast_like(emp)))
        else:
            columns[persons] = emp * np.nan
            columns[pct] = emp * np.nan
        changes += [persons, pct]
    frame = pd.DataFrame(
        {name: da.transpose(REGION, SCENARIO).to_series() for name, da in columns.items()},
    )
    frame.index = frame.index.set_names([REGION, SCENARIO])
    frame = frame.reindex(pd.MultiIndex.from_product([check_regions(ds, None), scenarios(ds)], names=frame.index.names))
    jobs_region = trade_jobs_region(ds)
    if jobs_region is not None:
        jobs = trade_jobs_by_scenario(ds).to_series()
        col = np.full(len(frame), np.nan)
        for k, (region, scen) in enumerate(frame.index):
            if region == jobs_region:
                col[k] = float(jobs[scen])
        frame[column_label(ds[JOBS])] = col
        frame.attrs["notes"] = JOBS_NOTE
    frame.attrs.update(
        title=TITLES["headline"],
        formats={column_label(ds["real_gdp_pct"]): REAL_GDP_FORMAT},
        changes=changes,
        scenario_labels=scenario_labels(ds),
    )
    return frame


def trade_jobs_table(ds: xr.Dataset, baseline: str = BASELINE) -> pd.DataFrame:
    """US jobs attributed to trade with Mexico and Canada by scenario (the gross input-output
    attribution), with its parts and the published figure.

    The attribution is a level evaluated at each scenario's flows, not a count of jobs that depend
    on the trade: its change between scenarios is not jobs lost or gained, so no change column is
    shown (``docs/trade_jobs.md``; the net counterfactual is ``us_na_trade_jobs_net``).

    Parameters
    ----------
    ds : xarray.Dataset
        Results with ``us_na_trade_jobs_gross`` [persons] by scenario and part.
    baseline : str
        Scenario whose row carries the published figure.

    Returns
    -------
    pandas.DataFrame
        Index scenario; columns ``gross trade-attributed jobs [persons]`` (the sum of the parts),
        one ``<part> [persons]`` column per part, and on the baseline row ``published [persons]``
        and ``published / gross [ratio]``. The attrs ``notes`` say what the measure is and where
        the published figure comes from.
    """
    total = trade_jobs_by_scenario(ds)
    ref = reference(ds, baseline)
    jobs = total.to_series()
    frame = pd.DataFrame({column_label(total): jobs})
    parts = ds[JOBS]
    if PART in parts.dims:
        for part in parts[PART].values:
            frame[f"{str(part).replace('_', ' ')} [persons]"] = parts.sel({PART: part}).to_series()
    attrs = parts.attrs
    published = attrs.get("published_persons")
    if published is not None and ref is not None:
        base = float(total.sel({SCENARIO: baseline}))
        frame["published [persons]"] = [float(published) if s == baseline else np.nan for s in frame.index]
        frame["published / gross [ratio]"] = [float(published) / base if s == baseline else np.nan for s in frame.index]
    frame.index = pd.Index([str(s) for s in frame.index], name=SCENARIO)
    notes = (
        "Gross input-output attribution at each scenario's flows: US jobs tied to exports to and imports from "
        "the partners (direct, indirect, induced). An accounting attribution, not jobs that depend on the trade: "
        "its change between scenarios is not jobs lost or gained."
    )
    if published is not None:
        notes += f" Published: {float(published):,.0f} ({attrs.get('published_source', '')}), a net estimate."
    frame.attrs.update(title=TITLES["trade_jobs"], notes=notes, scenario_labels=scenario_labels(ds))
    return frame


def welfare_table(ds: xr.Dataset, region: str | None = None) -> pd.DataFrame:
    """EV by source (GTAP's WELVIEW decomposition) for one region, one column per scenario.

    Parameters
    ----------
    ds : xarray.Dataset
        Results with ``ev_decomposition`` [US$ bn] (dims scenario, region, component).
    region : str or None
        Region (None = ``"USA"`` if present, else the first region).

    Returns
    -------
    pandas.DataFrame
        Index component (plus a final ``EV`` row, their sum); one ``<scenario> [US$ bn]`` column
        per scenario.
    """
    require_variables(ds, "ev_decomposition")
    region = region or default_jobs_region(ds)
    check_regions(ds, [region])
    dec = ds["ev_decomposition"].sel({REGION: region})
    columns = {f"{scen} [US$ bn]": scen for scen in scenarios(ds)}
    frame = pd.DataFrame({col: dec.sel({SCENARIO: scen}).to_series() for col, scen in columns.items()})
    frame.index = pd.Index([welfare_component_label(c) for c in frame.index], name="component")
    frame.loc["EV"] = frame.sum()
    frame.attrs.update(
        title=f"{TITLES['welfare']} ({region})",
        changes=list(columns),
        scenario_columns=columns,
        scenario_labels=scenario_labels(ds),
    )
    return without_zero_reference(frame, ds)


def without_zero_reference(frame: pd.DataFrame, ds: xr.Dataset) -> pd.DataFrame:
    """``frame`` without the reference scenario's column when every value in it is 0 (the changes
    of the reference from itself), saying so in the table's notes.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table with one column per scenario (its ``scenario_columns`` attr: column -> scenario).
    ds : xarray.Dataset
        The results it was built from (their reference scenario, :func:`reference_name`).
    """
    ref = reference_name(ds)
    columns = [c for c, s in frame.attrs.get("scenario_columns", {}).items() if s == ref and c in frame.columns]
    zero = [c for c in columns if pd.api.types.is_numeric_dtype(frame[c]) and not np.any(without_noise(frame[c]))]
    if not zero or len(zero) == frame.shape[1]:
        return frame
    out = frame.drop(columns=zero)
    label = scenario_labels(ds).get(ref, ref)
    note = f"The reference scenario '{label}' is not shown: every change in it is 0."
    out.attrs = dict(frame.attrs, notes=" ".join(filter(None, [frame.attrs.get("notes", ""), note])))
    return out


def default_jobs_region(ds: xr.Dataset) -> str:
    """``"USA"`` when the results have it, else the first region."""
    regions = [str(r) for r in ds[REGION].values]
    return US_REGION if US_REGION in regions else regions[0]


def jobs_by_sector_table(ds: xr.Dataset, region: str | None = None, baseline: str = BASELINE) -> pd.DataFrame:
    """Employment by sector in one region: baseline level and change in each scenario.

    Parameters
    ----------
    ds : xarray.Dataset
        Results with ``employment`` [persons] by scenario, region and commodity.
    region : str or None
        Region to show; None = ``"USA"`` if present, else the first region.
    baseline : str
        Scenario that changes are measured against (must be in the results).

    Returns
    -------
    pandas.DataFrame
        Index sector (plus a final ``total`` row); columns ``baseline [persons]`` and one
        ``<scenario> change [persons]`` per other scenario.

    Raises
    ------
    ReportError
        When the results have no employment, no baseline, or not this region.
    """
    require_variables(ds, "employment")
    region = region or default_jobs_region(ds)
    check_regions(ds, [region])
    ref = reference(ds, baseline)
    if ref is None:
        raise ReportError(f"jobs by sector need a '{baseline}' scenario in the results")
    emp = ds["employment"].sel({REGION: region}).transpose(ACTIVITY, SCENARIO).to_pandas()
    base = emp[baseline]
    columns = {f"{baseline} [persons]": baseline}
    frame = pd.DataFrame({f"{baseline} [persons]": base})
    for scen in scenarios(ds):
        if scen != baseline:
            columns[f"{scen} change [persons]"] = scen
            frame[f"{scen} change [persons]"] = level_change(emp[scen], base)
    frame.loc["total"] = frame.sum()
    frame.index = pd.Index([str(s) for s in frame.index], name="sector")
    frame.attrs.update(
        title=f"{TITLES['jobs_by_sector']} ({region})", scenario_columns=columns, scenario_labels=scenario_labels(ds)
    )
    return frame


def _bilateral_table(
    level: xr.DataArray, volume: xr.DataArray | None, ds: xr.Dataset, regions, baseline: str, title: str
) -> pd.DataFrame:
    if set(level.dims) != {SCENARIO, EXPORTER, IMPORTER}:
        raise ReportError(
            f"{title}: flows by scenario, exporter and importer needed (dims {', '.join(map(str, level.dims))})"
        )
    exporters = check_regions(ds, regions, EXPORTER)
    importers = check_regions(ds, regions, IMPORTER)
    level = level.sel({EXPORTER: exporters, IMPORTER: importers})
    scen = scenarios(ds)
    rows = []
    has_base = baseline in scen
    if not has_base:
        reference(ds, baseline)  # logs the warning
    for exp in exporters:
        for imp in importers:
            flows = level.sel({EXPORTER: exp, IMPORTER: imp})
            if exp == imp or not np.any(flows.values != 0):
                continue
            base = float(flows.sel({SCENARIO: baseline})) if has_base else np.nan
            vol = volume.sel({EXPORTER: exp, IMPORTER: imp}) if volume is not None else None
            vbase = float(vol.sel({SCENARIO: baseline})) if has_base and vol is not None else np.nan
            for s in scen:
                value = float(flows.sel({SCENARIO: s}))
                row = {
                    EXPORTER: exp,
                    IMPORTER: imp,
                    SCENARIO: s,
                    "level [US$ bn]": value,
                    "change [US$ bn]": float(level_change(value, base)),
                    "change [%]": float(percent_change(value, base)) if has_base else np.nan,
                }
                if vol is not None:
                    row["volume change [%]"] = (
                        float(percent_change(float(vol.sel({SCENARIO: s})), vbase)) if has_base else np.nan
                    )
                rows.append(row)
    cols = [EXPORTER, IMPORTER, SCENARIO, "level [US$ bn]", "change [US$ bn]", "change [%]"]
    if volume is not None:
        cols.append("volume change [%]")
    frame = pd.DataFrame(rows, columns=cols).set_index([EXPORTER, IMPORTER, SCENARIO])
    frame.attrs.update(title=title, scenario_labels=scenario_labels(ds))
    return frame


def agrifood_exports_table(
    ds: xr.Dataset, regions: Iterable[str] | None = None, baseline: str = BASELINE
) -> pd.DataFrame:
    """Agri-food exports by exporter -> importer pair and scenario: level and change.

    Uses ``agrifood_exports`` when the results have it, else sums ``exports`` over the
    commodities flagged by the ``agrifood`` coordinate.

    Parameters
    ----------
    ds : xarray.Dataset
        Results.
    regions : iterable of str or None
        Regions to include as exporters and importers (None = all). Pairs with no trade are dropped.
    baseline : str
        Scenario that changes are measured against.

    Returns
    -------
    pandas.DataFrame
        Index (exporter, importer, scenario); columns ``level [US$ bn]`` (current fob prices),
        ``change [US$ bn]``, ``change [%]`` and, from ``export_volume``, ``volume change [%]``.

    Raises
    ------
    ReportError
        When the results have neither ``agrifood_exports`` nor agri-food commodities.
    """
    volume = None
    flagged = AGRIFOOD in ds.coords and bool(ds[AGRIFOOD].any())
    if AGRIFOOD in ds.coords and not flagged:
        raise ReportError("results have no agri-food commodities (the 'agrifood' coordinate is all false)")
    if "agrifood_exports" in ds:
        level = ds["agrifood_exports"]
    else:
        require_variables(ds, "exports")
        if not flagged:
            raise ReportError("results have no agri-food commodities (no 'agrifood' coordinate on 'commodity')")
        level = ds["exports"].sel({COMMODITY: ds[AGRIFOOD].values}).sum(COMMODITY)
    if "export_volume" in ds and flagged:
        volume = ds["export_volume"].sel({COMMODITY: ds[AGRIFOOD].values}).sum(COMMODITY)
    table = _bilateral_table(level, volume, ds, regions, baseline, TITLES["agrifood_exports"])
    if table.empty:
        raise ReportError("results have no agri-food trade between the regions asked for")
    return table


def trade_by_partner_table(
    ds: xr.Dataset, regions: Iterable[str] | None = None, baseline: str = BASELINE
) -> pd.DataFrame:
    """Merchandise (goods) exports by exporter -> importer pair and scenario: level and change.

    Parameters
    ----------
    ds : xarray.Dataset
        Results with ``exports`` (and ``export_volume``) by exporter, importer and commodity; the
        boolean ``goods`` coordinate on ``commodity`` selects merchandise (all commodities if absent).
    regions : iterable of str or None
        Regions to include as exporters and importers (None = all). Pairs with no trade are dropped.
    baseline : str
        Scenario that changes are measured against.

    Returns
    -------
    pandas.DataFrame
        Index (exporter, importer, scenario); columns ``level [US$ bn]`` (current fob prices),
        ``change [US$ bn]``, ``change [%]`` and ``volume change [%]`` (benchmark fob prices).
    """
    require_variables(ds, "exports")
    title = TITLES["trade_by_partner"]
    if GOODS in ds[COMMODITY].coords:
        goods = ds[GOODS].values.astype(bool)
    else:
        log.warning("results have no 'goods' coordinate: trade by partner covers all commodities")
        goods = np.ones(ds.sizes[COMMODITY], dtype=bool)
        title = "Exports by partner (all commodities)"
    level = ds["exports"].sel({COMMODITY: goods}).sum(COMMODITY)
    volume = ds["export_volume"].sel({COMMODITY: goods}).sum(COMMODITY) if "export_volume" in ds else None
    return _bilateral_table(level, volume, ds, regions, baseline, title)
