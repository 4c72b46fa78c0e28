"""Static types: ``mypy`` (configured in ``pyproject.toml``, ``[tool.mypy]``) finds no error in ``cge``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_is_clean():
    pytest.importorskip("mypy", reason="mypy is not installed (it is in the test extra)")
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "cge"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, f"mypy found errors (exit {run.returncode}):\n{run.stdout}{run.stderr}"
