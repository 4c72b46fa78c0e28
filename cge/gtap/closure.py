"""Closures of the GTAP v7 model in GEMPACK's terms: exogenous sets, swaps, shocks.

The standard closure is GEMPACK's ``gtapv7.cmf`` (the ``exogenous`` column of ``variables.csv``).
A swap ``a(args) = b(args)`` makes the selected elements of ``a`` endogenous and those of ``b``
exogenous, as in a CMF file. Element arguments follow GEMPACK: a set name (``REG``, ``ENDWC``,
``NMRG``...) selects its elements, a quoted label one element; no arguments select all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import xarray as xr

from cge.gtap.model.coefficients import Coefficients
from cge.gtap.model.variables import SUBSET_BASE, VariableSpec, variable_table


class ClosureSpecError(ValueError):
    """A swap or shock that names an unknown variable, set or element, or is not allowed."""


_CALL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_@]*)\s*(?:\((.*)\))?\s*$")


@dataclass(frozen=True)
class Selection:
    """A variable and the elements an argument list selects (None = all)."""

    name: str
    args: tuple[str, ...] | None = None

    @classmethod
    def parse(cls, text: str) -> Selection:
        """``'tms("food", "USA", REG)'`` -> Selection('tms', ('"food"', '"USA"', 'REG'))."""
        match = _CALL.match(text)
        if not match:
            raise ClosureSpecError(f"cannot read the variable selection {text!r}")
        name, inner = match.group(1), match.group(2)
        if inner is None:
            return cls(name, None)
        args = tuple(a.strip() for a in inner.split(",")) if inner.strip() else ()
        return cls(name, args)


def _set_members(cf: Coefficients, set_name: str, dim: str) -> np.ndarray:
    """Boolean mask over the model dim ``dim`` of the GEMPACK set ``set_name``."""
    base = dim.split("_")[0] if dim.endswith("_2") else dim
    key = set_name.upper()
    n = cf.space.size(base)
    if key == base:
        return np.ones(n, dtype=bool)
    if base == "ENDW" and key in ("ENDWM", "ENDWS", "ENDWF", "ENDWC", "ENDWMS"):
        return cf.masks[key].copy()
    if base == "ENDW" and key == "ENDWFS":
        return cf.masks["ENDWF"] | cf.masks["ENDWS"]
    if base == "COMM" and key == "MARG":
        return cf.masks["MARG"].copy()
    if base == "COMM" and key == "NMRG":
        return ~cf.masks["MARG"]
    raise ClosureSpecError(f"set {set_name} is not a set or subset of {base}")


def select(cf: Coefficients, spec: VariableSpec, args: tuple[str, ...] | None) -> np.ndarray:
    """Mask over a variable's model dims of the elements an argument list selects."""
    shape = cf.space.shape(spec.dims)
    if args is None:
        return np.ones(shape, dtype=bool)
    if len(args) != len(spec.dims):
        raise ClosureSpecError(f"{spec.name} has {len(spec.dims)} arguments ({', '.join(spec.sets)}), got {len(args)}")
    mask = np.ones(shape, dtype=bool)
    for axis, (arg, dim, gset) in enumerate(zip(args, spec.dims, spec.sets)):
        base = dim.split("_")[0] if dim.endswith("_2") else dim
        labels = cf.labels[base]
        if arg[:1] in "\"'" and arg[-1:] == arg[:1]:
            label = arg[1:-1]
            lower = [lab.lower() for lab in labels]
            if label.lower() not in lower:
                raise ClosureSpecError(f"{spec.name}: {label!r} is not an element of {gset} ({', '.join(labels)})")
            along = np.zeros(len(labels), dtype=bool)
            along[lower.index(label.lower())] = True
        else:
            along = _set_members(cf, arg, dim)
        index = [None] * len(shape)
        index[axis] = slice(None)
        mask &= along[tuple(index)]
    return mask


def standard_closure(cf: Coefficients) -> dict[str, np.ndarray]:
    """GEMPACK's standard GTAP v7 closure: exogenous masks of every levels variable."""
    out: dict[str, np.ndarray] = {}
    for name, spec in variable_table().items():
        if spec.treatment == "slot":
            out[name] = np.full(cf.space.shape(spec.dims), spec.exogenous)
    return out


def apply_swap(cf: Coefficients, exogenous: dict[str, np.ndarray], swap: str | tuple[str, str]) -> None:
    """Apply ``a(args) = b(args)``: the selected ``a`` become endogenous, the selected ``b`` exogenous."""
    if isinstance(swap, str):
        if "=" not in swap:
            raise ClosureSpecError(f"a swap reads 'a = b', got {swap!r}")
        left_text, right_text = swap.split("=", 1)
    else:
        left_text, right_text = swap
    table = variable_table()
    sides = []
    for text in (left_text, right_text):
        sel = Selection.parse(text)
        spec = table.get(sel.name) or _case_insensitive(table, sel.name)
        if spec.treatment != "slot":
            raise ClosureSpecError(
                f"cannot swap {spec.name}: it is a path-dependent index in GTAP v7 (treatment {spec.treatment}), "
                "which this implementation computes after the solve and cannot hold fixed"
            )
        sides.append((spec, select(cf, spec, sel.args)))
    (a, mask_a), (b, mask_b) = sides
    if not exogenous[a.name][mask_a].all():
        raise ClosureSpecError(f"swap {left_text.strip()} = {right_text.strip()}: {a.name} is not exogenous there")
    if exogenous[b.name][mask_b].any():
        raise ClosureSpecError(f"swap {left_text.strip()} = {right_text.strip()}: {b.name} is already exogenous there")
    if int(mask_a.sum()) != int(mask_b.sum()):
        raise ClosureSpecError(
            f"swap {left_text.strip()} = {right_text.strip()}: {int(mask_a.sum())} elements against {int(mask_b.sum())}"
        )
    exogenous[a.name] = exogenous[a.name] & ~mask_a
    exogenous[b.name] = exogenous[b.name] | mask_b


def _case_insensitive(table: dict[str, VariableSpec], name: str) -> VariableSpec:
    for key, spec in table.items():
        if key.lower() == name.lower():
            return spec
    raise ClosureSpecError(f"unknown GTAP v7 variable {name!r}")


def variable_spec(name: str) -> VariableSpec:
    """The table row of a variable, by GEMPACK name (case-insensitive)."""
    table = variable_table()
    return table.get(name) or _case_insensitive(table, name)


def shock_array(cf: Coefficients, spec: VariableSpec, value, args: tuple[str, ...] | None = None) -> np.ndarray:
    """Dense array (over the variable's model dims) of a shock: NaN where not shocked.

    ``value`` is a number (uniform over the selected elements) or an ``xarray.DataArray`` over the
    variable's GEMPACK sets (labels as in the database; elements not in it are not shocked).
    """
    shape = cf.space.shape(spec.dims)
    out = np.full(shape, np.nan)
    mask = select(cf, spec, args)
    if isinstance(value, xr.DataArray):
        dims = list(value.dims)
        expected = list(spec.dims)
        renamed = {d: e for d, e in zip(dims, expected) if d != e}
        if len(dims) != len(expected):
            raise ClosureSpecError(f"shock to {spec.name}: array over {tuple(dims)}, expected {tuple(spec.sets)}")
        da = value.rename(renamed) if renamed else value
        full = np.full(shape, np.nan)
        index = []
        for dim in expected:
            base = dim.split("_")[0] if dim.endswith("_2") else dim
            labels = [lab.lower() for lab in cf.labels[base]]
            coords = [str(c).lower() for c in da[dim].values] if dim in da.coords else None
            if coords is None:
                raise ClosureSpecError(f"shock to {spec.name}: {dim} has no labels")
            missing = [c for c in coords if c not in labels]
            if missing:
                raise ClosureSpecError(f"shock to {spec.name}: {missing} not in {base}")
            index.append([labels.index(c) for c in coords])
        full[np.ix_(*index)] = np.asarray(da.transpose(*expected).values, dtype=float)
        out = np.where(mask, full, np.nan)
    else:
        number = float(value)
        out[mask] = number
    if not np.all(np.isfinite(out[~np.isnan(out)])):
        raise ClosureSpecError(f"shock to {spec.name} is not finite")
    return out


__all__ = [
    "ClosureSpecError",
    "Selection",
    "SUBSET_BASE",
    "apply_swap",
    "select",
    "shock_array",
    "standard_closure",
    "variable_spec",
]
