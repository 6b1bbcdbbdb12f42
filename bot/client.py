"""The Discord client: SitrepBot gets its store and settings in ``__init__``.

One-time setup (the cogs, which register their own persistent buttons, and the deliberate
command sync) happens in ``setup_hook``, which runs once per process; ``on_ready`` can fire
again on every reconnect and only logs and re-checks permissions.

This is the composition root: it imports the cogs and hands them itself as
:class:`bot.services.Services`; nothing in ``bot/`` imports this module but the runner.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from knowledge.models import Alternative

from .async_store import AsyncDesk
from .cogs.admin import AdminCog
from .cogs.ask import AskCog
from .cogs.digest import DigestCog
from .cogs.sources import SourceCog
from .config import Settings
from .errors import Throttled
from .guards import RateLimiter, RecentAnswers
from .services import Services
from .ui.replies import (
    AUTOCOMPLETE_TIMEOUT,
    DEFER_AFTER,
    NO_PINGS,
    InteractionDestination,
    MessageDestination,
    report,
)

log = logging.getLogger(__name__)
# Permissions the bot's role must not have: with them a single slip could ping everyone.
DANGEROUS_PERMISSIONS = ("administrator", "mention_everyone")
# Permissions answers need: without Embed Links Discord silently drops the answer's embed.
NEEDED_PERMISSIONS = ("send_messages", "embed_links", "read_message_history")


def intents() -> discord.Intents:
    """Guild messages with their content (for !ask; privileged: enable it in the portal)."""
    wanted = discord.Intents.default()
    wanted.message_content = True
    wanted.members = False
    wanted.presences = False
    return wanted


class SitrepTree(app_commands.CommandTree[Any]):
    """The slash-command tree; every command error becomes a short private reply."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        client = interaction.client
        defer_after = client.defer_after if isinstance(client, SitrepBot) else DEFER_AFTER
        destination = InteractionDestination(interaction, defer_after=defer_after)
        command = interaction.command.qualified_name if interaction.command else "?"
        await report(destination, error, where=f"/{command}")


class SitrepBot(commands.Bot):
    """Sitrep: answers members' questions from the fact store, with sources."""

    def __init__(
        self,
        settings: Settings,
        store: AsyncDesk,
        *,
        defer_after: float = DEFER_AFTER,
        sync_on_start: bool = True,
        **options: Any,
    ) -> None:
        super().__init__(
            command_prefix=settings.prefix,
            intents=intents(),
            allowed_mentions=NO_PINGS,
            tree_cls=SitrepTree,
            description="Answers situational questions from a curated, sourced fact store.",
            allowed_contexts=app_commands.AppCommandContext(guild=True),
            allowed_installs=app_commands.AppInstallationType(guild=True),
            **options,
        )
        self.settings = settings
        self.store = store
        self.defer_after = defer_after
        self.sync_on_start = sync_on_start
        self.limiter = RateLimiter(settings.ask_rate, settings.ask_per)
        self.recent = RecentAnswers(settings.repeat_window)
        # Guilds where the bot's role could ping everyone; the digest cog refuses to post there.
        self.unsafe_guilds: set[int] = set()

    async def setup_hook(self) -> None:
        services: Services = self  # mypy checks here that the bot provides what cogs use
        # Constructed here rather than loaded by name (bot.load_extension): an extension's
        # module is executed afresh on every load and dropped from sys.modules on close, so
        # each bot a process starts (tests start hundreds) would get new cog classes.
        for cog in (AskCog(services), AdminCog(services), SourceCog(services), DigestCog(services)):
            await self.add_cog(cog)
        if self.sync_on_start and self.settings.guild_ids:
            await sync_to_guilds(self, self.settings.guild_ids)

    # ------------------------------------------------------------------ services

    def check_quota(self, user_id: int, now: float, *, quiet_repeats: bool = False) -> None:
        """Raise :class:`Throttled` if this user asked too often lately.

        With ``quiet_repeats`` (channel messages, where every reply is seen by all) only the
        first refusal of a wait says so; an interaction always gets its private reply.
        """
        retry_after = self.limiter.hit(user_id, now)
        if retry_after is not None:
            # Only channel refusals count as "told": a private one does not silence the next.
            told = quiet_repeats and not self.limiter.first_refusal(user_id, now, retry_after)
            raise Throttled(retry_after, quiet=told)

    def is_moderator(self, interaction: discord.Interaction[Any]) -> bool:
        """True for the configured moderator role, Manage Messages here, or Manage Server."""
        user = interaction.user
        if not isinstance(user, discord.Member):
            return False
        role_id = self.settings.mod_role_id
        if role_id is not None and any(role.id == role_id for role in user.roles):
            return True
        return interaction.permissions.manage_messages or user.guild_permissions.manage_guild

    async def suggest(self, prefix: str) -> list[Alternative]:
        """Autocomplete suggestions; an empty list rather than an error (nobody would see it)."""
        try:
            return await asyncio.wait_for(
                self.store.complete(prefix[:100], 25), timeout=AUTOCOMPLETE_TIMEOUT
            )
        except Exception:
            log.warning("autocomplete failed", exc_info=True)
            return []

    # ------------------------------------------------------------------ events

    async def on_command_error(
        self, context: commands.Context[Any], exception: commands.CommandError, /
    ) -> None:
        command = context.command.qualified_name if context.command else "?"
        await report(MessageDestination(context.message), exception, where=f"!{command}")

    async def on_ready(self) -> None:
        log.info("connected as %s to %d guild(s)", self.user, len(self.guilds))
        for guild in self.guilds:
            self.check_permissions(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.check_permissions(guild)

    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        if after.guild.me is not None and after in after.guild.me.roles:
            self.check_permissions(after.guild)

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        self.recent.forget(payload.message_id)

    def check_permissions(self, guild: discord.Guild) -> list[str]:
        """Log CRITICAL if the bot's role can mention everyone or is Administrator."""
        me = guild.me
        granted = me.guild_permissions if me is not None else discord.Permissions.none()
        dangerous = [name for name in DANGEROUS_PERMISSIONS if getattr(granted, name)]
        if dangerous:
            self.unsafe_guilds.add(guild.id)
            log.critical(
                "Sitrep's role in guild %s (%d) has %s: remove these permissions. "
                "Replies never allow mentions, but a role this strong should not exist.",
                guild.name,
                guild.id,
                " and ".join(dangerous),
            )
        else:
            self.unsafe_guilds.discard(guild.id)
        missing = [name for name in NEEDED_PERMISSIONS if not getattr(granted, name)]
        if missing:
            log.warning(
                "Sitrep lacks %s in guild %s (%d): answers may not show",
                ", ".join(missing),
                guild.name,
                guild.id,
            )
        return dangerous


class ShardedSitrepBot(SitrepBot, commands.AutoShardedBot):
    """SitrepBot on discord.py's AutoShardedBot (SITREP_SHARDED=true), for many guilds."""


def build_bot(settings: Settings, store: AsyncDesk, **options: Any) -> SitrepBot:
    """A SitrepBot, sharded when the settings ask for it."""
    if settings.sharded:
        if settings.shard_count is not None:
            options.setdefault("shard_count", settings.shard_count)
        return ShardedSitrepBot(settings, store, **options)
    return SitrepBot(settings, store, **options)


async def sync_to_guilds(bot: commands.Bot, guild_ids: tuple[int, ...]) -> list[int]:
    """Copy the global commands to each guild and sync there (instant, for development).

    Returns the guilds that refused (e.g. the bot is not in them); one failing guild does
    not stop the others, nor the bot.
    """
    failed: list[int] = []
    for guild_id in guild_ids:
        guild = discord.Object(id=guild_id)
        bot.tree.copy_global_to(guild=guild)
        try:
            synced = await bot.tree.sync(guild=guild)
        except discord.HTTPException as error:
            log.error("could not sync commands to guild %d: %s", guild_id, error)
            failed.append(guild_id)
            continue
        log.info("synced %d command(s) to guild %d", len(synced), guild_id)
    return failed
