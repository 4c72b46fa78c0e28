"""Report tables from a results Dataset (writers in :mod:`cge.report.writers`).

Every table function is pure: results ``xarray.Dataset`` in, ``pandas.DataFrame`` out; nothing is
re-solved. Column names carry their units in brackets (``"EV [US$ bn]"``), which the writers use to
format numbers. Changes are relative to the reference scenario (``baseline`` by default; see
:func:`cge.report.selection.select`). Each table's ``attrs`` hold its ``title`` and ``notes``
(the source line printed under it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import xarray as xr

from cge.dims import ACTIVITY, AGRIFOOD, BASELINE, COMMODITY, EXPORTER, GOODS, IMPORTER, REGION, SCENARIO
from cge.indicators.compare import level_change, percent_change
from cge.report.labels import pretty_units
from cge.report.selection import ReportError, is_sweep, select, source_note

log = logging.getLogger(__name__)

US_REGION = "USA"

#: Table names (keys of :func:`report_tables`) and their titles.
TITLES = {
    "headline": "Headline results by region and scenario",
    "trade_jobs": "US jobs supported by trade with Mexico and Canada",
    "welfare": "Welfare decomposition: sources of EV",
    "jobs_by_sector": "Employment by sector: change vs baseline",
    "agrifood_exports": "Agri-food exports by partner",
    "trade_by_partner": "Merchandise exports by partner",
}


# --------------------------------------------------------------------------------------------------
# helpers


def _require(ds: xr.Dataset, *names: str) -> None:
    missing = [n for n in names if n not in ds]
    if missing:
        raise ReportError(f"results have no variable {', '.join(repr(n) for n in missing)}")
    if SCENARIO not in ds.dims:
        raise ReportError("results have no 'scenario' dimension (not a cge results file?)")


def scenarios(ds: xr.Dataset) -> list[str]:
    """Scenario names in the order of the Dataset."""
    return [str(s) for s in ds[SCENARIO].values]


def reference(ds: xr.Dataset, baseline: str = BASELINE) -> xr.Dataset | None:
    """The baseline scenario's results, or None (with a warning) when the Dataset has none.

    Parameters
    ----------
    ds : xarray.Dataset
        Results with a ``scenario`` dimension.
    baseline : str
        Name of the unshocked scenario.

    Returns
    -------
    xarray.Dataset or None
        ``ds.sel(scenario=baseline)``, or None.
    """
    if baseline in scenarios(ds):
        return ds.sel({SCENARIO: baseline})
    log.warning("no '%s' scenario in the results: changes that need a baseline level are left empty", baseline)
    return None


def _check_regions(ds: xr.Dataset, regions: Iterable[str] | None, dim: str = REGION) -> list[str]:
    available = [str(r) for r in ds[dim].values]
    if regions is None:
        return available
    regions = [str(r) for r in regions]
    unknown = [r for r in regions if r not in available]
    if unknown:
        raise ReportError(f"region {unknown[0]!r} is not in the results; regions: {', '.join(available)}")
    return regions


JOBS = "us_na_trade_jobs_model"
"""Trade-supported jobs, published definition (:mod:`cge.indicators.trade_jobs`)."""


def trade_jobs_region(ds: xr.Dataset) -> str | None:
    """Region whose jobs ``us_na_trade_jobs_model`` counts (its ``region`` attr, else ``"USA"`` if present)."""
    if JOBS not in ds:
        return None
    region = str(ds[JOBS].attrs.get("region", US_REGION))
    return region if REGION in ds.coords and region in [str(r) for r in ds[REGION].values] else None


# --------------------------------------------------------------------------------------------------
# tables


def headline_table(ds: xr.Dataset, baseline: str = BASELINE) -> pd.DataFrame:
    """Headline macro results by region and scenario.

    Parameters
    ----------
    ds : xarray.Dataset
        Results (``real_gdp_pct``, ``real_gdp`` and ``ev`` required; ``terms_of_trade_pct``,
        ``employment_total`` and ``us_na_trade_jobs_model`` used when present).
    baseline : str
        Scenario that employment changes are measured against.

    Returns
    -------
    pandas.DataFrame
        Index (region, scenario); columns ``real GDP [%]`` (change vs benchmark), ``real GDP
        [US$ bn]`` (benchmark prices), ``EV [US$ bn]``, ``terms of trade [%]``, ``employment change
        [persons]``, ``employment change [%]`` and ``trade-supported jobs [persons]`` (the
        ``us_na_trade_jobs_model`` figure, on its region's rows only).
    """
    _require(ds, "real_gdp_pct", "real_gdp", "ev")
    columns = {
        "real GDP [%]": ds["real_gdp_pct"],
        "real GDP [US$ bn]": ds["real_gdp"],
        "EV [US$ bn]": ds["ev"],
    }
    if "terms_of_trade_pct" in ds:
        columns["terms of trade [%]"] = ds["terms_of_trade_pct"]
    ref = reference(ds, baseline)
    if "employment_total" in ds:
        emp = ds["employment_total"]
        if ref is not None:
            base = ref["employment_total"]
            columns["employment change [persons]"] = emp.copy(data=level_change(emp, base.broadcast_like(emp)))
            columns["employment change [%]"] = emp.copy(data=percent_change(emp, base.broadcast_like(emp)))
        else:
            columns["employment change [persons]"] = emp * np.nan
            columns["employment change [%]"] = emp * np.nan
    frame = pd.DataFrame(
        {name: da.transpose(REGION, SCENARIO).to_series() for name, da in columns.items()},
    )
    frame.index = frame.index.set_names([REGION, SCENARIO])
    frame = frame.reindex(
        pd.MultiIndex.from_product([_check_regions(ds, None), scenarios(ds)], names=frame.index.names)
    )
    jobs_region = trade_jobs_region(ds)
    if jobs_region is not None:
        jobs = ds[JOBS].to_series()
        col = np.full(len(frame), np.nan)
        for k, (region, scen) in enumerate(frame.index):
            if region == jobs_region:
                col[k] = float(jobs[scen])
        frame["trade-supported jobs [persons]"] = col
    frame.attrs.update(title=TITLES["headline"], formats={"real GDP [%]": "+.3f"})
    return frame


def trade_jobs_table(ds: xr.Dataset, baseline: str = BASELINE) -> pd.DataFrame:
    """US jobs supported by trade with Mexico and Canada by scenario, with their parts and the
    published figure.

    Parameters
    ----------
    ds : xarray.Dataset
        Results with ``us_na_trade_jobs_model`` (and ``us_na_trade_jobs_parts`` when present).
    baseline : str
        Scenario that changes are measured against.

    Returns
    -------
    pandas.DataFrame
        Index scenario; columns ``trade-supported jobs [persons]`` (ours, published definition),
        ``change [persons]``, ``change [%]``, one ``<part> [persons]`` column per part, and on the
        baseline row ``published [persons]`` and ``published / ours [ratio]``. The attrs
        ``notes`` say where the published figure comes from.
    """
    _require(ds, JOBS)
    ref = reference(ds, baseline)
    jobs = ds[JOBS].to_series()
    frame = pd.DataFrame({"trade-supported jobs [persons]": jobs})
    base = float(ref[JOBS]) if ref is not None else np.nan
    frame["change [persons]"] = level_change(jobs, base)
    frame["change [%]"] = percent_change(jobs.values, base) if ref is not None else np.nan
    if "us_na_trade_jobs_parts" in ds:
        parts = ds["us_na_trade_jobs_parts"]
        for part in parts["part"].values:
            frame[f"{str(part).replace('_', ' ')} [persons]"] = parts.sel(part=part).to_series()
    attrs = ds[JOBS].attrs
    published = attrs.get("published_persons")
    if published is not None and ref is not None:
        frame["published [persons]"] = [float(published) if s == baseline else np.nan for s in frame.index]
        frame["published / ours [ratio]"] = [float(published) / base if s == baseline else np.nan for s in frame.index]
    frame.index = pd.Index([str(s) for s in frame.index], name=SCENARIO)
    notes = "Ours: exports and imports x direct, indirect (input-output) and induced (SAM multiplier) jobs."
    if published is not None:
        notes += f" Published: {float(published):,.0f} ({attrs.get('published_source', '')})."
    frame.attrs.update(title=TITLES["trade_jobs"], notes=notes)
    return frame


def welfare_table(ds: xr.Dataset, region: str | None = None) -> pd.DataFrame:
    """EV by source (the Huff–Hertel decomposition) for one region, one column per scenario.

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
    _require(ds, "ev_decomposition")
    region = region or default_jobs_region(ds)
    _check_regions(ds, [region])
    dec = ds["ev_decomposition"].sel({REGION: region})
    frame = pd.DataFrame(
        {f"{scen} [US$ bn]": dec.sel({SCENARIO: scen}).to_series() for scen in scenarios(ds)},
    )
    frame.index = pd.Index([str(c).replace("_", " ") for c in frame.index], name="component")
    frame.loc["EV"] = frame.sum()
    frame.attrs.update(title=f"{TITLES['welfare']} ({region})")
    return frame


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
    _require(ds, "employment")
    region = region or default_jobs_region(ds)
    _check_regions(ds, [region])
    ref = reference(ds, baseline)
    if ref is None:
        raise ReportError(f"jobs by sector need a '{baseline}' scenario in the results")
    emp = ds["employment"].sel({REGION: region}).transpose(ACTIVITY, SCENARIO).to_pandas()
    base = emp[baseline]
    frame = pd.DataFrame({"baseline [persons]": base})
    for scen in scenarios(ds):
        if scen != baseline:
            frame[f"{scen} change [persons]"] = level_change(emp[scen], base)
    frame.loc["total"] = frame.sum()
    frame.index = pd.Index([str(s) for s in frame.index], name="sector")
    frame.attrs.update(title=f"{TITLES['jobs_by_sector']} ({region})")
    return frame


def _bilateral_table(
    level: xr.DataArray, volume: xr.DataArray | None, ds: xr.Dataset, regions, baseline: str, title: str
) -> pd.DataFrame:
    exporters = _check_regions(ds, regions, EXPORTER)
    importers = _check_regions(ds, regions, IMPORTER)
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
    frame.attrs.update(title=title)
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
        _require(ds, "exports")
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
    _require(ds, "exports")
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


def variable_table(ds: xr.Dataset, name: str) -> pd.DataFrame:
    """One variable by scenario: rows = its other dimensions (region, commodity, ...), columns = scenarios.

    Parameters
    ----------
    ds : xarray.Dataset
        Results (after :func:`~cge.report.selection.select`).
    name : str
        Any variable with a ``scenario`` dimension (an indicator, or a model variable of a
        ``detail="all"`` run such as ``qo_pct`` or ``pm_pct``).

    Returns
    -------
    pandas.DataFrame
        Columns ``<scenario> [units]``; title from the variable's ``long_name`` (its GTAP name in
        brackets when known). Rows where every scenario is empty (no such flow) are dropped.
    """
    _require(ds, name)
    da = ds[name]
    if not np.issubdtype(da.dtype, np.number):
        raise ReportError(f"variable {name!r} is not numeric")
    units = pretty_units(da.attrs.get("units"))
    others = [d for d in da.dims if d != SCENARIO]
    if others:
        frame = da.transpose(*others, SCENARIO).to_series().unstack(SCENARIO)
    else:
        frame = da.to_series().to_frame().T
        frame.index = pd.Index([name], name="variable")
    frame = frame[[s for s in scenarios(ds) if s in frame.columns]].dropna(how="all")
    frame.columns = [f"{s} [{units}]" if units else str(s) for s in frame.columns]
    gtap = f" (GTAP {da.attrs['gtap']})" if da.attrs.get("gtap") else ""
    frame.attrs.update(title=f"{_sentence(str(da.attrs.get('long_name', name)))}{gtap}", variable=name)
    return frame


def _sentence(text: str) -> str:
    """First letter upper case, the rest as written (``real GDP`` -> ``Real GDP``)."""
    return text[:1].upper() + text[1:]


SWEEP_INDICATORS = (
    ("real_gdp_pct", "Real GDP change"),
    ("ev", "Equivalent variation"),
    ("terms_of_trade_pct", "Terms of trade change"),
    ("employment_change", "Employment change"),
    ("us_na_trade_jobs_model", "US jobs supported by trade with Mexico and Canada"),
    ("agrifood_exports_pct", "Agri-food exports change"),
)
"""Indicators of the sweep tables (those the results hold), with their titles."""


def sweep_table(ds: xr.Dataset, name: str, title: str | None = None) -> pd.DataFrame:
    """Mean, standard deviation and 90 % interval over the draws of a sensitivity analysis.

    Parameters
    ----------
    ds : xarray.Dataset
        Results of ``cge sweep --ssa`` (``<name>_mean``, ``_std``, ``_p05``, ``_p95``).
    name : str
        Indicator, e.g. ``real_gdp_pct``.

    Returns
    -------
    pandas.DataFrame
        Index (region, scenario) or scenario; columns ``mean``, ``std``, ``90% low``, ``90% high``
        with the indicator's units. The unshocked ``baseline`` is left out.
    """
    _require(ds, f"{name}_mean")
    mean = ds[f"{name}_mean"]
    units = pretty_units(ds[name].attrs.get("units") if name in ds else mean.attrs.get("units"))
    unit = f" [{units}]" if units else ""
    columns = {"mean": "mean", "std": "std", "p05": "90% low", "p95": "90% high"}
    frame = pd.DataFrame(
        {
            f"{label}{unit}": ds[f"{name}_{suffix}"]
            .transpose(*[d for d in mean.dims if d != SCENARIO], SCENARIO)
            .to_series()
            for suffix, label in columns.items()
        }
    )
    keep = [s for s in scenarios(ds) if s != BASELINE]
    if isinstance(frame.index, pd.MultiIndex):
        frame = frame[frame.index.get_level_values(SCENARIO).isin(keep)]
    else:
        frame = frame.loc[[s for s in frame.index if s in keep]]
    frame.attrs.update(title=_sentence(title or str(ds[name].attrs.get("long_name", name) if name in ds else name)))
    return frame


def sweep_tables(ds: xr.Dataset) -> dict[str, pd.DataFrame]:
    """Sweep tables of every :data:`SWEEP_INDICATORS` entry the results hold."""
    return {name: sweep_table(ds, name, title) for name, title in SWEEP_INDICATORS if f"{name}_mean" in ds}


def report_tables(
    ds: xr.Dataset,
    region: str | None = None,
    regions: Iterable[str] | None = None,
    baseline: str | None = None,
    names: Iterable[str] | None = None,
    scenarios: Iterable[str] | None = None,
    variables: Iterable[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """All report tables the results support, by name (see :data:`TITLES`), each with its notes line.

    Tables whose inputs are missing (no employment satellite, no agri-food sectors, no
    trade-supported jobs) are left out with an INFO log message, unless asked for by name.
    Results of a sensitivity analysis (``cge sweep --ssa``) give the sweep tables instead
    (:func:`sweep_tables`: mean, std and 90 % interval).

    Parameters
    ----------
    ds : xarray.Dataset
        Results.
    region : str or None
        Region of the jobs-by-sector table (None = ``"USA"`` if present, else the first region).
    regions : iterable of str or None
        Regions shown (None = all); region groups (``USMCA``, ``world``) add subtotals.
    baseline : str or None
        Reference scenario for every change (None = ``baseline`` if the results have it).
    names : iterable of str or None
        Tables to build (None = all available); unknown or unavailable names raise.
    scenarios : iterable of str or None
        Scenarios shown (the reference is kept); None = all.
    variables : iterable of str or None
        Instead of the named tables: one :func:`variable_table` per variable.

    Returns
    -------
    dict of str to pandas.DataFrame
        Tables in :data:`TITLES` order (or the variables' order).

    Raises
    ------
    ReportError
        For unknown table names, variables, scenarios or regions, or a requested table the results
        cannot support.
    """
    regions = list(regions) if regions is not None else None
    shown = select(ds, baseline, scenarios, regions)
    ref = baseline or BASELINE
    note = source_note(shown, baseline)
    if is_sweep(ds):
        if variables:
            out = {n: sweep_table(shown, n) if f"{n}_mean" in shown else variable_table(shown, n) for n in variables}
        else:
            out = sweep_tables(shown)
        if not out:
            raise ReportError("sweep results have no summary indicators (<name>_mean)")
        for table in out.values():
            table.attrs["notes"] = note
        return out
    if variables:
        out = {name: variable_table(shown, name) for name in variables}
        for table in out.values():
            table.attrs["notes"] = note
        return out
    builders: dict[str, Callable[[], pd.DataFrame]] = {
        "headline": lambda: headline_table(shown, ref),
        "trade_jobs": lambda: trade_jobs_table(shown, ref),
        "welfare": lambda: welfare_table(shown, region),
        "jobs_by_sector": lambda: jobs_by_sector_table(shown, region, ref),
        "agrifood_exports": lambda: agrifood_exports_table(shown, regions, ref),
        "trade_by_partner": lambda: trade_by_partner_table(shown, regions, ref),
    }
    wanted = list(names) if names else None
    if wanted:
        unknown = [n for n in wanted if n not in builders]
        if unknown:
            raise ReportError(f"unknown table {unknown[0]!r}; tables: {', '.join(builders)}")
    if "real_gdp_pct" not in ds or SCENARIO not in ds.dims:
        raise ReportError("not a cge results file: no 'real_gdp_pct' variable with a 'scenario' dimension")
    if region is not None:
        _check_regions(ds, [region])
    out = {}
    for name, build in builders.items():
        if wanted and name not in wanted:
            continue
        try:
            out[name] = build()
        except ReportError as exc:
            if wanted:
                raise
            log.info("table %s left out: %s", name, exc)
    for name, table in out.items():
        table.attrs["notes"] = note + NOTES.get(name, "")
    return out


NOTES = {
    "headline": (
        " Employment change counts every person employed (net change vs the reference); trade-supported jobs "
        "is a level: our count of the jobs supported by trade with the partners (published definition), not a change."
    ),
}


DIFF_VARIABLES = ("real_gdp_pct", "ev", "utility_pct", "terms_of_trade_pct", "employment_change", "tariff_revenue")
"""Default columns of :func:`diff_table` (those the results hold)."""


def diff_table(
    ds: xr.Dataset, a: str, b: str, variables: Iterable[str] | None = None, regions: Iterable[str] | None = None
) -> pd.DataFrame:
    """Scenario ``b`` against scenario ``a`` by region (``cge diff A B``).

    Percent changes and EV of ``b`` are measured from ``a`` (the indicators' ``reference`` rule);
    levels are ``b - a``. Region groups in ``regions`` add subtotals.

    Returns
    -------
    pandas.DataFrame
        Index region; one column ``<variable> [units]`` per region variable (default
        :data:`DIFF_VARIABLES`); title ``"<b> vs <a>"``; notes with the source line.
    """
    from cge.indicators.compare import difference

    for name in (a, b):
        if name not in scenarios(ds):
            raise ReportError(f"scenario {name!r} is not in the results; scenarios: {', '.join(scenarios(ds))}")
    shown = select(ds, None, [a, b], regions)
    diff = difference(shown, a, b)
    names = list(variables) if variables else [v for v in DIFF_VARIABLES if v in diff]
    missing = [v for v in names if v not in diff]
    if missing:
        raise ReportError(f"results have no numeric variable {missing[0]!r} with a scenario dimension")
    wrong = [v for v in names if diff[v].dims != (REGION,)]
    if wrong:
        raise ReportError(f"{wrong[0]!r} is not by region alone; use `cge table -v {wrong[0]}` for it")
    frame = pd.DataFrame(
        {f"{v} [{pretty_units(diff[v].attrs.get('units'))}]".replace(" []", ""): diff[v].to_series() for v in names}
    )
    frame.index = pd.Index([str(r) for r in frame.index], name=REGION)
    frame.attrs.update(
        title=f"{b} vs {a}",
        notes=f"Percent changes and EV of '{b}' measured from '{a}'; levels as '{b}' minus '{a}'. "
        + source_note(shown, a),
    )
    return frame
