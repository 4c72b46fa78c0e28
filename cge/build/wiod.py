"""Read the WIOD 2011 world input-output table and aggregate it to the model's regions and sectors.

WIOD (release 2013) values are US$ million at basic prices. Final use comes in five categories,
mapped to the three SAM agents: household + npish → household, government → government,
gfcf + inventories → investment. Net inventory changes can be negative; they are netted into
gross fixed capital formation by this mapping, and a cell that is still negative after
aggregation is set to zero (the change is reported and absorbed into value added, which is the
residual of each activity's account).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cge.build.mapping import Aggregation
from cge.build.sources import BuildInputError, SourceFiles, read_csv_checked
from cge.dims import AGENTS, GOVERNMENT, HOUSEHOLD, INVESTMENT

log = logging.getLogger(__name__)

FINAL_CATEGORIES = {
    "household": HOUSEHOLD,
    "npish": HOUSEHOLD,
    "government": GOVERNMENT,
    "gfcf": INVESTMENT,
    "inventories": INVESTMENT,
}
"""WIOD final-use category → SAM agent."""


@dataclass(frozen=True)
class WiodTable:
    """The WIOD table as dense arrays [US$ million, basic prices].

    Attributes
    ----------
    countries, industries : tuple of str
        WIOD region codes (41) and industry codes (35).
    intermediate : ndarray, shape (country_from, industry, country_to, industry)
        Intermediate use.
    final : ndarray, shape (country_from, industry, country_to, agent)
        Final use by SAM agent (order of ``cge.dims.AGENTS``), categories summed.
    output : ndarray, shape (country, industry)
        Gross output as published.
    negative_inventories : float
        Sum of the negative ``inventories`` cells before netting [US$ million, ≤ 0].
    """

    countries: tuple[str, ...]
    industries: tuple[str, ...]
    intermediate: np.ndarray
    final: np.ndarray
    output: np.ndarray
    negative_inventories: float

    def residual(self) -> np.ndarray:
        """Output − column sum of intermediates by (country, industry) [US$ million]:
        value added + net taxes on products + international transport margins."""
        return self.output - self.intermediate.sum(axis=(0, 1))


@dataclass(frozen=True)
class ModelIO:
    """The WIOD table aggregated to model regions and sectors [US$ million, basic prices].

    Attributes
    ----------
    regions, sectors : tuple of str
        Model labels.
    intermediate : ndarray, shape (region_from, sector, region_to, sector)
    final : ndarray, shape (region_from, sector, region_to, agent), all ≥ 0
    output_reported : ndarray, shape (region, sector)
        WIOD's published output, aggregated (a check on the row sums).
    negative_final_zeroed : list of dict
        Final-use cells that were negative after netting and aggregation and were set to zero.
    negative_inventories : float
        Sum of WIOD's negative ``inventories`` cells before netting [US$ million, ≤ 0].
    """

    regions: tuple[str, ...]
    sectors: tuple[str, ...]
    intermediate: np.ndarray
    final: np.ndarray
    output_reported: np.ndarray
    negative_final_zeroed: list[dict] = field(default_factory=list)
    negative_inventories: float = 0.0

    def sales(self) -> np.ndarray:
        """Row sums (intermediate + final sales) by (region, sector) [US$ million]."""
        return self.intermediate.sum(axis=(2, 3)) + self.final.sum(axis=(2, 3))


def _index(frame: pd.DataFrame, column: str, labels: tuple[str, ...], path) -> np.ndarray:
    pos = {label: k for k, label in enumerate(labels)}
    codes = frame[column].map(pos)
    if codes.isna().any():
        unknown = sorted(set(frame.loc[codes.isna(), column].astype(str)))
        raise BuildInputError(f"{path}: column '{column}' has unknown code(s) {unknown[:10]}")
    return codes.to_numpy(dtype=np.int64)


def read_wiod(files: SourceFiles) -> WiodTable:
    """Read the three WIOD 2011 tables into dense arrays.

    Raises
    ------
    BuildInputError
        On missing columns, non-numeric values, unknown country/industry/category codes, negative
        intermediate flows or negative output.
    """
    ind = read_csv_checked(files.wiod_industries, ["code"], dtype_str=["code"])
    industries = tuple(ind["code"])
    out = read_csv_checked(
        files.wiod_output,
        ["country", "industry", "output_musd"],
        ["output_musd"],
        dtype_str=["country", "industry"],
    )
    countries = tuple(pd.unique(out["country"]))
    output = np.zeros((len(countries), len(industries)))
    output[
        _index(out, "country", countries, files.wiod_output),
        _index(out, "industry", industries, files.wiod_output),
    ] = out["output_musd"].fillna(0.0)
    if (output < 0).any():
        c, i = np.argwhere(output < 0)[0]
        raise BuildInputError(f"{files.wiod_output}: negative output for {countries[c]} {industries[i]}")

    cols = ["from_country", "from_industry", "to_country", "to_industry", "value_musd"]
    z = read_csv_checked(files.wiod_intermediate, cols, ["value_musd"], dtype_str=cols[:4])
    inter = np.zeros((len(countries), len(industries), len(countries), len(industries)))
    np.add.at(
        inter,
        (
            _index(z, "from_country", countries, files.wiod_intermediate),
            _index(z, "from_industry", industries, files.wiod_intermediate),
            _index(z, "to_country", countries, files.wiod_intermediate),
            _index(z, "to_industry", industries, files.wiod_intermediate),
        ),
        z["value_musd"].fillna(0.0).to_numpy(),
    )
    if (inter < 0).any():
        k = np.argwhere(inter < 0)[0]
        raise BuildInputError(
            f"{files.wiod_intermediate}: negative intermediate flow {countries[k[0]]} {industries[k[1]]} -> "
            f"{countries[k[2]]} {industries[k[3]]}"
        )

    cols = ["from_country", "from_industry", "to_country", "category", "value_musd"]
    f = read_csv_checked(files.wiod_final, cols, ["value_musd"], dtype_str=cols[:4])
    unknown = sorted(set(f["category"]) - set(FINAL_CATEGORIES))
    if unknown:
        raise BuildInputError(
            f"{files.wiod_final}: column 'category' has unknown value(s) {unknown}; expected {sorted(FINAL_CATEGORIES)}"
        )
    agent = f["category"].map({c: AGENTS.index(a) for c, a in FINAL_CATEGORIES.items()})
    final = np.zeros((len(countries), len(industries), len(countries), len(AGENTS)))
    values = f["value_musd"].fillna(0.0).to_numpy()
    np.add.at(
        final,
        (
            _index(f, "from_country", countries, files.wiod_final),
            _index(f, "from_industry", industries, files.wiod_final),
            _index(f, "to_country", countries, files.wiod_final),
            agent.to_numpy(dtype=np.int64),
        ),
        values,
    )
    neg_inv = float(values[(f["category"] == "inventories").to_numpy() & (values < 0)].sum())
    log.info(
        "WIOD 2011: %d regions x %d industries, output %.0f US$ m, negative inventory cells %.0f US$ m",
        len(countries),
        len(industries),
        output.sum(),
        neg_inv,
    )
    return WiodTable(countries, industries, inter, final, output, neg_inv)


def aggregate_wiod(table: WiodTable, agg: Aggregation) -> ModelIO:
    """Aggregate the WIOD table to the model regions and sectors.

    Final-use cells that are negative after aggregation (net inventory draw-downs larger than
    gross fixed capital formation) are set to zero and listed in ``negative_final_zeroed``.

    Raises
    ------
    BuildInputError
        If a WIOD region or industry has no row in the mapping.
    """
    rm = agg.region_matrix(list(table.countries))
    sm = agg.sector_matrix(list(table.industries))
    inter = np.einsum("aibj,ar,is,bq,jt->rsqt", table.intermediate, rm, sm, rm, sm, optimize=True)
    final = np.einsum("aibg,ar,is,bq->rsqg", table.final, rm, sm, rm, optimize=True)
    output = np.einsum("ai,ar,is->rs", table.output, rm, sm, optimize=True)
    zeroed = []
    for k in np.argwhere(final < 0):
        zeroed.append(
            {
                "exporter": agg.regions[k[0]],
                "commodity": agg.sectors[k[1]],
                "importer": agg.regions[k[2]],
                "agent": AGENTS[k[3]],
                "value_musd": float(final[tuple(k)]),
            }
        )
    if zeroed:
        total = sum(z["value_musd"] for z in zeroed)
        log.warning(
            "%d final-use cells negative after netting inventories into gfcf (total %.1f US$ m) set to zero",
            len(zeroed),
            total,
        )
    final = np.maximum(final, 0.0)
    return ModelIO(agg.regions, agg.sectors, inter, final, output, zeroed, table.negative_inventories)
