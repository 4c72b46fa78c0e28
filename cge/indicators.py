"""The indicator metadata table (``indicators.csv``): one row per result variable with its dims,
units and long name. It gives the results' xarray attrs and the indicator table in the docs."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

_TABLE = Path(__file__).resolve().parent / "indicators.csv"


@cache
def indicator_table() -> pd.DataFrame:
    """The indicator table indexed by name (columns dims, units, long_name)."""
    return pd.read_csv(_TABLE, keep_default_na=False).set_index("name")


def indicator_attrs(name: str) -> dict[str, str]:
    """``long_name`` and ``units`` attrs of a result variable.

    Raises
    ------
    KeyError
        If the variable has no row in ``indicators.csv``.
    """
    row = indicator_table().loc[name]
    return {"long_name": str(row["long_name"]), "units": str(row["units"])}
