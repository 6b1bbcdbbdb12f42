"""The buttons on Sitrep's messages. They keep working after a restart.

Each button is a ``DynamicItem``: its state (who asked, which fact, which page) is in its
``custom_id``, so any running bot can answer a click on any message it ever sent.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
from discord import ui

from knowledge.render.answers import render_answer, render_sources, render_topics
from knowledge.render.parts import Reply

from ..guards import Posted
from ..services import Services, services_of
from .feedback import FeedbackButton, feedback_buttons
from .gap_views import PickKeyButton
from .promote import PromoteButton
from .replies import NO_PINGS, InteractionDestination, message_kwargs, report, to_embed

log = logging.getLogger(__name__)
_FACT = r"[a-z0-9]+(?:-[a-z0-9]+)*"


def _bot(interaction: discord.Interaction[Any]) -> Services:
    return services_of(interaction.client)


def member_quota(interaction: discord.Interaction[Any]) -> None:
    """The members' one quota (questions, /show, /sources, /topics and these buttons);
    raises :class:`~bot.errors.Throttled` when this member asked too often lately."""
    _bot(interaction).check_quota(interaction.user.id, interaction.created_at.timestamp())


CUSTOM_ID_LIMIT = 100  # Discord's limit on a component's custom_id


def suggestion_id(asker: int, fact_id: str, query_id: int | None = None) -> str:
    """``sitrep:dym:ASKER:FACT[:QUERY]``: the query log's id of the question is added when
    there is one and it fits in Discord's 100 characters (a fact id near its 64-character
    limit leaves no room; such a click then shows the fact without recording the pick)."""
    base = f"sitrep:dym:{asker}:{fact_id}"
    with_query = f"{base}:{query_id}"
    return with_query if query_id is not None and len(with_query) <= CUSTOM_ID_LIMIT else base


class SuggestionButton(
    ui.DynamicItem[ui.Button[Any]],
    # The query part is optional: buttons posted before picks were recorded have none.
    template=re.compile(
        rf"sitrep:dym:(?P<asker>\d{{1,20}}):(?P<fact>{_FACT})(?::(?P<query>\d{{1,19}}))?"
    ),
):
    """A "did you mean" choice: shows that fact (in place, for the person who asked).

    The asker's click also records the pick (the logged question, answered by that fact in
    their view), which ``/fact gaps`` proposes as a new key of the fact."""

    def __init__(
        self, asker: int, fact_id: str, label: str = "Show", query_id: int | None = None
    ) -> None:
        super().__init__(
            ui.Button(
                label=label,
                style=discord.ButtonStyle.primary,
                custom_id=suggestion_id(asker, fact_id, query_id),
            )
        )
        self.asker = asker
        self.fact_id = fact_id
        self.query_id = query_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> SuggestionButton:
        label = getattr(item, "label", None) or "Show"
        query_id = int(match["query"]) if match["query"] else None
        return cls(int(match["asker"]), match["fact"], label, query_id)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            member_quota(interaction)
            await show_suggestion(interaction, self.asker, self.fact_id, self.query_id)
        except Exception as error:
            await report(InteractionDestination(interaction), error, where="did-you-mean")


class SourcesButton(
    ui.DynamicItem[ui.Button[Any]], template=re.compile(rf"sitrep:src:(?P<fact>{_FACT})")
):
    """Shows every source of the fact with its quote, to the person who clicked."""

    def __init__(self, fact_id: str) -> None:
        super().__init__(
            ui.Button(
                label="Sources & quotes",
                style=discord.ButtonStyle.secondary,
                custom_id=f"sitrep:src:{fact_id}",
            )
        )
        self.fact_id = fact_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> SourcesButton:
        return cls(match["fact"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        destination = InteractionDestination(interaction)
        try:
            member_quota(interaction)
            await send_sources(destination, _bot(interaction), self.fact_id)
        except Exception as error:
            await report(destination, error, where="sources button")


class DeleteButton(
    ui.DynamicItem[ui.Button[Any]], template=re.compile(r"sitrep:del:(?P<asker>\d{1,20})")
):
    """Removes the bot's answer; only the person who asked or a moderator may."""

    def __init__(self, asker: int) -> None:
        super().__init__(
            ui.Button(
                label="Delete",
                style=discord.ButtonStyle.danger,
                custom_id=f"sitrep:del:{asker}",
            )
        )
        self.asker = asker

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> DeleteButton:
        return cls(int(match["asker"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        destination = InteractionDestination(interaction)
        try:
            await delete_answer(destination, _bot(interaction), self.asker)
        except Exception as error:
            await report(destination, error, where="delete button")


class TopicsButton(
    ui.DynamicItem[ui.Button[Any]],
    template=re.compile(r"sitrep:topics:(?P<page>\d{1,4}):(?P<dir>prev|next)"),
):
    """Turns a page of /topics."""

    def __init__(self, page: int, direction: str, *, disabled: bool = False) -> None:
        label = "◀ Previous" if direction == "prev" else "Next ▶"
        super().__init__(
            ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"sitrep:topics:{page}:{direction}",
                disabled=disabled,
            )
        )
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> TopicsButton:
        return cls(int(match["page"]), match["dir"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            member_quota(interaction)
            await turn_topics_page(interaction, _bot(interaction), self.page)
        except Exception as error:
            await report(InteractionDestination(interaction), error, where="topics page")


DYNAMIC_ITEMS: tuple[type[ui.DynamicItem[Any]], ...] = (
    SuggestionButton,
    SourcesButton,
    DeleteButton,
    TopicsButton,
    FeedbackButton,
    PromoteButton,
    # The moderators' half of the suggestions: "Add as key" under /fact gaps. Registered
    # with the member's half, as PromoteButton is, so a pick and its key come and go together.
    PickKeyButton,
)


# --------------------------------------------------------------------------- views


def reply_view(reply: Reply, asker: int, query_id: int | None = None) -> ui.View:
    """Buttons under a public reply: suggestions or Sources and 👍/👎 (or, under a passage,
    Make this a fact), and Delete. ``query_id`` (the question in the query log) lets the
    asker's pick of a suggestion be recorded."""
    view = ui.View(timeout=None)
    for suggestion in reply.suggestions:
        view.add_item(SuggestionButton(asker, suggestion.fact_id, suggestion.label, query_id))
    if reply.fact_id is not None:
        view.add_item(SourcesButton(reply.fact_id))
        for vote in feedback_buttons(reply.fact_id):  # answer feedback (bot/ui/feedback.py)
            view.add_item(vote)
    if reply.passage is not None:
        ref = reply.passage
        view.add_item(PromoteButton(ref.document_id, ref.start, ref.end))
    view.add_item(DeleteButton(asker))
    return view


def private_view(reply: Reply) -> ui.View | None:
    """Buttons under a reply only the clicker sees (no Delete: they can dismiss it)."""
    if reply.fact_id is None:
        return None
    view = ui.View(timeout=None)
    view.add_item(SourcesButton(reply.fact_id))
    return view


def topics_view(page: int, pages: int) -> ui.View | None:
    """Previous/Next buttons for page ``page`` of ``pages`` (none for a single page)."""
    if pages <= 1:
        return None
    view = ui.View(timeout=None)
    view.add_item(TopicsButton(page - 1 if page > 0 else 0, "prev", disabled=page <= 0))
    last = pages - 1
    view.add_item(TopicsButton(page + 1 if page < last else last, "next", disabled=page >= last))
    return view


# --------------------------------------------------------------------------- actions


async def show_suggestion(
    interaction: discord.Interaction[Any], asker: int, fact_id: str, query_id: int | None = None
) -> None:
    """Answer a "did you mean" click: in place for the asker, privately for anyone else.

    Only the asker's click is recorded as a pick: they know what their question meant,
    while anyone else's click only shows them the fact."""
    bot = _bot(interaction)
    fact, today = await bot.store.pick_suggestion(
        fact_id,
        query_id=query_id if interaction.user.id == asker else None,
        user_id=interaction.user.id,
        guild_id=interaction.guild_id,
    )
    reply = render_answer(fact, today=today)
    if interaction.user.id != asker or interaction.message is None:
        kwargs = message_kwargs(reply)
        if (view := private_view(reply)) is not None:
            kwargs["view"] = view
        await interaction.response.send_message(ephemeral=True, **kwargs)
        return
    await interaction.response.edit_message(
        content=None,
        embeds=[to_embed(e) for e in reply.embeds],
        view=reply_view(reply, asker),
        allowed_mentions=NO_PINGS,
    )
    message = interaction.message
    when = interaction.created_at.timestamp()
    bot.recent.record(message.channel.id, fact.id, Posted(message.id, message.jump_url, when))


async def send_sources(destination: InteractionDestination, bot: Services, fact_id: str) -> None:
    """Every source of a fact with its quote, privately, in as many messages as needed."""
    fact = await destination.soon(bot.store.fact(fact_id))
    for page in render_sources(fact):
        await destination.send(Reply(embeds=(page,)), private=True)


async def delete_answer(destination: InteractionDestination, bot: Services, asker: int) -> None:
    """Delete the message under the button if the clicker asked the question or moderates."""
    interaction = destination.interaction
    if interaction.user.id != asker and not bot.is_moderator(interaction):
        await destination.send(
            "Only the person who asked, or a moderator, can delete this answer.", private=True
        )
        return
    await interaction.response.defer()
    if interaction.message is not None:
        bot.recent.forget(interaction.message.id)
        await interaction.message.delete()


async def turn_topics_page(interaction: discord.Interaction[Any], bot: Services, page: int) -> None:
    """Show page ``page`` of /topics in place."""
    pages = render_topics(await bot.store.topics())
    index, embed = pages.page(page)
    await interaction.response.edit_message(
        embed=to_embed(embed), view=topics_view(index, len(pages.pages)), allowed_mentions=NO_PINGS
    )
