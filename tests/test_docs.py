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
