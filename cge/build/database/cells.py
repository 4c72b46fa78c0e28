"""The GTAP v7 database as a vector of free cells plus fixed wedges, and its identities as linear rows.

The balancing step moves only values at **basic prices** (the free cells below); every other
header is a fixed multiple of one free cell, with the multiple (a tax rate, a margin rate) held
at its data value:

=========  ===============================  ==============================================
free cell  dims                             derived headers (fixed wedge)
=========  ===============================  ==============================================
MAKB       COMM, ACTS, REG                  MAKS = MAKB / (1 + output tax rate)
VDFB/VMFB  COMM, ACTS, REG                  VDFP/VMFP = (1 + product tax rate) × basic
VDPB …     COMM, REG (private, government,  VDPP … VMIP = (1 + product tax rate) × basic
 VMIB       investment; domestic, imported)
EVFB       ENDW, ACTS, REG                  EVFP = (1 + factor tax) EVFB, EVOS = EVFB / (1 + income tax)
VXSB       COMM, REG, REG_2                 VFOB = (1 + export tax) VXSB, VTWR = margin × VFOB,
                                            VCIF = VFOB + Σ_m VTWR, VMSB = (1 + tariff) VCIF
VST        MARG, REG                        —
SAVE       REG                              —
=========  ===============================  ==============================================

So every identity of GTAP's data checks is linear in the free cells (:meth:`CellSpace.identities`),
and so is every target (a GDP, a trade flow, a share of GDP times a GDP control).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import xarray as xr

from cge.balance.vector import LinearRow

REG, REG_2, COMM, ACTS, ENDW, MARG, ENDT = "REG", "REG_2", "COMM", "ACTS", "ENDW", "MARG", "ENDT"
ENDOWMENTS = ("Land", "UnSkLab", "SkLab", "Capital", "NatlRes")
"""GTAP's endowment labels (GTAPAgg's standard aggregation names)."""
LAND, UNSKILLED, SKILLED, CAPITAL, NATRES = ENDOWMENTS
LABOUR_ENDOWMENTS = (UNSKILLED, SKILLED)
ENDOWMENT_TYPES = ("mobile", "sluggish", "fixed")
FINAL_AGENTS = ("P", "G", "I")
"""GTAP's final agents: private household, government, investment (header letters)."""

FREE_DIMS: dict[str, tuple[str, ...]] = {
    "MAKB": (COMM, ACTS, REG),
    "VDFB": (COMM, ACTS, REG),
    "VMFB": (COMM, ACTS, REG),
    "VDPB": (COMM, REG),
    "VMPB": (COMM, REG),
    "VDGB": (COMM, REG),
    "VMGB": (COMM, REG),
    "VDIB": (COMM, REG),
    "VMIB": (COMM, REG),
    "EVFB": (ENDW, ACTS, REG),
    "VXSB": (COMM, REG, REG_2),
    "VST": (MARG, REG),
    "SAVE": (REG,),
}
"""The free cells (basic prices) and their dims."""

TAX_WEDGES = {
    "VDFP": ("VDFB", "dfp"),
    "VMFP": ("VMFB", "mfp"),
    "VDPP": ("VDPB", "dpp"),
    "VMPP": ("VMPB", "mpp"),
    "VDGP": ("VDGB", "dgp"),
    "VMGP": ("VMGB", "mgp"),
    "VDIP": ("VDIB", "dip"),
    "VMIP": ("VMIB", "mip"),
    "EVFP": ("EVFB", "fe"),
}
"""Purchaser-price header → (basic header, wedge name): purchaser = (1 + wedge) × basic."""

WEDGE_DIMS = {
    **{w: FREE_DIMS[b] for b, w in TAX_WEDGES.values()},
    "out": (COMM, ACTS, REG),
    "inc": (ENDW, ACTS, REG),
    "xs": (COMM, REG, REG_2),
    "margin": (MARG, COMM, REG, REG_2),
    "ms": (COMM, REG, REG_2),
}
"""Fixed rates (fractions) tying derived headers to free cells."""


@dataclass(frozen=True)
class Form:
    """A header as ``coef × x[index]`` cell by cell (labelled arrays of the same shape)."""

    index: xr.DataArray
    coef: xr.DataArray

    def select(self, sel: Mapping[str, object] | None = None, weight: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """Indices and coefficients of the sum over the selected cells (times ``weight``)."""
        index, coef = (self.index, self.coef) if not sel else (self.index.sel(dict(sel)), self.coef.sel(dict(sel)))
        i = np.asarray(index.values).ravel()
        c = np.asarray(coef.values, dtype=float).ravel() * weight
        keep = c != 0
        return i[keep], c[keep]

    def sum_over(self, keep_dims: tuple[str, ...]) -> list[tuple[dict, np.ndarray, np.ndarray]]:
        """One (labels, indices, coefs) per combination of ``keep_dims``, summing the other dims."""
        other = [d for d in self.index.dims if d not in keep_dims]
        idx = self.index.transpose(*keep_dims, *other)
        coef = self.coef.transpose(*keep_dims, *other)
        shape = [idx.sizes[d] for d in keep_dims]
        flat_i = np.asarray(idx.values).reshape(int(np.prod(shape)), -1)
        flat_c = np.asarray(coef.values, dtype=float).reshape(int(np.prod(shape)), -1)
        names = [[str(v) for v in idx[d].values] for d in keep_dims]
        out = []
        for k, pos in enumerate(np.ndindex(*shape)):
            labels = {d: names[j][p] for j, (d, p) in enumerate(zip(keep_dims, pos))}
            keep = flat_c[k] != 0
            out.append((labels, flat_i[k][keep], flat_c[k][keep]))
        return out


class CellSpace:
    """Layout of the free cells and the fixed wedges of one database.

    Parameters
    ----------
    coords : dict
        Labels of REG, COMM, ACTS, ENDW, MARG.
    wedges : dict
        Name → DataArray of every wedge in :data:`WEDGE_DIMS` (fractions), and ``VDEP`` (REG) [US$ million].
    """

    def __init__(self, coords: Mapping[str, list[str]], wedges: Mapping[str, xr.DataArray]):
        self.coords = {d: list(v) for d, v in coords.items()}
        self.coords[REG_2] = list(self.coords[REG])
        missing = [w for w in [*WEDGE_DIMS, "VDEP"] if w not in wedges]
        if missing:
            raise ValueError(f"wedges missing: {missing}")
        self.wedges = {k: v.transpose(*WEDGE_DIMS[k]) if k in WEDGE_DIMS else v for k, v in wedges.items()}
        self.offsets: dict[str, int] = {}
        n = 0
        for name, dims in FREE_DIMS.items():
            self.offsets[name] = n
            n += int(np.prod([len(self.coords[d]) for d in dims]))
        self.size = n
        self._forms: dict[tuple[str, ...], Form] = {}
        self._identity_rows: list[LinearRow] | None = None

    # ----------------------------------------------------------------- layout
    def _labels(self, dims: tuple[str, ...]) -> dict[str, list[str]]:
        return {d: self.coords[d] for d in dims}

    def free_index(self, name: str) -> xr.DataArray:
        """Positions of a free header's cells in the vector."""
        dims = FREE_DIMS[name]
        shape = [len(self.coords[d]) for d in dims]
        values = self.offsets[name] + np.arange(int(np.prod(shape))).reshape(shape)
        return xr.DataArray(values, dims=dims, coords=self._labels(dims))

    def to_vector(self, data: Mapping[str, xr.DataArray]) -> np.ndarray:
        """The free cells of ``data`` (a Dataset or dict of DataArrays) as one vector."""
        x = np.zeros(self.size)
        for name, dims in FREE_DIMS.items():
            arr = data[name].transpose(*dims).reindex(self._labels(dims), fill_value=0.0)
            x[self.offsets[name] : self.offsets[name] + arr.size] = np.asarray(arr.values, dtype=float).ravel()
        return x

    def free_arrays(self, x: np.ndarray) -> dict[str, xr.DataArray]:
        """The free headers of vector ``x``."""
        out = {}
        for name, dims in FREE_DIMS.items():
            shape = [len(self.coords[d]) for d in dims]
            size = int(np.prod(shape))
            out[name] = xr.DataArray(
                x[self.offsets[name] : self.offsets[name] + size].reshape(shape), dims=dims, coords=self._labels(dims)
            )
        return out

    # ----------------------------------------------------------------- forms
    def form(self, header: str) -> Form:
        """Every header of the database (free or derived) as a :class:`Form` (computed once)."""
        key = (header,)
        if key not in self._forms:
            self._forms[key] = self._form(header)
        return self._forms[key]

    def _form(self, header: str) -> Form:
        w = self.wedges
        if header in FREE_DIMS:
            idx = self.free_index(header)
            return Form(idx, xr.ones_like(idx, dtype=float))
        if header in TAX_WEDGES:
            base, wedge = TAX_WEDGES[header]
            idx = self.free_index(base)
            return Form(idx, (1.0 + w[wedge]).broadcast_like(idx).transpose(*idx.dims))
        if header == "MAKS":
            idx = self.free_index("MAKB")
            return Form(idx, 1.0 / (1.0 + w["out"]))
        if header == "EVOS":
            idx = self.free_index("EVFB")
            return Form(idx, 1.0 / (1.0 + w["inc"]))
        if header == "VFOB":
            idx = self.free_index("VXSB")
            return Form(idx, 1.0 + w["xs"])
        if header == "VCIF":
            idx = self.free_index("VXSB")
            return Form(idx, (1.0 + w["xs"]) * (1.0 + w["margin"].sum(MARG)))
        if header == "VMSB":
            idx = self.free_index("VXSB")
            return Form(idx, (1.0 + w["xs"]) * (1.0 + w["margin"].sum(MARG)) * (1.0 + w["ms"]))
        if header == "VTWR":
            idx = self.free_index("VXSB")
            coef = w["margin"] * (1.0 + w["xs"])
            return Form(
                idx.broadcast_like(coef).transpose(MARG, COMM, REG, REG_2), coef.transpose(MARG, COMM, REG, REG_2)
            )
        raise KeyError(f"unknown header {header!r}")

    def difference(self, upper: str, lower: str) -> Form:
        """``upper − lower`` for two headers on the same free cells (a tax: VDFP − VDFB, ...)."""
        key = (upper, lower)
        if key not in self._forms:
            a, b = self.form(upper), self.form(lower)
            if not np.array_equal(a.index.values, b.index.transpose(*a.index.dims).values):
                raise ValueError(f"{upper} and {lower} are not on the same cells")
            self._forms[key] = Form(a.index, a.coef - b.coef.transpose(*a.coef.dims))
        return self._forms[key]

    # ----------------------------------------------------------------- measures
    def taxes(self, region: str, *, trade: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """All indirect taxes of ``region`` (output, product, factor; with ``trade``: export taxes
        paid to it and tariffs it collects) as one linear row [US$ million]."""
        parts = [self.difference("MAKB", "MAKS").select({REG: region})]
        for purchaser, (basic, _) in TAX_WEDGES.items():
            parts.append(self.difference(purchaser, basic).select({REG: region}))
        if trade:
            parts.append(self.difference("VFOB", "VXSB").select({REG: region}))
            parts.append(self.difference("VMSB", "VCIF").select({REG_2: region}))
        return _concat(parts)

    def product_taxes(self, region: str) -> tuple[np.ndarray, np.ndarray]:
        """Net taxes on products paid by every agent in ``region`` (tariffs excluded)."""
        return _concat([self.difference(p, b).select({REG: region}) for p, (b, _) in TAX_WEDGES.items() if p != "EVFP"])

    def gdp(self, region: str) -> tuple[np.ndarray, np.ndarray]:
        """GDP at market prices from the income side: Σ EVFB + every indirect tax [US$ million]."""
        return _concat([self.form("EVFB").select({REG: region}), self.taxes(region)])

    def value_added(self, region: str, activities: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Value added at basic prices of ``activities``: factor income + output and factor taxes."""
        sel = {REG: region, ACTS: activities}
        return _concat(
            [
                self.form("EVFP").select(sel),
                self.difference("MAKB", "MAKS").select(sel),
            ]
        )

    # ----------------------------------------------------------------- identities
    def identities(self) -> list[LinearRow]:
        """GTAP's data identities as rows (computed once; see :meth:`_identities`)."""
        if self._identity_rows is None:
            self._identity_rows = self._identities()
        return self._identity_rows

    def _identities(self) -> list[LinearRow]:
        """GTAP's data identities as rows (all with value 0 except regional income, = VDEP):

        - ``costs[a,r]``: Σ_c VDFP + VMFP + Σ_e EVFP − Σ_c MAKS = 0;
        - ``supply[c,r]``: Σ_a MAKB − Σ_a VDFB − VDPB − VDGB − VDIB − Σ_d VXSB − VST = 0;
        - ``imports[c,r]``: Σ_s VMSB − Σ_a VMFB − VMPB − VMGB − VMIB = 0;
        - ``margins[m]``: Σ_r VST − Σ VTWR = 0;
        - ``income[r]``: Σ EVFB + taxes − private − government spending − SAVE = VDEP.

        The world saving–investment identity is implied by the others (Walras) and left out.
        """
        rows: list[LinearRow] = []
        # activity costs
        acc: dict[tuple[str, str], list] = {}
        for header, sign in (("VDFP", 1.0), ("VMFP", 1.0), ("EVFP", 1.0), ("MAKS", -1.0)):
            for labels, i, c in self.form(header).sum_over((ACTS, REG)):
                acc.setdefault((labels[ACTS], labels[REG]), []).append((i, sign * c))
        rows += [LinearRow(f"costs[{a},{r}]", *_concat(v)) for (a, r), v in acc.items()]
        # commodity supply at basic prices
        acc = {}
        for header, sign in (("MAKB", 1.0), ("VDFB", -1.0), ("VDPB", -1.0), ("VDGB", -1.0), ("VDIB", -1.0)):
            for labels, i, c in self.form(header).sum_over((COMM, REG)):
                acc.setdefault((labels[COMM], labels[REG]), []).append((i, sign * c))
        for labels, i, c in self.form("VXSB").sum_over((COMM, REG)):
            acc[(labels[COMM], labels[REG])].append((i, -c))
        for labels, i, c in self.form("VST").sum_over((MARG, REG)):
            acc[(labels[MARG], labels[REG])].append((i, -c))
        rows += [LinearRow(f"supply[{c},{r}]", *_concat(v)) for (c, r), v in acc.items()]
        # imports by agent
        acc = {}
        for labels, i, c in self.form("VMSB").sum_over((COMM, REG_2)):
            acc[(labels[COMM], labels[REG_2])] = [(i, c)]
        for header in ("VMFB", "VMPB", "VMGB", "VMIB"):
            for labels, i, c in self.form(header).sum_over((COMM, REG)):
                acc[(labels[COMM], labels[REG])].append((i, -c))
        rows += [LinearRow(f"imports[{c},{r}]", *_concat(v)) for (c, r), v in acc.items()]
        # international margins
        for m in self.coords[MARG]:
            rows.append(
                LinearRow(
                    f"margins[{m}]",
                    *_concat([self.form("VST").select({MARG: m}), self.form("VTWR").select({MARG: m}, -1.0)]),
                )
            )
        # regional income
        for r in self.coords[REG]:
            spend = [self.form(h).select({REG: r}, -1.0) for h in ("VDPP", "VMPP", "VDGP", "VMGP")]
            rows.append(
                LinearRow(
                    f"income[{r}]",
                    *_concat([self.gdp(r), *spend, self.form("SAVE").select({REG: r}, -1.0)]),
                    float(self.wedges["VDEP"].sel({REG: r})),
                )
            )
        return rows

    # ----------------------------------------------------------------- dataset
    def headers(self, x: np.ndarray) -> dict[str, xr.DataArray]:
        """Every data header (free and derived) of vector ``x``."""
        out = dict(self.free_arrays(x))
        for header in [*TAX_WEDGES, "MAKS", "EVOS", "VFOB", "VCIF", "VMSB", "VTWR"]:
            f = self.form(header)
            out[header] = xr.DataArray(x[f.index.values] * f.coef.values, dims=f.index.dims, coords=f.index.coords)
        out["VDEP"] = self.wedges["VDEP"]
        return out


def _concat(parts) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate (indices, coefs) pairs, summing repeated indices."""
    parts = list(parts)
    if not parts:
        return np.zeros(0, int), np.zeros(0)
    i = np.concatenate([p[0] for p in parts]).astype(int)
    c = np.concatenate([p[1] for p in parts]).astype(float)
    uniq, inv = np.unique(i, return_inverse=True)
    return uniq, np.bincount(inv, weights=c, minlength=len(uniq))
