"""GTAP databases: HAR files in and out, load/check/aggregate, synthetic databases, CMF files.

Public API: :func:`read_har`, :func:`write_har`.

The names are imported on first use (module ``__getattr__``), so ``import cge.gtap`` stays light.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "read_har": "cge.gtap.har",
    "write_har": "cge.gtap.har",
    "HarFile": "cge.gtap.har",
    "HarError": "cge.errors",
    "DatabaseError": "cge.errors",
    "CmfError": "cge.errors",
}
"""Public name -> module that defines it."""

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cge.gtap' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
