"""The term index: postings and counts stay right through rebuilds and updates."""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest
from sample import FACTS, GLOSSARY

from knowledge.matching.index import IndexedFact, TermIndex, fact_kinds, fingerprint, index_fact
from knowledge.matching.text import Analyzer
from knowledge.models import Glossary

ANALYZER = Analyzer(GLOSSARY)


@pytest.fixture
def index() -> TermIndex:
    """An index over the small fact set, in memory."""
    index = TermIndex(sqlite3.connect(":memory:", isolation_level=None))
    index.rebuild((index_fact(f, ANALYZER) for f in FACTS), {"revision": "1"})
    return index


def test_rebuild_indexes_every_fact(index: TermIndex) -> None:
    """Every fact is there, with document frequencies and postings that agree."""
    assert index.size() == len(FACTS)
    df = index.df(["jnim", "fuel", "nope"])
    assert set(df) == {"jnim", "fuel"}
    assert len(index.postings("jnim")) == df["jnim"]
    assert len(index.postings("jnim", limit=1)) == 1
    assert index.meta("revision") == "1"


def test_postings_put_the_facts_most_about_a_term_first(index: TermIndex) -> None:
    """A fact with the whole key "Kayes" comes before one that only mentions Kayes."""
    levels = [level for _, level in index.postings("kay")]
    assert levels == sorted(levels, reverse=True)
    assert levels[0] >= 1


def test_update_replaces_and_removes(index: TermIndex) -> None:
    """Re-indexing a changed fact and removing another keeps counts exact."""
    before = index.df(["kay"])["kay"]
    changed = dataclasses.replace(FACTS[2], keys=(*FACTS[2].keys, "Kayes siege"))
    index.update([index_fact(changed, ANALYZER)], remove=["mali-population"], meta={})
    assert index.size() == len(FACTS) - 1
    assert index.df(["kay"])["kay"] == before
    assert "siege" in index.vocabulary()
    rows = [row for row, _ in index.postings("popul")]
    assert all(doc.fact_id != "mali-population" for doc in index.docs(rows).values())


def test_docs_round_trip(index: TermIndex) -> None:
    """What is stored for a fact comes back as it was analysed."""
    original = index_fact(FACTS[0], ANALYZER)
    [row] = [r for r, d in index.docs(list(range(1, 10))).items() if d.fact_id == FACTS[0].id]
    stored = index.docs([row])[row]
    assert dataclasses.replace(stored, words=frozenset()) == dataclasses.replace(
        original, words=frozenset()
    )
    assert isinstance(stored, IndexedFact)


def test_failed_update_changes_nothing(index: TermIndex) -> None:
    """An update that fails part-way leaves the index as it was."""
    bad = dataclasses.replace(index_fact(FACTS[0], ANALYZER), fact_id="kayes")  # duplicate id
    with pytest.raises(sqlite3.IntegrityError):
        index.update([index_fact(FACTS[1], ANALYZER), bad, bad], remove=[], meta={})
    assert index.size() == len(FACTS)


@pytest.mark.parametrize(
    ("answer", "kinds"),
    [
        ("JNIM has 6,000 fighters.", {"count"}),
        ("The coup was in 2021.", {"when"}),
        ("The attacks of September 11, 2001.", {"when"}),
        ("JNIM is led by two men.", {"count"}),
        ("Rescuers seek nine people reported missing.", {"count"}),
        ("Officials recorded 312 suspected cases and 7 deaths.", {"count", "toll"}),
        ("At least 41 people have died in the floods.", {"toll"}),
        ("If Bamako falls, the region would suffer.", {"if"}),
        ("Rebels killed 84 soldiers.", {"toll"}),
        ("JNIM has 6,000 fighters. Its raids left 84 soldiers dead.", {"count", "toll"}),
        ("Bamako is the capital; few know it.", set()),
    ],
)
def test_fact_kinds(answer: str, kinds: set[str]) -> None:
    """Numbers make a count (a toll when deaths are meant); years and months a date; "if" a
    condition."""
    fact = dataclasses.replace(FACTS[0], answer=answer, title="JNIM", keys=())
    assert fact_kinds(fact) == kinds


def test_fingerprint_follows_the_glossary() -> None:
    """Another glossary gives another fingerprint; the same one the same."""
    assert fingerprint(GLOSSARY) == fingerprint(GLOSSARY)
    assert fingerprint(GLOSSARY) != fingerprint(Glossary())


@pytest.mark.parametrize("prefix", ["", "Match", "match; DROP TABLE facts", "1x", "a-b"])
def test_index_table_prefix_must_be_a_plain_name(prefix: str) -> None:
    """The prefix names tables, so anything but lowercase letters and underscores is refused."""
    with pytest.raises(ValueError, match="prefix"):
        TermIndex(sqlite3.connect(":memory:"), prefix)


def test_indexes_with_different_prefixes_share_a_database_apart() -> None:
    """Two indexes in one connection keep their own facts."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    facts, passages = TermIndex(conn), TermIndex(conn, "passage_match")
    facts.rebuild([index_fact(FACTS[0], ANALYZER)], {"fingerprint": "f"})
    assert (facts.size(), passages.size()) == (1, 0)
    assert passages.meta("fingerprint") is None


@pytest.mark.parametrize(
    ("answer", "kinds"),
    [
        # News agencies abbreviate months; the day is a date, not a count.
        ("Vaccination starts on Dec. 1 in Kandi.", {"when"}),
        ("The team arrives on Sept 3.", {"when"}),
        ("The minister visited Kandi on Thursday.", {"when"}),
        ("Mar. 4 saw 52 people wounded.", {"when", "toll"}),
        # A time of day answers "what time" as a date answers "when".
        ("The curfew runs from 7 p.m. to 6 a.m.", {"when", "count"}),
        ("Shops close at 18:00.", {"when", "count"}),
        ("Fighting stopped at dawn.", {"when"}),
        ("The river rose 5.4 metres.", {"count"}),
    ],
)
def test_abbreviated_months_and_weekdays_are_dates(answer: str, kinds: set[str]) -> None:
    fact = dataclasses.replace(FACTS[0], answer=answer, title="JNIM", keys=())
    assert fact_kinds(fact) == kinds
