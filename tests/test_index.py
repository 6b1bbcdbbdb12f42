"""The term index: analyses, counts and search stay right through rebuilds and updates."""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

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


def _top(index: TermIndex, *terms: str, limit: int = 100) -> list[str]:
    """The ids of the facts that score best on ``terms``, each a clause of its own."""
    rows = index.top([((term,), 1.0) for term in terms], limit)
    docs = index.docs(rows)
    return [docs[row].fact_id for row in rows]


def test_rebuild_indexes_every_fact(index: TermIndex) -> None:
    """Every fact is there, with document frequencies and search results that agree."""
    assert index.size() == len(FACTS)
    df = index.df(["jnim", "fuel", "nope"])
    assert set(df) == {"jnim", "fuel"}
    assert len(_top(index, "jnim")) == df["jnim"]
    assert len(_top(index, "jnim", limit=1)) == 1
    assert _top(index, "nope") == []
    assert index.meta("revision") == "1"


def test_top_puts_the_facts_most_about_a_term_first() -> None:
    """A fact with the whole key "Kayes" comes before one with Kayes in its title, and that
    one before a fact that only mentions Kayes in its answer."""
    base = FACTS[0]
    mentions = dataclasses.replace(
        base, id="mentions", title="Fuel", keys=("fuel",), answer="Convoys reach Kayes."
    )
    titled = dataclasses.replace(base, id="titled", title="Kayes siege", keys=("siege",))
    whole = dataclasses.replace(base, id="whole", title="The siege", keys=("Kayes",))
    index = TermIndex(sqlite3.connect(":memory:", isolation_level=None))
    index.rebuild((index_fact(f, ANALYZER) for f in (mentions, titled, whole)), {})
    assert _top(index, "kay") == ["whole", "titled", "mentions"]


def test_top_adds_up_clauses(index: TermIndex) -> None:
    """A fact with two of the question's terms beats facts with one."""
    [both] = [f.id for f in FACTS if {"jnim", "lead"} <= index_fact(f, ANALYZER).terms][:1]
    assert _top(index, "jnim", "lead")[0] == both


@pytest.mark.parametrize(
    "term", ['"', "jnim OR fuel", "body:jnim", "*", "jnim)", "NEAR(a b)", "", " "]
)
def test_top_takes_terms_literally(index: TermIndex, term: str) -> None:
    """A term is looked up as it is: no query syntax, no error."""
    assert _top(index, term) == []


def test_top_without_clauses_finds_nothing(index: TermIndex) -> None:
    assert index.top([], 10) == []
    assert index.top([((), 1.0)], 10) == []
    assert index.top([(("jnim",), 1.0)], 0) == []


def test_update_replaces_and_removes(index: TermIndex) -> None:
    """Re-indexing a changed fact and removing another keeps counts and search exact."""
    before = index.df(["kay"])["kay"]
    changed = dataclasses.replace(FACTS[2], keys=(*FACTS[2].keys, "Kayes siege"))
    index.update([index_fact(changed, ANALYZER)], remove=["mali-population"], meta={})
    assert index.size() == len(FACTS) - 1
    assert index.df(["kay"])["kay"] == before
    assert "siege" in index.vocabulary()
    assert "mali-population" not in _top(index, "popul", "mali")
    assert _top(index, "sieg") == [changed.id]
    assert len(_top(index, "kay")) == before


def test_vocabulary_look_ups(index: TermIndex) -> None:
    """What typo correction and autocomplete read of the vocabulary, without holding it."""
    vocabulary = set(index.vocabulary())
    assert index.known(["kayes", "nope", "jnim"]) == {"kayes", "jnim"}
    assert index.known(f"w{i}" for i in range(2000)) == set()  # more than one statement's worth
    assert index.words_shaped(5, "k") == sorted(
        w for w in vocabulary if len(w) == 5 and w[0] == "k"
    )
    assert index.words_with_tail("ayes") == ["kayes"]
    shaped = dict(index.words_by_shape())
    assert shaped[5, "k"] == index.words_shaped(5, "k")
    assert sorted(w for bucket in shaped.values() for w in bucket) == sorted(vocabulary)
    begun = index.words_with_prefix("im", 10)
    assert begun and all(w.startswith("im") for w in begun)
    assert index.words_with_prefix("%", 10) == index.words_with_prefix("_", 10) == []


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
    before = _top(index, "jnim", "fuel")
    with pytest.raises(sqlite3.IntegrityError):
        index.update([index_fact(FACTS[1], ANALYZER), bad, bad], remove=[], meta={})
    assert index.size() == len(FACTS)
    assert _top(index, "jnim", "fuel") == before


# -- the search index on disk, and keeping it in line with the database -------------------


def _on_disk(path: Path) -> TermIndex:
    return TermIndex(sqlite3.connect(path, isolation_level=None))


@pytest.fixture
def stored(tmp_path: Path) -> TermIndex:
    """An index over the small fact set in a database file, its search index beside it."""
    index = _on_disk(tmp_path / "s.db")
    index.rebuild((index_fact(f, ANALYZER) for f in FACTS), {"revision": "1"})
    return index


def test_search_index_lives_beside_the_database(stored: TermIndex, tmp_path: Path) -> None:
    """``<database>.search/<prefix>`` holds it, and a new process finds it as it was left."""
    assert stored.search.directory == tmp_path / "s.db.search" / "match"
    assert any(stored.search.directory.iterdir())
    again = _on_disk(tmp_path / "s.db")
    assert again.sync() is False
    assert _top(again, "jnim", "fuel") == _top(stored, "jnim", "fuel")


def test_a_lost_search_index_is_rebuilt_from_the_database(
    stored: TermIndex, tmp_path: Path
) -> None:
    expected = _top(stored, "jnim", "fuel")
    assert stored.search.directory is not None
    shutil.rmtree(stored.search.directory)
    again = _on_disk(tmp_path / "s.db")
    assert _top(again, "jnim") == []
    assert again.sync() is True
    assert _top(again, "jnim", "fuel") == expected
    assert again.sync() is False


def test_a_database_restored_from_a_backup_gets_its_own_search_index(
    stored: TermIndex, tmp_path: Path
) -> None:
    """A backup taken before an update, restored after it: the search index of the newer
    state must not answer for the older database."""
    backup = tmp_path / "backup.db"
    stored.conn.execute("VACUUM INTO ?", (str(backup),))
    stored.update([], remove=["mali-population"], meta={})
    shutil.copy(backup, tmp_path / "s.db")
    restored = _on_disk(tmp_path / "s.db")
    assert restored.sync() is True
    assert "mali-population" in _top(restored, "popul")


def test_another_process_s_update_is_seen_after_sync(stored: TermIndex, tmp_path: Path) -> None:
    reader = _on_disk(tmp_path / "s.db")
    changed = dataclasses.replace(FACTS[2], keys=(*FACTS[2].keys, "Kayes siege"))
    stored.update([index_fact(changed, ANALYZER)], remove=[], meta={})
    assert reader.sync() is False
    assert _top(reader, "sieg") == [changed.id]


def test_an_interrupted_rebuild_leaves_both_as_they_were(stored: TermIndex) -> None:
    """The analyses and the search index roll back together."""
    before = _top(stored, "jnim", "fuel")

    def facts() -> Iterator[IndexedFact]:
        yield index_fact(FACTS[0], ANALYZER)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        stored.rebuild(facts(), {"revision": "2"})
    assert (stored.size(), stored.meta("revision")) == (len(FACTS), "1")
    assert _top(stored, "jnim", "fuel") == before
    assert stored.sync() is False


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
        ("The minister, aged 58, took office.", {"count", "age"}),
        # ("year" reads as a date as well)
        ("A 45-year-old nurse was freed.", {"count", "when", "age"}),
        ("The old fort held 45 men for a year.", {"count", "when"}),  # numbers, but no age
    ],
)
def test_fact_kinds(answer: str, kinds: set[str]) -> None:
    """Numbers make a count (a toll when deaths are meant); years and months a date; an
    age ("aged 58", "45-year-old") an age; "if" a condition."""
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
