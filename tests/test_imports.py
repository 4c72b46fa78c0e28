"""Import structure: the command line and ``import cge`` start without the model stack."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

HEAVY = ("numpy", "pandas", "xarray", "scipy", "cyipopt", "h5py", "dask", "pydantic")


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


@pytest.mark.parametrize("package", ["cge", "cge.gtap", "cge.report"])
def test_public_names_are_not_shadowed_by_submodules(package):
    """Importing a submodule sets the package attribute of its name: a public name that is also a
    submodule's name (``cge.gtap.from_sam`` was both) becomes the module once anything imports it."""
    import importlib
    import pkgutil

    pkg = importlib.import_module(package)
    for info in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{package}.{info.name}")
    for name in pkg.__all__:
        assert not inspect.ismodule(getattr(pkg, name)), f"{package}.{name} is a module, not the public {name}"


def test_error_types_are_shared():
    """The light error module and the modules that raise the errors expose the same classes."""
    from cge import calibrate, errors, sam, scenario
    from cge.gtap import simulate

    assert sam.SamError is errors.SamError
    assert calibrate.CalibrationError is errors.CalibrationError
    assert scenario.ScenarioError is errors.ScenarioError
    assert issubclass(simulate.GtapSolveError, errors.SolveError)


def _import_graph():
    """Modules of ``cge`` and the ``cge`` modules each imports (any statement, at any depth)."""
    import ast
    from pathlib import Path

    import networkx as nx

    root = Path(__file__).resolve().parents[1] / "cge"
    modules = {}
    for path in root.rglob("*.py"):
        name = ".".join(path.relative_to(root.parent).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = path
    graph = nx.DiGraph()
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cge"):
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                # a package's __init__ re-exporting its modules is not a cycle of the code's jobs
                if target in modules and target != name and not name.startswith(target + "."):
                    if not target.startswith(name + "."):
                        graph.add_edge(name, target)
    return graph


def test_no_import_cycles():
    """Issue 19 item 6: ``sam.py`` and ``sam_csv.py`` imported each other, and so did
    ``build/pipeline.py`` and ``build/readme.py`` (type-only imports count too)."""
    import networkx as nx

    cycles = sorted(sorted(c) for c in nx.simple_cycles(_import_graph()))
    assert cycles == [], cycles
