"""Sparse index sets of the model: only benchmark flows that are positive get variables.

Everything is derived from the calibrated data, so any region/sector/factor labels work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from cge.calibrate import Calibration
from cge.dims import (
    ACTIVITY,
    AGENT,
    CAPITAL,
    COMMODITY,
    EXPORTER,
    FACTOR,
    FACTOR_TYPE,
    GOODS,
    IMPORTER,
    INVESTMENT,
    LABOUR,
    REGION,
)


def _positive(da: xr.DataArray, dims: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Label tuples (in ``dims`` order) where ``da`` > 0."""
    arr = da.transpose(*dims)
    idx = np.argwhere(arr.values > 0)
    labels = [[str(x) for x in arr[d].values] for d in dims]
    return [tuple(labels[k][i] for k, i in enumerate(row)) for row in idx]


@dataclass(frozen=True)
class ModelIndex:
    """Index sets (lists of label tuples) of one calibrated model.

    ``mobile_factors`` are (factor, region) pairs with one economy-wide price; ``specific_uses``
    are (factor, activity, region) triples with their own price and fixed quantity;
    ``labour_factors`` and ``capital_factors`` are the endowed (factor, region) pairs of each
    type; ``investing_regions`` have investment demand in the SAM; ``commodity_flags`` lists the
    commodities each boolean SAM coordinate (``goods``, ``agrifood``) flags, for the commodity
    groups of scenario rows (:func:`cge.indicators.groups.expand_label`).
    """

    regions: tuple[str, ...]
    commodities: tuple[str, ...]
    factors: tuple[str, ...]
    activities: list[tuple[str, str]]
    va_activities: list[tuple[str, str]]
    nd_activities: list[tuple[str, str]]
    factor_uses: list[tuple[str, str, str]]
    intermediate_uses: list[tuple[str, str, str]]
    armington: list[tuple[str, str]]
    domestic_supply: list[tuple[str, str]]
    import_composites: list[tuple[str, str]]
    flows: list[tuple[str, str, str]]
    fd_agents: list[tuple[str, str]]
    fd_uses: list[tuple[str, str, str]]
    mobile_factors: list[tuple[str, str]]
    specific_uses: list[tuple[str, str, str]]
    labour_factors: list[tuple[str, str]]
    capital_factors: list[tuple[str, str]]
    investing_regions: tuple[str, ...]
    factor_types: dict[str, str]
    goods: tuple[str, ...]
    commodity_flags: dict[str, tuple[str, ...]]


def build_index(cal: Calibration, capital_mobile: bool) -> ModelIndex:
    """Derive the sparse index sets from a calibration.

    Parameters
    ----------
    cal : Calibration
        Calibrated benchmark.
    capital_mobile : bool
        True: capital-type factors move across activities; False: they are sector-specific.
        Labour is always mobile; land and natural resources are always sector-specific.
    """
    d = cal.data
    ftype = {str(f): str(t) for f, t in zip(d[FACTOR].values, d[FACTOR_TYPE].values)}
    mobile_types = {LABOUR} | ({CAPITAL} if capital_mobile else set())
    factor_uses = _positive(d["vfm"], (FACTOR, ACTIVITY, REGION))
    endowed = _positive(d["endow0"], (FACTOR, REGION))
    return ModelIndex(
        regions=tuple(str(r) for r in d[REGION].values),
        commodities=tuple(str(c) for c in d[COMMODITY].values),
        factors=tuple(ftype),
        activities=_positive(d["vom"], (ACTIVITY, REGION)),
        va_activities=_positive(d["va0"], (ACTIVITY, REGION)),
        nd_activities=_positive(d["nd0"], (ACTIVITY, REGION)),
        factor_uses=factor_uses,
        intermediate_uses=_positive(d["vdfm"] + d["vifm"], (COMMODITY, ACTIVITY, REGION)),
        armington=_positive(d["qa0"], (COMMODITY, REGION)),
        domestic_supply=_positive(d["dom0"], (COMMODITY, REGION)),
        import_composites=_positive(d["imp0"], (COMMODITY, REGION)),
        flows=_positive(d["vims"], (COMMODITY, EXPORTER, IMPORTER)),
        fd_agents=_positive(d["fd0"], (AGENT, REGION)),
        fd_uses=_positive(d["vdfd"] + d["vifd"], (COMMODITY, AGENT, REGION)),
        mobile_factors=[(f, r) for f, r in endowed if ftype[f] in mobile_types],
        specific_uses=[(f, j, r) for f, j, r in factor_uses if ftype[f] not in mobile_types],
        labour_factors=[(f, r) for f, r in endowed if ftype[f] == LABOUR],
        capital_factors=[(f, r) for f, r in endowed if ftype[f] == CAPITAL],
        investing_regions=tuple(
            str(r) for r in d[REGION].values if float(d["fd0"].sel({AGENT: INVESTMENT, REGION: r})) > 0
        ),
        factor_types=ftype,
        goods=tuple(str(c) for c, g in zip(d[COMMODITY].values, d[GOODS].values) if bool(g)),
        commodity_flags={
            str(name): tuple(str(c) for c, flag in zip(d[COMMODITY].values, coord.values) if bool(flag))
            for name, coord in d.coords.items()
            if coord.dims == (COMMODITY,) and coord.dtype == bool
        },
    )
