"""Moderators' plumbing: who may curate, the mod-log, the fact form, import confirmation and
history pages. The commands themselves are in :mod:`bot.cogs.admin`.

Who: a member of a configured guild (``SITREP_GUILD_IDS``, when set) with the moderator role
(``SITREP_MOD_ROLE_ID``) or Manage Server. :func:`curator_check` is run on every command,
form submission and button click, because ``default_permissions`` is only a hint for the
client: server admins can override it, and stale or global registrations can reach the
bot from places the hint never covered.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, TypeVar

import discord
from discord import app_commands, ui

from knowledge import validation
from knowledge.curation.curator import Curator, ImportPlan, Outcome
from knowledge.curation.drafts import ANSWER, DATES, KEYS, TAGS, TITLE, FactDraft, parse_form
from knowledge.errors import KeyConflict, Problem, ValidationError
from knowledge.models import Fact
from knowledge.render.moderation import (
    render_change,
    render_history,
    render_import,
    render_suggested_keys,
)
from knowledge.render.parts import Reply, shorten

from ..async_store import Busy
from ..errors import GENERIC, NotModerator, NotThisGuild, is_expected, user_message
from ..services import Services, services_of
from .replies import NO_PINGS, InteractionDestination, message_kwargs, report, to_embed

log = logging.getLogger(__name__)
T = TypeVar("T")

FORM_TIMEOUT: Final = 30 * 60.0  # writing an answer and its keys takes a while
RETRY_TIMEOUT: Final = 15 * 60.0  # an ephemeral message can be edited for 15 minutes
MODAL_TITLE_LIMIT: Final = 45
# A form must be the first response, within Discord's 3 s: what runs before it gets 2 s.
BEFORE_FORM: Final = 2.0
_FACT: Final = r"[a-z0-9]+(?:-[a-z0-9]+)*"


def _bot(interaction: discord.Interaction[Any]) -> Services:
    return services_of(interaction.client)


# --------------------------------------------------------------------------- who


def curator_check(interaction: discord.Interaction[Any]) -> bool:
    """The runtime check of every moderators' action; raises the reason when refused.

    In a server (never a DM), a configured one when SITREP_GUILD_IDS is set, and a member
    with the moderator role or Manage Server.
    """
    settings = _bot(interaction).settings
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    if settings.guild_ids and interaction.guild_id not in settings.guild_ids:
        raise NotThisGuild()
    user = interaction.user
    if not isinstance(user, discord.Member):
        raise NotModerator()
    role_id = settings.mod_role_id
    if role_id is not None and any(role.id == role_id for role in user.roles):
        return True
    # Discord's own reckoning for this interaction first; the cached roles as a fallback.
    if interaction.permissions.manage_guild or user.guild_permissions.manage_guild:
        return True
    raise NotModerator()


moderators_only = app_commands.check(curator_check)
"""Decorator for every moderators' slash command (see :func:`curator_check`)."""


def may_curate(interaction: discord.Interaction[Any]) -> bool:
    """:func:`curator_check` as a yes or no, for autocomplete of moderators' options.

    discord.py runs a command's checks before the command, never before its autocomplete:
    each moderators' autocomplete asks this first and offers nothing to anyone else.
    """
    try:
        return curator_check(interaction)
    except app_commands.CheckFailure:
        return False


def guild_of(interaction: discord.Interaction[Any]) -> int:
    """The interaction's server (:func:`curator_check` refuses DMs first; this tells mypy)."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild_id


def actor_of(user: discord.abc.User) -> str:
    """How revisions name a Discord user: by id, which survives renames."""
    return f"discord:{user.id}"


def private(interaction: discord.Interaction[Any]) -> InteractionDestination:
    """Where moderators' replies go: back to the moderator only (the mod-log is public)."""
    return InteractionDestination(
        interaction, defer_after=_bot(interaction).defer_after, private=True
    )


# --------------------------------------------------------------------------- mod-log


async def post_modlog(bot: Services, reply: Reply) -> bool:
    """Post a change to the mod-log channel, if one is configured; ``False`` if it failed.

    Never raises: the change is already committed and recorded as a revision, and a
    missing channel or permission must not turn a successful change into an error.
    """
    channel_id = bot.settings.modlog_channel_id
    if channel_id is None:
        return False
    try:
        channel = bot.get_channel(channel_id) or await bot.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("mod-log channel %d is not a text channel", channel_id)
            return False
        await channel.send(**message_kwargs(Reply(embeds=reply.embeds)))
    except Exception:
        log.warning("could not post to the mod-log channel %d", channel_id, exc_info=True)
        return False
    return True


# --------------------------------------------------------------------------- the fact form


@dataclass(frozen=True, slots=True)
class _Input:
    name: str
    label: str
    hint: str
    style: discord.TextStyle
    max_length: int
    required: bool


_SHORT, _PARAGRAPH = discord.TextStyle.short, discord.TextStyle.paragraph
_INPUTS: Final = (
    _Input(TITLE, "Title", "What the fact answers, e.g. Who leads JNIM", _SHORT,
           validation.MAX_TITLE, True),
    _Input(ANSWER, "Answer", "What members will read, as one paragraph.", _PARAGRAPH,
           validation.MAX_ANSWER, True),
    _Input(KEYS, "Keys", "Ways people ask for it: one per line, or separated by commas.",
           _PARAGRAPH, 4000, False),
    _Input(TAGS, "Tags", "Topics, comma-separated, e.g. jnim, leadership", _SHORT, 600, False),
    _Input(DATES, "Dates", "As of, then an optional review-by date: 2025-11-04, 2026-02-01",
           _SHORT, 40, True),
)  # fmt: skip
Save = Callable[[InteractionDestination, FactDraft], Awaitable[None]]


class FactForm(ui.Modal):
    """The fact form: title, answer, keys, tags and dates (Discord allows five inputs).

    ``save`` gets the parsed draft. A draft the core refuses for its content (validation,
    a key owned by another fact) is answered with the problems and an "Edit and resubmit"
    button that reopens the form with what was typed, so nothing typed is lost.
    """

    def __init__(self, title: str, values: Mapping[str, str], save: Save) -> None:
        super().__init__(title=shorten(title, MODAL_TITLE_LIMIT), timeout=FORM_TIMEOUT)
        self.save = save
        self.inputs: dict[str, ui.TextInput[FactForm]] = {}
        too_long = [spec for spec in _INPUTS if len(values.get(spec.name, "")) > spec.max_length]
        if too_long:
            spec = too_long[0]
            message = f"is too long to edit in a form (over {spec.max_length} characters)"
            raise ValidationError([Problem(message, field=spec.name)])
        for spec in _INPUTS:
            text_input: ui.TextInput[FactForm] = ui.TextInput(
                custom_id=spec.name,
                style=spec.style,
                default=values.get(spec.name) or None,
                required=spec.required,
                max_length=spec.max_length,
            )
            self.inputs[spec.name] = text_input
            self.add_item(ui.Label(text=spec.label, description=spec.hint, component=text_input))

    def typed(self) -> dict[str, str]:
        """What the moderator typed, by field."""
        return {name: text_input.value for name, text_input in self.inputs.items()}

    def refill(self, values: Mapping[str, str]) -> FactForm:
        """The same form again, filled with ``values`` (a submitted form cannot be reshown)."""
        return FactForm(self.title, values, self.save)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        return curator_check(interaction)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        destination = private(interaction)
        typed = self.typed()
        try:
            await self.save(destination, parse_form(typed))
        except (ValidationError, KeyConflict) as error:
            await offer_retry(destination, error, self.refill(typed))

    # Modal.on_error takes no item, unlike View.on_error; discord.py's stubs disagree.
    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await report(private(interaction), error, where=f"form {self.title!r}")


class RetryView(ui.View):
    """One button that reopens a refused form with what was typed."""

    def __init__(self, form: FactForm) -> None:
        super().__init__(timeout=RETRY_TIMEOUT)
        self.form = form

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        return curator_check(interaction)

    @ui.button(label="Edit and resubmit", style=discord.ButtonStyle.primary)
    async def reopen(self, interaction: discord.Interaction[Any], button: ui.Button[Any]) -> None:
        self.stop()  # each form can be shown once; a new refusal brings a new button
        await interaction.response.send_modal(self.form)

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: ui.Item[Any], /
    ) -> None:
        await report(private(interaction), error, where="form retry")


async def offer_retry(
    destination: InteractionDestination, error: Exception, form: FactForm
) -> None:
    """Say why the form was refused, with a button to fix it."""
    log.info("form refused: %s", type(error).__name__)
    text = user_message(error) if is_expected(error) else GENERIC
    await destination.send(text or GENERIC, view=RetryView(form), private=True)


async def before_form(call: Awaitable[T]) -> T:
    """A store call made before a form opens: a form cannot follow a deferral, so a slow
    store is :class:`~bot.async_store.Busy` rather than a click that never answers."""
    try:
        return await asyncio.wait_for(call, timeout=BEFORE_FORM)
    except TimeoutError:
        raise Busy("the store is too slow to open a form in time") from None


async def apply_change(
    bot: Services,
    to: InteractionDestination,
    call: Callable[[Curator], Outcome],
    *,
    suggest: bool = False,
) -> None:
    """Run one change as the interaction's user, answer them, and post it to the mod-log.

    With ``suggest`` (a fact saved from the form), the moderator's answer also lists the
    question keys derived from the fact's words, with an "Add suggested keys" button; the
    mod-log hears of the change only, as suggestions are no change.
    """
    user, guild_id = to.interaction.user, to.interaction.guild_id
    outcome = await to.soon(bot.store.curate(actor_of(user), guild_id, call))
    await _announce(bot, to, outcome, suggest=suggest)


async def _announce(
    bot: Services, to: InteractionDestination, outcome: Outcome, *, suggest: bool = False
) -> None:
    """Tell the moderator what a committed change did (with ``suggest``, and the question
    keys it suggests), and post the change to the mod-log."""
    reply = render_change(outcome.fact, outcome.revision)
    try:
        shown, view = reply, None
        if suggest and outcome.changed:
            shown, view = await _with_suggestions(bot, to, outcome.fact, reply)
        await to.send(shown, view=view, private=True)
    finally:  # the change is committed: the mod-log must hear of it whatever happens here
        if outcome.changed:
            await post_modlog(bot, reply)


async def _with_suggestions(
    bot: Services, to: InteractionDestination, fact: Fact, reply: Reply
) -> tuple[Reply, ui.View | None]:
    """``reply`` with the fact's suggested question keys and the button that adds them, or
    as it is when there are none (or they cannot be worked out: the change stands)."""
    user, guild_id = to.interaction.user, to.interaction.guild_id
    try:
        keys = await to.soon(
            bot.store.curate(actor_of(user), guild_id, lambda c: c.suggested_keys(fact.id))
        )
    except Exception:
        log.warning("could not derive suggested keys for %s", fact.id, exc_info=True)
        return reply, None
    if not keys:
        return reply, None
    view = ui.View(timeout=None)
    view.add_item(SuggestedKeysButton(fact.id, fact.rev))
    return replace(reply, embeds=(*reply.embeds, render_suggested_keys(fact, keys))), view


SUGGESTIONS_CHANGED: Final = (
    "`{fact_id}` changed since these keys were suggested (now rev {rev}): nothing was added. "
    "Save it again to see new suggestions, or add keys with /fact alias add."
)
SUGGESTED_REASON: Final = "suggested question keys"


class SuggestedKeysButton(
    ui.DynamicItem[ui.Button[Any]],
    template=re.compile(rf"sitrep:sk:(?P<rev>\d{{1,9}}):(?P<fact>{_FACT})"),
):
    """Adds the question keys suggested for a fact at revision ``rev``, in one revision.

    Its state is its custom_id, so it works after a restart; the keys are derived again from
    the fact, which gives the same keys as long as the fact is still at ``rev`` (otherwise
    nothing is added and the moderator is told why).
    """

    def __init__(self, fact_id: str, rev: int) -> None:
        super().__init__(
            ui.Button(
                label="Add suggested keys",
                style=discord.ButtonStyle.success,
                custom_id=f"sitrep:sk:{rev}:{fact_id}",
            )
        )
        self.fact_id = fact_id
        self.rev = rev

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> SuggestedKeysButton:
        return cls(match["fact"], int(match["rev"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            curator_check(interaction)
            await add_suggested_keys(interaction, self.fact_id, self.rev)
        except Exception as error:
            await report(private(interaction), error, where="add suggested keys")


async def add_suggested_keys(interaction: discord.Interaction[Any], fact_id: str, rev: int) -> None:
    """The "Add suggested keys" click: the keys added (a revision, posted to the mod-log),
    or why none were."""
    bot, to = _bot(interaction), private(interaction)
    result = await to.soon(
        bot.store.curate(
            actor_of(interaction.user),
            interaction.guild_id,
            lambda c: c.accept_suggested_keys(fact_id, rev, reason=SUGGESTED_REASON),
        )
    )
    if isinstance(result, int):
        await to.send(SUGGESTIONS_CHANGED.format(fact_id=fact_id, rev=result), private=True)
        return
    await _announce(bot, to, result)


def import_summary(plan: ImportPlan) -> Reply:
    """The dry run's summary, shown above Confirm and Cancel."""
    return Reply(embeds=(render_import(plan.report, plan.name, done=False),))


# --------------------------------------------------------------------------- history


class HistoryButton(
    ui.DynamicItem[ui.Button[Any]],
    template=re.compile(rf"sitrep:hist:(?P<page>\d{{1,4}}):(?P<dir>prev|next):(?P<fact>{_FACT})"),
):
    """Turns a page of /fact history; works after a restart (its state is its custom_id)."""

    def __init__(self, fact_id: str, page: int, direction: str, *, disabled: bool = False) -> None:
        super().__init__(
            ui.Button(
                label="◀ Newer" if direction == "prev" else "Older ▶",
                style=discord.ButtonStyle.secondary,
                custom_id=f"sitrep:hist:{page}:{direction}:{fact_id}",
                disabled=disabled,
            )
        )
        self.fact_id = fact_id
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> HistoryButton:
        return cls(match["fact"], int(match["page"]), match["dir"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            curator_check(interaction)
            await turn_history_page(interaction, self.fact_id, self.page)
        except Exception as error:
            await report(private(interaction), error, where="history page")


def history_view(fact_id: str, page: int, pages: int) -> ui.View | None:
    """Newer/Older buttons for page ``page`` of ``pages`` (none for a single page)."""
    if pages <= 1:
        return None
    view = ui.View(timeout=None)
    last = pages - 1
    view.add_item(HistoryButton(fact_id, max(page - 1, 0), "prev", disabled=page <= 0))
    view.add_item(HistoryButton(fact_id, min(page + 1, last), "next", disabled=page >= last))
    return view


async def turn_history_page(interaction: discord.Interaction[Any], fact_id: str, page: int) -> None:
    """Show page ``page`` of a fact's history in place (newer revisions may have arrived)."""
    bot = _bot(interaction)
    fact, revisions = await bot.store.curate(
        actor_of(interaction.user), interaction.guild_id, lambda c: c.fact_history(fact_id)
    )
    pages = render_history(fact, revisions)
    index = max(0, min(page, len(pages) - 1))
    await interaction.response.edit_message(
        embed=to_embed(pages[index]),
        view=history_view(fact.id, index, len(pages)),
        allowed_mentions=NO_PINGS,
    )


MODERATOR_ITEMS: tuple[type[ui.DynamicItem[Any]], ...] = (HistoryButton, SuggestedKeysButton)
"""Persistent buttons of the moderators' messages, registered by the curation cog."""
