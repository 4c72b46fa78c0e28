"""Translate a :class:`~cge.scenario.Scenario` into shocks of the GTAP v7 model, grouped for subtotals.

:func:`gtap_shocks` turns the scenario's rows into percentage changes of GTAP's exogenous
variables (``docs/scenarios.md``, "How scenario rows become GTAP v7 shocks"):

============================  ===========  ===============================================
row                           variable     shock [%]
============================  ===========  ===============================================
``tariffs`` (rate or change)  ``tms``      ``100 ((1 + new) / (1 + base) - 1)``, rates on cif
``revert_to_mfn``             ``tms``      as above with new = the database's ``mfn_rate``
``export_taxes``              ``txs``      as above, rates on the exporter's market value
``trade_costs``               ``ams``      ``100 (1 / (1 + x / 100) - 1)`` (iceberg wedge x)
``numeraire_change_pct``      ``pfactwld`` the change itself
============================  ===========  ===============================================

A scenario's trade-balance targets (``[[closure.trade_balance]]``) are ordinary changes of
``del_tbalpf`` (``usd_bn``, percentage points of world income) or ``del_tbalgdp`` (``share_of_gdp_pct``)
in their region (:func:`cge.gtap.trade_balance.target_shocks`), each in the group of its row
(default ``'trade_balance <region>'``); they need the closure's swaps.

Order: MFN reversions, then tariff rows, export-tax rows and trade-cost rows in file order; a
later row overrides an earlier one on the flows they share (a ``change_pct`` row changes the
rate the earlier rows left; trade-cost wedges compound). Each shocked flow belongs to the shock
group of the last row that set it, so the groups' shocks sum to the total exactly.

A tariff row with ``usmca_exemption`` splits each flow into its USMCA-compliant share ``s``
(the named set of ``calibration/tariffs/usmca_claim_shares.csv``) and the rest: the row's rate
applies to the rest only, the compliant share keeps the rate it paid before the scenario's tariff
rows (the database's rate, or the MFN rate of a reversion), and the flow's rate is
``s · compliant + (1 - s) · rest``. Labels are the database's (``COMM``, ``REG``); the long sector
names of ``calibration/database/sectors.csv`` are accepted where they name a label of the database,
and ``all`` and the groups of the registry (``calibration/groups.csv``: ``USMCA``, ``goods``,
``services``, ``agri-food``) select their members.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from cge.dims import COMMODITY, REGION
from cge.errors import ScenarioError
from cge.gtap.schema import COMM, REG, REG_2
from cge.gtap.trade_balance import target_shocks
from cge.indicators.groups import Group, GroupError, expand_label, find_group, group_names, load_groups
from cge.paths import CALIBRATION_DIR
from cge.scenario import (
    ALL,
    GOODS,
    NUMERAIRE_GROUP,
    ExportTaxShock,
    MfnReversion,
    Scenario,
    TariffShock,
    TradeCostShock,
)
from cge.validation import suggestion

log = logging.getLogger(__name__)

CLAIM_SHARES_FILE = CALIBRATION_DIR / "tariffs" / "usmca_claim_shares.csv"
"""The USMCA claim-share sets named by ``usmca_exemption`` (the one source of exemption shares)."""
SECTOR_NAMES_FILE = CALIBRATION_DIR / "database" / "sectors.csv"
"""Long sector names (column ``sector``) of the open database's short labels (column ``label``)."""
GTAP_SECTORS_FILE = CALIBRATION_DIR / "mappings" / "gtap_sectors.csv"
"""GTAP's standard sector codes with their merchandise flag (``goods`` without a coordinate)."""
FLOW_DIMS = (COMM, REG, REG_2)
"""Dims of a bilateral flow: commodity, source (exporter), destination (importer)."""


@dataclass(frozen=True)
class ShockPlan:
    """A scenario as GTAP v7 shocks.

    Attributes
    ----------
    shocks : dict of str to xarray.DataArray
        GEMPACK variable -> percentage change over its sets, zero where a cell is not shocked:
        ``tms``, ``txs``, ``ams`` over (COMM, REG, REG_2) = (commodity, source, destination),
        ``pfactwld`` 0-d; trade-balance targets as ordinary changes of ``del_tbalpf`` and
        ``del_tbalgdp`` [percentage points of world income, of GDP] over REG, NaN in the regions
        without a target; only the variables some row shocks. Input of ``cge.gtap.solve`` (with targets:
        :func:`cge.gtap.trade_balance.solve_to_targets`, under the closure's swaps).
    groups : dict of str to dict of str to xarray.DataArray
        Shock group -> its shocks in the same form but NaN on the cells the group does not shock
        (``cge.gtap.solve(database, subtotals=plan.groups)``: a cell shocked by two groups would
        take the later group's value, as GEMPACK's ``shock`` does). Each shocked cell is in
        exactly one group, so the groups with NaN as 0 sum to ``shocks`` exactly. ``numeraire``
        holds the numeraire shock.
    rates : xarray.Dataset
        Per flow (COMM, REG, REG_2): ``tariff_base_pct``, ``tariff_new_pct`` [% of cif value],
        ``export_tax_base_pct``, ``export_tax_new_pct`` [% of the exporter's market value, VXSB],
        ``trade_cost_pct`` [% more shipped per unit delivered]; NaN where the flow is zero.
    """

    shocks: dict[str, xr.DataArray]
    groups: dict[str, dict[str, xr.DataArray]]
    rates: xr.Dataset


# ----------------------------------------------------------------------------- labels
@dataclass(frozen=True)
class Labels:
    """The database's labels as scenario rows may name them: labels, long sector names, ``all``
    and the groups of the registry (``USMCA``, ``goods``, ``services``, ``agri-food``, a user's)."""

    regions: tuple[str, ...]
    commodities: tuple[str, ...]
    aliases: dict[str, str]
    """Another name of a commodity -> its label in the database."""
    flags: dict[str, tuple[str, ...]]
    """Boolean commodity flags (``goods``, ``agrifood``) -> the commodities where they are true."""
    groups: tuple[Group, ...]
    goods_problem: str = ""
    """Why the database has no ``goods`` flag (empty when it has one)."""

    def region_index(self, value: str, where: str) -> list[int]:
        """Positions in REG of a region label, ``all`` or a region group."""
        return self._index(value, where, REGION, self.regions)

    def commodity_index(self, value: str, where: str) -> list[int]:
        """Positions in COMM of a commodity label, a long sector name, ``all`` or a commodity group."""
        return self._index(value, where, COMMODITY, self.commodities)

    def _index(self, value: str, where: str, dimension: str, labels: tuple[str, ...]) -> list[int]:
        if value == ALL:
            return list(range(len(labels)))
        try:
            members = expand_label(value, dimension, labels, self.flags, self.groups)
        except GroupError as exc:
            group = find_group(self.groups, dimension, value)
            why = f"; {self.goods_problem}" if self.goods_problem and group and "goods" in group.members else ""
            raise ScenarioError(f"{where} {exc}{why}") from None
        if members is not None:
            if not members:
                raise ScenarioError(f"{where} '{value}': the group selects no {dimension} of the database")
            return [labels.index(m) for m in members]
        label = value if value in labels else self.aliases.get(value) if dimension == COMMODITY else None
        if label is None:
            names = group_names(self.groups, dimension)
            also = f", their long names in {SECTOR_NAMES_FILE.name}" if dimension == COMMODITY and self.aliases else ""
            raise ScenarioError(
                f"{where} '{value}' is not a {dimension} of the database (known: {list(labels)}{also}, "
                f"'all' or a {dimension} group: {', '.join(names)})"
                + suggestion(value, [*labels, *(self.aliases if dimension == COMMODITY else ()), ALL, *names])
            )
        return [labels.index(label)]


def commodity_aliases(commodities: tuple[str, ...], path: Path = SECTOR_NAMES_FILE) -> dict[str, str]:
    """Long sector names whose short label (``calibration/database/sectors.csv``) is a commodity of the database."""
    table = pd.read_csv(path, comment="#", dtype=str)
    return {
        str(row.sector): str(row.label)
        for row in table.itertuples(index=False)
        if row.label in commodities and row.sector not in commodities
    }


def commodity_flags_of(database: xr.Dataset, path: Path = GTAP_SECTORS_FILE) -> tuple[dict[str, tuple[str, ...]], str]:
    """The boolean commodity flags of a database and, when it has no ``goods`` flag, why.

    The database's boolean coordinates on COMM (``goods``, ``agrifood``); without a ``goods``
    coordinate, when every commodity label is a GTAP sector code
    (``calibration/mappings/gtap_sectors.csv``, matched case-insensitively), ``goods`` = the codes
    flagged as merchandise.
    """
    commodities = [str(c) for c in database[COMM].values]
    flags = {
        str(name): tuple(c for c, flag in zip(commodities, coord.values) if flag)
        for name, coord in database.coords.items()
        if coord.dims == (COMM,) and name != COMM and coord.dtype == bool
    }
    if GOODS in flags:
        return flags, ""
    table = pd.read_csv(path, comment="#", dtype={"code": str, "goods": str})
    merchandise = {str(c).lower(): flag.strip().lower() == "true" for c, flag in zip(table["code"], table["goods"])}
    unknown = [c for c in commodities if c.lower() not in merchandise]
    if unknown:
        return flags, (
            f"the database has no boolean 'goods' coordinate on COMM and its commodities {unknown} are not GTAP "
            f"sector codes ({path.name}); add the coordinate, or name the commodities, or use 'all'"
        )
    flags[GOODS] = tuple(c for c in commodities if merchandise[c.lower()])
    return flags, ""


def database_labels(database: xr.Dataset, groups: Sequence[Group] | None = None) -> Labels:
    """The labels of a GTAP database as scenario rows name them (``groups``: the registry, default
    ``calibration/groups.csv``)."""
    commodities = tuple(str(c) for c in database[COMM].values)
    flags, problem = commodity_flags_of(database)
    return Labels(
        regions=tuple(str(r) for r in database[REG].values),
        commodities=commodities,
        aliases=commodity_aliases(commodities),
        flags=flags,
        groups=tuple(groups if groups is not None else load_groups()),
        goods_problem=problem,
    )


# ----------------------------------------------------------------------------- claim shares
def read_claim_shares(path: str | Path = CLAIM_SHARES_FILE) -> pd.DataFrame:
    """USMCA claim-share sets: columns ``set, importer, exporter, sector, share`` [0-1]; sector
    ``all`` is the pair's default.

    Raises
    ------
    ScenarioError
        When the file is missing, lacks a column, has a share outside [0, 1] or repeats a key.
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"no USMCA claim-share table at {path}")
    table = pd.read_csv(path, comment="#", dtype={"set": str, "importer": str, "exporter": str, "sector": str})
    missing = {"set", "importer", "exporter", "sector", "share"} - set(table.columns)
    if missing:
        raise ScenarioError(f"{path}: lacks columns {sorted(missing)}")
    bad = ~pd.to_numeric(table["share"], errors="coerce").between(0.0, 1.0)
    if bad.any():
        raise ScenarioError(f"{path}: shares outside [0, 1] in lines {(bad[bad].index + 2).tolist()}")
    key = ["set", "importer", "exporter", "sector"]
    repeated = table[table.duplicated(key, keep=False)]
    if not repeated.empty:
        raise ScenarioError(f"{path}: repeated rows {repeated[key].drop_duplicates().values.tolist()}")
    return table


def claim_shares(table: pd.DataFrame, name: str, labels: Labels, where: str) -> np.ndarray:
    """Compliant share of every flow (COMM, REG, REG_2) under claim-share set ``name`` [0-1]:
    the sector's row, else the pair's ``all`` row, else 0 (no preference to claim).

    Raises
    ------
    ScenarioError
        When the set is unknown, names no region pair of the database, or names a sector that
        is not a commodity of the database.
    """
    rows = table[table["set"] == name]
    if rows.empty:
        raise ScenarioError(
            f"{where}: usmca_exemption '{name}' is not a set of {CLAIM_SHARES_FILE.name} "
            f"(known: {sorted(table['set'].unique())})"
        )
    rows = rows[rows["importer"].isin(labels.regions) & rows["exporter"].isin(labels.regions)]
    if rows.empty:
        raise ScenarioError(
            f"{where}: usmca_exemption '{name}' names no importer-exporter pair of the database's regions "
            f"{list(labels.regions)}"
        )
    shares = np.zeros((len(labels.commodities), len(labels.regions), len(labels.regions)))
    for pass_all in (True, False):  # the pair's default first, then its sectors
        for row in rows[(rows["sector"] == ALL) == pass_all].itertuples(index=False):
            s, d = labels.regions.index(row.exporter), labels.regions.index(row.importer)
            sector = f"{where}: usmca_exemption '{name}' row {row.importer}<-{row.exporter}: sector"
            shares[labels.commodity_index(row.sector, sector), s, d] = float(row.share)
    return shares


# ----------------------------------------------------------------------------- the translation
@dataclass
class _Instrument:
    """One GTAP instrument over the flows while rows are applied: its level and each cell's owner group."""

    value: np.ndarray
    owner: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.owner = np.full(self.value.shape, "", dtype=object)


def _flows(database: xr.Dataset, header: str) -> np.ndarray:
    return database[header].transpose(*FLOW_DIMS).values.astype(float)


def _selected(row, labels: Labels, exists: np.ndarray, where: str) -> np.ndarray:
    """Mask (COMM, REG, REG_2) of the row's flows that exist; own-region pairs never selected.

    Raises
    ------
    ScenarioError
        For an unknown label, or when the row selects no flow that exists.
    """
    commodity = getattr(row, "commodity", ALL)
    importers = labels.region_index(row.importer, f"{where}.importer")
    exporters = labels.region_index(row.exporter, f"{where}.exporter")
    commodities = labels.commodity_index(commodity, f"{where}.commodity")
    mask = np.zeros(exists.shape, dtype=bool)
    mask[np.ix_(commodities, exporters, importers)] = True
    mask &= exists
    if not mask.any():
        if {row.importer, row.exporter, commodity} - {*labels.regions, *labels.commodities, *labels.aliases}:
            reason = "these flows are all zero in the database, so the row would change nothing"
        else:
            reason = "this flow is zero in the database, so a rate on it has no base"
        raise ScenarioError(f"{where} on {commodity} from {row.exporter} to {row.importer}: {reason}")
    return mask


def _first_flow(mask: np.ndarray, labels: Labels) -> str:
    c, s, d = (int(i[0]) for i in np.nonzero(mask))
    return f"{labels.commodities[c]} from {labels.regions[s]} to {labels.regions[d]}"


class _Translation:
    """The state of a scenario's instruments while its rows are applied in order."""

    def __init__(
        self, scenario: Scenario, database: xr.Dataset, claims: pd.DataFrame | None, groups: Sequence[Group] | None
    ) -> None:
        self.scenario = scenario
        self.database = database
        self.labels = database_labels(database, groups)
        self.claims = claims
        vxsb, vcif = _flows(database, "VXSB"), _flows(database, "VCIF")
        own = np.eye(len(self.labels.regions), dtype=bool)[None, :, :]
        self.exists = (vxsb > 0) & (vcif > 0) & ~own
        with np.errstate(divide="ignore", invalid="ignore"):
            self.tariff_base = np.where(self.exists, _flows(database, "VMSB") / vcif - 1.0, np.nan)
            self.export_tax_base = np.where(self.exists, _flows(database, "VFOB") / vxsb - 1.0, np.nan)
        # tariffs of each flow's USMCA-compliant share and of the rest, and the compliant share
        # (NaN: no exemption; then both rates are equal and the flow's rate is the rest's)
        self.compliant = self.tariff_base.copy()
        self.rest = self.tariff_base.copy()
        self.share = np.full(self.exists.shape, np.nan)
        self.share_set = np.full(self.exists.shape, "", dtype=object)
        self.tariff = _Instrument(self.tariff_base.copy())
        self.export_tax = _Instrument(self.export_tax_base.copy())
        self.wedge = _Instrument(np.where(self.exists, 1.0, np.nan))
        self.group_order: list[str] = []

    def where(self, field_name: str, k: int) -> str:
        return f"scenario '{self.scenario.name}': {field_name}[{k}]"

    def own(self, instrument: _Instrument, mask: np.ndarray, group: str) -> None:
        instrument.owner[mask] = group
        if group not in self.group_order:
            self.group_order.append(group)

    # -- rows
    def revert_to_mfn(self, k: int, row: MfnReversion) -> None:
        where = self.where("revert_to_mfn", k)
        if "mfn_rate" not in self.database:
            raise ScenarioError(
                f"{where} needs the database's mfn_rate satellite (COMM, REG: the importer's MFN rate, fraction); "
                "this database has none"
            )
        mask = _selected(row, self.labels, self.exists, where)
        schedules = self.database["mfn_rate"].transpose(COMM, REG).values.astype(float)
        for d in np.flatnonzero(mask.any(axis=(0, 1))):
            if not np.any(schedules[:, d]):
                raise ScenarioError(
                    f"{where}: no MFN schedule for importer '{self.labels.regions[d]}' "
                    "(its mfn_rate is zero for every commodity)"
                )
        rates = np.broadcast_to(schedules[:, None, :], mask.shape)
        self.set_tariff(mask, rates, rates, where, exemption="")
        self.own(self.tariff, mask, row.shock_group)

    def tariffs(self, k: int, row: TariffShock) -> None:
        where = self.where("tariffs", k)
        mask = _selected(row, self.labels, self.exists, where)
        if row.rate_pct is not None:
            rest = np.full(mask.shape, row.rate_pct / 100.0)
            compliant = self.compliant if row.usmca_exemption else rest
        else:
            assert row.change_pct is not None  # TariffShock._one_of: exactly one of the two
            rest = self.rest + row.change_pct / 100.0
            compliant = self.compliant if row.usmca_exemption else self.compliant + row.change_pct / 100.0
        exemption = row.usmca_exemption or ("" if row.rate_pct is not None else None)
        if row.usmca_exemption:
            if self.claims is None:
                self.claims = read_claim_shares()
            clash = mask & (self.share_set != "") & (self.share_set != row.usmca_exemption)
            if clash.any():
                raise ScenarioError(
                    f"{where}: usmca_exemption '{row.usmca_exemption}' on {_first_flow(clash, self.labels)}, which an "
                    f"earlier row exempts with '{self.share_set[clash][0]}'; use one claim-share set per flow"
                )
            shares = claim_shares(self.claims, row.usmca_exemption, self.labels, where)
            self.share = np.where(mask, shares, self.share)
        self.set_tariff(mask, compliant, rest, where, exemption)
        self.own(self.tariff, mask, row.shock_group)

    def set_tariff(
        self, mask: np.ndarray, compliant: np.ndarray, rest: np.ndarray, where: str, exemption: str | None
    ) -> None:
        """Set the rates of the compliant share and the rest on ``mask``; the flow's rate is their
        claim-weighted mean. ``exemption``: the claim-share set now in force on ``mask``, "" for
        none (both rates equal), None to keep the flows' sets (a change applied to both shares)."""
        for rate, before in ((rest, self.rest), (compliant, self.compliant)):
            lowered = mask & (rate < 0) & (rate < before)  # an import subsidy in the data may stay
            if lowered.any():
                flow = _first_flow(lowered & (rate == rate[lowered].min()), self.labels)
                raise ScenarioError(f"{where} makes the tariff on {flow} negative ({100 * rate[lowered].min():.4f} %)")
        self.compliant = np.where(mask, compliant, self.compliant)
        self.rest = np.where(mask, rest, self.rest)
        if exemption is not None:
            self.share_set[mask] = exemption
            if not exemption:
                self.share = np.where(mask, np.nan, self.share)
        share = np.nan_to_num(self.share, nan=0.0)
        self.tariff.value = np.where(mask, share * self.compliant + (1.0 - share) * self.rest, self.tariff.value)

    def export_taxes(self, k: int, row: ExportTaxShock) -> None:
        where = self.where("export_taxes", k)
        mask = _selected(row, self.labels, self.exists, where)
        if row.rate_pct is not None:
            new = np.full(mask.shape, row.rate_pct / 100.0)
        else:
            assert row.change_pct is not None  # TariffShock._one_of: exactly one of the two
            new = self.export_tax.value + row.change_pct / 100.0
        lowest = np.where(mask, new, np.inf)
        if lowest.min() <= -1.0:
            flow = _first_flow(mask & (lowest == lowest.min()), self.labels)
            raise ScenarioError(f"{where} gives a subsidy of 100 % or more on {flow} ({100 * lowest.min():.4f} %)")
        self.export_tax.value = np.where(mask, new, self.export_tax.value)
        self.own(self.export_tax, mask, row.shock_group)

    def trade_costs(self, k: int, row: TradeCostShock) -> None:
        mask = _selected(row, self.labels, self.exists, self.where("trade_costs", k))
        self.wedge.value = np.where(mask, self.wedge.value * (1.0 + row.change_pct / 100.0), self.wedge.value)
        self.own(self.wedge, mask, row.shock_group)

    # -- results
    def plan(self) -> ShockPlan:
        with np.errstate(invalid="ignore"):
            changes = {
                "tms": (self.tariff, 100.0 * ((1.0 + self.tariff.value) / (1.0 + self.tariff_base) - 1.0)),
                "txs": (self.export_tax, 100.0 * ((1.0 + self.export_tax.value) / (1.0 + self.export_tax_base) - 1.0)),
                "ams": (self.wedge, 100.0 * (1.0 / self.wedge.value - 1.0)),
            }
        coords = {dim: self.database[dim].values for dim in FLOW_DIMS}
        shocks: dict[str, xr.DataArray] = {}
        groups: dict[str, dict[str, xr.DataArray]] = {group: {} for group in self.group_order}
        for name, (instrument, change) in changes.items():
            owned = instrument.owner != ""
            if not owned.any():
                continue
            shocks[name] = xr.DataArray(np.where(owned, change, 0.0), dims=FLOW_DIMS, coords=coords, name=name)
            for group in sorted(set(instrument.owner[owned]), key=self.group_order.index):
                groups[group][name] = shocks[name].where(instrument.owner == group)  # NaN: not this group's
        if self.scenario.numeraire_change_pct != 0.0:
            shocks["pfactwld"] = xr.DataArray(float(self.scenario.numeraire_change_pct), name="pfactwld")
            groups[NUMERAIRE_GROUP] = {"pfactwld": shocks["pfactwld"]}
        for group, name, target in target_shocks(self.scenario, self.database):  # NaN off the target's region
            shocks[name] = target if name not in shocks else shocks[name].fillna(target)
            group_shocks = groups.setdefault(group, {})
            group_shocks[name] = target if name not in group_shocks else group_shocks[name].fillna(target)
        empty = [g for g, parts in groups.items() if not parts]
        if empty:
            log.info(
                "scenario '%s': shock groups %s own no flow (later rows override all of their rows)",
                self.scenario.name,
                empty,
            )
        return ShockPlan(shocks=shocks, groups=groups, rates=self.rates(coords))

    def rates(self, coords: dict) -> xr.Dataset:
        def pct(values: np.ndarray, long_name: str, units: str) -> xr.DataArray:
            return xr.DataArray(
                100.0 * values, dims=FLOW_DIMS, coords=coords, attrs={"long_name": long_name, "units": units}
            )

        cif, market = "% of cif value (VMSB / VCIF - 1)", "% of the exporter's market value (VFOB / VXSB - 1)"
        return xr.Dataset(
            {
                "tariff_base_pct": pct(self.tariff_base, "import tariff in the database", cif),
                "tariff_new_pct": pct(self.tariff.value, "import tariff after the scenario's rows", cif),
                "export_tax_base_pct": pct(self.export_tax_base, "export tax in the database", market),
                "export_tax_new_pct": pct(self.export_tax.value, "export tax after the scenario's rows", market),
                "trade_cost_pct": pct(
                    self.wedge.value - 1.0,
                    "iceberg trade cost added by the scenario",
                    "% more shipped per unit delivered",
                ),
            },
            attrs={
                "scenario": self.scenario.name,
                "note": "NaN where the flow is zero in the database or is an own-region pair",
            },
        )


def gtap_shocks(
    scenario: Scenario,
    database: xr.Dataset,
    claims: pd.DataFrame | None = None,
    groups: Sequence[Group] | None = None,
) -> ShockPlan:
    """The GTAP v7 shocks of a scenario, grouped for subtotals.

    Parameters
    ----------
    scenario : Scenario
        The scenario; its rows name the database's labels (or their long names, see the module).
    database : xarray.Dataset
        A GTAP v7 database (:func:`cge.gtap.load_database`); ``mfn_rate`` (COMM, REG) [fraction]
        is needed only by ``revert_to_mfn`` rows.
    claims : pandas.DataFrame, optional
        USMCA claim-share sets (:func:`read_claim_shares`); default: the shipped
        ``calibration/tariffs/usmca_claim_shares.csv``, read when a row needs it.
    groups : sequence of Group, optional
        The group registry for rows that name a group (``importer = "USMCA"``, ``commodity =
        "services"``; :func:`cge.indicators.groups.load_groups`); default ``calibration/groups.csv``.

    Returns
    -------
    ShockPlan
        Shocks (percentage changes), the same by shock group, and the rates per flow.

    Raises
    ------
    ScenarioError
        One line naming the row and field: an unknown label, a flow that is zero in the database,
        a negative tariff, an export subsidy of 100 % or more, an unknown claim-share set.
    """
    state = _Translation(scenario, database, claims, groups)
    for k, mfn in enumerate(scenario.revert_to_mfn):
        state.revert_to_mfn(k, mfn)
    for k, tariff in enumerate(scenario.tariffs):
        state.tariffs(k, tariff)
    for k, export_tax in enumerate(scenario.export_taxes):
        state.export_taxes(k, export_tax)
    for k, trade_cost in enumerate(scenario.trade_costs):
        state.trade_costs(k, trade_cost)
    return state.plan()
