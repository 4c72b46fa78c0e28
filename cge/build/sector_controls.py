"""Figures below the totals (``macro/controls_2024_sector.csv``) as soft targets and checks.

Each row of the raw file is one published figure (a goods or services flow by product group and
partner, energy trade, a services balance, customs duties, an investment share, a current
account). The mapping file ``calibration/controls/sector_targets_2024.csv`` says, for every raw
row, how it enters the build:

- ``use``: ``target`` (a soft target of the cross-entropy update), ``check`` (reported only),
  ``tariff_level`` (customs duties collected: sets the importer's tariff level, see
  :mod:`cge.build.tariff_levels`) or ``unused`` (with the reason in ``note``);
- ``target``: the name of the measure; rows with the same name are summed (e.g. NAICS 334 + 335);
- ``measure``: ``flow`` (fob value of ``sectors`` from ``region_from`` to ``region_to``),
  ``two_way`` (both directions), ``balance`` (exports minus imports of ``sectors`` of
  ``region_from`` with all other regions), ``investment_share`` (investment demand over GDP, %),
  ``trade_balance`` (exports minus imports, all commodities), ``tariff_revenue`` (of the
  importer ``region_from``);
- ``sectors``: model sectors separated by ``;``, or ``goods`` / ``services`` / ``all``;
- ``side``: ``equal``, ``at_least`` (the product group is part of the model sectors: the figure is
  a lower bound) or ``at_most``;
- ``coverage_sd``: relative uncertainty of the mapping (0 for an exact match), added in quadrature
  to the standard error implied by the row's quality (``quality_sd.csv``).

``controls/derived_targets_2024.csv`` adds figures derived from raw rows (same columns as the raw
file plus the mapping columns, each naming its derivation), e.g. China's goods and services balance.

Regions may be ``A+B`` (a sum) or ``WLD`` (all other regions of the aggregation). Values in
national currency are converted with ``exchange_rates_2024.csv``. Rows naming regions or sectors
the aggregation does not have are skipped and reported, so any aggregation builds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cge.balance import Side, Term
from cge.build.controls import BN, WORLD, ControlSet, Measure, fob_terms
from cge.build.mapping import Aggregation
from cge.build.sources import BuildInputError, read_csv_checked
from cge.build.tariff_levels import TariffLevel
from cge.dims import AGENT, IMPORTER, INVESTMENT, REGION

log = logging.getLogger(__name__)

MAPPING_FILE = Path("controls") / "sector_targets_2024.csv"
QUALITY_FILE = Path("controls") / "quality_sd.csv"
RATES_FILE = Path("controls") / "exchange_rates_2024.csv"
KEY_FLOWS_FILE = Path("controls") / "key_flows_2024.csv"
"""Flows reported in the SAM README against public values (measure columns as in the mapping)."""
DERIVED_FILE = Path("controls") / "derived_targets_2024.csv"
"""Figures derived from rows of the raw file (raw columns + mapping columns, each with its source)."""

KEY = ("quantity", "region_from", "region_to", "sector_or_scope")
USES = ("target", "check", "tariff_level", "unused")
MEASURES = ("flow", "two_way", "balance", "investment_share", "trade_balance", "tariff_revenue")
USD_UNITS = ("USD bn", "USD bn (inflation-adjusted)")
SHARE_UNIT = "% of goods imports"
"""Unit of a customs-duty figure given as a collected-duty rate."""


@dataclass(frozen=True)
class SectorControls:
    """The figures of ``controls_2024_sector.csv`` as measures.

    Attributes
    ----------
    measures : tuple of Measure
        Soft targets (role ``target``, with ``sd`` and ``side``) and checks (role ``check``).
    tariff_levels : tuple of TariffLevel
        Customs duties collected by importer.
    rows : pandas.DataFrame
        Every raw row with its use, the measure it feeds and, for skipped rows, why.
    balance_regions : tuple of str
        Regions whose trade balance (goods and services) is a soft target.
    """

    measures: tuple[Measure, ...] = ()
    tariff_levels: tuple[TariffLevel, ...] = ()
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    balance_regions: tuple[str, ...] = ()

    def targets(self) -> list[Measure]:
        """The soft targets."""
        return [m for m in self.measures if m.role == "target"]

    def checks(self) -> list[Measure]:
        """The figures reported only."""
        return [m for m in self.measures if m.role == "check"]


def read_quality_sd(path: Path) -> dict[str, float]:
    """Quality flag → relative standard error (``quality_sd.csv``)."""
    frame = read_csv_checked(path, ["quality", "relative_sd"], ["relative_sd"], dtype_str=["quality"])
    bad = frame["relative_sd"].isna() | (frame["relative_sd"] <= 0)
    if bad.any():
        raise BuildInputError(f"{path}: relative_sd must be positive (row {int(bad.idxmax()) + 2})")
    return dict(zip(frame["quality"].str.strip(), frame["relative_sd"]))


def quality_sd(quality: str, table: dict[str, float], path: Path) -> float:
    """Standard error of a quality flag: the exact flag, else the longest flag it starts with."""
    text = str(quality).strip()
    if text in table:
        return table[text]
    prefixes = [q for q in table if text.startswith(q)]
    if not prefixes:
        raise BuildInputError(f"{path}: no relative_sd for quality {text!r} (known: {sorted(table)})")
    return table[max(prefixes, key=len)]


def read_exchange_rates(path: Path) -> dict[str, float]:
    """Currency → units per US$ (``exchange_rates_2024.csv``)."""
    frame = read_csv_checked(path, ["currency", "per_usd"], ["per_usd"], dtype_str=["currency"])
    if (frame["per_usd"].isna() | (frame["per_usd"] <= 0)).any():
        raise BuildInputError(f"{path}: per_usd must be positive")
    return dict(zip(frame["currency"].str.strip(), frame["per_usd"]))


def read_sector_mapping(path: Path) -> pd.DataFrame:
    """The mapping of raw rows to measures, checked (see the module docstring)."""
    cols = [*KEY, "use", "target", "measure", "sectors", "side", "coverage_sd", "note"]
    frame = read_csv_checked(path, cols, ["coverage_sd"], dtype_str=[c for c in cols if c != "coverage_sd"])
    frame[list(KEY)] = frame[list(KEY)].fillna("")
    for col, allowed in (("use", USES), ("measure", MEASURES), ("side", tuple(s.value for s in Side))):
        values = frame[col].fillna("")
        needed = frame["use"] != "unused" if col != "use" else pd.Series(True, index=frame.index)
        bad = needed & ~values.isin(allowed)
        if bad.any():
            row = int(bad.idxmax())
            raise BuildInputError(f"{path}: column '{col}' row {row + 2} is {values[row]!r}; expected one of {allowed}")
    dup = frame.duplicated(list(KEY))
    if dup.any():
        raise BuildInputError(f"{path}: more than one row for {frame.loc[dup, list(KEY)].head(3).values.tolist()}")
    frame["coverage_sd"] = frame["coverage_sd"].fillna(0.0)
    return frame[cols].rename(columns={"note": "mapping_note"})


def _regions(spec: str, regions: list[str], other: list[str]) -> list[str] | None:
    """Regions of a ``region_from``/``region_to`` cell; None if one is not in the aggregation."""
    if spec == WORLD:
        return [r for r in regions if r not in other]
    parts = spec.split("+")
    return parts if all(p in regions for p in parts) else None


def _sectors(spec: str, agg: Aggregation) -> list[str] | None:
    """Model sectors of a ``sectors`` cell; None if one is not in the aggregation."""
    if spec in ("goods", "services", "all"):
        if spec == "all":
            return list(agg.sectors)
        want = spec == "goods"
        return [s for s, g in zip(agg.sectors, agg.goods) if g == want]
    names = [s.strip() for s in spec.split(";") if s.strip()]
    return names if names and all(s in agg.sectors for s in names) else None


def _to_musd(row: pd.Series, rates: dict[str, float], path: Path) -> float:
    unit = str(row["unit"]).strip()
    if unit in USD_UNITS:
        return float(row["value"]) * BN
    currency = unit.split(" ")[0]
    if unit.endswith(" bn") and currency in rates:
        return float(row["value"]) * BN / rates[currency]
    raise BuildInputError(f"{path}: row {row['quantity']} {row['region_from']}: unit {unit!r} cannot be converted")


def _tariff_level(importer: str, group: pd.DataFrame, rates: dict[str, float], path: Path, source: str):
    """Customs duties of one importer: a value, or a share of goods imports (``% of goods imports``)."""
    if len(group) != 1:
        raise BuildInputError(f"{path}: more than one customs-duty row for {importer}")
    row = group.iloc[0]
    if str(row["unit"]).strip() == SHARE_UNIT:
        return TariffLevel(importer, None, source, float(row["value"]) / 100.0)
    return TariffLevel(importer, _to_musd(row, rates, path), source)


def _terms(kind: str, sectors: list[str], src: list[str], dst: list[str], regions: list[str]) -> tuple[Term, ...]:
    """The SAM expression of a measure [US$ million]."""
    if kind == "flow":
        return fob_terms(sectors, src, dst)
    if kind == "two_way":
        return fob_terms(sectors, src, dst) + fob_terms(sectors, dst, src)
    others = [r for r in regions if r not in src]
    if kind in ("balance", "trade_balance"):
        out = fob_terms(sectors, src, others)
        return out + tuple(Term(t.variable, t.sel, -1.0) for t in fob_terms(sectors, others, src))
    if kind == "investment_share":
        sel: dict[str, str | list[str]] = {AGENT: INVESTMENT, REGION: src}
        return (Term("vdfd", sel), Term("vifd", sel))
    if kind == "tariff_revenue":
        return (Term("tariff", {IMPORTER: src}),)
    raise BuildInputError(f"unknown measure {kind!r}")


def _describe(rows: pd.DataFrame) -> str:
    return "; ".join(
        f"{r.file} {r.quantity} {r.region_from}->{r.region_to or '-'} '{r.sector_or_scope}' "
        f"{r.value:g} {r.unit} ({r.year}): {r.source} [{r.quality}]"
        for r in rows.itertuples()
    )


def build_sector_controls(
    raw_path: Path | None, calibration_dir: Path, agg: Aggregation, controls: ControlSet
) -> SectorControls:
    """Turn ``controls_2024_sector.csv`` into soft targets, checks and tariff levels.

    Parameters
    ----------
    raw_path : pathlib.Path or None
        The raw file; None (absent) gives no measures.
    calibration_dir : pathlib.Path
        Holds ``controls/sector_targets_2024.csv``, ``quality_sd.csv``, ``exchange_rates_2024.csv``;
        if the mapping file is absent, no measures (logged).
    agg : Aggregation
        Regions and sectors of the SAM.
    controls : ControlSet
        The hard controls (the GDP control of a region scales its investment share).

    Raises
    ------
    BuildInputError
        On malformed files, a raw row without a mapping row, or an unconvertible unit.
    """
    mapping_path = calibration_dir / MAPPING_FILE
    if raw_path is None or not mapping_path.is_file():
        log.info("no sector controls (raw file %s, mapping %s)", raw_path, mapping_path)
        return SectorControls()
    raw = read_csv_checked(
        raw_path,
        [*KEY, "value", "unit", "year", "quality", "source"],
        ["value"],
        dtype_str=[*KEY, "unit", "year", "quality", "source"],
    )
    raw = raw[[*KEY, "value", "unit", "year", "quality", "source"]].copy()
    raw[list(KEY)] = raw[list(KEY)].fillna("")
    raw["file"] = raw_path.name
    mapping = read_sector_mapping(mapping_path)
    derived_path = calibration_dir / DERIVED_FILE
    if derived_path.is_file():
        derived = read_csv_checked(
            derived_path,
            [*KEY, "value", "unit", "year", "quality", "source"],
            ["value"],
            dtype_str=[*KEY, "unit", "year", "quality", "source"],
        )
        derived[list(KEY)] = derived[list(KEY)].fillna("")
        derived["file"] = f"calibration/{DERIVED_FILE.as_posix()}"
        mapping = pd.concat([mapping, read_sector_mapping(derived_path)[mapping.columns]], ignore_index=True)
        raw = pd.concat([raw, derived[raw.columns]], ignore_index=True)
    sds = read_quality_sd(calibration_dir / QUALITY_FILE)
    rates = read_exchange_rates(calibration_dir / RATES_FILE)
    rows = raw.merge(mapping, on=list(KEY), how="left", indicator=True)
    missing = rows[rows["_merge"] == "left_only"]
    if len(missing):
        raise BuildInputError(
            f"{mapping_path}: no row for raw figure(s) {missing[list(KEY)].head(5).values.tolist()} of {raw_path.name}"
        )
    extra = mapping.merge(raw[list(KEY)], on=list(KEY), how="left", indicator=True)
    if (extra["_merge"] == "left_only").any():
        log.warning(
            "%s: rows for figures not in %s: %s",
            mapping_path,
            raw_path.name,
            extra.loc[extra["_merge"] == "left_only", list(KEY)].values.tolist(),
        )
    rows = rows.drop(columns="_merge")
    regions = list(agg.regions)
    gdp = {m.region: m.target for m in controls.controls() if m.figure == "gdp_nominal" and "+" not in m.region}
    rows["status"] = rows["use"]
    measures: list[Measure] = []
    levels: list[TariffLevel] = []
    balances: list[str] = []
    for name, group in rows[rows["use"] != "unused"].groupby("target", sort=False):
        first = group.iloc[0]
        use, kind = first["use"], first["measure"]
        if group[["use", "measure", "sectors", "side"]].nunique().max() > 1:
            raise BuildInputError(f"{mapping_path}: rows of target {name!r} differ in use, measure, sectors or side")
        src = _regions(first["region_from"], regions, [])
        dst = _regions(first["region_to"], regions, src or []) if first["region_to"] else []
        sectors = _sectors(first["sectors"], agg) if kind not in ("investment_share", "tariff_revenue") else []
        if sectors is None and kind == "trade_balance":
            sectors = list(agg.sectors)
        why = None
        if src is None or dst is None:
            why = "region not in the aggregation"
        elif sectors is None:
            why = "sector not in the aggregation"
        elif kind == "investment_share" and (len(src) != 1 or src[0] not in gdp):
            why = "no GDP control for the region"
        if why is not None:
            rows.loc[group.index, "status"] = f"skipped: {why}"
            log.warning("sector control %s skipped: %s", name, why)
            continue
        assert src is not None and dst is not None and sectors is not None  # else skipped above
        source = _describe(group)
        if use == "tariff_level":
            levels.append(_tariff_level(src[0], group, rates, raw_path, source))
            continue
        if kind == "investment_share":
            value = float(group["value"].sum()) / 100.0 * gdp[src[0]]
            sd_q = quality_sd(first["quality"], sds, raw_path)
        else:
            values = np.array([_to_musd(r, rates, raw_path) for _, r in group.iterrows()])
            value = float(values.sum())
            q = np.array([quality_sd(r["quality"], sds, raw_path) for _, r in group.iterrows()])
            sd_q = float(np.sqrt(np.sum((q * values) ** 2))) / abs(value) if value else float(q.max())
        sd = float(np.hypot(sd_q, float(first["coverage_sd"])))
        side = Side(first["side"])
        terms = _terms(kind, sectors, src, dst, regions)
        role = "target" if use == "target" else "check"
        if role == "target" and kind == "trade_balance":
            balances += src
        measures.append(
            Measure(
                str(name),
                terms,
                value,
                role,
                source + (f" | mapping: {first['mapping_note']}" if isinstance(first["mapping_note"], str) else ""),
                "/".join(sorted(set(group["year"]))),
                str(first["quantity"]),
                first["region_from"],
                first["region_from"] == WORLD or first["region_to"] == WORLD,
                sd if role == "target" else None,
                side if role == "target" else Side.EQUAL,
            )
        )
    log.info(
        "sector controls: %d soft targets, %d checks, %d tariff levels",
        sum(m.role == "target" for m in measures),
        sum(m.role == "check" for m in measures),
        len(levels),
    )
    return SectorControls(tuple(measures), tuple(levels), rows, tuple(balances))


def key_flow_value(sam, kind: str, region_from: str, region_to, sectors) -> float | None:
    """The SAM's value of a reported flow [US$ bn, or % for ``investment_share`` and ``tariff_rate``];
    None if a region or sector is not in the SAM. ``tariff_rate`` is tariff revenue over fob."""
    from cge.build.controls import evaluate
    from cge.sam import regional_income, tariff_revenue

    regions = [str(r) for r in sam[REGION].values]
    labels = [str(c) for c in sam["commodity"].values]
    goods = [c for c, g in zip(labels, sam["goods"].values) if g]
    src = _regions(str(region_from), regions, [])
    dst = _regions(str(region_to), regions, src or []) if isinstance(region_to, str) and region_to else []
    spec = sectors if isinstance(sectors, str) else ""
    if spec in ("goods", "services", "all"):
        chosen = {"goods": goods, "services": [c for c in labels if c not in goods], "all": labels}[spec]
    else:
        chosen = [s.strip() for s in spec.split(";") if s.strip()]
    if src is None or dst is None or any(c not in labels for c in chosen):
        return None
    if kind == "investment_share":
        inv = evaluate(sam, _terms(kind, [], src, [], regions))
        return 100.0 * inv / float(regional_income(sam).sel({REGION: src}).sum())
    if kind == "tariff_rate":
        sel = {"commodity": chosen, "exporter": src, "importer": dst}
        fob = float((sam["vxmd"] + sam["xtax"]).sel(sel).sum())
        return 100.0 * float(tariff_revenue(sam).sel(sel).sum()) / fob
    return evaluate(sam, _terms(kind, chosen, src, dst, regions)) / BN
