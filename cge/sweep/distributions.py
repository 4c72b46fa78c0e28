"""Uncertain parameters for systematic sensitivity analysis (SSA): the TOML schema and the draws.

An SSA file lists independent uncertain parameters. Each is a *relative change* [percent] of a
calibrated elasticity (one column of the elasticity table, for all or some sectors, or a
final-demand elasticity) with a distribution: uniform, triangular or normal (truncated so that
the elasticity stays >= 0, i.e. the change stays >= -100 %).

Two ways to integrate over them:

``quadrature``
    Stroud's degree-3 rule with ``2n`` equally weighted points for ``n`` independent, symmetric
    parameters (Stroud 1957; DeVuyst & Preckel 1997; Arndt 1996; Arndt & Pearson 1998; the
    GTAP/GEMPACK SSA tool of Liu). It reproduces the mean, the variance and all cross moments
    (zero, by independence) of the parameters exactly, and so the mean and variance of any
    result that is (locally) a polynomial of degree <= 3 in them. Skewed distributions are
    rejected: the rule assumes symmetry.
``monte_carlo``
    ``draws`` independent pseudo-random draws (seeded); equal weights.
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Final, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cge.calibrate import FINAL_DEMAND_ELASTICITIES, SECTOR_ELASTICITIES
from cge.tomlio import read_toml
from cge.validation import suggestion, valid_keys

MAX_DRAWS = 10_000
"""Most Monte Carlo draws of one sweep [count]: each draw is a task whose results stay in memory
until the sweep is stacked (the audit's ``draws = 100000000`` ran for ever); GTAP's SSA uses tens
to hundreds."""

ALL: Final = "all"
MIN_CHANGE_PCT = -100.0
"""Smallest relative change [percent]: an elasticity may fall to 0 but not below."""
MAX_CHANGE_PCT = 1000.0
"""Largest relative change [percent] a distribution may reach (an elasticity 11 times its calibrated
value; for a normal, mean + 3 standard deviations): beyond it every draw fails to solve or means nothing."""
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
"""A finite number: integers and floats; booleans, text (``"-50"``), NaN and infinities are errors."""
Count = Annotated[int, Field(strict=True)]
"""A whole number: not a boolean, a float or text."""
Flag = Annotated[bool, Field(strict=True)]
"""true or false: not 1, "yes" or "true" as text."""
QUADRATURE: Final = "quadrature"
MONTE_CARLO: Final = "monte_carlo"
PARAMETER_NAMES = (*SECTOR_ELASTICITIES, *FINAL_DEMAND_ELASTICITIES)
ParameterName = Literal["sigma_d", "sigma_m", "sigma_va", "sigma_t", "sigma_nd", "sigma_c", "sigma_g", "sigma_i"]
""":data:`PARAMETER_NAMES` spelled out, as a type checker needs a Literal (a test checks they agree)."""


class SSAError(ValueError):
    """A sensitivity-analysis specification is malformed; the message names the field and value."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Parameter(_Strict, ABC):
    """Fields shared by every distribution; each distribution implements the abstract moments."""

    name: ParameterName = Field(
        description="elasticity to vary: a column of the elasticity table (sigma_d, sigma_m, sigma_va, sigma_t, "
        "sigma_nd; per sector) or a final-demand elasticity (sigma_c, sigma_g, sigma_i; one value) [unitless]"
    )
    sectors: Literal["all"] | tuple[str, ...] = Field(
        ALL, description="sectors whose value is scaled (labels of the elasticity table), or 'all'"
    )
    per_sector: Flag = Field(
        False,
        description="false: one random variable scales all listed sectors together (perfectly correlated); "
        "true: an independent variable per listed sector",
    )
    rule_of_two: Flag = Field(
        False, description="sigma_d only: set sigma_m = 2 x the drawn sigma_d for the same sectors (GTAP's rule of two)"
    )
    label: str | None = Field(None, description="name of the variable in the results; default name[sectors]")

    @field_validator("sectors", mode="before")
    @classmethod
    def _sectors_list(cls, value):
        if isinstance(value, str) and value != ALL:
            raise ValueError(f"sectors = {value!r}: give 'all' or a list of sector labels, e.g. [{value!r}]")
        return value

    @model_validator(mode="after")
    def _check_common(self):
        if self.rule_of_two and self.name != "sigma_d":
            raise ValueError(f"rule_of_two applies to sigma_d only, not to {self.name!r}")
        if self.name in FINAL_DEMAND_ELASTICITIES and (self.sectors != ALL or self.per_sector):
            raise ValueError(f"{self.name} is one value per model, not per sector: use sectors = 'all'")
        if self.sectors != ALL and not self.sectors:
            raise ValueError("sectors must be 'all' or a non-empty list of sector labels")
        return self

    # moments of the relative change [percent]
    @property
    @abstractmethod
    def mean_change(self) -> float:
        """Mean of the relative change [percent]."""

    @property
    @abstractmethod
    def std_change(self) -> float:
        """Standard deviation of the relative change [percent]."""

    @property
    def symmetric(self) -> bool:
        return True

    @property
    def skew_reason(self) -> str:
        """Why the distribution is not symmetric (empty when it is)."""
        return ""

    @abstractmethod
    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Independent draws of the relative change [percent]."""


def _check_bounds(low: float, high: float, what: str) -> None:
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"{what}: low_pct and high_pct must be finite (got {low}, {high})")
    if high <= low:
        raise ValueError(f"{what}: high_pct = {high} must exceed low_pct = {low}")
    if high > MAX_CHANGE_PCT:
        raise ValueError(
            f"{what}: high_pct = {high:g} is above {MAX_CHANGE_PCT:g} % (an elasticity "
            f"{1 + MAX_CHANGE_PCT / 100:g} times its calibrated value)"
        )


class UniformParameter(_Parameter):
    """Relative change uniform on [low_pct, high_pct]; always symmetric about its midpoint."""

    distribution: Literal["uniform"]
    low_pct: Number = Field(
        ge=MIN_CHANGE_PCT, description="lower bound of the relative change from the calibrated value [percent], >= -100"
    )
    high_pct: Number = Field(
        description="upper bound of the relative change from the calibrated value [percent], <= 1000"
    )

    @model_validator(mode="after")
    def _check(self):
        _check_bounds(self.low_pct, self.high_pct, "uniform")
        return self

    @property
    def mean_change(self) -> float:
        return 0.5 * (self.low_pct + self.high_pct)

    @property
    def std_change(self) -> float:
        return (self.high_pct - self.low_pct) / math.sqrt(12.0)

    def sample(self, rng, size):
        return rng.uniform(self.low_pct, self.high_pct, size)


class TriangularParameter(_Parameter):
    """Relative change triangular on [low_pct, high_pct] with mode ``mode_pct`` (default: midpoint)."""

    distribution: Literal["triangular"]
    low_pct: Number = Field(
        ge=MIN_CHANGE_PCT, description="lower bound of the relative change from the calibrated value [percent], >= -100"
    )
    high_pct: Number = Field(
        description="upper bound of the relative change from the calibrated value [percent], <= 1000"
    )
    mode_pct: Number | None = Field(None, description="most likely relative change [percent]; default the midpoint")

    @model_validator(mode="after")
    def _check(self):
        _check_bounds(self.low_pct, self.high_pct, "triangular")
        if not self.low_pct <= self.mode <= self.high_pct:
            raise ValueError(f"triangular: mode_pct = {self.mode_pct} must lie in [low_pct, high_pct]")
        return self

    @property
    def mode(self) -> float:
        return 0.5 * (self.low_pct + self.high_pct) if self.mode_pct is None else self.mode_pct

    @property
    def mean_change(self) -> float:
        return (self.low_pct + self.mode + self.high_pct) / 3.0

    @property
    def std_change(self) -> float:
        a, c, b = self.low_pct, self.mode, self.high_pct
        return math.sqrt((a * a + b * b + c * c - a * b - a * c - b * c) / 18.0)

    @property
    def symmetric(self) -> bool:
        return math.isclose(self.mode, 0.5 * (self.low_pct + self.high_pct), rel_tol=0.0, abs_tol=1e-12)

    @property
    def skew_reason(self) -> str:
        if self.symmetric:
            return ""
        return f"mode_pct = {self.mode:g} is not the midpoint {0.5 * (self.low_pct + self.high_pct):g}"

    def sample(self, rng, size):
        return rng.triangular(self.low_pct, self.mode, self.high_pct, size)


class NormalParameter(_Parameter):
    """Relative change normal(mean_pct, std_pct), truncated below at -100 % (elasticity >= 0).

    For quadrature the truncation must be negligible (``mean_pct + 100 >= 3 std_pct``) so that
    the distribution is symmetric; Monte Carlo samples the truncated distribution.
    """

    distribution: Literal["normal"]
    mean_pct: Number = Field(
        0.0, gt=MIN_CHANGE_PCT, description="mean relative change from the calibrated value [percent], > -100"
    )
    std_pct: Number = Field(gt=0, description="standard deviation of the relative change [percent]")

    @model_validator(mode="after")
    def _check(self):
        if not (math.isfinite(self.mean_pct) and math.isfinite(self.std_pct)):
            raise ValueError(f"normal: mean_pct and std_pct must be finite (got {self.mean_pct}, {self.std_pct})")
        if self.mean_pct + 3.0 * self.std_pct > MAX_CHANGE_PCT:
            raise ValueError(
                f"normal: mean_pct + 3 std_pct = {self.mean_pct + 3.0 * self.std_pct:g} is above {MAX_CHANGE_PCT:g} % "
                f"(an elasticity {1 + MAX_CHANGE_PCT / 100:g} times its calibrated value)"
            )
        return self

    @property
    def mean_change(self) -> float:
        return self.mean_pct

    @property
    def std_change(self) -> float:
        return self.std_pct

    @property
    def symmetric(self) -> bool:
        return self.mean_pct - MIN_CHANGE_PCT >= 3.0 * self.std_pct

    @property
    def skew_reason(self) -> str:
        if self.symmetric:
            return ""
        return (
            f"truncation at -100 % is not negligible: mean_pct + 100 = {self.mean_pct + 100:g} "
            f"< 3 std_pct = {3 * self.std_pct:g}"
        )

    def sample(self, rng, size):
        from scipy.stats import truncnorm

        lower = (MIN_CHANGE_PCT - self.mean_pct) / self.std_pct
        return truncnorm.rvs(lower, np.inf, loc=self.mean_pct, scale=self.std_pct, size=size, random_state=rng)


Parameter = Annotated[UniformParameter | TriangularParameter | NormalParameter, Field(discriminator="distribution")]


class SSASpec(_Strict):
    """A systematic sensitivity analysis: the method and the independent uncertain parameters."""

    description: str = Field("", description="what the analysis represents")
    method: Literal["quadrature", "monte_carlo"] = Field(
        QUADRATURE, description="quadrature (Stroud degree 3, 2n points) or monte_carlo"
    )
    draws: Count | None = Field(
        None, ge=2, le=MAX_DRAWS, description=f"Monte Carlo draws (monte_carlo only), 2 to {MAX_DRAWS} [count]"
    )
    seed: Count = Field(0, ge=0, description="seed of the Monte Carlo random generator (numpy default_rng)")
    parameter: tuple[Parameter, ...] = Field(description="the uncertain parameters ([[parameter]]), at least one")

    @model_validator(mode="after")
    def _check(self):
        if not self.parameter:
            raise ValueError("no [[parameter]] given: an SSA needs at least one uncertain parameter")
        if self.method == QUADRATURE:
            if self.draws is not None:
                raise ValueError(f"draws = {self.draws} is for monte_carlo; quadrature uses 2n points for n parameters")
            skewed = [
                f"parameter[{k}] ({p.name}, {p.distribution}: {p.skew_reason})"
                for k, p in enumerate(self.parameter)
                if not p.symmetric
            ]
            if skewed:
                raise ValueError(
                    "Stroud quadrature needs symmetric distributions; skewed: "
                    + ", ".join(skewed)
                    + " (use a symmetric triangular mode, a normal with mean_pct + 100 >= 3 std_pct, "
                    "or method = 'monte_carlo')"
                )
        elif self.draws is None:
            raise ValueError("method = 'monte_carlo' needs draws (number of draws)")
        sigma_m_sectors = [p.sectors for p in self.parameter if p.name == "sigma_m"]
        for k, p in enumerate(self.parameter):
            if p.rule_of_two and sigma_m_sectors:
                raise ValueError(
                    f"parameter[{k}]: rule_of_two sets sigma_m from sigma_d, but sigma_m is also a listed parameter"
                )
        return self

    @classmethod
    def from_toml(cls, path: str | Path) -> SSASpec:
        """Read an SSA specification from a TOML file.

        Raises
        ------
        SSAError
            Naming the file, the field and the bad value.
        """
        data = read_toml(path, SSAError, "SSA")
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: dict, source: str = "SSA spec") -> SSASpec:
        """Validate a mapping (as read from TOML); raises :class:`SSAError` naming field and value."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise SSAError(f"{source}: {format_validation(exc)}") from exc

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json", exclude_none=True), sort_keys=True)


def format_validation(exc: ValidationError) -> str:
    """One line per error: ``field 'parameter[0].low_pct': message (got value)``."""
    parts = []
    for err in exc.errors():
        loc = ""
        for item in err["loc"]:
            if isinstance(item, int):
                loc += f"[{item}]"
            elif item in ("uniform", "triangular", "normal"):
                continue  # discriminator tag of the union
            else:
                loc += ("." if loc else "") + str(item)
        msg = err["msg"].removeprefix("Value error, ")
        value = err.get("input")
        got = "" if isinstance(value, (dict, list, tuple)) else f" (got {value!r})"
        if err["type"] == "extra_forbidden":
            keys = valid_keys(SSASpec, err["loc"][:-1])
            got += f"; valid keys: {', '.join(keys)}{suggestion(str(err['loc'][-1]), keys)}" if keys else ""
        parts.append(f"field '{loc or '<root>'}': {msg}{got}")
    return "; ".join(parts)


# --------------------------------------------------------------------------- quadrature
def stroud_points(n: int) -> np.ndarray:
    """Stroud's degree-3 points for ``n`` independent symmetric variables of mean 0, variance 1.

    Point ``j = 1..2n`` has coordinates, for ``k = 1..floor(n/2)``,
    ``x[2k-1] = sqrt(2) cos((2k-1) j pi / n)``, ``x[2k] = sqrt(2) sin((2k-1) j pi / n)``, and,
    when ``n`` is odd, ``x[n] = (-1)^j``. With equal weights ``1/(2n)`` the rule integrates every
    polynomial of degree <= 3 exactly for any symmetric distribution with these moments.

    Parameters
    ----------
    n : int
        Number of variables (>= 1).

    Returns
    -------
    numpy.ndarray
        ``(2n, n)`` array of standardised points [standard deviations].
    """
    if n < 1:
        raise ValueError(f"need at least one variable, got n = {n}")
    j = np.arange(1, 2 * n + 1)[:, None]
    points = np.empty((2 * n, n))
    for k in range(1, n // 2 + 1):
        angle = (2 * k - 1) * j[:, 0] * np.pi / n
        points[:, 2 * k - 2] = math.sqrt(2.0) * np.cos(angle)
        points[:, 2 * k - 1] = math.sqrt(2.0) * np.sin(angle)
    if n % 2:
        points[:, n - 1] = (-1.0) ** j[:, 0]
    points[np.abs(points) < 1e-12] = 0.0  # exact zeros keep the calibrated value exactly
    return points


# --------------------------------------------------------------------------- draws
@dataclass(frozen=True)
class Variable:
    """One independent random variable: a distribution applied to a set of sectors of one elasticity."""

    label: str
    name: str
    sectors: tuple[str, ...]
    spec: _Parameter


@dataclass(frozen=True)
class DrawPlan:
    """The draws of an SSA: relative changes per draw and variable, and the integration weights.

    Attributes
    ----------
    method : str
        ``quadrature`` or ``monte_carlo``.
    variables : tuple of Variable
        The independent random variables (one per parameter, or per sector with ``per_sector``).
    changes_pct : numpy.ndarray
        ``(n_draws, n_variables)`` relative changes from the calibrated values [percent].
    weights : numpy.ndarray
        ``(n_draws,)`` integration weights, summing to 1 [fraction].
    """

    method: str
    variables: tuple[Variable, ...]
    changes_pct: np.ndarray
    weights: np.ndarray

    @property
    def n_draws(self) -> int:
        return self.changes_pct.shape[0]

    @property
    def labels(self) -> list[str]:
        return [v.label for v in self.variables]

    def elasticities(
        self, draw: int, base: pd.DataFrame, final_demand: dict[str, float] | None = None
    ) -> tuple[pd.DataFrame, dict[str, float]]:
        """Elasticity table and final-demand elasticities of one draw.

        Parameters
        ----------
        draw : int
            Draw number (row of ``changes_pct``).
        base : DataFrame
            Calibrated elasticity table indexed by sector [unitless].
        final_demand : dict or None
            Calibrated final-demand elasticities; None = the model defaults.

        Returns
        -------
        (DataFrame, dict)
            The scaled table (a copy) and final-demand elasticities [unitless]; a zero elasticity
            stays zero (Leontief stays Leontief).
        """
        table = base.copy()
        table.index = [str(s) for s in table.index]
        table.index.name = base.index.name
        fd = dict(FINAL_DEMAND_ELASTICITIES if final_demand is None else final_demand)
        for var, change in zip(self.variables, self.changes_pct[draw]):
            factor = 1.0 + float(change) / 100.0
            if var.name in fd:
                fd[var.name] = fd[var.name] * factor
                continue
            rows = list(var.sectors)
            table.loc[rows, var.name] = table.loc[rows, var.name].astype(float) * factor
            if var.spec.rule_of_two:
                table.loc[rows, "sigma_m"] = 2.0 * table.loc[rows, "sigma_d"].astype(float)
        return table, fd


def _variables(spec: SSASpec, sectors: list[str]) -> list[Variable]:
    out = []
    for k, p in enumerate(spec.parameter):
        if p.name in FINAL_DEMAND_ELASTICITIES:
            out.append(Variable(p.label or p.name, p.name, (), p))
            continue
        chosen = list(sectors) if p.sectors == ALL else list(p.sectors)
        unknown = [s for s in chosen if s not in sectors]
        if unknown:
            raise SSAError(
                f"field 'parameter[{k}].sectors': {unknown} not in the elasticity table (known: {list(sectors)})"
                + suggestion(unknown[0], sectors)
            )
        if p.per_sector:
            base = p.label or p.name
            out.extend(Variable(f"{base}[{s}]", p.name, (s,), p) for s in chosen)
        else:
            label = p.label or (p.name if p.sectors == ALL else f"{p.name}[{','.join(chosen)}]")
            out.append(Variable(label, p.name, tuple(chosen), p))
    labels = [v.label for v in out]
    repeated = sorted({x for x in labels if labels.count(x) > 1})
    if repeated:
        raise SSAError(f"parameter labels must be unique; repeated: {repeated} (set 'label')")
    return out


def plan_draws(spec: SSASpec, sectors: list[str] | pd.Index) -> DrawPlan:
    """The draws of an SSA for a model with the given sectors.

    Parameters
    ----------
    spec : SSASpec
        Validated specification.
    sectors : list of str
        Sector labels of the elasticity table.

    Returns
    -------
    DrawPlan
        ``2n`` Stroud points (quadrature) or ``draws`` random draws (Monte Carlo) of the relative
        changes [percent], with their weights.

    Raises
    ------
    SSAError
        For a sector not in the table, a repeated label, or a point with a change below -100 %.
    """
    variables = _variables(spec, [str(s) for s in sectors])
    n = len(variables)
    if spec.method == QUADRATURE:
        z = stroud_points(n)
        mean = np.array([v.spec.mean_change for v in variables])
        std = np.array([v.spec.std_change for v in variables])
        changes = mean + z * std
        weights = np.full(2 * n, 1.0 / (2 * n))
    else:
        assert spec.draws is not None  # SSASpec._check: monte_carlo needs draws
        rng = np.random.default_rng(spec.seed)
        changes = np.column_stack([v.spec.sample(rng, spec.draws) for v in variables])
        weights = np.full(spec.draws, 1.0 / spec.draws)
    low = changes.min(axis=0)
    bad = [f"{v.label} ({m:.4g} %)" for v, m in zip(variables, low) if m < MIN_CHANGE_PCT]
    if bad:
        raise SSAError(f"draws would make elasticities negative: {bad}")
    return DrawPlan(spec.method, tuple(variables), changes, weights)
