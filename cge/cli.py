"""The ``cge`` command line (typer + rich): run scenarios, check and build SAMs, GTAP databases
(``cge gtap ...``, :mod:`cge.gtap.cli`).

Every error (bad scenario, bad SAM, unknown label, solver failure, unwritable output) prints one
clear line and exits with status 1, without a traceback, and writes nothing
(:mod:`cge.cli_errors`); outputs are written atomically (:mod:`cge.atomic`).
"""

from __future__ import annotations

import contextlib
import logging
import sys
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from cge.cli_errors import (
    CommandGroup,
    Terminated,
    configure_logging,
    finite_number,
    fresh_output,
    guard_output,
    install_signal_handlers,
    reported,
)
from cge.escaping import RICH_CONSOLE_OPTIONS, escape_rich, escape_terminal
from cge.gtap.cli import gtap_app
from cge.memory import SWEEP_START_MB, doing, prepare_for_memory_limit, require_address_space

GROUPS_HELP = (
    "CSV of extra region/commodity groups (columns dimension, group, members, description; docs/reporting.md), "
    "added to calibration/groups.csv"
)

app = typer.Typer(cls=CommandGroup, add_completion=False, no_args_is_help=True, help="North American trade CGE model.")
console = Console(width=None if sys.stdout.isatty() else 140, **RICH_CONSOLE_OPTIONS)
err_console = Console(stderr=True, soft_wrap=True, **RICH_CONSOLE_OPTIONS)
app.add_typer(gtap_app, name="gtap")


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
    verbose: bool = typer.Option(
        False, "--verbose", help="log progress, Python warnings and, on an error, the diagnostics (-v is --variable)"
    ),
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="print the version and exit"
    ),
) -> None:
    configure_logging(verbose)
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
    out: Path | None = typer.Option(
        None, "--out", "-o", help="netCDF results file (default: results.nc, which must not exist yet)"
    ),
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
    groups: Path | None = typer.Option(None, "--groups", help=GROUPS_HELP),
    subtotals: bool = typer.Option(
        False,
        "--subtotals",
        help="split every result by shock group (a 'subtotal' dim: total and one entry per group, summing to it)",
    ),
) -> None:
    """Solve scenario files on GTAP v7 and write the results (netCDF) with a headline table."""
    with reported(err_console):
        out = fresh_output(out, Path("results.nc"))
        ds = _run(files, out, sam, elasticities, detail, baseline, allow_partial, groups, subtotals)
        _headline(ds, out, baseline)


def _stage(bar, task, message: str, done: int, total: int) -> None:
    """Show a stage of ``cge.run`` on the progress bar and remember it for an out-of-memory error."""
    doing(f"computing the results of {message[7:]}" if message.startswith("solved ") else message)
    bar.update(task, description=message, completed=done, total=total)


def _run(files, out, sam, elasticities, detail, baseline, allow_partial, groups=None, subtotals=False):
    import cge
    from cge.runner import BatchSolveError
    from cge.scenario import Scenario

    guard_output(out, [*files, sam, elasticities, groups], "results")
    registry = _groups(groups)
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
                groups=registry,
                subtotals=subtotals,
            )
    except BatchSolveError as exc:
        if not allow_partial or exc.partial is None:
            hint = "; --allow-partial writes the ones that solved" if exc.partial is not None else ""
            raise RuntimeError(f"{str(exc).splitlines()[0]}; nothing written{hint}") from exc
        ds = exc.partial
        for name, error in exc.failures.items():
            err_console.print(
                f"[bold yellow]not solved:[/] {escape_rich(name)}: {escape_rich(str(error).splitlines()[0])}"
            )
    _write_netcdf(ds, out)
    return ds


def _headline(ds, out: Path, baseline: str | None) -> None:
    against = f"vs {baseline}" if baseline else "vs benchmark"
    table = Table(title=escape_rich(f"real GDP change [%] {against} — written to {out}"))
    table.add_column("scenario", no_wrap=True)
    for region in ds.region.values:
        table.add_column(escape_rich(region), justify="right")
    table.add_column("iter", justify="right")
    table.add_column("max res", justify="right")
    from cge.indicators.gtap.subtotals import total as total_slice

    total = total_slice(ds)
    for name in ds.scenario.values:
        row = total.sel(scenario=name)
        table.add_row(
            escape_rich(name),
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
    from cge.sam import load_sam, regional_income, sam_hash

    with reported(err_console):
        sam = load_sam(path)
    income = regional_income(sam)
    console.print(
        f"SAM OK: {sam.sizes['region']} regions x {sam.sizes['commodity']} sectors x {sam.sizes['factor']} factors; "
        f"hash {sam_hash(sam)[:12]}"
    )
    for region, value in zip(income.region.values, income.values):
        console.print(f"  GDP (income side) {escape_rich(region)}: {value / 1e3:,.1f} US$ bn")


@app.command("build-sam")
def build_sam_cmd(
    data_dir: Path = typer.Option(Path("../shared/data"), help="directory of the raw public sources"),
    out: Path = typer.Option(
        ..., help="output directory for the SAM (required: the shipped sam/ is replaced only when named)"
    ),
    mapping_dir: Path | None = typer.Option(None, help="directory with the region/sector mapping CSVs"),
    calibration_dir: Path | None = typer.Option(
        None, help="directory with value_added/, employment/, tariffs/ (default: the shipped calibration/)"
    ),
) -> None:
    """Build the SAM from the raw sources (WIOD, SEA, PWT, ILO, tariffs, controls)."""
    from cge.atomic import rebuilding_shipped_data, refuse_special_target
    from cge.build import build_sam
    from cge.sam import SAM_VARIABLES

    with reported(err_console):
        with rebuilding_shipped_data():  # --out sam rebuilds the shipped SAM
            for name in ("sam.nc", "coords.csv", "README.md", *(f"{v.name}.csv" for v in SAM_VARIABLES)):
                refuse_special_target(out / name)  # before the build, not after it
        sam = build_sam(data_dir, out, mapping_dir, calibration_dir=calibration_dir)
    console.print(f"wrote {escape_rich(out)} ({sam.sizes['region']} regions x {sam.sizes['commodity']} sectors)")


@app.command("build-database")
def build_database_cmd(
    out: Path = typer.Option(
        ..., "--out", "-o", help="output directory (required; never the shipped sam/gtap by default)"
    ),
    data_dir: Path = typer.Option(Path("../shared/data"), help="directory of the raw public sources"),
    mapping_dir: Path | None = typer.Option(None, help="directory with regions_wiod41.csv (custom regions)"),
    calibration_dir: Path | None = typer.Option(None, help="calibration tables (default: the shipped calibration/)"),
) -> None:
    """Build the open 2024 database in GTAP v7 format from the national tables (docs/build_database.md)."""
    from cge.build.database import build_database

    with reported(err_console):
        db = build_database(data_dir, out, calibration_dir=calibration_dir, mapping_dir=mapping_dir)
    console.print(f"wrote {out} ({db.sizes['REG']} regions x {db.sizes['COMM']} sectors; hash {db.attrs['hash'][:12]})")


# ==================================================================================================
# Reporting commands: compare, table, plot (issue 4). They read saved results; nothing is re-solved.


def _open_results(path: Path):
    """Load a results file into memory, checked (errors name the file and the reason)."""
    from cge.results_file import read_results

    return read_results(path)


INDICATORS_HINT = {
    "table": "table its variables with --variable NAME (e.g. -v qgdp), or browse it with `cge view`",
    "plot": "cge plot draws the indicators of `cge run`; browse it with `cge view`",
    "diff": "compare its variables with --variable NAME, or browse both with `cge view`",
}
"""What a command can do with results that have no indicators (one `cge gtap run` solution)."""


def _with_indicators(ds, path: Path, command: str):
    """``ds`` when it holds the indicators of ``cge run``; else one line naming the file and what it holds."""
    from cge.report import ReportError
    from cge.results_file import is_gtap_results

    if "real_gdp_pct" in ds or "real_gdp_pct_mean" in ds:
        return ds
    if is_gtap_results(ds):
        raise ReportError(
            f"{path} holds one `cge gtap run` solution (GEMPACK variables such as qgdp, no indicators such as "
            f"real_gdp_pct): {INDICATORS_HINT[command]}"
        )
    raise ReportError(f"{path} is not a results file of `cge run`: it has no 'real_gdp_pct' indicator")


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
    names = ", ".join(map(str, ds.scenario.values))
    console.print(escape_rich(f"wrote {out}: {ds.sizes['scenario']} scenarios ({names})"))


def _report_written(written) -> None:
    """Print a rendered document to stdout, or the files written to stderr."""
    if isinstance(written, str):
        typer.echo(escape_terminal(written, keep="\n\t"), nl=False)
        return
    for path in written:
        err_console.print(f"wrote {escape_rich(path)}")


def _split(text: str | None) -> list[str] | None:
    return [r.strip() for r in text.split(",") if r.strip()] if text else None


SCENARIOS_HELP = "comma-separated scenarios to show, in this order (the reference is kept; default: all)"
REGIONS_HELP = "comma-separated regions to show; groups such as USMCA or world add subtotals (default: all)"
COMMODITIES_HELP = (
    "comma-separated commodities (sectors) to show; groups such as goods, services or agri-food add subtotals "
    "(default: all)"
)
BASELINE_HELP = "scenario every change is measured against (default: baseline)"
NAMES_HELP = "show scenario names instead of their labels (the TOML 'label', else 'description')"


def _groups(path: Path | None):
    """The group registry: calibration/groups.csv plus a user's --groups FILE (None without one)."""
    if path is None:
        return None
    from cge.indicators.groups import load_groups

    return tuple(load_groups(extra=path))


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
    commodities: str | None = typer.Option(None, help=COMMODITIES_HELP),
    groups: Path | None = typer.Option(None, "--groups", help=GROUPS_HELP),
    names_as_labels: bool = typer.Option(False, "--names", help=NAMES_HELP),
    subtotals: bool = typer.Option(
        False, "--subtotals", help="rows by shock group after each scenario (results of cge run --subtotals)"
    ),
) -> None:
    """Write report tables (Markdown, LaTeX, CSV or Excel) with a notes/source line from a results file."""
    from cge.report import ReportError, report_tables, write_tables

    with reported(err_console):
        if fmt == "xlsx" and out is None:
            raise ReportError("--format xlsx needs --out FILE.xlsx")
        if out is not None:
            guard_output(out, [results, groups], "table")
        registry = _groups(groups)
        ds = _open_results(results)
        if not variables:
            ds = _with_indicators(ds, results, "table")
        tables = report_tables(
            ds,
            region=region,
            regions=_split(regions),
            baseline=baseline,
            names=names,
            scenarios=_split(scenarios),
            variables=variables,
            commodities=_split(commodities),
            groups=registry,
            names_as_labels=names_as_labels,
            subtotals=subtotals,
        )
        written = write_tables(tables, fmt, out)
    _report_written(written)


CHART_SUFFIXES = (".png", ".pdf", ".svg")
"""Files of a chart directory that `cge plot` may replace."""


@app.command("plot")
def plot_cmd(
    results: Path = typer.Argument(..., help="results file (netCDF) of cge run, cge compare or cge sweep"),
    out: Path = typer.Option(
        Path("plots"), "--out", "-o", help="directory for the charts, or FILE.pdf for one PDF with a page per chart"
    ),
    regions: str | None = typer.Option(None, help=REGIONS_HELP),
    scenarios: str | None = typer.Option(None, help=SCENARIOS_HELP),
    variables: list[str] | None = typer.Option(
        None, "--variable", "-v", help="one chart per variable instead (by region, or region x commodity)"
    ),
    baseline: str | None = typer.Option(None, help=BASELINE_HELP),
    fmt: str | None = typer.Option(
        None, "--format", "-f", help="png (150 dpi), pdf or svg (default: pdf for --out FILE.pdf, else png)"
    ),
    no_notes: bool = typer.Option(False, "--no-notes", help="leave out the notes/source line under each chart"),
    commodities: str | None = typer.Option(None, help=COMMODITIES_HELP),
    groups: Path | None = typer.Option(None, "--groups", help=GROUPS_HELP),
    names_as_labels: bool = typer.Option(False, "--names", help=NAMES_HELP),
) -> None:
    """Write page-sized report charts (PNG, PDF or SVG): GDP, EV, jobs, trade jobs, welfare, agri-food, heat-maps."""
    from cge.atomic import WriteError, refuse_special_target
    from cge.report.plots import write_plots

    with reported(err_console):
        one_pdf = out.suffix.lower() == ".pdf"
        if not one_pdf and out.exists() and not out.is_dir():
            raise WriteError(17, f"cannot write charts into {out}: it is a file, not a directory")
        if one_pdf:
            guard_output(out, [results, groups], "plot file")
        for chart in (p for p in out.glob("*") if p.suffix.lower() in CHART_SUFFIXES) if out.is_dir() else ():
            refuse_special_target(chart)  # before the first chart, not half-way through
        registry = _groups(groups)
        ds = _with_indicators(_open_results(results), results, "plot")
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
                fmt=fmt,
                notes=not no_notes,
                commodities=_split(commodities),
                groups=registry,
                names_as_labels=names_as_labels,
            )
    for path in written:
        console.print(f"wrote {escape_rich(path)}")


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
    groups: Path | None = typer.Option(None, "--groups", help=GROUPS_HELP),
    names_as_labels: bool = typer.Option(False, "--names", help=NAMES_HELP),
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
            guard_output(out, [results, Path(a), Path(b), groups], "table")
        registry = _groups(groups)
        check = (lambda ds, path: ds) if variables else (lambda ds, path: _with_indicators(ds, path, "diff"))
        if Path(a).is_file() and Path(b).is_file():
            first, second = (check(_open_results(Path(f)), f) for f in (a, b))
            ds, name_a, name_b = pair_for_diff(first, second, a, b, scenario)
        else:
            ds, name_a, name_b = check(_open_results(results), results), a, b
        table = diff_table(ds, name_a, name_b, variables, _split(regions), registry, names_as_labels)
        written = write_tables({"diff": table}, fmt, out)
    _report_written(written)


# ---------------------------------------------------------------------------- view (issue 19)
@app.command("view")
def view_cmd(
    files: list[Path] = typer.Argument(
        ..., help="results files (netCDF) of cge run, cge compare or cge sweep; several are stacked on scenario"
    ),
    html: Path | None = typer.Option(
        None, "--html", help="write one self-contained HTML file (data inside, no network) instead of serving"
    ),
    port: int = typer.Option(0, "--port", min=0, max=65535, help="port on 127.0.0.1 (default: a free one)"),
    no_browser: bool = typer.Option(False, "--no-browser", help="print the address only; do not open a browser"),
) -> None:
    """Browse results as ViewHAR does: pick a variable, pivot it by its dims, compare scenarios, export CSV.

    Serves a page on 127.0.0.1 until Ctrl-C (its address is printed as one line); --html writes it as one file.
    """
    from cge.report.browser import make_server, page_html, view_dataset, view_index
    from cge.report.browser.data import all_values

    with reported(err_console):
        if html is not None:
            if port:
                raise ValueError("--port has no use with --html (the file is opened without a server)")
            guard_output(html, files, "page")
        sources = [str(f) for f in files]
        ds = view_dataset([_open_results(f) for f in files], sources)
        index = view_index(ds, sources)
        if html is not None:
            from cge.atomic import atomic_write_bytes

            atomic_write_bytes(html, page_html(index, all_values(ds)).encode("utf-8"))
            err_console.print(f"wrote {escape_rich(str(html))} ({html.stat().st_size / 1e6:.1f} MB)")
            return
        server = make_server(ds, index, port)
    typer.echo(f"cge view: {len(index['variables'])} variables at {server.url} (Ctrl-C to stop)")
    if not no_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, Terminated):  # the way to stop a server: not an error
        err_console.print("cge view: stopped")
    finally:
        server.server_close()


# ---------------------------------------------------------------------------- sweep (issue 5)
@app.command()
def sweep(
    files: list[Path] = typer.Argument(..., help="scenario TOML files"),
    ssa: Path | None = typer.Option(None, "--ssa", help="SSA TOML (uncertain parameters); omit: plain parallel run"),
    scheduler: str | None = typer.Option(None, help="Dask scheduler address; default: a new LocalCluster"),
    workers: int = typer.Option(2, "--workers", "-w", help="worker processes of the LocalCluster"),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="netCDF results file (default: sweep.nc, which must not exist yet)"
    ),
    sam: Path | None = typer.Option(
        None, help="GTAP database directory, or a SAM (netCDF file or directory); default: the shipped database"
    ),
    elasticities: Path | None = typer.Option(None, help="elasticity CSV; default: calibration/elasticities.csv"),
    baseline: str | None = typer.Option(None, "--baseline", help=BASELINE_HELP),
    resume: bool = typer.Option(
        False, "--resume", help="finish an interrupted sweep: re-use the finished draws saved in OUT.partial/"
    ),
    allow_partial: bool = typer.Option(
        False, "--allow-partial", help="write the results even when some solves failed (NaN, listed) and exit 0"
    ),
    retries: int = typer.Option(2, "--retries", min=0, help="resubmissions of a draw whose workers died (count)"),
    worker_timeout: float = typer.Option(
        300.0,
        "--worker-timeout",
        callback=finite_number("--worker-timeout", above=0.0),
        help="stop when no worker has been connected for this many seconds",
    ),
    groups: Path | None = typer.Option(None, "--groups", help=GROUPS_HELP),
) -> None:
    """Run scenarios on Dask, with systematic sensitivity analysis over elasticities (--ssa).

    Each finished draw is saved in OUT.partial/ as it arrives; if the sweep
    stops (Ctrl-C, lost scheduler, no workers), rerun the same command with
    --resume. OUT.partial/ is removed once OUT is written.
    """
    with reported(err_console), contextlib.ExitStack() as held:  # held: the checkpoint's lock, until OUT is written
        out = fresh_output(out, Path("sweep.nc"))
        options = (resume, allow_partial, retries, worker_timeout, baseline, held)
        ds, spec, failed = _sweep(files, ssa, scheduler, workers, out, sam, elasticities, *options, groups=groups)
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
    groups=None,
):
    import json

    import distributed  # noqa: F401  (configures its loggers on import; quieten them after)

    from cge.scenario import Scenario
    from cge.sweep import SSASpec, default_checkpoint, run_sweep
    from cge.sweep.checkpoint import checkpoint_lock, remove_checkpoint

    logging.getLogger("distributed").setLevel(logging.ERROR)
    guard_output(out, [*files, ssa, sam, elasticities, groups], "results")
    registry = _groups(groups)
    scenarios = [Scenario.from_toml(f) for f in files]
    spec = SSASpec.from_toml(ssa) if ssa is not None else None
    require_address_space(SWEEP_START_MB, "for a sweep (Dask's scheduler, threads and worker processes)")
    checkpoint = default_checkpoint(out)
    held.enter_context(checkpoint_lock(checkpoint))  # two sweeps never share a checkpoint, nor write one OUT
    doing("running the sweep")
    with (
        _ssa_file_named(ssa),
        Progress(console=err_console, transient=True, disable=not err_console.is_terminal) as bar,
    ):
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
            groups=registry,
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


@contextmanager
def _ssa_file_named(ssa: Path | None):
    """An SSA error found while planning the draws (an unknown sector) names the SSA file."""
    from cge.sweep import SSAError

    try:
        yield
    except SSAError as exc:
        if ssa is None or str(exc).startswith(str(ssa)):
            raise
        raise SSAError(f"{ssa}: {exc}") from None


def _sweep_table(ds, spec, failed, out: Path, baseline: str | None) -> None:
    for item in failed:
        where = f"draw {item['draw']}, " if "draw" in item else ""
        err_console.print(
            f"[bold yellow]failed:[/] {where}{escape_rich(item['scenario'])}: {escape_rich(item['error'])}"
        )
    if spec is None:
        table = Table(title=escape_rich(f"real GDP change [%] — written to {out}"))
        table.add_column("scenario")
        for region in ds.region.values:
            table.add_column(escape_rich(region), justify="right")
        for name in ds.scenario.values:
            values = ds["real_gdp_pct"].sel(scenario=name).values
            table.add_row(escape_rich(name), *[_signed(float(v), 3) for v in values])
        console.print(table)
        return
    from cge.report import report_tables
    from cge.report.writers import render

    err_console.print(
        escape_rich(
            f"{ds.attrs['method']}: {ds.attrs['n_draws']} draws, {len(failed)} failed solves — written to {out}"
        )
    )
    typer.echo(escape_terminal(render(report_tables(ds, baseline=baseline), "md"), keep="\n\t"), nl=False)


if __name__ == "__main__":  # pragma: no cover
    app()
