"""Indicators on GTAP v7 results (cge.indicators.gtap) and the two US trade-jobs measures."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from cge.errors import IndicatorError
from cge.gtap import load_database, solve, synthetic_database
from cge.gtap.model.coefficients import compute_coefficients
from cge.gtap.update import UPDATES
from cge.indicators import indicator_table
from cge.indicators.gtap import PRODUCED, gtap_indicators, us_na_trade_jobs_gross, us_na_trade_jobs_net
from cge.indicators.gtap.levels import updated_flows
from cge.indicators.gtap.multipliers import ratio
from cge.indicators.gtap.subtotals import Level
from cge.indicators.gtap.trade_jobs import PARTS, PUBLISHED_PERSONS

ROOT = Path(__file__).resolve().parent.parent
REL = 1e-9
NORTH_AMERICA = ("USA", "MEX", "CAN", "ROW")


def labelled_synthetic(regions, commodities, seed=0, distribution=None) -> xr.Dataset:
    """A synthetic GTAP database with its own labels and the satellites of the open database:
    persons per US$ of labour payments drawn by activity, distribution margins of 10 % on the
    non-margin commodities, bought from ``distribution`` (default: the first margin commodity)."""
    db = synthetic_database(len(regions), len(commodities), seed=seed)
    old = [str(c) for c in db["COMM"].values]
    rename = dict(zip(old, commodities))
    db = db.assign_coords(
        REG=list(regions),
        REG_2=list(regions),
        COMM=list(commodities),
        MARG=[rename[str(m)] for m in db["MARG"].values],
    )
    rng = np.random.default_rng(seed)
    labour = db["ENDW"].isin(["UnSkLab", "SkLab"])
    per_musd = xr.DataArray(rng.uniform(5.0, 25.0, db.sizes["ACTS"]), dims=("ACTS",), coords={"ACTS": db["ACTS"]})
    db["employment"] = (db["EVFB"] * per_musd).where(labour, 0.0)
    margin = db["COMM"].isin(db["MARG"].values)
    purchases = sum(db[h].sum("ACTS") if "ACTS" in db[h].dims else db[h] for h in ("VDFP", "VMFP", "VDPP", "VMPP"))
    db["domestic_trade_margins"] = (0.1 * purchases).where(~margin, 0.0)
    return db.assign_coords(agrifood=("COMM", np.arange(len(commodities)) == 0), goods=("COMM", ~margin.values))


@pytest.fixture(scope="module")
def shipped():
    return load_database()


@pytest.fixture(scope="module")
def synthetic():
    return labelled_synthetic(("Avalon", "Borduria", "Carpania"), ("grain", "steel", "ships", "rail", "road"))


@pytest.fixture(scope="module")
def north_america():
    return labelled_synthetic(NORTH_AMERICA, ("farm", "metal", "cars", "trade", "freight"), seed=3)


def us_tariff_on_mexico(db: xr.Dataset, pct: float = 25.0) -> dict:
    """tms raising the power of the US tariff on every good from Mexico by ``pct`` percent."""
    goods = db["goods"].reset_coords(drop=True)
    tms = xr.zeros_like(db["VCIF"].reset_coords(drop=True))
    tms.loc[{"REG": "MEX", "REG_2": "USA"}] = xr.where(goods, pct, 0.0).values
    return {"tms": tms}


@pytest.fixture(scope="module")
def shocked(shipped):
    """Results and updated database of the US tariff on Mexican goods."""
    return solve(shipped, shocks=us_tariff_on_mexico(shipped), updated=True)


@pytest.fixture(scope="module")
def replicated(shipped):
    return solve(shipped)


def close(a, b, rel=REL):
    """Equal within ``rel`` of the largest value; DataArrays aligned by dim name and label first."""
    if isinstance(a, xr.DataArray) and isinstance(b, xr.DataArray):
        a, b = xr.align(a.reset_coords(drop=True), b.reset_coords(drop=True).transpose(*a.dims), join="exact")
    b = np.asarray(b, float)
    np.testing.assert_allclose(np.asarray(a, float), b, rtol=rel, atol=rel * float(np.max(np.abs(b))))


def test_every_produced_indicator_has_a_row():
    table = indicator_table()
    assert set(PRODUCED) <= set(table.index[table["kind"] == "indicator"])


@pytest.mark.parametrize("which", ["synthetic", "shipped"])
def test_replication_gives_zero_changes_and_benchmark_levels(which, request):
    db = request.getfixturevalue(which)
    results = request.getfixturevalue("replicated") if which == "shipped" else solve(db)
    ds = gtap_indicators(results, db)
    cf = compute_coefficients(db)
    table = indicator_table()
    for name, da in ds.data_vars.items():
        if table.at[name, "units"] == "percent":
            assert float(np.nanmax(np.abs(da.values))) < 1e-9, name
        if table.at[name, "reference"] == "difference":  # US$ million or bn: below a dollar
            assert float(np.nanmax(np.abs(da.values))) < 1e-6, name
    close(ds["real_gdp"], cf.GDP / 1e3)
    close(ds["gdp_expenditure"], cf.GDP / 1e3)
    close(ds["trade_balance"], cf.TBAL / 1e3)
    close(ds["tariff_revenue"], cf.TAXRIMP / 1e3)
    close(ds["exports"], db["VFOB"].rename(REG="exporter", REG_2="importer", COMM="commodity") / 1e3)
    persons = db["employment"].sel(ENDW=["UnSkLab", "SkLab"]).rename(REG="region", ACTS="activity", ENDW="skill")
    close(ds["employment_by_skill"], persons)
    close(ds["employment"], persons.sum("skill"))
    assert float(ds["employment_reallocation"].max()) < 1e-6
    assert list(ds["region"].values) == [str(r) for r in db["REG"].values]


def test_values_after_a_shock_equal_the_updated_database(shipped, shocked):
    """Exports, tariff revenue and the trade balance from the indicators equal the same sums over
    the solver's updated database; world trade balances."""
    results, updated = shocked
    ds = gtap_indicators(results, shipped)
    assert "subtotal" not in ds.dims
    names = {"REG": "exporter", "REG_2": "importer", "COMM": "commodity"}
    close(ds["exports"], updated["VFOB"].rename(names).transpose(*ds["exports"].dims) / 1e3)
    volume = shipped["VFOB"] * (1 + results["qxs"] / 100)
    close(ds["export_volume"], volume.rename(names).transpose(*ds["export_volume"].dims) / 1e3)
    close(ds["tariff_revenue"], compute_coefficients(updated).TAXRIMP / 1e3)
    close(ds["trade_balance"], compute_coefficients(updated).TBAL / 1e3)
    assert abs(float(ds["trade_balance"].sum())) < 1e-9 * float(np.abs(ds["trade_balance"]).sum())
    agri = updated["VFOB"].where(shipped["agrifood"], 0).sum("COMM").rename(REG="exporter", REG_2="importer")
    close(ds["agrifood_exports"], agri / 1e3)


def test_updated_flows_equal_the_solvers_updated_database(shipped, shocked):
    results, updated = shocked
    ours = updated_flows(shipped, results)
    for header in UPDATES:  # SAVE included: ours moves it with psave and qsave (no save_value reported)
        close(ours[header], updated[header], rel=1e-8)


def test_employment_accounting(shipped, shocked):
    results, _ = shocked
    ds = gtap_indicators(results, shipped)
    base = shipped["employment"].sel(ENDW=["UnSkLab", "SkLab"]).sum(["ENDW", "ACTS"]).rename(REG="region")
    close(ds["employment"], ds["employment_by_skill"].sum("skill"))
    close(ds["employment_total"], ds["employment"].sum("activity"))
    change = ds["employment"].sum("activity") - base
    np.testing.assert_allclose(ds["employment_change"], change, atol=1e-9 * float(base.max()))
    # GTAP's standard closure fixes the labour endowment: persons employed do not change, though
    # labour moves between activities with different persons per US$ of wages
    np.testing.assert_allclose(change, 0.0, atol=1e-9 * float(base.max()))
    wage = ds["wage_by_skill_pct"].sel(region="USA")
    assert float(wage.min()) <= float(ds["wage_pct"].sel(region="USA")) <= float(wage.max())
    moved = ds["employment_reallocation"].sel(region="USA")
    assert 0 < float(moved) <= float(ds["employment"].sel(region="USA").sum())


def test_a_tariff_moves_the_indicators_as_expected(shipped, shocked):
    results, _ = shocked
    ds = gtap_indicators(results, shipped)
    base = gtap_indicators(solve(shipped), shipped)
    goods = ds["goods"]
    mexican = ds["export_volume"].sel(exporter="MEX", importer="USA").where(goods, 0).sum()
    assert float(mexican) < 0.9 * float(base["export_volume"].sel(exporter="MEX", importer="USA").where(goods, 0).sum())
    assert float(ds["tariff_revenue"].sel(region="USA")) > float(base["tariff_revenue"].sel(region="USA"))
    assert float(ds["terms_of_trade_pct"].sel(region="USA")) > 0 > float(ds["terms_of_trade_pct"].sel(region="MEX"))
    assert float(ds["real_gdp_pct"].sel(region="MEX")) < 0
    assert float(ds["ev"].sel(region="MEX")) < 0
    assert float(ds["output_pct"].sel(region="MEX", commodity="motor_veh")) < 0


def test_detail_all_reaches_every_gtap_variable(shipped, shocked):
    results, _ = shocked
    ds = gtap_indicators(results, shipped, detail="all")
    assert set(results.data_vars) <= set(ds.data_vars)
    assert ds["qxs"].dims == ("commodity", "exporter", "importer")
    assert ds["pe"].dims == ("factor", "region")
    assert np.isnan(ds["pe"].sel(factor="NatlRes")).all() and not np.isnan(ds["pe"].sel(factor="Capital")).any()
    assert ds["qst"].dims == ("margin", "region")
    assert ds["EV_decomposition"].dims == ("region", "component")
    assert ds["qgdp"].attrs["units"] == "percent" and ds["EV"].attrs["units"] == "US$ million"
    close(ds["ev"] * 1e3, ds["EV"])
    close(ds["ev_decomposition"].sum("component"), ds["ev"], rel=1e-5)  # path integration


def subtotal_results(results: xr.Dataset, seed: int = 0) -> xr.Dataset:
    """Results with a hand-made ``subtotal`` dim: three groups of arbitrary (random) shares of
    every cell that sum to the total exactly."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, da in results.data_vars.items():
        a = rng.uniform(-0.5, 1.5, da.shape)
        b = rng.uniform(-0.5, 1.5, da.shape)
        g1, g2 = da * a, da * b
        out[name] = xr.concat([da, g1, g2, da - g1 - g2], dim="subtotal")
    labels = ["total", "US tariffs on Mexico", "Mexico's retaliation", "the rest"]
    return xr.Dataset(out, attrs=results.attrs).assign_coords(subtotal=labels)


def test_subtotals_sum_to_the_total(shipped, shocked, replicated):
    """Every indicator's groups sum to its total change (levels: total minus the benchmark)
    within 1e-9; the total slice equals the indicators of the results without subtotals."""
    results, _ = shocked
    split = gtap_indicators(subtotal_results(results), shipped)
    whole = gtap_indicators(results, shipped)
    bench = gtap_indicators(replicated, shipped)
    table = indicator_table()
    checked = 0
    for name, da in split.data_vars.items():
        assert da.dims[0] == "subtotal", name
        tot = da.sel(subtotal="total")
        close(tot, whole[name].transpose(*tot.dims))
        groups = da.drop_sel(subtotal="total")
        if name == "employment_reallocation":
            assert np.isnan(groups).all()  # not additive: total only
            continue
        change = tot - bench[name] if table.at[name, "reference"] == "level" else tot
        scale = max(float(np.abs(tot).max()), 1.0)
        np.testing.assert_allclose(groups.sum("subtotal"), change, rtol=0, atol=REL * scale, err_msg=name)
        checked += 1
    assert checked == len(split.data_vars) - 1


def test_product_rule_splits_the_cross_term_symmetrically():
    sub = xr.DataArray(["total", "a", "b"], dims="subtotal")
    p = xr.DataArray([10.0, 4.0, 6.0], dims="subtotal", coords={"subtotal": sub})
    q = xr.DataArray([-20.0, -30.0, 10.0], dims="subtotal", coords={"subtotal": sub})
    value = Level.from_pct(xr.DataArray(100.0), p) * Level.index(q)
    assert float(value.value().sel(subtotal="total")) == pytest.approx(100 * 1.1 * 0.8)
    pq = 0.1 * -0.2
    a = 100 * (0.04 + -0.30 + (0.04 * -0.2 + -0.30 * 0.1) / 2)
    assert float(value.value().sel(subtotal="a")) == pytest.approx(a)
    assert float(value.change.sel(subtotal=["a", "b"]).sum()) == pytest.approx(100 * (0.1 - 0.2 + pq))


def test_synthetic_labels_and_region_order(synthetic):
    results = solve(synthetic, shocks={"tms": 10.0})
    ds = gtap_indicators(results, synthetic)
    assert list(ds["region"].values) == ["Avalon", "Borduria", "Carpania"]
    assert list(ds["commodity"].values) == ["grain", "steel", "ships", "rail", "road"]
    assert float(ds["agrifood_exports"].sum()) > 0
    permuted = results.reindex(REG=["Carpania", "Avalon", "Borduria"])
    close(gtap_indicators(permuted, synthetic)["real_gdp"], ds["real_gdp"])
    stacked = gtap_indicators(
        xr.concat([results, results], dim="scenario").assign_coords(scenario=["a", "b"]), synthetic
    )
    assert stacked["exports"].dims == ("scenario", "exporter", "importer", "commodity")
    close(stacked["ev"].sel(scenario="b"), ds["ev"])


def test_results_of_another_database_are_refused(synthetic, shipped, replicated):
    with pytest.raises(IndicatorError, match=r"set REG: results only \['CAN'") as err:
        gtap_indicators(replicated, synthetic)
    assert "\n" not in str(err.value)


def test_missing_results_variable_and_detail(shipped, replicated):
    with pytest.raises(IndicatorError, match="no variable 'qgdp'"):
        gtap_indicators(replicated.drop_vars("qgdp"), shipped)
    with pytest.raises(IndicatorError, match="detail = 'some'"):
        gtap_indicators(replicated, shipped, detail="some")


def test_without_satellites_employment_is_left_out(synthetic):
    bare = synthetic.drop_vars(["employment", "domestic_trade_margins"]).drop_vars("agrifood")
    ds = gtap_indicators(solve(bare), bare)
    assert "employment" not in ds and "agrifood_exports" not in ds and "real_gdp" in ds


def rates_of(db: xr.Dataset, results: xr.Dataset) -> xr.Dataset:
    flow = db["VCIF"] > 0
    base = (db["VMSB"] / db["VCIF"].where(flow) - 1).fillna(0) * 100
    power = (1 + results["tms"] / 100) * (1 + results["tm"].rename(REG="REG_2") / 100)
    return xr.Dataset({"tariff_base_pct": base, "tariff_new_pct": (100 + base) * power - 100})


def test_rates_are_checked_against_the_database_and_results(shipped, shocked):
    results, _ = shocked
    rates = rates_of(shipped, results)
    checked = gtap_indicators(results, shipped, rates=rates)["tariff_revenue"]
    close(checked, gtap_indicators(results, shipped)["tariff_revenue"])
    wrong = rates.copy()
    wrong["tariff_new_pct"] = wrong["tariff_new_pct"].where(~((wrong.REG == "MEX") & (wrong.REG_2 == "USA")), 0.0)
    with pytest.raises(IndicatorError, match=r"tariff_new_pct of \w+ from MEX to USA .* results' tm and tms"):
        gtap_indicators(results, shipped, rates=wrong)


# --- US trade jobs ---------------------------------------------------------------------------


def neumann(matrix: np.ndarray, vector: np.ndarray, terms: int = 400) -> np.ndarray:
    """``(I - M)^-1 v`` as the power series ``v + M v + M^2 v + ...`` (an independent route)."""
    out, term = vector.copy(), vector.copy()
    for _ in range(terms):
        term = matrix @ term
        out += term
    return out


def test_gross_parts_by_an_independent_route(north_america):
    """Direct, indirect and induced parts of each flow against power series on the database's
    own arrays; the parts sum to the type II total."""
    db = north_america
    gross = us_na_trade_jobs_gross(db, distribution="trade")
    assert list(gross["part"].values) == list(PARTS)
    us = {"REG": "USA"}
    make = db["MAKB"].sel(us).transpose("COMM", "ACTS").values
    output = make.sum(0)
    shares = ratio(make, make.sum(1)[:, None]).T
    a = shares @ ratio(db["VDFB"].sel(us).transpose("COMM", "ACTS").values, output[None])
    e = ratio(db["employment"].sel(us).sum("ENDW").transpose("ACTS").values, output)
    exports = shares @ db["VXSB"].sel(REG="USA", REG_2=["MEX", "CAN"]).sum("REG_2").transpose("COMM").values
    income = float((db["VDPP"] + db["VMPP"] + db["VDGP"] + db["VMGP"]).sel(us).sum() + db["SAVE"].sel(us))
    h = shares @ (db["VDPB"].sel(us).transpose("COMM").values / income)
    v = ratio(db["EVFB"].sel({**us, "ENDW": ["UnSkLab", "SkLab"]}).sum("ENDW").transpose("ACTS").values, output)
    closed = np.block([[a, h[:, None]], [v[None, :], np.zeros((1, 1))]])
    type_one = e @ neumann(a, exports)
    type_two = e @ neumann(closed, np.append(exports, 0.0))[:-1]
    parts = gross.sel(part=["exports_direct", "exports_indirect", "exports_induced"]).values
    np.testing.assert_allclose(parts, [e @ exports, type_one - e @ exports, type_two - type_one], rtol=1e-9)
    assert (gross > 0).all()
    assert gross.attrs["published_persons"] == PUBLISHED_PERSONS
    assert "net estimate" in gross.attrs["published_description"]


def test_gross_import_distribution_follows_the_margin_satellite(north_america):
    double = north_america.copy()
    double["domestic_trade_margins"] = 2 * north_america["domestic_trade_margins"]
    one, two = us_na_trade_jobs_gross(north_america), us_na_trade_jobs_gross(double)
    dist = [p for p in PARTS if p.startswith("import_distribution")]
    close(two.sel(part=dist), 2 * one.sel(part=dist))
    rest = [p for p in PARTS if p not in dist]
    close(two.sel(part=rest), one.sel(part=rest))


def test_us_measures_name_what_is_missing(synthetic, north_america):
    net = lambda: us_na_trade_jobs_net({"x": solve(synthetic)}, synthetic)  # noqa: E731
    for call in (lambda: us_na_trade_jobs_gross(synthetic), net):
        with pytest.raises(IndicatorError, match=r"needs region\(s\) USA, MEX, CAN, which the database lacks") as err:
            call()
        assert "\n" not in str(err.value)
    with pytest.raises(IndicatorError, match="no 'domestic_trade_margins' satellite"):
        us_na_trade_jobs_gross(north_america.drop_vars("domestic_trade_margins"))
    with pytest.raises(IndicatorError, match="distribution commodity 'retail' is not in COMM"):
        us_na_trade_jobs_gross(north_america, distribution="retail")


def load_experiment():
    spec = importlib.util.spec_from_file_location("trade_jobs_experiment", ROOT / "experiments" / "trade_jobs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def trade_stop(shipped):
    """The trade-stop results under full employment and a fixed real wage (experiments/trade_jobs.py),
    on 4 path intervals (the levels are exact at any node count; only the path indices such as
    ppriv, qgdp and EV are less accurate than the adaptive default, which takes 64 here)."""
    return load_experiment().closure_results(shipped, nodes=4)


def test_net_measure_under_two_labour_closures(shipped, trade_stop):
    net = us_na_trade_jobs_net(trade_stop, shipped)
    assert net.dims == ("scenario", "labour_closure")
    assert (net["partner_trade_remaining_pct"] < 1.0).all()  # imports and exports fall > 99 %
    full = net.sel(labour_closure="full_employment").item()
    fixed = net.sel(labour_closure="fixed_real_wage").item()
    # full employment: the labour endowment is fixed, so labour in use (benchmark US$) is unchanged
    # by construction; the persons change is the composition effect only
    results = trade_stop["full_employment"]
    labour = {"ENDW": ["UnSkLab", "SkLab"], "REG": "USA"}
    volume = (shipped["EVFB"].sel(labour) * results["qfe"].sel(labour)).sum()
    assert abs(float(volume)) < 1e-9 * float(shipped["EVFB"].sel(labour).sum()) * 100
    assert abs(full) < abs(fixed) / 10
    assert fixed < 0
    fixed_wage = trade_stop["fixed_real_wage"]  # wages deflated by the benchmark-basket CPI stay put
    assert float(np.abs(fixed_wage["rwage"].sel(ENDWMS=labour["ENDW"])).max()) < 1e-6
    assert net.attrs["published_persons"] == PUBLISHED_PERSONS


def test_net_measure_carries_subtotals(shipped, trade_stop):
    split = us_na_trade_jobs_net({k: subtotal_results(v) for k, v in trade_stop.items()}, shipped)
    whole = us_na_trade_jobs_net(trade_stop, shipped)
    close(split.sel(subtotal="total"), whole)
    close(split.drop_sel(subtotal="total").sum("subtotal"), whole, rel=1e-8)


def test_gross_at_scenario_flows_is_not_jobs_lost(shipped, trade_stop, replicated):
    gross = us_na_trade_jobs_gross(shipped)
    scenarios = {"baseline": replicated, "na_trade_stop": trade_stop["full_employment"]}
    at = us_na_trade_jobs_gross(shipped, results=scenarios)
    assert at.dims == ("scenario", "part")
    close(at.sel(scenario="baseline"), gross, rel=1e-8)
    stopped = at.sel(scenario="na_trade_stop", part=["exports_direct", "exports_indirect", "exports_induced"])
    assert float(stopped.sum()) < 1e-3 * float(gross.sel(part=stopped["part"]).sum())
    assert "not a count of jobs lost" in at.attrs["evaluated"]


def test_experiment_script_prints_both_measures(capsys, trade_stop):
    module = load_experiment()
    module.closure_results = lambda db: trade_stop  # the solves are the fixture's
    assert module.main([]) == 0
    out = capsys.readouterr().out
    assert "gross input-output attribution" in out and "net counterfactual" in out


def goods_tariff(db: xr.Dataset, exporter: str, importer: str, pct: float) -> xr.DataArray:
    """tms on the goods of one flow only (a DataArray over that flow's labels: other cells unshocked)."""
    goods = [str(c) for c in db["COMM"].values[db["goods"].values]]
    values = np.full((len(goods), 1, 1), pct)
    return xr.DataArray(
        values, dims=("COMM", "REG", "REG_2"), coords={"COMM": goods, "REG": [exporter], "REG_2": [importer]}
    )


def test_solver_subtotals_carry_into_the_indicators(shipped, replicated):
    """Subtotals from cge.gtap.solve: every indicator's groups sum to its total change to the
    solver's accuracy (1e-6 of the result)."""
    groups = {
        "US tariffs on Mexico": {"tms": goods_tariff(shipped, "MEX", "USA", 25.0)},
        "Mexico's retaliation": {"tms": goods_tariff(shipped, "USA", "MEX", 25.0)},
    }
    results = solve(shipped, subtotals=groups)
    ds = gtap_indicators(results, shipped)
    bench = gtap_indicators(replicated, shipped)
    table = indicator_table()
    assert list(ds["subtotal"].values) == ["total", *groups]
    for name, da in ds.data_vars.items():
        if name == "employment_reallocation":
            continue
        tot = da.sel(subtotal="total")
        change = tot - bench[name] if table.at[name, "reference"] == "level" else tot
        scale = max(float(np.abs(tot).max()), 1.0)
        gap = float(np.abs(da.drop_sel(subtotal="total").sum("subtotal") - change).max())
        assert gap < 1e-6 * scale, (name, gap)
    us_revenue = ds["tariff_revenue"].sel(region="USA")
    assert float(us_revenue.sel(subtotal="US tariffs on Mexico")) > 0  # the US tariff raises US revenue
