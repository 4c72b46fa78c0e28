"""Losing a Dask worker never stops a sweep (issue 20 item 7).

A worker is SIGKILLed at several moments of a real ``cge sweep``: while the first draw runs,
after a draw finished but before the client collected its result (the result is lost with the
worker: the sweep stopped with ``error: exceptions must derive from BaseException``), in the
middle of the sweep and while the last draw runs; on a LocalCluster (the nanny starts a new
worker) and on an external ``dask scheduler`` + ``dask worker`` (a replacement worker joins).
The sweep finishes by itself with the numbers of an undisturbed run, bit for bit.

Nothing here waits on a clock: ``tests/fault_injection.py`` holds each draw at a gate until the
test opens it and leaves marker files (which draw started or finished, in which process), so
every kill lands exactly at its moment, whatever the machine's load.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest
from processes import FAULTS, cge, env, wait_for
from test_sweep import MC, _cli_files, _load, _reference, assert_same_numbers

DRAWS = MC["draws"]


@pytest.fixture(scope="module")
def sweep_inputs(tmp_path_factory) -> tuple[list[str], object]:
    """The sweep's input files (6 Monte Carlo draws of the hand SAM) and its undisturbed result."""
    from conftest import hand_elasticity_table

    from cge.examples import two_region_sam

    d = tmp_path_factory.mktemp("inputs")
    args = _cli_files(d, two_region_sam(), hand_elasticity_table())
    return args, _reference(d, args)


def _markers(gate: Path, kind: str, draw: int | None = None) -> list[tuple[int, int]]:
    """(draw, pid) of the ``kind`` markers (``started``, ``done``) in the gate directory."""
    found = [tuple(map(int, p.name.split("-")[1:3])) for p in gate.glob(f"{kind}-*")]
    return sorted(m for m in found if draw is None or m[0] == draw)


def _kill_at(moment: str, gate: Path, partial: Path, sweep) -> tuple[int, int]:
    """Open the gate up to ``moment``, wait until it is reached; returns (draw, pid of its worker)."""

    def finished() -> int:
        return len(list(partial.glob("task-*.nc")))

    def held(first_closed: int) -> list[tuple[int, int]]:
        return [m for m in _markers(gate, "started") if m[0] >= first_closed]

    if moment == "result_not_collected":
        # the client holds in saving draw 0; draw 1 finishes meanwhile and its result waits on its worker
        (gate / "open-0").touch()
        wait_for((gate / "saving-0").exists, 300, "the client saving draw 0", sweep)
        (gate / "open-1").touch()
        wait_for((gate / "finished-1").exists, 300, "draw 1 finished on its worker", sweep)
        [(draw, pid)] = _markers(gate, "done", 1)
        return draw, pid
    free = {"first_draw_running": 0, "mid_sweep": DRAWS // 2, "last_draw_running": DRAWS - 1}[moment]
    for draw in range(free):
        (gate / f"open-{draw}").touch()
    wait_for(lambda: finished() == free and held(free), 300, f"{free} finished draws and one held", sweep)
    return held(free)[0]


def _run_and_kill(moment: str, tmp_path: Path, args: list[str], scheduler: list[str], on_kill=None) -> tuple:
    gate = tmp_path / "gate"
    gate.mkdir(exist_ok=True)
    out, partial = tmp_path / "s.nc", tmp_path / "s.nc.partial"
    variables = env(CGE_TEST_GATE=gate, CGE_TEST_HOLD_SAVE="0" if moment == "result_not_collected" else "")
    sweep = cge(*args, *scheduler, "--out", out, faults=True, env=variables)
    try:
        draw, pid = _kill_at(moment, gate, partial, sweep)
        os.kill(pid, signal.SIGKILL)
        if on_kill is not None:
            on_kill()
        (gate / "open-save").touch()
        (gate / "open").touch()
        stdout, stderr = sweep.communicate(timeout=600)
    finally:
        if sweep.poll() is None:
            sweep.kill()
            sweep.communicate()
    return sweep.returncode, stderr, draw, pid, gate, out, partial


MOMENTS = [
    pytest.param("first_draw_running", marks=pytest.mark.slow),
    "result_not_collected",  # the moment that stopped the sweep before the fix: in the quick set
    pytest.param("mid_sweep", marks=pytest.mark.slow),
    pytest.param("last_draw_running", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_local_cluster_sweep_survives_a_killed_worker(tmp_path, sweep_inputs, moment):
    args, reference = sweep_inputs
    status, stderr, draw, pid, gate, out, partial = _run_and_kill(moment, tmp_path, args, ["--workers", "2"])
    assert status == 0, stderr
    assert not any(line.startswith("error:") for line in stderr.splitlines()), stderr  # Dask may log a lost heartbeat
    # the lost draw ran again in another process (the nanny's new worker or the other worker)
    kind = "done" if moment == "result_not_collected" else "started"
    assert [p for d, p in _markers(gate, kind, draw) if p != pid], _markers(gate, kind)
    assert not partial.exists()
    assert_same_numbers(_load(out), reference)


@pytest.mark.slow  # a scheduler and two worker processes: the local case above is the quick one
@pytest.mark.skipif(not (Path(sys.executable).parent / "dask").exists(), reason="needs the dask command")
@pytest.mark.parametrize("moment", MOMENTS)
def test_an_external_cluster_sweep_survives_its_only_worker_killed(tmp_path, sweep_inputs, moment):
    """``dask scheduler`` and one ``dask worker`` without a nanny: the worker is SIGKILLed and a new
    one joins later; the sweep waits for it and finishes."""
    from dask_processes import external_cluster

    args, reference = sweep_inputs
    gate = tmp_path / "gate"
    gate.mkdir()
    with external_cluster(n_workers=0) as cluster:
        first = cluster.add_worker(nanny=False, preload=FAULTS, CGE_TEST_GATE=str(gate))

        def replace():
            first.wait(30)
            cluster.add_worker(nanny=False, preload=FAULTS, CGE_TEST_GATE=str(gate))

        status, stderr, draw, pid, gate, out, partial = _run_and_kill(
            moment, tmp_path, args, ["--scheduler", cluster.address], on_kill=replace
        )
        assert status == 0, stderr + cluster.logs()
    assert pid == first.pid and not any(line.startswith("error:") for line in stderr.splitlines()), stderr
    kind = "done" if moment == "result_not_collected" else "started"
    assert [p for d, p in _markers(gate, kind, draw) if p != pid], _markers(gate, kind)
    assert not partial.exists()
    assert_same_numbers(_load(out), reference)
