"""Provenance of a results Dataset: what was solved, on which data, with which software."""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path

import pandas as pd

from cge import __version__
from cge.calibrate import FINAL_DEMAND_ELASTICITIES, SECTOR_ELASTICITIES

PACKAGES = ("numpy", "pandas", "xarray", "cyipopt-wheels", "scipy", "h5netcdf")


def elasticity_hash(table: pd.DataFrame, final_demand: dict[str, float] | None = None) -> str:
    """SHA-256 of an elasticity table (the per-sector σ columns, by sector label) and the
    final-demand elasticities (defaults of :data:`cge.calibrate.FINAL_DEMAND_ELASTICITIES` with
    ``final_demand`` on top)."""
    columns = [c for c in SECTOR_ELASTICITIES if c in table.columns]
    sectors = table.loc[:, columns].astype(float)
    sectors.index = [str(s) for s in sectors.index]
    text = sectors.sort_index().to_csv(float_format="%.17g")
    text += json.dumps(FINAL_DEMAND_ELASTICITIES | dict(final_demand or {}), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


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


def provenance(sam_hash: str, elasticities_hash: str, sam_title: str, reference: str | None) -> dict[str, str | int]:
    """Run attrs of a results Dataset (the same for ``run``, ``run_many`` and ``run_sweep``).

    Parameters
    ----------
    sam_hash : str
        SHA-256 of the SAM.
    elasticities_hash : str
        :func:`elasticity_hash` of the (central) elasticities.
    sam_title : str
        The SAM's ``title`` attr (its source).
    reference : str or None
        Scenario the changes are measured against (None = the benchmark).

    Returns
    -------
    dict
        ``format_version`` (:data:`cge.results_file.RESULTS_FORMAT`), ``sam_hash``, ``sam_source``,
        ``elasticity_hash``, ``cge_version``, ``package_versions``
        (JSON), ``git_commit``, ``created`` (UTC, ISO 8601), ``reference_scenario``, ``units_note``.
    """
    from cge.results_file import FORMAT_ATTR, RESULTS_FORMAT

    against = f"the '{reference}' scenario" if reference else "the benchmark SAM"
    return {
        FORMAT_ATTR: RESULTS_FORMAT,
        "sam_hash": sam_hash,
        "sam_source": sam_title,
        "elasticity_hash": elasticities_hash,
        "cge_version": __version__,
        "package_versions": package_versions(),
        "git_commit": git_commit(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "reference_scenario": reference or "benchmark",
        "units_note": f"US$ bn; percent changes and EV relative to {against}",
    }
