"""Translate a :class:`~cge.scenario.Scenario` into values of the model's shock parameters.

Order: MFN reversions, then tariff rows, export-tax rows and trade-cost rows in file order; the
numeraire last. A tariff row with ``usmca_exemption`` applies its new rate only to the
non-compliant share ``1 - s`` of each flow (``s`` from ``calibration/tariffs/usmca_claim_shares.csv``):
the flow's rate becomes ``s · old + (1 - s) · new``, the trade-weighted average that an ad-valorem
model can carry (compliance itself does not respond to the tariff). Labels are validated against
the model (region, commodity), and a named flow that is zero in the SAM is an error, because a rate
on it would have no base.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from cge.dims import COMMODITY, REGION
from cge.indicators.groups import Group, GroupError, expand_label, find_group, group_names, load_groups
from cge.model.index import ModelIndex
from cge.model.lookup import Lookup
from cge.paths import CALIBRATION_DIR
from cge.scenario import ALL, Scenario, ScenarioError
from cge.validation import suggestion


def load_mfn(path: str | Path | None = None) -> pd.DataFrame | None:
    """MFN schedule (columns importer, sector, mfn_pct [percent]); None if the file is absent."""
    path = CALIBRATION_DIR / "tariffs" / "mfn.csv" if path is None else Path(path)
    if not path.exists():
        return None
    table = pd.read_csv(path, comment="#")
    missing = {"importer", "sector", "mfn_pct"} - set(table.columns)
    if missing:
        raise ScenarioError(f"MFN table {path} lacks columns {sorted(missing)}")
    return table


CLAIM_SHARES_FILE = CALIBRATION_DIR / "tariffs" / "usmca_claim_shares.csv"


def load_claim_shares(path: str | Path | None = None) -> pd.DataFrame:
    """USMCA claim shares (columns set, importer, exporter, sector, share [0-1]); ``sector`` 'all' = every sector."""
    path = CLAIM_SHARES_FILE if path is None else Path(path)
    if not path.exists():
        raise ScenarioError(f"no USMCA claim-share table at {path}")
    table = pd.read_csv(path, comment="#")
    missing = {"set", "importer", "exporter", "sector", "share"} - set(table.columns)
    if missing:
        raise ScenarioError(f"claim-share table {path} lacks columns {sorted(missing)}")
    bad = ~table["share"].between(0.0, 1.0)
    if bad.any():
        raise ScenarioError(f"claim-share table {path}: shares outside [0, 1] in rows {(bad[bad].index + 2).tolist()}")
    return table


def claim_shares_of_set(claims: pd.DataFrame, name: str, where: str) -> dict[tuple[str, str, str], float]:
    """Claim shares of set ``name`` as ``{(importer, exporter, sector): share [0-1]}`` (the first
    row of a repeated key counts), for :func:`share_of_flow`.

    Raises
    ------
    ScenarioError
        Naming ``where`` and the known sets when ``name`` is not a set of the table.
    """
    rows = claims[claims["set"] == name]
    if rows.empty:
        raise ScenarioError(
            f"{where}: usmca_exemption '{name}' is not a set of {CLAIM_SHARES_FILE.name} "
            f"(known: {sorted(claims['set'].unique())})"
        )
    shares: dict[tuple[str, str, str], float] = {}
    for row in rows.itertuples(index=False):
        shares.setdefault((str(row.importer), str(row.exporter), str(row.sector)), float(row.share))
    return shares


def share_of_flow(shares: dict[tuple[str, str, str], float], key: tuple[str, str, str]) -> float:
    """Exempt share of flow ``key`` = (commodity, exporter, importer): the sector's row, else the
    pair's ``all`` row, else 0 (the pair has no preference to claim)."""
    commodity, exporter, importer = key
    for sector in (commodity, ALL):
        if (importer, exporter, sector) in shares:
            return shares[importer, exporter, sector]
    return 0.0


def _labels(value: str, known: tuple[str, ...], field: str, scenario: str, ix: ModelIndex, groups) -> list[str]:
    """Labels a row field stands for: ``all``, a group of the registry (``goods``, ``services``,
    ``agri-food``, ``USMCA``, user groups) or one label of the model."""
    if value == ALL:
        return list(known)
    commodity = field.endswith(".commodity")
    dimension = COMMODITY if commodity else REGION
    try:
        members = expand_label(value, dimension, known, ix.commodity_flags, groups)
    except GroupError as exc:
        raise ScenarioError(f"scenario '{scenario}': {field} {exc}") from None
    if members is not None:
        return members
    if value not in known:
        names = group_names(groups if groups is not None else load_groups(), dimension)
        raise ScenarioError(
            f"scenario '{scenario}': {field} '{value}' is not in the SAM (known: {list(known)}, "
            f"'all' or a {dimension} group: {', '.join(names)})" + suggestion(value, [*known, ALL, *names])
        )
    return [value]


def _flows_for(row, ix: ModelIndex, flows: set, field: str, scenario: str, groups) -> list[tuple[str, str, str]]:
    importers = _labels(row.importer, ix.regions, f"{field}.importer", scenario, ix, groups)
    exporters = _labels(row.exporter, ix.regions, f"{field}.exporter", scenario, ix, groups)
    commodity = getattr(row, "commodity", ALL)
    commodities = _labels(commodity, ix.commodities, f"{field}.commodity", scenario, ix, groups)
    selected = [(i, s, r) for i in commodities for s in exporters for r in importers if (i, s, r) in flows]
    if not selected:
        if not commodities:
            reason = _empty_group(commodity, groups)
        elif {row.importer, row.exporter, commodity} - {*ix.regions, *ix.commodities}:
            reason = "these flows are all zero in the SAM, so the row would change nothing"
        else:
            reason = "this flow is zero in the SAM, so a rate on it has no base"
        raise ScenarioError(
            f"scenario '{scenario}': {field} on {commodity} from {row.exporter} to {row.importer}: {reason}"
        )
    return selected


def _empty_group(name: str, groups) -> str:
    """Why the commodity group ``name`` selects nothing: the SAM's flag it reads is false everywhere
    (or, for ``[!flag]``, true everywhere)."""
    group = find_group(groups if groups is not None else load_groups(), COMMODITY, name)
    flag = group.members.strip("[] ") if group is not None else name
    which = "every commodity" if flag.startswith("!") else "no commodity"
    flag = flag.lstrip("!")
    return f"the SAM flags {which} as {flag} (its '{flag}' coordinate); name the commodities or use 'all'"


def scenario_parameters(
    scenario: Scenario,
    ix: ModelIndex,
    lk: Lookup,
    mfn: pd.DataFrame | None = None,
    claims: pd.DataFrame | None = None,
    groups: Sequence[Group] | None = None,
) -> dict[str, dict]:
    """Parameter values implied by a scenario.

    Parameters
    ----------
    scenario : Scenario
    ix : ModelIndex
        Index sets of the model the scenario runs on.
    lk : Lookup
        Calibrated benchmark rates (``tm0``, ``te0``).
    mfn : DataFrame or None
        MFN schedule; required only when the scenario reverts to MFN.
    claims : DataFrame or None
        USMCA claim shares for tariff rows with ``usmca_exemption``; None reads the shipped table
        when a row needs it.
    groups : sequence of Group or None
        The group registry for rows that name a group (``importer = "USMCA"``, ``commodity =
        "services"``); None = the shipped ``calibration/groups.csv``.

    Returns
    -------
    dict
        {"tm": {(i, s, r): rate [fraction]}, "te": {...}, "tau": {...}, "pnum": {None: index}} and
        the closure's parameters (:func:`closure_parameters`).
    """
    flows = set(ix.flows)
    tm, te, tau = {}, {}, {}
    tm0, te0 = lk("tm0"), lk("te0")
    for k, row in enumerate(scenario.revert_to_mfn):
        if mfn is None:
            raise ScenarioError(
                f"scenario '{scenario.name}': revert_to_mfn[{k}] needs an MFN table (calibration/tariffs/mfn.csv)"
            )
        schedules = {}
        for i, s, r in _flows_for(row, ix, flows, f"revert_to_mfn[{k}]", scenario.name, groups):
            if r not in schedules:
                schedules[r] = mfn[mfn["importer"] == r].set_index("sector")["mfn_pct"]
                if schedules[r].empty:
                    raise ScenarioError(
                        f"scenario '{scenario.name}': revert_to_mfn[{k}]: no MFN schedule for importer '{r}'"
                    )
            if s != r and i in schedules[r].index:
                tm[i, s, r] = float(schedules[r][i]) / 100.0
    if claims is None and any(row.usmca_exemption for row in scenario.tariffs):
        claims = load_claim_shares()
    for k, row in enumerate(scenario.tariffs):
        where = f"scenario '{scenario.name}': tariffs[{k}]"
        shares = claim_shares_of_set(claims, row.usmca_exemption, where) if row.usmca_exemption else {}
        for key in _flows_for(row, ix, flows, f"tariffs[{k}]", scenario.name, groups):
            base = tm.get(key, tm0[key])
            new = row.rate_pct / 100.0 if row.rate_pct is not None else base + row.change_pct / 100.0
            if row.usmca_exemption:  # the compliant share keeps its rate (an ad-valorem average over the flow)
                share = share_of_flow(shares, key)
                new = share * base + (1.0 - share) * new
            tm[key] = new
            if tm[key] < 0:
                raise ScenarioError(
                    f"scenario '{scenario.name}': tariffs[{k}] makes the tariff on {key} negative ({tm[key]:.4f})"
                )
    for k, row in enumerate(scenario.export_taxes):
        for key in _flows_for(row, ix, flows, f"export_taxes[{k}]", scenario.name, groups):
            base = te.get(key, te0[key])
            te[key] = row.rate_pct / 100.0 if row.rate_pct is not None else base + row.change_pct / 100.0
            if te[key] <= -1:
                raise ScenarioError(
                    f"scenario '{scenario.name}': export_taxes[{k}] gives a subsidy of 100% or more on {key}"
                )
    for k, row in enumerate(scenario.trade_costs):
        for key in _flows_for(row, ix, flows, f"trade_costs[{k}]", scenario.name, groups):
            tau[key] = tau.get(key, 1.0) * (1.0 + row.change_pct / 100.0)
    values = {"tm": tm, "te": te, "tau": tau, "pnum": {None: 1.0 + scenario.numeraire_change_pct / 100.0}}
    values.update(closure_parameters(scenario, ix))
    return values


def closure_parameters(scenario: Scenario, ix: ModelIndex) -> dict[str, dict]:
    """Parameter values set by a scenario's closure table.

    Returns
    -------
    dict
        ``labour_supply_elasticity`` {region: value} for finite positive elasticities [unitless];
        ``rorflex`` {region: value} [unitless]; ``tb_level`` {region: US$ million} and
        ``tb_share`` {region: fraction of GDP} for trade-balance targets.

    Raises
    ------
    ScenarioError
        When the closure table names a region the model does not have.
    """
    spec = scenario.closure
    named = [*spec.labour_supply_elasticity, *spec.labour_by_region, *(t.region for t in spec.trade_balance)]
    unknown = sorted(set(named) - set(ix.regions))
    if unknown:
        raise ScenarioError(
            f"scenario '{scenario.name}': closure names regions {unknown} that are not in the SAM "
            f"(known: {list(ix.regions)})"
        )
    out: dict[str, dict] = {
        "labour_supply_elasticity": {
            r: float(v) for r, v in spec.labour_supply_elasticity.items() if 0 < v < float("inf")
        },
        "tb_level": {},
        "tb_share": {},
    }
    if spec.rate_of_return_flexibility is not None:
        out["rorflex"] = {r: float(spec.rate_of_return_flexibility) for r in ix.regions}
    for target in spec.trade_balance:
        if target.usd_bn is not None:
            out["tb_level"][target.region], out["tb_share"][target.region] = target.usd_bn * 1e3, 0.0
        else:
            out["tb_level"][target.region], out["tb_share"][target.region] = 0.0, target.share_of_gdp_pct / 100.0
    return out
