"""Promotion: a passage becomes a proposed fact that validates, the same way every time."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from knowledge.documents.meta import document_meta
from knowledge.documents.models import DocumentMeta, Passage
from knowledge.documents.passages import split_passages
from knowledge.documents.promote import (
    informative_sentence,
    propose,
    proposed_id,
    proposed_title,
    suggested_keys,
)
from knowledge.documents.read import read_text
from knowledge.models import Document
from knowledge.validation import fact_problems

SAHEL = Path(__file__).resolve().parents[2] / "eval" / "docs" / "sahel-wire-2026-11-20.md"
TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("sentence", "title"),
    [
        (
            "The Ministry of Humanitarian Action said at least 41 people have died in the floods.",
            "At least 41 people have died in the floods",
        ),
        (
            "About 600 trucks were parked along the road, the truck drivers' association said.",
            "About 600 trucks were parked along the road",
        ),
        ('"The water came at night," Maïga told reporters.', "The water came at night"),
        ("Six of the waiting ships are fuel tankers.", "Six of the waiting ships are fuel tankers"),
        (
            "A second WFP convoy has been held up because the RN7 highway between Dosso and Gaya "
            "has been closed since a 40-metre section of the road was washed away.",
            "A second WFP convoy has been held up because the RN7 highway between Dosso and Gaya",
        ),
    ],
)
def test_proposed_title(sentence: str, title: str) -> None:
    """Titles drop attribution, stop at a clause and end on a content word."""
    assert proposed_title(sentence) == title


def test_suggested_keys_are_names_numbers_and_section() -> None:
    """Keys: multi-word names, number phrases, the section; no lone sentence-initial word."""
    keys = suggested_keys(
        "Officials said the Ministry of Public Health recorded 312 suspected cases in Gaya.",
        "Cholera outbreak",
    )
    assert keys == ("Ministry of Public Health", "Gaya", "312 suspected", "cholera outbreak")


def test_proposed_id_is_a_slug_of_content_words() -> None:
    """Stop words are left out of the id."""
    assert (
        proposed_id("At least 41 people have died in the floods") == "least-41-people-died-floods"
    )


def test_informative_sentence_prefers_particulars() -> None:
    """Of several sentences, the one with numbers and names is quoted."""
    text = "It was bad. The ministry recorded 312 cases in Gaya and Tanda. Many fled."
    passage = Passage("d", 1, 0, len(text), text)
    start, end = informative_sentence(passage)
    assert text[start:end] == "The ministry recorded 312 cases in Gaya and Tanda."


def _sahel() -> tuple[str, DocumentMeta, list[Passage]]:
    read = read_text(SAHEL.read_bytes(), SAHEL.name)
    meta = document_meta(SAHEL.name, {"date": "2026-11-20", "publisher": "Sahel Wire"}, read)
    return read.text, meta, split_passages(read.text, document_id=meta.id, headings=read.headings)


def test_every_sahel_passage_proposes_a_valid_fact() -> None:
    """Each proposal passes the fact rules, its quote checked against the document."""
    text, meta, passages = _sahel()
    doc = Document(meta.id, meta.title, meta.publisher, meta.published, meta.url, text)
    for passage in passages:
        fact = propose(passage, meta, text, today=TODAY)
        assert fact_problems(fact, {meta.id: doc}) == [], passage.text
        assert fact.sources[0].quote in passage.text
        assert fact.as_of == date(2026, 11, 20)


def test_proposals_are_deterministic() -> None:
    """The same passage proposes the same fact."""
    text, meta, passages = _sahel()
    assert [propose(p, meta, text, today=TODAY) for p in passages] == [
        propose(p, meta, text, today=TODAY) for p in passages
    ]


def test_undated_document_uses_today() -> None:
    """Without a document date, as_of is the given day."""
    meta = DocumentMeta("d", "T")
    passage = split_passages("The river rose to 6.3 metres at Gaya.", document_id="d")[0]
    fact = propose(passage, meta, passage.text, today=TODAY)
    assert fact.as_of == TODAY
    assert fact.tags == ()
