"""Output safety end to end: a hostile fact is posted harmlessly; a dangerous role is reported.

RELIABILITY A2–A4 through the real bot: a fact planted in the database past validation
(as an old database, a hand edit or a bug might leave one) with mass, role and user
mentions, markdown and bidi tricks in every field is shown by /ask, !ask, @Sitrep, /show,
/sources, the Sources button and /topics; no payload can ping or reorder text, and every
one carries an empty allowed_mentions parse list. A3: the startup self-check logs CRITICAL
when the bot's role holds Mention Everyone or Administrator (tests/bot/test_bot_runtime.py
covers Mention Everyone alone and the all-clear).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
import pytest
from conftest import LEADERSHIP, World, message_payload
from test_bot_safety import assert_no_pings

PING = re.compile(r"@(?:everyone|here)|<@[!&]?\d+>", re.IGNORECASE)
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
TITLE = "@everyone \u202eWho <@&{role}> leads **JNIM**"
ANSWER = "@here <@{user}> **JNIM** is led by [someone](https://evil.example) \u2066x\u2069 ||."
QUOTE = "<@&{role}> @everyone said \u202eso"
LABEL = "||The brief|| @here \u200f"


def strings(value: Any) -> list[str]:
    """Every string inside a payload, keys excluded."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in strings(v)]
    return []


def next_enabled(message: Any) -> bool:
    """True if the message has an enabled "Next ▶" button."""
    rows = [c if isinstance(c, dict) else c.to_dict() for c in message.components]
    buttons = [b for row in rows for b in row.get("components", [])]
    return any(b.get("label") == "Next ▶" and not b.get("disabled") for b in buttons)


async def plant(world: World, role: int, user: int) -> None:
    """Overwrite the leadership fact's texts in the database, past every validation."""

    def write(desk: Any) -> None:
        conn = desk.store.db.conn
        with conn:
            conn.execute(
                "UPDATE facts SET title = ?, answer = ? WHERE id = ?",
                (TITLE.format(role=role), ANSWER.format(user=user), LEADERSHIP),
            )
            conn.execute(
                "UPDATE fact_sources SET quote = ?, title = ?, publisher = ? WHERE fact_id = ?",
                (QUOTE.format(role=role), LABEL, LABEL, LEADERSHIP),
            )

    await world.bot.store.run(write)


@pytest.mark.settings(ask_rate=50)  # it walks every /topics page: many posts by one member
async def test_planted_hostile_fact_is_posted_harmlessly(world: World) -> None:
    """Every way of showing the fact: no live mention, no bidi, parse=[] on every payload."""
    role = world.guild.create_role("Everyone-ish")
    await plant(world, role.id, world.bob.id)
    channels = [world.channel, *(world.guild.create_text_channel(n) for n in ("b", "c"))]
    before = len(world.env.http_requests)
    answer = await world.alice.slash(channels[0], "ask", query="who leads JNIM")
    assert answer.response is not None and answer.response.embeds
    await world.bob.click(answer.response, label="Sources & quotes")
    await world.alice.send(channels[1], "!ask who leads JNIM")
    await world.alice.send(channels[2], f"{world.bot.user.mention} who leads JNIM")  # type: ignore[union-attr]
    await world.alice.slash(world.channel, "show", id=LEADERSHIP)
    await world.alice.slash(world.channel, "sources", id=LEADERSHIP)
    topics = await world.alice.slash(world.channel, "topics")
    while topics.response is not None and next_enabled(topics.response):
        await world.alice.click(topics.response, label="Next ▶")  # every page is shown
    bodies = [message_payload(r) for r in world.env.http_requests[before:]]
    sent = [body for body in bodies if body is not None]
    assert len(sent) >= 7
    shown = [text for body in sent for text in strings(body)]
    assert any("Who" in text and "leads" in text for text in shown)  # the fact was shown
    for text in shown:
        assert not PING.search(text), text
        assert not BIDI.search(text), text
    assert assert_no_pings(world) >= 7
    assert world.env.errors == []


@pytest.mark.parametrize(
    ("permissions", "named"),
    [
        (discord.Permissions(administrator=True), "administrator and mention_everyone"),
        (discord.Permissions(mention_everyone=True, send_messages=True), "mention_everyone"),
    ],
    ids=["administrator", "mention everyone"],
)
async def test_self_check_is_loud_about_a_dangerous_role(
    world: World, caplog: pytest.LogCaptureFixture, permissions: discord.Permissions, named: str
) -> None:
    """A3: from a safe role to Administrator (or Mention Everyone): CRITICAL naming it, the
    guild marked unsafe for digests; on the next start (on_ready) the same again."""
    bot_role = world.guild.roles[world.bot.user.name]  # type: ignore[union-attr]
    safe = discord.Permissions(send_messages=True, embed_links=True, read_message_history=True)
    world.env.backend.edit_role(world.guild.id, bot_role.id, {"permissions": safe.value})
    await world.env.settle()
    assert world.guild.id not in world.bot.unsafe_guilds
    caplog.clear()
    world.env.backend.edit_role(world.guild.id, bot_role.id, {"permissions": permissions.value})
    await world.env.settle()
    critical = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert len(critical) == 1
    assert f"has {named}: remove these permissions" in critical[0].getMessage()
    assert world.guild.id in world.bot.unsafe_guilds
    caplog.clear()
    world.bot.dispatch("ready")
    await world.env.settle()
    assert [r.levelno for r in caplog.records].count(logging.CRITICAL) == 1
