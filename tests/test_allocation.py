"""Memory kept for reuse during a solve (cge.solve.allocation): freed arrays are not faulted in
again, NumPy's huge-page advice is off inside and restored after, nested blocks change nothing."""

from __future__ import annotations

import resource

import numpy as np
import pytest

from cge.solve import allocation
from cge.solve.allocation import reused_memory
from cge.solve.linalg import within

glibc_only = pytest.mark.skipif(allocation._glibc() is None, reason="glibc's mallopt only")


def _page_faults(work, rounds: int = 5) -> float:
    """Minor page faults per round of ``work`` (a count, not a time)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(rounds):
        work()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / rounds


def _jacobian_like() -> float:
    """Large temporaries as a tape Jacobian makes them: 16 MB and 1.6 MB arrays, freed at once."""
    data = np.ones(2_000_000)
    scaled = data * 2.0
    small = np.ones(200_000)
    return float(scaled[0] + small[0])


@glibc_only
def test_freed_large_arrays_are_reused_without_page_faults() -> None:
    with reused_memory():
        _jacobian_like()  # the first round takes the memory from the kernel
        assert _page_faults(_jacobian_like) < 50  # 4,400 pages of 4 kB per round if faulted in


@glibc_only
@pytest.mark.skipif(allocation._numpy_hugepage(True) is None, reason="no huge-page switch in this NumPy")
def test_numpy_huge_pages_are_off_inside_and_restored_after() -> None:
    for setting in (True, False):
        allocation._numpy_hugepage(setting)
        with reused_memory():
            assert allocation._numpy_hugepage(False) is False
            with reused_memory():  # nested: nothing set or restored
                pass
            assert allocation._numpy_hugepage(False) is False
            assert allocation._open.count == 1
        assert allocation._open.count == 0
        assert allocation._numpy_hugepage(True) is setting


def test_decorated_function_returns_its_value_and_closes_the_block() -> None:
    @within(reused_memory)
    def inside(value: int) -> tuple[int, int]:
        return value, allocation._open.count

    expected_blocks = 0 if allocation._glibc() is None else 1
    assert inside(3) == (3, expected_blocks)
    assert allocation._open.count == 0
    with pytest.raises(ZeroDivisionError):
        within(reused_memory)(lambda: 1 / 0)()
    assert allocation._open.count == 0
