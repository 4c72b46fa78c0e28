"""Write docs/model_components.md from the model's metadata table (cge/model/metadata.csv).

    python scripts/write_model_docs.py

tests/test_docs.py fails when the committed file differs from what this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from cge.model.metadata import metadata_table

OUT = Path(__file__).resolve().parent.parent / "docs" / "model_components.md"
KINDS = (
    ("variable", "Variables (unknowns)"),
    ("expression", "Expressions (substituted)"),
    ("parameter", "Parameters (shock instruments)"),
    ("equation", "Equations"),
)


def render() -> str:
    table = metadata_table()
    lines = [
        "# Model components",
        "",
        "Generated from `cge/model/metadata.csv` by `scripts/write_model_docs.py`; the same table gives",
        "the Pyomo `doc=` strings. Every quantity and price is an index equal to 1 at the benchmark.",
        "",
    ]
    for kind, title in KINDS:
        rows = table[table["kind"] == kind]
        lines += [f"## {title}", "", "| name | dims | units | block | description |", "|---|---|---|---|---|"]
        for name, row in rows.iterrows():
            dims = row["dims"] or "—"
            lines.append(f"| `{name}` | {dims} | {row['units']} | {row['block']} | {row['description']} |")
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text(render())
    tmp.replace(OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
