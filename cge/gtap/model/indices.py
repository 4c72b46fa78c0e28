"""GEMPACK's path-dependent variables: their TABLO equations as percentage rates along the path.

Each function is named as the TABLO equation and returns the percentage rate ``100 d ln X / dt`` of
its variable at one node of the shock path, from the levels values and rates of the model's
variables there (:class:`~cge.gtap.path.PathState`) and the coefficients the TABLO code updates
(current value flows). :mod:`cge.gtap.path` integrates the rates. Arrays are dense over the
variable's sets, in the order of ``variables.csv``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cge.gtap.model.coefficients import Coefficients, _div
from cge.gtap.path import PathState

INDEX_EQUATIONS: dict[str, Callable[[PathState, Coefficients, dict], np.ndarray]] = {}
"""Path-dependent variables in dependency order: name -> rate function."""


def index_equation(name: str):
    def register(fn):
        INDEX_EQUATIONS[name] = fn
        return fn

    return register


class Flows:
    """Value flows at one node of the path (the TABLO coefficients after their updates) [US$ million
    in the levels model's normalisation: shares are what the rate equations use]."""

    def __init__(self, s: PathState, cf: Coefficients):
        v = s.values
        marg = cf.masks["MARG_IN_COMM"]
        self.VFOB = cf.VFOB * v["pfob"] * v["qxs"]
        self.VCIF = cf.VCIF * v["pcif"] * v["qxs"]
        self.VXSB = cf.VXSB * v["pds"][:, :, None] * v["qxs"]
        self.pds_m = v["pds"][marg]
        self.VST = cf.VST * self.pds_m * v["qst"]
        self.VST_C = np.zeros_like(cf.VST_C)
        self.VST_C[marg] = self.VST
        self.VTMFSD = cf.VTWR * v["pt"][:, None, None, None] * v["qtmfsd"]
        self.VPP = cf.VPP * v["ppa"] * v["qpa"]
        self.VGP = cf.VGP * v["pga"] * v["qga"]
        self.VIP = cf.VIP * v["pia"] * v["qia"]
        self.VFP_C = cf.VFP_C * v["pfa"] * v["qfa"]
        self.EVFB = cf.EVFB * v["peb"] * v["qfe"]
        self.MAKEB = cf.MAKB * v["pca"] * v["qca"]
        self.VDB = cf.VDB * v["pds"] * v["qds"]
        self.REGINV = cf.REGINV * v["pinv"] * v["qinv"]
        self.VDEP = cf.VDEP * v["pinv"] * v["kb"]
        self.NETINV = self.REGINV - self.VDEP
        self.GLOBINV = self.NETINV.sum()
        self.SAVE = cf.SAVE * v["save_value"]
        self.PRIVEXP = self.VPP.sum(axis=0)
        self.GOVEXP = self.VGP.sum(axis=0)
        self.INCOME = cf.INCOME * v["y"]
        self.VXDFOB = self.VFOB.sum(axis=2)
        self.VXW = self.VXDFOB + self.VST_C
        self.VXWREGION = self.VXW.sum(axis=0)
        self.VMCIF = self.VCIF.sum(axis=1)
        self.VMWREGION = self.VMCIF.sum(axis=0)
        self.GDP = self.PRIVEXP + self.GOVEXP + self.VIP.sum(axis=0) + self.VXDFOB.sum(axis=0) + self.VST.sum(axis=0)
        self.GDP = self.GDP - self.VMCIF.sum(axis=0)
        pw_pm = _div(self.VXDFOB, self.VXSB.sum(axis=2))
        self.VOW = self.VDB * pw_pm + self.VXDFOB + self.VST_C
        self.VWOU = (self.VPP + self.VGP).sum(axis=1) + self.VFP_C.sum(axis=(1, 2))


def _f(s: PathState, cf: Coefficients, cache: dict) -> Flows:
    hit = cache.get("flows")
    if hit is None:
        hit = cache["flows"] = Flows(s, cf)
    return hit


def _distribution(s: PathState, cf: Coefficients) -> dict[str, np.ndarray]:
    v = s.values
    bp, bg, bs = cf.DPARPRIV * v["dppriv"], cf.DPARGOV * v["dpgov"], cf.DPARSAVE * v["dpsave"]
    uelaspriv = cf.UELASPRIV * v["uepriv"]
    d = bg + bs + bp / uelaspriv
    return {"bp": bp, "bg": bg, "bs": bs, "utilelas": 1.0 / d}


# ---------------------------------------------------------------------- saving, investment, utility
@index_equation("psave")
def E_psave(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    r = s.rates
    adjust = ((f.NETINV - f.SAVE) / f.GLOBINV * r["pinv"]).sum()
    return r["pinv"] + adjust + r["psaveslack"]


@index_equation("qsave")
def E_qsave(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    return s.rates["save_value"] - s.rates["psave"]


@index_equation("ppriv")
def E_ppriv(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    return (f.VPP / f.PRIVEXP * s.rates["ppa"]).sum(axis=0)


@index_equation("pcgdswld")
def E_pcgdswld(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    return np.asarray((f.NETINV / f.GLOBINV * s.rates["pinv"]).sum())


@index_equation("globalcgds")
def E_globalcgds(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    return np.asarray(((f.REGINV * s.rates["qinv"] - f.VDEP * s.rates["kb"]) / f.GLOBINV).sum())


@index_equation("rorg")
def E_rorg(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    return np.asarray((f.NETINV / f.GLOBINV * s.rates["rore"]).sum())


@index_equation("pb")
def E_pb(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    shares = _div(f.MAKEB, f.MAKEB.sum(axis=0)[None], 0.5)
    return (shares * s.rates["pca"]).sum(axis=0)


@index_equation("dpav")
def E_dpav(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    r = s.rates
    return (f.PRIVEXP * r["dppriv"] + f.GOVEXP * r["dpgov"] + f.SAVE * r["dpsave"]) / f.INCOME


@index_equation("p")
def E_p(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    r = s.rates
    return (f.PRIVEXP * r["ppriv"] + f.GOVEXP * r["pgov"] + f.SAVE * r["psave"]) / f.INCOME


@index_equation("u")
def E_u(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    v, r = s.values, s.rates
    dist = _distribution(s, cf)
    util_save = s.extra["utilsave"]
    preferences = (
        dist["bp"] * np.log(v["up"]) * r["dppriv"]
        + dist["bg"] * np.log(v["ug"]) * r["dpgov"]
        + dist["bs"] * np.log(util_save) * r["dpsave"]
    )
    return r["au"] + preferences + (r["y"] - r["pop"] - r["p"]) / dist["utilelas"]


# ---------------------------------------------------------------------- factor prices
@index_equation("pfactor")
def E_pfactor(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    return (f.EVFB * s.rates["peb"]).sum(axis=(0, 1)) / f.EVFB.sum(axis=(0, 1))


@index_equation("pfactreal")
def E_pfactreal(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    return s.rates["pes"] - s.rates["ppriv"][None, None, :]


@index_equation("pebfactreal")
def E_pebfactreal(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    shares = _div(f.EVFB, f.EVFB.sum(axis=1)[:, None, :], 0.5)
    return (shares * s.rates["peb"]).sum(axis=1) - s.rates["ppriv"][None, :]


@index_equation("pefactreal")
def E_pefactreal(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    return s.rates["pe"] - s.rates["ppriv"][None, :]


# ---------------------------------------------------------------------- terms of trade, GDP
@index_equation("psw")
def E_psw(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    r = s.rates
    pds_m = r["pds"][cf.masks["MARG_IN_COMM"]]
    return ((f.VFOB * r["pfob"]).sum(axis=(0, 2)) + (f.VST * pds_m).sum(axis=0)) / f.VXWREGION


@index_equation("pdw")
def E_pdw(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    return (f.VCIF * s.rates["pcif"]).sum(axis=(0, 1)) / f.VMWREGION


@index_equation("tot")
def E_tot(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    return s.rates["psw"] - s.rates["pdw"]


def _gdp_rate(s: PathState, cf: Coefficients, cache: dict, kind: str) -> np.ndarray:
    f = _f(s, cf, cache)
    r = s.rates
    marg = cf.masks["MARG_IN_COMM"]
    if kind == "p":
        terms = (
            (f.VGP * r["pga"]).sum(axis=0)
            + (f.VPP * r["ppa"]).sum(axis=0)
            + (f.VIP * r["pia"]).sum(axis=0)
            + (f.VFOB * r["pfob"]).sum(axis=(0, 2))
            + (f.VST * r["pds"][marg]).sum(axis=0)
            - (f.VCIF * r["pcif"]).sum(axis=(0, 1))
        )
    else:
        terms = (
            (f.VGP * r["qga"]).sum(axis=0)
            + (f.VPP * r["qpa"]).sum(axis=0)
            + (f.VIP * r["qia"]).sum(axis=0)
            + (f.VFOB * r["qxs"]).sum(axis=(0, 2))
            + (f.VST * r["qst"]).sum(axis=0)
            - (f.VCIF * r["qxs"]).sum(axis=(0, 1))
        )
    return terms / f.GDP


@index_equation("pgdp")
def E_pgdp(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    return _gdp_rate(s, cf, cache, "p")


@index_equation("qgdp")
def E_qgdp(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    return _gdp_rate(s, cf, cache, "q")


@index_equation("compvalad")
def E_compvalad(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    return s.rates["qo"] - s.rates["qgdp"][None, :]


# ---------------------------------------------------------------------- aggregate trade indices
@index_equation("pxw")
def E_pxw(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    r = s.rates
    st = f.VST_C * r["pds"]
    return _div((f.VFOB * r["pfob"]).sum(axis=2) + st, f.VXW)


@index_equation("valuew")
def E_valuew(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    return _div((f.VOW * (s.rates["pxw"] + s.rates["qc"])).sum(axis=1), f.VOW.sum(axis=1))


@index_equation("pxwreg")
def E_pxwreg(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    return (f.VXW * s.rates["pxw"]).sum(axis=0) / f.VXWREGION


@index_equation("pxwcom")
def E_pxwcom(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    return _div((f.VXW * s.rates["pxw"]).sum(axis=1), f.VXW.sum(axis=1))


@index_equation("pxwwld")
def E_pxwwld(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    return np.asarray((f.VXWREGION * s.rates["pxwreg"]).sum() / f.VXWREGION.sum())


@index_equation("pmw")
def E_pmw(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    return _div((f.VCIF * s.rates["pcif"]).sum(axis=1), f.VMCIF)


@index_equation("pmwreg")
def E_pmwreg(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    return (f.VMCIF * s.rates["pmw"]).sum(axis=0) / f.VMWREGION


@index_equation("pmwcom")
def E_pmwcom(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    return _div((f.VMCIF * s.rates["pmw"]).sum(axis=1), f.VMCIF.sum(axis=1))


@index_equation("pw")
def E_pw(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    return _div((f.VOW * s.rates["pxw"]).sum(axis=1), f.VOW.sum(axis=1))


@index_equation("pwu")
def E_pwu(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    r = s.rates
    total = f.VPP * r["ppa"] + f.VGP * r["pga"] + f.VIP * r["pinv"][None, :] + (f.VFP_C * r["pfa"]).sum(axis=1)
    return _div(total.sum(axis=1), f.VWOU)


@index_equation("qxw")
def E_qxw(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    r = s.rates
    marg = cf.masks["MARG_IN_COMM"]
    st = np.zeros_like(f.VXW)
    st[marg] = f.VST * r["qst"]
    return _div((f.VFOB * r["qxs"]).sum(axis=2) + st, f.VXW)


@index_equation("qxwreg")
def E_qxwreg(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    return (f.VXW * s.rates["qxw"]).sum(axis=0) / f.VXWREGION


@index_equation("qxwcom")
def E_qxwcom(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    return _div((f.VXW * s.rates["qxw"]).sum(axis=1), f.VXW.sum(axis=1))


@index_equation("qxwwld")
def E_qxwwld(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    return np.asarray((f.VXWREGION * s.rates["qxwreg"]).sum() / f.VXWREGION.sum())


@index_equation("qmw")
def E_qmw(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    return _div((f.VCIF * s.rates["qxs"]).sum(axis=1), f.VMCIF)


@index_equation("qmwreg")
def E_qmwreg(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    return (f.VMCIF * s.rates["qmw"]).sum(axis=0) / f.VMWREGION


@index_equation("qmwcom")
def E_qmwcom(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    return _div((f.VMCIF * s.rates["qmw"]).sum(axis=1), f.VMCIF.sum(axis=1))


@index_equation("qow")
def E_qow(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    return _div((f.VOW * s.rates["qc"]).sum(axis=1), f.VOW.sum(axis=1))


@index_equation("qowu")
def E_qowu(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    f = _f(s, cf, cache)
    r = s.rates
    total = f.VPP * r["qpa"] + f.VGP * r["qga"] + f.VIP * r["qia"] + (f.VFP_C * r["qfa"]).sum(axis=1)
    return _div(total.sum(axis=1), f.VWOU)


# ---------------------------------------------------------------------- terms-of-trade decomposition
def _tot_shares(s: PathState, cf: Coefficients, cache: dict) -> dict[str, np.ndarray]:
    hit = cache.get("tot_shares")
    if hit is not None:
        return hit
    f = _f(s, cf, cache)
    marg = cf.masks["MARG_IN_COMM"]
    sx = f.VXW / f.VXWREGION[None, :]
    vtmcomm = f.VTMFSD.sum(axis=(1, 2))  # (m, s=destination)
    vmwdcrall = f.VFOB.sum(axis=1)  # (c, destination)
    vmwdcrall[marg] += vtmcomm
    sm = vmwdcrall / vmwdcrall.sum(axis=0)[None, :]
    sm_crs = _div(f.VFOB, vmwdcrall[:, None, :])
    smt = np.zeros_like(vmwdcrall)
    smt[marg] = _div(vtmcomm, vmwdcrall[marg])
    hit = cache["tot_shares"] = {"sx": sx, "sm": sm, "sm_crs": sm_crs, "smt": smt}
    return hit


@index_equation("pm_cr")
def E_pm_cr(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    sh = _tot_shares(s, cf, cache)
    r = s.rates
    pt_c = np.zeros(cf.space.size("COMM"))
    pt_c[cf.masks["MARG_IN_COMM"]] = r["pt"]
    return (sh["sm_crs"] * r["pfob"]).sum(axis=1) + sh["smt"] * pt_c[:, None]


@index_equation("c1_cr")
def E_c1_cr(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    sh = _tot_shares(s, cf, cache)
    return (sh["sx"] - sh["sm"]) * (s.rates["pxwcom"][:, None] - s.rates["pxwwld"])


@index_equation("c2_cr")
def E_c2_cr(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    sh = _tot_shares(s, cf, cache)
    return sh["sx"] * (s.rates["pxw"] - s.rates["pxwcom"][:, None])


@index_equation("c3_cr")
def E_c3_cr(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    sh = _tot_shares(s, cf, cache)
    return sh["sm"] * (s.rates["pm_cr"] - s.rates["pxwcom"][:, None])


@index_equation("c1_r")
def E_c1_r(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    return s.rates["c1_cr"].sum(axis=0)


@index_equation("c2_r")
def E_c2_r(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    return s.rates["c2_cr"].sum(axis=0)


@index_equation("c3_r")
def E_c3_r(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    return s.rates["c3_cr"].sum(axis=0)


@index_equation("tot2")
def E_tot2(s: PathState, cf: Coefficients, cache: dict) -> np.ndarray:
    return s.rates["c1_r"] + s.rates["c2_r"] - s.rates["c3_r"]


def numeraire_rate(s: PathState, cf: Coefficients) -> float:
    """Percentage rate of GEMPACK's chained factor price index ``pfactwld`` along the levels path:
    ``sum_{e,a,r} EVFB (t) * peb-rate / sum EVFB (t)`` (E_pfactor and E_rorg)."""
    evfb = cf.EVFB * s.values["peb"] * s.values["qfe"]
    return float((evfb * s.rates["peb"]).sum() / evfb.sum())
