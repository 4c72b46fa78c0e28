"""Generated documentation is up to date with the metadata table."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_model_components_doc_is_current():
    spec = importlib.util.spec_from_file_location("write_model_docs", ROOT / "scripts" / "write_model_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "docs" / "model_components.md").read_text() == module.render(), (
        "docs/model_components.md is stale: run python scripts/write_model_docs.py"
    )
    assert (ROOT / "docs" / "indicators.md").read_text() == module.render_indicators(), (
        "docs/indicators.md is stale: run python scripts/write_model_docs.py"
    )


def test_readme_python_example_runs(monkeypatch):
    """The README's Python example runs as written (on the shipped SAM)."""
    import re

    import matplotlib

    matplotlib.use("Agg")
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README has no python example"
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)  # noqa: S102 - our own documentation
    ds = namespace["ds"]
    assert set(ds.scenario.values) == {"baseline", "tariff25"}
    assert float(ds["real_gdp_pct"].sel(scenario="tariff25", region="USA")) < 0
