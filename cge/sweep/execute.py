"""Running sweep tasks on a Dask cluster so that a lost worker costs only its running task.

* The shared inputs (the database and the options) travel as a worker plugin: the scheduler keeps
  one copy and installs it on every worker, including workers that join later, so a task finds
  them wherever it runs. (Scattered data were lost with the workers holding them, cancelling
  every task that needed them; a task holding them as a dependency pinned every task to the
  worker that computed it.)
* A task lost with its worker is rescheduled by Dask; a task whose future is cancelled or whose
  workers kept dying (``KilledWorker``) is resubmitted up to ``retries`` times, then recorded as
  a failed draw.
* Each outcome is handed to ``on_outcome`` as soon as it arrives (the checkpoint writes it).
* When no worker is connected for ``worker_timeout`` seconds, or the scheduler is gone, or the
  user interrupts, :class:`SweepIncompleteError` says how many tasks finished and where they are.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from cge.sweep.worker import Outcome, SharedData, Task, run_task

log = logging.getLogger(__name__)

LOCAL = "local"
INPROCESS = "inprocess"
WORKERS_PER_CORE = 4
"""A LocalCluster has at most this many worker processes per core (each loads the model)."""
LOOPBACK = "127.0.0.1:0"
"""Where a LocalCluster's HTTP pages listen: this machine only, any free port."""
QUIET_WORKER = "cge.sweep.quiet_worker"
"""Dask preload module that points a worker process's stderr at /dev/null (:mod:`cge.sweep.quiet_worker`)."""
POLL_SECONDS = 1.0
"""How often the scheduler is asked for its workers while waiting [s]."""
DONE = ("finished", "error", "cancelled")
"""Future states that are final; any other state of a future given back as completed means its
result was lost with its worker and is being computed again."""


class SweepError(RuntimeError):
    """Every draw failed, or some scenarios failed where failures are not allowed."""


class SweepIncompleteError(SweepError):
    """The sweep stopped before every task finished; the message says how many did and where they are.

    Attributes
    ----------
    finished : int
        Tasks finished (including those of a resumed checkpoint) [count].
    total : int
        Tasks of the sweep [count].
    """

    def __init__(self, message: str, finished: int, total: int):
        super().__init__(message)
        self.finished = finished
        self.total = total


@contextmanager
def dask_client(scheduler=None, n_workers: int = 2) -> Iterator:
    """A ``distributed.Client`` for the sweep; closes what it opened.

    Parameters
    ----------
    scheduler : None, str or distributed.Client
        None or ``"local"``: a new ``LocalCluster(n_workers, threads_per_worker=1,
        processes=True)``; ``"inprocess"``: one single-threaded worker in this process (no
        parallelism; for tests and debugging); an address such as ``"tcp://host:8786"``: connect
        to that scheduler; a ``Client``: use it as is (not closed).
    n_workers : int
        Worker processes of a new LocalCluster [count].

    Raises
    ------
    ValueError
        For ``n_workers < 1``.
    SweepError
        When the scheduler at the address cannot be reached (one line with the address).
    """
    from distributed import Client, LocalCluster

    if isinstance(scheduler, Client):
        yield scheduler
        return
    if scheduler in (None, LOCAL, INPROCESS):
        if n_workers < 1:
            raise ValueError(f"--workers {n_workers}: a sweep needs at least one worker process")
        if n_workers > max_workers():
            raise ValueError(
                f"--workers {n_workers}: at most {max_workers()} worker processes ({WORKERS_PER_CORE} per core of "
                f"this machine's {os.cpu_count() or 1}); for more, start a cluster and pass --scheduler"
            )
        inprocess = scheduler == INPROCESS
        with _children_ignore_sigint():
            cluster = LocalCluster(
                n_workers=1 if inprocess else n_workers,
                threads_per_worker=1,
                processes=not inprocess,
                host=None if inprocess else "127.0.0.1",  # loopback only (in process: no sockets at all)
                # Dask's HTTP pages (dashboard, /info) list the workers: loopback only, any free port
                dashboard_address=LOOPBACK,
                worker_dashboard_address=LOOPBACK,
                silence_logs=logging.ERROR,  # a cancelled task at Ctrl-C is not worth a warning
                # workers' stderr is the user's terminal: silent unless logging is verbose
                preload=[] if inprocess or logging.getLogger().getEffectiveLevel() <= logging.INFO else [QUIET_WORKER],
            )
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = Client(str(scheduler), timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SweepError(f"cannot reach the Dask scheduler at {scheduler}: {reason}") from exc
    with client:
        yield client


@contextmanager
def _children_ignore_sigint() -> Iterator[None]:
    """Start worker processes with SIGINT ignored (an ignored signal stays ignored across exec).

    Ctrl-C in a terminal reaches the whole process group; only this process should handle it (it
    saves what finished and closes the cluster), not every worker with its own traceback.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _run_with_shared(task: Task, plugin: str) -> Outcome:
    """Run ``task`` with the shared inputs of the worker plugin named ``plugin`` (on a worker)."""
    from distributed import get_worker

    worker = get_worker()
    if plugin not in worker.plugins:
        raise RuntimeError(f"Dask worker {worker.address} has no {plugin} plugin (the sweep's shared inputs)")
    inputs: Any = worker.plugins[plugin]  # our SharedInputs
    # a worker process prints to the user's terminal: NumPy's warnings of an overflowing trial step
    # are not worth a line there (every solve is accepted on its residuals; failures are reported)
    with np.errstate(all="ignore"):
        return run_task(task, inputs.shared)


def max_workers() -> int:
    """Most worker processes of a new LocalCluster: :data:`WORKERS_PER_CORE` per core [count]."""
    return WORKERS_PER_CORE * (os.cpu_count() or 1)


def _n_workers(client) -> int:
    return len(client.nthreads())


def execute_tasks(
    client,
    tasks: list[Task],
    shared: SharedData,
    on_outcome: Callable[[Outcome], None],
    retries: int = 2,
    worker_timeout: float = 300.0,
    key: str = "",
) -> None:
    """Run ``tasks``; call ``on_outcome`` with each outcome as it arrives.

    Parameters
    ----------
    client : distributed.Client
    tasks : list of Task
        Tasks still to run (a resumed sweep passes only the unfinished ones).
    shared : SharedData
        The database and the options, used by every task.
    on_outcome : callable
        Receives each :class:`Outcome` (writes the checkpoint, counts progress).
    retries : int
        Resubmissions of a task whose future was cancelled or whose workers died
        (``KilledWorker``) before it is recorded as failed [count].
    worker_timeout : float
        Give up when no worker has been connected for this long [s].
    key : str
        The sweep's fingerprint, the start of its Dask keys and plugin name; a random token follows,
        so two runs on one cluster never share a key or a plugin (even of the same sweep).

    Raises
    ------
    ScenarioError
        Re-raised from a worker (a bad scenario fails for every draw).
    SweepIncompleteError
        When the scheduler is lost or no worker joins within ``worker_timeout``.
    """
    from distributed import as_completed
    from distributed.client import FutureCancelledError
    from distributed.scheduler import KilledWorker

    from cge.sweep.plugin import SharedInputs

    prefix = f"cge-{key[:12] or os.getpid()}-{uuid.uuid4().hex[:8]}"  # this run's own keys and plugin
    plugin = f"{prefix}-shared"
    client.register_plugin(SharedInputs(shared), name=plugin)
    attempts: dict[int, int] = {}

    def submit(task: Task):
        attempt = attempts.get(task.draw, 0)
        return client.submit(_run_with_shared, task, plugin, key=f"{prefix}-task-{task.draw}-{attempt}", pure=False)

    futures = {submit(t): t for t in tasks}
    pending = as_completed(list(futures), with_results=False)
    last_seen, last_check = time.monotonic(), 0.0
    try:
        while not pending.is_empty():
            batch = pending.next_batch(block=False)
            if not batch:
                time.sleep(POLL_SECONDS / 20)
                now = time.monotonic()
                if now - last_check >= POLL_SECONDS:
                    last_check = now
                    if _n_workers(client) > 0:
                        last_seen = now
                    elif now - last_seen > worker_timeout:
                        raise TimeoutError(f"no Dask worker connected for {worker_timeout:.0f} s")
                continue
            for future in batch:
                task = futures[future]
                if future.status not in DONE:
                    # its result was lost with a worker after it finished ("lost"), and Dask is
                    # computing it again ("pending", "processing"): wait for it again
                    log.info("draw %d: result lost with its worker (%s); Dask recomputes it", task.draw, future.status)
                    pending.add(future)
                    continue
                del futures[future]
                if future.status == "finished":
                    on_outcome(future.result())
                    continue
                exc = future.exception() if future.status == "error" else None
                if future.status == "cancelled" or isinstance(exc, (KilledWorker, FutureCancelledError)):
                    attempts[task.draw] = attempts.get(task.draw, 0) + 1
                    reason = "its future was cancelled" if exc is None else type(exc).__name__
                    if attempts[task.draw] <= retries:
                        log.warning(
                            "draw %d lost (%s): resubmitting (attempt %d)", task.draw, reason, attempts[task.draw]
                        )
                        new = submit(task)
                        futures[new] = task
                        pending.add(new)
                        continue
                    line = f"WorkerLost: the workers running this draw died {attempts[task.draw]} times ({reason})"
                    on_outcome(Outcome(draw=task.draw, errors={s.name: line for s in task.scenarios}))
                    continue
                if exc is None:  # not reached: every other final state is handled above
                    raise RuntimeError(f"draw {task.draw}: its Dask future ended as {future.status!r}")
                raise exc
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        try:
            client.unregister_worker_plugin(plugin)
        except Exception:  # the scheduler may be gone: nothing left to clean
            log.debug("could not unregister %s", plugin, exc_info=True)
