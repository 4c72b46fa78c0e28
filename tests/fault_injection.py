"""Fault injection for the fault tests: run the ``cge`` command line (or a Dask worker) with
delays placed where a test wants to kill it. Nothing here is imported by the package.

Environment variables, read at import:

``CGE_TEST_PAUSE_WRITE=NAME``
    Writing a file called NAME stops half-way for 60 s after creating ``CGE_TEST_MARKER``
    (which holds the process id), so the test can signal the process in the middle of a write.
``CGE_TEST_TASK_SLEEP=SECONDS``
    Every sweep task sleeps this long first (a sweep slow enough to interrupt mid-way). Also
    used as ``dask worker --preload tests/fault_injection.py``.
``CGE_TEST_NO_TMPFILE=1``
    Disable ``O_TMPFILE``: atomic writes use a named temporary file (the portable path).

Run as a script, it is the ``cge`` command: ``python tests/fault_injection.py run ...``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import cge.atomic as atomic
import cge.ncio as ncio
import cge.sweep.checkpoint as checkpoint
import cge.sweep.execute as execute
import cge.sweep.worker as worker

_writing: list[str] = []


def _original(module, name: str):
    """The unpatched ``module.name`` (Dask's preload may import this file twice: never wrap a wrapper)."""
    key = f"_unpatched_{name}"
    if not hasattr(module, key):
        setattr(module, key, getattr(module, name))
    return getattr(module, key)


if os.environ.get("CGE_TEST_PAUSE_WRITE"):
    _write_bytes, _write_all = _original(atomic, "atomic_write_bytes"), _original(atomic, "_write_all")

    def _atomic_write_bytes(path, data):
        _writing.append(Path(path).name)
        try:
            return _write_bytes(path, data)
        finally:
            _writing.pop()

    def _paused_write_all(fd, data):
        view = memoryview(data).cast("B")
        if not _writing or _writing[-1] != os.environ["CGE_TEST_PAUSE_WRITE"]:
            return _write_all(fd, view)
        half = len(view) // 2
        _write_all(fd, view[:half])
        Path(os.environ["CGE_TEST_MARKER"]).write_text(str(os.getpid()))
        time.sleep(60)
        _write_all(fd, view[half:])

    for module in (atomic, ncio, checkpoint):  # every module that imported the name
        module.atomic_write_bytes = _atomic_write_bytes
    atomic._write_all = _paused_write_all

if os.environ.get("CGE_TEST_TASK_SLEEP"):
    _run_task = _original(worker, "run_task")

    def _slow_run_task(task, shared):
        time.sleep(float(os.environ["CGE_TEST_TASK_SLEEP"]))
        return _run_task(task, shared)

    worker.run_task = execute.run_task = _slow_run_task

if os.environ.get("CGE_TEST_NO_TMPFILE"):
    atomic._anonymous_file = lambda dir_fd: None

if __name__ == "__main__":
    from cge.cli import app

    app(prog_name="cge")
