"""``cge gtap ...``: the GTAP v7 model (run) and GTAP databases (check, aggregate, synthetic, from-sam).

Errors print one ``error:`` line (a database that fails its checks: one line per failing
identity after the count) and exit with status 1; outputs are written whole or not at all.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from cge.cli_errors import OutputError, finite_number, reported
from cge.escaping import RICH_CONSOLE_OPTIONS

gtap_app = typer.Typer(
    no_args_is_help=True, help="The GTAP v7 model and databases: run, check, aggregate, synthetic, from-sam."
)
console = Console(width=None if sys.stdout.isatty() else 140, soft_wrap=True, **RICH_CONSOLE_OPTIONS)
err_console = Console(stderr=True, soft_wrap=True, **RICH_CONSOLE_OPTIONS)


def _size(ds) -> str:
    return " x ".join(f"{ds.sizes[s]} {s}" for s in ("REG", "COMM", "ACTS", "ENDW"))


def _guard_directory(out: Path, source: Path | None) -> None:
    """Refuse an output directory that is the input database, an existing file or the shipped
    database (before any work)."""
    from cge.atomic import refuse_shipped

    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file; give a directory for the database")
    if source is not None and out.exists() and out.resolve() == source.resolve():
        raise OutputError(f"--out {out} is the input database {source}: writing there would replace it")
    refuse_shipped(out)


@gtap_app.command("check")
def check_cmd(
    database: Path = typer.Argument(..., help="GTAP database directory (sets.har, basedata.har, default.prm)"),
    tol: float | None = typer.Option(
        None,
        callback=finite_number("--tol", above=0.0),
        help="relative tolerance of the identities (default 1e-6; 1e-4 for single-precision HAR data)",
    ),
) -> None:
    """Check a database with GTAP's identities; one line per failure, exit 1 if any."""
    from cge.gtap.checks import database_problems, default_tol
    from cge.gtap.database import load_database

    with reported(err_console):
        ds = load_database(database)
        problems = database_problems(ds, tol)
    tol = default_tol(ds) if tol is None else tol
    if problems:
        err_console.print(
            f"[bold red]error:[/] {escape(str(database))} fails GTAP's checks ({len(problems)} problems):"
        )
        for line in problems:
            err_console.print(f"  {escape(line)}")
        raise typer.Exit(1)
    console.print(f"GTAP database OK: {_size(ds)}; identities hold within {tol:g} of each flow")


@gtap_app.command("aggregate")
def aggregate_cmd(
    database: Path = typer.Argument(..., help="GTAP database directory"),
    mapping: Path = typer.Option(..., "--map", help="mapping CSV with columns set,from,to"),
    out: Path = typer.Option(..., "--out", help="directory for the aggregated database"),
) -> None:
    """Aggregate a database to new regions, commodities, activities, endowments (GTAPAgg's rules)."""
    from cge.gtap.aggregate import aggregate_database
    from cge.gtap.database import load_database, save_database

    with reported(err_console):
        _guard_directory(out, database)
        ds = load_database(database)
        result = aggregate_database(ds, mapping)
        save_database(result, out)
    console.print(f"wrote {out}: {_size(result)} (from {_size(ds)})")


@gtap_app.command("synthetic")
def synthetic_cmd(
    out: Path = typer.Argument(..., help="directory to write the database to"),
    regions: int = typer.Option(3, min=2, help="number of regions (at most 200)"),
    commodities: int = typer.Option(4, min=3, help="number of commodities (at most 200)"),
    activities: int | None = typer.Option(None, min=2, help="number of activities (default: as commodities)"),
    margins: int = typer.Option(2, min=1, help="number of margin commodities"),
    seed: int = typer.Option(0, min=0, help="random seed"),
) -> None:
    """Write a random, exactly balanced GTAP v7 database (HAR files and database.nc)."""
    from cge.gtap.database import save_database
    from cge.gtap.synthetic import synthetic_database

    with reported(err_console):
        _guard_directory(out, None)
        ds = synthetic_database(regions, commodities, activities, seed=seed, margins=margins)
        save_database(ds, out)
    console.print(f"wrote {out}: synthetic database, {_size(ds)}, seed {seed}")


@gtap_app.command("from-sam")
def from_sam_cmd(
    out: Path = typer.Argument(..., help="directory to write the database to"),
    sam: Path | None = typer.Option(None, help="SAM (netCDF file or directory); default: the shipped SAM"),
    elasticities: Path | None = typer.Option(None, help="elasticity CSV; default: calibration/elasticities.csv"),
) -> None:
    """Convert a SAM of the project's schema into a GTAP v7 database."""
    from cge.calibrate import load_elasticities
    from cge.gtap.database import save_database
    from cge.gtap.sam_conversion import from_sam
    from cge.sam import load_sam

    with reported(err_console):
        _guard_directory(out, sam)
        ds = from_sam(load_sam(sam), elasticities=load_elasticities(elasticities))
        save_database(ds, out)
    console.print(f"wrote {out}: {_size(ds)} from the SAM")


def _parse_shock(text: str) -> tuple[str, float]:
    """``"tm=10"`` or ``'tms("food","USA",REG)=5'`` -> (variable reference, percentage change)."""
    from cge.gtap.closure import ClosureSpecError

    key, eq, value = text.rpartition("=")
    if not eq or not key.strip():
        raise ClosureSpecError(f"--shock {text!r}: write VARIABLE=PERCENT, e.g. tm=10")
    try:
        return key.strip(), float(value)
    except ValueError:
        raise ClosureSpecError(f"--shock {text!r}: {value!r} is not a number") from None


@gtap_app.command("run")
def run_cmd(
    database: Path | None = typer.Argument(
        None, help="GTAP database directory (default: the CMF's 'file GTAPDATA', else the shipped open database)"
    ),
    cmf: Path | None = typer.Option(None, "--cmf", help="GEMPACK command file: exogenous list, swaps, shocks"),
    shock: list[str] = typer.Option([], "--shock", help="a uniform shock VARIABLE=PERCENT (repeatable), e.g. tm=10"),
    swap: list[str] = typer.Option(
        [], "--swap", help="a closure swap 'a = b' (repeatable), e.g. 'qe(ENDWC,REG) = rore'"
    ),
    out: Path = typer.Option(..., "--out", help="results netCDF file (every GEMPACK variable)"),
    updated: Path | None = typer.Option(None, "--updated", help="directory for the updated database (HAR + netCDF)"),
    rordelta: int | None = typer.Option(None, help="override RORDELTA (1: rates of return equalised; 0: fixed shares)"),
) -> None:
    """Solve the standard GTAP v7 model as GEMPACK does and write every variable."""
    from cge.cli_errors import guard_output
    from cge.gtap.checks import check_database
    from cge.gtap.cmf import database_source, read_cmf
    from cge.gtap.database import database_hash, load_database, save_database
    from cge.gtap.simulate import solve
    from cge.ncio import write_netcdf

    with reported(err_console):
        spec = read_cmf(cmf) if cmf is not None else None
        source, files = database_source(spec, database) if spec is not None else (database, {})
        inputs = [source, cmf, *files.values(), *(spec.shock_files() if spec is not None else [])]
        guard_output(out, inputs, "results")
        if updated is not None:
            _guard_directory(updated, source)
        ds = check_database(load_database(source, files=files))  # GTAP's identities and ranges, before solving
        shocks = dict(_parse_shock(text) for text in shock)
        if updated is not None:
            result, new_database = solve(ds, shocks, swaps=swap, rordelta=rordelta, cmf=spec, updated=True)
            save_database(new_database, updated)
        else:
            result = solve(ds, shocks, swaps=swap, rordelta=rordelta, cmf=spec)
        result.attrs["database"] = str(source) if source is not None else "shipped open database"
        result.attrs["database_source"] = result.attrs["database"]
        result.attrs["database_hash"] = database_hash(ds)  # from the data: compare and diff refuse a mix
        if cmf is not None:
            result.attrs["cmf"] = str(cmf)
        write_netcdf(result, out)
    a = result.attrs
    console.print(
        f"wrote {out}: {len(result.data_vars)} GTAP v7 variables ({_size(ds)}); {a['path_nodes']} path nodes, "
        f"{a['newton_iterations']} Newton steps, max residual {a['max_residual']:.1e}, {a['solve_seconds']:.1f} s"
        + (f"; updated database in {updated}" if updated is not None else "")
    )
