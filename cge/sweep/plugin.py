"""The worker plugin that carries a sweep's shared inputs (imported only when a sweep runs, with Dask)."""

from __future__ import annotations

from distributed.diagnostics.plugin import WorkerPlugin

from cge.sweep.worker import SharedData


class SharedInputs(WorkerPlugin):
    """The inputs every task needs (the database and the options), installed on each worker, present
    and future, by the scheduler, which keeps the one copy."""

    def __init__(self, shared: SharedData):
        self.shared = shared
