"""Cross-entropy balancing with linear targets, solved by Ipopt; see docs/balancing.md."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import cyipopt
import numpy as np
import pandas as pd
import scipy.sparse as sp
import xarray as xr

from cge.balance.report import (
    SIGNED_FIXED,
    TARGET_COLUMNS,
    TERM_PARTS,
    BalanceReport,
    Side,
    Target,
    Term,
    adjustment_table,
    attach_report,
    max_account_gap,
)
from cge.sam import conform_sam
from cge.sam_matrix import CELL_VARIABLES, SamCells, cell_dims, cells_to_sam, fold_accounts, sam_cells

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- cross-entropy: algebra
def _balance_matrix(cells: SamCells) -> tuple[sp.csr_matrix, list[str]]:
    """Matrix ``B`` (balances x cells) with ``B @ magnitudes = receipts - payments`` of the
    activity, import composite and regional household accounts (world S-I is implied)."""
    fold, names = fold_accounts(cells, world=False)
    rows = np.concatenate([fold[cells.row], fold[cells.col]])
    data = np.concatenate([np.ones(len(cells.row)), -np.ones(len(cells.col))])
    cols = np.concatenate([np.arange(len(cells.row))] * 2)
    keep = rows >= 0
    mat = sp.csr_matrix((data[keep], (rows[keep], cols[keep])), shape=(len(names), len(cells.value)))
    return mat, names


def _term_cells(sam: xr.Dataset, cells: SamCells, term: Term) -> tuple[np.ndarray, np.ndarray]:
    """Cells of a term and their coefficients on the signed cell values."""
    parts = TERM_PARTS.get(term.variable, (term.variable,))
    if any(p not in CELL_VARIABLES for p in parts):
        raise ValueError(f"unknown variable '{term.variable}'; use one of {list(CELL_VARIABLES) + ['vims']}")
    pieces = []
    for part in parts:
        dims = cell_dims(part)
        unknown = sorted(set(term.sel) - set(dims))
        if unknown:
            raise ValueError(f"'{term.variable}' has no dims {unknown} (dims {dims})")
        flat = xr.DataArray(
            np.arange(np.prod(cells.shapes[part])).reshape(cells.shapes[part]),
            dims=dims,
            coords={d: sam[d].values for d in dims},
        )
        try:
            chosen = flat.sel(dict(term.sel))
        except KeyError as err:
            raise ValueError(f"'{term.variable}' selection {dict(term.sel)} names unknown labels: {err}") from None
        pieces.append(cells.cells_of(part).start + np.asarray(chosen.values).ravel())
    ids = np.concatenate(pieces)
    return ids, np.full(len(ids), float(term.coef))


def _target_matrix(sam: xr.Dataset, cells: SamCells, targets: Sequence[Target]) -> sp.csr_matrix:
    """Matrix ``T`` (targets x cells) with ``T @ signed values`` = each target's left side."""
    rows, cols, data = [], [], []
    for k, target in enumerate(targets):
        for term in target.terms:
            try:
                ids, coef = _term_cells(sam, cells, term)
            except ValueError as err:
                raise ValueError(f"target '{target.name}': {err}") from None
            rows.append(np.full(len(ids), k))
            cols.append(ids)
            data.append(coef)
    if not targets:
        return sp.csr_matrix((0, len(cells.value)))
    return sp.csr_matrix(
        (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=(len(targets), len(cells.value))
    )


def _fixed_mask(sam: xr.Dataset, cells: SamCells, fixed, targeted: np.ndarray) -> np.ndarray:
    """Cells that must not move: zero cells, signed cells not targeted, and ``fixed`` selections."""
    mask = cells.value <= 0
    for name in SIGNED_FIXED:
        cut = cells.cells_of(name)
        mask[cut] |= ~targeted[cut]
    for item in fixed:
        variable, sel = (item[0], item[1] if len(item) > 1 else {})
        ids, _ = _term_cells(sam, cells, Term(variable, sel or {}))
        mask[ids] = True
    return mask


@dataclass(frozen=True)
class _Problem:
    """Linear constraints ``A [z; u] = rhs`` on relative changes ``z = x / x0`` of the free cells and
    the slacks ``u = (u+, u-) >= 0`` of the soft targets (two per soft target, relative gaps).

    The objective is ``sum weight (z ln z - z + 1) + 0.5 sum penalty u^2``."""

    jac: sp.csr_matrix
    rhs: np.ndarray
    names: list[str]
    n_balances: int
    weight: np.ndarray
    penalty: np.ndarray
    start_slack: np.ndarray


def _check_rows(problem_rows: sp.csr_matrix, rhs, scale, names, n_bal, tol) -> np.ndarray:
    """Rows with free cells; raise for rows without any that are not already met."""
    nnz = np.diff(problem_rows.indptr)
    empty = nnz == 0
    bad = empty & (np.abs(rhs) > tol * scale)
    if bad.any():
        lines = []
        for k in np.nonzero(bad)[0]:
            what = "account" if k < n_bal else "target"
            lines.append(f"{what} {names[k]}: all its cells are zero or fixed, gap {rhs[k]:+.6g} US$ million")
        raise ValueError("infeasible balancing problem:\n  " + "\n  ".join(lines))
    for k in np.nonzero(empty & ~bad)[0]:
        if k >= n_bal:
            log.info("target %s is met by fixed cells alone; dropped", names[k])
    return ~empty


def _check_target_signs(jac: sp.csr_matrix, rhs, scale, names, n_bal, tol) -> None:
    """Raise for targets that nonnegative cell changes cannot reach (all coefficients one sign)."""
    bad = []
    for k in range(n_bal, jac.shape[0]):
        coefs = jac.data[jac.indptr[k] : jac.indptr[k + 1]]
        if (coefs >= 0).all() and rhs[k] < -tol * scale[k] or (coefs <= 0).all() and rhs[k] > tol * scale[k]:
            bad.append(names[k])
    if bad:
        raise ValueError(f"unreachable targets (would need cells of the wrong sign): {bad}")


def _check_target_consistency(jac: sp.csr_matrix, rhs, scale, names, n_bal) -> None:
    """Raise if the targets alone are linearly inconsistent (cheap: few targets, dense lstsq)."""
    k = jac.shape[0] - n_bal
    if k < 2:
        return
    sub = jac[n_bal:]
    used = np.unique(sub.indices)
    if k * len(used) > 20_000_000:
        return
    dense = sub[:, used].toarray() / scale[n_bal:, None]
    b = rhs[n_bal:] / scale[n_bal:]
    sol, *_ = np.linalg.lstsq(dense, b, rcond=None)
    resid = np.abs(dense @ sol - b)
    bad = [names[n_bal + t] for t in np.nonzero(resid > 1e-8)[0]]
    if bad:
        raise ValueError(f"contradictory targets (no values satisfy them together): {bad}")


def _constraint_system(sam, cells: SamCells, targets, fixed):
    """Constraint rows on cell magnitudes (balances, then targets), their values, scales and names,
    and the free cells: nonzero, not fixed, and in at least one hard constraint or soft target."""
    bal, bal_names = _balance_matrix(cells)
    tmat = _target_matrix(sam, cells, targets)
    full = sp.vstack([bal, tmat @ sp.diags(cells.sign.astype(float))]).tocsr()
    full.eliminate_zeros()
    targeted = np.diff(tmat.tocsc().indptr) > 0
    in_constraint = np.diff(full.tocsc().indptr) > 0
    free = ~_fixed_mask(sam, cells, fixed, targeted) & in_constraint
    value = np.concatenate([np.zeros(bal.shape[0]), [float(t.value) for t in targets]])
    gross = np.asarray(abs(bal) @ cells.value).ravel() / 2.0
    scale = np.maximum(1.0, np.concatenate([gross, np.abs(value[bal.shape[0] :])]))
    return full, value, scale, bal_names + [t.name for t in targets], bal.shape[0], free


def _soft_columns(targets, keep: np.ndarray, n_bal: int, mean_cell: float):
    """Slack columns (u+, u-) of the soft targets among the kept rows, and their penalties.

    A soft target of value V and relative standard error sd weighs ``|V| / (m sd^2)`` on its
    penalised slack(s) (``m`` the mean free prior cell); the other slack of a one-sided target
    has penalty 0. Row k reads ``measure / |V| - u+ + u- = V / |V|``."""
    rows: list[int] = []
    cols: list[int] = []
    data: list[float] = []
    penalty: list[float] = []
    position = {int(k): i for i, k in enumerate(keep)}
    for t_index, target in enumerate(targets):
        if not target.soft:
            continue
        row = position[n_bal + t_index]
        weight = abs(float(target.value)) / (mean_cell * float(target.sd) ** 2)
        col = len(penalty)
        rows += [row, row]
        cols += [col, col + 1]
        data += [-1.0, 1.0]
        side = Side(target.side)
        penalty += [0.0 if side is Side.AT_LEAST else weight, 0.0 if side is Side.AT_MOST else weight]
    block = sp.csr_matrix((data, (rows, cols)), shape=(len(keep), len(penalty)))
    return block, np.asarray(penalty, dtype=float)


def _build_problem(sam, cells: SamCells, targets, fixed, tol: float) -> tuple[_Problem, np.ndarray]:
    """Assemble the scaled constraint system of the cross-entropy problem on the free cells.

    Raises ValueError for hard rows that cannot be met (see :func:`cross_entropy`); soft targets
    are always feasible through their slacks."""
    full, value, scale, names, n_bal, free = _constraint_system(sam, cells, targets, fixed)
    return assemble_problem(full, value, scale, names, n_bal, free, cells.value, targets, tol), free


def assemble_problem(full, value, scale, names, n_bal, free, prior, targets, tol: float) -> _Problem:
    """The scaled problem from constraint rows on cell magnitudes.

    Parameters
    ----------
    full : scipy.sparse matrix (rows × cells)
        Balances (the first ``n_bal`` rows), then one row per target, on cell magnitudes.
    value, scale : ndarray
        Right-hand side and row scale of every row.
    names : list of str
        Row names.
    free : ndarray of bool
        Cells that may move.
    prior : ndarray
        Prior magnitudes of every cell (positive where free).
    targets : sequence
        Objects with ``soft``, ``value``, ``sd`` and ``side`` (one per target row).

    Raises
    ------
    ValueError
        For hard rows without free cells that are not met, targets of the wrong sign or
        contradictory targets."""
    rhs = value - full[:, ~free] @ prior[~free]
    jac = (full[:, free] @ sp.diags(prior[free])).tocsr()
    soft = np.zeros(len(names), dtype=bool)
    soft[n_bal:] = [t.soft for t in targets]
    hard = np.nonzero(~soft)[0]
    hard_names = [names[k] for k in hard]
    rows = np.ones(len(names), dtype=bool)
    rows[hard] = _check_rows(jac[hard], rhs[hard], scale[hard], hard_names, n_bal, tol)
    _check_target_signs(jac[hard], rhs[hard], scale[hard], hard_names, n_bal, tol)
    _check_target_consistency(jac[hard], rhs[hard], scale[hard], hard_names, n_bal)
    keep = np.nonzero(rows)[0]
    scaled = (sp.diags(1.0 / scale[keep]) @ jac[keep]).tocsr()
    mean_cell = float(prior[free].mean()) if free.any() else 1.0
    weight = prior[free] / mean_cell if free.any() else np.zeros(0)
    slack, penalty = _soft_columns(targets, keep, n_bal, mean_cell)
    # slacks start at the prior's relative gaps (z = 1): u+ - u- = A z - rhs
    gap = np.asarray(scaled @ np.ones(scaled.shape[1])).ravel() - rhs[keep] / scale[keep]
    owner = slack.tocsc()
    start = np.zeros(len(penalty))
    for col in range(0, len(penalty), 2):
        row = owner.indices[owner.indptr[col]]
        start[col], start[col + 1] = max(gap[row], 0.0), max(-gap[row], 0.0)
    return _Problem(
        sp.hstack([scaled, slack]).tocsr(),
        rhs[keep] / scale[keep],
        [names[k] for k in keep],
        int((keep < n_bal).sum()),
        weight,
        penalty,
        start,
    )


# --------------------------------------------------------------------------- cross-entropy: solver
def feasibility_tol(tol: float) -> float:
    """Relative tolerance of balances and targets for Ipopt's ``tol``: tight enough for check_sam."""
    return min(0.1 * tol, 1e-10)


class _CrossEntropyNLP:
    """cyipopt callbacks: ``min sum w (z ln z - z + 1) + 0.5 sum p u^2`` s.t. ``A [z; u] = rhs``,
    ``z, u >= 0``."""

    def __init__(self, problem: _Problem):
        self.problem = problem
        self.n_cells = len(problem.weight)
        coo = problem.jac.tocoo()
        self._jrow, self._jcol, self._jval = coo.row, coo.col, coo.data
        self._diag = np.arange(problem.jac.shape[1])
        self.iterations = 0

    def _split(self, x):
        return np.maximum(x[: self.n_cells], 1e-300), x[self.n_cells :]

    def objective(self, x):
        z, u = self._split(x)
        return float(self.problem.weight @ (z * np.log(z) - z + 1.0) + 0.5 * self.problem.penalty @ (u * u))

    def gradient(self, x):
        z, u = self._split(x)
        return np.concatenate([self.problem.weight * np.log(z), self.problem.penalty * u])

    def constraints(self, x):
        return self.problem.jac @ x

    def jacobianstructure(self):
        return self._jrow, self._jcol

    def jacobian(self, x):
        return self._jval

    def hessianstructure(self):
        return self._diag, self._diag

    def hessian(self, x, lagrange, obj_factor):
        z, _ = self._split(x)
        return obj_factor * np.concatenate([self.problem.weight / z, self.problem.penalty])

    def intermediate(self, alg_mod, iter_count, *args):
        self.iterations = int(iter_count)
        return True


def _solve(problem: _Problem, tol: float) -> tuple[np.ndarray, int, str]:
    """Run Ipopt from the prior (``z = 1``, slacks at the prior's gaps); return the variables,
    the iterations and the status message."""
    n, m = problem.jac.shape[1], len(problem.rhs)
    nlp = _CrossEntropyNLP(problem)
    ipopt = cyipopt.Problem(
        n=n, m=m, problem_obj=nlp, lb=np.zeros(n), ub=np.full(n, 2e19), cl=problem.rhs, cu=problem.rhs
    )
    for key, val in (
        ("tol", tol),
        ("constr_viol_tol", feasibility_tol(tol)),
        ("print_level", 0),
        ("sb", "yes"),
        ("bound_relax_factor", 0.0),
        ("jac_c_constant", "yes"),
        ("mu_strategy", "adaptive"),
        ("max_iter", 3000),
    ):
        ipopt.add_option(key, val)
    x, info = ipopt.solve(np.concatenate([np.ones(len(problem.weight)), problem.start_slack]))
    return (
        x,
        nlp.iterations,
        str(info["status_msg"].decode() if isinstance(info["status_msg"], bytes) else info["status_msg"]),
    )


def _raise_infeasible(problem: _Problem, resid: np.ndarray, message: str) -> None:
    """Name the targets (else the accounts) left unmet by a failed solve."""
    bad = np.nonzero(np.abs(resid) > 1e-6)[0]
    off_targets = [problem.names[k] for k in bad if k >= problem.n_balances]
    targets = problem.names[problem.n_balances :]
    if off_targets:
        raise ValueError(
            f"cross-entropy balancing infeasible ({message}); targets not met: {off_targets} "
            f"(they conflict with each other, with the balances or with fixed cells; all "
            f"targets: {targets})"
        )
    worst = [problem.names[k] for k in np.argsort(-np.abs(resid))[:5]]
    raise ValueError(
        f"cross-entropy balancing infeasible ({message}); accounts not balanced: {worst}"
        + (f"; check targets {targets}" if targets else "")
    )


def solve_problem(problem: _Problem, prior: np.ndarray, free: np.ndarray, tol: float) -> tuple[np.ndarray, int, str]:
    """Solve an assembled problem from the prior; return the magnitudes of every cell, the
    Ipopt iterations and the status message.

    Raises
    ------
    ValueError
        Naming the targets (else the accounts) left unmet if the solve fails."""
    magnitudes = prior.copy()
    iterations, message = 0, "nothing to adjust"
    start = np.concatenate([np.ones(len(problem.weight)), problem.start_slack])
    if free.any() and len(problem.rhs):
        met = np.abs(problem.jac @ start - problem.rhs).max() <= feasibility_tol(tol)
        if met and not (problem.penalty * problem.start_slack).any():
            message = "prior already balanced and on target: unchanged"
        else:
            x, iterations, message = _solve(problem, tol)
            resid = problem.jac @ x - problem.rhs
            if np.abs(resid).max() > 10 * feasibility_tol(tol):
                _raise_infeasible(problem, resid, message)
            magnitudes[free] = prior[free] * x[: len(problem.weight)]
    return magnitudes, iterations, message


def cross_entropy(
    sam: xr.Dataset,
    targets: Sequence[Target] = (),
    fixed: Sequence[tuple[str, Mapping[str, str | list[str]]]] = (),
    tol: float = 1e-9,
) -> tuple[xr.Dataset, BalanceReport]:
    """Balance a SAM by minimum cross-entropy distance from the prior, subject to targets.

    Minimises ``sum_c x_c ln(x_c / x0_c) - x_c + x0_c`` over the magnitudes of the free cells,
    plus the penalties of soft targets, subject to every balance of :func:`cge.sam.check_sam`
    and the hard ``targets``, with Ipopt (exact gradient, diagonal Hessian, constant sparse
    Jacobian). Variables are ``z = x / x0`` and two slacks per soft target.

    Free cells: every nonzero cell of ``vdfm, vifm, vdfd, vifd, vfm, vxmd, tariff, savings``,
    and the nonzero ``ptax``/``xtax`` cells that a target names (their sign is kept). Fixed:
    zero cells, untargeted ``ptax``/``xtax`` cells, the ``fixed`` selections, and cells in no
    constraint (an activity's use of its own commodity, unless targeted).

    Parameters
    ----------
    sam : xarray.Dataset
        SAM in the schema, out of balance [US$ million].
    targets : sequence of Target
        Linear targets ``sum coef * sum(sam[variable].sel(sel)) = value`` [US$ million]. Hard
        targets (``sd`` None) are met exactly; soft targets (``sd`` given) are penalised:
        ``0.5 (e / sd)^2 |value| / m`` is added to the objective for the relative gap ``e``
        (only shortfalls for ``Side.AT_LEAST``, only excesses for ``Side.AT_MOST``), with ``m``
        the mean free prior cell, so a soft target weighs like a prior cell of ``|value| / sd^2``.
    fixed : sequence of (variable, sel)
        Selections whose cells must not move (``vims`` fixes its three parts).
    tol : float
        Ipopt's convergence tolerance. Balances and targets (each row scaled by its account
        total or target value) are met to ``min(tol / 10, 1e-10)``, so the result passes
        :func:`cge.sam.check_sam`.

    Returns
    -------
    tuple
        The balanced SAM (attrs ``balancing_report``, ``sam_hash``) and its :class:`BalanceReport`.

    Raises
    ------
    ValueError
        Naming the targets (or accounts) that cannot be met: targets on cells that are all zero
        or fixed, targets of the wrong sign, linearly contradictory targets, or a problem Ipopt
        finds infeasible; also for unknown variables or labels in a target.
    """
    sam = conform_sam(sam)  # schema axis order and boolean flags, as every SAM that enters
    cells = sam_cells(sam)
    problem, free = _build_problem(sam, cells, targets, fixed, tol)
    magnitudes, iterations, message = solve_problem(problem, cells.value, free, tol)
    result = cells_to_sam(sam, cells, magnitudes)
    tmat = _target_matrix(sam, cells, targets)
    table = pd.DataFrame(
        {
            "name": [t.name for t in targets],
            "target": [float(t.value) for t in targets],
            "before": tmat @ cells.signed(),
            "achieved": tmat @ cells.signed(magnitudes),
            "sd": [float(t.sd) if t.sd is not None else np.nan for t in targets],
            "side": [Side(t.side).value for t in targets],
        },
        columns=list(TARGET_COLUMNS),
    )
    report = BalanceReport(
        "cross_entropy",
        iterations,
        max_account_gap(sam),
        max_account_gap(result),
        adjustment_table(sam, result),
        table,
        message,
    )
    return attach_report(sam, result, report), report
