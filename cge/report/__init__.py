"""Report tables (Markdown, LaTeX, CSV, Excel) and plots (PNG) from a results Dataset.

Everything here reads the ``xarray.Dataset`` that :func:`cge.run` returns (or a netCDF file written
by ``cge run`` / ``cge compare``); nothing is re-solved. See ``docs/reporting.md``.
"""

from cge.report.selection import ReportError, select, source_note
from cge.report.tables import (
    TITLES,
    agrifood_exports_table,
    headline_table,
    jobs_by_sector_table,
    report_tables,
    sweep_table,
    trade_by_partner_table,
    trade_jobs_table,
    variable_table,
    welfare_table,
)
from cge.report.writers import write_table, write_tables

__all__ = [
    "TITLES",
    "ReportError",
    "agrifood_exports_table",
    "headline_table",
    "jobs_by_sector_table",
    "report_tables",
    "select",
    "source_note",
    "sweep_table",
    "variable_table",
    "trade_by_partner_table",
    "trade_jobs_table",
    "welfare_table",
    "write_table",
    "write_tables",
    "write_plots",
]


def __getattr__(name: str):
    # plots import matplotlib: load them only when asked for
    if name == "write_plots":
        from cge.report.plots import write_plots

        return write_plots
    raise AttributeError(name)
