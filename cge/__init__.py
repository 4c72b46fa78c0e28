"""cge: a GTAP-style multi-region CGE model of North American trade.

Public API: :func:`load_sam`, :func:`check_sam`, :class:`Scenario`, :func:`run` (on the GTAP v7
model, :mod:`cge.gtap`).

The names are imported on first use (module ``__getattr__``), so ``import cge`` and the command
line's ``--help`` do not load NumPy, pandas or xarray.
"""

from __future__ import annotations

import importlib
import logging

__version__ = "0.2.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
# a library leaves output to the application: without a configured handler (a Dask worker process,
# a script), cge's log records are not printed by Python's last-resort handler

_EXPORTS = {
    "load_sam": "cge.sam",
    "check_sam": "cge.sam",
    "save_sam": "cge.sam",
    "aggregate_sam": "cge.aggregate",
    "aggregate_elasticities": "cge.aggregate",
    "ras": "cge.balance",
    "cross_entropy": "cge.balance",
    "Scenario": "cge.scenario",
    "run": "cge.runner",
}
"""Public name -> module that defines it."""

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cge' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
