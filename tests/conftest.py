"""Shared fixtures: small SAMs made in code and elasticity tables for them."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

# no compiled-model cache in this session or the CLI processes it starts, whatever the user set
# (tests/test_cache.py passes its own)
os.environ["CGE_CACHE_DIR"] = "off"

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
