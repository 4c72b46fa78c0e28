"""Shared fixtures: small SAMs made in code and elasticity tables for them."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cge.examples import two_region_sam  # noqa: E402


def elasticity_table(sectors, sigma_d=2.0, sigma_m=4.0, sigma_va=0.5, sigma_t=0.0, sigma_nd=0.0) -> pd.DataFrame:
    """Uniform elasticities for the given sector labels."""
    sectors = [str(s) for s in sectors]
    n = len(sectors)
    return pd.DataFrame(
        {
            "sigma_d": np.full(n, sigma_d),
            "sigma_m": np.full(n, sigma_m),
            "sigma_va": np.full(n, sigma_va),
            "sigma_t": np.full(n, sigma_t),
            "sigma_nd": np.full(n, sigma_nd),
        },
        index=pd.Index(sectors, name="sector"),
    )


def mixed_elasticities(sectors, seed: int = 0) -> pd.DataFrame:
    """Elasticities that exercise every special case: σ = 0, 1 and other values per nest."""
    rng = np.random.default_rng(seed)
    choices = np.array([0.0, 1.0, 0.5, 2.0])
    table = elasticity_table(sectors)
    for col in ("sigma_va", "sigma_t", "sigma_nd"):
        table[col] = rng.choice(choices, len(table))
    table["sigma_d"] = rng.choice([1.0, 2.0, 3.0], len(table))
    table["sigma_m"] = table["sigma_d"] * rng.choice([1.0, 2.0], len(table))
    return table


@pytest.fixture
def hand_sam():
    return two_region_sam()


@pytest.fixture
def hand_elasticities():
    return hand_elasticity_table()


def hand_elasticity_table() -> pd.DataFrame:
    """Elasticities of the hand SAM's two sectors (every nest form: Leontief, Cobb-Douglas, CES)."""
    return pd.DataFrame(
        {
            "sigma_d": [2.0, 2.0],
            "sigma_m": [4.0, 4.0],
            "sigma_va": [1.0, 0.5],
            "sigma_t": [0.0, 0.5],
            "sigma_nd": [0.0, 1.0],
        },
        index=pd.Index(["man", "ser"], name="sector"),
    )


def hand_database():
    """The hand SAM (``man`` flagged as agri-food) as a GTAP v7 database (:func:`cge.gtap.from_sam`,
    which carries the SAM's persons employed as the ``employment`` satellite)."""
    from cge.gtap import from_sam

    sam = two_region_sam().assign_coords(agrifood=("commodity", [True, False]))
    return from_sam(sam, hand_elasticity_table())


def hand_results(scenarios, **options):
    """``cge.run`` of ``scenarios`` on the hand database (:func:`hand_database`: ``man`` flagged
    as agri-food, persons employed; every model variable unless ``detail`` is given)."""
    import cge

    return cge.run(scenarios, sam=hand_database(), **{"detail": "all", **options})


def saved_results(ds, tmp_path_factory, name: str = "results") -> str:
    """``ds`` written as a netCDF results file in a fresh temporary directory; its path."""
    path = tmp_path_factory.mktemp(name) / "r.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    return str(path)


@pytest.fixture(scope="session")
def shipped_results():
    """Three library scenarios on the shipped SAM, every model variable (the README workflow's run)."""
    import cge

    root = Path(__file__).resolve().parent.parent
    files = [root / "experiments" / f"{name}.toml" for name in ("termination", "tariff25", "tariff25_retaliation")]
    return cge.run(files, detail="all")


@pytest.fixture(scope="session")
def many_scenarios(shipped_results):
    """37 scenarios with the library's names and labels (values cycled and scaled from
    ``shipped_results``): the layouts of a report on the whole library, without solving it."""
    import xarray as xr

    import cge

    library = sorted((Path(__file__).resolve().parent.parent / "experiments").glob("*.toml"))
    definitions = [cge.Scenario.from_toml(p) for p in library]
    source = [str(s) for s in shipped_results["scenario"].values if s != "baseline"]
    parts = [shipped_results.sel(scenario=["baseline"])]
    for k, scenario in enumerate(d for d in definitions if d.name != "baseline"):
        part = shipped_results.sel(scenario=[source[k % len(source)]]).copy(deep=True)
        for name, var in part.data_vars.items():
            if np.issubdtype(var.dtype, np.floating) and name.endswith(("_pct", "ev", "change")):
                part[name] = var * (1 + k / 6)
        part = part.assign_coords(scenario=[scenario.name])
        part["scenario_label"] = ("scenario", [scenario.label])
        parts.append(part)
    return xr.concat(parts, dim="scenario", coords="minimal", compat="override", combine_attrs="override")


def pytest_addoption(parser):
    parser.addoption(
        "--slow",
        action="store_true",
        help="also run the tests marked slow (the README's test command and .ci/run do)",
    )


def pytest_collection_modifyitems(config, items):
    """Without ``--slow`` the tests marked ``slow`` are deselected: the quick set for development."""
    if config.getoption("--slow") or config.getoption("-m"):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]
