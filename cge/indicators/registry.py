"""The indicator registry: ``cge/indicators.csv`` (one row per result variable).

Columns of the table: ``name``; ``kind`` (``indicator``, ``welfare`` (the EV decomposition,
GTAP's WELVIEW), ``solver``, ``scenario``, ``coordinate``);
``dims``; ``units``; ``long_name``; ``gtap`` (the closest GTAP name);
``reference`` (how a value is re-expressed against a reference scenario: ``ratio`` for percent
changes, ``difference`` for changes such as EV, ``level`` for levels, ``none``); ``aggregate``
(how a group subtotal is formed: ``sum``, ``pct:<level>`` for the percent change of a level
variable, or empty for none).

:data:`cge.indicators.gtap.PRODUCED` lists the rows the GTAP v7 indicators produce; a test
checks that every ``indicator`` row is produced.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

import pandas as pd

TABLE_PATH = Path(__file__).resolve().parent.parent / "indicators.csv"
REFERENCE_RULES = ("ratio", "difference", "level", "none")


@cache
def indicator_table() -> pd.DataFrame:
    """The indicator table indexed by name (columns kind, dims, units, long_name, gtap, reference, aggregate)."""
    return pd.read_csv(TABLE_PATH, keep_default_na=False).set_index("name")


@cache
def indicator_attrs(name: str) -> dict[str, str]:
    """xarray attrs of a result variable: ``long_name``, ``units`` and (when known) ``gtap``.

    Raises
    ------
    KeyError
        If the variable has no row in ``indicators.csv``.
    """
    row = indicator_table().loc[name]
    attrs = {"long_name": str(row["long_name"]), "units": str(row["units"])}
    if row["gtap"]:
        attrs["gtap"] = str(row["gtap"])
    return attrs


MODEL_COMPONENT_ATTR = "model_component"
"""Attr that marks a model variable, expression or parameter in ``detail="all"`` results."""
GEMPACK_TYPE_ATTR = "gempack_type"
"""Attr of a GTAP v7 variable in results: ``percentage change`` or ``ordinary change`` (GEMPACK's types)."""


def reference_rule(name: str, attrs: Mapping | None = None) -> str:
    """How ``name`` is re-expressed against a reference scenario.

    Indicators take their rule from ``indicators.csv``. Model components of ``detail="all"``
    results (marked by the ``model_component`` attr) follow their units: percent changes
    (``<name>_pct``) are ``ratio``, levels are ``level``. GTAP v7 variables (``gtap_variable``
    attr) follow their type: percentage changes ``ratio``, ordinary changes ``difference``.
    Anything else is ``none``.
    """
    table = indicator_table()
    if name in table.index:
        return str(table.at[name, "reference"])
    if attrs is not None and MODEL_COMPONENT_ATTR in attrs:
        return "ratio" if attrs.get("units") == "percent" else "level"
    if attrs is not None and "gtap_variable" in attrs:  # GTAP v7 variables of detail="all"
        from cge.gtap.model.variables import variable_table

        spec = variable_table().get(str(attrs["gtap_variable"]))
        if spec is not None:
            return "ratio" if spec.type == "pct" else "difference"
    return "none"


def aggregate_rule(name: str) -> str:
    """How a group subtotal of ``name`` is formed (``""`` = not aggregated)."""
    table = indicator_table()
    return str(table.at[name, "aggregate"]) if name in table.index else ""
