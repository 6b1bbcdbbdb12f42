"""Facts to rows and back, and the JSON state revisions keep."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
import sqlite_utils
from storedata import DOC, KAYES, KAYES_QUOTE, URL_SOURCE, cite, make
from storekit import TickClock

from knowledge.store.facts import FactStore
from knowledge.store.rows import fact_from_state, fact_state


def test_facts_round_trip_every_field(store: FactStore) -> None:
    """A fact read back equals the fact written, with url-only sources and empty fields."""
    odd = replace(
        KAYES,
        keys=(),
        tags=(),
        review_by=None,
        sources=(cite(KAYES_QUOTE), URL_SOURCE, replace(URL_SOURCE, published=date(2025, 1, 2))),
    )
    store.add(odd, actor="b")
    assert store.get(KAYES.id) == replace(odd, rev=1)
    assert next(f for f in store.facts() if f.id == KAYES.id) == replace(odd, rev=1)


@pytest.mark.parametrize("count", [3, 60])
def test_facts_uses_a_fixed_number_of_queries(db: sqlite_utils.Database, count: int) -> None:
    """Loading all facts costs the same handful of queries however many facts there are."""
    store = FactStore(db, clock=TickClock())
    store.sync([DOC], [make(f"fact-{i:03d}", keys=(f"key {i}",)) for i in range(count)], actor="b")
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    loaded = store.facts()
    db.conn.set_trace_callback(None)
    assert len(loaded) == count
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 4


def test_state_round_trip(store: FactStore) -> None:
    """fact_from_state inverts fact_state, dates and url-only sources included."""
    fact = replace(KAYES, sources=(cite(KAYES_QUOTE), URL_SOURCE), locked=True, status="retired")
    assert fact_from_state(fact_state(fact), rev=3) == replace(fact, rev=3)
