"""Sending replies: the same :class:`~knowledge.layout.Reply` to a message or an interaction.

Every send here passes ``allowed_mentions=NO_PINGS`` explicitly, on top of the bot-wide
default, so nothing the bot posts can ping anyone whatever a fact or a question contains.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from typing import Any, Protocol, TypeVar

import discord

from knowledge.render.parts import CONTENT_LIMIT, EmbedPart, Reply, shorten

from ..errors import is_expected, user_message

T = TypeVar("T")
NO_PINGS = discord.AllowedMentions.none()
# Discord drops an interaction not acknowledged within 3 s of its creation; work slower than
# this defers first ("Sitrep is thinking…"), leaving ample room for network latency.
DEFER_AFTER = 0.8
# Autocomplete cannot defer: past this, offer nothing rather than fail the interaction.
AUTOCOMPLETE_TIMEOUT = 2.0
log = logging.getLogger(__name__)


def to_embed(part: EmbedPart) -> discord.Embed:
    """A layout embed as a ``discord.Embed``."""
    return discord.Embed.from_dict(part.to_dict())


def message_kwargs(reply: Reply | str) -> dict[str, Any]:
    """Keyword arguments for any discord.py send or edit of ``reply``."""
    if isinstance(reply, str):
        reply = Reply(content=reply)
    return {
        "content": shorten(reply.content, CONTENT_LIMIT) or None,
        "embeds": [to_embed(e) for e in reply.embeds],
        "allowed_mentions": NO_PINGS,
    }


class Destination(Protocol):
    """Where a question came from and where its answer goes."""

    @property
    def user_id(self) -> int: ...
    @property
    def guild_id(self) -> int | None: ...
    @property
    def channel_id(self) -> int: ...
    @property
    def now(self) -> float: ...
    @property
    def echo_query(self) -> bool: ...

    async def soon(self, work: Awaitable[T]) -> T: ...

    async def send(
        self, reply: Reply | str, *, view: discord.ui.View | None = None, private: bool = False
    ) -> discord.Message | None: ...


class MessageDestination:
    """A question in a message (``!ask`` or a mention); the answer is a reply.

    When the asker was replying to someone else's message, the answer replies to that
    message instead, so the person who asked in the first place sees it.
    """

    echo_query = False  # the question is right above the answer

    def __init__(self, message: discord.Message) -> None:
        self.message = message

    @property
    def user_id(self) -> int:
        return self.message.author.id

    @property
    def guild_id(self) -> int | None:
        return self.message.guild.id if self.message.guild else None

    @property
    def channel_id(self) -> int:
        return self.message.channel.id

    @property
    def now(self) -> float:
        return self.message.created_at.timestamp()

    def reference(self) -> discord.MessageReference:
        """The message to reply to: the one the asker replied to, else the asker's own."""
        ref = self.message.reference
        resolved = ref.resolved if ref is not None else None
        replying_to_bot = isinstance(resolved, discord.Message) and resolved.author.bot
        if (
            ref is not None
            and ref.message_id
            and ref.channel_id == self.channel_id
            and not replying_to_bot
        ):
            return discord.MessageReference(
                message_id=ref.message_id,
                channel_id=ref.channel_id,
                guild_id=ref.guild_id,
                fail_if_not_exists=False,
            )
        return self.message.to_reference(fail_if_not_exists=False)

    async def soon(self, work: Awaitable[T]) -> T:
        return await work

    async def send(
        self, reply: Reply | str, *, view: discord.ui.View | None = None, private: bool = False
    ) -> discord.Message | None:
        kwargs = message_kwargs(reply)
        if view is not None:
            kwargs["view"] = view
        return await self.message.channel.send(
            reference=self.reference(), mention_author=False, **kwargs
        )


class InteractionDestination:
    """A slash command or a button click; the answer is the interaction's response."""

    echo_query = True  # others in the channel do not see the typed option

    def __init__(
        self,
        interaction: discord.Interaction[Any],
        *,
        defer_after: float = DEFER_AFTER,
        private: bool = False,
    ) -> None:
        self.interaction = interaction
        self.defer_after = defer_after
        # Whether a deferral is private: Discord fixes a deferred reply's visibility at the
        # defer, so a private reply to slow work must say so then, not when it is sent.
        self.private = private

    @property
    def user_id(self) -> int:
        return self.interaction.user.id

    @property
    def guild_id(self) -> int | None:
        return self.interaction.guild_id

    @property
    def channel_id(self) -> int:
        return self.interaction.channel_id or 0

    @property
    def now(self) -> float:
        return self.interaction.created_at.timestamp()

    async def soon(self, work: Awaitable[T]) -> T:
        """Await ``work``; if it is slow, defer first so Discord's 3-second window is kept."""
        task = asyncio.ensure_future(work)
        try:
            return await asyncio.wait_for(asyncio.shield(task), timeout=self.defer_after)
        except TimeoutError:
            if not self.interaction.response.is_done():
                try:
                    await self.interaction.response.defer(thinking=True, ephemeral=self.private)
                except BaseException:
                    task.cancel()  # nobody will read its result now
                    raise
            return await task

    async def send(
        self,
        reply: Reply | str,
        *,
        view: discord.ui.View | None = None,
        private: bool = False,
        files: Sequence[discord.File] = (),
    ) -> discord.Message | None:
        kwargs = message_kwargs(reply)
        if view is not None:
            kwargs["view"] = view
        if files:
            kwargs["files"] = list(files)
        response = self.interaction.response
        if not response.is_done():
            callback = await response.send_message(ephemeral=private, **kwargs)
            resource = callback.resource
            return resource if isinstance(resource, discord.Message) else None
        return await self.interaction.followup.send(ephemeral=private, wait=True, **kwargs)


async def report(destination: Destination, error: BaseException, *, where: str) -> None:
    """Log ``error`` and tell the person in a short sentence; never raises."""
    text = user_message(error)
    if is_expected(error):
        log.info("%s: %s", where, type(error).__name__)
    else:
        log.error("%s failed", where, exc_info=error)
    if text is None:
        return
    try:
        await destination.send(text, private=True)
    except Exception:
        # The channel may be gone or the bot muted; the log already has the story.
        log.warning("%s: could not tell the user about an error", where, exc_info=True)
