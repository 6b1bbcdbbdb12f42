"""The query log: what was asked and the verdict, never who asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storedata import KAYES, LEADER
from storekit import TickClock

from knowledge.models import Alternative, Answer
from knowledge.store.facts import FactStore


def test_log_query_and_queries(store: FactStore, clock: TickClock) -> None:
    """Logged queries come back in order with their verdict and place, never the asker."""
    fact = store.get(LEADER.id)
    store.queries.log(
        Answer(query="who leads jnim", status="answered", score=91.5, fact=fact),
        guild_id=1,
        channel_id=2,
    )
    cut = datetime(2025, 12, 1, 13, 0, tzinfo=UTC)
    clock.now = cut + timedelta(minutes=5)
    store.queries.log(
        Answer(
            query="population of Togo",
            status="no_match",
            score=12.0,
            alternatives=(Alternative(id=KAYES.id, title="x", score=10.0),),
        )
    )
    records = store.queries.records()
    assert [(r.query, r.status, r.fact_id, r.score) for r in records] == [
        ("who leads jnim", "answered", LEADER.id, 91.5),
        ("population of Togo", "no_match", None, 12.0),
    ]
    assert (records[0].guild_id, records[0].channel_id) == (1, 2)
    assert [r.query for r in store.queries.records(since=cut)] == ["population of Togo"]
    assert [r.query for r in store.queries.records(since=cut.replace(tzinfo=None))] == [
        "population of Togo"
    ]


def test_log_query_survives_odd_text(store: FactStore) -> None:
    """A lone surrogate or a huge query is logged (cleaned and capped), not an error."""
    store.queries.log(Answer(query="bad \ud800 text " + "x" * 5000, status="no_match", score=0.0))
    (record,) = store.queries.records()
    assert record.query.startswith("bad ? text")
    assert len(record.query) == 1000
