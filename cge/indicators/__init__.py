"""The indicator layer: one registry (``cge/indicators.csv``) and pure functions over results.

- :mod:`~cge.indicators.registry`: the indicator table (names, dims, units, long names, GTAP
  names, how each is re-expressed against a reference and totalled over groups).
- :mod:`~cge.indicators.gtap`: the indicators from GTAP v7 results (``gtap_indicators``) and the
  US trade-jobs measures (``us_na_trade_jobs_gross``, ``us_na_trade_jobs_net``).
- :mod:`~cge.indicators.compare`: changes against a reference scenario, scenario differences.
- :mod:`~cge.indicators.groups`: subtotals over region and commodity groups (``calibration/groups.csv``).

Used by :func:`cge.run`, the sweep and the reports alike.
"""

from cge.indicators.registry import indicator_attrs, indicator_table

__all__ = ["indicator_attrs", "indicator_table"]
