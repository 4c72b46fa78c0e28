"""What a report shows: the reference scenario, the scenarios, regions (and groups) asked for, and
the notes/source line printed under every table and figure; and the checks every table and chart
makes of them (scenario names, the reference scenario's results, variables and regions present)."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import xarray as xr

from cge.dims import ACTIVITY, BASELINE, COMMODITY, DRAW, REGION, SCENARIO, SUBTOTAL
from cge.indicators.compare import check_reference, rebase
from cge.indicators.groups import Group, add_subtotals, commodity_flags, find_group, group_names, load_groups
from cge.indicators.gtap.subtotals import total
from cge.report.shock_groups import split_by_shock_group
from cge.validation import suggestion

log = logging.getLogger(__name__)


class ReportError(ValueError):
    """A results file or a table request that cannot be reported (names the missing piece)."""


def is_sweep(ds: xr.Dataset) -> bool:
    """Whether the results come from ``cge sweep --ssa`` (a ``draw`` dimension and summaries)."""
    return DRAW in ds.dims


def select(
    ds: xr.Dataset,
    baseline: str | None = None,
    scenarios: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    commodities: Iterable[str] | None = None,
    groups: Sequence[Group] | None = None,
    names_as_labels: bool = False,
    subtotals: bool = False,
) -> xr.Dataset:
    """The results a report shows.

    Parameters
    ----------
    ds : xarray.Dataset
        Results with a ``scenario`` dimension.
    baseline : str or None
        Reference scenario: every percent change and EV is re-based on it
        (:func:`cge.indicators.compare.rebase`) and it must be in the results. None = the
        ``baseline`` scenario if present (the benchmark otherwise).
    scenarios : iterable of str or None
        Scenarios to show, in this order (the reference is kept for the changes: first unless
        listed); None = all, in the results' order.
    regions : iterable of str or None
        Regions to show, in this order; names of region groups (``calibration/groups.csv`` and
        ``groups``, e.g. ``USMCA``, ``world``) add their subtotals. None = all regions, no groups.
    commodities : iterable of str or None
        Commodities (and activities) to show, in this order; commodity groups (``goods``,
        ``services``, ``agri-food``, user groups) add their subtotals. None = all, no groups.
    groups : sequence of Group or None
        The group registry (:func:`cge.indicators.groups.load_groups`; None = the shipped one).
    names_as_labels : bool
        Label the scenarios by their names instead of their labels or descriptions.
    subtotals : bool
        Show results split by shock group (``cge run --subtotals``) as rows ``scenario / group``
        after each scenario (:func:`cge.report.shock_groups.split_by_shock_group`); otherwise the
        totals.

    Returns
    -------
    xarray.Dataset
        The selection, with a ``scenario_label`` variable holding each scenario's display label
        (:func:`scenario_labels`).

    Raises
    ------
    ReportError
        Naming an unknown scenario, region, commodity or group, or a reference not in the results.
    """
    if SCENARIO not in ds.dims:
        raise ReportError("results have no 'scenario' dimension (not a cge results file?)")
    if subtotals and SUBTOTAL not in ds.dims:
        raise ReportError("the results are not split by shock group: run the scenarios with `cge run --subtotals`")
    if subtotals and baseline is not None:
        raise ReportError("shock-group subtotals are changes from the benchmark: drop --baseline to show them")
    ds = total(ds) if not subtotals else ds
    available = [str(s) for s in ds[SCENARIO].values]
    labels = {name: name for name in available} if names_as_labels else scenario_labels(ds)
    if baseline is not None:
        try:
            check_reference(ds, baseline)
        except KeyError as exc:
            raise ReportError(str(exc)) from None
        ds = _resummarized(rebase(ds, baseline)) if is_sweep(ds) else rebase(ds, baseline)
    if scenarios is not None:
        scenarios = list(dict.fromkeys(str(s) for s in scenarios))
        unknown = [s for s in scenarios if s not in available]
        if unknown:
            raise ReportError(
                f"scenario {unknown[0]!r} is not in the results; scenarios: {', '.join(available)}"
                + suggestion(unknown[0], available)
            )
        ref = baseline or BASELINE
        keep = ([ref] if ref in available and ref not in scenarios else []) + scenarios
        ds = ds.sel({SCENARIO: keep})
    if subtotals:
        ds = split_by_shock_group(ds.assign(scenario_label=(SCENARIO, [labels[str(s)] for s in ds[SCENARIO].values])))
        shown = ds[SCENARIO].values if names_as_labels else ds["scenario_label"].values
        labels = {str(s): str(v) for s, v in zip(ds[SCENARIO].values, shown, strict=True)}
    ds = ds.assign(
        scenario_label=(SCENARIO, [labels[str(s)] for s in ds[SCENARIO].values], {"long_name": "display label"})
    )
    groups = list(groups) if groups is not None else load_groups()
    if regions is not None and REGION in ds.dims:
        ds = _select_labels(ds, REGION, [str(r) for r in regions], groups)
    if commodities is not None:
        for dim in (COMMODITY, ACTIVITY):
            if dim in ds.dims:
                ds = _select_labels(ds, dim, [str(c) for c in commodities], groups)
    return ds


def _select_labels(ds: xr.Dataset, dim: str, wanted: list[str], groups: Sequence[Group]) -> xr.Dataset:
    """``ds`` restricted to ``wanted`` labels of ``dim`` (region, commodity or activity), in that
    order, with the subtotals of the groups among them."""
    group_dim = REGION if dim == REGION else COMMODITY
    known_groups = group_names(groups, group_dim)
    wanted_groups = [r for r in wanted if r in known_groups]
    members = [str(r) for r in ds[dim].values]
    unknown = [r for r in wanted if r not in members and r not in wanted_groups]
    if unknown:
        raise ReportError(
            f"{dim} {unknown[0]!r} is not in the results; {dim}s: {', '.join(members)}; "
            f"groups: {', '.join(known_groups)}" + suggestion(unknown[0], [*members, *known_groups])
        )
    wanted_groups = [g for g in wanted_groups if g not in members]  # not there yet (activity after commodity)
    if wanted_groups:
        flags = commodity_flags(ds)
        for name in wanted_groups:
            group = find_group(groups, group_dim, name)
            if group is not None and group.resolve(members, flags) is None:
                missing = group.missing(members)
                what = f"{dim}s {', '.join(missing)}" if missing else f"the {group.members} flag"
                raise ReportError(f"group {name!r} needs {what}, which the results do not have")
        subtotals = add_subtotals(ds, groups, wanted_groups)
        ds = _resummarized(subtotals) if is_sweep(ds) else subtotals
    return ds.sel({dim: wanted})


def scenario_labels(ds: xr.Dataset) -> dict[str, str]:
    """Display label of each scenario: its ``scenario_label``, else its ``scenario_description``,
    else its name; a label shared by several scenarios gets the name appended (``label (name)``).

    Parameters
    ----------
    ds : xarray.Dataset
        Results with a ``scenario`` dimension (``scenario_label`` / ``scenario_description``
        variables when written by :func:`cge.run`).

    Returns
    -------
    dict of str to str
        Scenario name -> label, in the results' order.
    """
    names = [str(s) for s in ds[SCENARIO].values]

    def texts(var: str) -> list[str]:
        if var not in ds or ds[var].dims != (SCENARIO,):
            return [""] * len(names)
        return [" ".join(v.split()) if isinstance(v, str) else "" for v in ds[var].values.tolist()]

    labels = {
        name: label or description or name
        for name, label, description in zip(names, texts("scenario_label"), texts("scenario_description"))
    }
    counts = Counter(labels.values())
    return {
        name: (f"{label} ({name})" if counts[label] > 1 and label != name else label) for name, label in labels.items()
    }


def _resummarized(ds: xr.Dataset) -> xr.Dataset:
    """Sweep results with the summaries over draws computed again from the per-draw indicators
    (after they were re-based or given group subtotals)."""
    from cge.sweep.statistics import summarize

    per_draw = xr.Dataset({k: v for k, v in ds.data_vars.items() if DRAW in v.dims})
    return ds.assign(summarize(per_draw, ds["weight"], str(ds.attrs.get("method", "quadrature"))))


def reference_name(ds: xr.Dataset, baseline: str | None = None) -> str:
    """Scenario the changes are measured against: ``baseline`` or the file's reference, else ``baseline``."""
    if baseline:
        return baseline
    ref = str(ds.attrs.get("reference_scenario", "benchmark"))
    return ref if ref != "benchmark" else BASELINE


def _closures(ds: xr.Dataset) -> str:
    if "closure" not in ds:
        return ""
    closure = ds["closure"]
    if SCENARIO not in closure.dims:
        return f"closure {closure.item()}"
    by_closure: dict[str, list[str]] = {}
    for name, value in zip(map(str, ds[SCENARIO].values), np.atleast_1d(closure.values)):
        by_closure.setdefault(str(value), []).append(name)
    if len(by_closure) == 1:
        return f"closure {next(iter(by_closure))}"
    parts = []
    for value, names in by_closure.items():
        shown = ", ".join(names[:2]) + (f" and {len(names) - 2} more" if len(names) > 2 else "")
        parts.append(f"{value} ({shown})")
    return "closures " + "; ".join(parts)


def data_provenance(ds: xr.Dataset) -> tuple[str, str, str]:
    """What the results were solved on: ``(kind, source, hash)``.

    GTAP v7 results (``database_hash`` attr) name the database (its elasticities are part of it and
    of its hash); results of the older SAM model name the SAM (``sam_hash``, ``sam_source``).
    """
    if ds.attrs.get("database_hash"):
        return "database", str(ds.attrs.get("database_source", "")).strip(), str(ds.attrs["database_hash"])
    return "SAM", str(ds.attrs.get("sam_source", "")).strip(), str(ds.attrs.get("sam_hash", ""))


def source_note(ds: xr.Dataset, baseline: str | None = None) -> str:
    """The notes/source line under every table and figure: changes against what, closure(s), the
    database (SAM) and its hash, elasticities, software version and commit.

    Parameters
    ----------
    ds : xarray.Dataset
        Results (their attrs: ``database_source`` and ``database_hash`` of GTAP v7 results, or
        ``sam_source``, ``sam_hash`` and ``elasticity_hash``; ``cge_version``, ``git_commit``,
        ``reference_scenario``; their ``closure`` variable).
    baseline : str or None
        The reference scenario the report uses (None: as the results say).
    """
    kind, source, digest = data_provenance(ds)
    reference = baseline or str(ds.attrs.get("reference_scenario", "benchmark"))
    against = f"the benchmark {kind}" if reference == "benchmark" else f"scenario '{reference}'"
    label = scenario_labels(ds).get(reference, reference) if SCENARIO in ds.dims else reference
    against += f" ({label})" if label != reference else ""
    parts = [f"Changes vs {against}"]
    closures = _closures(ds)
    if closures:
        parts.append(closures)
    digest = _shortened(digest, 12)
    if source or digest:
        named = "Database" if kind == "database" else kind
        parts.append(f"{named}: {source or 'user ' + kind}" + (f" (hash {digest})" if digest else ""))
    if ds.attrs.get("elasticity_hash"):
        parts.append(f"elasticities hash {_shortened(ds.attrs['elasticity_hash'], 12)}")
    parameters = str(ds.attrs.get("parameter_hash", ""))
    if "," in parameters:  # stacked or compared runs on one benchmark with different elasticities
        parts.append(f"elasticities (database parameters) hash {_shortened(parameters, 12)}")
    if is_sweep(ds) and ds.attrs.get("interval_method"):
        parts.append(str(ds.attrs["interval_method"]))
    version = ", ".join(filter(None, (v.strip() for v in str(ds.attrs.get("cge_version", "")).split(",")))) or "unknown"
    commit = _shortened(ds.attrs.get("git_commit", ""), 10)
    commit = f", commit {commit}" if commit else ""
    parts.append(f"Source: cge {version}{commit}")
    return ". ".join(parts) + "."


_LABELLED = re.compile(r"^(?P<value>.*?)(?P<label> \([AB]\))?$")


def _shortened(value, length: int) -> str:
    """Hashes or commits cut to ``length`` characters each.

    ``value`` is one value or several separated by commas (stacked runs that differ), each
    possibly labelled `` (A)``/`` (B)`` (two compared files, :func:`cge.report.compare.pair_for_diff`).
    An unlabelled phrase such as "not a git checkout" gives ``""``.
    """
    out = []
    for piece in filter(None, (p.strip() for p in str(value or "").split(","))):
        match = _LABELLED.match(piece)  # None for a piece over several lines: unlabelled
        text, label = (match["value"], match["label"] or "") if match else (piece, "")
        short = text[:length] if " " not in text else (text if label else "")
        if short:
            out.append(short + label)
    return ", ".join(out)


# --------------------------------------------------------------------------------------------------
# reading the selected results


def scenarios(ds: xr.Dataset) -> list[str]:
    """Scenario names in the order of the Dataset."""
    return [str(s) for s in ds[SCENARIO].values]


def reference(ds: xr.Dataset, baseline: str = BASELINE) -> xr.Dataset | None:
    """The baseline scenario's results, or None (with a warning) when the Dataset has none.

    Parameters
    ----------
    ds : xarray.Dataset
        Results with a ``scenario`` dimension.
    baseline : str
        Name of the unshocked scenario.

    Returns
    -------
    xarray.Dataset or None
        ``ds.sel(scenario=baseline)``, or None.
    """
    if baseline in scenarios(ds):
        return ds.sel({SCENARIO: baseline})
    log.warning("no '%s' scenario in the results: changes that need a baseline level are left empty", baseline)
    return None


def require_variables(ds: xr.Dataset, *names: str) -> None:
    """Raise :class:`ReportError` naming the variables ``ds`` lacks, or a missing ``scenario`` dimension."""
    missing = [n for n in names if n not in ds]
    if missing:
        raise ReportError(
            f"results have no variable {', '.join(repr(n) for n in missing)}"
            + suggestion(missing[0], [str(v) for v in ds.data_vars])
        )
    if SCENARIO not in ds.dims:
        raise ReportError("results have no 'scenario' dimension (not a cge results file?)")


def check_regions(ds: xr.Dataset, regions: Iterable[str] | None, dim: str = REGION) -> list[str]:
    """The regions asked for (all of ``dim`` when None); :class:`ReportError` naming one not in the results."""
    available = [str(r) for r in ds[dim].values]
    if regions is None:
        return available
    regions = [str(r) for r in regions]
    unknown = [r for r in regions if r not in available]
    if unknown:
        raise ReportError(
            f"region {unknown[0]!r} is not in the results; regions: {', '.join(available)}"
            + suggestion(unknown[0], available)
        )
    return regions
