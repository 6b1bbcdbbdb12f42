"""When a digest is due: settings, slots and periods. Pure: ``now`` is always a parameter.

Schedule
    A digest is daily or weekly, at a local time (HH:MM) in an IANA time zone, on a weekday
    for weekly ones. Each scheduled *slot* is one *period*, named by a key: the local date for
    daily digests ("2026-03-29"), the ISO week of the slot's local date for weekly ones
    ("2026-W13"; ISO weeks start on Monday and week 1 holds the year's first Thursday, so
    2025-12-29 is in "2026-W01" and 2027-01-01 in "2026-W53").

Daylight-saving time
    Slots follow the local clock: 08:00 in London is 08:00 UTC in winter and 07:00 UTC in
    summer. A local time that does not exist on a date (01:30 in London on the spring-forward
    night, when clocks jump from 01:00 to 02:00) moves to the next valid instant, the moment
    the clocks jump (02:00 BST); the period keeps its date. A local time that happens twice
    (01:30 on the fall-back night) is the first occurrence (01:30 BST, not GMT).

Catch-up
    After downtime only the latest missed period is posted; older missed ones are reported
    as skipped, for the caller to record (:func:`due_periods`).
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from ..errors import InvalidSetting
from ..models import DigestSchedule, DigestSettings
from .gaps import (
    clean_text,
)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_CATCH_UP = 60
"""How many missed periods :func:`due_periods` looks back over (older ones are ignored)."""
MAX_SNOWFLAKE = 2**63 - 1

_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DAILY_KEY_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_WEEKLY_KEY_RE = re.compile(r"^(\d{4})-W(\d{2})$")


# --- settings ------------------------------------------------------------------------------


def parse_schedule(value: object) -> DigestSchedule:
    """``"daily"`` or ``"weekly"`` (any case); :class:`InvalidSetting` otherwise."""
    text = value.strip().casefold() if isinstance(value, str) else None
    if text == "daily":
        return "daily"
    if text == "weekly":
        return "weekly"
    raise InvalidSetting("schedule", f"{value!r} is not a schedule; use 'daily' or 'weekly'")


def parse_local_time(value: object) -> time:
    """A time of day from ``"HH:MM"`` (24-hour; ``"8:30"`` too) or a naive whole-minute time."""
    if isinstance(value, time):
        if value.tzinfo is None and value.second == 0 and value.microsecond == 0:
            return value
    elif isinstance(value, str):
        found = _TIME_RE.match(value.strip())
        if found:
            return time(int(found.group(1)), int(found.group(2)))
    raise InvalidSetting(
        "time", f"{value!r} is not a time of day; use HH:MM in 24-hour form, e.g. 08:30"
    )


@lru_cache(maxsize=1)
def _zone_names() -> dict[str, str]:
    """Every IANA zone name the system knows, by its casefolded form."""
    return {name.casefold(): name for name in zoneinfo.available_timezones()}


def parse_timezone(value: object) -> str:
    """The canonical IANA name of a time zone (``"europe/london"`` → ``"Europe/London"``).

    Unknown names raise :class:`InvalidSetting`, with the closest known name when there is one.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidSetting(
            "timezone", "is empty; use an IANA name such as 'Europe/London' or 'Africa/Bamako'"
        )
    wanted = value.strip().replace(" ", "_").casefold()
    names = _zone_names()
    name = names.get(wanted)
    if name is not None:
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            name = None
    if name is None:
        close = difflib.get_close_matches(wanted, names, n=1, cutoff=0.75)
        hint = f" (did you mean {names[close[0]]!r}?)" if close else ""
        raise InvalidSetting(
            "timezone",
            f"{clean_text(value, 60)!r} is not a known time zone{hint}; "
            "use an IANA name such as 'Europe/London' or 'Africa/Bamako'",
        )
    return name


def parse_weekday(value: object, schedule: DigestSchedule) -> int | None:
    """0 (Monday) … 6 (Sunday) from a number or a day name (``"mon"``, ``"Monday"``).

    Weekly digests need one; daily digests take none.
    """
    if schedule == "daily":
        if value is None or value == "":
            return None
        raise InvalidSetting("weekday", "only weekly digests have a weekday")
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    if isinstance(value, str):
        text = value.strip().casefold()
        if len(text) >= 3:
            for number, name in enumerate(WEEKDAYS):
                if name.startswith(text):
                    return number
    if value is None or value == "":
        raise InvalidSetting("weekday", "a weekly digest needs a weekday, e.g. 'monday'")
    raise InvalidSetting(
        "weekday", f"{value!r} is not a day of the week; use monday, tuesday, … sunday"
    )


def _snowflake(name: str, value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_SNOWFLAKE:
        return value
    raise InvalidSetting(name, f"{value!r} is not a Discord id")


def make_settings(
    guild_id: object,
    *,
    channel_id: object,
    schedule: object,
    local_time: object,
    timezone: object,
    weekday: object = None,
    enabled: bool = True,
    skip_empty: bool = False,
    configured_by: str = "",
    configured_at: datetime | None = None,
    disabled_reason: str = "",
) -> DigestSettings:
    """Validated :class:`DigestSettings` from user-level values; :class:`InvalidSetting` if not.

    Accepts what a form or a slash command gives: ``"weekly"``, ``"08:30"``,
    ``"europe/london"``, ``"mon"`` or ``0``.
    """
    kind = parse_schedule(schedule)
    return DigestSettings(
        guild_id=_snowflake("guild", guild_id),
        channel_id=_snowflake("channel", channel_id),
        schedule=kind,
        local_time=parse_local_time(local_time),
        timezone=parse_timezone(timezone),
        weekday=parse_weekday(weekday, kind),
        enabled=bool(enabled),
        skip_empty=bool(skip_empty),
        configured_by=configured_by,
        configured_at=configured_at,
        disabled_reason=disabled_reason,
    )


def describe_schedule(settings: DigestSettings) -> str:
    """``"daily at 08:00 (Europe/London)"`` or ``"weekly on Monday at 08:00 (UTC)"``."""
    at = settings.local_time.strftime("%H:%M")
    if settings.schedule == "weekly" and settings.weekday is not None:
        return f"weekly on {WEEKDAYS[settings.weekday].title()} at {at} ({settings.timezone})"
    return f"daily at {at} ({settings.timezone})"


# --- schedule ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """One scheduled slot: its key, the instant it starts (aware, UTC) and its local date."""

    key: str
    start: datetime
    local_date: date


def period_key(schedule: DigestSchedule, local_date: date) -> str:
    """``"2026-03-29"`` (daily) or ``"2026-W13"`` (weekly, ISO week of ``local_date``)."""
    if schedule == "weekly":
        year, week, _ = local_date.isocalendar()
        return f"{year:04d}-W{week:02d}"
    return local_date.isoformat()


def key_date(key: str) -> date | None:
    """The first local date a period key covers (a week's Monday); ``None`` if not a key."""
    try:
        daily = _DAILY_KEY_RE.match(key)
        if daily:
            return date(int(daily.group(1)), int(daily.group(2)), int(daily.group(3)))
        weekly = _WEEKLY_KEY_RE.match(key)
        if weekly:
            return date.fromisocalendar(int(weekly.group(1)), int(weekly.group(2)), 1)
    except ValueError:
        return None
    return None


def slot_at(local_date: date, local_time: time, timezone: str) -> datetime:
    """The UTC instant of ``local_time`` on ``local_date`` in ``timezone``.

    A time the clocks skip becomes the instant they jump (the next valid one); a time they
    pass twice, its first occurrence.
    """
    tz = _zone(timezone)
    naive = datetime.combine(local_date, local_time)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first  # it exists; fold=0 is the first of two occurrences
    # In a gap, fold=0 reads the time with the offset from before the jump (an instant after
    # it) and fold=1 with the offset from after (an instant before it): the jump lies between.
    low = int(naive.replace(tzinfo=tz, fold=1).astimezone(UTC).timestamp())
    high = int(first.timestamp())
    after = first.astimezone(tz).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == after:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def period_for(settings: DigestSettings, now: datetime) -> Period:
    """The period of the latest slot at or before ``now`` (timezone-aware)."""
    tz = _zone(settings.timezone)
    step = _step(settings)
    day = _on_or_before(settings, _aware(now).astimezone(tz).date() + timedelta(days=1))
    while True:
        start = slot_at(day, settings.local_time, settings.timezone)
        if start <= now:
            return Period(period_key(settings.schedule, day), start, day)
        day -= step


def previous_period(settings: DigestSettings, period: Period) -> Period:
    """The period before ``period`` under these settings."""
    return period_for(settings, period.start - timedelta(microseconds=1))


def next_slot(settings: DigestSettings, now: datetime) -> datetime:
    """The first slot strictly after ``now`` (timezone-aware), in UTC."""
    tz = _zone(settings.timezone)
    step = _step(settings)
    day = _on_or_after(settings, _aware(now).astimezone(tz).date() - timedelta(days=1))
    while True:
        start = slot_at(day, settings.local_time, settings.timezone)
        if start > now:
            return start
        day += step


def due_periods(
    settings: DigestSettings, now: datetime, last_posted_key: str | None
) -> tuple[Period | None, list[Period]]:
    """What to do at ``now``: the period to post (or ``None``) and older missed ones to skip.

    Only the latest missed period is posted; the others come back oldest first, to be
    recorded as skipped. Nothing is due for a disabled digest, for the period already
    settled (``last_posted_key``: the latest period posted or skipped), or for slots before
    ``settings.configured_at`` (a digest set up at 09:00 for 08:00 starts tomorrow). At most
    :data:`MAX_CATCH_UP` missed periods are looked at.
    """
    if not settings.enabled:
        return None, []
    floor = key_date(last_posted_key) if last_posted_key else None
    if floor is None:
        last_posted_key = None  # not a period key: as if nothing had been posted
    period = period_for(settings, now)
    if last_posted_key is None and settings.configured_at is None:
        return period, []  # no history and no start: only the current period is due
    missed: list[Period] = []
    while len(missed) <= MAX_CATCH_UP:
        if settings.configured_at is not None and period.start < settings.configured_at:
            break
        if last_posted_key is not None and period.key == last_posted_key:
            break
        if floor is not None and period.local_date <= floor:
            break
        missed.append(period)
        period = previous_period(settings, period)
    if not missed:
        return None, []
    return missed[0], missed[:0:-1]


@lru_cache(maxsize=256)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise InvalidSetting("timezone", f"{name!r} is not a known time zone") from exc


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now


def _step(settings: DigestSettings) -> timedelta:
    return timedelta(days=7 if settings.schedule == "weekly" else 1)


def _weekday(settings: DigestSettings) -> int | None:
    return settings.weekday if settings.schedule == "weekly" else None


def _on_or_before(settings: DigestSettings, day: date) -> date:
    weekday = _weekday(settings)
    return day if weekday is None else day - timedelta(days=(day.weekday() - weekday) % 7)


def _on_or_after(settings: DigestSettings, day: date) -> date:
    weekday = _weekday(settings)
    return day if weekday is None else day + timedelta(days=(weekday - day.weekday()) % 7)
