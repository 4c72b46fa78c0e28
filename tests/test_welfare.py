"""Welfare decomposition of GTAP v7 runs (WELVIEW): the components sum to EV, signs, the report table."""

from __future__ import annotations

import numpy as np
import pytest

import cge


def test_run_reports_the_decomposition(hand_sam, hand_elasticities):
    """cge.run on GTAP v7 reports WELVIEW's seven columns (every one labelled by the reports); they
    sum to EV to the accuracy of the solve path, and a tariff of A on B moves the terms of trade
    A's way."""
    from cge.report.labels import WELFARE_COMPONENTS

    scen = cge.Scenario(name="t", tariffs=[{"importer": "A", "exporter": "B", "commodity": "man", "rate_pct": 40}])
    ds = cge.run(scen, sam=hand_sam, elasticities=hand_elasticities)
    dec = ds["ev_decomposition"]
    assert list(dec.component.values) == list(WELFARE_COMPONENTS)
    np.testing.assert_allclose(dec.sum("component"), ds["ev"], rtol=1e-6, atol=1e-12)
    assert dec.attrs["units"] == "US$ bn"
    shocked = dec.sel(scenario="t")
    assert float(shocked.sel(region="A", component="tot_E1")) > 0 > float(shocked.sel(region="B", component="tot_E1"))
    assert float(abs(shocked.sel(component=["tech_C1", "pop_D1", "pref_G1"])).max()) < 1e-12  # not shocked


def test_welfare_table_and_plot(hand_sam, hand_elasticities, tmp_path):
    from cge.report import report_tables, welfare_table, write_plots

    scen = cge.Scenario(name="t", tariffs=[{"importer": "A", "exporter": "B", "commodity": "man", "rate_pct": 40}])
    ds = cge.run(scen, sam=hand_sam, elasticities=hand_elasticities)
    table = welfare_table(ds, "A")
    assert list(table.index)[-1] == "EV"
    # the EV row is the sum of the components, which GTAP v7 gives to the accuracy of the solve path
    assert table.loc["EV", "t [US$ bn]"] == pytest.approx(float(ds["ev"].sel(scenario="t", region="A")), rel=1e-6)
    assert table.loc["EV", "t [US$ bn]"] == pytest.approx(table.drop(index="EV")["t [US$ bn]"].sum(), rel=1e-12)
    assert "terms of trade (tot_E1)" in table.index
    assert "welfare" in report_tables(ds, region="A")
    written = write_plots(ds, tmp_path)
    assert any(p.name == "welfare.png" for p in written)
