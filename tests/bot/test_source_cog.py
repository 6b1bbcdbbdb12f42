"""/source add|list|remove through simcord: moderators add a document with a confirm step,
members are then answered from its passages, and removing it stops that.

The report is dated inside the test clock (2025-11-20), as in test_passage_answers.py.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import discord
import pytest
import pytest_asyncio
import simcord
from conftest import World
from mod_helpers import REFUSED, Mods, make_mods
from test_bot_safety import assert_no_pings, assert_within_limits

from bot.errors import unwrap
from bot.ui.confirm import ConfirmView
from knowledge.documents.meta import document_meta
from knowledge.documents.models import DocumentVersion
from knowledge.documents.read import MAX_BYTES, read_text

REPORT = Path(__file__).resolve().parents[2] / "eval" / "docs" / "sahel-wire-2026-11-20.md"
DOC = "sahel-wire-2026-11-20"
QUESTION = "when was the cholera outbreak confirmed"
DETAILS = {"publisher": "Sahel Wire", "date": "2025-11-10", "url": "https://example.org/sahel-wire"}
UNREVIEWED = "Unreviewed source: "
GOOD = b"A short report.\n\nThe convoy reached Gao on Monday after two days on the road.\n"

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def mods(world: World) -> Mods:
    """Moderators in the world's guild; the role may see /source as it may see /fact."""
    mods = make_mods(world)
    command = world.env.backend.find_command("source", None)
    assert command is not None
    world.guild.set_command_permissions(int(command["id"]), {mods.role: True})
    return mods


def _open_to_everyone(world: World) -> None:
    """A server admin lets @everyone see /source: the runtime check is then all that is left."""
    command = world.env.backend.find_command("source", None)
    assert command is not None
    world.guild.set_command_permissions(int(command["id"]), {world.guild.default_role: True})


def _report() -> tuple[str, bytes]:
    return (REPORT.name, REPORT.read_bytes())


async def _preview(mods: Mods, **options: Any) -> simcord.InteractionResult:
    options.setdefault("file", _report())
    return await mods.curator.slash(mods.world.channel, "source add", **options)


async def _add(mods: Mods, **options: Any) -> simcord.InteractionResult:
    """/source add, then Confirm; the result of the click."""
    shown = await _preview(mods, **(DETAILS | options))
    assert shown.response is not None
    return await mods.curator.click(shown.response, label="Add document")


async def _sources(world: World) -> list[DocumentVersion]:
    return await world.bot.store.run(lambda d: d.documents.sources(include_removed=True))


async def _asked_title(world: World) -> str:
    """What a member's /ask of the question the report answers leads with: the embed's
    title, or the text of a miss."""
    result = await world.alice.slash(world.channel, "ask", query=QUESTION)
    assert result.response is not None
    embeds = result.response.embeds
    return str(embeds[0].title) if embeds else result.response.content


def _fields(result: simcord.InteractionResult) -> dict[str, str]:
    assert result.response is not None
    return {f.name: f.value for f in result.response.embeds[0].fields}


def _handled(world: World) -> list[str]:
    """The errors the bot's handlers dealt with (and answered), by name."""
    return [type(unwrap(e)).__name__ for e in world.env.errors]


# --------------------------------------------------------------------------- add


async def test_add_confirm_then_a_member_is_answered_from_the_passage(mods: Mods) -> None:
    """The preview shows the details and stores nothing; Confirm ingests as the moderator,
    says what it did, posts to the mod-log; a member's /ask is answered from a passage."""
    world = mods.world
    assert not (await _asked_title(world)).startswith(UNREVIEWED)
    shown = await _preview(mods, **DETAILS)
    assert shown.acknowledged and shown.ephemeral
    assert shown.response.embeds[0].title == "Add this source document?"
    fields = _fields(shown)
    assert (fields["Id"], fields["Publisher"], fields["Date"]) == (
        f"`{DOC}`",
        "Sahel Wire",
        "2025-11-10",
    )
    assert fields["URL"] == DETAILS["url"]
    assert "Niger declares humanitarian emergency" in fields["Title"]
    assert await _sources(world) == []

    done = await mods.curator.click(shown.response, label="Add document")
    assert done.acknowledged and done.response.ephemeral
    (row,) = await _sources(world)
    assert done.response.content == f"added: `{DOC}` v1 ({row.passages} passages)."
    assert row.passages > 0
    assert row.ingested_by == f"discord:{mods.curator.id}"
    assert done.response.components == []  # the buttons are gone
    (post,) = mods.modlog_posts()
    assert DOC in str(post["embeds"]) and f"<@{mods.curator.id}>" in str(post["embeds"])

    assert (await _asked_title(world)).startswith(UNREVIEWED)
    assert not world.env.errors
    assert_no_pings(world)


async def test_adding_the_same_file_again_changes_nothing(mods: Mods) -> None:
    """The preview says the document is stored; Confirm reports unchanged with the same
    passage count, writes no new version and posts nothing to the mod-log."""
    first = await _add(mods)
    before = await _sources(mods.world)
    shown = await _preview(mods, **DETAILS)
    assert "Already stored" in _fields(shown)
    again = await mods.curator.click(shown.response, label="Add document")
    assert again.response.content == f"unchanged: `{DOC}` v1 ({before[0].passages} passages)."
    assert first.response.content.startswith("added:")
    assert await _sources(mods.world) == before
    assert len(mods.modlog_posts()) == 1


async def test_a_changed_file_is_a_new_version(mods: Mods) -> None:
    """Changed content under the same id becomes version 2."""
    await _add(mods, file=("gao.txt", GOOD))
    changed = await _add(mods, file=("gao.txt", GOOD + b"\nThe road was reopened on Friday.\n"))
    assert changed.response.content.startswith("new version: `gao` v2 (")
    assert [row.version for row in await _sources(mods.world)] == [2]


async def test_cancel_changes_nothing(mods: Mods) -> None:
    """Cancel says so, stores nothing, posts nothing, and members are not answered from it."""
    shown = await _preview(mods, **DETAILS)
    cancelled = await mods.curator.click(shown.response, label="Cancel")
    assert cancelled.response.content == "Not added: nothing changed."
    assert cancelled.response.embeds == [] and cancelled.response.components == []
    assert await _sources(mods.world) == []
    assert mods.modlog_posts() == []
    assert not (await _asked_title(mods.world)).startswith(UNREVIEWED)


async def test_confirm_is_refused_once_the_moderator_is_no_longer_one(mods: Mods) -> None:
    """The check runs again on the click: a moderator who lost the role stores nothing."""
    world = mods.world
    shown = await _preview(mods, **DETAILS)
    world.bot.settings = dataclasses.replace(world.bot.settings, mod_role_id=None)
    clicked = await mods.curator.click(shown.response, label="Add document")
    assert clicked.response.content == REFUSED
    assert await _sources(world) == []
    assert _handled(world) == ["NotModerator"]


async def test_only_the_invoking_moderator_may_click() -> None:
    """Another user's click on the buttons is ignored (an ephemeral preview is shown to its
    moderator only, so this is the second line of defence)."""

    async def run(to: Any) -> None:
        raise AssertionError("must not run")

    origin: Any = SimpleNamespace(user=SimpleNamespace(id=1))
    view = ConfirmView(origin, run, confirm_label="Add document", cancelled="", expired="")
    other: Any = SimpleNamespace(user=SimpleNamespace(id=2))
    assert await view.interaction_check(other) is False
    assert view.confirm.label == "Add document"


@pytest.mark.parametrize(
    ("destructive", "style"),
    [(False, discord.ButtonStyle.success), (True, discord.ButtonStyle.danger)],
)
async def test_confirm_is_red_only_for_what_takes_something_away(
    destructive: bool, style: discord.ButtonStyle
) -> None:
    """Adding confirms in green, removing in red; Cancel stays grey."""

    async def run(to: Any) -> None:
        raise AssertionError("must not run")

    origin: Any = SimpleNamespace(user=SimpleNamespace(id=1))
    view = ConfirmView(
        origin, run, confirm_label="Go", cancelled="", expired="", destructive=destructive
    )
    assert (view.confirm.style, view.cancel.style) == (style, discord.ButtonStyle.secondary)


async def test_a_member_is_refused_and_nothing_is_stored(mods: Mods) -> None:
    """With /source opened to everyone, a member with Manage Messages is still refused."""
    world = mods.world
    _open_to_everyone(world)
    for name, options in (
        ("source add", {"file": _report()}),
        ("source list", {}),
        ("source remove", {"id": DOC}),
    ):
        result = await world.mod.slash(world.channel, name, **options)
        assert result.ephemeral and result.response.content == REFUSED, name
    assert await _sources(world) == []
    assert _handled(world) == ["NotModerator"] * 3


BIDI = "A report.\n\nThe convoy \u202ereached\u202c Gao on Monday.\n".encode()
BAD_INPUTS = [
    pytest.param(
        "empty.md", b" \n\n \n", {}, "EmptyDocument", "empty.md: the file is empty", id="empty",
    ),
    pytest.param(
        "data.txt", b"PK\x03\x04\x00\x00binary", {}, "BinaryDocument",
        "data.txt: looks like a binary", id="binary",
    ),
    pytest.param(
        "latin.txt", "Le convoi est arrivé à Gao.".encode("latin-1"), {}, "NotUtf8",
        "latin.txt: is not UTF-8 text", id="non-utf8",
    ),
    pytest.param(
        "huge.txt", b"a" * (MAX_BYTES + 1), {}, "DocumentTooLarge",
        "huge.txt: is larger than the 20 MB limit", id="oversize",
    ),
    pytest.param(
        "bidi.md", BIDI, {}, "InvisibleCharacters",
        "bidi.md: contains invisible or bidi control characters (U+202E", id="bidi",
    ),
    pytest.param(
        "gao.txt", GOOD, {"url": "ftp://example.org/gao"}, "BadMetadata",
        "gao.txt: url: must be an http:// or https:// address", id="bad-url",
    ),
    pytest.param(
        "gao.txt", GOOD, {"date": "20-11-2025"}, "BadMetadata",
        "gao.txt: date: must be a date written YYYY-MM-DD", id="bad-date",
    ),
    pytest.param(
        "gao.txt", GOOD, {"date": "2025-02-30"}, "BadMetadata",
        "gao.txt: date: '2025-02-30' is not a real date", id="impossible-date",
    ),
    pytest.param(
        "report.pdf", b"%PDF-1.7 not text", {}, "UnsupportedFormat",
        "report.pdf: cannot read .pdf", id="pdf",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "data", "options", "error", "says"), BAD_INPUTS)
async def test_bad_uploads_get_a_short_error_and_change_nothing(
    mods: Mods,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    data: bytes,
    options: dict[str, str],
    error: str,
    says: str,
) -> None:
    """Each refusal is private, names the file and what is wrong, offers no buttons and
    stores nothing; a file too large by its attachment size is never downloaded."""
    world = mods.world
    if error == "DocumentTooLarge":

        async def never(self: discord.Attachment, **kwargs: Any) -> bytes:
            raise AssertionError("an oversized attachment was downloaded")

        monkeypatch.setattr(discord.Attachment, "read", never)
    result = await _preview(mods, file=(name, data), **options)
    assert result.acknowledged and result.ephemeral
    content = result.response.content
    assert content.startswith("Can't use that document: ")
    assert content.endswith("Nothing was changed.")
    assert says in content, content
    assert len(content) < 400
    assert result.response.components == []
    assert _handled(world) == [error]
    assert await _sources(world) == []
    assert mods.modlog_posts() == []


async def test_document_text_is_shown_literally_and_pings_no_one(mods: Mods) -> None:
    """A title and publisher full of markdown and mentions are escaped in the preview."""
    shown = await _preview(
        mods, file=("gao.txt", GOOD), title="**Bold** @everyone <@1>", publisher="_x_ @here"
    )
    fields = _fields(shown)
    assert fields["Title"].startswith("\\*\\*Bold\\*\\* @\u200beveryone")
    assert "<@" not in fields["Title"]
    assert fields["Publisher"] == "\\_x\\_ @\u200bhere"
    assert_no_pings(mods.world)


# --------------------------------------------------------------------------- list


async def test_list_shows_active_documents_and_all_shows_removed_ones(mods: Mods) -> None:
    """Empty at first; then one line per document; a removed one only with all:True."""
    world = mods.world
    empty = await mods.curator.slash(world.channel, "source list")
    assert empty.ephemeral
    assert empty.response.content == "No active source documents: add one with /source add."
    await _add(mods)
    await _add(mods, file=("gao.txt", GOOD))
    await world.bot.store.remove_source("gao", actor="cli:someone")

    listed = await mods.curator.slash(world.channel, "source list")
    embed = listed.response.embeds[0]
    assert embed.title == "Active source documents (1)"
    assert f"`{DOC}` v1 · " in embed.description and "2025-11-10" in embed.description
    assert "`gao`" not in embed.description

    every = await mods.curator.slash(world.channel, "source list", all=True)
    embed = every.response.embeds[0]
    assert embed.title == "Source documents (2)"
    assert "`gao` v1" in embed.description and "[removed]" in embed.description
    assert not world.env.errors


async def test_a_long_list_is_cut_to_fit_with_a_count(mods: Mods) -> None:
    """Sixty documents fit one embed: the newest lines, then how many more there are."""
    world = mods.world
    text = GOOD.decode()

    def ingest_many(desk: Any) -> None:
        for n in range(60):
            name = f"report-{n:02d}-{'long-title-' * 6}.txt"
            read = read_text(f"{text}Report number {n}.\n".encode(), name)
            desk.documents.ingest(read, document_meta(name, {}, read), actor="cli:someone")

    await world.bot.store.run(ingest_many)
    listed = await mods.curator.slash(world.channel, "source list")
    body = listed.response.embeds[0].to_dict()
    assert_within_limits(body)
    assert body["title"] == "Active source documents (60)"
    assert "more (the full list: sitrep sources on the host)" in body["description"]


# --------------------------------------------------------------------------- remove


async def test_remove_with_confirm_stops_the_answers(mods: Mods) -> None:
    """Remove asks first; Confirm removes it as the moderator, tells the mod-log, and the
    question is no longer answered from it; removing again says it already was."""
    world = mods.world
    await _add(mods)
    shown = await mods.curator.slash(world.channel, "source remove", id=DOC)
    assert shown.ephemeral
    assert shown.response.embeds[0].title == "Remove this source document?"
    assert (await _sources(world))[0].status == "active"

    done = await mods.curator.click(shown.response, label="Remove document")
    assert done.response.content == f"`{DOC}` removed."
    assert (await _sources(world))[0].status == "removed"
    events = await world.bot.store.run(lambda d: d.documents.events(DOC))
    assert events[-1][1:3] == ("remove", f"discord:{mods.curator.id}")
    assert len(mods.modlog_posts()) == 2  # the add and the removal
    assert not (await _asked_title(world)).startswith(UNREVIEWED)

    again = await mods.curator.slash(world.channel, "source remove", id=DOC)
    assert again.response.content == f"`{DOC}` was already removed: nothing changed."
    assert again.response.components == []
    assert not world.env.errors
    assert_no_pings(world)


async def test_adding_a_removed_document_again_restores_it(mods: Mods) -> None:
    """The same file after a removal: restored, and answering again."""
    await _add(mods)
    await mods.world.bot.store.remove_source(DOC, actor="cli:someone")
    restored = await _add(mods)
    assert restored.response.content.startswith(f"restored: `{DOC}` v1 (")
    assert (await _asked_title(mods.world)).startswith(UNREVIEWED)


async def test_cancelled_removal_keeps_the_document(mods: Mods) -> None:
    """Cancel leaves the document answering."""
    await _add(mods)
    shown = await mods.curator.slash(mods.world.channel, "source remove", id=DOC)
    cancelled = await mods.curator.click(shown.response, label="Cancel")
    assert cancelled.response.content == "Not removed: nothing changed."
    assert (await _sources(mods.world))[0].status == "active"


async def test_removing_an_unknown_id_is_a_short_error(mods: Mods) -> None:
    """No such document: one sentence, privately, nothing changed."""
    result = await mods.curator.slash(mods.world.channel, "source remove", id="no-such-report")
    assert result.ephemeral
    assert result.response.content == "There is no source document “no-such-report”."
    assert _handled(mods.world) == ["DocumentNotFound"]


async def test_remove_suggests_active_document_ids(mods: Mods) -> None:
    """Autocomplete offers active documents by id or title, to moderators only."""
    world = mods.world
    await _add(mods)
    await _add(mods, file=("gao.txt", GOOD))
    await world.bot.store.remove_source("gao", actor="cli:someone")
    offered = await mods.curator.autocomplete(world.channel, "source remove", "id", "")
    assert [c["value"] for c in offered] == [DOC]
    typed = await mods.curator.autocomplete(world.channel, "source remove", "id", "cholera")
    assert [c["value"] for c in typed] == [DOC]
    _open_to_everyone(world)
    assert await world.mod.autocomplete(world.channel, "source remove", "id", "") == []
