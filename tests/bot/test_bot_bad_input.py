"""Known-bad questions through /ask, !ask and @Sitrep: each gets a fitting, harmless reply.

The same kinds of input as tests/test_hardening_input.py (which runs them through the
matcher and the CLI, and Hypothesis over any text), here through the real bot in simcord:
every one is answered, declined or politely refused, never with the generic failure, and
every reply fits Discord's limits and allows no mentions. Lone surrogates are left out:
Discord's JSON never carries them. tests/bot/test_bot_safety.py adds Hypothesis over /ask.
"""

from __future__ import annotations

from conftest import World, message_payload
from test_bot_safety import MENTIONS, assert_within_limits

from bot.errors import GENERIC, unwrap

KNOWN_BAD: dict[str, str] = {
    "apostrophe": "what's JNIM's aim",
    "question marks": "who leads jnim???",
    "C++": "C++ C# c",
    "hyphen and time": "e-mail at 12:30",
    "url": "https://example.org/a?b=c&d=e#f",
    "operators": "AND OR NOT * ^",
    "column filter": "answer:JNIM title:x",
    "NEAR": "NEAR(a b)",
    "quotes": '"unbalanced ""',
    "sql": "'; DROP TABLE facts; --",
    "parentheses": "(" * 140 + "JNIM" + ")" * 140,
    "NUL and controls": "who\x00leads\x1b[31m JNIM",
    "bidi": "\u202ewho leads JNIM\u202c \u2066x\u2069",
    "zero-width": "J\u200bN\u200cI\u200dM\ufeff",
    "combining": "JNIM" + "\u0301" * 200,
    "emoji": "👩\u200d👩\u200d👧 🇲🇱 🔥",
    "full-width": "ＪＮＩＭ ｌｅａｄｅｒ",
    "arabic": "من يقود جماعة نصرة الإسلام",
    "private use": "\ue000 JNIM",
    "noncharacters": "\ufffe\uffff",
    "punctuation only": "?!.,;:'\"()[]{}",
    "mentions": "@everyone <@&1> <@123> @here who leads JNIM",
    "markdown": "**who** _leads_ `JNIM` ||x|| > q\n# h\n```py\nx\n```",
    "fence": "```",
    "backslashes": "\\\\\\ \\* \\",
    "300 characters": ("who leads JNIM " * 20)[:300],
    "one long word": "x" * 300,
    "too long for !ask": "why " * 100,
}
REFUSALS = {"EmptyQuery", "QueryTooLong"}


async def test_known_bad_questions_through_every_way_of_asking(world: World) -> None:
    """/ask (capped at 300 by Discord), !ask and @Sitrep each answer every known-bad input
    with a reply that fits, pings nobody and is never the generic failure."""
    world.bot.limiter.rate = 10_000  # far more questions than a person would ask
    world.bot.recent.window = 0  # and each one answered afresh
    me = world.bot.user
    assert me is not None
    tried = 0
    for name, query in KNOWN_BAD.items():
        before, errors = len(world.env.http_requests), len(world.env.errors)
        result = await world.alice.slash(world.channel, "ask", query=query[:300])
        assert result.acknowledged and result.response is not None, name
        await world.alice.send(world.channel, f"!ask {query}")
        await world.alice.send(world.channel, f"{me.mention} {query}")
        tried += 3
        bodies = [message_payload(r) for r in world.env.http_requests[before:]]
        sent = [body for body in bodies if body is not None]
        assert len(sent) >= 3, name  # one reply for each way of asking
        for body in sent:
            assert_within_limits(body)
            assert body.get("content") != GENERIC, name
            assert body["allowed_mentions"]["parse"] == [], name
            assert not MENTIONS.search(body.get("content") or ""), name
        handled = {type(unwrap(e)).__name__ for e in world.env.errors[errors:]}
        assert handled <= REFUSALS, (name, handled)
    assert tried == 3 * len(KNOWN_BAD)
