"""The store tests' clock and store: the fixture document and two facts, on a ticking clock."""

from __future__ import annotations

import pytest
from storedata import DOC, FUEL, LEADER
from storekit import TickClock, put_documents

from knowledge.store.facts import FactStore


@pytest.fixture
def clock() -> TickClock:
    """The store's clock."""
    return TickClock()


@pytest.fixture
def store(store: FactStore) -> FactStore:
    """The shared store, with the fixture document and two facts."""
    put_documents(store, [DOC])
    store.add(LEADER, actor="alice", guild_id=1)
    store.add(FUEL, actor="alice", guild_id=1)
    return store
