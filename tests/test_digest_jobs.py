"""The store's side of posting digests: what is due, the window, what is recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sample import BRIEF, FACTS, GLOSSARY
from storekit import put_documents

from knowledge.digest.content import PASSAGES_TITLE, PICKED_TITLE
from knowledge.digest.jobs import (
    guild_gaps,
    manual_period,
    plan,
    prepare,
    preview,
    record_empty,
    record_failed,
    record_posted,
)
from knowledge.documents.answers import PassageHit
from knowledge.documents.models import DocumentMeta
from knowledge.documents.read import read_text
from knowledge.matching.matcher import Matcher
from knowledge.models import Answer
from knowledge.render.digest import read_marker
from knowledge.store.documents import DocumentStore
from knowledge.store.facts import FactStore

GUILD, OTHER = 111_111_111_111_111_111, 222_222_222_222_222_222
CHANNEL = 333_333_333_333_333_333


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(utc("2026-03-01 00:00"))


@pytest.fixture
def store(store: FactStore, clock: Clock) -> FactStore:
    """The shared store: facts loaded a month before; a daily 08:00 UTC digest set up on
    2026-03-01 00:00."""
    s = store
    clock.now = utc("2026-02-01 00:00")
    put_documents(s, [BRIEF])
    for fact in FACTS:
        s.add(fact, actor="seed")
    clock.now = utc("2026-03-01 00:00")
    s.digests.set(
        GUILD, channel_id=CHANNEL, schedule="daily", local_time="08:00", timezone="UTC", actor="t"
    )
    return s


def matcher(store: FactStore) -> Matcher:
    return Matcher(store.facts(), GLOSSARY)


def test_plan_lists_due_guilds_and_the_next_slot(store: FactStore) -> None:
    """Before the slot nothing is due and the next slot is named; at it, the guild is due."""
    early = plan(store, utc("2026-03-01 07:00"))
    assert early.due == ()
    assert early.next_at == utc("2026-03-01 08:00")
    due = plan(store, utc("2026-03-01 08:00"))
    (one,) = due.due
    assert (one.settings.guild_id, one.period.key, one.skipped) == (GUILD, "2026-03-01", ())
    assert due.next_at == utc("2026-03-02 08:00")


def test_plan_skips_disabled_and_reports_broken_settings(store: FactStore) -> None:
    """A disabled digest is not due; one whose zone no longer exists is reported, not fatal."""
    store.digests.set(
        OTHER, channel_id=CHANNEL, schedule="daily", local_time="08:00", timezone="UTC", actor="t"
    )
    # A zone that a tzdata update removed (set_digest itself would refuse it).
    store.db.conn.execute(
        "UPDATE digest_settings SET timezone = 'Mars/Olympus' WHERE guild_id = ?", (OTHER,)
    )
    store.db.conn.commit()
    store.digests.disable(GUILD, "test")
    result = plan(store, utc("2026-03-01 09:00"))
    assert result.due == ()
    ((guild, reason),) = result.broken
    assert guild == OTHER
    assert "Mars/Olympus" in reason


def test_prepare_records_skipped_and_covers_since_the_last_post(
    store: FactStore, clock: Clock
) -> None:
    """After downtime the posted digest covers from the last post's end; older periods are
    recorded as skipped without a window of their own."""
    first = prepare(
        store, store.digests.settings(GUILD), plan(store, utc("2026-03-01 08:00")).due[0].period
    )  # type: ignore[arg-type]
    assert (first.since, first.until) == (utc("2026-02-28 08:00"), utc("2026-03-01 08:00"))
    assert first.empty
    assert record_posted(store, GUILD, first, 42)
    clock.now = utc("2026-03-02 12:00")
    store.queries.log(Answer("exchange rate", "no_match", 0.0), guild_id=GUILD)
    (due,) = plan(store, utc("2026-03-04 09:00")).due
    assert (due.period.key, [p.key for p in due.skipped]) == (
        "2026-03-04",
        ["2026-03-02", "2026-03-03"],
    )
    ready = prepare(store, due.settings, due.period, skipped=due.skipped, matcher=matcher(store))
    assert (ready.since, ready.until) == (utc("2026-03-01 08:00"), utc("2026-03-04 08:00"))
    assert not ready.empty
    assert ready.key == "2026-03-04"
    assert read_marker(ready.post.messages[0][0].footer) == ("2026-03-04", 1, 1)
    statuses = [(r.period_key, r.status) for r in store.digests.runs(GUILD)]
    assert statuses == [
        ("2026-03-01", "posted"),
        ("2026-03-02", "skipped"),
        ("2026-03-03", "skipped"),
    ]
    assert store.digests.since(GUILD) == utc("2026-03-01 08:00")


def test_failed_then_posted_and_empty_periods(store: FactStore) -> None:
    """A failed attempt leaves the period open; an empty skipped period counts as covered."""
    (due,) = plan(store, utc("2026-03-01 08:00")).due
    ready = prepare(store, due.settings, due.period)
    assert record_failed(store, GUILD, ready.key, "Discord said 500")
    assert plan(store, utc("2026-03-01 08:05")).due[0].period.key == "2026-03-01"
    assert record_empty(store, GUILD, ready)
    assert plan(store, utc("2026-03-01 08:06")).due == ()
    assert store.digests.since(GUILD) == utc("2026-03-01 08:00")
    assert not record_posted(store, GUILD, ready, 1)  # settled: never twice


def test_manual_period_takes_the_next_slot(store: FactStore) -> None:
    """/digest now: the due period if there is one, else the next slot's; None once that
    one is taken too."""
    settings = store.digests.settings(GUILD)
    assert settings is not None
    due = manual_period(store, settings, utc("2026-03-01 09:00"))
    assert due is not None
    assert due[0].key == "2026-03-01"
    ready = prepare(store, settings, due[0], until=utc("2026-03-01 09:00"))
    record_posted(store, GUILD, ready, 1)
    upcoming = manual_period(store, settings, utc("2026-03-01 15:00"))
    assert upcoming is not None
    assert upcoming[0].key == "2026-03-02"
    now = prepare(store, settings, upcoming[0], until=utc("2026-03-01 15:00"))
    assert now.since == utc("2026-03-01 09:00")
    record_posted(store, GUILD, now, 2)
    assert manual_period(store, settings, utc("2026-03-01 16:00")) is None
    assert plan(store, utc("2026-03-02 08:00")).due == ()
    (after,) = plan(store, utc("2026-03-03 08:00")).due
    later = prepare(store, settings, after.period)
    assert (later.since, later.until) == (utc("2026-03-01 15:00"), utc("2026-03-03 08:00"))


def test_local_dates_in_the_digest(store: FactStore) -> None:
    """A Tokyo 08:00 digest is dated by Tokyo's calendar, not UTC's (23:00 the day before)."""
    settings = store.digests.set(
        GUILD,
        channel_id=CHANNEL,
        schedule="daily",
        local_time="08:00",
        timezone="Asia/Tokyo",
        actor="t",
    )
    (due,) = plan(store, utc("2026-03-01 23:00")).due
    ready = prepare(store, settings, due.period)
    assert ready.post.messages[0][0].title == "Sitrep digest — 2026-03-02"


def test_preview_records_nothing(store: FactStore) -> None:
    """The preview covers the last day (or since the last digest) and writes nothing."""
    ready = preview(store, GUILD, None, utc("2026-03-05 10:00"))
    assert (ready.since, ready.until) == (utc("2026-03-04 10:00"), utc("2026-03-05 10:00"))
    assert ready.key == "preview"
    assert store.digests.runs(GUILD) == []


def test_guild_gaps_keeps_servers_apart(store: FactStore, clock: Clock) -> None:
    """One server's gap report never shows another server's questions."""
    clock.now = utc("2026-03-02 10:00")
    store.queries.log(Answer("exchange rate", "no_match", 0.0), guild_id=GUILD)
    store.queries.log(Answer("secret question", "no_match", 0.0), guild_id=OTHER)
    report = guild_gaps(store, GUILD, utc("2026-03-02 11:00"), 1, matcher(store))
    assert [g.text for g in report.unanswered] == ["exchange rate"]
    assert guild_gaps(store, GUILD, utc("2026-03-05 11:00"), 1, None).unanswered == ()


def test_guild_gaps_lists_the_servers_picks(store: FactStore, clock: Clock) -> None:
    """A server's report proposes its own members' picks, never another server's, and the
    posted digest shows them too."""
    clock.now = utc("2026-03-01 10:00")
    for guild in (GUILD, OTHER):
        query_id = store.queries.log(Answer("Kayes siege", "no_match", 0.0), guild_id=guild)
        assert query_id is not None and store.picks.record(query_id, "kayes", 7, guild_id=guild)
    report = guild_gaps(store, GUILD, utc("2026-03-01 11:00"), 1, matcher(store))
    assert [(p.text, p.fact_id, p.count) for p in report.picked] == [("Kayes siege", "kayes", 1)]
    assert report.unanswered == ()
    settings = store.digests.settings(GUILD)
    assert settings is not None
    period = plan(store, utc("2026-03-02 08:00:01")).due[0].period
    ready = prepare(store, settings, period, matcher=matcher(store))
    fields = {f.name: f.value for e in ready.post.messages[0] for f in e.fields}
    assert fields[PICKED_TITLE] == "• “Kayes siege”: once; picked Kayes under blockade (kayes)"


def test_window_never_inverts(store: FactStore) -> None:
    """A digest whose last window ended after this slot (a /digest now) gets an empty
    window rather than an error."""
    settings = store.digests.settings(GUILD)
    assert settings is not None
    (due,) = plan(store, utc("2026-03-01 08:00")).due
    late = prepare(store, settings, due.period, until=utc("2026-03-01 12:00"))
    record_posted(store, GUILD, late, 1)
    settings_period = plan(store, utc("2026-03-02 08:00")).due[0].period
    early = prepare(store, settings, settings_period, until=utc("2026-03-01 10:00"))
    assert early.since == early.until == utc("2026-03-01 10:00")
    assert timedelta(0) == early.until - early.since


def test_the_posted_digest_shows_new_documents_and_passage_answers(
    store: FactStore, clock: Clock
) -> None:
    """The embeds the poster sends carry both sections; the gap report has no passage answer."""
    clock.now = utc("2026-03-01 09:00")
    docs = DocumentStore(store.db, clock=clock)
    meta = DocumentMeta("dosso", "Floods in Dosso", "Civil protection")
    docs.ingest(read_text(b"The river reached 6.3 metres at Gaya.", "d.md"), meta, actor="mod")
    passage, meta = next(docs.passages())
    store.queries.log(
        Answer("river level at gaya", "no_match", 5.0),
        passage=PassageHit(passage, meta, 60.0),
        guild_id=GUILD,
    )
    settings = store.digests.settings(GUILD)
    assert settings is not None
    period = plan(store, utc("2026-03-02 08:00:01")).due[0].period
    ready = prepare(store, settings, period, matcher=matcher(store))
    fields = {f.name: f.value for e in ready.post.messages[0] for f in e.fields}
    assert fields["New documents"] == "• Floods in Dosso (dosso): 1 passage; Civil protection"
    assert fields[PASSAGES_TITLE].startswith("• “river level at gaya”: once; from Floods in Dosso")
    assert "Unanswered questions" not in fields and not ready.empty
    assert guild_gaps(store, GUILD, utc("2026-03-02 08:00"), 1, None).unanswered == ()
