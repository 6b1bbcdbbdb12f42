"""The store under moderators: a change and its revision are one, merged form edits, and
concurrent writers from two connections ending as some serial order."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from storekit import dump, put_documents

from bot.async_store import AsyncDesk
from knowledge.curation.curator import Curator, Outcome
from knowledge.curation.drafts import form_values, parse_form
from knowledge.desk import Desk
from knowledge.errors import EditConflict, FactLocked
from knowledge.models import Document, Fact, Glossary, Source
from knowledge.store.db import open_db
from knowledge.store.facts import FactStore
from knowledge.store.rows import fact_from_state, fact_state

DOC = Document(
    id="brief",
    title="A brief",
    publisher="P",
    published=date(2025, 11, 4),
    url="https://example.org/brief",
    text=(
        "JNIM is led by Iyad ag-Ghali and Amadou Kouffa. JNIM boasts approximately 6,000 fighters."
    ),
)
QUOTE = "JNIM is led by Iyad ag-Ghali and Amadou Kouffa"
OTHER = Source(quote="JNIM boasts approximately 6,000 fighters", document="brief")


def fact(fact_id: str, **fields: Any) -> Fact:
    """A valid fact quoting the brief."""
    base: dict[str, Any] = {
        "title": f"About {fact_id}",
        "answer": f"The answer about {fact_id}.",
        "as_of": date(2025, 11, 4),
        "sources": (Source(quote=QUOTE, document="brief"),),
        "keys": (f"{fact_id} key",),
        "tags": ("test",),
    }
    return Fact(id=fact_id, **(base | fields))


IDS = ("alpha", "beta", "gamma")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """The database file, prepared with the brief and three facts (``db`` opens it)."""
    path = tmp_path / "sitrep.db"
    db = open_db(path)
    store = FactStore(db)
    put_documents(store, [DOC])
    for fact_id in IDS:
        store.add(fact(fact_id), actor="seed")
    db.close()
    return path


def fresh_view(path: Path) -> tuple[list[tuple[Any, ...]], int]:
    """Facts and the revision count as a new, independent connection sees them."""
    conn = sqlite3.connect(path)
    try:
        facts = conn.execute("SELECT id, title, answer, status, locked, rev FROM facts ORDER BY id")
        count = conn.execute("SELECT count(*) FROM revisions").fetchone()[0]
        return facts.fetchall(), int(count)
    finally:
        conn.close()


# (name, preparation, the action) for every single-fact write a moderator can make
WRITES: list[tuple[str, Callable[[FactStore], object], Callable[[FactStore], object]]] = [
    ("edit", lambda s: None, lambda s: s.edit("alpha", title="New", actor="m")),
    (
        "merge_edit",
        lambda s: None,
        lambda s: s.merge_edit("alpha", s.get("alpha"), title="New", actor="m"),
    ),
    ("add_key", lambda s: None, lambda s: s.add_key("alpha", "a new key", actor="m")),
    ("remove_key", lambda s: None, lambda s: s.remove_key("alpha", "alpha key", actor="m")),
    ("add_source", lambda s: None, lambda s: s.add_source("alpha", OTHER, actor="m")),
    (
        "remove_source",
        lambda s: s.add_source("alpha", OTHER, actor="m"),
        lambda s: s.remove_source("alpha", 0, actor="m"),
    ),
    ("retire", lambda s: None, lambda s: s.retire("alpha", actor="m")),
    (
        "restore",
        lambda s: s.retire("alpha", actor="m"),
        lambda s: s.restore("alpha", actor="m"),
    ),
    ("lock", lambda s: None, lambda s: s.lock("alpha", actor="m")),
    ("unlock", lambda s: s.lock("alpha", actor="m"), lambda s: s.unlock("alpha", actor="m")),
    (
        "revert",
        lambda s: s.edit("alpha", title="Changed", actor="m"),
        lambda s: s.revert("alpha", 1, actor="m"),
    ),
    ("add", lambda s: None, lambda s: s.add(fact("delta"), actor="m")),
    (
        "import",
        lambda s: None,
        lambda s: s.sync([], [fact("delta")], actor="m", retire_missing=False),
    ),
]


@pytest.mark.parametrize("failing", ["_write_revision", "_bump_changes"])
@pytest.mark.parametrize(("name", "prepare", "write"), WRITES, ids=[w[0] for w in WRITES])
def test_failure_between_change_and_revision_leaves_neither(
    store: FactStore,
    db: sqlite_utils.Database,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    prepare: Callable[[FactStore], object],
    write: Callable[[FactStore], object],
    failing: str,
) -> None:
    """B4: a failure after the fact's rows are written (at the revision, or just after it)
    rolls back both; a fresh connection sees neither, and no transaction is left open."""
    prepare(store)
    before, seen = dump(db), fresh_view(db_path)

    def boom(*args: object) -> None:
        raise sqlite3.OperationalError("disk I/O error (injected)")

    monkeypatch.setattr(store, failing, boom)
    with pytest.raises(sqlite3.OperationalError, match="injected"):
        write(store)
    assert not db.conn.in_transaction
    assert dump(db) == before
    assert fresh_view(db_path) == seen
    monkeypatch.undo()
    write(store)  # and the same write succeeds afterwards, with its revision
    assert fresh_view(db_path)[1] == seen[1] + 1


def test_merge_edit_respects_locks_and_fields(store: FactStore) -> None:
    """merge_edit refuses a locked fact and fields it cannot change, like edit."""
    base = store.get("alpha")
    with pytest.raises(TypeError):
        store.merge_edit("alpha", base, status="retired", actor="m")
    store.lock("alpha", actor="m")
    with pytest.raises(FactLocked):
        store.merge_edit("alpha", base, title="x", actor="m")


def test_merge_edit_conflict_names_fields_and_writes_nothing(
    store: FactStore, db: sqlite_utils.Database
) -> None:
    """A field changed since the base, to another value, is a conflict; others merge."""
    base = store.get("alpha")
    store.edit("alpha", title="Theirs", answer="Their answer.", actor="other")
    before = dump(db)
    with pytest.raises(EditConflict) as caught:
        store.merge_edit("alpha", base, title="Mine", answer="My answer.", actor="m")
    assert caught.value.fields == ["answer", "title"]
    assert dump(db) == before
    merged = store.merge_edit("alpha", base, keys=["mine only"], actor="m")
    assert (merged.title, merged.keys) == ("Theirs", ("mine only",))


# --- concurrency ---------------------------------------------------------------------------------


def assert_serial(db: sqlite_utils.Database) -> list[tuple[Any, ...]]:
    """The revisions, in commit order, chain without a gap: each starts where the last ended.

    That is what "the same state as some serial order" means for every fact: no write was
    lost (each saw the one before it) and the stored fact is the last revision's state.
    Returns the revisions (fact_id, rev, reason) in commit order.
    """
    rows = db.conn.execute(
        "SELECT fact_id, rev, before, after, reason FROM revisions ORDER BY id"
    ).fetchall()
    last: dict[str, Any] = {}
    for fact_id, rev, before, after, _ in rows:
        expected_rev = 1 if fact_id not in last else last[fact_id][0] + 1
        assert rev == expected_rev, (fact_id, rev)
        assert (json.loads(before) if before else None) == (
            last[fact_id][1] if fact_id in last else None
        )
        last[fact_id] = (rev, json.loads(after))
    store = FactStore(db)
    for fact_id, (rev, state) in last.items():
        assert store.get(fact_id) == fact_from_state(state, rev=rev)
    return [(r[0], r[1], r[4]) for r in rows]


def operation(n: int) -> Callable[[FactStore], object]:
    """The n-th of 50 mixed writes to three facts: keys added (read-modify-write) and edits."""
    fact_id = IDS[n % 3]
    reason = f"op {n}"
    if n % 2:
        return lambda s: s.add_key(fact_id, f"key number {n}", actor="m", reason=reason)
    return lambda s: s.edit(fact_id, answer=f"Answer written by op {n}.", actor="m", reason=reason)


def test_two_connections_writing_at_once_end_as_a_serial_order(
    db_path: Path, db: sqlite_utils.Database
) -> None:
    """F2: 50 writes from two connections on two threads: no "database is locked", no lost
    revision or key, and replaying the revisions' order serially gives the same facts."""
    errors: list[BaseException] = []
    start, first_done = threading.Barrier(2), threading.Barrier(2)

    def writer(ops: list[int]) -> None:
        conn = open_db(db_path)  # each thread owns its connection, as SQLite requires
        try:
            mine = FactStore(conn)
            start.wait()
            for i, n in enumerate(ops):
                operation(n)(mine)
                if i == 0:  # both have written once before either goes on: they interleave
                    first_done.wait(30)  # even on a loaded machine
                time.sleep(0.002)  # let the other writer in between, as real traffic would
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            conn.close()

    threads = [threading.Thread(target=writer, args=(list(range(k, 50, 2)),)) for k in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    order = assert_serial(db)
    ours = [reason for _, _, reason in order if reason.startswith("op ")]
    threads_in_order = [int(reason.split()[1]) % 2 for reason in ours]
    assert set(threads_in_order[:2]) == {0, 1}  # the writers really did interleave
    assert sorted(ours, key=lambda r: int(r.split()[1])) == [f"op {n}" for n in range(50)]
    store = FactStore(db)
    for n in range(1, 50, 2):
        assert f"key number {n}" in store.get(IDS[n % 3]).keys, n
    # The same writes, one after another in the order the revisions record, give the same facts.
    replay_db = open_db(":memory:")
    replay = FactStore(replay_db)
    put_documents(replay, [DOC])
    for fact_id in IDS:
        replay.add(fact(fact_id), actor="seed")
    for reason in ours:
        operation(int(reason.split()[1]))(replay)
    assert replay.facts() == store.facts()
    assert [fact_state(f) for f in replay.facts()] == [fact_state(f) for f in store.facts()]
    replay_db.close()


# --- through the bot's desk: one store thread, many coroutines ----------------------------------

MANY = tuple(f"fact-{i}" for i in range(10))


def fresh_edit(curator: Curator, fact_id: str, answer: str) -> Outcome:
    """A form edit of the answer, filled from the fact as it is now."""
    base = curator.store.get(fact_id)
    return curator.edit(base, replace(parse_form(form_values(base)), answer=answer))


async def test_fifty_simultaneous_edits_through_the_desk(tmp_path: Path) -> None:
    """F2 in the bot: 50 moderator writes (keys, answers, stale-form titles) and 50 questions
    gathered at once on the AsyncDesk: all succeed, none is lost, and the revisions chain."""
    path = tmp_path / "desk.db"
    setup = FactStore(open_db(path))
    put_documents(setup, [DOC])
    for fact_id in MANY:
        setup.add(fact(fact_id), actor="seed")
    stale = {fact_id: setup.get(fact_id) for fact_id in MANY}  # forms opened before the rush
    setup.db.close()

    async with AsyncDesk(
        lambda: Desk(FactStore(open_db(path)), Glossary()), max_pending=200
    ) as desk:

        def write(n: int) -> Callable[[Curator], Outcome]:
            fact_id = MANY[n % 10]
            if n < 20:
                return lambda c: c.add_key(fact_id, f"concurrent key {n}", reason=f"op {n}")
            if n < 40:
                return lambda c: fresh_edit(c, fact_id, f"Answer of op {n}.")
            form = replace(parse_form(form_values(stale[fact_id])), title=f"Title of op {n}")
            return lambda c: c.edit(stale[fact_id], form, reason=f"op {n}")

        writes = [desk.curate("discord:1", 5, write(n)) for n in range(50)]
        reads = [desk.ask(f"about fact-{n % 10}", guild_id=5, channel_id=6) for n in range(50)]
        results = await asyncio.gather(*writes, *reads)
        assert all(outcome.changed for outcome in results[:50])
        order = await desk.run(lambda d: assert_serial(d.store.db))
        facts = await desk.run(lambda d: d.store.facts())
    assert len(order) == 10 + 50
    for n, fact_now in enumerate(facts):
        assert fact_now.id == MANY[n]
        assert {f"concurrent key {k}" for k in range(n, 20, 10)} <= set(fact_now.keys)
        assert fact_now.title == f"Title of op {40 + n}"
        last_answer = max(k for k in range(20, 40) if k % 10 == n)
        assert fact_now.answer == f"Answer of op {last_answer}."  # gather starts them in order
