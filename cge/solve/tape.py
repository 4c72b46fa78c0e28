"""Vectorised expressions with exact sparse Jacobians, traced once and replayed.

A model states its equations as NumPy-like operations on :class:`Node` vectors (one vector per
equation block or intermediate array). Tracing records each operation with the sparsity pattern
of its Jacobian with respect to the unknowns ``x``; :meth:`Tape.compile` turns the record into a
:class:`CompiledTape` whose evaluations replay it with NumPy gathers, products and constant
sparse matrix-vector products only:

- values of every node at ``(x, p)`` (``p``: the model's parameters, e.g. tax powers);
- the Jacobian ``dF/dx`` of the outputs as CSR data on a pattern fixed at compile time (exact:
  each operation applies its analytical derivative to its operands' nonzeros);
- Jacobian-vector products in any direction ``(dx, dp)`` (forward mode), which give the
  derivatives along a shock path (``dF/dp`` times the path's direction) and the rates of every
  intermediate array.

The pattern of a node is structural: an entry exists where the operand patterns say it may be
nonzero, whatever its value at the point of tracing, so a Jacobian entry that happens to be zero
at the benchmark is still in the pattern.

Operations: unary functions (log, exp, power by a constant), products, quotients, sums and
differences of two nodes or of a node and a constant, gathers (``node[index]``, which broadcasts
a vector onto a larger index space), and constant linear maps (``S @ node``, which sums over
sets). Everything is float64.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, overload

import numpy as np
import scipy.sparse as sp

_VAR, _PAR, _UNARY, _BINARY, _GATHER, _LINMAP, _CONST = range(7)

Operand: TypeAlias = "Node | np.ndarray | float"
"""What node arithmetic accepts: a node, a constant vector of the node's size, or a scalar."""


@dataclass
class _Pattern:
    """CSR structure of a node's Jacobian with respect to x (rows = node entries)."""

    indptr: np.ndarray
    indices: np.ndarray

    @property
    def nnz(self) -> int:
        return int(self.indices.size)

    def rows(self) -> np.ndarray:
        """Row of each stored entry."""
        return np.repeat(np.arange(self.indptr.size - 1), np.diff(self.indptr))


def _empty_pattern(size: int) -> _Pattern:
    return _Pattern(np.zeros(size + 1, dtype=np.int64), np.zeros(0, dtype=np.int64))


def _same(a: _Pattern, b: _Pattern) -> bool:
    """Whether two patterns are the same (often the very same object)."""
    return a is b or (a.nnz == b.nnz and np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices))


def _bool_matrix(pattern: _Pattern, n: int) -> sp.csr_matrix:
    data = np.ones(pattern.nnz, dtype=np.int8)
    return sp.csr_matrix((data, pattern.indices, pattern.indptr), shape=(pattern.indptr.size - 1, n))


def _pattern_of(matrix: sp.csr_matrix) -> _Pattern:
    matrix = matrix.tocsr()
    matrix.sum_duplicates()
    matrix.sort_indices()
    return _Pattern(matrix.indptr.astype(np.int64, copy=False), matrix.indices.astype(np.int64, copy=False))


def _positions(outer: _Pattern, inner: _Pattern, n: int) -> np.ndarray:
    """Position in ``outer``'s data of each stored entry of ``inner`` (same rows, inner ⊆ outer)."""
    if inner.nnz == 0:
        return np.zeros(0, dtype=np.int64)
    if inner.nnz == outer.nnz:  # the same pattern
        return np.arange(inner.nnz, dtype=np.int64)
    keys_outer = outer.rows() * n + outer.indices
    keys_inner = inner.rows() * n + inner.indices
    pos = np.searchsorted(keys_outer, keys_inner)
    return pos.astype(np.int64, copy=False)


@dataclass(eq=False)
class Node:
    """A symbolic vector recorded on a :class:`Tape`.

    Attributes
    ----------
    tape : Tape
        The tape it belongs to.
    index : int
        Its position on the tape.
    size : int
        Number of entries.
    name : str
        Optional name (for diagnostics and values lookup).
    """

    tape: Tape
    index: int
    size: int
    name: str = ""

    __array_ufunc__ = None  # NumPy defers to the reflected operators (array - node is a node)

    # ---------------------------------------------------------------- arithmetic
    def __add__(self, other: Operand) -> Node:
        return self.tape._binary("add", self, other)

    def __radd__(self, other: Operand) -> Node:
        return self.tape._binary("add", other, self)

    def __sub__(self, other: Operand) -> Node:
        return self.tape._binary("sub", self, other)

    def __rsub__(self, other: Operand) -> Node:
        return self.tape._binary("sub", other, self)

    def __mul__(self, other: Operand) -> Node:
        return self.tape._binary("mul", self, other)

    def __rmul__(self, other: Operand) -> Node:
        return self.tape._binary("mul", other, self)

    def __truediv__(self, other: Operand) -> Node:
        return self.tape._binary("div", self, other)

    def __rtruediv__(self, other: Operand) -> Node:
        return self.tape._binary("div", other, self)

    def __neg__(self) -> Node:
        return self.tape._binary("mul", self, -1.0)

    def __pow__(self, exponent: Operand) -> Node:
        if isinstance(exponent, Node):
            return (self.log() * exponent).exp()
        return self.tape._unary("pow", self, np.asarray(exponent, dtype=float))

    def log(self) -> Node:
        return self.tape._unary("log", self, None)

    def exp(self) -> Node:
        return self.tape._unary("exp", self, None)

    def __getitem__(self, index) -> Node:
        if isinstance(index, slice):
            index = np.arange(self.size)[index]
        return self.tape._gather(self, np.asarray(index, dtype=np.int64).reshape(-1))

    def __rmatmul__(self, matrix: sp.spmatrix) -> Node:
        return self.tape._linmap(sp.csr_matrix(matrix), self)

    def named(self, name: str) -> Node:
        """Give this node a name (for :meth:`CompiledTape.values`)."""
        self.tape.names[name] = self.index
        self.name = name
        return self


SMALL_MAP_NNZ = 50_000
"""Constant linear maps with fewer nonzeros are applied with ``np.bincount`` (SciPy's sparse
product costs tens of microseconds of checks per call, which dominate small models' replays)."""


class _SmallMap:
    """A constant sparse matrix applied by ``np.bincount`` (rows, cols, data in COO form)."""

    def __init__(self, matrix: sp.csr_matrix):
        coo = matrix.tocoo()
        self.rows, self.cols, self.data = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype(float)
        self.m = int(matrix.shape[0])

    def __matmul__(self, v: np.ndarray) -> np.ndarray:
        if v.ndim == 1:
            return np.bincount(self.rows, weights=self.data * v[self.cols], minlength=self.m)
        return np.stack([self @ v[:, j] for j in range(v.shape[1])], axis=1)


def _fast(matrix: sp.csr_matrix | None) -> sp.csr_matrix | _SmallMap | None:
    return _SmallMap(matrix) if matrix is not None and matrix.nnz < SMALL_MAP_NNZ else matrix


@dataclass
class _Op:
    kind: int
    size: int
    pattern: _Pattern  # of the node's Jacobian with respect to x
    a: int = -1  # operand node index (or -1)
    b: int = -1
    const_a: np.ndarray | None = None  # constant operand (broadcast to size)
    const_b: np.ndarray | None = None
    op: str = ""
    arg: np.ndarray | None = None  # exponent, gather index
    start: int = 0  # first entry of x or p of a variable or parameter slice
    matrix: sp.csr_matrix | None = None
    # replay data for the Jacobian
    pos_a: np.ndarray | None = None
    pos_b: np.ndarray | None = None
    rows: np.ndarray | None = None
    rows_a: np.ndarray | None = None
    rows_b: np.ndarray | None = None
    perm: np.ndarray | None = None
    data_map: sp.csr_matrix | None = None
    fast_matrix: sp.csr_matrix | _SmallMap | None = None  # ``matrix`` and ``data_map`` as applied
    full_a: bool = False  # the operand's pattern is the node's (its positions are all of them)
    full_b: bool = False
    fast_data_map: sp.csr_matrix | _SmallMap | None = None


class Tape:
    """Records vector operations on unknowns ``x`` (length ``n``) and parameters ``p`` (length ``n_p``)."""

    def __init__(self, n: int, n_p: int):
        self.n, self.n_p = n, n_p
        self.ops: list[_Op] = []
        self.names: dict[str, int] = {}

    # ---------------------------------------------------------------- leaves
    def variable(self, start: int, size: int, name: str = "") -> Node:
        """The unknowns ``x[start:start + size]``."""
        if start < 0 or start + size > self.n:
            raise ValueError(f"variable slice [{start}, {start + size}) outside x of length {self.n}")
        pattern = _Pattern(np.arange(size + 1, dtype=np.int64), np.arange(start, start + size, dtype=np.int64))
        node = self._push(_Op(_VAR, size, pattern, start=start))
        return node.named(name) if name else node

    def parameter(self, start: int, size: int, name: str = "") -> Node:
        """The parameters ``p[start:start + size]`` (constant with respect to x)."""
        if start < 0 or start + size > self.n_p:
            raise ValueError(f"parameter slice [{start}, {start + size}) outside p of length {self.n_p}")
        node = self._push(_Op(_PAR, size, _empty_pattern(size), start=start))
        return node.named(name) if name else node

    def constant(self, values: np.ndarray, name: str = "") -> Node:
        """A constant vector as a node (rarely needed: operations accept NumPy arrays)."""
        values = np.asarray(values, dtype=float).reshape(-1)
        node = self._push(_Op(_CONST, values.size, _empty_pattern(values.size), const_a=values))
        return node.named(name) if name else node

    # ---------------------------------------------------------------- recording
    def _push(self, op: _Op) -> Node:
        self.ops.append(op)
        return Node(self, len(self.ops) - 1, op.size)

    def _check(self, node: Node) -> None:
        if node.tape is not self:
            raise ValueError("operands come from different tapes")

    def _unary(self, op: str, a: Node, arg: np.ndarray | None) -> Node:
        self._check(a)
        pattern = self.ops[a.index].pattern
        return self._push(_Op(_UNARY, a.size, pattern, a=a.index, op=op, arg=arg))

    def _binary(self, op: str, left: Operand, right: Operand) -> Node:
        nodes = [v for v in (left, right) if isinstance(v, Node)]
        for v in nodes:
            self._check(v)
        size = nodes[0].size
        for v in nodes:
            if v.size != size:
                raise ValueError(f"{op}: operand sizes differ ({left_size(left)} and {left_size(right)})")

        def as_const(v: Operand) -> np.ndarray | None:
            if isinstance(v, Node):
                return None
            arr = np.asarray(v, dtype=float)
            if arr.ndim == 0:
                return np.full(size, float(arr))
            arr = arr.reshape(-1)
            if arr.size != size:
                raise ValueError(f"{op}: constant of size {arr.size} against a node of size {size}")
            return arr

        ca, cb = as_const(left), as_const(right)
        a = left.index if isinstance(left, Node) else -1
        b = right.index if isinstance(right, Node) else -1
        # rows of a node-and-constant operation are found when first needed (:func:`_scaled`)
        rec = _Op(_BINARY, size, self.ops[a if a >= 0 else b].pattern, a=a, b=b, const_a=ca, const_b=cb, op=op)
        if a >= 0 and b >= 0:
            pa, pb = self.ops[a].pattern, self.ops[b].pattern
            if _same(pa, pb):
                union = pa
            else:
                union = _pattern_of(_bool_matrix(pa, self.n) + _bool_matrix(pb, self.n))
            rec.pattern = union
            rec.pos_a = _positions(union, pa, self.n)
            rec.pos_b = _positions(union, pb, self.n)
            rec.full_a, rec.full_b = pa.nnz == union.nnz, pb.nnz == union.nnz
            rec.rows_a = pa.rows()
            rec.rows_b = rec.rows_a if _same(pa, pb) else pb.rows()
        return self._push(rec)

    def _gather(self, a: Node, index: np.ndarray) -> Node:
        self._check(a)
        if index.size and (index.min() < 0 or index.max() >= a.size):
            raise IndexError(f"gather index outside 0..{a.size - 1}")
        pa = self.ops[a.index].pattern
        starts, ends = pa.indptr[index], pa.indptr[index + 1]
        counts = ends - starts
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64, copy=False)
        perm = _ranges(starts, counts)
        pattern = _Pattern(indptr, pa.indices[perm])
        return self._push(_Op(_GATHER, index.size, pattern, a=a.index, arg=index, perm=perm))

    def _linmap(self, matrix: sp.csr_matrix, a: Node) -> Node:
        self._check(a)
        if matrix.shape[1] != a.size:
            raise ValueError(f"linear map of {matrix.shape[1]} columns applied to a node of size {a.size}")
        matrix = matrix.tocsr().astype(float)
        matrix.sum_duplicates()
        pa = self.ops[a.index].pattern
        out = _pattern_of(_bool_matrix(_pattern_of(matrix), a.size) @ _bool_matrix(pa, self.n))
        # every (matrix entry (i, k, s), nonzero q of row k of a) contributes s * d_a[q] to (i, col(q))
        m_rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        counts = np.diff(pa.indptr)[matrix.indices]
        q = _ranges(pa.indptr[matrix.indices], counts)
        i = np.repeat(m_rows, counts)
        s = np.repeat(matrix.data, counts)
        keys_out = out.rows() * self.n + out.indices
        pos = np.searchsorted(keys_out, i * self.n + pa.indices[q])
        data_map = sp.csr_matrix((s, (pos, q)), shape=(out.nnz, pa.nnz))
        return self._push(_Op(_LINMAP, matrix.shape[0], out, a=a.index, matrix=matrix, data_map=data_map))

    # ---------------------------------------------------------------- compile
    def compile(self, outputs: list[Node]) -> CompiledTape:
        """Fix the outputs (stacked in order) and return the evaluator."""
        for node in outputs:
            self._check(node)
        return CompiledTape(self, [node.index for node in outputs])


def left_size(v) -> int:
    return v.size if isinstance(v, Node) else np.asarray(v).size


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + c)`` for each (s, c)."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return (np.arange(total, dtype=np.int64) + offsets).astype(np.int64, copy=False)


def _unary_value(op: str, x: np.ndarray, arg) -> tuple[np.ndarray, np.ndarray]:
    """(f(x), f'(x))."""
    if op == "log":
        return np.log(x), 1.0 / x
    if op == "exp":
        e = np.exp(x)
        return e, e
    if op == "pow":
        k = arg
        return x**k, k * x ** (k - 1.0)
    raise ValueError(op)


def _binary_value(op: str, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a op b, d/da, d/db)."""
    if op == "add":
        one = np.ones_like(a)
        return a + b, one, one
    if op == "sub":
        one = np.ones_like(a)
        return a - b, one, -one
    if op == "mul":
        return a * b, b, a
    if op == "div":
        inv = 1.0 / b
        v = a * inv
        return v, inv, -v * inv
    raise ValueError(op)


@overload
def _times(scale: np.ndarray | None, d: np.ndarray, unit: Literal[False] = False) -> np.ndarray: ...


@overload
def _times(scale: np.ndarray | None, d: np.ndarray, unit: bool) -> np.ndarray | None: ...


def _times(scale: np.ndarray | None, d: np.ndarray, unit: bool = False) -> np.ndarray | None:
    """Row scale of a node's Jacobian after an elementwise operation with derivative ``d``
    (``unit``: d is one everywhere, so the scale does not change)."""
    if unit:
        return scale
    return d if scale is None else scale * d


def _scaled(op: _Op, data: np.ndarray, scale: np.ndarray | None) -> np.ndarray:
    """A node's Jacobian data with its row scale applied."""
    if scale is None:
        return data
    if op.rows is None:
        op.rows = op.pattern.rows()
    return data * scale[op.rows]


def _by_column(d, col) -> np.ndarray:
    """A derivative vector shaped to multiply (size, k) tangents (scalars stay scalars)."""
    d = np.asarray(d)
    return d[col] if d.ndim == 1 else d


def _union_data(op: _Op, part_a: np.ndarray, part_b: np.ndarray) -> np.ndarray:
    """Jacobian data of a binary operation on two nodes: each operand's part (a fresh array)
    placed on the union of their patterns and summed. An indexed add costs about twice an
    indexed assignment and five times a zero fill or a dense add (2 M entries: 3.7, 1.8 and
    0.4 ms), so: a part whose pattern is the union's takes the other by an indexed add if that
    one is at most half its size, else both go on a zero fill (an assignment and a dense add);
    when neither covers the union, the larger part is assigned and the smaller one added."""
    if op.full_a and op.full_b:
        part_a += part_b
        return part_a
    if op.full_a or op.full_b:
        full, other, pos_other = (part_a, part_b, op.pos_b) if op.full_a else (part_b, part_a, op.pos_a)
        if 2 * other.size <= full.size:
            full[pos_other] += other
            return full
        data = np.zeros(op.pattern.nnz)
        data[pos_other] = other
        data += full
        return data
    data = np.zeros(op.pattern.nnz)
    if part_a.size >= part_b.size:
        data[op.pos_a] = part_a
        data[op.pos_b] += part_b
    else:
        data[op.pos_b] = part_b
        data[op.pos_a] += part_a
    return data


@dataclass
class _Evaluation:
    """What a replay computed, by node (None where a node was not needed)."""

    values: list[Any]
    jac: list[Any] | None = None
    """Jacobian data of each node (without ``jacobian=True``: None)."""
    tangents: list[Any] | None = None
    """Tangent of each node in the direction given (without a direction: None)."""
    scale: list[Any] | None = None
    """Row scale of each node's Jacobian data (None: none), see :func:`_scaled`."""


@dataclass
class CompiledTape:
    """Replays a :class:`Tape`: values, Jacobian data and tangents of its nodes.

    Attributes
    ----------
    n, n_p : int
        Lengths of x and p.
    m : int
        Number of stacked outputs.
    jac_indptr, jac_indices : ndarray
        CSR pattern of the outputs' Jacobian with respect to x (fixed).
    """

    tape: Tape
    outputs: list[int]
    offsets: np.ndarray = field(init=False)
    jac_indptr: np.ndarray = field(init=False)
    jac_indices: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        ops = self.tape.ops
        sizes = [ops[k].size for k in self.outputs]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        indptr, indices, shift = [np.zeros(1, dtype=np.int64)], [], 0
        for k in self.outputs:
            pat = ops[k].pattern
            indptr.append(pat.indptr[1:] + shift)
            indices.append(pat.indices)
            shift += pat.nnz
        self.jac_indptr = np.concatenate(indptr)
        self.jac_indices = np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64)
        self._needed = self._dependencies(self.outputs)

    # ---------------------------------------------------------------- sizes
    @property
    def n(self) -> int:
        return self.tape.n

    @property
    def n_p(self) -> int:
        return self.tape.n_p

    @property
    def m(self) -> int:
        return int(self.offsets[-1])

    def _dependencies(self, roots: list[int]) -> np.ndarray:
        ops = self.tape.ops
        need = np.zeros(len(ops), dtype=bool)
        for k in roots:
            need[k] = True
        for k in range(len(ops) - 1, -1, -1):
            if need[k]:
                op = ops[k]
                if op.a >= 0:
                    need[op.a] = True
                if op.b >= 0:
                    need[op.b] = True
        return need

    # ---------------------------------------------------------------- replay
    def _run(
        self,
        x: np.ndarray,
        p: np.ndarray,
        jacobian: bool = False,
        direction: tuple[np.ndarray, np.ndarray] | None = None,
        needed: np.ndarray | None = None,
    ) -> _Evaluation:
        ops = self.tape.ops
        need = self._needed if needed is None else needed
        vals: list[Any] = [None] * len(ops)
        jac: list[Any] | None = [None] * len(ops) if jacobian else None
        # jac[k] * scale[k][rows of k] is node k's Jacobian data: elementwise operations only
        # rescale the rows (a vector of the node's size) and share the data of their operand
        scale: list[Any] = [None] * len(ops)
        tan: list[Any] | None = None
        dx: np.ndarray = np.zeros(0)
        dp: np.ndarray = dx
        if direction is not None:
            tan = [None] * len(ops)
            dx, dp = direction
        # several directions at once: tangents are (size, k) arrays and derivatives broadcast
        col: Any = (slice(None), None) if np.ndim(dx) == 2 else slice(None)
        tail = (dx.shape[1],) if np.ndim(dx) == 2 else ()
        for k, op in enumerate(ops):
            if not need[k]:
                continue
            kind = op.kind
            if kind == _VAR:
                s = op.start
                vals[k] = x[s : s + op.size]
                if jac is not None:
                    jac[k] = np.ones(op.size)
                if tan is not None:
                    tan[k] = dx[s : s + op.size]
            elif kind == _PAR:
                s = op.start
                vals[k] = p[s : s + op.size]
                if jac is not None:
                    jac[k] = np.zeros(0)
                if tan is not None:
                    tan[k] = dp[s : s + op.size]
            elif kind == _CONST:
                vals[k] = op.const_a
                if jac is not None:
                    jac[k] = np.zeros(0)
                if tan is not None:
                    tan[k] = np.zeros((op.size, *tail))
            elif kind == _UNARY:
                v, d = _unary_value(op.op, vals[op.a], op.arg)
                vals[k] = v
                if jac is not None:
                    jac[k], scale[k] = jac[op.a], _times(scale[op.a], d)
                if tan is not None:
                    tan[k] = tan[op.a] * _by_column(d, col)
            elif kind == _BINARY:
                # a constant operand is stored (const_a, const_b) exactly where there is no node (a, b < 0)
                va = vals[op.a] if op.const_a is None else op.const_a
                vb = vals[op.b] if op.const_b is None else op.const_b
                v, da, db = _binary_value(op.op, va, vb)
                vals[k] = v
                if jac is not None:
                    if op.a >= 0 and op.b >= 0:
                        part_a = jac[op.a] * _times(scale[op.a], da)[op.rows_a]
                        part_b = jac[op.b] * _times(scale[op.b], db)[op.rows_b]
                        jac[k] = _union_data(op, part_a, part_b)
                    elif op.a >= 0:
                        jac[k], scale[k] = jac[op.a], _times(scale[op.a], da, op.op == "add" or op.op == "sub")
                    else:
                        jac[k], scale[k] = jac[op.b], _times(scale[op.b], db, op.op == "add")
                if tan is not None:
                    t = np.zeros((op.size, *tail))
                    if op.a >= 0:
                        t = t + _by_column(da, col) * tan[op.a]
                    if op.b >= 0:
                        t = t + _by_column(db, col) * tan[op.b]
                    tan[k] = t
            elif kind == _GATHER:
                vals[k] = vals[op.a][op.arg]
                if jac is not None:
                    jac[k] = jac[op.a][op.perm]
                    scale[k] = None if scale[op.a] is None else scale[op.a][op.arg]
                if tan is not None:
                    tan[k] = tan[op.a][op.arg]
            elif kind == _LINMAP:
                if op.fast_matrix is None:
                    op.fast_matrix, op.fast_data_map = _fast(op.matrix), _fast(op.data_map)
                vals[k] = op.fast_matrix @ vals[op.a]
                if jac is not None:
                    jac[k] = (
                        op.fast_data_map @ _scaled(ops[op.a], jac[op.a], scale[op.a]) if op.pattern.nnz else np.zeros(0)
                    )
                if tan is not None:
                    tan[k] = op.fast_matrix @ tan[op.a]
        return _Evaluation(vals, jac, tan, scale if jacobian else None)

    # ---------------------------------------------------------------- public
    def residual(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        """The stacked outputs at (x, p)."""
        ev = self._run(x, p)
        return np.concatenate([np.asarray(ev.values[k], dtype=float) for k in self.outputs])

    def jacobian(self, x: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, sp.csr_matrix]:
        """(outputs, d outputs / dx as CSR on the fixed pattern) at (x, p)."""
        ev = self._run(x, p, jacobian=True)
        g = np.concatenate([np.asarray(ev.values[k], dtype=float) for k in self.outputs])
        ops, jac, scale = self.tape.ops, ev.jac, ev.scale
        assert jac is not None and scale is not None  # jacobian=True
        blocks = [_scaled(ops[k], jac[k], scale[k]) for k in self.outputs]
        data = np.concatenate(blocks) if blocks else np.zeros(0)
        matrix = sp.csr_matrix((data, self.jac_indices, self.jac_indptr), shape=(self.m, self.n))
        return g, matrix

    def jvp(self, x: np.ndarray, p: np.ndarray, dx: np.ndarray, dp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(outputs, their derivative in the direction (dx, dp)) at (x, p)."""
        ev = self._run(x, p, direction=(dx, dp))
        tangents = ev.tangents
        assert tangents is not None  # a direction was given
        g = np.concatenate([np.asarray(ev.values[k], dtype=float) for k in self.outputs])
        t = np.concatenate([np.asarray(tangents[k], dtype=float) for k in self.outputs])
        return g, t

    @overload
    def values(
        self, x: np.ndarray, p: np.ndarray, names: list[str], direction: None = None
    ) -> dict[str, np.ndarray]: ...

    @overload
    def values(
        self, x: np.ndarray, p: np.ndarray, names: list[str], direction: tuple[np.ndarray, np.ndarray]
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]: ...

    def values(
        self,
        x: np.ndarray,
        p: np.ndarray,
        names: list[str],
        direction: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> dict[str, np.ndarray] | tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Values of named nodes at (x, p); with ``direction``, also their tangents."""
        index = [self.tape.names[name] for name in names]
        ev = self._run(x, p, direction=direction, needed=self._dependencies(index))
        vals = {name: np.asarray(ev.values[k], dtype=float) for name, k in zip(names, index)}
        if direction is None:
            return vals
        tangents = ev.tangents
        assert tangents is not None  # a direction was given
        tans = {name: np.asarray(tangents[k], dtype=float) for name, k in zip(names, index)}
        return vals, tans
