"""Fast label lookups of calibrated arrays for the model builders."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import xarray as xr

from cge.calibrate import Calibration


class Lookup:
    """Dictionary views of a calibration's arrays, keyed by label tuples (or a label for 1-D).

    Only non-zero entries are stored; missing keys read as 0. Scalars are plain floats.
    """

    def __init__(self, cal: Calibration):
        self._data = cal.data
        self._cache: dict[str, Any] = {}  # dict, or a float for a scalar

    def __call__(self, name: str) -> dict:
        if name not in self._cache:
            self._cache[name] = _as_dict(self._data[name])
        return self._cache[name]

    def has(self, name: str) -> bool:
        """Whether the calibration has a variable of this name (e.g. the employment satellite)."""
        return name in self._data

    def scalar(self, name: str) -> float:
        """A 0-d calibrated value."""
        return float(self._data[name].values)

    @cached_property
    def sam_hash(self) -> str:
        return str(self._data.attrs["sam_hash"])


class _ZeroDict(dict):
    def __missing__(self, key):
        return 0.0


def _as_dict(da: xr.DataArray) -> dict:
    labels = [[str(x) for x in da[d].values] for d in da.dims]
    out = _ZeroDict()
    values = da.values
    for pos in np.argwhere(values != 0):
        key = tuple(labels[k][i] for k, i in enumerate(pos))
        out[key[0] if len(key) == 1 else key] = float(values[tuple(pos)])
    return out
