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

The fixed real wage is the project's labour closure on GTAP v7 (``qe(lab, r) = rwage(lab, r)``:
the endowment price deflated by the benchmark-basket consumer price index stays put,
:mod:`cge.gtap.horizons`). Investment: RORDELTA = 0 (each region's investment keeps the
composition of capital stocks); with the shipped RORDELTA = 1 the trade stop has no solution (Canada's investment reaches -100 % a tenth
of the way along the shock path).
"""

from __future__ import annotations

import sys

import xarray as xr

from cge.gtap import gtap_closure, load_database, solve
from cge.indicators.gtap import us_na_trade_jobs_gross, us_na_trade_jobs_net

HOME, PARTNERS = "USA", ("MEX", "CAN")
STOP_RATE_PCT = 1000.0
"""New ad-valorem rate on every US-partner flow, both ways [percent of the cif value]."""


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


def closure_results(db: xr.Dataset, **options) -> dict[str, xr.Dataset]:
    """The trade-stop results under each labour closure (``options`` go to :func:`cge.gtap.solve`):
    the medium run with RORDELTA = 0, and labour fully employed or at a fixed real wage in every
    region (:func:`cge.gtap.gtap_closure`)."""
    shocks = trade_stop_shocks(db)
    out = {}
    for labour in ("full_employment", "fixed_real_wage"):
        closure = gtap_closure(db, "medium_run", labour=labour, macro="global_bank")
        out[labour] = solve(closure.database, shocks=shocks, **closure.solve_options(), **options)
        out[labour].attrs["labour_closure"] = closure.description
    return out


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
