"""open_db and the shared transactions: PRAGMAs, the changes counter, locks held by others."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils
from storedata import DOC, LEADER, fresh
from storekit import TickClock, put_documents

from knowledge.errors import StoreBusy
from knowledge.models import Answer
from knowledge.store.db import open_db
from knowledge.store.facts import FactStore


@pytest.mark.parametrize(
    ("pragma", "expected"),
    [
        ("journal_mode", "wal"),
        ("synchronous", 2),  # FULL
        ("foreign_keys", 1),
        ("busy_timeout", 5000),
        ("trusted_schema", 0),
    ],
)
def test_open_db_sets_pragma(db: sqlite_utils.Database, pragma: str, expected: object) -> None:
    """open_db configures each connection PRAGMA for durability and safety."""
    assert db.conn.execute(f"PRAGMA {pragma}").fetchone()[0] == expected


def test_open_db_creates_parent_directory(db: sqlite_utils.Database, db_path: Path) -> None:
    """open_db creates the missing data directory."""
    assert db_path.parent.is_dir()


def test_open_db_memory_skips_wal() -> None:
    """An in-memory database keeps its memory journal but enforces foreign keys."""
    mem = open_db(":memory:")
    assert mem.conn.execute("PRAGMA journal_mode").fetchone()[0] == "memory"
    assert mem.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    put_documents(FactStore(mem), [DOC])
    mem.close()


def test_changes_counts_each_committed_write(db: sqlite_utils.Database, db_path: Path) -> None:
    """changes grows by one per committed write, also for a second store on another connection."""
    store = FactStore(db, clock=TickClock())
    start = store.changes
    put_documents(store, [DOC])
    store.add(LEADER, actor="b")
    store.edit(LEADER.id, title="New", actor="b")
    assert store.changes == start + 3
    store.queries.log(Answer(query="q", status="no_match", score=0.0))
    put_documents(store, [DOC])  # identical: nothing to write
    assert store.changes == start + 3
    second = open_db(db_path)
    FactStore(second).retire(LEADER.id, actor="cli")
    second.close()
    assert store.changes == start + 4


def test_public_method_inside_caller_transaction_leaves_it_alone(
    store: FactStore, db: sqlite_utils.Database
) -> None:
    """A write called while the caller holds a transaction fails without touching it."""
    db.conn.execute("BEGIN")
    with pytest.raises(sqlite3.OperationalError):
        store.edit(LEADER.id, title="x", actor="b")
    assert db.conn.in_transaction
    db.conn.execute("ROLLBACK")


def test_busy_database_fails_cleanly_then_recovers(
    store: FactStore, db: sqlite_utils.Database, db_path: Path
) -> None:
    """While another connection holds the write lock a write fails with StoreBusy (nothing
    half-done); later it succeeds."""
    db.conn.execute("PRAGMA busy_timeout = 50")  # the real 5 s would only slow the test
    other = fresh(db_path)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreBusy, match="busy"):
        store.edit(LEADER.id, title="Later", actor="b")
    assert not db.conn.in_transaction
    assert store.get(LEADER.id).title == LEADER.title  # reads still work under WAL
    other.execute("ROLLBACK")
    other.close()
    assert store.edit(LEADER.id, title="Later", actor="b").title == "Later"
