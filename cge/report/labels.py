"""Labels and units for report tables and plots, read from the variables' ``long_name``/``units`` attrs.

Follows xarray's ``label_from_attrs`` (``xarray/plot/utils.py``): a variable labels itself as
``"long name [units]"``, so plots and tables never hard-code what the results already say.
"""

from __future__ import annotations

import re
import textwrap

import xarray as xr

#: Short unit spellings used in table headers and axis labels.
UNIT_ABBREVIATIONS = {"percent": "%", "1": "", "": ""}

_UNIT_IN_NAME = re.compile(r"\[([^\]]*)\]\s*$")


REAL_GDP_FORMAT = "+.3f"
"""Format of real GDP changes [percent]: three decimals (many are below 0.01 %)."""


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
        percent with 2 decimals, anything else with 4 significant digits.
    """
    sign = "+" if signed else ""
    if unit == "persons":
        return f"{sign},.0f"
    if unit == "US$ bn":
        return f"{sign},.2f"
    if unit == "%":
        return "+.2f"
    return ",.4g"


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
    label = f"{name}{extra}" + (f" [{units}]" if units else "")
    return "\n".join(textwrap.wrap(label, width)) if width else label


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
