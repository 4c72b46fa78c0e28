"""Checks that a finished chart is legible: no two pieces of text overlap and none leaves the page.

The pieces are every legend, the notes/source line and other figure texts, titles, axis labels,
visible tick labels, colour-bar labels and annotations (bar values, heat-map cells), measured
with matplotlib's ``get_window_extent`` after a draw. :func:`text_overlaps` lists the problems
(empty for a good figure); the report tests run it on every chart the package makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeGuard

import numpy as np
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

TOLERANCE_PX = 0.5
"""Overlaps (and overhangs past the figure's edge) up to this many pixels are ignored."""


@dataclass(frozen=True)
class TextBox:
    """One piece of text on a figure: what it is (``"legend"``, ``"x tick label 'USA'"``, ...),
    which axes it belongs to (``-1`` for the figure) and its extent [display pixels]."""

    what: str
    owner: int
    box: Bbox


def agg_renderer(fig: Figure) -> RendererAgg:
    """The renderer of ``fig``'s canvas, which text is measured with (the report modules select the
    Agg backend, :mod:`cge.report.figure_style`)."""
    canvas = fig.canvas
    if not isinstance(canvas, FigureCanvasAgg):
        raise TypeError(f"the figure is on a {type(canvas).__name__}, not an Agg canvas: its text cannot be measured")
    return canvas.get_renderer()


def _visible_text(text: Text | None) -> TypeGuard[Text]:
    return text is not None and text.get_visible() and bool(text.get_text().strip())


def _tick_labels(axis: Axis, name: str, owner: int, renderer) -> list[TextBox]:
    low, high = sorted(axis.get_view_interval())
    span = high - low
    out = []
    for tick in axis.get_major_ticks():
        location = tick.get_loc()
        if not low - 1e-9 * span <= location <= high + 1e-9 * span:
            continue  # not drawn
        for label in (tick.label1, tick.label2):
            if _visible_text(label):
                out.append(TextBox(f"{name} tick label {label.get_text()!r}", owner, label.get_window_extent(renderer)))
    return out


def text_boxes(fig: Figure) -> list[TextBox]:
    """Every visible piece of text of ``fig`` with its extent, after drawing the figure."""
    fig.canvas.draw()
    renderer = agg_renderer(fig)
    boxes: list[TextBox] = []
    special = [getattr(fig, attr, None) for attr in ("_suptitle", "_supxlabel", "_supylabel")]
    for text in fig.texts:
        if _visible_text(text) and not any(text is s for s in special):
            boxes.append(TextBox(f"figure text {text.get_text()[:40]!r}", -1, text.get_window_extent(renderer)))
    for attr in ("_suptitle", "_supxlabel", "_supylabel"):
        label = getattr(fig, attr, None)
        if _visible_text(label):
            boxes.append(
                TextBox(f"figure {attr.strip('_')} {label.get_text()[:40]!r}", -1, label.get_window_extent(renderer))
            )
    for legend in fig.legends:
        if legend.get_visible():
            boxes.append(TextBox("figure legend", -1, legend.get_window_extent(renderer)))
    for k, ax in enumerate(fig.axes):
        if not ax.get_visible():
            continue
        titles: dict[str, Text | None] = {"title": ax.title}  # the left and right titles are private attributes
        titles |= {f"{side} title": getattr(ax, f"_{side}_title", None) for side in ("left", "right")}
        for name, title in titles.items():
            if _visible_text(title):
                boxes.append(TextBox(f"{name} {title.get_text()[:40]!r}", k, title.get_window_extent(renderer)))
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            if _visible_text(axis.label):
                boxes.append(
                    TextBox(f"{name} label {axis.label.get_text()[:40]!r}", k, axis.label.get_window_extent(renderer))
                )
            if _visible_text(axis.offsetText):
                boxes.append(TextBox(f"{name} offset text", k, axis.offsetText.get_window_extent(renderer)))
            boxes.extend(_tick_labels(axis, name, k, renderer))
        ax_legend = ax.get_legend()
        if ax_legend is not None and ax_legend.get_visible():
            boxes.append(TextBox("legend", k, ax_legend.get_window_extent(renderer)))
        for text in ax.texts:
            if _visible_text(text):
                boxes.append(TextBox(f"annotation {text.get_text()[:40]!r}", k, text.get_window_extent(renderer)))
    return boxes


def text_overlaps(fig: Figure) -> list[str]:
    """The legibility problems of ``fig``: pairs of overlapping texts, texts outside the figure.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A finished chart (drawn here).

    Returns
    -------
    list of str
        One line per problem (``"legend overlaps figure text 'Changes vs ...'"``,
        ``"x label 'region' leaves the figure"``); empty when the figure is legible.
    """
    boxes = text_boxes(fig)
    page = fig.bbox
    problems = []
    for item in boxes:
        b = item.box
        if (
            b.x0 < page.x0 - TOLERANCE_PX
            or b.y0 < page.y0 - TOLERANCE_PX
            or b.x1 > page.x1 + TOLERANCE_PX
            or b.y1 > page.y1 + TOLERANCE_PX
        ):
            problems.append(f"{item.what} leaves the figure")
    if len(boxes) < 2:
        return problems
    extents = np.array([[t.box.x0, t.box.y0, t.box.x1, t.box.y1] for t in boxes])
    width = np.minimum(extents[:, None, 2], extents[None, :, 2]) - np.maximum(extents[:, None, 0], extents[None, :, 0])
    height = np.minimum(extents[:, None, 3], extents[None, :, 3]) - np.maximum(extents[:, None, 1], extents[None, :, 1])
    clash = (width > TOLERANCE_PX) & (height > TOLERANCE_PX)
    for i, j in zip(*np.nonzero(np.triu(clash, k=1))):
        problems.append(f"{boxes[i].what} overlaps {boxes[j].what}")
    return problems
