"""GEMPACK header array (HAR) files, read into and written from labelled xarray arrays.

The format was learnt from GEMPACK's documentation of header array files (ViewHAR help: "Header
Array Files", "Sparse disk storage", "Incomplete labelling information") and from the bytes of
files written by GEMPACK programs; no other implementation's code was consulted.

A HAR file is a Fortran unformatted sequential file: each record is its payload framed by the
payload's length in bytes (int32) before and after. Little-endian files are the norm; big-endian
ones are read too. Every array ("header") is a run of records:

1. the header record: the 4-character header name;
2. the description record: 4 blanks, the type (``1C``, ``RE``, ``RL``, ``2R``, ``2I``), the
   storage (``FULL`` or ``SPSE``), the 70-character long name, the rank and the dimensions
   (``1C``: number of strings and their length; ``RE``/``RL``: always 7, padded with 1;
   ``2R``/``2I``: 2);
3. data records, each beginning with 4 blanks and a count of the records still to come (1 on the
   last record of a group):

   * ``1C``: [remaining, number of strings, strings in this record] + the strings;
   * ``RE`` only: a set-information record [number of distinct sets, a code (1; -1 in files
     written by some GTAP aggregation programs), rank, coefficient name (12), the code again,
     one set name (12) per dimension, one status character per dimension (``k``: element labels
     follow), rank + 1 zeros], then one element-label group (as ``1C``, strings of 12) per
     distinct set in order of first appearance;
   * ``RE``/``RL`` ``FULL``: [remaining, 7, the 7 dimensions], then pairs of records
     [remaining, (first, last) index per dimension] and [remaining, values of that block];
   * ``RE``/``RL`` ``SPSE``: [number of non-zeros, bytes per index, bytes per value, 80 blanks],
     then records [remaining, non-zeros in the array, non-zeros in this record, the 1-based
     positions, the values];
   * ``2R``/``2I``: records [remaining, rows, columns, first row, last row, first column, last
     column] + the values of that block.

Values are stored in Fortran (column-major) order: the first index runs fastest. Reals are 4-byte
IEEE floats (8-byte ones are read when a record's size says so), integers 4-byte.

In Python an array is an :class:`xarray.DataArray`: set names become dims (a repeated set gets
``_2``, ``_3`` in order of appearance), element labels become coordinates (trailing blanks
stripped), the long name is ``attrs["long_name"]``. What is needed to write the file back byte for
byte is kept in attrs: ``coefficient`` (the 12-character coefficient name of an ``RE`` array),
``har_type``, ``har_storage`` (``FULL``/``SPSE``), ``har_string_length`` (``1C``), and only where
a file departs from GEMPACK's usual values: ``har_code`` (the set-information code),
``har_dims_lead`` (the integer before the dimensions of a FULL array, usually 3) and
``har_strings_per_record`` (``1C`` groups split over several records). :func:`write_har` uses
them when present and GEMPACK's own defaults otherwise.
"""

from __future__ import annotations

import logging
import math
import os
import struct
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import xarray as xr

from cge.atomic import atomic_write_bytes
from cge.errors import HarError
from cge.input_files import regular_file

log = logging.getLogger(__name__)

__all__ = ["HarError", "HarFile", "read_har", "write_har", "encode_har"]

BLANKS = b"    "
TYPES = ("1C", "RE", "RL", "2R", "2I")
STORAGES = ("FULL", "SPSE")
MAX_RANK = 7
"""Largest rank of a real array in a HAR file."""
LONG_NAME_LENGTH = 70
NAME_LENGTH = 12
"""Characters of a set name, an element label and a coefficient name."""
SET_STRING_LENGTH = 12
"""Default string length of a character array (GEMPACK's for set elements)."""
SPARSE_TEXT = 80
"""Blank characters at the end of the first record of a sparse array."""
SPARSE_SHARE = 0.6
"""Share of non-zeros below which GEMPACK's TABLO-generated programs (release 12) store a real
array sparse: in their files every array with a share under 0.593 is SPSE and every one from 0.6
up is FULL (other GEMPACK programs use other thresholds, e.g. SLTOHT about 1/3)."""
FULL_LEAD = 3
"""The integer before the dimensions of a FULL real array (GEMPACK's usual value)."""
SET_CODE = 1
"""The code of the set-information record (GEMPACK's usual value)."""
MAX_VALUES = 2**31 - 1
"""Most values of one array: GEMPACK indexes an array's values (the positions of a sparse array)
with 4-byte integers."""


class HarFile(dict):
    """The arrays of one HAR file by header name, in file order (a ``dict``).

    Attributes
    ----------
    source : pathlib.Path or None
        The file they were read from; :func:`write_har` refuses to overwrite it.
    """

    source: Path | None = None


# ---------------------------------------------------------------------------------------------
# reading


def read_har(path: str | os.PathLike) -> HarFile:
    """Read every array of a GEMPACK header array file.

    Parameters
    ----------
    path : path
        The HAR file (``.har``, ``.prm``, ...).

    Returns
    -------
    HarFile
        ``{header: xarray.DataArray}`` in file order, header names case-preserved with trailing
        blanks removed. Real arrays keep the file's precision (float32), integer arrays int32,
        character arrays are 1-D arrays of strings along a dim named by the header.

    Raises
    ------
    HarError
        One line naming the file, the header and what is wrong (truncated file, unknown type,
        inconsistent sizes).
    """
    path = regular_file(path, "header array file", HarError)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise HarError(f"{path}: is a directory, not a header array file") from None
    except FileNotFoundError:
        raise HarError(f"{path}: no such file") from None
    order, records = _split_records(data, path)
    arrays = HarFile()
    arrays.source = path.resolve()
    first_spelling: dict[str, str] = {}
    for name, group in _group_headers(records, path):
        if name in arrays:
            raise HarError(f"{path}: header {name!r} appears twice")
        if name.upper() in first_spelling:
            raise HarError(
                f"{path}: headers {first_spelling[name.upper()]!r} and {name!r} differ only in case; GEMPACK "
                "reads them as one header: remove one"
            )
        first_spelling[name.upper()] = name
        arrays[name] = _Reader(path, name, group, order, len(data)).array()
    return arrays


def _record_layout(data: bytes, path: Path) -> tuple[str, int]:
    """Byte order and size of the record length markers [bytes]: 4 (the norm), or 8 for files
    written by Fortran compilers with 8-byte markers (``gfortran -frecord-marker=8``)."""
    for order in "<>":
        if len(data) >= 16 and struct.unpack_from(order + "q", data, 0)[0] == 4:
            return order, 8  # with 4-byte markers these bytes hold the header's name, never zeros
        if struct.unpack_from(order + "i", data, 0)[0] == 4:
            return order, 4
    raise HarError(f"{path}: not a header array file (the first record is not a 4-character header)")


def _split_records(data: bytes, path: Path) -> tuple[str, list[memoryview]]:
    """Byte order and the payloads of the Fortran records of ``data``."""
    if len(data) < 12:
        raise HarError(f"{path}: {len(data)} bytes, too short for a header array file")
    order, marker = _record_layout(data, path)
    code = order + ("i" if marker == 4 else "q")
    view = memoryview(data)
    records = []
    pos, size = 0, len(data)
    while pos < size:
        if pos + marker > size:
            raise HarError(f"{path}: truncated: {size - pos} stray bytes at the end")
        (length,) = struct.unpack_from(code, data, pos)
        end = pos + marker + length
        if length < 0 or end + marker > size:
            left = size - pos - 2 * marker
            raise HarError(f"{path}: truncated: the record at byte {pos} claims {length} bytes, {left} remain")
        if struct.unpack_from(code, data, end)[0] != length:
            raise HarError(f"{path}: corrupt record at byte {pos} (its two length markers differ)")
        records.append(view[pos + marker : end])
        pos = end + marker
    return order, records


def _group_headers(records: list[memoryview], path: Path):
    """Yield (header name, records after the header record) for each array of the file."""
    name: str | None = None
    group: list[memoryview] = []
    for index, record in enumerate(records):
        if record[:4] == BLANKS:
            if name is None:
                raise HarError(f"{path}: record {index} is data before any header")
            group.append(record)
            continue
        if name is not None:
            yield name, group
        if len(record) != 4:
            raise HarError(f"{path}: record {index} is neither a 4-character header nor data")
        name, group = bytes(record).decode("latin-1").rstrip(" "), []
    if name is not None:
        yield name, group


class _Reader:
    """Decode the records of one header into a DataArray."""

    def __init__(self, path: Path, name: str, records: list[memoryview], order: str, file_size: int):
        self.path, self.name, self.records, self.order = path, name, records, order
        self.file_size = file_size
        self.pos = 0
        self.layout: dict[str, int] = {}
        """Details of the file's layout that differ from GEMPACK's usual ones (attrs)."""

    def fail(self, message: str) -> HarError:
        return HarError(f"{self.path}: header {self.name!r}: {message}")

    def next(self, what: str) -> memoryview:
        if self.pos >= len(self.records):
            raise self.fail(f"file ends before its {what} record")
        record = self.records[self.pos]
        self.pos += 1
        return record

    def ints(self, record: memoryview, offset: int, count: int) -> tuple[int, ...]:
        if offset + 4 * count > len(record):
            raise self.fail(f"record of {len(record)} bytes is too short for {count} integers at byte {offset}")
        return struct.unpack_from(f"{self.order}{count}i", record, offset)

    def array(self) -> xr.DataArray:
        desc = self.next("description")
        if len(desc) < 84:
            raise self.fail(f"description record of {len(desc)} bytes (at least 84 expected)")
        kind, storage = bytes(desc[4:6]).decode("latin-1"), bytes(desc[6:10]).decode("latin-1")
        long_name = bytes(desc[10:80]).decode("latin-1").rstrip(" ")
        (rank,) = self.ints(desc, 80, 1)
        if not 0 <= rank <= MAX_RANK:
            raise self.fail(f"rank {rank} in the description record (0 to {MAX_RANK} expected)")
        dims = self.ints(desc, 84, rank)
        if any(d < 0 for d in dims):
            raise self.fail(f"negative dimensions {dims}")
        if kind not in TYPES:
            raise self.fail(f"unknown array type {kind!r} (known: {', '.join(TYPES)})")
        if storage not in STORAGES:
            raise self.fail(f"unknown storage {storage!r} (known: FULL, SPSE)")
        attrs = {"long_name": long_name, "har_type": kind, "har_storage": storage}
        if kind == "1C":
            da = self.characters(dims, attrs)
        elif kind == "RE":
            da = self.labelled_reals(dims, storage, attrs)
        elif kind == "RL":
            shape = list(dims)
            while shape and shape[-1] == 1:
                shape.pop()
            values = self.reals(dims, storage).reshape(shape, order="F")
            da = xr.DataArray(values, dims=[f"dim_{i}" for i in range(len(shape))], attrs=attrs)
        else:
            da = self.two_dimensional(dims, kind, attrs)
        if self.pos != len(self.records):
            raise self.fail(f"{len(self.records) - self.pos} unexpected records after the data")
        da.attrs.update(self.layout)
        return da

    # -- character arrays and element labels ----------------------------------------------------

    def strings(self, count: int, what: str) -> tuple[np.ndarray, int, int]:
        """(stripped strings, string length, strings per record of the first record)."""
        parts, lengths, first, seen = [], set(), 0, 0
        while True:
            record = self.next(what)
            remaining, total, here = self.ints(record, 4, 3)
            if total != count:
                raise self.fail(f"{what}: {total} strings announced, {count} expected")
            if here:
                width, extra = divmod(len(record) - 16, here)
                if extra or width <= 0:
                    raise self.fail(f"{what}: {len(record) - 16} bytes do not divide into {here} strings")
                lengths.add(width)
                parts.append(np.frombuffer(record, dtype=f"S{width}", count=here, offset=16))
            first = first or here
            seen += here
            if remaining <= 1:
                break
        if seen != count:
            raise self.fail(f"{what}: {seen} strings found, {count} expected")
        if len(lengths) > 1:
            raise self.fail(f"{what}: strings of different lengths {sorted(lengths)}")
        raw = np.concatenate(parts) if parts else np.array([], dtype="S1")
        text = np.char.rstrip(np.char.decode(raw, "latin-1"), " ") if raw.size else np.array([], dtype="U1")
        return text, (lengths.pop() if lengths else 0), first

    def characters(self, dims: tuple[int, ...], attrs: dict) -> xr.DataArray:
        if len(dims) != 2:
            raise self.fail(f"character array of rank {len(dims)} (2 expected: count and length)")
        count, length = dims
        text, width, per_record = self.strings(count, "strings")
        if count and width != length:
            raise self.fail(f"strings of {width} characters in a header declaring {length}")
        attrs["har_string_length"] = length
        if per_record < count:
            attrs["har_strings_per_record"] = per_record
        return xr.DataArray(text, dims=[self.name], attrs=attrs)

    # -- real arrays -------------------------------------------------------------------------------

    def labelled_reals(self, dims: tuple[int, ...], storage: str, attrs: dict) -> xr.DataArray:
        info = self.next("set-information")
        n_sets, code, rank = self.ints(info, 4, 3)
        if not 0 <= rank <= len(dims) or len(info) != 32 + 13 * rank + 4 * (rank + 1):
            raise self.fail(f"set-information record of {len(info)} bytes does not fit rank {rank}")
        coefficient = bytes(info[16:28]).decode("latin-1").rstrip(" ")
        sets = [bytes(info[32 + 12 * i : 44 + 12 * i]).decode("latin-1").rstrip(" ") for i in range(rank)]
        status = bytes(info[32 + 12 * rank : 32 + 13 * rank]).decode("latin-1")
        if set(status) - {"k"}:
            raise self.fail(f"set status {status!r}: only arrays with element labels on every set ('k') are read")
        distinct = list(dict.fromkeys(sets))
        if n_sets != len(distinct):
            raise self.fail(f"{n_sets} set label lists announced for the {len(distinct)} distinct sets {distinct}")
        if any(d != 1 for d in dims[rank:]):
            raise self.fail(f"dimensions {dims} beyond the {rank} sets {sets} are not 1")
        labels = {}
        for name, size in zip(sets, dims):
            if name not in labels:
                labels[name] = self.strings(size, f"labels of set {name}")[0]
            elif len(labels[name]) != size:
                raise self.fail(f"set {name} has {len(labels[name])} labels and a dimension of {size}")
        values = self.reals(dims, storage).reshape(dims[:rank], order="F")
        names = _dim_names(sets)
        if len(set(names)) != len(names):
            raise self.fail(f"set names {sets} give repeated dimension names {names}")
        attrs["coefficient"] = coefficient
        if code != SET_CODE:
            self.layout["har_code"] = code
        coords = {dim: labels[s] for dim, s in zip(names, sets)}
        return xr.DataArray(values, dims=names, coords=coords, attrs=attrs)

    def checked_size(self, dims: tuple[int, ...], stored: bool) -> int:
        """The number of values ``dims`` declare, refused before anything is allocated when a
        header array cannot hold them, or when ``stored`` (every value in the file) and the file
        is too small for them (a damaged or hostile description)."""
        size = math.prod(dims)
        if size > MAX_VALUES:
            raise self.fail(
                f"dimensions {dims} declare {size:,} values, more than the {MAX_VALUES:,} a header array can "
                f"index (the file has {self.file_size:,} bytes)"
            )
        if stored and 4 * size > self.file_size:
            raise self.fail(
                f"dimensions {dims} declare {size:,} values ({4 * size:,} bytes) in a file of {self.file_size:,} bytes"
            )
        return size

    def reals(self, dims: tuple[int, ...], storage: str) -> np.ndarray:
        """The values of a FULL or SPSE real array, flat in Fortran order."""
        size = self.checked_size(dims, stored=storage == "FULL")
        if storage == "SPSE":
            return self.sparse(size)
        shape_record = self.next("dimensions")
        lead, ndim = self.ints(shape_record, 4, 2)
        stored = self.ints(shape_record, 12, ndim)
        if tuple(stored) != tuple(dims):
            raise self.fail(f"data dimensions {stored} differ from the description's {dims}")
        if lead != FULL_LEAD:
            self.layout["har_dims_lead"] = lead
        out = None
        while True:
            limits = self.ints(self.next("block limits"), 8, 2 * ndim)
            block = self.next("data")
            (remaining,) = self.ints(block, 4, 1)
            lo = [limits[2 * i] - 1 for i in range(ndim)]
            hi = [limits[2 * i + 1] for i in range(ndim)]
            if any(a < 0 or b > d or a > b for a, b, d in zip(lo, hi, dims)):
                raise self.fail(f"block limits {limits} outside the dimensions {dims}")
            count = int(np.prod([b - a for a, b in zip(lo, hi)], dtype=np.int64))
            itemsize, extra = divmod(len(block) - 8, count) if count else (4, len(block) - 8)
            if extra or itemsize not in (4, 8):
                raise self.fail(f"data record of {len(block)} bytes for {count} values")
            values = np.frombuffer(block, dtype=f"{self.order}f{itemsize}", count=count, offset=8)
            if count == size and remaining <= 1 and out is None:
                return values.astype(values.dtype.newbyteorder("="))
            if out is None:
                out = np.zeros(dims, dtype=f"f{itemsize}", order="F")
            out[tuple(slice(a, b) for a, b in zip(lo, hi))] = values.reshape([b - a for a, b in zip(lo, hi)], order="F")
            if remaining <= 1:
                break
        return out.ravel(order="F")

    def sparse(self, size: int) -> np.ndarray:
        head = self.next("sparse header")
        nonzeros, int_size, real_size = self.ints(head, 4, 3)
        if int_size not in (4, 8) or real_size not in (4, 8):
            raise self.fail(f"sparse storage with {int_size}-byte positions and {real_size}-byte values")
        out = np.zeros(size, dtype=f"f{real_size}")
        seen = 0
        while True:
            record = self.next("sparse data")
            remaining, _total, here = self.ints(record, 4, 3)
            if len(record) != 16 + here * (int_size + real_size):
                raise self.fail(f"sparse record of {len(record)} bytes for {here} values")
            positions = np.frombuffer(record, dtype=f"{self.order}i{int_size}", count=here, offset=16)
            values = np.frombuffer(record, dtype=f"{self.order}f{real_size}", count=here, offset=16 + here * int_size)
            if here and (positions.min() < 1 or positions.max() > size):
                raise self.fail(f"sparse positions outside 1..{size}")
            out[positions - 1] = values
            seen += here
            if remaining <= 1:
                break
        if seen != nonzeros:
            raise self.fail(f"{seen} sparse values found, {nonzeros} announced")
        return out

    def two_dimensional(self, dims: tuple[int, ...], kind: str, attrs: dict) -> xr.DataArray:
        if len(dims) != 2:
            raise self.fail(f"{kind} array of rank {len(dims)} (2 expected)")
        dtype = "i4" if kind == "2I" else "f4"
        self.checked_size(dims, stored=True)
        out = np.zeros(dims, dtype=dtype, order="F")
        while True:
            record = self.next("data")
            remaining, rows, cols, r0, r1, c0, c1 = self.ints(record, 4, 7)
            if (rows, cols) != tuple(dims) or not (1 <= r0 <= r1 <= rows and 1 <= c0 <= c1 <= cols):
                raise self.fail(f"2-D block [{r0}:{r1}, {c0}:{c1}] of {rows}x{cols} does not fit {dims}")
            shape = (r1 - r0 + 1, c1 - c0 + 1)
            count = shape[0] * shape[1]
            if len(record) != 32 + 4 * count:
                raise self.fail(f"data record of {len(record)} bytes for {count} values")
            block = np.frombuffer(record, dtype=f"{self.order}{dtype}", count=count, offset=32)
            out[r0 - 1 : r1, c0 - 1 : c1] = block.reshape(shape, order="F")
            if remaining <= 1:
                break
        return xr.DataArray(np.ascontiguousarray(out), dims=["dim_0", "dim_1"], attrs=attrs)


def _dim_names(sets: list[str]) -> list[str]:
    """Dimension names of an array over ``sets``: the n-th repeat of a set gets ``_n``."""
    seen: Counter = Counter()
    names = []
    for name in sets:
        seen[name] += 1
        names.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return names


# ---------------------------------------------------------------------------------------------
# writing


def write_har(path: str | os.PathLike, arrays: Mapping[str, xr.DataArray]) -> Path:
    """Write arrays to a GEMPACK header array file, atomically.

    Parameters
    ----------
    path : path
        The file to write. It appears complete or not at all (temporary file + rename).
    arrays : mapping of str to xarray.DataArray
        ``{header: array}`` in the order to write. Strings -> ``1C``; integers (at most 2-D, no
        labels) -> ``2I``; reals with element labels (coordinates) on every dim -> ``RE``, the
        dims being set names (``X_2`` stands for a repeat of ``X``); reals without labels ->
        ``RL`` (``2R`` when ``attrs["har_type"] == "2R"``). Reals are stored as 4-byte floats.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    HarError
        Before anything is written: a header name that is not 1-4 characters or repeats (case
        ignored), a long name over 70 characters, a label or set name over 12, NaN or infinite
        values (naming the cell), a partly labelled array, a target that exists and is not a
        regular file, or the file the arrays were read from.
    cge.atomic.WriteError
        Before anything is written: a target that is a symbolic link or a file of the shipped
        data (:func:`cge.atomic.refuse_special_target`); on a device error (full disk).
    """
    path = Path(path)
    if path.exists() and not path.is_file():
        raise HarError(f"cannot write {path}: it exists and is not a regular file")
    source = getattr(arrays, "source", None)
    if source is not None and path.exists() and os.path.samefile(path, source):
        raise HarError(f"cannot write {path}: it is the file these arrays were read from; write to another file")
    payload = encode_har(arrays)
    atomic_write_bytes(path, payload)
    log.debug("wrote %d headers to %s (%d bytes)", len(arrays), path, len(payload))
    return path


def encode_har(arrays: Mapping[str, xr.DataArray]) -> bytes:
    """The bytes of a HAR file holding ``arrays`` (see :func:`write_har`)."""
    seen: dict[str, str] = {}
    chunks: list[bytes] = []
    for name, array in arrays.items():
        key = str(name).upper()
        if key in seen:
            raise HarError(f"headers {seen[key]!r} and {name!r} differ only in case; GEMPACK treats them as one")
        seen[key] = str(name)
        da = array if isinstance(array, xr.DataArray) else xr.DataArray(array)
        chunks.extend(_record(r) for r in _Writer(str(name), da).records())
    return b"".join(chunks)


def _record(payload: bytes) -> bytes:
    length = struct.pack("<i", len(payload))
    return length + payload + length


def _ints(*values: int) -> bytes:
    return struct.pack(f"<{len(values)}i", *values)


class _Writer:
    """Encode one DataArray as the records of one header."""

    def __init__(self, name: str, da: xr.DataArray):
        self.name, self.da = name, da
        if not 1 <= len(name) <= 4 or name != name.strip() or not _is_latin1(name):
            raise HarError(f"header {name!r}: a header name has 1 to 4 characters, no blanks at either end")
        self.long_name = str(da.attrs.get("long_name", ""))
        if len(self.long_name) > LONG_NAME_LENGTH:
            raise self.fail(f"long name of {len(self.long_name)} characters (at most {LONG_NAME_LENGTH})")

    def fail(self, message: str) -> HarError:
        return HarError(f"header {self.name!r}: {message}")

    def text(self, value: str, width: int, what: str) -> bytes:
        if len(value) > width:
            raise self.fail(f"{what} {value!r} has {len(value)} characters (at most {width})")
        try:
            return value.ljust(width).encode("latin-1")
        except UnicodeEncodeError:
            raise self.fail(f"{what} {value!r} has characters a HAR file cannot hold") from None

    def description(self, kind: str, storage: str, dims: tuple[int, ...]) -> bytes:
        long_name = self.text(self.long_name, LONG_NAME_LENGTH, "long name")
        return BLANKS + kind.encode() + storage.encode() + long_name + _ints(len(dims), *dims)

    def records(self) -> list[bytes]:
        da, kind = self.da, self.da.dtype.kind
        head = self.text(self.name, 4, "header")
        if kind in "USO":
            return [head, *self.characters()]
        if kind in "iu":
            return [head, *self.integers()]
        if kind != "f":
            raise self.fail(f"values of dtype {da.dtype} (strings, integers or reals expected)")
        labelled = [d for d in da.dims if d in da.indexes]
        if labelled and len(labelled) < da.ndim:
            missing = [d for d in da.dims if d not in da.indexes]
            raise self.fail(f"dims {missing} have no element labels and {labelled} do: label all or none")
        if da.ndim > MAX_RANK:
            raise self.fail(f"{da.ndim} dimensions (at most {MAX_RANK})")
        values = self.finite_single(np.asarray(da.values))
        if da.ndim and len(labelled) == da.ndim:
            return [head, *self.labelled_reals(values)]
        if da.attrs.get("har_type") == "2R" and da.ndim <= 2:
            return [head, *self.two_dimensional(values.reshape(_as_2d(values.shape)), "2R")]
        if da.attrs.get("har_type") == "RL" or da.ndim:
            return [head, *self.unlabelled_reals(values)]
        return [head, *self.labelled_reals(values)]  # a scalar: RE with no sets, as GEMPACK writes it

    def finite_single(self, values: np.ndarray) -> np.ndarray:
        bad = ~np.isfinite(values)
        with np.errstate(over="ignore", invalid="ignore"):
            single = values.astype("<f4")
        bad |= ~np.isfinite(single)
        if bad.any():
            index = tuple(int(i[0]) for i in np.nonzero(bad))
            where = {d: str(self.da[d].values[i]) if d in self.da.indexes else i for d, i in zip(self.da.dims, index)}
            raise self.fail(f"{int(bad.sum())} values are NaN, infinite or beyond single precision, first at {where}")
        return single

    def characters(self) -> list[bytes]:
        da = self.da
        if da.ndim > 1:
            raise self.fail(f"a character array has one dimension, not {da.ndim}")
        strings = [str(s) for s in np.atleast_1d(da.values)]
        longest = max((len(s) for s in strings), default=0)
        width = int(da.attrs.get("har_string_length", 0))
        if width < longest:
            width = max(longest, SET_STRING_LENGTH)
        per_record = int(da.attrs.get("har_strings_per_record", 0)) or len(strings) or 1
        records = [self.description("1C", "FULL", (len(strings), width))]
        records.extend(self.string_records(strings, width, per_record, "string"))
        return records

    def string_records(self, strings: list[str], width: int, per_record: int, what: str) -> list[bytes]:
        total = len(strings)
        starts = list(range(0, total, per_record)) or [0]
        records = []
        for number, start in enumerate(starts):
            part = strings[start : start + per_record]
            body = b"".join(self.text(s, width, what) for s in part)
            records.append(BLANKS + _ints(len(starts) - number, total, len(part)) + body)
        return records

    def integers(self) -> list[bytes]:
        da = self.da
        if da.ndim > 2:
            raise self.fail(f"integer arrays (2I) have at most 2 dimensions, not {da.ndim}")
        if any(d in da.indexes for d in da.dims):
            raise self.fail("integer arrays (2I) cannot carry element labels: drop the coordinates or use reals")
        values = np.asarray(da.values)
        if values.size and (values.min() < -(2**31) or values.max() >= 2**31):
            raise self.fail("integers beyond 32 bits")
        return self.two_dimensional(values.astype("<i4").reshape(_as_2d(values.shape)), "2I")

    def two_dimensional(self, values: np.ndarray, kind: str) -> list[bytes]:
        rows, cols = values.shape
        block = _ints(1, rows, cols, 1, rows, 1, cols) + values.ravel(order="F").tobytes()
        return [self.description(kind, "FULL", (rows, cols)), BLANKS + block]

    def labelled_reals(self, values: np.ndarray) -> list[bytes]:
        da = self.da
        sets = _set_names(da)
        storage = self.storage(values)
        dims = tuple(values.shape) + (1,) * (MAX_RANK - values.ndim)
        code = int(da.attrs.get("har_code", SET_CODE))
        coefficient = self.text(str(da.attrs.get("coefficient", self.name)), NAME_LENGTH, "coefficient name")
        distinct = list(dict.fromkeys(sets))
        info = BLANKS + _ints(len(distinct), code, len(sets)) + coefficient + _ints(code)
        info += b"".join(self.text(s, NAME_LENGTH, "set name") for s in sets)
        info += b"k" * len(sets) + _ints(*([0] * (len(sets) + 1)))
        records = [self.description("RE", storage, dims), info]
        for name in distinct:
            dim = da.dims[sets.index(name)]
            labels = [str(v) for v in da.indexes[dim]]
            records.extend(self.string_records(labels, NAME_LENGTH, max(len(labels), 1), f"label of set {name}"))
        return records + self.real_values(values, storage, dims)

    def unlabelled_reals(self, values: np.ndarray) -> list[bytes]:
        storage = self.storage(values)
        dims = tuple(values.shape) + (1,) * (MAX_RANK - values.ndim)
        return [self.description("RL", storage, dims), *self.real_values(values, storage, dims)]

    def storage(self, values: np.ndarray) -> str:
        """The file's storage when known, else GEMPACK's default: SPSE below 60 % non-zeros."""
        given = self.da.attrs.get("har_storage")
        if given in STORAGES:
            return given
        return "SPSE" if np.count_nonzero(values) < SPARSE_SHARE * values.size else "FULL"

    def real_values(self, values: np.ndarray, storage: str, dims: tuple[int, ...]) -> list[bytes]:
        flat = values.ravel(order="F")
        if storage == "SPSE":
            positions = np.flatnonzero(flat)
            head = BLANKS + _ints(positions.size, 4, 4) + b" " * SPARSE_TEXT
            body = (positions + 1).astype("<i4").tobytes() + flat[positions].tobytes()
            return [head, BLANKS + _ints(1, positions.size, positions.size) + body]
        limits = [v for d in dims for v in (1, d)]
        return [
            BLANKS + _ints(int(self.da.attrs.get("har_dims_lead", FULL_LEAD)), len(dims), *dims),
            BLANKS + _ints(2, *limits),
            BLANKS + _ints(1) + flat.tobytes(),
        ]


def _set_names(da: xr.DataArray) -> list[str]:
    """The set of each dim: ``X_n`` is a repeat of an earlier dim ``X`` with the same labels."""
    sets = []
    for dim in map(str, da.dims):
        base, _, suffix = dim.rpartition("_")
        repeat = base in da.dims[: da.dims.index(dim)] and suffix.isdigit() and int(suffix) >= 2
        same = repeat and da.indexes[base].equals(da.indexes[dim])
        sets.append(base if same else dim)
    return sets


def _as_2d(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) == 2:
        return shape
    return (shape[0], 1) if len(shape) == 1 else (1, 1)


def _is_latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True
