"""A local server for the results browser, bound to 127.0.0.1.

It answers three kinds of GET request and nothing else: the page (``/``), one variable's values
(``/data/<name>.json``, made on first request and kept) and 404 for anything else. Requests whose
``Host`` header is not this server's own address are refused (a web page elsewhere cannot reach
it through a rebound DNS name).
"""

from __future__ import annotations

import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import xarray as xr

from cge.report.browser.data import numeric_variables, to_json, variable_values
from cge.report.browser.page import page_html

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
DATA_PREFIX = "/data/"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class ViewServer(ThreadingHTTPServer):
    """The browser's HTTP server over one results Dataset (see :func:`make_server`)."""

    daemon_threads = True

    def __init__(self, port: int, ds: xr.Dataset, index: dict) -> None:
        super().__init__((HOST, port), ViewHandler)
        self.page = page_html(index).encode("utf-8")
        self.ds = ds
        self.names = set(numeric_variables(ds))
        self.hosts = {f"{HOST}:{self.server_port}", f"localhost:{self.server_port}"}
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The page's address, ``http://127.0.0.1:<port>/``."""
        return f"http://{HOST}:{self.server_port}/"

    def variable_json(self, name: str) -> bytes:
        """One variable's values as JSON bytes (made once, then kept)."""
        with self._lock:
            if name not in self._cache:
                self._cache[name] = to_json(variable_values(self.ds, name)).encode("utf-8")
            return self._cache[name]


class ViewHandler(BaseHTTPRequestHandler):
    """GET only: the page, a variable's values, or 404."""

    server: ViewServer
    server_version = "cge-view"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 (the name http.server dispatches to)
        if self.headers.get("Host", "") not in self.server.hosts:
            self._send(HTTPStatus.FORBIDDEN, b"wrong Host header", "text/plain; charset=utf-8")
            return
        path = urlsplit(self.path).path
        if path in ("/", "/index.html"):
            self._send(HTTPStatus.OK, self.server.page, "text/html; charset=utf-8")
            return
        if path.startswith(DATA_PREFIX) and path.endswith(".json"):
            name = unquote(path[len(DATA_PREFIX) : -len(".json")])
            if name in self.server.names:
                self._send(HTTPStatus.OK, self.server.variable_json(name), "application/json")
                return
        self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain; charset=utf-8")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in SECURITY_HEADERS.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the signature of http.server)
        log.debug("%s %s", self.address_string(), format % args)


def make_server(ds: xr.Dataset, index: dict, port: int = 0) -> ViewServer:
    """A server for ``ds`` on 127.0.0.1 (``port`` 0: a free port chosen by the system).

    Parameters
    ----------
    ds : xarray.Dataset
        The results to browse (:func:`cge.report.browser.data.view_dataset`).
    index : dict
        Their description (:func:`cge.report.browser.data.view_index`).
    port : int
        TCP port; 0 for any free one.

    Raises
    ------
    OSError
        When the port is taken or not allowed.
    """
    try:
        return ViewServer(port, ds, index)
    except OSError as exc:
        raise OSError(f"cannot serve on {HOST}:{port}: {exc.strerror or exc}") from exc
