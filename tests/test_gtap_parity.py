"""Parity with GEMPACK on the development aggregations (issue 16), when the licensed fixtures are
available: ``CGE_GTAP_FIXTURES`` names a directory laid out as ``datasets/<name>/``,
``solutions/`` (GEMPACK's SLTOHT dumps, WELVIEW decompositions and updated databases) and
``cmf/``. Without it these tests skip; nothing derived from GTAP data is in the repository."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from cge.gtap import read_har
from cge.gtap.model.coefficients import compute_coefficients
from cge.gtap.parity import EXPERIMENTS, HELD_OUT, compare_with_gempack, run_experiment, summary

FIXTURES = os.environ.get("CGE_GTAP_FIXTURES")
pytestmark = pytest.mark.skipif(not FIXTURES, reason="CGE_GTAP_FIXTURES is not set (licensed GTAP data)")

ROOT = Path(FIXTURES) if FIXTURES else Path()
RUNNABLE = [e for e in EXPERIMENTS if not any(h in e[0] for h in HELD_OUT)]


def _solve(dataset: str, rordelta, cmf, shock: float, updated: bool = False):
    return run_experiment(ROOT, ("", dataset, "", rordelta, cmf, shock), updated=updated)


@pytest.mark.parametrize("experiment", RUNNABLE, ids=[e[0] for e in RUNNABLE])
def test_every_cell_is_within_a_hundredth_of_a_point_of_gempack(experiment) -> None:
    label, dataset, solution, rordelta, cmf, shock = experiment
    path = ROOT / "solutions" / solution
    if not path.exists():
        pytest.skip(f"{solution} not in the fixtures")
    database, result = run_experiment(ROOT, experiment)
    cf = compute_coefficients(database)
    income = xr.DataArray(cf.INCOME, dims="REG", coords={"REG": cf.labels["REG"]})
    table = compare_with_gempack(result, read_har(path), income)
    s = summary(table)
    assert not s["missing"], f"{label}: variables missing {s['missing']}"
    assert s["cells"] > 1000
    assert s["share_within"][0.01] == 1.0, f"{label}: worst {s['worst']}"


@pytest.mark.parametrize(
    ("dataset", "decomposition", "rordelta"),
    [("3x3", "decomp_gtap7_3x3_tm10_s8-16-32.har", None), ("10x7", "decomp_gtap7_10x7_tm10_s8-16-32_capfix.har", 0)],
)
def test_the_welview_summary_matches_gempacks(dataset: str, decomposition: str, rordelta) -> None:
    database, result = _solve(dataset, rordelta, None, 10.0)
    reference = read_har(ROOT / "solutions" / decomposition)["A"]
    income = compute_coefficients(database).INCOME
    diff = np.abs(result["EV_decomposition"].values - reference.values)
    assert (diff / income[:, None]).max() < 1e-4 / 100  # within 0.0001 % of regional income


@pytest.mark.parametrize(
    ("dataset", "updated", "cmf"),
    [("3x3", "updated_gtap7_3x3_tm10.har", None), ("nus333", "updated_nus333_tm10.har", "nus333_tm10.cmf")],
)
def test_the_updated_database_matches_gempacks(dataset: str, updated: str, cmf) -> None:
    _database, (_result, ours) = _solve(dataset, None, cmf, 10.0, updated=True)
    reference = read_har(ROOT / "solutions" / updated)
    for header, array in reference.items():
        if header.startswith("XX") or header == "DVER":
            continue
        theirs = np.asarray(array.values, dtype=float)
        mine = np.asarray(ours[header].transpose(*ours[header].dims).values, dtype=float)
        assert np.abs(mine - theirs).max() <= 1e-6 * max(np.abs(theirs).max(), 1.0), header
