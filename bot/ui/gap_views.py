"""``/fact gaps``: the report of unanswered questions, and closing a gap in one pick.

Under the report, each of the first gaps that has close facts gets a select menu of those
facts; picking one adds the gap's question to that fact as a key (a revision with the
moderator as its actor, posted to the mod-log), and the report is redrawn without it: the
question now finds its answer, and the gap report leaves out questions that do.

The selects are ``DynamicItem``s. Their ``custom_id`` names the report's window and a hash of
the question (``sitrep:gap:7:3f2a…``), so a pick works after a restart too: the report is
computed afresh and the question found by its hash, or the moderator is told it has gone.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Final

import discord
from discord import ui

from knowledge.digest.gaps import Gap, GapReport
from knowledge.render.digest import GAPS_SHOWN, render_gap_report
from knowledge.render.moderation import render_change
from knowledge.render.parts import CHOICES_PER_RESPONSE, Reply, echo, plain

from ..services import Services, services_of
from .moderation import actor_of, curator_check, post_modlog, private
from .replies import NO_PINGS, report, to_embed

MAX_SELECTS: Final = 5  # Discord allows five rows of components under a message
PLACEHOLDER_LIMIT: Final = 150
OPTION_LIMIT: Final = 100


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


def gaps_view(report: GapReport, days: int) -> ui.View | None:
    """A select of close facts under each of the first gaps that have some."""
    view = ui.View(timeout=None)
    for number, gap in enumerate(report.unanswered[:GAPS_SHOWN], start=1):
        if len(view.children) >= MAX_SELECTS:
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
    bot = services_of(interaction.client)
    guild_id = interaction.guild_id
    if guild_id is None:  # curator_check refuses DMs first; this keeps mypy informed
        return
    await interaction.response.defer()  # adding a key rebuilds the matcher: take the time
    found = _find(await load_gaps(bot, guild_id, days), gap)
    if found is None:
        content = "That question is no longer in the report: it was closed, or is too old."
    else:
        reason = f"asked {found.count} time(s) without an answer (/fact gaps)"
        outcome = await bot.store.curate(
            actor_of(interaction.user),
            guild_id,
            lambda curator: curator.add_key(fact_id, found.text, reason=reason),
        )
        if outcome.changed:
            await post_modlog(bot, render_change(outcome.fact, outcome.revision))
        content = (
            f"Added “{echo(found.text)}” to `{fact_id}` as a key (rev {outcome.fact.rev})."
            if outcome.changed
            else f"`{fact_id}` already had “{echo(found.text)}” as a key."
        )
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
