"""A hand-checkable SAM: 2 regions (A, B) × 2 commodities (man, ser) × 2 factors (lab, cap).

Every account balances by hand (US$ million):

Region A — man: inputs 20 + 10 (dom man, ser) + 10 (imported man) + factors 30 + 20 + ptax 5 = 95
= sales 20 + 5 (intermediate) + 30 + 15 (household, investment) + 25 (exports to B).
ser: 5 + 10 + 40 + 25 = 80 = 10 + 10 + 35 + 20 + 5. Imports of man from B: vxmd 20 + tariff 2 = 22
= 10 (man) + 12 (household). Income 115 + 5 + 2 = 122 = 77 + 20 + savings 25; investment 20;
trade balance 25 − 20 = 5 = 25 − 20.
Region B — man: 15 + 5 + 10 + 25 + 15 = 70 = 15 + 5 + 20 + 10 + 20; ser: 5 + 10 + 30 + 20 + ptax 2
= 67 = 5 + 10 + 30 + 17 + 5. Imports of man from A: vxmd 25 + tariff 2.5 = 27.5 = 10 + 10 + 7.5.
Income 90 + 2 + 2.5 = 94.5 = 60 + 17 + savings 17.5; investment 22.5; trade balance −5.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from cge.dims import (
    ACTIVITY,
    AGENT,
    AGENTS,
    AGRIFOOD,
    COMMODITY,
    EXPORTER,
    FACTOR,
    FACTOR_TYPE,
    GOODS,
    IMPORTER,
    REGION,
)


def two_region_sam() -> xr.Dataset:
    """The 2 × 2 × 2 hand-checkable SAM described in the module docstring [US$ million]."""
    regions, coms, factors = ["A", "B"], ["man", "ser"], ["lab", "cap"]
    # [commodity, activity, region]
    vdfm = np.array([[[20, 15], [5, 5]], [[10, 5], [10, 10]]], dtype=float)
    vifm = np.array([[[10, 10], [0, 0]], [[0, 0], [0, 0]]], dtype=float)
    # [commodity, agent(household, government, investment), region]
    vdfd = np.array([[[30, 20], [0, 0], [15, 10]], [[35, 30], [20, 17], [5, 5]]], dtype=float)
    vifd = np.array([[[12, 10], [0, 0], [0, 7.5]], [[0, 0], [0, 0], [0, 0]]], dtype=float)
    # [factor, activity, region]
    vfm = np.array([[[30, 25], [40, 30]], [[20, 15], [25, 20]]], dtype=float)
    ptax = np.array([[5, 0], [0, 2]], dtype=float)
    # [commodity, exporter, importer]
    vxmd = np.zeros((2, 2, 2))
    vxmd[0, 0, 1], vxmd[0, 1, 0] = 25, 20
    vims = np.zeros((2, 2, 2))
    vims[0, 0, 1], vims[0, 1, 0] = 27.5, 22
    coords = {
        REGION: regions,
        EXPORTER: regions,
        IMPORTER: regions,
        COMMODITY: coms,
        ACTIVITY: coms,
        FACTOR: factors,
        AGENT: list(AGENTS),
        FACTOR_TYPE: (FACTOR, ["labour", "capital"]),
        GOODS: (COMMODITY, [True, False]),
        AGRIFOOD: (COMMODITY, [False, False]),
    }
    sam = xr.Dataset(
        {
            "vdfm": ((COMMODITY, ACTIVITY, REGION), vdfm),
            "vifm": ((COMMODITY, ACTIVITY, REGION), vifm),
            "vdfd": ((COMMODITY, AGENT, REGION), vdfd),
            "vifd": ((COMMODITY, AGENT, REGION), vifd),
            "vfm": ((FACTOR, ACTIVITY, REGION), vfm),
            "ptax": ((ACTIVITY, REGION), ptax),
            "vxmd": ((COMMODITY, EXPORTER, IMPORTER), vxmd),
            "xtax": ((COMMODITY, EXPORTER, IMPORTER), np.zeros((2, 2, 2))),
            "vims": ((COMMODITY, EXPORTER, IMPORTER), vims),
            "savings": ((REGION,), np.array([25.0, 17.5])),
            "employment": ((ACTIVITY, REGION), np.array([[1000.0, 900.0], [1500.0, 1100.0]])),
        },
        coords=coords,
        attrs={"title": "hand-checkable 2x2x2 example", "units": "US$ million", "base_year": 0},
    )
    return sam
