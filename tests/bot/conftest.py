"""Fixtures for the Discord layer: the real bot and the real desk over the shipped seeds,
driven by simcord (an in-memory Discord; no token, no network).

Each test gets its own database in ``tmp_path``, its own store thread and its own bot, so
tests share no state and run in parallel under pytest-xdist.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
import pytest
import pytest_asyncio
import simcord

from bot.async_store import AsyncDesk
from bot.client import SitrepBot, build_bot
from bot.config import Settings
from knowledge.desk import open_desk

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
# The fact DESIGN.md uses as its example ("who leads JNIM"); titles are read from the store.
LEADERSHIP = "jnim-leadership"
# Inside every seed fact's review window, so answers are not flagged stale unless a test
# moves the clock.
TODAY = datetime(2025, 11, 20, 12, tzinfo=UTC)
# A token-shaped value that must never appear in any log line.
SENTINEL_TOKEN = "SENTINELxTOKENx0123456789.GsEnTi.nelTOKENxSECRETx0123456789abcd"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "settings(**fields): override fields of the test bot's Settings"
    )


class Clock:
    """The desk's clock; tests move it to make facts stale."""

    def __init__(self, now: datetime = TODAY) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    """The desk's clock, at :data:`TODAY`."""
    return Clock()


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Test settings; ``@pytest.mark.settings(field=value)`` overrides fields."""
    base = Settings(token=SENTINEL_TOKEN, db_path=tmp_path / "sitrep.db", seeds_dir=SEEDS)
    marker = request.node.get_closest_marker("settings")
    return dataclasses.replace(base, **marker.kwargs) if marker else base


@pytest_asyncio.fixture
async def store(settings: Settings, clock: Clock) -> AsyncIterator[AsyncDesk]:
    """The real desk over the shipped seeds, on its own thread, in a fresh database."""
    async with AsyncDesk(lambda: open_desk(settings.db_path, settings.seeds_dir, clock=clock)) as s:
        yield s


@pytest.fixture
def simcord_bot(settings: Settings, store: AsyncDesk) -> SitrepBot:
    """The bot simcord runs. No command sync at start: the env fixture syncs explicitly."""
    return build_bot(settings, store, sync_on_start=False)


@dataclass
class World:
    """A guild with a channel, two members and a moderator, and the running env."""

    env: simcord.Env
    bot: SitrepBot
    guild: simcord.GuildHandle
    channel: simcord.ChannelHandle
    alice: simcord.MemberActor
    bob: simcord.MemberActor
    mod: simcord.MemberActor

    def sent_by_bot(self) -> list[Any]:
        """Every REST request that creates or edits a message."""
        return [r for r in self.env.http_requests if message_payload(r) is not None]

    async def title(self, fact_id: str) -> str:
        """A fact's title as the store has it (the seeds are curated as we go)."""
        return (await self.bot.store.fact(fact_id)).title

    async def answer_title(self, query: str) -> str | None:
        """The title of the fact the core answers ``query`` with (not logged), if any."""
        answer = await self.bot.store.run(lambda desk: desk.ask(query, log=False))
        return answer.fact.title if answer.fact is not None else None


def suggestions(message: Any) -> list[str]:
    """The "did you mean" button labels of a message."""
    rows = [c if isinstance(c, dict) else c.to_dict() for c in message.components]
    return [
        button["label"]
        for row in rows
        for button in row.get("components", [])
        if str(button.get("custom_id", "")).startswith("sitrep:dym:")
    ]


def message_payload(request: Any) -> dict[str, Any] | None:
    """The message body of a REST request that posts or edits a message, else None."""
    path, body = request.path, request.json
    if not isinstance(body, dict):
        return None
    if path.startswith("/interactions/"):
        # Callback types 4 (message) and 7 (update message) carry a message; 5, 6, 8 do not.
        data = body.get("data")
        return data if body.get("type") in (4, 7) and isinstance(data, dict) else None
    posts = request.method == "POST" and path.endswith("/messages")
    edits = request.method == "PATCH" and "/messages/" in path
    webhook = request.method == "POST" and path.startswith("/webhooks/")
    return body if posts or edits or webhook else None


@pytest_asyncio.fixture
async def world(simcord_env: simcord.Env) -> World:
    """The running bot with its commands synced, in a guild with three people."""
    env = simcord_env
    bot = env.bot
    assert isinstance(bot, SitrepBot)
    await bot.tree.sync()
    guild = env.create_guild("Team")
    channel = guild.create_text_channel("ops")
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
    return World(
        env=env,
        bot=bot,
        guild=guild,
        channel=channel,
        alice=guild.add_member(env.create_user("alice")),
        bob=guild.add_member(env.create_user("bob")),
        mod=guild.add_member(env.create_user("mod"), roles=[mods]),
    )
