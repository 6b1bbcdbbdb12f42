"""Suggested question keys after a save, and the "Add suggested keys" button, with simcord.

After /fact add, /fact edit or Make this a fact, the moderator's private confirmation lists
the question keys derived from the fact's words, with one button that adds them all in one
revision (a mod-log post); the mod-log hears of the change, never of the suggestions.
"""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio
from conftest import World
from mod_helpers import DOC, NEW_FORM, QUOTE, Mods, form_defaults, make_mods
from test_bot_safety import assert_no_pings
from test_passage_answers import QUESTION, _ingest

from bot.ui.moderation import SUGGESTED_REASON

BUTTON = "Add suggested keys"
FORM = NEW_FORM | {"answer": "The blockade of Kita began in September 2025.", "keys": "Kita"}
SUGGESTED = "when did the blockade of Kita begin"

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def mods(world: World) -> Mods:
    """Moderators in the world's guild, which is the one configured guild."""
    return make_mods(world)


def _labels(message: Any) -> list[str]:
    rows = [c if isinstance(c, dict) else c.to_dict() for c in message.components]
    return [b.get("label", "") for row in rows for b in row.get("components", [])]


async def _add(mods: Mods, form: dict[str, str] = FORM) -> Any:
    shown = await mods.curator.slash(
        mods.world.channel, "fact add", id="kita-blockade", source=DOC, quote=QUOTE
    )
    return await mods.curator.submit_modal(shown, form)


async def test_add_lists_suggestions_and_one_click_adds_them(mods: Mods) -> None:
    """The confirmation shows the suggested keys under the change; the button adds them in
    one revision by the moderator, posted to the mod-log; nothing pings."""
    done = await _add(mods)
    assert done.acknowledged and done.response.ephemeral
    titles = [embed.title for embed in done.response.embeds]
    assert "Suggested question keys" in titles
    assert SUGGESTED in str([embed.description for embed in done.response.embeds])
    assert _labels(done.response) == [BUTTON]
    posts = len(mods.modlog_posts())
    assert "Suggested question keys" not in str(mods.modlog_posts()[-1]["embeds"])
    clicked = await mods.curator.click(done.response, label=BUTTON)
    assert clicked.acknowledged and clicked.ephemeral
    fact = await mods.fact("kita-blockade")
    assert fact.keys[0] == "Kita" and SUGGESTED in fact.keys
    revision = (await mods.revisions("kita-blockade"))[-1]
    assert revision.actor == f"discord:{mods.curator.id}"
    assert revision.reason == SUGGESTED_REASON and revision.rev == 2
    assert len(mods.modlog_posts()) == posts + 1
    assert not mods.world.env.errors
    assert_no_pings(mods.world)


async def test_a_second_click_adds_nothing(mods: Mods) -> None:
    """The button belongs to the revision it was shown for: after the keys were added, or
    any other change, it adds nothing and says why."""
    done = await _add(mods)
    await mods.curator.click(done.response, label=BUTTON)
    rev = (await mods.fact("kita-blockade")).rev
    again = await mods.curator.click(done.response, label=BUTTON)
    assert again.acknowledged and "nothing was added" in again.response.content
    assert (await mods.fact("kita-blockade")).rev == rev


async def test_no_suggestions_no_button(mods: Mods) -> None:
    """An answer that asks nothing gets the plain confirmation."""
    done = await _add(mods, NEW_FORM | {"title": "Is it so?", "answer": "Yes."})
    assert [embed.title for embed in done.response.embeds] != []
    assert "Suggested question keys" not in [embed.title for embed in done.response.embeds]
    assert _labels(done.response) == []


async def test_edit_suggests_too(mods: Mods) -> None:
    """/fact edit shows the suggestions of the fact as saved."""
    await _add(mods)
    shown = await mods.curator.slash(mods.world.channel, "fact edit", id="kita-blockade")
    values = form_defaults(shown) | {"answer": "Kita is a town in Mali."}
    done = await mods.curator.submit_modal(shown, values)
    assert "where is Kita" in str([embed.description for embed in done.response.embeds])
    assert _labels(done.response) == [BUTTON]


async def test_make_this_a_fact_suggests_too(world: World) -> None:
    """A promoted passage's confirmation lists its suggested keys, with the button."""
    mods = make_mods(world)
    await _ingest(world)
    await world.alice.send(world.channel, f"!ask {QUESTION}")
    shown = await mods.curator.click(world.channel.last_message, label="Make this a fact")
    assert shown.modal is not None
    values = {
        c["component"]["custom_id"]: c["component"].get("value", "")
        for c in shown.modal["components"]
    }
    done = await mods.curator.submit_modal(shown, values)
    assert "Suggested question keys" in [embed.title for embed in done.response.embeds]
    assert _labels(done.response) == [BUTTON]
    assert_no_pings(world)
