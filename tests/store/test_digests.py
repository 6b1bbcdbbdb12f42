"""DigestStore: settings and their change log, exactly-once runs, and digest inputs."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from storedata import FUEL, LEADER, fresh
from storekit import TickClock, dump

from knowledge.errors import DigestNotConfigured, InvalidSetting
from knowledge.models import Answer
from knowledge.store.facts import FactStore
from knowledge.store.rows import json_or_none


@dataclass(frozen=True)
class Change:
    """One row of the digest settings' change log."""

    action: str
    actor: str
    reason: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def digest_changes(db: sqlite_utils.Database, guild_id: int) -> list[Change]:
    """The guild's logged changes of its digest settings, oldest first."""
    rows = db.conn.execute(
        "SELECT action, actor, reason, before, after FROM digest_changes"
        " WHERE guild_id = ? ORDER BY id",
        (guild_id,),
    )
    return [
        Change(action, actor, reason, json_or_none(before), json_or_none(after))
        for action, actor, reason, before, after in rows
    ]


LONDON_DAILY: dict[str, Any] = {
    "channel_id": 20,
    "schedule": "daily",
    "local_time": "8:30",
    "timezone": "europe/london",
}


def test_set_digest_normalises_stores_and_logs(
    store: FactStore, db: sqlite_utils.Database, db_path: Path
) -> None:
    """Settings are validated, normalised, readable from a fresh connection and logged."""
    settings = store.digests.set(10, **LONDON_DAILY, actor="mod#1", reason="first setup")
    assert (settings.local_time, settings.timezone, settings.weekday) == (
        time(8, 30),
        "Europe/London",
        None,
    )
    assert settings.configured_by == "mod#1" and settings.configured_at is not None
    assert store.digests.settings(10) == settings
    assert store.digests.settings(11) is None
    with fresh(db_path) as conn:
        assert conn.execute("SELECT local_time, timezone FROM digest_settings").fetchall() == [
            ("08:30", "Europe/London")
        ]
    (change,) = digest_changes(db, 10)
    assert (change.action, change.actor, change.reason, change.before) == (
        "set",
        "mod#1",
        "first setup",
        None,
    )
    assert change.after is not None and change.after["local_time"] == "08:30"


def test_set_digest_same_settings_writes_nothing(
    store: FactStore, db: sqlite_utils.Database
) -> None:
    """Setting what is already set is a no-op, however it is spelled."""
    first = store.digests.set(10, **LONDON_DAILY, actor="mod")
    before = dump(db)
    again = store.digests.set(10, **(LONDON_DAILY | {"local_time": "08:30"}), actor="other")
    assert again == first and dump(db) == before


def test_set_digest_change_is_logged_with_before_and_after(
    store: FactStore, db: sqlite_utils.Database
) -> None:
    """A changed setting replaces the row and appends a change with both states."""
    store.digests.set(10, **LONDON_DAILY, actor="mod")
    weekly = store.digests.set(
        10, **(LONDON_DAILY | {"schedule": "weekly", "weekday": "fri"}), actor="mod2"
    )
    assert (weekly.schedule, weekly.weekday, weekly.configured_by) == ("weekly", 4, "mod2")
    changes = digest_changes(db, 10)
    assert [c.action for c in changes] == ["set", "set"]
    assert changes[1].before is not None and changes[1].before["schedule"] == "daily"
    assert changes[1].after is not None and changes[1].after["weekday"] == 4


@pytest.mark.parametrize(
    ("change", "setting"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"local_time": "25:00"}, "time"),
        ({"schedule": "weekly", "weekday": "someday"}, "weekday"),
        ({"schedule": "weekly"}, "weekday"),
        ({"channel_id": -1}, "channel"),
    ],
)
def test_set_digest_refuses_invalid_settings(
    store: FactStore, db: sqlite_utils.Database, change: dict[str, Any], setting: str
) -> None:
    """An invalid setting raises InvalidSetting and writes nothing."""
    before = dump(db)
    with pytest.raises(InvalidSetting) as caught:
        store.digests.set(10, **(LONDON_DAILY | change), actor="mod")
    assert caught.value.setting == setting
    assert dump(db) == before and not db.conn.in_transaction


def test_set_digest_needs_an_actor(store: FactStore) -> None:
    """Like every change, digest settings record who made them."""
    with pytest.raises(ValueError, match="actor"):
        store.digests.set(10, **LONDON_DAILY, actor=" ")


def test_disable_and_reenable_digest(store: FactStore, db: sqlite_utils.Database) -> None:
    """Disabling keeps the settings with a reason; set_digest turns it back on."""
    store.digests.set(10, **LONDON_DAILY, actor="mod")
    off = store.digests.disable(10, "403 Forbidden on the digest channel")
    assert not off.enabled and off.disabled_reason == "403 Forbidden on the digest channel"
    assert store.digests.disable(10, "again") == off  # already off: no-op
    on = store.digests.set(10, **LONDON_DAILY, actor="mod")
    assert on.enabled and on.disabled_reason == ""
    assert [(c.action, c.actor) for c in digest_changes(db, 10)] == [
        ("set", "mod"),
        ("disable", "sitrep"),
        ("set", "mod"),
    ]


def test_disable_unknown_digest(store: FactStore) -> None:
    """Disabling a digest that was never set up is a named error."""
    with pytest.raises(DigestNotConfigured, match="guild 99"):
        store.digests.disable(99, "why")


def test_all_digest_settings(store: FactStore) -> None:
    """Every guild's settings by guild id; enabled_only leaves out disabled ones."""
    for guild in (30, 10, 20):
        store.digests.set(guild, **LONDON_DAILY, actor="mod")
    store.digests.disable(20, "gone")
    assert [s.guild_id for s in store.digests.all_settings()] == [10, 20, 30]
    assert [s.guild_id for s in store.digests.all_settings(enabled_only=True)] == [10, 30]


@pytest.mark.parametrize(
    "sql",
    ["UPDATE digest_changes SET actor = 'x'", "DELETE FROM digest_changes"],
)
def test_digest_changes_are_append_only(
    store: FactStore, db: sqlite_utils.Database, sql: str
) -> None:
    """The settings' change log cannot be rewritten."""
    store.digests.set(10, **LONDON_DAILY, actor="mod")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute(sql)


def test_record_digest_run_is_exactly_once(store: FactStore, db_path: Path) -> None:
    """A period is recorded once: a second posted or skipped for it is refused."""
    assert not store.digests.posted(10, "2026-03-29")
    assert store.digests.record_run(10, "2026-03-29", "posted", message_id=555)
    assert store.digests.posted(10, "2026-03-29")
    assert not store.digests.record_run(10, "2026-03-29", "posted", message_id=556)
    assert not store.digests.record_run(10, "2026-03-29", "skipped")
    assert not store.digests.record_run(10, "2026-03-29", "failed")
    (run,) = store.digests.runs(10)
    assert (run.status, run.message_id, run.attempts) == ("posted", 555, 1)
    assert not store.digests.posted(11, "2026-03-29")  # per guild
    with fresh(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM digest_runs").fetchone() == (1,)


def test_failed_run_may_be_retried_then_settled(store: FactStore) -> None:
    """A failed attempt does not settle the period; retries count; success settles it."""
    assert store.digests.record_run(10, "2026-W13", "failed", note="503")
    assert not store.digests.posted(10, "2026-W13")
    assert store.digests.record_run(10, "2026-W13", "failed", note="429")
    assert store.digests.record_run(10, "2026-W13", "posted", message_id=9)
    (run,) = store.digests.runs(10)
    assert (run.status, run.attempts, run.note, run.message_id) == ("posted", 3, "", 9)
    assert store.digests.posted(10, "2026-W13")


@pytest.mark.parametrize(
    "sql",
    ["UPDATE digest_runs SET status = 'failed'", "DELETE FROM digest_runs"],
)
def test_settled_runs_cannot_be_undone(
    store: FactStore, db: sqlite_utils.Database, sql: str
) -> None:
    """Even raw SQL cannot reopen or remove a posted period."""
    store.digests.record_run(10, "2026-03-29", "posted", message_id=1)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(sql)


@pytest.mark.parametrize(
    ("key", "status", "error"),
    [("2026-03-29", "sent", "status"), ("", "posted", "period key"), (" ", "skipped", "period")],
)
def test_record_digest_run_refuses_bad_values(
    store: FactStore, key: str, status: Any, error: str
) -> None:
    """Unknown statuses and empty keys are bugs in the caller."""
    with pytest.raises(ValueError, match=error):
        store.digests.record_run(10, key, status)


def test_last_run_and_since(store: FactStore, clock: TickClock) -> None:
    """The last settled run goes by period date; the next window starts at covered_until."""
    assert store.digests.last_run(10) is None and store.digests.since(10) is None
    end = datetime(2026, 3, 4, 8, tzinfo=UTC)
    store.digests.record_run(10, "2026-03-04", "posted", message_id=1, covered_until=end)
    store.digests.record_run(10, "2026-03-02", "skipped", note="missed while down")
    store.digests.record_run(10, "2026-03-05", "failed")
    store.digests.record_run(20, "2026-03-06", "posted", covered_until=end + timedelta(days=2))
    last = store.digests.last_run(10)
    assert last is not None and (last.period_key, last.status) == ("2026-03-04", "posted")
    assert store.digests.since(10) == end
    assert store.digests.since() == end + timedelta(days=2)


def test_digest_inputs_window_and_guild(store: FactStore, clock: TickClock) -> None:
    """Inputs hold every fact, the window's revisions, and the guild's questions and votes."""
    since = clock.now + timedelta(seconds=1)
    store.retire(FUEL.id, actor="b")
    store.queries.log(Answer("q1", "no_match", 1.0), guild_id=1)
    store.queries.log(Answer("q2", "no_match", 1.0), guild_id=2)
    store.feedback.record(1, 1, -1, fact_id=LEADER.id, guild_id=2)
    until = clock.now + timedelta(seconds=1)
    store.queries.log(Answer("late", "no_match", 1.0), guild_id=1)
    inputs = store.digests.inputs(since, until, guild_id=1)
    assert {f.id for f in inputs.facts} == {LEADER.id, FUEL.id}
    assert [r.action for r in inputs.revisions] == ["retire"]
    assert [q.query for q in inputs.queries] == ["q1"]
    assert inputs.feedback == ()
    everyone = store.digests.inputs(since, until)
    assert [q.query for q in everyone.queries] == ["q1", "q2"]
    assert everyone.feedback == ((LEADER.id, 0, 1),)
