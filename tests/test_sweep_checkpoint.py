"""Two sweeps never share a checkpoint (issue 20 item 4).

The audit ran two sweeps into one ``--out``: both rewrote ``OUT.partial/manifest.json``, a
``--resume`` accepted the other's task files (148 variables differed from a clean run), and the
two finished sweeps silently replaced each other's results. Now the checkpoint directory is
locked for the sweep's life (a second sweep gets one line naming the holder), every task file
carries the sweep's fingerprint (SAM hash, scenarios, SSA with its seed, elasticities, options,
cge version), and ``--resume`` refuses a task file of another sweep.
"""

from __future__ import annotations

import json
import shutil

import pytest
from processes import cge, env, wait_for
from test_sweep import MC, _cli_files, _load, _reference, assert_same_numbers
from typer.testing import CliRunner

from cge.cli import app
from cge.sweep import CheckpointError, SSASpec, run_sweep
from cge.sweep.checkpoint import checkpoint_lock


def _one_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    return lines[0]


def test_a_second_sweep_into_the_same_out_is_refused_naming_the_holder(tmp_path, hand_sam, hand_elasticities):
    args = _cli_files(tmp_path, hand_sam, hand_elasticities)
    out, partial = tmp_path / "s.nc", tmp_path / "s.nc.partial"
    gate = tmp_path / "gate"
    gate.mkdir()
    first = cge(*args, "--scheduler", "inprocess", "--out", out, faults=True, env=env(CGE_TEST_GATE=gate))
    try:
        wait_for(lambda: list(gate.glob("started-0-*")), 300, "the first sweep running", first)
        before = sorted(p.name for p in partial.iterdir())
        result = CliRunner().invoke(app, [*args, "--scheduler", "inprocess", "--out", str(out)])
        assert result.exit_code == 1
        line = _one_line(result.output)
        assert line.startswith(f"error: {partial} is in use by another sweep (process {first.pid} on ")
        assert "fault_injection.py sweep" in line and "give this one another --out" in line
        assert sorted(p.name for p in partial.iterdir()) == before and not out.exists()
        result = CliRunner().invoke(app, [*args, "--scheduler", "inprocess", "--out", str(out), "--resume"])
        assert result.exit_code == 1 and "is in use by another sweep" in result.output
    finally:
        (gate / "open").touch()
        stdout, stderr = first.communicate(timeout=600)
    assert first.returncode == 0, stderr
    assert not partial.exists()
    assert_same_numbers(_load(out), _reference(tmp_path, args))


def _sweep_into(checkpoint, args: list[str], seed: int):
    """``run_sweep`` of the CLI files with the Monte Carlo seed ``seed``, keeping its checkpoint."""
    spec = SSASpec.from_dict({**MC, "seed": seed})
    scenario, sam, el = args[1], args[5], args[7]
    return run_sweep([scenario], spec, sam=sam, elasticities=el, scheduler="inprocess", checkpoint=checkpoint)


def test_resume_refuses_a_task_file_of_another_sweep(tmp_path, hand_sam, hand_elasticities):
    """A task file of a sweep with another seed in this sweep's checkpoint (as two sweeps writing into
    one directory left it): before, ``--resume`` took it and mixed the two sweeps' draws."""
    args = _cli_files(tmp_path, hand_sam, hand_elasticities)
    partial, other = tmp_path / "s.nc.partial", tmp_path / "other"
    _sweep_into(partial, args, MC["seed"])
    _sweep_into(other, args, MC["seed"] + 1)
    shutil.copyfile(other / "task-00003.nc", partial / "task-00003.nc")
    with pytest.raises(CheckpointError, match=r"task-00003.nc is a task file of another sweep \(fingerprint "):
        run_sweep(
            [args[1]],
            SSASpec.from_dict(MC),
            sam=args[5],
            elasticities=args[7],
            scheduler="inprocess",
            checkpoint=partial,
            resume=True,
        )
    result = CliRunner().invoke(app, [*args, "--scheduler", "inprocess", "--out", str(tmp_path / "s.nc"), "--resume"])
    assert result.exit_code == 1
    line = _one_line(result.output)
    assert f"{partial / 'task-00003.nc'} is a task file of another sweep" in line and "would mix two sweeps" in line
    assert not (tmp_path / "s.nc").exists() and len(list(partial.glob("task-*.nc"))) == MC["draws"]


def test_a_checkpoint_of_another_cge_version_is_refused(tmp_path, hand_sam, hand_elasticities, monkeypatch):
    args = _cli_files(tmp_path, hand_sam, hand_elasticities)
    partial = tmp_path / "s.nc.partial"
    _sweep_into(partial, args, MC["seed"])
    manifest = json.loads((partial / "manifest.json").read_text())
    monkeypatch.setattr("cge.sweep.runner.__version__", "99.0.0")
    result = CliRunner().invoke(app, [*args, "--scheduler", "inprocess", "--out", str(tmp_path / "s.nc"), "--resume"])
    assert result.exit_code == 1 and f"{partial} belongs to another sweep" in _one_line(result.output)
    assert json.loads((partial / "manifest.json").read_text()) == manifest


def test_the_lock_is_re_entrant_in_one_thread_and_leaves_no_empty_checkpoint(tmp_path):
    directory = tmp_path / "c.partial"
    with checkpoint_lock(directory), checkpoint_lock(directory):
        assert (directory / "lock").read_text().startswith(f"process {__import__('os').getpid()} on ")
    assert not directory.exists()  # nothing finished: nothing left
    import threading

    errors = []
    with checkpoint_lock(directory):

        def other():
            try:
                with checkpoint_lock(directory):
                    pass
            except CheckpointError as exc:
                errors.append(str(exc))

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert len(errors) == 1 and "in use by another sweep of this process" in errors[0]
