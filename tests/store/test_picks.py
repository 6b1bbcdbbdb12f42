"""PickStore: the fact the asker of an unanswered question picked, kept without the person."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
import sqlite_utils
from storedata import FUEL, LEADER
from storekit import TickClock

from knowledge.documents.answers import PassageHit
from knowledge.documents.models import DocumentMeta, Passage
from knowledge.models import Answer, AnswerStatus, QueryStatus
from knowledge.store.facts import FactStore

GUILD = 1
ALICE = 123456789012345678
BOB = 223456789012345678


HIT = PassageHit(Passage("report", 1, 0, 20, "Some text."), DocumentMeta("report", "Report"), 60.0)


def asked(
    store: FactStore,
    query: str = "who leads Boko Haram",
    *,
    status: QueryStatus = "no_match",
    guild_id: int = GUILD,
) -> int:
    """Log a question (a miss unless ``status`` says otherwise) and return its id."""
    fact = store.get(LEADER.id) if status == "answered" else None
    verdict: AnswerStatus = "answered" if status == "answered" else "no_match"
    hit = HIT if status == "passage" else None
    query_id = store.queries.log(Answer(query, verdict, 20.0, fact), passage=hit, guild_id=guild_id)
    assert query_id is not None
    return query_id


def test_a_pick_is_recorded_with_the_question_as_asked(store: FactStore) -> None:
    """The pick keeps the question's text (from the query log), guild, fact and time."""
    query_id = asked(store, "Who leads  Boko Haram?")
    assert store.picks.record(query_id, LEADER.id, ALICE, guild_id=GUILD)
    (pick,) = store.picks.records()
    assert (pick.query_id, pick.query, pick.fact_id, pick.guild_id) == (
        query_id,
        "Who leads  Boko Haram?",
        LEADER.id,
        GUILD,
    )
    assert store.picks.get(query_id, LEADER.id) == pick
    assert store.picks.get(query_id, FUEL.id) is None


def test_the_same_pick_counts_once(store: FactStore) -> None:
    """Clicking the same suggestion again for the same question records nothing more;
    another fact for the same question is another pick."""
    query_id = asked(store)
    assert store.picks.record(query_id, LEADER.id, ALICE, guild_id=GUILD)
    assert not store.picks.record(query_id, LEADER.id, ALICE, guild_id=GUILD)
    assert store.picks.record(query_id, FUEL.id, ALICE, guild_id=GUILD)
    assert [p.fact_id for p in store.picks.records()] == [LEADER.id, FUEL.id]


@pytest.mark.parametrize(
    ("case", "status", "logged_in", "fact_id"),
    [
        ("a question the bot answered", "answered", GUILD, LEADER.id),
        ("a question answered from a passage", "passage", GUILD, LEADER.id),
        ("a question of another server", "no_match", 2, LEADER.id),
        ("an unknown fact", "no_match", GUILD, "no-such-fact"),
        ("a retired fact", "no_match", GUILD, FUEL.id),
    ],
)
def test_picks_the_store_refuses(
    store: FactStore, case: str, status: QueryStatus, logged_in: int, fact_id: str
) -> None:
    """Only a miss of this server can be picked for, and only an active fact."""
    store.retire(FUEL.id, actor="mod")
    query_id = asked(store, status=status, guild_id=logged_in)
    assert not store.picks.record(query_id, fact_id, ALICE, guild_id=GUILD), case
    assert store.picks.records() == []


def test_an_unknown_question_is_refused(store: FactStore) -> None:
    """A query id the log never gave out records nothing."""
    assert not store.picks.record(999, LEADER.id, ALICE, guild_id=GUILD)


def test_picks_never_store_the_person(store: FactStore, db: sqlite_utils.Database) -> None:
    """Only a keyed hash of (guild, user) is kept: it tells people apart, not who they are."""
    for user in (ALICE, ALICE, BOB):
        store.picks.record(asked(store), LEADER.id, user, guild_id=GUILD)
    rows = db.conn.execute("SELECT * FROM suggestion_picks").fetchall()
    assert str(ALICE) not in repr(rows) and str(BOB) not in repr(rows)
    pickers = [p.picker for p in store.picks.records()]
    assert pickers[0] == pickers[1] != pickers[2]
    assert all(len(p) == 32 for p in pickers)


def test_picks_of_a_window_and_a_guild(store: FactStore, clock: TickClock) -> None:
    """Picks come back oldest first, from ``since`` up to before ``until``, per guild."""
    store.picks.record(asked(store, "first"), LEADER.id, ALICE, guild_id=GUILD)
    cut = clock.now + timedelta(minutes=30)
    clock.now = cut
    store.picks.record(asked(store, "second"), LEADER.id, ALICE, guild_id=GUILD)
    store.picks.record(asked(store, "elsewhere", guild_id=2), LEADER.id, ALICE, guild_id=2)
    assert [p.query for p in store.picks.records()] == ["first", "second", "elsewhere"]
    assert [p.query for p in store.picks.records(since=cut)] == ["second", "elsewhere"]
    assert [p.query for p in store.picks.records(until=cut)] == ["first"]
    assert [p.query for p in store.picks.records(guild_id=GUILD)] == ["first", "second"]
    assert [p.query for p in store.picks.records(since=cut, guild_id=2)] == ["elsewhere"]


@pytest.mark.parametrize(
    "statement",
    ["UPDATE suggestion_picks SET fact_id = 'other'", "DELETE FROM suggestion_picks"],
)
def test_picks_are_append_only(store: FactStore, statement: str) -> None:
    """Nobody rewrites a pick, this code included."""
    store.picks.record(asked(store), LEADER.id, ALICE, guild_id=GUILD)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.conn.execute(statement)


def test_a_pick_never_waits_for_the_lock(store: FactStore) -> None:
    """While another process writes, a pick is dropped at once (it feeds a report, never a
    fact), and the store is left as it was: no open transaction."""
    query_id = asked(store)
    other = sqlite3.connect(store.db.conn.execute("PRAGMA database_list").fetchone()[2])
    other.isolation_level = None
    other.execute("BEGIN IMMEDIATE")
    try:
        assert not store.picks.record(query_id, LEADER.id, ALICE, guild_id=GUILD)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert not store.db.conn.in_transaction
    assert store.picks.record(query_id, LEADER.id, ALICE, guild_id=GUILD)
