"""A Dask cluster started outside the test process, as a user would: ``dask scheduler`` and
``dask worker`` command-line processes on this machine (shared by the sweep tests and the
throughput benchmark).

    with external_cluster(n_workers=2) as cluster:
        run_many(..., scheduler=cluster.address)
        cluster.workers[0]  # the worker's subprocess.Popen (e.g. to kill it)
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

DASK = str(Path(sys.executable).with_name("dask"))
"""The ``dask`` command of this Python environment."""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ExternalCluster:
    """A running scheduler and its workers.

    Attributes
    ----------
    address : str
        Scheduler address (``tcp://127.0.0.1:<port>``).
    scheduler : subprocess.Popen
    workers : list of subprocess.Popen
    log_dir : Path
        Directory with one log file per process.
    """

    address: str
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen] = field(default_factory=list)
    log_dir: Path = Path(".")

    def logs(self) -> str:
        """Every process's output (for assertion messages)."""
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(self.log_dir.glob("*.log"))
        )

    def add_worker(
        self, nthreads: int = 1, nanny: bool = True, preload: str | Path | None = None, **variables: str
    ) -> subprocess.Popen:
        """Start one more ``dask worker`` process for this scheduler.

        ``nanny=False`` runs the worker in the process itself (so that SIGKILL kills the worker, not
        a nanny that would restart it); ``preload`` is a module the worker imports first (e.g.
        ``tests/fault_injection.py``) and ``variables`` extra environment variables.
        """
        name = f"worker{len(self.workers)}"
        log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115  (closed with the process)
        options = ["--nworkers", "1"] if nanny else ["--no-nanny"]
        options += ["--preload", str(preload)] if preload is not None else []
        proc = subprocess.Popen(
            [
                DASK,
                "worker",
                self.address,
                "--nthreads",
                str(nthreads),
                *options,
                "--name",
                name,
                "--no-dashboard",
                "--memory-limit",
                "0",
                "--local-directory",
                str(self.log_dir / name),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**_environment(), **variables},
        )
        self.workers.append(proc)
        return proc


def _environment() -> dict:
    env = dict(os.environ)
    env.setdefault("DASK_DISTRIBUTED__WORKER__DAEMON", "False")
    return env


def _stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


@contextmanager
def external_cluster(n_workers: int = 1, nthreads: int = 1, timeout: float = 120.0) -> Iterator[ExternalCluster]:
    """Start ``dask scheduler`` and ``n_workers`` ``dask worker`` processes; stop them on exit.

    Waits until every worker has registered with the scheduler (raises ``TimeoutError`` with the
    processes' logs otherwise).
    """
    from distributed import Client

    log_dir = Path(tempfile.mkdtemp(prefix="cge-dask-"))
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler_log = open(log_dir / "scheduler.log", "wb")  # noqa: SIM115  (closed below)
    scheduler = subprocess.Popen(
        [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        stdout=scheduler_log,
        stderr=subprocess.STDOUT,
        env=_environment(),
    )
    cluster = ExternalCluster(address=address, scheduler=scheduler, log_dir=log_dir)
    try:
        for _ in range(n_workers):
            cluster.add_worker(nthreads)
        deadline = time.monotonic() + timeout
        try:
            with Client(address, timeout=timeout) as client:
                if n_workers:  # n_workers=0: the test adds its own workers
                    client.wait_for_workers(n_workers, timeout=max(1.0, deadline - time.monotonic()))
        except (OSError, TimeoutError) as exc:
            raise RuntimeError(f"the external Dask cluster did not start: {exc}\n{cluster.logs()}") from exc
        yield cluster
    finally:
        for proc in cluster.workers:
            _stop(proc)
        _stop(scheduler)
        scheduler_log.close()
        shutil.rmtree(log_dir, ignore_errors=True)  # logs reach a failing test through cluster.logs()
