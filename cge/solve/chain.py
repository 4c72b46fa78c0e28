"""Exact sparse Jacobians by the chain rule through intermediate symbols.

The equations g(x, z, p) use intermediates z_k = f_k(x, z_<k, p) (the model's named
expressions). Each body f_k depends on a handful of inputs, so its local derivatives are cheap;
the total derivatives follow level by level,

    dz/dx = ∂f/∂x + ∂f/∂z · dz/dx,        dg/dx = ∂g/∂x + ∂g/∂z · dz/dx,

as sparse matrix products inside CasADi (MX), instead of differentiating every equation through
every price index it contains again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import casadi as ca
import numpy as np


def row_jacobian(rows: ca.SX, wrt: ca.SX) -> ca.SX:
    """Sparse Jacobian of the column ``rows`` with respect to the symbols ``wrt``.

    Each row is differentiated only with respect to its own inputs: much cheaper than one
    coloured ``casadi.jacobian`` when a few rows (a region's tariff revenue) depend on thousands
    of inputs while most depend on a few.
    """
    pattern = ca.jacobian_sparsity(rows, wrt)
    r, c = (np.asarray(a, dtype=np.int64) for a in pattern.get_triplet())
    if not len(r):
        return ca.SX(rows.numel(), wrt.numel())
    order = np.lexsort((c, r))
    r, c = r[order], c[order]
    starts = np.searchsorted(r, np.arange(rows.numel() + 1))
    parts = []
    for k in np.unique(r):
        cols = c[starts[k] : starts[k + 1]]
        parts.append(ca.vec(ca.densify(ca.jacobian(rows[int(k)], wrt[cols.tolist()]))))
    values = ca.vertcat(*parts)
    by_column = np.lexsort((r, c))  # CasADi stores nonzeros column by column
    return ca.SX(pattern, values[by_column.tolist()])


@dataclass(frozen=True)
class Chain:
    """Staged (MX) evaluation of the intermediates, in level order.

    Attributes
    ----------
    symbols : SX
        Every intermediate symbol, in level order.
    values : MX
        Their values as a function of the MX inputs (X, P), same order.
    values_by_symbol : MX
        The same values in the order of the ``symbols`` given to :func:`build_chain`.
    der_symbols : SX
        The intermediates whose derivatives ``derivatives`` holds, in level order.
    derivatives : MX
        d z / d x of those, (n_der x n) sparse, as a function of (X, P).
    """

    symbols: ca.SX
    values: ca.MX
    values_by_symbol: ca.MX
    der_symbols: ca.SX
    derivatives: ca.MX


def build_chain(
    x: ca.SX, p: ca.SX, symbols: ca.SX, bodies: ca.SX, level: np.ndarray, n_derivative: int, X: ca.MX, P: ca.MX
) -> Chain:
    """Values of every intermediate and d z / d x of the first ``n_derivative``, level by level.

    Parameters
    ----------
    x, p : SX
        Symbols of the variables and parameters.
    symbols, bodies : SX
        Columns of intermediates and their bodies (a body refers only to earlier symbols).
    level : ndarray
        Level of each intermediate (0: its body uses none; else one more than the highest level
        it uses), from :attr:`cge.solve.convert.Tape.symbol_levels`.
    n_derivative : int
        The intermediates the equations use come first (the converter meets them while walking
        the equations, and a body only uses earlier ones); only those need derivatives.
    X, P : MX
        Inputs of the staged functions.

    Returns
    -------
    Chain
    """
    n, nz = x.numel(), symbols.numel()
    if nz == 0:
        return Chain(ca.SX(0, 1), ca.MX(0, 1), ca.MX(0, 1), ca.SX(0, 1), ca.MX(0, n))
    values: list[Any] = []  # CasADi MX
    derivs: list[Any] = []
    known, known_der = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    for lev in range(int(level.max()) + 1):
        members = np.flatnonzero(level == lev)
        if not len(members):
            continue
        der_members = members[members < n_derivative]
        outputs = [bodies[members.tolist()]]
        if len(der_members):
            f_der = bodies[der_members.tolist()]
            outputs += [ca.jacobian(f_der, x), ca.jacobian(f_der, symbols[known_der.tolist()])]
        stage: Any = ca.Function(f"level{lev}", [x, symbols[known.tolist()], p], outputs)  # called on MX
        result = stage.call([X, ca.vertcat(*values) if values else ca.MX(0, 1), P])  # always a list
        values.append(result[0])
        known = np.concatenate([known, members])
        if len(der_members):
            derivs.append(result[1] + ca.mtimes(result[2], ca.vertcat(*derivs)) if derivs else result[1])
            known_der = np.concatenate([known_der, der_members])
    position = np.empty(nz, dtype=np.int64)
    position[known] = np.arange(nz)
    all_values = ca.vertcat(*values)
    return Chain(
        symbols=symbols[known.tolist()],
        values=all_values,
        values_by_symbol=all_values[position.tolist()],
        der_symbols=symbols[known_der.tolist()],
        derivatives=ca.vertcat(*derivs) if derivs else ca.MX(0, n),
    )
