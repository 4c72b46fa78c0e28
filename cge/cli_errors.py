"""How the command line fails: one line per error, exit status 1, nothing written half-way.

* :func:`reported` turns every exception of a command into one ``error:`` line on stderr and an
  exit status (1 for errors, 130 for Ctrl-C, 143 for SIGTERM). A SAM that does not balance adds
  one line per failing account after a first line that says how many. With ``--verbose`` an
  unexpected exception shows its traceback.
* :func:`install_signal_handlers` makes SIGTERM unwind like Ctrl-C (temporary files are removed,
  the previous output stays) and turns a file-size limit (SIGXFSZ) into an ordinary write error.
* :func:`guard_output` refuses an output path that is one of the inputs, or that exists but is
  not a regular file, and checks that the output can be written before any work starts;
  :func:`fresh_output` refuses to replace an existing file under a default name.
* :class:`CommandGroup` makes a misused command line (unknown option, bad number, missing
  argument) one ``error:`` line with exit status 1 too, and shows plain value types in the help
  (``PATH``, ``INTEGER``; nothing for flags).
* Warnings logged during a command are held and shown after it succeeds; a failing command
  prints only its ``error:`` line. Python warnings (NumPy's ``RuntimeWarning``) go to the log,
  seen only with ``--verbose``.
* Every user string in a message is escaped for the terminal and Rich (:mod:`cge.escaping`).
"""

from __future__ import annotations

import logging
import math
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, get_args, get_origin

import typer
from rich.console import Console
from typer.core import TyperGroup

from cge.escaping import RICH_CONSOLE_OPTIONS, escape_rich, escape_terminal
from cge.memory import is_out_of_memory, out_of_memory_line

log = logging.getLogger(__name__)

EXIT_ERROR = 1
EXIT_SIGINT = 130
EXIT_SIGTERM = 143


class Terminated(BaseException):
    """Raised in the main thread on SIGTERM, so that ``finally`` clauses run as on Ctrl-C."""


class OutputError(ValueError):
    """An output path is one of the inputs, or cannot be written."""


def _on_sigterm(signum, frame) -> None:
    raise Terminated("terminated (SIGTERM)")


def install_signal_handlers() -> None:
    """SIGTERM raises :class:`Terminated`; SIGXFSZ is ignored so that writes fail with EFBIG."""
    try:
        signal.signal(signal.SIGTERM, _on_sigterm)
        if hasattr(signal, "SIGXFSZ"):
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    except ValueError:  # not the main thread (e.g. an embedding application): leave the handlers alone
        pass


def error_lines(exc: BaseException) -> list[str]:
    """The lines printed for ``exc``: one, or for a SAM error one per failing account after the count."""
    from cge.errors import DatabaseError, SamError, SolveError

    text = str(exc).strip()
    if isinstance(exc, KeyError) and exc.args:
        text = str(exc.args[0])
    lines = text.splitlines() or [type(exc).__name__]
    if isinstance(exc, (SamError, DatabaseError)):
        return [lines[0], *(line.strip() for line in lines[1:] if line.strip())]
    first = lines[0]
    if isinstance(exc, SolveError) and len(exc.residuals):
        top = exc.residuals.iloc[0]
        residual = f"{top['block']}[{top['index']}] = {float(top['residual']):.3g}"
        first += f" (largest residual {residual}; --verbose for diagnostics)"
    return [first]


def _verbose() -> bool:
    return logging.getLogger().getEffectiveLevel() <= logging.INFO


def _print(console: Console, lines: list[str]) -> None:
    console.print(f"[bold red]error:[/] {escape_rich(lines[0])}")
    for line in lines[1:]:
        console.print(f"  {escape_rich(line)}")


@contextmanager
def reported(console: Console) -> Iterator[None]:
    """Run a command body; print any error as one line and exit with its status.

    ``typer.Exit`` passes through. Interrupts print what was interrupted (a sweep says how many
    draws finished and where they are).
    """
    try:
        yield
    except (typer.Exit, typer.Abort):
        HELD_WARNINGS.show()
        raise
    except KeyboardInterrupt as exc:
        HELD_WARNINGS.discard()
        _print(console, [str(exc) or "interrupted (Ctrl-C); nothing was written"])
        raise typer.Exit(EXIT_SIGINT) from None
    except Terminated as exc:
        HELD_WARNINGS.discard()
        _print(console, [str(exc) + "; nothing was written"])
        raise typer.Exit(EXIT_SIGTERM) from None
    except Exception as exc:
        HELD_WARNINGS.discard()  # the error line says what failed; warnings before it would be noise
        log.info("error details", exc_info=True)
        if is_out_of_memory(exc):
            lines = [out_of_memory_line(exc)]
        elif not isinstance(exc, (ValueError, OSError, KeyError, TypeError, RuntimeError, ArithmeticError)):
            if _verbose():
                raise
            first = error_lines(exc)[0]
            lines = [f"internal error {type(exc).__name__}: {first} (rerun with --verbose for the traceback)"]
        else:
            lines = error_lines(exc)
        _print(console, lines)
        cause = exc.__cause__  # e.g. an interrupted sweep, which says how many draws finished
        status = EXIT_SIGINT if isinstance(cause, KeyboardInterrupt) else EXIT_ERROR
        raise typer.Exit(EXIT_SIGTERM if isinstance(cause, Terminated) else status) from None
    HELD_WARNINGS.show()


class HeldWarnings(logging.Handler):
    """Holds WARNING records of a command until it ends: shown after success, dropped on error.

    Without ``--verbose`` this is the command line's only log handler (level WARNING), so an
    ``error:`` line is the whole output of a failing command (no ``WARNING ...`` line before it).
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def show(self) -> None:
        """Print the held records on stderr (escaped) and forget them."""
        records, self.records = self.records, []
        for record in records:
            sys.stderr.write(escape_terminal(self.format(record)) + "\n")

    def discard(self) -> None:
        self.records = []


HELD_WARNINGS = HeldWarnings()
"""The handler :func:`configure_logging` installs without ``--verbose``."""


def configure_logging(verbose: bool) -> None:
    """Log INFO and above live with ``--verbose``; otherwise hold warnings (:class:`HeldWarnings`).

    Python warnings (NumPy ``RuntimeWarning`` in an overflowing trial step, library
    ``UserWarning``) go to the ``py.warnings`` logger, shown only with ``--verbose``.
    """
    root = logging.getLogger()
    logging.captureWarnings(True)
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
        root.setLevel(logging.INFO)
        logging.getLogger("py.warnings").setLevel(logging.INFO)
        return
    HELD_WARNINGS.discard()
    if HELD_WARNINGS not in root.handlers:
        root.addHandler(HELD_WARNINGS)
    root.setLevel(logging.WARNING)
    logging.getLogger("py.warnings").setLevel(logging.ERROR)


# ---------------------------------------------------------------------------- misused command lines
_TYPE_NAMES = {Path: "PATH", int: "INTEGER", float: "NUMBER", str: "TEXT"}


def plain_type(param) -> str | None:
    """The value type shown in a parameter's help: its metavar, ``PATH``, ``INTEGER``, ``NUMBER``,
    ``TEXT``; nothing for a flag (Typer's own shows ``<bool>``, ``<list[Path]>``)."""
    if param.metavar:
        return param.metavar
    if getattr(param, "is_flag", False):
        return None
    annotation = param.type_descriptor.annotation
    if get_origin(annotation) is list:
        annotation = get_args(annotation)[0]
    return _TYPE_NAMES.get(annotation, "TEXT")


def _override(instance: object, method: str, replacement: Callable[..., Any]) -> None:
    """Replace one of Typer's methods on one parameter or command (an instance attribute that
    shadows the class's method; an assignment would read to a type checker as a mistake)."""
    object.__setattr__(instance, method, replacement)


def _plain_help_option(get_help_option):
    """``--help`` (made when the help is shown) without a value type."""

    def plain(ctx):
        option = get_help_option(ctx)
        if option is not None:
            _override(option, "display_type_rich", lambda ctx=None: None)
        return option

    return plain


class CommandGroup(TyperGroup):
    """The ``cge`` command group: usage errors are one ``error:`` line with exit status 1.

    Click (inside Typer) prints a boxed message with the usage and exits with status 2 for an
    unknown option, a bad number or a missing argument; the README promises one line and 1 for
    every error, so :meth:`main` runs Click without its own error display and prints the line.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for command in [self, *self.commands.values()]:
            for param in command.params:
                _override(param, "display_type_rich", lambda ctx=None, param=param: plain_type(param))
            _override(command, "get_help_option", _plain_help_option(command.get_help_option))

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        options = {"windows_expand_args": windows_expand_args, **extra}
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **options)
        console = Console(stderr=True, soft_wrap=True, **RICH_CONSOLE_OPTIONS)
        try:
            status = super().main(args, prog_name, complete_var, standalone_mode=False, **options)
        except typer.TyperException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # `cge` alone: the help
                typer.echo(exc.format_message(), err=True)
                sys.exit(0)
            ctx = getattr(exc, "ctx", None)
            where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            _print(console, [f"{exc.format_message()}{where}"])
            sys.exit(EXIT_ERROR)
        except typer.Abort:
            _print(console, ["aborted"])
            sys.exit(EXIT_ERROR)
        sys.exit(status if isinstance(status, int) else 0)


def _same_file(a: Path, b: Path) -> bool:
    real_a, real_b = Path(os.path.realpath(a)), Path(os.path.realpath(b))
    if real_a == real_b or (real_a.parent == real_b.parent and real_a.name.lower() == real_b.name.lower()):
        return True  # the database's readers match file names in any case
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def input_files(path: Path | None) -> list[Path]:
    """The files an input path stands for: a directory (a SAM's, a GTAP database's) stands for
    every file in it and for the names its reader looks for (``sam.nc``; ``sets.har``,
    ``basedata.har``, ``default.prm``, ``baserate.har``, ``database.nc`` in any case), so that a
    results file never replaces or shadows one of them."""
    if path is None:
        return []
    path = Path(path)
    if path.is_dir():
        from cge.gtap.schema import FILES

        present = sorted(p for p in path.iterdir() if not p.is_dir())
        readers = [path / name for name in ("sam.nc", *FILES.values(), "database.nc")]
        return [path, *present, *readers]
    return [path]


def fresh_output(out: Path | None, default: Path) -> Path:
    """The output file: ``out`` when given, else ``default`` if nothing exists there yet.

    An explicit ``--out`` may replace a file; a default name never does.

    Raises
    ------
    OutputError
        When ``out`` is None and ``default`` exists.
    """
    if out is not None:
        return Path(out)
    if default.exists() or default.is_symlink():
        raise OutputError(
            f"{default} exists and no --out was given: give --out {default} to replace it, or another file name"
        )
    return default


def finite_number(option: str, above: float | None = None):
    """A Typer callback refusing NaN, infinities and values not above ``above`` (one line, exit 1)."""

    def check(value: float | None) -> float | None:
        if value is None:
            return value
        if not math.isfinite(value) or (above is not None and value <= above):
            bound = f" above {above:g}" if above is not None else ""
            raise typer.BadParameter(f"{value} is not a finite number{bound}", param_hint=f"'{option}'")
        return value

    return check


def guard_output(out: Path, inputs: Iterable[Path | None], what: str = "output") -> Path:
    """Refuse ``out`` when it is one of ``inputs``; check it can be written (before any work).

    Raises
    ------
    OutputError
        Naming the input that ``out`` would overwrite.
    cge.atomic.WriteError
        When ``out`` is a directory or its directory cannot be written.
    """
    from cge.atomic import prepare_output

    out = Path(out)
    for given in inputs:
        for path in input_files(given):
            if _same_file(out, path):
                raise OutputError(
                    f"--out {out} is the input {path}: writing there would destroy it; choose another {what} file"
                )
    return prepare_output(out)
