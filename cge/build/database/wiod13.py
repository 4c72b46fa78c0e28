"""Regions without a national table in ``national/``: the WIOD 2013 release world table for 2011.

A model region made of WIOD regions (e.g. the rest of the world: 36 countries and WIOD's RoW)
takes their 2011 table summed (:func:`read_wiod_region`): purchases from members are domestic,
purchases from every other WIOD region are imports, sales to non-members are exports. WIOD 2013
values are at basic prices without a product-tax row: the value added residual (output −
intermediates) also holds net taxes on products and international margins, so these regions have
no product or production taxes in the database (a weak point, said in ``sam/README.md``). Labour
income is the residual times the WIOD-region labour shares of :mod:`cge.build.value_added` (PWT
10.0 ``labsh``, US industry pattern).

The same table gives the bilateral pattern of trade (:mod:`cge.build.database.trade`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cge.build.database.sectors import CONCORDANCE_DIR, SectorSet, concordance_matrix, read_concordance
from cge.build.database.table import NationalTable, by_activity, by_commodity, comm_user, make_matrix, value_added
from cge.build.wiod import WiodTable
from cge.dims import AGENTS, GOVERNMENT, HOUSEHOLD, INVESTMENT

CONCORDANCE = "wiod35.csv"
WIOD13_YEAR = 2011
AGENT_USER = {HOUSEHOLD: 0, GOVERNMENT: 1, INVESTMENT: 2}
"""WIOD final agent (cge.dims.AGENTS) → position among the final users (private, government, investment)."""


def wiod_sector_matrix(table: WiodTable, calibration_dir: Path, sectors: SectorSet) -> np.ndarray:
    """Shares (WIOD 2013 industry × model sector) from ``concordances/wiod35.csv``."""
    path = Path(calibration_dir) / CONCORDANCE_DIR / CONCORDANCE
    return concordance_matrix(read_concordance(path, sectors), list(table.industries), sectors, str(path))


def _between(table: np.ndarray, source: np.ndarray, destination: np.ndarray) -> np.ndarray:
    """The part of a (country, industry, country, column) table from the ``source`` countries to the
    ``destination`` countries (boolean masks over countries)."""
    return table[source][:, :, destination]


def read_wiod_region(
    region: str, members: list[str], table: WiodTable, labour_share: np.ndarray, sm: np.ndarray, sectors: SectorSet
) -> NationalTable:
    """The 2011 table of the WIOD regions ``members`` in model sectors [US$ million of 2011].

    Parameters
    ----------
    labour_share : ndarray (WIOD country, WIOD industry)
        Labour share of the WIOD residual (:class:`cge.build.value_added.LabourShares`).
    sm : ndarray (WIOD industry, model sector)
        Industry concordance shares.
    """
    labels = list(sectors.sectors)
    n = len(labels)
    inside = np.array([c in members for c in table.countries])
    z, f = table.intermediate, table.final
    # intermediate (from_country, industry, to_country, industry); final (from, industry, to, agent)
    dom_int = np.einsum("aibj,is,jt->st", _between(z, inside, inside), sm, sm)
    imp_int = np.einsum("aibj,is,jt->st", _between(z, ~inside, inside), sm, sm)
    dom_fin = np.einsum("aibg,is->sg", _between(f, inside, inside), sm)
    imp_fin = np.einsum("aibg,is->sg", _between(f, ~inside, inside), sm)
    order = [AGENTS.index(a) for a in (HOUSEHOLD, GOVERNMENT, INVESTMENT)]
    dom = np.hstack([dom_int, np.maximum(dom_fin[:, order], 0.0)])
    imp = np.hstack([imp_int, np.maximum(imp_fin[:, order], 0.0)])
    sales = z[inside].sum(axis=(2, 3)) + f[inside].sum(axis=(2, 3))
    exported = _between(z, inside, ~inside).sum(axis=(2, 3)) + _between(f, inside, ~inside).sum(axis=(2, 3))
    output = sales.sum(axis=0) @ sm
    exports = exported.sum(axis=0) @ sm
    residual = sales - z[:, :, inside].sum(axis=(0, 1)).reshape(inside.sum(), -1)
    residual = np.maximum(residual, 0.0)
    labour = (residual * labour_share[inside]).sum(axis=0) @ sm
    va = residual.sum(axis=0) @ sm
    source = (
        f"WIOD 2013 release world IO table {WIOD13_YEAR} (Timmer et al. 2015), WIOD regions {' '.join(members)}; "
        "labour share of the value-added residual: PWT 10.0 labsh with the US WIOD-SEA industry pattern "
        "(cge.build.value_added); no product or production taxes (not separated in WIOD 2013)"
    )
    return NationalTable(
        region=region,
        year=WIOD13_YEAR,
        source=source,
        make=make_matrix(np.diag(output), labels),
        dom=comm_user(dom, labels),
        imp=comm_user(imp, labels),
        tax=comm_user(np.zeros((n, n + 3)), labels),
        exports=by_commodity(exports, labels),
        value_added=value_added(labour, labour, va - labour, labels),
        production_tax=by_activity(np.zeros(n), labels),
        notes={"members": " ".join(members)},
    )
