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
FAMILIES = ("baseline", "termination", "split", "tariff25", "retaliation", "sectoral")
MEMBERS = ["USA", "MEX", "CAN"]


@pytest.fixture(scope="module")
def library() -> xr.Dataset:
    return cge.run(FILES)


def test_every_file_parses_with_a_family_name():
    assert len(FILES) >= 17
    names = [cge.Scenario.from_toml(f).name for f in FILES]
    for name in names:
        assert any(f in name for f in FAMILIES), name
    long_run = [n for n in names if not n.endswith("_shortrun") and n != "baseline"]
    for name in long_run:  # each headline scenario has its short-run twin
        assert f"{name}_shortrun" in names, name


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
    for name in ("tariff25", "tariff25_retaliation", "termination_shortrun", "tariff25_shortrun"):
        gdp = library["real_gdp_pct"].sel(scenario=name, region=MEMBERS)
        assert (gdp < 0).all(), (name, gdp.values)
    # Long-run termination: every member loses welfare and the members' real GDP falls in sum, but
    # one member's real GDP change is a small difference of two effects that can take either sign:
    # its own MFN tariffs on its partners raise its real GDP (terms of trade, and imports from the
    # partners now pay what imports from elsewhere pay), the partners' MFN tariffs lower it
    # (docs/validation.md, "what the 2024 sector controls changed").
    ev = library["ev"].sel(scenario="termination", region=MEMBERS)
    assert (ev < 0).all(), ev.values
    gdp = library["real_gdp_pct"].sel(scenario="termination", region=MEMBERS)
    assert float(gdp.sum()) < 0, gdp.values
    agri = library["agrifood_exports"].sel(exporter="USA", importer=["MEX", "CAN"])
    assert (agri.sel(scenario="tariff25_retaliation") < agri.sel(scenario="tariff25")).all()
    assert (agri.sel(scenario="tariff25_retaliation") < agri.sel(scenario="baseline")).all()


def test_baseline_reproduces_controls(library):
    base = library.sel(scenario="baseline")
    assert float(base["us_na_trade_jobs"]) == pytest.approx(13.0e6, rel=1e-12)
    goods = base["exports"].where(base["goods"], 0.0).sum("commodity")
    assert float(goods.sel(exporter="USA", importer="CAN")) == pytest.approx(348.5, rel=0.02)
    assert float(goods.sel(exporter="USA", importer="MEX")) == pytest.approx(334.0, rel=0.02)
    assert float(base["agrifood_exports"].sel(exporter="USA", importer="MEX")) == pytest.approx(31.4, rel=0.10)
    for region, gdp in (("USA", 29184.89), ("MEX", 1856.37), ("CAN", 2243.64)):
        assert float(base["real_gdp"].sel(region=region)) == pytest.approx(gdp, rel=0.01)


def test_fixed_real_wage_moves_employment(library):
    short = library["employment_total"].sel(scenario="tariff25_shortrun", region=MEMBERS)
    base = library["employment_total"].sel(scenario="baseline", region=MEMBERS)
    assert (short < base).all()


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
    assert library["us_na_trade_jobs"].attrs["published_over_model"] > 0
    assert set(library["exports"].coords) >= {"goods", "agrifood"}


def test_closure_comparison_script(tmp_path):
    """experiments/closure_comparison.py runs on the public API and writes its CSV."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("closure_comparison", ROOT / "experiments" / "closure_comparison.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    table = module.closure_table()
    assert len(table) == 18  # 6 scenarios x 3 members
    long_run = table.xs("termination", level="scenario")["employment change [persons]"]
    assert (long_run.abs() < 1e-3).all()  # full employment: persons unchanged
    short_run = table.xs("termination_shortrun", level="scenario")["employment change [persons]"]
    assert (short_run < 0).all()
