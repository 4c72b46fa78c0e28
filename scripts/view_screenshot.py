"""Make docs/view.png: the results browser on the golden library results, in headless Chromium.

Uses the browser tooling of the tests (``tests/browser.py``: Chromium from the system packages,
installed when missing) and ``cge view --html``. The PNG is reduced to 64 colours (Pillow) to
keep the repository small.

    python scripts/view_screenshot.py [--out docs/view.png]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser import Browser, choose, choose_variable, click_heading, require_chromium  # noqa: E402

RESULTS = ROOT / "tests" / "golden" / "library.nc"
STEPS = (
    ("#row-dim", "scenario"),
    ("#col-dim", "region"),
    ("#mode", "difference from"),
    ("#reference", "tariff25"),
)


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "view.png")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, Browser(require_chromium()) as browser:
        page_file = Path(tmp) / "view.html"
        cge = str(Path(sys.executable).with_name("cge"))
        results = str(RESULTS.relative_to(ROOT))  # the page's title names the file as given
        subprocess.run([cge, "view", results, "--html", str(page_file)], check=True, capture_output=True, cwd=ROOT)
        page = browser.new_page()
        page.open(page_file.as_uri())
        choose_variable(page, "real_gdp_pct")
        for selector, text in STEPS:
            choose(page, selector, text)
        click_heading(page, "MEX")
        raw = page.screenshot(Path(tmp) / "raw.png")
        Image.open(raw).convert("RGB").quantize(colors=64).save(args.out, optimize=True)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e3:.0f} kB)")
    return args.out


if __name__ == "__main__":
    main()
