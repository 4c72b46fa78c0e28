"""Options shared by :func:`cge.run`, :func:`cge.sweep.run_many` and :func:`cge.sweep.run_sweep`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from cge.indicators.extract import DETAILS
from cge.indicators.groups import Group, load_groups
from cge.indicators.trade_jobs import TradeJobsSpec
from cge.welfare import WELFARE_STEPS

HESSIANS = ("limited-memory", "exact")


@dataclass(frozen=True)
class RunOptions:
    """How scenarios are solved and reported.

    Attributes
    ----------
    tol : float
        Acceptance tolerance on the max and Walras residuals [relative units].
    hessian : {"limited-memory", "exact"}
        Hessian used by Ipopt.
    include_baseline : bool
        Prepend an unshocked scenario named ``baseline`` unless one is given.
    trade_jobs : TradeJobsSpec or None
        Trade-supported jobs indicator (default: US jobs supported by trade with Mexico and
        Canada on the 13 million baseline); skipped when the SAM lacks the regions or the
        employment satellite.
    detail : {"headline", "all"}
        ``all`` adds every model variable, expression and shock parameter (levels and percent
        changes, GTAP names in the ``gtap`` attr).
    reference : str or None
        Scenario that percent changes, EV and other changes are measured against (``--baseline
        NAME``); None = the benchmark SAM (which the ``baseline`` scenario reproduces).
    welfare_steps : int
        Path intervals to start the EV decomposition with (``ev_decomposition``, refined until
        its residual is below 0.1 % of |EV|); 0 skips it (the sweep's draws skip it).
    groups : tuple of Group, str, Path or None
        The group registry for scenario rows that name a group (``importer = "USMCA"``,
        ``commodity = "services"``): None = the shipped ``calibration/groups.csv``; a path = a
        user's groups file added to it (``--groups FILE``, :func:`cge.indicators.groups.load_groups`).
    """

    tol: float = 1e-9
    hessian: str = "limited-memory"
    include_baseline: bool = True
    trade_jobs: TradeJobsSpec | None = TradeJobsSpec()
    detail: str = "headline"
    reference: str | None = None
    welfare_steps: int = WELFARE_STEPS
    groups: tuple[Group, ...] | None = None

    def __post_init__(self):
        if isinstance(self.groups, (str, Path)):
            object.__setattr__(self, "groups", tuple(load_groups(extra=self.groups)))
        elif self.groups is not None:
            object.__setattr__(self, "groups", tuple(self.groups))
        if self.detail not in DETAILS:
            raise ValueError(f"detail = {self.detail!r}: use one of {', '.join(DETAILS)}")
        if self.hessian not in HESSIANS:
            raise ValueError(f"hessian = {self.hessian!r}: use one of {', '.join(HESSIANS)}")
        if not self.tol > 0:
            raise ValueError(f"tol = {self.tol}: must be positive")
        if self.welfare_steps < 0:
            raise ValueError(f"welfare_steps = {self.welfare_steps}: must be >= 0 (0 skips the decomposition)")

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
