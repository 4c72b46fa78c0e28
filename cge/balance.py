"""Balancing a SAM that is slightly out of balance: RAS and cross-entropy, with a report.

Both methods work on the cells of the square account matrix of :mod:`cge.sam_matrix` (one
cell per element of ``vdfm, vifm, vdfd, vifd, vfm, ptax, vxmd, xtax, tariff, savings``, where
``tariff = vims - vxmd - xtax`` and ``vims`` is rebuilt from its three parts). Values are
US$ million. See ``docs/balancing.md`` for the equations and what each method holds fixed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import cyipopt
import numpy as np
import pandas as pd
import scipy.sparse as sp
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
from cge.sam_matrix import CELL_VARIABLES, SamCells, cell_dims, cells_to_sam, fold_accounts, sam_cells

log = logging.getLogger(__name__)

COORD_COLUMNS = (COMMODITY, ACTIVITY, AGENT, FACTOR, REGION, EXPORTER, IMPORTER)
ADJUSTMENT_COLUMNS = ("variable", *COORD_COLUMNS, "before", "after", "change", "change_pct")
TARGET_COLUMNS = ("name", "target", "before", "achieved")
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


@dataclass(frozen=True)
class Target:
    """Linear target ``sum of terms = value`` [US$ million], e.g. the GDP of a region."""

    name: str
    terms: tuple[Term, ...]
    value: float


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


def _finish(sam: xr.Dataset, result: xr.Dataset, report: BalanceReport) -> xr.Dataset:
    """Check the balanced SAM and store the report and hash in its attrs."""
    check_sam(result)
    result.attrs["balancing_report"] = report.to_json()
    result.attrs["sam_hash"] = sam_hash(result)
    log.info("%s", report.summary())
    return result


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
    return _finish(sam, result, report), report


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
    ids = []
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
        ids.append(cells.cells_of(part).start + np.asarray(chosen.values).ravel())
    ids = np.concatenate(ids)
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
    """Linear constraints ``A z = rhs`` on relative changes ``z = x / x0`` of the free cells."""

    jac: sp.csr_matrix
    rhs: np.ndarray
    names: list[str]
    n_balances: int
    weight: np.ndarray


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
    and the free cells: nonzero, not fixed, and in at least one constraint."""
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


def _build_problem(sam, cells: SamCells, targets, fixed, tol: float) -> tuple[_Problem, np.ndarray]:
    """Assemble the scaled constraint system of the cross-entropy problem on the free cells.

    Raises ValueError for rows that cannot be met (see :func:`cross_entropy`)."""
    full, value, scale, names, n_bal, free = _constraint_system(sam, cells, targets, fixed)
    rhs = value - full[:, ~free] @ cells.value[~free]
    jac = (full[:, free] @ sp.diags(cells.value[free])).tocsr()
    rows = _check_rows(jac, rhs, scale, names, n_bal, tol)
    _check_target_signs(jac, rhs, scale, names, n_bal, tol)
    _check_target_consistency(jac, rhs, scale, names, n_bal)
    keep = np.nonzero(rows)[0]
    scaled = (sp.diags(1.0 / scale[keep]) @ jac[keep]).tocsr()
    weight = cells.value[free] / cells.value[free].mean() if free.any() else np.zeros(0)
    problem = _Problem(scaled, rhs[keep] / scale[keep], [names[k] for k in keep], int((keep < n_bal).sum()), weight)
    return problem, free


# --------------------------------------------------------------------------- cross-entropy: solver
def feasibility_tol(tol: float) -> float:
    """Relative tolerance of balances and targets for Ipopt's ``tol``: tight enough for check_sam."""
    return min(0.1 * tol, 1e-10)


class _CrossEntropyNLP:
    """cyipopt callbacks: ``min sum w (z ln z - z + 1)`` s.t. ``A z = rhs``, ``z >= 0``."""

    def __init__(self, problem: _Problem):
        self.problem = problem
        coo = problem.jac.tocoo()
        self._jrow, self._jcol, self._jval = coo.row, coo.col, coo.data
        self._diag = np.arange(len(problem.weight))
        self.iterations = 0

    def objective(self, z):
        z = np.maximum(z, 1e-300)
        return float(self.problem.weight @ (z * np.log(z) - z + 1.0))

    def gradient(self, z):
        return self.problem.weight * np.log(np.maximum(z, 1e-300))

    def constraints(self, z):
        return self.problem.jac @ z

    def jacobianstructure(self):
        return self._jrow, self._jcol

    def jacobian(self, z):
        return self._jval

    def hessianstructure(self):
        return self._diag, self._diag

    def hessian(self, z, lagrange, obj_factor):
        return obj_factor * self.problem.weight / np.maximum(z, 1e-300)

    def intermediate(self, alg_mod, iter_count, *args):
        self.iterations = int(iter_count)
        return True


def _solve(problem: _Problem, tol: float) -> tuple[np.ndarray, int, str]:
    """Run Ipopt from the prior (``z = 1``); return ``z``, iterations and the status message."""
    n, m = len(problem.weight), len(problem.rhs)
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
    z, info = ipopt.solve(np.ones(n))
    return (
        z,
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


def cross_entropy(
    sam: xr.Dataset,
    targets: Sequence[Target] = (),
    fixed: Sequence[tuple[str, Mapping[str, str | list[str]]]] = (),
    tol: float = 1e-9,
) -> tuple[xr.Dataset, BalanceReport]:
    """Balance a SAM by minimum cross-entropy distance from the prior, subject to targets.

    Minimises ``sum_c x_c ln(x_c / x0_c) - x_c + x0_c`` over the magnitudes of the free cells
    subject to every balance of :func:`cge.sam.check_sam` and ``targets``, with Ipopt (exact
    gradient, diagonal Hessian, constant sparse Jacobian). Variables are ``z = x / x0``.

    Free cells: every nonzero cell of ``vdfm, vifm, vdfd, vifd, vfm, vxmd, tariff, savings``,
    and the nonzero ``ptax``/``xtax`` cells that a target names (their sign is kept). Fixed:
    zero cells, untargeted ``ptax``/``xtax`` cells, the ``fixed`` selections, and cells in no
    constraint (an activity's use of its own commodity, unless targeted).

    Parameters
    ----------
    sam : xarray.Dataset
        SAM in the schema, out of balance [US$ million].
    targets : sequence of Target
        Linear targets ``sum coef * sum(sam[variable].sel(sel)) = value`` [US$ million].
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
    cells = sam_cells(sam)
    problem, free = _build_problem(sam, cells, targets, fixed, tol)
    magnitudes = cells.value.copy()
    iterations, message = 0, "nothing to adjust"
    if free.any() and len(problem.rhs):
        if np.abs(problem.jac @ np.ones(problem.jac.shape[1]) - problem.rhs).max() <= feasibility_tol(tol):
            message = "prior already balanced and on target: unchanged"
        else:
            z, iterations, message = _solve(problem, tol)
            resid = problem.jac @ z - problem.rhs
            if np.abs(resid).max() > 10 * feasibility_tol(tol):
                _raise_infeasible(problem, resid, message)
            magnitudes[free] = cells.value[free] * z
    result = cells_to_sam(sam, cells, magnitudes)
    tmat = _target_matrix(sam, cells, targets)
    table = pd.DataFrame(
        {
            "name": [t.name for t in targets],
            "target": [float(t.value) for t in targets],
            "before": tmat @ cells.signed(),
            "achieved": tmat @ cells.signed(magnitudes),
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
    return _finish(sam, result, report), report
