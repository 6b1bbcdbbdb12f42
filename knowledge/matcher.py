"""Ranking and abstention: from a query to the one fact that answers it, or an honest no_match.

How a query is matched:

1. The query is analysed like every fact (``text.Analyzer``): folded, stemmed, glossary
   phrases rewritten to concepts, stopwords dropped, question words kept as *intent*.
2. Words the store has never seen are corrected against the store's own vocabulary when they
   are a typo away from a known word (optimal string alignment, so "feul" is one edit from
   "fuel"). A second, looser pass runs only when the first finds nothing, and its answer is
   kept only when it is clearly confident.
3. Candidates come from an inverted index of terms, rarest terms first, so a query costs the
   same whatever the size of the store.
4. Each candidate is scored on *coverage* (how much of the query's information, weighted by
   rarity, the fact contains), coverage by its curated head (title, keys, tags), and
   similarity to its closest key (rapidfuzz), less a penalty when the fact cannot give the
   kind of answer asked for ("who", "when", "how many").
5. The best candidate answers only if it covers the query: a query about something the store
   does not hold ("who leads Boko Haram", "population of Timbuktu") leaves a content word
   uncovered, and the answer is no_match with the closest facts as suggestions.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from heapq import nlargest

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from .models import Alternative, Answer, Fact, Glossary
from .text import MAX_QUERY_CHARS, MAX_QUERY_WORDS, STOPWORDS, Analysis, Analyzer, words

_COUNT_RE = re.compile(
    r"\d|\b(?:hundreds?|thousands?|millions?|billions?|dozens?|percent|half|twice)\b", re.I
)
_DATE_RE = re.compile(
    r"\b(?:1[89]\d\d|20\d\d|january|february|march|april|may|june|july|august|september"
    r"|october|november|december|decade|weeks?|years?)\b",
    re.I,
)
_KIND_OF_KEY = {"who": "who", "when": "when", "where": "where", "why": "why"}


@dataclass(frozen=True, slots=True)
class MatchConfig:
    """The matcher's tunable weights and thresholds (scores are 0–100)."""

    answer_threshold: float = 55.0
    min_coverage: float = 0.85
    coverage_weight: float = 0.45
    head_weight: float = 0.25
    similarity_weight: float = 0.30
    intent_penalty: float = 12.0
    second_pass_margin: float = 10.0
    suggest_threshold: float = 25.0
    max_candidates: int = 2000
    rerank: int = 40


@dataclass(frozen=True, slots=True)
class _Entry:
    fact: Fact
    head: frozenset[str]
    terms: frozenset[str]
    phrases: tuple[str, ...]
    kinds: frozenset[str]


@dataclass(frozen=True, slots=True)
class Scored:
    """One candidate's score and its parts, for ranking and for explaining a verdict."""

    fact: Fact
    score: float
    coverage: float
    head_coverage: float
    similarity: float
    missing: tuple[str, ...]


def _kinds(fact: Fact) -> frozenset[str]:
    kinds: set[str] = set()
    for key in (fact.title, *fact.keys):
        first = words(key)[:1]
        if first and first[0] in _KIND_OF_KEY:
            kinds.add(_KIND_OF_KEY[first[0]])
        if words(key)[:2] in (["how", "many"], ["how", "much"]):
            kinds.add("count")
    if _COUNT_RE.search(fact.answer):
        kinds.add("count")
    if _DATE_RE.search(fact.answer):
        kinds.add("when")
    return frozenset(kinds)


class Matcher:
    """Answers queries from a fixed set of facts; build a new one when the facts change."""

    def __init__(
        self, facts: Iterable[Fact], glossary: Glossary, config: MatchConfig | None = None
    ) -> None:
        self.config = config or MatchConfig()
        self.analyzer = Analyzer(glossary)
        self._entries: list[_Entry] = []
        postings: dict[str, list[int]] = defaultdict(list)
        vocabulary: set[str] = set()
        for fact in facts:
            if fact.status != "active":
                continue
            head_texts = (fact.title, *fact.keys, *(t.replace("-", " ") for t in fact.tags))
            body_texts = (fact.answer, *(s.quote for s in fact.sources))
            head = self.analyzer.terms(head_texts)
            terms = frozenset(head | self.analyzer.terms(body_texts))
            phrases = tuple(
                dict.fromkeys(" ".join(self.analyzer.analyse(t).terms) for t in head_texts[:1] + fact.keys)
            )
            index = len(self._entries)
            self._entries.append(_Entry(fact, frozenset(head), terms, phrases, _kinds(fact)))
            for term in terms:
                postings[term].append(index)
            for text in (*head_texts, *body_texts):
                vocabulary.update(words(text))
        for group_words in self.analyzer.concept_words.values():
            vocabulary.update(group_words)
        self._postings = dict(postings)
        total = len(self._entries)
        self._idf = {
            term: math.log((total + 1) / (len(ids) + 0.5)) for term, ids in self._postings.items()
        }
        self._unknown_idf = math.log((total + 1) / 0.5)
        self._vocabulary = frozenset(vocabulary)
        by_length: dict[int, list[str]] = defaultdict(list)
        for word in sorted(vocabulary):
            if len(word) >= 3 and word.isalpha() and word not in STOPWORDS:
                by_length[len(word)].append(word)
        self._by_length = dict(by_length)
        self._word_df = {
            word: len(self._postings.get(self.analyzer.analyse_words([word]).terms[0], ()))
            if self.analyzer.analyse_words([word]).terms
            else 0
            for word in vocabulary
        }

    def __len__(self) -> int:
        return len(self._entries)

    # -- public API ---------------------------------------------------------------------------

    def ask(self, query: str) -> Answer:
        """The best-matching fact for ``query``, or no_match with up to three suggestions."""
        folded = words(query[:MAX_QUERY_CHARS])[:MAX_QUERY_WORDS]
        first = self._rank(self._analyse(folded, loose=False))
        verdict = self._verdict(query, first)
        if verdict.answered:
            return verdict
        corrected = self._analyse(folded, loose=True)
        if corrected.terms != self._analyse(folded, loose=False).terms:
            second = self._rank(corrected)
            retry = self._verdict(query, second, margin=self.config.second_pass_margin)
            if retry.answered:
                return retry
        return verdict

    def explain(self, query: str, limit: int = 5) -> list[Scored]:
        """The top candidates with their score parts: for tuning and for `sitrep ask --explain`."""
        folded = words(query[:MAX_QUERY_CHARS])[:MAX_QUERY_WORDS]
        return self._rank(self._analyse(folded, loose=False))[:limit]

    def complete(self, prefix: str, limit: int = 25) -> list[Alternative]:
        """Facts whose title or keys fit what has been typed so far: for autocomplete."""
        limit = max(1, min(limit, 25))
        folded = words(prefix[:MAX_QUERY_CHARS])[:MAX_QUERY_WORDS]
        if not folded:
            return [Alternative(e.fact.id, e.fact.title, 0.0) for e in self._entries[:limit]]
        ranked = self._rank(self._analyse(folded, loose=True), complete_last=True)
        return [Alternative(s.fact.id, s.fact.title, round(s.score, 1)) for s in ranked[:limit]]

    # -- steps --------------------------------------------------------------------------------

    def _correct(self, word: str, loose: bool) -> str:
        """``word``, or the known word one typo away from it (two for long words)."""
        if word in self._vocabulary or word in STOPWORDS or len(word) < 4 or not word.isalpha():
            return word
        max_distance = (1 if len(word) <= 7 else 2) + (1 if loose and len(word) >= 5 else 0)
        best: tuple[int, int, str] | None = None
        for length in range(len(word) - max_distance, len(word) + max_distance + 1):
            pool = self._by_length.get(length)
            if not pool:
                continue
            for candidate, distance, _ in process.extract(
                word, pool, scorer=OSA.distance, score_cutoff=max_distance, limit=5
            ):
                rank = (int(distance), -self._word_df.get(candidate, 0), candidate)
                if best is None or rank < best:
                    best = rank
        return best[2] if best else word

    def _analyse(self, folded: Sequence[str], *, loose: bool) -> Analysis:
        return self.analyzer.analyse_words([self._correct(w, loose) for w in folded])

    def _weight(self, term: str) -> float:
        return self._idf.get(term, self._unknown_idf)

    def _candidates(self, terms: Sequence[str], complete_last: bool) -> set[int]:
        lists = [self._postings.get(t, ()) for t in terms]
        if complete_last and terms:
            last = terms[-1]
            for word in self._vocabulary:
                if word.startswith(last) and word != last:
                    analysed = self.analyzer.analyse_words([word]).terms
                    if analysed:
                        lists.append(self._postings.get(analysed[0], ()))
        found: set[int] = set()
        for ids in sorted(lists, key=len):
            found.update(ids)
            if len(found) >= self.config.max_candidates:
                break
        return found

    def _rank(self, analysis: Analysis, *, complete_last: bool = False) -> list[Scored]:
        terms = tuple(dict.fromkeys(analysis.terms))
        if not terms:
            return []
        weights = {t: self._weight(t) for t in terms}
        total = sum(weights.values())
        coarse: list[tuple[float, float, int]] = []
        for index in self._candidates(terms, complete_last):
            entry = self._entries[index]
            covered = sum(w for t, w in weights.items() if t in entry.terms)
            in_head = sum(w for t, w in weights.items() if t in entry.head)
            coarse.append((covered / total, in_head / total, index))
        query_text = " ".join(terms)
        config = self.config
        scored: list[Scored] = []
        for coverage, head_coverage, index in nlargest(config.rerank, coarse):
            entry = self._entries[index]
            similarity = (
                max(fuzz.token_sort_ratio(query_text, phrase) for phrase in entry.phrases) / 100
            )
            score = 100 * (
                config.coverage_weight * coverage
                + config.head_weight * head_coverage
                + config.similarity_weight * similarity
            )
            if analysis.intent - entry.kinds:
                score -= config.intent_penalty
            missing = tuple(t for t in terms if t not in entry.terms)
            scored.append(
                Scored(entry.fact, max(score, 0.0), coverage, head_coverage, similarity, missing)
            )
        scored.sort(key=lambda s: (-s.score, s.fact.id))
        return scored

    def _verdict(self, query: str, ranked: Sequence[Scored], margin: float = 0.0) -> Answer:
        config = self.config
        top = ranked[0] if ranked else None
        answers = (
            top is not None
            and top.coverage >= config.min_coverage
            and top.score >= config.answer_threshold + margin
        )
        rest = ranked[1:] if answers else ranked
        alternatives = tuple(
            Alternative(s.fact.id, s.fact.title, round(s.score, 1))
            for s in rest
            if s.score >= config.suggest_threshold
        )[:3]
        if answers and top is not None:
            return Answer(query, "answered", round(top.score, 1), top.fact, alternatives)
        return Answer(query, "no_match", round(top.score, 1) if top else 0.0, None, alternatives)
