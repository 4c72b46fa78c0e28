"""A GTAP v7 database as one :class:`xarray.Dataset`: loaded from, and saved to, a directory of
GEMPACK files (``sets.har``, ``basedata.har``, ``default.prm``, optional ``baserate.har``).

Arrays are named by their GTAP headers (data, rates) or TABLO coefficient names (parameters, e.g.
``ESBT`` -> ``ESUBT``), with dims named by the GTAP sets in the order of ``schema.csv`` (a repeated
set gets ``_2``), values in float64. Subsets are boolean coordinates: ``ENDM``, ``ENDS``, ``ENDF``
and ``ENDC`` on ``ENDW``, ``NMRG`` on ``COMM``. :func:`conform_database` is the one place that
checks and orders a Dataset, whether it comes from files or from a user.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import xarray as xr

from cge.atomic import refuse_special_target
from cge.errors import DatabaseError, HarError
from cge.gtap import schema as sc
from cge.gtap.har import SET_STRING_LENGTH, encode_har, read_har
from cge.input_files import regular_file
from cge.paths import SAM_DIR

log = logging.getLogger(__name__)

__all__ = ["DatabaseError", "load_database", "save_database", "conform_database", "SHIPPED_DIR"]

SHIPPED_DIR = SAM_DIR / "gtap"
"""Where the project's open database lives (built by ``cge build-database``)."""
NETCDF_NAME = "database.nc"
DATABASE_FILES = (*sc.FILES.values(), NETCDF_NAME)
"""The files of a database directory (names matched case-insensitively)."""
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

    File names are matched case-insensitively. One line names a missing required file, two files
    whose names differ only in case (``basedata.har`` and ``BASEDATA.HAR``: which one is the
    database?), and a file that is not a regular file (a FIFO, a device, a directory).
    """
    by_name: dict[str, list[Path]] = {}
    for entry in sorted(directory.iterdir()):
        by_name.setdefault(entry.name.lower(), []).append(entry)
    found = {}
    for role, name in sc.FILES.items():
        paths = by_name.get(name, [])
        if len(paths) > 1:
            raise DatabaseError(
                f"{directory}: {' and '.join(p.name for p in paths)} differ only in case: which one is the "
                f"database's {name}? Remove the other"
            )
        if paths:
            found[role] = _regular(paths[0])
    missing = [sc.FILES[role] for role in sc.REQUIRED_FILES if role not in found]
    if missing:
        raise DatabaseError(
            f"{directory}: no {', '.join(missing)} (a GTAP v7 database has {', '.join(sc.FILES.values())})"
        )
    return found


def is_database_directory(path: Path) -> bool:
    """Whether ``path`` is a directory holding a GTAP database (``basedata.har`` or
    ``database.nc``, names in any case); a file of one is refused naming its directory.

    Raises
    ------
    DatabaseError
        When ``path`` is a file of a database (``basedata.har`` given where its directory is meant).
    """
    if path.is_file() and path.name.lower() in DATABASE_FILES:
        raise DatabaseError(
            f"{path} is a file of a GTAP database: give its directory {path.parent} (a GTAP database is read "
            "from its sets.har, basedata.har, default.prm and baserate.har together)"
        )
    return path.is_dir() and any(p.name.lower() in ("basedata.har", NETCDF_NAME) for p in path.iterdir())


def database_hash(database: xr.Dataset, names: Iterable[str] | None = None) -> str:
    """SHA-256 of a database's data (every array, or the arrays ``names``, in name order, with their
    dims and labels)."""
    digest = hashlib.sha256()
    for name in sorted(map(str, database.variables if names is None else names)):
        var = database[name]
        digest.update(f"{name}{var.dims}".encode())
        digest.update(np.ascontiguousarray(var.values).tobytes() if var.dtype.kind != "O" else str(var.values).encode())
    return digest.hexdigest()


def parameter_names(database: xr.Dataset) -> list[str]:
    """The database's behavioural parameters: the arrays of GTAP's ``default.prm`` (elasticities,
    RORFLEX, RORDELTA, endowment types), which leave the benchmark's flows and prices unchanged."""
    parameters = {e.name for e in sc.entries("parameter") if e.file == "default"}
    return [str(n) for n in database.variables if str(n) in parameters]


def benchmark_hash(database: xr.Dataset) -> str:
    """SHA-256 of a database without its behavioural parameters (:func:`parameter_names`): runs
    with the same benchmark hash share the benchmark (levels, baseline) and differ at most in
    elasticities, so their results may be stacked and compared."""
    parameters = set(parameter_names(database))
    return database_hash(database, [str(n) for n in database.variables if str(n) not in parameters])


def _regular(path: Path) -> Path:
    """``path`` when it is a regular file (links followed); else one line naming what it is."""
    if path.is_dir():
        raise DatabaseError(f"{path}: a directory, not a file of the database")
    return regular_file(path, "file of a GTAP database", DatabaseError)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read(path: Path) -> dict[str, xr.DataArray]:
    try:
        return read_har(path)
    except HarError as exc:
        raise DatabaseError(str(exc)) from None


# ---------------------------------------------------------------------------------------------
# loading


def load_database(
    directory: str | os.PathLike | None = None, files: Mapping[str, str | os.PathLike] | None = None
) -> xr.Dataset:
    """Load a GTAP v7 database directory into one Dataset.

    Parameters
    ----------
    directory : path or None
        Holds ``sets.har``, ``basedata.har``, ``default.prm`` and optionally ``baserate.har``
        (names in any case). ``None``: the project's shipped open database (``sam/gtap``). A
        ``database.nc`` written by :func:`save_database` is read instead of the HAR files when
        the HAR files still have the hashes it recorded and it still holds their values (it holds
        them in float64; HAR files hold float32); otherwise the HAR files are read, with a
        warning.
    files : mapping, optional
        Files that replace the directory's, by role (``sets``, ``basedata``, ``default``,
        ``baserate``): what a CMF's ``file GTAPSETS/GTAPDATA/GTAPPARM`` statements name.

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
        from ``sets.har``, labels GEMPACK cannot use as element names (:func:`element_name_problems`),
        NaN or infinite values (header and cell), endowment subsets that cannot be determined.
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
    located = locate_files(directory)
    named = {role: _regular(Path(path)) for role, path in (files or {}).items()}
    unknown = sorted(set(named) - set(sc.FILES))
    if unknown:
        raise ValueError(f"files: unknown role(s) {unknown} (roles: {', '.join(sc.FILES)})")
    own = all(os.path.samefile(path, located[role]) for role, path in named.items() if role in located)
    found = {**located, **named}
    hashes = {path.name: file_sha256(path) for path in found.values()}
    har = None
    if own and not set(named) - set(located):
        nc, cached = _cached_netcdf(directory, hashes)
        if cached is not None:
            har = _from_har(found)
            difference = _first_difference(cached, har)
            if difference is None:
                _refuse_labels(directory, har)
                return cached
            log.warning(
                "%s does not hold the values of the HAR files beside it (%s): reading the HAR files", nc, difference
            )
    ds = har if har is not None else _from_har(found)
    _refuse_labels(directory, ds)
    ds.attrs.update(source_directory=str(directory.resolve()), precision="float32")
    ds.attrs.update({HASH_PREFIX + k: v for k, v in hashes.items()})
    return ds


def _refuse_labels(directory: Path, ds: xr.Dataset) -> None:
    """Raise when the sets of a database read from ``directory`` have labels GEMPACK cannot use
    (:func:`element_name_problems`): its files are not a GTAP database GEMPACK reads."""
    problems = element_name_problems(ds)
    if problems:
        raise database_error(f"{directory}", problems)


def _cached_netcdf(directory: Path, hashes: dict[str, str]) -> tuple[Path | None, xr.Dataset | None]:
    """``database.nc`` and its Dataset when it was written with exactly the HAR files now present
    (else None for the Dataset)."""
    nc = next((p for p in directory.iterdir() if p.name.lower() == NETCDF_NAME), None)
    if nc is None:
        return None, None
    from cge.ncio import read_netcdf

    ds = read_netcdf(nc, "GTAP database", DatabaseError)
    recorded = {k[len(HASH_PREFIX) :]: v for k, v in ds.attrs.items() if k.startswith(HASH_PREFIX)}
    if {k.lower(): v for k, v in recorded.items()} != {k.lower(): v for k, v in hashes.items()}:
        log.warning("%s is older than the HAR files beside it: reading the HAR files", nc)
        return nc, None
    for name in (*sc.ENDOWMENT_SUBSETS, sc.CAPITAL, sc.NON_MARGIN):
        if name in ds.coords:
            ds = ds.assign_coords({name: ds[name].astype(bool)})
    ds.attrs["source_directory"] = str(directory.resolve())
    return nc, conform_database(ds, where=str(nc))


def _first_difference(nc: xr.Dataset, har: xr.Dataset) -> str | None:
    """Where ``database.nc`` departs from the HAR files, or None when it holds their values.

    The HAR files hold single-precision reals written from the netCDF file's float64 values, so
    every value rounded to single precision must equal the file's; labels must be equal. The
    recorded file hashes say the HAR files are those the netCDF file was written with; this says
    the netCDF file still holds what was written then (an edit with xarray keeps the attrs)."""
    names = {sc.SATELLITE_HEADERS.get(str(n), str(n)): str(n) for n in nc.data_vars}
    if set(names) != set(map(str, har.data_vars)):
        return f"arrays {sorted(set(names) ^ set(map(str, har.data_vars)))} are in one and not the other"
    for dim in har.dims:
        if dim in nc.dims and [str(v) for v in nc[dim].values] != [str(v) for v in har[dim].values]:
            return f"the labels of {dim} differ"
    for name in sorted(names):
        a, b = nc[names[name]], har[name]
        if a.dims != b.dims:
            return f"{name} has dims {a.dims} and {b.dims}"
        single = np.asarray(a.values, dtype="f8").astype("f4")
        differ = single != np.asarray(b.values, dtype="f8").astype("f4")
        if differ.any():
            index = tuple(int(i[0]) for i in np.nonzero(differ)) if differ.ndim else ()
            return (
                f"{name}[{_cell(b, index)}] is {single[index]:g} there and {float(b.values[index]):g} in the HAR files"
            )
    return None


def _set_labels(arrays: Mapping[str, xr.DataArray], path: Path) -> dict[str, np.ndarray]:
    labels, problems = {}, []
    for entry in sc.entries("set"):
        da = arrays.get(entry.header)
        if da is None:
            problems.append(f"missing character header {entry.header!r} ({entry.long_name})")
            continue
        if da.dtype.kind not in "UO" and da.size:  # an empty set: cge 0.2 wrote it as an empty real array
            problems.append(f"header {entry.header!r} is {_kind(da)}; a set is a character array (1C) of labels")
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


HAR_TYPES = {
    "1C": "a character array (1C)",
    "RE": "a real array with set labels (RE)",
    "RL": "a real array without set labels (RL)",
    "2R": "a 2-D real array (2R)",
    "2I": "an integer array (2I)",
}


def _kind(da: xr.DataArray) -> str:
    """What a header of a HAR file is, for messages."""
    return HAR_TYPES.get(str(da.attrs.get("har_type")), f"an array of {da.dtype}")


class _Assembler:
    """Check the arrays of the files against the sets and gather them into one Dataset."""

    def __init__(self, labels: dict[str, np.ndarray]):
        self.labels = labels
        self.other_dims: dict[str, tuple[str, np.ndarray]] = {}
        self.variables: dict[str, xr.DataArray] = {}
        self.attrs: dict[str, object] = {}
        self.problems: list[str] = []
        self.mismatches: dict[tuple, list[str]] = {}
        """(file, dim, labels, expected labels, their source) -> the headers with those labels."""

    def add_file(self, role: str, path: Path, arrays: Mapping[str, xr.DataArray]) -> None:
        found = set()
        for header, da in arrays.items():
            if header.startswith("XX"):
                continue
            if da.dtype.kind in "USO":
                if header in TEXT_ATTRS:
                    self.attrs[header] = " ".join(str(v) for v in da.values)
                entry = sc.by_header().get(header.upper())
                if entry is not None and entry.file == role and entry.kind in ("data", "parameter", "rate"):
                    found.add(entry.name)
                    self.problems.append(
                        f"{path}: header {header!r} is {_kind(da)}; GTAP's {entry.name} holds numbers over "
                        f"{' x '.join(entry.dims) or 'no set'}"
                    )
                continue
            if header == "DVER":
                self.attrs["DVER"] = float(da.values.ravel()[0])
                continue
            entry = sc.by_header().get(header.upper())
            where = f"{path}: header {header!r}"
            if entry is not None and entry.file == role:
                found.add(entry.name)
                self.add(entry.name, da, path, header, entry)
            elif header in self.variables:
                self.problems.append(f"{where}: a second array named {header}")
            else:
                self.add(header, da, path, header, None)
        for entry in sc.entries("data") + sc.entries("parameter"):
            if entry.file == role and entry.required and entry.name not in found:
                self.problems.append(f"{path}: missing header {entry.header!r} ({entry.long_name})")

    def add(self, name: str, da: xr.DataArray, path: Path, header: str, entry: sc.Entry | None) -> None:
        where = f"{path}: header {header!r}"
        if da.attrs.get("har_type") == "2I":
            if da.size != 1:
                self.problems.append(f"{where}: an integer array of shape {da.shape} (a scalar expected)")
                return
            da = xr.DataArray(np.int64(da.values.ravel()[0]))
        else:
            da = da.astype("f8")
        aligned = self.align(da, path, header)
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

    def align(self, da: xr.DataArray, path: Path, header: str) -> xr.DataArray | None:
        """``da`` with set dims in the order of ``sets.har``; None (and a mismatch) if labels differ."""
        where = f"{path}: header {header!r}"
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
            key = (str(path), dim, tuple(got.tolist()), tuple(map(str, expected)), source)
            self.mismatches.setdefault(key, []).append(header)
            return None
        return da.drop_vars(list(da.coords))

    def label_problems(self) -> list[str]:
        """One line per set whose labels differ, however many headers share the difference."""
        lines = []
        for (path, dim, got, expected, source), headers in self.mismatches.items():
            if len(headers) == 1:
                which = f"header {headers[0]!r}"
            else:
                shown = ", ".join(headers[:5]) + (", ..." if len(headers) > 5 else "")
                which = f"{len(headers)} headers ({shown})"
            lines.append(f"{path}: {which}: {dim} labels {list(got)} differ from {list(expected)} of {source}")
        return lines

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
    assembler.problems += assembler.label_problems()
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
    and held as float64 (RORDELTA as an integer when it is 0 or 1); subsets become boolean
    coordinates (derived from ENDOWFLAG when absent; NMRG from MARG).

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
        if name == "RORDELTA" and np.isin(da.values, (0, 1)).all():
            da = da.astype("i8")  # another value stays as it is, for GTAP's checks to name (0.5 is not 0)
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
        np.asarray([str(v) for v in labels], dtype=str),
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


NOT_IN_ELEMENT_NAMES = re.compile(r"[\s\-]")
"""Characters a GEMPACK set element name cannot hold that this check looks for: blanks and hyphens
(ViewHAR's help, "Sets on Header Array Files", names these two)."""


def _why_not_an_element_name(label: str) -> str:
    """``'label' (why)`` when GEMPACK cannot use ``label`` as a set element name, else ''."""
    if not label:
        return "'' (empty)"
    if len(label) > SET_STRING_LENGTH:
        return f"{label!r} ({len(label)} characters)"
    found = NOT_IN_ELEMENT_NAMES.search(label)
    if found:
        return f"{label!r} (a {'hyphen' if found.group() == '-' else 'blank'})"
    return ""


def element_name_problems(ds: xr.Dataset) -> list[str]:
    """One line per set whose labels GEMPACK would not accept as element names: more than
    ``SET_STRING_LENGTH`` (12) characters, empty, with a blank or a hyphen, or two that differ only
    in case (GEMPACK ignores case; a CMF's element lookup falls back to it). An alias with the labels of a
    set already checked (``REG_2``) is not checked again."""
    lines, seen = [], []
    for dim in ds.dims:
        if dim not in ds.coords or ds[dim].dtype.kind not in "UO":
            continue
        labels = [str(v) for v in ds[dim].values]
        if labels in seen:
            continue
        seen.append(labels)
        bad = [_why_not_an_element_name(v) for v in labels]
        bad = [why for why in bad if why]
        if bad:
            lines.append(
                f"set {dim}: {len(bad)} label(s) GEMPACK cannot use as element names ({SET_STRING_LENGTH} characters "
                f"at most, no blanks or hyphens): {', '.join(bad[:5])}{' ...' if len(bad) > 5 else ''}"
            )
        folded: dict[str, str] = {}
        for v in labels:
            other = folded.setdefault(v.casefold(), v)
            if other != v:
                lines.append(f"set {dim}: labels {other!r} and {v!r} differ only in case (GEMPACK ignores case)")
    return lines


def save_database(ds: xr.Dataset, directory: str | os.PathLike) -> Path:
    """Write a database as ``sets.har``, ``basedata.har``, ``default.prm`` (GTAP header names),
    ``baserate.har`` when it has rates, and ``database.nc`` (the same Dataset, float64).

    Parameters
    ----------
    ds : xarray.Dataset
        A database in the schema (:func:`conform_database` is applied first).
    directory : path
        The target directory. Every file is encoded and written to a staging directory before
        anything is replaced: a new directory appears whole (renamed into place); in an existing
        one the files are renamed over the previous ones with Ctrl-C and SIGTERM held meanwhile,
        so the directory never holds files of two databases. An existing directory that holds a
        database file this one does not write (``baserate.har``) is refused.

    Returns
    -------
    pathlib.Path
        ``directory``.

    Raises
    ------
    DatabaseError
        When the Dataset fails :func:`conform_database`, a set's labels are not GEMPACK element
        names (:func:`element_name_problems`), an array cannot be stored in a HAR file (e.g. a value
        beyond single precision), ``directory`` is a file, or it is the directory the database
        was loaded from.
    """
    from cge.ncio import netcdf_bytes

    ds = conform_database(ds)
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise DatabaseError(f"cannot write {directory}: it exists and is not a directory")
    labels = element_name_problems(ds)
    if labels:
        raise database_error(f"cannot write {directory}", labels)
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


def _targets(directory: Path, payload: dict[str, bytes]) -> dict[str, Path]:
    """Where each file goes in an existing ``directory``: its present spelling when it has one.

    Raises
    ------
    DatabaseError
        When the directory holds a database file the new database does not write (a
        ``baserate.har`` of the previous one would be read with the new files).
    cge.atomic.WriteError
        When a target is not a regular file or is a file of the shipped data.
    """
    present = {p.name.lower(): p for p in directory.iterdir()}
    stale = [present[name].name for name in DATABASE_FILES if name in present and name not in payload]
    if stale:
        raise DatabaseError(
            f"cannot write {directory}: it holds {', '.join(stale)} of another database, which this one does not "
            "have and which would be read with the new files; remove it or write to another directory"
        )
    return {name: refuse_special_target(present.get(name, directory / name)) for name in payload}


def _write_all(directory: Path, payload: dict[str, bytes]) -> None:
    """Write every file into a staging directory beside the targets, then move them into place:
    an error or an interrupt while writing leaves the previous files; the moves are renames with
    Ctrl-C and SIGTERM held until the last is done, so the files are never of two databases."""
    exists = directory.exists()
    targets = _targets(directory, payload) if exists else {}
    parent = directory if exists else directory.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{directory.name}."))
    mask = os.umask(0)
    os.umask(mask)
    staging.chmod(0o777 & ~mask)  # mkdtemp makes 0700 directories
    try:
        for name, data in payload.items():
            _write_file(staging / name, data, 0o666 & ~mask)
        with _signals_held():
            if not exists:
                _rename_directory(staging, directory)
            for name, target in targets.items():
                os.replace(staging / name, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def _write_file(path: Path, data: bytes, mode: int) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(path, mode)


def _rename_directory(staging: Path, directory: Path) -> None:
    try:
        os.replace(staging, directory)
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            raise DatabaseError(
                f"cannot write {directory}: it appeared while this database was written (another process?); "
                "nothing was written"
            ) from None
        raise


@contextmanager
def _signals_held():
    """Ctrl-C and SIGTERM are delivered after the block (the renames of one database)."""
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):  # not POSIX threads: nothing to hold
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, held)
