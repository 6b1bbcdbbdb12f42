"""Helpers for the digest, gaps and feedback tests (imported by their test modules).

The desk's clock follows simcord's virtual clock (:class:`SimClock`), so what the store
records (query log, revisions, runs, ``configured_at``) and what the bot reads from
``discord.utils.utcnow()`` agree while ``env.advance_time`` moves both.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import simcord
from conftest import SEEDS, World, message_payload

from bot.async_store import AsyncDesk
from bot.client import SitrepBot, build_bot
from bot.cogs.digest import DigestCog
from bot.cogs.digest_poster import DigestPoster
from bot.config import Settings
from knowledge.desk import open_desk
from knowledge.models import DigestRun, DigestSettings

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
"""Where simcord's virtual clock starts."""
SEEDED = EPOCH - timedelta(days=30)
"""The desk's time before the env starts: the seeds are loaded a month before the tests."""
SAFE = discord.Permissions(
    view_channel=True,
    send_messages=True,
    embed_links=True,
    read_message_history=True,
)


class SimClock:
    """The desk's clock: simcord's virtual time once :attr:`env` is set."""

    def __init__(self) -> None:
        self.env: simcord.Env | None = None

    def __call__(self) -> datetime:
        return self.env.now() if self.env is not None else SEEDED


@dataclass
class Team:
    """A :class:`World` with a Manage Server moderator and a #digest channel."""

    world: World
    boss: simcord.MemberActor
    digest: simcord.ChannelHandle
    clock: SimClock
    opened: list[AsyncDesk] = dataclasses.field(default_factory=list)

    @property
    def env(self) -> simcord.Env:
        return self.world.env

    @property
    def bot(self) -> SitrepBot:
        bot = self.world.env.bot
        assert isinstance(bot, SitrepBot)
        return bot

    @property
    def poster(self) -> DigestPoster:
        cog = self.bot.get_cog("Digest")
        assert isinstance(cog, DigestCog)
        return cog.poster

    async def set_digest(self, **options: Any) -> Any:
        """``/digest set`` by the moderator in #ops (channel: #digest unless given)."""
        options.setdefault("channel", self.digest)
        options.setdefault("schedule", "daily")
        options.setdefault("time", "08:00")
        options.setdefault("timezone", "Africa/Bamako")
        result = await self.boss.slash(self.world.channel, "digest set", **options)
        assert result.acknowledged
        return result

    def posts(self, channel: simcord.ChannelHandle | None = None) -> list[discord.Message]:
        """The bot's messages in #digest (or ``channel``), oldest first."""
        me = self.bot.user
        assert me is not None
        return [m for m in (channel or self.digest).history() if m.author.id == me.id]

    async def runs(self) -> list[DigestRun]:
        """The guild's recorded digest periods."""
        guild_id = self.world.guild.id
        return await self.bot.store.run(lambda d: d.store.digests.runs(guild_id))

    async def settings(self) -> DigestSettings | None:
        guild_id = self.world.guild.id
        return await self.bot.store.run(lambda d: d.store.digests.settings(guild_id))

    async def until(self, moment: datetime) -> None:
        """Advance the virtual clock to ``moment``."""
        await self.env.advance_time(max(0.0, (moment - self.env.now()).total_seconds()))

    async def ask(self, query: str, *, guild_id: int | None = None) -> None:
        """Log a question as the bot would (straight to the desk: no rate limit)."""
        gid = self.world.guild.id if guild_id is None else guild_id
        channel_id = self.world.channel.id
        await self.bot.store.run(lambda d: d.ask(query, guild_id=gid, channel_id=channel_id))

    async def restart(self) -> None:
        """Restart: a fresh bot object with a fresh store over the same database."""
        old = self.bot
        store = AsyncDesk(lambda: open_desk(old.settings.db_path, SEEDS, clock=self.clock))
        await store.start()
        self.opened.append(store)
        await self.env.restart_bot(build_bot(old.settings, store, sync_on_start=False))
        await self.env.bot.tree.sync()

    async def close(self) -> None:
        for store in self.opened:
            await store.close()


async def make_team(world: World, clock: SimClock, *, safe: bool = True) -> Team:
    """Attach the clock, make the bot's role safe (A3), add a moderator and #digest."""
    clock.env = world.env
    env = world.env
    if safe:
        await make_safe(world)
    managers = world.guild.create_role(
        "Managers", permissions=discord.Permissions(manage_guild=True)
    )
    boss = world.guild.add_member(env.create_user("boss"), roles=[managers])
    digest = world.guild.create_text_channel("digest")
    await env.settle()
    return Team(world, boss, digest, clock)


async def make_safe(world: World) -> None:
    """simcord's bot role can mention everyone; Sitrep refuses digests until it cannot."""
    me = world.env.bot.user
    assert me is not None
    role = world.guild.roles[me.name]
    world.env.backend.edit_role(world.guild.id, role.id, {"permissions": SAFE.value})
    await world.env.settle()


def with_settings(settings: Settings, **changes: Any) -> Settings:
    return dataclasses.replace(settings, **changes)


def message_requests(env: simcord.Env) -> list[dict[str, Any]]:
    """Every message body the bot sent or edited (REST and interaction responses)."""
    return [p for r in env.http_requests if (p := message_payload(r)) is not None]


def posts_to(env: simcord.Env, channel_id: int) -> list[Any]:
    """REST calls that post a message in ``channel_id`` (failed ones included)."""
    path = f"/channels/{channel_id}/messages"
    return [r for r in env.http_requests if r.method == "POST" and r.path == path]


def at(text: str) -> datetime:
    """``"2026-01-02 08:00"`` as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def db_path(team: Team) -> Path:
    return team.bot.settings.db_path
