"""The database connection and the one way every record class runs a transaction.

:func:`open_db` configures a connection for durability; :class:`Transactions` wraps it for
the record classes (:class:`~knowledge.store.facts.FactStore` and the stores it holds), so
that they all share one connection, one notion of a read or a write transaction, and the
``changes`` counter.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import sqlite_utils

from ..errors import busy_as_error
from .rows import iso_time

BUSY_TIMEOUT_MS = 5000


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the database at ``path``, configured for durability.

    WAL journal (except for ``":memory:"``), ``synchronous=FULL`` so a commit survives power
    loss, foreign keys enforced, a 5 s busy timeout for other processes' writes, and
    ``trusted_schema=OFF`` so a tampered schema cannot call functions with side effects.
    sqlite-utils plugins are not loaded: nothing outside the project touches the connection.
    """
    memory = str(path) == ":memory:"
    if memory:
        db = sqlite_utils.Database(memory=True, execute_plugins=False)
    else:
        file = Path(path)
        file.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite_utils.Database(file, execute_plugins=False)
    try:
        conn = db.conn
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_MS)}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA trusted_schema = OFF")
        conn.execute("PRAGMA synchronous = FULL")
        if not memory:
            db.enable_wal()
    except BaseException:
        db.close()
        raise
    return db


@contextmanager
def no_wait(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Within the block, a locked database fails at once instead of after the busy timeout.

    For work that can be put off (catching the term index up, logging a question): a reader
    must never queue behind another process's write.
    """
    (timeout,) = conn.execute("PRAGMA busy_timeout").fetchone()
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        yield conn
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout)}")


def utc_now() -> datetime:
    """The current time in UTC (the store's default clock)."""
    return datetime.now(UTC)


def window(
    since: datetime | None, until: datetime | None, guild_id: int | None = None
) -> tuple[str, tuple[str | int, ...]]:
    """A ``WHERE`` clause on ``at`` for ``since`` (inclusive) to ``until`` (exclusive), and
    on ``guild_id`` when one is given."""
    clauses: list[str] = []
    params: list[str | int] = []
    if since is not None:
        clauses.append("at >= ?")
        params.append(iso_time(since))
    if until is not None:
        clauses.append("at < ?")
        params.append(iso_time(until))
    if guild_id is not None:
        clauses.append("guild_id = ?")
        params.append(guild_id)
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    return where, tuple(params)


class Transactions:
    """One database connection as the record classes use it: transactions and the counter.

    Every record class over the same database shares one instance, so they all run their
    transactions on the one connection (and thread) that owns the database.
    """

    def __init__(self, db: sqlite_utils.Database) -> None:
        """Run transactions on ``db``'s connection."""
        self.db = db

    @property
    def conn(self) -> sqlite3.Connection:
        """The connection, for statements that need no transaction of their own."""
        return self.db.conn

    @property
    def changes(self) -> int:
        """A counter that grows by one with every committed write of facts or documents.

        It is kept in the database, so writes by other processes (``sitrep load`` while the
        bot runs) count too: compare it with the value you built your matcher from. Logged
        queries do not count.
        """
        row = self.conn.execute("SELECT value FROM meta WHERE name = 'changes'").fetchone()
        return int(row[0]) if row else 0

    def bump_changes(self, conn: sqlite3.Connection) -> None:
        """Count one committed write (see :attr:`changes`); call once per transaction."""
        conn.execute("UPDATE meta SET value = value + 1 WHERE name = 'changes'")

    def reading(self) -> AbstractContextManager[sqlite3.Connection]:
        """A read transaction: one consistent snapshot for several queries."""
        return self._transaction("DEFERRED")

    def writing(self) -> AbstractContextManager[sqlite3.Connection]:
        """A write transaction holding the write lock from its first statement."""
        return self._transaction("IMMEDIATE")

    @contextmanager
    def _transaction(self, mode: Literal["DEFERRED", "IMMEDIATE"]) -> Iterator[sqlite3.Connection]:
        """One transaction, committed on success and rolled back on any exception.

        Writers take the write lock up front (IMMEDIATE): a read-then-write transaction that
        starts DEFERRED fails with SQLITE_BUSY_SNAPSHOT once another connection has committed.
        Readers still use a transaction, so that a fact's rows come from one snapshot.
        """
        conn = self.conn
        with busy_as_error():
            conn.execute(f"BEGIN {mode}")  # outside the try: a failed BEGIN has nothing to undo
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
