"""Square account-by-account view of a SAM, stored as a list of cells.

Every element of a SAM flow is one *cell*: a payment from a paying account (column) to a
receiving account (row), in US$ million. The balancing methods of :mod:`cge.balance` work on
these cells; :func:`account_matrix` shows them as a dense square matrix.

Accounts (one per region unless said otherwise):

================================  ===============================================================
``activity[j,r]``                 activity = domestic commodity ``j``
``import[i,r]``                   import composite of commodity ``i``
``factor[f,r]``                   factor ``f``
``regional_household[r]``         collects factor income and every tax
``private_household[r]``          private consumption
``government[r]``                 government consumption
``savings_investment[r]``         receives savings, pays investment demand
``world_capital``                 world capital account: receives a region's surplus of savings
                                  over investment, pays another region's deficit
================================  ===============================================================

Cells taken from the SAM (row <- column): ``vdfm[i,j,r]`` activity[i,r] <- activity[j,r];
``vifm[i,j,r]`` import[i,r] <- activity[j,r]; ``vdfd``/``vifd[i,a,r]`` activity/import[i,r] <-
the agent's account; ``vfm[f,j,r]`` factor[f,r] <- activity[j,r]; ``ptax[j,r]``
regional_household[r] <- activity[j,r]; ``vxmd[i,s,d]`` activity[i,s] <- import[i,d];
``xtax[i,s,d]`` regional_household[s] <- import[i,d]; ``tariff[i,s,d] = vims - vxmd - xtax``
regional_household[d] <- import[i,d]; ``savings[r]`` savings_investment[r] <-
regional_household[r]. A negative value (a subsidy) is stored as its magnitude on the
transposed cell, with ``sign = -1``.

*Implied* cells are not SAM variables; they close accounts whose balance holds by definition:
factor income regional_household[r] <- factor[f,r] (= sum of the factor's payments),
private_household[r] and government[r] <- regional_household[r] (= the agent's spending),
and net foreign savings between savings_investment[r] and world_capital (= investment minus
savings, on the row of the deficit's side). With them the matrix is square and closed.

:func:`fold_accounts` folds the pass-through accounts (factor, private household, government
into the regional household; savings-investment into the world capital account), leaving
exactly the balances of :func:`cge.sam.check_sam`; RAS and cross-entropy work on that view.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from cge.dims import AGENT, COMMODITY, FACTOR, GOVERNMENT, HOUSEHOLD, INVESTMENT, REGION
from cge.sam import SAM_SCHEMA, tariff_revenue

CELL_VARIABLES = ("vdfm", "vifm", "vdfd", "vifd", "vfm", "ptax", "vxmd", "xtax", "tariff", "savings")
"""SAM flows that make up the cells; ``tariff`` is ``vims - vxmd - xtax`` [US$ million]."""

ACCOUNT_KINDS = (
    "activity",
    "import",
    "factor",
    "regional_household",
    "private_household",
    "government",
    "savings_investment",
    "world_capital",
)
AGENT_ACCOUNT = {HOUSEHOLD: "private_household", GOVERNMENT: "government", INVESTMENT: "savings_investment"}


def cell_dims(variable: str) -> tuple[str, ...]:
    """Dimensions of a cell variable (``tariff`` has the dims of ``vims``)."""
    return SAM_SCHEMA["vims" if variable == "tariff" else variable].dims


def cell_array(sam: xr.Dataset, variable: str) -> xr.DataArray:
    """Values of a cell variable [US$ million], transposed to its schema dims."""
    da = tariff_revenue(sam) if variable == "tariff" else sam[variable]
    return da.transpose(*cell_dims(variable))


@dataclass(frozen=True)
class AccountIndex:
    """Numbering of the square matrix's accounts for given region, commodity and factor labels."""

    regions: tuple[str, ...]
    commodities: tuple[str, ...]
    factors: tuple[str, ...]

    @property
    def n_regions(self) -> int:
        """Number of regions."""
        return len(self.regions)

    def offset(self, kind: str) -> int:
        """Index of the first account of a kind."""
        n_r, n_c, n_f = self.n_regions, len(self.commodities), len(self.factors)
        sizes = [n_c * n_r, n_c * n_r, n_f * n_r, n_r, n_r, n_r, n_r, 1]
        return int(np.sum(sizes[: ACCOUNT_KINDS.index(kind)]))

    @property
    def size(self) -> int:
        """Number of accounts."""
        return self.offset("world_capital") + 1

    def kinds(self) -> np.ndarray:
        """Kind of every account (array of str)."""
        bounds = [self.offset(k) for k in ACCOUNT_KINDS] + [self.size]
        return np.repeat(np.array(ACCOUNT_KINDS), np.diff(bounds))

    def region_of(self) -> np.ndarray:
        """Region index of every account (-1 for the world account)."""
        n_r = self.n_regions
        per_kind = [np.tile(np.arange(n_r), len(self.commodities))] * 2
        per_kind += [np.tile(np.arange(n_r), len(self.factors))] + [np.arange(n_r)] * 4 + [np.array([-1])]
        return np.concatenate(per_kind)

    def labels(self) -> list[str]:
        """Readable label of every account, e.g. ``activity[agri,USA]``."""
        out = []
        per_item = (("activity", self.commodities), ("import", self.commodities), ("factor", self.factors))
        for kind, items in per_item:
            out += [f"{kind}[{item},{r}]" for item in items for r in self.regions]
        for kind in ACCOUNT_KINDS[3:7]:
            out += [f"{kind}[{r}]" for r in self.regions]
        return out + ["world_capital"]

    def activity(self, j, r):
        """Account number of ``activity[j, r]`` (integer positions, arrays allowed)."""
        return self.offset("activity") + np.asarray(j) * self.n_regions + np.asarray(r)

    def imports(self, i, r):
        """Account number of ``import[i, r]``."""
        return self.offset("import") + np.asarray(i) * self.n_regions + np.asarray(r)

    def factor(self, f, r):
        """Account number of ``factor[f, r]``."""
        return self.offset("factor") + np.asarray(f) * self.n_regions + np.asarray(r)

    def regional(self, kind: str, r):
        """Account number of a per-region account of ``kind`` in region position ``r``."""
        return self.offset(kind) + np.asarray(r)


def _endpoints(idx: AccountIndex, variable: str, shape: tuple[int, ...], agents: list[str]):
    """Receiving (row) and paying (column) account of every element of a cell variable."""
    grid = np.indices(shape)
    if variable in ("vdfm", "vifm"):
        i, j, r = grid
        row = idx.activity(i, r) if variable == "vdfm" else idx.imports(i, r)
        return row, idx.activity(j, r)
    if variable in ("vdfd", "vifd"):
        i, a, r = grid
        kind_offsets = np.array([idx.offset(AGENT_ACCOUNT[name]) for name in agents])
        row = idx.activity(i, r) if variable == "vdfd" else idx.imports(i, r)
        return row, kind_offsets[a] + r
    if variable == "vfm":
        f, j, r = grid
        return idx.factor(f, r), idx.activity(j, r)
    if variable == "ptax":
        j, r = grid
        return idx.regional("regional_household", r), idx.activity(j, r)
    if variable == "savings":
        (r,) = grid
        return idx.regional("savings_investment", r), idx.regional("regional_household", r)
    i, s, d = grid
    col = idx.imports(i, d)
    if variable == "vxmd":
        return idx.activity(i, s), col
    if variable == "xtax":
        return idx.regional("regional_household", s), col
    return idx.regional("regional_household", d), col


@dataclass(frozen=True, eq=False)
class SamCells:
    """Every element of every cell variable of a SAM as one cell of the square matrix.

    Cells of variable ``CELL_VARIABLES[k]`` occupy ``start[k]:start[k+1]`` in C order of the
    variable's schema dims, so ``start[k] + flat index`` is a cell's position.

    Attributes
    ----------
    index : AccountIndex
        Numbering of the accounts.
    variable : numpy.ndarray
        Code of each cell's variable (position in ``CELL_VARIABLES``).
    start : numpy.ndarray
        First cell of each variable (length ``len(CELL_VARIABLES) + 1``).
    row, col : numpy.ndarray
        Receiving and paying account of each cell (swapped for negative values).
    value : numpy.ndarray
        Magnitude of each cell [US$ million, >= 0].
    sign : numpy.ndarray
        +1, or -1 for a negative value stored on the transposed cell.
    shapes : dict
        Shape of each variable's array.
    """

    index: AccountIndex
    variable: np.ndarray
    start: np.ndarray
    row: np.ndarray
    col: np.ndarray
    value: np.ndarray
    sign: np.ndarray
    shapes: dict

    def cells_of(self, variable: str) -> slice:
        """Slice of the cells of one variable."""
        k = CELL_VARIABLES.index(variable)
        return slice(int(self.start[k]), int(self.start[k + 1]))

    def signed(self, magnitudes: np.ndarray | None = None) -> np.ndarray:
        """Signed values [US$ million] of the cells (of ``magnitudes`` if given)."""
        return self.sign * (self.value if magnitudes is None else magnitudes)


def sam_cells(sam: xr.Dataset) -> SamCells:
    """List every element of the SAM's flows as a cell of the square account matrix.

    Parameters
    ----------
    sam : xarray.Dataset
        SAM in the schema [US$ million].

    Returns
    -------
    SamCells
        Cells with their accounts, magnitudes and signs.
    """
    idx = AccountIndex(
        tuple(map(str, sam[REGION].values)),
        tuple(map(str, sam[COMMODITY].values)),
        tuple(map(str, sam[FACTOR].values)),
    )
    agents = list(map(str, sam[AGENT].values))
    rows, cols, values, codes, shapes = [], [], [], [], {}
    for code, name in enumerate(CELL_VARIABLES):
        arr = cell_array(sam, name).values.astype(float)
        shapes[name] = arr.shape
        row, col = _endpoints(idx, name, arr.shape, agents)
        rows.append(row.ravel())
        cols.append(col.ravel())
        values.append(arr.ravel())
        codes.append(np.full(arr.size, code))
    value = np.concatenate(values)
    sign = np.where(value < 0, -1, 1).astype(np.int8)
    row, col = np.concatenate(rows), np.concatenate(cols)
    row, col = np.where(sign < 0, col, row), np.where(sign < 0, row, col)
    start = np.concatenate([[0], np.cumsum([np.prod(shapes[n], dtype=int) for n in CELL_VARIABLES])])
    return SamCells(idx, np.concatenate(codes), start, row, col, np.abs(value), sign, shapes)


def implied_cells(cells: SamCells, magnitudes: np.ndarray | None = None):
    """Cells that close the factor, private household, government and S-I accounts.

    Parameters
    ----------
    cells : SamCells
        The SAM's cells.
    magnitudes : numpy.ndarray, optional
        Cell magnitudes to use instead of ``cells.value`` [US$ million].

    Returns
    -------
    tuple of numpy.ndarray
        ``(row, col, value)`` of the implied cells [US$ million, >= 0].
    """
    idx = cells.index
    value = cells.value if magnitudes is None else magnitudes
    n = idx.size
    receipts = np.bincount(cells.row, value, n)
    payments = np.bincount(cells.col, value, n)
    r = np.arange(idx.n_regions)
    rh = idx.regional("regional_household", r)
    n_f = len(idx.factors)
    factors = idx.factor(np.repeat(np.arange(n_f), idx.n_regions), np.tile(r, n_f))
    rows = [np.tile(rh, n_f)]
    cols = [factors]
    vals = [receipts[factors]]
    for kind in ("private_household", "government"):
        acc = idx.regional(kind, r)
        rows.append(acc)
        cols.append(rh)
        vals.append(payments[acc] - receipts[acc])
    si = idx.regional("savings_investment", r)
    world = np.full(idx.n_regions, idx.size - 1)
    deficit = payments[si] - receipts[si]
    rows.append(np.where(deficit >= 0, si, world))
    cols.append(np.where(deficit >= 0, world, si))
    vals.append(np.abs(deficit))
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


def fold_accounts(cells: SamCells, world: bool = True) -> tuple[np.ndarray, list[str]]:
    """Fold the square matrix onto the accounts that :func:`cge.sam.check_sam` balances.

    Factor, private household and government accounts pass their totals through to the
    regional household of their region, and savings-investment accounts to the world capital
    account, so on the folded matrix a cell ``vfm`` is a receipt of the regional household
    from the activity, savings a receipt of the world account, and so on. The balance of a
    folded account is exactly a ``check_sam`` balance: activity, import composite, regional
    household, world savings-investment.

    Parameters
    ----------
    cells : SamCells
        The SAM's cells.
    world : bool
        Keep the world capital account (True, for a closed square matrix) or drop it (False:
        its balance is implied by the others), mapping it to -1.

    Returns
    -------
    tuple
        Folded account of every account (``-1`` if dropped) and the labels of the folded accounts.
    """
    idx = cells.index
    kinds = idx.kinds()
    out = np.full(idx.size, -1)
    own = np.isin(kinds, ("activity", "import"))
    n_own = int(own.sum())
    out[own] = np.arange(n_own)
    rh = np.isin(kinds, ("regional_household", "factor", "private_household", "government"))
    out[rh] = n_own + idx.region_of()[rh]
    folded = np.isin(kinds, ("activity", "import", "regional_household"))
    labels = [lab for lab, keep in zip(idx.labels(), folded, strict=True) if keep]
    if world:
        out[np.isin(kinds, ("savings_investment", "world_capital"))] = n_own + idx.n_regions
        labels.append("world_capital")
    return out, labels


def cells_to_sam(sam: xr.Dataset, cells: SamCells, magnitudes: np.ndarray) -> xr.Dataset:
    """Write cell magnitudes back into a copy of the SAM.

    Parameters
    ----------
    sam : xarray.Dataset
        The SAM the cells were taken from (labels, metadata, attrs and employment are kept).
    cells : SamCells
        Its cells.
    magnitudes : numpy.ndarray
        New magnitudes of the cells [US$ million, >= 0]; signs are those of ``cells``.

    Returns
    -------
    xarray.Dataset
        The SAM with the new flows; ``vims = vxmd + xtax + tariff`` where any of the three
        moved, and the original ``vims`` (bit for bit) where none did.
    """
    out = sam.copy(deep=True)
    signed = cells.signed(magnitudes)
    arrays = {name: signed[cells.cells_of(name)].reshape(cells.shapes[name]) for name in CELL_VARIABLES}
    moved = np.zeros(cells.shapes["vxmd"], dtype=bool)
    for part in ("vxmd", "xtax", "tariff"):
        cut = cells.cells_of(part)
        moved |= (magnitudes[cut] != cells.value[cut]).reshape(moved.shape)
    vims = cell_array(sam, "vims").values
    arrays["vims"] = np.where(moved, arrays["vxmd"] + arrays["xtax"] + arrays["tariff"], vims)
    for name, values in arrays.items():
        if name == "tariff":
            continue
        da = xr.DataArray(values, dims=cell_dims(name), coords={d: sam[d] for d in cell_dims(name)})
        out[name] = da.transpose(*sam[name].dims).assign_attrs(sam[name].attrs)
    return out


def account_matrix(sam: xr.Dataset) -> pd.DataFrame:
    """The SAM as a dense square matrix of accounts, receipts in rows, payments in columns.

    Includes the implied cells, so every row sum equals its column sum exactly when the SAM
    balances. Meant for small SAMs and inspection (size grows with the square of the accounts).

    Parameters
    ----------
    sam : xarray.Dataset
        SAM in the schema [US$ million].

    Returns
    -------
    pandas.DataFrame
        Square matrix [US$ million] indexed by account labels (see module docstring).
    """
    cells = sam_cells(sam)
    irow, icol, ival = implied_cells(cells)
    n = cells.index.size
    mat = np.zeros((n, n))
    np.add.at(
        mat, (np.concatenate([cells.row, irow]), np.concatenate([cells.col, icol])), np.concatenate([cells.value, ival])
    )
    labels = cells.index.labels()
    return pd.DataFrame(mat, index=labels, columns=labels)
