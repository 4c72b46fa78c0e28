"""Solve a scenario along a path from the benchmark and record the model's values at each node
(every component as dense arrays, from the compiled evaluator)."""

from __future__ import annotations

import numpy as np

from cge.calibrate import Calibration
from cge.indicators.values import Solution, solution
from cge.solve import Solver


def path_fractions(steps: int) -> np.ndarray:
    """Fractions of the shock at the nodes: ``(k / steps)^2``, k = 0 … steps.

    Quadratic spacing puts the nodes densest near the benchmark, where a large shock (a
    prohibitive tariff) changes flows fastest; the quadrature is uniform in k, so it stays exact
    for polynomials in k (the path is the same straight line in parameter space).
    """
    return (np.arange(steps + 1) / steps) ** 2


def solve_path(solver: Solver, cal: Calibration, p_target: np.ndarray, steps: int) -> list[Solution]:
    """Solve at the nodes of :func:`path_fractions` from the benchmark parameters to ``p_target``.

    Parameters
    ----------
    solver : Solver
        Compiled model; its warm-start state is reset to the benchmark first and ends at the
        solution for ``p_target``.
    cal : Calibration
        The calibration the model was built from.
    p_target : ndarray
        Parameter vector of the scenario.
    steps : int
        Number of intervals (>= 1); the path has ``steps + 1`` nodes, the first the benchmark.

    Returns
    -------
    list of Solution
        Every model component at each node, benchmark first.

    Raises
    ------
    SolveError
        When a node does not solve.
    """
    if steps < 1:
        raise ValueError(f"welfare decomposition needs at least 1 step, got {steps}")
    solver.reset()
    p0 = solver.p_benchmark
    nodes = [solution(solver, cal)]
    for fraction in path_fractions(steps)[1:]:
        solver.solve(p0 + fraction * (p_target - p0))
        nodes.append(solution(solver, cal))
    return nodes
