"""The welfare decomposition of GTAP v7 (GTAPv7.tab section 11-5): EV_ALT and the CNT* terms.

Each ``CNT*`` variable is a ``(linear, change)`` variable: GEMPACK accumulates, step by step,
``0.01 * EVSCALFACT * sum(VALUE * rate)`` with the current values of the flows, so the result is
a line integral along the shock path. :func:`decomposition_rates` returns the integrands (US$
million per unit of the path parameter) at one node; :mod:`cge.gtap.simulate` integrates them.
``EVSCALFACT = (UTILELASEV / UTILELAS) (INCOMEEV / INCOME)`` uses the shadow demand system
(:mod:`cge.gtap.model.welfare`) at the node.
"""

from __future__ import annotations

import numpy as np

from cge.gtap.model.coefficients import FIXED_SETS, Coefficients
from cge.gtap.model.indices import Flows
from cge.gtap.path import PathState

COLUMN = FIXED_SETS["COLUMN"]
"""Columns of WELVIEW's summary table A."""


def decomposition_rates(
    s: PathState,
    cf: Coefficients,
    flows: Flows,
    evscalfact: np.ndarray,
    shadow_income: np.ndarray,
    shadow_utilelas: np.ndarray,
) -> dict[str, np.ndarray]:
    """Integrands of EV_ALT and every CNT* variable at one node [US$ million per unit t].

    Parameters
    ----------
    s : PathState
        Levels values and percentage rates at the node (GEMPACK's normalisation).
    cf : Coefficients
    flows : Flows
        Current value flows at the node.
    evscalfact : ndarray
        EVSCALFACT by region.
    shadow_income, shadow_utilelas : ndarray
        INCOMEEV and UTILELASEV of the shadow system at the node.
    """
    v, r = s.values, s.rates
    k = 0.01 * evscalfact  # (REG,)
    pop = r["pop"]
    marg = cf.masks["MARG_IN_COMM"]
    out: dict[str, np.ndarray] = {}

    # current tax wedges
    ptax = (cf.MAKB * v["pca"] - cf.MAKS * v["ps"]) * v["qca"]
    evfb = cf.EVFB * v["peb"] * v["qfe"]
    evos = cf.EVOS * v["pes"] * v["qes"]
    evfp = cf.EVFP * v["pfe"] * v["qfe"]
    inctax, etax = evfb - evos, evfp - evfb
    dftax = (cf.VDFP * v["pfd"] - cf.VDFB * v["pds"][:, None, :]) * v["qfd"]
    mftax = (cf.VMFP * v["pfm"] - cf.VMFB * v["pms"][:, None, :]) * v["qfm"]
    agent = {}
    for a in ("p", "g", "i"):
        up = a.upper()
        agent["D" + up] = (getattr(cf, f"VD{up}P") * v[f"p{a}d"] - getattr(cf, f"VD{up}B") * v["pds"]) * v[f"q{a}d"]
        agent["M" + up] = (getattr(cf, f"VM{up}P") * v[f"p{a}m"] - getattr(cf, f"VM{up}B") * v["pms"]) * v[f"q{a}m"]
    vmsb = cf.VMSB * v["pmds"] * v["qxs"]
    xtaxd = flows.VFOB - flows.VXSB
    mtax = vmsb - flows.VCIF

    def per_region(arr: np.ndarray) -> np.ndarray:
        return arr * k

    # allocative efficiency by instrument
    out["CNTqca"] = k[None, None, :] * ptax * (r["qca"] - pop[None, None, :])
    out["CNTqo"] = out["CNTqca"].sum(axis=0)
    out["CNTqor"] = out["CNTqo"].sum(axis=0)
    out["CNTqea"] = k[None, None, :] * inctax * (r["qes"] - pop[None, None, :])
    out["CNTqe"] = out["CNTqea"].sum(axis=1)
    out["CNTqfe"] = k[None, None, :] * etax * (r["qfe"] - pop[None, None, :])
    out["CNTqfeer"] = out["CNTqfe"].sum(axis=1)
    out["CNTqfer"] = out["CNTqfeer"].sum(axis=0)
    out["CNTqfd"] = k[None, None, :] * dftax * (r["qfd"] - pop[None, None, :])
    out["CNTqfm"] = k[None, None, :] * mftax * (r["qfm"] - pop[None, None, :])
    out["CNTqfr"] = np.stack([out["CNTqfd"].sum(axis=(0, 1)), out["CNTqfm"].sum(axis=(0, 1))], axis=1)
    for a, label in (("p", "qp"), ("g", "qg"), ("i", "qi")):
        up = a.upper()
        d = k[None, :] * agent["D" + up] * (r[f"q{a}d"] - pop[None, :])
        m = k[None, :] * agent["M" + up] * (r[f"q{a}m"] - pop[None, :])
        if a == "i":
            out["CNTqid"], out["CNTqim"] = d, m
            out["CNTqia"] = np.stack([d.sum(axis=0), m.sum(axis=0)], axis=1)
        else:
            out[f"CNT{label}d"], out[f"CNT{label}m"] = d, m
            out[f"CNT{label}r"] = np.stack([d.sum(axis=0), m.sum(axis=0)], axis=1)
    out["CNTqxs"] = k[None, :, None] * xtaxd * (r["qxs"] - pop[None, :, None])
    out["CNTqxsr"] = out["CNTqxs"].sum(axis=(0, 2))
    out["CNTqms"] = k[None, None, :] * mtax * (r["qxs"] - pop[None, None, :])
    out["CNTqmsr"] = out["CNTqms"].sum(axis=(0, 1))
    out["CNTalleffr"] = np.stack(
        [
            out["CNTqor"],
            out["CNTqfer"],
            out["CNTqe"].sum(axis=0),
            out["CNTqfr"].sum(axis=1),
            out["CNTqpr"].sum(axis=1),
            out["CNTqia"].sum(axis=1),
            out["CNTqgr"].sum(axis=1),
            out["CNTqxsr"],
            out["CNTqmsr"],
        ],
        axis=1,
    )
    out["CNTalleffcr"] = (
        out["CNTqfm"].sum(axis=1)
        + out["CNTqfd"].sum(axis=1)
        + out["CNTqpm"]
        + out["CNTqpd"]
        + out["CNTqgm"]
        + out["CNTqgd"]
        + out["CNTqim"]
        + out["CNTqid"]
        + out["CNTqxs"].sum(axis=2)
        + out["CNTqms"].sum(axis=1)
    )
    # endowments and depreciation
    out["CNTendw"] = k[None, :] * (evos * (r["qes"] - pop[None, None, :])).sum(axis=1)
    out["CNTkb"] = -k * flows.VDEP * (r["kb"] - pop)
    out["CNTendwr"] = out["CNTendw"].sum(axis=0) + out["CNTkb"]
    # technology
    vos = flows.VFP_C.sum(axis=0) + evfp.sum(axis=0)
    vfp_c = cf.VFP_C * v["pfa"] * v["qfa"]
    vva = evfp.sum(axis=0)
    out["CNTtech_ao"] = per_region(vos * r["ao"])
    out["CNTtech_afe"] = k[None, None, :] * evfp * r["afe"]
    out["CNTtech_ava"] = per_region(vva * r["ava"])
    out["CNTtech_aint"] = per_region(vfp_c.sum(axis=0) * r["aint"])
    out["CNTtech_af"] = k[None, None, :] * vfp_c * r["afa"]
    out["CNTtech_atmfsd"] = k[None, None, None, :] * flows.VTMFSD * r["atmfsd"]
    out["CNTtech_ams"] = k[None, :, None] * vmsb * r["ams"]
    transp = (flows.VTMFSD * r["atmfsd"]).sum(axis=(0, 1, 2))
    imports = (vmsb * r["ams"]).sum(axis=(0, 1))
    out["CNTtechr"] = np.stack(
        [
            out["CNTtech_ao"].sum(axis=0),
            out["CNTtech_afe"].sum(axis=(0, 1)),
            out["CNTtech_ava"].sum(axis=0),
            out["CNTtech_af"].sum(axis=(0, 1)) + out["CNTtech_aint"].sum(axis=0),
            np.zeros_like(k),
            k * transp,
            k * imports,
        ]
    )
    # terms of trade and investment-saving
    pxwwld = float(r["pxwwld"])
    vtmd = flows.VTMFSD.sum(axis=(1, 2))  # (m, destination)
    exports = (flows.VFOB * (r["pfob"] - pxwwld)).sum(axis=(0, 2)) + (flows.VST * (r["pds"][marg] - pxwwld)).sum(axis=0)
    imports_fob = (flows.VFOB * (r["pfob"] - pxwwld)).sum(axis=(0, 1))
    margins = (vtmd * (r["pt"][:, None] - pxwwld)).sum(axis=0)
    out["CNTtotr"] = k * (exports - imports_fob - margins)
    out["CNTpinv"] = k * (flows.NETINV * (r["pinv"] - pxwwld) - flows.SAVE * (r["psave"] - pxwwld))
    # preferences and population
    income_ev = shadow_income
    dist_bp, dist_bg, dist_bs = cf.DPARPRIV * v["dppriv"], cf.DPARGOV * v["dpgov"], cf.DPARSAVE * v["dpsave"]
    pref = (
        dist_bp * np.log(s.extra["utilprivev"] / v["up"]) * r["dppriv"]
        + dist_bg * np.log(s.extra["utilgovev"] / v["ug"]) * r["dpgov"]
        + dist_bs * np.log(s.extra["utilsaveev"] / s.extra["utilsave"]) * r["dpsave"]
    )
    out["CNTdpar"] = -0.01 * shadow_utilelas * income_ev * pref
    out["CNTpop"] = 0.01 * income_ev * pop
    alloc = out["CNTalleffr"].sum(axis=1)
    tech = out["CNTtechr"].sum(axis=0)
    out["EV_ALT"] = out["CNTdpar"] + alloc + out["CNTendwr"] + tech + out["CNTtotr"] + out["CNTpinv"] + out["CNTpop"]
    out["WEV_ALT"] = np.asarray(out["EV_ALT"].sum())
    return out
