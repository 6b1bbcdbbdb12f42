"""``/fact gaps``: the report of unanswered questions, and closing a gap in one pick.

Under the report, each of the first gaps that has close facts gets a select menu of those
facts; picking one adds the gap's question to that fact as a key (a revision with the
moderator as its actor, posted to the mod-log), and the report is redrawn without it: the
question now finds its answer, and the gap report leaves out questions that do.

The selects are ``DynamicItem``s. Their ``custom_id`` names the report's window and a hash of
the question (``sitrep:gap:7:3f2a…``), so a pick works after a restart too: the report is
computed afresh and the question found by its hash, or the moderator is told it has gone.

Questions whose askers picked a fact from the "did you mean" suggestions are listed apart
(lettered A–E), each with an "Add as key" button that adds the question to that fact.
Its ``custom_id`` names the window, one logged question picked for and the fact
(``sitrep:pick:7:1234:jnim-leadership``): the question is found again in a fresh report, or
the moderator is told why it is no longer proposed (its fact was retired, it is a key
already, or it now finds an answer or is too old).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from typing import Any, Final

import discord
from discord import ui

from knowledge.curation.curator import Curator, Outcome
from knowledge.digest.gaps import Gap, GapReport, PickedQuestion, clean_text, is_key_of
from knowledge.render.digest import GAPS_SHOWN, PICKS_SHOWN, pick_letter, render_gap_report
from knowledge.render.moderation import render_change
from knowledge.render.parts import CHOICES_PER_RESPONSE, Reply, echo, plain

from ..services import Services, services_of
from .moderation import actor_of, curator_check, post_modlog, private
from .replies import NO_PINGS, report, to_embed

MAX_SELECTS: Final = 5  # Discord allows five rows of components under a message
PLACEHOLDER_LIMIT: Final = 150
OPTION_LIMIT: Final = 100
LABEL_LIMIT: Final = 80
RETIRED: Final = "`{fact_id}` was retired meanwhile: nothing was added."
GONE: Final = (
    "That question is no longer proposed: it finds an answer now, or is older than the report."
)


def gap_hash(text: str) -> str:
    """A short, stable name for a gap's question, to find it again in a fresh report."""
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:12]


class GapSelect(
    ui.DynamicItem[ui.Select[Any]],
    template=re.compile(r"sitrep:gap:(?P<days>\d{1,3}):(?P<gap>[0-9a-f]{12})"),
):
    """Pick a fact to add a gap's question to, as a key."""

    def __init__(
        self,
        days: int,
        gap: str,
        *,
        placeholder: str | None = None,
        options: list[discord.SelectOption] | None = None,
    ) -> None:
        super().__init__(
            ui.Select(
                custom_id=f"sitrep:gap:{days}:{gap}",
                placeholder=placeholder,
                options=options or [],
                min_values=1,
                max_values=1,
            )
        )
        self.days = days
        self.gap = gap

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> GapSelect:
        return cls(int(match["days"]), match["gap"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            curator_check(interaction)
            await close_gap(interaction, self.days, self.gap, self.item.values[0])
        except Exception as error:
            await report(private(interaction), error, where="gap select")


class PickKeyButton(
    ui.DynamicItem[ui.Button[Any]],
    template=re.compile(
        r"sitrep:pick:(?P<days>\d{1,3}):(?P<query>\d{1,19}):(?P<fact>[a-z0-9]+(?:-[a-z0-9]+)*)"
    ),
):
    """Add a question picked for from the suggestions to the fact picked, as a key."""

    def __init__(self, days: int, query_id: int, fact_id: str, label: str = "Add as key") -> None:
        super().__init__(
            ui.Button(
                label=label,
                style=discord.ButtonStyle.success,
                custom_id=f"sitrep:pick:{days}:{query_id}:{fact_id}",
            )
        )
        self.days = days
        self.query_id = query_id
        self.fact_id = fact_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> PickKeyButton:
        label = getattr(item, "label", None) or "Add as key"
        return cls(int(match["days"]), int(match["query"]), match["fact"], label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            curator_check(interaction)
            await add_picked_key(interaction, self.days, self.query_id, self.fact_id)
        except Exception as error:
            await report(private(interaction), error, where="add picked key")


def gaps_view(report: GapReport, days: int) -> ui.View | None:
    """A select of close facts under each of the first gaps that have some, and an "Add as
    key" button for each picked question shown (in the last row)."""
    view = ui.View(timeout=None)
    picks = report.picked[:PICKS_SHOWN]
    selects = MAX_SELECTS - 1 if picks else MAX_SELECTS
    for number, gap in enumerate(report.unanswered[:GAPS_SHOWN], start=1):
        if len(view.children) >= selects:
            break
        if not gap.closest:
            continue
        question = plain(gap.text, PLACEHOLDER_LIMIT - 40)
        options = [
            discord.SelectOption(
                label=plain(alt.title, OPTION_LIMIT) or alt.id,
                value=alt.id,
                description=plain(f"Add the question to {alt.id} as a key", OPTION_LIMIT),
            )
            for alt in gap.closest[:CHOICES_PER_RESPONSE]
        ]
        placeholder = f"{number}. Add “{question}” as a key to…"
        view.add_item(GapSelect(days, gap_hash(gap.text), placeholder=placeholder, options=options))
    for index, picked in enumerate(picks):
        label = plain(f"{pick_letter(index)}. Add as key to {picked.fact_id}", LABEL_LIMIT)
        view.add_item(PickKeyButton(days, picked.query_ids[-1], picked.fact_id, label))
    return view if view.children else None


async def load_gaps(bot: Services, guild_id: int, days: int) -> GapReport:
    """This server's gap report of the last ``days`` days, computed on the store's thread."""
    return await bot.store.gap_report(guild_id, discord.utils.utcnow(), days)


def gaps_reply(report: GapReport, days: int, content: str = "") -> Reply:
    """The report's embed, with an optional line above it."""
    embed = render_gap_report(report, days=days, now=discord.utils.utcnow())
    return Reply(content=content, embeds=(embed,))


async def close_gap(
    interaction: discord.Interaction[Any], days: int, gap: str, fact_id: str
) -> None:
    """Add the gap's question to ``fact_id`` as a key, then redraw the report in place."""

    async def act(bot: Services, guild_id: int, report: GapReport) -> str:
        found = _find(report, gap)
        if found is None:
            return "That question is no longer in the report: it was closed, or is too old."
        reason = f"asked {found.count} time(s) without an answer (/fact gaps)"
        outcome = await _add_key(
            interaction, bot, guild_id, lambda c: c.add_key(fact_id, found.text, reason=reason)
        )
        if outcome.changed:
            return _added(found.text, fact_id, outcome.fact.rev)
        return f"`{fact_id}` already had “{echo(found.text)}” as a key."

    await _act_on_report(interaction, days, act)


async def add_picked_key(
    interaction: discord.Interaction[Any], days: int, query_id: int, fact_id: str
) -> None:
    """Add a question its askers picked ``fact_id`` for as a key of that fact, then redraw
    the report in place; or say why it is no longer proposed."""

    async def act(bot: Services, guild_id: int, report: GapReport) -> str:
        found = _find_pick(report, query_id, fact_id)
        if found is None:
            return await _not_proposed(bot, query_id, fact_id)
        reason = f"picked from the suggestions {found.count} time(s) (/fact gaps)"
        outcome = await _add_key(
            interaction,
            bot,
            guild_id,
            lambda c: c.add_asked_key(fact_id, found.text, reason=reason),
        )
        if outcome.changed:
            return _added(found.text, fact_id, outcome.fact.rev)
        if outcome.fact.status != "active":
            return RETIRED.format(fact_id=fact_id)
        return f"`{fact_id}` already had “{echo(found.text)}” as a key."

    await _act_on_report(interaction, days, act)


async def _act_on_report(
    interaction: discord.Interaction[Any],
    days: int,
    act: Callable[[Services, int, GapReport], Awaitable[str]],
) -> None:
    """What every button of the report does around its own step: take the time (adding a
    key rebuilds the matcher), ``act`` on the report as it is now, and redraw it in place
    with the line ``act`` returns above it."""
    bot = services_of(interaction.client)
    guild_id = interaction.guild_id
    if guild_id is None:  # curator_check refuses DMs first; this keeps mypy informed
        return
    await interaction.response.defer()
    content = await act(bot, guild_id, await load_gaps(bot, guild_id, days))
    await _redraw(interaction, bot, guild_id, days, content)


async def _add_key(
    interaction: discord.Interaction[Any],
    bot: Services,
    guild_id: int,
    add: Callable[[Curator], Outcome],
) -> Outcome:
    """Run ``add`` as the clicking moderator and post a change to the mod-log."""
    outcome = await bot.store.curate(actor_of(interaction.user), guild_id, add)
    if outcome.changed:
        await post_modlog(bot, render_change(outcome.fact, outcome.revision))
    return outcome


def _added(text: str, fact_id: str, rev: int) -> str:
    return f"Added “{echo(text)}” to `{fact_id}` as a key (rev {rev})."


async def _not_proposed(bot: Services, query_id: int, fact_id: str) -> str:
    """Why a pick has left the report, as one line for the moderator who clicked."""
    fact = await bot.store.fact(fact_id)  # an unknown id raises FactNotFound, told as such
    if fact.status != "active":
        return RETIRED.format(fact_id=fact_id)
    pick = await bot.store.pick(query_id, fact_id)
    if pick is not None and is_key_of(fact, pick.query):
        return f"`{fact_id}` already has “{echo(clean_text(pick.query))}” as a key."
    return GONE


async def _redraw(
    interaction: discord.Interaction[Any], bot: Services, guild_id: int, days: int, content: str
) -> None:
    """The report computed afresh, in place of the one clicked on, with ``content`` above."""
    refreshed = await load_gaps(bot, guild_id, days)
    reply = gaps_reply(refreshed, days, content)
    await interaction.edit_original_response(
        content=reply.content,
        embeds=[to_embed(e) for e in reply.embeds],
        view=gaps_view(refreshed, days),
        allowed_mentions=NO_PINGS,
    )


def _find(report: GapReport, gap: str) -> Gap | None:
    return next((g for g in report.unanswered if gap_hash(g.text) == gap), None)


def _find_pick(report: GapReport, query_id: int, fact_id: str) -> PickedQuestion | None:
    return next(
        (p for p in report.picked if p.fact_id == fact_id and query_id in p.query_ids), None
    )
