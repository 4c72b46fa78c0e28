"""SAM container: schema checks name the failing account and the size of the gap; I/O round trips."""

from __future__ import annotations

import numpy as np
import pytest

from cge.sam import SamError, check_sam, load_sam, sam_hash, save_sam


def test_hand_sam_balances(hand_sam):
    assert check_sam(hand_sam) is hand_sam


def test_unbalanced_activity_is_named_with_gap(hand_sam):
    sam = hand_sam.copy(deep=True)
    sam["vfm"].loc[dict(factor="lab", activity="ser", region="B")] += 3.5
    with pytest.raises(SamError) as err:
        check_sam(sam)
    text = str(err.value)
    assert "activity [activity=ser, region=B]" in text
    assert "-3.5" in text
    assert "regional household [region=B]" in text  # the extra factor income unbalances it too


def test_negative_flow_is_named(hand_sam):
    sam = hand_sam.copy(deep=True)
    sam["vdfd"].loc[dict(commodity="man", agent="household", region="A")] = -1.0
    with pytest.raises(SamError, match=r"'vdfd' \[commodity=man, agent=household, region=A\] is negative: -1"):
        check_sam(sam)


def test_nan_is_reported(hand_sam):
    sam = hand_sam.copy(deep=True)
    sam["vifm"].loc[dict(commodity="man", activity="man", region="A")] = np.nan
    with pytest.raises(SamError, match="'vifm' has 1 NaN/inf values, e.g. at commodity=man, activity=man, region=A"):
        check_sam(sam)


def test_missing_variable_and_dimension(hand_sam):
    with pytest.raises(SamError, match="missing variable 'savings'"):
        check_sam(hand_sam.drop_vars("savings"))
    sam = hand_sam.copy()
    sam["ptax"] = sam["ptax"].sum("region")
    with pytest.raises(SamError, match="'ptax' has dims"):
        check_sam(sam)


def test_domestic_flow_in_bilateral_rejected(hand_sam):
    sam = hand_sam.copy(deep=True)
    sam["vxmd"].loc[dict(commodity="man", exporter="A", importer="A")] = 1.0
    with pytest.raises(SamError, match="own-region flows"):
        check_sam(sam)


def test_negative_tariff_rejected(hand_sam):
    sam = hand_sam.copy(deep=True)
    sam["xtax"].loc[dict(commodity="man", exporter="A", importer="B")] = 5.0  # tariff becomes -2.5
    with pytest.raises(SamError, match="tariff revenue .* is negative"):
        check_sam(sam)


def test_save_load_round_trip(tmp_path, hand_sam):
    path = save_sam(hand_sam, tmp_path / "out")
    loaded = load_sam(path.parent)
    assert sam_hash(loaded) == sam_hash(hand_sam)
    assert loaded.attrs["sam_hash"] == sam_hash(hand_sam)
    for name in ("vdfm", "vfm", "vims", "savings", "coords"):
        assert (tmp_path / "out" / f"{name}.csv").exists()
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith("tmp")]


def test_save_refuses_unbalanced_sam_and_writes_nothing(tmp_path, hand_sam):
    sam = hand_sam.copy(deep=True)
    sam["savings"] += 1.0
    with pytest.raises(SamError):
        save_sam(sam, tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


def test_hash_changes_with_values(hand_sam):
    sam = hand_sam.copy(deep=True)
    sam["vdfm"].values[0, 0, 0] += 1e-6
    assert sam_hash(sam) != sam_hash(hand_sam)


def test_sam_from_tidy_csv_files_equals_the_netcdf(tmp_path, hand_sam):
    """A directory of the CSV files save_sam writes (no sam.nc) loads as the same SAM."""
    from cge.sam import load_sam, sam_hash, save_sam

    save_sam(hand_sam, tmp_path / "sam")
    (tmp_path / "sam" / "sam.nc").unlink()
    csv = load_sam(tmp_path / "sam")
    assert sam_hash(csv) == sam_hash(hand_sam)
    assert csv["goods"].values.tolist() == hand_sam["goods"].values.tolist()
