"""The targets of issue 17 (``calibration/database/targets_2024.csv``) as rows of the database cells.

Each row names a public figure, its year, quality and source, and how it is measured:

- ``va_share`` (% of GDP): value added at basic prices of ``sectors`` = share × the region's GDP
  control; ``va_value`` (bn, currency of ``unit``): the same as a value;
- ``labour_share`` (% of GDP at basic prices, PWT's basis): skilled + unskilled labour payments =
  share × (GDP control − net taxes on products, tariffs and export taxes);
- ``product_tax_share`` (% of GDP): net taxes on products (tariffs excluded) = share × GDP;
- ``flow`` (US$ bn): f.o.b. exports of ``sectors`` (``goods``, ``services``, ``all`` or a list);
- ``duties`` (US$ bn) and ``trade_margin_rate`` (%): checks computed after balancing.

``value`` is a number or ``raw:<key>``, read from the raw files by :func:`resolve_raw` (BEA,
INEGI, Statistics Canada, PWT, the services file, the HS6 duties). ``use = target`` rows enter
the balancing as soft targets with the relative standard error of their quality
(``calibration/controls/quality_sd.csv``) combined with ``coverage_sd``; ``use = check`` rows
are reported only. Rows naming regions or sectors outside the aggregation are skipped and listed.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cge.balance.report import Side
from cge.balance.vector import LinearRow
from cge.build.database.can import read_statcan
from cge.build.database.cells import COMM, ENDW, LABOUR_ENDOWMENTS, REG, REG_2, CellSpace, _concat
from cge.build.database.mex import _product_tax_share, read_inegi
from cge.build.database.sectors import CONCORDANCE_DIR, SectorSet, concordance_matrix, read_concordance
from cge.build.database.sources import STATCAN_YEAR, NationalFiles, read_indexed
from cge.build.database.usa import CONCORDANCE as BEA_CONCORDANCE
from cge.build.sector_controls import QUALITY_FILE, RATES_FILE, quality_sd, read_exchange_rates, read_quality_sd
from cge.build.sources import BuildInputError, read_csv_checked

log = logging.getLogger(__name__)

TARGET_FILE = Path("database") / "targets_2024.csv"
KINDS = ("va_share", "va_value", "labour_share", "product_tax_share", "flow", "duties", "trade_margin_rate")
COLUMNS = (
    "name",
    "kind",
    "region",
    "partner",
    "sectors",
    "value",
    "unit",
    "year",
    "quality",
    "coverage_sd",
    "use",
    "source",
)
BN = 1000.0
PWT_YEAR = 2019


@dataclass(frozen=True)
class DatabaseTarget:
    """A figure of the targets file, resolved.

    Attributes
    ----------
    name, kind, region, partner : str
    sectors : list of str
    value : float
        Public value in the unit of the row (% or bn).
    target_musd : float or None
        The measure's target value [US$ million] (share × GDP control or a value), None for checks
        of kinds computed after balancing.
    sd : float
        Relative standard error (quality and coverage).
    use : str
        ``target`` or ``check``.
    source : str
    row : LinearRow or None
        The measure on the database cells.
    """

    name: str
    kind: str
    region: str
    partner: str
    sectors: list[str]
    value: float
    unit: str
    year: str
    target_musd: float | None
    sd: float
    use: str
    source: str
    row: LinearRow | None


def _sectors(spec: str, sectors: SectorSet) -> list[str] | None:
    if spec in ("all", "goods", "services"):
        if spec == "all":
            return list(sectors.sectors)
        return [s for s, g in zip(sectors.sectors, sectors.goods) if g == (spec == "goods")]
    names = [s.strip() for s in str(spec).split(";") if s.strip()]
    return names if all(s in sectors.sectors for s in names) else None


def bea_shares(files: NationalFiles, calibration_dir: Path, sectors: SectorSet, chosen: list[str]) -> dict[str, float]:
    """BEA 2023: value added of ``chosen`` sectors, net product taxes, each over GDP (VAPRO), %."""
    use = read_indexed(files.bea_use, "BEA Use table")
    supply = read_indexed(files.bea_supply, "BEA Supply table")
    industries = [
        c
        for c in supply.columns
        if not c.startswith("T") and c not in ("MCIF", "MADJ", "Trade", "Trans", "MDTY", "TOP", "SUB")
    ]
    conc_path = Path(calibration_dir) / CONCORDANCE_DIR / BEA_CONCORDANCE
    im = concordance_matrix(read_concordance(conc_path, sectors), industries, sectors, str(conc_path))
    gdp = float(use.loc["VAPRO", industries].sum())
    va = use.loc["VABAS", industries].to_numpy(float) @ im
    cols = [sectors.sectors.index(s) for s in chosen]
    commodities = [c for c in supply.index if c != "T017"]
    taxes = float((supply.loc[commodities, "TOP"] + supply.loc[commodities, "SUB"]).sum())
    return {"va": 100.0 * float(va[cols].sum()) / gdp, "product_tax": 100.0 * taxes / gdp}


def inegi_shares(files: NationalFiles, chosen: list[str]) -> dict[str, float]:
    """INEGI 2018: manufacturing (SCIAN 31-33) value added and net product taxes over GDP, %."""
    inegi, finals = read_inegi(files.inegi)
    share = _product_tax_share(inegi, finals)
    gdp = float(inegi["B.1bV"].sum()) / (1.0 - share)
    return {"va": 100.0 * float(inegi.loc["31-33", "B.1bV"]) / gdp, "product_tax": 100.0 * share}


def resolve_raw(
    key: str, row: pd.Series, files: NationalFiles, calibration_dir: Path, sectors: SectorSet, context: dict
) -> float:
    """The public value of a ``raw:`` row (% or US$ bn, as the row's unit).

    Raises
    ------
    BuildInputError
        For an unknown key or a figure the raw files do not have for the row's region.
    """
    chosen = _sectors(row["sectors"], sectors) or []
    region, partner = row["region"], row["partner"]
    if key == "bea_manufacturing_share":
        return bea_shares(files, calibration_dir, sectors, chosen)["va"]
    if key == "bea_product_tax_share":
        return bea_shares(files, calibration_dir, sectors, chosen)["product_tax"]
    if key == "inegi_manufacturing_share":
        return inegi_shares(files, chosen)["va"]
    if key == "inegi_product_tax_share":
        return inegi_shares(files, chosen)["product_tax"]
    if key == "statcan_product_tax_share":
        sc = read_statcan(files.statcan, STATCAN_YEAR)
        return 100.0 * sc["product_taxes"] / sc["gdp"]
    if key == "pwt_labsh":
        if region not in context["labsh"]:
            raise BuildInputError(f"{TARGET_FILE}: no PWT labour share for region {region}")
        return 100.0 * context["labsh"][region]
    if key == "services":
        frame = read_csv_checked(
            files.services,
            ["exporter", "importer", "service", "year", "value_usd_bn"],
            ["value_usd_bn", "year"],
            dtype_str=["exporter", "importer", "service"],
        )
        hit = frame[
            (frame["exporter"] == region)
            & (frame["importer"] == partner)
            & (frame["service"] == "all services")
            & (frame["year"] == int(row["year"]))
        ]
        if len(hit) != 1:
            raise BuildInputError(f"{files.services}: no single row {region}->{partner} all services {row['year']}")
        return float(hit["value_usd_bn"].iloc[0])
    if key == "hs6_duties":
        return float(context["us_imports"].loc[region, "duties"].sum()) / BN
    if key == "bea_trade_margin_rate":
        return 100.0 * float(context["tables"]["USA"].notes["trade_margin_rate_goods"])
    raise BuildInputError(f"{TARGET_FILE}: unknown raw key {key!r}")


def _labour(space: CellSpace, region: str) -> tuple[np.ndarray, np.ndarray]:
    return space.form("EVFB").select({REG: region, ENDW: list(LABOUR_ENDOWMENTS)})


def _taxes_on_products(space: CellSpace, region: str) -> tuple[np.ndarray, np.ndarray]:
    """Net taxes on products, tariffs and export taxes: GDP at market prices minus at basic prices."""
    return _concat(
        [
            space.product_taxes(region),
            space.difference("VMSB", "VCIF").select({REG_2: region}),
            space.difference("VFOB", "VXSB").select({REG: region}),
        ]
    )


def _row(
    space: CellSpace, kind: str, region: str, partner: str, sectors: list[str], share: float
) -> tuple[np.ndarray, np.ndarray]:
    if kind in ("va_share", "va_value"):
        return space.value_added(region, sectors)
    if kind == "labour_share":
        # labour = s × GDP at basic prices = s × (GDP − taxes on products): labour + s × taxes = s × GDP
        i, c = _taxes_on_products(space, region)
        return _concat([_labour(space, region), (i, share / 100.0 * c)])
    if kind == "product_tax_share":
        return space.product_taxes(region)
    if kind == "flow":
        return space.form("VFOB").select({COMM: sectors, REG: region, REG_2: partner})
    if kind == "duties":
        return space.difference("VMSB", "VCIF").select({COMM: sectors, REG: region, REG_2: partner})
    return np.zeros(0, int), np.zeros(0)


def read_targets(
    files: NationalFiles,
    calibration_dir: Path,
    sectors: SectorSet,
    regions: list[str],
    gdp: dict[str, float],
    context: dict,
) -> tuple[list[DatabaseTarget], list[str]]:
    """Resolve the targets file for the aggregation (values; rows come from :func:`with_rows`); also return the
    skipped rows (with why).

    Raises
    ------
    BuildInputError
        On a malformed file, an unknown kind or quality, or a value that cannot be converted.
    """
    path = Path(calibration_dir) / TARGET_FILE
    frame = read_csv_checked(path, list(COLUMNS), ["coverage_sd"], dtype_str=[c for c in COLUMNS if c != "coverage_sd"])
    frame[["partner", "value"]] = frame[["partner", "value"]].fillna("")
    bad = ~frame["kind"].isin(KINDS)
    if bad.any():
        raise BuildInputError(
            f"{path}: kind {frame.loc[bad, 'kind'].iloc[0]!r} in row {int(bad.idxmax()) + 2}; expected one of {KINDS}"
        )
    sds = read_quality_sd(Path(calibration_dir) / QUALITY_FILE)
    rates = read_exchange_rates(Path(calibration_dir) / RATES_FILE)
    out, skipped = [], []
    for _, row in frame.iterrows():
        chosen = _sectors(row["sectors"], sectors)
        if row["region"] not in regions or (row["partner"] and row["partner"] not in regions) or chosen is None:
            skipped.append(f"{row['name']}: region or sector not in the aggregation")
            continue
        text = str(row["value"]).strip()
        value = (
            resolve_raw(text[4:], row, files, calibration_dir, sectors, context)
            if text.startswith("raw:")
            else float(text)
        )
        unit = str(row["unit"]).strip()
        target: float | None
        if row["kind"] in ("va_share", "labour_share", "product_tax_share"):
            target = value / 100.0 * gdp[row["region"]]
        elif row["kind"] in ("va_value", "flow", "duties"):
            currency = unit.split(" ")[0]
            target = (
                value * BN / (1.0 if currency == "USD" else rates[currency])
                if currency == "USD" or currency in rates
                else None
            )
            if target is None:
                raise BuildInputError(f"{path}: unit {unit!r} of {row['name']} cannot be converted")
        else:
            target = None
        sd = float(np.hypot(quality_sd(row["quality"], sds, path), float(row["coverage_sd"])))
        out.append(
            DatabaseTarget(
                row["name"],
                row["kind"],
                row["region"],
                row["partner"],
                chosen,
                value,
                unit,
                str(row["year"]),
                target,
                sd,
                row["use"],
                row["source"],
                None,
            )
        )
    for line in skipped:
        log.warning("database target skipped: %s", line)
    return out, skipped


def with_rows(targets: list[DatabaseTarget], space: CellSpace) -> list[DatabaseTarget]:
    """The targets with their rows on ``space`` (soft for ``use = target``; None for kinds checked after balancing)."""
    out = []
    for t in targets:
        row = None
        if t.target_musd is not None:
            i, c = _row(space, t.kind, t.region, t.partner, t.sectors, t.value)
            row = LinearRow(t.name, i, c, t.target_musd, t.sd if t.use == "target" else None, Side.EQUAL)
        out.append(dataclasses.replace(t, row=row))
    return out


def evaluate(target: DatabaseTarget, x: np.ndarray, headers: dict, space: CellSpace | None = None) -> float:
    """The database's value of a target in the row's unit (% or bn); labour shares are of GDP at
    basic prices (``space`` needed)."""
    if target.kind == "labour_share" and space is not None:
        labour = LinearRow("labour", *_labour(space, target.region)).evaluate(x)
        taxes = LinearRow("taxes", *_taxes_on_products(space, target.region)).evaluate(x)
        gdp = LinearRow("gdp", *space.gdp(target.region)).evaluate(x)
        return 100.0 * labour / (gdp - taxes)
    if target.kind == "trade_margin_rate":
        sat = headers.get("domestic_trade_margins")
        if sat is None:
            return float("nan")
        purchases = headers["goods_purchases_purchaser"].sel({REG: target.region})
        return 100.0 * float(sat.sel({REG: target.region}).sum()) / float(purchases)
    if target.row is None or not target.target_musd:
        return float("nan")
    return target.row.evaluate(x) / target.target_musd * target.value
