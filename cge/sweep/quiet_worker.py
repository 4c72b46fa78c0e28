"""Dask preload for the worker processes of a sweep's LocalCluster: their stderr goes nowhere.

A worker process inherits the user's terminal. Whatever it prints there (a library's warning on a
loaded machine, a log line before Dask silences its loggers, NumPy's warnings) would come before
or after the sweep's one ``error:`` line. Everything a worker has to say reaches the user through
the client instead: a failed solve as the task's outcome, a lost worker as its retry or error.
With ``--verbose`` the cluster starts without this preload and workers print as they like.
"""

from __future__ import annotations

import os


def dask_setup(worker) -> None:  # noqa: ARG001  (Dask's preload hook)
    """Point file descriptor 2 of this worker process at ``/dev/null``."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
    finally:
        os.close(devnull)
