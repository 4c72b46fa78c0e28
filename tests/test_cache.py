"""Compiled-model cache: a hit gives bit-identical solutions; stale or corrupt entries are never used."""

from __future__ import annotations

import json
import sys
import zipfile

import numpy as np
import pytest
from conftest import elasticity_table

from cge.calibrate import calibrate
from cge.model import Closure, build_model
from cge.solve import Solver
from cge.solve import cache as cache_module
from cge.solve.cache import CompiledCache, default_cache

SHOCK = {"tm": {("man", "B", "A"): 0.4, ("man", "A", "B"): 0.2}}


def _solve(model, cache):
    solver = Solver(model, cache=cache)
    result = solver.solve(solver.parameter_vector(SHOCK))
    values = solver.compiled.evaluator.values(solver.x_last, solver.p_last)
    return solver, result, values


@pytest.fixture
def model(hand_sam, hand_elasticities):
    return build_model(calibrate(hand_sam, hand_elasticities))


def test_hit_is_bit_identical_to_a_fresh_compile(model, tmp_path):
    cache = CompiledCache(tmp_path)
    fresh, r_fresh, v_fresh = _solve(model, None)
    first, _, _ = _solve(model, cache)
    assert not first.compiled.timings["cache_hit"]
    assert len(list(tmp_path.glob("*.npz"))) == 1
    hit, r_hit, v_hit = _solve(model, cache)
    assert hit.compiled.timings["cache_hit"]
    assert np.array_equal(fresh.x_last, hit.x_last)
    assert np.array_equal(v_fresh, v_hit)
    assert r_fresh.iterations == r_hit.iterations and r_fresh.max_residual == r_hit.max_residual
    x = np.linspace(0.9, 1.1, fresh.compiled.n)
    assert np.array_equal(
        fresh.compiled.eval_jacobian_values(x, fresh.p_last), hit.compiled.eval_jacobian_values(x, fresh.p_last)
    )


def test_a_different_model_never_reads_another_models_entry(hand_sam, hand_elasticities, tmp_path):
    """Elasticity forms, closure and data are all in the key: each model compiles its own entry."""
    cache = CompiledCache(tmp_path)
    cal = calibrate(hand_sam, hand_elasticities)
    variants = [
        build_model(cal),
        build_model(cal, Closure(labour="fixed_real_wage")),
        build_model(calibrate(hand_sam, elasticity_table(["man", "ser"], sigma_va=1.0))),
        build_model(calibrate(hand_sam * 1.0001, hand_elasticities)),
    ]
    for model in variants:
        assert not Solver(model, cache=cache).compiled.timings["cache_hit"]
    assert len(list(tmp_path.glob("*.npz"))) == len(variants)


def test_stale_entry_is_not_used(model, tmp_path):
    """An entry found under another key is rejected (its header names the key it was made for),
    and the model is then compiled afresh."""
    cache = CompiledCache(tmp_path)
    first = Solver(model, cache=cache)
    entry = next(tmp_path.glob("*.npz"))
    entry.rename(cache.path("0" * 64))
    assert cache.load("0" * 64) is None
    second = Solver(model, cache=cache)
    assert not second.compiled.timings["cache_hit"]
    assert first.compiled.n == second.compiled.n


def test_format_change_misses(model, tmp_path, monkeypatch):
    cache = CompiledCache(tmp_path)
    Solver(model, cache=cache)
    monkeypatch.setattr(cache_module, "CACHE_FORMAT", cache_module.CACHE_FORMAT + 1)
    assert not Solver(model, cache=cache).compiled.timings["cache_hit"]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip"])
def test_corrupt_entry_is_ignored_and_rebuilt(model, tmp_path, damage):
    cache = CompiledCache(tmp_path)
    reference, r_ref, _ = _solve(model, None)
    Solver(model, cache=cache)
    entry = next(tmp_path.glob("*.npz"))
    data = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        entry.write_bytes(b"not a cache entry")
    else:
        with np.load(entry) as npz:
            arrays = {k: npz[k] for k in npz.files}
        functions = arrays["functions"].copy()
        functions[len(functions) // 2] ^= 1  # one bit of the serialized functions
        arrays["functions"] = functions
        np.savez_compressed(entry, **arrays)
        assert zipfile.is_zipfile(entry) and json.loads(bytes(arrays["header"]))
    solver, result, _ = _solve(model, cache)
    assert not solver.compiled.timings["cache_hit"]
    assert np.array_equal(solver.x_last, reference.x_last)
    assert cache.load(entry.stem) is not None  # replaced by a good entry


def test_cache_location_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CGE_CACHE_DIR", str(tmp_path / "here"))
    assert default_cache().directory == tmp_path / "here"
    monkeypatch.setenv("CGE_CACHE_DIR", "off")
    monkeypatch.setenv("CGE_CACHE", "on")
    assert default_cache() is None
    monkeypatch.delenv("CGE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert default_cache().directory == tmp_path / "xdg" / "cge" / "compiled"
    monkeypatch.delenv("CGE_CACHE")
    assert default_cache() is None


def _compile_in_process(directory: str) -> tuple[bool, list]:
    from conftest import hand_elasticity_table

    from cge.examples import two_region_sam

    model = build_model(calibrate(two_region_sam(), hand_elasticity_table()))
    solver = Solver(model, cache=CompiledCache(directory))
    solver.solve(solver.parameter_vector(SHOCK))
    return solver.compiled.timings["cache_hit"], solver.x_last.tolist()


def test_concurrent_processes_share_the_cache(tmp_path):
    """Processes compiling the same model at once each get a correct result and leave one valid entry."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=3) as pool:
        outcomes = list(pool.map(_compile_in_process, [str(tmp_path)] * 3))
    assert all(x == outcomes[0][1] for _hit, x in outcomes)
    entries = list(tmp_path.glob("*.npz"))
    assert len(entries) == 1 and not list(tmp_path.glob(".tmp-*"))
    assert CompiledCache(tmp_path).load(entries[0].stem) is not None
    assert _compile_in_process(str(tmp_path))[0]  # a later process reads it
