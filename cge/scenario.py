"""Scenario schema (pydantic, ``extra="forbid"``): the rows :func:`cge.gtap.gtap_shocks` turns into shocks.

A scenario with all defaults means "no shock". Rates are in percent; every field states its
units. Errors name the field and the bad value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from cge.dims import BASELINE, BENCHMARK
from cge.errors import ScenarioError  # noqa: F401  (raised here; defined with the other user errors)
from cge.escaping import has_control_characters
from cge.gtap.horizons import HORIZONS, CapitalClosure, Horizon, LabourClosure, MacroClosure
from cge.tomlio import read_toml
from cge.validation import suggestion, valid_keys

ALL = "all"
GOODS = "goods"
"""Commodity selector: every commodity whose ``goods`` coordinate is True (merchandise)."""

IMPORTER_HELP = "importing region label, 'all', or a region group (calibration/groups.csv, e.g. 'USMCA')"
EXPORTER_HELP = "exporting region label, 'all', or a region group (calibration/groups.csv, e.g. 'USMCA')"
COMMODITY_HELP = (
    "commodity label, 'all' (services included) or a commodity group (calibration/groups.csv: 'goods' = "
    "merchandise, the default; 'services'; 'agri-food'; groups of a --groups file)"
)

SHOCK_FIELDS = ("tariffs", "export_taxes", "revert_to_mfn", "trade_costs")
"""Fields of :class:`Scenario` that hold shock rows (with ``numeraire_change_pct``, every shock)."""

NUMERAIRE_GROUP = "numeraire"
"""Shock group of ``numeraire_change_pct`` (reserved: no row may use it)."""
GROUP_MAX_CHARS = 40
"""Longest shock-group name [characters]."""
GROUP_DESCRIPTION = (
    "shock group of the row: results are split into subtotals by shock group, as GEMPACK's subtotals "
    "(Harrison-Horridge-Pearson), each group's contribution summing to the total; 1 to 40 characters; default "
    "'<type> <importer>' (e.g. 'tariffs USA'); the last row to set a flow's rate owns that flow"
)
TARGET_GROUP_DESCRIPTION = (
    "shock group of the trade-balance target: its contribution is a subtotal of its own, as for shock rows; 1 to "
    "40 characters; default 'trade_balance <region>' (e.g. 'trade_balance USA')"
)

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
"""A finite number: integers and floats pass; booleans, text, NaN and infinities are errors."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _ShockRow(_Strict):
    """Checks every shock row shares: its optional shock ``group`` (a field of each row class, the
    last one, so that the error listing the valid keys shows the row's own fields first)."""

    group_type: ClassVar[str] = ""
    """Row type in the default group name ``'<type> <importer>'``."""
    if TYPE_CHECKING:
        importer: str  # a field of every row class (declared there, after the row's own fields)

    @field_validator("group", check_fields=False)
    @classmethod
    def _clean_group(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not value.strip() or len(value) > GROUP_MAX_CHARS or value != value.strip():
            raise ValueError(
                f"group {value!r} must be 1 to {GROUP_MAX_CHARS} characters without surrounding spaces "
                f"(it has {len(value)})"
            )
        if value == NUMERAIRE_GROUP:
            raise ValueError(f"group '{NUMERAIRE_GROUP}' is reserved for numeraire_change_pct")
        return value

    @property
    def shock_group(self) -> str:
        """The row's shock group: ``group`` if given, else ``'<type> <importer>'``."""
        group = getattr(self, "group", None)
        return group if group is not None else f"{self.group_type} {self.importer}"


class TradeBalanceTarget(_ShockRow):
    """Set a region's trade balance (fob exports with margin services − cif imports, GTAP's
    TBAL) to a target; the region's investment adjusts (GEMPACK's swap of ``cgdslack(r)`` with the
    target variable, ``docs/scenarios.md``). Along the shock path the target moves linearly from
    the benchmark value to the target, as every shock does."""

    region: str = Field(description="region label")
    usd_bn: Number | None = Field(
        None,
        description="target level [US$ bn in numeraire units: at benchmark prices when the numeraire pfactwld is "
        "not shocked; a numeraire shock scales it with every value]",
    )
    share_of_gdp_pct: Number | None = Field(
        None,
        gt=-100,
        lt=100,
        description="target as a share of the region's nominal GDP at market prices (expenditure side) [percent]",
    )
    group: str | None = Field(None, description=TARGET_GROUP_DESCRIPTION)

    group_type: ClassVar[str] = "trade_balance"

    @model_validator(mode="after")
    def _one_of(self):
        if (self.usd_bn is None) == (self.share_of_gdp_pct is None):
            raise ValueError(f"trade_balance target for {self.region}: give exactly one of usd_bn or share_of_gdp_pct")
        return self

    @property
    def kind(self) -> str:
        """The field that sets the target: ``usd_bn`` or ``share_of_gdp_pct``."""
        return "usd_bn" if self.usd_bn is not None else "share_of_gdp_pct"

    @property
    def shock_group(self) -> str:
        """The target's shock group: ``group`` if given, else ``'trade_balance <region>'``."""
        return self.group if self.group is not None else f"{self.group_type} {self.region}"


class ClosureSpec(_Strict):
    """Closure choices (their GTAP v7 form: :func:`cge.gtap.horizons.gtap_closure`); ``horizon``
    presets labour and capital, and an explicit ``labour`` or ``capital`` overrides the preset."""

    horizon: Horizon | None = Field(
        None,
        description="short_run (wage curve, sector-specific capital), medium_run (full employment, fixed mobile "
        "capital) or long_run (full employment, steady-state capital); presets for labour and capital",
    )
    macro: MacroClosure = Field(
        MacroClosure.RATE_OF_RETURN,
        description="rate_of_return (GTAP's standard: RORDELTA = 1, expected rates of return equal across "
        "regions; the default when not set), global_bank (RORDELTA = 0: each region's investment moves with "
        "the global bank's saving) or fixed_trade_balance (each region's trade balance fixed)",
    )
    labour: LabourClosure | None = Field(
        None,
        description="labour closure of every region: full_employment (elasticity 0), wage_curve (employment = real "
        "wage^elasticity) or fixed_real_wage (elasticity infinite); default from the horizon, else full_employment",
    )
    capital: CapitalClosure | None = Field(
        None,
        description="mobile (fixed stock, one rental rate per region), sector_specific or steady_state (rate of "
        "return fixed, stock endogenous); default from the horizon, else mobile",
    )
    labour_by_region: dict[str, LabourClosure] = Field(
        default_factory=dict, description="labour closure by region label, overriding 'labour'"
    )
    labour_supply_elasticity: dict[str, Annotated[float, Field(strict=True)]] = Field(
        default_factory=dict,
        description="elasticity of employment w.r.t. the real wage by region [unitless, 0 to inf]; 0 selects "
        "full_employment, inf fixed_real_wage, a value in between wage_curve with that elasticity (default: "
        "calibration/region_parameters.csv)",
    )
    rate_of_return_flexibility: Number | None = Field(
        None, gt=0, description="GTAP's RORFLEX for every region [unitless]; default: the database's"
    )
    trade_balance: tuple[TradeBalanceTarget, ...] = Field(
        (),
        description="regions whose trade balance is set to a target (US$ bn in numeraire units or percent of GDP); "
        "their investment adjusts; at most all regions but one",
    )

    @model_validator(mode="after")
    def _consistent(self):
        for region, value in self.labour_supply_elasticity.items():
            if not value >= 0:  # also rejects NaN
                raise ValueError(f"labour_supply_elasticity for {region} must be >= 0 (0 to inf), got {value}")
            if region in self.labour_by_region:
                raise ValueError(
                    f"region {region} has both labour_by_region and labour_supply_elasticity; the elasticity "
                    "chooses the closure (0 full_employment, inf fixed_real_wage), so give one of them"
                )
        if self.rate_of_return_flexibility is not None and self.macro != MacroClosure.RATE_OF_RETURN:
            raise ValueError("rate_of_return_flexibility applies only to macro = 'rate_of_return' (the default)")
        regions = [t.region for t in self.trade_balance]
        repeated = sorted({r for r in regions if regions.count(r) > 1})
        if repeated:
            raise ValueError(f"trade_balance targets repeat regions {repeated}")
        return self

    def labour_default(self) -> LabourClosure:
        """Labour closure of regions not named: explicit, else the horizon's, else full employment."""
        if self.labour is not None:
            return self.labour
        return HORIZONS[self.horizon][0] if self.horizon else LabourClosure.FULL_EMPLOYMENT

    def capital_closure(self) -> CapitalClosure:
        """Capital closure: explicit, else the horizon's, else mobile."""
        if self.capital is not None:
            return self.capital
        return HORIZONS[self.horizon][1] if self.horizon else CapitalClosure.MOBILE

    def labour_by_region_resolved(self) -> dict[str, LabourClosure]:
        """Per-region labour closures incl. those chosen by an elasticity of 0 or inf."""
        out = dict(self.labour_by_region)
        for region, value in self.labour_supply_elasticity.items():
            if value == 0:
                out[region] = LabourClosure.FULL_EMPLOYMENT
            elif math.isinf(value):
                out[region] = LabourClosure.FIXED_REAL_WAGE
            else:
                out[region] = LabourClosure.WAGE_CURVE
        default = self.labour_default()
        return {r: c for r, c in out.items() if c != default}


def _not_own_region(row, kind: str):
    """A region cannot tax (or trade-cost) its own goods: importer == exporter is an error."""
    if row.importer == row.exporter and row.importer != ALL:
        raise ValueError(
            f"{kind} row {row.importer}<-{row.exporter}: importer and exporter are the same region "
            "(a region does not tax or ship to itself; domestic sales have no tariff)"
        )
    return row


class TariffShock(_ShockRow):
    """Set or change the ad-valorem tariff of ``importer`` on ``exporter``'s ``commodity``.

    ``all`` in importer or exporter means every region (own-region pairs are skipped), a region
    group (``USMCA``) its members; ``commodity`` defaults to ``goods`` (the merchandise sectors):
    services are shocked only when named, with ``services`` or with ``all``; any commodity group of
    the registry (``calibration/groups.csv``, :mod:`cge.indicators.groups`) expands to its members.
    Flows that are zero in the SAM are skipped, but a row that selects no flow at all is an error,
    and importer == exporter is an error.
    """

    importer: str = Field(description=IMPORTER_HELP)
    exporter: str = Field(description=EXPORTER_HELP)
    commodity: str = Field(GOODS, description=COMMODITY_HELP)
    rate_pct: Number | None = Field(None, ge=0, description="new tariff rate [percent of cif value]")
    change_pct: Number | None = Field(
        None, description="change of the tariff rate [percentage points of cif value], added to the benchmark"
    )
    usmca_exemption: str | None = Field(
        None,
        description="name of a set of USMCA claim shares in calibration/tariffs/usmca_claim_shares.csv (e.g. "
        "'usmca_2025h2'): the new rate applies only to the non-compliant share s of each flow, the compliant "
        "share keeps its rate, so the flow's rate becomes s x old + (1 - s) x new [unitless share from the table]",
    )
    group: str | None = Field(None, description=GROUP_DESCRIPTION)

    kind: ClassVar[str] = "tariff"
    group_type: ClassVar[str] = "tariffs"

    @model_validator(mode="after")
    def _one_of(self):
        _not_own_region(self, self.kind)
        if (self.rate_pct is None) == (self.change_pct is None):
            raise ValueError(
                f"{self.kind} row {self.importer}<-{self.exporter} {self.commodity}: "
                "give exactly one of rate_pct or change_pct"
            )
        return self


class ExportTaxShock(TariffShock):
    """Set or change an export tax [percent of the exporter's market value]; same rows as tariffs."""

    kind: ClassVar[str] = "export tax"
    group_type: ClassVar[str] = "export_taxes"

    @model_validator(mode="after")
    def _no_exemption(self):
        if self.usmca_exemption is not None:
            raise ValueError(
                f"export tax row {self.importer}<-{self.exporter}: usmca_exemption applies to tariffs only"
            )
        return self


class MfnReversion(_ShockRow):
    """Importer applies its MFN schedule (``calibration/tariffs/mfn.csv``; on GTAP v7 the
    database's ``mfn_rate``) to exporter's goods."""

    importer: str = Field(description="importing region label, or a region group (e.g. 'USMCA')")
    exporter: str = Field(description=EXPORTER_HELP)
    group: str | None = Field(None, description=GROUP_DESCRIPTION)

    group_type: ClassVar[str] = "mfn"

    @model_validator(mode="after")
    def _other_region(self):
        return _not_own_region(self, "revert_to_mfn")


class TradeCostShock(_ShockRow):
    """Iceberg trade-cost wedge (border costs, rules-of-origin compliance costs).

    ``commodity`` defaults to ``goods``, as for tariffs; importer == exporter is an error.
    """

    importer: str = Field(description=IMPORTER_HELP)
    exporter: str = Field(description=EXPORTER_HELP)
    commodity: str = Field(GOODS, description=COMMODITY_HELP)
    change_pct: Number = Field(
        gt=-100, description="change of units shipped per unit delivered [percent]; 2 = a 2% ad-valorem-equivalent cost"
    )
    group: str | None = Field(None, description=GROUP_DESCRIPTION)

    group_type: ClassVar[str] = "trade_costs"

    @model_validator(mode="after")
    def _other_region(self):
        return _not_own_region(self, "trade_costs")


class Scenario(_Strict):
    """One counterfactual: tariff and trade-cost shocks, closure, numeraire shock.

    Defaults mean "no shock" in the default closure (fixed trade balance, full employment,
    mobile capital).
    """

    name: str = Field(description="scenario name (unique within a run)", min_length=1)
    description: str = Field("", description="what the scenario represents")
    label: str = Field(
        "",
        description="short display label of tables and charts (default: the description, else the name); "
        "one line, at most 60 characters",
        max_length=60,
    )
    closure: ClosureSpec = Field(default_factory=ClosureSpec, description="closure choices")
    tariffs: tuple[TariffShock, ...] = Field((), description="tariff rows, applied in order")
    export_taxes: tuple[ExportTaxShock, ...] = Field((), description="export tax rows, applied in order")
    revert_to_mfn: tuple[MfnReversion, ...] = Field(
        (), description="importer/exporter pairs that revert to the importer's MFN rates (applied before tariff rows)"
    )
    trade_costs: tuple[TradeCostShock, ...] = Field((), description="iceberg trade-cost wedges")
    numeraire_change_pct: Number = Field(
        0.0, gt=-100, description="change of the numeraire (world factor price index) [percent]; for homogeneity tests"
    )

    def __init__(self, **data):
        try:
            super().__init__(**data)
        except ValidationError as exc:  # one line naming each field, as for a TOML file
            raise ScenarioError(f"scenario {data.get('name', '')!r}: {_format_validation(exc)}") from None

    @field_validator("name")
    @classmethod
    def _clean_name(cls, value: str) -> str:
        if value != value.strip() or "/" in value:
            raise ValueError(f"scenario name {value!r} must have no surrounding spaces or '/'")
        if value.startswith("-"):
            raise ValueError(f"scenario name {value!r} starts with '-', which the command line reads as an option")
        if has_control_characters(value):
            raise ValueError(f"scenario name {value!r} has control characters (newline, NUL, escape ...)")
        if value == BENCHMARK:
            raise ValueError(
                f"the name '{BENCHMARK}' stands for the SAM's own values, the reference of every run without "
                "--baseline; give the scenario another name"
            )
        return value

    @field_validator("description")
    @classmethod
    def _clean_description(cls, value: str) -> str:
        if has_control_characters(value.replace("\n", "").replace("\t", "")):
            raise ValueError(f"description {value!r} has control characters other than newlines and tabs")
        return value

    @field_validator("label")
    @classmethod
    def _one_line_label(cls, value: str) -> str:
        if value != value.strip() or any(not ch.isprintable() for ch in value):
            raise ValueError(f"label {value!r} must be one line without surrounding spaces")
        return value

    @model_validator(mode="after")
    def _baseline_is_unshocked(self):
        if self.name == BASELINE and self.is_shocked:
            raise ValueError(
                f"the name '{BASELINE}' is reserved for the unshocked run that every result is measured against, "
                f"but this scenario has {self.shock_count} shock(s); give it another name"
            )
        return self

    @property
    def shock_count(self) -> int:
        """Number of shock rows, counting a numeraire change as one."""
        return definition_shocks(self.model_dump(mode="json"))

    @property
    def is_shocked(self) -> bool:
        """True when the scenario changes anything but the closure."""
        return self.shock_count > 0

    @classmethod
    def from_toml(cls, path: str | Path) -> Scenario:
        """Read a scenario from a TOML file; the name defaults to the file's stem.

        Raises
        ------
        ScenarioError
            Naming the file, the field and the bad value.
        """
        path = Path(path)
        data = read_toml(path, ScenarioError, "scenario")
        data.setdefault("name", path.stem)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError(f"{path}: {_format_validation(exc)}") from exc

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True)


def definition_shocks(definition: dict) -> int:
    """Shock rows in a scenario definition (``Scenario.to_json`` form); a numeraire change counts
    one, and so does each trade-balance target (``[[closure.trade_balance]]``)."""
    rows = sum(len(definition.get(name) or ()) for name in SHOCK_FIELDS)
    targets = len((definition.get("closure") or {}).get("trade_balance") or ())
    return rows + targets + int(float(definition.get("numeraire_change_pct") or 0.0) != 0.0)


def _format_validation(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if not loc:
            parts.append(msg)
        elif err["type"] == "value_error":
            parts.append(f"{loc}: {msg}")
        else:
            parts.append(f"field '{loc}': {msg} (got {err.get('input')!r}){_unknown_key_help(err)}")
    return "; ".join(parts)


def _unknown_key_help(err: ErrorDetails) -> str:
    """For an unknown key: the valid keys at its place and the closest one."""
    if err["type"] != "extra_forbidden":
        return ""
    keys = valid_keys(Scenario, err["loc"][:-1])
    return f"; valid keys: {', '.join(keys)}{suggestion(str(err['loc'][-1]), keys)}" if keys else ""


ShockKind = Literal["tm", "te", "tau"]


def scenario_list(
    scenarios: Scenario | str | Path | Iterable[Scenario | str | Path], include_baseline: bool = True
) -> list[Scenario]:
    """Scenario objects from objects or TOML paths; names must be unique.

    With ``include_baseline`` an unshocked scenario named ``baseline`` is prepended unless one is
    given.
    """
    items = [scenarios] if isinstance(scenarios, (Scenario, str, Path)) else scenarios
    out = [s if isinstance(s, Scenario) else Scenario.from_toml(s) for s in items]
    if not out:
        raise ScenarioError("no scenarios given")
    names = [s.name for s in out]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ScenarioError(f"scenario names must be unique; repeated: {duplicates}")
    if include_baseline and BASELINE not in names:
        out.insert(0, Scenario(name=BASELINE, label=BASELINE, description="no shock: benchmark replication"))
    return out
