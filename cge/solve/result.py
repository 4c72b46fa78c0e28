"""Typed solver status and result (cf. linopy's constants)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd


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


class SolveError(RuntimeError):
    """A solve that did not reach an accepted solution; carries diagnostics.

    Attributes
    ----------
    residuals : pandas.DataFrame
        Largest residuals by equation block and index (columns block, index, residual).
    structural : str
        Dulmage–Mendelsohn summary (under/over-constrained parts), if computed.
    """

    def __init__(self, message: str, residuals: pd.DataFrame | None = None, structural: str = ""):
        self.residuals = residuals if residuals is not None else pd.DataFrame()
        self.structural = structural
        parts = [message]
        if len(self.residuals):
            parts.append("largest residuals:\n" + self.residuals.head(10).to_string(index=False))
        if structural:
            parts.append(structural)
        super().__init__("\n".join(parts))
