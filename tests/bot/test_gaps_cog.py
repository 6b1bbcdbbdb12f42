"""``/fact gaps``: unanswered questions grouped and counted, closed in one pick."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from conftest import World
from digestkit import SimClock, Team, make_team, message_requests, with_settings
from discord import app_commands

from bot.ui.gap_views import gap_hash
from bot.ui.moderation import curator_check

OTHER_GUILD = 1_100_000_000_000_000_009
QUESTIONS = [
    "exchange rate",
    "Exchange rate?",
    "what's the exchange rate",
    "exchnage rate",
    "fuel price in Bamako",
    "fuel prices bamako",
    "wagner casualties",
    "who leads JNIM",  # answered: never a gap
]


@pytest.fixture
def clock() -> SimClock:
    """The desk's clock follows simcord's virtual clock."""
    return SimClock()


@pytest_asyncio.fixture
async def team(world: World, clock: SimClock) -> AsyncIterator[Team]:
    """The world with a Manage Server moderator, and questions asked in two servers."""
    made = await make_team(world, clock)
    for question in QUESTIONS:
        await made.ask(question)
    await made.ask("population of Togo", guild_id=OTHER_GUILD)
    await made.env.advance_time(60)
    yield made
    await made.close()


def fields(message: Any) -> dict[str, str]:
    return {f.name: f.value for f in message.embeds[0].fields}


async def gaps(team: Team, **options: Any) -> Any:
    result = await team.boss.slash(team.world.channel, "fact gaps", **options)
    assert result.acknowledged
    assert result.ephemeral
    return result


async def test_gaps_are_grouped_counted_with_closest_facts(team: Team) -> None:
    """Spellings of one question are one gap with its count and other phrasings; each
    gap names its closest facts; answered questions and other servers' are left out."""
    report = (await gaps(team)).response
    assert report.embeds[0].title == "Gaps — the last 7 days"
    found = fields(report)
    assert list(found) == [
        "1. “exchange rate” — 4 times",
        "2. “fuel price in Bamako” — 2 times",
        "3. “wagner casualties” — once",
    ]
    exchange = found["1. “exchange rate” — 4 times"]
    assert "Also asked as “exchnage rate”, “what's the exchange rate”" in exchange
    assert "No fact comes close" in exchange
    fuel = found["2. “fuel price in Bamako” — 2 times"]
    assert "Closest: " in fuel
    assert "(`fuel-queues`)" in fuel
    assert "population" not in str(found)
    rows = [c if isinstance(c, dict) else c.to_dict() for c in report.components]
    selects = [c for row in rows for c in row["components"]]
    assert [s["custom_id"] for s in selects] == [
        f"sitrep:gap:7:{gap_hash('fuel price in Bamako')}",
        f"sitrep:gap:7:{gap_hash('wagner casualties')}",
    ]
    assert selects[0]["placeholder"] == "2. Add “fuel price in Bamako” as a key to…"
    assert "fuel-queues" in [o["value"] for o in selects[0]["options"]]


async def test_picking_a_close_fact_closes_the_gap(team: Team) -> None:
    """One pick adds the question as a key (a revision by the moderator, in the mod-log);
    the report is redrawn without that gap."""
    modlog = team.world.guild.create_text_channel("mod-log")
    team.bot.settings = with_settings(team.bot.settings, modlog_channel_id=modlog.id)
    report = (await gaps(team)).response
    custom_id = f"sitrep:gap:7:{gap_hash('fuel price in Bamako')}"
    picked = await team.boss.select(report, ["fuel-queues"], custom_id=custom_id)
    assert picked.acknowledged
    fact = await team.bot.store.fact("fuel-queues")
    assert "fuel price in Bamako" in fact.keys
    history = await team.bot.store.run(lambda d: d.store.history("fuel-queues"))
    assert (history[-1].action, history[-1].actor) == ("add_key", f"discord:{team.boss.id}")
    assert "/fact gaps" in history[-1].reason
    redrawn = picked.response
    assert redrawn.id == report.id
    assert (
        redrawn.content
        == f"Added “fuel price in Bamako” to `fuel-queues` as a key (rev {fact.rev})."
    )
    assert [name.split(". ", 1)[1] for name in fields(redrawn)] == [
        "“exchange rate” — 4 times",
        "“wagner casualties” — once",
    ]
    (logged,) = team.posts(modlog)
    assert "fuel-queues" in str(logged.embeds[0].to_dict())
    answer = await team.bot.store.run(lambda d: d.ask("fuel prices bamako", log=False))
    assert answer.answered


async def test_pick_works_after_a_restart(team: Team) -> None:
    """The selects are persistent: a pick on a report from before a restart still works."""
    report = (await gaps(team)).response
    await team.restart()
    custom_id = f"sitrep:gap:7:{gap_hash('wagner casualties')}"
    picked = await team.boss.select(report, ["tinzawaten-2024"], custom_id=custom_id)
    assert picked.acknowledged
    assert "wagner casualties" in (await team.bot.store.fact("tinzawaten-2024")).keys
    assert "wagner" not in str(fields(picked.response))


async def test_pick_on_a_gap_closed_meanwhile(team: Team) -> None:
    """A gap someone else closed is not added twice: the moderator is told, the report
    redrawn."""
    report = (await gaps(team)).response
    await team.bot.store.run(
        lambda d: d.store.add_key("fuel-queues", "fuel price in Bamako", actor="cli:ana")
    )
    custom_id = f"sitrep:gap:7:{gap_hash('fuel price in Bamako')}"
    picked = await team.boss.select(report, ["fuel-blockade"], custom_id=custom_id)
    assert picked.response.content.startswith("That question is no longer in the report")
    assert "fuel price in Bamako" not in (await team.bot.store.fact("fuel-blockade")).keys


async def test_gaps_window_in_days(team: Team) -> None:
    """``days`` bounds the report: older questions are left out."""
    await team.env.advance_time(3 * 86400)
    await team.ask("who leads Boko Haram")
    await team.env.advance_time(60)
    recent = fields((await gaps(team, days=1)).response)
    assert list(recent) == ["1. “who leads Boko Haram” — once"]
    week = fields((await gaps(team)).response)
    assert len(week) == 4


async def test_no_gaps(team: Team) -> None:
    """Nothing unanswered: a short description and no selects."""
    await team.env.advance_time(10 * 86400)
    report = (await gaps(team)).response
    assert report.embeds[0].description == "No unanswered questions in this period."
    assert not report.components


async def test_gaps_is_a_moderators_fact_subcommand(team: Team) -> None:
    """B1: /fact gaps lives in the moderators' /fact group with the runtime check; a member
    who can see /fact (an admin's override) is still refused."""
    fact = team.bot.tree.get_command("fact")
    assert isinstance(fact, app_commands.Group)
    gaps_command = fact.get_command("gaps")
    assert gaps_command is not None
    assert curator_check in gaps_command.checks  # type: ignore[union-attr]
    commands = await team.bot.tree.fetch_commands()
    registered = next(c for c in commands if c.name == "fact")
    team.world.guild.set_command_permissions(registered, {team.world.alice: True})
    refused = await team.world.alice.slash(team.world.channel, "fact gaps")
    assert refused.response.content.startswith("Only moderators")
    assert [type(e).__name__ for e in team.env.errors] == ["NotModerator"]


async def test_gap_messages_allow_no_mentions(team: Team) -> None:
    """A2: the report, the pick's redraw and the mod-log post carry an empty parse list."""
    await team.ask("@everyone <@&1> what now")
    report = (await gaps(team)).response
    custom_id = f"sitrep:gap:7:{gap_hash('fuel price in Bamako')}"
    await team.boss.select(report, ["fuel-queues"], custom_id=custom_id)
    payloads = message_requests(team.env)
    assert payloads
    for payload in payloads:
        assert payload.get("allowed_mentions", {}).get("parse") == [], payload
    text = str(fields((await gaps(team)).response))
    assert "<@&" not in text
    assert "@everyone" not in text.replace("@\u200beveryone", "")


# --------------------------------------------------------------------------- picks

PICKED = "tinzawaten-2024"
LOSSES = "wagner losses"  # a miss whose suggestions include PICKED


def buttons(message: Any) -> dict[str, str]:
    """The buttons of a message: label → custom_id."""
    rows = [c if isinstance(c, dict) else c.to_dict() for c in message.components]
    return {
        c["label"]: c["custom_id"]
        for row in rows
        for c in row["components"]
        if c.get("type") == 2 and "custom_id" in c
    }


async def ask_and_pick(team: Team, query: str = LOSSES, fact_id: str = PICKED) -> Any:
    """Alice asks ``query`` with /ask, gets a miss, and picks ``fact_id`` from its
    suggestions; the click's result."""
    world = team.world
    miss = (await world.alice.slash(world.channel, "ask", query=query)).response
    assert miss.content.startswith("I have no fact")
    clicked = await world.alice.click(miss, label=await world.title(fact_id))
    assert clicked.acknowledged
    return clicked


async def picks(team: Team) -> list[Any]:
    return await team.bot.store.run(lambda d: d.store.picks.records())


async def test_a_pick_becomes_a_key_in_one_click(team: Team) -> None:
    """A member's pick after a miss is listed apart, and one moderator click adds the
    question to the picked fact as a key (a revision by the moderator, in the mod-log); the
    report is redrawn without it, and the question now finds that fact."""
    modlog = team.world.guild.create_text_channel("mod-log")
    team.bot.settings = with_settings(team.bot.settings, modlog_channel_id=modlog.id)
    await ask_and_pick(team)
    (pick,) = await picks(team)
    assert (pick.query, pick.fact_id, pick.guild_id) == (LOSSES, PICKED, team.world.guild.id)
    report = (await gaps(team)).response
    found = fields(report)
    assert f"A. “{LOSSES}” — once" in found
    assert f"(`{PICKED}`), by 1 person" in found[f"A. “{LOSSES}” — once"]
    assert all(LOSSES not in name for name in found if not name.startswith("A. "))
    assert "Asked, then picked from the suggestions (A)" in report.embeds[0].description
    label = f"A. Add as key to {PICKED}"
    assert buttons(report)[label] == f"sitrep:pick:7:{pick.query_id}:{PICKED}"
    added = await team.boss.click(report, label=label)
    assert added.acknowledged
    fact = await team.bot.store.fact(PICKED)
    assert LOSSES in fact.keys
    history = await team.bot.store.run(lambda d: d.store.history(PICKED))
    assert (history[-1].action, history[-1].actor) == ("add_key", f"discord:{team.boss.id}")
    assert history[-1].reason == "picked from the suggestions 1 time(s) (/fact gaps)"
    redrawn = added.response
    assert redrawn.id == report.id
    assert redrawn.content == f"Added “{LOSSES}” to `{PICKED}` as a key (rev {fact.rev})."
    assert not any(name.startswith("A. ") for name in fields(redrawn))
    assert not any(label.startswith("A. ") for label in buttons(redrawn))
    (logged,) = team.posts(modlog)
    assert PICKED in str(logged.embeds[0].to_dict())
    answer = await team.bot.store.run(lambda d: d.ask(LOSSES, log=False))
    assert answer.fact is not None and answer.fact.id == PICKED


async def test_picks_count_once_per_question_and_by_people(team: Team) -> None:
    """Two askers picking for the same question are counted, with how many people; a pick
    from !ask counts like one from /ask."""
    await ask_and_pick(team)
    world = team.world
    await world.bob.send(world.channel, "!ask Wagner losses?")
    miss = world.channel.last_message
    await world.bob.click(miss, label=await world.title(PICKED))
    found = fields((await gaps(team)).response)
    assert f"(`{PICKED}`), by 2 people" in found[f"A. “{LOSSES}” — 2 times"]


async def test_only_the_askers_pick_is_recorded(team: Team) -> None:
    """Someone else clicking a suggestion sees the fact privately; nothing is recorded,
    and the question stays an unanswered gap."""
    world = team.world
    miss = (await world.alice.slash(world.channel, "ask", query=LOSSES)).response
    clicked = await world.bob.click(miss, label=await world.title(PICKED))
    assert clicked.ephemeral
    assert await picks(team) == []
    assert f"“{LOSSES}” — once" in [
        n.split(". ", 1)[1] for n in fields((await gaps(team)).response)
    ]


async def test_add_as_key_is_for_moderators_only(team: Team) -> None:
    """B1: the button runs the moderators' check on every click: a moderator who has lost
    the role since opening the report is refused, and nothing is added."""
    await ask_and_pick(team)
    report = (await gaps(team)).response
    guild = team.world.guild
    team.env.backend.remove_member_role(guild.id, team.boss.id, guild.roles["Managers"].id)
    await team.env.settle()
    refused = await team.boss.click(report, label=f"A. Add as key to {PICKED}")
    assert refused.ephemeral
    assert refused.response.content.startswith("Only moderators")
    assert LOSSES not in (await team.bot.store.fact(PICKED)).keys


async def test_add_as_key_after_the_fact_was_retired(team: Team) -> None:
    """A fact retired meanwhile gets no key: the moderator is told, the report redrawn
    with the question back among the gaps."""
    await ask_and_pick(team)
    report = (await gaps(team)).response
    await team.bot.store.run(lambda d: d.store.retire(PICKED, actor="cli:ana"))
    clicked = await team.boss.click(report, label=f"A. Add as key to {PICKED}")
    assert clicked.response.content == f"`{PICKED}` was retired meanwhile: nothing was added."
    assert LOSSES not in (await team.bot.store.fact(PICKED)).keys
    names = [n.split(". ", 1)[1] for n in fields(clicked.response)]
    assert f"“{LOSSES}” — once" in names


async def test_add_as_key_when_the_key_is_there_already(team: Team) -> None:
    """A key someone added meanwhile is not added twice: the moderator is told so."""
    await ask_and_pick(team)
    report = (await gaps(team)).response
    await team.bot.store.run(lambda d: d.store.add_key(PICKED, "Wagner losses", actor="cli:ana"))
    before = (await team.bot.store.fact(PICKED)).rev
    clicked = await team.boss.click(report, label=f"A. Add as key to {PICKED}")
    assert clicked.response.content == f"`{PICKED}` already has “{LOSSES}” as a key."
    assert (await team.bot.store.fact(PICKED)).rev == before


async def test_add_as_key_on_a_stale_report(team: Team) -> None:
    """A pick older than the report's window is gone: the moderator is told, nothing added;
    the button works after a restart too."""
    await ask_and_pick(team)
    report = (await gaps(team, days=1)).response
    await team.env.advance_time(2 * 86400)
    await team.restart()
    clicked = await team.boss.click(report, label=f"A. Add as key to {PICKED}")
    assert clicked.acknowledged
    assert clicked.response.content.startswith("That question is no longer proposed")
    assert LOSSES not in (await team.bot.store.fact(PICKED)).keys


async def test_pick_messages_allow_no_mentions(team: Team) -> None:
    """A2: the pick's answer, the report and the redraw after "Add as key" carry an empty
    parse list."""
    await ask_and_pick(team)
    report = (await gaps(team)).response
    await team.boss.click(report, label=f"A. Add as key to {PICKED}")
    payloads = message_requests(team.env)
    assert payloads
    for payload in payloads:
        assert payload.get("allowed_mentions", {}).get("parse") == [], payload
