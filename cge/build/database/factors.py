"""Endowments: labour split by skill, and non-labour income split into capital, land and natural resources.

A table's value added gives, by activity, labour income (compensation plus the labour part of
mixed income) and the surplus (the rest, net of production taxes). GTAP's endowments:

- ``UnSkLab`` / ``SkLab``: labour income × (1 − s), × s, with ``s`` the skilled share of
  ``calibration/database/skill_shares.csv`` (region or ``*``, sector);
- ``Land`` (sluggish), ``NatlRes`` (sector-specific): the surplus × the shares of
  ``calibration/database/endowments.csv`` (sector, endowment); ``Capital``: the rest.

Every share names its source in the file; the shipped values are labelled assumptions where no
data exist.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from cge.build.database.cells import ACTS, CAPITAL, ENDOWMENTS, ENDW, SKILLED, UNSKILLED
from cge.build.database.table import LABOUR, SURPLUS, VALUE_ADDED, NationalTable
from cge.build.sources import BuildInputError, read_csv_checked

SKILL_FILE = Path("database") / "skill_shares.csv"
ENDOWMENT_FILE = Path("database") / "endowments.csv"
ANY_REGION = "*"


def read_skill_shares(calibration_dir: Path, regions: list[str], sectors: list[str]) -> xr.DataArray:
    """Skilled share of labour income (REG, ACTS), the region's rows else the ``*`` rows.

    Raises
    ------
    BuildInputError
        If a (region, sector) has neither its own nor a ``*`` row, or a share is outside [0, 1].
    """
    path = Path(calibration_dir) / SKILL_FILE
    frame = read_csv_checked(
        path, ["region", "sector", "skilled_share", "source"], ["skilled_share"], dtype_str=["region", "sector"]
    )
    bad = frame["skilled_share"].isna() | (frame["skilled_share"] < 0) | (frame["skilled_share"] > 1)
    if bad.any():
        raise BuildInputError(f"{path}: skilled_share row {int(bad.idxmax()) + 2} must be in [0, 1]")
    table = {(r.region, r.sector): r.skilled_share for r in frame.itertuples()}
    out = np.zeros((len(regions), len(sectors)))
    for i, r in enumerate(regions):
        for j, s in enumerate(sectors):
            value = table.get((r, s), table.get((ANY_REGION, s)))
            if value is None:
                raise BuildInputError(f"{path}: no skilled_share for region {r} sector {s} (and no '*' row)")
            out[i, j] = value
    return xr.DataArray(out, dims=("REG", ACTS), coords={"REG": regions, ACTS: sectors})


def read_surplus_shares(calibration_dir: Path, sectors: list[str]) -> xr.DataArray:
    """Shares of the surplus paid to Land and NatlRes (ENDW, ACTS); Capital takes the rest.

    Raises
    ------
    BuildInputError
        On an unknown sector or endowment, or shares of a sector summing above 1.
    """
    path = Path(calibration_dir) / ENDOWMENT_FILE
    frame = read_csv_checked(
        path,
        ["sector", "endowment", "share_of_surplus", "source"],
        ["share_of_surplus"],
        dtype_str=["sector", "endowment"],
    )
    unknown = sorted(set(frame["sector"]) - set(sectors))
    if unknown:
        raise BuildInputError(f"{path}: sector(s) {unknown} are not model sectors")
    allowed = [e for e in ENDOWMENTS if e not in (SKILLED, UNSKILLED, CAPITAL)]
    bad = sorted(set(frame["endowment"]) - set(allowed))
    if bad:
        raise BuildInputError(f"{path}: endowment(s) {bad} not allowed (only {allowed}; capital takes the rest)")
    total = frame.groupby("sector")["share_of_surplus"].sum()
    if (total > 1).any() or (frame["share_of_surplus"] < 0).any():
        raise BuildInputError(f"{path}: shares of sector(s) {total[total > 1].index.tolist()} exceed 1 or are negative")
    out = xr.DataArray(
        np.zeros((len(ENDOWMENTS), len(sectors))), dims=(ENDW, ACTS), coords={ENDW: list(ENDOWMENTS), ACTS: sectors}
    )
    for r in frame.itertuples():
        out.loc[{ENDW: r.endowment, ACTS: r.sector}] = r.share_of_surplus
    out.loc[{ENDW: CAPITAL}] = 1.0 - out.sum(ENDW)
    return out


def endowments(table: NationalTable, skilled: xr.DataArray, surplus_shares: xr.DataArray) -> xr.DataArray:
    """EVFB of one region (ENDW, ACTS) [US$ million] from its table's labour and surplus.

    A negative surplus (an activity whose labour cost and production taxes exceed value added)
    is set to zero; the balancing restores the activity's costs."""
    labour = table.value_added.sel({VALUE_ADDED: LABOUR}).clip(min=0.0)
    surplus = table.value_added.sel({VALUE_ADDED: SURPLUS}).clip(min=0.0)
    share = skilled.sel(REG=table.region).drop_vars("REG")
    out = surplus_shares * surplus
    out.loc[{ENDW: SKILLED}] = labour * share
    out.loc[{ENDW: UNSKILLED}] = labour * (1.0 - share)
    return out.transpose(ENDW, ACTS)
