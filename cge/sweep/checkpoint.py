"""Finished tasks of a sweep on disk, so an interrupted sweep can resume.

A checkpoint is a directory (``cge sweep --out sweep.nc`` uses ``sweep.nc.partial/``) holding

* ``manifest.json``: the sweep's fingerprint (SHA-256 of its scenarios, SSA specification, SAM
  hash, elasticity table and solver settings) and the number of tasks;
* ``task-NNNNN.nc``: one netCDF file per finished task (a draw of an SSA, a scenario of a plain
  sweep) with the results of each solved scenario stacked on ``scenario`` and the errors of the
  failed ones in the attrs.

Each file is written atomically (:func:`cge.atomic.atomic_write_bytes`) as soon as its task
finishes, so at any moment the directory holds complete tasks only. A resumed sweep solves only
the tasks without a file; it refuses a checkpoint whose fingerprint differs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import xarray as xr

from cge.atomic import atomic_write_bytes
from cge.dims import SCENARIO
from cge.ncio import netcdf_bytes, read_netcdf
from cge.sweep.worker import Outcome

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
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


def outcome_dataset(outcome: Outcome) -> xr.Dataset:
    """An :class:`~cge.sweep.worker.Outcome` as one dataset (solved scenarios stacked on ``scenario``)."""
    from cge.runner import stack

    ds = stack(outcome.results) if outcome.results else xr.Dataset()
    ds.attrs.update(
        {
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
            one.attrs = {}
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
        the directory and its manifest appear with the first finished task).

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
            When the directory belongs to another sweep, or holds finished tasks and ``resume``
            is False.
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
                    f"{self.directory} belongs to another sweep (its scenarios, SSA, SAM, elasticities or solver "
                    "settings differ): remove it, or run without --resume and another --out"
                )
        elif done:
            raise CheckpointError(f"{self.directory} holds task files but no {MANIFEST}: not a cge checkpoint")
        outcomes = {}
        if resume:
            for draw in done:
                outcomes[draw] = outcome_from_dataset(read_netcdf(self._task_path(draw), "checkpoint task"))
            log.info("resuming from %s: %d of %d tasks finished", self.directory, len(outcomes), self.n_tasks)
        return outcomes

    def save(self, outcome: Outcome) -> Path:
        """Write one finished task (atomically); the first one creates the directory and manifest."""
        manifest = self.directory / MANIFEST
        if not manifest.exists() or json.loads(manifest.read_text(encoding="utf-8")).get("fingerprint") != self.key:
            text = json.dumps({"fingerprint": self.key, "n_tasks": self.n_tasks}, indent=1)
            atomic_write_bytes(manifest, text.encode())
        return atomic_write_bytes(self._task_path(outcome.draw), netcdf_bytes(outcome_dataset(outcome)))

    def remove(self) -> None:
        """Delete the checkpoint (after the complete results are saved)."""
        remove_checkpoint(self.directory)


def remove_checkpoint(directory: str | Path) -> None:
    """Delete a checkpoint directory once the complete results are saved (no error if absent)."""
    shutil.rmtree(directory, ignore_errors=True)
