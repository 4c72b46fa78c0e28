"""The two US trade-jobs measures on the GTAP v7 model and a database, using only the public API.

    python experiments/trade_jobs.py [DATABASE_DIR]

Prints (numbers of docs/trade_jobs.md):

1. the gross input-output attribution (``us_na_trade_jobs_gross``) on the benchmark database;
2. the net counterfactual (``us_na_trade_jobs_net``): US employment change when US trade with
   Mexico and Canada stops — prohibitive tariffs both ways on every commodity (each flow's rate
   set to 1000 % of its cif value, as ``na_trade_stop.toml``) — under two labour closures:
   ``full_employment`` (GTAP's standard closure) and ``fixed_real_wage`` (the labour endowments
   endogenous, each region's wages fixed in terms of its consumer prices);
3. the gross attribution evaluated at the trade-stop flows (what the accounting attributes to
   the trade that remains: not jobs lost).

Until the model has its own labour closures, the fixed real wage is reached with GTAP's swap
``qe(lab, REG) = pe(lab, REG)`` and a shock to ``pe`` equal to each region's change in ``ppriv``,
found by fixed-point iteration (the end point has ``pe = ppriv`` to :data:`WAGE_TOL`).
Investment: RORDELTA = 0 (each region's investment keeps the composition of capital stocks); with
the shipped RORDELTA = 1 the trade stop has no solution (Canada's investment reaches -100 % a tenth
of the way along the shock path).
"""

from __future__ import annotations

import sys

import numpy as np
import xarray as xr

from cge.gtap import load_database, solve
from cge.indicators.gtap import us_na_trade_jobs_gross, us_na_trade_jobs_net

HOME, PARTNERS = "USA", ("MEX", "CAN")
STOP_RATE_PCT = 1000.0
"""New ad-valorem rate on every US-partner flow, both ways [percent of the cif value]."""
RORDELTA = 0
WAGE_TOL = 1e-5
"""Largest accepted real-wage change at the fixed point [percent] (ppriv is integrated to about 1e-7)."""
MAX_ROUNDS = 30


def trade_stop_shocks(db: xr.Dataset, home: str = HOME, partners=PARTNERS, rate_pct: float = STOP_RATE_PCT) -> dict:
    """``tms`` shocks that set every flow between ``home`` and ``partners`` (both ways) to
    ``rate_pct``: ``100 ((1 + new) / (1 + base) - 1)`` with ``base = VMSB / VCIF - 1``."""
    flow = db["VCIF"] > 0
    base = (db["VMSB"] / db["VCIF"].where(flow) - 1.0).fillna(0.0)
    shock = 100.0 * ((1.0 + rate_pct / 100.0) / (1.0 + base) - 1.0)
    source, destination = db["VCIF"]["REG"], db["VCIF"]["REG_2"]
    pairs = (source.isin([home]) & destination.isin(list(partners))) | (
        source.isin(list(partners)) & destination.isin([home])
    )
    return {"tms": shock.where(pairs & flow, 0.0).reset_coords(drop=True)}


def labour_endowments(db: xr.Dataset) -> list[str]:
    """Endowments with persons in the employment satellite."""
    persons = db["employment"].sum(["ACTS", "REG"])
    return [str(e) for e in persons["ENDW"].values[persons.values > 0]]


def solve_fixed_real_wage(db: xr.Dataset, shocks: dict, **options) -> xr.Dataset:
    """Results with every region's labour supply endogenous and its wage fixed in consumer prices.

    The shock to ``pe`` is corrected each round (Broyden's method) until the
    reported real wage ``(1 + pe) / (1 + ppriv)`` is within :data:`WAGE_TOL` of 1 (the solver
    reports nominal prices after its numeraire correction, so a shocked ``pe`` is not reported at
    its shock value; the real wage is unaffected by that correction).
    """
    skills = labour_endowments(db)
    swaps = [f'qe("{s}",REG) = pe("{s}",REG)' for s in skills]
    regions = [str(r) for r in db["REG"].values]
    wage = xr.DataArray(
        np.zeros((len(skills), len(regions))), dims=("ENDWMS", "REG"), coords={"ENDWMS": skills, "REG": regions}
    )
    jacobian = np.eye(wage.size)  # Broyden's estimate of d(gap)/d(wage), from the identity
    previous = None
    for _ in range(MAX_ROUNDS):
        results = solve(db, shocks={**shocks, "pe": wage}, swaps=swaps, **options)
        real = (1.0 + results["pe"].sel(ENDWMS=skills) / 100.0) / (1.0 + results["ppriv"] / 100.0)
        gap = 100.0 * (real - 1.0).transpose(*wage.dims)  # real-wage change [%], the residual to remove
        if float(np.max(np.abs(gap))) < WAGE_TOL:
            results.attrs["labour_closure"] = "fixed real wage: pe / ppriv unchanged in every region (fixed point)"
            return results
        if previous is not None:
            dw, dg = (wage - previous[0]).values.ravel(), (gap - previous[1]).values.ravel()
            jacobian += np.outer(dg - jacobian @ dw, dw) / (dw @ dw)
        previous = (wage, gap)
        wage = wage - np.linalg.solve(jacobian, gap.values.ravel()).reshape(wage.shape)
    worst = float(np.max(np.abs(gap)))
    raise RuntimeError(f"fixed real wage: no fixed point in {MAX_ROUNDS} rounds (last gap {worst:.2g} pp)")


def closure_results(db: xr.Dataset, **options) -> dict[str, xr.Dataset]:
    """The trade-stop results under each labour closure (``options`` go to :func:`cge.gtap.solve`)."""
    shocks = trade_stop_shocks(db)
    return {
        "full_employment": solve(db, shocks=shocks, rordelta=RORDELTA, **options),
        "fixed_real_wage": solve_fixed_real_wage(db, shocks, rordelta=RORDELTA, **options),
    }


def main(argv: list[str]) -> int:
    db = load_database(argv[0]) if argv else load_database()
    gross = us_na_trade_jobs_gross(db)
    print("gross input-output attribution [persons]")
    print(gross.to_pandas().round(0).to_string())
    print(f"total {float(gross.sum()):,.0f}; published {gross.attrs['published_persons']:,.0f}")
    results = closure_results(db)
    net = us_na_trade_jobs_net(results, db)
    print("\nnet counterfactual: US employment change if trade with MEX and CAN stopped [persons]")
    print(net.to_pandas().round(0).to_string())
    print("trade left [% of benchmark]:", net["partner_trade_remaining_pct"].values.round(4).tolist())
    for name, res in results.items():
        qgdp = res["qgdp"].sel(REG=HOME).item()
        print(f"{name}: US real GDP {qgdp:+.3f} %, EV {res['EV'].sel(REG=HOME).item() / 1e3:+.1f} US$ bn")
    remaining = us_na_trade_jobs_gross(db, results={"na_trade_stop": results["full_employment"]})
    total = float(remaining.sum())
    print(f"\ngross attribution at the trade-stop flows (full employment): {total:,.0f} persons (not jobs lost)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
