"""The query log: what was asked and the verdict, never who asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from storedata import KAYES, LEADER
from storekit import TickClock

from knowledge.documents.answers import PassageHit
from knowledge.documents.models import DocumentMeta, Passage
from knowledge.models import Alternative, Answer, AnswerStatus
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


PASSAGE = Passage("floods-report", 2, 120, 480, "Some 40,000 people were displaced in Dosso.")
HIT = PassageHit(PASSAGE, DocumentMeta("floods-report", "Floods in Dosso"), 71.25)


@pytest.mark.parametrize(
    ("status", "fact", "hit", "logged"),
    [
        ("answered", True, None, ("answered", LEADER.id, 91.5, None)),
        ("no_match", False, None, ("no_match", None, 91.5, None)),
        # The passage's id and score are logged, not the fact matcher's miss.
        ("no_match", False, HIT, ("passage", None, 71.25, "floods-report@2:120-480")),
    ],
)
def test_log_records_the_verdict(
    store: FactStore,
    status: AnswerStatus,
    fact: bool,
    hit: PassageHit | None,
    logged: tuple[object, ...],
) -> None:
    """A fact, a miss and a passage answer are each logged with what answered them."""
    answer = Answer("how many displaced", status, 91.5, store.get(LEADER.id) if fact else None)
    store.queries.log(answer, passage=hit, guild_id=3)
    (record,) = store.queries.records()
    assert (record.status, record.fact_id, record.score, record.passage_id) == logged
    assert record.guild_id == 3


def test_a_question_a_fact_answered_is_not_a_passage_answer(store: FactStore) -> None:
    """Logging a fact's answer as a passage answer is refused and logs nothing."""
    answer = Answer("who leads jnim", "answered", 91.5, store.get(LEADER.id))
    with pytest.raises(ValueError, match="not answered from a passage"):
        store.queries.log(answer, passage=HIT)
    assert store.queries.records() == []


@pytest.mark.parametrize("status", ["maybe", "", "PASSAGE"])
def test_unknown_status_in_a_row_raises(store: FactStore, status: str) -> None:
    """A row the log would never write (here, with its CHECK switched off) is an error."""
    conn = store.db.conn
    conn.execute("PRAGMA ignore_check_constraints = ON")
    try:
        conn.execute(
            "INSERT INTO queries (at, query, status, score) VALUES (?, 'q', ?, 1.0)",
            ("2025-12-01T12:00:00.000000+00:00", status),
        )
    finally:
        conn.execute("PRAGMA ignore_check_constraints = OFF")
    with pytest.raises(ValueError, match="unknown answer status"):
        store.queries.records()


def test_log_returns_the_rows_id(store: FactStore) -> None:
    """Each logged question's id comes back, as the query log numbers it."""
    ids = [
        store.queries.log(Answer(query=f"question {n}", status="no_match", score=0.0))
        for n in range(3)
    ]
    assert ids == [r.id for r in store.queries.records()]
    assert store.queries.flush() is None  # nothing held back: nothing written
