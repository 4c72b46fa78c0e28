"""Pyomo -> CasADi -> cyipopt solver bridge (DESIGN §5)."""

from cge.solve.casadi_bridge import CompiledModel, compile_model
from cge.solve.result import SolveError, SolveResult, SolveStatus
from cge.solve.solver import Solver

__all__ = ["CompiledModel", "compile_model", "Solver", "SolveError", "SolveResult", "SolveStatus"]
