"""The ``cge`` command line (typer + rich): run scenarios, check and build SAMs.

User errors (bad scenario, bad SAM, unknown label, solver failure) print one clear line and exit
with status 1, without a traceback.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from cge.calibrate import CalibrationError
from cge.sam import SamError
from cge.scenario import ScenarioError
from cge.solve import SolveError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="North American trade CGE model.")
console = Console()
err_console = Console(stderr=True)
USER_ERRORS = (ScenarioError, SamError, CalibrationError, SolveError, FileNotFoundError, KeyError)


def _fail(exc: Exception) -> None:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    err_console.print(f"[bold red]error:[/] {first}")
    if isinstance(exc, SolveError) and len(exc.residuals):
        err_console.print(exc.residuals.head(5).to_string(index=False))
    raise typer.Exit(1)


def _write_atomic_netcdf(ds, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".nc.tmp")
    os.close(fd)
    try:
        ds.to_netcdf(tmp, engine="h5netcdf")
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="log progress")) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


@app.command()
def run(
    files: list[Path] = typer.Argument(..., help="scenario TOML files"),
    out: Path = typer.Option(Path("results.nc"), "--out", "-o", help="netCDF results file"),
    sam: Path | None = typer.Option(None, help="SAM (netCDF file or directory); default: the shipped SAM"),
    elasticities: Path | None = typer.Option(None, help="elasticity CSV; default: calibration/elasticities.csv"),
) -> None:
    """Solve scenario files and write the results (netCDF) with a headline table."""
    import cge
    from cge.scenario import Scenario

    try:
        scenarios = [Scenario.from_toml(f) for f in files]
        with Progress(console=err_console, transient=True) as progress:
            task = progress.add_task("solving", total=len(scenarios))
            ds = cge.run(scenarios, sam=sam, elasticities=elasticities, progress=lambda s: progress.advance(task))
    except USER_ERRORS as exc:
        _fail(exc)
    _write_atomic_netcdf(ds, out)
    table = Table(title=f"real GDP change [%] — written to {out}")
    table.add_column("scenario")
    for region in ds.region.values:
        table.add_column(str(region), justify="right")
    table.add_column("iterations", justify="right")
    table.add_column("max residual", justify="right")
    for name in ds.scenario.values:
        row = ds.sel(scenario=name)
        table.add_row(
            str(name),
            *[f"{float(v):+.3f}" for v in row["real_gdp_pct"].values],
            str(int(row["iterations"])),
            f"{float(row['max_residual']):.1e}",
        )
    console.print(table)


@app.command("check-sam")
def check_sam_cmd(path: Path | None = typer.Argument(None, help="SAM file or directory; default: shipped SAM")) -> None:
    """Check a SAM's schema and balances; print its size and totals."""
    from cge.sam import load_sam, regional_income

    try:
        sam = load_sam(path)
    except USER_ERRORS as exc:
        _fail(exc)
    income = regional_income(sam)
    console.print(
        f"SAM OK: {sam.sizes['region']} regions x {sam.sizes['commodity']} sectors x {sam.sizes['factor']} factors; "
        f"hash {sam.attrs.get('sam_hash', '')[:12]}"
    )
    for region, value in zip(income.region.values, income.values):
        console.print(f"  GDP (income side) {region}: {value / 1e3:,.1f} US$ bn")


@app.command("build-sam")
def build_sam_cmd(
    data_dir: Path = typer.Option(Path("../shared/data"), help="directory of the raw public sources"),
    out: Path = typer.Option(Path("sam"), help="output directory for the SAM"),
    mapping_dir: Path | None = typer.Option(None, help="directory with the region/sector mapping CSVs"),
) -> None:
    """Build the SAM from the raw sources (WIOD, SEA, PWT, ILO, tariffs, controls)."""
    from cge.build import build_sam

    try:
        sam = build_sam(data_dir, out, mapping_dir)
    except (*USER_ERRORS, ValueError) as exc:
        _fail(exc)
    console.print(f"wrote {out} ({sam.sizes['region']} regions x {sam.sizes['commodity']} sectors)")


if __name__ == "__main__":  # pragma: no cover
    app()
