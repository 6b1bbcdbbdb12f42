"""Gaps: what people asked that Sitrep could not answer, grouped and counted; pure.

A gap is a family of unanswered questions (logged with status ``no_match``). Questions are
normalised (:func:`text.words`: folded, accent-free, punctuation split) and grouped:

1. identical normalised text is one *phrasing*, counted, with its most common spelling kept;
2. every phrasing is asked again through the matcher: one that answers NOW (a moderator has
   since added a key or a fact) is dropped, so closing a gap makes it leave the report;
3. phrasings with the same content terms (stems, stopwords dropped: "exchange rates" and
   "what's the exchange rate") or a ``token_set_ratio`` of at least :data:`MERGE_RATIO` on
   their folded content words ("exchnage rate") join one gap. A phrasing must share at
   least half as many content words as the other has, so "mali" does not swallow
   "exchange rate in mali" just because one is a subset of the other.

Each gap carries the most asked phrasing as its text, the total count, a few example
phrasings, when it was last asked and the closest facts (the matcher's "did you mean").
Negative answer feedback is another part of the report (:func:`gap_report`).

"Did you mean" picks are the third (:func:`picked_questions`): a question asked without an
answer whose asker then chose one of the suggested facts. Such a question is proposed as a
key of the fact picked, and is counted there rather than among the gaps: the asker already
said what it meant, so the report shows it once, where one click closes it. A pick that is
no longer proposed (its fact retired, say) hands its question back to the gaps.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from rapidfuzz import fuzz, process

from ..matching.text import STOPWORDS, stem, words
from ..models import Alternative, Answer, Fact, FeedbackCount, Pick, QueryRecord
from ..validation import MAX_KEY

MERGE_RATIO = 90.0
"""rapidfuzz ``token_set_ratio`` (0–100) at or above which two phrasings are one gap."""
MIN_WORD_SHARE = 0.5
"""The shorter phrasing needs at least this share of the longer one's content words."""
MAX_EXAMPLES = 3
MAX_PHRASINGS = 1000
"""Distinct phrasings considered (most asked first): bounds the cost of asking them again."""
MAX_TEXT = 200
_DROP = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


class Asker(Protocol):
    """Anything that answers a query the way :class:`~knowledge.matcher.Matcher` does."""

    def ask(self, query: str) -> Answer:
        """The verdict on ``query``."""
        ...


@dataclass(frozen=True, slots=True)
class Gap:
    """A family of unanswered questions: representative text, count, examples, closest facts."""

    text: str
    count: int
    last_asked: datetime
    examples: tuple[str, ...] = ()
    closest: tuple[Alternative, ...] = ()


@dataclass(frozen=True, slots=True)
class FactFeedback:
    """A fact whose answers were voted down (and how often up)."""

    fact_id: str
    title: str
    up: int
    down: int


@dataclass(frozen=True, slots=True)
class PickedQuestion:
    """A question asked without an answer, then answered in its askers' view by picking
    ``fact_id`` from the "did you mean" suggestions: a proposed key of that fact.

    ``text`` is its most common spelling (the key to add), ``count`` the picks, ``people``
    how many different people made them, ``query_ids`` the logged questions picked for.
    """

    text: str
    fact_id: str
    title: str
    count: int
    people: int
    last_picked: datetime
    query_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class GapReport:
    """What Sitrep is missing: unanswered question families, facts people voted down, and
    questions whose askers picked their answer from the suggestions."""

    unanswered: tuple[Gap, ...] = ()
    disliked: tuple[FactFeedback, ...] = ()
    picked: tuple[PickedQuestion, ...] = ()


@dataclass(slots=True)
class _Phrasing:
    """All logged questions with one normalised text."""

    key: str
    spellings: Counter[str] = field(default_factory=Counter)
    count: int = 0
    last: datetime | None = None
    terms: frozenset[str] = frozenset()
    content: str = ""
    size: int = 0
    answer: Answer | None = None

    @property
    def text(self) -> str:
        """The most common spelling (ties: the first seen)."""
        return self.spellings.most_common(1)[0][0]


def clean_text(text: str, limit: int = MAX_TEXT) -> str:
    """User text made safe to show: no control or invisible characters, one line, capped."""
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch) not in _DROP
    )
    one_line = " ".join(kept.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1].rstrip() + "…"


def gaps(
    queries: Iterable[QueryRecord],
    matcher: Asker | None,
    *,
    days: float,
    now: datetime,
    limit: int | None = None,
) -> list[Gap]:
    """Unanswered questions of the ``days`` before ``now``, grouped, most asked first.

    ``now`` must be timezone-aware (the query log is in UTC). Without a matcher nothing is
    asked again and gaps carry no closest facts.
    """
    if now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    if days <= 0:
        raise ValueError("days must be positive")
    start = now - timedelta(days=days)
    return group_unanswered((q for q in queries if start <= q.at <= now), matcher, limit=limit)


def group_unanswered(
    queries: Iterable[QueryRecord], matcher: Asker | None, *, limit: int | None = None
) -> list[Gap]:
    """Group every ``no_match`` query given (no time window), most asked first."""
    phrasings = _phrasings(queries)
    if matcher is not None:
        for phrasing in phrasings:
            phrasing.answer = matcher.ask(phrasing.text)
        phrasings = [p for p in phrasings if p.answer is None or not p.answer.answered]
    clusters = _cluster(phrasings)
    found = [_gap(cluster) for cluster in clusters]
    found.sort(key=lambda g: (-g.count, -g.last_asked.timestamp(), g.text))
    return found if limit is None else found[: max(0, limit)]


def disliked_facts(
    feedback: Iterable[FeedbackCount], facts: Mapping[str, Fact] | Iterable[Fact]
) -> list[FactFeedback]:
    """Facts with at least one down vote, most down votes first, with their titles."""
    by_id = facts if isinstance(facts, Mapping) else {f.id: f for f in facts}
    found = [
        FactFeedback(
            count.fact_id,
            by_id[count.fact_id].title if count.fact_id in by_id else count.fact_id,
            count.up,
            count.down,
        )
        for count in feedback
        if count.down > 0
    ]
    found.sort(key=lambda f: (-f.down, f.up, f.fact_id))
    return found


def picked_questions(
    picks: Iterable[Pick],
    facts: Mapping[str, Fact] | Iterable[Fact],
    matcher: Asker | None = None,
    *,
    limit: int | None = None,
) -> list[PickedQuestion]:
    """Questions picked for, one per normalised text and fact picked, most picked first.

    Not proposed: the pick of a fact that is retired or unknown, a question the fact already
    has as a key (see :func:`is_key_of`), one too long to be a key, and, with a matcher, a
    question that finds an answer now (it was closed another way).
    """
    by_id = facts if isinstance(facts, Mapping) else {f.id: f for f in facts}
    groups: dict[tuple[str, str], list[Pick]] = {}
    for pick in picks:
        folded = words(pick.query)
        if folded:
            groups.setdefault((" ".join(folded), pick.fact_id), []).append(pick)
    found = []
    for (_, fact_id), members in groups.items():
        fact = by_id.get(fact_id)
        if fact is None or fact.status != "active":
            continue
        text = Counter(clean_text(p.query) for p in members).most_common(1)[0][0]
        if len(text) > MAX_KEY or is_key_of(fact, text):
            continue
        if matcher is not None and matcher.ask(text).answered:
            continue
        found.append(
            PickedQuestion(
                text=text,
                fact_id=fact.id,
                title=fact.title,
                count=len(members),
                people=len({p.picker for p in members}),
                last_picked=max(p.at for p in members),
                query_ids=tuple(sorted({p.query_id for p in members})),
            )
        )
    found.sort(key=lambda p: (-p.count, -p.last_picked.timestamp(), p.text, p.fact_id))
    return found if limit is None else found[: max(0, limit)]


def is_key_of(fact: Fact, question: str) -> bool:
    """True if ``fact`` has ``question`` as a key already: the same words, whatever their
    case, accents or punctuation ("Exchange rate?" is the key "exchange rate")."""
    asked = words(question)
    return bool(asked) and any(words(key) == asked for key in fact.keys)


def without_picked(
    queries: Iterable[QueryRecord], picked: Iterable[PickedQuestion]
) -> list[QueryRecord]:
    """The queries that no proposed pick stands for: each question is counted once, among
    the picks if its asker picked a fact that is proposed, else among the gaps."""
    taken = {query_id for p in picked for query_id in p.query_ids}
    return [q for q in queries if q.id not in taken]


def gap_report(
    queries: Iterable[QueryRecord],
    matcher: Asker | None,
    feedback: Iterable[FeedbackCount],
    facts: Iterable[Fact],
    *,
    days: float,
    now: datetime,
    limit: int | None = None,
    picks: Iterable[Pick] = (),
) -> GapReport:
    """Unanswered question families (see :func:`gaps`), facts with negative feedback, and
    questions picked for (see :func:`picked_questions`), which the gaps then leave out.

    ``feedback`` should cover the same window (``FactStore.feedback.summary(since=...)``);
    ``picks`` are taken from the same window as the queries.
    """
    if now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    start = now - timedelta(days=days)
    by_id = {f.id: f for f in facts}
    recent = [p for p in picks if start <= p.at <= now]
    picked = picked_questions(recent, by_id, matcher, limit=None)
    unanswered = gaps(without_picked(queries, picked), matcher, days=days, now=now, limit=limit)
    return GapReport(
        unanswered=tuple(unanswered),
        disliked=tuple(disliked_facts(feedback, by_id)[:limit]),
        picked=tuple(picked[:limit]),
    )


# --- internals ---------------------------------------------------------------------------------


def _phrasings(queries: Iterable[QueryRecord]) -> list[_Phrasing]:
    """``no_match`` queries with content, one entry per normalised text, most asked first."""
    by_key: dict[str, _Phrasing] = {}
    for record in queries:
        if record.status != "no_match":
            continue
        folded = words(record.query)
        if not folded:
            continue
        key = " ".join(folded)
        phrasing = by_key.get(key)
        if phrasing is None:
            content = [w for w in folded if w not in STOPWORDS]
            phrasing = by_key[key] = _Phrasing(
                key=key,
                terms=frozenset(stem(w) for w in content),
                content=" ".join(content),
                size=len(set(content)),
            )
        phrasing.spellings[clean_text(record.query)] += 1
        phrasing.count += 1
        if phrasing.last is None or record.at > phrasing.last:
            phrasing.last = record.at
    ordered = sorted(by_key.values(), key=_rank)
    return ordered[:MAX_PHRASINGS]


def _rank(phrasing: _Phrasing) -> tuple[int, float, str]:
    last = phrasing.last.timestamp() if phrasing.last is not None else 0.0
    return (-phrasing.count, -last, phrasing.key)


def _cluster(phrasings: list[_Phrasing]) -> list[list[_Phrasing]]:
    """Join each phrasing to the first (most asked) group it resembles, else start one."""
    clusters: list[list[_Phrasing]] = []
    heads: list[str] = []  # each group's first phrasing's content words, for rapidfuzz
    by_terms: dict[frozenset[str], int] = {}
    for phrasing in phrasings:
        index = by_terms.get(phrasing.terms) if phrasing.terms else None
        if index is None and phrasing.content:
            index = _closest(phrasing, heads, clusters)
        if index is None:
            index = len(clusters)
            clusters.append([])
            heads.append(phrasing.content)
        clusters[index].append(phrasing)
        if phrasing.terms:
            by_terms.setdefault(phrasing.terms, index)
    return clusters


def _closest(phrasing: _Phrasing, heads: list[str], clusters: list[list[_Phrasing]]) -> int | None:
    """The earliest group whose head is a near-duplicate of ``phrasing``, if any."""
    matches = process.extract(
        phrasing.content, heads, scorer=fuzz.token_set_ratio, score_cutoff=MERGE_RATIO, limit=None
    )
    for index in sorted(match[2] for match in matches):
        head = clusters[index][0]
        small, large = sorted((phrasing.size, head.size))
        if large and small / large >= MIN_WORD_SHARE:
            return int(index)
    return None


def _gap(cluster: list[_Phrasing]) -> Gap:
    head = cluster[0]
    last = max(p.last for p in cluster if p.last is not None)
    examples = tuple(dict.fromkeys(p.text for p in cluster))[:MAX_EXAMPLES]
    return Gap(
        text=head.text,
        count=sum(p.count for p in cluster),
        last_asked=last,
        examples=examples,
        closest=head.answer.alternatives if head.answer is not None else (),
    )
