"""A headless Chromium driven over the Chrome DevTools protocol (CDP), for the results browser's tests.

Chromium comes from the system packages (Debian ``chromium``): :func:`require_chromium` installs
it with ``apt-get`` when it is missing and the user is root (as in CI), and otherwise fails the
test under CI (``CI`` or ``CGE_REQUIRE_BROWSER`` set, as ``.ci/run`` does) or skips it on a
developer's machine. The protocol is spoken over a websocket (the ``websocket-client`` package);
no test tool downloads a browser.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import websocket

CHROMIUM_PACKAGES = ("chromium",)
"""Debian packages installed when no Chromium is found (the CDP client needs no chromedriver)."""
CANDIDATES = ("/usr/lib/chromium/chromium", "chromium", "chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--window-size=1400,900",
)
INSTALL_LOCK = Path(tempfile.gettempdir()) / "cge-chromium-install.lock"
TIMEOUT = 60.0
"""Seconds to wait for the browser to start or a page condition to hold (a limit, not a measurement)."""


def chromium_path() -> str | None:
    """The Chromium executable, or None."""
    for candidate in CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def _required() -> bool:
    return any(os.environ.get(name, "").lower() not in ("", "0", "false") for name in ("CI", "CGE_REQUIRE_BROWSER"))


def install_chromium() -> str:
    """Install Chromium from the system packages (``apt-get``, as root); return its path.

    Raises
    ------
    RuntimeError
        Saying why it cannot be installed here.
    """
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise RuntimeError("Chromium is not installed and cannot be installed here (needs apt-get as root)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    wait = ["-o", "DPkg::Lock::Timeout=600"]
    with open(INSTALL_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one installer at a time among the test processes
        if chromium_path() is None:
            for command in (
                ["apt-get", *wait, "update", "-q"],
                ["apt-get", *wait, "install", "-y", "-q", "--no-install-recommends", *CHROMIUM_PACKAGES],
            ):
                done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
                if done.returncode != 0:
                    tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
                    raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {tail[0]}")
    path = chromium_path()
    if path is None:
        raise RuntimeError(f"apt-get installed {', '.join(CHROMIUM_PACKAGES)} but no Chromium executable is found")
    return path


def require_chromium() -> str:
    """Chromium's path, installing it if needed; fail under CI, skip elsewhere, when impossible."""
    path = chromium_path()
    if path is not None:
        return path
    try:
        return install_chromium()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        if _required():
            pytest.fail(f"the browser tests need Chromium: {exc}")
        pytest.skip(f"no Chromium: {exc}")


class Browser:
    """One headless Chromium process and a CDP connection to it (use as a context manager)."""

    def __init__(self, executable: str) -> None:
        self.profile = tempfile.TemporaryDirectory(prefix="cge-chromium-")
        command = [executable, *FLAGS, "--remote-debugging-port=0", f"--user-data-dir={self.profile.name}"]
        self.process = subprocess.Popen([*command, "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self.profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + TIMEOUT
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"Chromium did not start (exit status {self.process.returncode})")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        self.socket = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=TIMEOUT, suppress_origin=True)
        self._next_id = 0
        self.events: list[dict] = []

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """End the Chromium process this object started and remove its profile."""
        socket = getattr(self, "socket", None)
        if socket is not None:
            socket.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.profile.cleanup()

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """One CDP command; its result (events that arrive meanwhile go to :attr:`events`)."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        self.socket.send(json.dumps(message))
        while True:
            reply = json.loads(self.socket.recv())
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def new_page(self) -> Page:
        """A new tab with network events recorded."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session, target)
        for domain in ("Page", "Network", "Runtime"):
            page.send(f"{domain}.enable")
        return page

    def allow_downloads(self, directory: Path) -> None:
        """Save downloads into ``directory``."""
        self.send("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(directory)})


class Page:
    """One tab: navigate, run script, wait for a condition, list the requests it made."""

    def __init__(self, browser: Browser, session: str, target: str) -> None:
        self.browser = browser
        self.session = session
        self.target = target

    def close(self) -> None:
        """Close the tab."""
        self.browser.send("Target.closeTarget", {"targetId": self.target})

    def send(self, method: str, params: dict | None = None) -> dict:
        return self.browser.send(method, params, self.session)

    def requests(self) -> list[str]:
        """URLs of every request this page has made so far (``Network.requestWillBeSent``)."""
        return [
            e["params"]["request"]["url"]
            for e in self.browser.events
            if e.get("sessionId") == self.session and e.get("method") == "Network.requestWillBeSent"
        ]

    def evaluate(self, expression: str):
        """The value of a JavaScript expression (promises awaited); a thrown error raises."""
        result = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails'].get('exception', result)}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = TIMEOUT):
        """Poll ``expression`` until it is truthy; its value. Raises after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout:.0f} s for {expression}")
            time.sleep(0.02)

    def open(self, url: str) -> None:
        """Navigate to ``url`` and wait until the results browser has drawn its first table."""
        self.send("Page.navigate", {"url": url})
        self.wait_for("document.readyState === 'complete' && document.body && document.body.dataset.ready === '1'")

    def screenshot(self, path: Path) -> Path:
        """Save a PNG of the visible page."""
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))
        return path


# ------------------------------------------------------------------- acting on the cge view page
SETTLED = "document.body.dataset.busy === '0'"
"""True once the page has drawn the table for the last choice (``data-busy`` set by view.js)."""


def choose_variable(page: Page, name: str) -> None:
    """Click a variable in the list and wait for its table."""
    click = "document.querySelector('#variable-list button[data-name=\"' + CSS.escape(NAME) + '\"]').click()"
    page.evaluate(click.replace("NAME", json.dumps(name)))
    page.wait_for(SETTLED)


def choose(page: Page, selector: str, text: str) -> None:
    """Pick the option shown as ``text`` in the select ``selector``, as a user does."""
    page.evaluate(
        f"""(() => {{
      const select = document.querySelector({json.dumps(selector)});
      const option = [...select.options].find((o) => o.text === {json.dumps(text)});
      if (!option) throw new Error("no option " + {json.dumps(text)});
      select.value = option.value;
      select.dispatchEvent(new Event("change"));
    }})()"""
    )
    page.wait_for(SETTLED)


def click_heading(page: Page, text: str) -> None:
    """Click the column heading that reads ``text`` (with or without its sort arrow)."""
    page.evaluate(
        "[...document.querySelectorAll('#grid thead th button')]"
        f".find((b) => b.textContent.replace(/ [\\u25B2\\u25BC]$/, '') === {json.dumps(text)}).click()"
    )
