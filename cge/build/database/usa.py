"""The United States: BEA summary supply-use tables (2023, the newest in ``national/usa_bea_sut``).

BEA's Use table is at purchasers' prices (73 commodities × 71 industries + final uses); the
Supply table gives, by commodity, domestic output at basic prices (the make matrix by
industry), imports c.i.f., trade and transport margins, import duties and product taxes and
subsidies. The conversion to basic prices, commodity by commodity:

- margins (``Trade + Trans``, positive for goods) are spread over the good's domestic users in
  proportion to their purchases (exports and inventory change excluded: exports stay at their
  purchasers' value, i.e. f.o.b. with the margins to the border in it) and booked as purchases of
  the trade and transport services (the margin commodities' negative entries say which service
  supplies them);
- net product taxes (``TOP + SUB``) are spread over the same domestic users in proportion to their
  purchases; import duties (``MDTY``) over the users of imports (the tariff step
  re-imposes them on the bilateral flows);
- imports (``MCIF + MADJ``) are split over users with BEA's import matrix (before
  redefinitions; its industries are the SUT's) and never exceed a user's purchase; exports take
  no imports (GTAP exports domestic output only).

Final uses: ``F010`` → private; government consumption ``F06C, F07C, F10C`` → government; private
and government fixed investment and inventory change → investment (a negative investment cell
after aggregation is set to zero and reported). Value added: ``V001`` compensation,
``T00OTOP − T00OSUB`` production taxes, ``V003`` gross operating surplus; the labour part of
proprietors' income follows WIOD-SEA 2014's ratio of labour compensation (employees and the
self-employed, ``LAB``) to compensation of employees (``COMP``) by model sector.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from cge.build.database.sectors import CONCORDANCE_DIR, SectorSet, concordance_matrix, read_concordance
from cge.build.database.sources import BEA_YEAR, NationalFiles, read_indexed
from cge.build.database.table import (
    FINAL_USERS,
    GOVERNMENT,
    INVESTMENT,
    PRIVATE,
    NationalTable,
    by_activity,
    by_commodity,
    comm_user,
    make_matrix,
    net_negative,
    value_added,
)
from cge.build.sources import BuildInputError

log = logging.getLogger(__name__)

CONCORDANCE = "bea_summary.csv"
FINAL_COLUMNS = {
    PRIVATE: ["F010"],
    GOVERNMENT: ["F06C", "F07C", "F10C"],
    INVESTMENT: [
        "F02E",
        "F02N",
        "F02R",
        "F02S",
        "F030",
        "F06E",
        "F06N",
        "F06S",
        "F07E",
        "F07N",
        "F07S",
        "F10E",
        "F10N",
        "F10S",
    ],
}
"""BEA final-use columns of each final user."""
EXPORTS = "F040"
INVENTORIES = "F030"
SUPPLY_COLUMNS = ("T007", "MCIF", "MADJ", "Trade", "Trans", "MDTY", "TOP", "SUB")
VA_ROWS = ("V001", "T00OTOP", "T00OSUB", "V003")


def _spread(total: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Rows of ``weights`` (commodity × user, ≥ 0) scaled to sum to ``total`` (0 where no weight)."""
    sums = weights.sum(axis=1, keepdims=True)
    return np.divide(weights * total[:, None], sums, out=np.zeros_like(weights), where=sums > 0)


def _cap_imports(imports: np.ndarray, purchases: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Imports by user at most the user's purchase, the excess moved to users with room."""
    out = np.minimum(imports, purchases)
    for _ in range(50):
        short = total - out.sum(axis=1)
        room = np.maximum(purchases - out, 0.0)
        if np.all(np.abs(short) <= 1e-9 * np.maximum(total, 1.0)):
            break
        out = out + np.minimum(_spread(np.maximum(short, 0.0), room), room)
    return out


TRAVEL = "Other"
"""BEA's noncomparable imports and rest-of-the-world adjustment: its exports (``F040``) are
nonresidents' purchases in the US (travel), its private use residents' purchases abroad."""
TRAVEL_BASKET = ("721", "722", "481", "485", "487OS", "711AS", "713", "4A0", "445", "452", "441")
"""Commodities nonresidents buy in the US (accommodation, food services, passenger transport,
recreation, retail): the travel exports are moved to them in proportion to their private use
(ASSUMPTION: BEA's summary tables do not give the composition)."""


def _travel_exports(frame: pd.DataFrame, col: dict[str, int]) -> tuple[np.ndarray, float]:
    """Purchases with the travel exports of :data:`TRAVEL` moved to the commodities of the basket.

    The exports leave the travel row (and the same amount is added to its private use, which
    then equals residents' purchases abroad); the basket commodities' exports rise and their
    private use falls by the same amounts, in proportion to their private use."""
    values = frame.to_numpy(float).copy()
    rows = list(frame.index)
    if TRAVEL not in rows:
        return values, 0.0
    t = rows.index(TRAVEL)
    exported = values[t, col[EXPORTS]]
    basket = [rows.index(c) for c in TRAVEL_BASKET if c in rows]
    pce = np.maximum(values[basket, col[FINAL_COLUMNS[PRIVATE][0]]], 0.0)
    if exported <= 0 or pce.sum() <= 0:
        return values, 0.0
    moved = exported * pce / pce.sum()
    values[t, col[EXPORTS]] = 0.0
    values[t, col[FINAL_COLUMNS[PRIVATE][0]]] += exported
    values[basket, col[EXPORTS]] += moved
    values[basket, col[FINAL_COLUMNS[PRIVATE][0]]] -= moved
    return values, float(exported)


def read_usa(files: NationalFiles, calibration_dir: Path, sectors: SectorSet, lab_ratio: pd.Series) -> NationalTable:
    """The US table for :data:`BEA_YEAR` in model sectors [US$ million, basic prices].

    Parameters
    ----------
    lab_ratio : pandas.Series
        WIOD-SEA ``LAB / COMP`` by model sector (≥ 1): labour income over compensation of employees.

    Raises
    ------
    BuildInputError
        On missing rows or columns in the BEA files or codes the concordance does not map.
    """
    use = read_indexed(files.bea_use, "BEA Use table")
    supply = read_indexed(files.bea_supply, "BEA Supply table")
    imports = read_indexed(files.bea_imports, "BEA import matrix")
    conc_path = Path(calibration_dir) / CONCORDANCE_DIR / CONCORDANCE
    conc = read_concordance(conc_path, sectors)
    commodities = [c for c in supply.index if c != "T017"]
    industries = [c for c in supply.columns if c not in SUPPLY_COLUMNS and not c.startswith("T")]
    finals = [c for cols in FINAL_COLUMNS.values() for c in cols] + [EXPORTS]
    for frame, rows, cols, name in (
        (use, commodities + list(VA_ROWS), industries + finals, files.bea_use),
        (supply, commodities, industries + list(SUPPLY_COLUMNS), files.bea_supply),
        (imports, [], industries + finals, files.bea_imports),
    ):
        missing = [r for r in rows if r not in frame.index] + [c for c in cols if c not in frame.columns]
        if missing:
            raise BuildInputError(f"{name}: missing rows/columns {missing[:8]}")
    cm = concordance_matrix(conc, commodities, sectors, str(conc_path))
    im = concordance_matrix(conc, industries, sectors, str(conc_path))
    labels = list(sectors.sectors)

    col = {c: k for k, c in enumerate(industries + finals)}
    purch, travel = _travel_exports(use.loc[commodities, industries + finals], col)
    netted = float(-np.minimum(purch, 0.0).sum())
    purch = net_negative(purch)
    s = supply.loc[commodities]
    weights = np.maximum(purch, 0.0)
    weights[:, col[INVENTORIES]] = 0.0
    weights[:, col[EXPORTS]] = 0.0  # exports stay at purchasers' prices (fob): their margins are in them
    margin_total = (s["Trade"] + s["Trans"]).to_numpy(float)
    goods_margin = np.maximum(margin_total, 0.0)
    margins = _spread(goods_margin, weights)
    taxes = _spread((s["TOP"] + s["SUB"]).to_numpy(float), weights)
    imp_weights = imports.reindex(index=commodities, fill_value=0.0)[industries + finals].to_numpy(float)
    imp_weights = np.maximum(imp_weights, 0.0)
    imp_weights[:, col[EXPORTS]] = 0.0
    duties = _spread(s["MDTY"].to_numpy(float), imp_weights)
    basic = purch - margins - taxes - duties
    # margins become purchases of the services that supply them (their negative Trade/Trans entries)
    kind_margin = {}
    for kind in ("Trade", "Trans"):
        supplied = np.maximum(-s[kind].to_numpy(float), 0.0)
        kind_margin[kind] = (
            margins
            * np.divide(
                np.maximum(s[kind].to_numpy(float), 0.0),
                goods_margin,
                out=np.zeros(len(commodities)),
                where=goods_margin > 0,
            )[:, None]
        )
        basic += np.outer(supplied / supplied.sum(), kind_margin[kind].sum(axis=0))
    import_total = np.maximum((s["MCIF"] + s["MADJ"]).to_numpy(float), 0.0)
    room = np.maximum(basic, 0.0)
    room[:, col[EXPORTS]] = 0.0
    imp = _cap_imports(_spread(import_total, imp_weights), room, import_total)
    dom = basic - imp

    def to_users(values: np.ndarray) -> np.ndarray:
        """(BEA commodity × BEA user) → (model commodity × model user)."""
        out = np.zeros((len(labels), len(labels) + len(FINAL_USERS)))
        out[:, : len(labels)] = cm.T @ values[:, : len(industries)] @ im
        for k, user in enumerate(FINAL_USERS):
            cols = [col[c] for c in FINAL_COLUMNS[user]]
            out[:, len(labels) + k] = cm.T @ values[:, cols].sum(axis=1)
        return out

    dom_m, imp_m, tax_m, margin_m = to_users(dom), to_users(imp), to_users(taxes), to_users(kind_margin["Trade"])
    negative = dom_m < 0
    notes = {"travel_exports_musd": f"{travel:.0f}", "negative_purchases_netted_musd": f"{netted:.0f}"}
    if negative.any():
        moved = float(-dom_m[negative].sum())
        notes["negative_domestic_use_zeroed_musd"] = f"{moved:.1f}"
        log.info(
            "USA: %d negative domestic-use cells (%.1f US$ m, inventory draw-downs) set to zero", negative.sum(), moved
        )
        dom_m = np.maximum(dom_m, 0.0)
    imp_m = np.maximum(imp_m, 0.0)
    exports = cm.T @ dom[:, col[EXPORTS]]
    make = cm.T @ supply.loc[commodities, industries].to_numpy(float) @ im
    va = use.loc[list(VA_ROWS), industries].to_numpy(float) @ im
    compensation, ptax, surplus = va[0], va[1] - va[2], va[3]
    labour = np.minimum(compensation * lab_ratio.reindex(labels).fillna(1.0).to_numpy(), compensation + surplus)
    gos = surplus - (labour - compensation)
    goods_rows = cm[:, [k for k, g in enumerate(sectors.goods) if g]].sum(axis=1)
    purchases_goods = float(goods_rows @ weights.sum(axis=1))
    notes.update(
        {
            "trade_margins_musd": f"{float(s['Trade'].clip(lower=0).sum()):.0f}",
            "transport_margins_musd": f"{float(s['Trans'].clip(lower=0).sum()):.0f}",
            "product_taxes_musd": f"{float((s['TOP'] + s['SUB']).sum()):.0f}",
            "import_duties_musd": f"{float(s['MDTY'].sum()):.0f}",
            "goods_purchases_domestic_musd": f"{purchases_goods:.0f}",
            "trade_margin_rate_goods": f"{float(kind_margin['Trade'].sum()) / purchases_goods:.6f}",
        }
    )
    source = (
        f"BEA summary Use (purchasers' prices), Supply and import matrix (before redefinitions), {BEA_YEAR}, "
        "2017 NAICS schema, 2024 annual-update vintage (national/usa_bea_sut, via USEPA flowsa/useeior); "
        "margins, product taxes and import duties removed by commodity; labour part of proprietors' income: "
        f"WIOD-SEA {2014} LAB/COMP by sector"
    )
    return NationalTable(
        region="USA",
        year=BEA_YEAR,
        source=source,
        make=make_matrix(make, labels),
        dom=comm_user(dom_m, labels),
        imp=comm_user(imp_m, labels),
        tax=comm_user(tax_m, labels),
        exports=by_commodity(exports, labels),
        value_added=value_added(compensation, labour, gos, labels),
        production_tax=by_activity(ptax, labels),
        margins=comm_user(margin_m, labels),
        notes=notes,
    )
