"""The Eaton–Kortum-shaped stress database of ``benchmarks/ek_database.py`` (issue 18's stress
case): balanced by GTAP's checks, of the documented shape, replicated in 0 iterations, and its
shock cuts tariffs as documented."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from cge.gtap import check_database, solve

BUILDER = Path(__file__).resolve().parents[1] / "benchmarks" / "ek_database.py"


@pytest.fixture(scope="module")
def ek():
    spec = importlib.util.spec_from_file_location("ek_database", BUILDER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def database(ek):
    return ek.ek_database(regions=4, sectors=5, seed=1)


def test_shape_and_balance(ek, database):
    check_database(database, tol=1e-10)
    assert database.sizes["ENDW"] == 1 and bool(database["ENDC"].item()) and bool(database["ENDM"].item())
    for name in ("ESUBT", "ESUBC", "ESUBVA", "ESUBG", "ESUBI", "INCPAR"):
        assert np.all(database[name].values == 1.0), name
    np.testing.assert_array_equal(database["ESUBD"].values, database["ESUBM"].values)
    sigma = database["ESUBD"].isel(REG=0).values
    assert sigma.min() == pytest.approx(2.0) and sigma.max() == pytest.approx(52.0)
    assert np.unique(database["SUBPAR"].values).size == 1
    # no taxes but tariffs: purchasers' = basic prices, factor and output flows untaxed
    for pre, post in (("VDFB", "VDFP"), ("VMFB", "VMFP"), ("VDPB", "VDPP"), ("MAKS", "MAKB"), ("EVFB", "EVOS")):
        np.testing.assert_array_equal(database[pre].values, database[post].values)
    np.testing.assert_array_equal(database["VXSB"].values, database["VFOB"].values)
    margins = database["VTWR"].sum("MARG") / database["VCIF"].where(database["VCIF"] > 0)
    assert float(margins.max()) == pytest.approx(1e-6)


def test_replicates_in_zero_iterations(database):
    result = solve(database, {})
    assert result.attrs["newton_iterations"] == 0
    assert float(abs(result["qgdp"]).max()) < 1e-8


def test_tariff_cuts(ek, database):
    shock = ek.ek_tariff_cuts(database, cut_regions=2, max_cut=0.30)
    power = (database["VMSB"] / database["VCIF"]).where(database["VCIF"] > 0, 1.0)
    new = power * (1.0 + shock / 100.0)
    cut = database["REG_2"].isin(database["REG_2"].values[:2])
    np.testing.assert_allclose(new.where(cut, 0).values, np.maximum(power - 0.30, 1.0).where(cut, 0).values, atol=1e-12)
    np.testing.assert_allclose(new.where(~cut, 0).values, power.where(~cut, 0).values, atol=1e-12)
    assert float(shock.min()) < -15.0  # some cut reaches the full 30 pp


def test_refuses_zero_margins(ek):
    with pytest.raises(ValueError, match="margin_rate"):
        ek.ek_database(3, 4, margin_rate=0.0)
