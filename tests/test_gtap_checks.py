"""GTAP's data checks: each identity fails, alone, when its own flow is disturbed, and the line says
where and by how much; parameter ranges; the development databases pass at their precision."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gtap_fixtures import dataset_dirs, needs_fixtures

from cge.gtap import DatabaseError, check_database, database_problems, load_database, synthetic_database
from cge.gtap.accounts import regional_expenditure
from cge.gtap.checks import IDENTITIES


@pytest.fixture(scope="module")
def base():
    return synthetic_database(3, 5, 4, seed=5)


def test_synthetic_database_passes_at_machine_precision(base):
    assert database_problems(base, tol=1e-12) == []
    assert check_database(base) is not base  # returns the conformed copy


def _bump(ds, name, amount, **where):
    out = ds.copy(deep=True)
    out[name].loc[where] += amount
    return out


@pytest.mark.parametrize(
    ("name", "where", "identity", "labels"),
    [
        ("EVFP", {"ENDW": "SkLab", "ACTS": "a02", "REG": "r01"}, "costs = sales", "ACTS=a02, REG=r01"),
        ("VXSB", {"COMM": "c01", "REG": "r00", "REG_2": "r02"}, "supply = demand", "COMM=c01, REG=r00"),
        ("VMSB", {"COMM": "c02", "REG": "r00", "REG_2": "r02"}, "imports", "COMM=c02, REG=r02"),
        ("VCIF", {"COMM": "c00", "REG": "r01", "REG_2": "r02"}, "cif = fob + margins", "COMM=c00, REG=r01, REG_2=r02"),
        ("VST", {"MARG": "c04", "REG": "r02"}, "margins", "MARG=c04"),
        ("SAVE", {"REG": "r01"}, "income = expenditure", "REG=r01"),
    ],
)
def test_each_identity_names_where_and_how_much(base, name, where, identity, labels):
    lines = database_problems(_bump(base, name, 7.5, **where))
    ours = [line for line in lines if line.startswith(f"{identity} [{labels}]")]
    assert len(ours) == 1, lines
    assert "7.5 US$ million" in ours[0] and "relative" in ours[0]


def test_world_saving_equals_net_investment(base):
    """Implied by the other identities (Walras): it fails with them, never alone."""
    lines = database_problems(_bump(base, "SAVE", 3.0, REG="r00"))
    assert [line.split(" [")[0].split(":")[0] for line in lines] == ["income = expenditure", "saving = investment"]
    assert lines[1].startswith("saving = investment: gap +3 US$ million")


def test_output_taxes_when_ptax_is_given(base):
    with_ptax = base.assign(PTAX=base["MAKB"] - base["MAKS"])
    assert database_problems(with_ptax, tol=1e-12) == []
    with_ptax["PTAX"].loc[{"COMM": "c00", "ACTS": "a00", "REG": "r00"}] += 1.0
    assert any(line.startswith("output taxes [COMM=c00, ACTS=a00, REG=r00]") for line in database_problems(with_ptax))


def test_negative_flows_and_parameter_ranges(base):
    bad = base.copy(deep=True)
    bad["VDPB"].loc[{"COMM": "c00", "REG": "r00"}] = -2.0
    bad["ESUBD"].loc[{"COMM": "c01", "REG": "r02"}] = -1.0
    bad["ETRAQ"].loc[{"ACTS": "a01", "REG": "r00"}] = 2.0
    bad["SUBPAR"].loc[{"COMM": "c03", "REG": "r01"}] = 1.5
    bad["ETRAE"].loc[{"ENDW": "Land", "REG": "r01"}] = 0.0
    bad["RORDELTA"] = bad["RORDELTA"] * 0 + 2
    lines = database_problems(bad)
    assert "VDPB [COMM=c00, REG=r00] = -2 US$ million is outside 'ge 0'" in lines
    assert "ESUBD [COMM=c01, REG=r02] = -1 1 is outside 'ge 0'" in lines
    assert "ETRAQ [ACTS=a01, REG=r00] = 2 1 is outside 'lt 0'" in lines
    assert "SUBPAR [COMM=c03, REG=r01] = 1.5 1 is outside 'gt 0, le 1'" in lines
    assert "ETRAE [ENDW=Land, REG=r01] = 0 1 is outside 'lt 0 on sluggish endowments (ENDS)'" in lines
    assert "RORDELTA = 2 is outside 'in 0 1'" in lines


def test_check_database_raises_with_every_line(base):
    bad = _bump(base, "SAVE", 1.0, REG="r00")
    bad = _bump(bad, "SAVE", 2.0, REG="r02")
    with pytest.raises(DatabaseError) as err:
        check_database(bad)
    lines = str(err.value).splitlines()
    assert "fails GTAP's checks (3 problems)" in lines[0]
    assert sum(line.strip().startswith("income = expenditure") for line in lines) == 2


def test_tolerance_is_relative_to_the_flow(base):
    scale = float(regional_expenditure(base).sel(REG="r00"))
    small = _bump(base, "SAVE", 0.5e-6 * scale, REG="r00")
    assert database_problems(small, tol=1e-6) == []
    assert database_problems(small, tol=1e-7)[0].startswith("income = expenditure [REG=r00]")


def test_identities_are_documented():
    text = (Path(__file__).resolve().parent.parent / "docs" / "gtap_database.md").read_text()
    for name in IDENTITIES:
        assert f"`{name}`" in text


@needs_fixtures
@pytest.mark.parametrize("directory", dataset_dirs(), ids=lambda p: p.name)
def test_fixture_databases_pass_at_their_precision(directory):
    ds = load_database(directory)
    assert database_problems(ds) == []  # 1e-4: data written in single precision
    worst = database_problems(ds, tol=1e-6)
    assert all("relative" in line for line in worst)
    np.testing.assert_array_less(-1e-9, ds["VDFB"].values)
