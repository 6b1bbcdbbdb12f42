"""Digests and gap reports as embeds: Discord's limits, escaping, markers, splitting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.digest.content import DigestLayout, Section
from knowledge.digest.gaps import FactFeedback, Gap, GapReport, PickedQuestion
from knowledge.models import Alternative
from knowledge.render.digest import (
    CONTINUED,
    DigestPost,
    digest_marker,
    digest_post,
    read_marker,
    render_gap_report,
    safe_line,
    section_fields,
)
from knowledge.render.parts import (
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    FIELD_VALUE_LIMIT,
    embed_within_limits,
)

NOW = datetime(2026, 3, 29, 8, tzinfo=UTC)
BIDI = "\u202e"


def within_limits(post: DigestPost) -> None:
    for message in post.messages:
        assert 1 <= len(message) <= EMBEDS_PER_MESSAGE
        assert sum(len(e) for e in message) <= EMBED_TOTAL_LIMIT
        assert all(embed_within_limits(e) for e in message)


def test_marker_round_trip() -> None:
    """The footer marker names the period and the part; other footers are not markers."""
    assert digest_marker("2026-W13", 2, 3) == "Sitrep digest 2026-W13 · part 2/3"
    assert read_marker(digest_marker("2026-W13", 2, 3)) == ("2026-W13", 2, 3)
    assert read_marker("fact jnim · as of 2025-11-04") is None
    assert read_marker(None) is None


def test_safe_line_shows_user_text_literally() -> None:
    """Markdown is escaped, mentions broken, hidden characters dropped, one line."""
    line = safe_line(f"“**x** @everyone <@&12> <@34> {BIDI}`code`\nnext”")
    assert "@everyone" not in line
    assert "<@" not in line
    assert BIDI not in line
    assert "\n" not in line
    assert "\\*\\*x\\*\\*" in line
    assert "\\`code\\`" in line


def test_empty_digest_is_one_line() -> None:
    """No sections: one message, one embed, the summary as its only line."""
    post = digest_post(
        DigestLayout("Sitrep digest — 2026-03-29", "No changes since 2026-03-28."), "k"
    )
    ((embed,),) = post.messages
    assert embed.description == "No changes since 2026-03-28."
    assert embed.fields == ()
    assert embed.footer == "Sitrep digest k · part 1/1"


def test_long_section_continues_in_another_field() -> None:
    """A section longer than one field is continued under the same title."""
    lines = tuple(f"*{n}*" * 15 for n in range(20))
    fields = section_fields(Section("Unanswered questions", lines))
    assert len(fields) > 1
    assert fields[0].name == "Unanswered questions"
    assert all(f.name == "Unanswered questions" + CONTINUED for f in fields[1:])
    assert all(len(f.value) <= FIELD_VALUE_LIMIT for f in fields)
    shown = [line for f in fields for line in f.value.split("\n")]
    assert shown == ["• " + safe_line(line) for line in lines]


def test_huge_digest_is_split_across_messages() -> None:
    """More than one message can hold: parts numbered in order, every line kept, limits met."""
    sections = tuple(
        Section(f"Section {s}", tuple(f"line {s}.{n} " + "_" * 60 for n in range(40)))
        for s in range(12)
    )
    post = digest_post(DigestLayout("Sitrep digest — 2026-03-29", "Since …"), "2026-03-29")
    assert post.parts == 1
    post = digest_post(
        DigestLayout("Sitrep digest — 2026-03-29", "Since …", sections), "2026-03-29"
    )
    assert post.parts > 1
    within_limits(post)
    footers = [e.footer for message in post.messages for e in message]
    parts = [read_marker(f) for f in footers]
    assert {p[2] for p in parts if p} == {post.parts}
    assert sorted({p[1] for p in parts if p}) == list(range(1, post.parts + 1))
    text = "\n".join(f.value for message in post.messages for e in message for f in e.fields)
    assert all(f"line {s}.{n} " in text for s in range(12) for n in range(40))
    first = post.messages[0][0]
    assert first.description == "Since …"
    assert all(e.description == "" for message in post.messages for e in message[1:])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(min_size=1, max_size=300),
            st.lists(st.text(max_size=300), max_size=30),
        ),
        max_size=15,
    )
)
def test_any_digest_respects_discord_limits(raw: list[tuple[str, list[str]]]) -> None:
    """A6, property: whatever the sections say, every message fits Discord's limits and no
    line can ping."""
    sections = tuple(Section(title, tuple(lines)) for title, lines in raw)
    post = digest_post(DigestLayout("Sitrep digest", "summary", sections), "2026-03-29")
    within_limits(post)
    for message in post.messages:
        for embed in message:
            for f in embed.fields:
                assert "@everyone" not in f.value
                assert "<@" not in f.value


def gap(text: str, count: int, *closest: str, examples: tuple[str, ...] = ()) -> Gap:
    alternatives = tuple(Alternative(fid, f"Title of {fid}", 50.0) for fid in closest)
    return Gap(text, count, NOW - timedelta(hours=1), examples or (text,), alternatives)


def test_gap_report_embed() -> None:
    """Numbered gaps with counts, other phrasings, closest facts and when last asked; facts
    voted down; user text escaped; within limits."""
    report = GapReport(
        (
            gap("exchange rate", 4, examples=("exchange rate", "exchnage rate")),
            gap("**fuel** @everyone", 1, "fuel-queues", "fuel-blockade"),
        ),
        (FactFeedback("jnim-leadership", "Who leads JNIM", 1, 3),),
    )
    embed = render_gap_report(report, days=7, now=NOW)
    assert embed_within_limits(embed)
    assert embed.title == "Gaps — the last 7 days"
    names = [f.name for f in embed.fields]
    assert names[0] == "1. “exchange rate” — 4 times"
    assert names[1].startswith("2. “\\*\\*fuel\\*\\* @\u200beveryone”")
    values = [f.value for f in embed.fields]
    assert "Also asked as “exchnage rate”" in values[0]
    assert "No fact comes close" in values[0]
    assert "Closest: Title of fuel-queues (`fuel-queues`) · Title of fuel-blockade" in values[1]
    assert f"<t:{int((NOW - timedelta(hours=1)).timestamp())}:R>" in values[1]
    assert names[2] == "Negative feedback"
    assert values[2] == "• Who leads JNIM (`jnim-leadership`): 3 👎, 1 👍"


def test_gap_report_shows_the_most_asked_and_says_how_many() -> None:
    """More gaps than shown: the description says so; an empty report says there are none."""
    many = GapReport(tuple(gap(f"question {n}", 20 - n) for n in range(15)))
    embed = render_gap_report(many, days=1.5, now=NOW)
    assert len(embed.fields) == 10
    assert "Showing the 10 most asked of 15." in embed.description
    assert embed.title == "Gaps — the last 1.5 days"
    empty = render_gap_report(GapReport(), days=1, now=NOW)
    assert empty.description == "No unanswered questions in this period."
    assert empty.title == "Gaps — the last day"


def test_gap_report_with_long_everything_stays_within_limits() -> None:
    """Long questions, many close facts and many down-voted facts still fit one embed."""
    report = GapReport(
        tuple(gap("q" * 200 + str(n), 3, *(f"fact-{i}" for i in range(10))) for n in range(10)),
        tuple(FactFeedback(f"fact-{n}", "T" * 200, 0, 5) for n in range(50)),
    )
    embed = render_gap_report(report, days=90, now=NOW)
    assert embed_within_limits(embed)
    assert embed.fields[-1].value.endswith("more")


def picked(text: str, fact_id: str, count: int = 1, people: int = 1) -> PickedQuestion:
    return PickedQuestion(text, fact_id, f"Title of {fact_id}", count, people, NOW, (count,))


def test_gap_report_lists_picked_questions_by_letter() -> None:
    """Picked questions follow the gaps, lettered, with the fact picked and by how many;
    the description says what "Add as key" does; user text is escaped."""
    report = GapReport(
        (gap("exchange rate", 4),),
        picked=(picked("wagner losses", "tinzawaten-2024", 3, 2), picked("**x** @here", "kayes")),
    )
    embed = render_gap_report(report, days=7, now=NOW)
    assert embed_within_limits(embed)
    fields = {f.name: f.value for f in embed.fields}
    assert list(fields)[1:] == [
        "A. “wagner losses” — 3 times",
        "B. “\\*\\*x\\*\\* @\u200bhere” — once",
    ]
    value = fields["A. “wagner losses” — 3 times"]
    assert "Picked: Title of tinzawaten-2024 (`tinzawaten-2024`), by 2 people" in value
    assert f"<t:{int(NOW.timestamp())}:R>" in value
    assert "by 1 person" in fields["B. “\\*\\*x\\*\\* @\u200bhere” — once"]
    assert "Asked, then picked from the suggestions (A–B)" in embed.description
    assert "“Add as key”" in embed.description


def test_gap_report_with_only_picks_and_more_than_shown() -> None:
    """No gaps but picks: both are said; at most five picks, one row of buttons."""
    many = GapReport(picked=tuple(picked(f"question {n}", "kayes") for n in range(8)))
    embed = render_gap_report(many, days=7, now=NOW)
    assert [f.name[:2] for f in embed.fields] == ["A.", "B.", "C.", "D.", "E."]
    assert embed.description.startswith("No unanswered questions in this period.")
    assert "(A–E)" in embed.description and "Showing 5 of 8." in embed.description
    one = render_gap_report(GapReport(picked=(picked("q", "kayes"),)), days=7, now=NOW)
    assert "suggestions (A):" in one.description
