"""Output safety of the core's rendering: hostile text in, harmless Discord payloads out.

RELIABILITY A4/A6/A7 beyond tests/test_layout.py (which checks echo, splitting of plain
text and the size of rendered answers): whatever a fact or a question holds (mass, role
and user mentions, markdown, bidi and other invisible characters), no string in any
payload the core renders can ping or reorder text, echoed questions show literally, and
text split *after* escaping keeps every escape with the character it escapes.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.models import Alternative, Answer, Fact, Source
from knowledge.render import parts as layout
from knowledge.render.answers import render, render_answer, render_sources, render_topics
from knowledge.render.parts import (
    CONTENT_LIMIT,
    echo,
    escape_markdown,
    fenced_pieces,
    neutralize_mentions,
    reply_within_limits,
    split_for_discord,
)

TODAY = date(2025, 11, 20)
# A mention Discord would resolve: mass mentions, users, roles (ZWSP-broken ones do not).
PING = re.compile(r"@(?:everyone|here)|<@[!&]?\d+>", re.IGNORECASE)
# Characters that reorder or hide text: bidi embeddings, overrides, isolates and marks.
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
MARKDOWN = set("*_~`|[]<")
HOSTILE = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "@everyone",
                "@here",
                "@EveryOne",
                "<@123456789012345678>",
                "<@!123456789012345678>",
                "<@&987654321098765432>",
                "<#123456789012345678>",
                "**bold**",
                "__under__",
                "||spoiler||",
                "~~gone~~",
                "`code`",
                "```py\nprint(1)\n```",
                "[phish](https://evil.example/login)",
                "# heading",
                "> quote",
                "- item",
                "1. item",
                "\\",
                "\\*",
                "\u202egnp.exe",
                "\u2066isolated\u2069",
                "\u200e\u200f\u061c",
                "\u200b",
                "\n",
                " ",
                "👩\u200d👩\u200d👧",
                "e\u0301",
            ]
        ),
        st.text(max_size=20),
    ),
    max_size=40,
).map("".join)


def strings(value: Any) -> list[str]:
    """Every string inside a payload (dicts, lists, tuples), keys excluded."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in strings(v)]
    return []


def assert_harmless(payload: Any) -> None:
    """No string of the payload can ping anyone or reorder text."""
    for text in strings(payload):
        assert not PING.search(text), text
        assert not BIDI.search(text), text


def unescaped_markdown(text: str) -> list[int]:
    """Positions of markdown characters not preceded by an escaping backslash."""
    found = []
    for i, ch in enumerate(text):
        if ch in MARKDOWN:
            run = len(text[:i]) - len(text[:i].rstrip("\\"))
            if run % 2 == 0:
                found.append(i)
    return found


def hostile_fact(title: str, answer: str, quote: str, label: str) -> Fact:
    """A fact whose every text field is hostile (as if validation had been bypassed)."""
    return Fact(
        id="hostile-fact",
        title=title,
        answer=answer or "x",
        as_of=date(2025, 11, 4),
        sources=(
            Source(quote=quote, title=label, publisher=label, url="https://example.org/a"),
            Source(quote=quote, document="doc", title=label, url="javascript:alert(1)"),
        ),
        keys=(title,),
        tags=("hostile",),
        review_by=date(2025, 11, 1),
    )


@settings(max_examples=150, deadline=None)
@given(title=HOSTILE, answer=HOSTILE, quote=HOSTILE, label=HOSTILE, query=HOSTILE)
def test_hostile_facts_and_questions_render_harmlessly(
    title: str, answer: str, quote: str, label: str, query: str
) -> None:
    """Answers, sources, topics and misses built from hostile text hold no live mention and
    no bidi character anywhere, fit Discord's limits, and show the question literally."""
    fact = hostile_fact(title, answer, quote, label)
    answered = render(Answer(query, "answered", 90.0, fact), today=TODAY, asked=query)
    alternatives = tuple(Alternative(f"alt-{n}", title + str(n), 50.0) for n in range(3))
    missed = render(Answer(query, "no_match", 10.0, None, alternatives), today=TODAY)
    pages = render_topics({"hostile": [fact], label or "x": [fact]}).pages
    for reply in (answered, missed):
        assert reply_within_limits(reply)
        assert_harmless([reply.content, [e.to_dict() for e in reply.embeds]])
        assert_harmless([s.label for s in reply.suggestions])
    assert_harmless([e.to_dict() for e in render_sources(fact)])
    assert_harmless([e.to_dict() for e in pages])
    asked = echo(query)
    assert unescaped_markdown(asked) == []
    assert asked in missed.content


def test_hostile_fact_example() -> None:
    """One worked example: what a planted fact looks like once rendered."""
    fact = hostile_fact(
        "@everyone \u202eWho leads JNIM",
        "<@&1> **Read** this @here: [login](https://evil.example)",
        "<@123> said so",
        "||Publisher|| \u2066x\u2069",
    )
    embed = render_answer(fact, today=TODAY).embeds[0].to_dict()
    assert embed["title"] == "@\u200beveryone Who leads JNIM"
    assert embed["description"].startswith("<\u200b@&1> **Read** this @\u200bhere")
    assert_harmless(embed)
    (linked, unlinked) = embed["fields"][0]["value"].splitlines()
    assert linked.startswith("• [\\|\\|Publisher\\|\\| x](https://example.org/a)")
    assert unlinked.startswith("• \\|\\|Publisher")  # javascript: is never linked
    assert "javascript:" not in str(render_sources(fact)[0].to_dict())


@settings(max_examples=150, deadline=None)
@given(text=HOSTILE.map(lambda s: s * 20), limit=st.sampled_from([200, 1000, CONTENT_LIMIT]))
def test_text_split_after_escaping_keeps_escapes_and_limits(text: str, limit: int) -> None:
    """A6/A7 on escaped text: chunks fit, hold whole fences, never end inside an escape
    (which would leave the next chunk starting with live markdown), never tear a mention,
    and join back to the escaped input once the added fence markers are removed."""
    escaped = neutralize_mentions(escape_markdown(layout.clean(text)))
    chunks = split_for_discord(escaped, limit)
    assert all(len(chunk) <= limit for chunk in chunks)
    assert all(chunk.count("```") % 2 == 0 for chunk in chunks)
    pieces = fenced_pieces(escaped, limit)
    assert "".join(piece for _, piece, _ in pieces) == escaped
    for _, piece, _ in pieces:
        trailing = len(piece) - len(piece.rstrip("\\"))
        assert trailing % 2 == 0, "an escape was cut from its character"
        assert unescaped_markdown(piece) == []  # every piece shows its text literally
        assert not PING.search(piece)


def test_escaped_stars_split_as_pairs() -> None:
    """The case that failed before the fix: a long run of escaped '*' cut at an odd place
    gave chunks starting with a bare '*'."""
    chunks = split_for_discord(escape_markdown("a" + "*" * 3000), 200)
    assert len(chunks) > 10
    assert all(unescaped_markdown(chunk) == [] for chunk in chunks)
