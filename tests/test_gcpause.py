"""The garbage-collector pause of the build and the compilation (cge.gcpause)."""

from __future__ import annotations

import gc

import pytest

from cge.calibrate import calibrate
from cge.gcpause import paused_gc
from cge.model import build_model
from cge.solve.casadi_bridge import compile_model


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_pause_switches_the_collector_off_and_back_on(collector_on):
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # an inner pause leaves the outer one in force
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0  # survivors are promoted, not kept frozen


def test_pause_ends_on_an_error(collector_on):
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError("inside")
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_caller_stays_off(collector_on):
    gc.disable()
    with paused_gc():
        pass
    assert not gc.isenabled()


def test_cycles_made_during_a_pause_are_collected_afterwards(collector_on):
    class Node:
        pass

    with paused_gc():
        a, b = Node(), Node()
        a.other, b.other = b, a
        del a, b
    assert gc.collect() >= 2


def test_build_and_compile_leave_the_collector_on(collector_on, hand_sam, hand_elasticities):
    model = build_model(calibrate(hand_sam, hand_elasticities))
    assert gc.isenabled()
    compile_model(model.pyomo)
    assert gc.isenabled()
