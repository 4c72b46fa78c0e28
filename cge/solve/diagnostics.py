"""Failure diagnostics: residuals by equation block and index; structural singularity via
Pyomo's incidence analysis (Dulmage–Mendelsohn decomposition)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from cge.solve.casadi_bridge import CompiledModel

log = logging.getLogger(__name__)


def residual_table(compiled: CompiledModel, x: np.ndarray, p: np.ndarray, top: int = 20) -> pd.DataFrame:
    """Largest absolute residuals at (x, p) with their equation block and index.

    Returns
    -------
    pandas.DataFrame
        Columns ``block`` (constraint component), ``index`` (labels), ``residual``
        [relative units], sorted by absolute size, at most ``top`` rows, followed by one row
        per block with the block's largest residual if not already shown.
    """
    g = compiled.eval_residual(x, p)
    order = np.argsort(-np.nan_to_num(np.abs(g), nan=np.inf))
    rows = []
    for k in order[:top]:
        con = compiled.constraints[k]
        rows.append({"block": con.parent_component().local_name, "index": con.index(), "residual": g[k]})
    return pd.DataFrame(rows, columns=["block", "index", "residual"])


def structural_report(model: pyo.ConcreteModel, limit: int = 10) -> str:
    """Dulmage–Mendelsohn summary of the active equations and free variables.

    An empty under- and over-constrained part means the system is structurally nonsingular (a
    failure is then numerical, e.g. a shock too large for the data). Otherwise the unmatched
    variables and equations are named.
    """
    try:
        from pyomo.contrib.incidence_analysis import IncidenceGraphInterface

        igraph = IncidenceGraphInterface(model, include_inequality=False)
        var_dm, con_dm = igraph.dulmage_mendelsohn()
    except Exception as exc:  # diagnostics must never hide the original failure
        log.warning("structural analysis failed: %s", exc)
        return f"structural analysis unavailable: {exc}"
    under_v = var_dm.unmatched + var_dm.underconstrained
    over_c = con_dm.unmatched + con_dm.overconstrained
    if not under_v and not over_c:
        return "structure: nonsingular (Dulmage-Mendelsohn finds no under- or over-constrained part)"
    parts = ["structure: SINGULAR"]
    if under_v:
        names = ", ".join(v.name for v in under_v[:limit])
        parts.append(f"  {len(under_v)} under-determined variables, e.g. {names}")
    if over_c:
        names = ", ".join(c.name for c in over_c[:limit])
        parts.append(f"  {len(over_c)} over-determined equations, e.g. {names}")
    return "\n".join(parts)
