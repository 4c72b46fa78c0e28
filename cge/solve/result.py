"""Typed solver status and result (cf. linopy's constants); :class:`SolveError` lives in
:mod:`cge.errors`."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from cge.errors import SolveError  # noqa: F401  (raised by the solver; defined with the other user errors)


class SolveStatus(StrEnum):
    """Outcome of a solve, judged by our own residual checks, not by Ipopt's status alone."""

    SOLVED = "solved"
    SOLVED_AT_START = "solved_at_start"


@dataclass(frozen=True)
class SolveResult:
    """Result of one accepted solve.

    Attributes
    ----------
    status : SolveStatus
    iterations : int
        Newton steps, or Ipopt iterations over all homotopy steps (0 when the start point
        already solves).
    homotopy_steps : int
        Number of shock steps taken (1 = the whole shock at once).
    max_residual : float
        Largest absolute residual of the active (normalised) equations [relative units].
    walras_residual : float
        Residual of the market-clearing equation dropped by Walras' law [relative units].
    ipopt_status : str
        Ipopt's last status message.
    timings : dict
        Seconds per phase (build, compile, solve, ...).
    method : str
        What reached the point: ``"newton"`` (Newton–Krylov), ``"ipopt"`` (Ipopt homotopy) or
        ``"none"`` (the start point was accepted).
    factorizations : int
        Sparse LU factorisations of the Newton–Krylov iteration (0 when an earlier one served).
    krylov_iterations : int
        GMRES iterations of the Newton–Krylov iteration.
    """

    status: SolveStatus
    iterations: int
    homotopy_steps: int
    max_residual: float
    walras_residual: float
    ipopt_status: str
    timings: dict = field(default_factory=dict)
    method: str = "ipopt"
    factorizations: int = 0
    krylov_iterations: int = 0
