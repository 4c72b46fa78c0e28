"""The look every report chart shares: page size, fonts, scenario colours, number labels, the
scenario legend and the notes/source line at the foot of each figure.

Importing this module selects matplotlib's Agg backend (charts are written to files, never shown).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import Any, cast

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from cge.dims import BASELINE  # noqa: E402
from cge.report.selection import scenarios  # noqa: E402

DPI = 150
PAGE_WIDTH = 7.0
"""Largest figure width [inches] (a page's text width): 1050 px at :data:`DPI`."""
PAGE_HEIGHT = 9.0
"""Largest figure height [inches]: 1350 px at :data:`DPI`."""
NOTE_FONTSIZE = 6.5
STYLE: Any = {  # matplotlib rcParams (rc_context's keys are typed as a Literal of every rcParam)
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


def _colours(name: str) -> list:
    """The colours of a listed matplotlib colour map (``tab10``, ``tab20``)."""
    colours: Any = cast(ListedColormap, plt.get_cmap(name)).colors  # a list of RGB tuples
    return list(colours)


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
        palette = [c for k, c in enumerate(_colours("tab10")) if k != 7]  # 7 is grey
    elif len(others) <= 18:
        palette = [c for k, c in enumerate(_colours("tab20")) if k not in (14, 15)]  # greys
    else:
        palette = [plt.get_cmap("hsv")(k / len(others)) for k in range(len(others))]
    colours = {name: tuple(palette[k]) for k, name in enumerate(others)}
    colours[baseline] = (0.6, 0.6, 0.6, 1.0)
    return colours


def add_notes(fig: Figure, note: str) -> Figure:
    """Write the notes/source line at the foot of ``fig`` (wrapped to its width; the constrained
    layout keeps the axes clear of it)."""
    if not note:
        return fig
    width, height = fig.get_size_inches()
    lines = textwrap.wrap(note, max(40, int(width * 17)))
    fig.text(0.01, 0.004, "\n".join(lines), fontsize=NOTE_FONTSIZE, color="0.35", ha="left", va="bottom")
    reserve = min(0.3, (len(lines) * NOTE_FONTSIZE * 1.35 / 72 + 0.06) / height)
    engine: Any = fig.get_layout_engine()  # constrained: its set() takes rect
    if engine is not None and hasattr(engine, "set"):
        engine.set(rect=(0, reserve, 1, 1 - reserve))
    return fig


def label_bottom_axes(axes: np.ndarray, n_panels: int, label: str) -> None:
    """The x label under the lowest visible panel of each column (panels share the x axis)."""
    nrows, ncols = axes.shape
    for col in range(ncols):
        rows = [r for r in range(nrows) if r * ncols + col < n_panels]
        if rows:
            axes[rows[-1], col].set_xlabel(label, fontsize=7.5)
            axes[rows[-1], col].tick_params(axis="x", labelbottom=True)


def scenario_legend(fig: Figure, ax, n_series: int) -> None:
    """Scenario legend below the axes (several columns), so long scenario names never cover bars."""
    handles, labels = ax.get_legend_handles_labels()
    ncol = min(n_series, 3)
    fig.legend(handles, labels, title="scenario", loc="outside lower center", ncol=ncol)
