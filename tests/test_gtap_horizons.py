"""The project's closures on GTAP v7 (cge.gtap.horizons): every horizon and macro rule replicates,
is homogeneous, satisfies Walras' law and does what it says; degenerate closures are refused."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from cge.errors import CmfError
from cge.gtap import synthetic_database
from cge.gtap.horizons import capital_endowments, gtap_closure, labour_endowments
from cge.gtap.simulate import solve

HORIZONS = ("short_run", "medium_run", "long_run")
MACROS = ("rate_of_return", "global_bank", "fixed_trade_balance")


@pytest.fixture(scope="module")
def database() -> xr.Dataset:
    return synthetic_database(regions=3, commodities=4, seed=1)


@pytest.mark.parametrize("macro", MACROS)
@pytest.mark.parametrize("horizon", HORIZONS)
def test_every_closure_replicates_is_homogeneous_and_clears(database, horizon, macro) -> None:
    closure = gtap_closure(database, horizon, macro=macro)
    replication = solve(closure.database, {}, **closure.solve_options())
    assert replication.attrs["newton_iterations"] == 0
    doubled = solve(closure.database, {"pfactwld": 100.0}, **closure.solve_options())
    for name in ("qgdp", "qo", "qfe", "qxs", "qinv", "EV", "u"):
        assert float(np.abs(doubled[name]).max()) < 1e-7, name
    assert np.allclose(doubled["pgdp"], 100.0, atol=1e-7)
    tariff = solve(closure.database, {"tm": 10.0}, **closure.solve_options())
    assert abs(float(tariff["walraslack"])) < 1e-9
    assert tariff.attrs["max_residual"] < 1e-9


def test_the_wage_curve_binds_employment_to_the_real_wage(database) -> None:
    elasticity = {"r00": 0.5, "r01": 2.0, "r02": 0.1}
    closure = gtap_closure(database, "medium_run", labour="wage_curve", wage_elasticity=elasticity)
    result = solve(closure.database, {"tm": 10.0}, **closure.solve_options())
    for labour in labour_endowments(database):
        qe = 1 + result["qe"].sel(ENDWMS=labour) / 100
        real_wage = 1 + result["rwage"].sel(ENDWMS=labour) / 100
        exponent = xr.DataArray([elasticity[str(r)] for r in result["REG"].values], dims="REG")
        assert np.allclose(qe, real_wage**exponent, rtol=1e-9)
        assert float(np.abs(result["qe"].sel(ENDWMS=labour)).min()) > 1e-4  # employment moved


def test_a_fixed_real_wage_holds_and_full_employment_holds(database) -> None:
    fixed = gtap_closure(database, labour_by_region={"r01": "fixed_real_wage"})
    result = solve(fixed.database, {"tm": 10.0}, **fixed.solve_options())
    for labour in labour_endowments(database):
        assert abs(float(result["rwage"].sel(ENDWMS=labour, REG="r01"))) < 1e-9
        assert abs(float(result["qe"].sel(ENDWMS=labour, REG="r01"))) > 1e-3
        assert float(np.abs(result["qe"].sel(ENDWMS=labour, REG=["r00", "r02"])).max()) < 1e-9


def test_short_run_capital_stays_where_it_is(database) -> None:
    closure = gtap_closure(database, "short_run")
    result = solve(closure.database, {"tm": 10.0}, **closure.solve_options())
    for capital in capital_endowments(database):
        assert float(np.abs(result["qfe"].sel(ENDW=capital)).max()) < 1e-9
        assert float(np.abs(result["pfe"].sel(ENDW=capital)).std()) > 1e-3  # rentals differ by activity


def test_long_run_capital_adjusts_at_a_fixed_rate_of_return(database) -> None:
    closure = gtap_closure(database, "long_run")
    result = solve(closure.database, {"tm": 10.0}, **closure.solve_options())
    assert float(np.abs(result["rorc"]).max()) < 1e-9
    for capital in capital_endowments(database):
        assert float(np.abs(result["qe"].sel(ENDWMS=capital)).min()) > 1e-3


def test_a_fixed_trade_balance_stays_fixed(database) -> None:
    closure = gtap_closure(database, macro="fixed_trade_balance")
    result = solve(closure.database, {"tm": 10.0}, **closure.solve_options())
    assert float(np.abs(result["del_tbalry"]).max()) < 1e-9  # the last region mirrors the others


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"horizon": "long_run", "labour_by_region": {"r01": "fixed_real_wage"}}, "region r01: a fixed real wage"),
        ({"labour_by_region": {"MARS": "wage_curve"}}, "region 'MARS' is not in the database"),
        ({"labour": "wage_curve", "wage_elasticity": {"r00": 0.0}}, "region r00: the wage curve needs"),
        ({"rorflex": -1.0}, "RORFLEX must be positive"),
    ],
)
def test_bad_closures_are_refused_in_one_line(database, kwargs, message) -> None:
    with pytest.raises(CmfError, match=message):
        gtap_closure(database, **kwargs)


@pytest.mark.parametrize("kwargs", [{"horizon": "winter"}, {"macro": "keynes"}])
def test_unknown_closure_names_are_refused(database, kwargs) -> None:
    with pytest.raises(ValueError, match="is not a valid"):
        gtap_closure(database, **kwargs)
