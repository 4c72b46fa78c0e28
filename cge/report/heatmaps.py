"""Annotated heat-maps of changes (matplotlib): sector changes by region and scenario on as many
page-sized figures as needed, and agri-food export changes by partner pair.

Every map uses one diverging colour scale centred at 0 (red = fall, blue = rise), symmetric and
capped at the 97th percentile of the absolute changes; each cell is annotated with its value.
"""

from __future__ import annotations

from typing import Any, cast

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from cge.dims import BASELINE, COMMODITY, REGION, SCENARIO
from cge.report.figure_style import PAGE_HEIGHT, PAGE_WIDTH, STYLE, shown_scenarios
from cge.report.labels import label_from_attrs
from cge.report.selection import ReportError

CELL_W, CELL_H = 0.34, 0.2
"""Heat-map cell size [inches]."""


def _diverging_norm(values: np.ndarray) -> tuple[TwoSlopeNorm, bool]:
    """Colour scale centred at 0, symmetric; returns the norm and whether extreme values are clipped.

    The limit is the 97th percentile of |value| (the maximum for small maps), so one outlier does not
    wash out the map; annotations carry the exact values and the colour bar shows clipping with arrows.
    """
    values = np.abs(np.asarray(values, dtype=float))
    values = values[np.isfinite(values)]
    vmax = float(np.percentile(values, 97) if values.size > 50 else values.max()) if values.size else 0.0
    vmax = vmax if vmax > 0 else 1.0
    return TwoSlopeNorm(vcenter=0.0, vmin=-vmax, vmax=vmax), bool(values.size and values.max() > vmax)


def _annotated_heatmap(ax, matrix: np.ndarray, norm: TwoSlopeNorm, fontsize: float | None):
    """``imshow`` with the diverging map; each cell labelled with its value (1 decimal) unless ``fontsize`` is None."""
    image = ax.imshow(matrix, cmap="RdBu", norm=norm, aspect="auto")
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if fontsize is not None:
        for i in range(matrix.shape[0]):
            for j in range(matrix.shape[1]):
                v = matrix[i, j]
                if np.isfinite(v):
                    colour = "white" if abs(v) > 0.6 * cast(float, norm.vmax) else "black"
                    text = f"{v:+.1f}" if round(v, 1) != 0 else "0.0"
                    ax.text(j, i, text, ha="center", va="center", fontsize=fontsize, color=colour)
    return image


def _page_grid(n_panels: int, panel_w: float, panel_h: float, label_w: float) -> tuple[int, int]:
    """Columns and rows of panels that fit one page."""
    ncols = max(1, min(n_panels, int((PAGE_WIDTH - label_w - 1.0) // panel_w)))
    nrows = max(1, min(int(np.ceil(n_panels / ncols)), int((PAGE_HEIGHT - 1.4) // panel_h)))
    return ncols, nrows


def plot_output_heatmaps(ds: xr.Dataset, var: str = "output_pct", baseline: str = BASELINE) -> list[Figure]:
    """Heat-maps of sector changes, as many page-sized figures as needed.

    Commodity rows; the panels are the scenarios (region columns) or, when that needs fewer pages,
    the regions (scenario columns). Diverging colour map centred at 0 (red = fall, blue = rise),
    one colour scale for every panel and page, each cell annotated with its value.

    Parameters
    ----------
    ds : xarray.Dataset
        Results with ``var`` by scenario, region and commodity.
    var : str
        ``"output_pct"`` [percent] (default), ``"price_pct"`` or any (scenario, region, commodity)
        variable.
    baseline : str
        Scenario left out of the panels.
    """
    if var not in ds:
        raise ReportError(f"results have no variable {var!r}")
    da = ds[var]
    shown = shown_scenarios(ds, baseline)
    regions = [str(r) for r in ds[REGION].values]
    commodities = [str(c) for c in ds[COMMODITY].values]
    label_w = 0.06 * max(len(c) for c in commodities) + 0.3
    head = 0.08 * max(len(x) for x in shown + regions) + 0.4
    panel_h = CELL_H * len(commodities) + head
    layouts = []
    for panel_dim, panels, columns in ((SCENARIO, shown, regions), (REGION, regions, shown)):
        panel_w = CELL_W * len(columns) + 0.25
        ncols, nrows = _page_grid(len(panels), panel_w, panel_h, label_w)
        pages = int(np.ceil(len(panels) / (ncols * nrows)))
        layouts.append((pages, panel_dim, panels, columns, ncols, nrows))
    pages, panel_dim, panels, columns, ncols, nrows = min(layouts, key=lambda t: t[0])
    column_dim = REGION if panel_dim == SCENARIO else SCENARIO
    norm, clipped = _diverging_norm(da.sel({SCENARIO: shown}).values)
    annotate = len(columns) * len(commodities) <= 700
    noun = str(da.attrs.get("long_name", var))
    per_page = ncols * nrows
    figures = []
    for page in range(pages):
        chunk = panels[page * per_page : (page + 1) * per_page]
        rows = int(np.ceil(len(chunk) / ncols))
        fig_w = min(label_w + ncols * (CELL_W * len(columns) + 0.25) + 1.1, PAGE_WIDTH)
        fig_h = min(rows * panel_h + 1.2, PAGE_HEIGHT)
        with plt.rc_context(STYLE):
            fig, axes = plt.subplots(
                rows, ncols, figsize=(max(fig_w, 4.5), fig_h), squeeze=False, sharey=True, layout="constrained"
            )
            image: Any = None
            for k, ax in enumerate(axes.flat):
                if k >= len(chunk):
                    ax.set_visible(False)
                    continue
                panel = da.sel({SCENARIO: shown, panel_dim: chunk[k]}).sel({column_dim: columns})
                values = panel.transpose(COMMODITY, column_dim).values
                image = _annotated_heatmap(ax, values, norm, 5.5 if annotate else None)
                ax.set_xticks(range(len(columns)), columns, rotation=90 if column_dim == SCENARIO else 0, fontsize=7)
                ax.xaxis.tick_top()
                ax.set_yticks(range(len(commodities)), commodities, fontsize=7)
                ax.set_title(chunk[k], fontsize=9)
            cbar = fig.colorbar(image, ax=axes, shrink=0.6, pad=0.02, extend="both" if clipped else "neither")
            cbar.set_label(label_from_attrs(da, width=30))
            suffix = f" ({page + 1}/{pages})" if pages > 1 else ""
            fig.suptitle(f"{noun[0].upper() + noun[1:]} by sector and region{suffix}", fontweight="bold")
        figures.append(fig)
    return figures


def plot_output_heatmap(ds: xr.Dataset, var: str = "output_pct", baseline: str = BASELINE) -> Figure:
    """The first page of :func:`plot_output_heatmaps` (the only one for a few scenarios)."""
    figures = plot_output_heatmaps(ds, var, baseline)
    for fig in figures[1:]:
        plt.close(fig)
    return figures[0]


def pair_heatmap(pct: pd.DataFrame) -> Figure:
    """Agri-food export changes as an annotated heat-map: partner pairs (rows) × scenarios (columns)."""
    norm, clipped = _diverging_norm(pct.to_numpy())
    n_rows, n_cols = pct.shape
    label_w = 0.075 * max(len(str(c)) for c in pct.columns)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(
            figsize=(PAGE_WIDTH, min(0.22 * n_rows + label_w + 1.6, PAGE_HEIGHT)),
            layout="constrained",
        )
        cells = n_rows * n_cols
        image = _annotated_heatmap(
            ax, pct.to_numpy(dtype=float), norm, (6 if n_cols <= 10 else 4.5) if cells <= 800 else None
        )
        ax.set_yticks(range(n_rows), [str(i) for i in pct.index], fontsize=6.5 if n_rows > 25 else 8)
        ax.set_xticks(
            range(n_cols), [str(c) for c in pct.columns], rotation=45, ha="left", rotation_mode="anchor", fontsize=7
        )
        ax.xaxis.tick_top()
        ax.set_ylabel("exporter \N{RIGHTWARDS ARROW} importer")
        cbar = fig.colorbar(image, ax=ax, shrink=0.8, pad=0.02, extend="both" if clipped else "neither")
        cbar.set_label("change vs baseline\n(current fob prices) [%]")
        fig.suptitle("Agri-food exports by partner: change vs baseline", fontweight="bold")
    return fig
