"""The controls and targets of the SAM build, expressed on the cells of the GTAP-format database.

The 2024 controls (``macro/controls.csv``: GDP, US goods trade by partner, Canada–Mexico trade,
agri-food exports) and the figures below the totals (``macro/controls_2024_sector.csv`` through
``calibration/controls/``) are read by the SAM build's own modules (:mod:`cge.build.controls`,
:mod:`cge.build.sector_controls`, :mod:`cge.build.agrifood`) as linear functions of SAM cells.
:func:`term_row` translates each SAM term to the database: ``vxmd`` → ``VXSB``, ``xtax`` →
``VFOB − VXSB``, ``tariff`` → ``VMSB − VCIF``, ``vfm`` → ``EVFB``, ``ptax`` → every tax but the
trade taxes, investment demand ``vdfd + vifd`` → ``VDIP + VMIP``. The same figures thus hold for
both products.
"""

from __future__ import annotations

from cge.balance import Term
from cge.balance.vector import LinearRow
from cge.build.controls import Measure
from cge.build.database.cells import COMM, REG, REG_2, CellSpace, _concat
from cge.build.mapping import Aggregation
from cge.build.sources import BuildInputError
from cge.dims import ACTIVITY, AGENT, COMMODITY, EXPORTER, FACTOR, IMPORTER, INVESTMENT, REGION

TRADE_DIMS = {COMMODITY: COMM, EXPORTER: REG, IMPORTER: REG_2}


def _labels(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def term_row(space: CellSpace, term: Term) -> tuple:
    """Indices and coefficients of one SAM-schema term on the database cells."""
    sel = dict(term.sel)
    if term.variable in ("vxmd", "xtax", "tariff"):
        unknown = set(sel) - set(TRADE_DIMS)
        if unknown:
            raise BuildInputError(f"term {term}: dims {sorted(unknown)} are not trade dims")
        trade_sel = {TRADE_DIMS[d]: _labels(v) for d, v in sel.items()}
        if term.variable == "vxmd":
            return space.form("VXSB").select(trade_sel, term.coef)
        if term.variable == "xtax":
            return space.difference("VFOB", "VXSB").select(trade_sel, term.coef)
        return space.difference("VMSB", "VCIF").select(trade_sel, term.coef)
    if term.variable == "vfm":
        dims = {REGION: REG, ACTIVITY: "ACTS"}
        if FACTOR in sel:
            raise BuildInputError(f"term {term}: factor selections are not translated (endowments differ)")
        return space.form("EVFB").select({dims[d]: _labels(v) for d, v in sel.items()}, term.coef)
    if term.variable == "ptax":
        regions = _labels(sel.get(REGION, space.coords[REG]))
        parts = [space.taxes(r, trade=False) for r in regions]
        i, c = _concat(parts)
        return i, c * term.coef
    if term.variable in ("vdfd", "vifd"):
        if _labels(sel.get(AGENT, INVESTMENT)) != [INVESTMENT]:
            raise BuildInputError(f"term {term}: only investment demand is translated")
        header = "VDIP" if term.variable == "vdfd" else "VMIP"
        chosen = {REG: _labels(sel[REGION])} if REGION in sel else {}
        if COMMODITY in sel:
            chosen[COMM] = _labels(sel[COMMODITY])
        return space.form(header).select(chosen, term.coef)
    raise BuildInputError(f"term {term}: variable {term.variable!r} has no database equivalent")


def measure_row(space: CellSpace, measure: Measure, *, soft: bool) -> LinearRow:
    """A control (hard) or soft target as a row of the database cells."""
    i, c = _concat(term_row(space, t) for t in measure.terms)
    if soft:
        return LinearRow(measure.name, i, c, measure.target, measure.sd, measure.side)
    return LinearRow(measure.name, i, c, measure.target)


def aggregation(regions: list[str], sectors, region_of: dict[str, str]) -> Aggregation:
    """The :class:`cge.build.mapping.Aggregation` the SAM build's control readers expect."""
    return Aggregation(
        regions=tuple(regions),
        sectors=tuple(sectors.sectors),
        region_of=dict(region_of),
        sector_of={},
        goods=tuple(sectors.goods),
        agrifood=tuple(sectors.agrifood),
        description="open database",
    )
