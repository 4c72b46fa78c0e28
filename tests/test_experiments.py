"""The scenario library on the shipped SAM: every file parses and solves; headline signs; golden results."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import cge
from cge.paths import CALIBRATION_DIR

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "experiments").glob("*.toml"))
FAMILIES = ("baseline", "termination", "split", "tariff25", "retaliation", "sectoral", "na_trade_stop")
MEMBERS = ["USA", "MEX", "CAN"]


@pytest.fixture(scope="module")
def library() -> xr.Dataset:
    return cge.run(FILES)


def test_every_file_parses_with_a_family_name():
    assert len(FILES) >= 17
    names = [cge.Scenario.from_toml(f).name for f in FILES]
    for name in names:
        assert any(f in name for f in FAMILIES), name
    medium_run = [n for n in names if not n.endswith(("_shortrun", "_longrun")) and n != "baseline"]
    for name in medium_run:  # each headline scenario has its short-run and long-run twins
        assert f"{name}_shortrun" in names, name
        assert f"{name}_longrun" in names, name
    assert len(names) == 1 + 3 * len(medium_run)


def test_sectoral_rates_match_the_weights_file():
    weights = pd.read_csv(CALIBRATION_DIR / "tariffs" / "us_2025_measure_weights.csv")
    expected = weights.groupby(["exporter", "sector"])["effective_rate_pct"].sum()
    scen = cge.Scenario.from_toml(ROOT / "experiments" / "sectoral_2025.toml")
    got = {(row.exporter, row.commodity): row.change_pct for row in scen.tariffs}
    assert set(got) == set(expected.index)
    for key, value in got.items():
        assert value == pytest.approx(expected[key], abs=1e-3), key


def test_library_solves(library):
    assert float(library["max_residual"].max()) < 1e-8
    assert float(library["walras_residual"].max()) < 1e-8
    assert int(library["iterations"].sel(scenario="baseline")) == 0


def test_headline_signs(library):
    for name in (
        "termination",
        "tariff25",
        "tariff25_retaliation",
        "termination_shortrun",
        "tariff25_shortrun",
        "termination_longrun",
        "tariff25_longrun",
    ):
        gdp = library["real_gdp_pct"].sel(scenario=name, region=MEMBERS)
        assert (gdp < 0).all(), (name, gdp.values)
    agri = library["agrifood_exports"].sel(exporter="USA", importer=["MEX", "CAN"])
    assert (agri.sel(scenario="tariff25_retaliation") < agri.sel(scenario="tariff25")).all()
    assert (agri.sel(scenario="tariff25_retaliation") < agri.sel(scenario="baseline")).all()


def test_baseline_reproduces_controls(library):
    base = library.sel(scenario="baseline")
    goods = base["exports"].where(base["goods"], 0.0).sum("commodity")
    assert float(goods.sel(exporter="USA", importer="CAN")) == pytest.approx(348.5, rel=0.02)
    assert float(goods.sel(exporter="USA", importer="MEX")) == pytest.approx(334.0, rel=0.02)
    assert float(base["agrifood_exports"].sel(exporter="USA", importer="MEX")) == pytest.approx(31.4, rel=0.10)
    for region, gdp in (("USA", 29184.89), ("MEX", 1856.37), ("CAN", 2243.64)):
        assert float(base["real_gdp"].sel(region=region)) == pytest.approx(gdp, rel=0.01)


def test_short_run_moves_employment(library):
    short = library["employment_total"].sel(scenario="tariff25_shortrun", region=MEMBERS)
    base = library["employment_total"].sel(scenario="baseline", region=MEMBERS)
    assert (short < base).all()
    medium = library["employment_total"].sel(scenario="tariff25", region=MEMBERS)
    np.testing.assert_allclose(medium, base, rtol=1e-9)  # full employment


def test_welfare_decomposition_residual_below_one_percent(library):
    """Issue 8: the decomposition sums to EV within 1 % of |EV| on every library scenario."""
    dec, ev = library["ev_decomposition"], library["ev"]
    np.testing.assert_allclose(dec.sum("component"), ev, rtol=1e-10, atol=1e-12)
    shocked = library.scenario.values[library.scenario.values != "baseline"]
    residual = abs(dec.sel(component="residual", scenario=shocked))
    assert (residual <= 0.01 * abs(ev.sel(scenario=shocked))).all()
    assert float(abs(dec.sel(scenario="baseline")).max()) < 1e-9


def test_trade_jobs_measure_has_no_scale_factor(library):
    """Our measure (published definition) is reported beside the published 13 million, never scaled."""
    assert "us_na_trade_jobs" not in library
    jobs, parts = library["us_na_trade_jobs_model"], library["us_na_trade_jobs_parts"]
    np.testing.assert_allclose(parts.sum("part"), jobs, rtol=1e-12)
    assert (parts.sel(scenario="baseline") > 0).all()
    attrs = jobs.attrs
    base = float(jobs.sel(scenario="baseline"))
    assert attrs["published_persons"] == 13.0e6
    assert attrs["published_over_model"] == pytest.approx(13.0e6 / base, rel=1e-12)
    assert 0.5 < attrs["published_over_model"] < 2.0  # issue 8's expectation once the parts are counted
    # trade with the partners stopped: almost no jobs supported by it remain
    for name in ("na_trade_stop", "na_trade_stop_shortrun"):
        assert float(jobs.sel(scenario=name)) < 0.01 * base


def test_trade_stop_counterfactual(library):
    """Jobs that would move (full employment) or be lost (sluggish wages) without NA trade."""
    base = library["employment_total"].sel(scenario="baseline", region="USA")
    moved = library["employment_reallocation"].sel(region="USA")
    assert float(moved.sel(scenario="na_trade_stop")) > 1e5
    lost = library["employment_total"].sel(scenario="na_trade_stop_shortrun", region="USA") - base
    assert float(lost) < -1e5
    np.testing.assert_allclose(library["employment_total"].sel(scenario="na_trade_stop", region="USA"), base, rtol=1e-9)


def test_matches_golden(library):
    """Regenerate with scripts/regenerate_golden.py after a deliberate change."""
    with xr.open_dataset(ROOT / "tests" / "golden" / "library.nc", engine="h5netcdf") as golden:
        golden = golden.load()
    assert list(golden.scenario.values) == list(library.scenario.values)
    for name in golden.data_vars:
        np.testing.assert_allclose(library[name].values, golden[name].values, rtol=1e-6, atol=1e-6, err_msg=name)


def test_scenario_names_are_unique_and_clean():
    names = [cge.Scenario.from_toml(f).name for f in FILES]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z0-9_]+", n) for n in names)


def test_every_result_variable_has_long_name_and_units(library):
    from cge.indicators import indicator_table

    documented = set(indicator_table().index)
    for name, var in library.data_vars.items():
        assert name in documented, f"{name} has no row in cge/indicators.csv"
        assert var.attrs.get("long_name"), name
        assert "units" in var.attrs, name
    for key in ("sam_hash", "elasticity_hash", "cge_version", "package_versions", "git_commit"):
        assert library.attrs[key], key
    assert library["scenario_description"].sel(scenario="termination").item()
    assert library["us_na_trade_jobs_model"].attrs["published_over_model"] > 0
    assert set(library["exports"].coords) >= {"goods", "agrifood"}


def test_closure_comparison_script(tmp_path):
    """experiments/closure_comparison.py runs on the public API and writes its CSV."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("closure_comparison", ROOT / "experiments" / "closure_comparison.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    table = module.closure_table()
    assert len(table) == 27  # 9 scenarios x 3 members
    for name in ("termination", "termination_longrun"):
        full_employment = table.xs(name, level="scenario")["employment change [persons]"]
        assert (full_employment.abs() < 1e-3).all()  # full employment: persons unchanged
    short_run = table.xs("termination_shortrun", level="scenario")["employment change [persons]"]
    assert (short_run < 0).all()
