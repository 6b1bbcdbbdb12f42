"""Answer feedback: one vote (+1 or -1) per person per answer message, never the person.

What a vote is stored as is a keyed hash of (message, user), so repeat votes can be told
apart without keeping who voted; the digest and the gaps report read the counts per fact.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..models import FeedbackCount
from .db import Transactions, window
from .rows import iso_time


class FeedbackStore:
    """The ``feedback`` table: record a vote, count the votes of a window per fact."""

    def __init__(self, tx: Transactions, clock: Callable[[], datetime]) -> None:
        """Write through ``tx``; ``clock`` stamps each vote."""
        self._tx = tx
        self._clock = clock

    def record(
        self,
        message_id: int,
        user_id: int,
        vote: int,
        *,
        fact_id: str | None = None,
        query_id: int | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
    ) -> bool:
        """Record one person's vote (+1 or -1) on one answer; ``False`` if nothing changed.

        Each person has one vote per answer message: voting again replaces it. The user id is
        not stored, only a keyed hash of (message, user) that tells repeat votes apart. Give
        the answered ``fact_id`` or the logged ``query_id`` (its fact is looked up).
        """
        if vote not in (1, -1) or isinstance(vote, bool):
            raise ValueError("a vote is +1 or -1")
        if fact_id is None and query_id is None:
            raise ValueError("feedback needs the fact_id or the query_id it is about")
        with self._tx.writing() as conn:
            if fact_id is None:
                row = conn.execute(
                    "SELECT fact_id FROM queries WHERE id = ?", (query_id,)
                ).fetchone()
                fact_id = None if row is None else row[0]
            cursor = conn.execute(
                "INSERT INTO feedback (at, message_id, voter, vote, fact_id, query_id, guild_id,"
                " channel_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (message_id, voter) DO UPDATE SET"
                " vote = excluded.vote, at = excluded.at"
                " WHERE feedback.vote != excluded.vote",
                (
                    iso_time(self._clock()),
                    message_id,
                    self._voter(message_id, user_id),
                    vote,
                    fact_id,
                    query_id,
                    guild_id,
                    channel_id,
                ),
            )
            return cursor.rowcount > 0

    def summary(
        self,
        since: datetime | None = None,
        *,
        until: datetime | None = None,
        guild_id: int | None = None,
    ) -> list[FeedbackCount]:
        """``(fact_id, up, down)`` per fact voted on in the window, most down votes first."""
        where, params = window(since, until)
        where += " AND fact_id IS NOT NULL" if where else " WHERE fact_id IS NOT NULL"
        all_params: tuple[Any, ...] = params
        if guild_id is not None:
            where += " AND guild_id = ?"
            all_params = (*params, guild_id)
        rows = self._tx.conn.execute(
            "SELECT fact_id, sum(vote = 1) AS up, sum(vote = -1) AS down FROM feedback"
            f"{where} GROUP BY fact_id ORDER BY down DESC, up, fact_id",
            all_params,
        ).fetchall()
        return [FeedbackCount(str(row[0]), int(row[1]), int(row[2])) for row in rows]

    def _voter(self, message_id: int, user_id: int) -> str:
        """The keyed hash that stands for one user on one answer message."""
        row = self._tx.conn.execute("SELECT value FROM salts WHERE name = 'feedback'").fetchone()
        digest = hmac.new(bytes(row[0]), f"{message_id}:{user_id}".encode(), hashlib.sha256)
        return digest.hexdigest()[:32]
