"""RAS (bi-proportional) balancing of the SAM's square account matrix; see docs/balancing.md."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from cge.balance.report import TARGET_COLUMNS, BalanceReport, adjustment_table, attach_report, max_account_gap
from cge.sam import conform_sam
from cge.sam_matrix import cells_to_sam, fold_accounts, sam_cells

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- RAS
def _ras_totals(labels: list[str], receipts: np.ndarray, payments: np.ndarray, totals) -> np.ndarray:
    """Target totals of the accounts: the average of receipts and payments, or given totals."""
    target = 0.5 * (receipts + payments)
    if totals is None:
        return target
    given = pd.Series(totals, dtype=float)
    unknown = sorted(set(given.index) - set(labels))
    if unknown:
        raise ValueError(
            f"ras totals name accounts {unknown} that RAS does not target; use activity[j,r], import[i,r], "
            f"regional_household[r] or world_capital (e.g. {labels[0]})"
        )
    position = {label: k for k, label in enumerate(labels)}
    for label, value in given.items():
        target[position[label]] = value
    return target


def _ras_unreachable(labels: list[str], target, receipts, payments) -> list[str]:
    """Accounts with a positive target but no positive cell in their row or column (or the reverse)."""
    bad = (target > 0) & ((receipts <= 0) | (payments <= 0))
    bad |= (target <= 0) & ((receipts > 0) | (payments > 0))
    return [
        f"{labels[k]} (target {target[k]:.6g}, receipts {receipts[k]:.6g}, payments {payments[k]:.6g})"
        for k in np.nonzero(bad)[0]
    ]


def _ras_sweeps(row, col, value, target, max_iter: int, tol: float) -> tuple[np.ndarray, int, np.ndarray]:
    """Alternate row and column scaling until row and column sums meet the targets."""
    n = len(target)
    scale = np.maximum(1.0, np.abs(target))
    value = value.copy()
    gap = np.abs(np.bincount(row, value, n) - target) / scale
    gap = np.maximum(gap, np.abs(np.bincount(col, value, n) - target) / scale)
    if gap.max() <= tol:
        return value, 0, gap
    for sweep in range(1, max_iter + 1):
        receipts = np.bincount(row, value, n)
        value *= np.divide(target, receipts, out=np.ones(n), where=receipts > 0)[row]
        payments = np.bincount(col, value, n)
        value *= np.divide(target, payments, out=np.ones(n), where=payments > 0)[col]
        receipts = np.bincount(row, value, n)
        gap = np.abs(receipts - target) / scale
        if gap.max() <= tol:
            return value, sweep, gap
    return value, max_iter, gap


def ras(
    sam: xr.Dataset, max_iter: int = 1000, tol: float = 1e-10, totals: Mapping[str, float] | None = None
) -> tuple[xr.Dataset, BalanceReport]:
    """Balance a SAM by RAS (bi-proportional scaling) of its square account matrix.

    Each cell ``x[k, l]`` (receipt of account ``k`` from account ``l``) becomes
    ``r[k] * x[k, l] * s[l]``, with row factors ``r`` and column factors ``s`` found by
    alternately scaling rows and columns to target totals. Negative ``ptax``, ``xtax`` and
    tariff revenue sit as magnitudes on the transposed cell, so they scale too and keep their
    sign. Zero cells stay zero. Factor, private household, government and savings-investment
    accounts balance by definition, so their totals are left free: they are folded into the
    regional household and the world capital account (:func:`cge.sam_matrix.fold_accounts`)
    and RAS targets the activity, import composite, regional household and world accounts.

    Parameters
    ----------
    sam : xarray.Dataset
        SAM in the schema, slightly out of balance [US$ million].
    max_iter : int
        Maximum number of row-and-column sweeps.
    tol : float
        Relative tolerance: every row and column sum within ``tol * max(1, target)``.
    totals : mapping, optional
        Target totals [US$ million] by account label (``activity[j,r]``, ``import[i,r]``,
        ``regional_household[r]``, ``world_capital``); the other accounts target the average
        of the prior's receipts and payments.

    Returns
    -------
    tuple
        The balanced SAM (attrs ``balancing_report``, ``sam_hash``) and its :class:`BalanceReport`.

    Raises
    ------
    ValueError
        If a target total cannot be reached (an account with a positive target and no
        positive cell in its row or column) or RAS does not converge in ``max_iter`` sweeps;
        the message names the accounts.
    """
    sam = conform_sam(sam)  # schema axis order and boolean flags, as every SAM that enters
    cells = sam_cells(sam)
    fold, labels = fold_accounts(cells, world=True)
    row, col, n = fold[cells.row], fold[cells.col], len(labels)
    receipts, payments = np.bincount(row, cells.value, n), np.bincount(col, cells.value, n)
    target = _ras_totals(labels, receipts, payments, totals)
    unreachable = _ras_unreachable(labels, target, receipts, payments)
    if unreachable:
        raise ValueError("RAS cannot reach the totals of accounts:\n  " + "\n  ".join(unreachable))
    scaled, sweeps, gap = _ras_sweeps(row, col, cells.value, target, max_iter, tol)
    if gap.max() > tol:
        worst = [k for k in np.argsort(-gap)[:10] if gap[k] > tol]
        names = ", ".join(f"{labels[k]} ({gap[k]:.3g})" for k in worst)
        raise ValueError(f"RAS did not converge in {max_iter} sweeps; relative gaps: {names}")
    result = cells_to_sam(sam, cells, scaled)
    after = np.bincount(row, scaled, n)
    given = [labels.index(label) for label in (totals or {})]
    table = pd.DataFrame(
        {
            "name": [labels[k] for k in given],
            "target": target[given],
            "before": receipts[given],
            "achieved": after[given],
            "sd": np.nan,
            "side": "equal",
        },
        columns=list(TARGET_COLUMNS),
    )
    report = BalanceReport(
        "ras",
        sweeps,
        max_account_gap(sam),
        max_account_gap(result),
        adjustment_table(sam, result),
        table,
        f"converged: max relative gap {gap.max():.3g} <= {tol:g}",
    )
    return attach_report(sam, result, report), report
