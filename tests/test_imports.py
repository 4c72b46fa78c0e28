"""Import structure: the command line and ``import cge`` start without the model stack."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("numpy", "pandas", "xarray", "scipy", "pyomo", "casadi", "cyipopt", "h5py", "dask", "pydantic")


@pytest.mark.parametrize("statement", ["import cge", "import cge.cli", "import cge.errors"])
def test_light_imports(statement):
    code = f"import sys; {statement}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == [], f"{statement} loads {loaded}"


def test_public_names_resolve_lazily():
    import cge

    assert set(cge.__all__) <= set(dir(cge))
    for name in cge.__all__:
        assert getattr(cge, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        cge.nonexistent  # noqa: B018


def test_error_types_are_shared():
    """The light error module and the modules that raise the errors expose the same classes."""
    from cge import calibrate, errors, sam, scenario, solve

    assert sam.SamError is errors.SamError
    assert calibrate.CalibrationError is errors.CalibrationError
    assert scenario.ScenarioError is errors.ScenarioError
    assert solve.SolveError is errors.SolveError
