"""Equivalent variation as GEMPACK computes it (GTAPv7.tab section 11): the shadow demand system.

GEMPACK finds the income ``yev`` that gives the regional household its actual utility ``u`` at
benchmark prices, with the same distribution parameters and population: a shadow regional
household with CDE private demand (prices fixed) and Cobb-Douglas allocation of income to private
consumption, government consumption and saving. ``EV = INCOMEEV - INCOME`` (US$ million).

In levels, utility is ``ln U = ln AU + sum_i beta_i ln U_i`` with ``U_P`` the CDE utility per
capita, ``U_G = YG / (PGOV POP)``, ``U_S = QSAVE / POP`` and ``beta_i`` the distribution
parameters (DPARPRIV, DPARGOV, DPARSAVE times dppriv, dpgov, dpsave). At benchmark prices the
household's first-order conditions give government and saving expenditure from private
expenditure ``YP`` and the CDE's utility elasticity ``UELASPRIV``:
``YG GOVEXP = YP PRIVEXP UELASPRIV bg / bp`` and likewise for saving. So the shadow system is two
equations per region in ``(ln UPEV, ln YPEV)``: the CDE identity and ``ln U_ev = ln U``, solved by
Newton's method with analytical derivatives, vectorised over regions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cge.gtap.model.coefficients import Coefficients


@dataclass(frozen=True)
class Shadow:
    """The shadow regional household of each region (indices = 1 at the benchmark unless stated).

    Attributes
    ----------
    income : ndarray
        INCOMEEV [US$ million].
    yp, yg, ysave : ndarray
        Private, government and saving expenditure indices.
    up, ug : ndarray
        Utility indices per capita.
    uelaspriv : ndarray
        UELASPRIVEV [level].
    utilelas : ndarray
        UTILELASEV [level].
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


class ShadowError(RuntimeError):
    """The shadow demand system of the EV did not converge."""


def shadow_household(
    cf: Coefficients,
    log_u_target: np.ndarray,
    beta: dict[str, np.ndarray],
    pop: np.ndarray,
    log_au: np.ndarray,
    start: tuple[np.ndarray, np.ndarray] | None = None,
) -> Shadow:
    """Solve the shadow demand system of each region for the income reaching ``log_u_target``.

    Parameters
    ----------
    cf : Coefficients
        The benchmark (its prices are the shadow system's).
    log_u_target : ndarray
        ln U of the actual solution, by region.
    beta : dict
        Distribution parameters ``bp``, ``bg``, ``bs`` (levels), by region.
    pop : ndarray
        Population index, by region.
    log_au : ndarray
        ln AU, by region.
    start : (ndarray, ndarray), optional
        Starting ``(ln UPEV, ln YPEV)`` (e.g. the actual solution's).

    Raises
    ------
    ShadowError
        If Newton's method does not converge in 100 steps.
    """
    b, e, big_b = cf.SUBPAR, cf.INCPAR, cf.CDE_B  # (COMM, REG)
    bp, bg, bs = beta["bp"], beta["bg"], beta["bs"]
    log_pop = np.log(pop)
    const = bg * np.log(cf.PRIVEXP * bg / (bp * cf.GOVEXP)) + bs * np.log(cf.PRIVEXP * bs / (bp * cf.SAVE))
    const = const - (bg + bs) * log_pop + log_au
    a, y = (np.zeros_like(bp), np.zeros_like(bp)) if start is None else (start[0].copy(), start[1].copy())
    for _ in range(100):
        s_tilde = big_b * np.exp(e * b * a[None] - b * (y - log_pop)[None])
        w = b * s_tilde
        we = w * e
        sum_s, sum_w, sum_we = s_tilde.sum(0), w.sum(0), we.sum(0)
        uelaspriv = sum_we / sum_w
        f1 = sum_s - 1.0
        f2 = bp * a + (bg + bs) * (y + np.log(uelaspriv)) + const - log_u_target
        # derivatives (d ln S_c = e_c b_c da - b_c dy)
        d1a, d1y = (s_tilde * e * b).sum(0), -(s_tilde * b).sum(0)
        dlog_ue_a = (we * e * b).sum(0) / sum_we - (w * e * b).sum(0) / sum_w
        dlog_ue_y = -(we * b).sum(0) / sum_we + (w * b).sum(0) / sum_w
        d2a = bp + (bg + bs) * dlog_ue_a
        d2y = (bg + bs) * (1.0 + dlog_ue_y)
        det = d1a * d2y - d1y * d2a
        da = (f1 * d2y - f2 * d1y) / det
        dy = (d1a * f2 - d2a * f1) / det
        a, y = a - da, y - dy
        if np.max(np.abs(da)) < 1e-15 and np.max(np.abs(dy)) < 1e-15 or max(np.abs(f1).max(), np.abs(f2).max()) < 1e-15:
            break
    else:
        raise ShadowError("the EV shadow demand system did not converge")
    s_tilde = big_b * np.exp(e * b * a[None] - b * (y - log_pop)[None])
    w = b * s_tilde
    shares = w / w.sum(0)
    uelaspriv = (shares * e).sum(0)
    yp = np.exp(y)
    yg = yp * cf.PRIVEXP * uelaspriv * bg / (bp * cf.GOVEXP)
    ysave = yp * cf.PRIVEXP * uelaspriv * bs / (bp * cf.SAVE)
    d = bg + bs + bp / uelaspriv
    income = yp * cf.PRIVEXP * uelaspriv * d / bp
    conshr = cf.CONSHR
    qp = np.where(conshr > 0, shares / np.where(conshr > 0, conshr, 1.0), 1.0) * yp[None]
    return Shadow(
        income=income,
        yp=yp,
        yg=yg,
        ysave=ysave,
        up=np.exp(a),
        ug=yg / pop,
        uelaspriv=uelaspriv,
        utilelas=1.0 / d,
        qp=qp,
    )


def ev_results(cf: Coefficients, shadow: Shadow) -> dict[str, np.ndarray]:
    """The EV results GEMPACK reports from the shadow household: ``yev``, ``ypev``, ... [%] and
    ``EV``, ``WEV`` [US$ million] (``dpavev`` is path-dependent and integrated elsewhere)."""
    income0 = cf.INCOME
    out = {
        "yev": 100.0 * (shadow.income / income0 - 1.0),
        "ypev": 100.0 * (shadow.yp - 1.0),
        "ygev": 100.0 * (shadow.yg - 1.0),
        "ysaveev": 100.0 * (shadow.ysave - 1.0),
        "qsaveev": 100.0 * (shadow.ysave - 1.0),
        "upev": 100.0 * (shadow.up - 1.0),
        "ugev": 100.0 * (shadow.ug - 1.0),
        "ueprivev": 100.0 * (shadow.uelaspriv / cf.UELASPRIV - 1.0),
        "uelasev": 100.0 * (shadow.utilelas / cf.UTILELAS - 1.0),
        "qpev": 100.0 * (shadow.qp - 1.0),
        "EV": shadow.income - income0,
    }
    out["WEV"] = np.asarray(out["EV"].sum())
    return out
