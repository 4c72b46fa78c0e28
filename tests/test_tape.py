"""The vectorised sparse-derivative tape: exact Jacobians, tangents and structural patterns."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from cge.solve.tape import Tape


def _graph(seed: int):
    rng = np.random.default_rng(seed)
    n, n_p = 9, 4
    tape = Tape(n, n_p)
    a = tape.variable(0, 5)
    b = tape.variable(5, 4)
    p = tape.parameter(0, 4)
    mix = rng.integers(0, 5, 4)
    g1 = a[mix] * b**1.7 / p + (b.log() * 0.5).exp() - 2.0
    matrix = sp.random(3, 5, density=0.6, random_state=seed, format="csr") + sp.eye(3, 5, format="csr")
    g2 = matrix @ (a * a[::-1]) - 1.0 / (a[[0, 1, 2]] + 3.0)
    g3 = 1.5 - (b[[0, 3]] * p[[1, 2]]) / a[[4, 4]]
    return tape.compile([g1, g2, g3]), rng


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000))
def test_jacobian_and_tangents_match_finite_differences(seed: int) -> None:
    compiled, rng = _graph(seed)
    x = rng.uniform(0.5, 2.0, compiled.n)
    p = rng.uniform(0.5, 2.0, compiled.n_p)
    _, jac = compiled.jacobian(x, p)
    eps = 1e-6
    numeric = np.column_stack(
        [
            (compiled.residual(x + eps * e, p) - compiled.residual(x - eps * e, p)) / (2 * eps)
            for e in np.eye(compiled.n)
        ]
    )
    assert np.abs(jac.toarray() - numeric).max() < 1e-6
    dx, dp = rng.normal(size=compiled.n), rng.normal(size=compiled.n_p)
    _, tangent = compiled.jvp(x, p, dx, dp)
    numeric_t = (compiled.residual(x + eps * dx, p + eps * dp) - compiled.residual(x - eps * dx, p - eps * dp)) / (
        2 * eps
    )
    assert np.abs(tangent - numeric_t).max() < 1e-6


def test_the_pattern_is_structural_not_numerical() -> None:
    tape = Tape(2, 1)
    x = tape.variable(0, 2)
    compiled = tape.compile([x[[0]] * x[[1]]])
    _, jac = compiled.jacobian(np.array([0.0, 0.0]), np.zeros(1))  # both derivatives are zero here
    assert jac.nnz == 2


def test_mismatched_sizes_are_refused() -> None:
    tape = Tape(3, 0 + 1)
    x = tape.variable(0, 3)
    with pytest.raises(ValueError, match="sizes differ"):
        _ = x + x[[0, 1]]
    with pytest.raises(ValueError, match="outside x"):
        tape.variable(2, 5)


def test_jacobian_through_chains_of_elementwise_operations_equals_the_tangents() -> None:
    """Elementwise operations (unary, or with a constant) rescale their operand's Jacobian rows
    lazily; every consumer (a gather, a linear map, a binary operation on two nodes with the same
    or a wider pattern, an output) must see the rescaled data: each column of the Jacobian equals
    the tangent in that unit direction, computed by the separate forward-mode replay."""
    rng = np.random.default_rng(7)
    tape = Tape(6, 2)
    a = tape.variable(0, 4)
    b = tape.variable(4, 2)
    p = tape.parameter(0, 2)
    chain = 3.0 - ((a**1.5) * 2.0 + 1.0).log() / 4.0  # const - node, unary and constant operations
    gathered = chain[[0, 0, 3, 2]]  # gather of a rescaled node
    same = chain * a  # two nodes of the same pattern: positions are all of the node's
    wider = chain[[1, 2]] + b * p  # a rescaled node into a wider pattern
    matrix = sp.csr_matrix(rng.uniform(0.5, 1.5, (3, 4)))
    mapped = matrix @ (gathered.exp() * 0.5)  # linear map of a rescaled node
    compiled = tape.compile([chain, gathered * same, wider, mapped, (b * 2.0) ** 2.0])
    x = rng.uniform(0.5, 2.0, compiled.n)
    pv = rng.uniform(0.5, 2.0, compiled.n_p)
    _, jac = compiled.jacobian(x, pv)
    columns = [compiled.jvp(x, pv, e, np.zeros(compiled.n_p))[1] for e in np.eye(compiled.n)]
    assert np.allclose(jac.toarray(), np.column_stack(columns), rtol=1e-13, atol=1e-13)
    assert np.abs(jac.toarray()).min(axis=None) == 0.0  # the pattern is not dense: the check is informative


@pytest.mark.parametrize(
    ("size_a", "size_b", "union"),
    [
        (50, 50, 50),  # both cover the union
        (50, 10, 50),  # a covers it, b is small
        (50, 40, 50),  # a covers it, b is large
        (10, 50, 50),  # b covers it, a is small
        (40, 50, 50),  # b covers it, a is large
        (30, 12, 40),  # neither covers it, a larger
        (12, 30, 40),  # neither covers it, b larger
    ],
)
def test_union_data_places_and_sums_both_parts_in_every_layout(size_a: int, size_b: int, union: int) -> None:
    """A binary operation's Jacobian data on the union of its operands' patterns equals a zero fill
    with both parts added at their positions, whichever part is placed first (the order that
    makes it fast depends on the sizes)."""
    from types import SimpleNamespace

    from cge.solve.tape import _union_data

    rng = np.random.default_rng(size_a * 100 + size_b)
    everything = np.arange(union)
    pos_a = np.sort(rng.choice(union, size_a, replace=False)) if size_a < union else everything
    rest = np.setdiff1d(everything, pos_a)
    extra = size_b - rest.size
    pos_b = np.sort(np.concatenate([rest, rng.choice(pos_a, extra, replace=False)])) if extra > 0 else rest
    assert np.union1d(pos_a, pos_b).size == union and pos_b.size == size_b
    part_a, part_b = rng.normal(size=size_a), rng.normal(size=size_b)
    expected = np.zeros(union)
    expected[pos_a] += part_a
    expected[pos_b] += part_b
    op = SimpleNamespace(
        pos_a=pos_a, pos_b=pos_b, full_a=size_a == union, full_b=size_b == union, pattern=SimpleNamespace(nnz=union)
    )
    got = _union_data(op, part_a.copy(), part_b.copy())
    assert np.allclose(got, expected, rtol=0, atol=1e-15)
