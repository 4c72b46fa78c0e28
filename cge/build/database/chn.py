"""China: the NBS 42-sector input-output table for 2020 with its domestic/imported split.

``national/chn_nbs_io_2020/china_2020_42.csv`` (CNY 10 000, producers' prices, non-competitive
layout: 42 domestic and 42 imported rows; value added ``VA001`` compensation of employees,
``VA002`` net taxes on production, ``VA003`` depreciation, ``VA004`` operating surplus) is the
newest Chinese table in ``national/`` (2017, 2018, 2020). Converted at the Federal Reserve's 2020
rate. NBS's compensation of employees includes the labour income of the self-employed (farm
households above all), so it is taken as labour income. NBS's net taxes on production include
VAT and the other taxes on products (no separate product-tax row): they are booked as
production (output) taxes, and China's taxes on products are zero in the database.

Final consumption (``TC``) is not split between households and government: each commodity's
government share is the WIOD 2016 release table's for China in 2014 (``CONS_g`` over
households + NPISH + government), separately for domestic and imported use.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cge.build.database.niot import CONCORDANCE as NIOT_CONCORDANCE
from cge.build.database.niot import FINAL_COLUMNS as NIOT_FINAL
from cge.build.database.niot import read_niot_frame
from cge.build.database.sectors import CONCORDANCE_DIR, SectorSet, concordance_matrix, read_concordance
from cge.build.database.sources import NBS_YEAR, WIOD16_YEAR, NationalFiles, exchange_rate
from cge.build.database.table import (
    GOVERNMENT,
    PRIVATE,
    NationalTable,
    by_activity,
    by_commodity,
    comm_user,
    make_matrix,
    net_negative,
    value_added,
)
from cge.build.sources import BuildInputError, read_csv_checked

CONCORDANCE = "nbs42.csv"
UNIT = 0.01
"""CNY million per NBS unit (CNY 10 000)."""
VA_ROWS = ("VA001", "VA002", "VA003", "VA004")


def government_shares(files: NationalFiles, calibration_dir: Path, sectors: SectorSet) -> dict[str, np.ndarray]:
    """Government share of final consumption by model commodity, domestic and imported (WIOD 2016 CHN 2014)."""
    rows = read_niot_frame(files.niot["CHN"], WIOD16_YEAR)
    conc_path = Path(calibration_dir) / CONCORDANCE_DIR / NIOT_CONCORDANCE
    conc = read_concordance(conc_path, sectors)
    out = {}
    for origin in ("Domestic", "Imports"):
        part = rows[rows["Origin"] == origin].set_index("Code")
        cm = concordance_matrix(conc, list(part.index), sectors, str(conc_path))
        gov = cm.T @ part[NIOT_FINAL[GOVERNMENT]].sum(axis=1).to_numpy(float)
        cons = gov + cm.T @ part[NIOT_FINAL[PRIVATE]].sum(axis=1).to_numpy(float)
        out[origin] = np.divide(gov, cons, out=np.zeros_like(gov), where=cons > 0).clip(0.0, 1.0)
    return out


def read_chn(files: NationalFiles, calibration_dir: Path, sectors: SectorSet) -> NationalTable:
    """China's table for :data:`NBS_YEAR` in model sectors [US$ million of 2020]."""
    labels = list(sectors.sectors)
    n = len(labels)
    frame = read_csv_checked(
        files.nbs, ["Code", "Origin", "TC", "FU201", "FU202", "EX", "GO"], dtype_str=["Code", "Origin"]
    )
    codes = [f"{k:02d}" for k in range(1, 43)]
    missing = [c for c in codes + ["TC", "FU201", "FU202", "EX"] if c not in frame.columns]
    if missing:
        raise BuildInputError(f"{files.nbs}: columns {missing} missing")
    rate = exchange_rate(files.exchange_rates, "CNY", NBS_YEAR)
    scale = UNIT / rate
    conc_path = Path(calibration_dir) / CONCORDANCE_DIR / CONCORDANCE
    cm = concordance_matrix(read_concordance(conc_path, sectors), codes, sectors, str(conc_path))
    block = {}
    for origin in ("Domestic", "Imports"):
        part = frame[frame["Origin"] == origin].set_index("Code").reindex(codes)
        if part[codes].isna().all(axis=1).any():
            raise BuildInputError(f"{files.nbs}: {origin} rows missing")
        block[origin] = part.fillna(0.0)
    tot = frame[~frame["Origin"].isin(["Domestic", "Imports"])].set_index("Code")
    missing = [r for r in VA_ROWS if r not in tot.index]
    if missing:
        raise BuildInputError(f"{files.nbs}: rows {missing} missing")
    gov = government_shares(files, calibration_dir, sectors)

    def use(origin: str) -> np.ndarray:
        part = block[origin]
        cols = codes + ["TC", "FU201", "FU202"]
        values = net_negative(part[cols].to_numpy(float)) * scale
        out = np.zeros((n, n + 3))
        out[:, :n] = cm.T @ values[:, :42] @ cm
        consumption = cm.T @ values[:, 42]
        share = gov["Domestic" if origin == "Domestic" else "Imports"]
        out[:, n + 0] = consumption * (1.0 - share)
        out[:, n + 1] = consumption * share
        out[:, n + 2] = cm.T @ values[:, 43:45].sum(axis=1)
        return out

    dom, imp = use("Domestic"), use("Imports")
    exports = cm.T @ block["Domestic"]["EX"].to_numpy(float).clip(min=0.0) * scale
    va = tot.loc[list(VA_ROWS), codes].to_numpy(float) @ cm * scale
    comp, ptax, dep, surplus = va
    output = cm.T @ block["Domestic"]["GO"].to_numpy(float) * scale
    source = (
        f"NBS input-output table {NBS_YEAR}, 42 sectors, domestic/imported split (national/chn_nbs_io_2020, "
        f"via the R package ionet), converted at {rate} CNY per US$ (Federal Reserve G.5A {NBS_YEAR}); "
        f"VA001 compensation (incl. the self-employed) as labour income; VA002 (incl. VAT) as production tax; "
        f"government share of final consumption by commodity: WIOD 2016 release CHN {WIOD16_YEAR}"
    )
    return NationalTable(
        region="CHN",
        year=NBS_YEAR,
        source=source,
        make=make_matrix(np.diag(output), labels),
        dom=comm_user(dom, labels),
        imp=comm_user(imp, labels),
        tax=comm_user(np.zeros_like(dom), labels),
        exports=by_commodity(exports, labels),
        value_added=value_added(comp, comp, dep + surplus, labels),
        production_tax=by_activity(ptax, labels),
        depreciation=float(dep.sum()),
        notes={"exchange_rate_cny_2020": f"{rate}", "depreciation_musd": f"{float(dep.sum()):.0f}"},
    )
