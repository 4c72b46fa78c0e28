"""The registry of GTAP v7 equation blocks: :func:`explains` registers a builder of parts
(:class:`Part`) under the variable it explains in the standard closure (GEMPACK's TABLO equation
names). :mod:`cge.gtap.model.equations` fills it; :mod:`cge.gtap.model.build` reads it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cge.gtap.model.algebra import Term
from cge.gtap.model.coefficients import Coefficients

EXPLICIT, CONDITION = "explicit", "condition"


@dataclass(frozen=True)
class Part:
    """Part of an equation block: where it applies (a mask over the explained variable's sets),
    whether it is explicit (``variable = expression``) or a condition (``residual = 0``), its
    TABLO name and how to build its term."""

    kind: str
    build: Callable[..., Term]  # (ModelContext) -> Term
    equation: str
    mask: np.ndarray | None = None


EquationSpec = Callable[[Coefficients], list[Part]]
EQUATIONS: dict[str, EquationSpec] = {}
"""Equation blocks by the variable they explain in the standard closure."""


def explains(name: str) -> Callable[[EquationSpec], EquationSpec]:
    """Register an equation block as explaining the variable ``name``."""

    def register(fn: EquationSpec) -> EquationSpec:
        if name in EQUATIONS:
            raise ValueError(f"variable {name} is already explained by {EQUATIONS[name].__name__}")
        EQUATIONS[name] = fn
        return fn

    return register
