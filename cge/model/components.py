"""Declaration of the model's variables and shock parameters (one place, documented by metadata.csv)."""

from __future__ import annotations

import pyomo.environ as pyo

from cge.model.index import ModelIndex
from cge.model.lookup import Lookup
from cge.model.metadata import doc


def _var(m: pyo.ConcreteModel, name: str, index) -> None:
    setattr(m, name, pyo.Var(index, domain=pyo.PositiveReals, initialize=1.0, doc=doc(name)))


def declare_variables(m: pyo.ConcreteModel, ix: ModelIndex, endogenous_labour: bool) -> None:
    """Declare every endogenous variable (all are indices equal to 1 at the benchmark).

    Parameters
    ----------
    m : ConcreteModel
        The model under construction.
    ix : ModelIndex
        Sparse index sets.
    endogenous_labour : bool
        True under the fixed real wage closure: labour endowments in use become variables.
    """
    _var(m, "py", ix.activities)
    _var(m, "qo", ix.activities)
    _var(m, "pf", ix.mobile_factors)
    _var(m, "pfs", ix.specific_uses)
    _var(m, "qendow", ix.labour_factors if endogenous_labour else [])
    _var(m, "pa", ix.armington)
    _var(m, "qa", ix.armington)
    _var(m, "y", ix.regions)
    _var(m, "pfd", ix.fd_agents)
    _var(m, "qfdt", ix.fd_agents)


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
