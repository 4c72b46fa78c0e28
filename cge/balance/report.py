"""Balancing targets, terms and the report of every adjustment (shared by RAS and cross-entropy)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd
import xarray as xr

from cge.dims import ACTIVITY, AGENT, COMMODITY, EXPORTER, FACTOR, IMPORTER, INVESTMENT, REGION
from cge.sam import (
    SAM_VARIABLES,
    check_sam,
    final_demand,
    import_supply,
    import_use,
    output_cost,
    output_market,
    regional_expenditure,
    regional_income,
    sam_hash,
)

log = logging.getLogger(__name__)


COORD_COLUMNS = (COMMODITY, ACTIVITY, AGENT, FACTOR, REGION, EXPORTER, IMPORTER)
ADJUSTMENT_COLUMNS = ("variable", *COORD_COLUMNS, "before", "after", "change", "change_pct")
TARGET_COLUMNS = ("name", "target", "before", "achieved", "sd", "side")
"""Columns of the target table: hard targets have ``sd`` NaN and ``side`` ``equal``."""
SIGNED_FIXED = ("ptax", "xtax")
"""Signed cell variables held fixed by cross-entropy unless a target names them."""
TERM_PARTS = {"vims": ("vxmd", "xtax", "tariff")}
"""Variables a target may name that are sums of cell variables."""
TOP_ADJUSTMENTS = 50


# --------------------------------------------------------------------------- targets
@dataclass(frozen=True)
class Term:
    """One term ``coef * sum(sam[variable].sel(sel))`` of a linear target [US$ million].

    Attributes
    ----------
    variable : str
        A SAM flow (``vdfm, vifm, vdfd, vifd, vfm, ptax, vxmd, xtax, vims, savings``) or
        ``tariff`` (tariff revenue ``vims - vxmd - xtax``).
    sel : dict
        Labels to select, ``{dim: label or [labels]}``; an empty dict selects every cell.
    coef : float
        Coefficient of the term.
    """

    variable: str
    sel: Mapping[str, str | list[str]] = field(default_factory=dict)
    coef: float = 1.0


class Side(StrEnum):
    """Which deviations of a soft target are penalised."""

    EQUAL = "equal"
    """Both: the value is an estimate of the measure."""
    AT_LEAST = "at_least"
    """Only shortfalls: the value covers part of the measure (a lower bound)."""
    AT_MOST = "at_most"
    """Only excesses: the measure covers part of the value (an upper bound)."""


@dataclass(frozen=True)
class Target:
    """Linear target ``sum of terms = value`` [US$ million], e.g. the GDP of a region.

    Attributes
    ----------
    name : str
        Label used in reports and error messages.
    terms : tuple of Term
        The measure [US$ million].
    value : float
        Its target value [US$ million].
    sd : float or None
        None: a hard constraint, met exactly. A positive number: a soft target whose value is an
        estimate with relative standard error ``sd`` (0.05 = 5 % of ``|value|``); cross-entropy
        adds ``0.5 (e / sd)^2 |value| / m`` to the objective, ``e`` the relative gap and ``m``
        the mean free prior cell [US$ million], i.e. the target weighs like a prior cell of size
        ``|value| / sd^2``.
    side : Side
        For soft targets: penalise both deviations (``EQUAL``), only shortfalls (``AT_LEAST``)
        or only excesses (``AT_MOST``). Must be ``EQUAL`` for hard targets.
    """

    name: str
    terms: tuple[Term, ...]
    value: float
    sd: float | None = None
    side: Side = Side.EQUAL

    def __post_init__(self):
        if self.sd is not None and not (self.sd > 0 and np.isfinite(self.sd)):
            raise ValueError(f"target '{self.name}': sd must be positive and finite (got {self.sd})")
        if self.sd is not None and self.value == 0:
            raise ValueError(f"target '{self.name}': a soft target needs a nonzero value (sd is relative to it)")
        if self.sd is None and Side(self.side) is not Side.EQUAL:
            raise ValueError(f"target '{self.name}': side {self.side!r} needs a soft target (give sd)")

    @property
    def soft(self) -> bool:
        """True if the target is penalised rather than imposed."""
        return self.sd is not None


# --------------------------------------------------------------------------- report
def _records(frame: pd.DataFrame) -> list[dict]:
    """DataFrame rows as JSON-ready dicts (NaN -> None)."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


@dataclass(frozen=True, eq=False)
class BalanceReport:
    """What a balancing run did.

    Attributes
    ----------
    method : str
        ``"ras"`` or ``"cross_entropy"``.
    iterations : int
        RAS sweeps, or Ipopt iterations.
    max_gap_before, max_gap_after : float
        Largest absolute gap of any account of :func:`cge.sam.check_sam` [US$ million].
    adjustments : pandas.DataFrame
        Every changed cell of every SAM variable: ``variable``, the coordinate labels
        (``commodity, activity, agent, factor, region, exporter, importer``; None where the
        variable has no such dim), ``before``, ``after``, ``change`` [US$ million] and
        ``change_pct`` [% of ``|before|``].
    targets : pandas.DataFrame
        ``name, target, before, achieved`` [US$ million] of each target (RAS: given totals).
    message : str
        Solver status or notes.
    """

    method: str
    iterations: int
    max_gap_before: float
    max_gap_after: float
    adjustments: pd.DataFrame
    targets: pd.DataFrame
    message: str = ""

    def to_json(self, top: int = TOP_ADJUSTMENTS) -> str:
        """JSON text for the ``balancing_report`` attribute: summary, largest adjustments, targets."""
        adj = self.adjustments
        largest = adj.reindex(adj["change"].abs().sort_values(ascending=False).index).head(top)
        payload = {
            "method": self.method,
            "iterations": int(self.iterations),
            "max_gap_before": float(self.max_gap_before),
            "max_gap_after": float(self.max_gap_after),
            "message": self.message,
            "n_adjustments": len(adj),
            "total_abs_change": float(adj["change"].abs().sum()),
            "units": "US$ million",
            "top_adjustments": _records(largest),
            "targets": _records(self.targets),
        }
        return json.dumps(payload)

    def summary(self) -> str:
        """Short text summary of the run."""
        adj = self.adjustments
        lines = [
            f"{self.method}: {self.iterations} iterations; {self.message}".rstrip("; "),
            f"max account gap {self.max_gap_before:.6g} -> {self.max_gap_after:.3g} US$ million",
            f"{len(adj)} cells changed, total |change| {adj['change'].abs().sum():.6g} US$ million",
        ]
        if len(adj):
            worst = adj.loc[adj["change_pct"].abs().idxmax()] if adj["change_pct"].notna().any() else None
            if worst is not None:
                lines.append(f"largest relative change {worst['change_pct']:+.3g} % in {_cell_label(worst)}")
        for row in self.targets.itertuples():
            lines.append(f"target {row.name}: {row.target:.6g} (before {row.before:.6g}, achieved {row.achieved:.6g})")
        return "\n".join(lines)


def _cell_label(row: pd.Series) -> str:
    coords = ", ".join(f"{d}={row[d]}" for d in COORD_COLUMNS if row[d] is not None and row[d] == row[d])
    return f"{row['variable']}[{coords}]"


def max_account_gap(sam: xr.Dataset) -> float:
    """Largest absolute gap of the accounts that :func:`cge.sam.check_sam` balances [US$ million].

    Parameters
    ----------
    sam : xarray.Dataset
        SAM in the schema [US$ million].

    Returns
    -------
    float
        Max over activities, import composites, regional households and world S-I of
        ``|receipts - payments|``.
    """
    world = float(sam["savings"].sum() - final_demand(sam).sel({AGENT: INVESTMENT}).sum())
    gaps = [
        float(np.abs(output_market(sam) - output_cost(sam)).max()),
        float(np.abs(import_use(sam) - import_supply(sam)).max()),
        float(np.abs(regional_income(sam) - regional_expenditure(sam)).max()),
        abs(world),
    ]
    return max(gaps)


def adjustment_table(before: xr.Dataset, after: xr.Dataset) -> pd.DataFrame:
    """Every cell of every SAM money variable that differs between two SAMs.

    Parameters
    ----------
    before, after : xarray.Dataset
        SAMs with the same labels [US$ million].

    Returns
    -------
    pandas.DataFrame
        Columns ``ADJUSTMENT_COLUMNS``; ``change = after - before`` [US$ million],
        ``change_pct`` [% of ``|before|``, NaN where before is 0].
    """
    frames = []
    for var in SAM_VARIABLES:
        if var.units != "US$ million" or var.name not in before or var.name not in after:
            continue
        b = before[var.name].transpose(*var.dims).values
        a = after[var.name].transpose(*var.dims).values
        hit = np.nonzero(a != b)
        if not len(hit[0]):
            continue
        frame = pd.DataFrame({"variable": var.name, "before": b[hit], "after": a[hit]})
        for axis, dim in enumerate(var.dims):
            frame[dim] = np.asarray(before[dim].values).astype(str)[hit[axis]]
        frames.append(frame)
    if not frames:
        return pd.DataFrame(
            {c: pd.Series(dtype=float if c in ADJUSTMENT_COLUMNS[-4:] else object) for c in ADJUSTMENT_COLUMNS}
        )
    out = pd.concat(frames, ignore_index=True).reindex(columns=list(ADJUSTMENT_COLUMNS))
    out["change"] = out["after"] - out["before"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["change_pct"] = np.where(out["before"] != 0, 100.0 * out["change"] / out["before"].abs(), np.nan)
    coords = out[list(COORD_COLUMNS)].astype(object)
    out[list(COORD_COLUMNS)] = coords.where(coords.notna(), None)
    return out


def attach_report(sam: xr.Dataset, result: xr.Dataset, report: BalanceReport) -> xr.Dataset:
    """Check the balanced SAM and store the report and hash in its attrs."""
    check_sam(result)
    result.attrs["balancing_report"] = report.to_json()
    result.attrs["sam_hash"] = sam_hash(result)
    log.info("%s", report.summary())
    return result
