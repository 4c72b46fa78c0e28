"""Input-output multipliers of one region: direct, indirect (Leontief type I) and induced (type II,
the household closed) persons supported by a final-demand-like vector.

For a demand vector ``f`` by activity [US$ million], with ``e`` persons per US$ million of
output, ``A`` the domestic input coefficients (activity x activity), ``v`` labour income per
US$ of output and ``h`` the output each activity sells to households per US$ of household
income:

* direct   = ``e' f``;
* indirect = ``e' (I - A)^-1 f - e' f``;
* induced  = ``e' [(I - B)^-1 (f, 0)]_n - e' (I - A)^-1 f`` with ``B = [[A, h], [v', 0]]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Multipliers:
    """A region's multiplier system.

    Attributes
    ----------
    persons_per_output : ndarray
        ``e`` by activity [persons per US$ million of output].
    domestic_inputs : ndarray
        ``A`` (supplying activity, using activity) [US$ per US$ of output].
    wages_per_output : ndarray
        ``v`` by activity [US$ of labour income per US$ of output].
    household_purchases : ndarray
        ``h`` by activity [US$ of output bought by households per US$ of their income].
    """

    persons_per_output: np.ndarray
    domestic_inputs: np.ndarray
    wages_per_output: np.ndarray
    household_purchases: np.ndarray

    def jobs(self, demand: np.ndarray) -> tuple[float, float, float]:
        """(direct, indirect, induced) persons supported by ``demand`` [US$ million by activity]."""
        n = len(demand)
        e = self.persons_per_output
        type_one = np.linalg.solve(np.eye(n) - self.domestic_inputs, demand)
        closed = np.zeros((n + 1, n + 1))
        closed[:n, :n] = self.domestic_inputs
        closed[:n, n] = self.household_purchases
        closed[n, :n] = self.wages_per_output
        type_two = np.linalg.solve(np.eye(n + 1) - closed, np.append(demand, 0.0))[:n]
        direct = float(e @ demand)
        return direct, float(e @ type_one) - direct, float(e @ type_two - e @ type_one)


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den``, 0 where ``den`` is not positive."""
    num, den = np.broadcast_arrays(np.asarray(num, float), np.asarray(den, float))
    return np.divide(num, den, out=np.zeros(num.shape), where=den > 0)
