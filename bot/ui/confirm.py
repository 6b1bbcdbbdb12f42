"""Confirm or Cancel under a moderator's private preview (`/fact import`, `/source add`,
`/source remove`).

Only the moderator who ran the command may click, once, and only while they still pass
:func:`~bot.ui.moderation.curator_check`. Nothing happens until Confirm; Cancel and the
timeout say that nothing changed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

import discord
from discord import ui

from .moderation import curator_check, private
from .replies import NO_PINGS, InteractionDestination, report

log = logging.getLogger(__name__)

CONFIRM_TIMEOUT: Final = 10 * 60.0  # inside the 15 minutes an ephemeral message can be edited
Run = Callable[[InteractionDestination], Awaitable[None]]


class ConfirmView(ui.View):
    """A Confirm and a Cancel button; ``run`` does the work once Confirm is clicked."""

    def __init__(
        self,
        origin: discord.Interaction[Any],
        run: Run,
        *,
        confirm_label: str,
        cancelled: str,
        expired: str,
        destructive: bool = False,
        timeout: float = CONFIRM_TIMEOUT,
    ) -> None:
        super().__init__(timeout=timeout)
        self.origin = origin
        self.run = run
        self.cancelled = cancelled
        self.expired = expired
        self.settled = False
        self.confirm.label = confirm_label
        # Red for what takes something away (a removal), green for what adds.
        self.confirm.style = (
            discord.ButtonStyle.danger if destructive else discord.ButtonStyle.success
        )

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if interaction.user.id != self.origin.user.id or self.settled:
            return False
        return curator_check(interaction)

    @ui.button(label="Confirm", style=discord.ButtonStyle.success)
    async def confirm(self, interaction: discord.Interaction[Any], button: ui.Button[Any]) -> None:
        self.settled = True  # before any await: a second click must not do it twice
        self.stop()
        await interaction.response.edit_message(view=None, allowed_mentions=NO_PINGS)
        await self.run(private(interaction))

    @ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction[Any], button: ui.Button[Any]) -> None:
        self.settled = True
        self.stop()
        await interaction.response.edit_message(
            content=self.cancelled, embed=None, view=None, allowed_mentions=NO_PINGS
        )

    async def on_timeout(self) -> None:
        if self.settled:
            return
        self.settled = True
        try:
            await self.origin.edit_original_response(
                content=self.expired, embed=None, view=None, allowed_mentions=NO_PINGS
            )
        except discord.HTTPException:
            log.info("could not mark an expired confirmation", exc_info=True)

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: ui.Item[Any], /
    ) -> None:
        await report(private(interaction), error, where="confirmation")
