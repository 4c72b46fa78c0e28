"""The balanced cells → the ``xarray.Dataset`` of the GTAP v7 format, with satellites and provenance.

Data headers (US$ million): every free and derived header of :class:`cge.build.database.cells.CellSpace`,
``VDEP, VKB`` (REG), ``POP`` (REG, million persons), ``DPSM`` (REG, 1: GTAP's sum of the
distribution parameters). Parameters: :mod:`cge.build.database.parameters`. Satellites (lower-case
names, not GTAP headers): ``employment`` (persons, ENDW × ACTS × REG), ``usmca_claim_share`` and
``usmca_nonclaimed_rate`` (COMM × REG × REG_2: US imports from Canada and Mexico, 2024),
``mfn_rate`` (COMM × REG: the MFN schedule of the USMCA members), ``domestic_trade_margins``
(COMM × REG: trade margins on purchases of goods, where a national table gives them) and
``goods_purchases_purchaser`` (REG). Coordinates: the GTAP sets (REG, REG_2, COMM, ACTS, ENDW,
MARG, ENDT) with the boolean subsets ENDM, ENDS, ENDF, ENDC on ENDW and NMRG on COMM, plus
``goods`` and ``agrifood`` on COMM.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import xarray as xr

from cge.build.database.cells import (
    ACTS,
    CAPITAL,
    COMM,
    ENDW,
    LABOUR_ENDOWMENTS,
    LAND,
    MARG,
    NATRES,
    REG,
    REG_2,
)
from cge.build.database.employment import employment
from cge.build.database.parameters import parameters
from cge.build.database.regions import NATIONAL_SOURCES
from cge.build.database.targets import evaluate
from cge.build.database.tariffs import claim_satellites
from cge.build.sources import BuildInputError, read_csv_checked
from cge.gtap import schema as sc

POPULATION_FILE = Path("database") / "population_2024.csv"
MFN_FILE = Path("tariffs") / "mfn.csv"
WORLD = "WLD"
HEADER_LONG_NAMES = {
    "VDFB": "domestic purchases by firms at basic prices",
    "VDFP": "domestic purchases by firms at producer prices",
    "VMFB": "imported purchases by firms at basic prices",
    "VMFP": "imported purchases by firms at producer prices",
    "VDPB": "domestic purchases by the private household at basic prices",
    "VDPP": "domestic purchases by the private household at producer prices",
    "VMPB": "imported purchases by the private household at basic prices",
    "VMPP": "imported purchases by the private household at producer prices",
    "VDGB": "domestic purchases by government at basic prices",
    "VDGP": "domestic purchases by government at producer prices",
    "VMGB": "imported purchases by government at basic prices",
    "VMGP": "imported purchases by government at producer prices",
    "VDIB": "domestic purchases by investment at basic prices",
    "VDIP": "domestic purchases by investment at producer prices",
    "VMIB": "imported purchases by investment at basic prices",
    "VMIP": "imported purchases by investment at producer prices",
    "EVFB": "primary factor purchases at basic prices",
    "EVFP": "primary factor purchases at producer prices",
    "EVOS": "factor remuneration after income tax",
    "MAKB": "make matrix at basic prices",
    "MAKS": "make matrix at supplier prices",
    "VXSB": "exports at basic prices (commodity, source, destination)",
    "VFOB": "exports at f.o.b. prices",
    "VCIF": "imports at c.i.f. prices",
    "VMSB": "imports at basic prices (tariff-inclusive)",
    "VST": "exports of margin services for international transport",
    "VTWR": "international margins by margin, commodity, source, destination",
    "SAVE": "net saving",
    "VDEP": "capital depreciation",
    "VKB": "capital stock, beginning of period",
    "POP": "population",
    "DPSM": "sum of distribution parameters",
}


def read_population(calibration_dir: Path, regions: list[str]) -> tuple[xr.DataArray, dict[str, str]]:
    """Population 2024 by region [million persons]; the one region without a row takes the world rest.

    Raises
    ------
    BuildInputError
        If more than one region lacks a row (the world rest would pool them).
    """
    path = Path(calibration_dir) / POPULATION_FILE
    frame = read_csv_checked(
        path, ["region", "population_million", "source"], ["population_million"], dtype_str=["region"]
    ).set_index("region")
    missing = [r for r in regions if r not in frame.index]
    if len(missing) > 1 or (missing and WORLD not in frame.index):
        raise BuildInputError(
            f"{path}: no 2024 population for regions {missing} (the world rest can cover one region only)"
        )
    values, source = {}, {}
    for r in regions:
        if r in frame.index:
            values[r], source[r] = float(frame.loc[r, "population_million"]), str(frame.loc[r, "source"])
    for r in missing:
        values[r] = float(frame.loc[WORLD, "population_million"]) - sum(values.values())
        source[r] = f"world ({frame.loc[WORLD, 'source']}) minus the other regions"
    return xr.DataArray(
        [values[r] for r in regions], dims=(REG,), coords={REG: regions}, attrs={"units": "million persons"}
    ), source


def mfn_rates(calibration_dir: Path, regions: list[str], sectors: list[str]) -> xr.DataArray:
    """MFN rates by sector of the importers in ``calibration/tariffs/mfn.csv`` (fraction; 0 elsewhere)."""
    path = Path(calibration_dir) / MFN_FILE
    out = xr.DataArray(np.zeros((len(sectors), len(regions))), dims=(COMM, REG), coords={COMM: sectors, REG: regions})
    if not path.is_file():
        return out
    frame = read_csv_checked(path, ["importer", "sector", "mfn_pct"], ["mfn_pct"], dtype_str=["importer", "sector"])
    for r in frame.itertuples():
        if r.importer in regions and r.sector in sectors:
            out.loc[{COMM: r.sector, REG: r.importer}] = r.mfn_pct / 100.0
    return out


def database_hash(db: xr.Dataset) -> str:
    """SHA-256 of the labels and values of every variable (attrs excluded)."""
    digest = hashlib.sha256()
    for name in sorted(map(str, db.data_vars)):
        arr = db[name]
        digest.update(name.encode())
        for dim in arr.dims:
            digest.update(json.dumps([str(v) for v in arr[dim].values]).encode())
        digest.update(np.ascontiguousarray(np.asarray(arr.values, dtype=float)).tobytes())
    return digest.hexdigest()


def assemble_dataset(outcome, margin_rates: dict[str, float]) -> xr.Dataset:
    """The Dataset of the balanced outcome (see the module docstring)."""
    inputs, space, x = outcome.inputs, outcome.prior.space, outcome.x
    regions = list(inputs.regions.regions)
    sectors = list(inputs.sectors.sectors)
    headers = space.headers(x)
    data = {k: v for k, v in headers.items()}
    data["VKB"] = outcome.prior.vkb
    pop, pop_source = read_population(inputs.calibration_dir, regions)
    data["POP"] = pop
    data["DPSM"] = xr.DataArray(np.ones(len(regions)), dims=(REG,), coords={REG: regions})
    budget = (headers["VDPP"] + headers["VMPP"]) / (headers["VDPP"] + headers["VMPP"]).sum(COMM)
    data.update(parameters(inputs.calibration_dir, inputs.sectors, space.coords, budget))
    persons, emp_source = employment(
        inputs.files,
        inputs.calibration_dir,
        inputs.sectors,
        inputs.regions.national,
        inputs.regions.region_of(),
        headers["EVFB"],
        inputs.wiod,
        inputs.labour_wiod,
        inputs.controls_frame,
        2024,
        inputs.wiod_concordance,
    )
    data["employment"] = persons
    sat = claim_satellites(inputs.us_imports, regions, sectors)
    for name, values in sat.items():
        data[name] = xr.DataArray(values, dims=(COMM, REG, REG_2), coords={COMM: sectors, REG: regions, REG_2: regions})
    data["mfn_rate"] = mfn_rates(inputs.calibration_dir, regions, sectors)
    margins, purchases = _trade_margins(outcome, headers)
    data["domestic_trade_margins"], data["goods_purchases_purchaser"] = margins, purchases
    db = xr.Dataset(data)
    endw = list(db[ENDW].values)
    db = db.assign_coords(
        ENDM=(ENDW, [e not in (LAND, NATRES) for e in endw]),
        ENDS=(ENDW, [e == LAND for e in endw]),
        ENDF=(ENDW, [e == NATRES for e in endw]),
        ENDC=(ENDW, [e == CAPITAL for e in endw]),
        NMRG=(COMM, [s not in db[MARG].values for s in sectors]),
        goods=(COMM, list(inputs.sectors.goods)),
        agrifood=(COMM, list(inputs.sectors.agrifood)),
    )
    for name, long_name in HEADER_LONG_NAMES.items():
        if name in db:
            db[name].attrs.setdefault("long_name", long_name)
            db[name].attrs.setdefault(
                "units", "million persons" if name == "POP" else ("1" if name == "DPSM" else "US$ million")
            )
    label = inputs.sectors.label_of()
    db = db.assign_coords({dim: [label[str(v)] for v in db[dim].values] for dim in (COMM, ACTS, MARG)})
    _satellite_attrs(db)
    db.attrs = _attrs(outcome, margin_rates, pop_source, emp_source, db)
    db.attrs["hash"] = database_hash(db)
    return db


def _trade_margins(outcome, headers: dict) -> tuple[xr.DataArray, xr.DataArray]:
    """Trade margins on goods purchases (COMM, REG) scaled like the tables, and purchases of goods
    by domestic users at purchasers' prices (producer prices + trade margins) [US$ million]."""
    regions = list(outcome.inputs.regions.regions)
    sectors = list(outcome.inputs.sectors.sectors)
    goods = list(outcome.inputs.sectors.flagged("goods"))
    margins = xr.DataArray(
        np.zeros((len(sectors), len(regions))), dims=(COMM, REG), coords={COMM: sectors, REG: regions}
    )
    for r in regions:
        table = outcome.prior.tables[r]
        if table.margins is not None:
            margins.loc[{REG: r}] = table.margins.sum("USER").values
    producer = sum(
        headers[h].sum(ACTS) if ACTS in headers[h].dims else headers[h]
        for h in ("VDFP", "VMFP", "VDPP", "VMPP", "VDGP", "VMGP", "VDIP", "VMIP")
    )
    purchases = producer.sel({COMM: goods}).sum(COMM) + margins.sel({COMM: goods}).sum(COMM)
    margins.attrs = {
        "long_name": "domestic trade margins on purchases of goods (where the national table gives them)",
        "units": "US$ million",
    }
    purchases.attrs = {
        "long_name": "purchases of goods by domestic agents at purchasers' prices (producer prices + trade margins)",
        "units": "US$ million",
    }
    return margins, purchases


def _satellite_attrs(db: xr.Dataset) -> None:
    db["usmca_claim_share"].attrs = {
        "long_name": "share of US imports for consumption entered under USMCA (SPI S/S+), 2024",
        "units": "1",
        "source": "national/us_imports_2024: HS10 claim shares (USITC DataWeb via the Yale Budget Lab) x Census "
        "values, by HS6, mapped to sectors; only USA <- CAN, MEX are nonzero",
    }
    db["usmca_nonclaimed_rate"].attrs = {
        "long_name": "duties collected over the value that did not claim USMCA, 2024",
        "units": "1",
        "source": "Census calculated duties / (customs value - USMCA-claimed value), by sector; only USA <- CAN, MEX",
    }
    db["mfn_rate"].attrs = {
        "long_name": "MFN applied rate of the importer",
        "units": "1",
        "source": "calibration/tariffs/mfn.csv (see calibration/README.md, section 3.2); 0 where no schedule",
    }
    for name, header in sc.SATELLITE_HEADERS.items():
        db[name].attrs["header"] = header


def _attrs(outcome, rates: dict[str, float], pop_source: dict, emp_source: dict, db: xr.Dataset) -> dict:
    inputs = outcome.inputs
    regions = list(inputs.regions.regions)
    targets = []
    x = outcome.x
    headers = {
        "domestic_trade_margins": db["domestic_trade_margins"],
        "goods_purchases_purchaser": db["goods_purchases_purchaser"],
    }
    for t in outcome.targets:
        targets.append(
            {
                "name": t.name,
                "value": t.value,
                "unit": t.unit,
                "database": evaluate(t, x, headers, outcome.prior.space),
                "use": t.use,
                "sd": t.sd,
                "year": t.year,
                "source": t.source,
            }
        )
    report = {
        "method": "cross-entropy (cge.balance.vector.balance_vector) of the basic-price cells under GTAP's identities",
        "rounds": outcome.rounds,
        "iterations": outcome.balance.iterations,
        "message": outcome.balance.message,
        "largest_identity_gap_prior_musd": outcome.balance.gap_before,
        "largest_identity_gap_musd": outcome.balance.gap_after,
        "tariff_level_factors": outcome.tariffs.factors,
        "targets": json.loads(outcome.balance.targets.to_json(orient="records")),
        "issue17_targets": targets,
        "skipped": outcome.skipped,
    }
    return {
        "title": "Open North American database, 2024, GTAP v7 format",
        "base_year": 2024,
        "units": "US$ million (POP: million persons; employment: persons)",
        "aggregation": f"{len(regions)} regions ({', '.join(regions)}) x {len(inputs.sectors.sectors)} sectors ("
        + ", ".join(f"{lab} = {name}" if lab != name else name for name, lab in inputs.sectors.label_of().items())
        + "); sector definitions in calibration/database/sectors.csv",
        "regions_source": json.dumps({r: inputs.regions.source(r) for r in regions}),
        "tables": json.dumps({r: inputs.tables[r].source for r in regions}),
        "table_notes": json.dumps({r: inputs.tables[r].notes for r in regions}),
        "margin_rates": json.dumps(rates),
        "population_source": json.dumps(pop_source),
        "employment_source": json.dumps(emp_source),
        "tariffs": json.dumps({f"{i}<-{e}": s for (i, e), s in outcome.tariffs.source.items()}),
        "balancing_report": json.dumps(report),
        "source_files_sha256": json.dumps(inputs.files.digests()),
        "national_sources": json.dumps(NATIONAL_SOURCES),
        "builder": "cge.build.database.build_database",
    }


def labour_payments(db: xr.Dataset) -> xr.DataArray:
    """Skilled + unskilled labour payments (ACTS, REG) [US$ million]."""
    return db["EVFB"].sel({ENDW: list(LABOUR_ENDOWMENTS)}).sum(ENDW)
