"""Annotated heat-maps of changes (matplotlib): sector changes by region and scenario on as many
page-sized figures as needed, and agri-food export changes by partner pair.

Every map uses one diverging colour scale centred at 0 (red = fall, blue = rise), symmetric and
capped at the 97th percentile of the absolute changes; each cell is annotated with its value when
the cells are large enough to hold it. Columns and rows without any value (a region group the
variable has no subtotal for, a sector with no such flow) are left out.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from cge.dims import BASELINE, COMMODITY, REGION, SCENARIO
from cge.report.figure_style import (
    PAGE_HEIGHT,
    PAGE_WIDTH,
    STYLE,
    category_labels,
    chars_across,
    check_categories,
    figure_title,
    labels_of,
    plain_numbers,
    shown_scenarios,
    wrapped,
)
from cge.report.labels import label_from_attrs, without_noise
from cge.report.selection import ReportError

CELL_W, CELL_H = 0.34, 0.2
"""Heat-map cell size [inches]."""
MIN_HEIGHT = 3.2
"""Smallest heat-map figure [inches]: room for the colour bar's label."""
CELL_SCALES = (1.0, 0.8, 0.65)
"""Cell sizes tried (times :data:`CELL_W` x :data:`CELL_H`): smaller cells when they save pages."""
CELL_FONT = 5.5
"""Font size of the cell annotations [pt]; smaller cells get smaller text, down to :data:`MIN_CELL_FONT`."""
MIN_CELL_FONT = 4.5
CHAR_EM = 0.62
"""Width of an annotation character [em] (digits, sign and point), for fitting text into cells."""
COLUMN_LABEL_WIDTH = 22
"""Rotated scenario labels over heat-map columns wrap at this many characters."""


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


def cell_text(value: float) -> str:
    """Annotation of a heat-map cell: one decimal with a sign, ``0.0`` for values that round to 0."""
    return f"{value:+.1f}" if round(value, 1) != 0 else "0.0"


def cell_font(matrix: np.ndarray, cell_w: float, cell_h: float) -> float | None:
    """Largest annotation font [pt] (at most :data:`CELL_FONT`) whose widest text fits a cell of
    ``cell_w`` x ``cell_h`` inches; None when even :data:`MIN_CELL_FONT` does not fit."""
    finite = matrix[np.isfinite(matrix)]
    chars = max((len(cell_text(v)) for v in finite), default=3)
    fits = min(cell_w * 72 * 0.92 / (chars * CHAR_EM), cell_h * 72 * 0.85)
    return None if fits < MIN_CELL_FONT else min(CELL_FONT, fits)


def _annotated_heatmap(ax, matrix: np.ndarray, norm: TwoSlopeNorm, fontsize: float | None):
    """``imshow`` with the diverging map; each cell labelled with its value (1 decimal) unless ``fontsize`` is None."""
    image = ax.imshow(matrix, cmap="RdBu", norm=norm, aspect="auto")
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if fontsize is not None:
        assert norm.vmax is not None  # a TwoSlopeNorm of _diverging_norm: its limits are set
        for i in range(matrix.shape[0]):
            for j in range(matrix.shape[1]):
                v = matrix[i, j]
                if np.isfinite(v):
                    colour = "white" if abs(v) > 0.6 * norm.vmax else "black"
                    ax.text(j, i, cell_text(v), ha="center", va="center", fontsize=fontsize, color=colour)
    return image


def _page_grid(n_panels: int, panel_w: float, panel_h: float, label_w: float) -> tuple[int, int]:
    """Columns and rows of panels that fit one page."""
    ncols = max(1, min(n_panels, int((PAGE_WIDTH - label_w - 1.0) // panel_w)))
    nrows = max(1, min(int(np.ceil(n_panels / ncols)), int((PAGE_HEIGHT - 1.6) // panel_h)))
    return ncols, nrows


def _column_labels(names: list[str], rotate: bool) -> list[str]:
    return [wrapped(n, COLUMN_LABEL_WIDTH) for n in names] if rotate else names


def plot_output_heatmaps(ds: xr.Dataset, var: str = "output_pct", baseline: str = BASELINE) -> list[Figure]:
    """Heat-maps of sector changes, as many page-sized figures as needed.

    Commodity rows; the panels are the scenarios (region columns) or, when that needs fewer pages
    and the scenarios fit across a page, the regions (scenario columns); cells shrink (down to
    0.65 times :data:`CELL_W` x :data:`CELL_H`) when that saves pages. Diverging colour map
    centred at 0 (red = fall, blue = rise), one colour scale for every panel and page, each cell
    annotated with its value when the cells hold it. Regions, scenarios and sectors without any
    value are left out.

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
    if set(da.dims) != {SCENARIO, REGION, COMMODITY}:
        raise ReportError(f"{var!r} is not by scenario, region and commodity (dims {', '.join(map(str, da.dims))})")
    shown = shown_scenarios(ds, baseline)
    values = da.sel({SCENARIO: shown}).transpose(SCENARIO, REGION, COMMODITY)
    present = np.isfinite(values.values)
    regions = [str(r) for r, keep in zip(ds[REGION].values, present.any(axis=(0, 2))) if keep]
    commodities = [str(c) for c, keep in zip(ds[COMMODITY].values, present.any(axis=(0, 1))) if keep]
    shown = [s for s, keep in zip(shown, present.any(axis=(1, 2))) if keep]
    if not (regions and commodities and shown):
        raise ReportError(f"{var!r} has no values for the scenarios and regions asked for")
    labels = dict(zip(shown, labels_of(ds, shown)))
    label_w = 0.06 * max(len(c) for c in commodities) + 0.3
    # column-header height by what the panels are: regions over scenario panels, labels over region panels
    head = {SCENARIO: 0.065 * max(len(x) for x in regions) + 0.5, REGION: 0.07 * COLUMN_LABEL_WIDTH + 0.6}
    layouts = []
    for scale in CELL_SCALES:
        cell_w, cell_h = CELL_W * scale, CELL_H * scale
        for panel_dim, panels, columns in ((SCENARIO, shown, regions), (REGION, regions, shown)):
            column_dim = REGION if panel_dim == SCENARIO else SCENARIO
            panel_h = cell_h * len(commodities) + head[panel_dim] + 0.2 * max(len(str(p)) for p in panels) / 30
            panel_w = cell_w * len(columns) + 0.25
            # region names across the columns must fit their cells (scenario labels are upright)
            across = max(len(c) for c in columns) * 0.68 * 7 / 72 if column_dim == REGION else 0.0
            fits = label_w + panel_w + 1.3 <= PAGE_WIDTH and across <= cell_w
            ncols, nrows = _page_grid(len(panels), panel_w, panel_h, label_w)
            pages = int(np.ceil(len(panels) / (ncols * nrows)))
            layouts.append((not fits, pages, -scale, panel_dim, panels, columns, ncols, nrows, panel_h))
    # cells that fit the page, then fewest pages, then the largest cells
    _squeezed, pages, scale, panel_dim, panels, columns, ncols, nrows, panel_h = min(layouts, key=lambda t: t[:3])
    cell_w, cell_h = CELL_W * -scale, CELL_H * -scale
    column_dim = REGION if panel_dim == SCENARIO else SCENARIO
    norm, clipped = _diverging_norm(without_noise(values.values))
    noun = str(da.attrs.get("long_name", var))
    per_page = ncols * nrows
    figures = []
    for page in range(pages):
        chunk = panels[page * per_page : (page + 1) * per_page]
        rows = int(np.ceil(len(chunk) / ncols))
        fig_w = min(label_w + ncols * (cell_w * len(columns) + 0.25) + 1.3, PAGE_WIDTH)
        fig_h = min(max(rows * panel_h + 1.6, MIN_HEIGHT), PAGE_HEIGHT)
        cell_w = min(cell_w, (fig_w - label_w - 1.3) / ncols / max(len(columns), 1))
        with plt.rc_context(STYLE):
            fig, axes = plt.subplots(
                rows, ncols, figsize=(max(fig_w, 4.5), fig_h), squeeze=False, sharey=True, layout="constrained"
            )
            image = None
            for k, ax in enumerate(axes.flat):
                if k >= len(chunk):
                    ax.set_visible(False)
                    continue
                panel = values.sel({panel_dim: chunk[k]}).sel({column_dim: columns, COMMODITY: commodities})
                matrix = without_noise(panel.transpose(COMMODITY, column_dim).values)
                image = _annotated_heatmap(ax, matrix, norm, cell_font(matrix, cell_w, cell_h))
                names = [labels[c] for c in columns] if column_dim == SCENARIO else columns
                ax.set_xticks(
                    range(len(columns)),
                    _column_labels(names, column_dim == SCENARIO),
                    rotation=90 if column_dim == SCENARIO else 0,
                    fontsize=6.5 if column_dim == SCENARIO else 7,
                )
                ax.xaxis.tick_top()
                ax.set_yticks(range(len(commodities)), commodities, fontsize=min(7.0, cell_h * 72 / 1.3))
                title = labels[chunk[k]] if panel_dim == SCENARIO else chunk[k]
                ax.set_title(wrapped(title, max(12, int(cell_w * len(columns) * 72 / 8.5 / 0.6))), fontsize=8.5)
            assert image is not None  # a page has at least one panel
            cbar = fig.colorbar(image, ax=axes, shrink=0.6, pad=0.02, extend="both" if clipped else "neither")
            plain_numbers(cbar.ax.yaxis, [norm.vmin, norm.vmax])
            cbar.set_label(label_from_attrs(da, width=chars_across(fig_h * 0.5, 9)))
            suffix = f" ({page + 1}/{pages})" if pages > 1 else ""
            figure_title(fig, f"{noun} by sector and region{suffix}")
        figures.append(fig)
    return figures


def plot_output_heatmap(ds: xr.Dataset, var: str = "output_pct", baseline: str = BASELINE) -> Figure:
    """The first page of :func:`plot_output_heatmaps` (the only one for a few scenarios)."""
    figures = plot_output_heatmaps(ds, var, baseline)
    for fig in figures[1:]:
        plt.close(fig)
    return figures[0]


def pair_heatmap(pct: pd.DataFrame) -> Figure:
    """Agri-food export changes as an annotated heat-map: partner pairs (rows) × scenarios (columns,
    by label)."""
    matrix = without_noise(pct.to_numpy(dtype=float))
    norm, clipped = _diverging_norm(matrix)
    n_rows, n_cols = pct.shape
    check_categories(n_cols)
    check_categories(n_rows, "partner pairs")
    cell_w = (PAGE_WIDTH - 3.0) / n_cols
    slanted = n_cols <= 12  # few columns: labels at 45 degrees, else upright at 90
    spacing = cell_w * 72 * (1.41 if slanted else 1.0)
    columns, column_font = category_labels([str(c) for c in pct.columns], spacing, 6.5, COLUMN_LABEL_WIDTH)
    longest = max(len(line) for c in columns for line in c.splitlines())
    head = longest * column_font * 0.6 / 72 * (0.71 if slanted else 1.0) + 0.4
    height = min(0.22 * n_rows + head + 1.8, PAGE_HEIGHT)
    cell_h = (height - head - 1.8) / n_rows
    rows, row_font = category_labels([str(i) for i in pct.index], cell_h * 72, 8, 40)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(PAGE_WIDTH, height), layout="constrained")
        image = _annotated_heatmap(ax, matrix, norm, cell_font(matrix, cell_w, cell_h))
        ax.set_yticks(range(n_rows), rows, fontsize=row_font)
        if slanted:
            ax.set_xticks(range(n_cols), columns, rotation=45, ha="left", rotation_mode="anchor", fontsize=column_font)
        else:
            ax.set_xticks(range(n_cols), columns, rotation=90, fontsize=column_font)
        ax.xaxis.tick_top()
        ax.set_ylabel("exporter \N{RIGHTWARDS ARROW} importer")
        cbar = fig.colorbar(image, ax=ax, shrink=0.8, pad=0.02, extend="both" if clipped else "neither")
        cbar.set_label("change vs baseline\n(current fob prices) [%]")
        figure_title(fig, "Agri-food exports by partner: change vs baseline")
    return fig
