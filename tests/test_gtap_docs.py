"""docs/gtap7.md's generated tables match cge/gtap/model/variables.csv."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def test_the_variable_tables_of_the_gtap7_docs_are_current() -> None:
    script = Path(__file__).resolve().parent.parent / "scripts" / "write_gtap7_docs.py"
    spec = importlib.util.spec_from_file_location("write_gtap7_docs", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = module.DOC.read_text(encoding="utf-8")
    assert text == module.render(text), "docs/gtap7.md is stale: run python scripts/write_gtap7_docs.py"
