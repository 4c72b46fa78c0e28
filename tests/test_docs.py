"""Documentation checks: generated docs are current, the README example runs, every relative link resolves."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_indicators_doc_is_current():
    spec = importlib.util.spec_from_file_location("write_model_docs", ROOT / "scripts" / "write_model_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "docs" / "indicators.md").read_text() == module.render_indicators(), (
        "docs/indicators.md is stale: run python scripts/write_model_docs.py"
    )


def test_readme_python_example_runs(monkeypatch):
    """The README's Python example runs as written (on the shipped SAM)."""
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


MARKDOWN_FILES = (
    "README.md",
    "CHANGELOG.md",
    "docs/*.md",
    "experiments/README.md",
    "sam/README.md",
    "calibration/README.md",
    "benchmarks/README.md",
)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return {_slug(m.group(1)) for m in re.finditer(r"^#+\s+(.*)$", text, flags=re.M)}


def _relative_links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)  # code blocks hold no links
    text = re.sub(r"`[^`\n]*`", "", text)  # nor does inline code
    return [t for t in LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:", t)]


def test_every_relative_markdown_link_points_to_an_existing_file():
    files = sorted({p for pattern in MARKDOWN_FILES for p in ROOT.glob(pattern)})
    assert len(files) >= 15, files
    broken, checked = [], 0
    for md in files:
        for target in _relative_links(md):
            checked += 1
            path, _, anchor = target.partition("#")
            dest = (md.parent / path).resolve() if path else md
            where = f"{md.relative_to(ROOT)}: ({target})"
            if not dest.exists():
                broken.append(f"{where} -> no such file")
            elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
                broken.append(f"{where} -> no heading '#{anchor}'")
    assert checked >= 20, checked
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_ci_runs_exactly_the_readme_commands():
    """``.ci/run`` runs the README's two commands, word for word (the test command with ``--slow``)."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Quick start (the two commands)") :]
    commands = re.findall(r"```bash\n(.*?)\n```", section, flags=re.S)[:2]
    script = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert len(commands) == 2 and "pytest -q --slow" in commands[1]
    for command in commands:
        assert command.strip() in script, command
