"""WIOD 2016 release national input-output tables (``national/wiod2016_niot``), read into model sectors.

Each file holds, by year, 56 industries (ISIC Rev.4) with domestic and imported use by using
industry and final use, and the rows ``TXSP`` (taxes less subsidies on products), ``PURR`` /
``PURNR`` (direct purchases abroad by residents / in the domestic market by non-residents),
``VA`` (value added at basic prices), ``IntTTM`` (international transport margins on imports)
and ``GO``. US$ million, current prices. The tables are industry by industry (make = diagonal).

Conversion (:func:`read_niot`):

- final uses: households + NPISH → private, government → government, GFCF + inventories →
  investment; negative purchases are netted against the same commodity's positive purchases;
- ``IntTTM`` is added to each user's imports (in proportion to its imported goods): GTAP values
  imports by user at c.i.f.;
- ``TXSP`` of a user is spread over its purchases in proportion (no product detail);
- travel: non-residents' purchases (``−PURNR``) leave private use and become exports of
  accommodation, transport and retail services (:data:`TRAVEL_SECTORS`, in proportion to private
  use); residents' purchases abroad (``PURR``) are imports of other services by the private user.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cge.build.database.sectors import CONCORDANCE_DIR, SectorSet, concordance_matrix, read_concordance
from cge.build.database.table import FINAL_USERS, GOVERNMENT, INVESTMENT, PRIVATE, net_negative
from cge.build.sources import BuildInputError, read_csv_checked

CONCORDANCE = "wiod56.csv"
FINAL_COLUMNS = {PRIVATE: ["CONS_h", "CONS_np"], GOVERNMENT: ["CONS_g"], INVESTMENT: ["GFCF", "INVEN"]}
EXPORTS = "EXP"
TOTAL_ROWS = ("TXSP", "EXP_adj", "PURR", "PURNR", "VA", "IntTTM", "GO")
TRAVEL_SECTORS = ("other_services", "transport", "trade")
"""Model sectors that sell to non-residents in the domestic market (accommodation and food
services, passenger transport, retail): ASSUMPTION, in proportion to their private use."""
TRAVEL_IMPORTS = "other_services"
"""Model sector of residents' purchases abroad."""


@dataclass(frozen=True)
class NiotTable:
    """A WIOD 2016 national table in model sectors [US$ million].

    Attributes
    ----------
    dom, imp : ndarray (sector, user)
        Domestic and imported (c.i.f.) use; users = sectors then private, government, investment.
    tax : ndarray (sector, user)
        Net product taxes spread over each user's purchases.
    exports : ndarray (sector,)
    output : ndarray (sector,)
        Gross output (diagonal make matrix).
    va : ndarray (sector,)
        Value added at basic prices.
    va56 : pandas.Series
        Value added by WIOD industry (for sector shares at the source level).
    travel : dict
        ``exports`` (non-residents' purchases moved to exports) and ``imports`` (PURR) [US$ million].
    """

    dom: np.ndarray
    imp: np.ndarray
    tax: np.ndarray
    exports: np.ndarray
    output: np.ndarray
    va: np.ndarray
    va56: pd.Series
    travel: dict[str, float]


def read_niot_frame(path: Path, year: int) -> pd.DataFrame:
    """The rows of ``year`` of a WIOD 2016 national table, checked."""
    frame = read_csv_checked(path, ["Year", "Code", "Origin", "GO"], ["Year"], dtype_str=["Code", "Origin"])
    rows = frame[frame["Year"] == year]
    if rows.empty:
        raise BuildInputError(f"{path}: no rows for year {year}")
    missing = [r for r in TOTAL_ROWS if r not in set(rows.loc[rows["Origin"] == "TOT", "Code"])]
    if missing:
        raise BuildInputError(f"{path}: rows {missing} missing for year {year}")
    return rows


def read_niot(path: Path, year: int, calibration_dir: Path, sectors: SectorSet) -> NiotTable:
    """Read one WIOD 2016 national table into model sectors (see the module docstring)."""
    rows = read_niot_frame(path, year)
    industries = [
        c for c in rows.columns[4:] if c not in ("GO",) and c not in sum(FINAL_COLUMNS.values(), []) and c != EXPORTS
    ]
    conc_path = Path(calibration_dir) / CONCORDANCE_DIR / CONCORDANCE
    cm = concordance_matrix(read_concordance(conc_path, sectors), industries, sectors, str(conc_path))
    labels = list(sectors.sectors)
    final = [c for u in FINAL_USERS for c in FINAL_COLUMNS[u]]
    cols = industries + final + [EXPORTS]
    for c in cols:
        if c not in rows.columns:
            raise BuildInputError(f"{path}: column {c!r} missing")
    block = {}
    for origin in ("Domestic", "Imports"):
        part = rows[rows["Origin"] == origin].set_index("Code").reindex(industries)
        if part.isna().all(axis=1).any():
            raise BuildInputError(
                f"{path}: {origin} rows missing for {part.index[part.isna().all(axis=1)].tolist()[:5]}"
            )
        block[origin] = part[cols].to_numpy(float)
    tot = rows[rows["Origin"] == "TOT"].set_index("Code")[cols].astype(float)
    col = {c: k for k, c in enumerate(cols)}

    dom = net_negative(block["Domestic"])
    imp = net_negative(block["Imports"])
    # international transport margins: c.i.f. imports by user
    margin = tot.loc["IntTTM"].to_numpy(float)
    goods_rows = np.array([any(sectors.goods[k] for k in np.nonzero(cm[i])[0]) for i in range(len(industries))])
    imp_goods = imp * goods_rows[:, None]
    imp = imp + np.divide(
        imp_goods * margin, imp_goods.sum(axis=0), out=np.zeros_like(imp), where=imp_goods.sum(axis=0) > 0
    )
    txsp = tot.loc["TXSP"].to_numpy(float)
    purchases = dom + imp
    tax = np.divide(
        purchases * txsp, purchases.sum(axis=0), out=np.zeros_like(purchases), where=purchases.sum(axis=0) > 0
    )

    def to_model(values: np.ndarray) -> np.ndarray:
        out = np.zeros((len(labels), len(labels) + len(FINAL_USERS)))
        out[:, : len(labels)] = cm.T @ values[:, : len(industries)] @ cm
        for k, user in enumerate(FINAL_USERS):
            out[:, len(labels) + k] = cm.T @ values[:, [col[c] for c in FINAL_COLUMNS[user]]].sum(axis=1)
        return out

    dom_m, imp_m, tax_m = to_model(dom), to_model(imp), to_model(tax)
    exports = cm.T @ dom[:, col[EXPORTS]]
    # travel: non-residents' domestic purchases become exports; residents' purchases abroad imports
    nonres = -float(tot.loc["PURNR", FINAL_COLUMNS[PRIVATE]].sum())
    abroad = float(tot.loc["PURR", [c for u in FINAL_USERS for c in FINAL_COLUMNS[u]]].sum())
    p = len(labels) + FINAL_USERS.index(PRIVATE)
    basket = [labels.index(s) for s in TRAVEL_SECTORS if s in labels]
    if nonres > 0 and basket:
        weights = dom_m[basket, p]
        moved = nonres * weights / weights.sum()
        dom_m[basket, p] -= moved
        exports[basket] += moved
    if abroad > 0 and TRAVEL_IMPORTS in labels:
        imp_m[labels.index(TRAVEL_IMPORTS), p] += abroad
    go = rows[rows["Origin"] == "Domestic"].set_index("Code").reindex(industries)["GO"].to_numpy(float)
    va56 = tot.loc["VA", industries]
    return NiotTable(
        dom_m,
        imp_m,
        tax_m,
        exports,
        cm.T @ go,
        cm.T @ va56.to_numpy(float),
        va56,
        {"exports": nonres, "imports": abroad},
    )
