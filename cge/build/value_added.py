"""Split value added into labour and capital.

- The country covered by the WIOD-SEA file (the USA): labour compensation over value added
  (``LAB / VA``, WIOD 2016 SEA, 56 industries) by industry, mapped to the 35 WIOD 2013
  industries with ``calibration/value_added/sea56_to_wiod35.csv``. A SEA industry that maps to
  several WIOD industries is split in proportion to their WIOD gross output in that country.
- Every other WIOD region: the PWT 10.0 labour share of GDP (``labsh``, base year or the nearest
  year with data), spread over industries with the SEA country's sectoral pattern scaled by one
  factor per country so that the economy-wide labour share equals PWT's (industry shares are
  capped at :data:`MAX_LABOUR_SHARE`). WIOD's rest of the world (``*`` in
  ``calibration/value_added/wiod41_to_pwt.csv``) takes the mean ``labsh`` of all PWT countries
  not listed, weighted by output-side GDP at current PPPs (``cgdpo``).

Shares are computed at the WIOD level (41 × 35) and aggregated to model regions and sectors
with the WIOD residual (output − intermediates) as weights.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cge.build.mapping import Aggregation
from cge.build.sources import BuildInputError, SourceFiles, read_csv_checked
from cge.build.wiod import WiodTable

log = logging.getLogger(__name__)

SEA_CONCORDANCE = "sea56_to_wiod35.csv"
PWT_CONCORDANCE = "wiod41_to_pwt.csv"
REST = "*"
"""Marker in a concordance for the WIOD rest of the world: every country not listed."""
MAX_LABOUR_SHARE = 0.95
"""Cap on an industry's labour share when the US pattern is scaled to another country."""


@dataclass(frozen=True)
class LabourShares:
    """Labour shares of value added.

    Attributes
    ----------
    wiod : ndarray, shape (country, industry)
        Share of labour in the WIOD residual (value added incl. product taxes and margins), [0, 1].
    national : dict
        WIOD region → economy-wide labour share used (SEA for the SEA country, PWT otherwise).
    source : dict
        WIOD region → text naming the source and year.
    """

    wiod: np.ndarray
    national: dict[str, float]
    source: dict[str, str]

    def aggregate(self, table: WiodTable, agg: Aggregation) -> np.ndarray:
        """Labour share by (model region, model sector), weighted by the WIOD residual (≥ 0)."""
        weight = np.maximum(table.residual(), 0.0)
        rm = agg.region_matrix(list(table.countries))
        sm = agg.sector_matrix(list(table.industries))
        lab = rm.T @ (weight * self.wiod) @ sm
        va = rm.T @ weight @ sm
        national = (rm.T @ (weight * self.wiod).sum(1)) / np.maximum(rm.T @ weight.sum(1), 1e-12)
        return np.where(va > 0, lab / np.where(va > 0, va, 1.0), national[:, None])


def read_sea_concordance(path: Path, sea_codes: set[str], wiod_codes: set[str]) -> pd.DataFrame:
    """Read the SEA 56 → WIOD 35 concordance (``sea_code, wiod_code``) and check its coverage."""
    conc = read_csv_checked(path, ["sea_code", "wiod_code"], dtype_str=["sea_code", "wiod_code"])
    missing = sorted(sea_codes - set(conc["sea_code"]))
    if missing:
        raise BuildInputError(f"{path}: SEA industries {missing} have no row")
    unknown = sorted(set(conc["wiod_code"]) - wiod_codes)
    if unknown:
        raise BuildInputError(f"{path}: column 'wiod_code' has unknown WIOD industries {unknown}")
    uncovered = sorted(wiod_codes - set(conc["wiod_code"]), key=lambda c: (len(c), c))
    if uncovered:
        raise BuildInputError(f"{path}: WIOD industries {uncovered} receive no SEA industry")
    return conc


def sea_by_wiod_industry(
    files: SourceFiles, concordance_dir: Path, table: WiodTable, year: int
) -> tuple[str, pd.DataFrame]:
    """SEA variables LAB, VA (US$ million) and EMP (thousand persons) by WIOD industry.

    Parameters
    ----------
    year : int
        SEA year; raises if absent.

    Returns
    -------
    (country, frame)
        The WIOD region code of the SEA file's country and a frame indexed by WIOD industry.
    """
    sea = read_csv_checked(
        files.sea,
        ["country", "code", "year", "LAB", "VA", "EMP"],
        ["year", "LAB", "VA", "EMP"],
        dtype_str=["country", "code"],
    )
    countries = sorted(set(sea["country"]))
    if len(countries) != 1:
        raise BuildInputError(f"{files.sea}: expected one country, found {countries}")
    country = countries[0]
    if country not in table.countries:
        raise BuildInputError(f"{files.sea}: country {country} is not a WIOD region")
    rows = sea[sea["year"] == year]
    if rows.empty:
        raise BuildInputError(f"{files.sea}: no rows for year {year} (years {sorted(set(sea['year']))})")
    conc = read_sea_concordance(concordance_dir / SEA_CONCORDANCE, set(rows["code"]), set(table.industries))
    out = pd.Series(table.output[table.countries.index(country)], index=list(table.industries))
    link = conc.assign(out=conc["wiod_code"].map(out))
    link["weight"] = link["out"] / link.groupby("sea_code")["out"].transform("sum")
    link["weight"] = link["weight"].fillna(1.0 / link.groupby("sea_code")["wiod_code"].transform("count"))
    merged = link.merge(rows[["code", "LAB", "VA", "EMP"]].fillna(0.0), left_on="sea_code", right_on="code")
    for col in ("LAB", "VA", "EMP"):
        merged[col] = merged[col] * merged["weight"]
    frame = merged.groupby("wiod_code")[["LAB", "VA", "EMP"]].sum().reindex(list(table.industries))
    return country, frame


def read_pwt_labour_shares(
    files: SourceFiles, concordance_dir: Path, table: WiodTable, year: int
) -> tuple[dict[str, float], dict[str, str]]:
    """PWT ``labsh`` by WIOD region for ``year`` (or the nearest year with data).

    Returns
    -------
    (shares, sources)
        WIOD region → labour share; WIOD region → description of the source value.
    """
    path = concordance_dir / PWT_CONCORDANCE
    conc = read_csv_checked(path, ["wiod_region", "pwt_code"], dtype_str=["wiod_region", "pwt_code"])
    pwt = read_csv_checked(
        files.pwt,
        ["countrycode", "year", "labsh", "cgdpo"],
        ["year", "labsh", "cgdpo"],
        dtype_str=["countrycode"],
    )
    pwt = pwt.dropna(subset=["labsh"])
    pwt = pwt.assign(dist=(pwt["year"] - year).abs()).sort_values(["countrycode", "dist", "year"])
    nearest = pwt.groupby("countrycode").first()
    shares, sources = {}, {}
    listed = set(conc["pwt_code"]) - {REST}
    for wiod, code in zip(conc["wiod_region"], conc["pwt_code"]):
        if code == REST:
            rest = nearest[~nearest.index.isin(listed)].dropna(subset=["cgdpo"])
            w = rest["cgdpo"]
            shares[wiod] = float((rest["labsh"] * w).sum() / w.sum())
            sources[wiod] = (
                f"PWT 10.0 labsh, cgdpo-weighted mean of {len(rest)} countries not in WIOD "
                f"(years {int(rest['year'].min())}-{int(rest['year'].max())})"
            )
            continue
        if code not in nearest.index:
            raise BuildInputError(f"{files.pwt}: no labsh for {code} (WIOD region {wiod}, via {path})")
        row = nearest.loc[code]
        shares[wiod] = float(row["labsh"])
        sources[wiod] = f"PWT 10.0 labsh {code} {int(row['year'])}"
    missing = sorted(set(table.countries) - set(shares))
    if missing:
        raise BuildInputError(f"{path}: WIOD regions {missing} have no row")
    return shares, sources


def _scale_to_national(pattern: np.ndarray, weight: np.ndarray, target: float) -> np.ndarray:
    """Scale ``pattern`` by one factor, capped at MAX_LABOUR_SHARE, so the weighted mean is ``target``."""
    total = weight.sum()
    if total <= 0:
        return np.full_like(pattern, target)
    target = min(target, MAX_LABOUR_SHARE)

    def mean(k: float) -> float:
        return float((weight * np.minimum(k * pattern, MAX_LABOUR_SHARE)).sum() / total)

    lo, hi = 0.0, 1.0
    while mean(hi) < target and hi < 1e6:
        hi *= 2.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if mean(mid) < target else (lo, mid)
    return np.minimum(hi * pattern, MAX_LABOUR_SHARE)


def labour_shares(files: SourceFiles, concordance_dir: Path, table: WiodTable, year: int) -> LabourShares:
    """Labour shares of the WIOD residual by WIOD region and industry for ``year``.

    Parameters
    ----------
    files : SourceFiles
        Raw sources (SEA, PWT).
    concordance_dir : pathlib.Path
        Directory with ``sea56_to_wiod35.csv`` and ``wiod41_to_pwt.csv``.
    table : WiodTable
        The WIOD table (its residual weights the national averages).
    year : int
        Base year (2011).
    """
    sea_country, sea = sea_by_wiod_industry(files, concordance_dir, table, year)
    lab, va = sea["LAB"].to_numpy(), sea["VA"].to_numpy()
    national_sea = float(lab.sum() / va.sum())
    pattern = np.where(va > 0, lab / np.where(va > 0, va, 1.0), national_sea)
    pattern = np.clip(pattern, 0.0, 1.0)
    pwt, pwt_source = read_pwt_labour_shares(files, concordance_dir, table, year)
    residual = np.maximum(table.residual(), 0.0)
    shares = np.zeros_like(residual)
    national, source = {}, {}
    for c, country in enumerate(table.countries):
        if country == sea_country:
            shares[c] = pattern
            national[country] = float((residual[c] * pattern).sum() / max(residual[c].sum(), 1e-12))
            source[country] = f"WIOD 2016 SEA LAB/VA {year} by industry ({SEA_CONCORDANCE})"
        else:
            shares[c] = _scale_to_national(pattern, residual[c], pwt[country])
            national[country] = pwt[country]
            source[country] = pwt_source[country] + f", industry pattern of {sea_country} SEA"
    log.info(
        "labour shares: %s SEA %.3f; PWT for %d other WIOD regions",
        sea_country,
        national_sea,
        len(table.countries) - 1,
    )
    return LabourShares(shares, national, source)
