"""Pyomo expressions -> CasADi SX, in two passes.

1. A Python walk over the Pyomo expression trees records every operation on a *tape* (op code,
   argument ids, level) with memoisation by node identity, folding numeric sub-trees into
   Python floats. A named expression (a Pyomo ``Expression`` entry: a price index, a nest
   aggregate, a bilateral demand) becomes an intermediate symbol ``z_k`` whose body is recorded
   separately; a body that is only a constant or another symbol is used directly instead.
2. The tape is played into one SX vector level by level: all operations of one kind on one level
   are a single vectorised ``SX.binary``/``SX.unary`` call inside CasADi, so the per-node cost in
   Python is only the walk.

Supported nodes: variables, parameters, named expressions, sums (also linear), products,
divisions, powers, negations and the unary functions of ``_UNARY``; anything else raises
:class:`ConversionError` naming the node.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from typing import Any

import casadi as ca
import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr import numeric_expr as ne

_LEAF = -1
_UNARY = {
    "log": (ca.OP_LOG, math.log),
    "exp": (ca.OP_EXP, math.exp),
    "sqrt": (ca.OP_SQRT, math.sqrt),
    "sin": (ca.OP_SIN, math.sin),
    "cos": (ca.OP_COS, math.cos),
    "tan": (ca.OP_TAN, math.tan),
    "abs": (ca.OP_FABS, abs),
}
_MUL, _DIV = ca.OP_MUL, ca.OP_DIV
_BINARY_OPS = {ca.OP_ADD, ca.OP_SUB, ca.OP_MUL, ca.OP_DIV, ca.OP_POW, ca.OP_CONSTPOW}


class ConversionError(TypeError):
    """A Pyomo expression node that the bridge does not know how to convert."""


class Tape:
    """Recorded operations of the converted expressions (pass 1).

    A reference to a converted node is either a Python float (a folded constant) or an int, the
    id of a tape entry. Leaves are the symbols x (variables), p (mutable parameters), z
    (intermediates) and constants.

    Attributes
    ----------
    symbols : list of int
        Tape ids of the intermediate symbols, in creation order.
    bodies : list of int
        Tape id of each intermediate's body (a body only refers to earlier intermediates).
    named_refs : dict
        ``id()`` of every named expression converted -> its reference (a float or a tape id).
    symbol_levels : list of int
        Level of each intermediate: 0 if its body uses no other intermediate, else one more
        than the highest level it uses (so each level depends only on lower ones).
    """

    def __init__(self, var_pos: dict[int, int], par_pos: dict[int, int], n: int, n_p: int):
        self.var_pos, self.par_pos = var_pos, par_pos
        self.n, self.n_p = n, n_p
        # one entry per tape node; int64 arrays, not lists (8 bytes an entry instead of ~36)
        self.op = array("q")
        self.a = array("q")
        self.b = array("q")
        self.level = array("q")
        self.leaf_of = array("q")  # leaf index (x: k, p: n + k, z: n + n_p + k, const: -1 - k)
        self.z_depth = array("q")  # highest level of an intermediate the node uses (-1: none)
        self.consts: dict[float, int] = {}
        self.const_values: list[float] = []
        self.symbols: list[int] = []
        self.bodies: list[int] = []
        self.symbol_levels: list[int] = []
        self.named_refs: dict[int, float | int] = {}  # id(named expression) -> its reference
        self.memo: dict[int, float | int] = {}
        self._x_ids: dict[int, int] = {}
        self._p_ids: dict[int, int] = {}
        self._handlers: dict[type, Callable[..., Any]] = {}

    # ------------------------------------------------------------------ entries
    def _leaf(self, leaf: int, z_depth: int = -1) -> int:
        self.op.append(_LEAF)
        self.a.append(-1)
        self.b.append(-1)
        self.level.append(0)
        self.leaf_of.append(leaf)
        self.z_depth.append(z_depth)
        return len(self.op) - 1

    def _node(self, op: int, a: int, b: int) -> int:
        level, z_depth = self.level, self.z_depth
        la, za = level[a], z_depth[a]
        if b < 0:
            level.append(1 + la)
            z_depth.append(za)
        else:
            lb, zb = level[b], z_depth[b]
            level.append(1 + (la if la >= lb else lb))
            z_depth.append(za if za >= zb else zb)
        self.op.append(op)
        self.a.append(a)
        self.b.append(b)
        self.leaf_of.append(0)
        return len(level) - 1

    def const(self, value: float) -> int:
        """Tape id of a constant (one entry per distinct value)."""
        tid = self.consts.get(value)
        if tid is None:
            self.const_values.append(value)
            tid = self.consts[value] = self._leaf(-len(self.const_values))
        return tid

    def is_symbol(self, ref: float | int) -> bool:
        return not isinstance(ref, float) and self.op[ref] == _LEAF and self.leaf_of[ref] >= 0

    def x_id(self, k: int) -> int:
        tid = self._x_ids.get(k)
        if tid is None:
            tid = self._x_ids[k] = self._leaf(k)
        return tid

    def p_id(self, k: int) -> int:
        tid = self._p_ids.get(k)
        if tid is None:
            tid = self._p_ids[k] = self._leaf(self.n + k)
        return tid

    # ------------------------------------------------------------------ walk
    def __call__(self, node) -> float | int:
        """Record ``node``; returns its reference."""
        cls = node.__class__
        if cls is float or cls is int:
            return float(node)
        key = id(node)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        handler = self._handlers.get(cls)
        if handler is None:
            handler = self._handlers[cls] = _handler_for(node)
        out = self.memo[key] = handler(self, node)
        return out

    def end_walk(self) -> None:
        """Free the walk's memo (one entry per Pyomo node); named expressions stay in
        :attr:`named_refs`. Nothing can be recorded afterwards."""
        self.memo = _ClosedMemo()

    def _variable(self, node):
        return float(node.value) if node.fixed else self.x_id(self.var_pos[id(node)])

    def _parameter(self, node):
        pos = self.par_pos.get(id(node))
        return float(pyo.value(node)) if pos is None else self.p_id(pos)

    def _named(self, node):
        ref = self.named_refs[id(node)] = self._named_ref(node)
        return ref

    def _named_ref(self, node):
        body = self(node.expr)
        if isinstance(body, float) or self.is_symbol(body):
            return body
        self.bodies.append(body)
        symbol_level = 1 + self.z_depth[body]  # 0 when the body uses no intermediate
        self.symbol_levels.append(symbol_level)
        tid = self._leaf(self.n + self.n_p + len(self.symbols), symbol_level)
        self.symbols.append(tid)
        return tid

    def _binary(self, op: int, a, b):
        """Tape id of ``a op b`` for references that are not both floats."""
        if a.__class__ is float:
            a = self.const(a)
        elif b.__class__ is float:
            b = self.const(b)
        return self._node(op, a, b)

    def _sum(self, node):
        constant, terms = 0.0, []
        for arg in node.args:
            ref = self(arg)
            if ref.__class__ is float:
                constant += ref
            else:
                terms.append(ref)
        if not terms:
            return constant
        if constant != 0.0:
            terms.append(self.const(constant))
        while len(terms) > 1:  # balanced: depth log2(k), not k
            paired = [self._node(ca.OP_ADD, terms[k], terms[k + 1]) for k in range(0, len(terms) - 1, 2)]
            if len(terms) % 2:
                paired.append(terms[-1])
            terms = paired
        return terms[0]

    def _product(self, node):
        a, b = node.args
        a, b = self(a), self(b)
        if a.__class__ is float and b.__class__ is float:
            return a * b
        return self._binary(_MUL, a, b)

    def _division(self, node):
        a, b = node.args
        a, b = self(a), self(b)
        if a.__class__ is float and b.__class__ is float:
            return a / b
        return self._binary(_DIV, a, b)

    def _power(self, node):
        base, exponent = (self(arg) for arg in node.args)
        if exponent.__class__ is float:
            if exponent == 1.0:
                return base
            if base.__class__ is float:
                return base**exponent
            return self._node(ca.OP_CONSTPOW, base, self.const(exponent))
        return self._binary(ca.OP_POW, base, exponent)

    def _negation(self, node):
        arg = self(node.args[0])
        return -arg if arg.__class__ is float else self._node(ca.OP_NEG, arg, -1)

    def _unary(self, node):
        name = node.getname()
        if name not in _UNARY:
            raise ConversionError(f"unsupported function '{name}' in {node}")
        op, fold = _UNARY[name]
        arg = self(node.args[0])
        return fold(arg) if arg.__class__ is float else self._node(op, arg, -1)

    def residual(self, con) -> int:
        """Tape id of ``body - rhs`` of an equality constraint."""
        body: Any = self(con.body)  # a tape id, or a float for a constant body
        rhs = float(pyo.value(con.upper))
        if body.__class__ is float:
            return self.const(body - rhs)
        return self._node(ca.OP_SUB, body, self.const(rhs)) if rhs else body

    # ------------------------------------------------------------------ play
    def arrays(self) -> dict[str, np.ndarray]:
        """The tape as arrays (what :meth:`play` builds from; the compiled-model cache key)."""
        names = ("op", "a", "b", "level", "leaf_of")
        ints = {name: np.frombuffer(getattr(self, name), dtype=np.int64).copy() for name in names}  # no live views
        return {
            **ints,
            "const_values": np.asarray(self.const_values, dtype=np.float64),
            "symbols": np.asarray(self.symbols, dtype=np.int64),
            "bodies": np.asarray(self.bodies, dtype=np.int64),
            "symbol_levels": np.asarray(self.symbol_levels, dtype=np.int64),
            "sizes": np.asarray([self.n, self.n_p], dtype=np.int64),
        }

    def play(self, x: ca.SX, p: ca.SX, z: ca.SX) -> ca.SX:
        """Pass 2: the SX value of every tape entry, built level by level in vectorised calls.

        Parameters
        ----------
        x, p, z : SX
            Symbols of the variables, parameters and intermediates (``z`` at least as long as
            :attr:`symbols`).

        Returns
        -------
        SX
            Column of length ``len(op)``: entry k is the expression of tape entry k.
        """
        tape = self.arrays()
        op, a, b, level, leaf_of = (tape[name] for name in ("op", "a", "b", "level", "leaf_of"))
        values = ca.SX.zeros(len(op), 1)
        consts = ca.SX(ca.DM(self.const_values)) if self.const_values else ca.SX(0, 1)
        inputs = ca.vertcat(x, p, z[: len(self.symbols)], consts)
        leaves = np.flatnonzero(op == _LEAF)
        source = leaf_of[leaves]
        source = np.where(source >= 0, source, self.n + self.n_p + len(self.symbols) - 1 - source)
        values.nz[leaves.tolist()] = inputs.nz[source.tolist()]
        order = np.lexsort((op, level))
        keys = level[order] * 1024 + (op[order] + 1)
        bounds = np.flatnonzero(np.diff(keys)) + 1
        for group in np.split(order, bounds):
            code = int(op[group[0]])
            if code == _LEAF:
                continue
            left = values.nz[a[group].tolist()]
            if code in _BINARY_OPS:
                out = ca.SX.binary(code, left, values.nz[b[group].tolist()])
            else:
                out = ca.SX.unary(code, left)
            values.nz[group.tolist()] = out
        return values


def _handler_for(node):
    """The :class:`Tape` method that records nodes of this kind (an unbound function)."""
    if isinstance(node, (int, float)):
        return lambda _tape, n: float(n)
    if node.is_variable_type():
        return Tape._variable
    if node.is_parameter_type():
        return Tape._parameter
    if node.is_named_expression_type():
        return Tape._named
    if not node.is_expression_type():
        return lambda _tape, n: float(pyo.value(n))
    for kind, handler in (
        (ne.SumExpression, Tape._sum),
        (ne.ProductExpression, Tape._product),
        (ne.DivisionExpression, Tape._division),
        (ne.PowExpression, Tape._power),
        (ne.NegationExpression, Tape._negation),
        (ne.UnaryFunctionExpression, Tape._unary),
    ):
        if isinstance(node, kind):
            return handler
    raise ConversionError(f"unsupported Pyomo expression node {type(node).__name__}: {node}")


class _ClosedMemo(dict):
    """The memo after :meth:`Tape.end_walk`: recording more nodes is an error."""

    def get(self, key, default=None):
        raise RuntimeError("the conversion walk has ended")


class Converted:
    """The converted model seen from outside: a Pyomo Var, Param or Expression entry -> its symbol.

    Callable like the converter :mod:`cge.solve.evaluate` expects. A variable is its x symbol
    (a fixed one its value), a mutable parameter its p symbol and a named expression its
    intermediate symbol z (or the constant or symbol it reduces to), so functions built from
    these take (x, p, z) and are composed with the intermediates' values afterwards.
    """

    def __init__(self, tape: Tape, x: ca.SX, p: ca.SX, z: ca.SX):
        self.tape = tape
        self._leaves = [*ca.vertsplit(x), *ca.vertsplit(p), *ca.vertsplit(z)]

    def sx(self, value) -> ca.SX:
        return ca.SX(value) if isinstance(value, float) else value

    def __call__(self, node):
        if node.__class__ in (float, int):
            return float(node)
        tape = self.tape
        if node.is_variable_type():
            return float(node.value) if node.fixed else self._leaves[tape.var_pos[id(node)]]
        if node.is_parameter_type():
            pos = tape.par_pos.get(id(node))
            return float(pyo.value(node)) if pos is None else self._leaves[tape.n + pos]
        ref = tape.named_refs.get(id(node))
        if ref is None or not (isinstance(ref, float) or tape.is_symbol(ref)):
            raise ConversionError(f"{node} is not a converted variable, parameter or named expression")
        return ref if isinstance(ref, float) else self._leaves[tape.leaf_of[ref]]
