"""The results browser's page: one HTML document with its CSS, script and data inline.

The page loads no external resource. Its Content-Security-Policy allows only the inline style
and script it was built with (by their SHA-256 hashes), and network requests only to the
server that sent it (``connect-src 'self'``) or, for a self-contained file, none at all.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib import resources

from cge.escaping import escape_html
from cge.report.browser.data import to_json

STATIC = resources.files("cge.report.browser") / "static"
_MARKER = re.compile(r"\{\{(\w+)\}\}")


def _static(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy(script: str, style: str, connect: str) -> str:
    """The page's policy: nothing but its own inline script and style; ``connect`` for fetches.

    Parameters
    ----------
    script, style : str
        The exact text of the inline ``<script>`` and ``<style>`` elements (hashed).
    connect : str
        ``"'self'"`` (served pages fetch their data) or ``"'none'"`` (self-contained file).
    """
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {_sha256(script)}",
            f"style-src {_sha256(style)}",
            f"connect-src {connect}",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def script_json(payload: object) -> str:
    """JSON safe inside ``<script type="application/json">``: ``<``, ``>``, ``&`` and the line
    separators U+2028/U+2029 written as ``\\uXXXX`` escapes, so no text in the data can close the
    element or start markup."""
    text = to_json(payload)
    for char in ("<", ">", "&", "\u2028", "\u2029"):
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def page_html(index: dict, values: dict[str, list] | None = None) -> str:
    """The browser page.

    Parameters
    ----------
    index : dict
        :func:`cge.report.browser.data.view_index` of the results.
    values : dict or None
        Every variable's values (:func:`cge.report.browser.data.all_values`): a self-contained
        page that requests nothing. None: the page fetches ``data/<name>.json`` from the server
        that sent it.

    Returns
    -------
    str
        The HTML document. The title (the file names) is HTML-escaped; every other string
        travels as JSON and is put on the page as text by the script.
    """
    script, style = _static("view.js"), _static("view.css")
    connect = "'none'" if values is not None else "'self'"
    payload = {"index": index} if values is None else {"index": index, "values": values}
    fields = {
        "csp": escape_html(content_security_policy(script, style, connect)),
        "title": escape_html(index["title"]),
        "style": style,
        "script": script,
        "data": script_json(payload),
    }
    return _MARKER.sub(lambda match: fields[match.group(1)], _static("view.html"))
