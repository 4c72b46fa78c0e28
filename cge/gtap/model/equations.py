"""The GTAP v7 equations in levels, one block per TABLO equation (GTAPv7.tab, modules 1-10).

Each block is registered with :func:`~cge.gtap.model.build.explains` under the variable it
explains in GEMPACK's standard closure, and is named as its TABLO equation. Variables are indices
equal to 1 in the benchmark (``pct`` variables) or changes from it (``change`` variables); the
percentage change GEMPACK reports is ``100 (X - 1)``. The linearised TABLO equation of each block
is the exact differential of the levels form written here (see ``docs/gtap7.md``), so the levels
solution is the limit GEMPACK's extrapolated multi-step solution converges to.
"""

from __future__ import annotations

import numpy as np

from cge.gtap.model.algebra import Term
from cge.gtap.model.coefficients import Coefficients
from cge.gtap.model.context import ModelContext
from cge.gtap.model.forms import ces_demand, ces_price
from cge.gtap.model.registry import CONDITION, EXPLICIT, Part, explains
from cge.solve.tape import Node

F = ("COMM", "ACTS", "REG")  # firms' purchases of commodities
E = ("ENDW", "ACTS", "REG")  # firms' purchases of endowments
MK = ("COMM", "ACTS", "REG")  # make matrix
CR = ("COMM", "REG")
AR = ("ACTS", "REG")
ER = ("ENDW", "REG")
R = ("REG",)
X = ("COMM", "REG", "REG_2")  # bilateral trade: commodity, source, destination
MX = ("MARG", "COMM", "REG", "REG_2")
MR = ("MARG", "REG")


def explicit(equation: str, build, mask: np.ndarray | None = None) -> Part:
    return Part(EXPLICIT, build, equation, mask)


def condition(equation: str, build, mask: np.ndarray | None = None) -> Part:
    return Part(CONDITION, build, equation, mask)


def ces2(m: ModelContext, p_dom: Term, p_imp: Term, import_share: np.ndarray, sigma: Term, zero: np.ndarray) -> Term:
    """Agent's composite price of domestic and imported c (E_pfa, E_ppa, E_pga, E_pia):
    a two-input CES with the benchmark import share; zero-value bundles use GEMPACK's default
    share 0.5 (log-linear, :mod:`cge.gtap.model.forms`)."""
    dims = p_dom.dims
    stacked_dims = ("DIR",) + dims
    n = m.space.count(dims)
    prices = Term(_stack2(m, p_dom, p_imp), stacked_dims, m.space)
    w_imp = np.asarray(import_share, dtype=float).reshape(-1)
    shares = np.concatenate([1.0 - w_imp, w_imp])
    sig = np.asarray(sigma.expand(dims).value, dtype=float).reshape(-1)
    del n
    return ces_price(prices, shares, sig, "DIR", default_mask=np.asarray(zero, bool).reshape(-1))


def _stack2(m: ModelContext, a: Term, b: Term):
    """Stack two terms over the same sets along a leading two-element set."""
    import scipy.sparse as sp

    n = m.space.count(a.dims)
    top = sp.vstack([sp.identity(n, format="csr"), sp.csr_matrix((n, n))]).tocsr()
    bottom = sp.vstack([sp.csr_matrix((n, n)), sp.identity(n, format="csr")]).tocsr()
    pieces = []
    for matrix, t in ((top, a), (bottom, b)):
        pieces.append(matrix @ (t.value if not t.is_constant else np.asarray(t.value, dtype=float)))
    first, second = pieces
    if isinstance(first, np.ndarray) and isinstance(second, np.ndarray):
        return first + second
    return first + second if not isinstance(first, np.ndarray) else second + first


def demand(q: Term, p: Term, p_agg: Term, sigma: Term) -> Term:
    """CES demand with ``sigma`` a constant term over a subset of the inputs' sets."""
    sig = sigma.expand(p.dims).value
    if isinstance(sig, Node):
        raise TypeError(f"demand: the elasticity over {sigma.dims} depends on the unknowns (a constant is expected)")
    return ces_demand(q, p, p_agg, sig)


# ====================================================================== 1. Firms
@explains("ao")
def E_ao(cf: Coefficients) -> list[Part]:
    return [explicit("E_ao", lambda m: m.v("aoall") * m.v("aosec") * m.v("aoreg"))]


@explains("afa")
def E_afa(cf: Coefficients) -> list[Part]:
    return [explicit("E_afa", lambda m: m.v("afall") * m.v("afcom") * m.v("afsec") * m.v("afreg"))]


@explains("ava")
def E_ava(cf: Coefficients) -> list[Part]:
    return [explicit("E_ava", lambda m: m.v("avaall") * m.v("avasec") * m.v("avareg"))]


@explains("afe")
def E_afe(cf: Coefficients) -> list[Part]:
    return [explicit("E_afe", lambda m: m.v("afeall") * m.v("afecom") * m.v("afesec") * m.v("afereg"))]


@explains("aint")
def E_aint(cf: Coefficients) -> list[Part]:
    return [explicit("E_aint", lambda m: m.v("aintall") * m.v("aintsec") * m.v("aintreg"))]


@explains("pfd")
def E_pfd(cf: Coefficients) -> list[Part]:
    return [explicit("E_pfd", lambda m: m.v("tfd") * m.v("pds"))]


@explains("pfm")
def E_pfm(cf: Coefficients) -> list[Part]:
    return [explicit("E_pfm", lambda m: m.v("tfm") * m.v("pms"))]


@explains("pfa")
def E_pfa(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        return ces2(m, m.v("pfd"), m.v("pfm"), m.cf.FMSHR, m.k("ESUBD", CR), m.cf.VFP_C == 0)

    return [explicit("E_pfa", build)]


@explains("qfd")
def E_qfd(cf: Coefficients) -> list[Part]:
    return [explicit("E_qfd", lambda m: demand(m.v("qfa"), m.v("pfd"), m.v("pfa"), m.k("ESUBD", CR)))]


@explains("qfm")
def E_qfm(cf: Coefficients) -> list[Part]:
    return [explicit("E_qfm", lambda m: demand(m.v("qfa"), m.v("pfm"), m.v("pfa"), m.k("ESUBD", CR)))]


@explains("pint")
def E_pint(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        price = m.v("pfa") / m.v("afa")
        return ces_price(price, m.cf.INTSHR, m.cf.ESUBC, "COMM", default_mask=m.cf.TINTCOM == 0)

    return [explicit("E_pint", build)]


@explains("qfa")
def E_qfa(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        afa = m.v("afa")
        return demand(m.v("qint").expand(F) / afa, m.v("pfa") / afa, m.v("pint"), m.k("ESUBC", AR))

    return [explicit("E_qfa", build)]


@explains("pva")
def E_pva(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        price = m.v("pfe") / m.v("afe")
        return ces_price(price, m.cf.VASHR, m.cf.ESUBVA, "ENDW", default_mask=m.cf.VVA == 0)

    return [explicit("E_pva", build)]


@explains("qfe")
def E_qfe(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        afe = m.v("afe")
        return demand(m.v("qva").expand(E) / afe, m.v("pfe") / afe, m.v("pva"), m.k("ESUBVA", AR))

    return [explicit("E_qfe", build)]


def _top_nest_price(m: ModelContext) -> Term:
    """Unit cost of activity a at the top nest (CES of value added and intermediates, ESUBT)."""
    p_va = m.v("pva") / m.v("ava")
    p_int = m.v("pint") / m.v("aint")
    prices = Term(_stack2(m, p_va, p_int), ("DIR",) + AR, m.space)
    shares = np.concatenate([m.cf.SHR_VA.reshape(-1), m.cf.SHR_INT.reshape(-1)])
    return ces_price(prices, shares, m.cf.ESUBT, "DIR")


@explains("qint")
def E_qint(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        ao, aint = m.v("ao"), m.v("aint")
        return (m.v("qo") / (ao * aint)) * ((m.v("pint") / aint) / (m.v("po") * ao)) ** (-m.cf.ESUBT.reshape(-1))

    return [explicit("E_qint", build)]


@explains("qva")
def E_qva(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        ao, ava = m.v("ao"), m.v("ava")
        return (m.v("qo") / (ao * ava)) * ((m.v("pva") / ava) / (m.v("po") * ao)) ** (-m.cf.ESUBT.reshape(-1))

    return [explicit("E_qva", build)]


@explains("qo")
def E_qo(cf: Coefficients) -> list[Part]:
    """Zero pure profits: the unit revenue po equals the unit cost (times profitslack)."""

    def build(m: ModelContext) -> Term:
        return m.v("po") * m.v("ao") - m.v("profitslack") * _top_nest_price(m)

    return [condition("E_qo", build)]


# ====================================================================== 2. Commodity supply
@explains("ps")
def E_ps(cf: Coefficients) -> list[Part]:
    """Producer price ``ps = pca / to``. Where the commodity's activities are imperfect
    substitutes (ESUBQ > 0) pca depends on qca, which depends on ps (E_qca): there ps is an
    unknown and E_ps a condition; elsewhere pca is pds (made) or 1 (not made) and ps is substituted
    without reference to pca, so no substitution cycle forces the whole array to be unknown."""
    made = cf.MAKEBUNIT > 0
    sourced = made & (np.broadcast_to(cf.ESUBQ[:, None, :], made.shape) != 0)
    made_f, not_made_f = made.reshape(-1).astype(float), (~made).reshape(-1).astype(float)

    def substituted(m: ModelContext) -> Term:
        return (m.v("pds").expand(MK) * made_f + not_made_f) / m.v("to")

    parts = [explicit("E_ps", substituted, mask=~sourced)]
    if sourced.any():
        parts.append(condition("E_ps", lambda m: m.v("ps") * m.v("to") - m.v("pca"), mask=sourced))
    return parts


@explains("pca")
def E_pca(cf: Coefficients) -> list[Part]:
    """Basic price of c from activity a: pds where the commodity's sources are perfect substitutes
    (ESUBQ = 0), a CES sourcing price otherwise; 1 where a does not make c (TABLO: pca = 0)."""
    made = cf.MAKEBUNIT > 0
    esubq = np.broadcast_to(cf.ESUBQ[:, None, :], made.shape)
    sourced = made & (esubq != 0)

    def substitutes(m: ModelContext) -> Term:
        return m.v("pds").expand(MK) * made.reshape(-1).astype(float) + (~made).reshape(-1).astype(float)

    def ces(m: ModelContext) -> Term:
        share = (m.v("qca") / m.v("qc").expand(MK)) ** (-esubq.reshape(-1))
        return m.v("pds").expand(MK) * share

    parts = [explicit("E_pca", substitutes, mask=~sourced)]
    if sourced.any():
        parts.append(explicit("E_pca", ces, mask=sourced))
    return parts


@explains("qca")
def E_qca(cf: Coefficients) -> list[Part]:
    made = cf.MAKESUNIT > 0

    def build(m: ModelContext) -> Term:
        etraq = m.k("ETRAQ", AR).expand(MK).value
        value = m.v("qo").expand(MK) * (m.v("ps") / m.v("po").expand(MK)) ** (-np.asarray(etraq))
        return value * made.reshape(-1).astype(float) + (~made).reshape(-1).astype(float)

    return [explicit("E_qca", build)]


@explains("po")
def E_po(cf: Coefficients) -> list[Part]:
    return [explicit("E_po", lambda m: ces_price(m.v("ps"), m.cf.MAKESACTSHR, m.cf.ETRAQ, "COMM"))]


@explains("qc")
def E_qc(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        return ces_price(m.v("qca").transpose(("ACTS", "COMM", "REG")), _swap01(m.cf.MAKEBCOMSHR), m.cf.ESUBQ, "ACTS")

    return [explicit("E_qc", build)]


def _swap01(arr: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.swapaxes(arr, 0, 1))


# ====================================================================== 3. Income
@explains("fincome")
def E_fincome(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        factor = (m.v("peb") * m.v("qes")).sum("ENDW", "ACTS", weights=m.cf.EVFB.reshape(-1))
        dep = m.v("pinv") * m.v("kb") * m.cf.VDEP
        return (factor - dep) / m.cf.FY

    return [explicit("E_fincome", build)]


def tax_revenues(m: ModelContext) -> dict[str, Term]:
    """Tax revenues by type at current prices and quantities [US$ million] (TAXROUT ... TAXRINC)."""

    def build() -> dict[str, Term]:
        cf = m.cf
        pds_f, pms_f = m.v("pds").expand(F), m.v("pms").expand(F)
        qfd, qfm = m.v("qfd"), m.v("qfm")
        out = {
            "TAXROUT": ((m.v("pca") * cf.MAKB.reshape(-1) - m.v("ps") * cf.MAKS.reshape(-1)) * m.v("qca")).sum(
                "COMM", "ACTS"
            ),
            "TAXRIU": (
                (m.v("pfd") * cf.VDFP.reshape(-1) - pds_f * cf.VDFB.reshape(-1)) * qfd
                + (m.v("pfm") * cf.VMFP.reshape(-1) - pms_f * cf.VMFB.reshape(-1)) * qfm
            ).sum("COMM", "ACTS"),
            "TAXRFU": ((m.v("pfe") * cf.EVFP.reshape(-1) - m.v("peb") * cf.EVFB.reshape(-1)) * m.v("qfe")).sum(
                "ENDW", "ACTS"
            ),
            "TAXREXP": (
                (m.v("pfob") * cf.VFOB.reshape(-1) - m.v("pds").expand(X) * cf.VXSB.reshape(-1)) * m.v("qxs")
            ).sum("COMM", "REG_2"),
            "TAXRIMP": ((m.v("pmds") * cf.VMSB.reshape(-1) - m.v("pcif") * cf.VCIF.reshape(-1)) * m.v("qxs"))
            .sum("COMM", "REG")
            .rename(REG_2="REG"),
            "TAXRINC": ((m.v("peb") * cf.EVFB.reshape(-1) - m.v("pes") * cf.EVOS.reshape(-1)) * m.v("qes")).sum(
                "ENDW", "ACTS"
            ),
        }
        pds, pms = m.v("pds"), m.v("pms")
        for key, agent, dom, imp in (
            ("TAXRPC", "p", "VDP", "VMP"),
            ("TAXRGC", "g", "VDG", "VMG"),
            ("TAXRIC", "i", "VDI", "VMI"),
        ):
            qd, qm = m.v(f"q{agent}d"), m.v(f"q{agent}m")
            pd, pm = m.v(f"p{agent}d"), m.v(f"p{agent}m")
            out[key] = (
                (pd * getattr(cf, dom + "P") - pds * getattr(cf, dom + "B")) * qd
                + (pm * getattr(cf, imp + "P") - pms * getattr(cf, imp + "B")) * qm
            ).sum("COMM")
        return out

    return m.cached("tax_revenues", build)


INDIRECT_TAXES = ("TAXRPC", "TAXRGC", "TAXRIC", "TAXRIU", "TAXRFU", "TAXROUT", "TAXREXP", "TAXRIMP")


@explains("y")
def E_y(cf: Coefficients) -> list[Part]:
    """Regional income = factor income net of depreciation + indirect tax revenue."""

    def build(m: ModelContext) -> Term:
        taxes = tax_revenues(m)
        indtax = taxes[INDIRECT_TAXES[0]]
        for key in INDIRECT_TAXES[1:]:
            indtax = indtax + taxes[key]
        base = m.cf.FY + m.cf.INDTAX
        return m.v("y") / m.v("incomeslack") - (m.v("fincome") * m.cf.FY + indtax) / base

    return [condition("E_y", build)]


# ====================================================================== 4. Allocation of income
def distribution(m: ModelContext) -> dict[str, Term]:
    """Distribution parameters (levels) and the utility elasticity's inverse D = 1 / UTILELAS."""

    def build() -> dict[str, Term]:
        cf = m.cf
        bp = m.v("dppriv") * cf.DPARPRIV
        bg = m.v("dpgov") * cf.DPARGOV
        bs = m.v("dpsave") * cf.DPARSAVE
        uelaspriv = m.v("uepriv") * cf.UELASPRIV
        d = bg + bs + bp / uelaspriv
        return {"bp": bp, "bg": bg, "bs": bs, "uelaspriv": uelaspriv, "d": d}

    return m.cached("distribution", build)


@explains("yp")
def E_yp(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        dist = distribution(m)
        return m.v("y") * (m.cf.INCOME / m.cf.PRIVEXP) * dist["bp"] / (dist["uelaspriv"] * dist["d"])

    return [explicit("E_yp", build)]


@explains("yg")
def E_yg(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        dist = distribution(m)
        return m.v("y") * (m.cf.INCOME / m.cf.GOVEXP) * dist["bg"] / dist["d"]

    return [explicit("E_yg", build)]


@explains("save_value")
def E_qsave(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        dist = distribution(m)
        return m.v("y") * (m.cf.INCOME / m.cf.SAVE) * dist["bs"] / dist["d"]

    return [explicit("E_qsave", build)]


@explains("uelas")
def E_uelas(cf: Coefficients) -> list[Part]:
    return [explicit("E_uelas", lambda m: (1.0 / distribution(m)["d"]) / m.cf.UTILELAS)]


@explains("dpsum")
def E_dpsum(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        dist = distribution(m)
        return (dist["bp"] + dist["bg"] + dist["bs"]) / m.cf.DPSM

    return [explicit("E_dpsum", build)]


# ====================================================================== 5. Domestic final demand
def cde(m: ModelContext) -> dict[str, Term]:
    """The CDE demand system per capita: S(c) = B(c) UP^(INCPAR SUBPAR) (PPA POP / YP)^SUBPAR
    and the budget shares s(c) = SUBPAR S(c) / sum_k SUBPAR S(k)."""

    def build() -> dict[str, Term]:
        cf = m.cf
        b = cf.SUBPAR.reshape(-1)
        e = cf.INCPAR.reshape(-1)
        per_capita_price = m.v("ppa") * m.v("pop").expand(CR) / m.v("yp").expand(CR)
        log_s = m.v("up").expand(CR).log() * (e * b) + per_capita_price.log() * b
        relative = log_s.exp()
        s_tilde = relative * cf.CDE_B.reshape(-1)
        weighted = s_tilde * b
        total = weighted.sum("COMM").expand(CR)
        shares = weighted / total
        # s(c) / CONSHR(c) without dividing by the share: defined (and what GEMPACK's linear
        # CDE equation integrates to) for commodities the household does not buy in the data.
        base_total = np.asarray((cf.CDE_B * cf.SUBPAR).sum(axis=0))
        share_ratio = relative * np.broadcast_to(base_total, cf.CDE_B.shape).reshape(-1) / total
        return {"s_tilde": s_tilde, "shares": shares, "share_ratio": share_ratio}

    return m.cached("cde", build)


@explains("up")
def E_up(cf: Coefficients) -> list[Part]:
    return [condition("E_up", lambda m: cde(m)["s_tilde"].sum("COMM") - 1.0)]


@explains("qpa")
def E_qpa(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        return cde(m)["share_ratio"] * m.v("yp").expand(CR) / m.v("ppa")

    return [explicit("E_qpa", build)]


@explains("uepriv")
def E_uepriv(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        return cde(m)["shares"].sum("COMM", weights=m.cf.INCPAR.reshape(-1)) / m.cf.UELASPRIV

    return [explicit("E_uepriv", build)]


def _agent_blocks(agent: str, share: str, tax_d: str, tax_m: str, total: str) -> None:
    """Register the sourcing equations of a final-demand agent (p, g, i): E_<a>pd/pm price links,
    E_q<a>d/q<a>m demands and the composite price E_p<a>a."""

    @explains(f"p{agent}d")
    def price_d(cf: Coefficients) -> list[Part]:
        return [explicit(f"E_p{agent}d", lambda m: m.v(tax_d) * m.v("pds"))]

    @explains(f"p{agent}m")
    def price_m(cf: Coefficients) -> list[Part]:
        return [explicit(f"E_p{agent}m", lambda m: m.v(tax_m) * m.v("pms"))]

    @explains(f"p{agent}a")
    def price_a(cf: Coefficients) -> list[Part]:
        def build(m: ModelContext) -> Term:
            return ces2(
                m,
                m.v(f"p{agent}d"),
                m.v(f"p{agent}m"),
                getattr(m.cf, share),
                m.k("ESUBD", CR),
                getattr(m.cf, total) == 0,
            )

        return [explicit(f"E_p{agent}a", build)]

    @explains(f"q{agent}d")
    def quantity_d(cf: Coefficients) -> list[Part]:
        return [
            explicit(
                f"E_q{agent}d",
                lambda m: demand(m.v(f"q{agent}a"), m.v(f"p{agent}d"), m.v(f"p{agent}a"), m.k("ESUBD", CR)),
            )
        ]

    @explains(f"q{agent}m")
    def quantity_m(cf: Coefficients) -> list[Part]:
        return [
            explicit(
                f"E_q{agent}m",
                lambda m: demand(m.v(f"q{agent}a"), m.v(f"p{agent}m"), m.v(f"p{agent}a"), m.k("ESUBD", CR)),
            )
        ]


_agent_blocks("p", "PMSHR", "tpd", "tpm", "VPP")
_agent_blocks("g", "GMSHR", "tgd", "tgm", "VGP")
_agent_blocks("i", "IMSHR", "tid", "tim", "VIP")


@explains("tpd")
def E_tpd(cf: Coefficients) -> list[Part]:
    return [explicit("E_tpd", lambda m: m.v("tpdall") * m.v("tpreg"))]


@explains("tpm")
def E_tpm(cf: Coefficients) -> list[Part]:
    return [explicit("E_tpm", lambda m: m.v("tpmall") * m.v("tpreg"))]


@explains("pgov")
def E_pgov(cf: Coefficients) -> list[Part]:
    return [explicit("E_pgov", lambda m: ces_price(m.v("pga"), m.cf.GOVSHR, m.cf.ESUBG, "COMM"))]


@explains("qga")
def E_qga(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        return demand((m.v("yg") / m.v("pgov")).expand(CR), m.v("pga"), m.v("pgov"), m.k("ESUBG", R))

    return [explicit("E_qga", build)]


@explains("ug")
def E_ug(cf: Coefficients) -> list[Part]:
    return [explicit("E_ug", lambda m: m.v("yg") / (m.v("pgov") * m.v("pop")))]


@explains("pinv")
def E_pinv(cf: Coefficients) -> list[Part]:
    return [explicit("E_pinv", lambda m: ces_price(m.v("pia"), m.cf.INVSHR, m.cf.ESUBI, "COMM"))]


@explains("qia")
def E_qia(cf: Coefficients) -> list[Part]:
    return [explicit("E_qia", lambda m: demand(m.v("qinv").expand(CR), m.v("pia"), m.v("pinv"), m.k("ESUBI", R)))]


# ====================================================================== 6. Trade, goods markets, prices
@explains("qms")
def E_qms(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        cf = m.cf
        firms = m.v("qfm").sum("ACTS", weights=cf.FMCSHR.reshape(-1))
        # a commodity no agent imports: every share is GEMPACK's zero-divide 0 and qms stays at 1
        none = (cf.VMB == 0).astype(float)
        return firms + m.v("qpm") * cf.PMCSHR + m.v("qgm") * cf.GMCSHR + m.v("qim") * cf.IMCSHR + none

    return [explicit("E_qms", build)]


@explains("pfob")
def E_pfob(cf: Coefficients) -> list[Part]:
    return [explicit("E_pfob", lambda m: m.v("txs") * m.v("pds") * m.v("tx"))]


@explains("pcif")
def E_pcif(cf: Coefficients) -> list[Part]:
    return [explicit("E_pcif", lambda m: m.v("pfob") * m.cf.FOBSHR + m.v("ptrans") * m.cf.TRNSHR)]


@explains("pmds")
def E_pmds(cf: Coefficients) -> list[Part]:
    return [explicit("E_pmds", lambda m: m.v("tms") * m.v("pcif") * m.v("tm").rename(REG="REG_2"))]


@explains("pms")
def E_pms(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        price = m.v("pmds") / m.v("ams")
        # a commodity a region does not import: all shares are GEMPACK's zero-divide 0, pms constant
        return ces_price(price, m.cf.MSHRS, m.cf.ESUBM, "REG", default_mask=m.cf.IMPBASIC == 0).rename(REG_2="REG")

    return [explicit("E_pms", build)]


@explains("qxs")
def E_qxs(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        ams = m.v("ams")
        sigma = m.k("ESUBM", CR).rename(REG="REG_2")
        return demand(
            (m.v("qms").rename(REG="REG_2")).expand(X) / ams, m.v("pmds") / ams, m.v("pms").rename(REG="REG_2"), sigma
        )

    return [explicit("E_qxs", build)]


@explains("atmfsd")
def E_atmfsd(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        marg = m.cf.masks["MARG_IN_COMM"]
        atm = m.take(m.v("atm"), "COMM", marg, "MARG")
        return m.v("atall") * atm * m.v("atf") * m.v("ats") * m.v("atd").rename(REG="REG_2")

    return [explicit("E_atmfsd", build)]


@explains("qtmfsd")
def E_qtmfsd(cf: Coefficients) -> list[Part]:
    return [explicit("E_qtmfsd", lambda m: m.v("qxs").expand(MX) / m.v("atmfsd"))]


@explains("ptrans")
def E_ptrans(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        cost = m.v("pt").expand(MX) / m.v("atmfsd")
        # a database without margin commodities: no weights, ptrans stays at 1 (it was 0, -100 %)
        none = (m.cf.VTFSD_MSH.sum(axis=0) == 0).astype(float)
        return cost.sum("MARG", weights=m.cf.VTFSD_MSH.reshape(-1)) + none

    return [explicit("E_ptrans", build)]


@explains("qtm")
def E_qtm(cf: Coefficients) -> list[Part]:
    return [explicit("E_qtm", lambda m: m.v("qtmfsd").sum("COMM", "REG", "REG_2", weights=m.cf.VTMUSESHR.reshape(-1)))]


def margin_prices(m: ModelContext) -> Term:
    """pds of the margin commodities, over (MARG, REG)."""
    return m.take(m.v("pds"), "COMM", m.cf.masks["MARG_IN_COMM"], "MARG")


@explains("pt")
def E_pt(cf: Coefficients) -> list[Part]:
    return [explicit("E_pt", lambda m: ces_price(margin_prices(m), m.cf.VTSUPPSHR, m.cf.ESUBS, "REG"))]


@explains("qst")
def E_qst(cf: Coefficients) -> list[Part]:
    return [
        explicit("E_qst", lambda m: demand(m.v("qtm").expand(MR), margin_prices(m), m.v("pt"), m.k("ESUBS", ("MARG",))))
    ]


@explains("pr")
def E_pr(cf: Coefficients) -> list[Part]:
    return [explicit("E_pr", lambda m: m.v("pds") / m.v("pms"))]


@explains("qds")
def E_qds(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        cf = m.cf
        firms = m.v("qfd").sum("ACTS", weights=cf.FDCSHR.reshape(-1))
        return firms + m.v("qpd") * cf.PDCSHR + m.v("qgd") * cf.GDCSHR + m.v("qid") * cf.IDCSHR

    return [explicit("E_qds", build)]


@explains("pds")
def E_pds(cf: Coefficients) -> list[Part]:
    """Market clearing for domestic output (E_pdsm for margin commodities, E_pdsnm otherwise)."""

    def build(m: ModelContext) -> Term:
        cf = m.cf
        exports = m.v("qxs").sum("REG_2", weights=cf.XSSHR.reshape(-1))
        margins = m.put(m.v("qst"), "MARG", cf.masks["MARG_IN_COMM"], "COMM", fill=0.0)
        sales = m.v("qds") * cf.DSSHR + exports + margins * cf.STSHR
        return m.v("qc") - m.v("tradslack") * sales

    return [condition("E_pdsm/E_pdsnm", build)]


# ====================================================================== 7. Factor markets
def _endw_mask(cf: Coefficients, subset: str) -> np.ndarray:
    """Mask over (ENDW, ACTS, REG) of the endowments in ``subset``."""
    shape = cf.space.shape(E)
    return np.broadcast_to(cf.masks[subset][:, None, None], shape).copy()


@explains("pfe")
def E_pfe(cf: Coefficients) -> list[Part]:
    return [explicit("E_pfe", lambda m: m.v("tfe") * m.v("peb"))]


@explains("peb")
def E_pes_link(cf: Coefficients) -> list[Part]:
    return [explicit("E_pes", lambda m: m.v("tinc") * m.v("pes"))]


@explains("pes")
def E_pes(cf: Coefficients) -> list[Part]:
    mobile = _endw_mask(cf, "ENDWM")
    return [
        explicit("E_qes1", lambda m: m.v("pe").expand(E), mask=mobile),
        condition("E_peb", lambda m: m.v("qfe") - m.v("qes"), mask=~mobile),
    ]


@explains("qes")
def E_qes(cf: Coefficients) -> list[Part]:
    def sluggish(m: ModelContext) -> Term:
        etrae = m.k("ETRAE", ER).expand(E).value
        supply = m.v("qe").expand(E) * (m.v("pes") / m.v("pe").expand(E)) ** (-np.asarray(etrae))
        return supply / m.v("endwslack").expand(E)

    return [
        explicit("E_peb", lambda m: m.v("qfe"), mask=_endw_mask(cf, "ENDWM")),
        explicit("E_qes2", sluggish, mask=_endw_mask(cf, "ENDWS")),
        explicit("E_qes3", lambda m: m.v("qesf"), mask=_endw_mask(cf, "ENDWF")),
    ]


@explains("pe")
def E_pe(cf: Coefficients) -> list[Part]:
    shape = cf.space.shape(ER)
    mobile = np.broadcast_to(cf.masks["ENDWM"][:, None], shape).copy()
    sluggish = np.broadcast_to(cf.masks["ENDWS"][:, None], shape).copy()

    def market(m: ModelContext) -> Term:
        used = m.v("qfe").sum("ACTS", weights=m.cf.REVSHR.reshape(-1))
        return m.v("qe") - m.v("endwslack") * used

    def cet(m: ModelContext) -> Term:
        return ces_price(
            m.v("pes").transpose(("ENDW", "REG", "ACTS")), _move_acts_last(m.cf.REVSHR), m.cf.ETRAE, "ACTS"
        )

    return [condition("E_pe1", market, mask=mobile), explicit("E_pe2", cet, mask=sluggish)]


# ---------------------------------------------------------------------- cge extension: the wage curve
@explains("pcpi")
def E_pcpi(cf: Coefficients) -> list[Part]:
    """Consumer prices for the wage curve: the benchmark basket of private consumption at ppa (a
    levels index; GEMPACK's ppriv is chained and exists only along the path)."""
    return [explicit("E_pcpi", lambda m: (m.v("ppa") * m.cf.CONSHR.reshape(-1)).sum("COMM"))]


@explains("rwage")
def E_rwage(cf: Coefficients) -> list[Part]:
    return [explicit("E_rwage", lambda m: m.v("pe") / m.v("pcpi").expand(ER))]


@explains("fwage")
def E_fwage(cf: Coefficients) -> list[Part]:
    """The wage curve ``qe = fwage * rwage^WAGEELAS``, written for the shifter: endogenous (and
    inert) in the standard closure; swapped with qe it makes employment follow the real wage."""
    elasticity = np.broadcast_to(cf.WAGEELAS[None, :], cf.space.shape(ER)).reshape(-1)
    return [explicit("E_fwage", lambda m: m.v("qe") * m.v("rwage") ** (-elasticity))]


def _move_acts_last(arr: np.ndarray) -> np.ndarray:
    """(ENDW, ACTS, REG) -> (ENDW, REG, ACTS)."""
    return np.ascontiguousarray(np.moveaxis(arr, 1, 2))


# ====================================================================== 8. Global saving and investment
def _capital_weights(cf: Coefficients) -> np.ndarray:
    """VES(e,r) / GROSSCAP(r) on the capital endowment(s), zero elsewhere, over (ENDW, REG)."""
    w = np.where(cf.masks["ENDWC"][:, None], cf.VES, 0.0)
    return w / cf.GROSSCAP[None]


@explains("kb")
def E_kb(cf: Coefficients) -> list[Part]:
    return [explicit("E_kb", lambda m: m.v("qe").sum("ENDW", weights=_capital_weights(m.cf).reshape(-1)))]


@explains("rental")
def E_rental(cf: Coefficients) -> list[Part]:
    return [explicit("E_rental", lambda m: m.v("pe").sum("ENDW", weights=_capital_weights(m.cf).reshape(-1)))]


@explains("ke")
def E_ke(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        cf = m.cf
        return (m.v("kb") * (cf.VKB - cf.VDEP) + m.v("qinv") * cf.REGINV) / (cf.VKB + cf.NETINV)

    return [explicit("E_ke", build)]


@explains("rorc")
def E_rorc(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        cf = m.cf
        return (m.v("rental") / m.v("pinv") * cf.GROSSCAP - cf.VDEP) / (cf.GROSSCAP - cf.VDEP)

    return [explicit("E_rorc", build)]


@explains("rore")
def E_rore(cf: Coefficients) -> list[Part]:
    return [explicit("E_rore", lambda m: m.v("rorc") * (m.v("ke") / m.v("kb")) ** (-m.cf.RORFLEX))]


@explains("qinv")
def E_qinv(cf: Coefficients) -> list[Part]:
    if cf.rordelta == 1:
        return [condition("E_qinv", lambda m: m.v("rore") - m.v("rorg").expand(R) * m.v("cgdslack"))]

    def build(m: ModelContext) -> Term:
        cf = m.cf
        return (m.v("globalcgds").expand(R) * m.v("cgdslack") * cf.NETINV + m.v("kb") * cf.VDEP) / cf.REGINV

    return [explicit("E_qinv", build)]


@explains("expand")
def E_expand(cf: Coefficients) -> list[Part]:
    return [explicit("E_expand", lambda m: m.v("qinv").expand(ER) / m.v("qe"))]


def numeraire(m: ModelContext) -> Term:
    """E_rorg in levels: a fixed-weight (benchmark EVFB) index of basic factor prices equals
    pfactwld. GEMPACK's index weights factors by their current values; the solution is rescaled
    to that chained index afterwards (``cge.gtap.path``), which homogeneity makes exact."""
    weights = m.cf.EVFB / m.cf.EVFB.sum()
    return m.v("peb").sum("ENDW", "ACTS", "REG", weights=weights.reshape(-1)) - m.v("pfactwld")


@explains("rorg")
def E_rorg(cf: Coefficients) -> list[Part]:
    if cf.rordelta == 1:
        return [condition("E_rorg", numeraire)]
    return []


@explains("globalcgds")
def E_globalcgds(cf: Coefficients) -> list[Part]:
    if cf.rordelta == 0:
        return [condition("E_rorg", numeraire)]
    return []


# ====================================================================== 9. Tax revenue ratios and reporting identities
def _tax_ratio(name: str, keys: tuple[str, ...]) -> None:
    @explains(name)
    def block(cf: Coefficients) -> list[Part]:
        def build(m: ModelContext) -> Term:
            taxes = tax_revenues(m)
            total = taxes[keys[0]]
            base = sum(getattr(m.cf, k) for k in keys)
            for key in keys[1:]:
                total = total + taxes[key]
            return total / (m.v("y") * m.cf.INCOME) - base / m.cf.INCOME

        return [explicit(f"E_{name}", build)]


for _name, _key in (
    ("del_taxrout", "TAXROUT"),
    ("del_taxrfu", "TAXRFU"),
    ("del_taxriu", "TAXRIU"),
    ("del_taxrpc", "TAXRPC"),
    ("del_taxrgc", "TAXRGC"),
    ("del_taxric", "TAXRIC"),
    ("del_taxrexp", "TAXREXP"),
    ("del_taxrimp", "TAXRIMP"),
    ("del_taxrinc", "TAXRINC"),
):
    _tax_ratio(_name, (_key,))
_tax_ratio("del_indtaxr", INDIRECT_TAXES)
_tax_ratio("del_ttaxr", INDIRECT_TAXES + ("TAXRINC",))


def export_values(m: ModelContext) -> Term:
    """Exports at FOB prices incl. margin supply, by commodity and region [US$ million]."""

    def build() -> Term:
        cf = m.cf
        fob = (m.v("pfob") * m.v("qxs")).sum("REG_2", weights=cf.VFOB.reshape(-1))
        st = m.put(m.v("qst") * margin_prices(m) * cf.VST.reshape(-1), "MARG", cf.masks["MARG_IN_COMM"], "COMM")
        return fob + st

    return m.cached("export_values", build)


def import_values(m: ModelContext) -> Term:
    """Imports at CIF prices by commodity and destination [US$ million]."""
    return m.cached(
        "import_values",
        lambda: (m.v("pcif") * m.v("qxs")).sum("REG", weights=m.cf.VCIF.reshape(-1)).rename(REG_2="REG"),
    )


def _safe_ratio(value: Term, base: np.ndarray) -> Term:
    base = np.asarray(base, dtype=float).reshape(-1)
    return value * np.where(base != 0, 1.0 / np.where(base != 0, base, 1.0), 0.0) + (base == 0).astype(float)


@explains("vxwfob")
def E_vxwfob(cf: Coefficients) -> list[Part]:
    return [explicit("E_vxwfobm/E_vxwfobnm", lambda m: _safe_ratio(export_values(m), m.cf.VXW))]


@explains("vmwcif")
def E_vmwcif(cf: Coefficients) -> list[Part]:
    return [explicit("E_vmwcif", lambda m: _safe_ratio(import_values(m), m.cf.VMCIF))]


def value_index(value: Term, base: np.ndarray) -> Term:
    """A value index [benchmark = 1]: ``value`` over its benchmark ``base``; 1 where the benchmark
    value is zero (GEMPACK's zero-divide default of a change in a zero value is 0)."""
    zero = np.asarray(base) == 0
    return value / np.where(zero, 1.0, base) + zero.astype(float)


@explains("vxwreg")
def E_vxwreg(cf: Coefficients) -> list[Part]:
    return [explicit("E_vxwreg", lambda m: value_index(export_values(m).sum("COMM"), m.cf.VXWREGION))]


@explains("vmwreg")
def E_vmwreg(cf: Coefficients) -> list[Part]:
    return [explicit("E_vmwreg", lambda m: value_index(import_values(m).sum("COMM"), m.cf.VMWREGION))]


@explains("vxwcom")
def E_vxwcom(cf: Coefficients) -> list[Part]:
    return [explicit("E_vxwcom", lambda m: value_index(export_values(m).sum("REG"), m.cf.VXW.sum(axis=1)))]


@explains("vmwcom")
def E_vmwcom(cf: Coefficients) -> list[Part]:
    return [explicit("E_vmwcom", lambda m: value_index(import_values(m).sum("REG"), m.cf.VMCIF.sum(axis=1)))]


@explains("vxwwld")
def E_vxwwld(cf: Coefficients) -> list[Part]:
    return [explicit("E_vxwwld", lambda m: export_values(m).sum("COMM", "REG") / m.cf.VXWREGION.sum())]


@explains("valuewu")
def E_valuewu(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        cf = m.cf
        users = m.v("ppa") * m.v("qpa") * cf.VPP + m.v("pga") * m.v("qga") * cf.VGP
        firms = (m.v("pfa") * m.v("qfa")).sum("ACTS", weights=cf.VFP_C.reshape(-1))
        base = cf.VPP.sum(axis=1) + cf.VGP.sum(axis=1) + cf.VFP_C.sum(axis=(1, 2))
        return value_index((users + firms).sum("REG"), base)

    return [explicit("E_valuewu", build)]


def gdp_value(m: ModelContext) -> Term:
    """GDP at market prices, expenditure side [US$ million] (GDPEXP of the TABLO code)."""

    def build() -> Term:
        cf = m.cf
        demand_ = (m.v("ppa") * m.v("qpa") * cf.VPP + m.v("pga") * m.v("qga") * cf.VGP).sum("COMM")
        inv = m.v("pinv") * m.v("qinv") * cf.REGINV
        exports = export_values(m).sum("COMM")
        imports = import_values(m).sum("COMM")
        return demand_ + inv + exports - imports

    return m.cached("gdp_value", build)


@explains("vgdp")
def E_vgdp(cf: Coefficients) -> list[Part]:
    return [explicit("E_vgdp", lambda m: gdp_value(m) / m.cf.GDP)]


def income_value(m: ModelContext) -> Term:
    return m.v("y") * m.cf.INCOME


@explains("ywld")
def E_ywld(cf: Coefficients) -> list[Part]:
    return [explicit("E_ywld", lambda m: income_value(m).sum("REG") / m.cf.INCOMEWLD)]


@explains("del_tbalc")
def E_del_tbalc(cf: Coefficients) -> list[Part]:
    return [explicit("E_del_tbalc", lambda m: export_values(m) - import_values(m) - m.cf.TBALC)]


def trade_balance_value(m: ModelContext) -> Term:
    """Trade balance by region: exports fob with margin services minus imports cif [US$ million]
    (TABLO's TBAL at current prices)."""
    return m.cached("trade_balance_value", lambda: (export_values(m) - import_values(m)).sum("COMM"))


@explains("del_tbal")
def E_del_tbal(cf: Coefficients) -> list[Part]:
    return [explicit("E_del_tbal", lambda m: trade_balance_value(m) - m.cf.TBAL)]


@explains("del_tbalry")
def E_del_tbalry(cf: Coefficients) -> list[Part]:
    def build(m: ModelContext) -> Term:
        world = income_value(m).sum("REG").expand(R)
        return (trade_balance_value(m) / world - m.cf.TBAL / m.cf.INCOMEWLD) * 100.0

    return [explicit("E_del_tbalry", build)]


# ---------------------------------------------------------------------- cge extension: trade-balance targets
@explains("del_tbalpf")
def E_del_tbalpf(cf: Coefficients) -> list[Part]:
    """The trade balance in numeraire units, ``100 (TB / pfactwld - TBAL) / INCOMEWLD`` [percentage
    points of benchmark world income]: a target in US$ (``usd_bn``) that a numeraire shock scales
    with every other value (homogeneity). In US$ million the residual of an exogenous balance
    would be ~1e6 times larger than the model's others, beyond what Newton's tolerance can reach."""

    def build(m: ModelContext) -> Term:
        return (trade_balance_value(m) / m.v("pfactwld").expand(R) - m.cf.TBAL) * float(100.0 / m.cf.INCOMEWLD)

    return [explicit("E_del_tbalpf", build)]


@explains("del_tbalgdp")
def E_del_tbalgdp(cf: Coefficients) -> list[Part]:
    """The trade balance as a share of the region's GDP at market prices (GDPEXP, :func:`gdp_value`),
    ``100 (TB / GDP - TBAL / GDP0)`` [percentage points]."""
    return [explicit("E_del_tbalgdp", lambda m: (trade_balance_value(m) / gdp_value(m) - m.cf.TBAL / m.cf.GDP) * 100.0)]


def net_investment(m: ModelContext) -> Term:
    cf = m.cf
    return m.v("pinv") * (m.v("qinv") * cf.REGINV - m.v("kb") * cf.VDEP)


@explains("walras_sup")
def E_walras_sup(cf: Coefficients) -> list[Part]:
    return [explicit("E_walras_sup", lambda m: net_investment(m).sum("REG") / m.cf.GLOBINV)]


@explains("walras_dem")
def E_walras_dem(cf: Coefficients) -> list[Part]:
    return [explicit("E_walras_dem", lambda m: (m.v("save_value") * m.cf.SAVE).sum("REG") / m.cf.SAVE.sum())]


@explains("walraslack")
def E_walraslack(cf: Coefficients) -> list[Part]:
    return [explicit("E_walraslack", lambda m: m.v("walras_sup") / m.v("walras_dem"))]
