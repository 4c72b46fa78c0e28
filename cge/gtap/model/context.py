"""What an equation builder sees while the GTAP v7 levels model is assembled: every variable as a
:class:`~cge.gtap.model.algebra.Term` (parameter, unknown or substituted expression), the
coefficients, and set helpers (:class:`ModelContext`); the layout of each variable (:class:`Slot`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import scipy.sparse as sp

from cge.gtap.model.algebra import Space, Term, merge
from cge.gtap.model.coefficients import Coefficients
from cge.gtap.model.registry import EXPLICIT, Part
from cge.gtap.model.variables import VariableSpec, variable_table
from cge.solve.tape import Node, Tape

_Built = TypeVar("_Built")


class _CycleError(Exception):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


@dataclass
class Slot:
    """Where the elements of one variable live: flat element indices in x, in p, and constants."""

    spec: VariableSpec
    domain: np.ndarray
    exogenous: np.ndarray
    unknown: np.ndarray
    substituted: np.ndarray
    x_start: int = 0
    p_start: int = 0

    @property
    def x_index(self) -> np.ndarray:
        return np.flatnonzero(self.unknown.reshape(-1))

    @property
    def p_index(self) -> np.ndarray:
        return np.flatnonzero(self.exogenous.reshape(-1))


class ModelContext:
    """What equation builders see: variables as :class:`Term`, coefficients, and set helpers."""

    def __init__(self, cf: Coefficients, slots: dict[str, Slot], tape: Tape, parts: dict[str, list[Part]]):
        self.cf = cf
        self.space: Space = cf.space
        self.slots = slots
        self.tape = tape
        self.parts = parts
        self.nodes: dict[str, Term] = {}
        self._stack: list[str] = []
        self._cache: dict[str, Any] = {}  # what each key's builder returns

    # ---------------------------------------------------------------- variables
    def v(self, name: str) -> Term:
        """The variable ``name`` as a term over its sets."""
        hit = self.nodes.get(name)
        if hit is not None:
            return hit
        if name not in self.slots:
            spec = variable_table().get(name)
            why = f"its treatment is {spec.treatment!r}" if spec else "it is not in the variable table"
            raise KeyError(f"variable {name} cannot be used in a levels equation: {why}")
        if name in self._stack:
            raise _CycleError(name)
        self._stack.append(name)
        try:
            term = self._make(name)
        finally:
            self._stack.pop()
        node = term.value
        if not isinstance(node, Node):  # e.g. a subset variable over an empty subset: still a named node
            node = self.tape.constant(np.asarray(node, dtype=float))
            term = Term(node, term.dims, term.space)
        self.nodes[name] = term
        node.named(name)
        return term

    def _make(self, name: str) -> Term:
        slot = self.slots[name]
        spec = slot.spec
        dims = spec.dims
        base = 0.0 if spec.is_change else 1.0
        pieces: list[tuple[np.ndarray, Term]] = []
        inert = ~slot.domain
        if inert.any():
            pieces.append((inert, Term(np.full(self.space.count(dims), base), dims, self.space)))
        if slot.exogenous.any():
            n_p = int(slot.exogenous.sum())
            pieces.append((slot.exogenous, self._scatter(self.tape.parameter(slot.p_start, n_p), slot.exogenous, dims)))
        if slot.unknown.any():
            n_x = int(slot.unknown.sum())
            pieces.append((slot.unknown, self._scatter(self.tape.variable(slot.x_start, n_x), slot.unknown, dims)))
        if slot.substituted.any():
            for part in self.parts.get(name, []):
                if part.kind != EXPLICIT:
                    continue
                mask = slot.substituted & (part.mask if part.mask is not None else True)
                if mask.any():
                    pieces.append((mask, part.build(self).expand(dims)))
        if len(pieces) == 1 and pieces[0][0].all():
            return pieces[0][1]
        return merge(self.space, dims, pieces, self.tape)

    def _scatter(self, node, mask: np.ndarray, dims: tuple[str, ...]) -> Term:
        """A node over the true entries of ``mask`` as a full term (zeros elsewhere)."""
        n = self.space.count(dims)
        rows = np.flatnonzero(mask.reshape(-1))
        if rows.size == n:
            return Term(node, dims, self.space)
        matrix = sp.csr_matrix((np.ones(rows.size), (rows, np.arange(rows.size))), shape=(n, rows.size))
        return Term(matrix @ node, dims, self.space)

    # ---------------------------------------------------------------- helpers for builders
    def k(self, name: str, dims: tuple[str, ...]) -> Term:
        """The coefficient ``name`` as a constant term over ``dims``."""
        return Term(np.asarray(getattr(self.cf, name), dtype=float).reshape(-1), tuple(dims), self.space)

    def const(self, values: np.ndarray | float, dims: tuple[str, ...]) -> Term:
        """A constant term over ``dims``."""
        arr = np.broadcast_to(np.asarray(values, dtype=float), self.space.shape(dims)).reshape(-1)
        return Term(arr.copy(), tuple(dims), self.space)

    def take(self, term: Term, dim: str, index: np.ndarray, new_dim: str) -> Term:
        """Select elements ``index`` along ``dim`` into a new set ``new_dim`` (e.g. COMM -> MARG)."""
        dims = term.dims
        axis = dims.index(dim)
        new_dims = dims[:axis] + (new_dim,) + dims[axis + 1 :]
        shape = self.space.shape(dims)
        grids = np.indices(self.space.shape(new_dims), dtype=np.int64).reshape(len(new_dims), -1)
        grids[axis] = np.asarray(index, dtype=np.int64)[grids[axis]]
        flat = np.ravel_multi_index(tuple(grids), shape)
        if term.is_constant:
            return Term(np.asarray(term.value).reshape(-1)[flat], new_dims, self.space)
        return Term(term.value[flat], new_dims, self.space)

    def put(self, term: Term, dim: str, index: np.ndarray, new_dim: str, fill: float = 0.0) -> Term:
        """Place a term over ``dim`` (e.g. MARG) at positions ``index`` of ``new_dim`` (e.g. COMM),
        ``fill`` elsewhere."""
        dims = term.dims
        axis = dims.index(dim)
        new_dims = dims[:axis] + (new_dim,) + dims[axis + 1 :]
        grids = np.indices(self.space.shape(dims), dtype=np.int64).reshape(len(dims), -1)
        grids[axis] = np.asarray(index, dtype=np.int64)[grids[axis]]
        rows = np.ravel_multi_index(tuple(grids), self.space.shape(new_dims))
        n = self.space.count(new_dims)
        matrix = sp.csr_matrix((np.ones(rows.size), (rows, np.arange(rows.size))), shape=(n, rows.size))
        filled = np.full(n, float(fill))
        filled[rows] = 0.0
        if term.is_constant:
            return Term(matrix @ np.asarray(term.value).reshape(-1) + filled, new_dims, self.space)
        return Term(matrix @ term.value + filled, new_dims, self.space)

    def cached(self, key: str, build: Callable[[], _Built]) -> _Built:
        """A term built once per model (shared sub-expressions such as tax revenues)."""
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = build()
        return hit
