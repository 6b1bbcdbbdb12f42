"""Load: 200 questions and 20 moderators' edits in flight at once lose nothing.

simcord settles the bot after every actor call and refuses overlapping calls, so a plain
``asyncio.gather`` over actor calls would still run them one by one. :func:`all_at_once`
holds settling back while the calls are gathered: every interaction is dispatched first,
and only then does the bot run, with all 220 of them in flight together on its event loop
and its one store thread (RELIABILITY D1/D2/F2 under load).

Before this test the store shed every call beyond 64 waiting: 156 of these 220 were told
"busy", moderators' edits included. Now members' lookups are shed only beyond 512, and a
moderator's change is never shed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import pytest
import pytest_asyncio
import simcord
from conftest import World
from mod_helpers import Mods, form_defaults, make_mods

T = TypeVar("T")
ASKERS = 50  # each asks 4 times: within the 5-per-30-s limit, so the limiter stays real
CHANNELS = 4
QUERIES = (
    "who leads JNIM",
    "fuel imports",
    "population of Kayes",
    "who leads Boko Haram",  # an honest miss, with suggestions
    "what is AES",
    "what's the exchange rate",  # another miss
    "who is Amadou Kouffa",
    "how many fighters does JNIM have",
)
ASKS = 200
EDITS = 20


@asynccontextmanager
async def all_at_once(env: simcord.Env) -> AsyncIterator[None]:
    """Within the block actor calls dispatch their interaction and return at once; on
    leaving it the bot runs all of them together, until it is idle again."""
    settle = env._settle_internal

    async def not_yet(**_: Any) -> None:
        return None

    env._settle_internal = not_yet  # type: ignore[method-assign]
    try:
        yield
    finally:
        env._settle_internal = settle  # type: ignore[method-assign]
    await env.settle(timeout=60)


async def gather_all(calls: list[Awaitable[T]]) -> list[T]:
    """asyncio.gather, raising the first failure."""
    return list(await asyncio.gather(*calls))


@pytest_asyncio.fixture
async def mods(world: World) -> Mods:
    """Moderators in the world's guild."""
    return make_mods(world)


@pytest.mark.simcord(settle_timeout=60)  # the bot gets up to a minute to work through them
async def test_200_questions_and_20_edits_at_once(mods: Mods) -> None:
    """Every question gets a reply, every edit its revision, and nothing fails or is shed."""
    world, env = mods.world, mods.world.env
    askers = [world.guild.add_member(env.create_user(f"asker{n}")) for n in range(ASKERS)]
    channels = [world.guild.create_text_channel(f"busy-{n}") for n in range(CHANNELS)]
    facts = sorted(await world.bot.store.run(lambda d: [f.id for f in d.store.facts()]))
    edited, keyed = facts[: EDITS // 2], facts[EDITS // 2 : EDITS]
    forms = [await mods.curator.slash(world.channel, "fact edit", id=fact_id) for fact_id in edited]
    assert all(form.modal is not None for form in forms)
    revisions_before = await mods.revision_count()
    errors_before = len(env.errors)

    started = time.perf_counter()
    async with all_at_once(env):
        asks = [
            askers[n % ASKERS].slash(channels[n % CHANNELS], "ask", query=QUERIES[n % 8])
            for n in range(ASKS)
        ]
        submits = [
            mods.curator.submit_modal(
                form, form_defaults(form) | {"answer": f"Answer changed under load ({n})."}
            )
            for n, form in enumerate(forms)
        ]
        aliases = [
            mods.curator.slash(world.channel, "fact alias add", id=fact_id, key=f"load key {n}")
            for n, fact_id in enumerate(keyed)
        ]
        results = await gather_all([*asks, *submits, *aliases])
    elapsed = time.perf_counter() - started

    assert env.errors[errors_before:] == []
    assert all(result.acknowledged for result in results)
    replies = [result.response for result in results]
    assert all(reply is not None and (reply.content or reply.embeds) for reply in replies)
    assert not [r for r in replies if r is not None and "a lot of questions" in r.content]
    for reply in replies[ASKS:]:
        assert reply is not None and reply.content.startswith("Done:"), reply.content
    assert await mods.revision_count() == revisions_before + EDITS
    for n, fact_id in enumerate(edited):
        (last,) = (await mods.revisions(fact_id))[-1:]
        assert (last.action, last.actor) == ("edit", f"discord:{mods.curator.id}")
        assert (await mods.fact(fact_id)).answer == f"Answer changed under load ({n})."
    for n, fact_id in enumerate(keyed):
        assert f"load key {n}" in (await mods.fact(fact_id)).keys
        assert (await mods.revisions(fact_id))[-1].action == "add_key"
    print(f"load: {ASKS} questions + {EDITS} edits at once, settled in {elapsed:.2f} s")
