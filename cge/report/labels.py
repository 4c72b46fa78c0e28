"""Labels and units for report tables and plots, read from the variables' ``long_name``/``units`` attrs.

Follows xarray's ``label_from_attrs`` (``xarray/plot/utils.py``): a variable labels itself as
``"long name [units]"``, so plots and tables never hard-code what the results already say.
"""

from __future__ import annotations

import re
import textwrap

import numpy as np
import xarray as xr

from cge.indicators.registry import reference_rule

#: Short unit spellings used in table headers and axis labels.
UNIT_ABBREVIATIONS = {"percent": "%", "1": "", "": ""}

_UNIT_IN_NAME = re.compile(r"\[([^\]]*)\]\s*$")


REAL_GDP_FORMAT = "+.3f"
"""Format of real GDP changes [percent]: three decimals (many are below 0.01 %)."""

ZERO_TOLERANCE = 1e-9
"""Values smaller in magnitude than this, in their own units, or than this times the largest
magnitude in their column, are solver noise: tables and charts show them as 0 (no ``9.89e-13``)."""
PERSONS_TOLERANCE = 0.5
"""Head counts below half a person are noise too (employment is ~1e8 persons, so a solver's
relative 1e-14 is ~1e-6 persons)."""


def without_noise(values, units: str | None = None) -> np.ndarray:
    """``values`` with solver noise set to exactly 0.

    Parameters
    ----------
    values : array-like of float
        One column of a table, or the values of one chart.
    units : str or None
        Their units (``persons``: counts, whose noise floor is :data:`PERSONS_TOLERANCE`).

    Returns
    -------
    numpy.ndarray
        Float copy; entries with ``|x| <= ZERO_TOLERANCE * max(1, max |values|)`` (or below
        half a person) are 0; NaN kept.
    """
    out = np.array(values, dtype=float, copy=True)
    finite = np.isfinite(out)
    if not finite.any():
        return out
    scale = max(1.0, float(np.abs(out[finite]).max()))
    tolerance = max(ZERO_TOLERANCE * scale, PERSONS_TOLERANCE if units in ("persons", "[persons]") else 0.0)
    out[finite & (np.abs(out) < tolerance)] = 0.0
    out[finite & (np.abs(out) <= ZERO_TOLERANCE * scale)] = 0.0
    return out


COLUMN_LABELS = {
    "real_gdp_pct": "real GDP",
    "real_gdp": "real GDP",
    "ev": "EV",
    "utility_pct": "utility",
    "terms_of_trade_pct": "terms of trade",
    "employment_change": "employment change",
    "employment_total": "employment",
    "tariff_revenue": "tariff revenue",
    "trade_balance": "trade balance",
    "agrifood_exports_pct": "agri-food exports",
    "agrifood_exports_total": "agri-food exports",
    "us_na_trade_jobs_gross": "gross trade-attributed jobs",
}
"""Short column labels of the indicators, shared by every table (``headline``, ``cge diff``, sweeps)."""
WELFARE_COMPONENTS = {
    "alloc_A1": "allocative efficiency",
    "ENDWB1": "endowments",
    "tech_C1": "technical change",
    "pop_D1": "population",
    "tot_E1": "terms of trade",
    "IS_F1": "investment-saving",
    "pref_G1": "preferences",
}
"""Labels of the components of ``ev_decomposition`` (the columns of GTAP's WELVIEW summary)."""
LONGEST_LABEL = 40
"""Longest ``long_name`` used as a column label; longer ones give way to the variable's name."""


def column_label(da: xr.DataArray, name: str | None = None) -> str:
    """Column header ``"label [units]"`` of a variable, the same in every table.

    The label is the variable's ``short_name`` attr, else its entry in :data:`COLUMN_LABELS`,
    else its ``long_name`` (without a trailing ``": change"``) when at most
    :data:`LONGEST_LABEL` characters, else its name.

    Parameters
    ----------
    da : xarray.DataArray
        The variable (its ``long_name``, ``units``, ``short_name`` attrs).
    name : str or None
        Its name (default ``da.name``).
    """
    name = str(name if name is not None else da.name)
    long_name = str(da.attrs.get("long_name", "")).removesuffix(": change")
    label = da.attrs.get("short_name") or COLUMN_LABELS.get(name)
    if not label:
        label = long_name if long_name and len(long_name) <= LONGEST_LABEL else name
    units = pretty_units(da.attrs.get("units"))
    return f"{label} [{units}]" if units else str(label)


def welfare_component_label(component) -> str:
    """Row label of a welfare-decomposition component: its :data:`WELFARE_COMPONENTS` label with
    the WELVIEW column in brackets (``"terms of trade (tot_E1)"``), else its name without underscores."""
    name = str(component)
    return f"{WELFARE_COMPONENTS[name]} ({name})" if name in WELFARE_COMPONENTS else name.replace("_", " ")


def is_change(da: xr.DataArray, name: str | None = None) -> bool:
    """Whether a variable holds changes (percent changes, EV, employment change): shown with a sign.

    Follows the variable's ``reference`` rule (:func:`cge.indicators.registry.reference_rule`):
    ``ratio`` and ``difference`` are changes, levels are not.
    """
    return reference_rule(str(name if name is not None else da.name), da.attrs) in ("ratio", "difference")


def number_format(unit: str, signed: bool) -> str:
    """Format spec of a table column by its printed unit.

    Parameters
    ----------
    unit : str
        Printed unit (``"%"``, ``"US$ bn"``, ``"persons"`` or other).
    signed : bool
        Whether the column holds changes (shown with ``+``/``-``); percent columns always are.

    Returns
    -------
    str
        A ``format()`` spec: persons with thousands separators and no decimals, US$ bn and
        percent with 2 decimals, anything else with 4 significant digits; changes with a sign.
    """
    sign = "+" if signed else ""
    if unit == "persons":
        return f"{sign},.0f"
    if unit == "US$ bn":
        return f"{sign},.2f"
    if unit == "%":
        return "+.2f"
    return f"{sign},.4g"


def pretty_units(units: str | None) -> str:
    """Short form of a ``units`` attr (``"percent"`` -> ``"%"``; dimensionless -> ``""``).

    Parameters
    ----------
    units : str or None
        The ``units`` attr of a variable.

    Returns
    -------
    str
        The unit as printed in labels and headers.
    """
    if units is None:
        return ""
    return UNIT_ABBREVIATIONS.get(str(units), str(units))


def label_from_attrs(da: xr.DataArray, extra: str = "", width: int | None = None) -> str:
    """Axis label ``"long name [units]"`` from a variable's attrs.

    Parameters
    ----------
    da : xarray.DataArray
        Variable with (ideally) ``long_name`` and ``units`` attrs; falls back to its name.
    extra : str
        Text appended to the long name (e.g. ``", change vs baseline"``).
    width : int or None
        Wrap the label at this many characters (``None`` = no wrapping).

    Returns
    -------
    str
        The label.
    """
    name = str(da.attrs.get("long_name", da.name if da.name is not None else ""))
    units = pretty_units(da.attrs.get("units"))
    return wrap_label(f"{name}{extra}", units, width)


def wrap_label(text: str, units: str = "", width: int | None = None) -> str:
    """``"text [units]"`` wrapped at ``width`` characters between words, never inside the units.

    Parameters
    ----------
    text : str
        The label.
    units : str
        Units, appended in brackets and kept on one line (``[US$ bn]``).
    width : int or None
        Wrap at this many characters (None = one line).
    """
    unit = f"[{units}]" if units else ""
    if not width:
        return f"{text} {unit}".strip()
    lines = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]
    if unit:
        if len(lines[-1]) + 1 + len(unit) <= width:
            lines[-1] = f"{lines[-1]} {unit}".strip()
        else:
            lines.append(unit)
    return "\n".join(lines)


def unit_of_column(column: str) -> str:
    """The unit written in brackets at the end of a table column name (``"EV [US$ bn]"`` -> ``"US$ bn"``).

    Parameters
    ----------
    column : str
        Column name.

    Returns
    -------
    str
        The unit, or ``""`` when the name carries none.
    """
    match = _UNIT_IN_NAME.search(str(column))
    return match.group(1) if match else ""


def pair_label(exporter: str, importer: str) -> str:
    """Label of a bilateral flow: ``"USA → MEX"``."""
    return f"{exporter} \N{RIGHTWARDS ARROW} {importer}"


def sentence_case(text: str) -> str:
    """First letter upper case, the rest as written (``real GDP`` -> ``Real GDP``)."""
    return text[:1].upper() + text[1:]
