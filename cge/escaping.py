"""Escaping user strings for the output they go to: terminal, Rich markup, HTML, Excel cells.

Scenario names, descriptions, region and sector labels, file names and error messages that quote
them come from users (or from files other tools wrote). Every writer passes them through one of
these functions, so that a name never acts in its output:

* terminal: control characters (escape sequences, carriage returns, NUL, bidi overrides) are
  shown as Python-style escapes (``\\x1b``) instead of moving the cursor or recolouring it;
* Rich: markup (``[red]``) is escaped as well; emoji codes (``:smile:``) stay text because the
  command line's consoles are made with ``emoji=False`` (:data:`RICH_CONSOLE_OPTIONS`);
* HTML: ``& < > " '`` become entities (for the results browser);
* Excel: a text cell is stored as text, never as a formula, and a leading ``= + - @`` gets
  Excel's quote prefix so that editing the cell does not turn it into one.
"""

from __future__ import annotations

import html
import unicodedata
from typing import TypedDict

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
"""Bidirectional formatting characters, which reorder what a terminal or browser shows."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that spreadsheet programs read as the start of a formula (OWASP)."""


class RichConsoleOptions(TypedDict):
    """Keyword arguments of :class:`rich.console.Console` that :data:`RICH_CONSOLE_OPTIONS` sets."""

    emoji: bool


RICH_CONSOLE_OPTIONS: RichConsoleOptions = {"emoji": False}
"""Options of every Rich console that prints user strings: emoji codes such as ``:x:`` stay text."""


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a control character (newline, tab, NUL, escape, DEL, C1 controls) or
    a bidirectional formatting character (which makes a name read differently than it is)."""
    return any(unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS for char in text)


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _visible(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_terminal(text: object, keep: str = "") -> str:
    """``text`` with control and bidi characters shown as escapes (``\\x1b``, ``\\n``, ``\\u202e``).

    Parameters
    ----------
    text : object
        Anything; converted with ``str``.
    keep : str
        Control characters to leave as they are (``"\\n\\t"`` for a multi-line document).
    """
    text = str(text)
    return "".join(
        _visible(char) if char not in keep and (unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS) else char
        for char in text
    )


def escape_rich(text: object) -> str:
    """``text`` for Rich's ``console.print``: control characters escaped, ``[`` markup escaped."""
    from rich.markup import escape

    return escape(escape_terminal(text))


def escape_html(text: object) -> str:
    """``text`` for HTML element content or a quoted attribute: entities, control characters escaped."""
    return html.escape(escape_terminal(text, keep="\n\t"), quote=True)


def protect_xlsx_cell(cell) -> None:
    """Keep an openpyxl cell that holds text as text.

    openpyxl stores a string that starts with ``=`` as a formula; the cell is turned back into a
    text cell, and text that starts with ``= + - @`` gets the quote prefix, so that Excel shows it
    as typed and does not evaluate it when the cell is edited. Numbers are left alone.
    """
    if cell.data_type == "f" or (cell.data_type == "s" and isinstance(cell.value, str)):
        cell.data_type = "s"
        if str(cell.value).startswith(FORMULA_STARTS):
            cell.quotePrefix = True
