"""Starting the ``cge`` command line in tests (Dask schedulers and workers: ``tests/dask_processes.py``).

Shared by the fault tests and the sweep tests. Every process is started by the test and stopped
by its id; ``CGE_TEST_*`` variables switch on the fault injection of ``tests/fault_injection.py``
(also preloaded by Dask workers).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

TESTS = Path(__file__).resolve().parent
FAULTS = TESTS / "fault_injection.py"
BIN = Path(sys.executable).parent


def env(**extra: str) -> dict[str, str]:
    """The test environment plus ``extra`` (no bytecode writing: file-size limits stay exact)."""
    out = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", COLUMNS="200", NO_COLOR="1")
    out.update({k: str(v) for k, v in extra.items()})
    return out


def cge(*args: str, faults: bool = False, **popen) -> subprocess.Popen:
    """Start ``cge ARGS`` (through ``tests/fault_injection.py`` when ``faults``).

    The child starts with Ctrl-C's default disposition, as in a terminal, whatever this process
    inherited: a test suite started in the background by a shell without job control has SIGINT
    ignored, which Python then keeps ignoring (the SIGINT tests timed out that way), then runs
    ``preexec_fn`` if one is given.
    """
    command = [sys.executable, str(FAULTS)] if faults else [str(BIN / "cge")]
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    given = popen.pop("preexec_fn", None)

    def start() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if given is not None:
            given()

    return subprocess.Popen([*command, *map(str, args)], text=True, preexec_fn=start, **popen)


def finish(proc: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``proc``, killed after ``timeout`` seconds: a hang guard
    (the exit status of a killed process fails the caller's assertions)."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return proc.returncode, out, err


def wait_for(condition: Callable[[], bool], timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
    """Poll ``condition`` every 0.05 s; fail after ``timeout`` seconds (or if ``proc`` exits first)."""
    end = time.monotonic() + timeout
    while not condition():
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"process exited ({proc.returncode}) before {what}:\n{out}\n{err}")
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)
