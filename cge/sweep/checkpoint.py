"""Finished tasks of a sweep on disk, so an interrupted sweep can resume.

A checkpoint is a directory (``cge sweep --out sweep.nc`` uses ``sweep.nc.partial/``) holding

* ``lock``: an exclusive ``flock`` held by the sweep that uses the directory, for its whole life
  (the command line holds it until the results file is written); the file names the holder
  (process id, host, start time, command). A second sweep into the same directory is refused in
  one line naming the holder, so two sweeps never share a checkpoint;
* ``manifest.json``: the sweep's fingerprint (SHA-256 of its scenarios, SSA specification with
  its seed, database hash, elasticity table, solver settings and cge version) and the number of tasks;
* ``task-NNNNN.nc``: one netCDF file per finished task (a draw of an SSA, a scenario of a plain
  sweep) with the results of each solved scenario stacked on ``scenario``, the errors of the
  failed ones and the sweep's fingerprint in the attrs.

Each file is written atomically (:func:`cge.atomic.atomic_write_bytes`) as soon as its task
finishes, so at any moment the directory holds complete tasks only. A resumed sweep solves only
the tasks without a file; it refuses a checkpoint whose manifest, or any task file, carries
another fingerprint.
"""

from __future__ import annotations

import datetime
import fcntl
import hashlib
import json
import logging
import os
import shutil
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import xarray as xr

from cge.atomic import atomic_write_bytes
from cge.dims import SCENARIO
from cge.ncio import netcdf_bytes, read_netcdf
from cge.sweep.worker import Outcome

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
LOCK = "lock"
FINGERPRINT = "sweep_fingerprint"
"""Attribute of every task file: the fingerprint of the sweep that wrote it."""
OUTCOME_ATTRS = ("setup_seconds", "solve_seconds", "models_compiled", "worker")


class CheckpointError(ValueError):
    """A checkpoint directory belongs to another sweep, or holds work that would be overwritten."""


def fingerprint(parts: dict) -> str:
    """SHA-256 of the JSON of ``parts`` (keys sorted): what makes two sweeps the same."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def default_checkpoint(out: str | Path) -> Path:
    """The checkpoint directory the CLI uses for the output file ``out``: ``<out>.partial``."""
    out = Path(out)
    return out.with_name(out.name + ".partial")


def outcome_dataset(outcome: Outcome, key: str = "") -> xr.Dataset:
    """An :class:`~cge.sweep.worker.Outcome` as one dataset (solved scenarios stacked on ``scenario``),
    with the fingerprint ``key`` of the sweep it belongs to."""
    from cge.gtap.scenario_runner import stack_scenarios

    ds = stack_scenarios(outcome.results) if outcome.results else xr.Dataset()
    ds.attrs.update(
        {
            FINGERPRINT: key,
            "draw": int(outcome.draw),
            "errors": json.dumps(outcome.errors),
            "setup_seconds": float(outcome.setup_seconds),
            "solve_seconds": float(outcome.solve_seconds),
            "models_compiled": int(outcome.models_compiled),
            "worker": outcome.worker,
        }
    )
    return ds


def outcome_from_dataset(ds: xr.Dataset) -> Outcome:
    """Inverse of :func:`outcome_dataset` (values bit for bit)."""
    results = {}
    if SCENARIO in ds.dims:
        for name in ds[SCENARIO].values:
            one = ds.sel({SCENARIO: name}, drop=True)
            one.attrs = {k: v for k, v in ds.attrs.items() if k not in (FINGERPRINT, "draw", "errors", *OUTCOME_ATTRS)}
            results[str(name)] = one
    return Outcome(
        draw=int(ds.attrs["draw"]),
        results=results,
        errors=json.loads(ds.attrs.get("errors", "{}")),
        setup_seconds=float(ds.attrs.get("setup_seconds", 0.0)),
        solve_seconds=float(ds.attrs.get("solve_seconds", 0.0)),
        models_compiled=int(ds.attrs.get("models_compiled", 0)),
        worker=str(ds.attrs.get("worker", "")),
    )


_HELD: dict[str, tuple[int, int, int]] = {}
"""Checkpoint directories whose lock this process holds: real path -> (file descriptor, depth, thread)."""


def _holder() -> str:
    command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv and sys.argv[0] else "python"
    started = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    return f"process {os.getpid()} on {socket.gethostname()} since {started}: {command[:300]}"


def _acquire(directory: Path) -> int:
    """Open and ``flock`` ``directory/lock`` (created with the directory); returns the descriptor.

    Raises
    ------
    CheckpointError
        When another process holds the lock (naming it).
    """
    lock = directory / LOCK
    for _ in range(10):  # the holder may remove the directory between our open and our lock
        directory.mkdir(exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 1000, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise CheckpointError(
                f"{directory} is in use by another sweep ({holder}): two sweeps never share a checkpoint; "
                "wait for it to finish, or give this one another --out"
            ) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            text = _holder().encode()
            os.ftruncate(fd, 0)
            os.pwrite(fd, text, 0)
            return fd
        os.close(fd)  # we locked a file that was removed meanwhile: lock the new one
    raise CheckpointError(f"{directory}: could not lock {LOCK} (it keeps being removed)")


@contextmanager
def checkpoint_lock(directory: str | Path) -> Iterator[Path]:
    """Hold the exclusive lock of a checkpoint directory (re-entrant within this process).

    The directory is created if needed; on release the lock file is removed, and the directory
    too when no task finished (a sweep that solved nothing leaves nothing).

    Raises
    ------
    CheckpointError
        When another sweep holds it: one line naming the holder (process, host, start, command).
    """
    directory = Path(directory)
    key = os.path.realpath(directory)
    if key in _HELD:
        fd, depth, thread = _HELD[key]
        if thread != threading.get_ident():
            raise CheckpointError(f"{directory} is in use by another sweep of this process (thread {thread})")
        _HELD[key] = (fd, depth + 1, thread)
        try:
            yield directory
        finally:
            _HELD[key] = (fd, depth, thread)
        return
    fd = _acquire(directory)
    _HELD[key] = (fd, 1, threading.get_ident())
    try:
        yield directory
    finally:
        del _HELD[key]
        try:
            if directory.is_dir() and not any(directory.glob("task-*.nc")):
                shutil.rmtree(directory, ignore_errors=True)
            else:
                (directory / LOCK).unlink(missing_ok=True)  # safe: _acquire checks it locked the file in place
        finally:
            os.close(fd)  # releases the lock


@dataclass(frozen=True)
class Checkpoint:
    """The checkpoint directory of one sweep.

    Attributes
    ----------
    directory : pathlib.Path
    key : str
        Fingerprint of the sweep (:func:`fingerprint`).
    n_tasks : int
        Tasks of the whole sweep [count].
    """

    directory: Path
    key: str
    n_tasks: int

    def _task_path(self, draw: int) -> Path:
        return self.directory / f"task-{draw:05d}.nc"

    def finished(self) -> list[int]:
        """Draw numbers whose task file exists."""
        return sorted(int(p.stem.split("-")[1]) for p in self.directory.glob("task-*.nc"))

    def open(self, resume: bool) -> dict[int, Outcome]:
        """Check the directory and load the finished tasks of an interrupted run (nothing is written:
        the manifest appears with the first finished task). Call it holding :func:`checkpoint_lock`.

        Parameters
        ----------
        resume : bool
            Load the finished tasks of a checkpoint with the same fingerprint. Without it an
            existing checkpoint that holds finished tasks is an error (nothing is overwritten).

        Returns
        -------
        dict
            Draw -> :class:`Outcome` of each finished task (empty for a new sweep).

        Raises
        ------
        CheckpointError
            When the directory or one of its task files belongs to another sweep, or it holds
            finished tasks and ``resume`` is False.
        """
        manifest = self.directory / MANIFEST
        done = self.finished() if self.directory.is_dir() else []
        if manifest.exists():
            try:
                found = json.loads(manifest.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise CheckpointError(f"{manifest}: unreadable checkpoint manifest ({exc})") from exc
            if done and not resume:
                raise CheckpointError(
                    f"{self.directory} holds {len(done)} finished tasks of an interrupted sweep: add --resume "
                    "to finish it, or remove the directory to start again"
                )
            if resume and found.get("fingerprint") != self.key:
                raise CheckpointError(
                    f"{self.directory} belongs to another sweep (its scenarios, SSA, database, elasticities or "
                    "options differ): remove it, or run without --resume and another --out"
                )
        elif done:
            raise CheckpointError(f"{self.directory} holds task files but no {MANIFEST}: not a cge checkpoint")
        outcomes = {}
        if resume:
            for draw in done:
                outcomes[draw] = self._load(draw)
            log.info("resuming from %s: %d of %d tasks finished", self.directory, len(outcomes), self.n_tasks)
        return outcomes

    def _load(self, draw: int) -> Outcome:
        """A finished task of this sweep; a task file of another sweep is an error."""
        path = self._task_path(draw)
        ds = read_netcdf(path, "checkpoint task")
        found = str(ds.attrs.get(FINGERPRINT, ""))
        if found != self.key or draw >= self.n_tasks:
            what = f"fingerprint {found[:12]}" if found else "no fingerprint (an older cge?)"
            if found == self.key:
                what = f"draw {draw} of a sweep of {self.n_tasks} tasks"
            raise CheckpointError(
                f"{path} is a task file of another sweep ({what}; this sweep {self.key[:12]}): "
                f"--resume would mix two sweeps; remove {self.directory} to start again"
            )
        return outcome_from_dataset(ds)

    def save(self, outcome: Outcome) -> Path:
        """Write one finished task (atomically); the first one creates the directory and manifest."""
        manifest = self.directory / MANIFEST
        if not manifest.exists() or json.loads(manifest.read_text(encoding="utf-8")).get("fingerprint") != self.key:
            text = json.dumps({"fingerprint": self.key, "n_tasks": self.n_tasks}, indent=1)
            atomic_write_bytes(manifest, text.encode())
        return atomic_write_bytes(self._task_path(outcome.draw), netcdf_bytes(outcome_dataset(outcome, self.key)))

    def remove(self) -> None:
        """Delete the checkpoint (after the complete results are saved)."""
        remove_checkpoint(self.directory)


def remove_checkpoint(directory: str | Path) -> None:
    """Delete a checkpoint directory once the complete results are saved (no error if absent)."""
    shutil.rmtree(directory, ignore_errors=True)
