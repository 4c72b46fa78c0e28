"""Solvers: the Pyomo -> CasADi -> cyipopt bridge (DESIGN §5), Newton-Krylov, and the
vectorised sparse-derivative tape of the GTAP v7 model (:mod:`cge.solve.tape`).

Names are imported on first use, so importing a submodule (``cge.solve.tape``) does not load
Pyomo or CasADi.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "CompiledModel": "cge.solve.casadi_bridge",
    "compile_model": "cge.solve.casadi_bridge",
    "SolveError": "cge.solve.result",
    "SolveResult": "cge.solve.result",
    "SolveStatus": "cge.solve.result",
    "Solver": "cge.solve.solver",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cge.solve' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
