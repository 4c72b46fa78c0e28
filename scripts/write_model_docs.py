"""Write docs/indicators.md (from cge/indicators.csv). The GTAP v7 model's variables, coefficients
and equations are documented in docs/gtap7.md (scripts/write_gtap7_docs.py).

    python scripts/write_model_docs.py

tests/test_docs.py fails when a committed file differs from what this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from cge.indicators import indicator_table

DOCS = Path(__file__).resolve().parent.parent / "docs"
OUT_INDICATORS = DOCS / "indicators.md"
INDICATOR_KINDS = (
    ("indicator", "Indicators"),
    ("welfare", "Welfare decomposition (GTAP's WELVIEW)"),
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
        'level). With `detail="all"` the results also hold every GTAP v7 variable of',
        "[`gtap7.md`](gtap7.md) (see [`reporting.md`](reporting.md)).",
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
    _write(OUT_INDICATORS, render_indicators())
    return 0


if __name__ == "__main__":
    sys.exit(main())
