from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot.heap import settle_heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Leave the test process's collector as it was."""
    yield
    gc.unfreeze()


def test_settle_heap_takes_what_exists_out_of_collection(unfrozen: None) -> None:
    """What exists at start-up is frozen; objects made afterwards are collected as usual."""
    kept = [[n] for n in range(100)]
    settle_heap()
    assert gc.get_freeze_count() >= len(kept)
    later: list[object] = []
    collected = {id(o) for o in gc.get_objects()}
    assert not collected & {id(x) for x in kept}
    assert id(later) in collected
