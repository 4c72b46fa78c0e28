"""Random but exactly balanced GTAP v7 databases, for tests and benchmarks (no licensed data).

The construction closes every identity of :mod:`cge.gtap.checks` by construction: demands are
drawn first (input-output coefficients, final demand levels, import and sourcing shares, tax
rates, margin rates), commodity supply at basic prices is the sum of the demands for it, the
make matrix splits it across activities, each activity's output is found by fixed-point
iteration, and then factor payments are the residual of costs = sales and net saving the residual
of income = expenditure. World saving equals world net investment as an accounting consequence
(world exports FOB + margin supply = world imports CIF).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from cge.gtap import schema as sc
from cge.gtap.accounts import TAX_PAIRS
from cge.gtap.database import conform_database

__all__ = ["synthetic_database"]

ENDOWMENTS = ("UnSkLab", "SkLab", "Capital", "Land", "NatRes")
"""Two mobile labour types and capital, sluggish land, a sector-specific natural resource."""
MOBILE, SLUGGISH, FIXED = ("UnSkLab", "SkLab", "Capital"), ("Land",), ("NatRes",)
AGENTS = ("P", "G", "I")
"""Final demand: private household, government, investment."""
FINAL_SHARES = {"P": 0.60, "G": 0.17, "I": 0.23}
"""Shares of final demand at purchasers' prices in each region's absorption."""
SAVE_TARGET = 0.15
"""Net saving aimed at, as a share of regional income (the result differs by the trade balance)."""
MIN_SAVE = 0.03
"""Smallest net saving, as a share of income, accepted before private demand is rescaled."""
ITERATIONS = 200
CONVERGED = 1e-14


@dataclass
class _Draws:
    """Every random ingredient of one database (numpy arrays, axes in schema order)."""

    A: np.ndarray  # intermediate coefficients (c, a, r), purchasers' prices per unit of output
    dom_firm: np.ndarray  # domestic share of firms' purchases (c, a, r)
    final: np.ndarray  # final demand at purchasers' prices (h, c, r)
    dom_final: np.ndarray  # domestic share of final purchases (h, c, r)
    source: np.ndarray  # import sourcing shares (c, s, d), Σs = 1, zero diagonal
    margin_rate: np.ndarray  # margins per unit CIF (m, c, s, d)
    margin_supply: np.ndarray  # shares of regions in each margin's supply (m, r)
    make: np.ndarray  # shares of activities in each commodity's supply (c, a, r)
    factor_shares: np.ndarray  # (e, a, r), Σe = 1
    t_firm_d: np.ndarray
    t_firm_m: np.ndarray
    t_final_d: np.ndarray  # (h, c, r)
    t_final_m: np.ndarray
    t_factor: np.ndarray  # (e, a, r)
    t_income: np.ndarray  # (e, a, r)
    t_output: np.ndarray  # (c, a, r)
    t_export: np.ndarray  # (c, s, d)
    t_import: np.ndarray  # (c, s, d)
    depreciation: np.ndarray  # VDEP / gross investment (r)
    dep_rate: np.ndarray  # VDEP / VKB (r)
    population: np.ndarray  # (r) million persons


def _rates(rng, shape, low, high) -> np.ndarray:
    """Tax rates in [low, high], at least one negative (a subsidy) when low < 0."""
    rates = rng.uniform(low, high, shape)
    if low < 0:
        rates.flat[rng.integers(rates.size)] = low / 2
    return rates


def _make_pattern(n_comm: int, n_acts: int) -> np.ndarray:
    """Which activity produces which commodity (c, a): non-diagonal, every row and column used.

    Activity 0 makes commodities 0 and 1, and commodity 1 is also made by activity 1; beyond
    that commodity c is made by activity c mod n_acts and activity a makes commodity a mod n_comm.
    """
    pattern = np.zeros((n_comm, n_acts), dtype=bool)
    pattern[np.arange(n_comm), np.arange(n_comm) % n_acts] = True
    pattern[np.arange(n_acts) % n_comm, np.arange(n_acts)] = True
    pattern[0, 0] = pattern[1, 0] = pattern[1, 1] = True
    return pattern


def _endowment_pattern(n_acts: int) -> np.ndarray:
    """Which endowment each activity uses (e, a): land in about a third of them (activity 0
    among them), the natural resource in activity 1 and about a fifth of the others."""
    use = np.ones((len(ENDOWMENTS), n_acts), dtype=bool)
    acts = np.arange(n_acts)
    use[ENDOWMENTS.index("Land")] = (acts % 3 == 0) | (acts == 0)
    use[ENDOWMENTS.index("NatRes")] = (acts % 5 == 1) | (acts == 1)
    return use


def _draw(rng, n_reg: int, n_comm: int, n_acts: int, n_marg: int) -> _Draws:
    C, A, R, M, H = n_comm, n_acts, n_reg, n_marg, len(AGENTS)
    size = rng.lognormal(12.0, 0.8, R)  # absorption [US$ million], GDP-like spread
    input_share = rng.uniform(0.3, 0.6, (A, R))
    weights = rng.gamma(1.0, 1.0, (C, A, R))
    A_coef = weights / weights.sum(0) * input_share
    final_mix = rng.gamma(1.5, 1.0, (H, C, R))
    final_mix /= final_mix.sum(1, keepdims=True)
    final = np.stack([FINAL_SHARES[h] * final_mix[i] * size for i, h in enumerate(AGENTS)])
    source = rng.uniform(0.2, 1.0, (C, R, R)) * size[None, :, None]
    source[:, np.arange(R), np.arange(R)] = 0.0
    source /= source.sum(1, keepdims=True)
    make = rng.uniform(0.2, 1.0, (C, A, R)) * _make_pattern(C, A)[:, :, None]
    make /= make.sum(1, keepdims=True)
    factors = rng.uniform(0.2, 1.0, (len(ENDOWMENTS), A, R)) * _endowment_pattern(A)[:, :, None]
    factors /= factors.sum(0, keepdims=True)
    margin_supply = rng.uniform(0.2, 1.0, (M, R)) * size
    margin_supply /= margin_supply.sum(1, keepdims=True)
    return _Draws(
        A=A_coef,
        dom_firm=rng.uniform(0.5, 0.9, (C, A, R)),
        final=final,
        dom_final=rng.uniform(0.6, 0.95, (H, C, R)),
        source=source,
        margin_rate=rng.uniform(0.01, 0.05, (M, C, R, R)),
        margin_supply=margin_supply,
        make=make,
        factor_shares=factors,
        t_firm_d=_rates(rng, (C, A, R), -0.05, 0.15),
        t_firm_m=_rates(rng, (C, A, R), -0.05, 0.15),
        t_final_d=_rates(rng, (H, C, R), -0.05, 0.2),
        t_final_m=_rates(rng, (H, C, R), -0.05, 0.2),
        t_factor=_rates(rng, (len(ENDOWMENTS), A, R), -0.05, 0.2),
        t_income=_rates(rng, (len(ENDOWMENTS), A, R), -0.05, 0.3),
        t_output=_rates(rng, (C, A, R), -0.05, 0.1),
        t_export=_rates(rng, (C, R, R), -0.05, 0.1),
        t_import=_rates(rng, (C, R, R), -0.02, 0.3),
        depreciation=rng.uniform(0.3, 0.5, R),
        dep_rate=rng.uniform(0.04, 0.07, R),
        population=rng.lognormal(3.0, 1.0, R),
    )


def _flows(d: _Draws, output: np.ndarray, margins: np.ndarray) -> dict[str, np.ndarray]:
    """Every flow implied by activity output ``output`` (a, r) at supply prices."""
    f: dict[str, np.ndarray] = {}
    purchases = d.A * output
    f["VDFP"] = purchases * d.dom_firm
    f["VMFP"] = purchases - f["VDFP"]
    f["VDFB"] = f["VDFP"] / (1 + d.t_firm_d)
    f["VMFB"] = f["VMFP"] / (1 + d.t_firm_m)
    dom = d.final * d.dom_final
    for i, h in enumerate(AGENTS):
        f[f"VD{h}P"], f[f"VM{h}P"] = dom[i], d.final[i] - dom[i]
        f[f"VD{h}B"] = dom[i] / (1 + d.t_final_d[i])
        f[f"VM{h}B"] = f[f"VM{h}P"] / (1 + d.t_final_m[i])
    imports = f["VMFB"].sum(1) + f["VMPB"] + f["VMGB"] + f["VMIB"]  # (c, d)
    f["VMSB"] = d.source * imports[:, None, :]
    f["VCIF"] = f["VMSB"] / (1 + d.t_import)
    f["VTWR"] = d.margin_rate * f["VCIF"]
    f["VFOB"] = f["VCIF"] - f["VTWR"].sum(0)
    f["VXSB"] = f["VFOB"] / (1 + d.t_export)
    f["VST"] = d.margin_supply * f["VTWR"].sum((1, 2, 3))[:, None]
    supply = f["VDFB"].sum(1) + f["VDPB"] + f["VDGB"] + f["VDIB"] + f["VXSB"].sum(2)
    supply[margins] += f["VST"]
    f["MAKB"] = d.make * supply[:, None, :]
    f["MAKS"] = f["MAKB"] / (1 + d.t_output)
    return f


def _balanced(d: _Draws, margins: np.ndarray) -> dict[str, np.ndarray]:
    output = d.final.sum((0, 1))[None, :] * np.ones((d.A.shape[1], 1)) / d.A.shape[1]
    for _ in range(ITERATIONS):
        f = _flows(d, output, margins)
        new = f["MAKS"].sum(0)
        done = np.max(np.abs(new - output) / new) < CONVERGED
        output = new
        if done:
            break
    f = _flows(d, output, margins)
    factor_cost = f["MAKS"].sum(0) - (f["VDFP"] + f["VMFP"]).sum(0)  # costs = sales, exactly
    f["EVFP"] = d.factor_shares * factor_cost
    f["EVFB"] = f["EVFP"] / (1 + d.t_factor)
    f["EVOS"] = f["EVFB"] * (1 - d.t_income)
    investment = f["VDIP"].sum(0) + f["VMIP"].sum(0)
    f["VDEP"] = d.depreciation * investment
    f["VKB"] = f["VDEP"] / d.dep_rate
    taxes = sum((f[p] - f[b]).sum(tuple(range(f[p].ndim - 1))) for p, b in _TAXED) + _trade_taxes(f)
    income = f["EVFB"].sum((0, 1)) - f["VDEP"] + taxes
    f["SAVE"] = income - (f["VDPP"] + f["VMPP"] + f["VDGP"] + f["VMGP"]).sum(0)
    return f


_TAXED = [pair for base, pairs in TAX_PAIRS.items() if base not in ("exports", "imports") for pair in pairs]
"""(purchasers' or post-tax value, pre-tax value): revenue collected in the region of the last axis."""


def _trade_taxes(f: dict[str, np.ndarray]) -> np.ndarray:
    """Export taxes (in the exporter) and tariffs (in the importer) by region."""
    return (f["VFOB"] - f["VXSB"]).sum((0, 2)) + (f["VMSB"] - f["VCIF"]).sum((0, 1))


def _income(f: dict[str, np.ndarray]) -> np.ndarray:
    return f["SAVE"] + (f["VDPP"] + f["VMPP"] + f["VDGP"] + f["VMGP"]).sum(0)


def _scale_private(d: _Draws, f: dict[str, np.ndarray]) -> None:
    """Rescale private demand so net saving is near SAVE_TARGET of income (keeps it positive)."""
    private = (f["VDPP"] + f["VMPP"]).sum(0)
    wanted = private + f["SAVE"] - SAVE_TARGET * _income(f)
    d.final[0] *= np.clip(wanted / private, 0.5, 1.5)


def _parameters(rng, C: int, A: int, R: int, M: int) -> dict[str, np.ndarray]:
    esubd = rng.uniform(1.5, 4.0, C)
    etrae = np.array([{"Land": -1.0, "NatRes": -0.001}.get(e, 0.0) for e in ENDOWMENTS])
    return {
        "ESUBT": np.where(rng.random((A, R)) < 0.5, 0.0, rng.uniform(0.1, 0.5, (A, R))),
        "ESUBC": np.where(rng.random((A, R)) < 0.5, 0.0, rng.uniform(0.1, 0.5, (A, R))),
        "ESUBVA": np.repeat(rng.uniform(0.2, 1.5, (A, 1)), R, 1),
        "ETRAQ": -rng.uniform(1.0, 5.0, (A, R)),
        "ESUBQ": np.where(rng.random((C, R)) < 0.5, 0.0, rng.uniform(0.1, 1.0, (C, R))),
        "INCPAR": rng.uniform(0.3, 1.3, (C, R)),
        "SUBPAR": rng.uniform(0.1, 0.9, (C, R)),
        "ESUBG": rng.uniform(0.0, 1.0, R),
        "ESUBI": rng.uniform(0.0, 1.0, R),
        "ESUBD": np.repeat(esubd[:, None], R, 1),
        "ESUBM": np.repeat(2 * esubd[:, None], R, 1),
        "ESUBS": np.ones(M),
        "ETRAE": etrae[:, None] * rng.uniform(0.5, 2.0, (1, R)),
        "RORFLEX": np.full(R, 10.0),
    }


MAX_SET_SIZE = 200
"""Most regions, commodities or activities of a synthetic database (GTAP 11 has 160 regions and
65 sectors; at 200 x 200, VTWR, margins x commodities x regions x regions, has 8 million values per
margin commodity)."""


def synthetic_database(
    regions: int = 3,
    commodities: int = 4,
    activities: int | None = None,
    seed: int = 0,
    margins: int = 2,
) -> xr.Dataset:
    """A random GTAP v7 database, balanced to rounding, in the format of :func:`load_database`.

    Parameters
    ----------
    regions : int
        Number of regions (at least 2).
    commodities : int
        Number of commodities (more than ``margins``); the last ``margins`` are margin commodities.
    activities : int, optional
        Number of activities (at least 2); default: as many as commodities. The make matrix is
        never diagonal: activity ``a00`` makes ``c00`` and ``c01``, and ``c01`` is also made by
        ``a01``.
    seed : int
        Seed of the random numbers; the same arguments give the same database.
    margins : int
        Number of margin commodities (at least 2 by default, as the brief of issue 16 asks).

    Returns
    -------
    xarray.Dataset
        Flows in US$ million with taxes on every flow (some negative: subsidies), international
        margins on every trade flow, endowments UnSkLab, SkLab, Capital (mobile), Land
        (sluggish, in some activities), NatRes (sector-specific, in some activities), positive
        SAVE, VDEP, VKB, POP, DPSM = 1, parameters in GTAP's usual ranges. Every identity of
        :func:`cge.gtap.check_database` holds to about 1e-13 of its flows.
    """
    C, R, M = commodities, regions, margins
    A = commodities if activities is None else activities
    if R < 2 or A < 2 or M < 1 or C <= M:
        raise ValueError(
            f"a synthetic database needs at least 2 regions, 2 activities, 1 margin and more commodities than "
            f"margins; got regions={R}, commodities={C}, activities={A}, margins={M}"
        )
    if max(R, C, A) > MAX_SET_SIZE:
        raise ValueError(
            f"a synthetic database has at most {MAX_SET_SIZE} regions, commodities and activities (GTAP 11 has "
            f"160 regions and 65 sectors); got regions={R}, commodities={C}, activities={A}"
        )
    rng = np.random.default_rng(seed)
    draws = _draw(rng, R, C, A, M)
    is_margin = np.arange(C) >= C - M
    flows = _balanced(draws, is_margin)
    for _ in range(4):
        if (flows["SAVE"] / _income(flows)).min() > MIN_SAVE:
            break
        _scale_private(draws, flows)
        flows = _balanced(draws, is_margin)
    labels = {
        sc.REG: [f"r{i:02d}" for i in range(R)],
        sc.COMM: [f"c{i:02d}" for i in range(C)],
        sc.ACTS: [f"a{i:02d}" for i in range(A)],
        sc.ENDW: list(ENDOWMENTS),
    }
    labels[sc.MARG] = [c for c, m in zip(labels[sc.COMM], is_margin) if m]
    coords = {**labels, sc.REG_2: labels[sc.REG], sc.ENDWT: ["mobile", "sluggish", "fixed"]}
    variables: dict[str, tuple[tuple[str, ...], np.ndarray | np.generic]] = {}
    for name, values in {**flows, **_parameters(rng, C, A, R, M)}.items():
        dims = sc.schema()[name].dims
        variables[name] = (dims, values)
    variables["POP"] = ((sc.REG,), draws.population)
    variables["DPSM"] = ((sc.REG,), np.ones(R))
    variables["RORDELTA"] = ((), np.int64(1))
    flag = np.array([[e in MOBILE, e in SLUGGISH, e in FIXED] for e in ENDOWMENTS], dtype=float)
    variables["ENDOWFLAG"] = ((sc.ENDW, sc.ENDWT), flag)
    ds = xr.Dataset(variables, coords=coords)
    ds.attrs = {
        "source": "cge.gtap.synthetic_database",
        "synthetic": f"regions={R}, commodities={C}, activities={A}, margins={M}, seed={seed}",
    }
    return conform_database(ds, where="synthetic database")
