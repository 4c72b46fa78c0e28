"""Declaration of the model's variables and shock parameters (one place, documented by metadata.csv)."""

from __future__ import annotations

import pyomo.environ as pyo

from cge.model.ces import Sigma, is_special
from cge.model.index import ModelIndex
from cge.model.lookup import Lookup
from cge.model.metadata import doc


def _var(m: pyo.ConcreteModel, name: str, index) -> None:
    setattr(m, name, pyo.Var(index, domain=pyo.PositiveReals, initialize=1.0, doc=doc(name)))


RORFLEX = 10.0
"""GTAP's default flexibility of expected rates of return with respect to investment (RORFLEX,
Hertel 1997 ch. 2; the value in the GTAP parameter files) [unitless]."""
WORLD = "world"
"""Index of the world-level variables of the rate-of-return global bank."""


def declare_variables(
    m: pyo.ConcreteModel, ix: ModelIndex, endogenous: list[tuple[str, str]], world_rate: bool
) -> None:
    """Declare every endogenous variable (all are indices equal to 1 at the benchmark).

    Parameters
    ----------
    m : ConcreteModel
        The model under construction.
    ix : ModelIndex
        Sparse index sets.
    endogenous : list of (factor, region)
        Endowments that the closure makes variables (labour under the wage curve or the fixed
        real wage, capital under the steady state): their index ``qendow``.
    world_rate : bool
        Declare the global bank's expected rate of return ``rorg`` (rate-of-return closure).
    """
    _var(m, "py", ix.activities)
    _var(m, "qo", ix.activities)
    _var(m, "pf", ix.mobile_factors)
    _var(m, "pfs", ix.specific_uses)
    _var(m, "qendow", endogenous)
    _var(m, "pa", ix.armington)
    _var(m, "qa", ix.armington)
    _var(m, "y", ix.regions)
    _var(m, "pfd", ix.fd_agents)
    _var(m, "qfdt", ix.fd_agents)
    _var(m, "rorg", [WORLD] if world_rate else [])


def declare_parameters(m: pyo.ConcreteModel, ix: ModelIndex, lk: Lookup) -> None:
    """Declare the shock instruments as mutable parameters at their benchmark values.

    Tariffs ``tm`` and export taxes ``te`` are ad-valorem rates [fraction]; ``tau`` iceberg
    costs, ``endowment``, ``real_wage`` and ``pnum`` are indices [benchmark = 1]; ``to`` is the
    production tax rate [fraction]. Being parameters, a new scenario changes values only, never
    the model's structure, so the solver's compiled functions are reused.
    """
    tm0, te0, to0 = lk("tm0"), lk("te0"), lk("to0")
    m.tm = pyo.Param(ix.flows, mutable=True, initialize=lambda _m, i, s, r: tm0[i, s, r], doc=doc("tm"))
    m.te = pyo.Param(ix.flows, mutable=True, initialize=lambda _m, i, s, r: te0[i, s, r], doc=doc("te"))
    m.tau = pyo.Param(ix.flows, mutable=True, initialize=1.0, doc=doc("tau"))
    m.to = pyo.Param(ix.activities, mutable=True, initialize=lambda _m, j, r: to0[j, r], doc=doc("to"))
    endowed = sorted({(f, r) for f, _j, r in ix.factor_uses})
    m.endowment = pyo.Param(endowed, mutable=True, initialize=1.0, doc=doc("endowment"))
    m.real_wage = pyo.Param(ix.labour_factors, mutable=True, initialize=1.0, doc=doc("real_wage"))
    m.pnum = pyo.Param(mutable=True, initialize=1.0, doc=doc("pnum"))
    declare_closure_parameters(m, ix, lk)


def declare_closure_parameters(m: pyo.ConcreteModel, ix: ModelIndex, lk: Lookup) -> None:
    """Declare the values inside closures as mutable parameters (a new value re-uses the model).

    ``labour_supply_elasticity`` [unitless] (wage curve, calibrated), ``real_rental`` [index]
    (steady state), ``rorflex`` [unitless] (rate-of-return bank, GTAP's RORFLEX), ``tb_level``
    [US$ million in numeraire units, benchmark = the SAM's trade balance] and ``tb_share``
    [fraction of GDP, benchmark 0] (trade-balance targets).
    """
    eps, tb0 = lk("labour_supply_elasticity"), lk("tb0")
    regions = list(ix.regions)
    m.labour_supply_elasticity = pyo.Param(
        regions, mutable=True, initialize=lambda _m, r: eps[r], doc=doc("labour_supply_elasticity")
    )
    m.real_rental = pyo.Param(ix.capital_factors, mutable=True, initialize=1.0, doc=doc("real_rental"))
    m.rorflex = pyo.Param(regions, mutable=True, initialize=RORFLEX, doc=doc("rorflex"))
    m.tb_level = pyo.Param(regions, mutable=True, initialize=lambda _m, r: tb0[r], doc=doc("tb_level"))
    m.tb_share = pyo.Param(regions, mutable=True, initialize=0.0, doc=doc("tb_share"))


SECTOR_SIGMAS = ("sigma_d", "sigma_m", "sigma_va", "sigma_t", "sigma_nd")
"""Per-sector elasticities (Armington by commodity; production nests by activity)."""
AGENT_SIGMAS = ("sigma_c", "sigma_g", "sigma_i")
"""Final-demand elasticities (one value per model)."""


def declare_elasticities(m: pyo.ConcreteModel, ix: ModelIndex, lk: Lookup) -> None:
    """Declare the elasticities as mutable parameters at their calibrated values [unitless].

    The calibrated value of each elasticity chooses its functional form (see
    :class:`cge.model.ces.Sigma`); the parameter carries the number, so a sensitivity analysis
    that keeps the forms re-uses the compiled model.
    """
    for name in SECTOR_SIGMAS:
        values = lk(name)
        param = pyo.Param(ix.commodities, mutable=True, initialize=lambda _m, k, v=values: v[k], doc=doc(name))
        setattr(m, name, param)
    for name in AGENT_SIGMAS:
        setattr(m, name, pyo.Param(mutable=True, initialize=lk.scalar(name), doc=doc(name)))


def sigma(m: pyo.ConcreteModel, lk: Lookup, name: str, label: str | None = None) -> Sigma:
    """The elasticity ``name`` (of sector ``label``; None for final-demand ones) as a :class:`Sigma`."""
    if label is None:
        return Sigma(lk.scalar(name), getattr(m, name))
    return Sigma(lk(name)[label], getattr(m, name)[label])


def elasticity_values(cal) -> dict[str, dict]:
    """Values of the elasticity parameters of a calibration, for ``Solver.parameter_vector``.

    Returns
    -------
    dict
        ``{"sigma_d": {sector: value}, ..., "sigma_c": {None: value}, ...}`` [unitless].
    """
    data = cal.data
    out: dict[str, dict] = {
        name: {str(k): float(v) for k, v in zip(data[name][data[name].dims[0]].values, data[name].values)}
        for name in SECTOR_SIGMAS
    }
    out.update({name: {None: float(data[name].values)} for name in AGENT_SIGMAS})
    return out


def elasticity_forms(cal) -> tuple:
    """Which elasticities select a special form (Leontief or Cobb-Douglas): the part of a
    calibration's elasticities that is model structure. Two calibrations with the same forms
    can share one compiled model."""
    data = cal.data
    special: list[tuple[str, str | None, float]] = []
    for name in SECTOR_SIGMAS:
        labels = data[name][data[name].dims[0]].values
        special += [(name, str(k), float(v)) for k, v in zip(labels, data[name].values) if is_special(float(v))]
    special += [(name, None, float(data[name].values)) for name in AGENT_SIGMAS if is_special(float(data[name].values))]
    return tuple(special)
