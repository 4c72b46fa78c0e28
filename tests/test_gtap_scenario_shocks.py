"""Scenario rows -> GTAP v7 shocks (cge.gtap.scenario_shocks): rates, groups, labels, exemption, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import cge.gtap as gtap
from cge.errors import ScenarioError
from cge.gtap.scenario_shocks import gtap_shocks, read_claim_shares
from cge.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "experiments").glob("*.toml"))
FLOW = ("COMM", "REG", "REG_2")


@pytest.fixture(scope="module")
def db() -> xr.Dataset:
    return gtap.load_database()


@pytest.fixture(scope="module")
def synthetic() -> xr.Dataset:
    return gtap.synthetic_database(3, 5, seed=7)


def _plan(database, **rows):
    return gtap_shocks(Scenario(name="t", **rows), database)


def _rate(plan, which: str, commodity: str, exporter: str, importer: str) -> float:
    return float(plan.rates[which].sel(COMM=commodity, REG=exporter, REG_2=importer))


def _group_sum(plan) -> dict[str, xr.DataArray]:
    """The groups' shocks added up, a cell a group does not shock (NaN) counting 0."""
    total: dict[str, xr.DataArray] = {}
    for parts in plan.groups.values():
        for name, array in parts.items():
            total[name] = total[name] + array.fillna(0.0) if name in total else array.fillna(0.0)
    return total


# ------------------------------------------------------------------------------------ the library
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_library_scenario_builds_a_plan_whose_groups_sum_to_the_total(db, path):
    plan = gtap_shocks(Scenario.from_toml(path), db)
    total = _group_sum(plan)
    assert set(total) == set(plan.shocks)
    for name, shock in plan.shocks.items():
        assert np.array_equal(total[name].values, shock.values), name  # exactly, not approximately
        assert np.isfinite(shock.values).all(), name
        if name != "pfactwld":
            assert shock.dims == FLOW
            owners = sum(parts[name].notnull().astype(int) for parts in plan.groups.values() if name in parts)
            assert int(owners.max()) <= 1, f"{name}: a cell in two groups"
            assert bool(((owners == 1) | (shock == 0)).all()), f"{name}: a shocked cell in no group"
    if path.stem == "baseline":
        assert plan.shocks == {} and plan.groups == {}
    else:
        assert plan.shocks and all(len(g) <= 40 for g in plan.groups)


@pytest.mark.parametrize("name", ["tariff25_retaliation_usmca", "termination_tradecost"])
def test_representative_library_scenarios_solve_and_reach_the_planned_rates(db, name):
    """tms/ams shocks of the plan solve in the standard closure; the updated database carries the new tariffs."""
    plan = gtap_shocks(Scenario.from_toml(ROOT / "experiments" / f"{name}.toml"), db)
    results, updated = gtap.solve(db, plan.shocks, updated=True)
    assert results.attrs["max_residual"] < 1e-8
    reached = 100 * (updated["VMSB"] / updated["VCIF"] - 1)
    planned = plan.rates["tariff_new_pct"]
    flows = planned.notnull()
    np.testing.assert_allclose(
        reached.where(flows).transpose(*FLOW).values, planned.where(flows).values, atol=1e-7, equal_nan=True
    )


def test_library_groups_are_the_readable_names(db):
    plan = gtap_shocks(Scenario.from_toml(ROOT / "experiments" / "tariff25_retaliation.toml"), db)
    assert list(plan.groups) == [
        "US tariffs on Mexico",
        "US tariffs on Canada",
        "Canada's retaliation",
        "Mexico's retaliation",
    ]
    us_on_canada = plan.groups["US tariffs on Canada"]["tms"].sel(REG="CAN", REG_2="USA")
    assert float(us_on_canada.sel(COMM="mining")) > 0 and np.isnan(float(us_on_canada.sel(COMM="bus_serv")))
    assert bool(plan.groups["US tariffs on Canada"]["tms"].sel(REG="MEX").isnull().all())


def test_groups_are_the_subtotals_of_the_solver(db):
    """cge.gtap.solve(subtotals=plan.groups) applies the same shocks as plan.shocks, split by group."""
    plan = gtap_shocks(Scenario.from_toml(ROOT / "experiments" / "tariff25_retaliation.toml"), db)
    total = gtap.solve(db, plan.shocks)
    split = gtap.solve(db, subtotals=plan.groups)
    assert list(split["subtotal"].values) == ["total", *plan.groups]
    for name in ("qgdp", "EV", "qxs"):
        np.testing.assert_allclose(split[name].sel(subtotal="total"), total[name], rtol=1e-6, atol=1e-6, err_msg=name)
        parts = split[name].sel(subtotal=list(plan.groups)).sum("subtotal")
        np.testing.assert_allclose(parts, split[name].sel(subtotal="total"), rtol=1e-5, atol=1e-3, err_msg=name)


# ------------------------------------------------------------------------------------ rates
def test_tariff_row_gives_the_new_rate_exactly(synthetic):
    plan = _plan(synthetic, tariffs=[{"importer": "r01", "exporter": "r00", "commodity": "all", "rate_pct": 17.5}])
    shock = plan.shocks["tms"].sel(REG="r00", REG_2="r01")
    base = plan.rates["tariff_base_pct"].sel(REG="r00", REG_2="r01") / 100
    np.testing.assert_allclose((1 + base) * (1 + shock / 100) - 1, 0.175, rtol=0, atol=1e-15)
    assert (plan.rates["tariff_new_pct"].sel(REG="r00", REG_2="r01") == 17.5).all()
    untouched = plan.shocks["tms"].drop_sel(REG="r00")
    assert float(abs(untouched).max()) == 0.0


def test_change_pct_adds_points_to_the_rate_earlier_rows_left_and_the_last_row_owns_the_flow(synthetic):
    rows = [
        {"importer": "r01", "exporter": "r00", "commodity": "all", "rate_pct": 10, "group": "first"},
        {"importer": "r01", "exporter": "r00", "commodity": "c01", "change_pct": 2.5, "group": "second"},
        {"importer": "r02", "exporter": "r00", "commodity": "c01", "change_pct": 1.0},
    ]
    plan = _plan(synthetic, tariffs=rows)
    assert _rate(plan, "tariff_new_pct", "c01", "r00", "r01") == pytest.approx(12.5, abs=1e-12)
    assert _rate(plan, "tariff_new_pct", "c00", "r00", "r01") == pytest.approx(10.0, abs=1e-12)
    base = _rate(plan, "tariff_base_pct", "c01", "r00", "r02")
    assert _rate(plan, "tariff_new_pct", "c01", "r00", "r02") == pytest.approx(base + 1.0, abs=1e-12)
    assert list(plan.groups) == ["first", "second", "tariffs r02"]
    cell = {"COMM": "c01", "REG": "r00", "REG_2": "r01"}
    assert np.isnan(float(plan.groups["first"]["tms"].sel(cell)))
    assert float(plan.groups["second"]["tms"].sel(cell)) == float(plan.shocks["tms"].sel(cell)) != 0.0


def test_mfn_reversion_applies_the_database_mfn_rate(db):
    plan = gtap_shocks(Scenario.from_toml(ROOT / "experiments" / "termination.toml"), db)
    new = plan.rates["tariff_new_pct"].sel(REG="USA", REG_2="MEX")
    mfn = 100 * db["mfn_rate"].sel(REG="MEX")
    flows = new.notnull()
    np.testing.assert_allclose(new.where(flows).values, mfn.where(flows).values, rtol=0, atol=1e-12, equal_nan=True)
    assert list(plan.groups) == ["US MFN tariffs", "Mexico's MFN tariffs", "Canada's MFN tariffs"]
    assert float(plan.shocks["tms"].sel(REG="USA", REG_2="CHN").max()) == 0.0  # the rest of the world is not touched


def test_mfn_reversion_needs_a_schedule_and_accepts_a_region_group(db):
    with pytest.raises(ScenarioError, match=r"revert_to_mfn\[0\]: no MFN schedule for importer 'CHN'"):
        _plan(db, revert_to_mfn=[{"importer": "CHN", "exporter": "USA"}])
    grouped = _plan(db, revert_to_mfn=[{"importer": "USMCA", "exporter": "CHN"}])  # each applies its own schedule
    new = grouped.rates["tariff_new_pct"].sel(REG="CHN", REG_2=["USA", "MEX", "CAN"])
    mfn = 100 * db["mfn_rate"].sel(REG=["USA", "MEX", "CAN"]).rename(REG="REG_2")
    np.testing.assert_allclose(new.values, mfn.where(new.notnull()).transpose(*new.dims).values, atol=1e-12)
    assert list(grouped.groups) == ["mfn USMCA"]


def test_mfn_reversion_without_an_mfn_satellite_is_a_one_line_error(synthetic):
    with pytest.raises(ScenarioError, match=r"revert_to_mfn\[0\] needs the database's mfn_rate satellite") as err:
        _plan(synthetic, revert_to_mfn=[{"importer": "r00", "exporter": "r01"}])
    assert "\n" not in str(err.value)


def test_export_tax_is_a_txs_shock_that_raises_fob_over_basic_price(synthetic):
    """GTAP's E_pfob: pfob = pds * tx * txs; a positive txs is a tax (the description says 'subsidy')."""
    plan = _plan(synthetic, export_taxes=[{"importer": "r01", "exporter": "r00", "commodity": "c00", "change_pct": 5}])
    cell = {"COMM": "c00", "REG": "r00", "REG_2": "r01"}
    base = float(plan.rates["export_tax_base_pct"].sel(cell))
    assert float(plan.rates["export_tax_new_pct"].sel(cell)) == pytest.approx(base + 5, abs=1e-12)
    results, updated = gtap.solve(synthetic, plan.shocks, updated=True)
    pfob, pds = float(results["pfob"].sel(cell)), float(results["pds"].sel(COMM="c00", REG="r00"))
    fob_over_basic = 100 * ((1 + pfob / 100) / (1 + pds / 100) - 1)
    assert fob_over_basic == pytest.approx(float(plan.shocks["txs"].sel(cell)), abs=1e-8) and fob_over_basic > 0
    assert float(100 * (updated["VFOB"] / updated["VXSB"] - 1).sel(cell)) == pytest.approx(base + 5, abs=1e-7)


def test_trade_costs_are_iceberg_ams_shocks_that_compound(synthetic):
    rows = [
        {"importer": "r01", "exporter": "r00", "commodity": "all", "change_pct": 2},
        {"importer": "r01", "exporter": "r00", "commodity": "c00", "change_pct": 3, "group": "more"},
    ]
    plan = _plan(synthetic, trade_costs=rows)
    ams = plan.shocks["ams"].sel(REG="r00", REG_2="r01")
    assert float(ams.sel(COMM="c01")) == pytest.approx(100 * (1 / 1.02 - 1), abs=1e-12)
    assert float(ams.sel(COMM="c00")) == pytest.approx(100 * (1 / (1.02 * 1.03) - 1), abs=1e-12)
    assert _rate(plan, "trade_cost_pct", "c00", "r00", "r01") == pytest.approx(100 * (1.02 * 1.03 - 1), abs=1e-12)
    assert float(plan.groups["more"]["ams"].sel(COMM="c00", REG="r00", REG_2="r01")) == float(ams.sel(COMM="c00"))
    assert set(plan.shocks) == {"ams"}


def test_numeraire_is_its_own_group_and_moves_every_price(synthetic):
    plan = _plan(synthetic, numeraire_change_pct=10.0)
    assert plan.shocks["pfactwld"].dims == () and float(plan.shocks["pfactwld"]) == 10.0
    assert list(plan.groups) == ["numeraire"] and set(plan.groups["numeraire"]) == {"pfactwld"}
    results = gtap.solve(synthetic, plan.shocks)
    np.testing.assert_allclose(results["pds"].values, 10.0, atol=1e-8)
    np.testing.assert_allclose(results["qo"].values, 0.0, atol=1e-8)


def test_negative_tariff_and_full_export_subsidy_are_errors(synthetic):
    with pytest.raises(ScenarioError, match=r"tariffs\[0\] makes the tariff on c00 from r00 to r01 negative"):
        _plan(synthetic, tariffs=[{"importer": "r01", "exporter": "r00", "commodity": "c00", "change_pct": -200}])
    with pytest.raises(ScenarioError, match=r"export_taxes\[0\] gives a subsidy of 100 % or more"):
        _plan(synthetic, export_taxes=[{"importer": "r01", "exporter": "r00", "commodity": "c00", "change_pct": -200}])


# ------------------------------------------------------------------------------------ USMCA exemption
CLAIMS = pd.DataFrame(
    {
        "set": ["s", "s", "s", "other"],
        "importer": ["r01", "r01", "r00", "r01"],
        "exporter": ["r00", "r00", "r01", "r00"],
        "sector": ["all", "c02", "all", "all"],
        "share": [0.5, 0.8, 0.25, 0.9],
    }
)


def test_exemption_applies_the_new_rate_to_the_non_compliant_share(synthetic):
    """rate = s x old + (1 - s) x new, s: the sector's row, else the pair's 'all' row, else 0."""
    rows = [{"importer": "all", "exporter": "all", "commodity": "all", "rate_pct": 25, "usmca_exemption": "s"}]
    plan = gtap_shocks(Scenario(name="t", tariffs=rows), synthetic, claims=CLAIMS)
    base, new = plan.rates["tariff_base_pct"], plan.rates["tariff_new_pct"]
    for c in synthetic.COMM.values:
        for s in synthetic.REG.values:
            for d in synthetic.REG.values:
                if s == d:
                    continue
                share = {("r00", "r01"): 0.8 if c == "c02" else 0.5, ("r01", "r00"): 0.25}.get((s, d), 0.0)
                cell = {"COMM": c, "REG": s, "REG_2": d}
                assert float(new.sel(cell)) == pytest.approx(
                    share * float(base.sel(cell)) + (1 - share) * 25, abs=1e-12
                )


def test_a_later_exempt_row_keeps_the_compliant_share_at_its_rate_before_the_scenario(synthetic):
    """The issue-18 bug: the second exempt row took the first row's average as the compliant share's rate."""
    rows = [
        {"importer": "r01", "exporter": "r00", "commodity": "all", "rate_pct": 25, "usmca_exemption": "s"},
        {"importer": "r01", "exporter": "r00", "commodity": "c00", "rate_pct": 10, "usmca_exemption": "s"},
        {"importer": "r01", "exporter": "r00", "commodity": "c01", "change_pct": 5},  # not exempt: both shares
    ]
    plan = gtap_shocks(Scenario(name="t", tariffs=rows), synthetic, claims=CLAIMS)
    base = {c: _rate(plan, "tariff_base_pct", c, "r00", "r01") for c in ("c00", "c01")}
    assert _rate(plan, "tariff_new_pct", "c00", "r00", "r01") == pytest.approx(0.5 * base["c00"] + 0.5 * 10, abs=1e-12)
    assert _rate(plan, "tariff_new_pct", "c01", "r00", "r01") == pytest.approx(
        0.5 * base["c01"] + 0.5 * 25 + 5, abs=1e-12
    )
    rows.append({"importer": "r01", "exporter": "r00", "commodity": "c00", "rate_pct": 1, "usmca_exemption": "other"})
    with pytest.raises(
        ScenarioError,
        match=r"tariffs\[3\]: usmca_exemption 'other' on c00 from r00 to r01, which an earlier row exempts with 's'",
    ):
        gtap_shocks(Scenario(name="t", tariffs=rows), synthetic, claims=CLAIMS)


@pytest.mark.parametrize(
    ("name", "share", "documented"), [("tariff25_usmca", 0.88, 1.2), ("tariff25_usmca2024", 0.38, 6.2)]
)
def test_canadian_energy_under_the_exemption_pays_the_documented_rate(db, name, share, documented):
    """experiments/README.md: (1 - s) x 10 on Canadian energy = 1.2 % (2025H2) and 6.2 % (2024); the old
    path gave 3.84 % and 12.09 % (s x the goods row's (1 - s) x 25 + (1 - s) x 10)."""
    plan = gtap_shocks(Scenario.from_toml(ROOT / "experiments" / f"{name}.toml"), db)
    for commodity in ("mining", "petroleum"):
        base = _rate(plan, "tariff_base_pct", commodity, "CAN", "USA")
        new = _rate(plan, "tariff_new_pct", commodity, "CAN", "USA")
        assert new == pytest.approx(share * base + (1 - share) * 10, abs=1e-12)
        assert new == pytest.approx(documented, abs=0.1)  # the base rates are below 0.1 %
    base = _rate(plan, "tariff_base_pct", "chemicals", "CAN", "USA")
    assert _rate(plan, "tariff_new_pct", "chemicals", "CAN", "USA") == pytest.approx(
        share * base + (1 - share) * 25, abs=1e-12
    )


def test_shipped_claim_share_sets_map_onto_the_database(db):
    plan = gtap_shocks(Scenario.from_toml(ROOT / "experiments" / "tariff25_usmca2024.toml"), db)
    base = _rate(plan, "tariff_base_pct", "motor_veh", "MEX", "USA")  # the table's 'motor_vehicles' row
    assert _rate(plan, "tariff_new_pct", "motor_veh", "MEX", "USA") == pytest.approx(
        0.875 * base + 0.125 * 25, abs=1e-12
    )
    assert set(read_claim_shares()["set"]) >= {"usmca_2024", "usmca_2025h2"}


def test_claim_share_errors_name_the_row(synthetic):
    rows = [{"importer": "r01", "exporter": "r00", "rate_pct": 5, "commodity": "all", "usmca_exemption": "nope"}]
    with pytest.raises(
        ScenarioError, match=r"tariffs\[0\]: usmca_exemption 'nope' is not a set .*known: \['other', 's'\]"
    ):
        gtap_shocks(Scenario(name="t", tariffs=rows), synthetic, claims=CLAIMS)
    bad = pd.concat(
        [CLAIMS, pd.DataFrame([{"set": "s", "importer": "r01", "exporter": "r00", "sector": "cars", "share": 0.1}])]
    )
    rows[0]["usmca_exemption"] = "s"
    with pytest.raises(ScenarioError, match=r"row r01<-r00: sector 'cars' is not a commodity of the database"):
        gtap_shocks(Scenario(name="t", tariffs=rows), synthetic, claims=bad)
    with pytest.raises(ScenarioError, match=r"usmca_exemption 'usmca_2024' names no importer-exporter pair"):
        gtap_shocks(Scenario(name="t", tariffs=[{**rows[0], "usmca_exemption": "usmca_2024"}]), synthetic)


# ------------------------------------------------------------------------------------ labels
@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {"importer": "ZZZ", "exporter": "MEX", "rate_pct": 5},
            r"tariffs\[0\]\.importer 'ZZZ' is not a region of the database \(known: \['USA'",
        ),
        (
            {"importer": "USA", "exporter": "MEX", "commodity": "spaceships", "rate_pct": 5},
            r"tariffs\[0\]\.commodity 'spaceships' is not a commodity",
        ),
        (
            {"importer": "MEX", "exporter": "USA", "commodity": "construction", "rate_pct": 5},
            r"tariffs\[0\] on construction from USA to MEX: this flow is zero",
        ),
    ],
)
def test_unknown_labels_and_zero_flows_are_one_line_errors(db, row, message):
    with pytest.raises(ScenarioError, match=message) as err:
        _plan(db, tariffs=[row])
    assert str(err.value).startswith("scenario 't': ") and "\n" not in str(err.value)


def test_long_sector_names_map_onto_the_short_labels(db):
    long_name = _plan(
        db, tariffs=[{"importer": "USA", "exporter": "MEX", "commodity": "motor_vehicles", "rate_pct": 5}]
    )
    short = _plan(db, tariffs=[{"importer": "USA", "exporter": "MEX", "commodity": "motor_veh", "rate_pct": 5}])
    assert long_name.shocks["tms"].equals(short.shocks["tms"])
    goods = _plan(db, tariffs=[{"importer": "USA", "exporter": "MEX", "rate_pct": 5}])  # commodity defaults to goods
    touched = goods.shocks["tms"].sel(REG="MEX", REG_2="USA") != 0
    assert list(touched.COMM.values[touched.values]) == list(db.COMM.values[db["goods"].values])


def test_a_database_with_its_own_labels_works(synthetic):
    plan = _plan(synthetic, tariffs=[{"importer": "r02", "exporter": "all", "commodity": "c03", "rate_pct": 5}])
    assert float(plan.shocks["tms"].sel(COMM="c03", REG="r00", REG_2="r02")) != 0.0
    assert list(plan.groups) == ["tariffs r02"]
    with pytest.raises(
        ScenarioError,
        match=r"commodity group 'goods' needs the SAM's 'goods' flag on commodity; the database has no boolean 'goods' "
        r"coordinate on COMM and its commodities \['c00'",
    ):
        _plan(synthetic, tariffs=[{"importer": "r02", "exporter": "r00", "rate_pct": 5}])
    flagged = synthetic.assign_coords(goods=("COMM", [True, False, True, False, False]))
    plan = _plan(flagged, tariffs=[{"importer": "r02", "exporter": "r00", "rate_pct": 5}])
    touched = plan.shocks["tms"].sel(REG="r00", REG_2="r02") != 0
    assert list(touched.COMM.values[touched.values]) == ["c00", "c02"]


def test_rows_may_name_groups_of_the_registry(db, tmp_path):
    services = _plan(db, tariffs=[{"importer": "USMCA", "exporter": "CHN", "commodity": "services", "change_pct": 1}])
    tms = services.shocks["tms"]
    commodities = set(tms.COMM.values[(tms != 0).any(["REG", "REG_2"]).values])
    assert commodities and commodities <= set(db.COMM.values[~db["goods"].values]) and "bus_serv" in commodities
    assert set(tms.REG_2.values[(tms != 0).any(["COMM", "REG"]).values]) == {"USA", "MEX", "CAN"}
    agrifood = _plan(db, tariffs=[{"importer": "USA", "exporter": "MEX", "commodity": "agri-food", "rate_pct": 5}])
    assert set(agrifood.shocks["tms"].COMM.values[(agrifood.shocks["tms"] != 0).any(["REG", "REG_2"]).values]) == {
        "agri",
        "food",
    }
    user = tmp_path / "groups.csv"
    user.write_text("dimension,group,members\ncommodity,metals,iron_steel other_metals\nregion,NAFTA,USA MEX CAN\n")
    from cge.indicators.groups import load_groups

    scenario = Scenario(
        name="t", tariffs=[{"importer": "USA", "exporter": "CAN", "commodity": "metals", "rate_pct": 50}]
    )
    plan = gtap_shocks(scenario, db, groups=load_groups(extra=user))
    touched = (plan.shocks["tms"] != 0).any(["REG", "REG_2"])
    assert list(touched.COMM.values[touched.values]) == ["iron_steel", "other_metals"]
    with pytest.raises(
        ScenarioError, match=r"commodity 'metals' is not a commodity .*'all' or a commodity group: goods"
    ):
        gtap_shocks(scenario, db)
    with pytest.raises(ScenarioError, match=r"importer 'usa' is not a region .*\(did you mean 'USA'\?\)$"):
        _plan(db, tariffs=[{"importer": "usa", "exporter": "CAN", "rate_pct": 5}])


def test_gtap_sector_codes_define_goods_without_a_coordinate(synthetic):
    codes = ["wht", "MVH", "ely", "otp", "trd"]
    renamed = synthetic.assign_coords(COMM=codes)
    plan = _plan(renamed, tariffs=[{"importer": "r02", "exporter": "r00", "rate_pct": 5}])
    touched = plan.shocks["tms"].sel(REG="r00", REG_2="r02") != 0
    assert list(touched.COMM.values[touched.values]) == ["wht", "MVH"]


# ------------------------------------------------------------------------------------ the group field
def test_group_field_defaults_and_limits():
    rows = {
        "tariffs": [{"importer": "USA", "exporter": "MEX", "rate_pct": 5}],
        "export_taxes": [{"importer": "all", "exporter": "MEX", "rate_pct": 5}],
        "revert_to_mfn": [{"importer": "CAN", "exporter": "MEX"}],
        "trade_costs": [{"importer": "MEX", "exporter": "USA", "change_pct": 2, "group": "border"}],
    }
    scenario = Scenario(name="t", **rows)
    groups = [
        r.shock_group for f in ("tariffs", "export_taxes", "revert_to_mfn", "trade_costs") for r in getattr(scenario, f)
    ]
    assert groups == ["tariffs USA", "export_taxes all", "mfn CAN", "border"]
    for bad in ("", "   ", "x" * 41, " padded", "numeraire"):
        with pytest.raises(ScenarioError, match=r"tariffs\.0\.group: group") as err:
            Scenario(name="t", tariffs=[{"importer": "USA", "exporter": "MEX", "rate_pct": 5, "group": bad}])
        assert "\n" not in str(err.value)
    assert Scenario(name="t", tariffs=[{"importer": "USA", "exporter": "MEX", "rate_pct": 5, "group": "x" * 40}])


def test_old_files_without_group_still_load(tmp_path):
    path = tmp_path / "old.toml"
    path.write_text('[[tariffs]]\nimporter = "USA"\nexporter = "MEX"\nrate_pct = 25\n')
    scenario = Scenario.from_toml(path)
    assert scenario.tariffs[0].group is None and scenario.tariffs[0].shock_group == "tariffs USA"
