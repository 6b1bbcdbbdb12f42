"""Digests: schedule across time zones and DST, catch-up, settings validation, content, layout."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sample import BRIEF, FACTS, GLOSSARY
from storekit import put_documents

from knowledge.digest.content import (
    MAX_LINE,
    MAX_LINES,
    PASSAGES_TITLE,
    PICKED_TITLE,
    Digest,
    FactChange,
    NewDocument,
    PassageAnswered,
    build_digest,
    digest_layout,
    digest_to_dict,
    passage_answers,
    render_digest_text,
)
from knowledge.digest.gaps import FactFeedback, Gap, PickedQuestion
from knowledge.digest.schedule import (
    MAX_CATCH_UP,
    Period,
    describe_schedule,
    due_periods,
    key_date,
    make_settings,
    next_slot,
    parse_local_time,
    parse_timezone,
    parse_weekday,
    period_for,
    previous_period,
    slot_at,
)
from knowledge.documents.answers import PassageHit
from knowledge.documents.models import DocumentMeta, Passage
from knowledge.documents.read import read_text
from knowledge.errors import InvalidSetting
from knowledge.matching.matcher import Matcher
from knowledge.models import (
    Alternative,
    Answer,
    DigestInputs,
    DigestSettings,
    FeedbackCount,
    QueryRecord,
)
from knowledge.store.documents import DocumentStore
from knowledge.store.facts import FactStore

LONDON = LON = "Europe/London"
NEW_YORK = NYC = "America/New_York"
BAMAKO = BKO = "Africa/Bamako"
M1, M2, M3, M4, M25 = "2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04", "2026-03-25"
W11, W12, W13 = "2026-W11", "2026-W12", "2026-W13"


def utc(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """An aware UTC datetime."""
    return datetime(y, m, d, h, mi, tzinfo=UTC)


def at(text: str) -> datetime:
    """``"2026-03-29 07:00"`` as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def daily(tz: str = BAMAKO, at: str = "08:00", **kw: Any) -> DigestSettings:
    """Valid daily settings."""
    return make_settings(1, channel_id=2, schedule="daily", local_time=at, timezone=tz, **kw)


def weekly(weekday: str, tz: str = BAMAKO, at: str = "08:00", **kw: Any) -> DigestSettings:
    """Valid weekly settings."""
    return make_settings(
        1, channel_id=2, schedule="weekly", local_time=at, timezone=tz, weekday=weekday, **kw
    )


# --- period_for / next_slot -------------------------------------------------------------------

PERIODS = [
    # (label, settings, now, key, slot start), times in UTC
    ("london summer", daily(LON), "2026-03-29 09:00", "2026-03-29", "2026-03-29 07:00"),
    ("london before slot", daily(LON), "2026-03-29 06:59", "2026-03-28", "2026-03-28 08:00"),
    ("at the slot itself", daily(LON), "2026-03-28 08:00", "2026-03-28", "2026-03-28 08:00"),
    ("london fall back", daily(LON), "2026-10-25 07:59", "2026-10-24", "2026-10-24 07:00"),
    ("london winter", daily(LON), "2026-10-25 08:00", "2026-10-25", "2026-10-25 08:00"),
    ("gap 01:30→02:00", daily(LON, "01:30"), "2026-03-29 12:00", "2026-03-29", "2026-03-29 01:00"),
    ("night before gap", daily(LON, "01:30"), "2026-03-29 00:59", "2026-03-28", "2026-03-28 01:30"),
    ("fold: first", daily(LON, "01:30"), "2026-10-25 00:30", "2026-10-25", "2026-10-25 00:30"),
    ("before the fold", daily(LON, "01:30"), "2026-10-25 00:29", "2026-10-24", "2026-10-24 00:30"),
    ("ny gap", daily(NYC, "02:30"), "2026-03-08 12:00", "2026-03-08", "2026-03-08 07:00"),
    ("ny before gap", daily(NYC, "02:30"), "2026-03-07 12:00", "2026-03-07", "2026-03-07 07:30"),
    ("ny fold: first", daily(NYC, "01:30"), "2026-11-01 05:30", "2026-11-01", "2026-11-01 05:30"),
    ("ny fold: no 2nd", daily(NYC, "01:30"), "2026-11-01 06:31", "2026-11-01", "2026-11-01 05:30"),
    ("ny after fold", daily(NYC, "01:30"), "2026-11-02 06:30", "2026-11-02", "2026-11-02 06:30"),
    ("ny 09:00 edt", daily(NYC, "09:00"), "2026-11-01 13:59", "2026-10-31", "2026-10-31 13:00"),
    ("bamako no dst", daily(BKO), "2026-03-29 08:00", "2026-03-29", "2026-03-29 08:00"),
    ("bamako summer", daily(BKO), "2026-07-01 07:59", "2026-06-30", "2026-06-30 08:00"),
    ("weekly to monday", weekly("mon", LON), "2026-03-29 12:00", "2026-W13", "2026-03-23 08:00"),
    ("weekly early", weekly("mon", LON), "2026-03-30 06:59", "2026-W13", "2026-03-23 08:00"),
    ("weekly first bst", weekly("mon", LON), "2026-03-30 07:00", "2026-W14", "2026-03-30 07:00"),
    ("weekly gap", weekly("sun", LON, "01:30"), "2026-03-29 01:00", "2026-W13", "2026-03-29 01:00"),
    ("iso week 1 in dec", weekly("mon"), "2025-12-29 09:00", "2026-W01", "2025-12-29 08:00"),
    ("iso week 53", weekly("fri"), "2027-01-02 00:00", "2026-W53", "2027-01-01 08:00"),
    ("sun from mon", weekly("sun", at="20:00"), "2026-01-05 10:00", "2026-W01", "2026-01-04 20:00"),
    ("local≠utc", weekly("sat", NYC, "23:30"), "2026-03-08 04:00", "2026-W09", "2026-03-01 04:30"),
]


@pytest.mark.parametrize(
    ("settings", "now", "key", "start"), [p[1:] for p in PERIODS], ids=[p[0] for p in PERIODS]
)
def test_period_for(settings: DigestSettings, now: str, key: str, start: str) -> None:
    """The latest slot at or before now, with its key and UTC start."""
    period = period_for(settings, at(now))
    assert (period.key, period.start) == (key, at(start))
    assert period.start.tzinfo is UTC


NEXT = [
    ("to the gap", daily(LON, "01:30"), "2026-03-28 12:00", "2026-03-29 01:00"),
    ("after the gap", daily(LON, "01:30"), "2026-03-29 01:00", "2026-03-30 00:30"),
    ("strictly after", daily(LON), "2026-10-24 07:00", "2026-10-25 08:00"),
    ("not the repeat", daily(NYC, "01:30"), "2026-11-01 05:30", "2026-11-02 06:30"),
    ("weekly tomorrow", weekly("mon"), "2026-03-29 12:00", "2026-03-30 08:00"),
    ("weekly across dst", weekly("mon", LON), "2026-03-23 08:00", "2026-03-30 07:00"),
    ("weekly new year", weekly("sun", at="20:00"), "2026-12-27 20:00", "2027-01-03 20:00"),
]


@pytest.mark.parametrize(
    ("settings", "now", "expected"), [n[1:] for n in NEXT], ids=[n[0] for n in NEXT]
)
def test_next_slot(settings: DigestSettings, now: str, expected: str) -> None:
    """The first slot strictly after now, in UTC."""
    assert next_slot(settings, at(now)) == at(expected)


@pytest.mark.parametrize(
    "settings",
    [
        daily(LONDON, "01:30"),
        daily(NEW_YORK, "02:30"),
        daily(NEW_YORK, "01:30"),
        weekly("sunday", LONDON, "01:30"),
        daily("Pacific/Apia", "10:00"),  # skipped the whole of 2011-12-30
    ],
    ids=["london-gap", "ny-gap", "ny-fold", "london-weekly", "apia"],
)
def test_slots_are_consistent_around_transitions(settings: DigestSettings) -> None:
    """Every 20 minutes around the transitions: period ≤ now < next slot, next follows period."""
    starts = [utc(2026, 3, 6), utc(2026, 3, 27), utc(2026, 10, 23), utc(2026, 10, 30)]
    starts.append(utc(2011, 12, 28))
    for start in starts:
        for step in range(0, 6 * 24 * 3, 1):
            now = start + timedelta(minutes=20 * step)
            period = period_for(settings, now)
            upcoming = next_slot(settings, now)
            assert period.start <= now < upcoming
            assert period_for(settings, upcoming).start == upcoming
            assert previous_period(settings, period).start < period.start


def test_naive_now_is_refused() -> None:
    """A naive datetime is a bug in the caller, not a time in UTC."""
    with pytest.raises(ValueError, match="timezone-aware"):
        period_for(daily(), datetime(2026, 3, 29, 8))
    with pytest.raises(ValueError, match="timezone-aware"):
        next_slot(daily(), datetime(2026, 3, 29, 8))


def test_slot_at_gap_and_fold() -> None:
    """A skipped time moves to the jump; a repeated one is its first occurrence."""
    assert slot_at(date(2026, 3, 29), time(1, 30), LONDON) == utc(2026, 3, 29, 1)
    assert slot_at(date(2026, 3, 29), time(1, 59), LONDON) == utc(2026, 3, 29, 1)
    assert slot_at(date(2026, 10, 25), time(1, 30), LONDON) == utc(2026, 10, 25, 0, 30)
    assert slot_at(date(2026, 3, 8), time(2, 0), NEW_YORK) == utc(2026, 3, 8, 7)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("2026-03-29", date(2026, 3, 29)),
        ("2026-W13", date(2026, 3, 23)),
        ("2026-W01", date(2025, 12, 29)),
        ("2026-W54", None),
        ("2026-02-30", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_key_date(key: str, expected: date | None) -> None:
    """A period key's first date (a week's Monday); None for anything else."""
    assert key_date(key) == expected


# --- due_periods ------------------------------------------------------------------------------


def keys(result: tuple[Period | None, list[Period]]) -> tuple[str | None, list[str]]:
    """The keys of a due_periods result."""
    post, skipped = result
    return (post.key if post else None, [p.key for p in skipped])


SET_0700 = at("2026-03-04 07:00")
SET_0830 = at("2026-03-04 08:30")
SET_MAR1 = at("2026-03-01 07:00")
SET_MAR2 = at("2026-03-02 09:00")
SET_MAR25 = at("2026-03-25 07:00")
DUE = [
    # (label, settings, now, last posted key, (key to post, [keys to skip]))
    ("3 days down", daily(), "2026-03-04 09:00", "2026-03-01", ("2026-03-04", [M2, M3])),
    ("already posted", daily(), "2026-03-04 09:00", "2026-03-04", (None, [])),
    ("before the slot", daily(), "2026-03-05 07:59", "2026-03-04", (None, [])),
    ("on time", daily(), "2026-03-05 08:00", "2026-03-04", ("2026-03-05", [])),
    ("set before slot", daily(configured_at=SET_0700), "2026-03-04 09:00", None, (M4, [])),
    ("set after slot", daily(configured_at=SET_0830), "2026-03-04 09:00", None, (None, [])),
    ("down since setup", daily(configured_at=SET_MAR1), "2026-03-03 09:00", None, (M3, [M1, M2])),
    ("set bounds it", daily(configured_at=SET_MAR2), "2026-03-04 09:00", "2026-02-01", (M4, [M3])),
    ("disabled", daily(enabled=False), "2026-03-04 09:00", "2026-03-01", (None, [])),
    ("no history at all", daily(), "2026-03-04 09:00", None, (M4, [])),
    ("not a key", daily(), "2026-03-04 09:00", "oops", (M4, [])),
    ("weekly 3 down", weekly("mon"), "2026-03-30 09:00", "2026-W10", ("2026-W14", [W11, W12, W13])),
    ("weekly posted", weekly("fri"), "2026-03-29 09:00", "2026-W13", (None, [])),
    ("daily→weekly", weekly("mon"), "2026-03-29 09:00", "2026-03-28", (None, [])),
    ("weekly→daily", daily(configured_at=SET_MAR25), "2026-03-25 09:00", W13, (M25, [])),
]


@pytest.mark.parametrize(
    ("settings", "now", "last", "expected"), [d[1:] for d in DUE], ids=[d[0] for d in DUE]
)
def test_due_periods(
    settings: DigestSettings,
    now: str,
    last: str | None,
    expected: tuple[str | None, list[str]],
) -> None:
    """Only the latest missed period is posted; older missed ones are skipped, oldest first."""
    assert keys(due_periods(settings, at(now), last)) == expected


def test_due_periods_looks_back_a_bounded_number_of_periods() -> None:
    """A year of downtime skips at most MAX_CATCH_UP periods, the most recent ones."""
    post, skipped = due_periods(daily(), utc(2026, 3, 4, 9), "2025-01-01")
    assert post is not None and post.key == "2026-03-04"
    assert len(skipped) == MAX_CATCH_UP
    assert skipped[-1].key == "2026-03-03"


def test_due_periods_after_posting_is_quiet_until_next_slot() -> None:
    """Posting the due period and asking again at the same moment finds nothing to do."""
    settings = daily(LONDON)
    now = utc(2026, 3, 29, 7, 1)
    post, _ = due_periods(settings, now, "2026-03-28")
    assert post is not None
    assert due_periods(settings, now, post.key) == (None, [])
    assert keys(due_periods(settings, next_slot(settings, now), post.key)) == ("2026-03-30", [])


# --- settings validation ----------------------------------------------------------------------

VALID: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("short hour", {"local_time": "8:30"}, {"local_time": time(8, 30)}),
    ("time object", {"local_time": time(23, 59)}, {"local_time": time(23, 59)}),
    ("midnight", {"local_time": "00:00"}, {"local_time": time(0, 0)}),
    ("zone case", {"timezone": "europe/london"}, {"timezone": LONDON}),
    ("zone spaces", {"timezone": " America/New York "}, {"timezone": NEW_YORK}),
    ("utc", {"timezone": "UTC"}, {"timezone": "UTC"}),
    ("schedule case", {"schedule": "Weekly", "weekday": "Mon"}, {"weekday": 0}),
    ("weekday number", {"schedule": "weekly", "weekday": 6}, {"weekday": 6}),
    ("weekday name", {"schedule": "weekly", "weekday": "friday"}, {"weekday": 4}),
]


@pytest.mark.parametrize(("given", "expected"), [v[1:] for v in VALID], ids=[v[0] for v in VALID])
def test_make_settings_normalises(given: dict[str, Any], expected: dict[str, Any]) -> None:
    """Values as a form gives them are accepted and normalised."""
    base: dict[str, Any] = {
        "channel_id": 5,
        "schedule": "daily",
        "local_time": "08:00",
        "timezone": BAMAKO,
    }
    settings = make_settings(9, **(base | given))
    for name, value in expected.items():
        assert getattr(settings, name) == value


INVALID: list[tuple[str, dict[str, Any], str, str]] = [
    ("unknown zone", {"timezone": "Europe/Londn"}, "timezone", "did you mean 'Europe/London'"),
    ("path as zone", {"timezone": "../../etc/passwd"}, "timezone", "not a known time zone"),
    ("empty zone", {"timezone": "  "}, "timezone", "is empty"),
    ("zone not text", {"timezone": 3}, "timezone", "is empty"),
    ("offset as zone", {"timezone": "+02:00"}, "timezone", "IANA name"),
    ("hour 24", {"local_time": "24:00"}, "time", "HH:MM"),
    ("minute 60", {"local_time": "08:60"}, "time", "HH:MM"),
    ("am/pm", {"local_time": "8am"}, "time", "24-hour"),
    ("seconds", {"local_time": time(8, 0, 30)}, "time", "HH:MM"),
    ("aware time", {"local_time": time(8, tzinfo=UTC)}, "time", "HH:MM"),
    ("no schedule", {"schedule": "hourly"}, "schedule", "'daily' or 'weekly'"),
    ("weekly no day", {"schedule": "weekly"}, "weekday", "needs a weekday"),
    ("weekly bad day", {"schedule": "weekly", "weekday": "funday"}, "weekday", "not a day"),
    ("weekly day 7", {"schedule": "weekly", "weekday": 7}, "weekday", "not a day"),
    ("weekly bool day", {"schedule": "weekly", "weekday": True}, "weekday", "not a day"),
    ("weekly two letters", {"schedule": "weekly", "weekday": "mo"}, "weekday", "not a day"),
    ("daily with day", {"weekday": "monday"}, "weekday", "only weekly"),
    ("channel zero", {"channel_id": 0}, "channel", "not a Discord id"),
    ("channel text", {"channel_id": "123"}, "channel", "not a Discord id"),
]


@pytest.mark.parametrize(
    ("given", "setting", "message"), [i[1:] for i in INVALID], ids=[i[0] for i in INVALID]
)
def test_invalid_settings_are_refused(given: dict[str, Any], setting: str, message: str) -> None:
    """Each bad value raises InvalidSetting naming the setting, with a hint."""
    base: dict[str, Any] = {
        "channel_id": 5,
        "schedule": "daily",
        "local_time": "08:00",
        "timezone": BAMAKO,
    }
    with pytest.raises(InvalidSetting) as caught:
        make_settings(9, **(base | given))
    assert caught.value.setting == setting
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{setting}: ")


def test_parsers_directly() -> None:
    """The single-value parsers agree with make_settings."""
    assert parse_local_time("07:05") == time(7, 5)
    assert parse_timezone("africa/bamako") == BAMAKO
    assert parse_weekday("sun", "weekly") == 6
    assert parse_weekday(None, "daily") is None


@pytest.mark.parametrize(
    ("settings", "text"),
    [
        (daily(LONDON, "8:05"), "daily at 08:05 (Europe/London)"),
        (weekly("wed"), "weekly on Wednesday at 08:00 (Africa/Bamako)"),
    ],
)
def test_describe_schedule(settings: DigestSettings, text: str) -> None:
    """A one-line description for confirmations."""
    assert describe_schedule(settings) == text


# --- content --------------------------------------------------------------------------------


class Clock:
    """A settable clock that ticks one second per reading."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


SINCE = utc(2026, 3, 1)
UNTIL = utc(2026, 3, 8)
TODAY = date(2026, 3, 8)
LEADER, FUEL, KAYES, STRENGTH, POPULATION = FACTS


def answered(store: FactStore, fact_id: str, query: str = "q", guild_id: int = 1) -> None:
    """Log an answered query."""
    answer = Answer(query, "answered", 90.0, store.get(fact_id))
    store.queries.log(answer, guild_id=guild_id)


def unanswered(store: FactStore, query: str, guild_id: int = 1) -> None:
    """Log a no_match query."""
    store.queries.log(Answer(query, "no_match", 10.0), guild_id=guild_id)


@pytest.fixture
def clock() -> Clock:
    """The store's clock, before the digest window."""
    return Clock(utc(2026, 2, 1))


@pytest.fixture
def store(store: FactStore, clock: Clock) -> FactStore:
    """The shared store, whose window (SINCE–UNTIL) saw adds, edits, a retirement, questions
    and votes."""
    s = store
    put_documents(s, [BRIEF])
    for fact in (LEADER, FUEL, STRENGTH, POPULATION):
        s.add(fact, actor="seed")
    s.edit(POPULATION.id, review_by=date(2026, 3, 1), actor="seed")
    s.edit(STRENGTH.id, review_by=date(2026, 3, 1), actor="seed")
    s.retire(STRENGTH.id, actor="seed")  # stale, but retired: not due for review
    answered(s, LEADER.id)  # before the window
    clock.now = SINCE + timedelta(hours=1)
    s.add(KAYES, actor="mod")
    s.edit(LEADER.id, answer="JNIM is led by Iyad ag-Ghali.", actor="mod")
    s.add_key(LEADER.id, "JNIM chief", actor="mod")
    s.retire(FUEL.id, actor="mod", reason="outdated")
    s.edit(POPULATION.id, title="Mali population (2025)", actor="mod")
    s.edit(POPULATION.id, title=POPULATION.title, actor="mod")  # and back: no net change
    s.lock(KAYES.id, actor="mod")  # not a content change
    for _ in range(3):
        answered(s, LEADER.id, "who leads jnim")
    answered(s, KAYES.id, "kayes")
    for text in ("exchange rate", "Exchange rate?", "what's the exchange rate", "Togo population"):
        unanswered(s, text)
    unanswered(s, "secret guild question", guild_id=2)
    s.feedback.record(100, 7, -1, fact_id=LEADER.id, guild_id=1)
    s.feedback.record(100, 8, -1, fact_id=LEADER.id, guild_id=1)
    s.feedback.record(101, 7, 1, fact_id=KAYES.id, guild_id=1)
    clock.now = UNTIL + timedelta(hours=1)
    unanswered(s, "after the window")
    return s


def digest_of(store: FactStore, guild_id: int | None = 1, **kw: Any) -> Digest:
    """The digest of the fixture's window, as the Discord layer would build it."""
    inputs = store.digests.inputs(SINCE, UNTIL, guild_id=guild_id)
    matcher = Matcher(store.facts(), GLOSSARY)
    return build_digest(inputs, since=SINCE, until=UNTIL, today=TODAY, matcher=matcher, **kw)


def test_build_digest_sections(store: FactStore) -> None:
    """Each section holds what happened in the window, and only that."""
    digest = digest_of(store)
    assert digest.new == (FactChange(KAYES.id, KAYES.title, "new"),)
    assert digest.changed == (
        FactChange(FUEL.id, FUEL.title, "retired"),
        FactChange(LEADER.id, LEADER.title, "changed", ("answer", "keys")),
    )
    assert [(r.fact_id, r.review_by) for r in digest.review_due] == [
        (POPULATION.id, date(2026, 3, 1))
    ]
    assert [(a.fact_id, a.count) for a in digest.most_asked] == [(LEADER.id, 3), (KAYES.id, 1)]
    assert [(g.text, g.count) for g in digest.unanswered] == [
        ("exchange rate", 3),
        ("Togo population", 1),
    ]
    assert digest.disliked == (FactFeedback(LEADER.id, LEADER.title, 0, 2),)
    assert (digest.questions, digest.unanswered_count) == (8, 4)
    assert not digest.is_empty


def test_build_digest_keeps_guilds_apart(store: FactStore) -> None:
    """A guild's digest never shows another guild's questions; the host sees all."""
    assert "secret guild question" not in render_digest_text(digest_of(store, guild_id=1))
    assert "secret guild question" in render_digest_text(digest_of(store, guild_id=None))


def test_closed_gap_leaves_the_digest(store: FactStore) -> None:
    """Once a key answers the question, it is no longer listed as unanswered."""
    store.add_key(POPULATION.id, "Togo population", actor="mod")
    texts = [g.text for g in digest_of(store).unanswered]
    assert texts == ["exchange rate"]


def picked_for(store: FactStore, clock: Clock, query: str, fact_id: str) -> None:
    """The asker of the logged ``query`` picks ``fact_id`` from its suggestions, in the window."""
    logged = next(r for r in store.queries.records() if r.query == query)
    clock.now = SINCE + timedelta(hours=2)
    assert store.picks.record(logged.id, fact_id, 7, guild_id=1)


def test_picked_questions_are_proposed_keys(store: FactStore, clock: Clock) -> None:
    """A question asked and then picked for is listed with the fact picked, as a key to add,
    and no longer among the unanswered questions; the summary still counts it unanswered."""
    picked_for(store, clock, "Togo population", POPULATION.id)
    digest = digest_of(store)
    assert [(p.text, p.fact_id, p.count) for p in digest.picked] == [
        ("Togo population", POPULATION.id, 1)
    ]
    assert [g.text for g in digest.unanswered] == ["exchange rate"]
    assert digest.unanswered_count == 4
    sections = {s["title"]: s["lines"] for s in digest_to_dict(digest)["sections"]}
    assert sections[PICKED_TITLE] == [
        f"“Togo population”: once; picked {POPULATION.title} ({POPULATION.id})"
    ]
    assert "Unanswered questions" in sections
    store.add_key(POPULATION.id, "Togo population", actor="mod")
    assert digest_of(store).picked == ()


def test_a_pick_alone_makes_a_digest(store: FactStore, clock: Clock) -> None:
    """A window with only a pick in it is not empty."""
    picked_for(store, clock, "Togo population", POPULATION.id)
    inputs = store.digests.inputs(SINCE, UNTIL, guild_id=1)
    only = DigestInputs(facts=inputs.facts, queries=inputs.queries, picks=inputs.picks)
    digest = build_digest(only, since=SINCE, until=UNTIL, today=date(2026, 3, 2))
    assert digest.picked and not digest.is_empty
    assert not build_digest(
        DigestInputs(facts=inputs.facts), since=SINCE, until=UNTIL, today=date(2026, 3, 2)
    ).picked


def test_picked_line_keeps_the_fact_id() -> None:
    """A long question and title are shortened; the id a moderator adds the key to stays."""
    picked = PickedQuestion("q" * 300, "f" * 30, "T" * 200, 2, 1, SINCE)
    digest = Digest(SINCE, UNTIL, TODAY, picked=(picked,))
    (line,) = next(s.lines for s in digest_layout(digest).sections if s.title == PICKED_TITLE)
    assert len(line) <= MAX_LINE
    assert line.endswith(f" ({'f' * 30})") and ": 2 times; picked " in line


def test_new_then_retired_in_one_window_is_not_reported(store: FactStore, clock: Clock) -> None:
    """A fact added and retired within the window leaves no trace in the digest."""
    clock.now = SINCE + timedelta(days=2)
    store.add(replace(STRENGTH, id="tmp-fact", keys=("temporary",)), actor="mod")
    store.retire("tmp-fact", actor="mod")
    digest = digest_of(store)
    assert "tmp-fact" not in {c.fact_id for c in (*digest.new, *digest.changed)}


def test_restored_fact_is_reported(store: FactStore, clock: Clock) -> None:
    """Bringing a retired fact back is a change, with any edited fields."""
    clock.now = SINCE + timedelta(days=2)
    store.restore(STRENGTH.id, actor="mod")
    store.edit(STRENGTH.id, review_by=date(2027, 1, 1), actor="mod")
    changes = {c.fact_id: c for c in digest_of(store).changed}
    assert changes[STRENGTH.id].kind == "restored"
    assert changes[STRENGTH.id].fields == ("review_by",)


def test_empty_period(store: FactStore) -> None:
    """A quiet window is empty and renders as one line."""
    since, until = utc(2026, 5, 1), utc(2026, 5, 2)
    inputs = store.digests.inputs(since, until)
    digest = build_digest(inputs, since=since, until=until, today=date(2026, 2, 1))
    assert digest.is_empty
    assert render_digest_text(digest) == "No changes since 2026-05-01."
    assert digest_layout(digest).sections == ()
    assert digest_to_dict(digest)["summary"] == "No changes since 2026-05-01."


def test_build_digest_filters_inputs_to_the_window(store: FactStore) -> None:
    """Inputs wider than the window are cut to it."""
    wide = store.digests.inputs(utc(2020, 1, 1), utc(2030, 1, 1))
    exact = store.digests.inputs(SINCE, UNTIL)
    assert len(wide.queries) > len(exact.queries) and len(wide.revisions) > len(exact.revisions)
    digest = build_digest(wide, since=SINCE, until=UNTIL, today=TODAY)
    assert digest == build_digest(exact, since=SINCE, until=UNTIL, today=TODAY)
    assert digest.questions == 9


@pytest.mark.parametrize(
    ("since", "until", "error"),
    [
        (datetime(2026, 3, 1), UNTIL, "timezone-aware"),
        (SINCE, datetime(2026, 3, 8), "timezone-aware"),
        (UNTIL, SINCE, "after until"),
    ],
)
def test_build_digest_refuses_bad_windows(
    store: FactStore, since: datetime, until: datetime, error: str
) -> None:
    """Naive or reversed windows are bugs in the caller."""
    with pytest.raises(ValueError, match=error):
        build_digest(store.digests.inputs(SINCE, UNTIL), since=since, until=until, today=TODAY)


# --- layout -----------------------------------------------------------------------------------


def test_render_digest_text(store: FactStore) -> None:
    """Plain text: title, summary, then each non-empty section with its lines."""
    text = render_digest_text(digest_of(store))
    lines = text.splitlines()
    assert lines[0] == "Sitrep digest — 2026-03-08"
    assert lines[1] == (
        "Since 2026-03-01: 1 new, 2 changed, 1 due for review, 8 questions (4 unanswered)."
    )
    for title in (
        "New facts",
        "Changed facts",
        "Due for review",
        "Most asked",
        "Unanswered questions",
        "Negative feedback",
    ):
        assert title in lines
    assert "  - Where Mali's fuel comes from (fuel-imports): retired" in lines
    assert "  - Who leads JNIM (jnim-leadership): answer, keys" in lines
    assert "  - Who leads JNIM (jnim-leadership): 3 times" in lines
    assert any(line.startswith("  - “exchange rate”: 3 times") for line in lines)
    assert "  - Who leads JNIM (jnim-leadership): 2 down, 0 up" in lines


def test_layout_lines_are_short_clean_and_capped() -> None:
    """Long or hostile text is cut to MAX_LINE; long sections end with "… and N more"."""
    long_title = "A very long title " * 20
    hostile = "evil\u202e question\x00 with \n newline " + "x" * 300
    changes = tuple(FactChange(f"fact-{i}", long_title, "new") for i in range(25))
    digest = Digest(
        since=SINCE,
        until=UNTIL,
        today=TODAY,
        new=changes,
        unanswered=(Gap(hostile, 2, UNTIL, (hostile,), (Alternative("a", long_title, 50.0),)),),
    )
    layout = digest_layout(digest)
    new, _unanswered = layout.sections
    assert len(new.lines) == MAX_LINES
    assert new.lines[-1] == f"… and {25 - MAX_LINES + 1} more"
    for section in layout.sections:
        for line in section.lines:
            assert len(line) <= MAX_LINE
            assert "\u202e" not in line and "\x00" not in line and "\n" not in line
    assert new.lines[0].endswith("(fact-0)")


def test_layout_of_feedback_counts_only_down_votes() -> None:
    """Facts with only up votes are not "negative feedback"."""
    inputs_feedback = (FeedbackCount("a", 5, 0), FeedbackCount("b", 1, 1))
    digest = build_digest(
        DigestInputs(facts=FACTS, feedback=inputs_feedback),
        since=SINCE,
        until=UNTIL,
        today=TODAY,
    )
    assert [f.fact_id for f in digest.disliked] == ["b"]


# --- source documents and passage answers ---------------------------------------------------

DOSSO = b"# Floods in Dosso\n\nThe river reached 6.3 metres at the Gaya gauge.\n"
GAYA = b"Cholera was confirmed in Gaya on 17 November."


def ingest(docs: DocumentStore, doc_id: str, title: str, body: bytes, publisher: str = "") -> None:
    """Ingest one document as `sitrep ingest` would."""
    meta = DocumentMeta(doc_id, title, publisher)
    docs.ingest(read_text(body, f"{doc_id}.md"), meta, actor="mod")


def from_passage(store: FactStore, docs: DocumentStore, doc_id: str, *texts: str) -> None:
    """Log questions answered by the first passage of ``doc_id`` (guild 1)."""
    passage, meta = next((p, m) for p, m in docs.passages([doc_id]))
    for text in texts:
        answer = Answer(text, "no_match", 5.0)
        store.queries.log(answer, passage=PassageHit(passage, meta, 61.0), guild_id=1)


def gone_passage(store: FactStore, passage_id: str, text: str, guild_id: int = 1) -> None:
    """Log a passage answer from a passage of a document the store does not know."""
    doc_id, _, span = passage_id.partition("@")
    version, _, offsets = span.partition(":")
    start, _, end = offsets.partition("-")
    passage = Passage(doc_id, int(version), int(start), int(end), "text")
    hit = PassageHit(passage, DocumentMeta(doc_id, doc_id), 55.0)
    store.queries.log(Answer(text, "no_match", 5.0), passage=hit, guild_id=guild_id)


@pytest.fixture
def sourced(store: FactStore, clock: Clock) -> FactStore:
    """The content store, plus documents ingested before, in and after the window, and
    questions answered from their passages."""
    docs = DocumentStore(store.db, clock=clock)
    clock.now = SINCE - timedelta(days=1)
    ingest(docs, "dosso", "Floods in Dosso", DOSSO, "Civil protection")
    ingest(docs, "old", "An old report", b"Nothing new in here.")
    clock.now = SINCE + timedelta(days=1)
    ingest(docs, "gaya", "Cholera in Gaya", GAYA, "Ministry of Health")
    ingest(docs, "dosso", "Floods in Dosso", DOSSO + b"\nThe water is falling.", "Civil protection")
    ingest(docs, "gone", "Withdrawn", b"Withdrawn text.")
    docs.remove("gone", actor="mod")
    from_passage(
        store, docs, "gaya", "is there cholera in Gaya", "cholera in gaya?", "cholera gaya"
    )
    from_passage(store, docs, "dosso", "dosso river level", "Dosso river level")
    gone_passage(store, "vanished@3:10-90", "what vanished")
    gone_passage(store, "vanished@3:10-90", "another guild asks", guild_id=2)
    clock.now = UNTIL + timedelta(hours=2)
    ingest(docs, "late", "After the window", b"Too late for this digest.")
    from_passage(store, docs, "late", "too late")
    return store


@pytest.mark.parametrize(
    ("doc_id", "expected"),
    [
        ("gaya", NewDocument("gaya", "Cholera in Gaya", "Ministry of Health", 1)),
        (
            "dosso",  # a new version of a document ingested before the window
            NewDocument("dosso", "Floods in Dosso", "Civil protection", 2, 2, first=False),
        ),
        ("gone", None),  # removed since: it no longer answers
        ("old", None),  # before the window
        ("late", None),  # after it
    ],
)
def test_new_documents_are_those_ingested_in_the_window(
    sourced: FactStore, doc_id: str, expected: NewDocument | None
) -> None:
    """Each document ingested in the window is listed once, as its newest version there."""
    found = {d.document_id: d for d in digest_of(sourced).new_documents}
    assert found.get(doc_id) == expected
    assert list(found) == sorted(found)


def test_passage_answers_are_grouped_counted_and_ranked(sourced: FactStore) -> None:
    """By passage, most asked first, with the asked phrasings and the document's title."""
    digest = digest_of(sourced)
    assert [(p.document_id, p.title, p.count) for p in digest.from_passages] == [
        ("gaya", "Cholera in Gaya", 3),
        ("dosso", "Floods in Dosso", 2),
        ("vanished", "vanished", 1),  # a document the store no longer knows: its id
    ]
    gaya = digest.from_passages[0]
    assert gaya.examples == ("is there cholera in Gaya", "cholera in gaya?", "cholera gaya")
    assert gaya.passage_id.startswith("gaya@1:") and gaya.span == "0-45"
    assert digest.from_passages[2].span == "10-90"


@pytest.mark.parametrize(("top", "shown"), [(0, 0), (1, 1), (2, 2), (5, 3)])
def test_passage_answers_are_capped_like_other_ranked_sections(
    sourced: FactStore, top: int, shown: int
) -> None:
    """At most ``top`` passages; the count of passage answers covers them all."""
    digest = digest_of(sourced, top=top)
    assert len(digest.from_passages) == shown
    assert digest.passage_count == 6


def test_passage_answers_are_neither_unanswered_nor_most_asked(sourced: FactStore) -> None:
    """The unanswered count and gaps hold only misses; most asked only facts."""
    digest = digest_of(sourced)
    assert (digest.questions, digest.unanswered_count, digest.passage_count) == (14, 4, 6)
    assert [g.text for g in digest.unanswered] == ["exchange rate", "Togo population"]
    assert [a.fact_id for a in digest.most_asked] == [LEADER.id, KAYES.id]


def test_a_curated_passage_leaves_the_digest(sourced: FactStore) -> None:
    """Once a fact answers its questions, a passage is no longer a curation candidate."""
    sourced.add_key(POPULATION.id, "Dosso river level", actor="mod")
    assert "dosso" not in [p.document_id for p in digest_of(sourced).from_passages]
    inputs = sourced.digests.inputs(SINCE, UNTIL, guild_id=1)
    unchecked = build_digest(inputs, since=SINCE, until=UNTIL, today=TODAY)
    assert "dosso" in [p.document_id for p in unchecked.from_passages]


def test_passage_answers_skip_other_records_and_keep_guilds_apart(sourced: FactStore) -> None:
    """Only passage answers count, and only the guild's own; the host sees every guild's."""
    assert [p.count for p in digest_of(sourced, guild_id=None).from_passages][-1] == 2
    records = [
        QueryRecord(1, SINCE, "q", "answered", LEADER.id, 90.0),
        QueryRecord(2, SINCE, "q", "no_match", None, 5.0),
        QueryRecord(3, SINCE, "q", "passage", None, 60.0, passage_id="doc@1:0-9"),
    ]
    assert [(p.passage_id, p.count) for p in passage_answers(records)] == [("doc@1:0-9", 1)]


def test_documents_and_passages_outside_the_window_are_cut(sourced: FactStore) -> None:
    """Inputs wider than the window give the same digest as the window's own."""
    wide = sourced.digests.inputs(utc(2020, 1, 1), utc(2030, 1, 1), guild_id=1)
    exact = sourced.digests.inputs(SINCE, UNTIL, guild_id=1)
    assert len(wide.ingested) > len(exact.ingested) == 3
    digest = build_digest(wide, since=SINCE, until=UNTIL, today=TODAY)
    assert digest == build_digest(exact, since=SINCE, until=UNTIL, today=TODAY)


def test_render_digest_text_with_documents_and_passages(sourced: FactStore) -> None:
    """Text: both sections with their lines, and the passage questions not as unanswered."""
    lines = render_digest_text(digest_of(sourced)).splitlines()
    assert lines[1] == (
        "Since 2026-03-01: 1 new, 2 changed, 1 due for review, 2 new source documents,"
        " 14 questions (4 unanswered, 6 from unreviewed passages)."
    )
    documents = lines[lines.index("New documents") + 1 : lines.index("Due for review") - 1]
    assert documents == [
        "  - Floods in Dosso (dosso): 2 passages, new version 2; Civil protection",
        "  - Cholera in Gaya (gaya): 1 passage; Ministry of Health",
    ]
    start = lines.index(PASSAGES_TITLE) + 1
    passages = lines[start : lines.index("Unanswered questions") - 1]
    assert (
        passages[0] == "  - “is there cholera in Gaya”: 3 times; from Cholera in Gaya (gaya 0-45)"
    )
    assert passages[2] == "  - “what vanished”: once; from vanished (vanished 10-90)"
    unanswered = lines[lines.index("Unanswered questions") :]
    assert not any("cholera" in line.lower() for line in unanswered)


def test_digest_to_dict_carries_the_new_sections(sourced: FactStore) -> None:
    """The JSON-ready layout holds both sections, in order, between the fact sections."""
    titles = [s["title"] for s in digest_to_dict(digest_of(sourced))["sections"]]
    assert titles == [
        "New facts",
        "Changed facts",
        "New documents",
        "Due for review",
        "Most asked",
        PASSAGES_TITLE,
        "Unanswered questions",
        "Negative feedback",
    ]


WHEN = utc(2026, 3, 2)


@pytest.mark.parametrize(
    "content",
    [
        {"new_documents": (NewDocument("d", "D", "", 3),)},
        {"from_passages": (PassageAnswered("d@1:0-9", "d", "D", 1, WHEN, ("q",)),)},
    ],
)
def test_documents_or_passage_answers_alone_make_a_digest(content: dict[str, Any]) -> None:
    """A window with only a new document, or only a passage answer, is not empty."""
    digest = Digest(since=SINCE, until=UNTIL, today=TODAY, **content)
    assert not digest.is_empty
    assert len(digest_layout(digest).sections) == 1


def test_document_and_passage_lines_are_short_and_keep_their_reference() -> None:
    """Long, hostile titles and questions are cut; the id and offsets always fit."""
    hostile = "evil\u202e title\x00 with \n newline " + "x" * 300
    long_id = "a-document-id-that-is-rather-long"
    digest = Digest(
        since=SINCE,
        until=UNTIL,
        today=TODAY,
        new_documents=(NewDocument(long_id, hostile, hostile, 1200, 7, first=False),),
        from_passages=(
            PassageAnswered(f"{long_id}@7:1000-2000", long_id, hostile, 9, WHEN, (hostile,)),
        ),
    )
    documents, passages = digest_layout(digest).sections
    for line in (*documents.lines, *passages.lines):
        assert len(line) <= MAX_LINE
        assert "\u202e" not in line and "\x00" not in line and "\n" not in line
    assert f"({long_id}): 1200 passages, new version 7; evil title" in documents.lines[0]
    assert passages.lines[0].endswith(f"({long_id} 1000-2000)")
