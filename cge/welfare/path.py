"""Solve a scenario along a straight path from the benchmark and record the values the welfare
decomposition needs at each node (prices, quantities and tax rates as arrays)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from cge.model import Model
from cge.solve import Solver


@dataclass(frozen=True)
class Node:
    """Values at one point of the path [indices, benchmark = 1; rates as fractions].

    Arrays follow the model's index lists: ``flows`` (qxs, pfob, tau, tm, te, pd_exporter),
    ``activities`` (qo, py, to), ``factor_uses`` (pfe, qfe), ``fd_agents`` (pfd, qfdt) and
    ``regions`` (y, psave, utility); ``pnum`` is the numeraire (a 1-element array).
    """

    qxs: np.ndarray
    pfob: np.ndarray
    tau: np.ndarray
    tm: np.ndarray
    te: np.ndarray
    pd_exporter: np.ndarray
    qo: np.ndarray
    py: np.ndarray
    to: np.ndarray
    pfe: np.ndarray
    qfe: np.ndarray
    pfd: np.ndarray
    qfdt: np.ndarray
    y: np.ndarray
    psave: np.ndarray
    utility: np.ndarray
    pnum: np.ndarray


def _values(component, keys) -> np.ndarray:
    return np.array([pyo.value(component[k]) for k in keys], dtype=float)


def snapshot(model: Model) -> Node:
    """The values of the model's current point needed by the decomposition."""
    m, ix = model.pyomo, model.index
    regions = list(ix.regions)
    return Node(
        qxs=_values(m.qxs, ix.flows),
        pfob=_values(m.pfob, ix.flows),
        tau=_values(m.tau, ix.flows),
        tm=_values(m.tm, ix.flows),
        te=_values(m.te, ix.flows),
        pd_exporter=np.array([pyo.value(m.pd[i, s]) for i, s, _r in ix.flows], dtype=float),
        qo=_values(m.qo, ix.activities),
        py=_values(m.py, ix.activities),
        to=_values(m.to, ix.activities),
        pfe=_values(m.pfe, ix.factor_uses),
        qfe=_values(m.qfe, ix.factor_uses),
        pfd=_values(m.pfd, ix.fd_agents),
        qfdt=_values(m.qfdt, ix.fd_agents),
        y=_values(m.y, regions),
        psave=_values(m.psave, regions),
        utility=_values(m.utility, regions),
        pnum=np.array([pyo.value(m.pnum)], dtype=float),
    )


def solve_path(solver: Solver, p_target: np.ndarray, steps: int) -> list[Node]:
    """Solve at ``steps`` equally spaced points from the benchmark parameters to ``p_target``.

    Parameters
    ----------
    solver : Solver
        Compiled model; its warm-start state is reset to the benchmark first and ends at the
        solution for ``p_target``.
    p_target : ndarray
        Parameter vector of the scenario.
    steps : int
        Number of intervals (>= 1); the path has ``steps + 1`` nodes, the first the benchmark.

    Returns
    -------
    list of Node
        Values at each node, benchmark first.

    Raises
    ------
    SolveError
        When a node does not solve.
    """
    if steps < 1:
        raise ValueError(f"welfare decomposition needs at least 1 step, got {steps}")
    solver.reset()
    p0 = solver.p_benchmark
    nodes = [snapshot(solver.model)]
    for k in range(1, steps + 1):
        solver.solve(p0 + (k / steps) ** 2 * (p_target - p0))
        nodes.append(snapshot(solver.model))
    return nodes
