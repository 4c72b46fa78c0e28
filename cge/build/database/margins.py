"""International transport margins: c.i.f./f.o.b. rates by importer and the regions that supply them.

The WIOD 2016 national tables report the international transport margins paid on imports
(row ``IntTTM``) for the USA, Canada, Mexico and China, 2014. The margin rate of an importer is
that total over its imports of goods (services carry no margins); every other region takes the
import-weighted mean of the four (ASSUMPTION). The single margin commodity (``margin`` flag in
``sectors.csv``, transport) supplies them: ``VTWR = rate × VFOB`` on goods, and the supply of
margins ``VST`` starts in proportion to each region's exports of the margin commodity (GTAP's
own rule); the balancing makes Σ_r VST = Σ VTWR.
"""

from __future__ import annotations

import numpy as np

from cge.build.database.niot import read_niot_frame
from cge.build.database.sectors import SectorSet
from cge.build.database.sources import WIOD16_YEAR, NationalFiles


def margin_rates(
    files: NationalFiles, regions: list[str], sectors: SectorSet
) -> tuple[dict[str, float], dict[str, str]]:
    """Margin rate (c.i.f. − f.o.b.) / f.o.b. on goods imports by region, and the source of each."""
    goods_codes = None
    rates, weights, source = {}, {}, {}
    for country, path in files.niot.items():
        rows = read_niot_frame(path, WIOD16_YEAR)
        cols = [c for c in rows.columns[4:] if c != "GO"]
        imports = rows[rows["Origin"] == "Imports"].set_index("Code")[cols]
        if goods_codes is None:
            goods_codes = [c for c in imports.index if c[0] in "ABC"]
        goods = float(imports.loc[goods_codes].to_numpy(float).sum())
        margin = float(rows[(rows["Origin"] == "TOT") & (rows["Code"] == "IntTTM")][cols].to_numpy(float).sum())
        rates[country] = margin / goods
        weights[country] = goods
        source[country] = (
            f"WIOD 2016 national table {country} {WIOD16_YEAR}: IntTTM {margin:,.0f} / goods imports f.o.b. "
            f"{goods:,.0f} US$ m (the table's import rows exclude IntTTM)"
        )
    mean = sum(rates[c] * weights[c] for c in rates) / sum(weights.values())
    out, text = {}, {}
    for r in regions:
        if r in rates:
            out[r], text[r] = rates[r], source[r]
        else:
            out[r] = mean
            text[r] = f"ASSUMPTION: import-weighted mean of the USA, CAN, MEX, CHN rates ({100 * mean:.2f} %)"
    return out, text


def margin_array(rates: dict[str, float], regions: list[str], sectors: SectorSet) -> np.ndarray:
    """Margin rates (margin commodity, commodity, exporter, importer) on goods flows [fraction of f.o.b.]."""
    marg = sectors.flagged("margin")
    goods = np.array(sectors.goods, dtype=float)
    out = np.zeros((len(marg), len(sectors.sectors), len(regions), len(regions)))
    share = 1.0 / len(marg)
    for d, r in enumerate(regions):
        out[:, :, :, d] = share * rates[r] * goods[None, :, None]
    for k in range(len(regions)):
        out[:, :, k, k] = 0.0
    return out
