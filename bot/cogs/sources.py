"""Moderators' source documents: ``/source add|list|remove``, the Discord side of
``sitrep ingest``, ``sitrep sources`` and ``sitrep unsource``.

``/source`` is guild-only with ``default_permissions(manage_guild=True)`` like ``/fact``, and
every subcommand carries the runtime check :data:`~bot.ui.moderation.moderators_only`. An
upload is checked whole before anything is stored (size by the attachment's own size before
it is downloaded, then the same reading and metadata checks as the CLI); adding and removing
both wait for the moderator's Confirm. Replies are private; changes go to the mod-log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from functools import partial
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from knowledge import validation
from knowledge.documents.errors import DocumentTooLarge
from knowledge.documents.meta import document_meta
from knowledge.documents.models import DOCUMENT_ACTIVE, DocumentMeta, ReadText
from knowledge.documents.read import MAX_BYTES, read_text
from knowledge.errors import DocumentNotFound
from knowledge.render.documents import (
    document_choices,
    document_preview,
    ingest_outcome,
    removal_outcome,
    removal_preview,
    render_sources,
)
from knowledge.render.parts import Reply

from ..services import Services
from ..ui.confirm import ConfirmView
from ..ui.moderation import actor_of, may_curate, moderators_only, post_modlog, private
from ..ui.replies import AUTOCOMPLETE_TIMEOUT, InteractionDestination, message_kwargs

log = logging.getLogger(__name__)

DocId = app_commands.Range[str, 1, validation.MAX_ID]
Text = app_commands.Range[str, 1, validation.MAX_TITLE]
Where = app_commands.Range[str, 1, validation.MAX_URL]
Day = app_commands.Range[str, 1, 20]


class SourceCog(commands.Cog, name="Source documents"):
    """Add, list and remove the documents unreviewed passage answers come from."""

    source = app_commands.Group(
        name="source",
        description="Source documents Sitrep answers from (moderators).",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: Services) -> None:
        self.bot = bot

    @source.command(name="add")
    @moderators_only
    @app_commands.describe(
        file="The document: .txt, .md or .html, UTF-8, up to 20 MB",
        title="Its title (default: its own heading)",
        publisher="Who published it",
        date="When it was published (YYYY-MM-DD)",
        url="Where it is published (http or https)",
        id="Its id, a lowercase slug (default: from the file name)",
    )
    async def add(
        self,
        interaction: discord.Interaction[Any],
        file: discord.Attachment,
        title: Text = "",
        publisher: Text = "",
        date: Day = "",
        url: Where = "",
        id: DocId = "",
    ) -> None:
        """Add a source document: it is checked and shown to you; nothing is stored until you
        confirm."""
        to = private(interaction)
        fields = {"id": id, "title": title, "publisher": publisher, "date": date, "url": url}
        read, meta = await to.soon(checked_upload(file, fields))
        current = await to.soon(self.bot.store.source(meta.id))
        view = ConfirmView(
            interaction,
            partial(self._ingest, read, meta, file.filename),
            confirm_label="Add document",
            cancelled="Not added: nothing changed.",
            expired="This confirmation expired: nothing was added. Run /source add again.",
        )
        preview = document_preview(meta, file.filename, file.size, current)
        await to.send(Reply(embeds=(preview,)), view=view, private=True)

    async def _ingest(
        self, read: ReadText, meta: DocumentMeta, file_name: str, to: InteractionDestination
    ) -> None:
        actor = actor_of(to.interaction.user)
        result = await to.soon(
            self.bot.store.ingest_document(read, meta, actor=actor, file_name=file_name)
        )
        reply = ingest_outcome(result, meta, actor)
        try:
            await to.interaction.edit_original_response(**message_kwargs(reply))
        finally:  # the document is stored: the mod-log must hear of it whatever happens here
            if result.outcome != "unchanged":
                await post_modlog(self.bot, reply)

    @source.command(name="list")
    @moderators_only
    @app_commands.rename(include_removed="all")
    @app_commands.describe(include_removed="Also list removed documents (default: no)")
    async def list_(
        self, interaction: discord.Interaction[Any], include_removed: bool = False
    ) -> None:
        """The ingested source documents, newest first: id, version, passages, date, title."""
        to = private(interaction)
        rows = await to.soon(self.bot.store.sources(include_removed=include_removed))
        await to.send(render_sources(rows, include_removed=include_removed), private=True)

    @source.command(name="remove")
    @moderators_only
    @app_commands.describe(id="The document's id, as /source list shows it (suggested as you type)")
    async def remove(self, interaction: discord.Interaction[Any], id: DocId) -> None:
        """Stop a source document answering questions (kept for the quotes that cite it)."""
        to = private(interaction)
        doc_id = id.strip()
        row = await to.soon(self.bot.store.source(doc_id))
        if row is None:
            raise DocumentNotFound(doc_id)
        if row.status != DOCUMENT_ACTIVE:
            await to.send(removal_outcome(doc_id, False, actor_of(interaction.user)), private=True)
            return
        view = ConfirmView(
            interaction,
            partial(self._remove, doc_id),
            confirm_label="Remove document",
            destructive=True,
            cancelled="Not removed: nothing changed.",
            expired="This confirmation expired: nothing was removed. Run /source remove again.",
        )
        await to.send(Reply(embeds=(removal_preview(row),)), view=view, private=True)

    async def _remove(self, document_id: str, to: InteractionDestination) -> None:
        actor = actor_of(to.interaction.user)
        changed = await to.soon(self.bot.store.remove_source(document_id, actor=actor))
        reply = removal_outcome(document_id, changed, actor)
        try:
            await to.interaction.edit_original_response(**message_kwargs(reply))
        finally:
            if changed:
                await post_modlog(self.bot, reply)

    @remove.autocomplete("id")
    async def id_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Active documents' ids, for moderators only; nothing when slow or failing."""
        if not may_curate(interaction):
            return []
        try:
            rows = await asyncio.wait_for(self.bot.store.sources(), AUTOCOMPLETE_TIMEOUT)
        except Exception:
            log.warning("source id autocomplete failed", exc_info=True)
            return []
        return [
            app_commands.Choice(name=c.name, value=c.value) for c in document_choices(rows, current)
        ]


async def checked_upload(
    file: discord.Attachment, fields: Mapping[str, str]
) -> tuple[ReadText, DocumentMeta]:
    """An uploaded document read and checked as ``sitrep ingest`` does, or a ``DocumentError``.

    Too large by the attachment's size is refused before downloading; reading and parsing
    (up to 20 MB of text) run in a worker thread, off the event loop.
    """
    if file.size > MAX_BYTES:
        raise DocumentTooLarge(file.filename, MAX_BYTES)
    data = await file.read()
    return await asyncio.to_thread(_checked, data, file.filename, fields)


def _checked(data: bytes, name: str, fields: Mapping[str, str]) -> tuple[ReadText, DocumentMeta]:
    read = read_text(data, name)
    return read, document_meta(name, fields, read)
