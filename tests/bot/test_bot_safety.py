"""Output safety and robustness of the Discord layer: no pings, limits, fuzzed input."""

from __future__ import annotations

import re
from typing import Any

import discord
from conftest import World, message_payload, suggestions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import GENERIC
from bot.ui.replies import NO_PINGS

MENTIONS = re.compile(r"@everyone|@here|<@[!&]?\d+>")
PAYLOAD_LIMITS = {"content": 2000, "description": 4096, "field": 1024, "fields": 25, "total": 6000}


def assert_no_pings(world: World) -> int:
    """Every message the bot posted or edited carries allowed_mentions with an empty parse."""
    bodies = [message_payload(r) for r in world.env.http_requests]
    sent = [b for b in bodies if b is not None]
    for body in sent:
        mentions = body.get("allowed_mentions")
        assert mentions is not None, body
        assert mentions.get("parse") == [], body
        assert not mentions.get("roles"), body
        assert not mentions.get("users"), body
        assert mentions.get("replied_user") in (None, False), body
    return len(sent)


def assert_within_limits(body: dict[str, Any]) -> None:
    """A message body respects Discord's size limits."""
    assert len(body.get("content") or "") <= PAYLOAD_LIMITS["content"]
    embeds = body.get("embeds") or []
    assert len(embeds) <= 10
    total = 0
    for embed in embeds:
        assert len(embed.get("description", "")) <= PAYLOAD_LIMITS["description"]
        fields = embed.get("fields", [])
        assert len(fields) <= PAYLOAD_LIMITS["fields"]
        assert all(len(f["value"]) <= PAYLOAD_LIMITS["field"] for f in fields)
        total += len(discord.Embed.from_dict(embed))
    assert total <= PAYLOAD_LIMITS["total"]


def test_bot_wide_allowed_mentions_are_none(simcord_bot: discord.Client) -> None:
    """A1: the bot is built with AllowedMentions.none()."""
    assert simcord_bot.allowed_mentions is not None
    assert simcord_bot.allowed_mentions.to_dict() == {"parse": []}
    assert simcord_bot.allowed_mentions.replied_user is False
    assert NO_PINGS.to_dict() == {"parse": []}


async def test_every_message_the_bot_sends_allows_no_mentions(world: World) -> None:
    """A2: replies, interaction responses, edits, followups and pointers all carry parse=[]."""
    ch, alice, bob = world.channel, world.alice, world.bob
    answer = await alice.slash(ch, "ask", query="who leads JNIM")  # interaction response
    await bob.slash(ch, "ask", query="who leads JNIM")  # repeat pointer (ephemeral)
    await alice.send(ch, "!ask who leads Boko Haram")  # channel reply with buttons
    await alice.click(ch.last_message, label=suggestions(ch.last_message)[0])  # in-place edit
    await bob.click(answer.response, label="Sources & quotes")  # ephemeral response
    await bob.click(answer.response, label="Delete")  # refusal
    topics = await alice.slash(ch, "topics")
    await alice.click(topics.response, label="Next ▶")  # paging edit
    await alice.send(ch, f"{world.bot.user.mention} fuel imports")  # type: ignore[union-attr]
    await alice.slash(ch, "show", id="nope")  # error message
    world.env.errors  # noqa: B018 - FactNotFound, handled
    assert assert_no_pings(world) >= 10


async def test_mentions_in_questions_cannot_ping(world: World) -> None:
    """A question full of @everyone/@here/role/user mentions is echoed harmlessly."""
    role = world.guild.create_role("Everyone-ish")
    nasty = f"@everyone @here <@&{role.id}> {world.bob.mention} who leads Boko Haram"
    result = await world.alice.slash(world.channel, "ask", query=nasty)
    content = result.response.content  # type: ignore[union-attr]
    assert content.startswith("I have no fact on")
    assert not MENTIONS.search(content)
    await world.alice.send(world.channel, "!ask " + nasty)
    assert not MENTIONS.search(world.channel.last_message.content)  # type: ignore[union-attr]
    assert_no_pings(world)


QUERIES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=300
).filter(lambda s: s.strip() != "")
TEXT = st.one_of(
    QUERIES,
    st.sampled_from(
        [
            "@everyone",
            "<@&1> x",
            "```",
            "JNIM",
            "who leads jnim?!",
            "a" * 300,
            "🙂" * 50,
            "\u202ewho leads jnim",
            "' OR 1=1 --",
            "NEAR(a b)",
            "fuel:imports",
            "*",
            "\\",
        ]
    ),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=TEXT)
async def test_any_text_through_ask_always_gets_an_answer_within_limits(
    world: World, query: str
) -> None:
    """D5/A6: arbitrary text via /ask and !ask always gets a reply that fits and never fails."""
    world.bot.limiter.rate = 10_000  # this test asks far more often than a person would
    before = len(world.env.http_requests)
    result = await world.alice.slash(world.channel, "ask", query=query)
    assert result.acknowledged
    assert result.response is not None
    await world.alice.send(world.channel, "!ask " + query)
    new = [message_payload(r) for r in world.env.http_requests[before:]]
    bodies = [b for b in new if b is not None]
    assert len(bodies) >= 2  # one reply per path
    for body in bodies:
        assert_within_limits(body)
        assert body.get("content") != GENERIC
        assert body["allowed_mentions"]["parse"] == []
    for error in world.env.errors:  # only handled, expected refusals (e.g. empty question)
        assert "Throttled" not in repr(error)
        assert "EmptyQuery" in repr(error) or "QueryTooLong" in repr(error), repr(error)
