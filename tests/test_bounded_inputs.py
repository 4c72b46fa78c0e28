"""Hangs become one line (issue 20 item 8): only regular files are read as inputs, sizes are
bounded, and running out of memory names what was being done instead of spinning for ever.

The FIFO and memory-limit cases start the real ``cge`` command in a subprocess: before the fixes
they blocked or spun, so a hang guard (``communicate(timeout=...)``) ends them; the assertions are
on the exit status and the one line, never on a duration.
"""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path

import pytest
from processes import cge, finish
from typer.testing import CliRunner

from cge.cli import app
from cge.sam import save_sam
from cge.sweep import SSAError, SSASpec

DOCS = Path(__file__).resolve().parents[1] / "docs" / "bad_inputs.md"
TARIFF = '[[tariffs]]\nimporter = "A"\nexporter = "B"\ncommodity = "man"\nrate_pct = 30\n'
SSA = 'method = "monte_carlo"\ndraws = {draws}\n[[parameter]]\nname = "sigma_d"\ndistribution = "uniform"\n'
SSA += "low_pct = -50\nhigh_pct = 50\n"


@pytest.fixture
def work(tmp_path, hand_sam, hand_elasticities) -> Path:
    save_sam(hand_sam, tmp_path / "sam")
    hand_elasticities.to_csv(tmp_path / "el.csv")
    (tmp_path / "t.toml").write_text(TARIFF)
    (tmp_path / "ssa.toml").write_text(SSA.format(draws=4))
    os.mkfifo(tmp_path / "fifo")
    return tmp_path


def _one_line(stderr: str) -> str:
    lines = stderr.rstrip("\n").split("\n")
    assert len(lines) == 1, stderr
    return lines[0]


def _cli(d: Path, *args: str, preexec_fn=None) -> tuple[int, str]:
    """Run ``cge ARGS`` (``{d}`` = the work directory) with a hang guard; (exit status, stderr)."""
    status, _, stderr = finish(cge(*(a.format(d=d) for a in args), preexec_fn=preexec_fn))
    return status, stderr


COMMON = ("--sam", "{d}/sam", "--elasticities", "{d}/el.csv", "--out", "{d}/out.nc")
NOT_REGULAR = [
    ("scenario_fifo", ("run", "{d}/fifo", *COMMON), "{d}/fifo: a FIFO (named pipe), not a regular file"),
    (
        "elasticities_fifo",
        ("run", "{d}/t.toml", "--sam", "{d}/sam", "--elasticities", "{d}/fifo", "--out", "{d}/out.nc"),
        "{d}/fifo: a FIFO (named pipe), not a regular file: the elasticity table must be a regular file",
    ),
    (
        "ssa_fifo",
        ("sweep", "{d}/t.toml", "--ssa", "{d}/fifo", "--scheduler", "inprocess", *COMMON),
        "{d}/fifo: a FIFO (named pipe), not a regular file: the SSA file must be a regular file",
    ),
    ("results_fifo", ("table", "{d}/fifo"), "{d}/fifo: a FIFO (named pipe), not a regular file"),
    (
        "sam_character_device",
        ("run", "{d}/t.toml", "--sam", "/dev/zero", "--elasticities", "{d}/el.csv", "--out", "{d}/out.nc"),
        "/dev/zero: a character device, not a regular file: the SAM file must be a regular file",
    ),
]


@pytest.mark.parametrize(
    ("name", "args", "needle"),
    [pytest.param(*case, marks=[pytest.mark.slow] if case[0] != "scenario_fifo" else []) for case in NOT_REGULAR],
    ids=[c[0] for c in NOT_REGULAR],
)
def test_only_regular_files_are_read_as_inputs(work, name, args, needle):
    """A FIFO with no writer blocked ``cge run`` for ever (the audit's hang)."""
    status, stderr = _cli(work, *args)
    assert status == 1, stderr
    assert needle.format(d=work) in _one_line(stderr)
    assert not (work / "out.nc").exists()


def test_ssa_draws_are_bounded(tmp_path):
    """``draws = 100000000`` was accepted and ran for ever."""
    (tmp_path / "big.toml").write_text(SSA.format(draws=100_000_000))
    with pytest.raises(SSAError, match=r"field 'draws': Input should be less than or equal to 10000 \(got 100000000\)"):
        SSASpec.from_toml(tmp_path / "big.toml")
    assert SSASpec.from_dict({"method": "monte_carlo", "draws": 10_000, "parameter": []} | _one_parameter()).draws


def _one_parameter() -> dict:
    return {"parameter": [{"name": "sigma_d", "distribution": "uniform", "low_pct": -50, "high_pct": 50}]}


def test_local_cluster_workers_are_bounded(work, monkeypatch):
    """``--workers 1000`` started a thousand worker processes."""

    def no_cluster(*args, **kwargs):
        raise AssertionError("a LocalCluster was started")

    monkeypatch.setattr("distributed.LocalCluster", no_cluster)
    workers = 4 * (os.cpu_count() or 1) + 1
    result = CliRunner().invoke(
        app, ["sweep", str(work / "t.toml"), "--workers", str(workers), *(a.format(d=work) for a in COMMON)]
    )
    assert result.exit_code == 1
    line = _one_line(result.output.strip())
    assert f"--workers {workers}: at most {workers - 1} worker processes (4 per core" in line


def _address_space(mib: int):
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mib * 2**20, mib * 2**20))

    return limit


@pytest.mark.skipif(sys.platform != "linux", reason="address-space limits as on Linux")
def test_a_small_address_space_limit_is_one_line_not_a_spin(work):
    """Under ``ulimit -v 400000`` ``cge run`` spun at 100 % CPU in OpenBLAS's allocation retry loop
    (``blas_memory_alloc``, reached when scipy.linalg started its threads)."""
    status, stderr = _cli(work, "run", "{d}/t.toml", *COMMON, preexec_fn=_address_space(390))
    assert status == 1, stderr
    line = _one_line(stderr)
    assert "the address-space limit (ulimit -v) is 390 MiB; cge needs at least 512 MiB" in line
    assert not (work / "out.nc").exists()


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="address-space limits as on Linux")
def test_a_sweep_under_a_small_address_space_limit_is_one_line(work):
    """Under ``ulimit -v 560000`` Dask's own allocations failed in its event loop and the sweep waited
    for workers that never came."""
    args = ("sweep", "{d}/t.toml", "--ssa", "{d}/ssa.toml", *COMMON)
    status, stderr = _cli(work, *args, preexec_fn=_address_space(560))
    assert status == 1, stderr
    assert "is 560 MiB; cge needs at least 1,100 MiB for a sweep" in _one_line(stderr)
    assert not (work / "out.nc").exists() and not (work / "out.nc.partial").exists()


@pytest.mark.parametrize(
    "failure",
    [MemoryError(), RuntimeError('Exception of type: std::bad_alloc in file "IpIpoptApplication.cpp"')],
    ids=["MemoryError", "cpp_bad_alloc"],
)
def test_out_of_memory_names_what_was_being_done(work, monkeypatch, failure):
    """A failed allocation while compiling was ``internal error MemoryError`` or the extension's own
    first line (a C++ ``std::bad_alloc`` as ``RuntimeError``), naming neither the stage nor the cause."""
    from cge.gtap import scenario_runner

    def out_of_memory(*args, **kwargs):
        raise failure

    monkeypatch.setattr(scenario_runner, "prepare", out_of_memory)
    result = CliRunner().invoke(app, ["run", str(work / "t.toml"), *(a.format(d=work) for a in COMMON)])
    assert result.exit_code == 1
    line = _one_line(result.output.strip())
    assert line.startswith("error: out of memory while compiling the model (")
    assert "no address-space limit" in line and "free memory, raise the limit, or use a smaller SAM" in line
    assert not (work / "out.nc").exists()


def test_docs_list_these_classes():
    """docs/bad_inputs.md lists every test of this module (and of the other issue 20 classes)."""
    text = DOCS.read_text()
    section = text[text.index("## Hangs, limits and sweeps that mix (issue 20)") :]
    tests = [name for name in globals() if name.startswith("test_") and name != "test_docs_list_these_classes"]
    tests += ["test_a_second_sweep_into_the_same_out_is_refused_naming_the_holder"]
    tests += ["test_resume_refuses_a_task_file_of_another_sweep", "test_a_local_cluster_listens_on_loopback_only"]
    tests += ["test_a_local_cluster_sweep_survives_a_killed_worker"]
    for name in tests:
        assert f"`{name}`" in section, name
    for case, _, _ in NOT_REGULAR:
        assert f"`{case}`" in section, case
