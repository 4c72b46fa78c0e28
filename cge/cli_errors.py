"""How the command line fails: one line per error, exit status 1, nothing written half-way.

* :func:`reported` turns every exception of a command into one ``error:`` line on stderr and an
  exit status (1 for errors, 130 for Ctrl-C, 143 for SIGTERM). A SAM that does not balance adds
  one line per failing account after a first line that says how many. With ``--verbose`` an
  unexpected exception shows its traceback.
* :func:`install_signal_handlers` makes SIGTERM unwind like Ctrl-C (temporary files are removed,
  the previous output stays) and turns a file-size limit (SIGXFSZ) into an ordinary write error.
* :func:`guard_output` refuses an output path that is one of the inputs and checks that the
  output can be written before any work starts.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

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
    from cge.errors import SamError, SolveError

    text = str(exc).strip()
    if isinstance(exc, KeyError) and exc.args:
        text = str(exc.args[0])
    lines = text.splitlines() or [type(exc).__name__]
    if isinstance(exc, SamError):
        return [lines[0], *(line.strip() for line in lines[1:] if line.strip())]
    first = lines[0]
    if isinstance(exc, SolveError) and len(exc.residuals):
        top = exc.residuals.iloc[0]
        first += (
            f" (largest residual {top['block']}[{top['index']}] = {float(top['residual']):.3g}; -v for diagnostics)"
        )
    return [first]


def _verbose() -> bool:
    return logging.getLogger().getEffectiveLevel() <= logging.INFO


def _print(console: Console, lines: list[str]) -> None:
    console.print(f"[bold red]error:[/] {escape(lines[0])}")
    for line in lines[1:]:
        console.print(f"  {escape(line)}")


@contextmanager
def reported(console: Console) -> Iterator[None]:
    """Run a command body; print any error as one line and exit with its status.

    ``typer.Exit`` passes through. Interrupts print what was interrupted (a sweep says how many
    draws finished and where they are).
    """
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except KeyboardInterrupt as exc:
        _print(console, [str(exc) or "interrupted (Ctrl-C); nothing was written"])
        raise typer.Exit(EXIT_SIGINT) from None
    except Terminated as exc:
        _print(console, [str(exc) + "; nothing was written"])
        raise typer.Exit(EXIT_SIGTERM) from None
    except Exception as exc:
        log.info("error details", exc_info=True)
        if is_out_of_memory(exc):
            lines = [out_of_memory_line(exc)]
        elif not isinstance(exc, (ValueError, OSError, KeyError, TypeError, RuntimeError, ArithmeticError)):
            if _verbose():
                raise
            lines = [f"internal error {type(exc).__name__}: {error_lines(exc)[0]} (rerun with -v for the traceback)"]
        else:
            lines = error_lines(exc)
        _print(console, lines)
        cause = exc.__cause__  # e.g. an interrupted sweep, which says how many draws finished
        status = EXIT_SIGINT if isinstance(cause, KeyboardInterrupt) else EXIT_ERROR
        raise typer.Exit(EXIT_SIGTERM if isinstance(cause, Terminated) else status) from None


def _same_file(a: Path, b: Path) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def input_files(path: Path | None) -> list[Path]:
    """The files an input path stands for (a SAM directory: its ``sam.nc`` and CSV files)."""
    if path is None:
        return []
    path = Path(path)
    if path.is_dir():
        return [path, path / "sam.nc", *sorted(path.glob("*.csv"))]
    return [path]


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
