"""The digest poster: each server's digest, posted once per period, whatever goes wrong.

How it runs
    One ``tasks.loop`` (:attr:`DigestPoster.posting`). A pass asks the store, on its thread,
    which digests are due (:func:`knowledge.digest_jobs.plan`), posts them, then sleeps until
    the next slot, a retry, or :data:`MAX_SLEEP`, whichever comes first. The cap bounds how
    far a wrong sleep (a suspended host, a clock step) can carry it. A settings change wakes
    it early (:meth:`DigestPoster.wake`). The loops start in the cog's ``cog_load``, never in
    ``on_ready``, which fires again on every reconnect (RELIABILITY D3).

Exactly once per period (E2, E3)
    Before posting, the period is looked up in ``digest_runs`` (through ``due_periods``);
    after posting, it is recorded with the message id. After downtime only the latest missed
    period is posted and the older ones are recorded as skipped. Each message's footer names
    its period and part (:func:`knowledge.digest_embeds.digest_marker`), and before posting
    the poster looks for those markers among the channel's recent messages: a digest that
    reached Discord but not the database (a crash, a locked database between the two) is
    recorded, not posted again. Only if the channel's history cannot be read (the bot lacks
    Read Message History) can that window still produce a duplicate, and the log says so.

Failures (E1, E4)
    Every pass and every guild is wrapped: Discord 5xx and 429, ``sqlite3.OperationalError``
    or a plain bug is logged, recorded as a failed attempt and retried after a backoff (one
    minute, doubling up to an hour), and never stops the loop. A 401, 403 or 404 from the
    digest channel will not heal by retrying: the digest is turned off with the reason and the
    moderators are told (the mod-log channel if it is in that server, else a DM to whoever
    set the digest up, else the log).

Safety (A3)
    A server where Sitrep's role has Administrator or Mention Everyone gets no digest until
    that is fixed: every message already goes out with no mentions allowed, but such a role
    should not exist, and a digest is the one message nobody asked for.

Watchdog (E5)
    A second loop restarts the poster if it stopped, failed or is stuck in one pass, and
    :meth:`DigestPoster.health` reports the last successful pass for health checks.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, Literal

import discord
from discord.ext import tasks

from knowledge.digest.jobs import (
    DueDigest,
    Plan,
    Prepared,
    manual_period,
    plan,
    prepare,
    record_empty,
    record_failed,
    record_posted,
)
from knowledge.digest.schedule import Period, next_slot, period_for
from knowledge.errors import DigestNotConfigured
from knowledge.models import DigestSettings
from knowledge.render.digest import read_marker
from knowledge.render.parts import plain

from ..async_store import DeskAPI, desk_matcher
from ..services import Services
from ..ui.replies import NO_PINGS, to_embed

log = logging.getLogger(__name__)

MAX_SLEEP: Final = 3600.0
"""Longest sleep between passes, in seconds."""
MIN_SLEEP: Final = 1.0
PASS_RETRY: Final = 60.0
"""After a pass that failed as a whole (the store was unreachable), try again this soon."""
FIRST_BACKOFF: Final = 60.0
MAX_BACKOFF: Final = 3600.0
WATCHDOG_EVERY: Final = 300.0
STALL_AFTER: Final = 1800.0
"""A pass running longer than this is stuck (a hung request): the watchdog restarts it."""
HISTORY_LIMIT: Final = 50
"""Recent channel messages searched for a digest that was already posted."""
GONE: Final = frozenset({401, 403, 404})
"""HTTP statuses that retrying cannot fix: the digest is turned off instead."""
_ACTOR_RE: Final = re.compile(r"discord:(\d{15,21})")

Status = Literal["posted", "recorded", "empty", "failed", "disabled", "refused", "settled"]
Channel = discord.TextChannel | discord.Thread
Chosen = tuple[Period, tuple[Period, ...]]


@dataclass(frozen=True, slots=True)
class Delivery:
    """What happened to one digest: its status, period, first message and a note."""

    status: Status
    key: str = ""
    message: discord.Message | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Health:
    """The poster's state for health checks."""

    running: bool
    failed: bool
    last_pass: datetime | None
    last_success: datetime | None
    last_posted: datetime | None
    restarts: int
    failing: dict[int, int] = field(default_factory=dict)
    """Guilds whose digest is failing, with the count of attempts that failed in a row."""


class Unpostable(Exception):
    """The digest channel is gone or closed to the bot (HTTP 401/403/404, or wrong kind)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _describe(error: BaseException) -> str:
    """A short, token-free description of an error for the database and the alerts."""
    if isinstance(error, discord.HTTPException):
        return f"Discord said {error.status} {plain(error.text or type(error).__name__, 120)}"
    if isinstance(error, sqlite3.Error):
        return f"database error: {plain(str(error), 120)}"
    return type(error).__name__


def run_next_at(loop: tasks.Loop[Any], target: datetime) -> None:
    """Make a running relative ``tasks.loop`` start its next iteration at ``target``.

    Call it from the loop's body (or while it sleeps). A relative loop runs next at its
    current iteration's *scheduled* start plus the interval, and it has computed
    ``next_iteration`` = scheduled start + interval already. Aiming from that scheduled start,
    not from "now", keeps a long sleep exact and, after the host was suspended, stops the
    loop from racing through every interval it missed (which discord.py would otherwise do).
    """
    upcoming = loop.next_iteration
    if upcoming is None:
        return
    scheduled = upcoming - timedelta(seconds=loop.seconds or 0.0)
    seconds = (target - scheduled).total_seconds()
    loop.change_interval(seconds=max(seconds, MIN_SLEEP))


class DigestPoster:
    """Posts every enabled server's digest once per period; see the module docs."""

    def __init__(self, bot: Services) -> None:
        self.bot = bot
        self.last_pass: datetime | None = None
        self.last_success: datetime | None = None
        self.last_posted: datetime | None = None
        self.restarts = 0
        self._locks: dict[int, asyncio.Lock] = {}
        self._failures: dict[int, int] = {}
        self._retry_at: dict[int, datetime] = {}
        self._warned_unsafe: set[int] = set()
        self._pass_started: datetime | None = None
        self._wake_requested = False
        self._stopped = True

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start posting and the watchdog (from ``cog_load``: once per process)."""
        self._stopped = False
        if not self.posting.is_running():
            self.posting.start()
        if not self.watchdog.is_running():
            self.watchdog.start()

    def stop(self) -> None:
        """Stop both loops (the cog is unloading); the watchdog will not restart them."""
        self._stopped = True
        self.watchdog.cancel()
        self.posting.cancel()

    def wake(self) -> None:
        """Look at the schedules again now: a digest was set, turned off or posted."""
        self._wake_requested = True
        if self.posting.is_running() and self._pass_started is None:
            run_next_at(self.posting, discord.utils.utcnow())

    def health(self) -> Health:
        """Whether the poster runs, and when it last finished a pass without any failure."""
        return Health(
            running=self.posting.is_running(),
            failed=self.posting.failed(),
            last_pass=self.last_pass,
            last_success=self.last_success,
            last_posted=self.last_posted,
            restarts=self.restarts,
            failing=dict(self._failures),
        )

    # ------------------------------------------------------------------ the loops

    @tasks.loop(seconds=MAX_SLEEP)  # the real interval is set after every pass
    async def posting(self) -> None:
        now = discord.utils.utcnow()
        self._wake_requested = False
        self._pass_started = now
        try:
            next_at = await self.run_pass(now)
            self.last_pass = now
        except Exception:
            # tasks.loop stops for good on anything but network errors: nothing may escape.
            log.exception("digest pass failed; trying again in %.0f s", PASS_RETRY)
            next_at = now + timedelta(seconds=PASS_RETRY)
        finally:
            self._pass_started = None
        run_next_at(self.posting, now if self._wake_requested else next_at)

    @posting.before_loop
    async def _before_posting(self) -> None:
        await self.bot.wait_until_ready()

    @tasks.loop(seconds=WATCHDOG_EVERY)
    async def watchdog(self) -> None:
        try:
            self.check()
            run_next_at(self.watchdog, discord.utils.utcnow() + timedelta(seconds=WATCHDOG_EVERY))
        except Exception:
            log.exception("digest watchdog failed")

    def check(self) -> bool:
        """Restart the poster if it stopped, failed or is stuck; ``True`` if it did."""
        loop = self.posting
        if self._stopped or loop.is_being_cancelled():
            return False  # stopping on purpose, or a restart already under way
        if loop.failed() or not loop.is_running():
            log.error(
                "the digest poster %s; restarting it", "failed" if loop.failed() else "stopped"
            )
            try:
                loop.start()
            except RuntimeError:
                log.warning("the digest poster could not restart yet", exc_info=True)
                return False
            self.restarts += 1
            return True
        started = self._pass_started
        stall = timedelta(seconds=STALL_AFTER)
        if started is not None and discord.utils.utcnow() - started > stall:
            log.error("a digest pass has run since %s; restarting the poster", started.isoformat())
            self._pass_started = None
            loop.restart()
            self.restarts += 1
            return True
        return False

    # ------------------------------------------------------------------ a pass

    async def run_pass(self, now: datetime) -> datetime:
        """Post every digest due at ``now``; the time the next pass should start."""
        todo: Plan = await self.bot.store.run(lambda d: plan(d.store, now))
        for guild_id, reason in todo.broken:
            log.error("digest of guild %d cannot be scheduled: %s", guild_id, reason)
        wake = [now + timedelta(seconds=MAX_SLEEP)]
        if todo.next_at is not None:
            wake.append(todo.next_at)
        clean = True
        for due in todo.due:
            guild_id = due.settings.guild_id
            retry_at = self._retry_at.get(guild_id)
            if retry_at is not None and retry_at > now:
                wake.append(retry_at)
                continue
            delivery = await self.scheduled(due, now)
            if delivery.status in ("failed", "refused"):
                clean = False
                wake.append(self._retry_at.get(guild_id, now + timedelta(seconds=PASS_RETRY)))
        if clean:
            self.last_success = now
        return min(wake)

    async def scheduled(self, due: DueDigest, now: datetime) -> Delivery:
        """Post one guild's due digest, handling every failure (see the module docs)."""
        settings, period = due.settings, due.period
        if due.skipped:
            log.warning(
                "guild %d: digest periods %s were missed (Sitrep was offline); "
                "posting %s, which covers them",
                settings.guild_id,
                ", ".join(p.key for p in due.skipped),
                period.key,
            )

        def build(desk: DeskAPI) -> Prepared:
            return prepare(
                desk.store, settings, period, skipped=due.skipped, matcher=desk_matcher(desk)
            )

        async with self._lock(settings.guild_id):
            try:
                delivery = await self._deliver(settings, period.key, build, now=now)
            except Exception as error:
                return await self._failed(settings, period.key, error, now)
        if delivery.status == "refused":
            self._backoff(settings.guild_id, now)
        else:
            self._failures.pop(settings.guild_id, None)
            self._retry_at.pop(settings.guild_id, None)
        return delivery

    async def post_now(self, guild_id: int) -> Delivery:
        """``/digest now``: post the next digest at once (see :func:`manual_period`).

        Discord and database errors reach the caller, except the ones that turn the digest
        off, which come back as a ``disabled`` delivery.
        """
        async with self._lock(guild_id):
            now = discord.utils.utcnow()

            def choose(desk: DeskAPI) -> tuple[DigestSettings | None, Chosen | None]:
                settings = desk.store.digests.settings(guild_id)
                if settings is None or not settings.enabled:
                    return settings, None
                return settings, manual_period(desk.store, settings, now)

            settings, chosen = await self.bot.store.run(choose)
            if settings is None:
                raise DigestNotConfigured(guild_id)
            if not settings.enabled:
                return Delivery("disabled", note=settings.disabled_reason)
            if chosen is None:
                upcoming = period_for(settings, next_slot(settings, now))
                return Delivery("settled", upcoming.key)
            period, skipped = chosen

            def build(desk: DeskAPI) -> Prepared:
                return prepare(
                    desk.store,
                    settings,
                    period,
                    skipped=skipped,
                    until=now,
                    matcher=desk_matcher(desk),
                )

            delivery = await self._deliver(settings, period.key, build, now=now, manual=True)
        self.wake()
        return delivery

    # ------------------------------------------------------------------ one digest

    async def _deliver(
        self,
        settings: DigestSettings,
        key: str,
        build: Callable[[DeskAPI], Prepared],
        *,
        now: datetime,
        manual: bool = False,
    ) -> Delivery:
        """Resolve the channel, check safety, build, post the parts not yet posted, record."""
        guild_id = settings.guild_id
        store = self.bot.store
        if not manual and await store.run(lambda d: d.store.digests.posted(guild_id, key)):
            return Delivery("settled", key)  # /digest now took it while this pass waited
        try:
            channel = await self._channel(settings)
        except Unpostable as gone:
            return await self._disable(settings, key, gone.reason)
        dangerous = self.bot.check_permissions(channel.guild)  # logs CRITICAL if it finds any
        if dangerous:
            refused = "refused: Sitrep's role has " + " and ".join(dangerous)
            await store.run(lambda d: record_failed(d.store, guild_id, key, refused))
            await self._warn_unsafe(settings, dangerous)
            return Delivery("refused", key, note=refused)
        prepared = await store.run(build)
        if prepared.empty and settings.skip_empty and not manual:
            await store.run(lambda d: record_empty(d.store, guild_id, prepared))
            log.info("guild %d: digest %s had nothing to report; not posted", guild_id, key)
            return Delivery("empty", key)
        earlier = await self._posted_parts(channel, key)
        first: discord.Message | None = None
        try:
            for part, embeds in enumerate(prepared.post.messages, start=1):
                message = earlier.get(part)
                if message is None:
                    message = await channel.send(
                        embeds=[to_embed(e) for e in embeds], allowed_mentions=NO_PINGS
                    )
                first = first or message
        except discord.HTTPException as error:
            if error.status in GONE:
                return await self._disable(settings, key, _describe(error))
            raise
        message_id = first.id if first is not None else None
        recorded = await store.run(
            lambda d: record_posted(d.store, guild_id, prepared, message_id, self._note(earlier))
        )
        if len(earlier) == prepared.post.parts:
            log.warning(
                "guild %d: digest %s was already in the channel (a crash after posting?); "
                "recorded, not posted again",
                guild_id,
                key,
            )
            return Delivery("recorded", key, first)
        if not recorded:
            log.warning("guild %d: digest %s was recorded meanwhile by another run", guild_id, key)
        self.last_posted = now
        log.info("guild %d: posted digest %s in %d message(s)", guild_id, key, prepared.post.parts)
        return Delivery("posted", key, first)

    @staticmethod
    def _note(earlier: dict[int, discord.Message]) -> str:
        return f"parts {sorted(earlier)} were found already posted" if earlier else ""

    async def _channel(self, settings: DigestSettings) -> Channel:
        """The digest channel; :class:`Unpostable` if it is gone or closed to the bot."""
        channel: Any = self.bot.get_channel(settings.channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(settings.channel_id)
            except discord.HTTPException as error:
                if error.status in GONE:
                    raise Unpostable(_describe(error)) from error
                raise
        if not isinstance(channel, Channel) or channel.guild.id != settings.guild_id:
            raise Unpostable("the digest channel is not a text channel of this server")
        return channel

    async def _posted_parts(self, channel: Channel, key: str) -> dict[int, discord.Message]:
        """Parts of this period's digest already in the channel, by part number."""
        me = self.bot.user
        found: dict[int, discord.Message] = {}
        if me is None:
            return found
        try:
            async for message in channel.history(limit=HISTORY_LIMIT):
                if message.author.id != me.id:
                    continue
                for embed in message.embeds:
                    marker = read_marker(embed.footer.text)
                    if marker is not None and marker[0] == key:
                        found.setdefault(marker[1], message)
        except discord.HTTPException as error:
            # Without Read Message History a crash between posting and recording could
            # produce a duplicate; every other case is still exactly once.
            log.warning(
                "cannot read the digest channel's history (%s): a digest posted just before a "
                "crash would not be noticed",
                _describe(error),
            )
        return found

    # ------------------------------------------------------------------ failures

    def _lock(self, guild_id: int) -> asyncio.Lock:
        return self._locks.setdefault(guild_id, asyncio.Lock())

    def _backoff(self, guild_id: int, now: datetime) -> datetime:
        failures = self._failures.get(guild_id, 0) + 1
        self._failures[guild_id] = failures
        delay = min(FIRST_BACKOFF * 2 ** (failures - 1), MAX_BACKOFF)
        retry_at = self._retry_at[guild_id] = now + timedelta(seconds=delay)
        return retry_at

    async def _failed(
        self, settings: DigestSettings, key: str, error: Exception, now: datetime
    ) -> Delivery:
        """Log, record the failed attempt (if the database lets us), and back off."""
        retry_at = self._backoff(settings.guild_id, now)
        note = _describe(error)
        expected = isinstance(error, discord.HTTPException | sqlite3.OperationalError)
        log.log(
            logging.WARNING if expected else logging.ERROR,
            "guild %d: digest %s failed (%s); retrying at %s",
            settings.guild_id,
            key,
            note,
            retry_at.isoformat(),
            exc_info=None if expected else error,
        )
        try:
            await self.bot.store.run(lambda d: record_failed(d.store, settings.guild_id, key, note))
        except Exception:
            log.warning("could not record the failed digest attempt", exc_info=True)
        return Delivery("failed", key, note=note)

    async def _disable(self, settings: DigestSettings, key: str, reason: str) -> Delivery:
        """Turn the digest off for a reason retrying cannot fix, and tell the moderators."""
        guild_id = settings.guild_id
        note = f"cannot post in the digest channel: {reason}"
        log.error("guild %d: %s; turning the digest off", guild_id, note)

        def off(desk: DeskAPI) -> None:
            desk.store.digests.disable(guild_id, note, actor="sitrep")
            record_failed(desk.store, guild_id, key, note)

        await self.bot.store.run(off)
        self._failures.pop(guild_id, None)
        self._retry_at.pop(guild_id, None)
        text = (
            f"**Sitrep turned the digest off** for this server: it can no longer post in "
            f"<#{settings.channel_id}> ({plain(reason, 200)}). Check that the channel exists "
            "and that Sitrep can view it, send messages and embed links there, then run "
            "/digest set again."
        )
        await self.alert(settings, text)
        return Delivery("disabled", key, note=note)

    async def _warn_unsafe(self, settings: DigestSettings, dangerous: list[str]) -> None:
        if settings.guild_id in self._warned_unsafe:
            return  # once per process: the log has a CRITICAL line at every attempt
        self._warned_unsafe.add(settings.guild_id)
        await self.alert(
            settings,
            "**Sitrep is not posting the digest** for this server: its role has "
            f"{' and '.join(dangerous)}. Remove Administrator and Mention Everyone from "
            "Sitrep's role; the digest resumes on its own within the hour.",
        )

    async def alert(self, settings: DigestSettings, text: str) -> str:
        """Tell the server's moderators; where it went: ``modlog``, ``dm`` or ``log``.

        The mod-log channel only if it belongs to this server (a digest problem in one
        server is nobody's business in another), else a DM to whoever set the digest up.
        """
        channel_id = self.bot.settings.modlog_channel_id
        if channel_id is not None and channel_id != settings.channel_id:
            try:
                channel: Any = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(
                    channel_id
                )
                if isinstance(channel, Channel) and channel.guild.id == settings.guild_id:
                    await channel.send(text, allowed_mentions=NO_PINGS)
                    return "modlog"
            except discord.HTTPException:
                log.warning("could not alert the mod-log channel %d", channel_id, exc_info=True)
        found = _ACTOR_RE.fullmatch(settings.configured_by)
        if found is not None:
            user_id = int(found.group(1))
            try:
                user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
                await user.send(text, allowed_mentions=NO_PINGS)
                return "dm"
            except discord.HTTPException:
                log.warning("could not DM the digest's moderator %d", user_id, exc_info=True)
        log.error("guild %d: no moderator could be told: %s", settings.guild_id, text)
        return "log"
