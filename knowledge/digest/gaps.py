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
Negative answer feedback is the other half of the report (:func:`gap_report`).
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
from ..models import Alternative, Answer, Fact, FeedbackCount, QueryRecord

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
class GapReport:
    """What Sitrep is missing: unanswered question families and facts people voted down."""

    unanswered: tuple[Gap, ...] = ()
    disliked: tuple[FactFeedback, ...] = ()


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


def gap_report(
    queries: Iterable[QueryRecord],
    matcher: Asker | None,
    feedback: Iterable[FeedbackCount],
    facts: Iterable[Fact],
    *,
    days: float,
    now: datetime,
    limit: int | None = None,
) -> GapReport:
    """Unanswered question families (see :func:`gaps`) and facts with negative feedback.

    ``feedback`` should cover the same window (``FactStore.feedback.summary(since=...)``).
    """
    return GapReport(
        unanswered=tuple(gaps(queries, matcher, days=days, now=now, limit=limit)),
        disliked=tuple(disliked_facts(feedback, facts)[:limit]),
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
