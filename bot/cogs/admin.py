"""Moderators' commands: ``/fact add|edit|alias|source|retire|restore|lock|unlock|history|
revert|import|export|gaps``.

``/fact`` is guild-only with ``default_permissions(manage_guild=True)``, which hides it from
members in the client (a hint server admins may override, and the reason members look up
facts with the top-level ``/show``). Every subcommand also carries the runtime check
:func:`bot.ui.moderation.curator_check`. Each callback is parse → core (a
:class:`~knowledge.curation.Curator` on the store's thread) → render → send; every change
is answered privately and posted to the mod-log.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from knowledge import validation
from knowledge.curation.curator import Curator, ImportPlan, Outcome
from knowledge.curation.drafts import DATES, FactDraft, form_values, parse_fact_id, parse_source
from knowledge.curation.history import revision_heading
from knowledge.curation.tomlfile import MAX_FILE_BYTES
from knowledge.errors import Problem, ValidationError
from knowledge.models import Fact, Source
from knowledge.render.moderation import (
    fact_choices,
    render_history,
    render_import,
    source_choices,
)
from knowledge.render.parts import CHOICES_PER_RESPONSE, Reply, plain

from ..services import Services
from ..ui.confirm import ConfirmView
from ..ui.gap_views import GapSelect, gaps_reply, gaps_view, load_gaps
from ..ui.moderation import (
    MODERATOR_ITEMS,
    FactForm,
    actor_of,
    apply_change,
    before_form,
    guild_of,
    history_view,
    import_summary,
    may_curate,
    moderators_only,
    post_modlog,
    private,
)
from ..ui.replies import AUTOCOMPLETE_TIMEOUT, NO_PINGS, InteractionDestination, to_embed

log = logging.getLogger(__name__)
T = TypeVar("T")

FactId = app_commands.Range[str, 1, validation.MAX_ID]
Key = app_commands.Range[str, 1, validation.MAX_KEY]
Reason = app_commands.Range[str, 1, 500]
Quote = app_commands.Range[str, 1, validation.MAX_QUOTE]
Where = app_commands.Range[str, 1, validation.MAX_URL]
Text = app_commands.Range[str, 1, validation.MAX_TITLE]
Day = app_commands.Range[str, 1, 20]
Rev = app_commands.Range[int, 1, 1_000_000]
SourceNumber = app_commands.Range[int, 1, validation.MAX_SOURCES]
Days = app_commands.Range[int, 1, 90]

_ID = "The fact's id, for example: jnim-leadership"
_REASON = "Why (kept with the revision and shown in the mod-log)"
_SOURCE = "A source document id (suggested as you type), or an http(s) URL"
_QUOTE = "The exact words of the source that the fact rests on"


class AdminCog(commands.Cog, name="Moderators"):
    """Curate the facts: every change is validated, recorded as a revision and reversible."""

    fact = app_commands.Group(
        name="fact",
        description="Curate Sitrep's facts (moderators).",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )
    alias = app_commands.Group(name="alias", description="Keys of a fact.", parent=fact)
    source = app_commands.Group(name="source", description="Sources of a fact.", parent=fact)

    def __init__(self, bot: Services) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        # The persistent buttons and menus of the moderators' replies (history pages, gaps).
        self.bot.add_dynamic_items(*MODERATOR_ITEMS, GapSelect)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*MODERATOR_ITEMS, GapSelect)

    # ------------------------------------------------------------------ forms

    @fact.command(name="add")
    @moderators_only
    @app_commands.describe(
        id="The new fact's id: a lowercase slug, e.g. jnim-leadership",
        source=_SOURCE,
        quote=_QUOTE,
        source_title="For a URL source: its title",
        source_publisher="For a URL source: who published it",
        source_date="For a URL source: when it was published (YYYY-MM-DD)",
        reason=_REASON,
    )
    async def add(
        self,
        interaction: discord.Interaction[Any],
        id: FactId,
        source: Where,
        quote: Quote,
        source_title: Text = "",
        source_publisher: Text = "",
        source_date: Day = "",
        reason: Reason = "",
    ) -> None:
        """Add a fact: give its id and first source here, then fill in the form."""
        fact_id = parse_fact_id(id)
        cited = parse_source(
            source, quote, title=source_title, publisher=source_publisher, published=source_date
        )
        checked, today = await self._before_form(
            interaction, lambda c: (c.check_new(fact_id, cited), c.today)
        )
        save = partial(self._save_new, fact_id, checked, reason)
        form = FactForm(f"New fact {fact_id}", {DATES: today.isoformat()}, save)
        await interaction.response.send_modal(form)

    @fact.command(name="edit")
    @moderators_only
    @app_commands.describe(id=_ID, reason=_REASON)
    async def edit(
        self, interaction: discord.Interaction[Any], id: FactId, reason: Reason = ""
    ) -> None:
        """Edit a fact's title, answer, keys, tags and dates in a form filled with them."""
        fact = await self._before_form(interaction, lambda c: c.editable(id.strip()))
        save = partial(self._save_edit, fact, reason)
        await interaction.response.send_modal(FactForm(f"Edit {fact.id}", form_values(fact), save))

    async def _save_new(
        self,
        fact_id: str,
        source: Source,
        reason: str,
        to: InteractionDestination,
        draft: FactDraft,
    ) -> None:
        await apply_change(
            self.bot, to, lambda c: c.add(fact_id, draft, source, reason=reason), suggest=True
        )

    async def _save_edit(
        self, base: Fact, reason: str, to: InteractionDestination, draft: FactDraft
    ) -> None:
        await apply_change(self.bot, to, lambda c: c.edit(base, draft, reason=reason), suggest=True)

    # ------------------------------------------------------------------ keys and sources

    @alias.command(name="add")
    @moderators_only
    @app_commands.describe(
        id=_ID, key="A way people ask for it, e.g. who runs JNIM", reason=_REASON
    )
    async def alias_add(
        self, interaction: discord.Interaction[Any], id: FactId, key: Key, reason: Reason = ""
    ) -> None:
        """Give a fact one more key: a phrase people use to ask for it."""
        await self._act(interaction, lambda c: c.add_key(id.strip(), key, reason=reason))

    @alias.command(name="remove")
    @moderators_only
    @app_commands.describe(
        id=_ID, key="The key to remove (case and spacing do not matter)", reason=_REASON
    )
    async def alias_remove(
        self, interaction: discord.Interaction[Any], id: FactId, key: Key, reason: Reason = ""
    ) -> None:
        """Take a key off a fact; it is then free for another fact."""
        await self._act(interaction, lambda c: c.remove_key(id.strip(), key, reason=reason))

    @source.command(name="add")
    @moderators_only
    @app_commands.describe(
        id=_ID,
        source=_SOURCE,
        quote=_QUOTE,
        source_title="For a URL source: its title",
        source_publisher="For a URL source: who published it",
        source_date="For a URL source: when it was published (YYYY-MM-DD)",
        reason=_REASON,
    )
    async def source_add(
        self,
        interaction: discord.Interaction[Any],
        id: FactId,
        source: Where,
        quote: Quote,
        source_title: Text = "",
        source_publisher: Text = "",
        source_date: Day = "",
        reason: Reason = "",
    ) -> None:
        """Cite one more source; the quote must occur in the document."""
        cited = parse_source(
            source, quote, title=source_title, publisher=source_publisher, published=source_date
        )
        await self._act(interaction, lambda c: c.add_source(id.strip(), cited, reason=reason))

    @source.command(name="remove")
    @moderators_only
    @app_commands.describe(
        id=_ID, number="The source's number, as /sources lists them", reason=_REASON
    )
    async def source_remove(
        self,
        interaction: discord.Interaction[Any],
        id: FactId,
        number: SourceNumber,
        reason: Reason = "",
    ) -> None:
        """Remove one of a fact's sources (a fact keeps at least one)."""
        await self._act(interaction, lambda c: c.remove_source(id.strip(), number, reason=reason))

    # ------------------------------------------------------------------ state

    @fact.command(name="retire")
    @moderators_only
    @app_commands.describe(id=_ID, reason=_REASON)
    async def retire(
        self, interaction: discord.Interaction[Any], id: FactId, reason: Reason = ""
    ) -> None:
        """Take a fact out of service; it keeps its history and /fact restore brings it back."""
        await self._act(interaction, lambda c: c.retire(id.strip(), reason=reason))

    @fact.command(name="restore")
    @moderators_only
    @app_commands.describe(id=_ID, reason=_REASON)
    async def restore(
        self, interaction: discord.Interaction[Any], id: FactId, reason: Reason = ""
    ) -> None:
        """Put a retired fact back in service (its keys must still be free)."""
        await self._act(interaction, lambda c: c.restore(id.strip(), reason=reason))

    @fact.command(name="lock")
    @moderators_only
    @app_commands.describe(id=_ID, reason=_REASON)
    async def lock(
        self, interaction: discord.Interaction[Any], id: FactId, reason: Reason = ""
    ) -> None:
        """Protect a fact: nothing can change it until it is unlocked."""
        await self._act(interaction, lambda c: c.lock(id.strip(), reason=reason))

    @fact.command(name="unlock")
    @moderators_only
    @app_commands.describe(id=_ID, reason=_REASON)
    async def unlock(
        self, interaction: discord.Interaction[Any], id: FactId, reason: Reason = ""
    ) -> None:
        """Lift a fact's lock."""
        await self._act(interaction, lambda c: c.unlock(id.strip(), reason=reason))

    # ------------------------------------------------------------------ history

    @fact.command(name="history")
    @moderators_only
    @app_commands.describe(id=_ID)
    async def history(self, interaction: discord.Interaction[Any], id: FactId) -> None:
        """Every change of a fact, newest first: who, when, and what changed."""
        to = private(interaction)
        fact, revisions = await to.soon(
            self._curate(interaction, lambda c: c.fact_history(id.strip()))
        )
        pages = render_history(fact, revisions)
        await to.send(
            Reply(embeds=pages[:1]), view=history_view(fact.id, 0, len(pages)), private=True
        )

    @fact.command(name="revert")
    @moderators_only
    @app_commands.describe(
        id=_ID, rev="The revision whose state to bring back (see /fact history)", reason=_REASON
    )
    async def revert(
        self, interaction: discord.Interaction[Any], id: FactId, rev: Rev, reason: Reason = ""
    ) -> None:
        """Bring back a fact as it was right after revision REV (recorded as a new revision)."""
        await self._act(interaction, lambda c: c.revert(id.strip(), rev, reason=reason))

    # ------------------------------------------------------------------ files

    @fact.command(name="import")
    @moderators_only
    @app_commands.describe(
        file="A fact file (TOML), e.g. from /fact export",
        replace="Also retire active facts the file does not contain (default: no)",
    )
    async def import_(
        self, interaction: discord.Interaction[Any], file: discord.Attachment, replace: bool = False
    ) -> None:
        """Check a fact file and show what it would change; nothing happens until you confirm."""
        to = private(interaction)
        data = await to.soon(_read_upload(file))
        plan = await to.soon(
            self._curate(interaction, lambda c: c.plan_import(data, file.filename, replace=replace))
        )
        view = None
        if _has_work(plan):
            view = ConfirmView(
                interaction,
                lambda to: self._run_import(to, plan),
                confirm_label="Confirm import",
                cancelled="Import cancelled: nothing changed.",
                expired="This import expired: nothing changed. Run /fact import again.",
                destructive=True,  # an import may overwrite answers and retire facts
            )
        await to.send(import_summary(plan), view=view, private=True)

    async def _run_import(self, to: InteractionDestination, plan: ImportPlan) -> None:
        report = await to.soon(self._curate(to.interaction, lambda c: c.run_import(plan)))
        done = render_import(report, plan.name, done=True, by=actor_of(to.interaction.user))
        await to.interaction.edit_original_response(embed=to_embed(done), allowed_mentions=NO_PINGS)
        await post_modlog(self.bot, Reply(embeds=(done,)))

    @fact.command(name="export")
    @moderators_only
    async def export(self, interaction: discord.Interaction[Any]) -> None:
        """Download the active facts as one fact file (for /fact import or sitrep import)."""
        to = private(interaction)
        name, text = await to.soon(self._curate(interaction, lambda c: c.export()))
        file = discord.File(io.BytesIO(text.encode("utf-8")), filename=name)
        await to.send(f"The active facts as a fact file: `{name}`.", private=True, files=[file])

    # ------------------------------------------------------------------ gaps

    @fact.command(name="gaps")
    @moderators_only
    @app_commands.describe(days="How many days back to look (1 to 90; default 7)")
    async def gaps(self, interaction: discord.Interaction[Any], days: Days = 7) -> None:
        """Questions Sitrep could not answer, grouped and counted, with the closest facts."""
        destination = private(interaction)
        report = await destination.soon(load_gaps(self.bot, guild_of(interaction), days))
        await destination.send(gaps_reply(report, days), view=gaps_view(report, days), private=True)

    # ------------------------------------------------------------------ autocomplete

    @add.autocomplete("source")
    @source_add.autocomplete("source")
    async def source_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        documents = await self._suggest(interaction, lambda c: list(c.store.documents().values()))
        typed = current.casefold()
        return [
            app_commands.Choice(name=plain(f"{doc.title} ({doc.id})", 100), value=doc.id)
            for doc in documents
            if typed in doc.id or typed in doc.title.casefold()
        ][:CHOICES_PER_RESPONSE]

    @edit.autocomplete("id")
    @alias_add.autocomplete("id")
    @alias_remove.autocomplete("id")
    @source_add.autocomplete("id")
    @source_remove.autocomplete("id")
    @retire.autocomplete("id")
    @restore.autocomplete("id")
    @lock.autocomplete("id")
    @unlock.autocomplete("id")
    @history.autocomplete("id")
    @revert.autocomplete("id")
    async def id_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        facts = await self._suggest(interaction, lambda c: c.store.facts(include_retired=True))
        return [
            app_commands.Choice(name=c.name, value=c.value) for c in fact_choices(facts, current)
        ]

    @source_remove.autocomplete("number")
    async def number_autocomplete(
        self, interaction: discord.Interaction[Any], current: int
    ) -> list[app_commands.Choice[int]]:
        fact_id = str(getattr(interaction.namespace, "id", "") or "").strip()
        found = await self._suggest(interaction, lambda c: [f for f in [c.find(fact_id)] if f])
        choices = source_choices(found[0]) if found else []
        return [app_commands.Choice(name=c.name, value=int(c.value)) for c in choices]

    @revert.autocomplete("rev")
    async def rev_autocomplete(
        self, interaction: discord.Interaction[Any], current: int
    ) -> list[app_commands.Choice[int]]:
        fact_id = str(getattr(interaction.namespace, "id", "") or "").strip()
        revisions = await self._suggest(interaction, lambda c: c.revisions_of(fact_id))
        return [
            app_commands.Choice(name=plain(revision_heading(rev), 100), value=rev.rev)
            for rev in reversed(revisions[-CHOICES_PER_RESPONSE:])
        ]

    # ------------------------------------------------------------------ shared steps

    def _curate(
        self, interaction: discord.Interaction[Any], call: Callable[[Curator], T]
    ) -> Awaitable[T]:
        """The store call for ``call``, made as the interaction's user in its guild."""
        return self.bot.store.curate(actor_of(interaction.user), interaction.guild_id, call)

    async def _act(
        self, interaction: discord.Interaction[Any], call: Callable[[Curator], Outcome]
    ) -> None:
        await self._apply(private(interaction), call)

    async def _apply(self, to: InteractionDestination, call: Callable[[Curator], Outcome]) -> None:
        await apply_change(self.bot, to, call)

    async def _before_form(
        self, interaction: discord.Interaction[Any], call: Callable[[Curator], T]
    ) -> T:
        return await before_form(self._curate(interaction, call))

    async def _suggest(
        self, interaction: discord.Interaction[Any], call: Callable[[Curator], list[T]]
    ) -> list[T]:
        """Autocomplete data for moderators only; nothing (rather than an error nobody sees)
        for anyone else, or when slow or failing."""
        if not may_curate(interaction):
            return []
        try:
            result: list[T] = await asyncio.wait_for(
                self._curate(interaction, call), AUTOCOMPLETE_TIMEOUT
            )
        except Exception:
            log.warning("moderator autocomplete failed", exc_info=True)
            return []
        return result


async def _read_upload(file: discord.Attachment) -> bytes:
    """An attachment's bytes, refusing a file too large before downloading it."""
    if file.size > MAX_FILE_BYTES:
        message = f"the file is larger than {MAX_FILE_BYTES // 1024} KiB"
        raise ValidationError([Problem(message, file=file.filename)])
    return await file.read()


def _has_work(plan: ImportPlan) -> bool:
    report = plan.report
    return bool(report.added or report.changed or report.retired)
