"""FeedbackStore: one vote per person per answer, kept without the person."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlite_utils
from storedata import FUEL, LEADER
from storekit import TickClock

from knowledge.models import Answer
from knowledge.store.facts import FactStore


def test_feedback_one_vote_per_user_per_answer(store: FactStore) -> None:
    """A repeated vote changes nothing; a changed vote replaces the old one."""
    assert store.feedback.record(500, 42, -1, fact_id=LEADER.id, guild_id=1)
    assert not store.feedback.record(500, 42, -1, fact_id=LEADER.id, guild_id=1)
    assert store.feedback.summary() == [(LEADER.id, 0, 1)]
    assert store.feedback.record(500, 42, 1, fact_id=LEADER.id, guild_id=1)
    assert store.feedback.summary() == [(LEADER.id, 1, 0)]
    assert store.feedback.record(500, 43, -1, fact_id=LEADER.id, guild_id=1)
    assert store.feedback.record(501, 42, -1, fact_id=LEADER.id, guild_id=1)
    assert store.feedback.summary() == [(LEADER.id, 1, 2)]


def test_feedback_never_stores_the_user(store: FactStore, db: sqlite_utils.Database) -> None:
    """Only a keyed hash per (answer, user) is kept; it does not link one user's answers."""
    user = 123456789012345678
    store.feedback.record(500, user, -1, fact_id=LEADER.id)
    store.feedback.record(501, user, -1, fact_id=LEADER.id)
    rows = db.conn.execute("SELECT * FROM feedback").fetchall()
    assert str(user) not in repr(rows)
    voters = [row[0] for row in db.conn.execute("SELECT voter FROM feedback")]
    assert len(set(voters)) == 2


def test_feedback_by_query_id_finds_the_fact(store: FactStore) -> None:
    """Feedback given for a logged query counts for the fact that answered it."""
    store.queries.log(Answer("who leads jnim", "answered", 90.0, store.get(LEADER.id)))
    (query,) = store.queries.records()
    store.feedback.record(500, 1, -1, query_id=query.id)
    assert store.feedback.summary() == [(LEADER.id, 0, 1)]


@pytest.mark.parametrize(
    ("vote", "fact_id", "error"),
    [(0, "f", "vote"), (2, "f", "vote"), (True, "f", "vote"), (1, None, "fact_id or the query_id")],
)
def test_feedback_refuses_bad_values(
    store: FactStore, vote: Any, fact_id: str | None, error: str
) -> None:
    """A vote is +1 or -1 about a fact or a query."""
    with pytest.raises(ValueError, match=error):
        store.feedback.record(500, 1, vote, fact_id=fact_id)


def test_feedback_summary_window_guild_and_order(store: FactStore, clock: TickClock) -> None:
    """Counts per fact in the window and guild, most down votes first."""
    store.feedback.record(1, 1, -1, fact_id=FUEL.id, guild_id=1)
    cut = clock.now + timedelta(seconds=1)
    store.feedback.record(2, 1, 1, fact_id=LEADER.id, guild_id=1)
    store.feedback.record(3, 1, -1, fact_id=LEADER.id, guild_id=2)
    store.feedback.record(3, 2, -1, fact_id=LEADER.id, guild_id=2)
    store.feedback.record(4, 1, -1, fact_id=FUEL.id, guild_id=1)
    assert store.feedback.summary() == [(FUEL.id, 0, 2), (LEADER.id, 1, 2)]
    assert store.feedback.summary(cut) == [(LEADER.id, 1, 2), (FUEL.id, 0, 1)]
    assert store.feedback.summary(guild_id=1) == [(FUEL.id, 0, 2), (LEADER.id, 1, 0)]
    assert store.feedback.summary(until=cut) == [(FUEL.id, 0, 1)]
