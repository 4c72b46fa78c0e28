"""The variable table of the GTAP v7 model (``variables.csv``): one row per GEMPACK variable.

Columns
-------
name : GEMPACK name (case as in GTAPv7.tab).
sets : the variable's GEMPACK sets, e.g. ``COMM REG REG`` (a repeated set is the source then the
    destination region).
type : ``pct`` (percentage change of a level) or ``change`` (ordinary change).
treatment : how the model computes it:
    ``slot`` a levels variable (an unknown, a parameter or an explicit definition, as the closure
    decides); ``path`` an index GEMPACK defines by a linearised equation whose integral depends on
    the path of the shock (GDP and trade indices, ``u``, ``psave``...), integrated along it;
    ``ev`` from the shadow demand system of the equivalent variation; ``decomposition`` a term of
    the welfare decomposition (``EV_ALT``, ``CNT*``), integrated along the path.
degree : homogeneity degree in prices (1 for prices and values, 0 for quantities and ratios); a
    change variable of degree 1 is a US$ value (:data:`NOMINAL_CHANGE_BASE`).
unknown : ``yes`` keeps an explicitly defined variable as an unknown of the Newton system
    (it cuts long chains of substitutions, which keeps the Jacobian sparse).
exogenous : ``yes`` in GEMPACK's standard closure of ``gtapv7.cmf``.
equation : the TABLO equation(s) that explain it in the standard closure.
units, description : for results and documentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from cge.gtap.model.coefficients import Coefficients

_TABLE = Path(__file__).resolve().parent / "variables.csv"

SUBSET_BASE = {"ENDWMS": "ENDW", "ENDWF": "ENDW", "ENDWC": "ENDW", "ENDWS": "ENDW", "ENDWM": "ENDW"}
"""GEMPACK subsets that the model stores over their parent set (with a domain mask)."""


@dataclass(frozen=True)
class VariableSpec:
    """One row of the variable table, with the model's own set names."""

    name: str
    sets: tuple[str, ...]
    dims: tuple[str, ...]
    type: str
    treatment: str
    degree: int
    unknown: bool
    exogenous: bool
    equation: str
    units: str
    description: str

    @property
    def is_change(self) -> bool:
        return self.type == "change"


def model_dims(sets: tuple[str, ...]) -> tuple[str, ...]:
    """The model's dims for GEMPACK sets: subsets become their parent set; a repeated set gets ``_2``."""
    dims: list[str] = []
    for s in sets:
        base = SUBSET_BASE.get(s, s)
        dims.append(base if base not in dims else f"{base}_2")
    return tuple(dims)


@cache
def variable_table() -> dict[str, VariableSpec]:
    """All variables by name, in table order."""
    df = pd.read_csv(_TABLE, keep_default_na=False)
    out: dict[str, VariableSpec] = {}
    for row in df.itertuples(index=False):
        sets = tuple(str(row.sets).split())
        out[row.name] = VariableSpec(
            name=row.name,
            sets=sets,
            dims=model_dims(sets),
            type=row.type,
            treatment=row.treatment,
            degree=int(row.degree),
            unknown=row.unknown == "yes",
            exogenous=row.exogenous == "yes",
            equation=row.equation,
            units=row.units,
            description=row.description,
        )
    return out


def element_degree(cf: Coefficients, name: str, degree: int) -> np.ndarray | int:
    """Homogeneity degree of a variable's elements: ``ps`` and ``pca`` of commodities an activity
    does not make are not prices (TABLO: pca = 0, ps = -to there) and do not scale."""
    if name == "pfactwld":  # the numeraire: GEMPACK's index equals its exogenous value
        return 0
    if name == "ps":
        return (cf.MAKS > 0).astype(int) * degree
    if name == "pca":
        return (cf.MAKB > 0).astype(int) * degree
    return degree


NOMINAL_CHANGE_BASE = {"del_tbal": "TBAL", "del_tbalc": "TBALC", "del_tbalpf": "TBALWLD"}
"""Change variables in US$ (degree 1): the coefficient holding their benchmark level. GEMPACK's
change is ``lambda * (base + change) - base`` with ``lambda`` its price level over the levels
model's (:mod:`cge.gtap.path`). ``del_tbalpf`` (the trade balance over ``pfactwld``, in percent
of benchmark world income) is among them: a numeraire shock leaves it unchanged, but ``lambda``
rescales it as every value, because ``pfactwld`` is GEMPACK's chained index in the results and
the levels model's fixed-weight one."""
