"""The definition of agri-food trade: which products the agri-food controls cover.

The agri-food controls of ``controls.csv`` (US exports to Mexico 31.4 and Canada 32.4 US$ bn,
2024) are USDA FAS figures for *agricultural and related products*: agricultural products (the
WTO definition USDA adopted in 2021, incl. ethanol, spirits and manufactured tobacco), fish and
seafood, and forest products (logs, lumber, panels). The model's ``agrifood`` sectors are WIOD
c1 (agriculture, hunting, forestry, fishing) and c3 (food, beverages, tobacco): they cover all of
that except processed forest products, which sit in WIOD c6 (wood and wood products) inside a
non-agri-food model sector.

``calibration/controls/agrifood_definition.csv`` lists such WIOD industries (``figure,
wiod_code, note``). The control is then imposed on the same product scope as the figure: the
agri-food sectors' exports plus ``share × exports`` of the model sector holding the industry,
where ``share`` is the industry's part of that sector's exports between the same two regions in
the WIOD 2011 table. The ``agrifood`` coordinate (and the agri-food indicators) keep the farm and
food scope: USDA's agricultural and related products less processed wood products.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np

from cge.balance import Term
from cge.build.controls import ControlSet, fob_terms
from cge.build.mapping import Aggregation
from cge.build.sources import BuildInputError, read_csv_checked
from cge.build.wiod import WiodTable
from cge.dims import COMMODITY, EXPORTER, IMPORTER

log = logging.getLogger(__name__)

DEFINITION_FILE = Path("controls") / "agrifood_definition.csv"


def agrifood_definition(agg: Aggregation, controls: ControlSet) -> str:
    """Text for the ``definition`` attribute of the ``agrifood`` coordinate."""
    flagged = [s for s, a in zip(agg.sectors, agg.agrifood) if a]
    codes = {s: [c for c, x in agg.sector_of.items() if x == s] for s in flagged}
    text = "agri-food sectors: " + "; ".join(f"{s} (WIOD {' '.join(codes[s])})" for s in flagged)
    widened = [m.name for m in controls.measures if "widened to the figure's scope" in m.source]
    if widened:
        text += (
            ". The agri-food controls (USDA FAS agricultural and related products) also cover processed forest "
            f"products outside these sectors, added by share: {', '.join(widened)}; see calibration/{DEFINITION_FILE}"
        )
    return text


def related_shares(
    table: WiodTable, agg: Aggregation, wiod_code: str, exporter: str, importer: str
) -> tuple[str, float]:
    """Model sector holding ``wiod_code`` and the industry's share of that sector's exports
    ``exporter -> importer`` in the WIOD table (intermediate + final use, US$ million)."""
    if wiod_code not in table.industries:
        raise BuildInputError(f"{DEFINITION_FILE}: WIOD industry {wiod_code!r} is not in the WIOD table")
    sector = agg.sector_of[wiod_code]
    members = [k for k, code in enumerate(table.industries) if agg.sector_of[code] == sector]
    src = [k for k, c in enumerate(table.countries) if agg.region_of[c] == exporter]
    dst = [k for k, c in enumerate(table.countries) if agg.region_of[c] == importer]
    flows = table.intermediate[np.ix_(src, members, dst)].sum(axis=(0, 2, 3)) + table.final[
        np.ix_(src, members, dst)
    ].sum(axis=(0, 2, 3))
    total = flows.sum()
    share = float(flows[members.index(table.industries.index(wiod_code))] / total) if total > 0 else 0.0
    return sector, share


def widen_agrifood_controls(
    controls: ControlSet, table: WiodTable, agg: Aggregation, calibration_dir: Path
) -> ControlSet:
    """The control set with every agri-food measure extended to the products of the definition file.

    Without a definition file the controls are returned unchanged.
    """
    path = Path(calibration_dir) / DEFINITION_FILE
    if not path.is_file():
        return controls
    frame = read_csv_checked(path, ["figure", "wiod_code"], dtype_str=["figure", "wiod_code"])
    measures = []
    for m in controls.measures:
        rows = frame[frame["figure"] == m.figure]
        if rows.empty:
            measures.append(m)
            continue
        sel = dict(m.terms[0].sel)
        exporters, importers = list(sel[EXPORTER]), list(sel[IMPORTER])
        extra: list[Term] = []
        notes = []
        for code in rows["wiod_code"]:
            if code not in agg.sector_of:
                raise BuildInputError(f"{path}: WIOD industry {code!r} has no model sector")
            sector = agg.sector_of[code]
            if sector in sel[COMMODITY]:
                continue  # already an agri-food sector in this aggregation
            for e in exporters:
                for i in importers:
                    _, share = related_shares(table, agg, code, e, i)
                    extra += [Term(t.variable, t.sel, share) for t in fob_terms([sector], [e], [i])]
                    notes.append(f"{share:.3f} x {sector}[{e}->{i}] ({code})")
        source = m.source + (f"; measure widened to the figure's scope: + {', '.join(notes)}" if notes else "")
        measures.append(dataclasses.replace(m, terms=m.terms + tuple(extra), source=source))
        if notes:
            log.info("agri-food control %s widened: %s", m.name, notes)
    return dataclasses.replace(controls, measures=tuple(measures))
