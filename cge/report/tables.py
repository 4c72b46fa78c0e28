"""Report tables from a results Dataset, and writers for Markdown, LaTeX, CSV and Excel.

Every table function is pure: results ``xarray.Dataset`` in, ``pandas.DataFrame`` out; nothing is
re-solved. Column names carry their units in brackets (``"EV [US$ bn]"``), which the writers use to
format numbers: percent with 2 decimals (3 for real GDP), US$ bn with 2 decimals, persons with
thousands separators. Changes are relative to the ``baseline`` scenario (the unshocked benchmark).
CSV and Excel keep full-precision numbers; Markdown and LaTeX print formatted text.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from cge.atomic import atomic_write
from cge.dims import AGRIFOOD, BASELINE, COMMODITY, EXPORTER, GOODS, IMPORTER, REGION, SCENARIO
from cge.report.labels import unit_of_column

log = logging.getLogger(__name__)

FORMATS = ("md", "latex", "csv", "xlsx")
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


class ReportError(ValueError):
    """A results file or a table request that cannot be reported (names the missing piece)."""


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


def _pct_change(new: pd.Series | np.ndarray, base: pd.Series | np.ndarray):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.asarray(base) != 0, 100.0 * (np.asarray(new) / np.asarray(base) - 1.0), np.nan)


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
"""Trade-supported jobs, published definition (:mod:`cge.trade_jobs`)."""


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
            columns["employment change [persons]"] = emp - base
            columns["employment change [%]"] = xr.where(base != 0, 100.0 * (emp / base.where(base != 0) - 1.0), np.nan)
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
    frame["change [persons]"] = jobs - base
    frame["change [%]"] = _pct_change(jobs.values, base) if ref is not None else np.nan
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
    emp = ds["employment"].sel({REGION: region}).transpose(COMMODITY, SCENARIO).to_pandas()
    base = emp[baseline]
    frame = pd.DataFrame({"baseline [persons]": base})
    for scen in scenarios(ds):
        if scen != baseline:
            frame[f"{scen} change [persons]"] = emp[scen] - base
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
                    "change [US$ bn]": value - base,
                    "change [%]": float(_pct_change(value, base)) if has_base else np.nan,
                }
                if vol is not None:
                    row["volume change [%]"] = (
                        float(_pct_change(float(vol.sel({SCENARIO: s})), vbase)) if has_base else np.nan
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


def report_tables(
    ds: xr.Dataset,
    region: str | None = None,
    regions: Iterable[str] | None = None,
    baseline: str = BASELINE,
    names: Iterable[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """All report tables the results support, by name (see :data:`TITLES`).

    Tables whose inputs are missing (no employment satellite, no agri-food sectors, no
    trade-supported jobs) are left out with an INFO log message, unless asked for by name.

    Parameters
    ----------
    ds : xarray.Dataset
        Results.
    region : str or None
        Region of the jobs-by-sector table (None = ``"USA"`` if present, else the first region).
    regions : iterable of str or None
        Regions in the bilateral tables (None = all).
    baseline : str
        Scenario that changes are measured against.
    names : iterable of str or None
        Tables to build (None = all available); unknown or unavailable names raise.

    Returns
    -------
    dict of str to pandas.DataFrame
        Tables in :data:`TITLES` order.

    Raises
    ------
    ReportError
        For unknown table names, unknown regions, or a requested table the results cannot support.
    """
    regions = list(regions) if regions is not None else None
    builders: dict[str, Callable[[], pd.DataFrame]] = {
        "headline": lambda: headline_table(ds, baseline),
        "trade_jobs": lambda: trade_jobs_table(ds, baseline),
        "welfare": lambda: welfare_table(ds, region),
        "jobs_by_sector": lambda: jobs_by_sector_table(ds, region, baseline),
        "agrifood_exports": lambda: agrifood_exports_table(ds, regions, baseline),
        "trade_by_partner": lambda: trade_by_partner_table(ds, regions, baseline),
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
    if regions is not None:
        _check_regions(ds, regions)
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
    return out


# --------------------------------------------------------------------------------------------------
# formatting


def _default_spec(column: str) -> str:
    unit = unit_of_column(column)
    signed = "change" in column or unit == "%"
    sign = "+" if signed else ""
    if unit == "ratio":
        return ".2f"
    if unit == "persons":
        return f"{sign},.0f"
    if unit == "US$ bn":
        return f"{sign},.2f"
    if unit == "%":
        return "+.2f"
    return ",.4g"


def _fmt(value, spec: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if not isinstance(value, (int, float, np.integer, np.floating)):
        return str(value)
    value = float(value)
    if spec.endswith(",.2f") and value != 0 and abs(value) < 0.005:
        # tiny US$ bn figures (small test SAMs): three significant digits instead of "0.00"
        return format(value, ("+" if spec.startswith("+") else "") + ".3g")
    text = format(value, spec)
    return format(0.0, spec.lstrip("+")) if _is_zero(text) else text


def _is_zero(text: str) -> bool:
    return text.lstrip("+-").replace("0", "").replace(".", "").replace(",", "") == ""


def format_table(df: pd.DataFrame, sparsify: bool = True) -> pd.DataFrame:
    """Table as text: numbers formatted by the unit in each column name, index turned into columns.

    Parameters
    ----------
    df : pandas.DataFrame
        A table from this module (``df.attrs["formats"]`` may override a column's format spec).
    sparsify : bool
        Blank repeated labels of the outer index levels (as in a printed report).

    Returns
    -------
    pandas.DataFrame
        All-string table with a plain RangeIndex.
    """
    overrides = df.attrs.get("formats", {})
    text = pd.DataFrame(index=df.index)
    for col in df.columns:
        spec = overrides.get(col, _default_spec(col))
        text[col] = [_fmt(v, spec) for v in df[col].tolist()]
    text = text.reset_index()
    text.columns = [str(c) for c in text.columns]
    index_cols = [str(n) for n in df.index.names]
    if sparsify and len(index_cols) > 1:
        previous = None
        outer = index_cols[:-1]
        keys = text[outer].astype(str).agg("\x1f".join, axis=1).tolist()
        for k, key in enumerate(keys):
            if key == previous:
                text.loc[k, outer] = ""
            previous = key
    return text.fillna("").astype(str)


def _n_index(df: pd.DataFrame) -> int:
    return df.index.nlevels


def to_markdown(df: pd.DataFrame, title: str | None = None) -> str:
    """GitHub-flavoured Markdown of a table (numbers right-aligned), with a ``###`` title if given."""
    text = format_table(df)
    n = _n_index(df)
    align = ["left"] * n + ["right"] * (text.shape[1] - n)
    body = text.to_markdown(index=False, colalign=align, disable_numparse=True)
    return (f"### {title}\n\n" if title else "") + body + "\n"


def to_latex(df: pd.DataFrame, title: str | None = None, label: str | None = None) -> str:
    """LaTeX ``table`` with a booktabs ``tabular`` (needs ``\\usepackage{booktabs}``)."""
    text = format_table(df)
    n = _n_index(df)
    return text.to_latex(
        index=False,
        escape=True,
        column_format="l" * n + "r" * (text.shape[1] - n),
        caption=title,
        label=label,
        position="htbp",
    )


def to_csv(df: pd.DataFrame) -> str:
    """CSV of a table, index as leading columns, full-precision numbers."""
    return df.reset_index().to_csv(index=False, lineterminator="\n")


# --------------------------------------------------------------------------------------------------
# writers


def _write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _title(name: str, df: pd.DataFrame) -> str:
    return str(df.attrs.get("title", TITLES.get(name, name)))


def _excel_format(column: str, spec: str | None) -> str:
    unit = unit_of_column(column)
    if spec and spec.endswith(".3f"):
        return "+0.000;-0.000;0.000"
    if unit == "persons":
        return "#,##0"
    if unit in ("US$ bn", "%"):
        return "#,##0.00" if unit == "US$ bn" else "+0.00;-0.00;0.00"
    return "General"


def _sheet_name(name: str, used: set[str]) -> str:
    base = "".join(c for c in name if c not in "[]:*?/\\")[:31] or "table"
    sheet, k = base, 1
    while sheet in used:
        k += 1
        sheet = f"{base[:28]}_{k}"
    used.add(sheet)
    return sheet


def _write_xlsx(tables: Mapping[str, pd.DataFrame], path: Path) -> None:
    from openpyxl.utils import get_column_letter

    used: set[str] = set()
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, df in tables.items():
            sheet = _sheet_name(name, used)
            flat = df.reset_index()
            flat.columns = [str(c) for c in flat.columns]
            flat.to_excel(writer, sheet_name=sheet, index=False, startrow=1)
            ws = writer.sheets[sheet]
            ws.cell(row=1, column=1, value=_title(name, df))
            ws.freeze_panes = ws.cell(row=3, column=_n_index(df) + 1)
            overrides = df.attrs.get("formats", {})
            for j, col in enumerate(flat.columns, start=1):
                width = max([len(col)] + [len(str(v)) for v in flat[col].head(200).tolist()]) + 2
                ws.column_dimensions[get_column_letter(j)].width = min(max(width, 10), 45)
                if j <= _n_index(df):
                    continue
                number_format = _excel_format(col, overrides.get(col))
                for row in ws.iter_rows(min_row=3, min_col=j, max_col=j):
                    row[0].number_format = number_format


def render(tables: Mapping[str, pd.DataFrame], fmt: str) -> str:
    """Several tables as one text document (``md``, ``latex``; ``csv`` separates tables by ``# name`` lines).

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Tables by name.
    fmt : {"md", "latex", "csv"}
        Output format.

    Returns
    -------
    str
        The document.
    """
    _check_format(fmt)
    if fmt == "xlsx":
        raise ReportError("xlsx is a binary format: give an output file")
    parts = []
    for name, df in tables.items():
        if fmt == "md":
            parts.append(to_markdown(df, _title(name, df)))
        elif fmt == "latex":
            parts.append(to_latex(df, _title(name, df), label=f"tab:cge-{name.replace('_', '-')}"))
        else:
            parts.append((f"# {name}\n" if len(tables) > 1 else "") + to_csv(df))
    return "\n".join(parts)


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ReportError(f"unknown table format {fmt!r}; formats: {', '.join(FORMATS)}")


def write_table(df: pd.DataFrame, fmt: str, path: str | Path | None = None, name: str = "table") -> str | Path:
    """Write one table as Markdown, LaTeX, CSV or Excel.

    Parameters
    ----------
    df : pandas.DataFrame
        A table from this module.
    fmt : {"md", "latex", "csv", "xlsx"}
        Output format.
    path : str, Path or None
        Output file (written atomically); None returns the text (not for ``xlsx``).
    name : str
        Table name (Excel sheet name; title when ``df.attrs`` has none).

    Returns
    -------
    str or Path
        The text when ``path`` is None, else the path written.
    """
    result = write_tables({name: df}, fmt, path)
    return result if isinstance(result, str) else result[0]


def write_tables(tables: Mapping[str, pd.DataFrame], fmt: str, path: str | Path | None = None) -> str | list[Path]:
    """Write several tables: one document (md, latex), one workbook (xlsx) or one file per table (csv).

    With ``csv`` and more than one table, ``results.csv`` becomes ``results_headline.csv``,
    ``results_jobs_by_sector.csv``, ... (one file per table, suffixed with its name).

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Tables by name (as from :func:`report_tables`).
    fmt : {"md", "latex", "csv", "xlsx"}
        Output format.
    path : str, Path or None
        Output file (written atomically); None returns the text (``md``, ``latex``, ``csv``).

    Returns
    -------
    str or list of Path
        The text when ``path`` is None, else the files written.

    Raises
    ------
    ReportError
        For an unknown format, no tables, or ``xlsx`` without a path.
    """
    _check_format(fmt)
    if not tables:
        raise ReportError("no tables to write")
    if path is None:
        return render(tables, fmt)
    path = Path(path)
    if fmt == "xlsx":
        return [atomic_write(path, lambda tmp: _write_xlsx(tables, tmp))]
    if fmt == "csv" and len(tables) > 1:
        written = []
        for name, df in tables.items():
            written.append(_write_text(path.with_name(f"{path.stem}_{name}{path.suffix or '.csv'}"), to_csv(df)))
        return written
    return [_write_text(path, render(tables, fmt))]
