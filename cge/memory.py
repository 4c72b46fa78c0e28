"""Running out of memory is one line naming what was being done, never a hang.

Under an address-space limit (``ulimit -v``) the OpenBLAS bundled in NumPy's and SciPy's wheels
can spin at 100 % CPU for ever: when it starts its threads it allocates a 32 MB buffer for each
and retries a failed ``mmap``/``malloc`` in a loop that never gives up (``blas_memory_alloc``;
seen under ``ulimit -v 400000`` while ``cge run`` imported ``scipy.linalg``). So, when such a limit
is set, :func:`prepare_for_memory_limit` (called by the command line before anything else):

* keeps OpenBLAS to one thread (``OPENBLAS_NUM_THREADS=1`` unless the user set it), so each
  library needs one buffer instead of one per core;
* refuses, in one line, a limit below what starting the libraries takes (:data:`START_MB`);
* starts both libraries' BLAS at once, while memory is free, so they take their buffers now and
  never ask again.

Any later failure to allocate is an ordinary ``MemoryError`` (or a C++ ``std::bad_alloc`` that an
extension module such as Ipopt's raises as ``RuntimeError``),
which :func:`out_of_memory_line` turns into one line with the activity that :func:`doing` last
recorded and the limit in force.
"""

from __future__ import annotations

import logging
import os
import resource

log = logging.getLogger(__name__)

MB = 2**20
START_MB = 512
"""The smallest address-space limit the command line starts under [MiB]: the command line with
NumPy, SciPy's sparse solvers, xarray and Dask loaded takes 275 MiB of address space (measured
2026-12-05 with one OpenBLAS thread; 470 MiB while Pyomo and CasADi were dependencies), and a
run of one scenario on the shipped database needs more."""
SWEEP_START_MB = 1100
"""The smallest address-space limit ``cge sweep`` starts under [MiB]: the Dask scheduler's
threads each reserve a stack (under ``ulimit -v 800000``: "can't start new thread"; under 560000
Dask's own allocations failed inside its event loop and the sweep waited for workers that never
came); ``ulimit -v 1200000`` runs the shipped SSA."""
_activity = "starting"


class OutOfMemoryError(MemoryError):
    """Not enough memory (address space) for what was asked; the message says what and how much."""


def address_space_limit() -> int | None:
    """The soft address-space limit of this process (``ulimit -v``) [bytes], None when unlimited."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else int(soft)


def address_space_used() -> int:
    """Address space this process has mapped now (``VmSize``) [bytes]; 0 where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def prepare_for_memory_limit() -> None:
    """Under an address-space limit, start the BLAS libraries now with one thread (see the module).

    Raises
    ------
    OutOfMemoryError
        When the limit is below :data:`START_MB` (one line with both sizes).
    """
    limit = address_space_limit()
    if limit is None:
        return
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    require_address_space(START_MB, "to start its numerical libraries")
    import numpy as np
    import scipy.linalg.blas

    a = np.ones((2, 2))
    a @ a  # NumPy's OpenBLAS takes its buffer
    scipy.linalg.blas.dgemm(1.0, a, a)  # and SciPy's
    log.info("address-space limit %.0f MiB: BLAS started with one thread", limit / MB)


def require_address_space(mib: int, purpose: str) -> None:
    """Refuse, in one line, an address-space limit below ``mib`` [MiB] needed ``purpose``.

    Raises
    ------
    OutOfMemoryError
        ``the address-space limit (ulimit -v) is 391 MiB; cge needs at least 512 MiB to ...``.
    """
    limit = address_space_limit()
    if limit is not None and limit < mib * MB:
        raise OutOfMemoryError(
            f"the address-space limit (ulimit -v) is {limit / MB:,.0f} MiB; cge needs at least {mib:,} MiB "
            f"{purpose} (more for larger SAMs): raise the limit"
        )


def doing(activity: str) -> None:
    """Record what the program is doing now (named by :func:`out_of_memory_line` if memory runs out)."""
    global _activity
    _activity = activity


def is_out_of_memory(exc: BaseException) -> bool:
    """A failed allocation: ``MemoryError``, or a C++ ``std::bad_alloc`` an extension raised as ``RuntimeError``."""
    return isinstance(exc, MemoryError) or (isinstance(exc, RuntimeError) and "std::bad_alloc" in str(exc))


def out_of_memory_line(exc: BaseException) -> str:
    """One line for a failed allocation: what was being done, the limit, what to do."""
    if isinstance(exc, OutOfMemoryError):
        return str(exc)
    limit = address_space_limit()
    where = f"the address-space limit (ulimit -v) is {limit / MB:,.0f} MiB" if limit else "no address-space limit"
    return f"out of memory while {_activity} ({where}): free memory, raise the limit, or use a smaller SAM"
