"""Speed and memory of the GTAP v7 model from process start: ``cge gtap run`` on synthetic databases
of growing size, the licensed GTAP 10x7 (optional) and the Eaton–Kortum-shaped stress case.

    python benchmarks/gtap_speed.py [--sizes 3x4,10x7,20x41,30x40,40x50,60x65] [--repeats 3]
        [--fixtures DIR] [--no-stress] [--profile] [--out benchmarks/results_gtap_speed.json]
    python benchmarks/gtap_speed.py --table benchmarks/results_gtap_speed.json

Sizes are regions x commodities (activities = commodities, 5 endowments, 2 margin commodities:
:func:`cge.gtap.synthetic_database`). Each case's database is written to a temporary directory
first (untimed); then, in fresh processes, ``--repeats`` times each:

1. what a user runs, ``cge gtap run DIR --shock tm=10 --out R.nc`` (the stress case: ``--cmf``
   with its ``tms`` shock in a HAR file), from process start to exit: wall seconds, CPU seconds
   (user + system, from ``wait4``) and peak resident memory (``ru_maxrss``);
2. the same work in one process (this file with ``--child``), phase by phase: interpreter start,
   imports, load, coefficients, build (trace of the equations), tape compile, the path solve
   (Newton at the Chebyshev nodes: iterations, LU factorisations with their seconds and fill,
   GMRES iterations, residual and Jacobian evaluations), path integration and welfare, assemble,
   write; the resident memory at the end of each phase; unknowns, Jacobian nonzeros, tape size.
   The solver is not edited: its functions are wrapped in this process only.

A watchdog polls each child's resident memory and stops it (reported as "does not fit") above
``--mem-limit-gb`` or when the machine's available memory falls below ``--min-available-gb``;
RLIMIT_AS is set to twice the limit as a backstop. Larger cases than one that did not fit are
skipped. Medians over the repeats; a case whose first run took longer than ``--single-above``
seconds runs once. The load average before and after each case is recorded, as is the CPU time:
the machine is shared, so wall seconds vary with the load. ``--profile`` adds a cProfile (CPU
time) of the 20x41 and stress cases. Nothing here is asserted in tests.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import functools
import json
import os
import platform
import pstats
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = ((3, 4), (10, 7), (20, 41), (30, 40), (40, 50), (60, 65))
"""(regions, commodities) of the synthetic databases."""
STRESS = (31, 40)
"""(regions, sectors) of the Eaton–Kortum-shaped stress case."""
PROFILED = ("synthetic 20x41", "stress 31x40")
"""Cases profiled with --profile."""
PATH_RESULTS = ("EV", "qgdp", "EV_decomposition")
"""Path-integrated results kept to compare node counts (--stress-nodes)."""
FREQUENT = {
    "newton",
    "lu",
    "lu_solve",
    "gmres_newton",
    "gmres_tangent",
    "residual",
    "jacobian",
    "jvp",
    "values",
}
"""Timed calls too frequent to log as progress lines."""
MB = 1024 * 1024


# ---------------------------------------------------------------------------------------------
# the child: one run, phase by phase


def _status_kb(field: str, pid: int | str = "self") -> int | None:
    """A memory field of /proc/<pid>/status [kB] (None once the process is gone)."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def _since_process_start() -> float:
    """Seconds since this process started (/proc/self/stat start time; 10 ms resolution)."""
    with open("/proc/self/stat") as handle:
        start_ticks = int(handle.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as handle:
        uptime = float(handle.read().split()[0])
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


class Recorder:
    """Inclusive wall and CPU seconds and call counts by key; progress lines with the memory."""

    def __init__(self, progress: Path):
        self.totals: dict[str, dict[str, float]] = defaultdict(lambda: {"wall_s": 0.0, "cpu_s": 0.0, "calls": 0})
        self.memory: dict[str, dict[str, float]] = {}
        self.details: dict[str, list] = defaultdict(list)
        self.progress = progress
        self.t0 = time.perf_counter()

    @contextmanager
    def timing(self, key: str):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            entry = self.totals[key]
            entry["wall_s"] += time.perf_counter() - wall
            entry["cpu_s"] += time.process_time() - cpu
            entry["calls"] += 1
            if key not in FREQUENT:
                self.mark(key)

    def mark(self, key: str) -> None:
        """Resident memory now and its high-water mark, after ``key``; one progress line."""
        rss, hwm = _status_kb("VmRSS") or 0, _status_kb("VmHWM") or 0
        self.memory[key] = {"rss_mb": rss / 1024, "hwm_mb": hwm / 1024}
        with open(self.progress, "a") as handle:
            handle.write(f"{time.perf_counter() - self.t0:.2f} {key} rss {rss / 1024:.0f} MB hwm {hwm / 1024:.0f} MB\n")


def _wrap(owner, name: str, key: str, recorder: Recorder, after=None) -> None:
    """Replace ``owner.name`` by a timed version (``after`` sees the arguments and the result)."""
    original = getattr(owner, name)

    @functools.wraps(original)
    def timed(*args, **kwargs):
        with recorder.timing(key):
            out = original(*args, **kwargs)
        if after is not None:
            after(args, out)
        return out

    setattr(owner, name, timed)


def _nbytes(value) -> int:
    """Bytes of the NumPy arrays inside an array, a SciPy sparse matrix or a tape pattern."""
    if value is None:
        return 0
    if hasattr(value, "nbytes") and not hasattr(value, "indptr"):
        return int(value.nbytes)
    if hasattr(value, "indptr"):  # scipy.sparse matrix or _Pattern
        return sum(_nbytes(getattr(value, a, None)) for a in ("data", "indices", "indptr"))
    return 0


def tape_summary(model) -> dict:
    """Size of a built model: unknowns, Jacobian nonzeros, tape operations and what they hold."""
    compiled = model.compiled
    ops = compiled.tape.ops
    held = defaultdict(int)
    for op in ops:
        for f in dataclasses.fields(op):
            held[f.name] += _nbytes(getattr(op, f.name))
    return {
        "unknowns": int(model.n),
        "parameters": int(model.p0.size),
        "jacobian_nnz": int(compiled.jac_indices.size),
        "tape_ops": len(ops),
        "tape_values": int(sum(op.size for op in ops)),
        "tape_derivative_entries": int(sum(op.pattern.nnz for op in ops if op.pattern is not None)),
        "tape_bytes_by_field_mb": {k: v / MB for k, v in sorted(held.items(), key=lambda kv: -kv[1]) if v},
        "tape_bytes_mb": sum(held.values()) / MB,
    }


def _instrument(recorder: Recorder, found: dict) -> None:
    """Wrap the solver's steps in this process (the package's files are not changed)."""
    from cge.gtap import simulate
    from cge.solve import linalg, newton, tape

    def model_built(_args, model):
        found.update(tape_summary(model))

    def lu_done(_args, factorization):
        recorder.details["lu"].append({"seconds": factorization.seconds, "fill": factorization.fill})

    def newton_done(_args, out):
        outcome = out[0]
        recorder.details["newton"].append(
            {
                "iterations": outcome.iterations,
                "lu": outcome.factorizations,
                "krylov": outcome.krylov_iterations,
            }
        )

    def gmres_done(key):
        def record(_args, out):
            recorder.details[key].append({"iterations": out[1], "converged": bool(out[2])})

        return record

    class TimedFactorization(linalg.Factorization):
        def __init__(self, *args, **kwargs):
            with recorder.timing("lu"):
                super().__init__(*args, **kwargs)
            lu_done(args, self)

        def solve(self, rhs):
            with recorder.timing("lu_solve"):
                return super().solve(rhs)

    simulate.Factorization = newton.Factorization = TimedFactorization
    _wrap(newton, "gmres", "gmres_newton", recorder, gmres_done("gmres_newton"))
    _wrap(simulate, "gmres", "gmres_tangent", recorder, gmres_done("gmres_tangent"))
    _wrap(simulate, "compute_coefficients", "coefficients", recorder)
    _wrap(simulate, "build_model", "build", recorder, model_built)
    _wrap(tape.Tape, "compile", "compile", recorder)
    _wrap(simulate, "newton_solve", "newton", recorder, newton_done)
    _wrap(simulate, "_solve_nodes", "path_solve", recorder)
    _wrap(simulate, "_path_derivative", "path_derivative", recorder)
    for name, key in (
        ("_states", "states"),
        ("_apply_numeraire", "numeraire"),
        ("_integrate_indices", "indices"),
        ("_integrate_welfare", "welfare"),
        ("_path_error", "path_error"),
        ("_totals", "totals"),
        ("_dataset", "assemble"),
    ):
        _wrap(simulate, name, key, recorder)
    for name, key in (
        ("residual", "residual"),
        ("jacobian", "jacobian"),
        ("jvp", "jvp"),
        ("values", "values"),
    ):
        _wrap(tape.CompiledTape, name, key, recorder)


def _child(spec: dict) -> None:
    """One run in this process: the work of ``cge gtap run``, timed by phase (or profiled)."""
    started = _since_process_start()
    recorder = Recorder(Path(spec["progress"]))
    recorder.totals["interpreter"] = {
        "wall_s": started,
        "cpu_s": time.process_time(),
        "calls": 1,
    }
    recorder.mark("interpreter")
    with recorder.timing("import"):
        import numpy as np  # noqa: F401
        import xarray as xr  # noqa: F401

        from cge.gtap import simulate
        from cge.gtap.cli import _parse_shock
        from cge.gtap.cmf import read_cmf
        from cge.gtap.database import load_database
        from cge.ncio import write_netcdf
    found: dict = {}
    profiler = None
    if spec.get("profile"):
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
    else:
        _instrument(recorder, found)
    with recorder.timing("load"):
        cmf = read_cmf(spec["cmf"]) if spec.get("cmf") else None
        ds = load_database(spec["database"])
    with recorder.timing("solve"):
        shocks = dict(_parse_shock(s) for s in spec.get("shocks", []))
        result = simulate.solve(ds, shocks, cmf=cmf, nodes=spec.get("nodes"))
    with recorder.timing("write"):
        write_netcdf(result, spec["out"])
    out = {
        "since_process_start_s": _since_process_start(),
        "cpu_s": time.process_time(),
        "totals": recorder.totals,
        "memory": recorder.memory,
        "vm_hwm_mb": (_status_kb("VmHWM") or 0) / 1024,
        "vm_peak_mb": (_status_kb("VmPeak") or 0) / 1024,
        "attrs": {k: result.attrs[k] for k in ("path_nodes", "newton_iterations", "max_residual", "unknowns")},
        "path_integration_error": float(result.attrs.get("path_integration_error", float("nan"))),
        "model": found,
        "lu": recorder.details["lu"],
        "newton": recorder.details["newton"],
        "gmres_newton": recorder.details["gmres_newton"],
        "gmres_tangent": recorder.details["gmres_tangent"],
        "path_results": {k: result[k].values.ravel().tolist() for k in PATH_RESULTS},
    }
    if profiler is not None:
        profiler.disable()
        out["profile"] = profile_summary(profiler, spec["profile"])
    Path(spec["result"]).write_text(json.dumps(out))


# ---------------------------------------------------------------------------------------------
# profiles

PHASE_FUNCTIONS = {
    "load": ("database.py", "load_database"),
    "coefficients": ("coefficients.py", "compute_coefficients"),
    "build (trace + compile)": ("build.py", "build_model"),
    "compile": ("tape.py", "compile"),
    "path solve": ("simulate.py", "_solve_nodes"),
    "newton": ("newton.py", "newton_solve"),
    "LU factorisation": ("linalg.py", "__init__"),
    "GMRES": ("linalg.py", "gmres"),
    "path derivative": ("simulate.py", "_path_derivative"),
    "tape replay (_run)": ("tape.py", "_run"),
    "states": ("simulate.py", "_states"),
    "indices": ("simulate.py", "_integrate_indices"),
    "welfare (shadow household, decomposition)": ("simulate.py", "_integrate_welfare"),
    "assemble": ("simulate.py", "_assemble"),
    "write": ("ncio.py", "write_netcdf"),
}
"""Phase -> (file, function) whose cumulative CPU time is the phase's under cProfile."""


def profile_summary(profiler: cProfile.Profile, path: str, top: int = 25) -> dict:
    """Cumulative CPU seconds by phase and the functions with the most own CPU time."""
    profiler.dump_stats(path)
    stats = pstats.Stats(profiler).stats  # (file, line, name) -> (cc, nc, tottime, cumtime, callers)
    phases = {}
    for phase, (file, name) in PHASE_FUNCTIONS.items():
        hits = [v for (f, _line, n), v in stats.items() if n == name and f.endswith(file)]
        phases[phase] = {
            "cpu_s": sum(v[3] for v in hits),
            "calls": sum(v[1] for v in hits),
        }
    total = sum(v[2] for v in stats.values())
    own = sorted(stats.items(), key=lambda kv: -kv[1][2])[:top]
    return {
        "total_cpu_s": total,
        "phases_cumulative": phases,
        "top_own_time": [
            {
                "function": f"{_short(f)}:{line}({n})",
                "own_s": v[2],
                "cumulative_s": v[3],
                "calls": v[1],
            }
            for (f, line, n), v in own
        ],
        "file": path,
    }


def _short(path: str) -> str:
    for marker in ("site-packages/", "/cge/", "lib/python"):
        if marker in path:
            return path.split(marker, 1)[1] if marker != "/cge/" else "cge/" + path.split(marker, 1)[1]
    return path


# ---------------------------------------------------------------------------------------------
# the parent: fresh processes, watchdog, medians


@dataclasses.dataclass
class Guard:
    """Memory guard of the child processes."""

    limit_mb: float
    min_available_mb: float
    timeout_s: float


def _available_mb() -> float:
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    return float("inf")


def _limit_address_space(limit_bytes: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    return apply


def run_process(command: list[str], guard: Guard, log_path: Path) -> dict:
    """Run ``command`` in a new session under the memory guard: wall and CPU seconds, peak RSS,
    exit status, and why it was stopped (if it was)."""
    samples: list[tuple[float, float]] = []
    stopped: list[str] = []
    with open(log_path, "w") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_limit_address_space(int(2 * guard.limit_mb * MB)),
        )
        done = threading.Event()

        def watch() -> None:
            while not done.wait(0.05):
                rss = _status_kb("VmRSS", proc.pid)
                if rss is None:
                    return
                elapsed = time.perf_counter() - start
                samples.append((elapsed, rss / 1024))
                reason = None
                if rss / 1024 > guard.limit_mb:
                    reason = f"resident memory {rss / 1024:.0f} MB above the {guard.limit_mb:.0f} MB limit"
                elif _available_mb() < guard.min_available_mb:
                    reason = f"available memory below {guard.min_available_mb:.0f} MB (child at {rss / 1024:.0f} MB)"
                elif elapsed > guard.timeout_s:
                    reason = f"timeout after {guard.timeout_s:.0f} s"
                if reason:
                    stopped.append(reason)
                    os.killpg(proc.pid, signal.SIGKILL)
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        watcher.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "user_s": usage.ru_utime,
        "system_s": usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "returncode": proc.returncode,
        "stopped": stopped[0] if stopped else None,
        "rss_trace_mb": _thin(samples),
    }


def _thin(samples: list[tuple[float, float]], keep: int = 60) -> list[list[float]]:
    """At most ``keep`` (seconds, MB) samples, evenly spaced, with the largest kept."""
    if len(samples) <= keep:
        return [[round(t, 2), round(m)] for t, m in samples]
    step = len(samples) / keep
    chosen = {int(i * step) for i in range(keep)} | {max(range(len(samples)), key=lambda i: samples[i][1])}
    return [[round(samples[i][0], 2), round(samples[i][1])] for i in sorted(chosen)]


@dataclasses.dataclass
class Case:
    """A database to run: its name, directory, the CLI arguments of its shock."""

    name: str
    kind: str
    regions: int
    commodities: int
    directory: Path
    cli_args: list[str]
    child_spec: dict
    setup_s: float


def _synthetic_case(regions: int, commodities: int, root: Path) -> Case:
    from cge.gtap import save_database, synthetic_database

    start = time.perf_counter()
    directory = root / f"synthetic_{regions}x{commodities}"
    save_database(synthetic_database(regions, commodities), directory)
    return Case(
        f"synthetic {regions}x{commodities}",
        "synthetic",
        regions,
        commodities,
        directory,
        ["--shock", "tm=10"],
        {"shocks": ["tm=10"]},
        time.perf_counter() - start,
    )


def _fixture_case(fixtures: Path) -> Case:
    from cge.gtap import load_database

    directory = fixtures / "datasets" / "10x7"
    ds = load_database(directory)
    return Case(
        "GTAP 10x7 (licensed)",
        "fixture",
        int(ds.sizes["REG"]),
        int(ds.sizes["COMM"]),
        directory,
        ["--shock", "tm=10"],
        {"shocks": ["tm=10"]},
        0.0,
    )


def _stress_case(root: Path) -> Case:
    sys.path.insert(0, str(HERE))
    from ek_database import ek_database, ek_tariff_cuts

    from cge.gtap import check_database, save_database, write_har

    start = time.perf_counter()
    regions, sectors = STRESS
    directory = root / f"stress_{regions}x{sectors}"
    ds = ek_database(regions, sectors)
    check_database(ds)
    save_database(ds, directory)
    shock = ek_tariff_cuts(ds)
    write_har(root / "stress_shock.har", {"TMS": shock.rename("TMS")})
    cmf = root / "stress.cmf"
    cmf.write_text(
        "! Eaton-Kortum-shaped stress case: tariff cuts of up to 30 pp by the first 3 regions\n"
        'shock tms(COMM, REG, REG) = file stress_shock.har header "TMS" ;\n'
    )
    return Case(
        f"stress {regions}x{sectors}",
        "stress",
        regions,
        sectors,
        directory,
        ["--cmf", str(cmf)],
        {"cmf": str(cmf)},
        time.perf_counter() - start,
    )


def _median(runs: list[dict], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def _phase_medians(runs: list[dict]) -> dict:
    keys = sorted({k for r in runs for k in r["totals"]})
    out = {}
    for key in keys:
        present = [r["totals"][key] for r in runs if key in r["totals"]]
        out[key] = {
            "wall_s": statistics.median(p["wall_s"] for p in present),
            "cpu_s": statistics.median(p["cpu_s"] for p in present),
            "calls": present[0]["calls"],
        }
    return out


def run_case(
    case: Case,
    repeats: int,
    guard: Guard,
    single_above: float,
    work: Path,
    profile: bool,
    node_counts: tuple[int, ...] = (),
) -> dict:
    """The CLI and the phase runs of one case, ``repeats`` times each, fresh processes."""
    cge = str(Path(sys.executable).parent / "cge")
    tag = case.name.replace(" ", "_")
    record = {
        "name": case.name,
        "kind": case.kind,
        "regions": case.regions,
        "commodities": case.commodities,
        "database_setup_s": case.setup_s,
        "load_average_before": os.getloadavg(),
        "cli": [],
        "phases": [],
        "status": "ok",
    }
    for k in range(repeats):
        out = work / f"{tag}_cli.nc"
        cli = run_process(
            [
                cge,
                "gtap",
                "run",
                str(case.directory),
                *case.cli_args,
                "--out",
                str(out),
            ],
            guard,
            work / f"{tag}_cli_{k}.log",
        )
        cli["log_tail"] = _tail(work / f"{tag}_cli_{k}.log")
        record["cli"].append(cli)
        print(
            f"{case.name}: cli run {k + 1}: {cli['wall_s']:.2f} s wall, {cli['cpu_s']:.2f} s CPU, "
            f"{cli['peak_rss_mb']:.0f} MB",
            file=sys.stderr,
        )
        if cli["stopped"] or cli["returncode"] != 0:
            record["status"] = "does not fit" if cli["stopped"] and "memory" in cli["stopped"] else "failed"
            if record["status"] == "does not fit":  # once more, phase by phase: where the memory goes
                record["phases"].append(_run_child(case, guard, work, f"{tag}_phases_{k}", profile=None))
            break
        phases = _run_child(case, guard, work, f"{tag}_phases_{k}", profile=None)
        record["phases"].append(phases)
        if phases.get("status") != "ok":
            record["status"] = phases["status"]
            break
        if k == 0 and cli["wall_s"] > single_above:
            break
    if profile and case.name in PROFILED and record["status"] == "ok":
        record["profile"] = _run_child(case, guard, work, f"{tag}_profile", profile=str(work / f"{tag}.prof"))
    if case.kind == "stress" and node_counts and record["status"] == "ok":
        record["nodes"] = _node_study(case, node_counts, record["phases"][0], guard, work)
    record["load_average_after"] = os.getloadavg()
    _summarise(record)
    return record


def _node_study(case: Case, node_counts: tuple[int, ...], default: dict, guard: Guard, work: Path) -> list[dict]:
    """The stress case with a fixed number of path intervals each (one fresh process each): CPU
    seconds and how far EV, qgdp and the EV decomposition are from those of the most intervals."""
    import numpy as np

    runs = [{"intervals": "adaptive (default)", **_node_run_summary(default)}]
    for n in sorted(node_counts):
        out = _run_child(case, guard, work, f"stress_nodes_{n}", profile=None, nodes=n)
        runs.append(
            {
                "intervals": n,
                "status": out["status"],
                **(_node_run_summary(out) if out["status"] == "ok" else {}),
            }
        )
    finest = next(
        (r for r in reversed(runs) if r.get("status", "ok") == "ok" and r.get("path_results")),
        None,
    )
    for r in runs:
        if finest is None or not r.get("path_results"):
            continue
        for key, values in r["path_results"].items():
            diff = np.abs(np.asarray(values) - np.asarray(finest["path_results"][key]))
            r[f"max_abs_diff_{key}"] = float(diff.max())
    for r in runs:
        r.pop("path_results", None)
    return runs


def _node_run_summary(out: dict) -> dict:
    totals = out["totals"]
    return {
        "status": out["status"],
        "path_nodes": out["attrs"]["path_nodes"],
        "newton_iterations": out["attrs"]["newton_iterations"],
        "reported_path_integration_error": out["path_integration_error"],
        "solve_cpu_s": totals["solve"]["cpu_s"],
        "solve_wall_s": totals["solve"]["wall_s"],
        "process_cpu_s": out["process"]["cpu_s"],
        "process_wall_s": out["process"]["wall_s"],
        "path_results": out.get("path_results"),
    }


def _run_child(
    case: Case,
    guard: Guard,
    work: Path,
    tag: str,
    profile: str | None,
    nodes: int | None = None,
) -> dict:
    spec = {
        **case.child_spec,
        "nodes": nodes,
        "database": str(case.directory),
        "out": str(work / f"{tag}.nc"),
        "result": str(work / f"{tag}.json"),
        "progress": str(work / f"{tag}.progress"),
        "profile": profile,
    }
    proc = run_process(
        [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
        guard,
        work / f"{tag}.log",
    )
    progress = Path(spec["progress"]).read_text().splitlines() if Path(spec["progress"]).exists() else []
    if proc["stopped"] or proc["returncode"] != 0:
        status = "does not fit" if proc["stopped"] and "memory" in proc["stopped"] else "failed"
        return {
            "status": status,
            "process": proc,
            "progress": progress,
            "log_tail": _tail(work / f"{tag}.log"),
        }
    out = json.loads(Path(spec["result"]).read_text())
    out.update({"status": "ok", "process": proc, "progress": progress})
    print(
        f"{case.name}: phase run: {proc['wall_s']:.2f} s wall, {proc['cpu_s']:.2f} s CPU",
        file=sys.stderr,
    )
    return out


def _tail(path: Path, lines: int = 6) -> list[str]:
    return path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else []


def _summarise(record: dict) -> None:
    cli = [r for r in record["cli"] if r["returncode"] == 0 and not r["stopped"]]
    phases = [r for r in record["phases"] if r.get("status") == "ok"]
    summary: dict = {"runs": len(cli)}
    if cli:
        summary.update(
            {
                "wall_s": _median(cli, "wall_s"),
                "wall_range_s": [
                    min(r["wall_s"] for r in cli),
                    max(r["wall_s"] for r in cli),
                ],
                "cpu_s": _median(cli, "cpu_s"),
                "peak_rss_mb": max(r["peak_rss_mb"] for r in cli),
            }
        )
    if phases:
        first = phases[0]
        lu = first["lu"]
        summary.update(
            {
                "phases": _phase_medians(phases),
                "unknowns": first["model"].get("unknowns"),
                "jacobian_nnz": first["model"].get("jacobian_nnz"),
                "tape_ops": first["model"].get("tape_ops"),
                "tape_mb": first["model"].get("tape_bytes_mb"),
                "newton_iterations": first["attrs"]["newton_iterations"],
                "path_nodes": first["attrs"]["path_nodes"],
                "lu_count": len(lu),
                "lu_seconds_max": max((f["seconds"] for f in lu), default=None),
                "lu_fill_max": max((f["fill"] for f in lu), default=None),
                "gmres_iterations_newton": sum(g["iterations"] for g in first["gmres_newton"]),
                "gmres_iterations_tangent": sum(g["iterations"] for g in first["gmres_tangent"]),
                "phase_run_peak_rss_mb": max(r["process"]["peak_rss_mb"] for r in phases),
                "import_rss_mb": first["memory"].get("import", {}).get("rss_mb"),
            }
        )
    record["summary"] = summary


# ---------------------------------------------------------------------------------------------
# growth exponents and the table


def fit_exponent(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of log y on log x (None with fewer than 3 points)."""
    import numpy as np

    if len(xs) < 3:
        return None
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def exponents(cases: list[dict], min_unknowns: int = 10_000) -> dict:
    """Growth exponents over the synthetic cases with at least ``min_unknowns`` unknowns (below
    that, the 2-3 s of imports dominate): time ~ unknowns^k, memory above imports ~ nnz^k."""
    rows = [
        c["summary"]
        for c in cases
        if c["kind"] == "synthetic" and c["status"] == "ok" and (c["summary"].get("unknowns") or 0) >= min_unknowns
    ]
    n = [r["unknowns"] for r in rows]
    nnz = [r["jacobian_nnz"] for r in rows]

    def phase(r, key):
        return r["phases"].get(key, {}).get("cpu_s", 0.0)

    return {
        "cases": [f"{c['regions']}x{c['commodities']}" for c in cases if c["summary"] in rows],
        "min_unknowns": min_unknowns,
        "cli_wall_vs_unknowns": fit_exponent(n, [r["wall_s"] for r in rows]),
        "cli_cpu_vs_unknowns": fit_exponent(n, [r["cpu_s"] for r in rows]),
        "build_cpu_vs_unknowns": fit_exponent(n, [phase(r, "build") for r in rows]),
        "path_solve_cpu_vs_unknowns": fit_exponent(n, [phase(r, "path_solve") for r in rows]),
        "lu_seconds_vs_unknowns": fit_exponent(n, [r["lu_seconds_max"] for r in rows]),
        "nnz_vs_unknowns": fit_exponent(n, nnz),
        "peak_rss_above_imports_vs_nnz": fit_exponent(
            nnz, [r["peak_rss_mb"] - (r["import_rss_mb"] or 0) for r in rows]
        ),
        "lu_fill_vs_nnz": fit_exponent(nnz, [r["lu_fill_max"] for r in rows]),
    }


def _fmt(value, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, int) or (isinstance(value, float) and value >= 1000):
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def markdown_table(result: dict) -> str:
    """The README's table of a results file."""
    head = (
        "| case | unknowns | Jacobian nnz | Newton it. / nodes | LU: count, max s, max fill | "
        "from process start: wall s (range) | CPU s | peak RSS MB | load before–after |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for c in result["cases"]:
        s = c["summary"]
        load = f"{c['load_average_before'][0]:.1f}–{c['load_average_after'][0]:.1f}"
        if c["status"] != "ok":
            reason = next((r["stopped"] for r in c["cli"] if r.get("stopped")), c["status"])
            lines.append(
                f"| {c['name']} | {_fmt(s.get('unknowns'))} | — | — | — | **{c['status']}**: {reason} "
                f"| — | — | {load} |"
            )
            continue
        wall = (
            f"{s['wall_s']:.2f} ({s['wall_range_s'][0]:.2f}–{s['wall_range_s'][1]:.2f})"
            if s["runs"] > 1
            else f"{s['wall_s']:.2f}"
        )
        lines.append(
            f"| {c['name']} | {_fmt(s.get('unknowns'))} | {_fmt(s.get('jacobian_nnz'))} | "
            f"{_fmt(s.get('newton_iterations'))} / {_fmt(s.get('path_nodes'))} | "
            f"{s.get('lu_count')}, {_fmt(s.get('lu_seconds_max'))}, {_fmt(s.get('lu_fill_max'))} | {wall} | "
            f"{s['cpu_s']:.2f} | {s['peak_rss_mb']:,.0f} | {load} |"
        )
    phase_head = (
        "\n| case | start + imports | load | coefficients | build (trace + compile) | path solve | "
        "Jacobians: count × s | LU: count, s | LU solves: count, s | GMRES it. Newton / tangent | "
        "integration, welfare, assemble | write | sum |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    phase_lines = []
    for c in result["cases"]:
        s = c["summary"]
        p = s.get("phases")
        if not p:
            continue

        def cpu(key, p=p):
            return p.get(key, {}).get("cpu_s", 0.0)

        def calls(key, p=p):
            return p.get(key, {}).get("calls", 0)

        after = sum(
            cpu(k)
            for k in (
                "states",
                "numeraire",
                "indices",
                "welfare",
                "path_error",
                "assemble",
            )
        )
        jac = cpu("jacobian") / max(calls("jacobian"), 1)
        top = ("interpreter", "import", "load", "solve", "write")
        phase_lines.append(
            f"| {c['name']} | {cpu('interpreter') + cpu('import'):.2f} | {cpu('load'):.2f} | {cpu('coefficients'):.2f} "
            f"| {cpu('build'):.2f} ({cpu('compile'):.2f}) | {cpu('path_solve'):.2f} | {calls('jacobian')} × {jac:.3f} "
            f"| {calls('lu')}, {cpu('lu'):.2f} | {calls('lu_solve')}, {cpu('lu_solve'):.2f} "
            f"| {s['gmres_iterations_newton']} / {s['gmres_iterations_tangent']} | {after:.2f} | {cpu('write'):.2f} "
            f"| {sum(cpu(k) for k in top):.2f} |"
        )
    return head + "\n".join(lines) + "\n" + phase_head + "\n".join(phase_lines) + "\n"


# ---------------------------------------------------------------------------------------------


def _parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for item in text.split(","):
        regions, _, commodities = item.strip().partition("x")
        sizes.append((int(regions), int(commodities)))
    return sizes


def _weight(regions: int, commodities: int) -> int:
    """How the model grows: bilateral trade (R² C) and input-output (R C²) arrays."""
    return regions * regions * commodities + regions * commodities * commodities


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _child(json.loads(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sizes",
        type=_parse_sizes,
        default=list(SIZES),
        help="regions x commodities, e.g. 3x4,20x41",
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--single-above",
        type=float,
        default=60.0,
        help="run a case once if its first run took longer [s]",
    )
    parser.add_argument("--fixtures", type=Path, default=os.environ.get("CGE_GTAP_FIXTURES"))
    parser.add_argument(
        "--no-stress",
        action="store_true",
        help="leave out the Eaton-Kortum-shaped stress case",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile (CPU time) of the 20x41 and stress cases",
    )
    parser.add_argument(
        "--stress-nodes",
        type=lambda text: tuple(int(v) for v in text.split(",")),
        default=(),
        help="also solve the stress case with these fixed numbers of path intervals, e.g. 8,16,32,64",
    )
    parser.add_argument("--mem-limit-gb", type=float, default=16.0)
    parser.add_argument("--min-available-gb", type=float, default=1.5)
    parser.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        help="seconds before a child is stopped",
    )
    parser.add_argument("--out", type=Path, default=HERE / "results_gtap_speed.json")
    parser.add_argument("--table", type=Path, help="print the markdown table of a results file and exit")
    parser.add_argument("--merge", type=Path, nargs="+", help="merge the cases of results files into --out and exit")
    args = parser.parse_args()
    if args.merge:
        merged = merge_results([json.loads(path.read_text()) for path in args.merge])
        args.out.write_text(json.dumps(merged, indent=1) + "\n")
        print(markdown_table(merged))
        return
    if args.table:
        result = json.loads(args.table.read_text())
        print(markdown_table(result))
        print(json.dumps(result.get("exponents"), indent=1))
        return
    guard = Guard(args.mem_limit_gb * 1024, args.min_available_gb * 1024, args.timeout)
    result = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {_memory_gib():.0f} GiB, "
        f"Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "commit": subprocess.run(
            ["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
        ).stdout.strip(),
        "arguments": {k: str(v) for k, v in vars(args).items()},
        "cases": [],
    }
    with tempfile.TemporaryDirectory(prefix="gtap_speed_") as tmp:
        work = Path(tmp)
        too_big: int | None = None
        plan: list = []
        if args.fixtures:
            plan.append(("fixture", None))
        plan += [("synthetic", size) for size in sorted(args.sizes, key=lambda s: _weight(*s))]
        if not args.no_stress:
            plan.append(("stress", STRESS))
        for kind, size in plan:
            if kind == "synthetic" and too_big is not None and _weight(*size) >= too_big:
                result["cases"].append(_skipped(size))
                continue
            case = (
                _fixture_case(args.fixtures)
                if kind == "fixture"
                else _stress_case(work)
                if kind == "stress"
                else _synthetic_case(*size, work)
            )
            record = run_case(
                case,
                args.repeats,
                guard,
                args.single_above,
                work,
                args.profile,
                args.stress_nodes,
            )
            if kind == "fixture":
                record["note"] = "licensed GTAP data: timings and sizes only"
            result["cases"].append(record)
            if record["status"] == "does not fit" and kind == "synthetic":
                too_big = _weight(*size) if too_big is None else min(too_big, _weight(*size))
            args.out.write_text(json.dumps(result, indent=1) + "\n")
            if kind != "fixture":
                _remove(case.directory)
    result["exponents"] = exponents(result["cases"])
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(markdown_table(result))
    print(json.dumps(result["exponents"], indent=1))


def merge_results(results: list[dict]) -> dict:
    """One results file from several runs: every case (a later run's case of the same name
    replaces an earlier one unless it was skipped), each run's header kept, exponents refitted."""
    cases: dict[str, dict] = {}
    for result in results:
        for case in result["cases"]:
            if case["name"] not in cases or not case["status"].startswith("skipped"):
                cases[case["name"]] = {**case, "run": result["date"]}
    merged = {
        "runs": [{k: v for k, v in r.items() if k not in ("cases", "exponents")} for r in results],
        "cases": sorted(cases.values(), key=_case_order),
    }
    merged["exponents"] = exponents(merged["cases"])
    return merged


def _case_order(case: dict) -> tuple:
    kind = {"fixture": 0, "synthetic": 1, "stress": 2}.get(case["kind"], 3)
    return kind, _weight(case["regions"], case["commodities"])


def _memory_gib() -> float:
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30


def _skipped(size: tuple[int, int]) -> dict:
    return {
        "name": f"synthetic {size[0]}x{size[1]}",
        "kind": "synthetic",
        "regions": size[0],
        "commodities": size[1],
        "status": "skipped: a smaller case did not fit",
        "cli": [],
        "phases": [],
        "summary": {},
        "load_average_before": os.getloadavg(),
        "load_average_after": os.getloadavg(),
    }


def _remove(directory: Path) -> None:
    import shutil

    shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
