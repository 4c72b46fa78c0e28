"""LaTeX tables a journal accepts: booktabs rules, true minus signs (``$-$``), headers with the
units on their own line, and fonts at a standard size — never scaled with ``\\resizebox``.

A table that fits the text width (:data:`TEXT_WIDTH_PT`) at the normal size is a ``table``
float; a wider one steps down to ``\\small``, a narrower column separation and ``\\footnotesize``
(:data:`STEPS`), and one still too wide turns to a landscape ``sidewaystable`` (``rotating``
package); one too wide even for that is split into several tables that repeat the label columns
(:func:`column_chunks`). A table longer than :data:`LONGTABLE_ROWS` rows is a
``longtable`` (header repeated on each page). Needs ``\\usepackage{booktabs}`` (and ``longtable``
or ``rotating`` when used: the first line of each table says which).
"""

from __future__ import annotations

import logging
import re
import textwrap

import pandas as pd

log = logging.getLogger(__name__)

LONGTABLE_ROWS = 40
"""More body rows than this: LaTeX ``longtable`` (breaks across pages) instead of a float."""
TEXT_WIDTH_PT = 468.0
"""Text width a table must fit [pt]: 6.5 in, a letter or A4 page with 1 in margins."""
LANDSCAPE_WIDTH_PT = 648.0
"""Width of a landscape page's text [pt]: 9 in."""
DIGIT_EM = 0.5
"""Width of a digit (and, roughly, of an average character) [em] in Computer Modern."""
STEPS = (("", 10.0, 6.0), (r"\small", 9.0, 6.0), (r"\small", 9.0, 4.0), (r"\footnotesize", 8.0, 4.0))
"""Font sizes and column separations tried in turn: (size command, font size [pt], ``\\tabcolsep`` [pt])."""
HEADER_WIDTH = 10
"""Header names longer than this (and than the column's widest value) wrap onto more lines."""
WIDTH_MARGIN = 0.97
"""Share of the page width a table may take by the estimate (:func:`text_em` is within a few per cent)."""
"""Header names longer than this (and than the column's widest value) wrap onto more lines."""

_LATEX_CHARS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\N{RIGHTWARDS ARROW}": r"$\rightarrow$",
    "\N{MINUS SIGN}": r"$-$",
}
_NUMBER = re.compile(r"^[+-]?[0-9][0-9,]*(\.[0-9]+)?([eE][+-]?[0-9]+)?$")
_UNIT = re.compile(r"^(?P<name>.*?)\s*(?P<unit>\[[^\]]*\])$")


def latex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped (``US$ bn`` -> ``US\\$ bn``)."""
    return "".join(_LATEX_CHARS.get(ch, ch) for ch in str(text))


def latex_number(text: str) -> str:
    """A formatted number with a typographic sign: ``-1.25`` -> ``$-$1.25``, ``+0.30`` -> ``$+$0.30``;
    anything that is not a number is escaped as text."""
    if _NUMBER.match(text) and text[0] in "+-":
        return f"${text[0]}${text[1:]}"
    return latex_escape(text)


def _header_lines(column: str, width: int) -> list[str]:
    """A column name as header lines: the name wrapped at ``width`` characters, the unit on its own line."""
    match = _UNIT.match(column)
    name, unit = (match["name"], match["unit"]) if match else (column, "")
    lines = textwrap.wrap(name, max(width, HEADER_WIDTH), break_long_words=False) or [""]
    return lines + ([unit] if unit else [])


def _header_cell(lines: list[str], align: str) -> str:
    if len(lines) == 1:
        return latex_escape(lines[0])
    # a nested tabular stacks the lines (no extra package); {} keeps a "[" after \\ from being an argument
    body = r" \\ ".join("{" + latex_escape(line) + "}" for line in lines)
    return rf"\begin{{tabular}}[b]{{@{{}}{align}@{{}}}}{body}\end{{tabular}}"


def text_em(text: str) -> float:
    """Width of ``text`` in Computer Modern [em], by kind of character (capitals are wider than
    digits, which are wider than spaces and punctuation)."""
    width = 0.0
    for ch in str(text):
        if ch.isupper():
            width += 0.72
        elif ch in "+-":
            width += 0.78  # typeset as $+$ / $-$
        elif ch.isdigit():
            width += DIGIT_EM
        elif ch.isalpha():
            width += 0.5
        elif ch in " .,:;'()[]":
            width += 0.3
        else:
            width += 0.6
    return width


def _plan(text: pd.DataFrame, n_index: int) -> tuple[list[float], list[list[str]]]:
    """Width [em] and header lines of every column of a formatted table."""
    widths, headers = [], []
    for k, column in enumerate(text.columns):
        cells = [str(v) for v in text[column].tolist()]
        longest = max([len(v) for v in cells] + [1])
        lines = _header_lines(str(column), longest if k >= n_index else 2 * HEADER_WIDTH)
        headers.append(lines)
        widths.append(max(text_em(v) for v in cells + lines))
    return widths, headers


def _width(widths: list[float], font_pt: float, sep_pt: float) -> float:
    return sum(widths) * font_pt + 2 * sep_pt * len(widths)


def layout(text: pd.DataFrame, n_index: int) -> tuple[str, str, float, list[list[str]]]:
    """Environment, font size, column separation and header lines of a formatted table.

    The width of the table is estimated from its widest cell in each column (header lines
    included, :func:`text_em`) plus two column separations per column; the first of
    :data:`STEPS` that fits :data:`TEXT_WIDTH_PT` is used, else a landscape page (a ``longtable``
    stays upright: :func:`to_latex` splits its columns instead).

    Parameters
    ----------
    text : pandas.DataFrame
        The table as text (index as leading columns; :func:`cge.report.writers.format_table`).
    n_index : int
        Leading label columns.

    Returns
    -------
    (environment, size, tabcolsep, headers)
        ``"longtable"``, ``"table"`` or ``"sidewaystable"``; ``""``, ``"\\small"`` or
        ``"\\footnotesize"``; the column separation [pt]; the header lines of each column.
    """
    widths, headers = _plan(text, n_index)
    environment = "longtable" if len(text) > LONGTABLE_ROWS else "table"
    for size, font_pt, sep_pt in STEPS:
        if _width(widths, font_pt, sep_pt) <= TEXT_WIDTH_PT * WIDTH_MARGIN:
            return environment, size, sep_pt, headers
    size, _font_pt, sep_pt = STEPS[-1]
    return ("sidewaystable" if environment == "table" else environment), size, sep_pt, headers


def column_chunks(text: pd.DataFrame, n_index: int) -> list[list[int]]:
    """The value columns of a table in groups that each fit the page beside the label columns at
    the smallest step of :data:`STEPS` (a landscape page for a float, an upright one for a
    ``longtable``); one group when the whole table fits."""
    widths, _headers = _plan(text, n_index)
    _size, font_pt, sep_pt = STEPS[-1]
    limit = (TEXT_WIDTH_PT if len(text) > LONGTABLE_ROWS else LANDSCAPE_WIDTH_PT) * WIDTH_MARGIN
    chunks: list[list[int]] = [[]]
    for k in range(n_index, len(widths)):
        trial = widths[:n_index] + [widths[j] for j in chunks[-1]] + [widths[k]]
        if chunks[-1] and _width(trial, font_pt, sep_pt) > limit:
            chunks.append([])
        chunks[-1].append(k)
    return chunks


def _notes(notes: str) -> str:
    """The notes line as LaTeX: footnote size, allowed to break after underscores and commas."""
    text = latex_escape(notes).replace(r"\_", r"\_\allowbreak{}")
    return rf"{{\footnotesize\sloppy \textit{{Notes:}} {text}\par}}"


def to_latex(text: pd.DataFrame, n_index: int, title: str | None, label: str | None, notes: str) -> str:
    """A formatted table as LaTeX (see the module docstring for the layout rules); a table too wide
    for any page is split into several with the same label columns (:func:`column_chunks`), the
    caption numbered ``(1/3)``, ``(2/3)`` ..., the notes under the last.

    Parameters
    ----------
    text : pandas.DataFrame
        The table as text, index as the first ``n_index`` columns.
    n_index : int
        Leading label columns (left-aligned, escaped as text; the others are numbers).
    title, label : str or None
        Caption and ``\\label`` (on the first part).
    notes : str
        The notes/source line printed under the table.
    """
    chunks = column_chunks(text, n_index)
    if len(chunks) > 1:
        log.info("a LaTeX table of %d columns is split into %d tables that fit the page", text.shape[1], len(chunks))
        parts = []
        for k, chunk in enumerate(chunks, start=1):
            part = text.iloc[:, list(range(n_index)) + chunk]
            caption = f"{title or 'Table'} ({k}/{len(chunks)})"
            parts.append(_latex(part, n_index, caption, label if k == 1 else None, notes if k == len(chunks) else ""))
        return "\n".join(parts)
    return _latex(text, n_index, title, label, notes)


def _latex(text: pd.DataFrame, n_index: int, title: str | None, label: str | None, notes: str) -> str:
    environment, size, sep_pt, headers = layout(text, n_index)
    size += rf"\setlength{{\tabcolsep}}{{{sep_pt:g}pt}}" if sep_pt != STEPS[0][2] else ""
    aligns = ["l"] * n_index + ["r"] * (text.shape[1] - n_index)
    depth = max(len(lines) for lines in headers)
    header = " & ".join(_header_cell(lines, a) for lines, a in zip(headers, aligns)) + r" \\"
    body = []
    for row in text.itertuples(index=False):
        cells = [latex_escape(v) if k < n_index else latex_number(v) for k, v in enumerate(row)]
        body.append(" & ".join(cells) + r" \\")
    note_text = _notes(notes) if notes else ""
    caption = rf"\caption{{{latex_escape(title)}}}" if title else ""
    label_line = rf"\label{{{label}}}" if label else ""
    packages = "booktabs" + {"longtable": ", longtable", "sidewaystable": ", rotating"}.get(environment, "")
    first = f"% cge table: needs \\usepackage{{{packages}}}; header lines: {depth}"
    columns = "".join(aligns)
    if environment == "longtable":
        lines = [
            first,
            r"\begingroup" + size,
            rf"\begin{{longtable}}{{{columns}}}",
            caption + label_line + (r" \\" if caption or label_line else ""),
            r"\toprule",
            header,
            r"\midrule",
            r"\endfirsthead",
            rf"\multicolumn{{{text.shape[1]}}}{{l}}{{\footnotesize (continued)}} \\",
            r"\toprule",
            header,
            r"\midrule",
            r"\endhead",
            r"\bottomrule",
            r"\endlastfoot",
            *body,
            r"\end{longtable}",
            note_text,
            r"\endgroup",
        ]
    else:
        lines = [
            first,
            rf"\begin{{{environment}}}[htbp]",
            r"\centering",
            size,
            caption,
            label_line,
            rf"\begin{{tabular}}{{{columns}}}",
            r"\toprule",
            header,
            r"\midrule",
            *body,
            r"\bottomrule",
            r"\end{tabular}",
            (r"\par\smallskip\parbox{\linewidth}{" + note_text + "}") if notes else "",
            rf"\end{{{environment}}}",
        ]
    return "\n".join(line for line in lines if line) + "\n"
