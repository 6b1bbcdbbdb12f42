""" "Did you mean" picks: which fact the asker of an unanswered question chose, never who.

When a question gets no answer the bot offers its closest facts; the asker's click on one
says what the question meant to them. The gaps report and the digest read these picks to
propose the question as a key of that fact (``knowledge.digest.gaps.picked_questions``).

What a pick keeps of the person is a keyed hash of (guild, user): enough to tell how many
different people picked, not who. Picks are append-only, like the revisions.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from ..errors import StoreBusy
from ..models import Pick
from .db import Transactions, no_wait, window
from .rows import iso_time

_PICK_COLUMNS = "id, at, query_id, query, fact_id, guild_id, picker"


class PickStore:
    """The ``suggestion_picks`` table: record a pick, read the picks of a window."""

    def __init__(self, tx: Transactions, clock: Callable[[], datetime]) -> None:
        """Write through ``tx``; ``clock`` stamps each pick."""
        self._tx = tx
        self._clock = clock

    def record(self, query_id: int, fact_id: str, user_id: int, *, guild_id: int) -> bool:
        """Record that ``user_id``, who asked logged question ``query_id``, picked ``fact_id``
        from its "did you mean" suggestions; ``False`` if nothing was recorded.

        Only a question logged without an answer (status ``no_match``) in ``guild_id`` can
        be picked for, and only an active fact picked; the same fact picked again for the
        same question counts once. The question's text is copied from the query log.

        A pick never makes anyone wait: while another process holds the write lock it is
        dropped (like the query log it feeds a report, never a fact or its history).
        """
        try:
            with no_wait(self._tx.conn), self._tx.writing() as conn:
                asked = conn.execute(
                    "SELECT query FROM queries WHERE id = ? AND status = 'no_match'"
                    " AND guild_id = ?",
                    (query_id, guild_id),
                ).fetchone()
                active = conn.execute(
                    "SELECT 1 FROM facts WHERE id = ? AND status = 'active'", (fact_id,)
                ).fetchone()
                if asked is None or active is None:
                    return False
                cursor = conn.execute(
                    "INSERT INTO suggestion_picks (at, query_id, query, fact_id, guild_id,"
                    " picker) VALUES (?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (query_id, fact_id) DO NOTHING",
                    (
                        iso_time(self._clock()),
                        query_id,
                        asked[0],
                        fact_id,
                        guild_id,
                        self._picker(conn, guild_id, user_id),
                    ),
                )
                return cursor.rowcount > 0
        except StoreBusy:
            return False

    def records(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        guild_id: int | None = None,
    ) -> list[Pick]:
        """Picks made at or after ``since`` and before ``until``, oldest first; only those of
        ``guild_id`` when given."""
        where, params = window(since, until, guild_id)
        rows = self._tx.conn.execute(
            f"SELECT {_PICK_COLUMNS} FROM suggestion_picks{where} ORDER BY id", params
        ).fetchall()
        return [_pick_from_row(row) for row in rows]

    def get(self, query_id: int, fact_id: str) -> Pick | None:
        """The pick of ``fact_id`` for logged question ``query_id``, if there was one."""
        row = self._tx.conn.execute(
            f"SELECT {_PICK_COLUMNS} FROM suggestion_picks WHERE query_id = ? AND fact_id = ?",
            (query_id, fact_id),
        ).fetchone()
        return None if row is None else _pick_from_row(row)

    def _picker(self, conn: sqlite3.Connection, guild_id: int, user_id: int) -> str:
        """The keyed hash that stands for one person in one guild."""
        (salt,) = conn.execute("SELECT value FROM salts WHERE name = 'picks'").fetchone()
        digest = hmac.new(bytes(salt), f"{guild_id}:{user_id}".encode(), hashlib.sha256)
        return digest.hexdigest()[:32]


def _pick_from_row(row: Sequence[Any]) -> Pick:
    pick_id, at, query_id, query, fact_id, guild_id, picker = row
    return Pick(
        id=int(pick_id),
        at=datetime.fromisoformat(at),
        query_id=int(query_id),
        query=str(query),
        fact_id=str(fact_id),
        guild_id=guild_id,
        picker=str(picker),
    )
