"""Chart of a sensitivity analysis (``cge sweep --ssa`` results): mean and 90 % interval over the
draws, by region and scenario (matplotlib)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from cge.dims import BASELINE, REGION, SCENARIO
from cge.report.figure_style import (
    PAGE_HEIGHT,
    PAGE_WIDTH,
    STYLE,
    figure_title,
    labels_of,
    magnitudes_differ,
    mark_all_zero,
    plain_numbers,
    scenario_colours,
    shared_xlabel,
    wrapped,
)
from cge.report.labels import label_from_attrs, without_noise
from cge.report.selection import ReportError, scenarios


def plot_sweep(ds: xr.Dataset, var: str = "real_gdp_pct", baseline: str = BASELINE) -> Figure:
    """Mean and 90 % interval over the draws of a sensitivity analysis, by region and scenario.

    One panel per region; each scenario a point (mean) with a bar from ``<var>_p05`` to
    ``<var>_p95``. The panels share one value axis unless the regions' magnitudes differ
    (:func:`~cge.report.figure_style.magnitudes_differ`): then each panel has its own, so that a
    narrow interval is not drawn as a dot beside a wide one.
    """
    for suffix in ("mean", "p05", "p95"):
        if f"{var}_{suffix}" not in ds:
            raise ReportError(f"sweep results have no variable '{var}_{suffix}'")
    mean, low, high = (ds[f"{var}_{s}"] for s in ("mean", "p05", "p95"))
    if REGION not in mean.dims:
        raise ReportError(f"'{var}' has no region dimension")
    names = [s for s in scenarios(ds) if s != baseline] or scenarios(ds)
    regions = [str(r) for r in ds[REGION].values]
    colours = scenario_colours(scenarios(ds), baseline)
    at = {r: {SCENARIO: names, REGION: r} for r in regions}
    units = (ds[var] if var in ds else mean).attrs.get("units")
    points = {r: tuple(without_noise(v.sel(at[r]).values, units) for v in (mean, low, high)) for r in regions}
    shared = not magnitudes_differ([np.concatenate(points[r]) for r in regions])
    everything_zero = not any(np.any(np.nan_to_num(np.concatenate(points[r]))) for r in regions)
    ncols = min(len(regions), 3)
    nrows = int(np.ceil(len(regions) / ncols))
    source = ds[var] if var in ds else mean
    tick_labels = [wrapped(t, 30) for t in labels_of(ds, names)]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(PAGE_WIDTH, min(nrows * (0.25 * len(names) + 1.3) + 1.6, PAGE_HEIGHT)),
            squeeze=False,
            sharex=shared,
            layout="constrained",
        )
        for k, ax in enumerate(axes.flat):
            if k >= len(regions):
                ax.set_visible(False)
                continue
            m, lo, hi = points[regions[k]]
            for y, name in enumerate(names):
                error = [[m[y] - lo[y]], [hi[y] - m[y]]]
                ax.errorbar(m[y], y, xerr=error, fmt="o", color=colours[name], capsize=3, markersize=4)
            ax.set_yticks(range(len(names)), tick_labels if k % ncols == 0 else [""] * len(names), fontsize=7)
            ax.set_ylim(len(names) - 0.5, -0.5)
            if mark_all_zero(ax, np.concatenate(points[regions[k]])) and (everything_zero or not shared):
                ax.set_xlim(-1, 1)
            ax.axvline(0, color="black", linewidth=0.8)
            ax.grid(axis="x", color="0.85", linewidth=0.6)
            ax.set_title(regions[k], fontsize=10)
            ax.xaxis.set_major_locator(plt.MaxNLocator(4))
            plain_numbers(ax.xaxis, np.concatenate([points[r] for r in regions] if shared else points[regions[k]]))
            ax.tick_params(axis="x", labelbottom=True, labelsize=7)
        scale = "" if shared else " (each panel its own scale)"
        shared_xlabel(fig, label_from_attrs(source, f": mean and 90% interval over the draws{scale}"))
        figure_title(fig, f"{source.attrs.get('long_name', var)}: sensitivity analysis")
    return fig
