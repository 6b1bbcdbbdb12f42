"""**Make this a fact**: the button under a passage answer that turns it into a curated fact.

A moderator's click opens the fact form filled from the passage (``documents.promote``): its
most informative sentence as the answer and the quote (verbatim, taken by offsets from the
stored document), a proposed title, suggested keys and the document's date. Saving adds a
normal fact with a revision, cited to the document, and posts it to the mod-log; the
moderator's confirmation lists the question keys suggested from the fact's words, with an
"Add suggested keys" button (see :func:`bot.ui.moderation.apply_change`). Anyone
else who clicks is told the button is for moderators; nothing changes.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any, Final

import discord
from discord import ui

from knowledge.curation.drafts import FactDraft, form_values
from knowledge.models import Fact

from ..services import services_of
from .moderation import FactForm, apply_change, before_form, curator_check, private
from .replies import InteractionDestination, report

_DOCUMENT: Final = r"[a-z0-9]+(?:-[a-z0-9]+)*"


class PromoteButton(
    ui.DynamicItem[ui.Button[Any]],
    template=re.compile(rf"sitrep:pf:(?P<doc>{_DOCUMENT}):(?P<start>\d{{1,9}}):(?P<end>\d{{1,9}})"),
):
    """Opens the fact form for one passage; its state (document, offsets) is its custom_id."""

    def __init__(self, document_id: str, start: int, end: int) -> None:
        super().__init__(
            ui.Button(
                label="Make this a fact",
                style=discord.ButtonStyle.primary,
                custom_id=f"sitrep:pf:{document_id}:{start}:{end}",
            )
        )
        self.document_id = document_id
        self.start = start
        self.end = end

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> PromoteButton:
        return cls(match["doc"], int(match["start"]), int(match["end"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            curator_check(interaction)
            await open_promotion(interaction, self.document_id, self.start, self.end)
        except Exception as error:
            await report(private(interaction), error, where="make this a fact")


async def open_promotion(
    interaction: discord.Interaction[Any], document_id: str, start: int, end: int
) -> None:
    """Open the fact form filled from the passage ``start:end`` of ``document_id``."""
    store = services_of(interaction.client).store
    proposal = await before_form(store.promotion(document_id, start, end))
    save = partial(_save, proposal, f"promoted from {document_id} {start}-{end}")
    form = FactForm(f"New fact {proposal.id}", form_values(proposal), save)
    await interaction.response.send_modal(form)


async def _save(proposal: Fact, reason: str, to: InteractionDestination, draft: FactDraft) -> None:
    source = proposal.sources[0]
    bot = services_of(to.interaction.client)
    await apply_change(
        bot, to, lambda c: c.add(proposal.id, draft, source, reason=reason), suggest=True
    )
