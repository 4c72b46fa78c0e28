"""The indicator layer: pure functions over the solved model's values, one registry (``cge/indicators.csv``).

- :mod:`~cge.indicators.values`: every model component at a solution as dense arrays, from the
  compiled evaluator (:mod:`cge.solve.evaluate`), plus the benchmark arrays.
- :mod:`~cge.indicators.macro`, :mod:`~cge.indicators.trade`, :mod:`~cge.indicators.sector`,
  :mod:`~cge.indicators.trade_jobs`: the indicator functions, registered by name.
- :mod:`~cge.indicators.extract`: one solve -> ``xarray.Dataset`` (``detail="all"`` adds every
  model variable).
- :mod:`~cge.indicators.compare`: changes against a reference scenario, scenario differences.
- :mod:`~cge.indicators.groups`: subtotals over region and commodity groups (``calibration/groups.csv``).
- :mod:`~cge.indicators.gtap`: the indicators from GTAP v7 results (``gtap_indicators``) and the
  US trade-jobs measures (``us_na_trade_jobs_gross``, ``us_na_trade_jobs_net``).

Used by :func:`cge.run`, the sweep and the reports alike.
"""

from cge.indicators import macro, sector, trade, trade_jobs  # noqa: F401  (registers the indicators)
from cge.indicators.extract import DETAILS, extract, extract_seconds
from cge.indicators.registry import indicator_attrs, indicator_table
from cge.indicators.trade_jobs import TradeJobsSpec, annotate_trade_jobs

__all__ = [
    "DETAILS",
    "TradeJobsSpec",
    "extract",
    "extract_seconds",
    "indicator_attrs",
    "indicator_table",
    "annotate_trade_jobs",
]
