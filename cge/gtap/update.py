"""The updated database after a shock: every flow at its new prices and quantities.

GEMPACK updates each coefficient read from the database by its ``Update`` statement (for example
``VDFB(c,a,r) = pds(c,r) * qfd(c,a,r)``: the value moves with its price and quantity). In levels
the updated value is the benchmark value times the price and quantity indices at the solution,
in GEMPACK's normalisation (the numeraire's scale ``lambda`` on every price). The result is a
database in the format of :func:`cge.gtap.load_database` (parameters and sets unchanged) that
:func:`cge.gtap.save_database` writes as HAR, so a simulation can start from it.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from cge.gtap.model.coefficients import HEADER_DIMS, Coefficients

# header -> (price variable, quantity variable); prices scale with the numeraire
UPDATES: dict[str, tuple[str | None, str | None]] = {
    "VDFB": ("pds", "qfd"),
    "VDFP": ("pfd", "qfd"),
    "VMFB": ("pms", "qfm"),
    "VMFP": ("pfm", "qfm"),
    "EVOS": ("pes", "qes"),
    "EVFB": ("peb", "qfe"),
    "EVFP": ("pfe", "qfe"),
    "MAKS": ("ps", "qca"),
    "MAKB": ("pca", "qca"),
    "VDGB": ("pds", "qgd"),
    "VDGP": ("pgd", "qgd"),
    "VMGB": ("pms", "qgm"),
    "VMGP": ("pgm", "qgm"),
    "VDPB": ("pds", "qpd"),
    "VDPP": ("ppd", "qpd"),
    "VMPB": ("pms", "qpm"),
    "VMPP": ("ppm", "qpm"),
    "VDIB": ("pds", "qid"),
    "VDIP": ("pid", "qid"),
    "VMIB": ("pms", "qim"),
    "VMIP": ("pim", "qim"),
    "SAVE": ("save_value", None),
    "VDEP": ("pinv", "kb"),
    "VKB": ("pinv", "kb"),
    "VXSB": ("pds", "qxs"),
    "VFOB": ("pfob", "qxs"),
    "VCIF": ("pcif", "qxs"),
    "VMSB": ("pmds", "qxs"),
    "VST": ("pds", "qst"),
    "VTWR": ("pt", "qtmfsd"),
}
"""How each flow updates (GTAPv7.tab ``Update`` statements)."""


def _index(cf: Coefficients, values: dict[str, np.ndarray], name: str, dims: tuple[str, ...]) -> np.ndarray:
    """A variable's levels index broadcast onto a header's sets (pds over (COMM, REG) onto VXSB's
    (COMM, REG, REG_2) as the source's price; onto VST's (MARG, REG) as the margins')."""
    arr = values[name]
    if name == "pds" and dims == ("COMM", "REG", "REG_2"):
        return arr[:, :, None]
    if name == "pds" and dims == ("COMM", "ACTS", "REG"):
        return arr[:, None, :]
    if name == "pds" and dims == ("MARG", "REG"):
        return arr[cf.masks["MARG_IN_COMM"]]
    if name == "pms" and dims == ("COMM", "ACTS", "REG"):
        return arr[:, None, :]
    if name == "pt":
        return arr[:, None, None, None]
    return arr


def updated_database(database: xr.Dataset, cf: Coefficients, values: dict[str, np.ndarray], scale: float) -> xr.Dataset:
    """The database after the shock.

    Parameters
    ----------
    database : xarray.Dataset
        The benchmark database (its sets, parameters and attrs are kept).
    cf : Coefficients
        Its coefficients.
    values : dict
        Levels indices of the model's variables at the solution (levels-model normalisation).
    scale : float
        GEMPACK's numeraire scale ``lambda`` at the end of the path.
    """
    out = database.copy()
    for header, (price, quantity) in UPDATES.items():
        dims = HEADER_DIMS[header]
        factor = _index(cf, values, price, dims) * scale if price else 1.0
        if quantity:
            factor = factor * _index(cf, values, quantity, dims)
        base = getattr(cf, header)
        new = base * factor
        da = database[header].transpose(*dims)
        out[header] = da.copy(data=new).transpose(*database[header].dims)
    if "POP" in database:
        out["POP"] = database["POP"] * values["pop"]
    if "DPSM" in database:
        out["DPSM"] = database["DPSM"] * values["dpsum"]
    out.attrs = dict(database.attrs)
    out.attrs["updated_by"] = "cge.gtap.solve"
    return out
