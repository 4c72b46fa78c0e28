"""Indicators on GTAP v7 results (``docs/gtap_indicators.md``) and the US trade-jobs measures
(``docs/trade_jobs.md``).

- :mod:`~cge.indicators.gtap.indicators`: :func:`gtap_indicators`, the project's indicators from
  the results of :func:`cge.gtap.solve` and the database.
- :mod:`~cge.indicators.gtap.subtotals`: levels carried through GEMPACK's subtotals by shock group.
- :mod:`~cge.indicators.gtap.levels`: benchmark aggregates of a database; flows at a solution.
- :mod:`~cge.indicators.gtap.labels`: GTAP sets -> result dims; results checked against the database.
- :mod:`~cge.indicators.gtap.trade_jobs`: :func:`us_na_trade_jobs_gross` (input-output
  attribution) and :func:`us_na_trade_jobs_net` (counterfactual employment change).
"""

from cge.indicators.gtap.indicators import DETAILS, gtap_indicators
from cge.indicators.gtap.trade_jobs import us_na_trade_jobs_gross, us_na_trade_jobs_net

PRODUCED = (
    "real_gdp real_gdp_pct gdp_expenditure ev utility_pct terms_of_trade_pct trade_balance cpi_pct "
    "rental_rate_pct real_consumption_pct real_investment_pct capital_stock_pct qgdp EV exports export_volume "
    "tariff_revenue agrifood_exports agrifood_exports_total agrifood_exports_pct output output_pct price_pct "
    "employment employment_by_skill employment_total employment_change employment_reallocation wage_pct "
    "real_wage_pct wage_by_skill_pct real_wage_by_skill_pct "
    "us_na_trade_jobs_gross us_na_trade_jobs_net"
).split()
"""Indicator rows of ``cge/indicators.csv`` that this package produces (a test checks it)."""

__all__ = ["DETAILS", "PRODUCED", "gtap_indicators", "us_na_trade_jobs_gross", "us_na_trade_jobs_net"]
