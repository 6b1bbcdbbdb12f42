"""The shipped fact set: complete, sourced, and reachable through the matcher."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.paths import BUNDLED_SEEDS
from knowledge.curation.files import FactSet, load_seeds
from knowledge.matching.matcher import Matcher


@pytest.fixture(scope="module")
def seeds() -> FactSet:
    """The bundled seeds, validated."""
    return load_seeds(BUNDLED_SEEDS)


@pytest.fixture(scope="module")
def matcher(seeds: FactSet) -> Matcher:
    """A matcher over the bundled seeds."""
    return Matcher(seeds.facts, seeds.glossary)


def test_every_claim_has_a_sourced_fact(seeds: FactSet) -> None:
    """At least 35 facts, each with a quoted source and keys people would type."""
    assert len(seeds.facts) >= 35
    for fact in seeds.facts:
        assert fact.sources and all(s.quote and s.url for s in fact.sources), fact.id
        assert len(fact.keys) >= 10, fact.id


def test_every_fact_answers_its_own_title(seeds: FactSet, matcher: Matcher) -> None:
    """Asking a fact's title returns that fact."""
    wrong = {f.id: matcher.ask(f.title).fact for f in seeds.facts}
    assert all(found is not None and found.id == fid for fid, found in wrong.items())


def test_keys_lead_to_their_own_fact(seeds: FactSet, matcher: Matcher) -> None:
    """At least 98% of curated keys return the fact they belong to."""
    outcome: Counter[bool] = Counter()
    for fact in seeds.facts:
        for key in fact.keys:
            found = matcher.ask(key).fact
            outcome[found is not None and found.id == fact.id] += 1
    assert outcome[True] / sum(outcome.values()) >= 0.98


@pytest.mark.parametrize(
    ("query", "must_contain"),
    [
        ("who leads JNIM", ("ag-Ghali", "Kouffa")),
        ("fuel imports", ("95", "Senegal", "Côte d'Ivoire")),
        ("GSIM", ("JNIM",)),
        ("Jama'at Nusrat ul-Islam wa al-Muslimin", ("JNIM",)),
        ("diesel shortage", ("fuel",)),
        ("who leds jnim", ("Kouffa",)),
        ("kayes", ("Kayes",)),
    ],
)
def test_issue_examples_answer(matcher: Matcher, query: str, must_contain: tuple[str, ...]) -> None:
    """The examples the product promises: questions, keywords, aliases, synonyms, typos."""
    answer = matcher.ask(query)
    assert answer.fact is not None
    assert all(text in answer.fact.answer for text in must_contain)


@pytest.mark.parametrize(
    "query",
    [
        "who leads Boko Haram",
        "population of Timbuktu",
        "who leads Africa Corps",
        "what's the exchange rate",
        "population of Togo",
    ],
)
def test_issue_examples_abstain(matcher: Matcher, query: str) -> None:
    """Questions the brief does not answer are no_match, never a neighbouring fact."""
    assert matcher.ask(query).status == "no_match"
