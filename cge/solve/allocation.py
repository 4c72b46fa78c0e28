"""Memory allocation of the large temporary arrays of a solve (Linux with glibc only).

Each Jacobian evaluation of a large model's tape allocates and frees some 190 MB of arrays (the
31 x 40 stress case of ``benchmarks/gtap_speed.py``, five of them 16 MB). With glibc's and NumPy's
defaults every such array is fresh memory: arrays of 4 MB and more are advised as transparent huge
pages by NumPy (each page fault then clears and may compact 2 MB), and freed memory is handed back
to the kernel, so the next evaluation faults it in again. On the stress case that was 2.2 million
page faults and 10.8 s of system time in a 34.5 s solve. :func:`reused_memory` keeps freed memory
in the process for reuse during a solve (glibc's ``mallopt``) and leaves NumPy's huge pages off, then
hands the free memory back (``malloc_trim``) and restores NumPy's setting. glibc's thresholds stay
where its own dynamic rule puts them once a 32 MB array has been freed (:data:`MMAP_THRESHOLD`,
:data:`TRIM_THRESHOLD_AFTER`). Elsewhere (macOS, Windows, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import platform
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import numpy as np

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
"""glibc's ``mallopt`` parameter numbers (malloc.h)."""
MMAP_THRESHOLD = 32 * 1024 * 1024
"""Bytes from which glibc serves an allocation by its own ``mmap`` (and unmaps it when freed): its
largest allowed value (64-bit), which its dynamic rule reaches once a 32 MB array has been freed."""
TRIM_THRESHOLD_SOLVING = 2**31 - 1
"""Free memory at the top of the heap kept during a solve [bytes]: all of it (the largest value
``mallopt`` takes)."""
TRIM_THRESHOLD_AFTER = 2 * MMAP_THRESHOLD
"""The same after a solve: glibc's dynamic rule (twice the mmap threshold)."""


@dataclass
class _OpenBlocks:
    """Blocks of :func:`reused_memory` open in this process (the first sets, the last restores)
    and NumPy's huge-page setting before the first."""

    count: int = 0
    hugepage: bool | None = None


_open = _OpenBlocks()
_lock = threading.Lock()


@cache
def _glibc() -> ctypes.CDLL | None:
    """The C library when it is glibc (None elsewhere: macOS, Windows, musl)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(None)
    except OSError:  # pragma: no cover - a static or unusual interpreter
        return None


def _numpy_hugepage(enabled: bool) -> bool | None:
    """Set NumPy's huge-page advice for new arrays of 4 MB and more; returns the previous setting
    (None when this NumPy has no such switch: the ``NUMPY_MADVISE_HUGEPAGE`` setting at import)."""
    multiarray = getattr(getattr(np, "_core", None), "multiarray", None)
    switch = getattr(multiarray, "_set_madvise_hugepage", None)
    return None if switch is None else bool(switch(enabled))


@contextmanager
def reused_memory() -> Iterator[None]:
    """Within the block, freed memory stays in the process and is reused, and NumPy does not
    advise huge pages; afterwards free memory goes back to the kernel and NumPy's setting is
    restored. Only the allocation changes: every computed number is the same."""
    libc = _glibc()
    if libc is None:
        yield
        return
    with _lock:
        if not _open.count:
            _open.hugepage = _numpy_hugepage(False)
            libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
            libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_SOLVING)
        _open.count += 1
    try:
        yield
    finally:
        with _lock:
            _open.count -= 1
            if not _open.count:
                libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_AFTER)
                libc.malloc_trim(0)
                if _open.hugepage is not None:
                    _numpy_hugepage(_open.hugepage)
