"""Answers from passages: the stored passage index follows ingests, versions and removals."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from knowledge.desk import Desk
from knowledge.documents.answers import (
    PASSAGE_INDEX,
    PassageMatcher,
    acronyms,
    index_passage,
    pseudo_fact,
)
from knowledge.documents.models import DocumentMeta, Passage
from knowledge.documents.read import read_text
from knowledge.matching.evidence import text_evidence
from knowledge.matching.index import CONTEXT
from knowledge.matching.text import Analyzer
from knowledge.models import Glossary
from knowledge.store.db import open_db
from knowledge.store.facts import FactStore

NOW = datetime(2026, 12, 1, tzinfo=UTC)
REPORT = (
    b"# Floods in Dosso\n\n"
    b"At least 41 people have died in the floods, the civil protection directorate said.\n\n"
    b"The river reached 6.3 metres at the Gaya gauge, the highest level on record.\n"
)
QUESTION = "how high did the river reach at the Gaya gauge"


def _desk(path: Path) -> Desk:
    return Desk(FactStore(open_db(path), clock=lambda: NOW), Glossary(), clock=lambda: NOW)


def _ingest(desk: Desk, body: bytes, doc_id: str = "dosso", title: str = "Floods") -> None:
    desk.documents.ingest(read_text(body, "r.md"), DocumentMeta(doc_id, title), actor="t")


def _indexed(desk: Desk) -> list[str]:
    conn = desk.store.db.conn
    return [row[0] for row in conn.execute(f"SELECT fact_id FROM {PASSAGE_INDEX}_docs")]


def _hit(desk: Desk, query: str) -> str | None:
    hit = desk.passage_for(desk.ask(query, log=False))
    return None if hit is None else hit.passage.text


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    """A desk with no facts and one ingested report."""
    desk = _desk(tmp_path / "a.db")
    _ingest(desk, REPORT)
    return desk


def test_an_ingested_passage_answers_and_is_indexed_in_the_store(desk: Desk) -> None:
    """The answer comes from the stored index, which holds each passage once."""
    assert _hit(desk, QUESTION) is not None and "6.3 metres" in (_hit(desk, QUESTION) or "")
    assert len(_indexed(desk)) == 2 == len(desk.passage_matcher)


def test_stored_and_in_memory_matchers_agree(desk: Desk) -> None:
    """The stored index answers exactly as a matcher built in memory from the passages."""
    memory = PassageMatcher(desk.documents.passages(), Glossary())
    for query in (QUESTION, "how many people died in the floods", "who leads Chad"):
        stored, built = desk.passage_matcher.ask(query), memory.ask(query)
        assert (stored and stored.passage) == (built and built.passage)


def test_the_stored_index_holds_what_each_passage_text_bears_out(desk: Desk) -> None:
    """Counts and names are read once, when a passage is indexed, not at every question;
    what is stored is what reading the text now gives."""
    index = desk.passage_matcher._matcher.index
    entries = index.docs(list(range(1, len(desk.passage_matcher) + 1))).values()
    analyzer = Analyzer(Glossary())
    assert entries
    for entry in entries:
        assert entry.evidence == text_evidence(entry.title, analyzer)
    assert any(entry.evidence and entry.evidence.numbers for entry in entries)


def test_a_new_version_replaces_the_old_passages_in_the_index(desk: Desk) -> None:
    """Only the current version answers; the old version's passages leave the index."""
    desk.passage_matcher  # noqa: B018 (index the first version)
    _ingest(desk, REPORT.replace(b"6.3", b"6.5"))
    assert "6.5 metres" in (_hit(desk, QUESTION) or "")
    assert all(pid.startswith("dosso@2:") for pid in _indexed(desk))


def test_a_removed_document_stops_answering_and_a_restored_one_answers_again(
    desk: Desk,
) -> None:
    """Removal and restoration are caught up from the document events."""
    assert _hit(desk, QUESTION) is not None
    desk.documents.remove("dosso", actor="t")
    assert _hit(desk, QUESTION) is None and _indexed(desk) == []
    _ingest(desk, REPORT)
    assert _hit(desk, QUESTION) is not None


def test_a_reopened_desk_uses_the_stored_index_without_rebuilding(
    desk: Desk, tmp_path: Path
) -> None:
    """The index survives a restart: a second process answers at once from the same rows."""
    desk.passage_matcher  # noqa: B018
    rows = desk.store.db.conn.execute(f"SELECT row FROM {PASSAGE_INDEX}_docs").fetchall()
    desk.close()
    again = _desk(tmp_path / "a.db")
    assert _hit(again, QUESTION) is not None
    assert again.store.db.conn.execute(f"SELECT row FROM {PASSAGE_INDEX}_docs").fetchall() == rows


def test_a_changed_analysis_rebuilds_the_passage_index(desk: Desk, tmp_path: Path) -> None:
    """A stored index from other analysis rules (another fingerprint) is rebuilt whole."""
    desk.passage_matcher  # noqa: B018
    conn = desk.store.db.conn
    conn.execute(f"UPDATE {PASSAGE_INDEX}_meta SET value = 'old' WHERE name = 'fingerprint'")
    conn.execute(f"DELETE FROM {PASSAGE_INDEX}_docs")
    desk.close()
    again = _desk(tmp_path / "a.db")
    assert _hit(again, QUESTION) is not None and len(_indexed(again)) == 2


def test_other_documents_stay_indexed_when_one_changes(desk: Desk) -> None:
    """Catch-up touches only the documents named by new events."""
    _ingest(desk, b"Cholera was confirmed in Gaya on 17 November.", doc_id="cholera")
    desk.passage_matcher  # noqa: B018
    desk.documents.remove("cholera", actor="t")
    assert _hit(desk, "when was cholera confirmed in Gaya") is None
    assert sorted(pid.split("@")[0] for pid in _indexed(desk)) == ["dosso", "dosso"]


@pytest.mark.parametrize(
    "passage_id", ["", "dosso", "dosso@x:1-2", "dosso@1:5", "dosso@1:0-3", "nope@1:0-17"]
)
def test_passage_by_id_is_none_for_ids_that_name_no_passage(desk: Desk, passage_id: str) -> None:
    """A malformed id, or one of no stored passage, loads nothing (and raises nothing)."""
    assert desk.documents.passage_by_id(passage_id) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The World Food Programme began distributing rations.", ("WFP",)),
        ("Médecins Sans Frontières opened a centre.", ("MSF",)),
        ("the Economic Community of West African States met", ("ECWAS", "ECOWAS")),
        # Initials that spell a word would read as that word.
        ("The World Health Organization approved doses.", ()),
        # Two names joined by "and" stay two names; one capitalised word is no name.
        ("the Red Cross of Niger and Niger Basin Authority", ("RCN", "RCON", "NBA")),
        ("Gaya and Tanda are towns.", ()),
        # Two letters are enough when they spell no word ("EU" does: "European Union").
        ("The United Nations launched an appeal.", ("UN",)),
        ("The European Union sent aid.", ()),
    ],
)
def test_acronyms(text: str, expected: tuple[str, ...]) -> None:
    """Multi-word names give the initials a reader may ask with."""
    assert acronyms(text) == expected


def test_a_question_by_acronym_finds_the_passage_that_spells_the_name_out(
    tmp_path: Path,
) -> None:
    """ "WFP" finds the World Food Programme's passage."""
    desk = _desk(tmp_path / "w.db")
    _ingest(desk, b"The World Food Programme gives rations to 60,000 people in Gaya.")
    assert "60,000" in (_hit(desk, "how many people get WFP rations") or "")


def test_a_passage_of_several_sentences_is_compared_sentence_by_sentence() -> None:
    """Each sentence is a key of the passage's pseudo-fact; a one-sentence passage has none."""
    long = Passage("d", 1, 0, 41, "The river rose. Rescuers sought nine people.")
    short = Passage("d", 1, 0, 15, "The river rose.")
    meta = DocumentMeta("d", "Floods", "Wire")
    assert pseudo_fact(long, meta).keys == ("The river rose.", "Rescuers sought nine people.")
    assert pseudo_fact(short, meta).keys == ()


@pytest.mark.parametrize(
    ("heading", "tags"),
    [("Cholera in the camps", ("Cholera in the camps",)), ("Floods in Dosso", ()), ("", ())],
)
def test_a_section_heading_is_a_tag_and_the_title_is_context(
    heading: str, tags: tuple[str, ...]
) -> None:
    """A section's heading tags its passages; the document's title (also the heading before
    the first section) is context: stored with the passage, never posted or counted."""
    passage = Passage("d", 1, 0, 15, "The river rose.", heading)
    meta = DocumentMeta("d", "Floods in Dosso", "Wire")
    assert pseudo_fact(passage, meta).tags == tags
    indexed = index_passage(passage, meta, Analyzer(Glossary()))
    assert {f"{CONTEXT}flood", f"{CONTEXT}dosso"} <= indexed.terms
    assert "dosso" not in indexed.terms and "dosso" not in indexed.head


def test_context_terms_are_neither_posted_nor_counted(tmp_path: Path) -> None:
    """The title's words are no way in to a passage and do not make a word look common."""
    desk = _desk(tmp_path / "c.db")
    _ingest(desk, REPORT, title="Report from the Dosso region")
    conn = desk.store.db.conn
    counted = {t for (t,) in conn.execute(f"SELECT term FROM {PASSAGE_INDEX}_terms")}
    assert not any(t.startswith(CONTEXT) for t in counted)
    index = desk.passage_matcher._matcher.index
    assert index.top([((f"{CONTEXT}region", f"{CONTEXT}dosso"), 1.0)], 10) == []
    assert index.top([(("flood",), 1.0)], 10)
    stored = conn.execute(f"SELECT terms FROM {PASSAGE_INDEX}_docs").fetchall()
    # No passage says "region": each has the title's word as context.
    assert all(f"{CONTEXT}region" in terms.split() for (terms,) in stored)


SECTIONS = (
    b"# Floods and cholera in Dosso\n\n"
    b"At least 41 people have died in the floods, the civil protection directorate said.\n\n"
    b"## Cholera in the camps\n\n"
    b"By 19 November the ministry had recorded 312 suspected cases and 7 deaths.\n\n"
    b"The laboratory in Niamey found the bacterium in 9 of 14 samples; the first case was"
    b" a seven-year-old girl.\n\n"
    b"## Warnings\n\n"
    b"The regional governor, Colonel Abdourahamane Sidi, said warnings were broadcast.\n\n"
    b"The governor said families would be helped to rebuild on higher ground.\n\n"
    b"## Life in the sites\n\n"
    b"At the stadium, volunteers from the Red Cross of Niger run a kitchen for 2,500 people.\n\n"
    b"## Aid and money\n\n"
    b"The government launched a flash appeal for 48 million dollars to cover six months.\n\n"
    b"## Security\n\n"
    b"Traders say the curfew in Gaya starts too early and keeps buyers away.\n\n"
    b"The prefect imposed a curfew in Gaya from 7 p.m. to 6 a.m. until further notice.\n\n"
    b"Thomas Reichlin, head of the ICRC delegation in Niamey, called for calm.\n\n"
    b"## Schools\n\n"
    b"About 6,700 pupils are out of school after 23 schools were turned into shelters.\n"
)


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        # Cholera and Dosso are in the title of every passage: the one whose section speaks
        # of cholera wins, not the first that speaks of deaths.
        ("cholera deaths in Dosso", "7 deaths"),
        # "How many cases" is answered by a number of cases, not by a number of samples.
        ("how many cholera cases have been recorded", "312"),
        ("how many cholera cases are there in Niamey", None),
        # "Who" is answered by a name beside the role asked about; the title gives Dosso.
        ("who is the governor of Dosso region", "Abdourahamane Sidi"),
        ("who is the governor of Agadez", None),
        # A name made of the question's words is what it asks about, not who.
        ("who runs the kitchen at the stadium", "Red Cross of Niger"),
        ("who is the president of Niger", None),
        # "Ask for" phrases the question: the appeal's text need not say "ask".
        ("how much money does the flash appeal ask for", "48 million"),
        # A time of day answers "what time": the passage that gives one wins.
        ("what time does the curfew start", "7 p.m."),
        # What is counted may be worded another way: students are counted as pupils.
        ("how many students are out of school", "6,700"),
        # The head the text names is the ICRC delegation's, not Dosso's.
        ("who is the head of Dosso", None),
    ],
)
def test_passages_answer_from_their_own_words(
    tmp_path: Path, question: str, answer: str | None
) -> None:
    """What a passage's own text says decides between passages a question's words all fit."""
    desk = _desk(tmp_path / "s.db")
    _ingest(desk, SECTIONS, title="Floods and cholera in Dosso")
    hit = _hit(desk, question)
    assert (hit is None) if answer is None else (answer in (hit or "")), hit
