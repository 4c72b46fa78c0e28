"""Chart of a sensitivity analysis (``cge sweep --ssa`` results): mean and 90 % interval over the
draws, by region and scenario (matplotlib)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from cge.dims import BASELINE, REGION, SCENARIO
from cge.report.figure_style import PAGE_HEIGHT, PAGE_WIDTH, STYLE, label_bottom_axes, scenario_colours
from cge.report.labels import label_from_attrs
from cge.report.selection import ReportError, scenarios


def plot_sweep(ds: xr.Dataset, var: str = "real_gdp_pct", baseline: str = BASELINE) -> Figure:
    """Mean and 90 % interval over the draws of a sensitivity analysis, by region and scenario.

    One panel per region on a shared value axis; each scenario a point (mean) with a bar from
    ``<var>_p05`` to ``<var>_p95``.
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
    ncols = min(len(regions), 3)
    nrows = int(np.ceil(len(regions) / ncols))
    source = ds[var] if var in ds else mean
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(PAGE_WIDTH, min(nrows * (0.25 * len(names) + 1.2) + 1.2, PAGE_HEIGHT)),
            squeeze=False,
            sharex=True,
            layout="constrained",
        )
        for k, ax in enumerate(axes.flat):
            if k >= len(regions):
                ax.set_visible(False)
                continue
            at = {REGION: regions[k]}
            for y, name in enumerate(names):
                m = float(mean.sel(at | {SCENARIO: name}))
                lo, hi = float(low.sel(at | {SCENARIO: name})), float(high.sel(at | {SCENARIO: name}))
                ax.errorbar(m, y, xerr=[[m - lo], [hi - m]], fmt="o", color=colours[name], capsize=3, markersize=4)
            ax.set_yticks(range(len(names)), names if k % ncols == 0 else [""] * len(names), fontsize=7)
            ax.invert_yaxis()
            ax.axvline(0, color="black", linewidth=0.8)
            ax.grid(axis="x", color="0.85", linewidth=0.6)
            ax.set_title(regions[k], fontsize=10)
        label = label_from_attrs(source, ": mean and 90 % interval over the draws", width=32)
        label_bottom_axes(axes, len(regions), label)
        fig.suptitle(f"{str(source.attrs.get('long_name', var)).capitalize()}: sensitivity analysis", fontweight="bold")
    return fig
