"""A GTAP v7 database as one :class:`xarray.Dataset`: loaded from, and saved to, a directory of
GEMPACK files (``sets.har``, ``basedata.har``, ``default.prm``, optional ``baserate.har``).

Arrays are named by their GTAP headers (data, rates) or TABLO coefficient names (parameters, e.g.
``ESBT`` -> ``ESUBT``), with dims named by the GTAP sets in the order of ``schema.csv`` (a repeated
set gets ``_2``), values in float64. Subsets are boolean coordinates: ``ENDM``, ``ENDS``, ``ENDF``
and ``ENDC`` on ``ENDW``, ``NMRG`` on ``COMM``. :func:`conform_database` is the one place that
checks and orders a Dataset, whether it comes from files or from a user.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import xarray as xr

from cge.atomic import atomic_write_bytes
from cge.errors import DatabaseError, HarError
from cge.gtap import schema as sc
from cge.gtap.har import encode_har, read_har
from cge.paths import SAM_DIR

log = logging.getLogger(__name__)

__all__ = ["DatabaseError", "load_database", "save_database", "conform_database", "SHIPPED_DIR"]

SHIPPED_DIR = SAM_DIR / "gtap"
"""Where the project's open database lives (built by ``cge build-database``)."""
NETCDF_NAME = "database.nc"
TEXT_ATTRS = ("DREL", "LICN")
"""Character headers kept as Dataset attrs (release identifier, licence)."""
HASH_PREFIX = "sha256_"


def database_error(header: str, problems: list[str]) -> DatabaseError:
    """One line for one problem; otherwise a first line with the count and one line per problem."""
    if len(problems) == 1:
        return DatabaseError(f"{header}: {problems[0]}")
    return DatabaseError(f"{header} ({len(problems)} problems):\n  " + "\n  ".join(problems))


def _cell(da: xr.DataArray, index: tuple[int, ...]) -> str:
    return ", ".join(f"{d}={da[d].values[i] if d in da.coords else i}" for d, i in zip(da.dims, index))


# ---------------------------------------------------------------------------------------------
# files


def locate_files(directory: Path) -> dict[str, Path]:
    """The database's files by role (``sets``, ``basedata``, ``default``, ``baserate``).

    File names are matched case-insensitively; a missing required file is one line naming it.
    """
    present = {p.name.lower(): p for p in directory.iterdir() if p.is_file()}
    found = {role: present[name] for role, name in sc.FILES.items() if name in present}
    missing = [sc.FILES[role] for role in sc.REQUIRED_FILES if role not in found]
    if missing:
        raise DatabaseError(
            f"{directory}: no {', '.join(missing)} (a GTAP v7 database has {', '.join(sc.FILES.values())})"
        )
    return found


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read(path: Path) -> dict[str, xr.DataArray]:
    try:
        return read_har(path)
    except HarError as exc:
        raise DatabaseError(str(exc)) from None


# ---------------------------------------------------------------------------------------------
# loading


def load_database(directory: str | os.PathLike | None = None) -> xr.Dataset:
    """Load a GTAP v7 database directory into one Dataset.

    Parameters
    ----------
    directory : path or None
        Holds ``sets.har``, ``basedata.har``, ``default.prm`` and optionally ``baserate.har``
        (names in any case). ``None``: the project's shipped open database (``sam/gtap``). A
        ``database.nc`` written by :func:`save_database` is read instead of the HAR files when
        the HAR files still have the hashes it recorded (it holds the float64 values; HAR files
        hold float32).

    Returns
    -------
    xarray.Dataset
        Flows in US$ million, parameters (TABLO names), rates in %, subsets as boolean
        coordinates; attrs ``source_directory``, ``sha256_<file>`` of every file read, ``DREL``,
        ``DVER`` (and ``LICN``) when the files have them, ``precision`` (``float32`` when the
        values come from HAR files, whose reals have 4 bytes). Balance is not checked here: call
        :func:`cge.gtap.check_database`.

    Raises
    ------
    DatabaseError
        One line per problem: a missing file or required header (naming file and header), an
        array whose dims are not the schema's (header, dims, expected dims), labels that differ
        from ``sets.har``, NaN or infinite values (header and cell), endowment subsets that cannot
        be determined.
    """
    if directory is None:
        directory = SHIPPED_DIR
        if not (directory / "sets.har").exists():
            raise DatabaseError(
                f"the project's open GTAP database is not there yet ({directory} has no sets.har); "
                "give the directory of a GTAP v7 database"
            )
    directory = Path(directory)
    if not directory.is_dir():
        raise DatabaseError(f"{directory}: not a directory (give the directory holding sets.har, basedata.har, ...)")
    files = locate_files(directory)
    hashes = {path.name: file_sha256(path) for path in files.values()}
    cached = _cached_netcdf(directory, hashes)
    if cached is not None:
        return cached
    ds = _from_har(files)
    ds.attrs.update(source_directory=str(directory.resolve()), precision="float32")
    ds.attrs.update({HASH_PREFIX + k: v for k, v in hashes.items()})
    return ds


def _cached_netcdf(directory: Path, hashes: dict[str, str]) -> xr.Dataset | None:
    """``database.nc`` when it was written with exactly the HAR files now present, else None."""
    nc = next((p for p in directory.iterdir() if p.name.lower() == NETCDF_NAME), None)
    if nc is None:
        return None
    from cge.ncio import read_netcdf

    ds = read_netcdf(nc, "GTAP database", DatabaseError)
    recorded = {k[len(HASH_PREFIX) :]: v for k, v in ds.attrs.items() if k.startswith(HASH_PREFIX)}
    if {k.lower(): v for k, v in recorded.items()} != {k.lower(): v for k, v in hashes.items()}:
        log.warning("%s is older than the HAR files beside it: reading the HAR files", nc)
        return None
    for name in (*sc.ENDOWMENT_SUBSETS, sc.CAPITAL, sc.NON_MARGIN):
        if name in ds.coords:
            ds = ds.assign_coords({name: ds[name].astype(bool)})
    ds.attrs["source_directory"] = str(directory.resolve())
    return conform_database(ds, where=str(nc))


def _set_labels(arrays: Mapping[str, xr.DataArray], path: Path) -> dict[str, np.ndarray]:
    labels, problems = {}, []
    for entry in sc.entries("set"):
        da = arrays.get(entry.header)
        if da is None or da.dtype.kind not in "UO":
            problems.append(f"missing character header {entry.header!r} ({entry.long_name})")
            continue
        values = np.asarray([str(v) for v in da.values])
        duplicates = sorted({v for v in values if (values == v).sum() > 1})
        if duplicates:
            problems.append(f"set {entry.header} repeats the elements {duplicates}")
        if not len(values) and entry.name != sc.MARG:
            problems.append(f"set {entry.header} is empty")
        labels[entry.name] = values
    if problems:
        raise database_error(str(path), problems)
    outside = sorted(set(labels[sc.MARG]) - set(labels[sc.COMM]))
    if outside:
        raise DatabaseError(f"{path}: margin commodities {outside} are not in COMM")
    return labels


class _Assembler:
    """Check the arrays of the files against the sets and gather them into one Dataset."""

    def __init__(self, labels: dict[str, np.ndarray]):
        self.labels = labels
        self.other_dims: dict[str, tuple[str, np.ndarray]] = {}
        self.variables: dict[str, xr.DataArray] = {}
        self.attrs: dict[str, object] = {}
        self.problems: list[str] = []

    def add_file(self, role: str, path: Path, arrays: Mapping[str, xr.DataArray]) -> None:
        found = set()
        for header, da in arrays.items():
            if header.startswith("XX"):
                continue
            if da.dtype.kind in "USO":
                if header in TEXT_ATTRS:
                    self.attrs[header] = " ".join(str(v) for v in da.values)
                continue
            if header == "DVER":
                self.attrs["DVER"] = float(da.values.ravel()[0])
                continue
            entry = sc.by_header().get(header.upper())
            where = f"{path}: header {header!r}"
            if entry is not None and entry.file == role:
                found.add(entry.name)
                self.add(entry.name, da, where, entry)
            elif header in self.variables:
                self.problems.append(f"{where}: a second array named {header}")
            else:
                self.add(header, da, where, None)
        for entry in sc.entries("data") + sc.entries("parameter"):
            if entry.file == role and entry.required and entry.name not in found:
                self.problems.append(f"{path}: missing header {entry.header!r} ({entry.long_name})")

    def add(self, name: str, da: xr.DataArray, where: str, entry: sc.Entry | None) -> None:
        if da.attrs.get("har_type") == "2I":
            if da.size != 1:
                self.problems.append(f"{where}: an integer array of shape {da.shape} (a scalar expected)")
                return
            da = xr.DataArray(np.int64(da.values.ravel()[0]))
        else:
            da = da.astype("f8")
        aligned = self.align(da, where)
        if aligned is None:
            return
        da = aligned
        if entry is not None:
            dims = entry.dims_for(da.dims)
            if dims is None:
                self.problems.append(
                    f"{where} has dims {da.dims}, expected {' or '.join(map(str, entry.alternatives))}"
                )
                return
            da = da.transpose(*dims)
            da.attrs = entry.attrs()
        else:
            da.attrs = {"long_name": da.attrs.get("long_name", "").strip(), "units": "", "header": name}
        self.variables[name] = da

    def align(self, da: xr.DataArray, where: str) -> xr.DataArray | None:
        """``da`` with set dims in the order of ``sets.har``; None (and a problem) if labels differ."""
        for dim in map(str, da.dims):
            base = dim.rsplit("_", 1)[0] if dim.rsplit("_", 1)[-1].isdigit() else dim
            got = np.asarray([str(v) for v in da[dim].values])
            if base in self.labels:
                expected = self.labels[base]
            else:
                expected = self.other_dims.setdefault(dim, (where, got))[1]
            if list(got) == list(expected):
                continue
            if sorted(got) == sorted(expected) and len(set(got)) == len(got):
                da = da.sel({dim: list(expected)})
                continue
            source = "sets.har" if base in self.labels else self.other_dims[dim][0]
            self.problems.append(
                f"{where}: {dim} labels {got.tolist()} differ from {list(map(str, expected))} of {source}"
            )
            return None
        return da.drop_vars(list(da.coords))

    def dataset(self) -> xr.Dataset:
        coords = {name: values for name, values in self.labels.items()}
        coords[sc.REG_2] = self.labels[sc.REG]
        for dim, (_, values) in self.other_dims.items():
            coords[dim] = values
        used = {d for da in self.variables.values() for d in da.dims}
        coords = {k: v for k, v in coords.items() if k in used or k in sc.SETS}
        return xr.Dataset(self.variables, coords=coords, attrs=self.attrs)


def _from_har(files: dict[str, Path]) -> xr.Dataset:
    sets_arrays = _read(files["sets"])
    assembler = _Assembler(_set_labels(sets_arrays, files["sets"]))
    for role in ("basedata", "default", "baserate"):
        if role in files:
            assembler.add_file(role, files[role], _read(files[role]))
    if len(assembler.problems) == 1:
        raise DatabaseError(assembler.problems[0])
    if assembler.problems:
        raise database_error(f"{files['basedata'].parent}", assembler.problems)
    ds = assembler.dataset()
    ds = _add_subsets(ds, sets_arrays, files["sets"])
    return conform_database(ds, where=str(files["basedata"].parent))


# ---------------------------------------------------------------------------------------------
# subsets


def _membership(ds: xr.Dataset, labels: Iterable[str]) -> np.ndarray:
    return np.isin(ds[sc.ENDW].values.astype(str), list(labels))


def _add_subsets(ds: xr.Dataset, sets_arrays: Mapping[str, xr.DataArray], path: Path) -> xr.Dataset:
    """Endowment subsets from ``sets.har`` (ENDM/ENDS/ENDF, ENDC) when it has them."""
    endw = set(ds[sc.ENDW].values.astype(str))
    coords = {}
    for header in (*sc.ENDOWMENT_SUBSETS, sc.CAPITAL):
        if header in sets_arrays:
            members = [str(v) for v in sets_arrays[header].values]
            unknown = sorted(set(members) - endw)
            if unknown:
                raise DatabaseError(f"{path}: subset {header} has elements {unknown} that are not in ENDW")
            coords[header] = (sc.ENDW, _membership(ds, members))
    if not all(h in coords for h in sc.ENDOWMENT_SUBSETS):
        coords = {k: v for k, v in coords.items() if k == sc.CAPITAL}
    return ds.assign_coords(coords)


def endowment_subsets(ds: xr.Dataset, where: str) -> dict[str, np.ndarray]:
    """Masks over ENDW of ENDM, ENDS, ENDF (a partition) and ENDC.

    From the Dataset's coordinates when present, else from ENDOWFLAG; ENDC from its coordinate,
    else the element named "capital" (any case), as the TABLO set ENDWC.
    """
    names = [str(v) for v in ds[sc.ENDW].values]
    flag = ds.get("ENDOWFLAG")
    if all(s in ds.coords for s in sc.ENDOWMENT_SUBSETS):
        masks = {s: ds[s].values.astype(bool) for s in sc.ENDOWMENT_SUBSETS}
        if flag is not None:
            from_flag = _flag_masks(flag, names, where)
            differ = [s for s in masks if not np.array_equal(masks[s], from_flag[s])]
            if differ:
                log.warning("%s: subsets %s of sets.har differ from ENDOWFLAG; using sets.har", where, differ)
    elif flag is not None:
        masks = _flag_masks(flag, names, where)
    else:
        raise DatabaseError(
            f"{where}: cannot tell mobile, sluggish and sector-specific endowments apart: sets.har has no "
            "ENDM/ENDS/ENDF headers and default.prm no EFLG (ENDOWFLAG)"
        )
    count = sum((m.astype(int) for m in masks.values()), np.zeros(len(names), dtype=int))
    bad = [n for n, c in zip(names, count) if c != 1]
    if bad:
        raise DatabaseError(f"{where}: endowments {bad} are not in exactly one of ENDM, ENDS, ENDF")
    if sc.CAPITAL in ds.coords:
        masks[sc.CAPITAL] = ds[sc.CAPITAL].values.astype(bool)
    else:
        masks[sc.CAPITAL] = np.array([n.lower() == "capital" for n in names])
    if masks[sc.CAPITAL].sum() != 1:
        raise DatabaseError(
            f"{where}: ENDW {names} needs exactly one capital endowment (an element named 'capital' "
            "in any case, or an ENDC header in sets.har)"
        )
    return masks


def _flag_masks(flag: xr.DataArray, names: list[str], where: str) -> dict[str, np.ndarray]:
    types = [str(v).lower() for v in flag[sc.ENDWT].values]
    masks = {}
    for subset, kind in sc.ENDOWMENT_TYPES.items():
        if kind not in types:
            raise DatabaseError(f"{where}: ENDOWFLAG has no endowment type {kind!r} (it has {types})")
        masks[subset] = flag.isel({sc.ENDWT: types.index(kind)}).transpose(sc.ENDW).values > 0.5
    return masks


# ---------------------------------------------------------------------------------------------
# conforming any Dataset to the schema


def conform_database(ds: xr.Dataset, where: str = "database") -> xr.Dataset:
    """Check a Dataset against the schema and return it in the schema's order.

    Every schema array is transposed to the dims of ``schema.csv`` (whatever order it came in)
    and held as float64 (RORDELTA as an integer); subsets become boolean coordinates (derived
    from ENDOWFLAG when absent; NMRG from MARG).

    Raises
    ------
    DatabaseError
        Every problem, one per line: a missing set, required array or label, dims that are not
        the schema's (naming the array, its dims and the expected ones), NaN/inf (naming the
        cell), REG_2 labels that differ from REG, margin commodities outside COMM.
    """
    problems = []
    for name in sc.SETS:
        if name not in ds.coords:
            problems.append(f"no {name} coordinate (set {name})")
    if problems:
        raise database_error(where, problems)
    if sc.REG_2 in ds.coords and list(ds[sc.REG_2].values) != list(ds[sc.REG].values):
        problems.append(f"REG_2 labels {list(ds[sc.REG_2].values)} differ from REG {list(ds[sc.REG].values)}")
    outside = sorted(set(map(str, ds[sc.MARG].values)) - set(map(str, ds[sc.COMM].values)))
    if outside:
        problems.append(f"margin commodities {outside} are not in COMM")
    out = {}
    for key, da in ds.data_vars.items():
        name = str(key)
        entry = sc.schema().get(name)
        if entry is not None and entry.kind in ("data", "parameter", "rate"):
            dims = entry.dims_for(da.dims)
            if dims is None:
                expected = " or ".join(map(str, entry.alternatives))
                problems.append(f"{name} (header {entry.header}) has dims {da.dims}, expected {expected}")
                continue
            da = da.transpose(*dims)
            da.attrs = {**da.attrs, **entry.attrs()}
        if name == "RORDELTA":
            da = da.astype("i8")
        elif da.dtype.kind in "iufb":
            da = da.astype("f8")
        values = np.asarray(da.values)
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            bad = np.argwhere(~np.isfinite(values))
            problems.append(f"{name}: {len(bad)} NaN/inf values, first at {_cell(da, tuple(bad[0]))}")
        out[name] = da
    for entry in sc.entries("data") + sc.entries("parameter"):
        if entry.required and entry.name not in ds:
            problems.append(f"missing {entry.name} (header {entry.header}: {entry.long_name})")
    if problems:
        raise database_error(where, problems)
    result = xr.Dataset(out, coords={k: v for k, v in ds.coords.items() if k not in out}, attrs=dict(ds.attrs))
    masks = endowment_subsets(result, where)
    coords = {name: (sc.ENDW, mask) for name, mask in masks.items()}
    coords[sc.NON_MARGIN] = (sc.COMM, ~np.isin(result[sc.COMM].values, result[sc.MARG].values))
    result = result.assign_coords(coords)
    for name, entry in sc.schema().items():
        if entry.kind == "subset" and name in result.coords:
            result[name].attrs = {"long_name": entry.long_name}
    return result


# ---------------------------------------------------------------------------------------------
# saving


def _set_array(header: str, labels, long_name: str) -> xr.DataArray:
    return xr.DataArray(
        np.asarray([str(v) for v in labels]),
        dims=[header],
        attrs={"long_name": long_name, "har_string_length": sc_string_length(labels)},
    )


def sc_string_length(labels) -> int:
    """GEMPACK's string length for set elements: 12, or the longest label if longer."""
    return max([12, *(len(str(v)) for v in labels)])


SET_TITLES = {
    "REG": "Set REG  Regions",
    "COMM": "Set COMM  Commodities",
    "MARG": "Set MARG  Margin commodities",
    "ACTS": "Set ACTS  Activities",
    "ENDW": "Set ENDW  Endowments",
    "ENDM": "Set ENDWM  Mobile endowments",
    "ENDS": "Set ENDWS  Sluggish endowments",
    "ENDF": "Set ENDWF  Sector-specific endowments",
    "ENDC": "Set ENDWC  Capital endowment",
    "ENDT": "Set ENDWT  Endowment types",
}
"""Long names of the set headers of ``sets.har`` (GEMPACK's "Set NAME  description" form)."""


def har_files(ds: xr.Dataset) -> dict[str, dict[str, xr.DataArray]]:
    """The arrays of each HAR file of a database, by file name, with GTAP header names."""
    text = {h: text_array(ds, h) for h in TEXT_ATTRS if h in ds.attrs}
    sets = dict(text)
    for header in ("REG", "COMM", "MARG", "ACTS", "ENDW"):
        sets[header] = _set_array(header, ds[header].values, SET_TITLES[header])
    endw = ds[sc.ENDW].values
    for header in (*sc.ENDOWMENT_SUBSETS, sc.CAPITAL):
        sets[header] = _set_array(header, endw[ds[header].values], SET_TITLES[header])
    if sc.ENDWT in ds.coords:
        sets["ENDT"] = _set_array("ENDT", ds[sc.ENDWT].values, SET_TITLES["ENDT"])
    files: dict[str, dict[str, xr.DataArray]] = {"sets.har": sets, "basedata.har": dict(text), "default.prm": {}}
    if "DVER" in ds.attrs:
        version = xr.DataArray(np.float64(ds.attrs["DVER"]), attrs={"long_name": "GTAP data format"})
        files["basedata.har"]["DVER"] = version
    target = {"data": "basedata.har", "parameter": "default.prm", "rate": "baserate.har"}
    for key, da in ds.data_vars.items():
        name = str(key)
        entry = sc.schema().get(name)
        header = entry.header if entry is not None else str(da.attrs.get("header", name))
        file = target[entry.kind] if entry is not None else "basedata.har"
        out = da.drop_vars([c for c in da.coords if c not in da.dims])
        out.attrs = {"long_name": str(da.attrs.get("long_name", ""))[:70], "coefficient": name[:12]}
        files.setdefault(file, {})[header] = out
    return files


def text_array(ds: xr.Dataset, header: str) -> xr.DataArray:
    return xr.DataArray([str(ds.attrs[header])], dims=[header], attrs={"long_name": header})


def save_database(ds: xr.Dataset, directory: str | os.PathLike) -> Path:
    """Write a database as ``sets.har``, ``basedata.har``, ``default.prm`` (GTAP header names),
    ``baserate.har`` when it has rates, and ``database.nc`` (the same Dataset, float64).

    Parameters
    ----------
    ds : xarray.Dataset
        A database in the schema (:func:`conform_database` is applied first).
    directory : path
        The target directory. Every file is encoded before anything is written; a new directory
        appears whole (written beside it, then renamed); in an existing one each file is
        replaced atomically.

    Returns
    -------
    pathlib.Path
        ``directory``.

    Raises
    ------
    DatabaseError
        When the Dataset fails :func:`conform_database`, an array cannot be stored in a HAR file
        (e.g. a value beyond single precision), ``directory`` is a file, or it is the directory
        the database was loaded from.
    """
    from cge.ncio import netcdf_bytes

    ds = conform_database(ds)
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise DatabaseError(f"cannot write {directory}: it exists and is not a directory")
    source = ds.attrs.get("source_directory")
    if source and directory.exists() and Path(source).exists() and os.path.samefile(directory, source):
        raise DatabaseError(f"cannot write {directory}: it is the directory this database was loaded from")
    try:
        payload = {name: encode_har(arrays) for name, arrays in har_files(ds).items() if arrays}
    except HarError as exc:
        raise DatabaseError(f"cannot write {directory}: {exc}") from None
    out = ds.copy()
    out.attrs = {k: v for k, v in ds.attrs.items() if not k.startswith(HASH_PREFIX) and k != "source_directory"}
    out.attrs.update({HASH_PREFIX + name: hashlib.sha256(data).hexdigest() for name, data in payload.items()})
    for key, value in list(out.attrs.items()):
        if not isinstance(value, (str, int, float)):
            out.attrs[key] = json.dumps(value)
    payload[NETCDF_NAME] = bytes(netcdf_bytes(out))
    _write_all(directory, payload)
    log.info("saved GTAP database to %s (%s)", directory, ", ".join(payload))
    return directory


def _write_all(directory: Path, payload: dict[str, bytes]) -> None:
    if directory.exists():
        for name, data in payload.items():
            atomic_write_bytes(directory / name, data)
        return
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}."))
    mask = os.umask(0)
    os.umask(mask)
    staging.chmod(0o777 & ~mask)  # mkdtemp makes 0700 directories
    try:
        for name, data in payload.items():
            (staging / name).write_bytes(data)
        os.replace(staging, directory)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
