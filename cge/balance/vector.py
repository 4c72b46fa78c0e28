"""Cross-entropy balancing of any vector of nonnegative cells under linear rows (see docs/balancing.md).

The SAM balancing of :mod:`cge.balance.cross_entropy` works on the accounts of the SAM schema;
this is the same estimator for data laid out otherwise (the GTAP-format database of
:mod:`cge.build.database`): the caller gives the prior vector, its balance rows (hard, met to
``min(tol / 10, 1e-10)`` of each row's gross size) and targets (hard, or soft with a relative
standard error and a side), each as ``Σ coef × x[index] = value``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from cge.balance.cross_entropy import assemble_problem, solve_problem
from cge.balance.report import TARGET_COLUMNS, Side


@dataclass(frozen=True)
class LinearRow:
    """``Σ coef × x[index] = value`` [US$ million]; a target when ``sd`` is given it is soft.

    Attributes
    ----------
    name : str
    index : ndarray of int
        Cells of the row.
    coef : ndarray
        Their coefficients.
    value : float
        Right-hand side.
    sd : float or None
        Relative standard error of a soft target (None: hard).
    side : Side
        Which deviations of a soft target are penalised.
    """

    name: str
    index: np.ndarray
    coef: np.ndarray
    value: float = 0.0
    sd: float | None = None
    side: Side = Side.EQUAL

    @property
    def soft(self) -> bool:
        return self.sd is not None

    def __post_init__(self):
        if self.sd is not None and not (self.sd > 0 and np.isfinite(self.sd)):
            raise ValueError(f"row '{self.name}': sd must be positive and finite (got {self.sd})")
        if self.sd is not None and self.value == 0:
            raise ValueError(f"row '{self.name}': a soft target needs a nonzero value")

    def evaluate(self, x: np.ndarray) -> float:
        """The row's left side at ``x``."""
        return float(self.coef @ x[self.index])


@dataclass(frozen=True)
class VectorBalance:
    """Result of :func:`balance_vector`.

    Attributes
    ----------
    values : ndarray
        The balanced cells.
    iterations : int
    message : str
        Ipopt's status.
    targets : pandas.DataFrame
        ``name, target, before, achieved, sd, side`` of every target.
    gap_before, gap_after : float
        Largest absolute residual of the balance rows [US$ million].
    """

    values: np.ndarray
    iterations: int
    message: str
    targets: pd.DataFrame
    gap_before: float
    gap_after: float


def _matrix(rows: Sequence[LinearRow], size: int) -> sp.csr_matrix:
    if not rows:
        return sp.csr_matrix((0, size))
    r = np.concatenate([np.full(len(row.index), k) for k, row in enumerate(rows)])
    c = np.concatenate([np.asarray(row.index, dtype=int) for row in rows])
    v = np.concatenate([np.asarray(row.coef, dtype=float) for row in rows])
    return sp.csr_matrix((v, (r, c)), shape=(len(rows), size))


def balance_vector(
    prior: np.ndarray,
    balances: Sequence[LinearRow],
    targets: Sequence[LinearRow] = (),
    free: np.ndarray | None = None,
    tol: float = 1e-9,
) -> VectorBalance:
    """Minimise ``Σ x ln(x / x0) − x + x0`` (plus the soft targets' penalties) subject to the rows.

    Parameters
    ----------
    prior : ndarray
        Prior cells, ≥ 0; zero cells stay zero.
    balances : sequence of LinearRow
        Identities (hard; ``sd`` must be None).
    targets : sequence of LinearRow
        Hard or soft targets.
    free : ndarray of bool, optional
        Cells that may move (default: every positive cell).
    tol : float
        Ipopt tolerance; rows are met to ``min(tol / 10, 1e-10)`` relative to their gross size.

    Raises
    ------
    ValueError
        Naming the rows that cannot be met (see :func:`cge.balance.cross_entropy.cross_entropy`).
    """
    prior = np.asarray(prior, dtype=float)
    if (prior < 0).any():
        raise ValueError(f"negative prior cells: {np.nonzero(prior < 0)[0][:5].tolist()}")
    if any(b.soft for b in balances):
        raise ValueError("balance rows must be hard")
    size = len(prior)
    free = (prior > 0) if free is None else (np.asarray(free, dtype=bool) & (prior > 0))
    bal, tmat = _matrix(balances, size), _matrix(targets, size)
    full = sp.vstack([bal, tmat]).tocsr()
    value = np.array([b.value for b in balances] + [t.value for t in targets], dtype=float)
    gross = np.asarray(abs(full) @ prior).ravel()
    scale = np.maximum(1.0, np.maximum(gross, np.abs(value)))
    names = [b.name for b in balances] + [t.name for t in targets]
    problem = assemble_problem(full, value, scale, names, len(balances), free, prior, list(targets), tol)
    values, iterations, message = solve_problem(problem, prior, free, tol)
    values = np.maximum(values, 0.0)  # Ipopt may end a hair below its zero bound (1e-50 US$ million)
    bal_value = np.array([b.value for b in balances])
    table = pd.DataFrame(
        {
            "name": [t.name for t in targets],
            "target": [float(t.value) for t in targets],
            "before": tmat @ prior,
            "achieved": tmat @ values,
            "sd": [float(t.sd) if t.sd is not None else np.nan for t in targets],
            "side": [Side(t.side).value for t in targets],
        },
        columns=list(TARGET_COLUMNS),
    )
    gap = lambda x: float(np.abs(bal @ x - bal_value).max()) if len(balances) else 0.0  # noqa: E731
    return VectorBalance(values, iterations, message, table, gap(prior), gap(values))
