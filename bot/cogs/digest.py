"""Moderators' digest commands: ``/digest set|off|preview|now``.

``/digest`` is a guild-only group with ``default_permissions(manage_guild=True)`` (a hint for
the client, RELIABILITY B2). Every subcommand carries the runtime check
:data:`bot.ui.moderation.moderators_only` (B1), because the hint can be overridden.

The posting itself is :class:`bot.cogs.digest_poster.DigestPoster`, started here in ``cog_load``
(once per process, never in ``on_ready``) and stopped in ``cog_unload``.

``/digest now`` posts the digest the schedule would post next, and takes its place: it is
recorded under that period (a daily digest at 08:00 run at 15:00 on the 2nd counts as the
3rd's), so the scheduled one is not posted again, and the digest after it covers from the
moment of ``/digest now``. Run again before that slot, it refuses rather than swallow one
more scheduled digest; ``/digest preview`` shows what it would say.
"""

from __future__ import annotations

import logging
import zoneinfo
from datetime import datetime
from functools import lru_cache
from typing import Any, Final, Literal

import discord
from discord import app_commands
from discord.ext import commands

from knowledge.digest.jobs import Prepared
from knowledge.digest.jobs import preview as preview_digest
from knowledge.digest.schedule import describe_schedule, next_slot, period_for
from knowledge.errors import DigestNotConfigured
from knowledge.models import DigestSettings
from knowledge.render.moderation import COLOUR_CHANGE, actor_label
from knowledge.render.parts import EmbedPart, Field, Reply, plain

from ..async_store import DeskAPI, desk_matcher
from ..services import Services
from ..ui.moderation import (
    actor_of,
    guild_of,
    may_curate,
    moderators_only,
    post_modlog,
    private,
)
from ..ui.replies import InteractionDestination
from .digest_poster import Delivery, DigestPoster

log = logging.getLogger(__name__)

TimeOfDay = app_commands.Range[str, 1, 5]
Zone = app_commands.Range[str, 1, 64]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# Offered before anything is typed: Sitrep's home region first, then widely used zones.
COMMON_ZONES: Final[tuple[str, ...]] = (
    "Africa/Bamako",
    "Africa/Niamey",
    "Africa/Ouagadougou",
    "Africa/Dakar",
    "Africa/Abidjan",
    "Africa/Lagos",
    "Africa/Ndjamena",
    "Africa/Algiers",
    "Africa/Casablanca",
    "Africa/Cairo",
    "Africa/Nairobi",
    "Africa/Johannesburg",
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
)
CHOICES: Final = 25
# What the bot needs in the digest channel, by the name Discord's settings show.
NEEDED: Final = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
)


@lru_cache(maxsize=1)
def _zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def zone_choices(typed: str, limit: int = CHOICES) -> list[str]:
    """Time zones for autocomplete: names starting with what was typed first, then the
    ones whose city starts with it ("bamako" finds Africa/Bamako), then any containing it."""
    zones = _zones()
    needle = typed.strip().replace(" ", "_").casefold()
    if not needle:
        available = set(zones)
        return [z for z in COMMON_ZONES if z in available][:limit]
    ranked: list[tuple[int, str]] = []
    for zone in zones:
        folded = zone.casefold()
        if folded.startswith(needle):
            ranked.append((0 if folded == needle else 1, zone))
        elif folded.rsplit("/", 1)[-1].startswith(needle):
            ranked.append((2, zone))
        elif needle in folded:
            ranked.append((3, zone))
    return [zone for _, zone in sorted(ranked)[:limit]]


def missing_permissions(channel: discord.TextChannel) -> list[str]:
    """What the bot lacks to post digests in ``channel`` (labels as Discord shows them)."""
    me = channel.guild.me
    if me is None:
        return []  # the cache has no member for the bot yet: let the first post tell
    granted = channel.permissions_for(me)
    return [label for name, label in NEEDED if not getattr(granted, name)]


def _when(moment: datetime) -> str:
    """A Discord timestamp: each reader sees it in their own time zone."""
    stamp = int(moment.timestamp())
    return f"<t:{stamp}:F> (<t:{stamp}:R>)"


class DigestCog(commands.Cog, name="Digest"):
    """Scheduled digests of what changed, and the questions Sitrep could not answer."""

    digest = app_commands.Group(
        name="digest",
        description="A scheduled summary of fact changes and unanswered questions (moderators).",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: Services) -> None:
        self.bot = bot
        self.poster = DigestPoster(bot)

    async def cog_load(self) -> None:
        self.poster.start()

    async def cog_unload(self) -> None:
        self.poster.stop()

    # ------------------------------------------------------------------ /digest

    @digest.command(name="set")
    @moderators_only
    @app_commands.describe(
        channel="Where to post the digest",
        schedule="daily, or weekly (then also give the weekday)",
        time="Local time of day, 24-hour HH:MM, e.g. 08:00",
        timezone="IANA time zone, e.g. Africa/Bamako (suggested as you type)",
        weekday="For a weekly digest: the day it is posted",
        skip_empty="Post nothing when there is nothing to report (default: a one-line post)",
    )
    async def set_digest(
        self,
        interaction: discord.Interaction[Any],
        channel: discord.TextChannel,
        schedule: Literal["daily", "weekly"],
        time: TimeOfDay,
        timezone: Zone,
        weekday: Weekday | None = None,
        skip_empty: bool = False,
    ) -> None:
        """Post a digest in a channel, daily or weekly, at a local time in a time zone."""
        destination = private(interaction)
        missing = missing_permissions(channel)
        if missing:
            await destination.send(
                f"I can't post in {channel.mention}: I need {', '.join(missing)} there. "
                "Nothing was changed.",
                private=True,
            )
            return
        guild_id, actor = channel.guild.id, actor_of(interaction.user)

        def save(desk: DeskAPI) -> DigestSettings:
            return desk.store.digests.set(
                guild_id,
                channel_id=channel.id,
                schedule=schedule,
                local_time=time,
                timezone=timezone,
                weekday=weekday,
                skip_empty=skip_empty,
                actor=actor,
            )

        settings = await destination.soon(self.bot.store.run(save))
        self.poster.wake()
        first = next_slot(settings, discord.utils.utcnow())
        text = (
            f"Digest set: {describe_schedule(settings)} in {channel.mention}. "
            f"The next one: {_when(first)}. "
            + (
                "Periods with nothing to report post nothing."
                if settings.skip_empty
                else "A period with nothing to report gets a one-line post."
            )
        )
        if guild_id in self.bot.unsafe_guilds:
            text += (
                "\n⚠️ My role here has Administrator or Mention Everyone: I will not post "
                "digests until both are removed from it."
            )
        await destination.send(text, private=True)
        await self._modlog(
            guild_id, "Digest set", f"{describe_schedule(settings)} in <#{channel.id}>", actor
        )

    @set_digest.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        if not may_curate(interaction):
            return []
        return [app_commands.Choice(name=zone, value=zone) for zone in zone_choices(current)]

    @digest.command(name="off")
    @moderators_only
    async def off(self, interaction: discord.Interaction[Any]) -> None:
        """Stop posting the digest; its settings are kept, and /digest set turns it back on."""
        destination = private(interaction)
        guild_id, actor = guild_of(interaction), actor_of(interaction.user)

        def turn_off(desk: DeskAPI) -> bool:
            current = desk.store.digests.settings(guild_id)
            if current is None:
                raise DigestNotConfigured(guild_id)
            if not current.enabled:
                return False
            desk.store.digests.disable(guild_id, "turned off with /digest off", actor=actor)
            return True

        if not await destination.soon(self.bot.store.run(turn_off)):
            await destination.send("The digest was already off.", private=True)
            return
        self.poster.wake()
        await destination.send("Digest turned off. /digest set turns it back on.", private=True)
        await self._modlog(
            guild_id, "Digest turned off", "No digest is posted until /digest set.", actor
        )

    @digest.command(name="preview")
    @moderators_only
    async def preview(self, interaction: discord.Interaction[Any]) -> None:
        """Show only to you what the digest would say if it were posted now."""
        destination = private(interaction)
        guild_id = guild_of(interaction)
        now = discord.utils.utcnow()

        def build(desk: DeskAPI) -> tuple[DigestSettings | None, Prepared]:
            settings = desk.store.digests.settings(guild_id)
            return settings, preview_digest(
                desk.store, guild_id, settings, now, matcher=desk_matcher(desk)
            )

        settings, prepared = await destination.soon(self.bot.store.run(build))
        if settings is None:
            status = "No digest is set up yet: /digest set starts one."
        elif not settings.enabled:
            why = f" ({plain(settings.disabled_reason, 200)})" if settings.disabled_reason else ""
            status = f"The digest is off{why}: /digest set turns it back on."
        else:
            status = (
                f"The next digest goes to <#{settings.channel_id}> "
                f"{_when(next_slot(settings, now))}."
            )
        await self._send_parts(destination, prepared, f"**Preview, not posted.** {status}")

    @digest.command(name="now")
    @moderators_only
    async def now(self, interaction: discord.Interaction[Any]) -> None:
        """Post the digest now, in place of the next scheduled one."""
        destination = private(interaction)
        guild_id = guild_of(interaction)
        try:
            delivery = await destination.soon(self.poster.post_now(guild_id))
        except discord.HTTPException as error:
            log.warning("/digest now: Discord refused the post (%s)", error.status)
            await destination.send(
                f"Discord refused the post ({error.status}); nothing was recorded. "
                "The scheduled digest will be posted as usual.",
                private=True,
            )
            return
        settings = await self.bot.store.digest_settings(guild_id)
        await destination.send(self._now_text(delivery, settings), private=True)
        if delivery.status in ("posted", "recorded"):
            await self._modlog(
                guild_id,
                "Digest posted with /digest now",
                f"Period {delivery.key}",
                actor_of(interaction.user),
            )

    def _now_text(self, delivery: Delivery, settings: DigestSettings | None) -> str:
        now = discord.utils.utcnow()
        following = ""
        if settings is not None and settings.enabled:
            upcoming = next_slot(settings, now)
            if period_for(settings, upcoming).key == delivery.key:
                upcoming = next_slot(settings, upcoming)
            following = f" The next scheduled digest: {_when(upcoming)}."
        match delivery.status:
            case "posted" | "recorded":
                link = f": {delivery.message.jump_url}" if delivery.message is not None else ""
                return (
                    f"Posted the digest{link}. It counts as the digest of {delivery.key}."
                    + following
                )
            case "settled":
                return (
                    f"The next digest ({delivery.key}) was already posted with /digest now."
                    f"{following} /digest preview shows what the next one would say."
                )
            case "refused":
                return (
                    "I won't post digests in this server while my role has Administrator or "
                    "Mention Everyone: remove both from Sitrep's role."
                )
            case "disabled":
                why = f" ({plain(delivery.note, 200)})" if delivery.note else ""
                return f"The digest is off{why}. /digest set turns it back on."
            case _:
                return f"Nothing was posted ({delivery.status}).{following}"

    # ------------------------------------------------------------------ helpers

    async def _send_parts(
        self, destination: InteractionDestination, prepared: Prepared, content: str
    ) -> None:
        for n, embeds in enumerate(prepared.post.messages):
            reply = Reply(content=content if n == 0 else "", embeds=embeds)
            await destination.send(reply, private=True)

    async def _modlog(self, guild_id: int, title: str, description: str, actor: str) -> None:
        """Post a digest change to the mod-log, unless that channel is in another server:
        one server's digest settings are no business of another's moderators."""
        modlog = self.bot.get_channel(self.bot.settings.modlog_channel_id or 0)
        if isinstance(modlog, discord.abc.GuildChannel) and modlog.guild.id != guild_id:
            return
        embed = EmbedPart(
            title=title,
            description=description,
            fields=(Field("By", actor_label(actor), inline=True),),
            colour=COLOUR_CHANGE,
        )
        await post_modlog(self.bot, Reply(embeds=(embed,)))
