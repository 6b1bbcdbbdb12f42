"""Moderators' flows that take more than one step: forms refused and fixed, concurrent edits,
imports confirmed, cancelled or refused, history pages, suggestions, and a failing mod-log."""

from __future__ import annotations

import dataclasses
import logging
import re

import pytest
import pytest_asyncio
from conftest import LEADERSHIP, World
from mod_helpers import DOC, NEW_FORM, QUOTE, Mods, form_defaults, make_mods
from test_bot_safety import MENTIONS, assert_no_pings

from knowledge.curation.export import fact_to_toml


@pytest_asyncio.fixture
async def mods(world: World) -> Mods:
    """Moderators in the world's guild, which is the one configured guild."""
    return make_mods(world)


def labels(message: object) -> list[str]:
    """Button labels of a message."""
    rows = message.components  # type: ignore[attr-defined]
    return [b.get("label", "") for row in rows for b in row.get("components", [])]


async def open_add_form(mods: Mods, fact_id: str = "test-added-fact") -> object:
    shown = await mods.curator.slash(
        mods.world.channel, "fact add", id=fact_id, source=DOC, quote=QUOTE
    )
    assert form_defaults(shown)["dates"] == "2025-11-20"  # today, by the desk's clock
    return shown


# --------------------------------------------------------------------------- forms


async def test_refused_form_can_be_fixed_without_retyping(mods: Mods) -> None:
    """A bad date, then a key another fact owns: each refusal lists the problem and offers
    "Edit and resubmit", which reopens the form with what was typed."""
    shown = await open_add_form(mods)
    owned = (await mods.fact(LEADERSHIP)).keys[0]
    typed = NEW_FORM | {"dates": "Nov 4", "keys": f"{owned}\nsome fresh key"}
    refused = await mods.curator.submit_modal(shown, typed)
    assert refused.ephemeral
    text = refused.response.content
    assert text.startswith("That isn't valid yet:")
    assert "• Dates: 'Nov 4' is not a date; write YYYY-MM-DD, e.g. 2025-11-04" in text
    again = await mods.curator.click(refused.response, label="Edit and resubmit")
    assert form_defaults(again) == typed
    conflict = await mods.curator.submit_modal(again, typed | {"dates": "2025-11-04"})
    assert "already belongs to" in conflict.response.content
    assert "jnim-leadership" in conflict.response.content
    third = await mods.curator.click(conflict.response, label="Edit and resubmit")
    done = await mods.curator.submit_modal(third, typed | {"dates": "2025-11-04", "keys": "x y z"})
    assert done.response.content == "Done: `test-added-fact` is now at rev 1."
    assert (await mods.fact("test-added-fact")).keys == ("x y z",)
    assert len(mods.modlog_posts()) == 1
    mods.world.env.errors  # noqa: B018 - the refusals, handled


async def test_add_checks_id_and_quote_before_the_form(mods: Mods) -> None:
    """A taken id or a quote not in the document is refused before anything is typed."""
    taken = await mods.curator.slash(
        mods.world.channel, "fact add", id=LEADERSHIP, source=DOC, quote=QUOTE
    )
    assert taken.modal is None
    assert "already exists" in taken.response.content
    wrong = await mods.curator.slash(
        mods.world.channel, "fact add", id="new-one", source=DOC, quote="words the brief lacks"
    )
    assert wrong.modal is None
    assert "Quote: quote not found verbatim in document" in wrong.response.content
    slug = await mods.curator.slash(
        mods.world.channel, "fact add", id="Not A Slug", source=DOC, quote=QUOTE
    )
    assert "Id: use a lowercase slug" in slug.response.content
    mods.world.env.errors  # noqa: B018


async def test_mentions_in_a_fact_are_refused_and_not_echoed(mods: Mods) -> None:
    """A5: an answer with @everyone or a role mention is refused; the reply cannot ping."""
    shown = await open_add_form(mods)
    role = mods.world.guild.create_role("Everyone-ish")
    bad = NEW_FORM | {"answer": f"Hello @everyone and <@&{role.id}>"}
    refused = await mods.curator.submit_modal(shown, bad)
    assert "Answer: answer contains a mass or role/user mention" in refused.response.content
    assert not MENTIONS.search(refused.response.content)
    assert_no_pings(mods.world)
    mods.world.env.errors  # noqa: B018


async def test_edit_form_is_prefilled_and_unchanged_form_changes_nothing(mods: Mods) -> None:
    """The edit form shows the fact as it is; saving it as is writes nothing."""
    fact = await mods.fact(LEADERSHIP)
    shown = await mods.curator.slash(mods.world.channel, "fact edit", id=LEADERSHIP)
    values = form_defaults(shown)
    assert values["title"] == fact.title
    assert values["keys"].splitlines() == list(fact.keys)
    assert values["dates"].startswith(fact.as_of.isoformat())
    result = await mods.curator.submit_modal(shown, values)
    assert result.response.content.startswith("No change:")
    assert not mods.modlog_posts()


async def test_edit_meeting_a_concurrent_change(mods: Mods) -> None:
    """Someone else retitles the fact while a form is open: the same field conflicts and
    nothing is saved; another field merges, keeping their title."""
    first = await mods.curator.slash(mods.world.channel, "fact edit", id=LEADERSHIP)
    second = await mods.manager.slash(mods.world.channel, "fact edit", id=LEADERSHIP)
    await mods.do(lambda c: c.store.edit(LEADERSHIP, title="Their title", actor="cli:other"))
    clash = await mods.curator.submit_modal(first, form_defaults(first) | {"title": "My title"})
    assert "while you were editing" in clash.response.content
    assert (await mods.fact(LEADERSHIP)).title == "Their title"
    merged = await mods.manager.submit_modal(second, form_defaults(second) | {"tags": "jnim, x"})
    assert merged.response.content.startswith("Done:")
    fact = await mods.fact(LEADERSHIP)
    assert (fact.title, fact.tags) == ("Their title", ("jnim", "x"))
    mods.world.env.errors  # noqa: B018


async def test_locked_fact_cannot_be_edited(mods: Mods) -> None:
    """The form does not open on a locked fact, and other changes are refused too."""
    await mods.curator.slash(mods.world.channel, "fact lock", id=LEADERSHIP, reason="settled")
    form = await mods.curator.slash(mods.world.channel, "fact edit", id=LEADERSHIP)
    assert form.modal is None
    assert "is locked: unlock it first" in form.response.content
    retire = await mods.curator.slash(mods.world.channel, "fact retire", id=LEADERSHIP)
    assert "is locked" in retire.response.content
    assert (await mods.revisions(LEADERSHIP))[-1].action == "lock"
    mods.world.env.errors  # noqa: B018


async def test_unknown_ids_and_revisions_are_named(mods: Mods) -> None:
    """Short, specific refusals for an unknown fact or revision number."""
    nope = await mods.curator.slash(mods.world.channel, "fact retire", id="no-such-fact")
    assert nope.response.content.startswith("I have no fact with the id “no-such-fact”")
    rev = await mods.curator.slash(mods.world.channel, "fact revert", id=LEADERSHIP, rev=99)
    assert rev.response.content.startswith("“jnim-leadership” has no revision 99")
    mods.world.env.errors  # noqa: B018


# --------------------------------------------------------------------------- mod-log


async def test_modlog_failure_never_undoes_the_change(
    mods: Mods, caplog: pytest.LogCaptureFixture
) -> None:
    """Discord refusing the mod-log post (403) is logged; the change stands and is answered."""
    mods.world.env.inject_error(
        "POST", f"/channels/{mods.modlog.id}/messages", status=403, code=50013
    )
    with caplog.at_level(logging.WARNING):
        result = await mods.curator.slash(mods.world.channel, "fact retire", id=LEADERSHIP)
    assert result.response.content.startswith("Done:")
    assert (await mods.fact(LEADERSHIP)).status == "retired"
    assert "could not post to the mod-log channel" in caplog.text
    assert not mods.world.env.errors


async def test_without_a_modlog_changes_still_work(mods: Mods) -> None:
    """No SITREP_MODLOG_CHANNEL_ID: the change and its revision, and no post anywhere."""
    bot = mods.world.bot
    bot.settings = dataclasses.replace(bot.settings, modlog_channel_id=None)
    await mods.curator.slash(mods.world.channel, "fact lock", id=LEADERSHIP)
    assert (await mods.revisions(LEADERSHIP))[-1].action == "lock"
    assert not mods.modlog_posts()


async def test_modlog_diff_shows_before_and_after(mods: Mods) -> None:
    """The mod-log post carries a compact diff of what changed, and the reason."""
    await mods.curator.slash(
        mods.world.channel, "fact alias add", id=LEADERSHIP, key="JNIM chiefs", reason="asked often"
    )
    (post,) = mods.modlog_posts()
    (embed,) = post["embeds"]
    assert embed["description"] == "```diff\nkeys:\n+ JNIM chiefs\n```"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Reason"] == "asked often"
    assert fields["Fact"].startswith("`jnim-leadership` · rev ")
    assert "Undo: /fact revert jnim-leadership" in embed["footer"]["text"]


# --------------------------------------------------------------------------- import


async def test_import_with_problems_changes_nothing_and_says_where(mods: Mods) -> None:
    """A file with a bad fact is refused whole, naming line, fact and field."""
    fact = await mods.fact("fuel-imports")
    good = dataclasses.replace(fact, answer="Changed answer.")
    bad = dataclasses.replace(fact, id="second-fact", keys=("k2",), title="")
    data = fact_to_toml([good, bad]).encode()
    before = await mods.revision_count()
    result = await mods.curator.slash(mods.world.channel, "fact import", file=("bad.toml", data))
    assert result.ephemeral
    text = result.response.content
    assert re.search(r"line \d+, fact second-fact, Title: title is required", text), text
    assert not labels(result.response)
    assert await mods.revision_count() == before
    mods.world.env.errors  # noqa: B018


async def test_import_cancel_changes_nothing(mods: Mods) -> None:
    """Cancel under the dry run's summary leaves everything as it was."""
    fact = await mods.fact("fuel-imports")
    data = fact_to_toml([dataclasses.replace(fact, answer="Changed answer.")]).encode()
    shown = await mods.curator.slash(mods.world.channel, "fact import", file=("u.toml", data))
    assert labels(shown.response) == ["Confirm import", "Cancel"]
    assert shown.response.embeds[0].fields[0].name == "Will change (1)"
    await mods.curator.click(shown.response, label="Cancel")
    assert shown.response.content == "Import cancelled: nothing changed."
    assert (await mods.fact("fuel-imports")).answer == fact.answer
    assert not mods.modlog_posts()


async def test_export_then_import_is_nothing_to_do(mods: Mods) -> None:
    """The exported file, imported back, changes nothing and offers no Confirm."""
    exported = await mods.curator.slash(mods.world.channel, "fact export")
    (attachment,) = exported.response.attachments
    assert attachment.filename.startswith("sitrep-facts-")
    data = await attachment.read()
    shown = await mods.curator.slash(
        mods.world.channel, "fact import", file=(attachment.filename, data)
    )
    assert shown.response.embeds[0].description.endswith("nothing to do.")
    assert not labels(shown.response)


async def test_import_with_replace_retires_what_the_file_lacks(mods: Mods) -> None:
    """replace=true lists the facts it would retire; confirming retires them."""
    fact = await mods.fact("fuel-imports")
    data = fact_to_toml([fact]).encode()
    shown = await mods.curator.slash(
        mods.world.channel, "fact import", file=("one.toml", data), replace=True
    )
    assert shown.response.embeds[0].fields[0].name.startswith("Will retire (")
    await mods.curator.click(shown.response, label="Confirm import")
    assert shown.response.embeds[0].title == "Imported one.toml"
    assert (await mods.fact(LEADERSHIP)).status == "retired"


# --------------------------------------------------------------------------- history


async def test_history_pages_newest_first(mods: Mods) -> None:
    """Seven revisions make two pages; Older and Newer turn them in place."""
    for n in range(6):
        await mods.do(lambda c, n=n: c.add_key(LEADERSHIP, f"history key {n}"))
    shown = await mods.curator.slash(mods.world.channel, "fact history", id=LEADERSHIP)
    first = shown.response.embeds[0]
    assert first.title.endswith("(1/2)")
    assert first.fields[0].name.startswith("rev 7 · key added")
    assert "+ history key 5" in first.fields[0].value
    await mods.curator.click(shown.response, label="Older ▶")
    second = shown.response.embeds[0]
    assert second.title.endswith("(2/2)")
    assert second.fields[-1].name.startswith("rev 1 · loaded from a file")
    await mods.curator.click(shown.response, label="◀ Newer")
    assert shown.response.embeds[0].title.endswith("(1/2)")


# --------------------------------------------------------------------------- suggestions


async def test_moderator_suggestions(mods: Mods) -> None:
    """Ids (retired ones marked), documents, revision numbers and source numbers."""
    await mods.do(lambda c: c.retire(LEADERSHIP))
    ids = await mods.curator.autocomplete(mods.world.channel, "fact restore", "id", "jnim-lead")
    assert ids[0]["value"] == LEADERSHIP
    assert ids[0]["name"].endswith("[retired]")
    docs = await mods.curator.autocomplete(mods.world.channel, "fact add", "source", "soufan")
    assert [d["value"] for d in docs] == [DOC]
    revs = await mods.curator.autocomplete(
        mods.world.channel, "fact revert", "rev", "", id=LEADERSHIP
    )
    assert [r["value"] for r in revs] == [2, 1]
    assert revs[0]["name"].startswith("rev 2 · retired")
    numbers = await mods.curator.autocomplete(
        mods.world.channel, "fact source remove", "number", "", id=LEADERSHIP
    )
    assert numbers[0]["value"] == 1
    assert numbers[0]["name"].startswith("1. Mali on the Brink")
