"""The look every report chart shares: page size, fonts, scenario colours and labels, number
labels, the legend above the plot, the figure title, and the notes/source line at the foot of each
figure, kept clear of everything else by the constrained layout.

Importing this module selects matplotlib's Agg backend (charts are written to files, never shown).
Fonts are embedded as TrueType (``pdf.fonttype`` 42) so that PDF figures pass journals' checks.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.layout_engine import ConstrainedLayoutEngine, TightLayoutEngine  # noqa: E402
from matplotlib.ticker import FuncFormatter, ScalarFormatter  # noqa: E402
from matplotlib.transforms import blended_transform_factory  # noqa: E402

from cge.dims import BASELINE  # noqa: E402
from cge.report.figure_check import agg_renderer  # noqa: E402
from cge.report.labels import sentence_case, without_noise  # noqa: E402
from cge.report.selection import ReportError, scenario_labels, scenarios  # noqa: E402

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

DPI = 150
PAGE_WIDTH = 7.0
"""Largest figure width [inches] (a page's text width): 1050 px at :data:`DPI`."""
PAGE_HEIGHT = 9.0
"""Largest figure height [inches]: 1350 px at :data:`DPI`."""
NOTE_FONTSIZE = 6.5
STYLE: dict[RcKeyType, Any] = {
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
}
THOUSANDS = FuncFormatter(lambda x, _pos: f"{x:,.0f}")
"""Axis tick labels with thousands separators (``1,336,000``)."""


def compact_persons(value: float, sign: bool = False) -> str:
    """Persons in a short form: ``1,336``, ``354k``, ``1.56M`` (``+`` shown when ``sign``)."""
    s = "+" if sign else ""
    if abs(value) >= 1e6:
        return format(value / 1e6, f"{s}.2f") + "M"
    if abs(value) >= 1e4:
        return format(value / 1e3, f"{s},.0f") + "k"
    return format(value, f"{s},.0f") if round(value) != 0 else "0"


COMPACT = FuncFormatter(lambda x, _pos: compact_persons(x))
"""Axis tick labels of persons in the short form of :func:`compact_persons`."""


def value_label(value: float, units: str | None) -> str:
    """Bar label: persons with thousands separators, percent with 3 decimals, others with 2; no "-0.00"."""
    if not np.isfinite(value):
        return ""
    if units == "persons":
        return compact_persons(value, sign=True)
    spec = "+.3f" if units == "percent" else "+,.2f"
    text = format(value, spec)
    return format(0.0, spec[1:]) if text.lstrip("+-").strip("0.,") == "" else text


def shown_scenarios(ds: xr.Dataset, baseline: str = BASELINE) -> list[str]:
    """Scenarios to chart as changes: every one but the baseline (all if that leaves none)."""
    names = [s for s in scenarios(ds) if s != baseline]
    return names or scenarios(ds)


def scenario_colours(names: Iterable[str], baseline: str = BASELINE) -> dict[str, tuple]:
    """One distinct colour per scenario, the same in every chart: grey for the baseline; the others
    from tab10 (up to 9 scenarios), tab20 (up to 18) or evenly spaced hues, never grey."""
    others = [str(n) for n in names if str(n) != baseline]
    if len(others) <= 9:
        palette = [c for k, c in enumerate(_listed_colours("tab10")) if k != 7]  # 7 is grey
    elif len(others) <= 18:
        palette = [c for k, c in enumerate(_listed_colours("tab20")) if k not in (14, 15)]  # greys
    else:
        palette = [plt.get_cmap("hsv")(k / len(others)) for k in range(len(others))]
    colours = {name: tuple(palette[k]) for k, name in enumerate(others)}
    colours[baseline] = (0.6, 0.6, 0.6, 1.0)
    return colours


def _listed_colours(name: str) -> list[tuple[float, ...]]:
    """The colours (RGB) of a qualitative colour map (``tab10``...)."""
    cmap = plt.get_cmap(name)
    if not isinstance(cmap, ListedColormap):
        raise TypeError(f"colour map {name} is not a list of colours")
    return [tuple(rgb) for rgb in np.asarray(cmap.colors, dtype=float).tolist()]


def add_notes(fig: Figure, note: str) -> Figure:
    """Write the notes/source line at the foot of ``fig``, wrapped to its width, and reserve its
    height (measured) in the constrained layout so that nothing else reaches it."""
    if not note:
        return fig
    width, height = fig.get_size_inches()
    per_line = max(40, int(width * 72 / (NOTE_FONTSIZE * NOTE_CHAR_EM)))
    text = fig.text(
        NOTE_MARGIN / width,
        NOTE_MARGIN / height,
        "\n".join(textwrap.wrap(note, per_line)),
        fontsize=NOTE_FONTSIZE,
        color="0.35",
        ha="left",
        va="bottom",
    )
    renderer = agg_renderer(fig)
    reserve = min(0.45, (text.get_window_extent(renderer=renderer).height / fig.dpi + 2 * NOTE_MARGIN) / height)
    bottom = reserve
    shared_label = getattr(fig, "_supxlabel", None)
    if shared_label is not None:  # the layout would put it at the very bottom: above the notes instead
        shared_label._autopos = False
        shared_label.set_y(reserve)
        shared_label.set_verticalalignment("bottom")
        bottom += shared_label.get_window_extent(renderer=renderer).height / fig.bbox.height + 0.01
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine | TightLayoutEngine):
        engine.set(rect=(0, bottom, 1, 1 - bottom))
    return fig


def chars_across(width: float, fontsize: float, em: float = 0.6) -> int:
    """Characters of text at ``fontsize`` [pt] that fit ``width`` [inches] (``em``: the average
    character width in em), for wrapping titles and labels to the figure."""
    return max(20, int(width * 72 / (fontsize * em)))


NOTE_MARGIN = 0.06
"""Space between the notes line and the figure's edge, and above it [inches]."""
NOTE_CHAR_EM = 0.6
"""Average width of a character of the notes line [em], for wrapping it to the figure's width."""
LEGEND_LABEL_WIDTH = 28
"""Legend entries wrap at this many characters."""


def plain_numbers(axis, values=None) -> None:
    """Tick labels of a value axis as plain numbers, with thousands separators from 10,000 on: no
    ``1e6`` offset text, which would sit where the legend or the title is."""
    finite = np.asarray(values if values is not None else axis.get_view_interval(), dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size and np.abs(finite).max() >= 1e4:
        axis.set_major_formatter(THOUSANDS)
    else:
        formatter = ScalarFormatter(useOffset=False)
        formatter.set_scientific(False)
        axis.set_major_formatter(formatter)


def figure_title(fig: Figure, text: str) -> None:
    """The chart's title at the top of the figure (sentence case: ``Real GDP change ...``),
    wrapped to the figure's width."""
    width = chars_across(fig.get_size_inches()[0] - 0.3, plt.rcParams["axes.titlesize"], em=0.68)
    fig.suptitle(wrapped(sentence_case(text), width), fontweight="bold")


def shared_xlabel(fig: Figure, text: str) -> None:
    """One value-axis label under every panel of ``fig``, wrapped to the figure's width."""
    size = plt.rcParams["axes.labelsize"]
    fig.supxlabel(wrapped(text, chars_across(fig.get_size_inches()[0] - 0.3, size)), fontsize=size)


def wrapped(text: str, width: int) -> str:
    """``text`` on lines of at most ``width`` characters, broken between words but never inside
    bracketed units (``[US$ bn]``)."""
    protected = re.sub(r"\[[^\]]*\]", lambda m: m.group(0).replace(" ", "\N{NO-BREAK SPACE}"), str(text))
    lines = textwrap.wrap(protected, width, break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines).replace("\N{NO-BREAK SPACE}", " ") or str(text)


MIN_TICK_FONT = 4.0
"""Smallest font of category labels [pt]; charts with more categories than fit at it are refused."""
MAX_CATEGORIES = 60
"""Most scenarios (or partner pairs) one chart lists on a category axis."""


def category_labels(labels: Sequence[str], spacing: float, max_font: float = 8.0, width: int = 30):
    """Labels of categories ``spacing`` points apart on an axis, and their font size [pt]: wrapped
    at ``width`` characters when the lines fit at a legible size, else on one line in the largest
    font that fits (at least :data:`MIN_TICK_FONT`)."""
    texts = [wrapped(label, width) for label in labels]
    lines = max([t.count("\n") + 1 for t in texts] + [1])
    font = min(max_font, spacing / (1.3 * lines))
    if lines > 1 and font < 6.0:
        texts, font = [str(label) for label in labels], min(max_font, spacing / 1.3)
    return texts, max(font, MIN_TICK_FONT)


def check_categories(n: int, what: str = "scenarios") -> None:
    """Refuse a chart of more than :data:`MAX_CATEGORIES` categories (they cannot be labelled legibly)."""
    if n > MAX_CATEGORIES:
        raise ReportError(
            f"{n} {what} do not fit one chart legibly (at most {MAX_CATEGORIES}): choose some with --scenarios"
        )


def legend_above(ax, n_series: int, title: str | None = None) -> None:
    """The legend of ``ax`` above the plot, below the figure title, in up to three columns (long
    labels wrapped), so that it never covers data, labels or the notes line."""
    handles, labels = ax.get_legend_handles_labels()
    ncol = min(n_series, 3)
    ax.legend(
        handles,
        [wrapped(label, LEGEND_LABEL_WIDTH) for label in labels],
        title=title,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.02),  # centred on the figure (not on axes shifted by long tick labels)
        bbox_transform=blended_transform_factory(ax.figure.transFigure, ax.transAxes),
        ncol=ncol,
        borderaxespad=0.0,
        frameon=False,
    )


def mark_all_zero(ax, values) -> bool:
    """If every value is 0 (solver noise removed), say so in the middle of ``ax`` and give the value
    axis a symmetric range instead of one scaled to nothing; returns whether it did."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size and np.any(without_noise(finite)):
        return False
    ax.text(0.5, 0.5, "every value is 0", transform=ax.transAxes, ha="center", va="center", color="0.35")
    return True


def labels_of(ds: xr.Dataset, names: Sequence[str]) -> list[str]:
    """Display labels of scenarios ``names`` (:func:`cge.report.selection.scenario_labels`)."""
    labels = scenario_labels(ds)
    return [labels.get(str(n), str(n)) for n in names]


def magnitudes_differ(values: Sequence[np.ndarray], ratio: float = 5.0) -> bool:
    """Whether panels' largest magnitudes differ by more than ``ratio``: then each panel gets its
    own value axis, so that small values are not squeezed to dots beside large ones."""
    tops = [float(np.nanmax(np.abs(v))) for v in values if np.size(v) and np.isfinite(v).any()]
    tops = [t for t in tops if t > 0]
    return len(tops) > 1 and max(tops) > ratio * min(tops)
