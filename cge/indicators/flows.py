"""Bilateral trade at the solution, shared by the GDP, trade and jobs indicators."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cge.indicators.values import Solution


@dataclass(frozen=True)
class Flows:
    """Bilateral flows, axes (commodity, exporter, importer) [US$ million].

    Attributes
    ----------
    volume : ndarray
        Shipped quantities at benchmark fob prices, incl. iceberg losses.
    fob_value : ndarray
        The same at current fob prices.
    pfob, tau, tm : ndarray
        Fob price index, iceberg factor [index] and tariff rate [fraction].
    """

    volume: np.ndarray
    fob_value: np.ndarray
    pfob: np.ndarray
    tau: np.ndarray
    tm: np.ndarray


def flows(sol: Solution) -> Flows:
    """Bilateral volumes and values from ``qxs``, ``tau`` and ``pfob`` (0 where there is no flow)."""
    tau, pfob = sol.get("tau", 1.0), sol.get("pfob", 1.0)
    volume = sol.bench["cif0"] * tau * sol.get("qxs", 0.0)
    return Flows(volume=volume, fob_value=volume * pfob, pfob=pfob, tau=tau, tm=sol.get("tm", 0.0))


def pct_change(new: np.ndarray, base: np.ndarray) -> np.ndarray:
    """``100 (new / base - 1)`` [percent], 0 where ``base`` is 0."""
    ok = base != 0
    return np.where(ok, 100.0 * (new / np.where(ok, base, 1.0) - 1.0), 0.0)
