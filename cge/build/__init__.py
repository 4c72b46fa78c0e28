"""Build the multi-region SAM from raw public data (``cge build-sam``).

One module per step: :mod:`~cge.build.sources` (files), :mod:`~cge.build.mapping`
(aggregation), :mod:`~cge.build.wiod` (input-output table), :mod:`~cge.build.value_added`
(labour/capital split), :mod:`~cge.build.trade` (tariffs), :mod:`~cge.build.assemble` (2011 SAM),
:mod:`~cge.build.controls` and :mod:`~cge.build.update` (2024 update), :mod:`~cge.build.employment`
(satellite), :mod:`~cge.build.readme` (provenance README) and :mod:`~cge.build.pipeline`
(:func:`build_sam`). :mod:`~cge.build.tariffs` builds the tariff tables in ``calibration/``.
"""

from cge.build.pipeline import BASE_YEAR, TARGET_YEAR, BuildResult, build_sam, run_build

__all__ = ["BASE_YEAR", "TARGET_YEAR", "BuildResult", "build_sam", "run_build"]
