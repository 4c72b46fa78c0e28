"""Licensed GTAP files for local tests: the directory named by ``CGE_GTAP_FIXTURES``.

Laid out as ``datasets/<name>/{sets.har,basedata.har,default.prm[,baserate.har]}``,
``solutions/*.har`` and ``cmf/*.cmf``. Tests that need them skip when the variable is unset;
nothing read from them is ever written into the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(os.environ["CGE_GTAP_FIXTURES"]) if os.environ.get("CGE_GTAP_FIXTURES") else None

needs_fixtures = pytest.mark.skipif(ROOT is None, reason="CGE_GTAP_FIXTURES is not set (licensed GTAP files)")


def dataset_dirs() -> list[Path]:
    """The database directories of the fixtures (empty without the variable)."""
    return sorted(p for p in (ROOT / "datasets").iterdir() if p.is_dir()) if ROOT else []


def har_files() -> list[Path]:
    """Every HAR file of the fixtures: the databases' files and GEMPACK's solution dumps."""
    if ROOT is None:
        return []
    return sorted([*(ROOT / "datasets").glob("*/*"), *(ROOT / "solutions").glob("*.har")])


def cmf_files() -> list[Path]:
    return sorted((ROOT / "cmf").glob("*.cmf")) if ROOT else []
