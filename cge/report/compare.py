"""Stack saved runs on the ``scenario`` dimension (``cge compare``)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import pandas as pd
import xarray as xr

from cge.dims import BASELINE, BENCHMARK, DRAW, SCENARIO, SUBTOTAL
from cge.indicators.gtap.subtotals import total
from cge.report.selection import ReportError, data_provenance, scenario_labels
from cge.scenario import definition_shocks

log = logging.getLogger(__name__)


PAIRED_PROVENANCE = ("elasticity_hash", "parameter_hash", "cge_version", "git_commit")
"""Provenance attrs in which stacked or compared runs may differ (the notes then name every value)."""


def _hash_attr(ds: xr.Dataset) -> str:
    """The attr that fingerprints a run's data: ``database_hash`` (GTAP v7 runs) or ``sam_hash``."""
    return "database_hash" if data_provenance(ds)[0] == "database" else "sam_hash"


def data_hash(ds: xr.Dataset) -> str:
    """The fingerprint of the data a run was solved on ('' when the results carry none)."""
    return data_provenance(ds)[2]


def benchmark_fingerprint(ds: xr.Dataset) -> str:
    """The fingerprint of a run's benchmark: GTAP v7 results' ``benchmark_hash`` (the database
    without its elasticities and other ``default.prm`` parameters), else :func:`data_hash`. Runs
    with the same benchmark share their levels and baseline and may be compared."""
    return str(ds.attrs.get("benchmark_hash") or data_hash(ds))


def stack_results(
    datasets: Sequence[xr.Dataset], sources: Sequence[str] | None = None, allow_different_sam: bool = False
) -> xr.Dataset:
    """Concatenate results Datasets along ``scenario``.

    Parameters
    ----------
    datasets : sequence of xarray.Dataset
        Results of ``cge.run`` (each with a ``scenario`` dimension).
    sources : sequence of str or None
        Where each Dataset came from (e.g. file paths), for error messages and the ``sources``
        attr; None = ``"results 1"``, ``"results 2"``, ...
    allow_different_sam : bool
        Stack runs whose ``database_hash`` (``sam_hash``) attrs differ (their levels are then not
        comparable).

    Returns
    -------
    xarray.Dataset
        Scenarios in the order given (with their ``scenario_description`` and ``scenario_definition``);
        variable attrs from the first Dataset; run attrs: ``database_hash`` (``sam_hash`` for
        results of the SAM model; comma-separated if several), ``sources``. Runs split by shock
        group (``subtotal`` dim) keep the split when every run has the same groups; otherwise
        their totals are stacked.

    Raises
    ------
    ReportError
        When fewer than one Dataset is given, a file is given twice, a scenario name appears twice,
        the runs are measured against different reference scenarios (:func:`same_reference`), a run
        is stacked with a sweep or sweeps of different specifications (:func:`same_draws`), or SAM
        database hashes differ (without ``allow_different_sam``). A ``baseline`` in several runs on the
        same database is the same benchmark: the first is kept, the others are dropped.
    """
    parts = list(datasets)
    if not parts:
        raise ReportError("no results to compare")
    sources = [str(s) for s in sources] if sources is not None else [f"results {k + 1}" for k in range(len(parts))]
    if len(sources) != len(parts):
        raise ValueError("give one source name per Dataset")
    repeated = sorted({s for s in sources if sources.count(s) > 1})
    if repeated:
        raise ReportError(f"{repeated[0]} is given more than once; give each results file once")
    same_reference(parts, sources)
    same_draws(parts, sources)
    parts = same_shock_groups(parts, sources)
    hashes = [data_hash(ds) for ds in parts]
    distinct = list(dict.fromkeys(hashes))
    benchmarks = [benchmark_fingerprint(ds) for ds in parts]
    if len(set(benchmarks)) > 1:
        k = next(k for k, h in enumerate(benchmarks) if h != benchmarks[0])
        if not allow_different_sam:
            raise ReportError(
                f"{sources[0]} and {sources[k]} were solved on different SAMs or databases "
                f"(hash {benchmarks[0][:12] or 'none'} vs {benchmarks[k][:12] or 'none'}); use --allow-different-sam"
            )
        log.warning("stacking runs solved on different SAMs or databases: %s", ", ".join(h[:12] for h in distinct))
    elif len(distinct) > 1:
        log.info("the runs share the benchmark and differ in elasticities (parameter hashes differ)")
    seen: dict[str, tuple[str, str]] = {}
    for k, (source, ds) in enumerate(zip(sources, parts)):
        if SCENARIO not in ds.dims:
            raise ReportError(f"{source} has no 'scenario' dimension (not a cge results file?)")
        for name in (str(s) for s in ds[SCENARIO].values):
            if name == BASELINE and _shocked_baseline(ds):
                raise ReportError(
                    f"{source}: its scenario '{BASELINE}' has shocks ({_shocked_baseline(ds)}): the name is reserved "
                    "for the unshocked run, so it cannot be stacked as one; rerun it under another name"
                )
            if name in seen and name == BASELINE and seen[name][0] != source and seen[name][1] == benchmarks[k]:
                # the unshocked benchmark of the same SAM is the same in every run: keep the first
                parts[k] = parts[k].sel({SCENARIO: [str(s) != BASELINE for s in parts[k][SCENARIO].values]})
                log.info("%s: dropping its baseline, identical to the one in %s (same SAM)", source, seen[name][0])
                continue
            if name in seen:
                first = seen[name][0]
                where = "twice in " + source if first == source else f"in both {first} and {source}"
                raise ReportError(f"scenario name '{name}' appears {where}; rename one of them")
            seen[name] = (source, benchmarks[k])
    names = [str(s) for ds in parts for s in ds[SCENARIO].values]
    parts = [ds.assign_coords({SCENARIO: [str(s) for s in ds[SCENARIO].values]}) for ds in parts]
    out = xr.concat(parts, dim=SCENARIO, coords="minimal", compat="override", join="outer", combine_attrs="override")
    out = out.assign_coords({SCENARIO: pd.Index(names, name=SCENARIO)})
    for name in map(str, out.data_vars):
        for ds in parts:
            if name in ds:
                out[name].attrs = dict(ds[name].attrs)
                break
    out.attrs = dict(parts[0].attrs)
    for key in PAIRED_PROVENANCE:  # where the runs differ, all their values
        out.attrs[key] = ",".join(dict.fromkeys(str(ds.attrs.get(key, "")) for ds in parts))
    out.attrs.update({_hash_attr(parts[0]): ",".join(distinct), "sources": json.dumps(sources)})
    return out


def same_shock_groups(datasets: Sequence[xr.Dataset], sources: Sequence[str]) -> list[xr.Dataset]:
    """The runs as they can be stacked: split by the same shock groups (``subtotal`` dim with the
    same labels in every run), or else each run's totals (logged), since a run without a group's
    split says nothing of that group's contribution."""
    labels = [tuple(map(str, ds[SUBTOTAL].values)) if SUBTOTAL in ds.dims else None for ds in datasets]
    if all(x is None for x in labels) or (labels[0] is not None and all(x == labels[0] for x in labels)):
        return list(datasets)
    split = [source for source, x in zip(sources, labels) if x is not None]
    log.warning("%s: split by other shock groups than the other runs; their totals are stacked", ", ".join(split))
    return [total(ds) for ds in datasets]


def same_reference(datasets: Sequence[xr.Dataset], sources: Sequence[str]) -> str:
    """The reference scenario the results are measured against, the same in every Dataset.

    Percent changes and EV measured against the benchmark and against a scenario are different
    numbers under the same names, so runs with different references are not combined.

    Raises
    ------
    ReportError
        Naming the first two sources and their references.
    """
    references = [str(ds.attrs.get("reference_scenario", BENCHMARK)) for ds in datasets]
    for source, reference in zip(sources, references):
        if reference != references[0]:
            describe = {r: "the benchmark" if r == BENCHMARK else f"scenario '{r}'" for r in references}
            raise ReportError(
                f"{sources[0]} measures changes against {describe[references[0]]}, {source} against "
                f"{describe[reference]}: their percent changes and EV are not comparable; run both against the "
                "benchmark (no --baseline) and choose the reference with `cge table --baseline` or `cge diff`"
            )
    return references[0]


def same_draws(datasets: Sequence[xr.Dataset], sources: Sequence[str]) -> None:
    """Runs stack with runs; sweeps only with sweeps of the same SSA specification (draw k of one
    must be draw k of the other).

    Raises
    ------
    ReportError
        Naming a run and a sweep, or two sweeps whose specifications differ.
    """
    sweeps = [k for k, ds in enumerate(datasets) if DRAW in ds.dims]
    if not sweeps:
        return
    runs = [k for k in range(len(datasets)) if k not in sweeps]
    if runs:
        raise ReportError(
            f"{sources[sweeps[0]]} is a sensitivity analysis (cge sweep --ssa: draws), {sources[runs[0]]} a run "
            "without draws: they cannot be stacked; sweep the scenarios of both together"
        )
    specs = [str(datasets[k].attrs.get("ssa", "")) for k in sweeps]
    differ = [k for k, spec in zip(sweeps, specs) if spec != specs[0]]
    if differ:
        raise ReportError(
            f"{sources[sweeps[0]]} and {sources[differ[0]]} are sweeps of different SSA specifications: their draws "
            "are not the same; sweep the scenarios of both together"
        )


def _shocked_baseline(ds: xr.Dataset) -> int:
    """Shocks of the ``baseline`` scenario of a results file (0 when unshocked or undocumented)."""
    if "scenario_definition" not in ds:
        return 0
    text = str(ds["scenario_definition"].sel({SCENARIO: BASELINE}).item())
    return definition_shocks(json.loads(text)) if text else 0


def pair_for_diff(
    first: xr.Dataset, second: xr.Dataset, source_a: str, source_b: str, scenario: str | None = None
) -> tuple[xr.Dataset, str, str]:
    """Two results files as one Dataset holding the two scenarios to compare (``cge diff A.nc B.nc``).

    Each file contributes its one shocked scenario (not ``baseline``), or ``scenario`` when given.
    The two are named ``<file>:<scenario>`` and labelled ``<label> (<file>)``.

    Returns
    -------
    (Dataset, label_a, label_b)

    Raises
    ------
    ReportError
        When a file holds several shocked scenarios and none is named, the named one is missing,
        the files are measured against different reference scenarios, or were solved on different
        databases (SAMs).
    """
    first, second = same_shock_groups((first, second), (source_a, source_b))
    picked = []
    for source, ds in ((source_a, first), (source_b, second)):
        if SCENARIO not in ds.dims:
            raise ReportError(f"{source} has no 'scenario' dimension (not a cge results file?)")
        names = [str(s) for s in ds[SCENARIO].values]
        if scenario is not None:
            if scenario not in names:
                raise ReportError(f"{source} has no scenario {scenario!r}; scenarios: {', '.join(names)}")
            name = scenario
        else:
            shocks = [n for n in names if n != BASELINE]
            if len(shocks) != 1:
                raise ReportError(
                    f"{source} holds scenarios {', '.join(names)}: name the one to compare with --scenario"
                )
            name = shocks[0]
        label = f"{scenario_labels(ds)[name]} ({source})"
        one = ds.sel({SCENARIO: [name]}).assign_coords({SCENARIO: [f"{source}:{name}"]})
        picked.append(one.assign(scenario_label=(SCENARIO, [label])))
    same_reference((first, second), (source_a, source_b))
    same_draws((first, second), (source_a, source_b))
    if benchmark_fingerprint(first) != benchmark_fingerprint(second):
        raise ReportError(
            f"{source_a} and {source_b} were solved on different SAMs or databases: their levels are not comparable"
        )
    if picked[0][SCENARIO].item() == picked[1][SCENARIO].item():  # one scenario of one file against itself
        picked = picked[:1]
    out = xr.concat(picked, dim=SCENARIO, coords="minimal", compat="override", join="outer", combine_attrs="override")
    out = out.assign_coords({SCENARIO: pd.Index([str(s) for s in out[SCENARIO].values], name=SCENARIO)})
    for name in map(str, out.data_vars):
        out[name].attrs = dict(first[name].attrs) if name in first else out[name].attrs
    for key in PAIRED_PROVENANCE:  # where the files differ, the notes name both
        values = [str(ds.attrs.get(key, "")) for ds in (first, second)]
        if values[0] != values[1]:
            out.attrs[key] = f"{values[0] or 'unknown'} (A), {values[1] or 'unknown'} (B)"
    return out, str(out[SCENARIO].values[0]), str(out[SCENARIO].values[-1])
