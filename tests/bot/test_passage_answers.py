"""Passage answers in Discord: the unreviewed label, and Make this a fact for moderators.

The report is dated inside the test clock (2025-11-20): a fact cannot be as of the future.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import World
from mod_helpers import REFUSED, make_mods

from knowledge.documents.meta import document_meta
from knowledge.documents.read import read_text

REPORT = Path(__file__).resolve().parents[2] / "eval" / "docs" / "sahel-wire-2026-11-20.md"
QUESTION = "when was the cholera outbreak confirmed"

pytestmark = pytest.mark.asyncio


async def _ingest(world: World) -> str:
    read = read_text(REPORT.read_bytes(), REPORT.name)
    meta = document_meta(REPORT.name, {"publisher": "Sahel Wire", "date": "2025-11-10"}, read)
    await world.bot.store.run(
        lambda d: d.documents.ingest(read, meta, actor="test", file_name=REPORT.name)
    )
    return meta.id


def _labels(message: object) -> list[str]:
    rows = [c if isinstance(c, dict) else c.to_dict() for c in message.components]  # type: ignore[attr-defined]
    return [b.get("label", "") for row in rows for b in row.get("components", [])]


async def test_a_passage_answers_what_no_fact_does_marked_unreviewed(world: World) -> None:
    doc = await _ingest(world)
    result = await world.alice.slash(world.channel, "ask", query=QUESTION)
    response = result.response
    assert response is not None
    embed = response.embeds[0]
    assert embed.title.startswith("Unreviewed source: ")
    assert "not yet reviewed by a moderator" in embed.description
    assert "17 November" in embed.description
    assert doc in embed.footer.text
    assert _labels(response) == ["Make this a fact", "Delete"]


async def test_a_fact_still_wins_over_passages(world: World) -> None:
    await _ingest(world)
    result = await world.alice.slash(world.channel, "ask", query="who leads JNIM")
    assert result.response is not None
    assert not result.response.embeds[0].title.startswith("Unreviewed source")


async def test_make_this_a_fact_is_refused_to_members(world: World) -> None:
    make_mods(world)
    await _ingest(world)
    await world.alice.send(world.channel, f"!ask {QUESTION}")
    answer = world.channel.last_message
    clicked = await world.alice.click(answer, label="Make this a fact")
    assert clicked.modal is None
    assert clicked.ephemeral
    assert REFUSED in clicked.response.content


async def test_a_moderator_promotes_a_passage_to_a_fact(world: World) -> None:
    mods = make_mods(world)
    doc = await _ingest(world)
    before = await mods.revision_count()
    await world.alice.send(world.channel, f"!ask {QUESTION}")
    answer = world.channel.last_message
    shown = await mods.curator.click(answer, label="Make this a fact")
    assert shown.modal is not None
    values = {
        c["component"]["custom_id"]: c["component"].get("value", "")
        for c in shown.modal["components"]
    }
    assert "17 November" in values["answer"]
    done = await mods.curator.submit_modal(shown, values)
    assert done.ephemeral
    assert await mods.revision_count() == before + 1
    asked = await world.bot.store.run(lambda d: d.ask(QUESTION, log=False))
    assert asked.answered and asked.fact is not None
    assert asked.fact.sources[0].document == doc
    assert mods.modlog_posts()
