"""What a report shows: the reference scenario, the scenarios, regions (and groups) asked for, and
the notes/source line printed under every table and figure; and the checks every table and chart
makes of them (scenario names, the reference scenario's results, variables and regions present)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import numpy as np
import xarray as xr

from cge.dims import BASELINE, DRAW, REGION, SCENARIO
from cge.indicators.compare import check_reference, rebase
from cge.indicators.groups import add_subtotals, group_names, load_groups
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
        Scenarios to show (the reference is kept for the changes); None = all.
    regions : iterable of str or None
        Regions to show; names of region groups (``calibration/groups.csv``, e.g. ``USMCA``,
        ``world``) add their subtotals. None = all regions, no groups.

    Raises
    ------
    ReportError
        Naming an unknown scenario, region or group, or a reference not in the results.
    """
    if SCENARIO not in ds.dims:
        raise ReportError("results have no 'scenario' dimension (not a cge results file?)")
    available = [str(s) for s in ds[SCENARIO].values]
    if baseline is not None:
        try:
            check_reference(ds, baseline)
        except KeyError as exc:
            raise ReportError(str(exc)) from None
        ds = _resummarized(rebase(ds, baseline)) if is_sweep(ds) else rebase(ds, baseline)
    if scenarios is not None:
        scenarios = [str(s) for s in scenarios]
        unknown = [s for s in scenarios if s not in available]
        if unknown:
            raise ReportError(
                f"scenario {unknown[0]!r} is not in the results; scenarios: {', '.join(available)}"
                + suggestion(unknown[0], available)
            )
        keep = [s for s in available if s in scenarios or s == (baseline or BASELINE)]
        ds = ds.sel({SCENARIO: keep})
    if regions is not None and REGION in ds.dims:
        regions = [str(r) for r in regions]
        groups = load_groups()
        wanted_groups = [r for r in regions if r in group_names(groups, REGION)]
        members = [str(r) for r in ds[REGION].values]
        unknown = [r for r in regions if r not in members and r not in wanted_groups]
        if unknown:
            raise ReportError(
                f"region {unknown[0]!r} is not in the results; regions: {', '.join(members)}; "
                f"groups: {', '.join(group_names(groups, REGION))}"
                + suggestion(unknown[0], [*members, *group_names(groups)])
            )
        if wanted_groups:
            ds = add_subtotals(ds, groups, wanted_groups)
            ds = _resummarized(ds) if is_sweep(ds) else ds
            missing = [g for g in wanted_groups if g not in [str(r) for r in ds[REGION].values]]
            if missing:
                raise ReportError(f"group {missing[0]!r} needs regions the results do not have")
        ds = ds.sel({REGION: regions})
    return ds


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


def source_note(ds: xr.Dataset, baseline: str | None = None) -> str:
    """The notes/source line under every table and figure: changes against what, closure(s), SAM,
    elasticities, software version and commit.

    Parameters
    ----------
    ds : xarray.Dataset
        Results (their attrs: ``sam_source``, ``sam_hash``, ``elasticity_hash``, ``cge_version``,
        ``git_commit``, ``reference_scenario``; their ``closure`` variable).
    baseline : str or None
        The reference scenario the report uses (None: as the results say).
    """
    reference = baseline or str(ds.attrs.get("reference_scenario", "benchmark"))
    against = "the benchmark SAM" if reference == "benchmark" else f"scenario '{reference}'"
    parts = [f"Changes vs {against}"]
    closures = _closures(ds)
    if closures:
        parts.append(closures)
    sam = str(ds.attrs.get("sam_source", "")).strip()
    sam_hash = str(ds.attrs.get("sam_hash", ""))[:12]
    if sam or sam_hash:
        parts.append(f"SAM: {sam or 'user SAM'}" + (f" (hash {sam_hash})" if sam_hash else ""))
    if ds.attrs.get("elasticity_hash"):
        parts.append(f"elasticities hash {_shortened(ds.attrs['elasticity_hash'], 12)}")
    if is_sweep(ds) and ds.attrs.get("interval_method"):
        parts.append(str(ds.attrs["interval_method"]))
    version = str(ds.attrs.get("cge_version", "")) or "unknown"
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
        match = _LABELLED.match(piece)
        text, label = match["value"], match["label"] or ""
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
