"""Mexico: the WIOD 2016 release table for 2014 re-weighted to INEGI's 2018 input-output table.

INEGI's 2018 table (``national/mex_inegi_mip_2018``, MXN million, basic prices, 20 SCIAN sectors,
one manufacturing sector) is the newest; the WIOD 2016 table for 2014 has the 56-industry detail
(manufacturing by branch, imports by using industry). The conversion:

1. the WIOD table in model sectors (:mod:`cge.build.database.niot`);
2. each INEGI group (``concordances/inegi20.csv``: agriculture, mining, utilities, construction,
   manufacturing, trade, transport, business and other services) is resized to INEGI's 2018
   output in US$ (at the Federal Reserve's 2018 rate): the activities' costs and output, and the
   commodities' final use and exports, times the group's factor (the manufacturing branches keep
   their 2014 proportions; the balancing step restores the identities);
3. value added of every sector is split with its INEGI group's 2018 shares: compensation
   ``D.1``, net production taxes ``D.29−D.39``, and the rest (``B.2b``, which includes mixed
   income); the labour part of mixed income is the group's owners, family and unpaid workers
   (``PFTNRD``) times the compensation per paid job (``D.1 / PTR``), at most ``B.2b``;
4. net product taxes: INEGI's ``D.21−D.31`` over purchases at basic prices (domestic ``UON`` +
   imports ``P.7``) by using group and final user, applied to each user's purchases.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cge.build.database.niot import read_niot
from cge.build.database.sectors import CONCORDANCE_DIR, SectorSet
from cge.build.database.sources import INEGI_YEAR, WIOD16_YEAR, NationalFiles, exchange_rate
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
    value_added,
)
from cge.build.sources import BuildInputError, read_csv_checked

CONCORDANCE = "inegi20.csv"
ROWS = ("P.1", "B.1bV", "D.1", "D.29-D.39", "B.2b", "D.21-D.31", "UON", "P.7", "PT", "PTR", "PFTNRD", "OT", "Emp")
FINAL_LABELS = {PRIVATE: "CPrv", GOVERNMENT: "CG", INVESTMENT: ("P.51b", "P.52")}
"""INEGI final-use column codes of each final user."""


def read_inegi(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """INEGI's rows :data:`ROWS` by SCIAN sector (index) and by final-use column [MXN million; jobs].

    Raises
    ------
    BuildInputError
        If a row or a sector column is missing.
    """
    try:
        frame = pd.read_csv(path, encoding="latin1")
    except (FileNotFoundError, pd.errors.ParserError) as err:
        raise BuildInputError(f"{path}: cannot read INEGI table ({err})") from err
    frame = frame[frame.iloc[:, 0].notna()]
    frame.index = frame.iloc[:, 0].astype(str).str.strip().str.split(" - ").str[0]
    missing = [r for r in ROWS if r not in frame.index]
    if missing:
        raise BuildInputError(f"{path}: rows {missing} missing")
    codes = {c: str(c).split(" - ")[0].strip() for c in frame.columns}
    sector_cols = [c for c in frame.columns if codes[c][:2].isdigit()]
    rows = frame.loc[list(ROWS), sector_cols].apply(pd.to_numeric, errors="coerce").fillna(0.0)
    rows.columns = [codes[c] for c in sector_cols]
    final_cols = {c: codes[c] for c in frame.columns if not codes[c][:2].isdigit()}
    finals = frame.loc[list(ROWS), list(final_cols)].apply(pd.to_numeric, errors="coerce").fillna(0.0)
    finals.columns = list(final_cols.values())
    return rows.T, finals.T


def _product_tax_share(inegi: pd.DataFrame, finals: pd.DataFrame) -> float:
    """Net product taxes over GDP (value added + net product taxes) in INEGI's table."""
    users = [
        c for u in FINAL_USERS for c in (FINAL_LABELS[u] if isinstance(FINAL_LABELS[u], tuple) else (FINAL_LABELS[u],))
    ]
    taxes = float(inegi["D.21-D.31"].sum() + finals.loc[users, "D.21-D.31"].sum())
    return taxes / (float(inegi["B.1bV"].sum()) + taxes)


def mixed_labour(inegi: pd.DataFrame) -> pd.Series:
    """Labour part of mixed income by SCIAN sector [MXN million]: PFTNRD × D.1 / PTR, at most B.2b."""
    per_job = np.divide(inegi["D.1"], inegi["PTR"], out=np.zeros(len(inegi)), where=inegi["PTR"] > 0)
    return np.minimum(inegi["PFTNRD"] * per_job, inegi["B.2b"]).clip(lower=0.0)


def read_mex(files: NationalFiles, calibration_dir: Path, sectors: SectorSet) -> NationalTable:
    """Mexico's table: WIOD 2016 (2014) resized and re-split to INEGI 2018 [US$ million of 2018]."""
    labels = list(sectors.sectors)
    n = len(labels)
    t = read_niot(files.niot["MEX"], WIOD16_YEAR, calibration_dir, sectors)
    inegi, finals = read_inegi(files.inegi)
    rate = exchange_rate(files.exchange_rates, "MXN", INEGI_YEAR)
    conc_path = Path(calibration_dir) / CONCORDANCE_DIR / CONCORDANCE
    conc = read_csv_checked(conc_path, ["code", "group", "sectors"], dtype_str=["code", "group", "sectors"])
    missing = sorted(set(inegi.index) - set(conc["code"]))
    if missing:
        raise BuildInputError(f"{conc_path}: INEGI sector(s) {missing} have no row")
    group_of_code = dict(zip(conc["code"], conc["group"]))
    group_of_sector: dict[str, str] = {}
    for r in conc.itertuples():
        for s in str(r.sectors).split(";"):
            if s not in labels:
                raise BuildInputError(f"{conc_path}: sector {s!r} of INEGI code {r.code} is not a model sector")
            group_of_sector[s] = r.group
    uncovered = [s for s in labels if s not in group_of_sector]
    if uncovered:
        raise BuildInputError(f"{conc_path}: model sector(s) {uncovered} belong to no INEGI group")
    g = (
        inegi.assign(group=inegi.index.map(group_of_code), mixed=mixed_labour(inegi))
        .groupby("group")
        .sum(numeric_only=True)
    )
    usd = g[["P.1", "B.1bV", "D.1", "D.29-D.39", "B.2b", "D.21-D.31", "UON", "P.7", "mixed"]] / rate
    groups = [group_of_sector[s] for s in labels]
    # 2. resize each group to its 2018 output
    out14 = pd.Series(t.output, index=labels).groupby(groups).sum()
    k = np.array([usd.loc[grp, "P.1"] / out14[grp] for grp in groups])
    dom, imp = t.dom.copy(), t.imp.copy()
    dom[:, :n] *= k[None, :]
    imp[:, :n] *= k[None, :]
    dom[:, n:] *= k[:, None]
    exports = t.exports * k
    output = t.output * k
    va = t.va * k
    # 3. value added split by group shares
    share = lambda col: np.array([usd.loc[grp, col] / usd.loc[grp, "B.1bV"] for grp in groups])  # noqa: E731
    ptax = va * share("D.29-D.39")
    comp = va * share("D.1")
    labour = np.minimum(va * (share("D.1") + share("mixed")), va - ptax)
    surplus = va - ptax - labour
    # 4. product taxes: rate on purchases at basic prices, by using group and final user
    tax = np.zeros_like(dom)
    purchases = dom + imp
    rate_act = np.array([usd.loc[grp, "D.21-D.31"] / (usd.loc[grp, "UON"] + usd.loc[grp, "P.7"]) for grp in groups])
    tax[:, :n] = purchases[:, :n] * rate_act[None, :]
    for j, user in enumerate(FINAL_USERS):
        cols = FINAL_LABELS[user] if isinstance(FINAL_LABELS[user], tuple) else (FINAL_LABELS[user],)
        paid = float(finals.loc[list(cols), "D.21-D.31"].sum())
        base = float(finals.loc[list(cols), ["UON", "P.7"]].sum().sum())
        tax[:, n + j] = purchases[:, n + j] * (paid / base if base > 0 else 0.0)
    notes = {
        "exchange_rate_mxn_2018": f"{rate}",
        "group_factors": "; ".join(f"{grp} {usd.loc[grp, 'P.1'] / out14[grp]:.3f}" for grp in sorted(set(groups))),
        "mixed_labour_musd": f"{float(usd['mixed'].sum()):.0f}",
        "product_taxes_share_gdp_inegi": f"{_product_tax_share(inegi, finals):.4f}",
    }
    source = (
        f"INEGI Matriz de Insumo Producto {INEGI_YEAR} (20 SCIAN sectors, basic prices; national/mex_inegi_mip_2018) "
        f"converted at {rate} MXN per US$ (Federal Reserve G.5A {INEGI_YEAR}): group outputs, value-added shares "
        f"(D.1, D.29-D.39, B.2b with the labour part of mixed income = PFTNRD x D.1/PTR), net product taxes by user; "
        f"structure within groups: WIOD 2016 release national IO table MEX {WIOD16_YEAR} (CC BY 4.0)"
    )
    return NationalTable(
        region="MEX",
        year=INEGI_YEAR,
        source=source,
        make=make_matrix(np.diag(output), labels),
        dom=comm_user(dom, labels),
        imp=comm_user(imp, labels),
        tax=comm_user(tax, labels),
        exports=by_commodity(exports, labels),
        value_added=value_added(comp, labour, surplus, labels),
        production_tax=by_activity(ptax, labels),
        notes=notes,
    )


def inegi_jobs(files: NationalFiles, calibration_dir: Path, sectors: SectorSet, labour: pd.Series) -> pd.Series:
    """Jobs (``PT``, INEGI 2018) by model sector: a group's jobs split over its sectors by labour income."""
    inegi, _ = read_inegi(files.inegi)
    conc = read_csv_checked(
        Path(calibration_dir) / CONCORDANCE_DIR / CONCORDANCE,
        ["code", "group", "sectors"],
        dtype_str=["code", "group", "sectors"],
    )
    jobs = inegi["PT"].groupby(inegi.index.map(dict(zip(conc["code"], conc["group"])))).sum()
    out = {}
    for r in conc.drop_duplicates("group").itertuples():
        members = str(r.sectors).split(";")
        weights = labour.reindex(members).fillna(0.0)
        weights = weights / weights.sum() if weights.sum() > 0 else pd.Series(1.0 / len(members), index=members)
        for s in members:
            out[s] = float(jobs[r.group] * weights[s])
    return pd.Series(out).reindex(list(sectors.sectors)).fillna(0.0)
