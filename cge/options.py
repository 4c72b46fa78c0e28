"""Options shared by :func:`cge.run`, :func:`cge.sweep.run_many` and :func:`cge.sweep.run_sweep`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from cge.indicators.groups import Group, load_groups

DETAILS = ("headline", "all")
"""Values of :attr:`RunOptions.detail`."""


@dataclass(frozen=True)
class RunOptions:
    """How scenarios are solved and reported.

    Attributes
    ----------
    include_baseline : bool
        Prepend an unshocked scenario named ``baseline`` unless one is given.
    trade_jobs : bool
        Add the gross trade-jobs attribution ``us_na_trade_jobs_gross`` (US jobs attributed to
        trade with Mexico and Canada, :func:`cge.indicators.gtap.us_na_trade_jobs_gross`);
        skipped when the database lacks the regions or the employment and margin satellites.
    detail : {"headline", "all"}
        ``all`` adds every GTAP v7 variable of the solution (:func:`cge.indicators.gtap.gtap_indicators`).
    reference : str or None
        Scenario that percent changes, EV and other changes are measured against (``--baseline
        NAME``); None = the benchmark SAM (which the ``baseline`` scenario reproduces).
    groups : tuple of Group, str, Path or None
        The group registry for scenario rows that name a group (``importer = "USMCA"``,
        ``commodity = "services"``): None = the shipped ``calibration/groups.csv``; a path = a
        user's groups file added to it (``--groups FILE``, :func:`cge.indicators.groups.load_groups`).
    subtotals : bool
        Split every result into the contributions of the scenario's shock groups (GEMPACK's
        subtotals; a ``subtotal`` dim labelled ``total`` then the groups; GTAP v7 runs only).
    """

    include_baseline: bool = True
    trade_jobs: bool = True
    detail: str = "headline"
    reference: str | None = None
    groups: tuple[Group, ...] | None = None
    subtotals: bool = False

    def __post_init__(self):
        if isinstance(self.groups, (str, Path)):
            object.__setattr__(self, "groups", tuple(load_groups(extra=self.groups)))
        elif self.groups is not None:
            object.__setattr__(self, "groups", tuple(self.groups))
        if self.detail not in DETAILS:
            raise ValueError(f"detail = {self.detail!r}: use one of {', '.join(DETAILS)}")

    @classmethod
    def resolve(cls, options: RunOptions | None = None, **overrides) -> RunOptions:
        """``options`` (default: all defaults) with the fields named in ``overrides`` replaced.

        Raises
        ------
        TypeError
            Naming an override that is not a field.
        """
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(overrides) - fields)
        if unknown:
            raise TypeError(f"unknown option(s) {', '.join(unknown)}; options: {', '.join(sorted(fields))}")
        return dataclasses.replace(options or cls(), **overrides)
