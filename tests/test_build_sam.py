"""Tests of the SAM build pipeline (``cge.build``).

Most tests build from a tiny WIOD-format fixture that the test writes itself: 3 WIOD regions
(AAA, BBB, RoW) × 4 industries, with SEA, PWT, ILO and control files in the same layout as
``../shared/data``, and its own calibration directory (mappings, concordances, tariffs). When
the real data exist (``../shared/data`` next to the repository) one test rebuilds the shipped
SAM and compares every array with it (relative tolerance 1e-9 of each cell's account total).
"""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cge.build import build_sam, run_build
from cge.build.controls import measure_table
from cge.build.sources import BuildInputError
from cge.dims import ACTIVITY, AGENT, COMMODITY, EXPORTER, FACTOR, IMPORTER, INVESTMENT, REGION
from cge.paths import SAM_DIR as SHIPPED_SAM_DIR
from cge.sam import (
    check_sam,
    final_demand,
    load_sam,
    output_cost,
    output_market,
    regional_income,
    tariff_revenue,
    trade_balance,
)

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"

COUNTRIES = ["AAA", "BBB", "RoW"]
INDUSTRIES = ["c1", "c2", "c3", "c4"]
CATEGORIES = ["household", "npish", "government", "gfcf", "inventories"]
SECTORS = {"c1": "agri", "c2": "manu", "c3": "serv", "c4": "serv"}
REGIONS = {"AAA": "AAA", "BBB": "BBB", "RoW": "ROW"}
TARIFFS = {("BBB", "AAA", "agri"): 5.0, ("ROW", "AAA", "manu"): 10.0, ("AAA", "ROW", "manu"): 4.0}
GROWTH = {"AAA": 1.6, "BBB": 1.3}


# --------------------------------------------------------------------------- fixture
def _wiod_arrays(seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Integer-valued intermediate (c, i, c, j) and final (c, i, c, category) flows [US$ m]."""
    rng = np.random.default_rng(seed)
    size = np.array([60.0, 30.0, 100.0])
    z = rng.uniform(1, 10, (3, 4, 3, 4)) * size[:, None, None, None] * size[None, None, :, None] / 100
    f = rng.uniform(5, 40, (3, 4, 3, 5)) * size[:, None, None, None] * size[None, None, :, None] / 100
    for c in range(3):
        z[c, :, c, :] *= 8.0
        f[c, :, c, :] *= 8.0
    f[..., 1] *= 0.05  # npish small
    f[..., 4] *= 0.02  # inventories small
    f[0, 1, 0, 4] = -3.0  # a negative inventory change, netted into gfcf
    f[1, 0, 1, 3], f[1, 0, 1, 4] = 0.0, -2.0  # still negative after netting: set to zero
    return np.round(z), np.round(f)


def write_fixture(root: Path) -> tuple[Path, Path]:
    """Write raw data (``data/``) and a calibration directory (``calibration/``); return both."""
    data, cal = root / "data", root / "calibration"
    for sub in ("wiod2013", "employment", "macro"):
        (data / sub).mkdir(parents=True, exist_ok=True)
    for sub in ("mappings", "value_added", "employment", "tariffs"):
        (cal / sub).mkdir(parents=True, exist_ok=True)
    z, f = _wiod_arrays()
    rows = [
        (COUNTRIES[a], INDUSTRIES[i], COUNTRIES[b], INDUSTRIES[j], z[a, i, b, j])
        for a, i, b, j in np.ndindex(z.shape)
        if z[a, i, b, j] != 0
    ]
    frame = pd.DataFrame(rows, columns=["from_country", "from_industry", "to_country", "to_industry", "value_musd"])
    with gzip.open(data / "wiod2013" / "wiot2011_intermediate.csv.gz", "wt") as handle:
        frame.to_csv(handle, index=False)
    rows = [
        (COUNTRIES[a], INDUSTRIES[i], COUNTRIES[b], CATEGORIES[k], f[a, i, b, k])
        for a, i, b, k in np.ndindex(f.shape)
        if f[a, i, b, k] != 0
    ]
    frame = pd.DataFrame(rows, columns=["from_country", "from_industry", "to_country", "category", "value_musd"])
    with gzip.open(data / "wiod2013" / "wiot2011_final.csv.gz", "wt") as handle:
        frame.to_csv(handle, index=False)
    output = z.sum((2, 3)) + f.sum((2, 3)) + np.array([[1.0, -1.0, 0.0, 2.0]])  # rounding noise
    pd.DataFrame(
        [(COUNTRIES[c], INDUSTRIES[i], output[c, i]) for c, i in np.ndindex(output.shape)],
        columns=["country", "industry", "output_musd"],
    ).to_csv(data / "wiod2013" / "wiot2011_output.csv", index=False)
    pd.DataFrame(
        {"code": INDUSTRIES, "isic_rev3": ["A", "D", "G", "K"], "name": ["agri", "manu", "trade", "biz"]}
    ).to_csv(data / "wiod2013" / "industries.csv", index=False)

    # WIOD-SEA for AAA: 5 SEA industries, S4 split over c3 and c4 by output
    sea = []
    for year, scale in ((2011, 1.0), (2014, 1.1)):
        for code, lab, va, emp in (
            ("S1", 6.0, 20.0, 3.0),
            ("S2", 20.0, 40.0, 2.0),
            ("S3", 30.0, 40.0, 6.0),
            ("S4", 40.0, 60.0, 8.0),
            ("S5", 5.0, 5.0, 1.0),
        ):
            sea.append(
                {
                    "country": "AAA",
                    "description": code,
                    "code": code,
                    "year": year,
                    "LAB": lab * scale,
                    "VA": va * scale,
                    "EMP": emp * scale,
                }
            )
    pd.DataFrame(sea).to_csv(data / "employment" / "wiod2016_sea_usa.csv", index=False)
    pd.DataFrame(
        {"sea_code": ["S1", "S2", "S3", "S4", "S4", "S5"], "wiod_code": ["c1", "c2", "c3", "c3", "c4", "c4"]}
    ).to_csv(cal / "value_added" / "sea56_to_wiod35.csv", index=False)
    pd.DataFrame({"wiod_region": ["AAA", "BBB", "RoW"], "pwt_code": ["AAA", "BBB", "*"]}).to_csv(
        cal / "value_added" / "wiod41_to_pwt.csv", index=False
    )
    pwt = [
        ("AAA", 2011, 0.6, 100.0),
        ("BBB", 2010, 0.45, 50.0),
        ("BBB", 2013, 0.5, 55.0),
        ("ZZ1", 2011, 0.4, 30.0),
        ("ZZ2", 2011, 0.7, 10.0),
        ("ZZ3", 2011, np.nan, 10.0),
    ]
    pd.DataFrame(pwt, columns=["countrycode", "year", "labsh", "cgdpo"]).assign(country="x").to_csv(
        data / "macro" / "pwt100_labsh_emp_2005_2019.csv", index=False
    )

    ilo = []
    for year in (2018, 2019):
        for area, a, i, s in (
            ("Alpha", 1.0, 3.0, 6.0),
            ("Beta", 4.0, 3.0, 3.0),
            ("World", 100.0, 50.0, 80.0),
        ):
            ilo.append(
                {
                    "area": area,
                    "year": year,
                    "total": a + i + s,
                    "agriculture": a * 1000,
                    "industry": i * 1000,
                    "services": s * 1000,
                }
            )
    ilo.append({"area": "World", "year": 2020, "total": 1, "agriculture": 1, "industry": 1, "services": 1})
    pd.DataFrame(ilo).to_csv(data / "employment" / "ilo_employment_broad_sectors.csv", index=False)
    pd.DataFrame({"wiod_region": ["AAA", "BBB", "RoW"], "ilo_area": ["Alpha", "Beta", "*"]}).to_csv(
        cal / "employment" / "wiod41_to_ilo.csv", index=False
    )
    pd.DataFrame({"wiod_code": INDUSTRIES, "ilo_sector": ["agriculture", "industry", "services", "services"]}).to_csv(
        cal / "employment" / "wiod35_to_ilo_broad.csv", index=False
    )

    pd.DataFrame(
        {
            "wiod_code": INDUSTRIES,
            "wiod_name": INDUSTRIES,
            "sector": [SECTORS[i] for i in INDUSTRIES],
            "goods": [True, True, False, False],
            "agrifood": [True, False, False, False],
            "order": [1, 2, 3, 3],
        }
    ).to_csv(cal / "mappings" / "sectors_wiod35.csv", index=False)
    pd.DataFrame({"wiod_region": list(REGIONS), "region": list(REGIONS.values())}).to_csv(
        cal / "mappings" / "regions_wiod41.csv", index=False
    )
    pd.DataFrame(
        [
            {"importer": i, "exporter": e, "sector": s, "tariff_pct": t, "method": "test"}
            for (i, e, s), t in TARIFFS.items()
        ]
    ).to_csv(cal / "tariffs" / "baseline_applied.csv", index=False)
    return data, cal


def write_controls(data: Path, cal: Path) -> dict[str, float]:
    """Controls consistent with the fixture: growth of its 2011 values. Returns the 2024 targets [US$ m]."""
    z, f = _wiod_arrays()
    goods = [0, 1]
    ex_ab = z[0, goods, 1].sum() + f[0, goods, 1].sum()
    ex_ba = z[1, goods, 0].sum() + f[1, goods, 0].sum()
    agri_ab = z[0, 0, 1].sum() + f[0, 0, 1].sum()
    va = (z.sum((2, 3)) + f.sum((2, 3))) - z.sum((0, 1))  # WIOD value added by (country, industry)
    targets = {
        "gdp AAA": va[0].sum() * GROWTH["AAA"],
        "gdp BBB": va[1].sum() * GROWTH["BBB"],
        "goods AAA->BBB": ex_ab * 1.5,
        "goods BBB->AAA": ex_ba * 1.2,
        "agrifood AAA->BBB": agri_ab * 1.7,
    }
    rows = [
        ("gdp_nominal", "AAA", "", targets["gdp AAA"] / 1000, "USD bn", "2024", "test", "official"),
        ("gdp_nominal", "BBB", "", targets["gdp BBB"] / 1000, "USD bn", "2024", "test", "official"),
        ("gdp_nominal", "AAA", "", va[0].sum() / 1000, "USD bn", "2011", "test", "official"),
        ("gdp_nominal", "WLD", "", va.sum() / 1000, "USD bn", "2011", "test", "official"),
        ("gdp_nominal", "WLD", "", va.sum() * 1.4 / 1000, "USD bn", "2023", "test", "official"),
        (
            "goods_exports",
            "AAA",
            "BBB",
            targets["goods AAA->BBB"] / 1000,
            "USD bn",
            "2024",
            "test",
            "official",
        ),
        (
            "goods_imports",
            "AAA",
            "BBB",
            targets["goods BBB->AAA"] / 1000,
            "USD bn",
            "2024",
            "test",
            "official",
        ),
        ("goods_exports", "AAA", "BBB+ROW", 1.0, "USD bn", "2024", "test", "secondary"),
        (
            "agrifood_exports",
            "AAA",
            "BBB",
            targets["agrifood AAA->BBB"] / 1000,
            "USD bn",
            "2024",
            "test",
            "official",
        ),
        ("ag_exports", "AAA", "BBB", 0.01, "USD bn", "FY2024", "test", "secondary"),
        ("goods_exports", "XXX", "BBB", 5.0, "USD bn", "2024", "test", "official"),
        ("employment", "AAA", "", 30.0, "million persons", "2024", "test", "official"),
        ("employment", "BBB", "", 12.0, "million persons", "2024", "test", "official"),
        ("mfn_simple_avg_applied", "AAA", "", 3.0, "percent", "2022", "test", "official"),
    ]
    pd.DataFrame(rows, columns=["figure", "region", "partner", "value", "unit", "year", "source", "quality"]).to_csv(
        data / "macro" / "controls.csv", index=False
    )
    return targets


def write_sector_controls(data: Path, cal: Path) -> dict[str, float]:
    """A ``controls_2024_sector.csv`` and its mapping for the fixture; returns the soft targets [US$ m]."""
    z, f = _wiod_arrays()
    serv_ab = z[0, 2:, 1].sum() + f[0, 2:, 1].sum()  # 2011 services AAA -> BBB
    duties_2011 = 0.04 * (z[2, 1, 0].sum() + f[2, 1, 0].sum())  # AAA's only tariff: 4 % on ROW's manu
    targets = {
        "services[AAA->BBB]": 3.0 * serv_ab,
        "investment_share[AAA]": 0.25,
        "customs_duties[AAA]": 0.6 * duties_2011,
    }
    cad = 1.25
    raw = [
        ("customs_duties", "AAA", "", "all partners", 0.6 * duties_2011 / 1000, "USD bn", "secondary"),
        ("services_exports", "AAA", "BBB", "all services", 3.0 * serv_ab / 1000 * cad, "CAD bn", "official"),
        ("gcf_share_gdp", "AAA", "", "economy", 25.0, "% of GDP", "secondary"),
        ("current_account", "AAA", "", "economy", -1.0, "USD bn", "secondary"),
        ("crude_imports_volume", "BBB", "AAA", "crude oil", 4.0, "million b/d", "official"),
        ("goods_exports", "XXX", "AAA", "all goods", 1.0, "USD bn", "secondary"),
    ]
    pd.DataFrame(
        [(*r, "2024", "test", "") for r in raw],
        columns=["quantity", "region_from", "region_to", "sector_or_scope", "value", "unit", "quality", "year"]
        + ["source", "note"],
    ).to_csv(data / "macro" / "controls_2024_sector.csv", index=False)
    (cal / "controls").mkdir(exist_ok=True)
    mapping = [
        ("customs_duties", "AAA", "", "all partners", "tariff_level", "customs_duties[AAA]", "tariff_revenue", ""),
        ("services_exports", "AAA", "BBB", "all services", "target", "services[AAA->BBB]", "flow", "services"),
        ("gcf_share_gdp", "AAA", "", "economy", "target", "investment_share[AAA]", "investment_share", ""),
        ("current_account", "AAA", "", "economy", "check", "trade_balance[AAA] vs CA", "trade_balance", "all"),
        ("crude_imports_volume", "BBB", "AAA", "crude oil", "unused", "", "", ""),
        ("goods_exports", "XXX", "AAA", "all goods", "target", "goods[XXX->AAA]", "flow", "goods"),
    ]
    pd.DataFrame(
        [(*m, "equal", 0.0, "test") for m in mapping],
        columns=["quantity", "region_from", "region_to", "sector_or_scope", "use", "target", "measure", "sectors"]
        + ["side", "coverage_sd", "note"],
    ).to_csv(cal / "controls" / "sector_targets_2024.csv", index=False)
    pd.DataFrame({"quality": ["official", "secondary"], "relative_sd": [0.01, 0.02]}).to_csv(
        cal / "controls" / "quality_sd.csv", index=False
    )
    pd.DataFrame({"currency": ["CAD"], "per_usd": [cad]}).to_csv(
        cal / "controls" / "exchange_rates_2024.csv", index=False
    )
    return targets


@pytest.fixture(scope="module")
def fixture_dirs(tmp_path_factory) -> tuple[Path, Path, dict[str, float]]:
    root = tmp_path_factory.mktemp("buildfix")
    data, cal = write_fixture(root)
    targets = write_controls(data, cal)
    write_sector_controls(data, cal)
    return data, cal, targets


@pytest.fixture(scope="module")
def built(fixture_dirs, tmp_path_factory):
    data, cal, targets = fixture_dirs
    out = tmp_path_factory.mktemp("samout")
    sam = build_sam(data, out, calibration_dir=cal)
    return sam, out, targets


# --------------------------------------------------------------------------- fixture tests
def test_build_writes_a_valid_sam(built):
    sam, out, _ = built
    check_sam(sam)
    loaded = load_sam(out)
    assert loaded.attrs["sam_hash"] == sam.attrs["sam_hash"]
    for name in ("sam.nc", "vdfm.csv", "employment.csv", "coords.csv", "README.md", "employment_table.csv"):
        assert (out / name).is_file(), name
    assert list(sam[REGION].values) == ["AAA", "BBB", "ROW"]
    assert list(sam[COMMODITY].values) == ["agri", "manu", "serv"]
    assert sam.attrs["base_year"] == 2024
    for attr in ("title", "source", "units", "aggregation", "balancing_report", "sam_hash"):
        assert sam.attrs[attr]
    text = (out / "README.md").read_text()
    assert "{{" not in text and "gdp[AAA]" in text


def test_accounting_identities(built):
    sam, _, _ = built
    gdp_income = regional_income(sam)
    fd = final_demand(sam).sum(AGENT)
    gdp_expenditure = fd + trade_balance(sam)
    np.testing.assert_allclose(gdp_income.values, gdp_expenditure.values, rtol=1e-9)
    np.testing.assert_allclose(output_market(sam).values, output_cost(sam).values, rtol=1e-9, atol=1e-9)
    assert float(trade_balance(sam).sum()) == pytest.approx(0.0, abs=1e-6)
    world_i = float(final_demand(sam).sel({AGENT: INVESTMENT}).sum())
    assert float(sam["savings"].sum()) == pytest.approx(world_i, rel=1e-9)
    assert float(np.abs(np.diagonal(sam["vxmd"].values, axis1=1, axis2=2)).max()) == 0.0
    assert float(sam["ptax"].sum()) == 0.0 and float(sam["xtax"].sum()) == 0.0


def test_controls_are_hit(built, fixture_dirs):
    sam, _, targets = built
    data, cal, _ = fixture_dirs
    fob = sam["vxmd"] + sam["xtax"]
    goods = ["agri", "manu"]
    got = {
        "gdp AAA": float(regional_income(sam).sel({REGION: "AAA"})),
        "gdp BBB": float(regional_income(sam).sel({REGION: "BBB"})),
        "goods AAA->BBB": float(fob.sel({COMMODITY: goods, EXPORTER: "AAA", IMPORTER: "BBB"}).sum()),
        "goods BBB->AAA": float(fob.sel({COMMODITY: goods, EXPORTER: "BBB", IMPORTER: "AAA"}).sum()),
        "agrifood AAA->BBB": float(fob.sel({COMMODITY: "agri", EXPORTER: "AAA", IMPORTER: "BBB"})),
    }
    for name, target in targets.items():
        assert got[name] == pytest.approx(target, rel=1e-7), name
    # world GDP 2024 = WLD 2023 grown one year at the 2011-2023 average rate
    growth = 1.4 ** (1 / 12)
    z, f = _wiod_arrays()
    world_2011 = ((z.sum((2, 3)) + f.sum((2, 3))) - z.sum((0, 1))).sum()
    assert float(regional_income(sam).sum()) == pytest.approx(world_2011 * 1.4 * growth, rel=1e-7)


def test_sector_controls_are_soft_targets(built, fixture_dirs):
    """Figures below the totals pull the SAM towards them; hard controls stay exact; every raw row
    is accounted for (skipped regions, unused volumes)."""
    sam, out, _ = built
    data, cal, _ = fixture_dirs
    result = run_build(data, calibration_dir=cal)
    soft = {m.name: m for m in result.sector.targets()}
    assert set(soft) == {"services[AAA->BBB]", "investment_share[AAA]"}
    services = soft["services[AAA->BBB]"]
    assert services.sd == pytest.approx(0.01) and services.target == pytest.approx(
        write_sector_controls(data, cal)["services[AAA->BBB]"]
    )  # CAD bn converted at 1.25 per US$
    prior = dict(zip(result.balance.targets["name"], result.balance.targets["before"]))
    assert abs(prior["services[AAA->BBB]"] / services.target - 1) > 0.3
    assert abs(services.value(result.sam) / services.target - 1) < 0.05
    share = soft["investment_share[AAA]"]
    gdp = float(regional_income(result.sam).sel({REGION: "AAA"}))
    assert share.target == pytest.approx(0.25 * gdp, rel=1e-9)  # share of the (hard) GDP control
    assert abs(share.value(result.sam) / share.target - 1) < 0.05
    from cge.build.sector_controls import key_flow_value

    assert key_flow_value(result.sam, "investment_share", "AAA", "", "") == pytest.approx(
        100 * share.value(result.sam) / gdp
    )
    assert key_flow_value(result.sam, "flow", "AAA", "BBB", "services") == pytest.approx(
        services.value(result.sam) / 1000
    )
    fob = result.sam["vxmd"] + result.sam["xtax"]
    rate = float(tariff_revenue(result.sam).sel({EXPORTER: "ROW", IMPORTER: "AAA", COMMODITY: "manu"}))
    rate /= float(fob.sel({EXPORTER: "ROW", IMPORTER: "AAA", COMMODITY: "manu"}))
    assert key_flow_value(result.sam, "tariff_rate", "ROW", "AAA", "manu") == pytest.approx(100 * rate)
    assert key_flow_value(result.sam, "flow", "XXX", "AAA", "goods") is None
    status = result.sector.rows.set_index("quantity")["status"]
    assert status["goods_exports"].startswith("skipped: region")
    assert status["crude_imports_volume"] == "unused"
    assert [m.name for m in result.sector.checks()] == ["trade_balance[AAA] vs CA"]
    text = (out / "README.md").read_text()
    assert "services[AAA->BBB]" in text and "skipped: region not in the aggregation" in text


def test_sector_control_without_mapping_row_is_an_error(fixture_dirs, tmp_path):
    import shutil

    data, cal, _ = fixture_dirs
    cal2 = tmp_path / "cal"
    shutil.copytree(cal, cal2)
    mapping = pd.read_csv(cal2 / "controls" / "sector_targets_2024.csv")
    mapping.iloc[1:].to_csv(cal2 / "controls" / "sector_targets_2024.csv", index=False)
    with pytest.raises(BuildInputError, match=r"sector_targets_2024.csv: no row for raw figure.*customs_duties"):
        run_build(data, calibration_dir=cal2)


def test_tariff_rates_are_kept_and_levels_match_collected_duties(built, fixture_dirs):
    """Relative rates of the table are kept; AAA's level is scaled so its revenue equals the
    duties it collected; importers without a customs-duty figure keep the table's rates."""
    sam, _, _ = built
    data, cal, _ = fixture_dirs
    collected = write_sector_controls(data, cal)["customs_duties[AAA]"]
    assert float(tariff_revenue(sam).sel({IMPORTER: "AAA"}).sum()) == pytest.approx(collected, rel=2e-5)
    rate = tariff_revenue(sam) / (sam["vxmd"] + sam["xtax"]).where(sam["vxmd"] > 0)
    got = {key: float(rate.sel({COMMODITY: key[2], EXPORTER: key[1], IMPORTER: key[0]})) for key in TARIFFS}
    assert got[("AAA", "ROW", "manu")] < 0.04  # AAA's level is scaled down to its collected duties
    assert got[("BBB", "AAA", "agri")] == pytest.approx(0.05, rel=1e-7)  # BBB and ROW have no figure
    assert got[("ROW", "AAA", "manu")] == pytest.approx(0.10, rel=1e-7)
    untaxed = rate.sel({COMMODITY: "serv"})
    assert float(np.nanmax(np.abs(untaxed.values))) < 1e-12


def test_employment_satellite(built):
    sam, out, _ = built
    persons = sam["employment"].sum(ACTIVITY)
    assert float(persons.sel({REGION: "AAA"})) == pytest.approx(30e6, rel=1e-12)
    assert float(persons.sel({REGION: "BBB"})) == pytest.approx(12e6, rel=1e-12)
    # ROW = ILO world minus listed countries, 2019 (2020 exists only for the world), not scaled
    assert float(persons.sel({REGION: "ROW"})) == pytest.approx((230 - 10 - 10) * 1e6, rel=1e-12)
    # within a broad sector persons follow labour payments (BBB: c3 and c4 are both services)
    table = pd.read_csv(out / "employment_table.csv")
    assert set(table.columns) >= {"region", "activity", "persons", "labour_musd", "persons_per_musd_labour"}
    assert (table["persons"] > 0).all()


def test_labour_shares(fixture_dirs, tmp_path):
    data, cal, _ = fixture_dirs
    # without tariffs factor income equals the residual, whose weighted labour share is the national one
    result = run_build(data, base_year_update=False, calibration_dir=cal, tariff_file=tmp_path / "none.csv")
    sam = result.base
    lab = sam["vfm"].sel({FACTOR: "labour"}).sum(ACTIVITY) / sam["vfm"].sum((FACTOR, ACTIVITY))
    # BBB: PWT labsh from the nearest year (2010: 0.45 is 1 year away, 2013 is 2); the SAM weights
    # by factor income incl. the rounding gap, the shares by WIOD's residual: equal to ~1e-5
    assert float(lab.sel({REGION: "BBB"})) == pytest.approx(0.45, rel=1e-4)
    # ROW: cgdpo-weighted mean of ZZ1 and ZZ2 (ZZ3 has no labsh)
    assert float(lab.sel({REGION: "ROW"})) == pytest.approx((0.4 * 30 + 0.7 * 10) / 40, rel=1e-4)
    # AAA (the SEA country): agri share = LAB/VA of S1
    agri = sam["vfm"].sel({FACTOR: "labour", ACTIVITY: "agri", REGION: "AAA"}) / sam["vfm"].sel(
        {ACTIVITY: "agri", REGION: "AAA"}
    ).sum(FACTOR)
    assert float(agri) == pytest.approx(6 / 20, rel=1e-12)


def test_base_year_sam_and_inventory_handling(fixture_dirs):
    data, cal, _ = fixture_dirs
    result = run_build(data, base_year_update=False, calibration_dir=cal)
    assert result.sam.attrs["base_year"] == 2011 and result.balance is None
    check_sam(result.base)
    zeroed = result.assembly.negative_final_zeroed
    assert [(c["exporter"], c["commodity"], c["agent"]) for c in zeroed] == [("BBB", "agri", "investment")]
    assert zeroed[0]["value_musd"] == -2.0
    assert result.assembly.negative_inventories == -5.0
    # the published-output rounding noise is reported, not hidden
    assert result.assembly.row_gap_abs == pytest.approx(4.0 * 3)
    z, f = _wiod_arrays()
    vxmd = result.base["vxmd"].sel({COMMODITY: "agri", EXPORTER: "AAA", IMPORTER: "BBB"})
    assert float(vxmd) == pytest.approx(z[0, 0, 1].sum() + f[0, 0, 1].sum())
    table = measure_table(result.base, result.controls.measures)
    assert "gdp[AAA]@2011" in set(table["measure"])


def test_control_roles(built, fixture_dirs):
    data, cal, _ = fixture_dirs
    result = run_build(data, calibration_dir=cal)
    roles = {m.name: m.role for m in result.controls.measures}
    assert roles["gdp[AAA]"] == "control" and roles["gdp[ROW]"] == "control"
    assert roles["goods[AAA->BBB+ROW]"] == "check"  # A+B partner rows are checks
    assert roles["agrifood[AAA->BBB]"] == "control"
    assert roles["ag[AAA->BBB]@FY2024"] == "check"
    assert not any("XXX" in name for name in roles)  # rows for regions outside the aggregation
    assert any(u.startswith("mfn_simple_avg_applied") for u in result.controls.unused)


def test_missing_tariff_file_gives_zero_tariffs(fixture_dirs, tmp_path, caplog):
    data, cal, _ = fixture_dirs
    with caplog.at_level(logging.WARNING, logger="cge.build.trade"):
        result = run_build(data, base_year_update=False, calibration_dir=cal, tariff_file=tmp_path / "none.csv")
    assert float(tariff_revenue(result.sam).sum()) == 0.0
    assert "zero tariffs" in caplog.text


def test_bad_inputs_name_file_and_column(fixture_dirs, tmp_path):
    data, cal, _ = fixture_dirs
    regions = pd.read_csv(cal / "mappings" / "regions_wiod41.csv")
    bad_map = tmp_path / "mappings"
    bad_map.mkdir()
    (bad_map / "sectors_wiod35.csv").write_text((cal / "mappings" / "sectors_wiod35.csv").read_text())
    regions[regions["wiod_region"] != "BBB"].to_csv(bad_map / "regions_wiod41.csv", index=False)
    with pytest.raises(BuildInputError, match=r"regions_wiod41.csv.*\['BBB'\]"):
        run_build(data, mapping_dir=bad_map, calibration_dir=cal)
    regions.rename(columns={"region": "model_region"}).to_csv(bad_map / "regions_wiod41.csv", index=False)
    with pytest.raises(BuildInputError, match=r"regions_wiod41.csv: missing column\(s\) \['region'\]"):
        run_build(data, mapping_dir=bad_map, calibration_dir=cal)
    with pytest.raises(BuildInputError, match="missing file"):
        run_build(tmp_path / "nowhere", calibration_dir=cal)


# --------------------------------------------------------------------------- shipped SAM
@pytest.mark.skipif(not (SHIPPED_SAM_DIR / "sam.nc").exists(), reason="no shipped SAM")
def test_shipped_sam_meets_the_done_criteria():
    sam = load_sam()
    assert sam.attrs["base_year"] == 2024
    fob = sam["vxmd"] + sam["xtax"]
    goods = sam[COMMODITY].values[sam["goods"].values]
    agri = sam[COMMODITY].values[sam["agrifood"].values]

    def flow(commodities, exporter, importer):
        return float(fob.sel({COMMODITY: commodities, EXPORTER: exporter, IMPORTER: importer}).sum()) / 1000

    for (e, i), target in {
        ("USA", "CAN"): 348.5,
        ("USA", "MEX"): 334.0,
        ("CAN", "USA"): 412.7,
        ("MEX", "USA"): 505.9,
    }.items():
        assert abs(flow(goods, e, i) / target - 1) < 0.02, (e, i)
    for i, target in {"MEX": 31.4, "CAN": 32.4}.items():
        assert abs(flow(agri, "USA", i) / target - 1) < 0.10, i
    gdp = regional_income(sam) / 1000
    for r, target in {"USA": 29184.89, "MEX": 1856.37, "CAN": 2243.64}.items():
        assert abs(float(gdp.sel({REGION: r})) / target - 1) < 0.01, r
    jobs = sam["employment"].sum(ACTIVITY) / 1e6
    for r, target in {"USA": 161.3, "MEX": 59.4, "CAN": 20.65}.items():
        assert abs(float(jobs.sel({REGION: r})) / target - 1) < 0.03, r


REBUILD_RTOL = 1e-9
"""Tolerance of the rebuild test, relative to the account total a cell belongs to (see below)."""


def _account_scale(sam, var: str):
    """The account total each cell of ``var`` belongs to: the gross output of its region (the
    exporter's for bilateral flows) for money flows, the region's employment for persons."""
    if var == "employment":
        return sam["employment"].sum(ACTIVITY)
    gross_output = output_cost(sam).sum(ACTIVITY)
    if EXPORTER in sam[var].dims:
        return gross_output.rename({REGION: EXPORTER})
    return gross_output


def rebuild_gaps(rebuilt, shipped) -> list[tuple[float, str, str]]:
    """(gap relative to the account total, variable, cell) of every SAM array cell, largest first."""
    gaps = []
    for var in shipped.data_vars:
        diff = np.abs(rebuilt[var] - shipped[var]) / _account_scale(shipped, var)
        series = diff.to_series()
        cell = series.idxmax()
        gaps.append((float(series.max()), var, str(cell)))
    return sorted(gaps, reverse=True)


@pytest.mark.skipif(
    not SHARED_DATA.is_dir() or not (SHIPPED_SAM_DIR / "sam.nc").exists(),
    reason="raw data (../shared/data) or shipped SAM not available",
)
@pytest.mark.slow
def test_rebuild_reproduces_the_shipped_sam(tmp_path):
    """Rebuilding from ../shared/data gives the shipped SAM within 1e-9 of each cell's account total.

    Bit-identity is not required: other releases of numpy/scipy/pandas change the last bits of the
    balancing (about 6e-8 US$ million seen with numpy 2.4.6 / scipy 1.17.1 / pandas 3.1.1). The
    ``sam_hash`` stays in the attrs for provenance. The message lists the largest gaps.
    """
    shipped = load_sam()
    build_sam(SHARED_DATA, tmp_path, employment_csv=tmp_path / "employment.csv")
    rebuilt = load_sam(tmp_path)
    assert set(rebuilt.data_vars) == set(shipped.data_vars)
    for dim in shipped.dims:
        assert list(rebuilt[dim].values) == list(shipped[dim].values), dim
    gaps = rebuild_gaps(rebuilt, shipped)
    worst = "; ".join(f"{var} {cell}: {gap:.2e}" for gap, var, cell in gaps[:3])
    assert gaps[0][0] <= REBUILD_RTOL, f"rebuilt SAM differs from sam/ beyond {REBUILD_RTOL:g} (largest: {worst})"


def test_tariff_table_outside_the_aggregation_is_ignored(tmp_path):
    """A tariff table whose rows all name other sectors (e.g. the shipped table with a native WIOD
    aggregation) gives zero tariffs with a warning instead of failing."""
    from cge.build.mapping import Aggregation
    from cge.build.trade import read_tariff_rates

    path = tmp_path / "t.csv"
    path.write_text("importer,exporter,sector,tariff_pct\nUSA,MEX,agri,5\n")
    agg = Aggregation(("USA", "MEX"), ("c1",), {"USA": "USA", "MEX": "MEX"}, {"c1": "c1"}, (True,), (True,), "t")
    rates = read_tariff_rates(path, agg)
    assert rates.ignored_rows == 1
    assert not rates.rate.any()


def test_build_sam_command(fixture_dirs, tmp_path):
    """`cge build-sam` writes a SAM that `cge check-sam` accepts; a missing data dir is one error line."""
    from typer.testing import CliRunner

    from cge.cli import app

    data, cal, _targets = fixture_dirs
    runner = CliRunner()
    out = tmp_path / "sam"
    args = ["build-sam", "--data-dir", str(data), "--out", str(out), "--calibration-dir", str(cal)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output
    assert runner.invoke(app, ["check-sam", str(out)]).exit_code == 0
    bad = runner.invoke(app, ["build-sam", "--data-dir", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x")])
    assert bad.exit_code == 1
    assert "Traceback" not in bad.output


# --------------------------------------------------------------------------- elasticities
def test_elasticities_are_aggregated_with_flow_weights():
    """GTAPAgg rule: sigma_m by imports (sigma_d too, which keeps the rule of two exactly),
    sigma_va by value added; no weights -> simple mean."""
    from cge.build.elasticities import aggregate_elasticities

    params = pd.DataFrame(
        {
            "gtap_code": ["oil", "gas", "frs", "crop", "svc1", "svc2"],
            "sector": ["mining", "mining", "agri", "agri", "serv", "serv"],
            "esubd": [5.2, 17.2, 2.5, 1.3, 1.9, 2.9],
            "esubm": [10.4, 34.4, 5.0, 2.6, 3.8, 5.8],
            "esubva": [0.2, 0.2, 0.2, 0.24, 1.26, 1.26],
            "esubd_status": ["cross-checked", "unverified", "unverified", "unverified", "x", "x"],
        }
    )
    weights = pd.DataFrame(
        {
            "gtap_code": ["oil", "gas", "frs", "crop", "svc1", "svc2"],
            "us_imports_2024_usd_bn": [100.0, 5.0, 1.0, 3.0, None, None],
            "sea_va_code": ["B", "B", "A02", "A01", "", ""],
        }
    )
    va = pd.Series({"A01": 90.0, "A02": 10.0, "B": 50.0})
    out = aggregate_elasticities(params, weights, va).set_index("sector")
    assert out.loc["mining", "sigma_m"] == pytest.approx((100 * 10.4 + 5 * 34.4) / 105)
    np.testing.assert_allclose(out["sigma_m"], 2 * out["sigma_d"])  # rule of two survives
    assert out.loc["agri", "sigma_va"] == pytest.approx((90 * 0.24 + 10 * 0.2) / 100)
    assert out.loc["serv", "sigma_d"] == pytest.approx(2.4)  # no imports: simple mean
    assert "simple mean" in out.loc["serv", "source"]
    assert out.loc["mining", "unverified_share_d"] == pytest.approx(5 / 105)
    assert (out[["sigma_t", "sigma_nd"]] == 0).all().all()


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="raw data (../shared/data) not available")
def test_shipped_elasticities_are_the_aggregation_of_the_gtap_table(tmp_path):
    import shutil

    from cge.build.elasticities import build_elasticities
    from cge.paths import CALIBRATION_DIR

    (tmp_path / "elasticities").mkdir()
    for name in ("gtap_parameters.csv", "weights.csv"):
        shutil.copy(CALIBRATION_DIR / "elasticities" / name, tmp_path / "elasticities" / name)
    fresh = build_elasticities(tmp_path, SHARED_DATA).set_index("sector")
    shipped = pd.read_csv(CALIBRATION_DIR / "elasticities.csv").set_index("sector")
    cols = ["sigma_d", "sigma_m", "sigma_va", "sigma_t", "sigma_nd"]
    pd.testing.assert_frame_equal(shipped[cols], fresh.loc[shipped.index, cols], atol=1e-4, check_exact=False)


def test_agrifood_control_covers_the_products_of_its_definition(fixture_dirs, tmp_path):
    """A WIOD industry listed in controls/agrifood_definition.csv enters the agri-food control by
    its 2011 share of its model sector's exports; the agrifood coordinate keeps its own scope."""
    import shutil

    data, cal, targets = fixture_dirs
    cal2 = tmp_path / "cal"
    shutil.copytree(cal, cal2)
    pd.DataFrame({"figure": ["agrifood_exports"], "wiod_code": ["c4"], "note": ["test"]}).to_csv(
        cal2 / "controls" / "agrifood_definition.csv", index=False
    )
    result = run_build(data, calibration_dir=cal2)
    sam = result.sam
    z, f = _wiod_arrays()
    flows = z[0, :, 1].sum(axis=1) + f[0, :, 1].sum(axis=1)  # 2011 exports AAA -> BBB by industry
    share = flows[3] / (flows[2] + flows[3])  # c4's part of 'serv' (c3 + c4)
    fob = sam["vxmd"] + sam["xtax"]
    agri = float(fob.sel({COMMODITY: "agri", EXPORTER: "AAA", IMPORTER: "BBB"}))
    serv = float(fob.sel({COMMODITY: "serv", EXPORTER: "AAA", IMPORTER: "BBB"}))
    target = targets["agrifood AAA->BBB"]
    assert agri + share * serv == pytest.approx(target, rel=1e-7)
    assert agri < target
    measure = next(m for m in result.controls.measures if m.name == "agrifood[AAA->BBB]")
    assert "widened" in measure.source and f"{share:.3f} x serv[AAA->BBB] (c4)" in measure.source
    assert "agrifood[AAA->BBB]" in sam["agrifood"].attrs["definition"]


# --------------------------------------------------------------------------- sector split
def _split_shares(sam, parent_shares):
    import xarray as xr

    from cge.build.split import CHILD

    regions = list(sam[REGION].values)
    return xr.DataArray(np.array(parent_shares), dims=(REGION, CHILD), coords={REGION: regions, CHILD: ["c2a", "c2b"]})


def test_split_sector_keeps_every_account_and_total():
    """SplitCom on a random balanced SAM: balanced result, regional totals unchanged, children's
    output, trade, tariff rates and cost structure as given."""
    import xarray as xr
    from sam_factory import random_balanced_sam

    from cge.build.split import CHILD, split_sector

    sam = random_balanced_sam(3, 4, 2, seed=7, zero_share=0.0)
    sam = sam.assign(employment=sam["vfm"].sum(FACTOR) * 10.0)
    omega = _split_shares(sam, [[0.6, 0.4], [0.3, 0.7], [0.5, 0.5]])
    theta = omega.rename({REGION: EXPORTER}).expand_dims({IMPORTER: list(sam[REGION].values)}).copy()
    theta.loc[{EXPORTER: "r1", IMPORTER: "r2"}] = [0.9, 0.1]
    lab_ratio = xr.DataArray([[0.5, 1.0], [np.nan, np.nan], [1.0, 1.0]], dims=omega.dims, coords=omega.coords)
    out = split_sector(sam, "c2", omega, theta.transpose(EXPORTER, IMPORTER, CHILD), labour_share=lab_ratio)
    check_sam(out, rtol=1e-9)
    assert list(out[COMMODITY].values) == ["c1", "c2a", "c2b", "c3", "c4"]
    for f in (regional_income, trade_balance):
        np.testing.assert_allclose(f(out).values, f(sam).values, rtol=1e-12)
    np.testing.assert_allclose(out["savings"].values, sam["savings"].values)
    np.testing.assert_allclose(
        tariff_revenue(out).sum(COMMODITY).values, tariff_revenue(sam).sum(COMMODITY).values, rtol=1e-12
    )
    cost = output_cost(out).sel({ACTIVITY: ["c2a", "c2b"]})
    np.testing.assert_allclose(cost.values, (omega * output_cost(sam).sel({ACTIVITY: "c2"})).T.values, rtol=1e-12)
    fob = out["vxmd"].sel({EXPORTER: "r1", IMPORTER: "r2"})
    assert float(fob.sel({COMMODITY: "c2a"}) / (fob.sel({COMMODITY: "c2a"}) + fob.sel({COMMODITY: "c2b"}))) == (
        pytest.approx(0.9)
    )
    rate = tariff_revenue(out) / out["vxmd"]
    np.testing.assert_allclose(rate.sel({COMMODITY: "c2a"}), rate.sel({COMMODITY: "c2b"}), rtol=1e-10)
    lab = out["vfm"].sel({FACTOR: "labour"}) / out["vfm"].sum(FACTOR)
    r1 = lab.sel({REGION: "r1"})
    assert float(r1.sel({ACTIVITY: "c2a"}) / r1.sel({ACTIVITY: "c2b"})) == pytest.approx(0.5)  # labour share data
    r2 = lab.sel({REGION: "r2"})
    assert float(r2.sel({ACTIVITY: "c2a"})) == pytest.approx(float(r2.sel({ACTIVITY: "c2b"})))  # parent's structure
    np.testing.assert_allclose(out["employment"].sum(ACTIVITY).values, sam["employment"].sum(ACTIVITY).values)
    assert bool(out["goods"].sel({COMMODITY: "c2a"})) == bool(sam["goods"].sel({COMMODITY: "c2"}))


def test_split_sector_rejects_impossible_shares():
    from sam_factory import random_balanced_sam

    from cge.build.split import CHILD, SplitError, split_sector

    sam = random_balanced_sam(3, 4, 2, seed=7, zero_share=0.0)
    with pytest.raises(SplitError, match="sum to 1"):
        split_sector(sam, "c2", _split_shares(sam, [[0.6, 0.3], [0.3, 0.7], [0.5, 0.5]]))
    omega = _split_shares(sam, [[0.01, 0.99], [0.3, 0.7], [0.5, 0.5]])
    theta = omega.rename({REGION: EXPORTER}).expand_dims({IMPORTER: list(sam[REGION].values)}).copy()
    theta.loc[{EXPORTER: "r1"}] = [1.0, 0.0]  # r1 exports only c2a but makes 1 % of it
    with pytest.raises(SplitError, match="export more than they produce"):
        split_sector(sam, "c2", omega, theta.transpose(EXPORTER, IMPORTER, CHILD))
    with pytest.raises(SplitError, match="not in the SAM"):
        split_sector(sam, "c9", omega)


def test_build_with_a_split(fixture_dirs, tmp_path):
    """calibration/splits/ splits an aggregate sector in the build; controls still hold."""
    import shutil

    data, cal, targets = fixture_dirs
    cal2 = tmp_path / "cal"
    shutil.copytree(cal, cal2)
    (cal2 / "splits").mkdir()
    pd.DataFrame({"parent": ["manu", "manu"], "child": ["heavy", "light"], "order": [1, 2]}).to_csv(
        cal2 / "splits" / "splits.csv", index=False
    )
    pd.DataFrame(
        {
            "parent": ["manu"] * 4,
            "region": ["AAA", "AAA", "*", "*"],
            "child": ["heavy", "light"] * 2,
            "share": [0.3, 0.7, 0.5, 0.5],
        }
    ).to_csv(cal2 / "splits" / "output_shares.csv", index=False)
    pd.DataFrame({"importer": ["ROW"], "exporter": ["AAA"], "sector": ["heavy"], "tariff_pct": [12.0]}).to_csv(
        cal2 / "tariffs" / "baseline_applied.csv", index=False
    )
    result = run_build(data, calibration_dir=cal2)
    sam = result.sam
    assert list(sam[COMMODITY].values) == ["agri", "heavy", "light", "serv"]
    assert result.agg.parent_of == {"heavy": "manu", "light": "manu"}
    fob = sam["vxmd"] + sam["xtax"]
    goods = float(fob.sel({COMMODITY: ["agri", "heavy", "light"], EXPORTER: "AAA", IMPORTER: "BBB"}).sum())
    assert goods == pytest.approx(targets["goods AAA->BBB"], rel=1e-7)
    rate = tariff_revenue(sam) / fob.where(fob > 0)
    assert float(rate.sel({COMMODITY: "heavy", EXPORTER: "AAA", IMPORTER: "ROW"})) == pytest.approx(0.12, rel=1e-7)
    assert float(rate.sel({COMMODITY: "light", EXPORTER: "AAA", IMPORTER: "ROW"})) == pytest.approx(0.0, abs=1e-12)
    assert float(sam["employment"].sum()) == pytest.approx(float(result.employment.persons.sum()))
    check_sam(sam)
