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

import casadi as ca
import numpy as np


def levels(dependencies: ca.Sparsity) -> np.ndarray:
    """Level of each intermediate: 0 without intermediate inputs, else 1 + the highest input level.

    Parameters
    ----------
    dependencies : Sparsity
        (n_z x n_z) sparsity of ∂f/∂z; strictly lower triangular, as a body only refers to
        earlier intermediates.
    """
    rows, cols = (np.asarray(a, dtype=np.int64) for a in dependencies.get_triplet())
    level = np.zeros(dependencies.size1(), dtype=np.int64)
    while len(rows):
        new = level.copy()
        np.maximum.at(new, rows, level[cols] + 1)
        if np.array_equal(new, level):
            break
        level = new
    return level


def ancestors(mask: np.ndarray, dependencies: ca.Sparsity, level: np.ndarray) -> np.ndarray:
    """Close a boolean mask of intermediates over the intermediates they depend on."""
    rows, cols = (np.asarray(a, dtype=np.int64) for a in dependencies.get_triplet())
    mask = mask.copy()
    for lev in range(int(level.max()), 0, -1):
        active = mask[rows] & (level[rows] == lev)
        mask[cols[active]] = True
    return mask


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
        The intermediates the equations depend on (directly or through others), in level order.
    derivatives : MX
        d z / d x of those, (n_der x n) sparse, as a function of (X, P).
    """

    symbols: ca.SX
    values: ca.MX
    values_by_symbol: ca.MX
    der_symbols: ca.SX
    derivatives: ca.MX


def build_chain(x: ca.SX, p: ca.SX, symbols: ca.SX, bodies: ca.SX, used: ca.Sparsity, X: ca.MX, P: ca.MX) -> Chain:
    """Values of every intermediate and d z / d x of those the equations use, level by level.

    Parameters
    ----------
    x, p : SX
        Symbols of the variables and parameters.
    symbols, bodies : SX
        Columns of intermediates and their bodies (a body refers only to earlier symbols).
    used : Sparsity
        Sparsity of ∂g/∂z: which intermediates the equations use directly.
    X, P : MX
        Inputs of the staged functions.

    Returns
    -------
    Chain
    """
    n, nz = x.numel(), symbols.numel()
    if nz == 0:
        return Chain(ca.SX(0, 1), ca.MX(0, 1), ca.MX(0, 1), ca.SX(0, 1), ca.MX(0, n))
    dependencies = ca.jacobian_sparsity(bodies, symbols)
    level = levels(dependencies)
    needed = np.zeros(nz, dtype=bool)
    needed[np.asarray(used.get_col(), dtype=np.int64)] = True
    needed = ancestors(needed, dependencies, level)
    values, derivs = [], []
    known, known_der = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    for lev in range(int(level.max()) + 1):
        members = np.flatnonzero(level == lev)
        der_members = members[needed[members]]
        outputs = [bodies[members.tolist()]]
        if len(der_members):
            f_der = bodies[der_members.tolist()]
            outputs += [ca.jacobian(f_der, x), ca.jacobian(f_der, symbols[known_der.tolist()])]
        stage = ca.Function(f"level{lev}", [x, symbols[known.tolist()], p], outputs)
        result = stage.call([X, ca.vertcat(*values) if values else ca.MX(0, 1), P])  # always a list
        values.append(result[0])
        known = np.concatenate([known, members])
        if len(der_members):
            dzdx = result[1] + ca.mtimes(result[2], ca.vertcat(*derivs)) if derivs else result[1]
            derivs.append(dzdx)
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
