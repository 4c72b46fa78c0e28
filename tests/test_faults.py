"""Faults: signals in the middle of a write, concurrent writers, a full disk, a file-size limit.

Each test runs the real ``cge`` command in a subprocess (``tests/processes.py``); the write is
paused half-way by ``tests/fault_injection.py`` so that the signal lands mid-write. The previous
output must survive intact and no temporary file may be left behind.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import xarray as xr
from processes import cge, env, wait_for

from cge.sam import save_sam

TARIFF = '[[tariffs]]\nimporter = "A"\nexporter = "B"\ncommodity = "man"\nrate_pct = {rate}\n'


@pytest.fixture
def work(tmp_path, hand_sam, hand_elasticities) -> Path:
    """SAM, elasticities, two scenarios and a previous results file ``out/r.nc``."""
    save_sam(hand_sam, tmp_path / "sam")
    hand_elasticities.to_csv(tmp_path / "el.csv")
    for rate in (30, 60):
        (tmp_path / f"t{rate}.toml").write_text(TARIFF.format(rate=rate))
    (tmp_path / "out").mkdir()
    proc = cge(*_run_args(tmp_path, "t30.toml", tmp_path / "out" / "r.nc"))
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return tmp_path


def _run_args(d: Path, scenario: str, out: Path) -> list:
    return ["run", d / scenario, "--sam", d / "sam", "--elasticities", d / "el.csv", "--out", out]


def _temps(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def _scenarios(path: Path) -> list[str]:
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return [str(s) for s in ds.scenario.values]


def _interrupted_write(d: Path, sig: int, **variables) -> subprocess.CompletedProcess:
    """``cge run t60`` into ``out/r.nc``, signalled while half of the new file is written."""
    marker = d / "marker"
    proc = cge(
        *_run_args(d, "t60.toml", d / "out" / "r.nc"),
        faults=True,
        env=env(CGE_TEST_PAUSE_WRITE="r.nc", CGE_TEST_MARKER=marker, **variables),
    )
    wait_for(marker.exists, 300, "the paused write", proc)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize(
    ("sig", "status", "message"),
    [
        (signal.SIGKILL, -signal.SIGKILL, None),
        (signal.SIGINT, 130, "error: interrupted (Ctrl-C); nothing was written"),
        (signal.SIGTERM, 143, "error: terminated (SIGTERM); nothing was written"),
    ],
    ids=["SIGKILL", "SIGINT", "SIGTERM"],
)
def test_signal_during_the_write_keeps_the_previous_file_and_leaves_no_temp(work, sig, status, message):
    """Audit defect 9: SIGKILL/SIGTERM during the write left an orphan ``.r.nc.*.tmp``."""
    before = (work / "out" / "r.nc").read_bytes()
    done = _interrupted_write(work, sig)
    assert done.returncode == status, done.stderr
    if message is not None:
        assert done.stderr.rstrip("\n").split("\n") == [message]
    assert (work / "out" / "r.nc").read_bytes() == before
    assert _scenarios(work / "out" / "r.nc") == ["baseline", "t30"]
    assert _temps(work / "out") == []


@pytest.mark.slow
def test_sigkill_with_named_temporary_files_is_cleaned_by_the_next_write(work):
    """Without ``O_TMPFILE`` (other systems) a SIGKILL leaves a named temporary file of a dead
    process; the next write to the same file removes it."""
    before = (work / "out" / "r.nc").read_bytes()
    done = _interrupted_write(work, signal.SIGKILL, CGE_TEST_NO_TMPFILE="1")
    assert done.returncode == -signal.SIGKILL
    assert (work / "out" / "r.nc").read_bytes() == before
    [orphan] = _temps(work / "out")
    assert orphan.startswith(".r.nc.")
    proc = cge(*_run_args(work, "t60.toml", work / "out" / "r.nc"), env=env(CGE_TEST_NO_TMPFILE="1"))
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert _temps(work / "out") == [] and _scenarios(work / "out" / "r.nc") == ["baseline", "t60"]


@pytest.mark.slow
def test_two_concurrent_runs_into_one_file_end_with_one_complete_file(work):
    first = cge(*_run_args(work, "t30.toml", work / "out" / "both.nc"))
    second = cge(*_run_args(work, "t60.toml", work / "out" / "both.nc"))
    for proc in (first, second):
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    assert _scenarios(work / "out" / "both.nc") in (["baseline", "t30"], ["baseline", "t60"])
    with xr.open_dataset(work / "out" / "both.nc", engine="h5netcdf") as ds:
        assert float(ds["max_residual"].max()) < 1e-9  # complete and readable
    assert _temps(work / "out") == []


def _one_error_line(stderr: str) -> str:
    lines = stderr.rstrip("\n").split("\n")  # exactly one line: no blank line from a progress bar either
    assert len(lines) == 1, stderr
    return lines[0]


def test_file_size_limit_gives_one_line_and_keeps_the_previous_file(work):
    """RLIMIT_FSIZE: the write fails with EFBIG (SIGXFSZ is ignored), as a full disk does."""
    before = (work / "out" / "r.nc").read_bytes()
    limit = len(before) // 4

    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = cge(*_run_args(work, "t60.toml", work / "out" / "r.nc"), preexec_fn=limited)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err
    line = _one_error_line(err)
    assert line.startswith(f"error: cannot write {work / 'out' / 'r.nc'}: file too large")
    assert "kB to write); the previous file is kept" in line
    assert (work / "out" / "r.nc").read_bytes() == before and _temps(work / "out") == []


def _private_tmpfs_shell() -> list[str] | None:
    """A command prefix that runs a shell in a private mount namespace where tmpfs can be mounted."""
    if shutil.which("unshare") is None or sys.platform != "linux":
        return None
    for prefix in (["unshare", "--mount"], ["unshare", "--user", "--map-root-user", "--mount"]):
        probe = subprocess.run([*prefix, "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"], capture_output=True)
        if probe.returncode == 0:
            return [*prefix, "sh", "-c"]
    return None


@pytest.mark.slow
def test_full_disk_gives_one_line_not_a_crash(work):
    """Audit defect 3: on a full 32 kB tmpfs ``cge run --out`` ended with a segfault (exit 139),
    HDF5 failing while it closed the file. A real small tmpfs, mounted in a private mount
    namespace: the previous file is written, the rest of the device filled, then a second run."""
    shell = _private_tmpfs_shell()
    if shell is None:
        pytest.skip("cannot mount a tmpfs here (needs unshare and mount rights); the file-size test covers EFBIG")
    disk = work / "disk"
    disk.mkdir()
    cge_bin = Path(sys.executable).parent / "cge"
    common = f"--sam {work / 'sam'} --elasticities {work / 'el.csv'} --out {disk / 'r.nc'}"
    script = f"""
        mount -t tmpfs -o size=512k tmpfs {disk} || exit 90
        {cge_bin} run {work / "t30.toml"} {common} > /dev/null 2>&1 || exit 91
        cp {disk / "r.nc"} {work / "before.nc"}
        dd if=/dev/zero of={disk / "fill"} bs=1024 > /dev/null 2>&1
        {cge_bin} run {work / "t60.toml"} {common} > /dev/null 2> {work / "stderr.txt"}
        echo $? > {work / "status.txt"}
        cmp -s {disk / "r.nc"} {work / "before.nc"} && echo same > {work / "kept.txt"}
        ls -a {disk} > {work / "listing.txt"}
    """
    done = subprocess.run([*shell, script], capture_output=True, text=True, env=env(), timeout=600)
    assert done.returncode == 0, done.stderr
    assert (work / "status.txt").read_text().strip() == "1"  # not 139
    line = _one_error_line((work / "stderr.txt").read_text())
    assert line.startswith(f"error: cannot write {disk / 'r.nc'}: no space left on device (")
    assert line.endswith("kB to write); the previous file is kept")
    assert (work / "kept.txt").read_text().strip() == "same"
    assert sorted((work / "listing.txt").read_text().split()) == [".", "..", "fill", "r.nc"]


def test_unwritable_output_directory_is_reported_before_solving(work):
    """A read-only location (here: a path under a file) is one line, before any solve."""
    proc = cge(*_run_args(work, "t60.toml", work / "t30.toml" / "r.nc"))
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1
    assert f"{work / 't30.toml'} is a file, not a directory" in _one_error_line(err)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_directory_is_reported_before_solving(work):
    ro = work / "ro"
    ro.mkdir(mode=0o500)
    proc = cge(*_run_args(work, "t60.toml", ro / "r.nc"))
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1 and "cannot write" in _one_error_line(err)
