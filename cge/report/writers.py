"""Writers of report tables: Markdown, LaTeX (:mod:`cge.report.latex`), CSV and Excel, each with
the table's notes/source line.

Column names carry their units in brackets (``"EV [US$ bn]"``), which set the number format:
percent with 2 decimals (3 for real GDP), US$ bn with 2 decimals, persons as whole numbers with
thousands separators; every change carries its sign (``+28.20``). Solver noise (below
:data:`cge.report.labels.ZERO_TOLERANCE`) is shown as 0. CSV holds numbers rounded to the
precision shown (persons as integers); Excel holds full numbers with cell formats that show the
same precision. Scenarios are shown by their display labels (the tables' ``scenario_labels``
attr, :func:`cge.report.selection.scenario_labels`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from cge.atomic import atomic_write, refuse_special_target
from cge.dims import SCENARIO
from cge.escaping import protect_xlsx_cell
from cge.report import latex
from cge.report.labels import number_format, unit_of_column, without_noise
from cge.report.scenario_tables import TITLES
from cge.report.selection import ReportError

FORMATS = ("md", "latex", "csv", "xlsx")
LONGTABLE_ROWS = latex.LONGTABLE_ROWS


# --------------------------------------------------------------------------------------------------
# formatting


def column_spec(df: pd.DataFrame, column: str) -> str:
    """Format spec of a column: the table's ``formats`` attr, else by the unit in its name; signed
    when it holds changes (``change`` in the name, or listed in the table's ``changes`` attr)."""
    overrides = df.attrs.get("formats", {})
    if column in overrides:
        return overrides[column]
    if column.startswith("std"):  # a standard deviation: no sign
        return number_format(unit_of_column(column), signed=False).lstrip("+")
    signed = "change" in column or column in df.attrs.get("changes", ())
    return number_format(unit_of_column(column), signed=signed)


def _fmt(value, spec: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if not isinstance(value, (int, float, np.integer, np.floating)):
        return str(value)
    value = float(value)
    if value == 0:
        return format(0.0, spec.lstrip("+"))
    if spec.endswith(",.2f") and value != 0 and abs(value) < 0.005:
        # tiny US$ bn figures (small test SAMs): three significant digits instead of "0.00"
        return format(value, ("+" if spec.startswith("+") else "") + ".3g")
    text = format(value, spec)
    return format(0.0, spec.lstrip("+")) if _is_zero(text) else text


def _is_zero(text: str) -> bool:
    return text.lstrip("+-").replace("0", "").replace(".", "").replace(",", "") == ""


def format_table(df: pd.DataFrame, sparsify: bool = True) -> pd.DataFrame:
    """Table as text: numbers formatted by the unit in each column name, index turned into columns.

    Parameters
    ----------
    df : pandas.DataFrame
        A table from this module (``df.attrs["formats"]`` may override a column's format spec).
    sparsify : bool
        Blank repeated labels of the outer index levels (as in a printed report).

    Returns
    -------
    pandas.DataFrame
        All-string table with a plain RangeIndex.
    """
    text = pd.DataFrame(index=df.index)
    for col in df.columns:
        spec = column_spec(df, col)
        numeric = pd.api.types.is_numeric_dtype(df[col])
        values = without_noise(df[col], unit_of_column(col)) if numeric else df[col]
        text[col] = [_fmt(v, spec) for v in list(values)]
    text = displayed(text.reset_index(), df)
    index_cols = [str(n) for n in df.index.names]
    text = text.astype(object)
    if sparsify and len(index_cols) > 1:
        previous = None
        outer = index_cols[:-1]
        keys = text[outer].astype(str).agg("\x1f".join, axis=1).tolist()
        for k, key in enumerate(keys):
            if key == previous:
                text.loc[k, outer] = ""
            previous = key
    return text.fillna("").astype(str)


def displayed(flat: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame:
    """A table with its index as columns (``df.reset_index()``), scenarios shown by their labels.

    Uses the attrs of ``df``: ``scenario_labels`` (name -> label) for the values of a
    ``scenario`` index column, and ``scenario_columns`` (column -> scenario name) for columns
    named after a scenario (``"tariff25 [%]"`` -> ``"25% US tariffs [%]"``).
    """
    labels = df.attrs.get("scenario_labels") or {}
    out = flat.copy()
    if labels and SCENARIO in out.columns and SCENARIO in [str(n) for n in df.index.names]:
        out[SCENARIO] = [labels.get(str(v), v) if str(v) else v for v in out[SCENARIO].tolist()]
    renamed = {}
    for column, scenario in (df.attrs.get("scenario_columns") or {}).items():
        if column in out.columns and scenario in labels:
            renamed[column] = labels[scenario] + str(column)[len(scenario) :]
    out.columns = [str(renamed.get(c, c)) for c in out.columns]
    return out


def _n_index(df: pd.DataFrame) -> int:
    return df.index.nlevels


def notes_of(df: pd.DataFrame) -> str:
    """The table's notes/source line (``df.attrs["notes"]``; empty when it has none)."""
    return str(df.attrs.get("notes", ""))


def to_markdown(df: pd.DataFrame, title: str | None = None) -> str:
    """GitHub-flavoured Markdown of a table (numbers right-aligned), a ``###`` title if given and
    the notes/source line below it."""
    text = format_table(df)
    n = _n_index(df)
    align = ["left"] * n + ["right"] * (text.shape[1] - n)
    body = text.to_markdown(index=False, colalign=align, disable_numparse=True)
    notes = notes_of(df)
    return (f"### {title}\n\n" if title else "") + body + "\n" + (f"\n*Notes:* {notes}\n" if notes else "")


def to_latex(df: pd.DataFrame, title: str | None = None, label: str | None = None) -> str:
    """LaTeX with booktabs rules, ``$-$`` minus signs and the units on their own header line: a
    ``table`` float at the normal, ``\\small`` or ``\\footnotesize`` size as the width needs, a
    landscape ``sidewaystable`` when wider still, or a ``longtable`` when long
    (:mod:`cge.report.latex`); the notes/source line below in footnote size."""
    return latex.to_latex(format_table(df), _n_index(df), title, label, notes_of(df))


def _decimals(spec: str, value: float) -> float:
    """``value`` rounded to the precision ``spec`` shows (3 significant digits for tiny US$ bn)."""
    if not np.isfinite(value):
        return value
    if spec.endswith(",.2f") and value != 0 and abs(value) < 0.005:
        return float(f"{value:.3g}")
    if spec.endswith("g"):
        return float(format(value, spec.lstrip("+,")))
    digits = int(spec.rsplit(".", 1)[1].rstrip("f"))
    out = round(value, digits)
    return 0.0 if out == 0 else out


def rounded(df: pd.DataFrame) -> pd.DataFrame:
    """Numbers rounded to the precision the formatted table shows (no float noise such as -2.2e-14);
    whole-number columns (persons) as integers."""
    out = df.copy()
    for col in df.columns:
        if pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col]):
            spec = column_spec(df, col)
            values = [_decimals(spec, float(v)) for v in without_noise(df[col], unit_of_column(col))]
            out[col] = pd.array(values, dtype="Int64") if spec.endswith(".0f") else values
    return out


def to_csv(df: pd.DataFrame) -> str:
    """CSV of a table, index as leading columns, numbers rounded to the precision shown (persons as
    integers); the notes/source line as a final ``# Notes:`` comment line."""
    text = displayed(rounded(df).reset_index(), df).to_csv(index=False, lineterminator="\n")
    notes = notes_of(df)
    return text + (f"# Notes: {notes}\n" if notes else "")


# --------------------------------------------------------------------------------------------------
# writers


def _write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _title(name: str, df: pd.DataFrame) -> str:
    return str(df.attrs.get("title", TITLES.get(name, name)))


def _excel_format(spec: str) -> str:
    """Excel number format showing what the format spec shows (sign, thousands separator, decimals)."""
    if not spec.endswith("f"):
        return "General"
    digits = int(spec.rsplit(".", 1)[1].rstrip("f"))
    body = ("#,##0" if "," in spec else "0") + ("." + "0" * digits if digits else "")
    return f"+{body};-{body};{body}" if spec.startswith("+") else body


def _sheet_name(name: str, used: set[str]) -> str:
    base = "".join(c for c in name if c not in "[]:*?/\\")[:31] or "table"
    sheet, k = base, 1
    while sheet in used:
        k += 1
        sheet = f"{base[:28]}_{k}"
    used.add(sheet)
    return sheet


def _write_xlsx(tables: Mapping[str, pd.DataFrame], path: Path) -> None:
    from openpyxl.utils import get_column_letter

    used: set[str] = set()
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, df in tables.items():
            sheet = _sheet_name(name, used)
            full = df.copy()
            for col in df.columns:
                if pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col]):
                    full[col] = without_noise(df[col], unit_of_column(col))
            flat = displayed(full.reset_index(), df)
            overrides = {
                renamed: column_spec(df, col) for renamed, col in zip(flat.columns[_n_index(df) :], df.columns)
            }
            flat.to_excel(writer, sheet_name=sheet, index=False, startrow=1)
            ws = writer.sheets[sheet]
            ws.cell(row=1, column=1, value=_title(name, df))
            if notes_of(df):
                ws.cell(row=len(flat) + 4, column=1, value=f"Notes: {notes_of(df)}")
            ws.freeze_panes = ws.cell(row=3, column=_n_index(df) + 1)
            for j, col in enumerate(flat.columns, start=1):
                width = max([len(col)] + [len(str(v)) for v in flat[col].head(200).tolist()]) + 2
                ws.column_dimensions[get_column_letter(j)].width = min(max(width, 10), 45)
                if j <= _n_index(df):
                    continue
                number_format = _excel_format(overrides[col])
                for row in ws.iter_rows(min_row=3, min_col=j, max_col=j):
                    row[0].number_format = number_format
            for row in ws.iter_rows():  # labels such as '=cmd|...' stay text, never formulas
                for cell in row:
                    protect_xlsx_cell(cell)


def render(tables: Mapping[str, pd.DataFrame], fmt: str) -> str:
    """Several tables as one text document (``md``, ``latex``; ``csv`` separates tables by ``# name`` lines).

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Tables by name.
    fmt : {"md", "latex", "csv"}
        Output format.

    Returns
    -------
    str
        The document.
    """
    _check_format(fmt)
    if fmt == "xlsx":
        raise ReportError("xlsx is a binary format: give an output file")
    parts = []
    for name, df in tables.items():
        if fmt == "md":
            parts.append(to_markdown(df, _title(name, df)))
        elif fmt == "latex":
            parts.append(to_latex(df, _title(name, df), label=f"tab:cge-{name.replace('_', '-')}"))
        else:
            parts.append((f"# {name}\n" if len(tables) > 1 else "") + to_csv(df))
    return "\n".join(parts)


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ReportError(f"unknown table format {fmt!r}; formats: {', '.join(FORMATS)}")


def write_table(df: pd.DataFrame, fmt: str, path: str | Path | None = None, name: str = "table") -> str | Path:
    """Write one table as Markdown, LaTeX, CSV or Excel.

    Parameters
    ----------
    df : pandas.DataFrame
        A table from this module.
    fmt : {"md", "latex", "csv", "xlsx"}
        Output format.
    path : str, Path or None
        Output file (written atomically); None returns the text (not for ``xlsx``).
    name : str
        Table name (Excel sheet name; title when ``df.attrs`` has none).

    Returns
    -------
    str or Path
        The text when ``path`` is None, else the path written.
    """
    result = write_tables({name: df}, fmt, path)
    return result if isinstance(result, str) else result[0]


def write_tables(tables: Mapping[str, pd.DataFrame], fmt: str, path: str | Path | None = None) -> str | list[Path]:
    """Write several tables: one document (md, latex), one workbook (xlsx) or one file per table (csv).

    With ``csv`` and more than one table, ``results.csv`` becomes ``results_headline.csv``,
    ``results_jobs_by_sector.csv``, ... (one file per table, suffixed with its name).

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Tables by name (as from :func:`report_tables`).
    fmt : {"md", "latex", "csv", "xlsx"}
        Output format.
    path : str, Path or None
        Output file (written atomically); None returns the text (``md``, ``latex``, ``csv``).

    Returns
    -------
    str or list of Path
        The text when ``path`` is None, else the files written.

    Raises
    ------
    ReportError
        For an unknown format, no tables, or ``xlsx`` without a path.
    """
    _check_format(fmt)
    if not tables:
        raise ReportError("no tables to write")
    if path is None:
        return render(tables, fmt)
    path = Path(path)
    if fmt == "xlsx":
        return [atomic_write(path, lambda tmp: _write_xlsx(tables, tmp))]
    if fmt == "csv" and len(tables) > 1:
        paths = {name: path.with_name(f"{path.stem}_{name}{path.suffix or '.csv'}") for name in tables}
        for target in paths.values():  # every target checked before the first is written
            refuse_special_target(target)
        return [_write_text(paths[name], to_csv(df)) for name, df in tables.items()]
    return [_write_text(path, render(tables, fmt))]
