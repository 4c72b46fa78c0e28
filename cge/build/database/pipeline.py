"""``build_database``: raw public data → the open 2024 database in GTAP v7 format (``cge build-database``).

Steps (details in ``docs/build_database.md``; numbers in the generated README):

1. read the national tables into one supply-use form (:mod:`~cge.build.database.usa`,
   :mod:`~cge.build.database.can`, :mod:`~cge.build.database.mex`, :mod:`~cge.build.database.chn`)
   and the WIOD 2013 table for the other regions (:mod:`~cge.build.database.wiod13`);
2. read the 2024 controls and figures below the totals with the SAM build's readers, and the
   targets of ``calibration/database/targets_2024.csv`` (:mod:`~cge.build.database.targets`);
3. bilateral trade, tariffs, margins, endowments → the prior (:mod:`~cge.build.database.prior`);
4. cross-entropy balancing of the basic-price cells under GTAP's identities, the controls
   (exact) and the targets (soft), in rounds until each importer's tariff revenue equals the
   duties it collected (:func:`balance_rounds`);
5. the Dataset: every header, parameters, satellites, provenance (:mod:`~cge.build.database.dataset`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from cge.balance.vector import LinearRow, VectorBalance, balance_vector
from cge.build.agrifood import widen_agrifood_controls
from cge.build.controls import ControlSet, build_measures, read_controls
from cge.build.database.can import read_can
from cge.build.database.cells import COMM, REG, REG_2
from cge.build.database.chn import read_chn
from cge.build.database.factors import endowments, read_skill_shares, read_surplus_shares
from cge.build.database.margins import margin_array, margin_rates
from cge.build.database.measures import aggregation, measure_row
from cge.build.database.mex import read_mex
from cge.build.database.parameters import read_region_parameters
from cge.build.database.prior import Prior, build_prior, grow_trade, ras_trade
from cge.build.database.regions import RegionSet, read_regions
from cge.build.database.sea import labour_to_compensation, read_sea
from cge.build.database.sectors import SectorSet, read_sectors
from cge.build.database.sources import WIOD16_YEAR, NationalFiles
from cge.build.database.table import NationalTable
from cge.build.database.targets import DatabaseTarget, read_targets, with_rows
from cge.build.database.tariffs import (
    SPECIAL_FILE,
    TABLE_FILE,
    Tariffs,
    level_factors,
    read_special,
    read_table,
    special_rates,
    us_rates,
)
from cge.build.database.trade import bilateral_2011, us_imports_2024
from cge.build.database.usa import read_usa
from cge.build.database.wiod13 import read_wiod_region, wiod_sector_matrix
from cge.build.mapping import Aggregation
from cge.build.sector_controls import SectorControls, build_sector_controls
from cge.build.sources import BuildError, BuildInputError
from cge.build.value_added import LabourShares, labour_shares, read_pwt_labour_shares
from cge.build.wiod import WiodTable, read_wiod
from cge.paths import CALIBRATION_DIR

log = logging.getLogger(__name__)

BASE_YEAR = 2011
TARGET_YEAR = 2024
PWT_YEAR = 2019
HS6_SD = 0.03
"""Relative standard error of the HS6 sector composition of US imports (official data; the
composition is applied to the Census general-imports totals)."""
TARIFF_TOL = 1e-5
MAX_ROUNDS = 10


@dataclass(frozen=True)
class Inputs:
    """Everything read from the raw files and the calibration directory."""

    files: NationalFiles
    calibration_dir: Path
    sectors: SectorSet
    regions: RegionSet
    wiod: WiodTable
    wiod_concordance: np.ndarray
    labour_wiod: LabourShares
    tables: dict[str, NationalTable]
    controls_frame: pd.DataFrame
    controls: ControlSet
    sector: SectorControls
    gdp: dict[str, float]
    us_imports: pd.DataFrame
    labsh: dict[str, float]


@dataclass(frozen=True)
class BuildOutcome:
    """The balanced database and what made it (for the README and the tests)."""

    inputs: Inputs
    prior: Prior
    balance: VectorBalance
    x: np.ndarray
    tariffs: Tariffs
    targets: list[DatabaseTarget]
    hard: list[LinearRow]
    soft: list[LinearRow]
    rounds: int
    skipped: list[str] = field(default_factory=list)


def _gdp_controls(controls: ControlSet, regions: list[str], path: Path) -> dict[str, float]:
    """GDP control by region; stops if a control pools several regions."""
    out = {}
    for m in controls.controls():
        if m.figure != "gdp_nominal":
            continue
        members = m.region.split("+")
        if len(members) > 1:
            raise BuildInputError(
                f"{path}: no 2024 gdp_nominal row for regions {members}; the derived rest-of-world GDP would pool them "
                "(add a row for each, or merge them into one region)"
            )
        out[m.region] = m.target
    missing = [r for r in regions if r not in out]
    if missing:
        raise BuildInputError(
            f"{path}: no 2024 GDP control for region(s) {missing} (and no world GDP row to derive one)"
        )
    return out


def _labour_share_targets(
    files: NationalFiles, calibration_dir: Path, table: WiodTable, regions: RegionSet
) -> dict[str, float]:
    """PWT labsh (latest year ≤ 2019) by model region: WIOD members weighted by 2011 value added."""
    shares, _ = read_pwt_labour_shares(files.base, Path(calibration_dir) / "value_added", table, PWT_YEAR)
    weight = np.maximum(table.residual(), 0.0).sum(axis=1)
    out = {}
    for r in regions.regions:
        idx = [table.countries.index(m) for m in regions.members[r]]
        w = weight[idx]
        out[r] = float(sum(shares[table.countries[i]] * wi for i, wi in zip(idx, w)) / w.sum())
    return out


def read_inputs(data_dir: Path, calibration_dir: Path | None = None, mapping_dir: Path | None = None) -> Inputs:
    """Read and check every raw file and calibration table the build uses."""
    calibration_dir = Path(calibration_dir) if calibration_dir is not None else CALIBRATION_DIR
    mapping_dir = Path(mapping_dir) if mapping_dir is not None else calibration_dir / "mappings"
    files = NationalFiles.from_dir(data_dir)
    sectors = read_sectors(calibration_dir)
    regions = read_regions(mapping_dir)
    wiod = read_wiod(files.base)
    missing = [c for c in wiod.countries if c not in regions.region_of()]
    if missing:
        raise BuildInputError(f"{mapping_dir / 'regions_wiod41.csv'}: WIOD region(s) {missing} have no model region")
    shares = labour_shares(files.base, calibration_dir / "value_added", wiod, BASE_YEAR)
    sm = wiod_sector_matrix(wiod, calibration_dir, sectors)
    lab_ratio = None
    tables = {}
    for r in regions.regions:
        code = regions.national[r]
        if code == "USA":
            lab_ratio = labour_to_compensation(read_sea(files.sea, "USA", WIOD16_YEAR, calibration_dir, sectors))
            tables[r] = read_usa(files, calibration_dir, sectors, lab_ratio)
        elif code == "CAN":
            tables[r] = read_can(files, calibration_dir, sectors)
        elif code == "MEX":
            tables[r] = read_mex(files, calibration_dir, sectors)
        elif code == "CHN":
            tables[r] = read_chn(files, calibration_dir, sectors)
        else:
            tables[r] = read_wiod_region(r, list(regions.members[r]), wiod, shares.wiod, sm, sectors)
    agg = aggregation(list(regions.regions), sectors, regions.region_of())
    frame = read_controls(files.base.controls)
    controls = build_measures(frame, agg, BASE_YEAR, TARGET_YEAR, files.base.controls)
    gdp = _gdp_controls(controls, list(regions.regions), files.base.controls)
    old_agg = _wiod_aggregation(calibration_dir, regions)
    controls = widen_agrifood_controls(controls, wiod, old_agg, calibration_dir)
    sector = build_sector_controls(files.base.sector_controls, calibration_dir, agg, controls)
    us_imports = us_imports_2024(files.us_imports, files.hs6_gtap, calibration_dir, sectors)
    labsh = _labour_share_targets(files, calibration_dir, wiod, regions)
    return Inputs(
        files,
        calibration_dir,
        sectors,
        regions,
        wiod,
        sm,
        shares,
        tables,
        frame,
        controls,
        sector,
        gdp,
        us_imports,
        labsh,
    )


def _wiod_aggregation(calibration_dir: Path, regions: RegionSet) -> Aggregation:
    """The SAM build's WIOD 2013 aggregation (its 17 sectors) over the database's regions."""
    from cge.build.mapping import read_aggregation

    old = read_aggregation(Path(calibration_dir) / "mappings")
    return Aggregation(
        tuple(regions.regions),
        old.sectors,
        regions.region_of(),
        old.sector_of,
        old.goods,
        old.agrifood,
        old.description,
    )


def trade_prior(inputs: Inputs, margin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bilateral exports at basic prices (c, s, d) and the mask of cells set from the HS6 data."""
    regions, sectors = list(inputs.regions.regions), list(inputs.sectors.sectors)
    flows = bilateral_2011(inputs.wiod, inputs.regions, inputs.wiod_concordance)
    rm = np.array(
        [[1.0 if inputs.regions.region_of()[c] == r else 0.0 for r in regions] for c in inputs.wiod.countries]
    )
    va2011 = rm.T @ np.maximum(inputs.wiod.residual(), 0.0).sum(axis=1)
    growth = np.array([inputs.gdp[r] for r in regions]) / va2011
    trade = grow_trade(flows, growth)
    fixed = np.zeros(trade.shape, dtype=bool)
    goods = np.array(inputs.sectors.goods)
    if "USA" in regions:
        d = regions.index("USA")
        for partner in inputs.us_imports.index.get_level_values(0).unique():
            if partner not in regions:
                continue
            control = [m for m in inputs.controls.controls() if m.name == f"goods[{partner}->USA]"]
            values = inputs.us_imports.loc[partner, "value"].reindex(sectors).fillna(0.0).to_numpy()
            total = control[0].target if control else values[goods].sum()
            s = regions.index(partner)
            trade[goods, s, d] = values[goods] / values[goods].sum() * total
            fixed[goods, s, d] = True
    growth_t = {r: inputs.gdp[r] / inputs.tables[r].gdp() for r in regions}
    rows = {
        k: inputs.tables[r].exports.values * growth_t[r] for k, r in enumerate(regions) if inputs.regions.national[r]
    }
    cif = 1.0 + margin.sum(axis=0)
    cols = {
        k: inputs.tables[r].imp.sum("USER").values * growth_t[r] / cif[:, :, k].max(axis=1)
        for k, r in enumerate(regions)
        if inputs.regions.national[r]
    }
    return ras_trade(trade, fixed, rows, cols), fixed


def tariff_setup(inputs: Inputs, trade: np.ndarray) -> Tariffs:
    """Base rates, which cells scale, special duties (see :mod:`cge.build.database.tariffs`)."""
    regions, sectors = list(inputs.regions.regions), list(inputs.sectors.sectors)
    path = inputs.calibration_dir / TABLE_FILE
    base = read_table(path, regions, sectors, inputs.sectors.flagged("goods"))
    us, mask = us_rates(inputs.us_imports, regions, sectors)
    base = np.where(mask, us, base)
    special_rows = read_special(inputs.calibration_dir / SPECIAL_FILE, regions, sectors)
    special = special_rates(special_rows, trade, regions, sectors)
    source = {}
    for i in regions:
        for e in regions:
            if i == e:
                continue
            if mask[:, regions.index(e), regions.index(i)].any():
                source[(i, e)] = "Census calculated duties / customs value by HS6, 2024 (national/us_imports_2024)"
            else:
                source[(i, e)] = f"calibration/{TABLE_FILE.as_posix()} pattern, times the importer's level factor"
    return Tariffs(base, ~mask, special, {}, source, special_rows)


def _hs6_targets(inputs: Inputs, space) -> list[LinearRow]:
    """US imports by sector from the HS6 partners (composition × Census totals), soft."""
    rows: list[LinearRow] = []
    regions, sectors = list(inputs.regions.regions), list(inputs.sectors.sectors)
    if "USA" not in regions:
        return rows
    for partner in inputs.us_imports.index.get_level_values(0).unique():
        if partner not in regions:
            continue
        control = [m for m in inputs.controls.controls() if m.name == f"goods[{partner}->USA]"]
        values = inputs.us_imports.loc[partner, "value"].reindex(sectors).fillna(0.0)
        goods = values[list(inputs.sectors.flagged("goods"))]
        total = control[0].target if control else goods.sum()
        for sector, value in goods.items():
            if value <= 0:
                continue
            i, c = space.form("VFOB").select({COMM: sector, REG: partner, REG_2: "USA"})
            rows.append(
                LinearRow(f"us_imports_hs6[{sector},{partner}->USA]", i, c, value / goods.sum() * total, HS6_SD)
            )
    return rows


def balance_rounds(
    inputs: Inputs, margin: np.ndarray, trade: np.ndarray, fixed: np.ndarray, tariffs: Tariffs, evfb: dict
) -> BuildOutcome:
    """Balance; rescale the importers' tariff levels to the collected duties; repeat until settled."""
    regions, sectors = list(inputs.regions.regions), list(inputs.sectors.sectors)
    goods = np.array(inputs.sectors.goods)
    levels = list(inputs.sector.tariff_levels)
    params = read_region_parameters(inputs.calibration_dir)
    resolved, skipped = read_targets(
        inputs.files, inputs.calibration_dir, inputs.sectors, regions, inputs.gdp, _context(inputs)
    )
    special = tariffs.special
    history = [special]
    factors = level_factors(trade, tariffs.base, tariffs.scalable, special, levels, regions, goods)
    for round_ in range(1, MAX_ROUNDS + 1):
        current = Tariffs(tariffs.base, tariffs.scalable, special, factors, tariffs.source, tariffs.special_rows)
        prior = build_prior(
            inputs.tables,
            inputs.gdp,
            regions,
            sectors,
            inputs.sectors.flagged("margin"),
            trade,
            fixed,
            margin,
            current.rates(regions),
            evfb,
            params,
        )
        space = prior.space
        hard = space.identities()
        controls = [measure_row(space, m, soft=False) for m in inputs.controls.controls()]
        soft = [measure_row(space, m, soft=True) for m in inputs.sector.targets()]
        targets = with_rows(resolved, space)
        soft += [t.row for t in targets if t.use == "target" and t.row is not None]
        soft += _hs6_targets(inputs, space)
        result = balance_vector(prior.x0, hard, controls + soft)
        fob = space.headers(result.values)["VFOB"].transpose(COMM, REG, REG_2).values
        # special duties cover a value: their rate follows the balanced flow, as do the level factors
        new_special = special_rates(tariffs.special_rows, fob, regions, sectors)
        new = level_factors(fob, tariffs.base, tariffs.scalable, new_special, levels, regions, goods)
        change = max(
            [abs(new[r] / factors[r] - 1.0) for r in new] + [float(np.abs(new_special - special).max(initial=0.0))]
        )
        log.info(
            "database round %d: %d iterations, tariff level factors %s (change %.2e)",
            round_,
            result.iterations,
            {r: round(k, 4) for r, k in new.items()},
            change,
        )
        if change <= TARIFF_TOL:
            return BuildOutcome(
                inputs, prior, result, result.values, current, targets, hard + controls, soft, round_, skipped
            )
        history.append(new_special)
        factors, special = new, _aitken(history) if len(history) % 3 == 0 else new_special
    raise BuildError(f"tariff levels did not settle in {MAX_ROUNDS} rounds (last factors {factors})")


def _aitken(history: list[np.ndarray]) -> np.ndarray:
    """Aitken's extrapolation of the last three iterates of the special-duty rates (a duty that
    covers a value has the rate value / flow, and the flow answers to the rate: the fixed point
    converges linearly; one extrapolation lands next to it)."""
    s0, s1, s2 = history[-3:]
    d1, d2 = s1 - s0, s2 - s1
    denom = d2 - d1
    step = np.divide(d2 * d2, denom, out=np.zeros_like(s2), where=np.abs(denom) > 1e-12)
    return np.maximum(s2 - step, 0.0)


def _context(inputs: Inputs) -> dict:
    return {"labsh": inputs.labsh, "us_imports": inputs.us_imports, "tables": inputs.tables}


def run_database_build(
    data_dir: Path, calibration_dir: Path | None = None, mapping_dir: Path | None = None
) -> tuple[xr.Dataset, BuildOutcome, float]:
    """Build the database in memory (nothing is written); return it, the outcome and the seconds taken."""
    from cge.build.database.dataset import assemble_dataset

    start = time.perf_counter()
    inputs = read_inputs(Path(data_dir), calibration_dir, mapping_dir)
    regions = list(inputs.regions.regions)
    rates, _ = margin_rates(inputs.files, regions, inputs.sectors)
    margin = margin_array(rates, regions, inputs.sectors)
    trade, fixed = trade_prior(inputs, margin)
    tariffs = tariff_setup(inputs, trade)
    skilled = read_skill_shares(inputs.calibration_dir, regions, list(inputs.sectors.sectors))
    surplus = read_surplus_shares(inputs.calibration_dir, list(inputs.sectors.sectors))
    evfb = {r: endowments(inputs.tables[r], skilled, surplus) for r in regions}
    outcome = balance_rounds(inputs, margin, trade, fixed, tariffs, evfb)
    db = assemble_dataset(outcome, rates)
    seconds = time.perf_counter() - start
    log.info("open database built in %.1f s", seconds)
    return db, outcome, seconds


DATABASE_FILE = "database.nc"
"""File name of the netCDF database in an output directory (as ``cge.gtap.save_database`` writes it)."""


def build_database(
    data_dir: Path,
    out_dir: Path | None = None,
    *,
    calibration_dir: Path | None = None,
    mapping_dir: Path | None = None,
) -> xr.Dataset:
    """Build the open 2024 database in GTAP v7 format from the raw public sources.

    Parameters
    ----------
    data_dir : pathlib.Path
        Raw sources laid out as ``../shared/data`` (WIOD 2013, ``national/``, ``macro/``, ...).
    out_dir : pathlib.Path, optional
        Where to write the database (:func:`cge.gtap.save_database`: ``sets.har``, ``basedata.har``,
        ``default.prm``, ``database.nc``) and ``README.md``; None writes nothing.
    calibration_dir : pathlib.Path, optional
        Calibration tables (default: the shipped ``calibration/``).
    mapping_dir : pathlib.Path, optional
        Directory with ``regions_wiod41.csv`` (the regions) and ``sectors_wiod35.csv``; default
        ``<calibration_dir>/mappings``.

    Returns
    -------
    xarray.Dataset
        The database: GTAP headers [US$ million], parameters, satellites, provenance attrs.

    Raises
    ------
    BuildInputError
        One line naming the file, field or region when an input is missing, malformed or does
        not cover the aggregation (e.g. a region without a GDP control or tariff rows).
    BuildError
        If the tariff levels do not settle.
    DatabaseError
        If the result fails GTAP's checks (:func:`cge.gtap.check_database`; a bug, never expected).
    """
    from cge.atomic import rebuilding_shipped_data
    from cge.build.database.readme import render, write_readme
    from cge.gtap import check_database, save_database

    db, outcome, seconds = run_database_build(Path(data_dir), calibration_dir, mapping_dir)
    db = check_database(db)
    if out_dir is not None:
        out_dir = Path(out_dir)
        text = render(db, outcome, seconds, DATABASE_FILE)  # everything is computed before anything is written
        with rebuilding_shipped_data():  # `cge build-database --out sam/gtap` rebuilds the shipped database
            save_database(db, out_dir)
            write_readme(text, out_dir / "README.md")
    return db
