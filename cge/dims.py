"""Dimension and coordinate names shared by the SAM, the model and the results.

Kept in one place so that every module spells them the same way (see DESIGN.md §7).
"""

REGION = "region"
EXPORTER = "exporter"
IMPORTER = "importer"
COMMODITY = "commodity"
ACTIVITY = "activity"
FACTOR = "factor"
AGENT = "agent"
SCENARIO = "scenario"
COMPONENT = "component"
"""Component of the welfare decomposition (``ev_decomposition``)."""
INSTRUMENT = "instrument"
"""Tax instrument of the allocative-efficiency detail (tariff, export tax, production tax)."""
PARTNER = "partner"
"""Trading partner of a region (welfare detail)."""
PART = "part"
"""Part of the trade-supported jobs measure (exports/imports x direct/indirect/induced)."""
DRAW = "draw"
"""Draw of a sensitivity analysis (``cge sweep --ssa`` results)."""
BASELINE = "baseline"
"""Name of the unshocked scenario that every run includes."""
BENCHMARK = "benchmark"
"""Reference of results measured against the SAM itself (their ``reference_scenario`` attr); not a scenario name."""

FACTOR_TYPE = "factor_type"
GOODS = "goods"
AGRIFOOD = "agrifood"

HOUSEHOLD = "household"
GOVERNMENT = "government"
INVESTMENT = "investment"
AGENTS = (HOUSEHOLD, GOVERNMENT, INVESTMENT)

LABOUR = "labour"
CAPITAL = "capital"
LAND = "land"
NATURAL_RESOURCE = "natural_resource"
FACTOR_TYPES = (LABOUR, CAPITAL, LAND, NATURAL_RESOURCE)

# GTAP v7 results (cge.indicators.gtap)
SKILL = "skill"
"""Labour endowment of a GTAP database (its skill split: the endowments with persons in the
``employment`` satellite)."""
MARGIN = "margin"
"""International margin commodity (GTAP set MARG)."""
ORIGIN = "origin"
"""Domestic or imported purchases (GTAP set DIR)."""
TECHNOLOGY = "technology"
"""Type of technical change of the welfare decomposition (GTAP set TECHTYPE)."""
SUBTOTAL = "subtotal"
"""Contribution of a shock group (GEMPACK subtotals); the first label is ``total``."""
TOTAL = "total"
"""Label of the ``subtotal`` dim that holds the whole result."""
LABOUR_CLOSURE = "labour_closure"
"""Labour-market closure under which a counterfactual was solved (``us_na_trade_jobs_net``)."""
