"""The ``cge`` command line (typer + rich): run scenarios, check and build SAMs.

Every error (bad scenario, bad SAM, unknown label, solver failure, unwritable output) prints one
clear line and exits with status 1, without a traceback, and writes nothing
(:mod:`cge.cli_errors`); outputs are written atomically (:mod:`cge.atomic`).
"""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from cge.cli_errors import Terminated, guard_output, install_signal_handlers, reported
from cge.memory import SWEEP_START_MB, doing, prepare_for_memory_limit, require_address_space

app = typer.Typer(add_completion=False, no_args_is_help=True, help="North American trade CGE model.")
console = Console(width=None if sys.stdout.isatty() else 140)
err_console = Console(stderr=True, soft_wrap=True)


def _write_netcdf(ds, out: Path) -> None:
    from cge.ncio import write_netcdf

    doing(f"writing {out}")
    write_netcdf(ds, out)


def _show_version(value: bool) -> None:
    if value:
        from cge import __version__

        typer.echo(f"cge {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="log progress"),
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="print the version and exit"
    ),
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    install_signal_handlers()
    with reported(err_console):
        prepare_for_memory_limit()  # under ulimit -v: BLAS started now, one thread, or one line


def _progress_bar():
    """A transient progress bar on stderr showing the current stage (compiling, solving ...)."""
    from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,  # a log or pipe gets no bar (and no stray blank line)
    )


@app.command()
def run(
    files: list[Path] = typer.Argument(..., help="scenario TOML files"),
    out: Path = typer.Option(Path("results.nc"), "--out", "-o", help="netCDF results file"),
    sam: Path | None = typer.Option(None, help="SAM (netCDF file or directory); default: the shipped SAM"),
    elasticities: Path | None = typer.Option(None, help="elasticity CSV; default: calibration/elasticities.csv"),
    detail: str = typer.Option(
        "headline", "--detail", help="headline: the indicators; all: also every model variable (levels and % changes)"
    ),
    baseline: str | None = typer.Option(
        None, "--baseline", help="scenario that % changes and EV are measured against (default: the benchmark)"
    ),
    allow_partial: bool = typer.Option(
        False,
        "--allow-partial",
        help="when some scenarios do not solve, write the others (and exit 0) instead of nothing",
    ),
    welfare_steps: int | None = typer.Option(
        None,
        "--welfare-steps",
        min=0,
        help="path intervals to start the EV decomposition with (default 4; refined to a residual <= 0.1 % of "
        "|EV|); 0 skips it",
    ),
) -> None:
    """Solve scenario files and write the results (netCDF) with a headline table."""
    with reported(err_console):
        ds = _run(files, out, sam, elasticities, detail, baseline, allow_partial, welfare_steps)
        _headline(ds, out, baseline)


def _stage(bar, task, message: str, done: int, total: int) -> None:
    """Show a stage of ``cge.run`` on the progress bar and remember it for an out-of-memory error."""
    doing(f"computing the results of {message[7:]}" if message.startswith("solved ") else message)
    bar.update(task, description=message, completed=done, total=total)


def _run(files, out, sam, elasticities, detail, baseline, allow_partial, welfare_steps):
    import cge
    from cge.runner import BatchSolveError
    from cge.scenario import Scenario

    guard_output(out, [*files, sam, elasticities], "results")
    scenarios = [Scenario.from_toml(f) for f in files]
    doing("reading the SAM and the elasticities, calibrating and building the model")
    try:
        with _progress_bar() as bar:
            task = bar.add_task("preparing", total=None)
            ds = cge.run(
                scenarios,
                sam=sam,
                elasticities=elasticities,
                progress=lambda msg, done, total: _stage(bar, task, msg, done, total),
                detail=detail,
                reference=baseline,
                **({} if welfare_steps is None else {"welfare_steps": welfare_steps}),
            )
    except BatchSolveError as exc:
        if not allow_partial or exc.partial is None:
            hint = "; --allow-partial writes the ones that solved" if exc.partial is not None else ""
            raise RuntimeError(f"{str(exc).splitlines()[0]}; nothing written{hint}") from exc
        ds = exc.partial
        for name, error in exc.failures.items():
            err_console.print(f"[bold yellow]not solved:[/] {name}: {escape(str(error).splitlines()[0])}")
    _write_netcdf(ds, out)
    return ds


def _headline(ds, out: Path, baseline: str | None) -> None:
    against = f"vs {baseline}" if baseline else "vs benchmark"
    table = Table(title=f"real GDP change [%] {against} — written to {out}")
    table.add_column("scenario", no_wrap=True)
    for region in ds.region.values:
        table.add_column(str(region), justify="right")
    table.add_column("iter", justify="right")
    table.add_column("max res", justify="right")
    for name in ds.scenario.values:
        row = ds.sel(scenario=name)
        table.add_row(
            str(name),
            *[_signed(float(v), 3) for v in row["real_gdp_pct"].values],
            str(int(row["iterations"])),
            f"{float(row['max_residual']):.1e}",
        )
    console.print(table)


def _signed(value: float, decimals: int) -> str:
    """``+0.123``; a value that rounds to zero prints as ``0.000`` (never ``-0.000``)."""
    text = f"{value:+.{decimals}f}"
    return f"{0.0:.{decimals}f}" if float(text) == 0 else text


@app.command("check-sam")
def check_sam_cmd(path: Path | None = typer.Argument(None, help="SAM file or directory; default: shipped SAM")) -> None:
    """Check a SAM's schema and balances; print its size and totals."""
    from cge.sam import load_sam, regional_income

    with reported(err_console):
        sam = load_sam(path)
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
    calibration_dir: Path | None = typer.Option(
        None, help="directory with value_added/, employment/, tariffs/ (default: the shipped calibration/)"
    ),
) -> None:
    """Build the SAM from the raw sources (WIOD, SEA, PWT, ILO, tariffs, controls)."""
    from cge.build import build_sam

    with reported(err_console):
        sam = build_sam(data_dir, out, mapping_dir, calibration_dir=calibration_dir)
    console.print(f"wrote {out} ({sam.sizes['region']} regions x {sam.sizes['commodity']} sectors)")


# ==================================================================================================
# Reporting commands: compare, table, plot (issue 4). They read saved results; nothing is re-solved.


def _open_results(path: Path):
    """Load a results netCDF file into memory (errors name the file and the reason)."""
    from cge.ncio import read_netcdf

    return read_netcdf(path, "results")


@app.command("compare")
def compare_cmd(
    files: list[Path] = typer.Argument(..., help="results files (netCDF) written by `cge run`"),
    out: Path = typer.Option(..., "--out", "-o", help="netCDF file for the stacked results"),
    allow_different_sam: bool = typer.Option(
        False, "--allow-different-sam", help="stack runs solved on different SAMs (hashes differ)"
    ),
) -> None:
    """Stack saved runs on the scenario dimension into one results file."""
    from cge.report.compare import stack_results

    with reported(err_console):
        guard_output(out, files, "results")
        datasets = [_open_results(f) for f in files]
        ds = stack_results(datasets, [str(f) for f in files], allow_different_sam=allow_different_sam)
        _write_netcdf(ds, out)
    console.print(f"wrote {out}: {ds.sizes['scenario']} scenarios ({', '.join(map(str, ds.scenario.values))})")


def _report_written(written) -> None:
    """Print a rendered document to stdout, or the files written to stderr."""
    if isinstance(written, str):
        typer.echo(written, nl=False)
        return
    for path in written:
        err_console.print(f"wrote {path}")


def _split(text: str | None) -> list[str] | None:
    return [r.strip() for r in text.split(",") if r.strip()] if text else None


SCENARIOS_HELP = "comma-separated scenarios to show (the reference is kept; default: all)"
REGIONS_HELP = "comma-separated regions to show; groups such as USMCA or world add subtotals (default: all)"
BASELINE_HELP = "scenario every change is measured against (default: baseline)"


@app.command("table")
def table_cmd(
    results: Path = typer.Argument(..., help="results file (netCDF) of cge run, cge compare or cge sweep"),
    fmt: str = typer.Option("md", "--format", "-f", help="md, latex, csv or xlsx"),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="output file (required for xlsx; csv with several tables: one file per table)"
    ),
    names: list[str] | None = typer.Option(
        None,
        "--table",
        "-t",
        help="table(s) to write: headline, trade_jobs, welfare, jobs_by_sector, agrifood_exports, trade_by_partner "
        "(default: all available)",
    ),
    variables: list[str] | None = typer.Option(
        None, "--variable", "-v", help="one table per variable instead (any result variable, e.g. qo_pct)"
    ),
    region: str | None = typer.Option(
        None, help="region of the jobs-by-sector and welfare tables (default: USA or the first)"
    ),
    regions: str | None = typer.Option(None, help=REGIONS_HELP),
    scenarios: str | None = typer.Option(None, help=SCENARIOS_HELP),
    baseline: str | None = typer.Option(None, help=BASELINE_HELP),
) -> None:
    """Write report tables (Markdown, LaTeX, CSV or Excel) with a notes/source line from a results file."""
    from cge.report import ReportError, report_tables, write_tables

    with reported(err_console):
        if fmt == "xlsx" and out is None:
            raise ReportError("--format xlsx needs --out FILE.xlsx")
        if out is not None:
            guard_output(out, [results], "table")
        ds = _open_results(results)
        tables = report_tables(
            ds,
            region=region,
            regions=_split(regions),
            baseline=baseline,
            names=names,
            scenarios=_split(scenarios),
            variables=variables,
        )
        written = write_tables(tables, fmt, out)
    _report_written(written)


@app.command("plot")
def plot_cmd(
    results: Path = typer.Argument(..., help="results file (netCDF) of cge run, cge compare or cge sweep"),
    out: Path = typer.Option(Path("plots"), "--out", "-o", help="directory for the PNG charts"),
    regions: str | None = typer.Option(None, help=REGIONS_HELP),
    scenarios: str | None = typer.Option(None, help=SCENARIOS_HELP),
    variables: list[str] | None = typer.Option(
        None, "--variable", "-v", help="one chart per variable instead (by region, or region x commodity)"
    ),
    baseline: str | None = typer.Option(None, help=BASELINE_HELP),
) -> None:
    """Write page-sized report charts (150 dpi PNG): GDP, EV, jobs, trade jobs, welfare, agri-food, sector heat-maps."""
    from cge.report.plots import write_plots

    with reported(err_console):
        if out.exists() and not out.is_dir():
            guard_output(out, [results], "plot directory")
        ds = _open_results(results)
        with _progress_bar() as bar:
            task = bar.add_task("drawing", total=None)
            written = write_plots(
                ds,
                out,
                baseline=baseline,
                regions=_split(regions),
                scenarios=_split(scenarios),
                variables=variables,
                progress=lambda name, done, total: bar.update(
                    task, description=f"drawing {name}", completed=done, total=total
                ),
            )
    for path in written:
        console.print(f"wrote {path}")


@app.command("diff")
def diff_cmd(
    a: str = typer.Argument(..., help="scenario A (the reference), or a results file"),
    b: str = typer.Argument(..., help="scenario B, or a results file"),
    results: Path = typer.Option(Path("results.nc"), "--results", "-r", help="results file holding A and B"),
    scenario: str | None = typer.Option(None, help="with two files: the scenario to compare (default: the one shock)"),
    variables: list[str] | None = typer.Option(None, "--variable", "-v", help="region variables to show"),
    regions: str | None = typer.Option(None, help=REGIONS_HELP),
    fmt: str = typer.Option("md", "--format", "-f", help="md, latex, csv or xlsx"),
    out: Path | None = typer.Option(None, "--out", "-o", help="output file (default: stdout)"),
) -> None:
    """Scenario B against scenario A: % changes and EV of B measured from A, levels as B - A.

    A and B are two scenario names in one results file (--results),
    or two results files (each holding one shocked scenario,
    or the one named by --scenario).
    """
    from cge.report import write_tables
    from cge.report.compare import pair_for_diff
    from cge.report.tables import diff_table

    with reported(err_console):
        if out is not None:
            guard_output(out, [results, Path(a), Path(b)], "table")
        if Path(a).is_file() and Path(b).is_file():
            ds, name_a, name_b = pair_for_diff(_open_results(Path(a)), _open_results(Path(b)), a, b, scenario)
        else:
            ds, name_a, name_b = _open_results(results), a, b
        table = diff_table(ds, name_a, name_b, variables, _split(regions))
        written = write_tables({"diff": table}, fmt, out)
    _report_written(written)


# ---------------------------------------------------------------------------- sweep (issue 5)
@app.command()
def sweep(
    files: list[Path] = typer.Argument(..., help="scenario TOML files"),
    ssa: Path | None = typer.Option(None, "--ssa", help="SSA TOML (uncertain parameters); omit: plain parallel run"),
    scheduler: str | None = typer.Option(None, help="Dask scheduler address; default: a new LocalCluster"),
    workers: int = typer.Option(2, "--workers", "-w", help="worker processes of the LocalCluster"),
    out: Path = typer.Option(Path("sweep.nc"), "--out", "-o", help="netCDF results file"),
    sam: Path | None = typer.Option(None, help="SAM (netCDF file or directory); default: the shipped SAM"),
    elasticities: Path | None = typer.Option(None, help="elasticity CSV; default: calibration/elasticities.csv"),
    baseline: str | None = typer.Option(None, "--baseline", help=BASELINE_HELP),
    resume: bool = typer.Option(
        False, "--resume", help="finish an interrupted sweep: re-use the finished draws saved in OUT.partial/"
    ),
    allow_partial: bool = typer.Option(
        False, "--allow-partial", help="write the results even when some solves failed (NaN, listed) and exit 0"
    ),
    retries: int = typer.Option(2, "--retries", help="resubmissions of a draw whose workers died (count)"),
    worker_timeout: float = typer.Option(
        300.0, "--worker-timeout", help="stop when no worker has been connected for this many seconds"
    ),
) -> None:
    """Run scenarios on Dask, with systematic sensitivity analysis over elasticities (--ssa).

    Each finished draw is saved in OUT.partial/ as it arrives; if the sweep
    stops (Ctrl-C, lost scheduler, no workers), rerun the same command with
    --resume. OUT.partial/ is removed once OUT is written.
    """
    with reported(err_console), contextlib.ExitStack() as held:  # held: the checkpoint's lock, until OUT is written
        options = (resume, allow_partial, retries, worker_timeout, baseline, held)
        ds, spec, failed = _sweep(files, ssa, scheduler, workers, out, sam, elasticities, *options)
        _sweep_table(ds, spec, failed, out, baseline)


def _sweep(
    files,
    ssa,
    scheduler,
    workers,
    out,
    sam,
    elasticities,
    resume,
    allow_partial,
    retries,
    worker_timeout,
    baseline,
    held,
):
    import json

    import distributed  # noqa: F401  (configures its loggers on import; quieten them after)

    from cge.scenario import Scenario
    from cge.sweep import SSASpec, default_checkpoint, run_sweep
    from cge.sweep.checkpoint import checkpoint_lock, remove_checkpoint

    logging.getLogger("distributed").setLevel(logging.ERROR)
    guard_output(out, [*files, ssa, sam, elasticities], "results")
    scenarios = [Scenario.from_toml(f) for f in files]
    spec = SSASpec.from_toml(ssa) if ssa is not None else None
    require_address_space(SWEEP_START_MB, "for a sweep (Dask's scheduler, threads and worker processes)")
    checkpoint = default_checkpoint(out)
    held.enter_context(checkpoint_lock(checkpoint))
    doing("running the sweep")  # two sweeps never share a checkpoint, nor write one OUT
    with Progress(console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
        task = bar.add_task("solving", total=None)
        ds = run_sweep(
            scenarios,
            spec,
            sam=sam,
            elasticities=elasticities,
            scheduler=scheduler,
            n_workers=workers,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            checkpoint=checkpoint,
            resume=resume,
            retries=retries,
            worker_timeout=worker_timeout,
            reference=baseline,
        )
    failed = json.loads(ds.attrs.get("failed_draws", ds.attrs.get("failed_scenarios", "[]")))
    if failed and not allow_partial:
        first = "; ".join(
            (f"draw {f['draw']} " if "draw" in f else "") + f"{f['scenario']}: {f['error']}" for f in failed[:3]
        )
        raise RuntimeError(
            f"{len(failed)} solves failed ({first}{'; ...' if len(failed) > 3 else ''}); nothing written to {out}; "
            f"the finished ones are in {checkpoint} (rerun with --resume --allow-partial to write them, failed as NaN)"
        )
    try:
        _write_netcdf(ds, out)
    except (KeyboardInterrupt, Terminated) as exc:
        what = "interrupted (Ctrl-C)" if isinstance(exc, KeyboardInterrupt) else str(exc)
        raise RuntimeError(
            f"{what} while writing {out}, which is unchanged; every finished draw is saved in {checkpoint}: "
            "rerun with --resume to write the results without solving again"
        ) from exc
    remove_checkpoint(checkpoint)
    return ds, spec, failed


def _sweep_table(ds, spec, failed, out: Path, baseline: str | None) -> None:
    for item in failed:
        where = f"draw {item['draw']}, " if "draw" in item else ""
        err_console.print(f"[bold yellow]failed:[/] {where}{item['scenario']}: {escape(item['error'])}")
    if spec is None:
        table = Table(title=f"real GDP change [%] — written to {out}")
        table.add_column("scenario")
        for region in ds.region.values:
            table.add_column(str(region), justify="right")
        for name in ds.scenario.values:
            table.add_row(str(name), *[_signed(float(v), 3) for v in ds["real_gdp_pct"].sel(scenario=name).values])
        console.print(table)
        return
    from cge.report import report_tables
    from cge.report.writers import render

    err_console.print(
        f"{ds.attrs['method']}: {ds.attrs['n_draws']} draws, {len(failed)} failed solves — written to {out}"
    )
    typer.echo(render(report_tables(ds, baseline=baseline), "md"), nl=False)


if __name__ == "__main__":  # pragma: no cover
    app()
