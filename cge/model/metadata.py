"""The model's metadata table: one row per variable, expression, parameter and equation.

``metadata.csv`` beside this module is the single source for Pyomo ``doc=`` strings, xarray
attrs of results and ``docs/model.md``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

_TABLE = Path(__file__).resolve().parent / "metadata.csv"


@cache
def metadata_table() -> pd.DataFrame:
    """The metadata table indexed by name (columns kind, dims, units, block, description)."""
    return pd.read_csv(_TABLE, keep_default_na=False).set_index("name")


def doc(name: str) -> str:
    """Doc string of a model component: description with units."""
    row = metadata_table().loc[name]
    return f"{row['description']} [{row['units']}]"
