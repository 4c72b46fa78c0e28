"""The standard GTAP v7 model and GTAP v7 databases: the model solved as GEMPACK does, HAR files
in and out, load/check/aggregate, CMF files, synthetic databases, and the converter from the
project's SAM schema (``docs/gtap_database.md``).

Public API: :func:`solve`, :func:`solve_cmf`, :func:`prepare` and :func:`gtap_closure` (the
GTAP v7 model and the project's closures on it, ``docs/gtap7.md``),
:func:`read_har`, :func:`write_har`, :func:`load_database`, :func:`save_database`,
:func:`check_database`, :func:`database_problems`, :func:`aggregate_database`, :func:`read_cmf`,
:class:`CmfSpec`, :func:`select`, :func:`synthetic_database`, :func:`from_sam`, :data:`SCHEMA`,
:func:`gtap_shocks` and :class:`ShockPlan` (scenario rows as shocks, ``docs/scenarios.md``),
:func:`solve_to_targets` (a scenario's shocks solved, meeting its trade-balance targets),
and the errors :class:`HarError`, :class:`DatabaseError`, :class:`CmfError`.

The names are imported on first use (module ``__getattr__``), so ``import cge.gtap`` stays light.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "read_har": "cge.gtap.har",
    "write_har": "cge.gtap.har",
    "HarFile": "cge.gtap.har",
    "load_database": "cge.gtap.database",
    "save_database": "cge.gtap.database",
    "conform_database": "cge.gtap.database",
    "check_database": "cge.gtap.checks",
    "database_problems": "cge.gtap.checks",
    "aggregate_database": "cge.gtap.aggregate",
    "read_mapping": "cge.gtap.aggregate",
    "read_cmf": "cge.gtap.cmf",
    "parse_cmf": "cge.gtap.cmf",
    "CmfSpec": "cge.gtap.cmf",
    "select": "cge.gtap.cmf",
    "shock_values": "cge.gtap.cmf",
    "synthetic_database": "cge.gtap.synthetic",
    "solve": "cge.gtap.simulate",
    "solve_cmf": "cge.gtap.simulate",
    "prepare": "cge.gtap.simulate",
    "PreparedModel": "cge.gtap.simulate",
    "gtap_closure": "cge.gtap.horizons",
    "GtapSolveError": "cge.gtap.simulate",
    "updated_database": "cge.gtap.update",
    "from_sam": "cge.gtap.sam_conversion",
    "gtap_shocks": "cge.gtap.scenario_shocks",
    "ShockPlan": "cge.gtap.scenario_shocks",
    "solve_to_targets": "cge.gtap.trade_balance",
    "SCHEMA": "cge.gtap.schema",
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
