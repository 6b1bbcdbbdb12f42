"""Gaps: unanswered questions grouped, counted, re-checked against the facts; negative feedback."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sample import BRIEF, FACTS, GLOSSARY

from knowledge.digest.gaps import (
    MAX_EXAMPLES,
    FactFeedback,
    PickedQuestion,
    clean_text,
    disliked_facts,
    gap_report,
    gaps,
    group_unanswered,
    is_key_of,
    picked_questions,
    without_picked,
)
from knowledge.documents.answers import PassageHit
from knowledge.documents.models import DocumentMeta, Passage
from knowledge.matching.matcher import Matcher
from knowledge.models import Answer, FeedbackCount, Pick, QueryRecord, QueryStatus
from knowledge.store.db import open_db
from knowledge.store.facts import FactStore

NOW = datetime(2026, 3, 29, 12, tzinfo=UTC)


def record(
    query: str, minutes_ago: float = 60, status: QueryStatus = "no_match", n: int = 0
) -> QueryRecord:
    """A logged query ``minutes_ago`` before NOW (a passage answer names its passage)."""
    at = NOW - timedelta(minutes=minutes_ago)
    fact_id = "x" if status == "answered" else None
    passage_id = "report@1:0-40" if status == "passage" else None
    return QueryRecord(n, at, query, status, fact_id, 0.0, passage_id=passage_id)


def grouped(*texts: str) -> list[tuple[str, int]]:
    """(representative, count) of the gaps over queries with these texts, no matcher."""
    queries = [record(text, minutes_ago=i) for i, text in enumerate(texts)]
    return [(g.text, g.count) for g in group_unanswered(queries, None)]


GROUPING = [
    (
        "same text, case and punctuation",
        ["exchange rate", "Exchange rate?", "EXCHANGE RATE!!"],
        [("exchange rate", 3)],
    ),
    (
        "same terms, other words",
        ["what's the exchange rate", "exchange rates", "the exchange rate"],
        [("what's the exchange rate", 3)],
    ),
    ("a typo", ["exchange rate", "exchange rate", "exchnage rate"], [("exchange rate", 3)]),
    (
        "a plural and a typo",
        ["fuel price in Bamako", "fuel prices bamako", "feul price bamako"],
        [("fuel price in Bamako", 3)],
    ),
    (
        "different countries stay apart",
        ["population of Togo", "population of Niger", "population of Togo"],
        [("population of Togo", 2), ("population of Niger", 1)],
    ),
    (
        "a lone word does not swallow a longer question",
        ["mali", "exchange rate in mali", "exchange rate in mali"],
        [("exchange rate in mali", 2), ("mali", 1)],
    ),
    (
        "accents fold",
        ["Côte d'Ivoire border", "cote divoire border"],
        [("Côte d'Ivoire border", 2)],
    ),
    (
        "stopwords only stay as typed",
        ["what is it", "what is it", "who"],
        [("what is it", 2), ("who", 1)],
    ),
]


@pytest.mark.parametrize(
    ("texts", "expected"), [g[1:] for g in GROUPING], ids=[g[0] for g in GROUPING]
)
def test_grouping(texts: list[str], expected: list[tuple[str, int]]) -> None:
    """Normalised duplicates, same-term questions and near-duplicates merge; others do not."""
    assert grouped(*texts) == expected


def test_ignores_answered_and_empty_queries() -> None:
    """Only no_match questions with some content count."""
    queries = [
        record("exchange rate"),
        record("who leads jnim", status="answered"),
        record("   "),
        record("?!"),
        record("🙂"),
    ]
    assert [(g.text, g.count) for g in group_unanswered(queries, None)] == [("exchange rate", 1)]


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["passage"], []),
        (["passage", "passage", "no_match"], [("exchange rate", 1)]),
        (["no_match", "passage", "answered", "no_match"], [("exchange rate", 2)]),
        (["answered", "passage"], []),
    ],
)
def test_passage_answers_are_not_gaps(statuses: list[QueryStatus], expected: list[object]) -> None:
    """A question an unreviewed passage answered is answered: only no_match makes a gap."""
    queries = [record("exchange rate", minutes_ago=i, status=s) for i, s in enumerate(statuses)]
    assert [(g.text, g.count) for g in group_unanswered(queries, None)] == expected
    assert [(g.text, g.count) for g in gaps(queries, None, days=1, now=NOW)] == expected


def test_gap_fields_examples_and_last_asked() -> None:
    """A gap keeps its count, its latest time and a few distinct phrasings, most asked first."""
    queries = [
        record("exchange rate", minutes_ago=50),
        record("exchange rate", minutes_ago=40),
        record("exchange rates", minutes_ago=30),
        record("the exchange rate", minutes_ago=5),
        record("exchange rate today?", minutes_ago=20),
        record("exchnage rate", minutes_ago=10),
    ]
    (gap,) = group_unanswered(queries, None)
    assert gap.text == "exchange rate" and gap.count == 6
    assert gap.last_asked == NOW - timedelta(minutes=5)
    assert len(gap.examples) == MAX_EXAMPLES and gap.examples[0] == "exchange rate"
    assert gap.closest == ()


def test_order_and_limit() -> None:
    """Most asked first; equal counts: most recently asked first; limit cuts the list."""
    queries = [
        record("togo", minutes_ago=30),
        record("niger", minutes_ago=10),
        record("benin", minutes_ago=20),
        record("benin", minutes_ago=25),
    ]
    assert [g.text for g in group_unanswered(queries, None)] == ["benin", "niger", "togo"]
    assert [g.text for g in group_unanswered(queries, None, limit=2)] == ["benin", "niger"]


def test_window_by_days_and_now() -> None:
    """Only questions from the last ``days`` up to ``now`` count."""
    queries = [
        record("recent", minutes_ago=60),
        record("old", minutes_ago=60 * 24 * 8),
        record("future", minutes_ago=-5),
    ]
    assert [g.text for g in gaps(queries, None, days=7, now=NOW)] == ["recent"]
    assert {g.text for g in gaps(queries, None, days=9, now=NOW)} == {"recent", "old"}


@pytest.mark.parametrize(
    ("days", "now", "error"),
    [(7, datetime(2026, 3, 29), "timezone-aware"), (0, NOW, "positive"), (-1, NOW, "positive")],
)
def test_gaps_refuses_bad_arguments(days: float, now: datetime, error: str) -> None:
    """A naive now or a non-positive window is a bug in the caller."""
    with pytest.raises(ValueError, match=error):
        gaps([], None, days=days, now=now)


class CountingAsker:
    """A matcher stand-in that answers nothing and counts what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def ask(self, query: str) -> Answer:
        """No answer, ever."""
        self.asked.append(query)
        return Answer(query, "no_match", 0.0)


def test_each_phrasing_is_asked_once() -> None:
    """Re-checking costs one matcher call per distinct normalised text, with its usual spelling."""
    asker = CountingAsker()
    queries = [record(t) for t in ("Exchange rate", "Exchange rate", "exchange rate?", "togo")]
    group_unanswered(queries, asker)
    assert sorted(asker.asked) == ["Exchange rate", "togo"]


# --- against a real store and matcher ---------------------------------------------------------


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """The store's clock: an hour later at each reading, ending before NOW."""
    clock_times = iter(NOW - timedelta(hours=100 - i) for i in range(100))
    return lambda: next(clock_times)


@pytest.fixture
def store(store: FactStore) -> FactStore:
    """The shared store, with the sample facts and a week of unanswered questions."""
    s = store
    s.sync([BRIEF], FACTS, actor="seed")
    for text in (
        "who leads Boko Haram",
        "Who leads Boko Haram?",
        "who leader boko haram",
        "population of Togo",
        "Togo population",
        "exchange rate",
    ):
        s.queries.log(Answer(text, "no_match", 20.0), guild_id=1)
    return s


def run_gaps(store: FactStore) -> dict[str, int]:
    """Gaps of the store's last week, with a matcher over its current facts."""
    matcher = Matcher(store.facts(), GLOSSARY)
    return {g.text: g.count for g in gaps(store.queries.records(), matcher, days=7, now=NOW)}


def test_gaps_with_store_and_matcher() -> None:
    """Questions group and carry the closest facts from the matcher."""
    db = open_db(":memory:")
    s = FactStore(db, clock=lambda: NOW - timedelta(hours=1))
    s.sync([BRIEF], FACTS, actor="seed")
    s.queries.log(Answer("who leads Boko Haram", "no_match", 20.0))
    (gap,) = gaps(s.queries.records(), Matcher(s.facts(), GLOSSARY), days=1, now=NOW)
    assert "jnim-leadership" in [alt.id for alt in gap.closest]
    db.close()


def test_closing_a_gap_with_a_key(store: FactStore) -> None:
    """After a moderator adds the question as a key, the gap leaves the report."""
    before = run_gaps(store)
    assert before == {"who leads Boko Haram": 3, "Togo population": 2, "exchange rate": 1}
    store.add_key("mali-population", "Togo population", actor="mod")
    after = run_gaps(store)
    assert after == {"who leads Boko Haram": 3, "exchange rate": 1}


def test_gap_report_lists_negative_feedback(store: FactStore) -> None:
    """The report holds the unanswered questions and the facts people voted down."""
    store.feedback.record(1, 10, -1, fact_id="kayes")
    store.feedback.record(1, 11, -1, fact_id="kayes")
    store.feedback.record(2, 10, 1, fact_id="kayes")
    store.feedback.record(3, 10, 1, fact_id="fuel-imports")
    report = gap_report(
        store.queries.records(),
        Matcher(store.facts(), GLOSSARY),
        store.feedback.summary(NOW - timedelta(days=7)),
        store.facts(),
        days=7,
        now=NOW,
    )
    assert report.unanswered[0].text == "who leads Boko Haram"
    assert report.disliked == (FactFeedback("kayes", "Kayes under blockade", 1, 2),)


def test_gap_report_leaves_out_questions_a_passage_answered(store: FactStore) -> None:
    """Logged as passage answers, questions stay out of the report; as misses, they are in."""
    hit = PassageHit(
        Passage("report", 1, 0, 40, "The exchange rate fell."),
        DocumentMeta("report", "Report"),
        60.0,
    )
    for _ in range(4):
        store.queries.log(Answer("exchange rate today", "no_match", 20.0), passage=hit)
    store.queries.log(Answer("exchange rate", "no_match", 20.0))
    report = gap_report(
        store.queries.records(), None, [], store.facts(), days=7, now=NOW, limit=None
    )
    counts = {g.text: g.count for g in report.unanswered}
    assert counts["exchange rate"] == 2  # the fixture's one and this one; no passage answers
    assert sum(counts.values()) == 7


def test_disliked_facts_orders_and_names() -> None:
    """Most down votes first; an unknown fact keeps its id as title; no down votes, no entry."""
    counts = [
        FeedbackCount("kayes", 0, 1),
        FeedbackCount("gone", 2, 3),
        FeedbackCount("fuel-imports", 9, 0),
    ]
    assert disliked_facts(counts, FACTS) == [
        FactFeedback("gone", "gone", 2, 3),
        FactFeedback("kayes", "Kayes under blockade", 0, 1),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  many   spaces\tand\nlines ", "many spaces and lines"),
        ("bidi \u202eevil\u202c", "bidi evil"),
        ("nul\x00 and zero\u200bwidth", "nul and zerowidth"),
        ("x" * 300, "x" * 199 + "…"),
    ],
)
def test_clean_text(text: str, expected: str) -> None:
    """User text is shown on one line, without control or invisible characters, capped."""
    assert clean_text(text) == expected


# --- "did you mean" picks --------------------------------------------------------------------

BY_ID = {f.id: f for f in FACTS}


def pick(
    query: str, fact_id: str, n: int = 1, *, minutes_ago: float = 30, picker: str = "p1"
) -> Pick:
    """A pick of ``fact_id`` for logged question number ``n``, ``minutes_ago`` before NOW."""
    at = NOW - timedelta(minutes=minutes_ago)
    return Pick(n, at, n, query, fact_id, 1, picker)


def proposed(picks: list[Pick], **options: object) -> list[tuple[str, str, int]]:
    """(text, fact, count) of the picked questions proposed, no matcher."""
    return [(p.text, p.fact_id, p.count) for p in picked_questions(picks, FACTS, **options)]  # type: ignore[arg-type]


PICKS = [
    (
        "spellings of one question, one fact",
        [pick("Kayes siege", "kayes", 1), pick("kayes siege?", "kayes", 2)],
        [("Kayes siege", "kayes", 2)],
    ),
    (
        "one question, two facts",
        [pick("fuel crisis", "fuel-imports", 1), pick("fuel crisis", "kayes", 2)],
        [("fuel crisis", "fuel-imports", 1), ("fuel crisis", "kayes", 1)],
    ),
    (
        "most picked first",
        [pick("b", "kayes", 1), pick("a", "kayes", 2), pick("a", "kayes", 3)],
        [("a", "kayes", 2), ("b", "kayes", 1)],
    ),
    ("an unknown fact", [pick("Kayes siege", "gone", 1)], []),
    ("already a key, other case and punctuation", [pick("Kayes blockade?!", "kayes", 1)], []),
    ("too long to be a key", [pick("siege " * 25, "kayes", 1)], []),
    ("no words", [pick("?!", "kayes", 1)], []),
]


@pytest.mark.parametrize(("picks", "expected"), [p[1:] for p in PICKS], ids=[p[0] for p in PICKS])
def test_picked_questions(picks: list[Pick], expected: list[tuple[str, str, int]]) -> None:
    """Picks group by question (normalised) and fact; keys, unknown facts, overlong and
    wordless questions are not proposed."""
    assert proposed(picks) == expected


def test_picked_question_details() -> None:
    """A proposal names the fact's title, the people who picked, the latest pick and the
    logged questions it stands for."""
    picks = [
        pick("Kayes siege", "kayes", 4, minutes_ago=50, picker="a"),
        pick("kayes siege", "kayes", 9, minutes_ago=10, picker="b"),
        pick("Kayes siege", "kayes", 7, minutes_ago=30, picker="a"),
    ]
    assert picked_questions(picks, FACTS) == [
        PickedQuestion(
            text="Kayes siege",
            fact_id="kayes",
            title="Kayes under blockade",
            count=3,
            people=2,
            last_picked=NOW - timedelta(minutes=10),
            query_ids=(4, 7, 9),
        )
    ]
    assert proposed(picks, limit=0) == []


def test_a_retired_facts_pick_is_not_proposed() -> None:
    """A key on a retired fact would answer nobody."""
    retired = {**BY_ID, "kayes": replace(BY_ID["kayes"], status="retired")}
    assert picked_questions([pick("Kayes siege", "kayes")], retired) == []


def test_a_question_that_answers_now_is_not_proposed() -> None:
    """With a matcher, a question that finds an answer now (closed another way) is left out."""
    matcher = Matcher(FACTS, GLOSSARY)
    picks = [pick("who leads JNIM now", "jnim-strength", 1), pick("Kayes siege", "kayes", 2)]
    assert [p.text for p in picked_questions(picks, FACTS, matcher)] == ["Kayes siege"]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Kayes blockade", True),
        ("  KAYES   blockade?? ", True),
        ("Kayes blockades", False),
        ("blockade Kayes", False),
        ("", False),
    ],
)
def test_is_key_of(question: str, expected: bool) -> None:
    """The same words as a key, whatever the case, spacing or punctuation."""
    assert is_key_of(BY_ID["kayes"], question) is expected


def test_without_picked_counts_each_question_once() -> None:
    """The questions a proposal stands for are left out of the gaps; the rest stay."""
    queries = [record("Kayes siege", n=1), record("Kayes siege", n=2), record("exchange rate", n=3)]
    (picked,) = picked_questions([pick("Kayes siege", "kayes", 2)], FACTS)
    assert [q.id for q in without_picked(queries, [picked])] == [1, 3]


def test_gap_report_lists_picks_and_leaves_them_out_of_the_gaps(store: FactStore) -> None:
    """A question asked then picked for is proposed as a key, counted there and not as a
    gap; another asking of it without a pick stays a gap. A pick of a fact retired since
    hands its question back to the gaps; picks outside the window are ignored."""
    records = store.queries.records()
    boko = next(r for r in records if r.query == "who leads Boko Haram")
    togo = next(r for r in records if r.query == "population of Togo")
    picks = [
        Pick(1, NOW - timedelta(hours=1), boko.id, boko.query, "jnim-leadership", 1, "a"),
        Pick(2, NOW - timedelta(hours=1), togo.id, togo.query, "kayes", 1, "a"),
        Pick(3, NOW - timedelta(days=9), 999, "exchange rate", "fuel-imports", 1, "a"),
    ]
    store.retire("kayes", actor="mod")

    def report() -> dict[str, object]:
        made = gap_report(
            records, None, [], store.facts(include_retired=True), days=7, now=NOW, picks=picks
        )
        return {
            "picked": [(p.text, p.fact_id, p.count) for p in made.picked],
            "gaps": {g.text: g.count for g in made.unanswered},
        }

    assert report() == {
        "picked": [("who leads Boko Haram", "jnim-leadership", 1)],
        # 3 askings of the Boko Haram question, one picked for; the latest asked leads.
        "gaps": {"who leader boko haram": 2, "Togo population": 2, "exchange rate": 1},
    }
