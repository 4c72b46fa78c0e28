"""Labelled vector algebra for the GTAP v7 equations.

A :class:`Term` is a dense array over named GTAP sets (e.g. ``("COMM", "ACTS", "REG")``), flattened
in C order, whose values are either a recorded :class:`~cge.solve.tape.Node` (a function of the
unknowns and parameters) or a constant NumPy array. Arithmetic aligns operands by set name, as
xarray does: an operand whose sets are a subset of the other's is broadcast onto it. Sums over
sets are constant sparse linear maps. This keeps each equation builder as short as its TABLO
statement while the tape records exact sparse derivatives.

A repeated set is written with a suffix, as in the database: bilateral trade is over
``("COMM", "REG", "REG_2")`` = (commodity, source, destination); :meth:`Term.rename` moves a
regional array onto the destination set.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias

import numpy as np
import scipy.sparse as sp

from cge.solve.tape import Node, Tape


@dataclass(frozen=True)
class Space:
    """Sizes of the model's sets, by name (repeated sets share their base set's size)."""

    sizes: tuple[tuple[str, int], ...]

    def size(self, dim: str) -> int:
        base = dim.split("_")[0] if dim[-2:-1] == "_" and dim[-1].isdigit() else dim
        for name, n in self.sizes:
            if name == base:
                return n
        raise KeyError(f"unknown set {dim!r}")

    def shape(self, dims: tuple[str, ...]) -> tuple[int, ...]:
        return tuple(self.size(d) for d in dims)

    def count(self, dims: tuple[str, ...]) -> int:
        return int(np.prod(self.shape(dims), dtype=np.int64)) if dims else 1


@lru_cache(maxsize=4096)
def _broadcast_index(space: Space, source: tuple[str, ...], target: tuple[str, ...]) -> np.ndarray:
    """Flat index into an array over ``source`` for each entry of an array over ``target``."""
    missing = [d for d in source if d not in target]
    if missing:
        raise ValueError(f"cannot broadcast {source} onto {target}: {missing} not in target")
    shape_t = space.shape(target)
    grids = np.indices(shape_t, dtype=np.int64).reshape(len(target), -1) if target else np.zeros((0, 1), np.int64)
    if not source:
        return np.zeros(grids.shape[1] if target else 1, dtype=np.int64)
    coords = [grids[target.index(d)] for d in source]
    return np.ravel_multi_index(coords, space.shape(source)).astype(np.int64)


@lru_cache(maxsize=1024)
def _sum_matrix(space: Space, source: tuple[str, ...], target: tuple[str, ...]) -> sp.csr_matrix:
    """Matrix summing an array over ``source`` into ``target`` (target ⊂ source)."""
    index = _broadcast_index(space, target, source)
    n_src = space.count(source)
    return sp.csr_matrix((np.ones(n_src), (index, np.arange(n_src))), shape=(space.count(target), n_src))


Value: TypeAlias = "Term | np.ndarray | float"
"""What term arithmetic accepts: a term, a constant array of the term's size, or a scalar."""


@dataclass(eq=False)
class Term:
    """A dense labelled array: values (a tape node or a constant array) over named sets."""

    value: Node | np.ndarray
    dims: tuple[str, ...]
    space: Space

    # ---------------------------------------------------------------- shape
    @property
    def is_constant(self) -> bool:
        return not isinstance(self.value, Node)

    @property
    def size(self) -> int:
        return self.space.count(self.dims)

    def expand(self, dims: tuple[str, ...]) -> Term:
        """Broadcast onto ``dims`` (a superset of this term's sets, in any order)."""
        dims = tuple(dims)
        if dims == self.dims:
            return self
        index = _broadcast_index(self.space, self.dims, dims)
        if isinstance(self.value, Node):
            return Term(self.value[index], dims, self.space)
        return Term(np.asarray(self.value, dtype=float).reshape(-1)[index], dims, self.space)

    def rename(self, **mapping: str) -> Term:
        """Rename sets (``pms.rename(REG="REG_2")``: the importer's price on the destination set)."""
        return Term(self.value, tuple(mapping.get(d, d) for d in self.dims), self.space)

    def transpose(self, dims: tuple[str, ...]) -> Term:
        """Reorder the sets (same set of names)."""
        if sorted(dims) != sorted(self.dims):
            raise ValueError(f"transpose {self.dims} -> {dims}")
        return self.expand(tuple(dims))

    def sum(self, *over: str, weights: np.ndarray | Term | None = None) -> Term:
        """Sum over the sets ``over`` (optionally of ``weights * self``)."""
        term = self if weights is None else self * weights
        target = tuple(d for d in term.dims if d not in over)
        missing = [d for d in over if d not in term.dims]
        if missing:
            raise ValueError(f"sum over {missing}: not among {term.dims}")
        matrix = _sum_matrix(self.space, term.dims, target)
        if term.is_constant:
            return Term(matrix @ np.asarray(term.value, dtype=float).reshape(-1), target, self.space)
        return Term(matrix @ term.value, target, self.space)

    # ---------------------------------------------------------------- arithmetic
    def _align(self, other: Value) -> tuple[object, object, tuple[str, ...]]:
        if isinstance(other, Term):
            if set(other.dims) <= set(self.dims):
                return self.value, other.expand(self.dims).value, self.dims
            if set(self.dims) < set(other.dims):
                return self.expand(other.dims).value, other.value, other.dims
            raise ValueError(f"operands over {self.dims} and {other.dims}: expand one explicitly")
        arr = np.asarray(other, dtype=float)
        if arr.ndim == 0:
            return self.value, float(arr), self.dims
        if arr.size != self.size:
            raise ValueError(f"constant of size {arr.size} against a term over {self.dims} ({self.size})")
        return self.value, arr.reshape(-1), self.dims

    def _op(self, other: Value, fn, reverse: bool = False) -> Term:
        a, b, dims = self._align(other)
        if reverse:
            a, b = b, a
        if isinstance(a, Node) or isinstance(b, Node):
            return Term(fn(a, b) if isinstance(a, Node) else _rev(fn, a, b), dims, self.space)
        return Term(fn(np.asarray(a, dtype=float), np.asarray(b, dtype=float)), dims, self.space)

    def __add__(self, other: Value) -> Term:
        return self._op(other, lambda a, b: a + b)

    def __radd__(self, other: Value) -> Term:
        return self._op(other, lambda a, b: a + b, reverse=True)

    def __sub__(self, other: Value) -> Term:
        return self._op(other, lambda a, b: a - b)

    def __rsub__(self, other: Value) -> Term:
        return self._op(other, lambda a, b: a - b, reverse=True)

    def __mul__(self, other: Value) -> Term:
        return self._op(other, lambda a, b: a * b)

    def __rmul__(self, other: Value) -> Term:
        return self._op(other, lambda a, b: a * b, reverse=True)

    def __truediv__(self, other: Value) -> Term:
        return self._op(other, lambda a, b: a / b)

    def __rtruediv__(self, other: Value) -> Term:
        return self._op(other, lambda a, b: a / b, reverse=True)

    def __neg__(self) -> Term:
        return self * -1.0

    def __pow__(self, exponent: Value) -> Term:
        if isinstance(exponent, Term) and not exponent.is_constant:
            return (self.log() * exponent).exp()
        if isinstance(exponent, Term):
            exp_arr = np.asarray(exponent.expand(self.dims).value, dtype=float).reshape(-1)
        else:
            exp_arr = np.asarray(exponent, dtype=float)
            if exp_arr.ndim > 0:
                exp_arr = exp_arr.reshape(-1)
                if exp_arr.size != self.size:
                    raise ValueError(f"exponent of size {exp_arr.size} for a term over {self.dims}")
        if self.is_constant:
            return Term(np.asarray(self.value, dtype=float) ** exp_arr, self.dims, self.space)
        return Term(self.value**exp_arr, self.dims, self.space)

    def log(self) -> Term:
        if isinstance(self.value, Node):
            return Term(self.value.log(), self.dims, self.space)
        return Term(np.log(np.asarray(self.value, dtype=float)), self.dims, self.space)

    def exp(self) -> Term:
        if isinstance(self.value, Node):
            return Term(self.value.exp(), self.dims, self.space)
        return Term(np.exp(np.asarray(self.value, dtype=float)), self.dims, self.space)


def _rev(fn, a, b):
    """Apply ``fn(a, b)`` when only ``b`` is a node (a is a constant)."""
    return fn(a, b)


def constant(values: np.ndarray, dims: tuple[str, ...], space: Space) -> Term:
    """A constant term (values in C order over ``dims``)."""
    arr = np.asarray(values, dtype=float).reshape(-1)
    if arr.size != space.count(dims):
        raise ValueError(f"constant over {dims}: {arr.size} values for {space.count(dims)} entries")
    return Term(arr, tuple(dims), space)


def merge(space: Space, dims: tuple[str, ...], parts: list[tuple[np.ndarray, Term]], tape: Tape) -> Term:
    """One term over ``dims`` assembled from parts: each part fills the entries where its mask is true."""
    n = space.count(dims)
    total: Node | np.ndarray | None = None
    for mask, term in parts:
        rows = np.flatnonzero(np.asarray(mask, dtype=bool).reshape(-1))
        if rows.size == 0:
            continue
        selector = sp.csr_matrix((np.ones(rows.size), (rows, rows)), shape=(n, n))
        term = term.expand(dims)
        if term.is_constant:
            piece: Node | np.ndarray = selector @ np.asarray(term.value, dtype=float).reshape(-1)
        else:
            piece = selector @ term.value
        if total is None:
            total = piece
        elif isinstance(total, Node) or isinstance(piece, Node):
            total = total + piece if isinstance(total, Node) else piece + total
        else:
            total = total + piece
    if total is None:
        total = np.zeros(n)
    del tape
    return Term(total, tuple(dims), space)
