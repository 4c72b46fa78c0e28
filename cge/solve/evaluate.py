"""Compiled evaluation of every model variable and expression: one CasADi function of (x, p).

Built once per compiled model from the same Pyomo -> CasADi conversion as the residuals (the
bridge's converter and its memo, so shared sub-expressions are converted once), it returns the
value of every indexed ``Var`` and ``Expression`` of the model in one call. Results are read from
it as dense arrays on the model's dimensions (:meth:`Evaluator.dense`); Pyomo expressions are
never walked after a solve.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import casadi as ca
import numpy as np
import pyomo.environ as pyo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Slot:
    """Where one model component sits in the evaluator's output and in its dense array.

    Attributes
    ----------
    name : str
        Component name (``qo``, ``qxs``, ...).
    kind : str
        ``"variable"``, ``"expression"`` or ``"parameter"`` (mutable parameters: shocks, elasticities).
    dims : tuple of str
        Dimension names of the dense array (from ``cge/model/metadata.csv``).
    shape : tuple of int
        Dense shape.
    start, stop : int
        Slice of the evaluator's output vector.
    flat : ndarray
        Flat (C-order) position in the dense array of each output entry.
    """

    name: str
    kind: str
    dims: tuple[str, ...]
    shape: tuple[int, ...]
    start: int
    stop: int
    flat: np.ndarray


@dataclass(frozen=True)
class Layout:
    """Dimensions of the model's components and the labels along each dimension.

    Attributes
    ----------
    dims_of : mapping
        Component name -> dimension names; components without an entry are not evaluated.
    coords : mapping
        Dimension name -> labels (the axes of the dense arrays).
    """

    dims_of: Mapping[str, tuple[str, ...]]
    coords: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Evaluator:
    """Every model variable, expression and mutable parameter as a compiled function of (x, p).

    Attributes
    ----------
    function : casadi.Function
        (x, p) -> the values of every component entry, concatenated in slot order.
    slots : dict
        Component name -> :class:`Slot`.
    coords : dict
        Dimension name -> tuple of labels (the dense arrays' axes).
    build_seconds : float
        Time spent building the function [s].
    """

    function: ca.Function
    slots: Mapping[str, Slot]
    coords: Mapping[str, tuple[str, ...]]
    build_seconds: float

    def values(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        """All component entries at (x, p), in slot order."""
        return np.asarray(self.function(x, p), dtype=float).ravel()

    def dense(self, x: np.ndarray, p: np.ndarray) -> dict[str, np.ndarray]:
        """Every component at (x, p) as a dense array on its dims; NaN where the model has no entry.

        Returns
        -------
        dict
            Component name -> ndarray of shape ``slot.shape`` [the component's units].
        """
        flat = self.values(x, p)
        out = {}
        for name, slot in self.slots.items():
            arr = np.full(slot.shape, np.nan)
            arr.flat[slot.flat] = flat[slot.start : slot.stop]
            out[name] = arr
        return out


def build_evaluator(
    model: pyo.ConcreteModel,
    convert: Any,  # the bridge's converter: callable, with .sx
    x: ca.SX,
    p: ca.SX,
    layout: Layout,
) -> Evaluator:
    """Compile every Var, Expression and mutable Param of ``model`` into one function of (x, p).

    Parameters
    ----------
    model : ConcreteModel
        The Pyomo model (solved values are never read from it).
    convert : callable
        The bridge's Pyomo -> CasADi converter used for the residuals (with its memo, so
        sub-expressions already converted are reused).
    x, p : casadi.SX
        The variable and parameter symbols of the compiled residuals.
    layout : Layout
        Dims of each component (components without an entry are left out) and the labels of
        each dimension.

    Returns
    -------
    Evaluator
    """
    t0 = time.perf_counter()
    dims_of, coords = layout.dims_of, layout.coords
    pos = {dim: {label: k for k, label in enumerate(labels)} for dim, labels in coords.items()}
    outputs, slots, start = [], {}, 0
    kinds = {pyo.Var: "variable", pyo.Expression: "expression", pyo.Param: "parameter"}
    for comp in model.component_objects(tuple(kinds), descend_into=True):
        name = comp.local_name
        dims = dims_of.get(name)
        if dims is None or (comp.ctype is pyo.Param and not comp.mutable):
            continue
        kind = kinds[comp.ctype]
        shape = tuple(len(coords[d]) for d in dims)
        flat = []
        for index, data in comp.items():
            key = () if index is None else (index if isinstance(index, tuple) else (index,))
            flat.append(np.ravel_multi_index(tuple(pos[d][k] for d, k in zip(dims, key)), shape) if dims else 0)
            value = convert(data)
            outputs.append(convert.sx(value) if isinstance(value, float) else value)
        slots[name] = Slot(name, kind, tuple(dims), shape, start, start + len(flat), np.asarray(flat, dtype=np.int64))
        start += len(flat)
    function = ca.Function("evaluate", [x, p], [ca.vertcat(*outputs) if outputs else ca.SX(0, 1)])
    seconds = time.perf_counter() - t0
    log.debug("evaluator: %d entries of %d components in %.3fs", start, len(slots), seconds)
    return Evaluator(function=function, slots=slots, coords=dict(coords), build_seconds=seconds)


def model_layout(model) -> Layout:
    """The layout of a built :class:`cge.model.Model`: dims from ``cge/model/metadata.csv``,
    labels from its index sets (one activity per commodity; exporters and importers are regions)."""
    from cge.dims import ACTIVITY, AGENTS, COMMODITY, EXPORTER, FACTOR, IMPORTER, REGION
    from cge.model.metadata import metadata_table

    table = metadata_table()
    kinds = table[table["kind"].isin(["variable", "expression", "parameter"])]
    dims_of = {str(name): tuple(str(row["dims"]).split()) for name, row in kinds.iterrows()}
    ix = model.index
    agents = tuple(dict.fromkeys([*AGENTS, *(a for a, _r in ix.fd_agents)]))
    coords = {
        REGION: ix.regions,
        EXPORTER: ix.regions,
        IMPORTER: ix.regions,
        COMMODITY: ix.commodities,
        ACTIVITY: ix.commodities,
        FACTOR: ix.factors,
        "agent": agents,
    }
    return Layout(dims_of=dims_of, coords=coords)
