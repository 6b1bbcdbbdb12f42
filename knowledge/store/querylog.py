"""The query log: every question asked and the bot's verdict, never who asked.

The verdict is a fact ("answered"), an unreviewed passage ("passage") or none ("no_match").

The gaps report and the digest read it; logging a question is not a change of the fact set,
so it does not move the ``changes`` counter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import StoreBusy
from ..models import Answer, QueryRecord, QueryStatus
from .db import Transactions, no_wait, window
from .rows import iso_time

if TYPE_CHECKING:  # the store needs no matcher at run time, only the hit's type
    from ..documents.answers import PassageHit

MAX_LOGGED_QUERY = 1000
# Questions kept in memory while the database is locked; beyond this the oldest are dropped.
MAX_PENDING = 10_000
_QUERY_COLUMNS = "id, at, query, status, fact_id, score, guild_id, channel_id, passage_id"


class QueryLog:
    """The ``queries`` table: log a question, read the questions of a window."""

    def __init__(self, tx: Transactions, clock: Callable[[], datetime]) -> None:
        """Write through ``tx``; ``clock`` stamps each logged question."""
        self._tx = tx
        self._clock = clock
        # Questions not yet written because another process held the write lock.
        self._pending: list[tuple[object, ...]] = []

    def log(
        self,
        answer: Answer,
        *,
        passage: PassageHit | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
    ) -> int | None:
        """Record a question and the bot's verdict (never who asked); the logged row's id.

        With ``passage`` (the unreviewed passage that answered what no fact did) the question
        is logged with status "passage", the passage's id and its score; a question a fact
        answered cannot also be answered from a passage (``ValueError``).

        Logging never makes a question wait: while another process holds the write lock the
        record is kept in memory (up to :data:`MAX_PENDING`) and written with the next one;
        such a question has no id yet, and ``None`` is returned.
        """
        if passage is not None and answer.answered:
            raise ValueError("a question a fact answered is not answered from a passage")
        # The raw query may hold lone surrogates (SQLite would refuse them) or be huge.
        text = answer.query[:MAX_LOGGED_QUERY].encode("utf-8", "replace").decode("utf-8")
        status: QueryStatus = answer.status if passage is None else "passage"
        fact_id = answer.fact.id if answer.fact is not None and passage is None else None
        self._pending.append(
            (
                iso_time(self._clock()),
                text,
                status,
                fact_id,
                float(answer.score if passage is None else passage.score),
                guild_id,
                channel_id,
                passage.passage.id if passage is not None else None,
            )
        )
        del self._pending[:-MAX_PENDING]
        return self.flush(wait=False)

    def flush(self, *, wait: bool = True) -> int | None:
        """Write the questions kept back; with ``wait=False`` give up at once if locked.

        Returns the id of the last question written (``None``: nothing was written)."""
        if not self._pending:
            return None
        try:
            with no_wait(self._tx.conn) if not wait else nullcontext(), self._tx.writing() as conn:
                conn.executemany(
                    "INSERT INTO queries (at, query, status, fact_id, score, guild_id,"
                    " channel_id, passage_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    self._pending,
                )
                # Inside the transaction: the connection's own last insert, the newest record.
                (last,) = conn.execute("SELECT last_insert_rowid()").fetchone()
        except StoreBusy:
            if wait:
                raise
            return None
        self._pending.clear()
        return int(last)

    def records(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        guild_id: int | None = None,
    ) -> list[QueryRecord]:
        """Logged queries, oldest first: at or after ``since`` and before ``until`` if given.

        Only those of ``guild_id`` when given. A naive time is taken as UTC, like every time
        the store records.
        """
        self.flush(wait=False)
        where, params = window(since, until, guild_id)
        rows = self._tx.conn.execute(
            f"SELECT {_QUERY_COLUMNS} FROM queries{where} ORDER BY id", params
        ).fetchall()
        return [_query_from_row(row) for row in rows]


def _answer_status(value: object) -> QueryStatus:
    if value == "answered":
        return "answered"
    if value == "no_match":
        return "no_match"
    if value == "passage":
        return "passage"
    raise ValueError(f"unknown answer status {value!r}")


def _query_from_row(row: Sequence[Any]) -> QueryRecord:
    query_id, at, query, status, fact_id, score, guild_id, channel_id, passage_id = row
    return QueryRecord(
        id=int(query_id),
        at=datetime.fromisoformat(at),
        query=query,
        status=_answer_status(status),
        fact_id=fact_id,
        score=float(score),
        guild_id=guild_id,
        channel_id=channel_id,
        passage_id=passage_id,
    )
