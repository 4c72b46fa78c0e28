"""Assemble the GTAP v7 levels model for a database and a closure.

Every levels variable (``treatment = slot`` in ``variables.csv``) is an array over its sets whose
elements are, as the closure says, exogenous (parameters ``p``), endogenous and explained by an
explicit equation (substituted: the element is the equation's expression), or endogenous
unknowns ``x`` (explained by an implicit equation — a market clearing or a zero-profit condition —
or kept as unknowns to cut long substitution chains, or made endogenous by a swap). Each element
explained by an explicit equation but exogenous, and each element of an implicit equation, gives
one residual. A closure is square when unknowns and residuals have the same count; a swap of an
exogenous and an endogenous element keeps it square.

Substitution is lazy: asking for a variable builds its expression, which asks for the variables it
uses. A substitution cycle (possible with multi-product activities) makes the variable where the
cycle closes an unknown, and the model is rebuilt.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from cge.gtap.model.coefficients import Coefficients
from cge.gtap.model.context import ModelContext, Slot, _CycleError  # noqa: F401
from cge.gtap.model.registry import CONDITION, EQUATIONS, EXPLICIT, EquationSpec, Part, explains  # noqa: F401
from cge.gtap.model.variables import VariableSpec, variable_table
from cge.solve.tape import CompiledTape, Node, Tape

log = logging.getLogger(__name__)


class ClosureError(ValueError):
    """A closure that does not give a square, well-posed model."""


@dataclass
class ResidualBlock:
    """Rows of the residual vector from one equation part."""

    equation: str
    variable: str
    elements: np.ndarray  # flat indices in the variable's array
    start: int


@dataclass
class Model:
    """A built GTAP v7 model: compiled residuals and everything needed to read them.

    Attributes
    ----------
    coefficients : Coefficients
        The benchmark.
    slots : dict
        Variable name -> :class:`Slot` (x/p layout).
    compiled : CompiledTape
        Residuals of the square system in (x, p), with exact Jacobian and tangents.
    residual_blocks : list
        Which rows belong to which equation and variable.
    x0, p0 : ndarray
        The benchmark point (all price and quantity indices 1, changes 0).
    lower : ndarray
        Lower bounds of x (positive for indices, -inf for changes).
    numeraire_equation : str
        The equation Walras' law drops (global saving = investment) is not in the system; the
        numeraire condition is ``E_rorg``.
    timings : dict
        Seconds spent tracing and compiling.
    """

    coefficients: Coefficients
    slots: dict[str, Slot]
    compiled: CompiledTape
    residual_blocks: list[ResidualBlock]
    x0: np.ndarray
    p0: np.ndarray
    lower: np.ndarray
    names: list[str]
    timings: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.x0.size)

    def x_slice(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(positions in x, flat element indices) of a variable's unknown elements."""
        slot = self.slots[name]
        idx = slot.x_index
        return slot.x_start + np.arange(idx.size), idx

    def p_slice(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(positions in p, flat element indices) of a variable's exogenous elements."""
        slot = self.slots[name]
        idx = slot.p_index
        return slot.p_start + np.arange(idx.size), idx

    def residual_of(self, row: int) -> tuple[str, str, int]:
        """(equation, variable, flat element) of a residual row."""
        for block in self.residual_blocks:
            if block.start <= row < block.start + block.elements.size:
                return block.equation, block.variable, int(block.elements[row - block.start])
        raise IndexError(row)


def _domain(spec: VariableSpec, cf: Coefficients) -> np.ndarray:
    shape = cf.space.shape(spec.dims)
    mask = np.ones(shape, dtype=bool)
    for axis, s in enumerate(spec.sets):
        sub = {"ENDWMS": "ENDWMS", "ENDWF": "ENDWF", "ENDWC": "ENDWC", "ENDWS": "ENDWS", "ENDWM": "ENDWM"}.get(s)
        if sub is None:
            continue
        along = cf.masks[sub]
        index: list[slice | None] = [None] * len(shape)
        index[axis] = slice(None)
        mask &= along[tuple(index)]
    return mask


def build_model(cf: Coefficients, exogenous: dict[str, np.ndarray]) -> Model:
    """Build and compile the levels model.

    Parameters
    ----------
    cf : Coefficients
        The benchmark.
    exogenous : dict
        Variable name -> boolean mask over its sets of the exogenous elements (every slot
        variable must be present).

    Raises
    ------
    ClosureError
        When the closure is not square or makes a variable without a levels equation endogenous.
    """
    from cge.gtap.model import equations  # noqa: F401  (registers the equation blocks)

    t0 = time.perf_counter()
    forced: set[str] = set()
    for _attempt in range(50):
        try:
            model = _build(cf, exogenous, forced)
        except _CycleError as cycle:
            log.debug("substitution cycle closes at %s: made an unknown", cycle.name)
            if cycle.name in forced:
                raise
            forced.add(cycle.name)
            continue
        model.timings["build_s"] = time.perf_counter() - t0
        return model
    raise RuntimeError("too many substitution cycles")


def _layout(
    cf: Coefficients, exogenous: dict[str, np.ndarray], forced: set[str]
) -> tuple[dict[str, Slot], dict[str, list[Part]]]:
    table = variable_table()
    slots: dict[str, Slot] = {}
    parts: dict[str, list[Part]] = {}
    x_pos = p_pos = 0
    path_scalar = "globalcgds" if cf.rordelta == 1 else "rorg"  # the other is explained by the numeraire
    for name, spec in table.items():
        if spec.treatment != "slot" or name == path_scalar:
            continue
        if name not in exogenous:
            raise ClosureError(f"closure has no entry for variable {name}")
        domain = _domain(spec, cf)
        exo = np.asarray(exogenous[name], dtype=bool).reshape(domain.shape) & domain
        endo = domain & ~exo
        blocks = EQUATIONS[name](cf) if name in EQUATIONS else []
        parts[name] = blocks
        covered_explicit = np.zeros_like(domain)
        covered_condition = np.zeros_like(domain)
        for part in blocks:
            mask = np.ones_like(domain) if part.mask is None else np.asarray(part.mask, bool).reshape(domain.shape)
            if part.kind == EXPLICIT:
                covered_explicit |= mask
            else:
                covered_condition |= mask
        keep = spec.unknown or name in forced
        substituted = endo & covered_explicit & ~covered_condition & (not keep)
        unknown = endo & ~substituted
        slot = Slot(spec, domain, exo, unknown, substituted, x_start=x_pos, p_start=p_pos)
        x_pos += int(unknown.sum())
        p_pos += int(exo.sum())
        slots[name] = slot
    return slots, parts


def _build(cf: Coefficients, exogenous: dict[str, np.ndarray], forced: set[str]) -> Model:
    slots, parts = _layout(cf, exogenous, forced)
    n = sum(int(s.unknown.sum()) for s in slots.values())
    n_p = sum(int(s.exogenous.sum()) for s in slots.values())
    tape = Tape(max(n, 1), max(n_p, 1))
    ctx = ModelContext(cf, slots, tape, parts)
    names = list(slots)
    for name in names:
        ctx.v(name)
    outputs, blocks, start = [], [], 0
    for name in names:
        slot = slots[name]
        var = ctx.v(name)
        for part in parts[name]:
            mask = (
                np.ones_like(slot.domain)
                if part.mask is None
                else np.asarray(part.mask, bool).reshape(slot.domain.shape)
            )
            if part.kind == CONDITION:
                rows = mask & slot.domain
                if not rows.any():
                    continue
                residual = part.build(ctx).expand(slot.spec.dims)
            else:
                rows = mask & slot.domain & ~slot.substituted
                rows &= slot.exogenous | slot.unknown
                if not rows.any():
                    continue
                residual = var - part.build(ctx).expand(slot.spec.dims)
            flat = np.flatnonzero(rows.reshape(-1))
            if not isinstance(residual.value, Node):
                raise ClosureError(
                    f"{part.equation} ({name}): every element in it is exogenous or fixed "
                    "— the closure leaves nothing for this equation to determine"
                )
            outputs.append(residual.value[flat])
            blocks.append(ResidualBlock(part.equation, name, flat, start))
            start += flat.size
    if start != n:
        raise ClosureError(_imbalance(slots, blocks, start, n))
    compiled = tape.compile(outputs)
    compiled.tape.n, compiled.tape.n_p = n, n_p
    x0 = np.concatenate([_base(slots[k], slots[k].unknown) for k in names]) if n else np.zeros(0)
    p0 = np.concatenate([_base(slots[k], slots[k].exogenous) for k in names]) if n_p else np.zeros(0)
    lower = (
        np.concatenate(
            [np.full(int(slots[k].unknown.sum()), -np.inf if slots[k].spec.is_change else 1e-12) for k in names]
        )
        if n
        else np.zeros(0)
    )
    return Model(cf, slots, compiled, blocks, x0, p0, lower, names)


def _base(slot: Slot, mask: np.ndarray) -> np.ndarray:
    return np.full(int(mask.sum()), 0.0 if slot.spec.is_change else 1.0)


def _imbalance(slots: dict[str, Slot], blocks: list[ResidualBlock], rows: int, n: int) -> str:
    per_var: dict[str, int] = {}
    for name, slot in slots.items():
        per_var[name] = -int(slot.unknown.sum())
    for block in blocks:
        per_var[block.variable] = per_var.get(block.variable, 0) + block.elements.size
    off = {k: v for k, v in per_var.items() if v}
    listing = ", ".join(f"{k} {v:+d}" for k, v in sorted(off.items(), key=lambda kv: -abs(kv[1]))[:8])
    return f"closure is not square: {rows} equations for {n} unknowns (equations minus unknowns by variable: {listing})"
