"""Equivalent variation as GEMPACK computes it (GTAPv7.tab section 11): the shadow demand system.

GEMPACK finds the income ``yev`` that gives the regional household its actual utility ``u`` at
benchmark prices, with the same distribution parameters and population: a shadow regional
household with CDE private demand (prices fixed) and Cobb-Douglas allocation of income to private
consumption, government consumption and saving. ``EV = INCOMEEV - INCOME`` (US$ million).

In levels, utility is ``ln U = ln AU + sum_i beta_i ln U_i`` with ``U_P`` the CDE utility per
capita, ``U_G = YG / (PGOV POP)``, ``U_S = QSAVE / POP`` and ``beta_i`` the distribution
parameters (DPARPRIV, DPARGOV, DPARSAVE times dppriv, dpgov, dpsave). The shadow system at
benchmark prices is solved for ``YEV`` by a one-dimensional root search per region.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from cge.gtap.model.coefficients import Coefficients


@dataclass(frozen=True)
class Shadow:
    """The shadow regional household of each region (levels, benchmark = 1 unless stated).

    Attributes
    ----------
    income : ndarray
        INCOMEEV [US$ million].
    yp, yg, ysave : ndarray
        Private, government and saving expenditure indices.
    up, ug : ndarray
        Utility indices per capita.
    uelaspriv : ndarray
        UELASPRIVEV [unitless level].
    utilelas : ndarray
        UTILELASEV [unitless level].
    qp : ndarray
        Private demand indices (COMM, REG).
    """

    income: np.ndarray
    yp: np.ndarray
    yg: np.ndarray
    ysave: np.ndarray
    up: np.ndarray
    ug: np.ndarray
    uelaspriv: np.ndarray
    utilelas: np.ndarray
    qp: np.ndarray


def _cde_utility(cf: Coefficients, r: int, per_capita: float) -> tuple[float, np.ndarray]:
    """(UP, budget shares) of the CDE at benchmark prices for per-capita expenditure index
    ``per_capita`` in region ``r``."""
    b = cf.SUBPAR[:, r]
    e = cf.INCPAR[:, r]
    big_b = cf.CDE_B[:, r]
    log_e = np.log(per_capita)

    def excess(log_u: float) -> float:
        return float((big_b * np.exp(e * b * log_u - b * log_e)).sum() - 1.0)

    lo, hi = -1.0, 1.0
    while excess(lo) > 0:
        lo *= 2
    while excess(hi) < 0:
        hi *= 2
    log_u = brentq(excess, lo, hi, xtol=1e-15, rtol=1e-15, maxiter=200)
    s_tilde = big_b * np.exp(e * b * log_u - b * log_e)
    shares = b * s_tilde / (b * s_tilde).sum()
    return float(np.exp(log_u)), shares


def shadow_household(
    cf: Coefficients,
    log_u_target: np.ndarray,
    beta: dict[str, np.ndarray],
    pop: np.ndarray,
    log_au: np.ndarray,
) -> Shadow:
    """Solve the shadow demand system of each region for the income reaching ``log_u_target``.

    Parameters
    ----------
    cf : Coefficients
        Benchmark (prices of the shadow system).
    log_u_target : ndarray
        ln U of the actual solution, by region.
    beta : dict
        Distribution parameters ``bp``, ``bg``, ``bs`` (levels), by region.
    pop : ndarray
        Population index, by region.
    log_au : ndarray
        ln AU, by region.
    """
    n_reg = cf.space.size("REG")
    out = {k: np.zeros(n_reg) for k in ("income", "yp", "yg", "ysave", "up", "ug", "uelaspriv", "utilelas")}
    qp = np.zeros_like(cf.CONSHR)
    for r in range(n_reg):
        bp, bg, bs = beta["bp"][r], beta["bg"][r], beta["bs"][r]

        def state(log_yp: float, r=r, bp=bp, bg=bg, bs=bs) -> dict:
            yp = np.exp(log_yp)
            up, shares = _cde_utility(cf, r, yp / pop[r])
            uelaspriv = float((shares * cf.INCPAR[:, r]).sum())
            d = bg + bs + bp / uelaspriv
            income = yp * cf.PRIVEXP[r] * uelaspriv * d / bp
            yg = income * bg / d / cf.GOVEXP[r]
            ysave = income * bs / d / cf.SAVE[r]
            log_u = log_au[r] + bp * np.log(up) + bg * np.log(yg / pop[r]) + bs * np.log(ysave / pop[r])
            return dict(
                yp=yp, up=up, shares=shares, uelaspriv=uelaspriv, utilelas=1.0 / d, income=income, yg=yg, ysave=ysave, log_u=log_u
            )

        def gap(log_yp: float) -> float:
            return state(log_yp)["log_u"] - log_u_target[r]

        lo, hi = -0.5, 0.5
        while gap(lo) > 0:
            lo *= 2
        while gap(hi) < 0:
            hi *= 2
        solved = state(brentq(gap, lo, hi, xtol=1e-15, rtol=1e-15, maxiter=200))
        solved["ug"] = solved["yg"] / pop[r]
        for key in out:
            out[key][r] = solved[key]
        qp[:, r] = np.where(cf.CONSHR[:, r] > 0, solved["shares"] / np.where(cf.CONSHR[:, r] > 0, cf.CONSHR[:, r], 1), 1.0)
        qp[:, r] *= solved["yp"]
    return Shadow(qp=qp, **out)
