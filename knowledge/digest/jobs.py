"""The store's side of posting digests: what is due, and a digest made ready to send.

The bot's poster (``bot/digest_poster.py``) runs these on the store's thread and does the
Discord part in between. Splitting it this way keeps every rule about *which* period is
posted, *what window* it covers and *what is recorded* here, synchronous and testable
without Discord:

* :func:`plan` lists the guilds whose digest is due at ``now`` (with the older missed
  periods to record as skipped) and when the next slot comes;
* :func:`prepare` records those skipped periods and builds the digest of the window since the
  last one posted, as the messages to send (:class:`~knowledge.digest_embeds.DigestPost`);
* :func:`manual_period` decides which period ``/digest now`` takes (see its docstring).

Windows: a scheduled digest covers ``[since, slot)``, where ``since`` is where the last
posted (or skipped-as-empty) digest ended (``store.digests.since``), or one period back for
the first one. Ending at the slot rather than at the moment of posting keeps the
window of a period fixed, so a retry after a failure says the same thing. Periods skipped
after downtime record no window end, so the digest posted after them covers them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ..errors import KnowledgeError
from ..models import DigestSettings
from ..render.digest import DigestPost, digest_post
from ..store.facts import FactStore
from .content import build_digest, digest_layout
from .gaps import Asker, GapReport, gap_report
from .schedule import Period, due_periods, next_slot, period_for, previous_period

SKIPPED_NOTE = "missed while Sitrep was offline; the digest of {key} covers it"
EMPTY_NOTE = "nothing to report (skip empty is on)"
PREVIEW_KEY = "preview"


@dataclass(frozen=True, slots=True)
class DueDigest:
    """A guild whose digest is due: the period to post and older missed ones to skip."""

    settings: DigestSettings
    period: Period
    skipped: tuple[Period, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    """What the poster should do at ``now``, and when to look again at the latest."""

    due: tuple[DueDigest, ...]
    next_at: datetime | None
    broken: tuple[tuple[int, str], ...] = ()
    """Guilds whose settings could not be scheduled, with the reason (for the log)."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """A digest ready to send: its period key, messages, window and whether it is empty."""

    key: str
    post: DigestPost
    since: datetime
    until: datetime
    empty: bool


def plan(store: FactStore, now: datetime) -> Plan:
    """Every enabled guild's due digest at ``now``; ``next_at`` is the earliest later slot.

    A guild whose settings cannot be scheduled (say, a time zone that a tzdata update
    removed) is listed in ``broken`` rather than stopping the others.
    """
    due: list[DueDigest] = []
    upcoming: list[datetime] = []
    broken: list[tuple[int, str]] = []
    for settings in store.digests.all_settings(enabled_only=True):
        last = store.digests.last_run(settings.guild_id)
        try:
            period, skipped = due_periods(settings, now, last.period_key if last else None)
            upcoming.append(next_slot(settings, now))
        except KnowledgeError as error:
            broken.append((settings.guild_id, str(error)))
            continue
        if period is not None:
            due.append(DueDigest(settings, period, tuple(skipped)))
    return Plan(tuple(due), min(upcoming, default=None), tuple(broken))


def manual_period(
    store: FactStore, settings: DigestSettings, now: datetime
) -> tuple[Period, tuple[Period, ...]] | None:
    """The period ``/digest now`` posts as (and older missed ones to skip): the one the
    schedule would post next.

    That is the period due right now if there is one (a slot that passed while a post
    failed, say); otherwise the next slot's. Recording the manual post under that key means
    the scheduled post does not repeat it, and the digest after it starts where it ended.
    ``None`` when that next period is already settled (``/digest now`` ran already since
    the last slot): the caller refuses rather than swallow yet another scheduled digest.
    """
    last = store.digests.last_run(settings.guild_id)
    period, skipped = due_periods(settings, now, last.period_key if last else None)
    if period is not None:
        return period, tuple(skipped)
    upcoming = period_for(settings, next_slot(settings, now))
    if store.digests.posted(settings.guild_id, upcoming.key):
        return None
    return upcoming, ()


def prepare(
    store: FactStore,
    settings: DigestSettings,
    period: Period,
    *,
    skipped: tuple[Period, ...] = (),
    until: datetime | None = None,
    matcher: Asker | None = None,
) -> Prepared:
    """Record ``skipped`` periods, then build the digest of ``period`` as messages.

    The window ends at ``until`` (default: the period's slot) and starts where the last
    digest ended, or one period before the slot for a guild's first digest.
    """
    guild = settings.guild_id
    for old in skipped:
        store.digests.record_run(
            guild, old.key, "skipped", note=SKIPPED_NOTE.format(key=period.key)
        )
    end = period.start if until is None else until
    since = store.digests.since(guild) or previous_period(settings, period).start
    return _build(store, guild, settings.timezone, period.key, (min(since, end), end), matcher)


def preview(
    store: FactStore,
    guild_id: int,
    settings: DigestSettings | None,
    now: datetime,
    *,
    matcher: Asker | None = None,
) -> Prepared:
    """What a digest posted at ``now`` would say (``/digest preview``); records nothing.

    Without settings the window is the last day, dated in UTC.
    """
    since = store.digests.since(guild_id) or now - timedelta(days=1)
    zone = "UTC" if settings is None else settings.timezone
    return _build(store, guild_id, zone, PREVIEW_KEY, (min(since, now), now), matcher)


def record_posted(
    store: FactStore, guild_id: int, prepared: Prepared, message_id: int | None, note: str = ""
) -> bool:
    """Record a sent digest; ``False`` if the period was already settled."""
    return store.digests.record_run(
        guild_id, prepared.key, "posted", message_id, note, covered_until=prepared.until
    )


def record_empty(store: FactStore, guild_id: int, prepared: Prepared) -> bool:
    """Record an empty period that was not posted (skip empty); its window counts as covered."""
    return store.digests.record_run(
        guild_id, prepared.key, "skipped", note=EMPTY_NOTE, covered_until=prepared.until
    )


def record_failed(store: FactStore, guild_id: int, key: str, note: str) -> bool:
    """Record a failed attempt at a period; the period stays open for another attempt."""
    return store.digests.record_run(guild_id, key, "failed", note=note)


def guild_gaps(
    store: FactStore, guild_id: int, now: datetime, days: float, matcher: Asker | None
) -> GapReport:
    """The gap report of one server's questions, picks and votes over the last ``days``
    days."""
    since = now - timedelta(days=days)
    inputs = store.digests.inputs(since, now + timedelta(microseconds=1), guild_id=guild_id)
    return gap_report(
        inputs.queries,
        matcher,
        inputs.feedback,
        inputs.facts,
        days=days,
        now=now,
        limit=None,
        picks=inputs.picks,
    )


def _build(
    store: FactStore,
    guild_id: int,
    timezone: str,
    key: str,
    window: tuple[datetime, datetime],
    matcher: Asker | None,
) -> Prepared:
    # Dates in the digest (its title, "No changes since …", reviews due) are the guild's
    # local dates: 08:00 in Tokyo is 23:00 UTC the day before.
    since, until = window
    zone = ZoneInfo(timezone)
    local_since, local_until = since.astimezone(zone), until.astimezone(zone)
    inputs = store.digests.inputs(since, until, guild_id=guild_id)
    digest = build_digest(
        inputs, since=local_since, until=local_until, today=local_until.date(), matcher=matcher
    )
    return Prepared(key, digest_post(digest_layout(digest), key), since, until, digest.is_empty)
