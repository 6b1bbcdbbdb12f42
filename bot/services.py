"""What the cogs and the UI need from the running bot, without importing the bot.

:class:`bot.client.SitrepBot` imports the cogs to load them; if the cogs imported it back
(even only for type hints) the two would be one tangle. They depend on :class:`Services`
instead: the desk, the settings, the quota and repeat guards, the moderator check, and the
few :class:`discord.Client` calls they make. ``SitrepBot`` is the one implementation, and
mypy checks that it provides all of this where ``setup_hook`` hands itself to the cogs.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

import discord
from discord import ui

from knowledge.models import Alternative

from .async_store import AsyncDesk
from .config import Settings
from .guards import RecentAnswers

Channel = discord.abc.GuildChannel | discord.Thread | discord.abc.PrivateChannel


class Services(Protocol):
    """The running bot as cogs, buttons and the digest poster use it."""

    settings: Settings
    store: AsyncDesk
    """The fact desk, on its own thread (see :mod:`bot.async_store`)."""
    defer_after: float
    """Work slower than this (seconds) defers the interaction first."""
    recent: RecentAnswers
    unsafe_guilds: set[int]
    """Guilds where the bot's role could ping everyone: no digest is posted there."""

    @property
    def user(self) -> discord.ClientUser | None: ...

    def get_channel(self, id: int, /) -> Channel | None: ...

    async def fetch_channel(self, channel_id: int, /) -> Channel: ...

    def get_user(self, id: int, /) -> discord.User | None: ...

    async def fetch_user(self, user_id: int, /) -> discord.User: ...

    async def wait_until_ready(self) -> None: ...

    def add_dynamic_items(self, *items: type[ui.DynamicItem[Any]]) -> None: ...

    def remove_dynamic_items(self, *items: type[ui.DynamicItem[Any]]) -> None: ...

    def check_quota(self, user_id: int, now: float, *, quiet_repeats: bool = False) -> None:
        """Raise :class:`bot.errors.Throttled` if this user asked too often lately."""

    def is_moderator(self, interaction: discord.Interaction[Any]) -> bool:
        """True for the moderator role, Manage Messages in the channel, or Manage Server."""

    async def suggest(self, prefix: str) -> list[Alternative]:
        """Autocomplete suggestions for a partly typed question (never raises)."""

    def check_permissions(self, guild: discord.Guild) -> list[str]:
        """The dangerous permissions the bot's role has in ``guild`` (logged CRITICAL)."""


def services_of(client: discord.Client) -> Services:
    """The services of the client an interaction came through (always a ``SitrepBot``)."""
    return cast("Services", client)
