"""Starting and stopping real processes in tests: the ``cge`` command line, a Dask scheduler and workers.

Shared by the fault tests and the sweep tests. Every process is started by the test and stopped
by its id; ``CGE_TEST_*`` variables switch on the fault injection of ``tests/fault_injection.py``.
"""

from __future__ import annotations

import json
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
    """Start ``cge ARGS`` (through ``tests/fault_injection.py`` when ``faults``)."""
    command = [sys.executable, str(FAULTS)] if faults else [str(BIN / "cge")]
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen([*command, *map(str, args)], text=True, **popen)


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


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    """Send ``sig`` to the process (by its id) and wait; SIGKILL if it does not exit."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def dask_scheduler(directory: Path) -> tuple[subprocess.Popen, str]:
    """Start ``dask scheduler`` on a free port; returns the process and its address."""
    info = directory / "scheduler.json"
    proc = subprocess.Popen(
        [str(BIN / "dask"), "scheduler", "--port", "0", "--no-dashboard", "--scheduler-file", str(info)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env(),
    )
    wait_for(info.exists, 60, "the scheduler file", proc)
    wait_for(lambda: bool(info.read_text().strip()), 10, "the scheduler address", proc)
    return proc, json.loads(info.read_text())["address"]


def dask_worker(address: str, name: str, **variables: str) -> subprocess.Popen:
    """Start one single-threaded ``dask worker`` without a nanny (so SIGKILL kills the worker itself),
    with ``tests/fault_injection.py`` preloaded (its variables in ``variables``)."""
    return subprocess.Popen(
        [
            str(BIN / "dask"),
            "worker",
            address,
            "--nthreads",
            "1",
            "--no-nanny",
            "--name",
            name,
            "--no-dashboard",
            "--preload",
            str(FAULTS),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env(**variables),
        cwd=str(TESTS),
    )
