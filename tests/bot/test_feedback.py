"""👍/👎 on answers: one vote per person per answer, stored without the voter, reported
to moderators in the digest and in /fact gaps."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from conftest import LEADERSHIP, World
from digestkit import SimClock, Team, at, db_path, make_team, message_requests

from bot.ui.feedback import ALREADY, THANKS
from knowledge.models import FeedbackCount

UP = f"sitrep:fb:up:{LEADERSHIP}"
DOWN = f"sitrep:fb:down:{LEADERSHIP}"


@pytest.fixture
def clock() -> SimClock:
    """The desk's clock follows simcord's virtual clock."""
    return SimClock()


@pytest_asyncio.fixture
async def team(world: World, clock: SimClock) -> AsyncIterator[Team]:
    """The world with a Manage Server moderator and a #digest channel."""
    made = await make_team(world, clock)
    yield made
    await made.close()


def custom_ids(message: Any) -> list[str]:
    rows = [c if isinstance(c, dict) else c.to_dict() for c in message.components]
    return [str(b.get("custom_id", "")) for row in rows for b in row.get("components", [])]


async def answer(team: Team) -> Any:
    result = await team.world.alice.slash(team.world.channel, "ask", query="who leads JNIM")
    assert result.response is not None
    return result.response


async def summary(team: Team) -> list[FeedbackCount]:
    return await team.bot.store.run(lambda d: d.store.feedback.summary())


async def test_answers_carry_vote_buttons_misses_do_not(team: Team) -> None:
    """An answer has 👍 and 👎 (persistent ids naming the fact); a miss has none."""
    ids = custom_ids(await answer(team))
    assert UP in ids
    assert DOWN in ids
    miss = await team.world.bob.slash(team.world.channel, "ask", query="who leads Boko Haram")
    assert not [i for i in custom_ids(miss.response) if i.startswith("sitrep:fb:")]


async def test_votes_are_counted_once_per_person_and_replaced(team: Team) -> None:
    """A vote is thanked privately; the same vote again changes nothing; the other vote
    replaces it; two people are two votes."""
    message = await answer(team)
    down = await team.world.bob.click(message, custom_id=DOWN)
    assert down.ephemeral
    assert down.response.content == THANKS["down"]
    assert await summary(team) == [FeedbackCount(LEADERSHIP, 0, 1)]
    again = await team.world.bob.click(message, custom_id=DOWN)
    assert again.response.content == ALREADY
    up = await team.world.bob.click(message, custom_id=UP)
    assert up.response.content == THANKS["up"]
    assert await summary(team) == [FeedbackCount(LEADERSHIP, 1, 0)]
    await team.world.alice.click(message, custom_id=DOWN)
    assert await summary(team) == [FeedbackCount(LEADERSHIP, 1, 1)]


async def test_the_voter_is_not_stored(team: Team) -> None:
    """Only a keyed hash of (message, user) is kept: no user id, no name, anywhere."""
    message = await answer(team)
    await team.world.bob.click(message, custom_id=DOWN)
    with sqlite3.connect(db_path(team)) as conn:
        rows = conn.execute("SELECT * FROM feedback").fetchall()
        assert len(rows) == 1
        dump = "\n".join(conn.iterdump())
    assert str(team.world.bob.id) not in str(rows)
    assert str(team.world.bob.id) not in dump
    assert "bob" not in str(rows)


async def test_votes_work_after_a_restart(team: Team) -> None:
    """The buttons are DynamicItems: an answer posted before a restart takes votes after."""
    message = await answer(team)
    await team.restart()
    voted = await team.world.bob.click(message, custom_id=DOWN)
    assert voted.response.content == THANKS["down"]
    assert await summary(team) == [FeedbackCount(LEADERSHIP, 0, 1)]


async def test_negative_feedback_reaches_the_digest_and_gaps(team: Team) -> None:
    """Facts voted down appear in the next digest and in /fact gaps, with their counts."""
    title = await team.world.title(LEADERSHIP)
    await team.set_digest()
    message = await answer(team)
    await team.world.bob.click(message, custom_id=DOWN)
    await team.world.alice.click(message, custom_id=DOWN)
    await team.until(at("2026-01-01 08:00:01"))
    (post,) = team.posts()
    fields = {f.name: f.value for f in post.embeds[0].fields}
    assert fields["Negative feedback"] == f"• {title} ({LEADERSHIP}): 2 down, 0 up"
    report = await team.boss.slash(team.world.channel, "fact gaps")
    found = {f.name: f.value for f in report.response.embeds[0].fields}  # type: ignore[union-attr]
    assert found["Negative feedback"] == f"• {title} (`{LEADERSHIP}`): 2 👎, 0 👍"


async def test_vote_replies_allow_no_mentions(team: Team) -> None:
    """A2: the thanks (and every other message here) carries an empty parse list."""
    message = await answer(team)
    await team.world.bob.click(message, custom_id=UP)
    for payload in message_requests(team.env):
        assert payload.get("allowed_mentions", {}).get("parse") == [], payload
