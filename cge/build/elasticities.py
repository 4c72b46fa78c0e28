"""Model-sector elasticities aggregated from GTAP-sector values the way GTAP's aggregation does.

GTAPAgg (and GTAPinGAMS's ``gtapaggr.gms``) aggregate a substitution elasticity with weights equal
to the flows it governs: ESUBM (among import sources) by import values, ESUBD (domestic vs
imported) by the value of absorption (domestic plus imported purchases), ESUBVA (among primary
factors) by value added. This module applies that rule to the GTAP 57-sector parameters of
``calibration/elasticities/gtap_parameters.csv`` with the weights of ``weights.csv``:

- ``sigma_m`` = Σ M_g ESUBM_g / Σ M_g, ``M_g`` US imports of GTAP sector g in 2024;
- ``sigma_d`` = Σ M_g ESUBD_g / Σ M_g: **imports, not absorption** — no GTAP-sector absorption is
  available to the project. Because ESUBM = 2 ESUBD in every GTAP sector, the same weights keep
  ``sigma_m = 2 sigma_d`` exactly after aggregation;
- ``sigma_va`` = Σ VA_g ESUBVA_g / Σ VA_g, VA from the US WIOD-SEA (the SEA industry of each
  GTAP sector, split equally among its GTAP sectors);
- a sector whose weights are all zero or missing takes the simple mean (logged and written in
  ``source``); ``sigma_t = sigma_nd = 0`` (GTAP's Leontief nests).

Regenerate ``calibration/elasticities.csv`` with :func:`build_elasticities`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from cge.build.sources import BuildInputError, read_csv_checked

log = logging.getLogger(__name__)

PARAMETERS_FILE = Path("elasticities") / "gtap_parameters.csv"
WEIGHTS_FILE = Path("elasticities") / "weights.csv"
OUTPUT_FILE = "elasticities.csv"
SEA_FILE = Path("employment") / "wiod2016_sea_usa.csv"
SEA_YEAR = 2011
"""Year of the SEA value added used as weights (the SAM's base year)."""

RULES = {"sigma_d": ("esubd", "imports"), "sigma_m": ("esubm", "imports"), "sigma_va": ("esubva", "va")}
"""Model elasticity -> (GTAP parameter, weight)."""


def _weighted(values: pd.Series, weights: pd.Series) -> tuple[float, str]:
    """Weighted mean and a word on how it was formed."""
    w = weights.fillna(0.0).clip(lower=0.0)
    if w.sum() > 0:
        return float(np.average(values, weights=w)), "weighted"
    return float(values.mean()), "simple mean (no weights)"


def sea_value_added(sea_path: Path, year: int = SEA_YEAR) -> pd.Series:
    """US value added by WIOD-SEA industry [US$ million] in ``year``."""
    sea = read_csv_checked(sea_path, ["code", "year", "VA"], ["VA"], dtype_str=["code"])
    rows = sea[sea["year"].astype(int) == year]
    if rows.empty:
        raise BuildInputError(f"{sea_path}: no rows for year {year}")
    return rows.set_index("code")["VA"]


def aggregate_elasticities(params: pd.DataFrame, weights: pd.DataFrame, va: pd.Series | None) -> pd.DataFrame:
    """GTAPAgg-style aggregation of GTAP-sector elasticities to model sectors.

    Parameters
    ----------
    params : DataFrame
        ``gtap_code, sector, esubd, esubm, esubva`` (and source/status columns).
    weights : DataFrame
        ``gtap_code, us_imports_2024_usd_bn, sea_va_code``.
    va : Series or None
        Value added by SEA industry [US$ million]; None gives simple means for ``sigma_va``.

    Returns
    -------
    DataFrame
        ``sector, sigma_d, sigma_m, sigma_va, sigma_t, sigma_nd, simple_mean_d, unverified_share_d,
        source`` in the order of first appearance in ``params`` [unitless].
    """
    table = params.merge(weights, on="gtap_code", how="left", validate="one_to_one")
    table["imports"] = pd.to_numeric(table["us_imports_2024_usd_bn"], errors="coerce")
    if va is not None:
        codes = table["sea_va_code"].fillna("")
        per_group = codes.map(codes[codes != ""].value_counts())
        table["va"] = codes.map(va).astype(float) / per_group
    else:
        table["va"] = np.nan
    rows = []
    for sector, part in table.groupby("sector", sort=False):
        row = {"sector": sector}
        notes = []
        for name, (param, weight) in RULES.items():
            row[name], how = _weighted(part[param], part[weight])
            if how != "weighted" and part[param].nunique() > 1:
                notes.append(f"{name} {how}")
        row["sigma_t"] = 0.0
        row["sigma_nd"] = 0.0
        row["simple_mean_d"] = float(part["esubd"].mean())
        unverified = part["esubd_status"].str.startswith("unverified")
        w = part["imports"].fillna(0.0)
        row["unverified_share_d"] = float(w[unverified].sum() / w.sum()) if w.sum() > 0 else float(unverified.mean())
        members = " ".join(part["gtap_code"])
        row["source"] = (
            f"GTAPAgg rule over GTAP sectors {members}: sigma_d and sigma_m weighted by US 2024 imports (GTAPAgg "
            f"weights sigma_d by absorption, not available here), sigma_va by US value added (WIOD-SEA {SEA_YEAR}); "
            f"sigma_t = sigma_nd = 0 (Leontief); values and sources in elasticities/gtap_parameters.csv, weights in "
            f"elasticities/weights.csv; {100 * row['unverified_share_d']:.0f} % of the import weight is on "
            "unverified ESUBD values" + ("; " + "; ".join(notes) if notes else "")
        )
        rows.append(row)
    return pd.DataFrame(rows)


def build_elasticities(calibration_dir: Path, data_dir: Path | None = None) -> pd.DataFrame:
    """Aggregate the GTAP table and write ``<calibration_dir>/elasticities.csv``.

    Parameters
    ----------
    calibration_dir : pathlib.Path
        Holds ``elasticities/gtap_parameters.csv`` and ``elasticities/weights.csv``.
    data_dir : pathlib.Path, optional
        Raw data (``../shared/data``) for the SEA value added; None: simple means for sigma_va.
    """
    calibration_dir = Path(calibration_dir)
    params = read_csv_checked(
        calibration_dir / PARAMETERS_FILE,
        ["gtap_code", "sector", "esubd", "esubm", "esubva", "esubd_status"],
        ["esubd", "esubm", "esubva"],
        dtype_str=["gtap_code", "sector", "esubd_status"],
    )
    weights = read_csv_checked(
        calibration_dir / WEIGHTS_FILE,
        ["gtap_code", "us_imports_2024_usd_bn", "sea_va_code"],
        ["us_imports_2024_usd_bn"],
        dtype_str=["gtap_code", "sea_va_code"],
    )
    unknown = sorted(set(params["gtap_code"]) - set(weights["gtap_code"]))
    if unknown:
        raise BuildInputError(f"{calibration_dir / WEIGHTS_FILE}: no row for GTAP sector(s) {unknown}")
    va = sea_value_added(Path(data_dir) / SEA_FILE) if data_dir is not None else None
    out = aggregate_elasticities(params, weights, va)
    path = calibration_dir / OUTPUT_FILE
    out.to_csv(path, index=False, float_format="%.4f")
    log.info("wrote %s (%d sectors)", path, len(out))
    return out
