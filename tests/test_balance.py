"""Balancing by RAS and cross-entropy, the balance report, and the random SAM factory."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from sam_factory import perturb_sam, random_balanced_sam

from cge.balance import ADJUSTMENT_COLUMNS, Side, Target, Term, cross_entropy, max_account_gap, ras
from cge.dims import AGENT, COMMODITY, EXPORTER, FACTOR_TYPE, IMPORTER, REGION
from cge.sam import SamError, check_sam, output_cost, sam_hash
from cge.sam_matrix import account_matrix

FLOWS = ("vdfm", "vifm", "vdfd", "vifd", "vfm", "ptax", "vxmd", "xtax", "vims", "savings")


@pytest.fixture(scope="module")
def prior():
    """An unbalanced SAM: a balanced 3x3x2 SAM with 5 % noise, some bilateral flows zero."""
    return perturb_sam(random_balanced_sam(3, 3, 2, seed=11, zero_share=0.3), noise=0.05, seed=3)


def gdp_target(region: str, value: float) -> Target:
    """GDP at market prices by income: factor payments + ptax + tariffs + export taxes."""
    return Target(
        f"GDP {region}",
        (
            Term("vfm", {REGION: region}),
            Term("ptax", {REGION: region}),
            Term("tariff", {IMPORTER: region}),
            Term("xtax", {EXPORTER: region}),
        ),
        value,
    )


def assert_zero_cells_stay_zero_and_signs_kept(before, after):
    for name in FLOWS:
        b, a = before[name].values, after[name].values
        assert np.all(a[b == 0] == 0), name
        assert np.all(np.sign(a) == np.sign(b)), name


# --------------------------------------------------------------------------- factory
@pytest.mark.parametrize("n_r, n_c, n_f", [(1, 1, 1), (1, 8, 3), (2, 1, 2), (6, 8, 3), (4, 3, 1), (3, 5, 2)])
@pytest.mark.parametrize("zero_share", [0.0, 0.5])
def test_factory_makes_balanced_sams(n_r, n_c, n_f, zero_share):
    sam = random_balanced_sam(n_r, n_c, n_f, seed=n_r * 100 + n_c, zero_share=zero_share)
    check_sam(sam, rtol=1e-12)
    assert (sam["savings"] >= 0).all()
    assert ((output_cost(sam) - sam["ptax"]) > 0).all()
    assert list(sam[FACTOR_TYPE].values) == ["labour", "capital", "land"][:n_f]
    assert max_account_gap(sam) < 1e-10
    if n_r == 1:
        assert float(sam["vims"].sum()) == 0.0


def test_factory_zero_share_and_signs():
    sam = random_balanced_sam(5, 6, 2, seed=1, zero_share=0.5)
    off = ~np.eye(5, dtype=bool)[None]
    vxmd = sam["vxmd"].transpose(COMMODITY, EXPORTER, IMPORTER).values
    assert 0.3 < (vxmd[np.broadcast_to(off, vxmd.shape)] == 0).mean() < 0.7
    assert (sam["xtax"] < 0).any() and (sam["ptax"] < 0).any()
    assert random_balanced_sam(5, 6, 2, seed=1, zero_share=0.5).identical(sam)
    with pytest.raises(ValueError):
        random_balanced_sam(0, 3, 2)


# --------------------------------------------------------------------------- matrix view
def test_account_matrix_is_square_and_balanced_for_a_balanced_sam():
    sam = random_balanced_sam(3, 2, 2, seed=5)
    mat = account_matrix(sam)
    assert mat.shape == (3 * 2 * 2 + 3 * 2 + 4 * 3 + 1,) * 2
    np.testing.assert_allclose(mat.sum(axis=1).values, mat.sum(axis=0).values, atol=1e-9)
    assert (mat.values >= 0).all()


# --------------------------------------------------------------------------- RAS
def test_ras_balances_a_perturbed_sam(prior):
    with pytest.raises(SamError):
        check_sam(prior)
    balanced, report = ras(prior)
    check_sam(balanced)
    assert report.method == "ras" and report.iterations > 0
    assert report.max_gap_before > 1.0 and report.max_gap_after < 1e-6
    assert_zero_cells_stay_zero_and_signs_kept(prior, balanced)
    assert set(report.adjustments.columns) == set(ADJUSTMENT_COLUMNS)
    assert report.adjustments["change_pct"].abs().max() < 25.0


@pytest.mark.parametrize("n_r, n_c, n_f", [(1, 3, 2), (2, 1, 1), (5, 4, 3)])
def test_ras_and_cross_entropy_on_other_sizes(n_r, n_c, n_f):
    prior = perturb_sam(random_balanced_sam(n_r, n_c, n_f, seed=n_c, zero_share=0.4), noise=0.03, seed=n_r)
    for method in (ras, cross_entropy):
        balanced, _ = method(prior)
        check_sam(balanced)
        assert_zero_cells_stay_zero_and_signs_kept(prior, balanced)


def test_ras_given_total(prior):
    label = "regional_household[r2]"
    receipts = float(account_matrix(prior).loc[label].sum())
    balanced, report = ras(prior, totals={label: 1.02 * receipts})
    check_sam(balanced)
    assert report.targets.loc[0, "name"] == label
    assert report.targets.loc[0, "before"] == pytest.approx(receipts)
    mat = account_matrix(balanced)
    np.testing.assert_allclose([mat.loc[label].sum(), mat[label].sum()], 1.02 * receipts, rtol=1e-9)
    with pytest.raises(ValueError, match="does not target"):
        ras(prior, totals={"factor[labour,r1]": 10.0})


def test_ras_unreachable_total_raises(prior):
    bad = prior.copy(deep=True)
    bad["vfm"].loc[{REGION: "r1", "activity": "c1"}] = 0.0
    bad["vdfm"].loc[{REGION: "r1", "activity": "c1"}] = 0.0
    bad["vifm"].loc[{REGION: "r1", "activity": "c1"}] = 0.0
    bad["ptax"].loc[{REGION: "r1", "activity": "c1"}] = 0.0
    with pytest.raises(ValueError, match=r"activity\[c1,r1\]"):
        ras(bad)


def test_balanced_sam_is_left_unchanged():
    sam = random_balanced_sam(3, 3, 2, seed=2)
    for method in (ras, cross_entropy):
        balanced, report = method(sam)
        assert report.iterations == 0 and len(report.adjustments) == 0
        for name in FLOWS:
            assert np.array_equal(balanced[name].values, sam[name].values)


# --------------------------------------------------------------------------- cross-entropy
def test_cross_entropy_balances_and_keeps_signed_cells(prior):
    balanced, report = cross_entropy(prior)
    check_sam(balanced)
    assert report.method == "cross_entropy" and report.iterations > 0
    assert report.max_gap_after < 1e-8
    assert_zero_cells_stay_zero_and_signs_kept(prior, balanced)
    for name in ("ptax", "xtax"):  # signed cells are fixed unless targeted
        assert np.array_equal(balanced[name].values, prior[name].values)
    assert not (report.adjustments["variable"].isin(["ptax", "xtax"])).any()


def test_cross_entropy_is_closer_to_the_prior_than_ras(prior):
    def distance(balanced):
        x0 = np.concatenate([np.abs(prior[n].values).ravel() for n in FLOWS if n not in ("ptax", "xtax")])
        x = np.concatenate([np.abs(balanced[n].values).ravel() for n in FLOWS if n not in ("ptax", "xtax")])
        pos = x0 > 0
        return float(np.sum(x[pos] * np.log(x[pos] / x0[pos]) - x[pos] + x0[pos]))

    ce, _ = cross_entropy(prior)
    fixed = [(name, {}) for name in ("ptax", "xtax")]
    ce_fixed, _ = cross_entropy(prior, fixed=fixed)
    assert distance(ce) == pytest.approx(distance(ce_fixed))
    assert distance(ce) < distance(ras(prior)[0])


def test_cross_entropy_hits_targets_and_respects_fixed(prior):
    targets = [
        gdp_target("r1", 1.05 * _gdp(prior, "r1")),
        Target(
            "US household c2",
            (
                Term("vdfd", {COMMODITY: "c2", AGENT: "household", REGION: "r1"}),
                Term("vifd", {COMMODITY: "c2", AGENT: "household", REGION: "r1"}),
            ),
            80.0,
        ),
        Target("imports r3 at importer prices", (Term("vims", {IMPORTER: "r3"}),), 120.0),
    ]
    fixed = [("vfm", {"factor": "labour", REGION: "r2"}), ("savings", {REGION: ["r1", "r3"]})]
    balanced, report = cross_entropy(prior, targets=targets, fixed=fixed)
    check_sam(balanced)
    np.testing.assert_allclose(report.targets["achieved"], [t.value for t in targets], rtol=1e-8)
    np.testing.assert_allclose(_gdp(balanced, "r1"), targets[0].value, rtol=1e-8)
    np.testing.assert_allclose(float(balanced["vims"].sel({IMPORTER: "r3"}).sum()), 120.0, rtol=1e-8)
    assert np.array_equal(
        balanced["vfm"].sel(factor="labour", region="r2").values, prior["vfm"].sel(factor="labour", region="r2").values
    )
    assert np.array_equal(
        balanced["savings"].sel(region=["r1", "r3"]).values, prior["savings"].sel(region=["r1", "r3"]).values
    )
    assert_zero_cells_stay_zero_and_signs_kept(prior, balanced)
    # ptax of r1 is targeted (through GDP) so it moves; ptax elsewhere stays
    assert not np.array_equal(balanced["ptax"].sel(region="r1").values, prior["ptax"].sel(region="r1").values)
    assert np.array_equal(balanced["ptax"].sel(region="r2").values, prior["ptax"].sel(region="r2").values)


def _gdp(sam, region):
    from cge.sam import tariff_revenue

    return float(
        sam["vfm"].sel(region=region).sum()
        + sam["ptax"].sel(region=region).sum()
        + tariff_revenue(sam).sel(importer=region).sum()
        + sam["xtax"].sel(exporter=region).sum()
    )


def test_target_on_zero_cells_raises(prior):
    target = Target("own exports", (Term("vxmd", {EXPORTER: "r1", IMPORTER: "r1"}),), 10.0)
    with pytest.raises(ValueError, match="own exports"):
        cross_entropy(prior, targets=[target])


def test_target_on_fixed_cells_raises(prior):
    target = Target("labour r1", (Term("vfm", {"factor": "labour", REGION: "r1"}),), 1e4)
    with pytest.raises(ValueError, match="labour r1"):
        cross_entropy(prior, targets=[target], fixed=[("vfm", {REGION: "r1"})])


def test_contradictory_targets_raise(prior):
    sel = {COMMODITY: "c1", AGENT: "household", REGION: "r2"}
    targets = [Target("a", (Term("vdfd", sel),), 50.0), Target("b", (Term("vdfd", sel),), 60.0)]
    with pytest.raises(ValueError, match="contradictory.*'a', 'b'"):
        cross_entropy(prior, targets=targets)


def test_targets_infeasible_with_nonnegativity_raise(prior):
    whole = {COMMODITY: "c1", REGION: "r2"}
    part = {COMMODITY: "c1", "activity": "c1", REGION: "r2"}
    targets = [Target("all c1 use", (Term("vdfm", whole),), 10.0), Target("c1 in c1", (Term("vdfm", part),), 30.0)]
    with pytest.raises(ValueError, match="infeasible.*(all c1 use|c1 in c1)"):
        cross_entropy(prior, targets=targets)


def test_negative_target_on_nonnegative_cells_raises(prior):
    with pytest.raises(ValueError, match="wrong sign.*neg"):
        cross_entropy(prior, targets=[Target("neg", (Term("vfm", {REGION: "r1"}),), -5.0)])


def test_bad_terms_raise(prior):
    with pytest.raises(ValueError, match="unknown variable"):
        cross_entropy(prior, targets=[Target("x", (Term("employment", {}),), 1.0)])
    with pytest.raises(ValueError, match="unknown labels"):
        cross_entropy(prior, targets=[Target("x", (Term("vfm", {REGION: "mars"}),), 1.0)])
    with pytest.raises(ValueError, match="no dims"):
        cross_entropy(prior, targets=[Target("x", (Term("savings", {COMMODITY: "c1"}),), 1.0)])


# --------------------------------------------------------------------------- report
def test_report_json_summary_and_attrs(prior):
    balanced, report = cross_entropy(prior, targets=[gdp_target("r2", 1.01 * _gdp(prior, "r2"))])
    payload = json.loads(balanced.attrs["balancing_report"])
    assert payload["method"] == "cross_entropy"
    assert payload["n_adjustments"] == len(report.adjustments) > 50
    assert len(payload["top_adjustments"]) == 50
    changes = [abs(row["change"]) for row in payload["top_adjustments"]]
    assert changes == sorted(changes, reverse=True)
    assert payload["targets"][0]["name"] == "GDP r2"
    assert balanced.attrs["sam_hash"] == sam_hash(balanced)
    text = report.summary()
    assert "cross_entropy" in text and "GDP r2" in text
    row = report.adjustments.iloc[0]
    np.testing.assert_allclose(row["change"], row["after"] - row["before"])
    sel = {d: row[d] for d in prior[row["variable"]].dims}
    assert float(balanced[row["variable"]].sel(sel)) == row["after"]
    assert float(prior[row["variable"]].sel(sel)) == row["before"]


def test_every_changed_cell_is_reported(prior):
    balanced, report = ras(prior)
    changed = sum(int((balanced[n].values != prior[n].values).sum()) for n in FLOWS)
    assert len(report.adjustments) == changed


@pytest.mark.parametrize("seed", range(3))
def test_random_priors_balance_with_both_methods(seed):
    sizes = list(itertools.product((2, 4), (2, 5), (1, 3)))
    n_r, n_c, n_f = sizes[seed * 2]
    prior = perturb_sam(random_balanced_sam(n_r, n_c, n_f, seed=seed, zero_share=0.25), noise=0.1, seed=seed)
    for method in (ras, cross_entropy):
        balanced, report = method(prior)
        check_sam(balanced)
        assert report.max_gap_after <= 1e-9 * max(1.0, float(np.abs(balanced["vdfm"]).sum()))


# --------------------------------------------------------------------------- soft targets
def _household(sam, commodity: str, region: str) -> float:
    sel = {COMMODITY: commodity, AGENT: "household", REGION: region}
    return float(sam["vdfd"].sel(sel) + sam["vifd"].sel(sel))


def _household_target(value: float, sd=None, side=Side.EQUAL, name="hh c1 r2") -> Target:
    sel = {COMMODITY: "c1", AGENT: "household", REGION: "r2"}
    return Target(name, (Term("vdfd", sel), Term("vifd", sel)), value, sd, side)


def test_soft_target_is_pulled_towards_in_proportion_to_its_precision(prior):
    free, _ = cross_entropy(prior)
    base = _household(free, "c1", "r2")
    goal = 1.4 * base
    gdp = gdp_target("r1", 1.05 * _gdp(prior, "r1"))
    tight, report = cross_entropy(prior, targets=[gdp, _household_target(goal, sd=0.005)])
    loose, _ = cross_entropy(prior, targets=[gdp, _household_target(goal, sd=2.0)])
    check_sam(tight)
    got_tight, got_loose = _household(tight, "c1", "r2"), _household(loose, "c1", "r2")
    assert abs(got_tight / goal - 1) < 0.02  # a precise figure is nearly met
    assert abs(got_loose - base) < abs(got_tight - base)  # a vague one moves the SAM less
    assert base < got_loose < got_tight <= goal * 1.0001
    np.testing.assert_allclose(_gdp(tight, "r1"), gdp.value, rtol=1e-8)  # hard targets stay exact
    row = report.targets.set_index("name").loc["hh c1 r2"]
    assert row["sd"] == 0.005 and row["side"] == "equal"
    assert np.isnan(report.targets.set_index("name").loc["GDP r1", "sd"])


def test_one_sided_soft_targets(prior):
    free, _ = cross_entropy(prior)
    base = _household(free, "c1", "r2")
    met, _ = cross_entropy(prior, targets=[_household_target(0.5 * base, 0.01, Side.AT_LEAST)])
    assert _household(met, "c1", "r2") == pytest.approx(base, rel=1e-6)  # a bound already met is inert
    capped, _ = cross_entropy(prior, targets=[_household_target(0.5 * base, 0.005, Side.AT_MOST)])
    assert _household(capped, "c1", "r2") < 0.55 * base
    raised, _ = cross_entropy(prior, targets=[_household_target(1.5 * base, 0.005, Side.AT_LEAST)])
    assert _household(raised, "c1", "r2") > 1.45 * base


def test_conflicting_soft_targets_are_weighed_not_rejected(prior):
    a = _household_target(50.0, 0.01, name="a")
    b = _household_target(60.0, 0.01, name="b")
    balanced, _ = cross_entropy(prior, targets=[a, b])
    assert 50.0 < _household(balanced, "c1", "r2") < 60.0
    c = _household_target(60.0, 0.001, name="c")  # more precise: wins
    balanced, _ = cross_entropy(prior, targets=[a, c])
    assert _household(balanced, "c1", "r2") > 59.0


def test_bad_soft_targets_raise():
    with pytest.raises(ValueError, match="sd must be positive"):
        _household_target(1.0, sd=0.0)
    with pytest.raises(ValueError, match="nonzero value"):
        _household_target(0.0, sd=0.1)
    with pytest.raises(ValueError, match="needs a soft target"):
        _household_target(1.0, side=Side.AT_LEAST)
