"""Fault injection for the fault tests: run the ``cge`` command line (or a Dask worker) with
delays placed where a test wants to kill it. Nothing here is imported by the package.

Environment variables, read at import:

``CGE_TEST_PAUSE_WRITE=NAME``
    Writing a file called NAME stops half-way for 60 s after creating ``CGE_TEST_MARKER``
    (which holds the process id), so the test can signal the process in the middle of a write.
``CGE_TEST_GATE=DIR``
    Every sweep task first creates ``DIR/started-<draw>-<pid>`` (the pid of the worker process
    running it), then waits until ``DIR/open`` or ``DIR/open-<draw>`` exists, runs, and creates
    ``DIR/done-<draw>-<pid>`` just before it returns its result. A waiting task whose Dask task
    was cancelled (the sweep was interrupted) gives up. So a test synchronises on events (which
    draw runs where, which finished), never on sleeps. Also used as
    ``dask worker --preload tests/fault_injection.py``.
``CGE_TEST_HOLD_SAVE=DRAW`` (with ``CGE_TEST_GATE``)
    The client, about to save draw DRAW in the checkpoint, creates ``DIR/saving-DRAW`` and waits
    for ``DIR/open-save``: results that finish meanwhile stay on their workers, not collected,
    and for each of them ``DIR/finished-<draw>`` appears once the client knows it finished.
``CGE_TEST_HOLD_AFTER_SAVE=DRAW`` (with ``CGE_TEST_GATE``)
    The client, having saved draw DRAW and before counting it, creates ``DIR/saved-DRAW`` and
    waits for ``DIR/open-after-save``.
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


def _cancelled() -> bool:
    """Whether the Dask task running in this thread has been cancelled (e.g. by Ctrl-C in the client)."""
    from distributed import get_worker

    try:
        worker_ = get_worker()
        state = worker_.state.tasks.get(worker_.get_current_task())
    except (ValueError, KeyError):  # not in a Dask task
        return False
    return state is None or state.state in ("cancelled", "released", "forgotten")


if os.environ.get("CGE_TEST_GATE"):
    _run_task = _original(worker, "run_task")

    def _gated_run_task(task, shared):
        gate = Path(os.environ["CGE_TEST_GATE"])
        tag = f"{task.draw}-{os.getpid()}"
        (gate / f"started-{tag}").touch()
        while not ((gate / "open").exists() or (gate / f"open-{task.draw}").exists()):
            if _cancelled():
                raise RuntimeError(f"draw {task.draw} cancelled at the gate")
            time.sleep(0.01)
        outcome = _run_task(task, shared)
        (gate / f"done-{tag}").touch()
        return outcome

    worker.run_task = execute.run_task = _gated_run_task

    _save = _original(checkpoint.Checkpoint, "save")

    def _held_save(self, outcome):
        gate = Path(os.environ["CGE_TEST_GATE"])
        if os.environ.get("CGE_TEST_HOLD_SAVE") == str(outcome.draw):
            from distributed import default_client

            (gate / f"saving-{outcome.draw}").touch()
            while not (gate / "open-save").exists():
                for key, state in list(default_client().futures.items()):
                    if state.status == "finished":  # the scheduler has it in a worker's memory
                        (gate / f"finished-{str(key).split('-task-')[1].split('-')[0]}").touch()
                time.sleep(0.01)
        path = _save(self, outcome)
        if os.environ.get("CGE_TEST_HOLD_AFTER_SAVE") == str(outcome.draw):  # saved, not yet counted
            (gate / f"saved-{outcome.draw}").touch()
            while not (gate / "open-after-save").exists():
                time.sleep(0.01)
        return path

    checkpoint.Checkpoint.save = _held_save

if os.environ.get("CGE_TEST_NO_TMPFILE"):
    atomic._anonymous_file = lambda dir_fd: None

if __name__ == "__main__":
    from cge.cli import app

    app(prog_name="cge")
