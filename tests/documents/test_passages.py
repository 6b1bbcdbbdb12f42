"""Passages: sentence splitting, grouping, exact offsets and the content hash."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.documents.passages import (
    HARD_CHARS,
    MAX_CHARS,
    MAX_SENTENCES,
    content_hash,
    paragraphs,
    sentences,
    split_passages,
)
from knowledge.documents.read import read_text

DOCS = Path(__file__).resolve().parents[2] / "eval" / "docs"

SPLITS = [
    ("plain", "One here. Two there. Three!", ["One here.", "Two there.", "Three!"]),
    ("question", "Is it? Yes.", ["Is it?", "Yes."]),
    (
        "decimal",
        "The river reached 6.3 metres. It fell.",
        ["The river reached 6.3 metres.", "It fell."],
    ),
    ("title", "Dr. Hamani spoke. Mr. Sow did too.", ["Dr. Hamani spoke.", "Mr. Sow did too."]),
    ("initials", "John F. Kennedy and J. R. Smith met.", ["John F. Kennedy and J. R. Smith met."]),
    (
        "acronym mid",
        "The U.S. Embassy said so. Then it left.",
        ["The U.S. Embassy said so.", "Then it left."],
    ),
    (
        "acronym end",
        "It went to the U.S. The talks ended.",
        ["It went to the U.S.", "The talks ended."],
    ),
    (
        "a.m.",
        "Open from 7 a.m. to 6 p.m. for 60 days.",
        ["Open from 7 a.m. to 6 p.m. for 60 days."],
    ),
    (
        "p.m. end",
        "It closes at 6 p.m. The border opens later.",
        ["It closes at 6 p.m.", "The border opens later."],
    ),
    ("closing quote", '"We will rebuild." She left.', ['"We will rebuild."', "She left."]),
    ("lowercase next", "See e.g. the bulletin. Fine.", ["See e.g. the bulletin.", "Fine."]),
    ("number abbrev", "It is No. 5 on the list. Done.", ["It is No. 5 on the list.", "Done."]),
    ("month", "Since Nov. 12 it rained. Then not.", ["Since Nov. 12 it rained.", "Then not."]),
    ("ellipsis", "Wait... Then go.", ["Wait...", "Then go."]),
    ("newline inside", "Wrapped\nline. Next one.", ["Wrapped\nline.", "Next one."]),
    ("no punctuation", "A headline without a stop", ["A headline without a stop"]),
    (
        "gen.",
        "Gen. Sidikou signed it. Col. Maïga too.",
        ["Gen. Sidikou signed it.", "Col. Maïga too."],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in SPLITS], ids=[c[0] for c in SPLITS])
def test_sentences(text: str, expected: list[str]) -> None:
    """Sentence ends are found; abbreviations, initials and decimals do not end one."""
    assert [text[s:e] for s, e in sentences(text)] == expected


def test_paragraphs_are_trimmed_blank_line_blocks() -> None:
    """Blank lines (even with spaces) separate paragraphs; edges are trimmed."""
    text = "  A a.\nB b.\n \t\n\nC c.  \n"
    assert [text[s:e] for s, e in paragraphs(text)] == ["A a.\nB b.", "C c."]


def test_passages_group_short_sentences_and_respect_paragraphs() -> None:
    """Short sentences share a passage; a paragraph break always ends one."""
    text = "One. Two. Three. Four.\n\nFive."
    got = [p.text for p in split_passages(text, document_id="d")]
    assert got == ["One. Two. Three.", "Four.", "Five."]


def test_long_sentences_stand_alone_and_very_long_ones_are_cut() -> None:
    """A sentence over the target is its own passage; one over HARD_CHARS is cut at spaces."""
    long = "Word " * 300
    got = split_passages(f"Short one. {long.strip()}.", document_id="d")
    assert got[0].text == "Short one."
    assert all(len(p.text) <= HARD_CHARS for p in got)
    assert " ".join(p.text for p in got[1:]) == long.strip() + "."


def test_headings_are_not_passages_but_label_them() -> None:
    """A heading span becomes the heading of the passages after it."""
    read = read_text(b"# Title\n\nIntro line.\n\n## Cholera\n\nCases rose.", "a.md")
    got = split_passages(read.text, document_id="d", headings=read.headings)
    assert [(p.heading, p.text) for p in got] == [
        ("Title", "Intro line."),
        ("Cholera", "Cases rose."),
    ]


def test_passage_ids_are_stable_and_readable() -> None:
    """An id names document, version and offsets."""
    (p,) = split_passages("Hello there.", document_id="doc", version=3)
    assert p.id == "doc@3:0-12"


@pytest.mark.parametrize("path", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_test_reports_split_into_sentence_passages(path: Path) -> None:
    """The test reports: every passage is exact, short, and ends at a sentence end."""
    read = read_text(path.read_bytes(), path.name)
    got = split_passages(read.text, document_id="d", headings=read.headings)
    assert len(got) >= 20  # a report of 900 words or more is many passages, not a few
    for p in got:
        assert read.text[p.start : p.end] == p.text
        assert len(p.text) <= MAX_CHARS
        assert "\n\n" not in p.text
    enders = sum(p.text.rstrip("\"'”’)").endswith((".", "!", "?")) for p in got)
    assert enders >= len(got) - 3  # the dateline and byline have no full stop


TEXT = st.text(
    alphabet=st.sampled_from(list("ab .?!\n\t\"')U.S5,Mr")) | st.characters(), max_size=400
)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_offsets_are_exact_for_any_text(text: str) -> None:
    """For any text: passages are exact slices, in order, non-overlapping and non-empty."""
    got = split_passages(text, document_id="d")
    last = 0
    for p in got:
        assert text[p.start : p.end] == p.text
        assert p.text.strip() == p.text and p.text
        assert p.start >= last
        last = p.end
    assert len([s for p in got for s in sentences(p.text)]) >= len(got)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_every_word_lands_in_a_passage(text: str) -> None:
    """Nothing but whitespace is lost between passages."""
    got = split_passages(text, document_id="d")
    assert "".join(text.split()) == "".join("".join(p.text for p in got).split())


@settings(max_examples=100, deadline=None)
@given(TEXT)
def test_at_most_max_sentences_per_passage(text: str) -> None:
    """A passage holds at most MAX_SENTENCES sentences."""
    for p in split_passages(text, document_id="d"):
        assert len(sentences(p.text)) <= MAX_SENTENCES


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("One two.", "One two.", True),
        ("One two.", "One   two.\n", True),
        ("Café.", "Cafe\u0301.", True),
        ("One two.", "One three.", False),
    ],
)
def test_content_hash_ignores_whitespace_and_unicode_form(a: str, b: str, same: bool) -> None:
    """Same words, same hash (for idempotent re-ingest); different words, different hash."""
    assert (content_hash(a) == content_hash(b)) is same
    assert len(content_hash(a)) == 64
