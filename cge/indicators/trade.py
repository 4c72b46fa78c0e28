"""Trade indicators: bilateral exports by commodity (value and volume) and agri-food exports."""

from __future__ import annotations

from cge.dims import COMMODITY, EXPORTER, IMPORTER, REGION
from cge.indicators.flows import Flows, pct_change
from cge.indicators.macro import BN
from cge.indicators.registry import indicator
from cge.indicators.values import Solution


@indicator("exports", "export_volume")
def bilateral_exports(sol: Solution, trade: Flows, **_) -> dict:
    """Exports by exporter, importer and commodity at current and at benchmark fob prices [US$ bn]."""
    dims = (EXPORTER, IMPORTER, COMMODITY)
    return {
        "exports": (dims, trade.fob_value.transpose(1, 2, 0) * BN),
        "export_volume": (dims, trade.volume.transpose(1, 2, 0) * BN),
    }


@indicator("agrifood_exports", "agrifood_exports_total", "agrifood_exports_pct")
def agrifood_exports(sol: Solution, trade: Flows, **_) -> dict:
    """Agri-food exports (commodities flagged ``agrifood`` in the SAM) at current fob prices: by
    partner and to all destinations [US$ bn], and the change of the latter [percent]."""
    flag = sol.bench.agrifood
    by_pair = trade.fob_value[flag].sum(axis=0)
    total = by_pair.sum(axis=1)
    base = sol.bench["cif0"][flag].sum(axis=(0, 2))
    return {
        "agrifood_exports": ((EXPORTER, IMPORTER), by_pair * BN),
        "agrifood_exports_total": ((REGION,), total * BN),
        "agrifood_exports_pct": ((REGION,), pct_change(total, base)),
    }
