"""Scenario schema (pydantic, ``extra="forbid"``) and its translation into model parameters.

A scenario with all defaults means "no shock". Rates are in percent; every field states its
units. Errors name the field and the bad value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cge.model.closures import CapitalClosure, Closure, LabourClosure, MacroClosure
from cge.tomlio import read_toml

ALL = "all"
GOODS = "goods"
"""Commodity selector: every commodity whose ``goods`` coordinate is True (merchandise)."""


class ScenarioError(ValueError):
    """A scenario names something the model does not have, or is malformed."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClosureSpec(_Strict):
    """Closure choices (see ``cge.model.closures``)."""

    macro: MacroClosure = Field(
        MacroClosure.FIXED_TRADE_BALANCE,
        description="fixed_trade_balance (trade balance fixed in numeraire units, US$ million) or "
        "global_bank (savings-driven, endogenous trade balance)",
    )
    labour: LabourClosure = Field(
        LabourClosure.FULL_EMPLOYMENT,
        description="full_employment (labour endowment fixed) or fixed_real_wage (employment adjusts)",
    )
    capital: CapitalClosure = Field(
        CapitalClosure.MOBILE, description="mobile (one rental rate per region) or sector_specific"
    )

    def to_closure(self) -> Closure:
        return Closure(macro=self.macro, labour=self.labour, capital=self.capital)


class TariffShock(_Strict):
    """Set or change the ad-valorem tariff of ``importer`` on ``exporter``'s ``commodity``.

    ``all`` in importer, exporter or commodity means every label (own-region pairs and flows that
    are zero in the SAM are skipped); a named commodity on a zero flow is an error.
    """

    importer: str = Field(description="importing region label, or 'all'")
    exporter: str = Field(description="exporting region label, or 'all'")
    commodity: str = Field(ALL, description="commodity label, 'goods' (merchandise) or 'all'")
    rate_pct: float | None = Field(None, ge=0, description="new tariff rate [percent of cif value]")
    change_pct: float | None = Field(
        None, description="change of the tariff rate [percentage points of cif value], added to the benchmark"
    )
    usmca_exemption: str | None = Field(
        None,
        description="name of a set of USMCA claim shares in calibration/tariffs/usmca_claim_shares.csv (e.g. "
        "'usmca_2025h2'): the new rate applies only to the non-compliant share s of each flow, the compliant "
        "share keeps its rate, so the flow's rate becomes s x old + (1 - s) x new [unitless share from the table]",
    )

    @model_validator(mode="after")
    def _one_of(self):
        if (self.rate_pct is None) == (self.change_pct is None):
            raise ValueError(
                f"tariff row {self.importer}<-{self.exporter} {self.commodity}: "
                "give exactly one of rate_pct or change_pct"
            )
        return self


class ExportTaxShock(TariffShock):
    """Set or change an export tax [percent of the exporter's market value]; same rows as tariffs."""

    @model_validator(mode="after")
    def _no_exemption(self):
        if self.usmca_exemption is not None:
            raise ValueError(
                f"export tax row {self.importer}<-{self.exporter}: usmca_exemption applies to tariffs only"
            )
        return self


class MfnReversion(_Strict):
    """Importer applies its MFN schedule (``calibration/tariffs/mfn.csv``) to exporter's goods."""

    importer: str = Field(description="importing region label")
    exporter: str = Field(description="exporting region label, or 'all'")


class TradeCostShock(_Strict):
    """Iceberg trade-cost wedge (border costs, rules-of-origin compliance costs)."""

    importer: str = Field(description="importing region label, or 'all'")
    exporter: str = Field(description="exporting region label, or 'all'")
    commodity: str = Field(ALL, description="commodity label, 'goods' (merchandise) or 'all'")
    change_pct: float = Field(
        gt=-100, description="change of units shipped per unit delivered [percent]; 2 = a 2% ad-valorem-equivalent cost"
    )


class Scenario(_Strict):
    """One counterfactual: tariff and trade-cost shocks, closure, numeraire shock.

    Defaults mean "no shock" in the default closure (fixed trade balance, full employment,
    mobile capital).
    """

    name: str = Field(description="scenario name (unique within a run)", min_length=1)
    description: str = Field("", description="what the scenario represents")
    closure: ClosureSpec = Field(default_factory=ClosureSpec, description="closure choices")
    tariffs: tuple[TariffShock, ...] = Field((), description="tariff rows, applied in order")
    export_taxes: tuple[ExportTaxShock, ...] = Field((), description="export tax rows, applied in order")
    revert_to_mfn: tuple[MfnReversion, ...] = Field(
        (), description="importer/exporter pairs that revert to the importer's MFN rates (applied before tariff rows)"
    )
    trade_costs: tuple[TradeCostShock, ...] = Field((), description="iceberg trade-cost wedges")
    numeraire_change_pct: float = Field(
        0.0, gt=-100, description="change of the numeraire (world factor price index) [percent]; for homogeneity tests"
    )

    @field_validator("name")
    @classmethod
    def _clean_name(cls, value: str) -> str:
        if value != value.strip() or "/" in value:
            raise ValueError(f"scenario name {value!r} must have no surrounding spaces or '/'")
        return value

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


def _format_validation(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"])
        parts.append(f"field '{loc}': {err['msg']} (got {err.get('input')!r})")
    return "; ".join(parts)


ShockKind = Literal["tm", "te", "tau"]
