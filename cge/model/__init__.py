"""The Pyomo model (DESIGN §4): one builder function per economic block, closures as functions."""

from cge.model.build import Model, build_model
from cge.model.closures import (
    HORIZONS,
    CapitalClosure,
    Closure,
    ClosureError,
    Horizon,
    LabourClosure,
    MacroClosure,
)

__all__ = [
    "Model",
    "build_model",
    "Closure",
    "ClosureError",
    "MacroClosure",
    "LabourClosure",
    "CapitalClosure",
    "Horizon",
    "HORIZONS",
]
