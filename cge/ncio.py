"""netCDF files in and out: whole files read into memory with one-line errors, atomic writes.

Writing serialises the dataset in memory first and hands the bytes to
:func:`cge.atomic.atomic_write_bytes`: the HDF5 library never writes to the device, so a full
disk is a Python ``OSError`` (a :class:`~cge.atomic.WriteError` naming the file and the size)
rather than an HDF5 failure while closing the file, which crashed the interpreter (exit 139).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import xarray as xr

from cge.atomic import atomic_write_bytes
from cge.input_files import regular_file

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
NETCDF3_SIGNATURE = b"CDF"


def netcdf_bytes(ds: xr.Dataset) -> memoryview:
    """The dataset as netCDF-4 (HDF5) bytes, made in memory.

    With a ``distributed.Client`` open (a sweep), xarray would take a cluster-wide lock named
    after the in-memory target, which a stand-alone scheduler does not know; the data are in
    memory, so the local synchronous scheduler's lock is the right one.
    """
    import dask

    with dask.config.set(scheduler="synchronous"):
        return ds.to_netcdf(engine="h5netcdf")


def write_netcdf(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` to ``path`` atomically (see :func:`cge.atomic.atomic_write_bytes`).

    Raises
    ------
    cge.atomic.WriteError
        On a full disk, quota, file-size limit or read-only device; the previous file is kept.
    """
    return atomic_write_bytes(path, netcdf_bytes(ds))


def _head(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(8)


def _why_unreadable(path: Path, exc: Exception) -> str:
    head = _head(path) if path.is_file() else b""
    text = str(exc)
    truncated = re.search(r"eof = (\d+).*stored_eof = (\d+)", text, re.S)
    if truncated:
        return f"truncated: {int(truncated.group(1)):,} of {int(truncated.group(2)):,} bytes"
    if not head.startswith(HDF5_SIGNATURE) and not head.startswith(NETCDF3_SIGNATURE):
        return f"not a netCDF file: it starts with {head!r}"
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"{type(exc).__name__}: {first}"


def read_netcdf(path: str | Path, what: str, error: type[Exception] = ValueError) -> xr.Dataset:
    """Load a whole netCDF file (netCDF-4/HDF5, or netCDF-3 classic) into memory.

    Parameters
    ----------
    path : path
        The file.
    what : str
        What the file should be, for messages (e.g. "SAM", "results").
    error : exception class
        Raised for a file that exists but cannot be read.

    Raises
    ------
    FileNotFoundError
        When nothing exists at ``path``.
    error
        For a directory, an empty, truncated or non-netCDF file: one line naming the file, the
        size and the reason.
    """
    path = regular_file(path, f"{what} file", error)
    if path.is_dir():
        raise error(f"{path}: is a directory, not a {what} file (netCDF)")
    if not path.exists():
        raise FileNotFoundError(f"{what} file not found: {path}")
    size = path.stat().st_size
    if size == 0:
        raise error(f"{path}: empty file (0 bytes), not a {what} file (netCDF)")
    engine = "scipy" if _head(path).startswith(NETCDF3_SIGNATURE) else "h5netcdf"
    # a plain HDF5 file has no netCDF dimensions: name them as read, without h5netcdf's warning
    options: dict[str, Any] = {"phony_dims": "access"} if engine == "h5netcdf" else {}
    try:
        with xr.open_dataset(path, engine=engine, **options) as ds:
            return ds.load()
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise error(f"{path}: cannot read as a netCDF {what} file ({_why_unreadable(path, exc)})") from exc
