"""Compile LaTeX tables with a real TeX engine (pdflatex), for the tests of the LaTeX writer.

The tests that use it are skipped where no ``pdflatex`` is installed (Debian:
``apt-get install texlive-latex-base texlive-latex-recommended``; docs/reporting.md). The document
has the page the writer designs for (:data:`cge.report.latex.TEXT_WIDTH_PT`: letter paper with
1 in margins, 6.5 in of text) and the packages the tables name in their first line.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

DOCUMENT = r"""\documentclass{article}
\usepackage[letterpaper,margin=1in]{geometry}
\usepackage[T1]{fontenc}
\usepackage{booktabs,longtable,rotating}
\begin{document}
%s
\end{document}
"""


def compile_latex(tables: str, where: Path) -> str:
    """Compile ``tables`` (the body of a document) with pdflatex in ``where``; return the log.

    Skips the calling test when pdflatex is not installed; fails it (with the end of the log)
    when the document does not compile.
    """
    engine = shutil.which("pdflatex")
    if engine is None:
        pytest.skip("pdflatex is not installed (Debian: texlive-latex-base texlive-latex-recommended)")
    (where / "doc.tex").write_text(DOCUMENT % tables, encoding="utf-8")
    run = subprocess.run(
        [engine, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    log = (where / "doc.log").read_text(encoding="utf-8", errors="replace") if (where / "doc.log").exists() else ""
    assert run.returncode == 0 and (where / "doc.pdf").exists(), log[-3000:] or run.stdout[-3000:]
    return log
