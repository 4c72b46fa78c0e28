"""Split one sector of a balanced SAM into sub-sectors from external shares (GTAP's SplitCom technique).

:func:`split_sector` works on any SAM in the schema. For a parent sector ``p`` and children
``k`` it needs, per region, the children's shares of ``p``'s output (``output_share``) and
optionally, per exporter and importer, their shares of ``p``'s bilateral trade (``trade_share``;
default: the exporter's output shares) and their cost structure (``va_intensity``,
``labour_share``; default: the parent's — "same input structure unless data say otherwise").
All values US$ million. For each region ``r``:

1. **Imports** of ``p`` from every exporter (``vxmd``, ``xtax``, ``vims``) are split by the trade
   shares, so each child keeps the parent's tariff and export-tax rates; the users' purchases of
   imported ``p`` (``vifm``, ``vifd``) are split by the children's shares of ``p``'s imports
   (every user buys the same import mix, GTAP's proportionality assumption).
2. **Costs** of activity ``p``: child ``k`` produces ``Y_k = ω_k Y``. Its value added is
   ``v_k ω_k Y`` with ``v_k`` proportional to ``va_intensity`` and scaled so the children's
   value added sums to the parent's; its labour payments are proportional to ``labour_share``
   likewise; intermediates (domestic and imported, in the parent's input mix) are the rest;
   ``ptax`` follows output. Without cost data every input is split by ``ω``.
3. **Domestic sales** of commodity ``p`` (``vdfm`` rows incl. the children's own use, ``vdfd``)
   are split by ``D_k / D``, ``D_k = Y_k −`` the child's exports: every domestic user buys the
   same domestic mix. A negative ``D_k`` (a child exporting more than it produces) is an error.
4. ``employment`` follows the children's labour payments; ``goods``/``agrifood`` flags are the
   parent's.

Every account of :func:`cge.sam.check_sam` stays balanced; income, spending, savings, tariff
revenue and factor payments by region are unchanged. Reference: Horridge, M. (2005),
"SplitCom: Programs to disaggregate a GTAP sector", Centre of Policy Studies, Monash University.
"""

from __future__ import annotations

import logging

import numpy as np
import xarray as xr

from cge.dims import (
    ACTIVITY,
    AGENT,
    AGRIFOOD,
    COMMODITY,
    EXPORTER,
    FACTOR,
    FACTOR_TYPE,
    GOODS,
    IMPORTER,
    LABOUR,
    REGION,
)
from cge.sam import check_sam, output_cost, sam_hash

log = logging.getLogger(__name__)

CHILD = "child"
"""Dimension of the split shares."""


class SplitError(ValueError):
    """Shares that cannot split the sector (wrong labels, not summing to 1, negative domestic sales)."""


def _check_shares(share: xr.DataArray, children: list[str], over: str, name: str) -> xr.DataArray:
    if CHILD not in share.dims or [str(c) for c in share[CHILD].values] != children:
        raise SplitError(f"{name}: needs a '{CHILD}' dimension with labels {children}")
    if bool((share < 0).any()) or not bool(np.allclose(share.sum(CHILD), 1.0, atol=1e-9)):
        bad = share.sum(CHILD).where(np.abs(share.sum(CHILD) - 1.0) > 1e-9, drop=True)
        raise SplitError(f"{name}: shares must be >= 0 and sum to 1 over children for every {over}: {bad.to_series()}")
    return share


def _replace(da: xr.DataArray, dim: str, parent: str, parts: xr.DataArray, labels: list[str]) -> xr.DataArray:
    """``da`` with the ``parent`` slice of ``dim`` replaced by ``parts`` (dim ``child``), in ``labels`` order."""
    rest = da.drop_sel({dim: parent})
    new = parts.rename({CHILD: dim})
    out = xr.concat([rest, new.transpose(*[d for d in da.dims])], dim=dim, join="outer", fill_value=0.0)
    return out.sel({dim: labels}).transpose(*da.dims)


def _normalised(raw: xr.DataArray, weight: xr.DataArray, total: xr.DataArray) -> xr.DataArray:
    """Ratios proportional to ``raw`` (region × child), scaled so that ``Σ_k ratio_k weight_k = total``."""
    denom = (raw * weight).sum(CHILD)
    return xr.where(denom > 0, raw * total / denom.where(denom > 0, 1.0), 0.0)


def split_sector(
    sam: xr.Dataset,
    parent: str,
    output_share: xr.DataArray,
    trade_share: xr.DataArray | None = None,
    va_intensity: xr.DataArray | None = None,
    labour_share: xr.DataArray | None = None,
) -> xr.Dataset:
    """Split sector ``parent`` (commodity and activity) into the children of the share arrays.

    Parameters
    ----------
    sam : xarray.Dataset
        Balanced SAM in the schema [US$ million].
    parent : str
        The sector to split.
    output_share : xarray.DataArray, dims (region, child)
        Children's shares of the parent's output in each region (sum to 1).
    trade_share : xarray.DataArray, dims (exporter, importer, child), optional
        Children's shares of the parent's bilateral trade; default: the exporter's output shares.
    va_intensity : xarray.DataArray, dims (region, child), optional
        Relative value added per unit of output (any scale; e.g. VA/GO from statistics); NaN or
        absent rows keep the parent's structure.
    labour_share : xarray.DataArray, dims (region, child), optional
        Relative labour share of value added (any scale), as ``va_intensity``.

    Returns
    -------
    xarray.Dataset
        The SAM with the children in place of ``parent`` (checked; ``sam_hash`` refreshed).

    Raises
    ------
    SplitError
        Naming the labels or shares that cannot split the sector.
    """
    labels = [str(s) for s in sam[COMMODITY].values]
    if parent not in labels:
        raise SplitError(f"sector {parent!r} is not in the SAM ({labels})")
    children = [str(c) for c in output_share[CHILD].values]
    clash = sorted(set(children) & (set(labels) - {parent}))
    if clash or len(set(children)) != len(children):
        raise SplitError(f"children {children} of {parent!r} must be new, distinct labels (clash: {clash})")
    regions = [str(r) for r in sam[REGION].values]
    omega = _check_shares(
        output_share.transpose(REGION, CHILD).sel({REGION: regions}), children, "region", "output_share"
    )
    if trade_share is None:
        trade_share = omega.rename({REGION: EXPORTER}) * xr.ones_like(sam[IMPORTER], dtype=float)
    theta = _check_shares(
        trade_share.transpose(EXPORTER, IMPORTER, CHILD).sel({EXPORTER: regions, IMPORTER: regions}),
        children,
        "exporter-importer pair",
        "trade_share",
    )
    new_labels = labels[: labels.index(parent)] + children + labels[labels.index(parent) + 1 :]
    flags = {flag: sam[flag].to_series() for flag in (GOODS, AGRIFOOD) if flag in sam.coords}
    flag_attrs = {flag: sam[flag].attrs for flag in flags}
    sam = sam.drop_vars(list(flags))
    out = {}

    def sel_c(da: xr.DataArray) -> xr.DataArray:
        return da.sel({COMMODITY: parent}, drop=True)

    def sel_a(da: xr.DataArray) -> xr.DataArray:
        return da.sel({ACTIVITY: parent}, drop=True)

    # 1. imports of the parent commodity, split by trade shares; users' imports by import shares
    for var in ("vxmd", "xtax", "vims"):
        out[var] = _replace(sam[var], COMMODITY, parent, sel_c(sam[var]) * theta, new_labels)
    imports = out["vims"].sel({COMMODITY: children}).sum(EXPORTER).rename({COMMODITY: CHILD, IMPORTER: REGION})
    total_imports = imports.sum(CHILD)
    mu = xr.where(total_imports > 0, imports / total_imports.where(total_imports > 0, 1.0), omega)

    # 2. costs of the parent activity
    y = sel_a(output_cost(sam))
    vfm = sel_a(sam["vfm"])
    va = vfm.sum(FACTOR)
    ptax = sel_a(sam["ptax"])
    intermediate = y - va - ptax
    out_k = omega * y
    va_k = omega * va
    if va_intensity is not None:
        rho = va_intensity.transpose(REGION, CHILD).sel({REGION: regions})
        have = rho.notnull().all(CHILD)
        va_k = xr.where(have, out_k * _normalised(rho.fillna(1.0), out_k, va), va_k)
    labour = sam[FACTOR_TYPE] == LABOUR
    lab = vfm.where(labour, 0.0).sum(FACTOR)
    lab_k = omega * lab if va_intensity is None else va_k * xr.where(va > 0, lab / va.where(va > 0, 1.0), 0.0)
    if labour_share is not None:
        ell = labour_share.transpose(REGION, CHILD).sel({REGION: regions})
        have = ell.notnull().all(CHILD)
        lab_k = xr.where(have, va_k * _normalised(ell.fillna(1.0), va_k, lab), lab_k)
    int_k = out_k - va_k - omega * ptax
    other_k = va_k - lab_k
    for name, part in (("intermediate inputs", int_k), ("non-labour value added", other_k)):
        if bool((part < -1e-9 * np.maximum(1.0, out_k)).any()):
            raise SplitError(f"splitting {parent}: negative {name} for {part.where(part < 0, drop=True).to_series()}")

    def share_of(part: xr.DataArray, whole: xr.DataArray) -> xr.DataArray:
        return xr.where(whole > 0, part / whole.where(whole > 0, 1.0), omega)

    a_int = share_of(int_k, intermediate)
    f_share = xr.where(labour, share_of(lab_k, lab), share_of(other_k, va - lab))
    cols = {
        "vdfm": sel_a(sam["vdfm"]) * a_int,
        "vifm": sel_a(sam["vifm"]) * a_int,
        "vfm": vfm * f_share,
        "ptax": ptax * omega,
    }
    for var, parts in cols.items():
        out[var] = _replace(sam[var], ACTIVITY, parent, parts, new_labels)

    # 3. domestic and imported sales of the parent commodity
    exports = out["vxmd"].sel({COMMODITY: children}).sum(IMPORTER).rename({COMMODITY: CHILD, EXPORTER: REGION})
    domestic_k = out_k - exports
    domestic = sel_c(out["vdfm"]).sum(ACTIVITY) + sel_c(sam["vdfd"]).sum(AGENT)
    if bool((domestic_k < -1e-9 * np.maximum(1.0, out_k)).any()):
        bad = domestic_k.where(domestic_k < 0, drop=True).to_series()
        raise SplitError(f"splitting {parent}: children export more than they produce (domestic sales {bad})")
    delta = xr.where(domestic > 0, domestic_k.clip(min=0.0) / domestic.where(domestic > 0, 1.0), omega)
    out["vdfm"] = _replace(out["vdfm"], COMMODITY, parent, sel_c(out["vdfm"]) * delta, new_labels)
    out["vdfd"] = _replace(sam["vdfd"], COMMODITY, parent, sel_c(sam["vdfd"]) * delta, new_labels)
    out["vifm"] = _replace(out["vifm"], COMMODITY, parent, sel_c(out["vifm"]) * mu, new_labels)
    out["vifd"] = _replace(sam["vifd"], COMMODITY, parent, sel_c(sam["vifd"]) * mu, new_labels)

    result = sam.drop_vars([v for v in sam.data_vars]).drop_dims([COMMODITY, ACTIVITY])
    result = result.assign_coords({COMMODITY: new_labels, ACTIVITY: new_labels})
    for var in map(str, sam.data_vars):
        if var in out:
            result[var] = out[var].assign_coords({COMMODITY: new_labels} if COMMODITY in out[var].dims else {})
        elif var == "employment":
            share = share_of(lab_k, lab)
            result[var] = _replace(sam[var], ACTIVITY, parent, sel_a(sam[var]) * share, new_labels)
        else:
            result[var] = sam[var]
        result[var].attrs = sam[var].attrs
    for flag, values in flags.items():
        result = result.assign_coords({flag: (COMMODITY, [bool(values.get(s, values[parent])) for s in new_labels])})
        result[flag].attrs = flag_attrs[flag]
    result.attrs = dict(sam.attrs)
    check_sam(result, rtol=1e-9)
    result.attrs["sam_hash"] = sam_hash(result)
    log.info("split %s into %s", parent, children)
    return result
