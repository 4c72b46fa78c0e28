"""Provenance of a results Dataset: what was solved, on which data, with which software."""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path

import numpy as np

from cge import __version__
from cge.calibrate import Calibration

PACKAGES = ("numpy", "pandas", "xarray", "pyomo", "casadi", "cyipopt-wheels", "scipy", "h5netcdf")
SIGMAS = ("sigma_d", "sigma_m", "sigma_va", "sigma_t", "sigma_nd", "sigma_c", "sigma_g", "sigma_i")


def elasticity_hash(cal: Calibration) -> str:
    """SHA-256 of the calibration's elasticities (per-sector and final-demand, with their labels)."""
    digest = hashlib.sha256()
    for name in SIGMAS:
        if name in cal.data:
            da = cal.data[name]
            digest.update(name.encode())
            for dim in da.dims:
                digest.update("|".join(map(str, da[dim].values)).encode())
            digest.update(np.ascontiguousarray(da.values, dtype=np.float64).tobytes())
    return digest.hexdigest()


@cache
def package_versions() -> str:
    """Versions of the packages that shape the numbers, as JSON (``cge`` first)."""
    versions = {"cge": __version__}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return json.dumps(versions)


@cache
def git_commit() -> str:
    """Commit of the source checkout the package runs from (``"not a git checkout"`` when installed)."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return "not a git checkout"
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip()


def provenance(cal: Calibration, sam_title: str, reference: str | None) -> dict[str, str]:
    """Run attrs of a results Dataset.

    Parameters
    ----------
    cal : Calibration
        The (central) calibration: SAM hash and elasticities.
    sam_title : str
        The SAM's ``title`` attr (its source).
    reference : str or None
        Scenario the changes are measured against (None = the benchmark).

    Returns
    -------
    dict
        ``sam_hash``, ``sam_source``, ``elasticity_hash``, ``cge_version``, ``package_versions``
        (JSON), ``git_commit``, ``created`` (UTC, ISO 8601), ``reference_scenario``, ``units_note``.
    """
    against = f"the '{reference}' scenario" if reference else "the benchmark SAM"
    return {
        "sam_hash": cal.sam_hash,
        "sam_source": sam_title,
        "elasticity_hash": elasticity_hash(cal),
        "cge_version": __version__,
        "package_versions": package_versions(),
        "git_commit": git_commit(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "reference_scenario": reference or "benchmark",
        "units_note": f"US$ bn; percent changes and EV relative to {against}",
    }
