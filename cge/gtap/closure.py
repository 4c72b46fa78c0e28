"""Closures and shocks of the GTAP v7 model in GEMPACK's terms (CMF files or Python).

The standard closure is GEMPACK's ``gtapv7.cmf`` (the ``exogenous`` column of ``variables.csv``).
A swap ``a(args) = b(args)`` makes the selected elements of ``a`` endogenous and those of ``b``
exogenous. Element arguments follow GEMPACK (:func:`cge.gtap.cmf.select`): a set name (``REG``,
``ENDWC``, ``NMRG``...) selects its elements, a quoted label one element, no arguments all.

Variables this implementation adds as exogenous parameters (the agents' tax powers ``tfd``,
``tfm``, ``tfe``, ``tgd``, ``tgm``, ``tid``, ``tim``, the shifters ``tpdall``, ``tpmall``,
``avaall``, ``atall``) stay exogenous when a CMF's exogenous list does not mention them.
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from cge.errors import CmfError
from cge.gtap.cmf import CmfSpec, Shock, VarRef, _did_you_mean, at, parse_cmf, select, shock_values
from cge.gtap.model.coefficients import Coefficients
from cge.gtap.model.variables import VariableSpec, variable_table

EXTRA_EXOGENOUS = ("tfd", "tfm", "tfe", "tgd", "tgm", "tid", "tim", "tpdall", "tpmall", "avaall", "atall")
"""Exogenous variables of this implementation that GEMPACK's gtapv7.cmf does not list."""


class ClosureSpecError(CmfError):
    """A swap, closure or shock that names an unknown variable, set or element, or is not allowed."""


def variable_spec(name: str) -> VariableSpec:
    """The table row of a variable, by GEMPACK name (case-insensitive)."""
    table = variable_table()
    spec = table.get(name)
    if spec is None:
        spec = next((s for key, s in table.items() if key.lower() == name.lower()), None)
    if spec is None or name == "save_value":
        raise ClosureSpecError(f"unknown GTAP v7 variable {name!r}{_did_you_mean(name, list(table))}")
    return spec


def gempack_dims(spec: VariableSpec) -> tuple[str, ...]:
    """The variable's dims as GEMPACK sets (a repeated set gets ``_2``)."""
    dims: list[str] = []
    for s in spec.sets:
        dims.append(s if s not in dims else f"{s}_2")
    return tuple(dims)


def to_model_array(cf: Coefficients, spec: VariableSpec, values: xr.DataArray, fill: float) -> np.ndarray:
    """A DataArray over the variable's GEMPACK sets as a dense array over the model's dims
    (labels matched case-insensitively; a subset such as ENDWMS is placed within ENDW)."""
    out = np.full(cf.space.shape(spec.dims), fill, dtype=np.asarray(values.values).dtype)
    index = []
    for gdim, mdim in zip(gempack_dims(spec), spec.dims):
        base = mdim.split("_")[0] if mdim.endswith("_2") else mdim
        labels = [lab.lower() for lab in cf.labels[base]]
        index.append([labels.index(str(v).lower()) for v in values[gdim].values])
    if index:
        out[np.ix_(*index)] = np.asarray(values.transpose(*gempack_dims(spec)).values)
    else:
        out[...] = np.asarray(values.values)
    return out


def selection_mask(cf: Coefficients, ds: xr.Dataset, ref: VarRef) -> tuple[VariableSpec, np.ndarray]:
    """The variable a reference names and the mask of the elements it selects (model dims)."""
    spec = variable_spec(ref.name)
    mask = select(ref.args, gempack_dims(spec), ds)
    return spec, to_model_array(cf, spec, mask, False).astype(bool)


def standard_closure(cf: Coefficients) -> dict[str, np.ndarray]:
    """GEMPACK's standard GTAP v7 closure: exogenous masks of every levels variable."""
    return {
        name: np.full(cf.space.shape(spec.dims), spec.exogenous)
        for name, spec in variable_table().items()
        if spec.treatment == "slot"
    }


def closure_from_cmf(cf: Coefficients, ds: xr.Dataset, spec: CmfSpec) -> dict[str, np.ndarray]:
    """The exogenous masks a CMF's ``exogenous``/``endogenous``/``rest`` statements give (swaps
    are applied separately, by :func:`apply_swap`)."""
    if not spec.exogenous and not spec.endogenous and spec.rest is None:
        return standard_closure(cf)
    if spec.rest == "exogenous":
        raise ClosureSpecError(
            "'rest exogenous' is not supported: list the exogenous variables and say 'rest endogenous'"
        )
    out = {
        name: np.zeros(cf.space.shape(s.dims), dtype=bool)
        for name, s in variable_table().items()
        if s.treatment == "slot"
    }
    for name in EXTRA_EXOGENOUS:
        out[name][...] = True
    for ref in spec.exogenous:
        with at(ref.where):
            var, mask = selection_mask(cf, ds, ref)
            _require_levels(var, "exogenous")
        out[var.name] |= mask
    for ref in spec.endogenous:
        with at(ref.where):
            var, mask = selection_mask(cf, ds, ref)
        if var.treatment == "slot":
            out[var.name] &= ~mask
    return out


def _require_levels(var: VariableSpec, role: str) -> None:
    if var.treatment != "slot":
        raise ClosureSpecError(
            f"{var.name} cannot be {role}: it is a path-dependent index in GTAP v7 (treatment {var.treatment}), "
            "which this implementation computes after the solve and cannot hold fixed"
        )


def parse_swap(text: str) -> tuple[VarRef, VarRef]:
    """``'dpsave("USA") = del_tbalry("USA")'`` as two variable references."""
    if "=" not in text:
        raise ClosureSpecError(
            f"swap {text!r}: write 'a = b' (a exogenous now, b endogenous), e.g. 'dpsave = del_tbalry'"
        )
    try:
        parsed = parse_cmf(f"swap {text};")
    except CmfError as exc:
        raise ClosureSpecError(f"swap {text!r}: {exc}") from None
    return parsed.swaps[0]


def apply_swap(
    cf: Coefficients, ds: xr.Dataset, exogenous: dict[str, np.ndarray], swap: str | tuple[VarRef, VarRef]
) -> None:
    """Apply ``a(args) = b(args)``: the selected ``a`` become endogenous, the selected ``b`` exogenous."""
    left, right = parse_swap(swap) if isinstance(swap, str) else swap
    with at(left.where):
        _apply_swap(cf, ds, exogenous, left, right)


def _apply_swap(
    cf: Coefficients, ds: xr.Dataset, exogenous: dict[str, np.ndarray], left: VarRef, right: VarRef
) -> None:
    (a, mask_a), (b, mask_b) = selection_mask(cf, ds, left), selection_mask(cf, ds, right)
    _require_levels(a, "swapped")
    _require_levels(b, "swapped")
    text = f"swap {left} = {right}"
    if not exogenous[a.name][mask_a].all():
        raise ClosureSpecError(f"{text}: {a.name} is not exogenous there")
    if exogenous[b.name][mask_b].any():
        raise ClosureSpecError(f"{text}: {b.name} is already exogenous there")
    if int(mask_a.sum()) != int(mask_b.sum()):
        raise ClosureSpecError(f"{text}: {int(mask_a.sum())} elements against {int(mask_b.sum())}")
    exogenous[a.name] = exogenous[a.name] & ~mask_a
    exogenous[b.name] = exogenous[b.name] | mask_b


def shock_array(
    cf: Coefficients, ds: xr.Dataset, key: str | VarRef | Shock, value=None, cmf: CmfSpec | None = None
) -> tuple[VariableSpec, np.ndarray]:
    """A shock as (variable, dense array over its model dims with NaN where not shocked).

    ``key`` is a variable name or reference (``'tms("food", "USA", REG)'``) with ``value`` a number
    (uniform) or a DataArray over the variable's GEMPACK sets; or a parsed CMF :class:`Shock`.
    """
    if isinstance(key, Shock):
        with at(key.where or f"line {key.line}"):
            if key.kind in ("ashock", "tshock"):
                raise ClosureSpecError(f"{key.kind} statements are not supported; use 'shock'")
            spec = variable_spec(key.var.name)
            values = shock_values(key, gempack_dims(spec), ds, cmf)
            array = to_model_array(cf, spec, values, np.nan)
            if key.kind == "change" and not spec.is_change:
                raise ClosureSpecError(f"'change' of {spec.name}, a percentage-change variable, is not supported")
        return spec, array
    ref = parse_swap(f"{key} = {key}")[0] if isinstance(key, str) else key
    spec = variable_spec(ref.name)
    mask = select(ref.args, gempack_dims(spec), ds)
    if isinstance(value, xr.DataArray):
        renamed = value.rename({d: g for d, g in zip(value.dims, gempack_dims(spec)) if d != g})
        if set(renamed.dims) != set(gempack_dims(spec)):
            raise ClosureSpecError(f"shock to {spec.name}: array over {value.dims}, expected {gempack_dims(spec)}")
        full = xr.full_like(mask, np.nan, dtype=float)
        try:
            full.loc[{d: renamed[d].values for d in renamed.dims}] = renamed.transpose(*full.dims).values
        except KeyError as exc:
            raise ClosureSpecError(f"shock to {spec.name}: {exc} is not an element of the variable's sets") from None
        values = full.where(mask)
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ClosureSpecError(f"shock to {spec.name}: {value!r} is not a number") from None
        if not math.isfinite(number):  # NaN would mean "not shocked": a zero shock, silently
            raise ClosureSpecError(f"shock to {spec.name}: {value!r} is not a finite number")
        values = xr.full_like(mask, np.nan, dtype=float).where(~mask, number)
    array = to_model_array(cf, spec, values, np.nan)
    finite = array[~np.isnan(array)]
    if not np.all(np.isfinite(finite)):
        raise ClosureSpecError(f"shock to {spec.name} is not finite")
    return spec, array
