"""Members' commands: ask a question (/ask, !ask, @Sitrep), /show a fact, its sources, topics.

Every callback is parse → call the core → render (``knowledge.layout``) → send; the shared
steps live in :meth:`AskCog.answer` and in :mod:`bot.ui.views`.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from knowledge.errors import EmptyQuery
from knowledge.matching.text import words
from knowledge.render.answers import (
    choices,
    id_choices,
    mention_query,
    render,
    render_answer,
    render_repeat,
    render_topics,
)
from knowledge.render.parts import MAX_QUERY, Reply
from knowledge.render.passages import render_passage

from ..errors import QueryTooLong
from ..guards import Posted
from ..services import Services, services_of
from ..ui.replies import Destination, InteractionDestination, MessageDestination, report
from ..ui.views import DYNAMIC_ITEMS, member_quota, reply_view, send_sources, topics_view

log = logging.getLogger(__name__)
Query = app_commands.Range[str, 1, MAX_QUERY]


def _bot(client: Any) -> Services:
    return services_of(client)


def _slash_quota(interaction: discord.Interaction[Any]) -> bool:
    member_quota(interaction)
    return True


def _prefix_quota(ctx: commands.Context[Any]) -> bool:
    now = ctx.message.created_at.timestamp()
    _bot(ctx.bot).check_quota(ctx.author.id, now, quiet_repeats=True)
    return True


def checked_query(query: str) -> str:
    """The question as asked, if it can be asked: not too long, and with words in it."""
    if len(query) > MAX_QUERY:
        raise QueryTooLong(f"{len(query)} characters")
    if not words(query):
        raise EmptyQuery()
    return query


class AskCog(commands.Cog, name="Ask"):
    """Ask Sitrep about the situation; every answer cites its sources."""

    def __init__(self, bot: Services) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        # The buttons under answers; their state is in their custom_id (see bot.ui.views).
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Every slash command here works in servers only, whatever the registration says:
        ``guild_only`` is a hint for Discord, and a stale or hand-made registration could
        still offer the command in a DM. Runs before the quota check, so it costs none."""
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        return True

    # ------------------------------------------------------------------ asking

    @app_commands.command(name="ask")
    @app_commands.guild_only()
    @app_commands.describe(query="Your question, for example: who leads JNIM")
    @app_commands.check(_slash_quota)
    async def ask_slash(self, interaction: discord.Interaction[Any], query: Query) -> None:
        """Ask a question; Sitrep answers from its sourced facts or says it has none."""
        await self.answer(self._destination(interaction), query)

    @ask_slash.autocomplete("query")
    async def ask_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        suggestions = await self.bot.suggest(current)
        return [app_commands.Choice(name=c.name, value=c.value) for c in choices(suggestions)]

    @commands.command(name="ask")
    @commands.guild_only()
    @commands.check(_prefix_quota)
    async def ask_prefix(self, ctx: commands.Context[Any], *, query: str) -> None:
        """Ask a question about the situation, for example: who leads JNIM"""
        await self.answer(MessageDestination(ctx.message), query)

    @commands.Cog.listener("on_message")
    async def ask_mention(self, message: discord.Message) -> None:
        """Answer "@Sitrep <question>" like !ask."""
        query = self._mentioned(message)
        if query is None:
            return
        destination = MessageDestination(message)
        try:
            now = message.created_at.timestamp()
            self.bot.check_quota(message.author.id, now, quiet_repeats=True)
            await self.answer(destination, query)
        except Exception as error:
            await report(destination, error, where="mention")

    def _mentioned(self, message: discord.Message) -> str | None:
        me = self.bot.user
        if me is None or message.author.bot or message.guild is None:
            return None
        role = message.guild.self_role
        return mention_query(message.content, me.id, role.id if role else None)

    async def answer(self, destination: Destination, query: str) -> None:
        """Ask the core, then post the answer, a pointer to a recent one, or an honest miss."""
        query = checked_query(query)
        result, today = await destination.soon(
            self.bot.store.respond(
                query, guild_id=destination.guild_id, channel_id=destination.channel_id
            )
        )
        asked = query if destination.echo_query else None
        if result.passage is not None:
            reply = render_passage(result.passage, asked=asked)
        else:
            reply = render(result.answer, today=today, asked=asked)
        if await self._pointed_to_earlier(destination, reply):
            return
        view = reply_view(reply, destination.user_id, result.query_id)
        message = await destination.send(reply, view=view)
        if reply.fact_id is not None and message is not None:
            posted = Posted(message.id, message.jump_url, destination.now)
            self.bot.recent.record(destination.channel_id, reply.fact_id, posted)

    async def _pointed_to_earlier(self, destination: Destination, reply: Reply) -> bool:
        """If this fact was answered in the channel a moment ago, link to it instead."""
        if reply.fact_id is None or not reply.embeds:
            return False
        earlier = self.bot.recent.earlier(destination.channel_id, reply.fact_id, destination.now)
        if earlier is None:
            return False
        await destination.send(render_repeat(reply.embeds[0].title, earlier.jump_url), private=True)
        return True

    # ------------------------------------------------------------------ browsing

    # A top-level command, not "/fact show": /fact is the moderators' group, and Discord's
    # default_permissions (which hides it from members) applies to a whole top-level group.
    @app_commands.command(name="show")
    @app_commands.guild_only()
    @app_commands.check(_slash_quota)
    @app_commands.describe(id="The fact's id, for example: jnim-leadership")
    async def fact_show(self, interaction: discord.Interaction[Any], id: str) -> None:
        """Show one fact by its id, with its sources."""
        destination = self._destination(interaction)
        fact, today = await destination.soon(self.bot.store.fact_and_today(id.strip()))
        reply = render_answer(fact, today=today)
        await destination.send(reply, view=reply_view(reply, interaction.user.id))

    @app_commands.command(name="sources")
    @app_commands.guild_only()
    @app_commands.check(_slash_quota)
    @app_commands.describe(id="The fact's id, for example: jnim-leadership")
    async def sources(self, interaction: discord.Interaction[Any], id: str) -> None:
        """List every source of a fact with the quote it rests on (only you see it)."""
        destination = self._destination(interaction)
        await send_sources(destination, self.bot, id.strip())

    @fact_show.autocomplete("id")
    @sources.autocomplete("id")
    async def id_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        suggestions = await self.bot.suggest(current)
        return [app_commands.Choice(name=c.name, value=c.value) for c in id_choices(suggestions)]

    @app_commands.command(name="topics")
    @app_commands.guild_only()
    @app_commands.check(_slash_quota)
    async def topics(self, interaction: discord.Interaction[Any]) -> None:
        """Browse the facts by topic (only you see it)."""
        destination = self._destination(interaction)
        pages = render_topics(await destination.soon(self.bot.store.topics()))
        view = topics_view(0, len(pages.pages))
        await destination.send(Reply(embeds=pages.pages[:1]), view=view, private=True)

    def _destination(self, interaction: discord.Interaction[Any]) -> InteractionDestination:
        return InteractionDestination(interaction, defer_after=self.bot.defer_after)
