"""Digest settings per guild, their change log, the record of posted periods, and inputs.

A guild's settings are one ``digest_settings`` row, and every change of them appends a
``digest_changes`` row (who, when, before and after) in the same transaction. A period is
recorded in ``digest_runs`` exactly once as posted or skipped, after any number of failed
attempts. :meth:`DigestStore.inputs` reads everything a digest is built from in one snapshot.
Scheduling itself (what a period is, when one is due) is :mod:`knowledge.digest.schedule`'s.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, time
from typing import Any

from ..digest.schedule import key_date, make_settings
from ..errors import DigestNotConfigured
from ..models import DigestInputs, DigestRun, DigestRunStatus, DigestSettings
from .checks import MAX_REASON, Stamp, make_stamp
from .db import Transactions, window
from .documents import DocumentStore
from .feedback import FeedbackStore
from .picks import PickStore
from .querylog import QueryLog
from .rows import dump, iso_time, load_facts, load_revisions

_SETTLED = frozenset({"posted", "skipped"})
_DIGEST_COLUMNS = (
    "guild_id, channel_id, schedule, local_time, timezone, weekday, enabled, skip_empty,"
    " configured_by, configured_at, disabled_reason"
)
_RUN_COLUMNS = "id, guild_id, period_key, status, message_id, at, note, attempts, covered_until"


class DigestStore:
    """Each guild's digest: its settings, the periods posted, and what a digest reads."""

    def __init__(
        self,
        tx: Transactions,
        clock: Callable[[], datetime],
        *,
        queries: QueryLog,
        feedback: FeedbackStore,
        documents: DocumentStore | None = None,
        picks: PickStore | None = None,
    ) -> None:
        """Write through ``tx``; ``clock`` stamps changes and runs; inputs read the others
        (without ``documents``, a digest tells of no source documents; without ``picks``,
        of no "did you mean" picks)."""
        self._tx = tx
        self._clock = clock
        self._queries = queries
        self._feedback = feedback
        self._documents = documents
        self._picks = picks

    # --- settings ------------------------------------------------------------------------------

    def set(
        self,
        guild_id: int,
        *,
        channel_id: int,
        schedule: str,
        local_time: str | time,
        timezone: str,
        weekday: int | str | None = None,
        enabled: bool = True,
        skip_empty: bool = False,
        actor: str,
        reason: str = "",
    ) -> DigestSettings:
        """Create or replace the guild's digest settings; the change is logged with ``actor``.

        Values are validated and normalised (see :func:`knowledge.digest.make_settings`):
        :class:`InvalidSetting` names the bad one. Setting what is already set writes nothing.
        """
        made = make_stamp(actor, guild_id, reason, self._clock())
        settings = make_settings(
            guild_id,
            channel_id=channel_id,
            schedule=schedule,
            local_time=local_time,
            timezone=timezone,
            weekday=weekday,
            enabled=enabled,
            skip_empty=skip_empty,
            configured_by=actor,
            configured_at=datetime.fromisoformat(made.at),
        )
        with self._tx.writing() as conn:
            before = self._settings(guild_id)
            if before is not None and _digest_choice(before) == _digest_choice(settings):
                return before
            _write_settings(conn, settings)
            _log_change(conn, "set", before, settings, made)
        return settings

    def disable(self, guild_id: int, reason: str, *, actor: str = "sitrep") -> DigestSettings:
        """Turn the guild's digest off, saying why (kept, shown, logged); no-op if already off.

        :class:`DigestNotConfigured` if the guild has none. :meth:`set` turns it back on.
        """
        made = make_stamp(actor, guild_id, reason, self._clock())
        with self._tx.writing() as conn:
            before = self._settings(guild_id)
            if before is None:
                raise DigestNotConfigured(guild_id)
            if not before.enabled:
                return before
            after = replace(before, enabled=False, disabled_reason=reason)
            _write_settings(conn, after)
            _log_change(conn, "disable", before, after, made)
        return after

    def settings(self, guild_id: int) -> DigestSettings | None:
        """The guild's digest settings, or ``None`` if it has never set one up."""
        with self._tx.reading():
            return self._settings(guild_id)

    def all_settings(self, *, enabled_only: bool = False) -> list[DigestSettings]:
        """Every guild's digest settings (only enabled ones, if asked), by guild id."""
        sql = f"SELECT {_DIGEST_COLUMNS} FROM digest_settings"
        if enabled_only:
            sql += " WHERE enabled = 1"
        rows = self._tx.conn.execute(sql + " ORDER BY guild_id").fetchall()
        return [_settings_from_row(row) for row in rows]

    def _settings(self, guild_id: int) -> DigestSettings | None:
        row = self._tx.conn.execute(
            f"SELECT {_DIGEST_COLUMNS} FROM digest_settings WHERE guild_id = ?", (guild_id,)
        ).fetchone()
        return None if row is None else _settings_from_row(row)

    # --- runs ----------------------------------------------------------------------------------

    def posted(self, guild_id: int, period_key: str) -> bool:
        """True once the period is settled: posted, or recorded as skipped.

        A failed attempt does not count, so the period may be tried again.
        """
        row = self._tx.conn.execute(
            "SELECT status FROM digest_runs WHERE guild_id = ? AND period_key = ?",
            (guild_id, period_key),
        ).fetchone()
        return row is not None and row[0] in _SETTLED

    def record_run(
        self,
        guild_id: int,
        period_key: str,
        status: DigestRunStatus,
        message_id: int | None = None,
        note: str = "",
        *,
        covered_until: datetime | None = None,
    ) -> bool:
        """Record what happened to a period; ``False`` (and nothing written) if already settled.

        A period is recorded once: a second ``posted`` or ``skipped`` for it is refused. A
        ``failed`` record may be followed by another attempt (the count goes up) and, finally,
        by ``posted`` or ``skipped``. ``covered_until`` is the end of the window the digest
        covered, where the next one starts (see :meth:`since`).
        """
        if status not in ("posted", "skipped", "failed"):
            raise ValueError(f"unknown digest run status {status!r}")
        if not isinstance(period_key, str) or not period_key.strip():
            raise ValueError("a digest run needs a period key")
        text = note[:MAX_REASON].encode("utf-8", "replace").decode("utf-8")
        until = None if covered_until is None else iso_time(covered_until)
        with self._tx.writing() as conn:
            cursor = conn.execute(
                "INSERT INTO digest_runs (guild_id, period_key, status, message_id, at, note,"
                " covered_until) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (guild_id, period_key) DO UPDATE SET"
                " status = excluded.status, message_id = excluded.message_id, at = excluded.at,"
                " note = excluded.note, covered_until = excluded.covered_until,"
                " attempts = digest_runs.attempts + 1"
                " WHERE digest_runs.status = 'failed'",
                (guild_id, period_key, status, message_id, iso_time(self._clock()), text, until),
            )
            return cursor.rowcount > 0

    def runs(self, guild_id: int) -> list[DigestRun]:
        """Every recorded period of the guild, in the order first recorded."""
        rows = self._tx.conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM digest_runs WHERE guild_id = ? ORDER BY id",
            (guild_id,),
        ).fetchall()
        return [_run_from_row(row) for row in rows]

    def last_run(self, guild_id: int) -> DigestRun | None:
        """The settled (posted or skipped) run of the guild's latest period, if any.

        Its ``period_key`` is what :func:`knowledge.digest.due_periods` calls the last
        posted key. "Latest" goes by the period's date, not the order of recording.
        """
        rows = self._tx.conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM digest_runs"
            " WHERE guild_id = ? AND status IN ('posted', 'skipped') ORDER BY id DESC LIMIT 64",
            (guild_id,),
        ).fetchall()
        runs = [(key_date(row[2]), -index, row) for index, row in enumerate(rows)]
        dated = [(day, order, row) for day, order, row in runs if day is not None]
        if not dated:
            return _run_from_row(rows[0]) if rows else None
        return _run_from_row(max(dated, key=lambda item: (item[0], item[1]))[2])

    def since(self, guild_id: int | None = None) -> datetime | None:
        """Where the next digest's window starts: the latest ``covered_until`` recorded.

        For one guild, or over every guild with ``None``; ``None`` if nothing was recorded.
        """
        sql = (
            "SELECT max(covered_until) FROM digest_runs"
            " WHERE status IN ('posted', 'skipped') AND covered_until IS NOT NULL"
        )
        params: tuple[int, ...] = ()
        if guild_id is not None:
            sql += " AND guild_id = ?"
            params = (guild_id,)
        row = self._tx.conn.execute(sql, params).fetchone()
        return None if row is None or row[0] is None else datetime.fromisoformat(row[0])

    # --- inputs --------------------------------------------------------------------------------

    def inputs(
        self, since: datetime, until: datetime, *, guild_id: int | None = None
    ) -> DigestInputs:
        """What a digest of ``since``–``until`` is built from, read in one snapshot.

        Every fact (retired too, for titles), every ingested document (removed too, for
        titles), the revisions and document versions of the window, and the window's
        questions, "did you mean" picks and answer feedback: those of ``guild_id`` only when
        given, so that one server's questions never show up in another's digest (documents
        answer in every server, so they are everyone's news).
        """
        documents = self._documents
        with self._tx.reading() as conn:
            facts = load_facts(conn, None, include_retired=True)
            revisions = load_revisions(conn, *window(since, until))
            queries = self._queries.records(since=since, until=until, guild_id=guild_id)
            feedback = self._feedback.summary(since, until=until, guild_id=guild_id)
            sources = documents.sources(include_removed=True) if documents else []
            ingested = documents.ingested_between(since, until) if documents else []
            picks = (
                self._picks.records(since=since, until=until, guild_id=guild_id)
                if self._picks
                else []
            )
        return DigestInputs(
            facts=tuple(facts),
            revisions=tuple(revisions),
            queries=tuple(queries),
            feedback=tuple(feedback),
            documents=tuple(sources),
            ingested=tuple(ingested),
            picks=tuple(picks),
        )


# --- rows and states ---------------------------------------------------------------------------


def _write_settings(conn: sqlite3.Connection, settings: DigestSettings) -> None:
    state = _digest_state(settings)
    columns = ", ".join(state)
    conn.execute(
        f"INSERT OR REPLACE INTO digest_settings ({columns})"
        f" VALUES ({', '.join(':' + name for name in state)})",
        state,
    )


def _log_change(
    conn: sqlite3.Connection,
    action: str,
    before: DigestSettings | None,
    after: DigestSettings,
    made: Stamp,
) -> None:
    conn.execute(
        "INSERT INTO digest_changes (guild_id, action, actor, at, before, after, reason)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            after.guild_id,
            action,
            made.actor,
            made.at,
            dump(None if before is None else _digest_state(before)),
            dump(_digest_state(after)),
            made.reason,
        ),
    )


def _digest_choice(settings: DigestSettings) -> tuple[Any, ...]:
    """What a moderator chooses: equal choices make :meth:`DigestStore.set` a no-op."""
    return (
        settings.channel_id,
        settings.schedule,
        settings.local_time,
        settings.timezone,
        settings.weekday,
        settings.enabled,
        settings.skip_empty,
    )


def _digest_state(settings: DigestSettings) -> dict[str, Any]:
    """The settings as a row and as the JSON of the change log."""
    return {
        "guild_id": settings.guild_id,
        "channel_id": settings.channel_id,
        "schedule": settings.schedule,
        "local_time": settings.local_time.strftime("%H:%M"),
        "timezone": settings.timezone,
        "weekday": settings.weekday,
        "enabled": settings.enabled,
        "skip_empty": settings.skip_empty,
        "configured_by": settings.configured_by,
        "configured_at": None
        if settings.configured_at is None
        else iso_time(settings.configured_at),
        "disabled_reason": settings.disabled_reason,
    }


def _settings_from_row(row: Sequence[Any]) -> DigestSettings:
    (
        guild_id,
        channel_id,
        schedule,
        local_time,
        timezone,
        weekday,
        enabled,
        skip_empty,
        configured_by,
        configured_at,
        disabled_reason,
    ) = row
    return DigestSettings(
        guild_id=int(guild_id),
        channel_id=int(channel_id),
        schedule="weekly" if schedule == "weekly" else "daily",
        local_time=time.fromisoformat(local_time),
        timezone=timezone,
        weekday=None if weekday is None else int(weekday),
        enabled=bool(enabled),
        skip_empty=bool(skip_empty),
        configured_by=configured_by,
        configured_at=datetime.fromisoformat(configured_at),
        disabled_reason=disabled_reason,
    )


def _run_status(value: object) -> DigestRunStatus:
    if value == "posted":
        return "posted"
    if value == "skipped":
        return "skipped"
    if value == "failed":
        return "failed"
    raise ValueError(f"unknown digest run status {value!r}")


def _run_from_row(row: Sequence[Any]) -> DigestRun:
    run_id, guild_id, period_key, status, message_id, at, note, attempts, covered_until = row
    return DigestRun(
        id=int(run_id),
        guild_id=int(guild_id),
        period_key=period_key,
        status=_run_status(status),
        at=datetime.fromisoformat(at),
        message_id=None if message_id is None else int(message_id),
        note=note,
        attempts=int(attempts),
        covered_until=None if covered_until is None else datetime.fromisoformat(covered_until),
    )
