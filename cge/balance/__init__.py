"""Balancing a SAM that is slightly out of balance: RAS and cross-entropy, with a report.

Both methods work on the cells of the square account matrix of :mod:`cge.sam_matrix` (one
cell per element of ``vdfm, vifm, vdfd, vifd, vfm, ptax, vxmd, xtax, tariff, savings``, where
``tariff = vims - vxmd - xtax`` and ``vims`` is rebuilt from its three parts). Values are
US$ million. See ``docs/balancing.md`` for the equations and what each method holds fixed.
"""

from cge.balance.cross_entropy import cross_entropy, feasibility_tol
from cge.balance.ras import ras
from cge.balance.report import (
    ADJUSTMENT_COLUMNS,
    TARGET_COLUMNS,
    BalanceReport,
    Side,
    Target,
    Term,
    adjustment_table,
    max_account_gap,
)

__all__ = [
    "ras",
    "cross_entropy",
    "feasibility_tol",
    "BalanceReport",
    "Side",
    "Target",
    "Term",
    "adjustment_table",
    "max_account_gap",
    "ADJUSTMENT_COLUMNS",
    "TARGET_COLUMNS",
]
