"""Build the model's tariff tables from the 2005 WITS pattern and recent MFN averages.

Outputs (written by :func:`build_tariff_tables` to ``calibration/tariffs/``):

- ``baseline_applied.csv`` — bilateral applied ad-valorem rates (importer, exporter, sector) for
  the 2024 baseline: 0 among USMCA members, otherwise the 2005 WITS pattern (Caliendo and Parro
  2015 compilation) aggregated to model regions and sectors with WIOD 2011 trade weights and
  rescaled to each importer's recent MFN average where a control exists, plus the special duties
  in force in 2024 (Section 301 on China, China's retaliation: :mod:`cge.build.special_duties`).
  The SAM build then scales each importer's level to the customs duties it collected
  (:mod:`cge.build.tariff_levels`).
- ``special_duties_2024.csv`` — the additional points of those special duties by sector.
- ``mfn.csv`` — the MFN schedule each USMCA member would apply to the others if USMCA ended.
- ``mfn_alternatives.csv`` — alternative MFN numbers that are *not* used by default (Canada's
  over-quota rates on supply-managed products).
- ``us_2025_measure_weights.csv`` — trade weights that turn the 2025 US product measures
  (steel/aluminium/copper, trucks, tomatoes) into model-sector rates: covered value over the
  SAM's 2024 imports of the sector (so run this after building the SAM).

Every step is a pure function of data frames; file reading and writing happen only in
:func:`build_tariff_tables`. The WITS pattern and its aggregation are here; the MFN schedules and
baseline rates in :mod:`cge.build.mfn_schedules`; the 2025 measure weights in
:mod:`cge.build.measure_weights`. Region and sector names come from the mapping files, except the
preference bloc (``USMCA``) and the reference partner for MFN patterns (``ROW``), which are
parameters with defaults.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from cge.build.measure_weights import COVERED_VALUES_FILE, measure_weights, sam_sector_imports
from cge.build.mfn_schedules import (
    CONTROLS_FILE,
    MFN_GROUPS_FILE,
    NO_TARIFF,
    SUPPLEMENTARY_TARGETS_FILE,
    SUPPLY_MANAGEMENT_FILE,
    USMCA,
    baseline_applied,
    mfn_schedules,
    overall_mfn_targets,
    supply_management_alternative,
)
from cge.build.sources import BuildInputError, require_columns
from cge.build.special_duties import add_special_duties
from cge.build.split_spec import read_splits

log = logging.getLogger(__name__)

WITS_FILE = Path("tariffs") / "tariffs2005_applied_cp2015.csv"
WIOD_INTERMEDIATE_FILE = Path("wiod2013") / "wiot2011_intermediate.csv.gz"
WIOD_FINAL_FILE = Path("wiod2013") / "wiot2011_final.csv.gz"

SECTORS_WIOD_FILE = "sectors_wiod35.csv"
REGIONS_WIOD_FILE = "regions_wiod41.csv"
SECTORS_WITS_FILE = "sectors_wits20.csv"
WIOD_TO_WITS_FILE = "regions_wiod41_wits31.csv"


# --------------------------------------------------------------------------------------------
# Reading and validation
# --------------------------------------------------------------------------------------------


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    if not path.is_file():
        raise BuildInputError(f"missing input file {path}")
    frame = pd.read_csv(path)
    require_columns(frame, columns, str(path))
    return frame


def validate_wits_tariffs(tariffs: pd.DataFrame, name: str = "WITS tariffs") -> pd.DataFrame:
    """Check the 2005 WITS table and return it with clean types.

    Parameters
    ----------
    tariffs : DataFrame
        Columns ``importer, exporter, sector, tariff_pct`` (percent ad valorem).
    name : str
        Label used in error messages.

    Returns
    -------
    DataFrame
        The same rows with string keys and float rates.

    Raises
    ------
    BuildInputError
        If a column is missing, a rate is missing, negative or non-numeric, or a
        (importer, exporter, sector) key appears twice.
    """
    require_columns(tariffs, ["importer", "exporter", "sector", "tariff_pct"], name)
    out = tariffs[["importer", "exporter", "sector", "tariff_pct"]].copy()
    for col in ("importer", "exporter", "sector"):
        out[col] = out[col].astype(str).str.strip()
    rate = pd.to_numeric(out["tariff_pct"], errors="coerce")
    bad = rate.isna() | (rate < 0)
    if bad.any():
        raise BuildInputError(
            f"{name}: tariff_pct missing, non-numeric or negative in rows "
            f"{(np.flatnonzero(bad.to_numpy()) + 2).tolist()[:10]}"
        )
    out["tariff_pct"] = rate.astype(float)
    dup = out.duplicated(["importer", "exporter", "sector"])
    if dup.any():
        keys = out.loc[dup, ["importer", "exporter", "sector"]].head().values.tolist()
        raise BuildInputError(f"{name}: duplicated keys {keys}")
    return out


def parse_wits_sector_map(frame: pd.DataFrame, name: str = SECTORS_WITS_FILE) -> pd.DataFrame:
    """Long form of the WITS-20 → WIOD → model sector concordance.

    Parameters
    ----------
    frame : DataFrame
        Columns ``wits_sector, wiod_codes, sector``; ``wiod_codes`` lists the WIOD industries
        a WITS sector covers, separated by ``;``.
    name : str
        Label used in error messages.

    Returns
    -------
    DataFrame
        One row per (``wits_sector``, ``wiod_code``) with the model ``sector`` and ``share``,
        the fraction of that WIOD industry's trade attributed to the WITS sector (1 / number of
        WITS sectors that share the industry).
    """
    require_columns(frame, ["wits_sector", "wiod_codes", "sector"], name)
    if frame["wits_sector"].duplicated().any():
        dup = sorted(set(frame.loc[frame["wits_sector"].duplicated(), "wits_sector"]))
        raise BuildInputError(f"{name}: wits_sector {dup} appears twice")
    rows = [
        {
            "wits_sector": str(r.wits_sector).strip(),
            "wiod_code": code.strip(),
            "sector": str(r.sector).strip(),
        }
        for r in frame.itertuples(index=False)
        for code in str(r.wiod_codes).split(";")
        if code.strip()
    ]
    long = pd.DataFrame(rows)
    long["share"] = 1.0 / long.groupby("wiod_code")["wits_sector"].transform("size")
    return long


def attach_model_sectors(tariffs: pd.DataFrame, sector_map: pd.DataFrame) -> pd.DataFrame:
    """Add the model ``sector`` of every WITS sector; fail on sectors the map does not know.

    Parameters
    ----------
    tariffs : DataFrame
        WITS tariffs (``sector`` holds the WITS sector name).
    sector_map : DataFrame
        Long concordance from :func:`parse_wits_sector_map`.

    Returns
    -------
    DataFrame
        ``tariffs`` with ``sector`` renamed ``wits_sector`` and the model ``sector`` added.

    Raises
    ------
    BuildInputError
        Naming every WITS sector in ``tariffs`` that has no row in the concordance.
    """
    known = set(sector_map["wits_sector"])
    unknown = sorted(set(tariffs["sector"]) - known)
    if unknown:
        raise BuildInputError(
            f"unknown WITS sector(s) {unknown} in the tariff input: add them to "
            f"calibration/mappings/{SECTORS_WITS_FILE}"
        )
    model = sector_map.drop_duplicates("wits_sector").set_index("wits_sector")["sector"]
    out = tariffs.rename(columns={"sector": "wits_sector"})
    out["sector"] = out["wits_sector"].map(model)
    return out


def wiod_bilateral_imports(intermediate: pd.DataFrame, final: pd.DataFrame) -> pd.DataFrame:
    """Bilateral trade by WIOD industry (intermediate plus final use), domestic flows dropped.

    Parameters
    ----------
    intermediate : DataFrame
        ``from_country, from_industry, to_country, to_industry, value_musd``.
    final : DataFrame
        ``from_country, from_industry, to_country, category, value_musd``.

    Returns
    -------
    DataFrame
        ``importer, exporter, wiod_code, value_musd`` [US$ million, 2011, basic prices].
    """
    require_columns(intermediate, ["from_country", "from_industry", "to_country", "value_musd"], "WIOD intermediate")
    require_columns(final, ["from_country", "from_industry", "to_country", "value_musd"], "WIOD final")
    keys = ["from_country", "from_industry", "to_country"]
    both = pd.concat([intermediate[keys + ["value_musd"]], final[keys + ["value_musd"]]])
    both = both[both["from_country"] != both["to_country"]]
    flows = both.groupby(keys, as_index=False)["value_musd"].sum()
    return flows.rename(columns={"from_country": "exporter", "from_industry": "wiod_code", "to_country": "importer"})[
        ["importer", "exporter", "wiod_code", "value_musd"]
    ]


# --------------------------------------------------------------------------------------------
# Aggregation of the 2005 pattern to model regions and sectors
# --------------------------------------------------------------------------------------------


def aggregate_pattern(
    tariffs: pd.DataFrame,
    imports: pd.DataFrame,
    sector_map: pd.DataFrame,
    wiod_to_wits: pd.Series,
    wiod_to_region: pd.Series,
) -> pd.DataFrame:
    """Trade-weighted 2005 rates by model importer, exporter and sector.

    Each WIOD region takes the WITS rates of the WITS region it is mapped to; the weight of a
    (WIOD importer, WIOD exporter, WITS sector) cell is the 2011 WIOD trade in the WIOD
    industries the WITS sector covers (an industry shared by several WITS sectors is split
    equally among them). Cells with zero total weight fall back to the simple mean.

    Parameters
    ----------
    tariffs : DataFrame
        Output of :func:`attach_model_sectors`.
    imports : DataFrame
        Output of :func:`wiod_bilateral_imports`.
    sector_map : DataFrame
        Output of :func:`parse_wits_sector_map`.
    wiod_to_wits : Series
        WIOD region → WITS region whose rates it takes.
    wiod_to_region : Series
        WIOD region → model region.

    Returns
    -------
    DataFrame
        ``importer, exporter, sector, tariff_pct, weighting`` for all model region pairs with
        importer ≠ exporter and the model sectors the concordance reaches.

    Raises
    ------
    BuildInputError
        If a WIOD region is unmapped, or a WITS rate needed by a mapped pair is missing.
    """
    unmapped = sorted(set(wiod_to_region.index) - set(wiod_to_wits.index))
    if unmapped:
        raise BuildInputError(f"{WIOD_TO_WITS_FILE}: WIOD region(s) {unmapped} have no WITS region")
    wiod = list(wiod_to_region.index)
    grid = pd.MultiIndex.from_product(
        [wiod, wiod, sector_map["wits_sector"].unique()], names=["imp_wiod", "exp_wiod", "wits_sector"]
    ).to_frame(index=False)
    grid = grid[grid["imp_wiod"] != grid["exp_wiod"]]
    grid["importer"] = grid["imp_wiod"].map(wiod_to_region)
    grid["exporter"] = grid["exp_wiod"].map(wiod_to_region)
    grid = grid[grid["importer"] != grid["exporter"]]
    grid["imp_wits"] = grid["imp_wiod"].map(wiod_to_wits)
    grid["exp_wits"] = grid["exp_wiod"].map(wiod_to_wits)

    trade = imports.merge(sector_map[["wits_sector", "wiod_code", "share"]], on="wiod_code")
    trade["weight"] = trade["value_musd"].clip(lower=0.0) * trade["share"]
    weight = trade.groupby(["importer", "exporter", "wits_sector"])["weight"].sum()
    weight.index = weight.index.set_names(["imp_wiod", "exp_wiod", "wits_sector"])
    grid = grid.merge(weight.reset_index(), on=["imp_wiod", "exp_wiod", "wits_sector"], how="left")
    grid["weight"] = grid["weight"].fillna(0.0)

    rates = tariffs.rename(columns={"importer": "imp_wits", "exporter": "exp_wits"})
    grid = grid.merge(
        rates[["imp_wits", "exp_wits", "wits_sector", "sector", "tariff_pct"]],
        on=["imp_wits", "exp_wits", "wits_sector"],
        how="left",
    )
    missing = grid[grid["tariff_pct"].isna()][["imp_wits", "exp_wits", "wits_sector"]].drop_duplicates()
    if len(missing):
        raise BuildInputError(
            f"WITS tariffs: no rate for (importer, exporter, sector) "
            f"{missing.head(10).values.tolist()} ({len(missing)} in all)"
        )

    grid["wt"] = grid["weight"] * grid["tariff_pct"]
    cols = ["importer", "exporter", "sector"]
    agg = grid.groupby(cols).agg(wt=("wt", "sum"), w=("weight", "sum"), mean=("tariff_pct", "mean")).reset_index()
    weighted = agg["w"] > 0
    agg["tariff_pct"] = np.where(weighted, agg["wt"] / agg["w"].where(weighted, 1.0), agg["mean"])
    agg["weighting"] = np.where(weighted, "WIOD-2011 trade-weighted", "simple mean (no WIOD trade)")
    if (~weighted).any():
        log.warning(
            "no WIOD trade weight for %d (importer, exporter, sector) cells; simple means used: %s",
            int((~weighted).sum()),
            agg.loc[~weighted, cols].values.tolist()[:5],
        )
    return agg[cols + ["tariff_pct", "weighting"]]


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def _default_calibration_dir() -> Path:
    from cge.paths import CALIBRATION_DIR

    return CALIBRATION_DIR


def build_tariff_tables(
    data_dir: Path, out_dir: Path, calibration_dir: Path | None = None, sam: xr.Dataset | None = None
) -> dict[str, pd.DataFrame]:
    """Read the raw tariff, trade and control data and write the tariff tables.

    Parameters
    ----------
    data_dir : Path
        Raw data directory laid out as ``shared/data`` (``tariffs/``, ``macro/``, ``wiod2013/``).
    out_dir : Path
        Where the CSV files are written (created if missing).
    calibration_dir : Path, optional
        Directory with ``mappings/`` (concordances), ``splits/`` (sub-sectors) and
        ``tariffs/inputs/`` (cited hand-compiled inputs). Defaults to the package's calibration
        directory.
    sam : xarray.Dataset, optional
        The SAM whose 2024 import flows are the denominators of the 2025 measure weights;
        default: the shipped SAM. Run this again after rebuilding the SAM.

    Returns
    -------
    dict of str to DataFrame
        The written tables keyed by file stem.

    Raises
    ------
    BuildInputError
        If an input is missing or malformed (the message names the file, column or key), e.g. a
        WITS sector that the concordance does not know.
    """
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    cal = Path(calibration_dir) if calibration_dir is not None else _default_calibration_dir()
    maps, inputs = cal / "mappings", cal / "tariffs" / "inputs"

    tariffs = validate_wits_tariffs(
        _read(data_dir / WITS_FILE, ["importer", "exporter", "sector", "tariff_pct"]),
        str(data_dir / WITS_FILE),
    )
    controls = _read(
        data_dir / CONTROLS_FILE,
        ["figure", "region", "partner", "value", "unit", "year", "source", "quality"],
    )
    sec35 = _read(maps / SECTORS_WIOD_FILE, ["wiod_code", "sector", "goods"])
    reg41 = _read(maps / REGIONS_WIOD_FILE, ["wiod_region", "region"])
    wits_map = parse_wits_sector_map(_read(maps / SECTORS_WITS_FILE, ["wits_sector", "wiod_codes", "sector"]))
    wiod_to_wits = _read(maps / WIOD_TO_WITS_FILE, ["wiod_region", "wits_region"]).set_index("wiod_region")[
        "wits_region"
    ]
    groups = _read(maps / MFN_GROUPS_FILE, ["figure", "region", "sector", "use"])
    partial = _read(
        inputs / SUPPLEMENTARY_TARGETS_FILE,
        ["figure", "region", "value", "year", "source", "quality", "sectors"],
    )
    supply = _read(inputs / SUPPLY_MANAGEMENT_FILE, ["importer", "sector", "figures", "share", "source"])
    covered = _read(
        inputs / COVERED_VALUES_FILE,
        ["measure", "exporter", "sector", "covered_value_musd", "rate_pct", "source_or_assumption"],
    )
    intermediate = _read(
        data_dir / WIOD_INTERMEDIATE_FILE, ["from_country", "from_industry", "to_country", "value_musd"]
    )
    final = _read(data_dir / WIOD_FINAL_FILE, ["from_country", "from_industry", "to_country", "value_musd"])

    if "order" in sec35.columns:
        sec35 = sec35.sort_values("order", kind="stable")
    sectors = list(pd.unique(sec35["sector"]))
    goods_flag = sec35.groupby("sector")["goods"].first().astype(str).str.lower().isin(["true", "1", "yes"])
    goods = [s for s in sectors if goods_flag[s]]
    for split in read_splits(cal):  # sub-sectors take their parent's place (calibration/splits/)
        if split.parent not in sectors:
            raise BuildInputError(f"splits.csv: parent sector {split.parent!r} is not in {SECTORS_WIOD_FILE}")
        for names in (sectors, goods):
            if split.parent in names:
                k = names.index(split.parent)
                names[k : k + 1] = list(split.children)
    bad = sorted(set(wits_map["sector"]) - set(goods))
    if bad:
        raise BuildInputError(f"{SECTORS_WITS_FILE}: sector(s) {bad} are not goods sectors of {SECTORS_WIOD_FILE}")
    unreached = sorted(set(goods) - set(wits_map["sector"]))
    if unreached:
        raise BuildInputError(f"{SECTORS_WITS_FILE}: goods sector(s) {unreached} get no WITS sector")

    tariffs = attach_model_sectors(tariffs, wits_map)
    imports = wiod_bilateral_imports(intermediate, final)
    wiod_to_region = reg41.set_index("wiod_region")["region"]
    pattern = aggregate_pattern(tariffs, imports, wits_map, wiod_to_wits, wiod_to_region)
    log.info("aggregated 2005 pattern: %d (importer, exporter, sector) cells", len(pattern))

    schedules = mfn_schedules(pattern, goods, overall_mfn_targets(controls), groups, controls, partial)
    applied = baseline_applied(pattern, schedules, sectors, goods)
    applied, special = add_special_duties(applied, inputs, goods)

    mfn = schedules[schedules["importer"].isin(USMCA)][["importer", "sector", "mfn_pct", "method", "quality"]]
    services = pd.DataFrame(
        [(i, s, 0.0, NO_TARIFF, "n/a") for i in USMCA for s in sectors if s not in goods],
        columns=mfn.columns,
    )
    mfn = pd.concat([mfn, services], ignore_index=True)
    mfn["importer"] = pd.Categorical(mfn["importer"], USMCA, ordered=True)
    mfn["sector"] = pd.Categorical(mfn["sector"], sectors, ordered=True)
    mfn = mfn.sort_values(["importer", "sector"], ignore_index=True).astype({"importer": str, "sector": str})
    alternatives = supply_management_alternative(schedules, controls, supply)
    for alt in alternatives.itertuples(index=False):
        row = (mfn["importer"] == alt.importer) & (mfn["sector"] == alt.sector)
        mfn.loc[row, "method"] += (
            f"; over-quota rates on supply-managed products NOT applied (within-quota trade dominates; "
            f"alternative {alt.mfn_pct:.2f} in mfn_alternatives.csv)"
        )

    tables = {
        "baseline_applied": applied,
        "special_duties_2024": special,
        "mfn": mfn,
        "mfn_alternatives": alternatives,
    }
    if sam is None:
        from cge.sam import load_sam

        sam = load_sam()
    missing = sorted(set(covered["sector"]) - {str(c) for c in sam["commodity"].values})
    if missing:
        log.warning("SAM lacks sector(s) %s of %s: measure weights not written", missing, COVERED_VALUES_FILE)
    else:
        partners = sorted(covered["exporter"].unique())
        tables["us_2025_measure_weights"] = measure_weights(covered, sam_sector_imports(sam, "USA", partners, goods))
    out_dir.mkdir(parents=True, exist_ok=True)
    for stem, frame in tables.items():
        path = out_dir / f"{stem}.csv"
        frame.to_csv(path, index=False, float_format="%.4f")
        log.info("wrote %s (%d rows)", path, len(frame))
    return tables
