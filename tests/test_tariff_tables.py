"""Tests of cge.build.tariffs on a tiny, self-written fixture (no network, no shared data), and of the
USMCA exemption of tariff rows (claim shares in calibration/tariffs/usmca_claim_shares.csv)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from cge.build.sources import BuildInputError
from cge.build.split_spec import read_splits
from cge.build.tariffs import build_tariff_tables
from cge.paths import CALIBRATION_DIR

WITS_REGIONS = ["USA", "MEX", "CAN", "CHN", "JPN", "ROW"]
WIOD_REGIONS = {"USA": "USA", "MEX": "MEX", "CAN": "CAN", "CHN": "CHN", "JPN": "ROW", "RoW": "ROW"}
WIOD_TO_WITS = {"USA": "USA", "MEX": "MEX", "CAN": "CAN", "CHN": "CHN", "JPN": "JPN", "RoW": "ROW"}
IMPORT_SIZE = {"USA": 5.0, "MEX": 2.0, "CAN": 2.0, "CHN": 4.0, "JPN": 30.0, "RoW": 10.0}
"""Every WIOD region imports this much of each industry from each partner (so weights differ)."""

SHARED_MAPPINGS = ["sectors_wiod35.csv", "sectors_wits20.csv", "mfn_groups_to_sectors.csv"]


def _rate(importer: str, exporter: str, k: int) -> float:
    """A made-up 2005 rate: distinct per importer, exporter and sector, never zero."""
    return 1.0 + WITS_REGIONS.index(importer) + 0.5 * WITS_REGIONS.index(exporter) + 0.1 * k


def _write_fixture(root: Path, extra_sector: str | None = None) -> tuple[Path, Path]:
    data, cal = root / "data", root / "calibration"
    for d in (
        data / "tariffs",
        data / "macro",
        data / "wiod2013",
        cal / "mappings",
        cal / "tariffs" / "inputs",
    ):
        d.mkdir(parents=True)
    for name in SHARED_MAPPINGS:
        shutil.copy(CALIBRATION_DIR / "mappings" / name, cal / "mappings" / name)
    shutil.copytree(CALIBRATION_DIR / "splits", cal / "splits")
    wits_sectors = pd.read_csv(cal / "mappings" / "sectors_wits20.csv")["wits_sector"].tolist()
    if extra_sector:
        wits_sectors.append(extra_sector)

    rows = [
        (i, e, s, _rate(i, e, k))
        for i in WITS_REGIONS
        for e in WITS_REGIONS
        if i != e
        for k, s in enumerate(wits_sectors)
    ]
    pd.DataFrame(rows, columns=["importer", "exporter", "sector", "tariff_pct"]).to_csv(
        data / "tariffs" / "tariffs2005_applied_cp2015.csv", index=False
    )

    pd.DataFrame([(w, r) for w, r in WIOD_REGIONS.items()], columns=["wiod_region", "region"]).to_csv(
        cal / "mappings" / "regions_wiod41.csv", index=False
    )
    pd.DataFrame(
        [(w, c, "fixture") for w, c in WIOD_TO_WITS.items()], columns=["wiod_region", "wits_region", "note"]
    ).to_csv(cal / "mappings" / "regions_wiod41_wits31.csv", index=False)

    inter = [
        (e, f"c{c}", i, "c1", IMPORT_SIZE[i])
        for i in WIOD_REGIONS
        for e in WIOD_REGIONS
        if i != e
        for c in range(1, 18)
    ]
    pd.DataFrame(inter, columns=["from_country", "from_industry", "to_country", "to_industry", "value_musd"]).to_csv(
        data / "wiod2013" / "wiot2011_intermediate.csv.gz", index=False
    )
    pd.DataFrame(
        [("USA", "c1", "USA", "household", 1.0)],
        columns=["from_country", "from_industry", "to_country", "category", "value_musd"],
    ).to_csv(data / "wiod2013" / "wiot2011_final.csv.gz", index=False)

    def ctrl(figure, region, partner, value, unit="percent"):
        return (figure, region, partner, value, unit, "2022", "fixture", "official")

    controls = [
        ctrl("mfn_simple_avg_applied", "USA", "", 3.3),
        ctrl("mfn_simple_avg_applied", "CAN", "", 3.8),
        ctrl("mfn_simple_avg_applied", "CHN", "", 7.5),
        ctrl("mfn_avg_applied_dairy", "MEX", "", 22.1),
        ctrl("mfn_avg_applied_sugar", "MEX", "", 30.0),
        ctrl("mfn_avg_applied_animal_products", "MEX", "", 15.5),
        ctrl("mfn_avg_applied_fish", "MEX", "", 13.8),
        ctrl("mfn_avg_applied_apparel", "MEX", "", 21.4),
        ctrl("overquota_tariff_cheese", "CAN", "", 245.0),
        ctrl("overquota_tariff_butter", "CAN", "", 298.0),
        ctrl("overquota_tariff_chicken", "CAN", "", 238.0),
        ctrl("goods_imports", "USA", "CAN", 1.0, "USD bn"),
        ctrl("goods_imports", "USA", "MEX", 2.2, "USD bn"),
    ]
    pd.DataFrame(
        controls, columns=["figure", "region", "partner", "value", "unit", "year", "source", "quality"]
    ).to_csv(data / "macro" / "controls.csv", index=False)

    inputs = cal / "tariffs" / "inputs"
    pd.DataFrame(
        [
            (
                "mfn_simple_avg_manufactures",
                "MEX",
                5.67,
                "percent",
                2018,
                "fixture",
                "secondary",
                "textiles;chemicals;iron_steel;other_metals;machinery;electrical;motor_vehicles;other_transport;"
                "other_manufacturing",
            )
        ],
        columns=["figure", "region", "value", "unit", "year", "source", "quality", "sectors"],
    ).to_csv(inputs / "mfn_supplementary_targets.csv", index=False)
    pd.DataFrame(
        [
            (
                "CAN",
                "food",
                "overquota_tariff_cheese;overquota_tariff_butter;overquota_tariff_chicken",
                0.05,
                "fixture",
            )
        ],
        columns=["importer", "sector", "figures", "share", "source"],
    ).to_csv(inputs / "canada_supply_management.csv", index=False)
    pd.DataFrame(
        [
            ("section232_steel", "CAN", "iron_steel", 10.0, 50.0, "fixture"),
            ("antidumping_tomatoes", "MEX", "agri", 5.0, 17.09, "fixture"),
        ],
        columns=["measure", "exporter", "sector", "covered_value_musd", "rate_pct", "source_or_assumption"],
    ).to_csv(inputs / "us_2025_covered_values.csv", index=False)
    return data, cal


def _goods() -> list[str]:
    """Goods sectors of the shipped aggregation, split sectors in their parents' place."""
    sec = pd.read_csv(CALIBRATION_DIR / "mappings" / "sectors_wiod35.csv").sort_values("order", kind="stable")
    goods = list(pd.unique(sec.loc[sec["goods"], "sector"]))
    for split in read_splits(CALIBRATION_DIR):
        k = goods.index(split.parent)
        goods[k : k + 1] = list(split.children)
    return goods


def _sam() -> xr.Dataset:
    """A stand-in SAM with US imports of every goods sector: 80 from CAN and 200 from MEX [US$ m]."""
    goods, regions = _goods(), ["USA", "MEX", "CAN", "CHN", "ROW"]
    vxmd = xr.DataArray(
        np.zeros((len(goods), 5, 5)),
        dims=("commodity", "exporter", "importer"),
        coords={"commodity": goods, "exporter": regions, "importer": regions},
    )
    vxmd.loc[{"exporter": "CAN", "importer": "USA"}] = 80.0
    vxmd.loc[{"exporter": "MEX", "importer": "USA"}] = 200.0
    return xr.Dataset({"vxmd": vxmd, "xtax": 0.0 * vxmd}, attrs={"base_year": 2024})


@pytest.fixture()
def tables(tmp_path):
    data, cal = _write_fixture(tmp_path)
    out = tmp_path / "out"
    return build_tariff_tables(data, out, calibration_dir=cal, sam=_sam()), out


def test_shapes_and_files(tables):
    t, out = tables
    applied, mfn = t["baseline_applied"], t["mfn"]
    assert list(applied.columns) == ["importer", "exporter", "sector", "tariff_pct", "method"]
    n_sectors = 17 + sum(len(sp.children) - 1 for sp in read_splits(CALIBRATION_DIR))
    assert len(applied) == 5 * 4 * n_sectors and not applied.isna().any().any()
    assert not (applied["importer"] == applied["exporter"]).any()
    assert list(mfn.columns) == ["importer", "sector", "mfn_pct", "method", "quality"]
    assert len(mfn) == 3 * n_sectors and set(mfn["importer"]) == {"USA", "MEX", "CAN"}
    for stem in ("baseline_applied", "mfn", "mfn_alternatives", "us_2025_measure_weights"):
        assert (out / f"{stem}.csv").is_file()
    services = applied[~applied["sector"].isin(_goods())]
    assert (services["tariff_pct"] == 0).all()


def test_intra_usmca_zero(tables):
    applied = tables[0]["baseline_applied"]
    bloc = {"USA", "MEX", "CAN"}
    inside = applied[applied["importer"].isin(bloc) & applied["exporter"].isin(bloc)]
    assert len(inside) == 6 * len(applied["sector"].unique())
    assert (inside["tariff_pct"] == 0).all()
    outside = applied[
        (applied["importer"] == "USA") & (applied["exporter"] == "CHN") & applied["sector"].isin(_goods())
    ]
    assert (outside["tariff_pct"] > 0).all()


def test_rescaled_to_mfn_average(tables):
    t = tables[0]
    goods = _goods()
    applied, mfn = t["baseline_applied"], t["mfn"]
    for importer, target in (("USA", 3.3), ("CAN", 3.8), ("CHN", 7.5)):
        on_row = applied[
            (applied["importer"] == importer) & (applied["exporter"] == "ROW") & applied["sector"].isin(goods)
        ]
        assert on_row["tariff_pct"].mean() == pytest.approx(target, rel=1e-9)
    for importer, target in (("USA", 3.3), ("CAN", 3.8)):
        assert mfn[(mfn["importer"] == importer) & mfn["sector"].isin(goods)]["mfn_pct"].mean() == pytest.approx(target)
    mex = mfn[mfn["importer"] == "MEX"].set_index("sector")["mfn_pct"]
    assert mex["textiles"] == pytest.approx(21.4)
    assert mex["food"] == pytest.approx((22.1 + 30.0 + 15.5) / 3)
    manuf = [
        "textiles",
        "chemicals",
        "iron_steel",
        "other_metals",
        "machinery",
        "electrical",
        "motor_vehicles",
        "other_transport",
        "other_manufacturing",
    ]
    assert mex[manuf].mean() == pytest.approx(5.67)


def test_trade_weighting_of_row(tables):
    """ROW (JPN + WIOD RoW) has no MFN control, so its rate on USA is the plain weighted 2005 rate."""
    applied = tables[0]["baseline_applied"].set_index(["importer", "exporter", "sector"])["tariff_pct"]
    w_jpn, w_row = IMPORT_SIZE["JPN"], IMPORT_SIZE["RoW"]
    expected = (w_jpn * _rate("JPN", "USA", 0) + w_row * _rate("ROW", "USA", 0)) / (w_jpn + w_row)  # Agriculture
    assert applied[("ROW", "USA", "agri")] == pytest.approx(expected)
    assert applied[("ROW", "USA", "agri")] != pytest.approx(np.mean([_rate("JPN", "USA", 0), _rate("ROW", "USA", 0)]))


def test_measure_weights(tables):
    w = tables[0]["us_2025_measure_weights"].set_index(["measure", "exporter"])
    np.testing.assert_allclose(w["effective_rate_pct"], w["share_of_sector_imports"] * w["rate_pct"])
    # the denominator is the SAM's 2024 import flow of the sector (80 from CAN in the stand-in SAM)
    assert w.loc[("section232_steel", "CAN"), "sector_imports_musd"] == pytest.approx(80.0)
    assert w.loc[("section232_steel", "CAN"), "share_of_sector_imports"] == pytest.approx(10.0 / 80.0)


def test_measure_weights_need_the_sectors_in_the_sam(tmp_path):
    data, cal = _write_fixture(tmp_path)
    sam = _sam().drop_sel(commodity="iron_steel")
    tables = build_tariff_tables(data, tmp_path / "out", calibration_dir=cal, sam=sam)
    assert "us_2025_measure_weights" not in tables


def test_supply_management_alternative(tables):
    alt = tables[0]["mfn_alternatives"].iloc[0]
    assert alt["mfn_pct"] == pytest.approx(0.95 * alt["default_mfn_pct"] + 0.05 * (245 + 298 + 238) / 3)


def test_unknown_sector_raises(tmp_path):
    data, cal = _write_fixture(tmp_path, extra_sector="Spaceships")
    with pytest.raises(ValueError, match="Spaceships"):
        build_tariff_tables(data, tmp_path / "out", calibration_dir=cal, sam=_sam())


def test_special_duties_are_added_trade_weighted(tmp_path):
    """Section 301 / retaliation points: trade-weighted over product groups, added to one pair only."""
    data, cal = _write_fixture(tmp_path)
    plain = build_tariff_tables(data, tmp_path / "plain", calibration_dir=cal, sam=_sam())["baseline_applied"]
    inputs = cal / "tariffs" / "inputs"
    pd.DataFrame(
        [
            ("phones", "electrical", 60.0, 0.0, 0.0),
            ("batteries", "electrical", 20.0, 0.0, 1.0),
            ("machines", "machinery;iron_steel", 10.0, 1.0, 0.0),
            ("rest", "", None, 0.5, 0.0),
        ],
        columns=["group", "sector", "trade_2024_usd_bn", "share_25pct", "share_7_5pct"],
    ).to_csv(inputs / "us_section301_2024.csv", index=False)
    tables = build_tariff_tables(data, tmp_path / "out", calibration_dir=cal, sam=_sam())
    special = tables["special_duties_2024"].set_index("sector")["additional_pct"]
    assert special["electrical"] == pytest.approx((60 * 0 + 20 * 7.5) / 80)
    assert special["machinery"] == pytest.approx(25.0) and special["iron_steel"] == pytest.approx(25.0)
    assert special["agri"] == pytest.approx(12.5)  # sectors without a group take the blank-sector group
    key = ["importer", "exporter", "sector"]
    diff = tables["baseline_applied"].set_index(key)["tariff_pct"] - plain.set_index(key)["tariff_pct"]
    us_china = diff.xs(("USA", "CHN"), level=("importer", "exporter"))
    assert us_china["electrical"] == pytest.approx(1.875)
    assert us_china["construction"] == 0  # services get no special duty
    assert diff[diff != 0].index.droplevel(2).unique().tolist() == [("USA", "CHN")]


def test_special_duty_on_unknown_sector_is_an_error(tmp_path):
    data, cal = _write_fixture(tmp_path)
    pd.DataFrame(
        [("x", "spaceships", 1.0, 5.0)], columns=["group", "sector", "trade_2024_usd_bn", "additional_pct"]
    ).to_csv(cal / "tariffs" / "inputs" / "china_retaliation_2024.csv", index=False)
    with pytest.raises(BuildInputError, match="china_retaliation_2024.csv: group 'x' names sector 'spaceships'"):
        build_tariff_tables(data, tmp_path / "out", calibration_dir=cal, sam=_sam())


# --------------------------------------------------------------------------- USMCA exemption
def test_usmca_exemption_is_for_tariffs_only():
    from cge.scenario import Scenario

    with pytest.raises(ValueError, match="usmca_exemption applies to tariffs only"):
        Scenario(
            name="x",
            export_taxes=[{"importer": "A", "exporter": "B", "rate_pct": 5, "usmca_exemption": "usmca_2024"}],
        )


def test_shipped_claim_shares():
    """The shipped claim-share sets (read as cge.gtap.scenario_shocks reads them): a sector row
    before the pair's ``all`` row, no row = no preference."""
    from cge.gtap.scenario_shocks import read_claim_shares

    claims = read_claim_shares()

    def share(name: str, sector: str, exporter: str, importer: str) -> float:
        rows = claims[(claims["set"] == name) & (claims["exporter"] == exporter) & (claims["importer"] == importer)]
        for key in (sector, "all"):
            if (rows["sector"] == key).any():
                return float(rows.loc[rows["sector"] == key, "share"].iloc[0])
        return 0.0

    assert share("usmca_2024", "food", "MEX", "USA") == pytest.approx(0.49)
    assert share("usmca_2024", "motor_vehicles", "MEX", "USA") == pytest.approx(0.875)
    assert share("usmca_2025h2", "mining", "CAN", "USA") == pytest.approx(0.88)
    assert share("usmca_2025h2", "mining", "CHN", "USA") == 0.0  # no preference
    assert claims["source"].notna().all()
