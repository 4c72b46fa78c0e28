"""Write docs/model_components.md (from cge/model/metadata.csv) and docs/indicators.md (from
cge/indicators.csv).

    python scripts/write_model_docs.py

tests/test_docs.py fails when a committed file differs from what this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from cge.indicators import indicator_table
from cge.model.metadata import metadata_table

DOCS = Path(__file__).resolve().parent.parent / "docs"
OUT = DOCS / "model_components.md"
OUT_INDICATORS = DOCS / "indicators.md"
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
        lines += [
            f"## {title}",
            "",
            "| name | dims | units | block | description | GTAP |",
            "|---|---|---|---|---|---|",
        ]
        for name, row in rows.iterrows():
            dims = row["dims"] or "—"
            gtap = row.get("gtap", "") or "—"
            lines.append(f"| `{name}` | {dims} | {row['units']} | {row['block']} | {row['description']} | {gtap} |")
        lines.append("")
    return "\n".join(lines)


INDICATOR_KINDS = (
    ("indicator", "Indicators"),
    ("welfare", "Welfare decomposition (cge.welfare, after the solve)"),
    ("solver", "Solver figures"),
    ("scenario", "Scenario variables"),
    ("coordinate", "Coordinates"),
)


def render_indicators() -> str:
    lines = [
        "# Result indicators",
        "",
        "Every variable of a `cge.run` / `cge run` result, generated from `cge/indicators.csv` by",
        "`scripts/write_model_docs.py`; the same table gives each variable's `long_name`, `units` and",
        "`gtap` attrs, how it is re-expressed against a reference scenario (`reference`: `ratio` for",
        "percent changes, `difference` for changes such as EV, `level` for levels) and how group",
        "subtotals are formed (`aggregate`: `sum`, or `pct:<level>` = the percent change of the summed",
        'level). With `detail="all"` the results also hold every model component of',
        "[`model_components.md`](model_components.md) (see [`reporting.md`](reporting.md)).",
        "",
    ]
    table = indicator_table()
    for kind, title in INDICATOR_KINDS:
        lines += [
            f"## {title}",
            "",
            "| name | dims | units | long name | GTAP | reference | aggregate |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, row in table[table["kind"] == kind].iterrows():
            cells = [row["units"], row["long_name"], row["gtap"], row["reference"], row["aggregate"]]
            cells = [c or "—" for c in cells]
            lines.append(f"| `{name}` | {row['dims']} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def main() -> int:
    _write(OUT, render())
    _write(OUT_INDICATORS, render_indicators())
    return 0


if __name__ == "__main__":
    sys.exit(main())
