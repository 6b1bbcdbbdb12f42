"""knowledge.layout: Discord-ready parts within Discord's limits, with user text neutralised."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.models import Alternative, Answer, Fact, Source
from knowledge.render import parts as layout
from knowledge.render.answers import (
    choices,
    id_choices,
    mention_query,
    render,
    render_answer,
    render_miss,
    render_repeat,
    render_sources,
    render_topics,
)
from knowledge.render.parts import (
    CONTENT_LIMIT,
    EMBED_TOTAL_LIMIT,
    FIELD_VALUE_LIMIT,
    Choice,
    EmbedPart,
    Field,
    echo,
    embed_within_limits,
    neutralize_mentions,
    reply_within_limits,
    shorten,
    split_for_discord,
    split_text,
)

TODAY = date(2025, 11, 20)
MENTION_PATTERNS = re.compile(r"@everyone|@here|<@", re.IGNORECASE)
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Text that stresses splitting and escaping: ZWJ emoji, combining marks, fences, mentions.
TOKENS = st.sampled_from(
    [
        "```",
        "```py\n",
        "\n",
        "\n\n",
        " ",
        "<@123456789012345678>",
        "<@&1>",
        "@everyone",
        "@here",
        "[t](https://x.org/a)",
        "👩\u200d👩\u200d👧",
        "é",
        "e\u0301",
        "\u202e",
        "*",
        "_",
        "`",
        "\\",
        "> ",
        "# ",
        "1. ",
        "https://example.org/" + "a" * 40,
        "word ",
        "longerword ",
    ]
)
TRICKY = st.lists(st.one_of(st.text(max_size=20), TOKENS), max_size=300).map("".join)


def unescape(text: str) -> str:
    """Undo escape_markdown: every backslash escapes the character after it."""
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL)


def make_fact(**changes: object) -> Fact:
    """A valid fact; keyword arguments replace fields."""
    base: dict[str, object] = {
        "id": "jnim-leadership",
        "title": "Who leads JNIM",
        "answer": "JNIM is led by Iyad ag-Ghali and Amadou Kouffa.",
        "as_of": date(2025, 11, 4),
        "sources": (
            Source(
                quote="JNIM is led by Iyad ag-Ghali and Amadou Kouffa",
                document="soufan",
                title="Mali on the Brink",
                publisher="The Soufan Center",
                published=date(2025, 11, 4),
                url="https://thesoufancenter.org/intelbrief-2025-november-4/",
            ),
        ),
        "tags": ("jnim", "leadership"),
        "review_by": date(2026, 2, 1),
    }
    base.update(changes)
    return Fact(**base)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- answers


def test_answer_embed_has_title_answer_linked_source_and_as_of() -> None:
    """The answer embed carries the title, the answer, a linked source and the as-of date."""
    reply = render_answer(make_fact(), today=TODAY, asked="who leads jnim")
    (embed,) = reply.embeds
    assert embed.title == "Who leads JNIM"
    assert "Iyad ag-Ghali" in embed.description
    sources = next(f for f in embed.fields if f.name == "Sources")
    link = "[Mali on the Brink — The Soufan Center, 2025-11-04](https://thesoufancenter"
    assert link in sources.value
    assert any(f.name == "As of" and f.value == "2025-11-04" for f in embed.fields)
    assert embed.url.startswith("https://thesoufancenter.org/")
    assert "asked: who leads jnim" in embed.footer
    assert not reply.stale
    assert reply.fact_id == "jnim-leadership"


def test_stale_fact_is_flagged_after_review_date() -> None:
    """Once review_by has passed the embed says "possibly stale" and changes colour."""
    fresh = render_answer(make_fact(), today=date(2026, 2, 1))
    stale = render_answer(make_fact(), today=date(2026, 2, 2))
    assert not any("stale" in f.name.lower() for f in fresh.embeds[0].fields)
    flag = next(f for f in stale.embeds[0].fields if "Possibly stale" in f.name)
    assert "2026-02-01" in flag.value
    assert stale.stale
    assert stale.embeds[0].colour == layout.COLOUR_STALE


def test_many_sources_end_with_a_pointer_to_sources_command() -> None:
    """Sources that do not fit a field end with "…and N more: /sources id"."""
    long_title = "A very long report title " * 7
    sources = tuple(
        Source(quote="q", title=f"{long_title}{i}", url=f"https://example.org/{i}")
        for i in range(10)
    )
    embed = render_answer(make_fact(sources=sources), today=TODAY).embeds[0]
    value = embed.fields[0].value
    assert len(value) <= FIELD_VALUE_LIMIT
    assert re.search(r"…and \d+ more: `/sources jnim-leadership`$", value)


def test_overlong_answer_is_shortened_with_a_pointer() -> None:
    """An answer longer than Discord allows is cut cleanly and says so."""
    reply = render_answer(make_fact(answer="word " * 2000), today=TODAY)
    assert reply_within_limits(reply)
    assert "shortened" in reply.embeds[0].description


def test_source_title_cannot_break_its_link() -> None:
    """Brackets and parentheses in a source title are escaped inside the masked link."""
    src = Source(quote="q", title="Evil](https://evil.example) [x", url="https://ok.example/a")
    value = render_answer(make_fact(sources=(src,)), today=TODAY).embeds[0].fields[0].value
    assert value.startswith("• [Evil\\](https://evil.example) \\[x](https://ok.example/a)")


def test_unsafe_url_is_not_linked() -> None:
    """Only plain http(s) URLs become links."""
    src = Source(quote="q", title="T", url="javascript:alert(1)")
    value = render_answer(make_fact(sources=(src,)), today=TODAY).embeds[0].fields[0].value
    assert value == "• T"


def test_miss_is_honest_and_offers_up_to_three_suggestions() -> None:
    """A miss says "I have no fact on …" and offers at most three well-formed suggestions."""
    alts = tuple(Alternative(f"fact-{i}", f"Title {i}", 50 - i) for i in range(5))
    bad = Alternative("Bad Id!", "x", 1)
    answer = Answer("who leads Boko Haram", "no_match", 30.0, None, (*alts, bad))
    reply = render_miss(answer)
    assert reply.content.startswith("I have no fact on “who leads Boko Haram”.")
    assert [s.fact_id for s in reply.suggestions] == ["fact-0", "fact-1", "fact-2"]
    assert not reply.embeds
    assert reply.fact_id is None


def test_render_dispatches_on_status() -> None:
    """render() gives the embed for an answer and the miss text otherwise."""
    fact = make_fact()
    assert render(Answer("q", "answered", 90, fact), today=TODAY).embeds
    assert render(Answer("q", "no_match", 10), today=TODAY).content.startswith("I have no fact")


def test_repeat_pointer_links_the_earlier_answer() -> None:
    """The repeat pointer names the fact and carries the jump link."""
    url = "https://discord.com/channels/1/2/3"
    expected = f"I answered “Who leads \\*JNIM\\*” here a moment ago: {url}"
    assert render_repeat("Who leads *JNIM*", url) == expected


def test_sources_pages_carry_full_quotes_within_limits() -> None:
    """/sources shows every quote; ten long quotes spread over several embeds."""
    sources = tuple(
        Source(quote=f"quote {i} " + "x" * 990, title=f"Doc {i}", url="https://e.org/")
        for i in range(10)
    )
    pages = render_sources(make_fact(sources=sources))
    assert len(pages) > 1
    assert all(embed_within_limits(p) and len(p) <= EMBED_TOTAL_LIMIT for p in pages)
    shown = [f.name for p in pages for f in p.fields]
    assert shown == [f"{i + 1}. Doc {i}" for i in range(10)]


def test_topics_are_grouped_by_tag_and_paged() -> None:
    """Topics list facts under their tags, a few tags per page, each page within limits."""
    facts = [make_fact(id=f"f-{i}", title=f"Fact {i}", tags=(f"tag-{i % 9}",)) for i in range(40)]
    topics: dict[str, list[Fact]] = {}
    for fact in facts:
        topics.setdefault(fact.tags[0], []).append(fact)
    pages = render_topics(topics).pages
    assert len(pages) == 2
    assert [f.name for f in pages[0].fields][:2] == ["tag-0 (5)", "tag-1 (5)"]
    assert "`f-0` Fact 0" in pages[0].fields[0].value
    assert pages[1].footer.endswith("page 2/2")
    assert all(embed_within_limits(p) for p in pages)
    assert render_topics(topics).page(99)[0] == 1  # a stale page number is clamped


def test_no_topics_still_gives_one_page() -> None:
    """An empty store shows one "No facts yet" page."""
    assert render_topics({}).pages[0].description == "No facts yet."


def test_huge_topic_is_truncated_with_a_count() -> None:
    """A tag with too many facts for a field ends with "…and N more"."""
    facts = [make_fact(id=f"fact-number-{i}", title="T" * 100) for i in range(50)]
    field = render_topics({"big": facts}).pages[0].fields[0]
    assert len(field.value) <= FIELD_VALUE_LIMIT
    assert re.search(r"…and \d+ more$", field.value)


def test_choices_are_capped_and_deduplicated() -> None:
    """Autocomplete offers at most 25 choices, names and values at most 100 characters."""
    alts = [Alternative(f"f-{i}", f"Title {i % 30} " * 20, 1.0) for i in range(60)]
    out = choices(alts)
    assert 0 < len(out) <= 25
    assert all(isinstance(c, Choice) for c in out)
    assert all(0 < len(c.name) <= 100 for c in out)
    assert all(0 < len(c.value) <= 100 for c in out)
    assert len({c.value.casefold() for c in out}) == len(out)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("<@42> who leads JNIM", "who leads JNIM"),
        ("<@!42>, ask: fuel imports", "fuel imports"),
        ("  <@42>", ""),
        ("<@&7> who leads JNIM", "who leads JNIM"),
        ("hello <@42> who", None),
        ("<@43> who", None),
        ("!ask who", None),
    ],
)
def test_mention_query(content: str, expected: str | None) -> None:
    """Only a message that starts with the bot's (or its role's) mention is a question."""
    assert mention_query(content, 42, role_id=7) == expected


# --------------------------------------------------------------------------- escaping


@pytest.mark.parametrize(
    "text",
    ["@everyone", "@here", "<@123>", "<@!123>", "<@&456>", "@EVERYONE hi", "x<@&1>y@here"],
)
def test_echo_breaks_every_mention(text: str) -> None:
    """Echoed text never contains a usable mention."""
    assert not MENTION_PATTERNS.search(echo(text))


@settings(max_examples=200)
@given(TRICKY)
def test_echo_is_safe_short_and_faithful(text: str) -> None:
    """For any text: no mentions, no bidi, one line, bounded; unescaped it is the cleaned text."""
    out = echo(text)
    assert not MENTION_PATTERNS.search(out)
    assert not BIDI.search(out)
    assert "\n" not in out
    assert len(out) <= 3 * layout.ECHO_LIMIT
    restored = unescape(out.replace(layout.ZWSP, ""))
    cleaned = layout.clean(text, newlines=False)
    shortened = restored.endswith("…") and cleaned.startswith(restored[:-1].rstrip())
    assert restored == cleaned or shortened


@given(TRICKY)
def test_neutralize_mentions_is_idempotent_and_safe(text: str) -> None:
    """Neutralising twice changes nothing more, and leaves no mention pattern."""
    once = neutralize_mentions(layout.clean(text))
    assert neutralize_mentions(once) == once
    assert not MENTION_PATTERNS.search(once)


# --------------------------------------------------------------------------- splitting


@settings(max_examples=150)
@given(TRICKY, st.integers(min_value=50, max_value=2000))
def test_split_text_is_lossless_and_bounded(text: str, limit: int) -> None:
    """Pieces are within the limit and join back to the input."""
    pieces = split_text(text, limit)
    assert "".join(pieces) == text
    assert all(len(p) <= limit for p in pieces)


@settings(max_examples=150)
@given(TRICKY, st.sampled_from([200, 1000, CONTENT_LIMIT]))
def test_split_for_discord_closes_fences_and_never_tears_mentions(text: str, limit: int) -> None:
    """Each chunk fits, holds an even number of fences and no torn mention or link."""
    text = layout.clean(text)
    chunks = split_for_discord(text, limit)
    assert all(len(c) <= limit for c in chunks)
    assert all(c.count("```") % 2 == 0 for c in chunks)
    for chunk in chunks:
        assert not re.search(r"<@[!&]?\d*$", chunk)  # no mention cut at the end
        assert not re.search(r"\[[^\]\n]*\]\([^)\s]*$", chunk)  # no link cut at the end
    parts = layout.fenced_pieces(text, limit)
    assert "".join(piece for _, piece, _ in parts) == text
    assert chunks == [a + b + c for a, b, c in parts]


def test_split_reopens_code_block_with_its_language() -> None:
    """A code block cut in two is closed and reopened with the same language."""
    text = "intro\n```python\n" + "print('x')\n" * 300 + "```\nafter"
    chunks = split_for_discord(text, 500)
    assert len(chunks) > 2
    assert chunks[0].endswith("\n```")
    assert chunks[1].startswith("```python\n")
    assert all(c.count("```") % 2 == 0 for c in chunks)


def test_split_prefers_paragraphs() -> None:
    """Cuts fall between paragraphs when there is room."""
    text = ("a" * 300 + "\n\n") * 10
    assert all(p.endswith("\n\n") for p in split_text(text, 700))


def test_shorten_never_exceeds_limit() -> None:
    """shorten() respects the limit even with a long marker."""
    assert shorten("abc def ghi", 5) == "abc…"
    assert len(shorten("x" * 50, 3, marker="…!!!")) == 3


@given(
    st.builds(make_fact, answer=TRICKY.filter(str.strip), title=st.text(min_size=1, max_size=300))
)
def test_rendered_answers_always_fit(fact: Fact) -> None:
    """Whatever the fact says, its reply fits Discord's limits."""
    reply = render_answer(fact, today=TODAY, asked="q" * 500)
    assert reply_within_limits(reply)


def test_embed_part_to_dict_shape() -> None:
    """to_dict() gives Discord's embed JSON."""
    part = EmbedPart("T", "D", "https://x.org", (Field("n", "v", True),), "f", 1)
    assert part.to_dict() == {
        "type": "rich",
        "title": "T",
        "color": 1,
        "description": "D",
        "url": "https://x.org",
        "fields": [{"name": "n", "value": "v", "inline": True}],
        "footer": {"text": "f"},
    }
    assert len(part) == 5


def test_retired_fact_says_so() -> None:
    """A retired fact shown by id is marked as retired."""
    embed = render_answer(make_fact(status="retired"), today=TODAY).embeds[0]
    assert any(f.name == "Retired" for f in embed.fields)


def test_id_choices_show_title_and_give_id() -> None:
    """Id autocomplete shows "Title (id)" within 100 characters and gives the id."""
    alts = [
        Alternative("jnim-leadership", "Who leads JNIM", 1),
        Alternative("x-" * 30 + "y", "T" * 200, 1),
    ]
    out = id_choices(alts)
    assert out[0] == Choice("Who leads JNIM (jnim-leadership)", "jnim-leadership")
    assert all(len(c.name) <= 100 for c in out)
    assert out[1].value == "x-" * 30 + "y"


@pytest.mark.parametrize(
    ("lines", "limit", "used", "expected"),
    [
        (["aaaa", "bbbb"], 100, 0, ["aaaa", "bbbb"]),
        ([], 10, 0, []),
        # The last line needs no room kept for a count.
        (["aaaa", "bbbb"], 10, 0, ["aaaa", "bbbb"]),
        # Room for the count line is kept while a line follows: "+2" replaces both.
        (["aaaa", "bbbb", "cccc"], 12, 0, ["aaaa", "+2"]),
        (["aaaa", "bbbb"], 10, 6, ["+2"]),
    ],
)
def test_fit_lines_keeps_whole_lines_and_counts_the_rest(
    lines: list[str], limit: int, used: int, expected: list[str]
) -> None:
    """Lines that fit are kept whole; what does not is one count line, itself within room."""
    kept = layout.fit_lines(lines, limit, lambda n: f"+{n}", used=used)
    assert kept == expected
    assert used + len("\n".join(kept)) <= limit
