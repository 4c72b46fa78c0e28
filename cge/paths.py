"""Locations of the shipped data (SAM and calibration tables).

In a source checkout (or an editable install) the data live in ``sam/`` and ``calibration/`` at
the repository root; a wheel force-includes them as ``cge/_data/sam`` and
``cge/_data/calibration``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    installed = _PACKAGE / "_data" / name
    return installed if installed.exists() else _PACKAGE.parent / name


SAM_DIR = _data_dir("sam")
"""Directory of the shipped SAM."""

CALIBRATION_DIR = _data_dir("calibration")
"""Directory of the shipped calibration tables (elasticities, tariffs, mappings)."""
