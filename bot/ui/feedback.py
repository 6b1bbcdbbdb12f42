"""👍/👎 under answers: one vote per person per answer, kept without who voted.

The buttons are ``DynamicItem``s whose ``custom_id`` carries the vote and the fact
(``sitrep:fb:up:jnim-leadership``); the answer message is the one clicked on. Any running bot
can take a click on any answer it ever posted. The store keeps the vote against a keyed hash
of (message, user), never the user (``FactStore.feedback.record``); the digest and
``/fact gaps`` list the facts people voted down.
"""

from __future__ import annotations

import re
from typing import Any, Final, Literal

import discord
from discord import ui

from ..services import Services, services_of
from .replies import InteractionDestination, report

Vote = Literal["up", "down"]
_FACT: Final = r"[a-z0-9]+(?:-[a-z0-9]+)*"
EMOJI: Final[dict[Vote, str]] = {"up": "👍", "down": "👎"}
THANKS: Final[dict[Vote, str]] = {
    "up": "Thanks: noted that this answer helped.",
    "down": "Thanks: noted that this answer did not help. Moderators see it in their reports.",
}
ALREADY: Final = "You had already said so; your vote stays as it was."


class FeedbackButton(
    ui.DynamicItem[ui.Button[Any]],
    template=re.compile(rf"sitrep:fb:(?P<vote>up|down):(?P<fact>{_FACT})"),
):
    """A vote on the answer it sits under; voting again replaces the earlier vote."""

    def __init__(self, vote: Vote, fact_id: str) -> None:
        super().__init__(
            ui.Button(
                emoji=EMOJI[vote],
                style=discord.ButtonStyle.secondary,
                custom_id=f"sitrep:fb:{vote}:{fact_id}",
            )
        )
        self.vote: Vote = vote
        self.fact_id = fact_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> FeedbackButton:
        return cls("up" if match["vote"] == "up" else "down", match["fact"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = services_of(interaction.client)
        destination = InteractionDestination(interaction, defer_after=bot.defer_after, private=True)
        try:
            await record_vote(destination, bot, self.fact_id, self.vote)
        except Exception as error:
            await report(destination, error, where="feedback button")


def feedback_buttons(fact_id: str) -> tuple[FeedbackButton, FeedbackButton]:
    """The 👍 and 👎 buttons for an answer showing ``fact_id``."""
    return FeedbackButton("up", fact_id), FeedbackButton("down", fact_id)


async def record_vote(
    destination: InteractionDestination, bot: Services, fact_id: str, vote: Vote
) -> None:
    """Record the clicker's vote on the answer under which they clicked, and thank them."""
    interaction = destination.interaction
    message = interaction.message
    if message is None:
        return
    user_id, guild_id, channel_id = interaction.user.id, interaction.guild_id, message.channel.id
    changed = await destination.soon(
        bot.store.record_feedback(
            message.id,
            user_id,
            1 if vote == "up" else -1,
            fact_id=fact_id,
            guild_id=guild_id,
            channel_id=channel_id,
        )
    )
    await destination.send(THANKS[vote] if changed else ALREADY, private=True)
