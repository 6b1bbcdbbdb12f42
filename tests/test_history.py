"""knowledge.history: revisions as compact, readable diffs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from sample import FACTS

from knowledge.curation.history import (
    FieldDiff,
    action_label,
    diff_lines,
    diff_states,
    field_diff,
    history_to_text,
    revision_heading,
    revision_to_text,
)
from knowledge.models import Revision, Source
from knowledge.store.rows import fact_state

FACT = replace(FACTS[0], review_by=date(2026, 2, 1), rev=1)
LONG = (
    "JNIM is led by Iyad ag-Ghali and Amadou Kouffa, each of whom has influence over "
    "diverse constituencies of followers in the region and beyond its borders."
)


def revision(before: object, after: object, rev: int = 2, action: str = "edit") -> Revision:
    """A revision between two facts (``None`` for "did not exist")."""
    return Revision(
        id=rev,
        fact_id=FACT.id,
        rev=rev,
        action=action,
        actor="discord:123456789012345678",
        at=datetime(2025, 12, 1, 9, 30, tzinfo=UTC),
        before=None if before is None else fact_state(before),  # type: ignore[arg-type]
        after=None if after is None else fact_state(after),  # type: ignore[arg-type]
        reason="clearer",
    )


def test_unchanged_states_have_no_diff() -> None:
    """Equal states differ in nothing."""
    assert diff_states(fact_state(FACT), fact_state(FACT)) == []


def test_text_diff_shows_changed_words_with_context() -> None:
    """A changed word in a long answer shows only the words around it, with cuts marked."""
    old = replace(FACT, answer=LONG)
    new = replace(FACT, answer=LONG.replace("diverse", "different"))
    (diff,) = diff_states(fact_state(old), fact_state(new))
    assert diff.field == "answer"
    assert diff.removed == ("…whom has influence over diverse constituencies of followers in…",)
    assert diff.added == ("…whom has influence over different constituencies of followers in…",)


def test_text_diff_at_the_start_has_no_leading_cut() -> None:
    """A change in the first words keeps the start of the text."""
    diff = field_diff("title", "Who leads JNIM", "Who now leads JNIM")
    assert diff == FieldDiff("title", ("Who leads JNIM",), ("Who now leads JNIM",))


def test_two_distant_changes_are_two_hunks() -> None:
    """Changes far apart are shown separately, not as one long stretch."""
    words = " ".join(f"w{i}" for i in range(40))
    changed = words.replace("w2 ", "x2 ").replace("w35", "x35")
    diff = field_diff("answer", words, changed)
    assert diff is not None
    assert len(diff.removed) == len(diff.added) == 2


def test_list_diff_shows_items_added_and_removed() -> None:
    """Keys and tags show what was added and removed; a reorder says so."""
    new = replace(FACT, keys=(*FACT.keys[1:], "JNIM chief"))
    (diff,) = diff_states(fact_state(FACT), fact_state(new))
    assert (diff.removed, diff.added) == ((FACT.keys[0],), ("JNIM chief",))
    reordered = replace(FACT, keys=tuple(reversed(FACT.keys)))
    assert diff_states(fact_state(FACT), fact_state(reordered)) == [
        FieldDiff("keys", note="order changed")
    ]


def test_sources_show_where_and_quote() -> None:
    """A source added is shown with its document or URL and its quote."""
    extra = Source(quote="Some outside claim", title="Outside", url="https://example.com/x")
    new = replace(FACT, sources=(*FACT.sources, extra))
    (diff,) = diff_states(fact_state(FACT), fact_state(new))
    assert diff.added == ("https://example.com/x “Some outside claim”",)


def test_flags_and_dates_are_one_line() -> None:
    """Status, lock and dates read as old → new."""
    new = replace(FACT, status="retired", locked=True, review_by=None)
    lines = diff_lines(diff_states(fact_state(FACT), fact_state(new)))
    assert lines == [
        "review_by: 2026-02-01 → none",
        "status: active → retired",
        "locked: unlocked → locked",
    ]


def test_new_fact_lists_its_content() -> None:
    """An added fact's diff is its content, without status and lock noise."""
    lines = diff_lines(diff_states(None, fact_state(FACT)))
    assert lines[:2] == ["title:", f"+ {FACT.title}"]
    assert "as_of: 2025-11-04" in lines
    assert "review_by: 2026-02-01" in lines
    assert not any(line.startswith(("status", "locked")) for line in lines)


def test_revision_heading_and_text() -> None:
    """The terminal form: heading, reason, indented diff."""
    rev = revision(FACT, replace(FACT, title="Leaders of JNIM", rev=2))
    assert revision_heading(rev) == (
        "rev 2 · edited · 2025-12-01 09:30 UTC · by discord:123456789012345678"
    )
    assert revision_to_text(rev).splitlines() == [
        revision_heading(rev),
        "  reason: clearer",
        "  title:",
        "  - Who leads JNIM",
        "  + Leaders of JNIM",
    ]


def test_history_text_is_newest_first() -> None:
    """`sitrep history` lists the latest revision first."""
    first = revision(None, FACT, rev=1, action="add")
    second = revision(FACT, replace(FACT, title="Leaders"), rev=2)
    text = history_to_text([first, second])
    assert text.index("rev 2") < text.index("rev 1")
    assert history_to_text([]) == "No revisions recorded."


def test_action_labels() -> None:
    """Known actions read as words; unknown ones are shown readably."""
    assert action_label("retire") == "retired"
    assert action_label("load") == "loaded from a file"
    assert action_label("some_new_action") == "some new action"
