"""GTAP v7 coefficients of the benchmark: flows, shares and parameters as dense arrays.

Each coefficient is named as in the TABLO code (``GTAPv7.tab``, sections A-3 to 11) and computed
from the database the way that code computes it, including GEMPACK's zero-divide defaults
(``Zerodivide default 0.5``) where the TABLO code sets them: a share with no benchmark value keeps
that default at every step of GEMPACK's solution, which the levels forms reproduce
(:mod:`cge.gtap.model.forms`). Arrays are NumPy float64 in the order of their sets, as listed in
:data:`DIMS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from cge.gtap.model.algebra import Space

HEADER_DIMS: dict[str, tuple[str, ...]] = {
    "VDFB": ("COMM", "ACTS", "REG"),
    "VDFP": ("COMM", "ACTS", "REG"),
    "VMFB": ("COMM", "ACTS", "REG"),
    "VMFP": ("COMM", "ACTS", "REG"),
    "EVFB": ("ENDW", "ACTS", "REG"),
    "EVFP": ("ENDW", "ACTS", "REG"),
    "EVOS": ("ENDW", "ACTS", "REG"),
    "MAKS": ("COMM", "ACTS", "REG"),
    "MAKB": ("COMM", "ACTS", "REG"),
    "VDGB": ("COMM", "REG"),
    "VDGP": ("COMM", "REG"),
    "VMGB": ("COMM", "REG"),
    "VMGP": ("COMM", "REG"),
    "VDPB": ("COMM", "REG"),
    "VDPP": ("COMM", "REG"),
    "VMPB": ("COMM", "REG"),
    "VMPP": ("COMM", "REG"),
    "VDIB": ("COMM", "REG"),
    "VDIP": ("COMM", "REG"),
    "VMIB": ("COMM", "REG"),
    "VMIP": ("COMM", "REG"),
    "SAVE": ("REG",),
    "VDEP": ("REG",),
    "VKB": ("REG",),
    "DPSM": ("REG",),
    "VXSB": ("COMM", "REG", "REG_2"),
    "VFOB": ("COMM", "REG", "REG_2"),
    "VCIF": ("COMM", "REG", "REG_2"),
    "VMSB": ("COMM", "REG", "REG_2"),
    "VST": ("MARG", "REG"),
    "VTWR": ("MARG", "COMM", "REG", "REG_2"),
}
"""Benchmark value flows the model reads, with their sets [US$ million]."""

PARAMETER_DIMS: dict[str, tuple[str, ...]] = {
    "ESUBT": ("ACTS", "REG"),
    "ESUBC": ("ACTS", "REG"),
    "ESUBVA": ("ACTS", "REG"),
    "ETRAQ": ("ACTS", "REG"),
    "ESUBQ": ("COMM", "REG"),
    "ESUBD": ("COMM", "REG"),
    "ESUBM": ("COMM", "REG"),
    "INCPAR": ("COMM", "REG"),
    "SUBPAR": ("COMM", "REG"),
    "ESUBG": ("REG",),
    "ESUBI": ("REG",),
    "RORFLEX": ("REG",),
    "ESUBS": ("MARG",),
    "ETRAE": ("ENDW", "REG"),
}
"""Behavioural parameters the model reads, with their sets [unitless]."""


FIXED_SETS: dict[str, tuple[str, ...]] = {
    "DIR": ("domestic", "imported"),
    "CTAX": ("prodtax", "pfacttax", "inctax", "inputtax", "contax", "invtax", "govtax", "xtax", "mtax"),
    "TECHTYPE": ("output", "primfac", "v_added", "ininput", "invest", "transp", "import"),
    "COLUMN": ("alloc_A1", "ENDWB1", "tech_C1", "pop_D1", "tot_E1", "IS_F1", "pref_G1"),
}
"""Sets the TABLO code defines with fixed elements (section 11-5)."""


def _div(num: np.ndarray, den: np.ndarray, default: float = 0.0) -> np.ndarray:
    """``num / den`` with ``default`` where ``den`` is zero (GEMPACK's zero-divide default)."""
    num, den = np.broadcast_arrays(np.asarray(num, float), np.asarray(den, float))
    out = np.full(num.shape, float(default))
    ok = den != 0
    out[ok] = num[ok] / den[ok]
    return out


@dataclass
class Coefficients:
    """Benchmark coefficients of one database (read-only NumPy arrays)."""

    space: Space
    labels: dict[str, list[str]]
    masks: dict[str, np.ndarray]
    values: dict[str, np.ndarray] = field(default_factory=dict)
    rordelta: int = 1

    def __getattr__(self, name: str) -> np.ndarray:
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)

    def __setitem__(self, name: str, value: np.ndarray) -> None:
        arr = np.array(value, dtype=float)
        arr.setflags(write=False)
        self.values[name] = arr


def _array(ds: xr.Dataset, name: str, dims: tuple[str, ...]) -> np.ndarray:
    da = ds[name]
    if set(da.dims) != set(dims):
        raise ValueError(f"{name}: sets {da.dims}, expected {dims}")
    return np.asarray(da.transpose(*dims).values, dtype=float)


def _parameter(ds: xr.Dataset, name: str, dims: tuple[str, ...], space: Space) -> np.ndarray:
    """A parameter broadcast to ``dims`` (old databases store ESUBD, ESUBM by commodity only)."""
    da = ds[name]
    extra = [d for d in da.dims if d not in dims]
    if extra:
        raise ValueError(f"{name}: sets {da.dims}, expected at most {dims}")
    shape = space.shape(dims)
    da = da.transpose(*[d for d in dims if d in da.dims])
    arr = np.asarray(da.values, dtype=float)
    expand = tuple(slice(None) if d in da.dims else None for d in dims)
    return np.broadcast_to(arr[expand], shape).copy()


def compute_coefficients(ds: xr.Dataset) -> Coefficients:
    """All benchmark coefficients of the GTAP v7 model for the database ``ds``.

    Parameters
    ----------
    ds : xarray.Dataset
        A GTAP v7 database in the format of :func:`cge.gtap.load_database`.

    Returns
    -------
    Coefficients
        Flows [US$ million], shares [fraction], parameters [unitless].
    """
    labels = {d: [str(v) for v in ds[d].values] for d in ("REG", "COMM", "ACTS", "ENDW", "MARG")}
    labels.update({name: list(members) for name, members in FIXED_SETS.items()})
    space = Space(tuple((d, len(v)) for d, v in labels.items()))
    comm_index = {c: k for k, c in enumerate(labels["COMM"])}
    marg_in_comm = np.array([comm_index[m] for m in labels["MARG"]], dtype=np.int64)
    masks = {
        "ENDWM": np.asarray(ds["ENDM"].values, dtype=bool),
        "ENDWS": np.asarray(ds["ENDS"].values, dtype=bool),
        "ENDWF": np.asarray(ds["ENDF"].values, dtype=bool),
        "ENDWC": np.asarray(ds["ENDC"].values, dtype=bool),
        "MARG_IN_COMM": marg_in_comm,
    }
    masks["ENDWMS"] = masks["ENDWM"] | masks["ENDWS"]
    is_marg = np.zeros(len(labels["COMM"]), dtype=bool)
    is_marg[marg_in_comm] = True
    masks["MARG"] = is_marg
    rordelta = int(np.asarray(ds["RORDELTA"].values).reshape(-1)[0]) if "RORDELTA" in ds else 1
    cf = Coefficients(space, labels, masks, rordelta=rordelta)
    for name, dims in HEADER_DIMS.items():
        cf[name] = _array(ds, name, dims)
    for name, dims in PARAMETER_DIMS.items():
        if name == "ESUBQ" and name not in ds:
            cf[name] = np.zeros(space.shape(dims))  # TABLO: Formula (initial) ESUBQ = 0
            continue
        cf[name] = _parameter(ds, name, dims, space)
    pop = np.asarray(ds["POP"].transpose("REG").values, dtype=float) if "POP" in ds else np.ones(space.size("REG"))
    cf["POP"] = pop
    # cge extension (not a GTAP header): elasticity of employment w.r.t. the real wage on the wage
    # curve, by region (cge.gtap.horizons puts it in the database it solves; 0 otherwise)
    cf["WAGEELAS"] = _parameter(ds, "WAGEELAS", ("REG",), space) if "WAGEELAS" in ds else np.zeros(space.size("REG"))
    _derive(cf)
    return cf


def _derive(cf: Coefficients) -> None:
    """Derived coefficients, in the order and with the zero-divide rules of the TABLO code."""
    v = cf.values
    vfp_c = v["VDFP"] + v["VMFP"]  # VFP(c,a,r)
    cf["VFP_C"] = vfp_c
    cf["VFP_E"] = v["EVFP"]
    vos = vfp_c.sum(axis=0) + v["EVFP"].sum(axis=0)  # VOS(a,r)
    cf["VOS"] = vos
    cf["VES"] = v["EVOS"].sum(axis=1)  # VES(e,r)
    cf["MAKEBACT"] = v["MAKB"].sum(axis=0)
    cf["MAKEBCOM"] = v["MAKB"].sum(axis=1)
    cf["MAKESCOM"] = v["MAKS"].sum(axis=0)
    vdb = v["VDFB"].sum(axis=1) + v["VDPB"] + v["VDGB"] + v["VDIB"]
    cf["VDB"] = vdb
    vst_c = np.zeros_like(vdb)
    vst_c[cf.masks["MARG_IN_COMM"]] = v["VST"]
    cf["VST_C"] = vst_c
    vcb = vdb + v["VXSB"].sum(axis=2) + vst_c
    cf["VCB"] = vcb
    # final demand
    vgp, vpp, vip = v["VDGP"] + v["VMGP"], v["VDPP"] + v["VMPP"], v["VDIP"] + v["VMIP"]
    cf["VGP"], cf["VPP"], cf["VIP"] = vgp, vpp, vip
    govexp, privexp, reginv = vgp.sum(axis=0), vpp.sum(axis=0), vip.sum(axis=0)
    cf["GOVEXP"], cf["PRIVEXP"], cf["REGINV"] = govexp, privexp, reginv
    income = privexp + govexp + v["SAVE"]
    cf["INCOME"] = income
    cf["NETINV"] = reginv - v["VDEP"]
    cf["GLOBINV"] = np.array(cf.NETINV.sum())
    # tax revenues (basic -> purchaser's wedges)
    cf["PTAX"] = v["MAKB"] - v["MAKS"]
    cf["DFTAX"], cf["MFTAX"] = v["VDFP"] - v["VDFB"], v["VMFP"] - v["VMFB"]
    cf["DPTAX"], cf["MPTAX"] = v["VDPP"] - v["VDPB"], v["VMPP"] - v["VMPB"]
    cf["DGTAX"], cf["MGTAX"] = v["VDGP"] - v["VDGB"], v["VMGP"] - v["VMGB"]
    cf["DITAX"], cf["MITAX"] = v["VDIP"] - v["VDIB"], v["VMIP"] - v["VMIB"]
    cf["ETAX"] = v["EVFP"] - v["EVFB"]
    cf["INCTAX"] = v["EVFB"] - v["EVOS"]
    cf["XTAXD"] = v["VFOB"] - v["VXSB"]
    cf["MTAX"] = v["VMSB"] - v["VCIF"]
    taxes = {
        "TAXROUT": cf.PTAX.sum(axis=(0, 1)),
        "TAXRIU": (cf.DFTAX + cf.MFTAX).sum(axis=(0, 1)),
        "TAXRPC": (cf.DPTAX + cf.MPTAX).sum(axis=0),
        "TAXRGC": (cf.DGTAX + cf.MGTAX).sum(axis=0),
        "TAXRIC": (cf.DITAX + cf.MITAX).sum(axis=0),
        "TAXRFU": cf.ETAX.sum(axis=(0, 1)),
        "TAXREXP": cf.XTAXD.sum(axis=(0, 2)),
        "TAXRIMP": cf.MTAX.sum(axis=(0, 1)),
        "TAXRINC": cf.INCTAX.sum(axis=(0, 1)),
    }
    for name, value in taxes.items():
        cf[name] = value
    cf["INDTAX"] = sum(taxes[k] for k in taxes if k != "TAXRINC")
    cf["FY"] = v["EVFB"].sum(axis=(0, 1)) - v["VDEP"]
    # production shares
    cf["STC_C"] = _div(vfp_c, vos[None], 0.5)
    cf["STC_E"] = _div(v["EVFP"], vos[None], 0.5)
    tintcom = vfp_c.sum(axis=0)
    cf["TINTCOM"] = tintcom
    cf["INTSHR"] = _div(vfp_c, tintcom[None], 0.5)
    vva = v["EVFP"].sum(axis=0)
    cf["VVA"] = vva
    default_vashr = _div(v["EVFP"].sum(axis=(1, 2)), vva.sum())
    vashr = np.where(vva[None] != 0, _div(v["EVFP"], vva[None]), default_vashr[:, None, None])
    cf["VASHR"] = vashr
    cf["FMSHR"] = _div(v["VMFP"], vfp_c, 0.5)
    # top nest shares at producer prices (cost of VA and of the intermediate composite)
    cf["SHR_VA"] = _div(vva, vos, 0.5)
    cf["SHR_INT"] = _div(tintcom, vos, 0.5)
    # make matrix
    cf["MAKESACTSHR"] = _div(v["MAKS"], cf.MAKESCOM[None], 0.5)
    cf["MAKESUNIT"] = (v["MAKS"] > 0).astype(float)
    cf["MAKEBACTSHR"] = _div(v["MAKB"], cf.MAKEBACT[None], 0.5)
    cf["MAKEBCOMSHR"] = _div(v["MAKB"], cf.MAKEBCOM[:, None, :], 0.5)
    cf["MAKEBUNIT"] = (v["MAKB"] > 0).astype(float)
    # final demand shares
    cf["CONSHR"] = _div(vpp, privexp[None])
    # GTAPv7.tab sets no zero-divide default for PMSHR (GEMPACK stops on a household that buys
    # none of c); we give it the 0.5 that GMSHR, IMSHR and FMSHR get, so an empty bundle is priced
    # alike for every agent (no effect on any cell with a flow).
    cf["PMSHR"] = _div(v["VMPP"], vpp, 0.5)
    cf["GMSHR"] = _div(v["VMGP"], vgp, 0.5)
    cf["IMSHR"] = _div(v["VMIP"], vip, 0.5)
    cf["GOVSHR"] = _div(vgp, govexp[None])
    cf["INVSHR"] = _div(vip, reginv[None])
    cf["UELASPRIV"] = (cf.CONSHR * v["INCPAR"]).sum(axis=0)
    cf["XSHRPRIV"], cf["XSHRGOV"], cf["XSHRSAVE"] = privexp / income, govexp / income, v["SAVE"] / income
    utilelas = (cf.UELASPRIV * cf.XSHRPRIV + cf.XSHRGOV + cf.XSHRSAVE) / v["DPSM"]
    cf["UTILELAS"] = utilelas
    cf["DPARPRIV"] = cf.UELASPRIV * cf.XSHRPRIV / utilelas
    cf["DPARGOV"] = cf.XSHRGOV / utilelas
    cf["DPARSAVE"] = cf.XSHRSAVE / utilelas
    # CDE: B(c) from the benchmark shares (UP = 1, prices = 1, per capita expenditure = 1)
    b = v["SUBPAR"]
    ratio = _div(cf.CONSHR, b)
    cf["CDE_B"] = _div(ratio, ratio.sum(axis=0)[None])
    # imports
    vmb = v["VMFB"].sum(axis=1) + v["VMPB"] + v["VMGB"] + v["VMIB"]
    cf["VMB"] = vmb
    cf["FMCSHR"] = _div(v["VMFB"], vmb[:, None, :])
    cf["PMCSHR"], cf["GMCSHR"], cf["IMCSHR"] = _div(v["VMPB"], vmb), _div(v["VMGB"], vmb), _div(v["VMIB"], vmb)
    impbasic = v["VMSB"].sum(axis=1)  # (c, d)
    cf["IMPBASIC"] = impbasic
    cf["MSHRS"] = _div(v["VMSB"], impbasic[:, None, :])
    # margins
    vtfsd = v["VTWR"].sum(axis=0)  # (c, s, d)
    cf["VTFSD"] = vtfsd
    vtmuse = v["VTWR"].sum(axis=(1, 2, 3))
    vtuse = vtmuse.sum()
    cf["VTFSD_MSH"] = np.where(vtfsd[None] > 0, _div(v["VTWR"], vtfsd[None]), _div(vtmuse, vtuse)[:, None, None, None])
    vt = v["VST"].sum()
    vtmprov = v["VST"].sum(axis=1)
    musesh = np.where(
        vtmuse[:, None, None, None] != 0, _div(v["VTWR"], vtmuse[:, None, None, None]), _div(vtfsd, vt)[None]
    )
    cf["VTMUSESHR"] = musesh
    vtrprov = v["VST"].sum(axis=0)
    cf["VTSUPPSHR"] = np.where(vtmprov[:, None] != 0, _div(v["VST"], vtmprov[:, None]), _div(vtrprov, vt)[None])
    vcifcost = v["VFOB"] + vtfsd
    fobshr = _div(v["VFOB"], vcifcost, 0.5)
    cf["FOBSHR"], cf["TRNSHR"] = fobshr, 1.0 - fobshr
    # goods markets
    cf["FDCSHR"] = _div(v["VDFB"], vdb[:, None, :])
    cf["PDCSHR"], cf["GDCSHR"], cf["IDCSHR"] = _div(v["VDPB"], vdb), _div(v["VDGB"], vdb), _div(v["VDIB"], vdb)
    cf["DSSHR"] = _div(vdb, vcb)
    cf["XSSHR"] = _div(v["VXSB"], vcb[:, :, None])
    cf["STSHR"] = _div(vst_c, vcb)
    # endowments
    cf["REVSHR"] = _div(v["EVOS"], cf.VES[:, None, :])
    # capital and investment
    endwc = cf.masks["ENDWC"]
    grosscap = cf.VES[endwc].sum(axis=0)
    cf["GROSSCAP"] = grosscap
    cf["GRNETRATIO"] = grosscap / (grosscap - v["VDEP"])
    cf["INVKERATIO"] = reginv / (v["VKB"] + cf.NETINV)
    # GDP and trade summaries
    vxdfob = v["VFOB"].sum(axis=2)
    cf["VXW"] = vxdfob + vst_c
    cf["VMCIF"] = v["VCIF"].sum(axis=1)
    cf["VXWREGION"] = cf.VXW.sum(axis=0)
    cf["VMWREGION"] = cf.VMCIF.sum(axis=0)
    cf["TBAL"] = cf.VXWREGION - cf.VMWREGION
    cf["TBALC"] = cf.VXW - cf.VMCIF  # trade balance by commodity (E_del_tbalc)
    cf["INCOMEWLD"] = np.array(income.sum())
    cf["TBALWLD"] = 100.0 * cf.TBAL / cf.INCOMEWLD  # trade balance in % of world income (base of del_tbalpf)
    cf["VENDWREG"] = v["EVFB"].sum(axis=(0, 1))
    cf["GDP"] = privexp + govexp + reginv + vxdfob.sum(axis=0) + v["VST"].sum(axis=0) - cf.VMCIF.sum(axis=0)
