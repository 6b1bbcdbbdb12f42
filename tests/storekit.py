"""Helpers for tests that look at a store's database directly."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils

from knowledge.models import Document
from knowledge.store.facts import FactStore
from knowledge.store.rows import normalize_key


class TickClock:
    """A clock that moves one second per reading, so timestamps are distinct and ordered."""

    def __init__(self) -> None:
        self.now = datetime(2025, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def put_documents(store: FactStore, documents: Iterable[Document]) -> None:
    """Insert or update source documents, leaving every fact as it is (a load of no facts)."""
    store.sync(documents, [], actor="test", retire_missing=False)


def key_owner(db: sqlite_utils.Database, key: str) -> str | None:
    """The id of the active fact that has ``key`` (ignoring case and spacing), if any."""
    row = db.conn.execute(
        "SELECT fact_id FROM fact_keys WHERE norm_key = ? AND active = 1", (normalize_key(key),)
    ).fetchone()
    return None if row is None else str(row[0])


def dump(db: sqlite_utils.Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (sqlite_sequence included), to compare logical states."""
    names = [
        row[0] for row in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    return {
        name: db.conn.execute(f'SELECT * FROM "{name}" ORDER BY 1, 2').fetchall() for name in names
    }
