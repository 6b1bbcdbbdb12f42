"""The desk: answers from the store, rebuilds after changes, logs questions, groups topics."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sample import BRIEF, FACTS, GLOSSARY

from bot.paths import BUNDLED_SEEDS
from knowledge.desk import Desk, open_desk
from knowledge.documents.models import DocumentMeta
from knowledge.documents.read import read_text
from knowledge.errors import FactNotFound, StoreBusy
from knowledge.models import Glossary
from knowledge.store.db import open_db
from knowledge.store.facts import FactStore

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    """A desk over the small fact set in a fresh database."""
    store = FactStore(open_db(tmp_path / "d.db"), clock=lambda: NOW)
    store.sync([BRIEF], FACTS, actor="test")
    return Desk(store, GLOSSARY, clock=lambda: NOW)


def test_ask_answers_and_logs_without_the_asker(desk: Desk) -> None:
    """A question is answered and logged with guild and channel, never a user."""
    answer = desk.ask("who leads JNIM", guild_id=1, channel_id=2)
    assert answer.fact is not None and answer.fact.id == "jnim-leadership"
    [record] = desk.store.queries.records()
    assert (record.query, record.fact_id, record.guild_id, record.channel_id) == (
        "who leads JNIM",
        "jnim-leadership",
        1,
        2,
    )


@pytest.mark.parametrize("query", ["", "  ", "?"])
def test_contentless_questions_are_not_logged(desk: Desk, query: str) -> None:
    """Empty questions are no_match and leave no trace in the log."""
    assert desk.ask(query).status == "no_match"
    assert desk.store.queries.records() == []


def test_matcher_follows_store_changes(desk: Desk) -> None:
    """An edit or a retirement shows in the very next answer."""
    assert desk.ask("kayes blockade", log=False).answered
    desk.store.retire("kayes", actor="mod")
    answer = desk.ask("kayes blockade", log=False)
    assert answer.fact is None or answer.fact.id != "kayes"
    desk.store.restore("kayes", actor="mod")
    desk.store.add_key("kayes", "Kayes siege", actor="mod")
    assert desk.ask("kayes siege", log=False).fact.id == "kayes"  # type: ignore[union-attr]


def test_fact_and_topics(desk: Desk) -> None:
    """`fact` finds by id or raises FactNotFound; `topics` groups active facts by tag."""
    assert desk.fact("kayes").title == "Kayes under blockade"
    with pytest.raises(FactNotFound):
        desk.fact("nope")
    topics = desk.topics()
    assert list(topics) == sorted(topics)
    assert [f.id for f in topics["jnim"]] == ["jnim-leadership", "jnim-strength"]


def test_today_follows_the_clock(desk: Desk) -> None:
    """Staleness is judged by the desk's clock."""
    assert desk.today() == NOW.date()


def test_open_desk_fills_an_empty_database_once(tmp_path: Path) -> None:
    """The first open loads the seeds; a second open keeps the database as it is."""
    desk = open_desk(tmp_path / "s.db", BUNDLED_SEEDS)
    count = len(desk.store.facts())
    assert count >= 35
    desk.store.retire("jnim-leadership", actor="mod")
    again = open_desk(tmp_path / "s.db", BUNDLED_SEEDS)
    assert len(again.store.facts()) == count - 1


def test_the_term_index_is_kept_in_the_database(tmp_path: Path) -> None:
    """A second desk over the same database reuses the index instead of rebuilding it."""
    first = open_desk(tmp_path / "i.db", BUNDLED_SEEDS)
    assert first.ask("who leads JNIM", log=False).answered
    revision = first._index.meta("revision")
    rows = first.store.db.conn.execute("SELECT count(*) FROM match_docs").fetchone()[0]
    second = open_desk(tmp_path / "i.db", BUNDLED_SEEDS)
    assert second._index.meta("revision") == revision
    assert second.ask("who leads JNIM", log=False).answered
    assert second.store.db.conn.execute("SELECT count(*) FROM match_docs").fetchone()[0] == rows


def test_index_catches_up_with_changes_from_another_connection(tmp_path: Path) -> None:
    """A change written by another process (e.g. `sitrep load`) reaches the next answer."""
    desk = open_desk(tmp_path / "o.db", BUNDLED_SEEDS)
    assert desk.ask("kayes blockade", log=False).answered
    other = FactStore(open_db(tmp_path / "o.db"))
    for fact in other.facts():
        if "kayes" in fact.id:
            other.retire(fact.id, actor="other")
    answer = desk.ask("kayes blockade", log=False)
    assert answer.fact is None or "kayes" not in answer.fact.id


def test_a_new_glossary_rebuilds_the_index(desk: Desk) -> None:
    """The index records what it was built with; another glossary means a rebuild."""
    assert desk.ask("GSIM boss", log=False).answered
    plain = Desk(desk.store, Glossary(), clock=lambda: NOW)
    assert plain.ask("GSIM boss", log=False).status == "no_match"
    assert plain._index.meta("fingerprint") != desk._fingerprint


def test_is_empty_counts_retired_facts(desk: Desk, tmp_path: Path) -> None:
    """A store with only retired facts is not empty, so the seeds are not loaded again."""
    assert FactStore(open_db(tmp_path / "empty.db")).is_empty()
    for fact in desk.store.facts():
        desk.store.retire(fact.id, actor="mod")
    assert not desk.store.is_empty()


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[None]:
    """Another connection holds the database's write lock for the test's duration."""
    other = sqlite3.connect(tmp_path / "d.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    yield
    other.execute("ROLLBACK")
    other.close()


def test_readers_answer_while_another_process_holds_the_write_lock(
    desk: Desk, tmp_path: Path
) -> None:
    """A reader never takes the write lock: it answers from the committed index, logs later."""
    desk.ask("who leads JNIM", log=False)
    # A second process changes a fact; this desk's index is now behind.
    writer = FactStore(open_db(tmp_path / "d.db"), clock=lambda: NOW)
    writer.add_key("kayes", "Kayes siege", actor="mod")
    writer.db.close()
    other = sqlite3.connect(tmp_path / "d.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        for _ in range(3):
            answer = desk.ask("who leads JNIM", guild_id=1)
            assert answer.fact is not None and answer.fact.id == "jnim-leadership"
    finally:
        other.execute("ROLLBACK")
        other.close()
    # Once the lock is free the index catches up and the held-back questions are written.
    assert desk.ask("kayes siege", log=False).fact.id == "kayes"  # type: ignore[union-attr]
    desk.ask("who leads JNIM", guild_id=1)
    assert len(desk.store.queries.records()) == 4


def test_a_writer_facing_a_held_lock_gets_store_busy(desk: Desk, locked: None) -> None:
    """A write that cannot get the lock within the busy timeout is a named error; no change."""
    desk.store.db.conn.execute("PRAGMA busy_timeout = 50")
    with pytest.raises(StoreBusy, match="busy"):
        desk.store.add_key("kayes", "Kayes siege", actor="mod")
    assert "Kayes siege" not in desk.fact("kayes").keys


def test_warm_builds_both_matchers_and_logs_nothing(desk: Desk) -> None:
    """After warm() the first question finds the matchers built; warming is not a question."""
    desk.warm()
    matchers = (desk._matcher, desk._passages)
    assert None not in matchers
    assert desk.ask("who leads JNIM", log=False).answered
    assert (desk._matcher, desk._passages) == matchers
    assert desk.store.queries.records() == []


REPORT = (
    b"# Floods in Dosso\n\n"
    b"At least 41 people have died in the floods, the civil protection directorate said.\n\n"
    b"The river reached 6.3 metres at the Gaya gauge, the highest level on record.\n"
)
RIVER = "how high did the river reach at the Gaya gauge"


@pytest.fixture
def reported(desk: Desk) -> Desk:
    """The desk with one ingested report that answers what its facts do not."""
    meta = DocumentMeta("dosso", "Floods in Dosso", "Civil protection")
    desk.documents.ingest(read_text(REPORT, "dosso.md"), meta, actor="test")
    return desk


@pytest.mark.parametrize(
    ("query", "status", "fact_id", "from_passage"),
    [
        ("who leads JNIM", "answered", "jnim-leadership", False),
        (RIVER, "passage", None, True),
        ("what is the exchange rate of the yen", "no_match", None, False),
    ],
)
def test_answer_logs_once_after_the_passage_check(
    reported: Desk, query: str, status: str, fact_id: str | None, from_passage: bool
) -> None:
    """One log row per question: the fact, else the passage (by id), else a miss."""
    answer, hit = reported.answer(query, guild_id=1, channel_id=2)
    assert (hit is not None) == from_passage
    [record] = reported.store.queries.records()
    assert (record.query, record.status, record.fact_id) == (query, status, fact_id)
    assert record.passage_id == (hit.passage.id if hit else None)
    assert (record.guild_id, record.channel_id) == (1, 2)
    assert answer.fact is None or answer.fact.id == fact_id


def test_a_passage_answer_is_logged_with_the_passages_score(reported: Desk) -> None:
    """The score logged for a passage answer is the passage's, as `ask --json` shows it."""
    _, hit = reported.answer(RIVER)
    assert hit is not None and hit.passage.id.startswith("dosso@1:")
    assert reported.store.queries.records()[0].score == hit.score


def test_ask_alone_still_logs_the_facts_verdict(reported: Desk) -> None:
    """`ask` answers from the facts only, and logs just that (a miss, here)."""
    assert not reported.ask(RIVER).answered
    assert [r.status for r in reported.store.queries.records()] == ["no_match"]


@pytest.mark.parametrize("query", [RIVER, "who leads JNIM", "", "?"])
def test_answer_without_log_or_content_logs_nothing(reported: Desk, query: str) -> None:
    """``log=False`` (the CLI) and questions without content leave the log empty."""
    reported.answer(query, log=False)
    if not query.strip("? "):
        reported.answer(query)
    assert reported.store.queries.records() == []


def test_respond_gives_the_logged_questions_id(desk: Desk, tmp_path: Path) -> None:
    """respond() is answer() with the query log's id of the question (for a later "did you
    mean" pick); none when not logged, or held back behind another process's write lock."""
    first = desk.respond("who leads Boko Haram", guild_id=1, channel_id=2)
    assert first.answer.status == "no_match" and first.passage is None
    (record,) = desk.store.queries.records()
    assert first.query_id == record.id
    assert desk.respond("who leads JNIM", log=False).query_id is None
    assert desk.respond("?!", guild_id=1).query_id is None  # no words: never logged
    other = sqlite3.connect(tmp_path / "d.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        assert desk.respond("who leads Boko Haram", guild_id=1).query_id is None
    finally:
        other.execute("ROLLBACK")
        other.close()
    later = desk.respond("exchange rate", guild_id=1)
    assert later.query_id == max(r.id for r in desk.store.queries.records())
    assert len(desk.store.queries.records()) == 3  # the held-back one was written first


def _index_rows(desk: Desk) -> tuple[int, int]:
    conn = desk.store.db.conn
    return (
        conn.execute("SELECT count(*) FROM match_docs").fetchone()[0],
        conn.execute("SELECT count(*) FROM passage_match_docs").fetchone()[0],
    )


def test_reindex_rebuilds_both_indexes_and_answers_the_same(reported: Desk) -> None:
    """Every active fact and passage is indexed afresh, with progress to the end; answers
    are what they were."""
    before = [reported.answer(q, log=False) for q in ("who leads JNIM", RIVER)]
    seen: list[tuple[str, int, int]] = []
    counts = reported.reindex(lambda what, done, total: seen.append((what, done, total)))
    assert counts == (len(FACTS), 2) == _index_rows(reported)
    assert ("facts", len(FACTS), len(FACTS)) in seen and ("passages", 2, 2) in seen
    after = [reported.answer(q, log=False) for q in ("who leads JNIM", RIVER)]
    assert after == before


def test_an_interrupted_reindex_leaves_the_indexes_as_they_were(reported: Desk) -> None:
    """Stopped midway (here by the progress callback, as Ctrl-C would), each index is whole:
    a rebuild is one transaction."""
    reported.warm()
    rows = _index_rows(reported)

    def stop(what: str, done: int, total: int) -> None:
        if what == "passages":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reported.reindex(stop)
    assert _index_rows(reported) == rows
    # The facts' index was rebuilt (its rows renumbered): no matcher over the old one is kept.
    assert reported._matcher is None and reported._passages is None
    assert reported.ask("who leads JNIM", log=False).answered
    assert reported.answer(RIVER, log=False)[1] is not None


def test_reindex_refuses_while_another_process_writes(desk: Desk, locked: None) -> None:
    """A held write lock is StoreBusy at once, and nothing changes."""
    with pytest.raises(StoreBusy):
        desk.reindex()
