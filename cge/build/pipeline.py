"""``build_sam``: raw public data → the North American SAM (``cge build-sam``).

Steps (details in ``docs/build_sam.md``; numbers in the generated ``sam/README.md``):

1. read the WIOD 2011 table and aggregate it with the mapping files (:mod:`cge.build.wiod`);
2. split the activity residual into labour and capital (:mod:`cge.build.value_added`);
3. add baseline applied tariffs to imports and assemble the balanced 2011 SAM
   (:mod:`cge.build.trade`, :mod:`cge.build.assemble`);
4. update to 2024 by cross-entropy to the controls of ``macro/controls.csv``
   (:mod:`cge.build.controls`, :mod:`cge.build.update`);
5. attach the employment satellite (:mod:`cge.build.employment`);
6. check, add provenance attributes, save (netCDF + CSV) and write the README
   (:mod:`cge.build.readme`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from pathlib import Path

import pandas as pd
import xarray as xr

from cge.atomic import atomic_write, rebuilding_shipped_data
from cge.balance import BalanceReport
from cge.build.agrifood import agrifood_definition, widen_agrifood_controls
from cge.build.assemble import assemble_sam
from cge.build.controls import ControlSet, build_measures, read_controls
from cge.build.employment import employment_satellite, employment_table
from cge.build.mapping import read_aggregation
from cge.build.result import BASE_YEAR, BuildResult
from cge.build.sector_controls import SectorControls, build_sector_controls
from cge.build.sources import BuildError, SourceFiles
from cge.build.split_spec import apply_splits, parent_rates, read_splits, split_aggregation, split_employment
from cge.build.tariff_levels import level_factors, scale_rates
from cge.build.trade import TARIFF_FILE, read_tariff_rates
from cge.build.update import update_sam
from cge.build.value_added import labour_shares
from cge.build.wiod import aggregate_wiod, read_wiod
from cge.dims import ACTIVITY, AGRIFOOD, REGION
from cge.paths import CALIBRATION_DIR, SAM_DIR
from cge.sam import check_sam, sam_hash, save_sam

log = logging.getLogger(__name__)

TARGET_YEAR = 2024
"""Year of the control totals the SAM is updated to."""
EMPLOYMENT_CSV = Path("employment") / "employment_2024.csv"
"""Employment table written to the calibration directory for the shipped SAM."""

SOURCES = (
    "WIOD 2013 release, world input-output table 2011: Timmer, Dietzenbacher, Los, Stehrer and de Vries "
    "(2015), Review of International Economics 23: 575-605 (via the R package wiod, Quast and Reiter); "
    "WIOD 2016 Socio-Economic Accounts, USA (CC BY 4.0); "
    "Penn World Table 10.0 labsh: Feenstra, Inklaar and Timmer (2015), American Economic Review 105(10) "
    "(CC BY 4.0); "
    "ILOSTAT modelled estimates Nov. 2020, EMP_2EMP_SEX_ECO_NB_A; "
    "2024 control totals (World Bank WDI GDP, US Census Bureau goods trade, Statistics Canada, "
    "USDA-FAS GATS, BLS CPS, INEGI ENOE, Statistics Canada LFS) as listed in macro/controls.csv; "
    "baseline applied tariffs: calibration/tariffs/baseline_applied.csv (WITS-TRAINS 2005 AHS as compiled by "
    "Caliendo and Parro (2015), Review of Economic Studies 82(1), rescaled to WTO MFN averages)"
)


def run_build(
    data_dir: Path,
    mapping_dir: Path | None = None,
    base_year_update: bool = True,
    calibration_dir: Path | None = None,
    tariff_file: Path | None = None,
) -> BuildResult:
    """Run every step of the build in memory (nothing is written).

    Parameters
    ----------
    data_dir : pathlib.Path
        Raw sources laid out as ``../shared/data``.
    mapping_dir : pathlib.Path, optional
        Directory with ``sectors_wiod35.csv`` and ``regions_wiod41.csv``; default
        ``<calibration_dir>/mappings``.
    base_year_update : bool
        Update to 2024 by cross-entropy (True) or stop at the balanced 2011 SAM (False).
    calibration_dir : pathlib.Path, optional
        Directory with ``value_added/``, ``employment/`` and ``tariffs/``; default the shipped
        ``calibration/``.
    tariff_file : pathlib.Path, optional
        Baseline applied tariffs; default ``<calibration_dir>/tariffs/baseline_applied.csv``
        (zero tariffs with a warning if it does not exist).
    """
    start = time.perf_counter()
    calibration_dir = Path(calibration_dir) if calibration_dir is not None else CALIBRATION_DIR
    mapping_dir = Path(mapping_dir) if mapping_dir is not None else calibration_dir / "mappings"
    tariff_file = Path(tariff_file) if tariff_file is not None else calibration_dir / TARIFF_FILE
    files = SourceFiles.from_dir(data_dir)
    wiod_agg = read_aggregation(mapping_dir)
    splits = read_splits(calibration_dir)
    agg = split_aggregation(wiod_agg, splits)
    table = read_wiod(files)
    io = aggregate_wiod(table, wiod_agg)
    shares = labour_shares(files, calibration_dir / "value_added", table, BASE_YEAR)
    share = shares.aggregate(table, wiod_agg)
    tariffs = read_tariff_rates(tariff_file, agg, _display(tariff_file, calibration_dir.parent))
    base, assembly = assemble_sam(io, share, parent_rates(tariffs.rate, agg, wiod_agg, splits), wiod_agg)
    base = apply_splits(base, splits)
    frame = read_controls(files.controls)
    year = TARGET_YEAR if base_year_update else BASE_YEAR
    controls = widen_agrifood_controls(
        build_measures(frame, agg, BASE_YEAR, TARGET_YEAR, files.controls), table, wiod_agg, calibration_dir
    )
    sector = build_sector_controls(files.sector_controls, calibration_dir, agg, controls)
    factors: dict[str, float] = {}
    if base_year_update:
        sam, balance, growth, factors = update_with_tariff_levels(base, controls, sector, tariffs.rate)
    else:
        sam, balance, growth = base.copy(), None, {}
    employment = employment_satellite(files, calibration_dir, table, shares, wiod_agg, frame, year)
    persons = split_employment(employment.persons, sam, agg)
    sam = sam.assign(employment=persons.transpose(ACTIVITY, REGION))
    employment = dataclasses.replace(employment, persons=persons)
    labour_share = pd.DataFrame(share, index=list(wiod_agg.regions), columns=list(wiod_agg.sectors))
    result = BuildResult(
        sam,
        base,
        agg,
        controls,
        sector,
        assembly,
        balance,
        growth,
        shares,
        labour_share,
        tariffs,
        factors,
        employment,
        files.digests(),
        0.0,
        year,
        calibration_dir,
    )
    sam = _with_attrs(result)
    check_sam(sam)
    seconds = time.perf_counter() - start
    log.info("SAM built in %.1f s (hash %s)", seconds, sam.attrs["sam_hash"][:12])
    return BuildResult(**{**result.__dict__, "sam": sam, "seconds": seconds})


def update_with_tariff_levels(
    base: xr.Dataset, controls: ControlSet, sector: SectorControls, rate, tol: float = 1e-5, max_rounds: int = 10
) -> tuple[xr.Dataset, BalanceReport, dict[str, float], dict[str, float]]:
    """Update to the target year with each importer's tariff level scaled to its collected duties.

    Rounds of :func:`cge.build.update.update_sam` and :func:`cge.build.tariff_levels.level_factors`
    until every factor is within ``tol`` of 1 (see :mod:`cge.build.tariff_levels`).

    Returns
    -------
    (sam, report, growth, factors)
        The updated SAM, its balancing report, the prior scale factors and the cumulative tariff
        level factor of each importer with a customs-duty figure.

    Raises
    ------
    BuildError
        If the factors do not settle in ``max_rounds`` rounds.
    """
    importers = [str(r) for r in base[REGION].values]
    total = dict.fromkeys((lv.importer for lv in sector.tariff_levels if lv.importer in importers), 1.0)
    current = rate
    for round_ in range(1, max_rounds + 1):
        sam, balance, growth = update_sam(base, controls, sector, rate=current)
        factors = level_factors(sam, current, sector.tariff_levels)
        log.info("tariff levels, round %d: %s", round_, {r: round(k, 4) for r, k in factors.items()})
        if all(abs(k - 1.0) <= tol for k in factors.values()):
            return sam, balance, growth, total
        current = scale_rates(current, factors, importers)
        total = {r: total[r] * factors.get(r, 1.0) for r in total}
    raise BuildError(f"tariff levels did not settle in {max_rounds} rounds (last factors {factors})")


def _display(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when inside it (no machine-specific prefixes in attrs)."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _with_attrs(result: BuildResult) -> xr.Dataset:
    """The SAM with provenance attributes (all str or int, netCDF-ready)."""
    sam = result.sam
    report = {
        "assembly_2011": result.assembly.to_dict(),
        "prior_scale_factors": result.growth,
        "update": json.loads(result.balance.to_json()) if result.balance is not None else None,
    }
    updated = result.balance is not None
    sam.attrs = {
        "title": f"North American multi-region SAM, {result.year}"
        + (" (WIOD 2011 updated by cross-entropy)" if updated else " (WIOD 2011, not updated)"),
        "source": SOURCES,
        "base_year": int(result.year),
        "units": "US$ million (employment: persons)",
        "aggregation": result.agg.description,
        "balancing_report": json.dumps(report),
        "tariffs": result.tariffs.source,
        "labour_share_source": json.dumps(result.shares.source),
        "employment_source": json.dumps(result.employment.source),
        "source_files_sha256": json.dumps(result.source_digests),
        "builder": "cge.build.build_sam",
    }
    sam[AGRIFOOD].attrs["definition"] = agrifood_definition(result.agg, result.controls)
    sam.attrs["sam_hash"] = sam_hash(sam)
    return sam


def build_sam(
    data_dir: Path,
    out_dir: Path | None = None,
    mapping_dir: Path | None = None,
    base_year_update: bool = True,
    *,
    calibration_dir: Path | None = None,
    tariff_file: Path | None = None,
    employment_csv: Path | None = None,
) -> xr.Dataset:
    """Build the multi-region SAM from the raw public sources and optionally save it.

    Parameters
    ----------
    data_dir : pathlib.Path
        Raw sources (``../shared/data``): WIOD 2013, WIOD-SEA USA, ILO, PWT, controls.
    out_dir : pathlib.Path, optional
        Where to write ``sam.nc``, the tidy CSVs (``cge.sam.save_sam``) and ``README.md``; None
        writes nothing.
    mapping_dir : pathlib.Path, optional
        Aggregation files; default ``calibration/mappings``.
    base_year_update : bool
        Update the 2011 table to 2024 (default) or keep 2011.
    calibration_dir, tariff_file : pathlib.Path, optional
        See :func:`run_build`.
    employment_csv : pathlib.Path, optional
        Where to write the employment table (region, activity, persons, labour payments, jobs
        per US$ million). Default: ``calibration/employment/employment_2024.csv`` when
        ``out_dir`` is the shipped ``sam/`` directory, else ``<out_dir>/employment_table.csv``.

    Returns
    -------
    xarray.Dataset
        The checked SAM [US$ million at benchmark prices; ``employment`` in persons] with the
        attributes ``title, source, base_year, units, aggregation, balancing_report, sam_hash``.
    """
    result = run_build(Path(data_dir), mapping_dir, base_year_update, calibration_dir, tariff_file)
    if out_dir is not None:
        with rebuilding_shipped_data():  # `cge build-sam --out sam` rebuilds the shipped SAM
            write_outputs(result, Path(out_dir), employment_csv)
    return result.sam


def write_outputs(result: BuildResult, out_dir: Path, employment_csv: Path | None = None) -> None:
    """Save the SAM, its README and the employment table (each file written atomically)."""
    from cge.build.readme import write_readme

    save_sam(result.sam, out_dir)
    if employment_csv is None:
        shipped = out_dir.resolve() == SAM_DIR.resolve()
        employment_csv = CALIBRATION_DIR / EMPLOYMENT_CSV if shipped else out_dir / "employment_table.csv"
    table = employment_table(result.sam, result.employment)
    _atomic_csv(table, Path(employment_csv))
    write_readme(result, out_dir / "README.md")


def _atomic_csv(frame: pd.DataFrame, path: Path) -> None:
    atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False, float_format="%.10g"))
