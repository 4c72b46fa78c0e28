"""Tables of a sensitivity analysis (``cge sweep --ssa`` results): mean, standard deviation and
90 % interval of each headline indicator over the draws."""

from __future__ import annotations

import pandas as pd
import xarray as xr

from cge.dims import BASELINE, SCENARIO
from cge.report.labels import REAL_GDP_FORMAT, is_change, pretty_units, sentence_case
from cge.report.selection import require_variables, scenario_labels, scenarios

SWEEP_INDICATORS = (
    ("real_gdp_pct", "Real GDP change"),
    ("ev", "Equivalent variation"),
    ("terms_of_trade_pct", "Terms of trade change"),
    ("employment_change", "Employment change"),
    ("us_na_trade_jobs_gross", "US jobs attributed to trade with Mexico and Canada (gross attribution)"),
    ("agrifood_exports_pct", "Agri-food exports change"),
)
"""Indicators of the sweep tables (those the results hold), with their titles."""


def sweep_table(ds: xr.Dataset, name: str, title: str | None = None) -> pd.DataFrame:
    """Mean, standard deviation and 90 % interval over the draws of a sensitivity analysis.

    Parameters
    ----------
    ds : xarray.Dataset
        Results of ``cge sweep --ssa`` (``<name>_mean``, ``_std``, ``_p05``, ``_p95``).
    name : str
        Indicator, e.g. ``real_gdp_pct``.

    Returns
    -------
    pandas.DataFrame
        Index (region, scenario) or scenario; columns ``mean``, ``std``, ``90% low``, ``90% high``
        with the indicator's units. The unshocked ``baseline`` is left out.
    """
    require_variables(ds, f"{name}_mean")
    mean = ds[f"{name}_mean"]
    units = pretty_units(ds[name].attrs.get("units") if name in ds else mean.attrs.get("units"))
    unit = f" [{units}]" if units else ""
    columns = {"mean": "mean", "std": "std", "p05": "90% low", "p95": "90% high"}
    frame = pd.DataFrame(
        {
            f"{label}{unit}": ds[f"{name}_{suffix}"]
            .transpose(*[d for d in mean.dims if d != SCENARIO], SCENARIO)
            .to_series()
            for suffix, label in columns.items()
        }
    )
    keep = [s for s in scenarios(ds) if s != BASELINE]
    if isinstance(frame.index, pd.MultiIndex):
        frame = frame[frame.index.get_level_values(SCENARIO).isin(keep)]
    else:
        frame = frame.loc[[s for s in frame.index if s in keep]]
    if name == "real_gdp_pct":  # three decimals, like the headline table
        frame.attrs["formats"] = {
            col: REAL_GDP_FORMAT.lstrip("+") if col.startswith("std") else REAL_GDP_FORMAT for col in frame.columns
        }
    changes = is_change(ds[name] if name in ds else mean, name)
    frame.attrs.update(
        title=sentence_case(title or str(ds[name].attrs.get("long_name", name) if name in ds else name)),
        changes=[c for c in frame.columns if not c.startswith("std")] if changes else [],
        scenario_labels=scenario_labels(ds),
    )
    return frame


def sweep_tables(ds: xr.Dataset) -> dict[str, pd.DataFrame]:
    """Sweep tables of every :data:`SWEEP_INDICATORS` entry the results hold."""
    return {name: sweep_table(ds, name, title) for name, title in SWEEP_INDICATORS if f"{name}_mean" in ds}
