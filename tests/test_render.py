"""Rendering: the JSON contract and the terminal text."""

from __future__ import annotations

import dataclasses
from datetime import date

from sample import FACTS

from knowledge.models import Alternative, Answer
from knowledge.render.terminal import answer_to_json, answer_to_text, fact_to_text, topics_to_text

FACT = FACTS[0]
TODAY = date(2026, 1, 1)


def test_answer_json_contract() -> None:
    """An answered query carries the fact, its sources and its staleness."""
    data = answer_to_json(
        Answer("q", "answered", 88.0, FACT, (Alternative("x", "X", 40.0),)), TODAY
    )
    assert data["fact"]["as_of"] == "2025-11-04" and data["fact"]["stale"] is False
    assert data["fact"]["sources"][0] == {
        "title": "A test brief",
        "publisher": "Test Publisher",
        "published": "2025-11-04",
        "url": "https://example.org/brief",
        "quote": "JNIM is led by Iyad ag-Ghali and Amadou Kouffa",
    }
    assert data["alternatives"] == [{"id": "x", "title": "X", "score": 40.0}]


def test_no_match_json_has_null_fact() -> None:
    """no_match has fact null and may still carry suggestions."""
    data = answer_to_json(Answer("q", "no_match", 12.5), TODAY)
    assert data == {
        "query": "q",
        "status": "no_match",
        "score": 12.5,
        "fact": None,
        "alternatives": [],
    }


def test_stale_fact_is_flagged() -> None:
    """Past its review date a fact says so, in JSON and in text."""
    stale = dataclasses.replace(FACT, review_by=date(2025, 12, 1))
    assert answer_to_json(Answer("q", "answered", 90.0, stale), TODAY)["fact"]["stale"] is True
    assert "possibly stale: review was due 2025-12-01" in fact_to_text(stale, TODAY)


def test_text_shows_sources_with_quotes() -> None:
    """The terminal text has the answer, the as-of date and each source with its quote."""
    text = answer_to_text(Answer("q", "answered", 90.0, FACT), TODAY)
    assert FACT.answer in text and "As of 2025-11-04" in text
    assert "A test brief — Test Publisher, 2025-11-04 <https://example.org/brief>" in text
    assert "“JNIM is led by Iyad ag-Ghali and Amadou Kouffa”" in text


def test_no_match_text_suggests_or_points_to_topics() -> None:
    """A miss says so and offers close topics, or the topic list when nothing is close."""
    with_alts = answer_to_text(
        Answer("who leads X", "no_match", 30.0, None, (Alternative("a", "A", 30.0),)), TODAY
    )
    assert with_alts.startswith("I have no fact on that") and "sitrep show a" in with_alts
    assert "sitrep topics" in answer_to_text(Answer("zzz", "no_match", 0.0), TODAY)


def test_topics_text() -> None:
    """Topics list tags with their facts; an empty store says how to load."""
    assert "jnim (1)" in topics_to_text({"jnim": [FACT]})
    assert "sitrep load" in topics_to_text({})
