"""Atomic file writes: the new content appears under the target's name complete, or not at all.

The content goes to a temporary file in the target's directory, is flushed to disk (``fsync``)
and is then moved into place with ``os.replace``; an error or an interrupt leaves the previous
file untouched. Two precautions against orphans:

* :func:`atomic_write_bytes` writes into an *unnamed* file (Linux ``O_TMPFILE``) and gives it a
  name only for the instant of the rename, so even ``SIGKILL`` during the write leaves nothing.
* Named temporary files carry the writer's process id (``.NAME.PID.RANDOM.tmp``); every write
  first removes the temporaries of the same target whose process is gone (killed writers).

Errors of the device (full disk, quota, file-size limit, read-only file system) raise
:class:`WriteError`, one line naming the file and the size of the write. A target that exists
but is not a regular file (symbolic link, directory, device such as ``/dev/null``, FIFO, socket)
is refused before anything is written (:func:`refuse_special_target`): replacing it would turn
it into a regular file. So is a file of the data shipped with cge (``sam/``, ``calibration/``):
only the builders that make them replace them (:func:`rebuilding_shipped_data`).
"""

from __future__ import annotations

import contextvars
import errno
import os
import secrets
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

CHUNK = 1 << 20
"""Bytes per ``os.write`` call [bytes]."""
_DEVICE_ERRORS = {errno.ENOSPC: "no space left on device", errno.EDQUOT: "disk quota exceeded"}
_DEVICE_ERRORS[errno.EFBIG] = "file too large for the device or the process's file-size limit"
_DEVICE_ERRORS[errno.EROFS] = "read-only file system"


class WriteError(OSError):
    """An output file could not be written; the previous file (if any) is untouched."""

    def __str__(self) -> str:
        return str(self.strerror)


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temps(path: str | Path) -> list[Path]:
    """Delete temporary files of ``path`` left by writers that no longer run.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    path = Path(path)
    removed: list[Path] = []
    if not path.parent.is_dir():
        return removed
    prefix = _temp_prefix(path)
    for tmp in path.parent.glob(f"{prefix}*.tmp"):
        pid = tmp.name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            try:
                tmp.unlink()
                removed.append(tmp)
            except FileNotFoundError:
                pass
    return removed


def _named_temp(path: Path) -> Path:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{_temp_prefix(path)}{os.getpid()}.", suffix=".tmp")
    os.close(fd)
    return Path(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _device_error(path: Path, exc: OSError, size: int | None) -> WriteError:
    known = _DEVICE_ERRORS.get(exc.errno) if exc.errno is not None else None
    reason = known or exc.strerror or str(exc)
    what = f" ({size / 1e3:,.1f} kB to write)" if size is not None else ""
    kept = "the previous file is kept" if path.exists() else "nothing was written"
    return WriteError(exc.errno, f"cannot write {path}: {reason}{what}; {kept}")


@contextmanager
def _device_errors(path: Path, size: int | None) -> Iterator[None]:
    """Turn a device error (full disk, quota, size limit, read-only) into a one-line WriteError."""
    try:
        yield
    except WriteError:
        raise
    except OSError as exc:
        if exc.errno in _DEVICE_ERRORS:
            raise _device_error(path, exc, size) from exc
        raise


_SPECIAL_FILES = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a directory; give a file name"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)


def refuse_special_target(path: str | Path) -> Path:
    """Refuse to write over anything but a regular file: a symbolic link, directory, device, FIFO
    or socket at ``path`` would be replaced by a regular file (``/dev/null`` turned into a file);
    and over a file of the shipped data (:func:`refuse_shipped`).

    Returns
    -------
    pathlib.Path
        ``path``, when nothing exists there or it is a regular file.

    Raises
    ------
    WriteError
        One line naming the path and what it is.
    """
    path = Path(path)
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return path
    if stat.S_ISREG(mode):
        return refuse_shipped(path)
    kind = next((text for test, text in _SPECIAL_FILES if test(mode)), "not a regular file")
    if stat.S_ISLNK(mode):
        kind += f" (to {os.readlink(path)}); give the path of a regular file"
    elif not stat.S_ISDIR(mode):
        kind += ", not a regular file; outputs are written only as regular files"
    code = errno.EISDIR if stat.S_ISDIR(mode) else errno.EEXIST
    raise WriteError(code, f"cannot write {path}: it is {kind}")


_REBUILDING = contextvars.ContextVar("rebuilding_shipped_data", default=False)


@contextmanager
def rebuilding_shipped_data() -> Iterator[None]:
    """Let the writes inside replace files of the shipped data (``cge build-sam`` and ``cge
    build-database`` when their ``--out`` names ``sam/`` or ``sam/gtap``)."""
    token = _REBUILDING.set(True)
    try:
        yield
    finally:
        _REBUILDING.reset(token)


def shipped_root(path: str | Path) -> Path | None:
    """The shipped data directory (``sam/`` or ``calibration/``) that holds ``path``, else None."""
    from cge.paths import CALIBRATION_DIR, SAM_DIR

    resolved = Path(os.path.realpath(path))
    for root in (SAM_DIR, CALIBRATION_DIR):
        real = Path(os.path.realpath(root))
        if resolved == real or real in resolved.parents:
            return root
    return None


def refuse_shipped(path: str | Path) -> Path:
    """Refuse to replace a file of the data shipped with cge (a user's output onto
    ``sam/gtap/basedata.har`` would change every later default run); new files there are allowed.

    Raises
    ------
    WriteError
        Naming the file and the shipped directory, unless inside :func:`rebuilding_shipped_data`.
    """
    path = Path(path)
    root = shipped_root(path) if os.path.lexists(path) and not _REBUILDING.get() else None
    if root is not None:
        raise WriteError(
            errno.EPERM,
            f"cannot write {path}: it is part of the data shipped with cge ({root}), which every default run "
            "reads; write to another place (cge build-sam and cge build-database rebuild the shipped data)",
        )
    return path


def prepare_output(path: str | Path) -> Path:
    """Check, before any work, that ``path`` can be written; create its directory.

    A trial file is created and removed in the target's directory, so a read-only or missing
    location is reported before a long solve rather than after it.

    Raises
    ------
    WriteError
        When ``path`` exists but is not a regular file (:func:`refuse_special_target`), or its
        directory cannot be created or written.
    """
    path = refuse_special_target(path)
    blocker = next((p for p in path.parents if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise WriteError(errno.ENOTDIR, f"cannot write {path}: {blocker} is a file, not a directory")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(exc.errno, f"cannot write {path}: cannot create its directory ({exc.strerror})") from exc
    try:
        fd, trial = tempfile.mkstemp(dir=path.parent, prefix=f"{_temp_prefix(path)}{os.getpid()}.", suffix=".tmp")
    except OSError as exc:
        raise WriteError(exc.errno, f"cannot write {path}: {exc.strerror} in {path.parent}") from exc
    os.close(fd)
    os.unlink(trial)
    return path


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary path beside ``path``, then ``os.replace`` it into place.

    Parameters
    ----------
    path : path
        Final file; its directory is created if missing.
    write : callable
        Writes the whole file to the temporary path it is given.

    Returns
    -------
    pathlib.Path
        ``path``. On any error or interrupt the temporary file is removed and ``path`` is left
        untouched.

    Raises
    ------
    WriteError
        On a device error (full disk, quota, file-size limit, read-only file system), or when
        ``path`` exists but is not a regular file (:func:`refuse_special_target`).
    """
    path = refuse_special_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    tmp = _named_temp(path)
    try:
        with _device_errors(path, None):
            write(tmp)
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; give the file the usual permissions
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    _fsync_dir(path.parent)
    return path


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data).cast("B")
    while view:
        written = os.write(fd, view[:CHUNK])
        view = view[written:]


def _anonymous_file(dir_fd: int) -> int | None:
    """An unnamed file in the directory ``dir_fd`` (Linux ``O_TMPFILE``), or None where unsupported."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not Path("/proc/self/fd").is_dir():
        return None
    try:
        return os.open(".", flag | os.O_WRONLY, 0o666 & ~_umask(), dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in _DEVICE_ERRORS:
            raise
        return None  # EOPNOTSUPP, EISDIR (old kernels), ...: fall back to a named file


def _link_anonymous(fd: int, dir_fd: int, path: Path) -> str | None:
    """Give the unnamed file ``fd`` a temporary name beside ``path``; None if the system refuses."""
    while True:
        name = f"{_temp_prefix(path)}{os.getpid()}.{secrets.token_hex(4)}.tmp"
        try:
            # with a dir_fd, os.link calls linkat(..., AT_SYMLINK_FOLLOW): it links the file the
            # /proc symlink points to (plain link() would try to link the symlink itself)
            os.link(f"/proc/self/fd/{fd}", name, dst_dir_fd=dir_fd, follow_symlinks=True)
            return name
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno in _DEVICE_ERRORS:
                raise
            return None


def atomic_write_bytes(path: str | Path, data: bytes | memoryview) -> Path:
    """Write ``data`` to ``path`` atomically, leaving no temporary file even on ``SIGKILL``.

    Parameters
    ----------
    path : path
        Final file; its directory is created if missing.
    data : bytes or memoryview
        The whole content.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    WriteError
        On a device error (full disk, quota, file-size limit, read-only file system), naming the
        file and the size; the previous file is untouched. When ``path`` exists but is not a
        regular file (:func:`refuse_special_target`), before anything is written.
    """
    path = refuse_special_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    size = memoryview(data).nbytes
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        with _device_errors(path, size):
            fd = _anonymous_file(dir_fd)
            if fd is not None:
                name = None
                try:
                    _write_all(fd, data)
                    os.fsync(fd)
                    name = _link_anonymous(fd, dir_fd, path)  # the name exists only until the rename
                    if name is not None:
                        os.replace(name, path.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
                        os.fsync(dir_fd)
                        return path
                finally:
                    os.close(fd)
                    if name is not None and os.path.exists(path.parent / name):
                        os.unlink(name, dir_fd=dir_fd)
    finally:
        os.close(dir_fd)
    return atomic_write(path, lambda tmp: _write_named(tmp, data, size, path))


def _write_named(tmp: Path, data: bytes | memoryview, size: int, path: Path) -> None:
    fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC)
    try:
        with _device_errors(path, size):
            _write_all(fd, data)
    finally:
        os.close(fd)
