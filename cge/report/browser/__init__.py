"""The results browser (``cge view``): pick a variable, slice and pivot it by its dims, compare
scenarios, show group subtotals, sort, export CSV — in a local page or one self-contained HTML
file. See ``docs/view.md``."""

from cge.report.browser.data import all_values, view_dataset, view_index
from cge.report.browser.page import page_html
from cge.report.browser.server import make_server

__all__ = ["all_values", "make_server", "page_html", "view_dataset", "view_index"]
