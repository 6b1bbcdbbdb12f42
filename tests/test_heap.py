from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from bot.heap import THRESHOLDS, settle_heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Leave the test process's collector as it was."""
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_settle_heap_takes_what_exists_out_of_collection(unfrozen: None) -> None:
    """What exists at start-up is frozen; objects made afterwards are collected as usual."""
    kept = [[n] for n in range(100)]
    settle_heap()
    assert gc.get_freeze_count() >= len(kept)
    later: list[object] = []
    collected = {id(o) for o in gc.get_objects()}
    assert not collected & {id(x) for x in kept}
    assert id(later) in collected


def test_settle_heap_collects_seldom_but_still_collects_cycles(unfrozen: None) -> None:
    """The collector runs in larger batches than CPython's default, and a cycle made after
    start-up is still freed."""
    settle_heap()
    assert gc.get_threshold() == THRESHOLDS
    assert THRESHOLDS[0] > 700
    cycle = _Node()
    cycle.other = cycle
    alive = weakref.ref(cycle)
    del cycle
    gc.collect()
    assert alive() is None


class _Node:
    other: object = None
