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
   kind of answer asked for ("who", "when", "how many", "what if").
5. The best candidate answers only if it covers the query: a query about something the store
   does not hold ("who leads Boko Haram", "population of Timbuktu") leaves a content word
   uncovered, and the answer is no_match with the closest facts as suggestions.
"""

from __future__ import annotations

import math
import sqlite3
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from ..models import Alternative, Answer, Fact, Glossary
from .evidence import TextEvidence, text_evidence
from .index import CONTEXT, IndexedFact, TermIndex, index_fact
from .lexicon import english_frequency, is_english_word, related_words, relatives
from .search import Clause
from .text import (
    LIGHT_STEMS,
    LIGHT_WORDS,
    MAX_QUERY_CHARS,
    MAX_QUERY_WORDS,
    STOPWORDS,
    Analysis,
    Analyzer,
    is_casualty,
    stem,
    words,
)

# English word frequencies (lexicon.english_frequency) above which a word is common, and
# below which it is rare enough to be a name rather than a word.
COMMON_WORD = 2000
RARE_WORD = 500


class _Words:
    """Words to correct typos towards, by (length, first letter) and by all but the first.

    Most corrections must keep the typed word's first letter, so they search the small
    first-letter bucket; the one slip that may change it is looked up, not searched for
    (:meth:`initial_slips`). With a large vocabulary (many passages) this keeps a typo cheap.
    """

    def bucket(self, length: int, initial: str) -> Sequence[str]:
        """The words of ``length`` characters that begin with ``initial``."""
        raise NotImplementedError

    def with_tail(self, tail: str) -> Sequence[str]:
        """The words that are one character followed by ``tail``."""
        raise NotImplementedError

    def among(self, candidates: Sequence[str]) -> Collection[str]:
        """Which of ``candidates`` are words here."""
        raise NotImplementedError

    def initial_slips(self, word: str) -> list[str]:
        """Words one edit from ``word`` that begin with another letter: its first letter
        replaced, dropped, one put before it, or its first two swapped."""
        swapped = word[1] + word[0] + word[2:]
        found = [w for w in self.with_tail(word[1:]) if w[0] != word[0]]
        found += self.with_tail(word)
        held = self.among((word[1:], swapped))
        found += [w for w in (word[1:], swapped) if w in held and w[0] != word[0]]
        return found


class _Pool(_Words):
    """:class:`_Words` held in memory: for the glossary's words and the function words."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        by_initial: dict[tuple[int, str], list[str]] = defaultdict(list)
        by_tail: dict[str, list[str]] = defaultdict(list)
        self._words = frozenset(vocabulary)
        for word in sorted(self._words):
            by_initial[len(word), word[0]].append(word)
            by_tail[word[1:]].append(word)
        self._by_initial = dict(by_initial)
        self._by_tail = dict(by_tail)

    def bucket(self, length: int, initial: str) -> Sequence[str]:
        return self._by_initial.get((length, initial), ())

    def with_tail(self, tail: str) -> Sequence[str]:
        return self._by_tail.get(tail, ())

    def among(self, candidates: Sequence[str]) -> Collection[str]:
        return self._words.intersection(candidates)


class _StoredPool(_Words):
    """A term index's vocabulary as :class:`_Words`, read from the database a bucket at a
    time, when a typo first needs it.

    Held as sets and lists, a million passages' 200,000 words would cost the process some
    60 MB and a second at start-up; a bucket read is kept as one string (about a byte a
    letter), and the buckets in use as lists of words.
    """

    def __init__(self, index: TermIndex) -> None:
        self._index = index
        self._read: dict[tuple[int, str], str] = {}
        self._split: OrderedDict[tuple[int, str], tuple[str, ...]] = OrderedDict()

    def bucket(self, length: int, initial: str) -> Sequence[str]:
        key = (length, initial)
        found = self._split.get(key)
        if found is not None:
            self._split.move_to_end(key)
            return found
        joined = self._read.get(key)
        if joined is None:
            joined = self._keep(key, self._index.words_shaped(length, initial))
        found = self._split[key] = tuple(joined.split("\n")) if joined else ()
        if len(self._split) > _CACHED_BUCKETS:
            self._split.popitem(last=False)
        return found

    def read_all(self) -> None:
        """Read every bucket now (about 0.2 s and 3 MB for a million passages' words), so
        that no question waits for one."""
        for key, read in self._index.words_by_shape():
            self._keep(key, read)

    def _keep(self, key: tuple[int, str], read: Iterable[str]) -> str:
        # Words are single tokens: a newline cannot be part of one.
        joined = self._read[key] = "\n".join(w for w in read if _correctable(w))
        return joined

    def with_tail(self, tail: str) -> Sequence[str]:
        return [w for w in self._index.words_with_tail(tail) if _correctable(w)]

    def among(self, candidates: Sequence[str]) -> Collection[str]:
        return {w for w in self._index.known(candidates) if _correctable(w)}


def _correctable(word: str) -> bool:
    """Whether a typo may be read as ``word``: a word of letters, not a stopword."""
    return len(word) >= 3 and word.isalpha() and word not in STOPWORDS


# Vocabulary buckets (words of one length and first letter) a matcher keeps as lists.
_CACHED_BUCKETS = 64
_FUNCTION_WORDS = _Pool(STOPWORDS | LIGHT_WORDS)
_FUNCTION_STEMS = LIGHT_STEMS | frozenset(STOPWORDS)
# Words for anyone at all: "how many people died" is answered by "killing two workers"
# ("ppl" is written out as "people" before it gets here).
_ANYONE = frozenset({"people", "persons", "folk", "folks", "guys"})
# Analysed facts a matcher keeps in memory between questions (about 5 MB of them).
CACHED_ENTRIES = 1024
# How many of the words that begin as the last one typed autocomplete reads it as.
_COMPLETIONS = 200
# How many equally close corrections a typo may stand for; the facts decide between them.
MAX_READINGS = 6
_HARD_INTENTS = frozenset({"count", "when", "age"})
# What an entry's text bears out (see :mod:`.evidence`): the terms after each of its numbers,
# and each name's terms with its neighbours' terms.
_TEXT_HARD_INTENTS = _HARD_INTENTS | {"who"}
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class MatchConfig:
    """The matcher's tunable weights and thresholds (scores are 0–100)."""

    answer_threshold: float = 55.0
    min_coverage: float = 0.7
    coverage_weight: float = 0.45
    head_weight: float = 0.25
    similarity_weight: float = 0.30
    intent_penalty: float = 12.0
    light_weight: float = 0.6
    known_miss_factor: float = 2.0
    common_share: float = 0.25
    anchor_weight: float = 1.5
    unknown_weight: float = 3.0
    # An English word no entry holds ("currency" of a store that says "cedi") is more
    # often a paraphrase than a topic the store lacks, unlike a name: it weighs less.
    # Measured: the two-key chat set 0.525 → 0.562, dev 0.766 → 0.773, no abstention lost.
    english_unknown_weight: float = 2.5
    second_pass_margin: float = 10.0
    # Head coverage is at least this share of coverage: how much a question covered by a
    # fact's answer and quotes alone counts as covered by its title and keys.
    body_as_head: float = 0.8
    # What a query word covered only by a word general English relates to it counts for,
    # as a share of its weight (0 turns the bridge off).
    related_credit: float = 0.7
    suggest_threshold: float = 25.0
    rerank: int = 30
    # Whether the "who" and "<attribute> of <entity>" checks accept a term anywhere in an
    # entry rather than only in its head. A passage's head is its own words; its body adds
    # its document's title, which a question may name ("the governor of Dosso" of a report
    # about Dosso).
    rules_use_body: bool = False
    # Whether "how many" and "who" are judged from the entry's text (its title) as well as
    # its kinds (see :mod:`.evidence`): for passages, whose text is all they have; a curated
    # fact says what it answers in its keys.
    read_text: bool = False
    # Whether only entries that could cover the question are shortlisted (see
    # Matcher._required): what keeps a million passages fast. Off for facts, whose
    # no_match suggestions are the close facts that do not cover it.
    shortlist_covering: bool = False


@dataclass(frozen=True, slots=True)
class _Slot:
    """One query term: the term as typed (or corrected), and the typo readings it may also be."""

    label: str
    terms: frozenset[str]
    weight: float
    light: bool
    known: bool = True
    readings: tuple[str, ...] = ()
    df: int = 0
    context: frozenset[str] = frozenset()  # ``terms`` as context terms (index.CONTEXT)
    # Terms of words general English relates to this one (lexicon.related_words): they cover
    # it at ``MatchConfig.related_credit`` of its weight.
    related: frozenset[str] = frozenset()
    # A word no entry holds and no English word: a name the store has never seen.
    name: bool = False

    def reading(self, terms: frozenset[str]) -> str:
        """The reading of this slot that a fact with ``terms`` supports: a typo's reading,
        else the related word the fact uses ("injured" of a fact that says "wounded"), else
        the label."""
        found = next((t for t in self.readings if t in terms), None)
        if found is not None:
            return found
        if self.label not in terms and (kin := self.related & terms):
            return min(kin)
        return self.label


@dataclass(frozen=True, slots=True)
class _Query:
    slots: tuple[_Slot, ...]
    intent: frozenset[str]
    bindings: tuple[tuple[str, str], ...] = ()
    # The terms of what "how many" asks to count ("cholera cases"), with their readings.
    counted: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Scored:
    """One candidate's score and its parts, for ranking and for explaining a verdict."""

    fact_id: str
    title: str
    score: float
    coverage: float
    head_coverage: float
    similarity: float
    missing: tuple[str, ...]
    content_coverage: float = 0.0
    fits_intent: bool = True


class Matcher:
    """Answers queries from a set of facts; build a new one when the facts change.

    ``Matcher(facts, glossary)`` indexes the facts in memory; :meth:`over` answers from a
    :class:`~knowledge.index.TermIndex` kept in the store's database, loading facts by id.
    """

    def __init__(
        self, facts: Iterable[Fact], glossary: Glossary, config: MatchConfig | None = None
    ) -> None:
        analyzer = Analyzer(glossary)
        active = {fact.id: fact for fact in facts if fact.status == "active"}
        index = TermIndex(sqlite3.connect(":memory:", isolation_level=None))
        index.rebuild((index_fact(fact, analyzer) for fact in active.values()), {})
        self._setup(index, analyzer, active.get, config)

    @classmethod
    def over(
        cls,
        index: TermIndex,
        analyzer: Analyzer,
        load: Callable[[str], Fact | None],
        config: MatchConfig | None = None,
    ) -> Matcher:
        """A matcher over an existing index; ``load`` returns a fact by id (None if gone)."""
        matcher = cls.__new__(cls)
        matcher._setup(index, analyzer, load, config)
        return matcher

    def _setup(
        self,
        index: TermIndex,
        analyzer: Analyzer,
        load: Callable[[str], Fact | None],
        config: MatchConfig | None,
    ) -> None:
        self.config = config or MatchConfig()
        self.analyzer = analyzer
        self.index = index
        self._load = load
        self._size = index.size()
        # The index's vocabulary stays in the database (see _StoredPool); the glossary's
        # words, which a question may use before any fact does, are held.
        self._glossary_words = frozenset(
            word for group_words in analyzer.concept_words.values() for word in group_words
        )
        glossary_pool = _Pool(w for w in self._glossary_words if _correctable(w))
        self._stored_pool = _StoredPool(index)
        self._pools = (self._stored_pool, glossary_pool, _FUNCTION_WORDS)
        self._concepts = frozenset(analyzer.concept_words)
        self._word_df: dict[str, int] = {}
        # Analysed facts recently scored, by index row. The index does not change under a
        # matcher (a refresh builds a new one), so entries never go stale.
        self._entries: OrderedDict[int, IndexedFact] = OrderedDict()
        self._bridges: dict[str, frozenset[str]] = {}
        self._evidence_cache: dict[str, TextEvidence] = {}

    def __len__(self) -> int:
        return self._size

    def warm(self) -> None:
        """Read now what typo correction would read from the index on first need: a
        long-running process (the bot) pays for it at start-up, not in a question."""
        self._stored_pool.read_all()

    # -- public API ---------------------------------------------------------------------------

    def ask(self, query: str) -> Answer:
        """The best-matching fact for ``query``, or no_match with up to three suggestions."""
        folded = words(query[:MAX_QUERY_CHARS])[:MAX_QUERY_WORDS]
        strict = self._query(folded, loose=False)
        verdict = self._verdict(query, self._rank(strict))
        if verdict.answered:
            return verdict
        # Second pass: typos that are real words, or a letter further off. Kept only when the
        # corrected query is answered clearly above the bar and on a word that needed no
        # correction, so a near miss stays a miss; without such a word it is not even run.
        if not self._anchors(strict, strict):
            return verdict
        loose = self._query(folded, loose=True)
        anchors = self._anchors(loose, strict)
        if loose.slots != strict.slots and anchors:
            ranked = self._rank(loose)
            retry = self._verdict(query, ranked, margin=self.config.second_pass_margin)
            if retry.answered and anchors.difference(ranked[0].missing):
                return retry
        return verdict

    def _anchors(self, loose: _Query, strict: _Query) -> frozenset[str]:
        """The telling words of the loose query that needed no correction.

        A correction alone must not make an answer, so the fact must match one of these too:
        "is the internet down" is not a question about an "intervention" just because the two
        words are two letters apart.
        """
        typed = {slot.label for slot in strict.slots}
        return frozenset(
            slot.label
            for slot in loose.slots
            if slot.label in typed and not slot.light and slot.weight >= self.config.anchor_weight
        )

    def explain(self, query: str, limit: int = 5) -> list[Scored]:
        """The top candidates with their score parts: for tuning and for `sitrep ask --explain`."""
        folded = words(query[:MAX_QUERY_CHARS])[:MAX_QUERY_WORDS]
        return self._rank(self._query(folded, loose=False))[:limit]

    def complete(self, prefix: str, limit: int = 25) -> list[Alternative]:
        """Facts whose title or keys fit what has been typed so far: for autocomplete."""
        limit = max(1, min(limit, 25))
        folded = words(prefix[:MAX_QUERY_CHARS])[:MAX_QUERY_WORDS]
        if not folded:
            return [Alternative(i, title, 0.0) for i, title in self.index.first(limit)]
        ranked = self._rank(self._query(folded, loose=True, complete_last=True))
        return [Alternative(s.fact_id, s.title, round(s.score, 1)) for s in ranked[:limit]]

    # -- steps --------------------------------------------------------------------------------

    def _corrections(self, word: str, loose: bool) -> list[str]:
        """Known words one typo from ``word`` (two for long ones), closest first; [] if none.

        Real English words are left alone except in the loose pass. A typo of a question or
        function word ("whre", "odes") is corrected to it, so that it is then dropped.
        """
        if len(word) < 3 or not word.isalpha() or word in STOPWORDS:
            return []
        english = word in LIGHT_WORDS or is_english_word(word)
        if english and not loose:
            return []
        # One edit for short words, two for long ones; the loose pass allows one more, except
        # for real words, which stay within two ("wander" → "Wagner", not "summarize" →
        # "summary").
        if len(word) <= 4:
            max_distance = 1
        elif loose and english:
            max_distance = 2
        else:
            max_distance = (1 if len(word) <= 7 else 2) + (1 if loose and len(word) > 7 else 0)
        # People rarely mistype the first letter, so a short word, a second edit or a real
        # word must keep it ("airport" must not become "import"); only a single slip in a
        # longer word of the strict pass may change it.
        slips = not loose and len(word) > 4
        found: dict[str, int] = {}
        for pool in self._pools:
            if slips:
                for candidate in pool.initial_slips(word):
                    found.setdefault(candidate, 1)
            for length in range(len(word) - max_distance, len(word) + max_distance + 1):
                for candidate, distance, _ in process.extract(
                    word,
                    pool.bucket(length, word[0]),
                    scorer=OSA.distance,
                    score_cutoff=max_distance,
                    limit=20,
                ):
                    found.setdefault(candidate, int(distance))
        common = loose and english_frequency(word) >= COMMON_WORD
        # The closest words that may stand for it, level by level: stemming every far
        # candidate would cost more than the search.
        for best in sorted(set(found.values())):
            closest = [
                w
                for w, d in found.items()
                if d == best
                # A word read as a function word is dropped: only a plain slip ("whre") may
                # vanish so, never a name the store lacks ("Niamey" is not "name").
                and not (best > 1 and (w in STOPWORDS or stem(w) in _FUNCTION_STEMS))
                # A common real word is read only as a typo of a name the store knows
                # ("wander" may be "Wagner"; "cost" is not "coast"); an uncommon one ("sate")
                # of any word.
                and not (common and english_frequency(w) >= RARE_WORD)
            ]
            if best > 1 and len(closest) > 1:
                # Several words two edits or more away: in a store with that many names
                # alike, the word is likelier one more name than a slip of any of them.
                return []
            if closest:
                closest.sort(key=partial(self._rank_fix, word))
                return closest[:MAX_READINGS]
        return []

    def _known(self, candidates: Iterable[str]) -> set[str]:
        """Which of ``candidates`` the store's facts or the glossary use as words."""
        candidates = set(candidates)
        return (candidates & self._glossary_words) | self.index.known(candidates)

    def _rank_fix(self, typed: str, candidate: str) -> tuple[bool, int, int, str]:
        # Among equally close words: the same first letter, then the longest shared start
        # ("ghal" is "ghali", not "goal"), then the word more facts use.
        shared = next(
            (i for i, (a, b) in enumerate(zip(typed, candidate, strict=False)) if a != b),
            min(len(typed), len(candidate)),
        )
        return (candidate[0] != typed[0], -shared, -self._df_of_word(candidate), candidate)

    def _df_of_word(self, word: str) -> int:
        """How many facts contain the term ``word`` analyses to (cached)."""
        if word not in self._word_df:
            terms = self.analyzer.analyse_words([word]).terms
            self._word_df[word] = self.index.df(terms[:1]).get(terms[0], 0) if terms else 0
        return self._word_df[word]

    def _query(self, folded: Sequence[str], *, loose: bool, complete_last: bool = False) -> _Query:
        readings: dict[int, list[str]] = {}
        related: dict[int, list[str]] = {}
        primary = list(folded)
        vocabulary = self._known(folded)
        for i, word in enumerate(folded):
            if word not in vocabulary:
                corrections = self._corrections(word, loose)
                if corrections:
                    readings[i] = corrections
                    primary[i] = corrections[0]
                elif kin := sorted(self._known(relatives(word))):
                    # A real word the store lacks may be a relative of one it has: the
                    # question's "closures" is the report's "closed".
                    related[i] = kin
        analysis = self.analyzer.analyse_words(primary)
        alternatives: dict[str, set[str]] = defaultdict(set)
        for i, kin in related.items():
            terms = self.analyzer.analyse_words([primary[i]]).terms
            if terms:
                for other in kin:
                    alternatives[terms[0]].update(self.analyzer.analyse_words([other]).terms)
        for corrections in readings.values():
            terms = self.analyzer.analyse_words([corrections[0]]).terms
            if terms:
                for other in corrections[1:]:
                    alternatives[terms[0]].update(self.analyzer.analyse_words([other]).terms)
        if complete_last and folded and analysis.terms:
            last = folded[-1]
            begun = {w for w in self._glossary_words if w.startswith(last)}
            begun.update(self.index.words_with_prefix(last, _COMPLETIONS))
            for word in sorted(begun):
                if word != last:
                    alternatives[analysis.terms[-1]].update(
                        self.analyzer.analyse_words([word]).terms
                    )
        bridged = self._related(analysis, folded)
        df = self.index.df(
            [
                *analysis.terms,
                *(t for ts in (*alternatives.values(), *bridged.values()) for t in ts),
            ]
        )
        slots: dict[str, _Slot] = {}
        for index, term in enumerate(analysis.terms):
            if term in slots:
                continue
            options = tuple(dict.fromkeys((term, *sorted(alternatives.get(term, ())))))
            source = analysis.source(index)
            light = (
                len(source) == 1 and stem(source[0]) in LIGHT_STEMS and term not in self._concepts
            )
            weight = min(self._weight(df.get(t)) for t in options)
            df_min = min((df[t] for t in options if t in df), default=0)
            if light:
                weight = min(weight, self.config.light_weight)
            known = any(t in df for t in options)
            context = frozenset(CONTEXT + t for t in options)
            linked = frozenset(t for t in bridged.get(term, ()) if t in df and t not in options)
            # Only a word no entry holds is looked up: the English word list takes a fifth
            # of a second to load, which a cold `sitrep ask` should not pay for known words.
            english = not known and len(source) == 1 and is_english_word(source[0])
            name = (
                not known
                and not linked
                and len(source) == 1
                and source[0].isalpha()
                and not english
            )
            if not known and english and not light:
                weight = min(weight, self.config.english_unknown_weight)
            slots[term] = _Slot(
                term,
                frozenset(options),
                weight,
                light,
                known,
                options,
                df_min,
                context,
                linked,
                name,
            )
        bindings = tuple(
            (a, b)
            for a, b in analysis.bindings
            if a in slots and b in slots and not (slots[a].light or slots[b].light)
        )
        # What is counted may be worded the text's way: "students" are counted as "pupils".
        counted = frozenset(
            t
            for label in _counted(analysis)
            if label in slots
            for t in slots[label].terms | slots[label].related
        )
        return _Query(tuple(slots.values()), analysis.intent, bindings, counted)

    def _related(
        self, analysis: Analysis, typed: Sequence[str] | None = None
    ) -> dict[str, frozenset[str]]:
        """The terms of the words general English relates to each single-word topic term of
        the query: WordNet's (``related_words``) and those of the same root (``relatives``:
        "treated" → treatment). Light words ("get", "take") relate to too much to be bridged,
        and a glossary concept's words are the glossary's to relate. Only words as ``typed``
        are bridged: a typo's reading is a guess already ("lome" read as "lose" is no loss)."""
        if not self.config.related_credit:
            return {}
        found: dict[str, frozenset[str]] = {}
        for index, term in enumerate(analysis.terms):
            source = analysis.source(index)
            if (
                len(source) == 1
                and term not in self._concepts
                and (typed is None or typed[analysis.spans[index][0]] == source[0])
                and (bridged := self._bridge(source[0]))
            ):
                found[term] = bridged
        return found

    def _bridge(self, word: str) -> frozenset[str]:
        """The terms of the words related to ``word``, worked out once per word."""
        if stem(word) in LIGHT_STEMS:
            return frozenset()

        def terms() -> frozenset[str]:
            kin = (*related_words(word), *sorted(relatives(word)))
            return frozenset(t for w in kin for t in self.analyzer.analyse_words([w]).terms)

        return _remembered(self._bridges, word, terms)

    def _weight(self, df: int | None) -> float:
        # A word no fact contains may be a paraphrase as well as an unknown subject, so it
        # weighs like a rare known word, not more.
        if not df:
            return self.config.unknown_weight
        return math.log((self._size + 1) / (df + 0.5))

    def _rank(self, query: _Query) -> list[Scored]:
        """The shortlisted candidates, scored and best first (ties by fact id)."""
        if not query.slots:
            return []
        total = sum(slot.weight for slot in query.slots)
        scored = [self._score(query, entry, total) for entry in self._docs(self._shortlist(query))]
        scored.sort(key=lambda s: (-s.score, s.fact_id))
        return scored

    def _docs(self, rows: Sequence[int]) -> list[IndexedFact]:
        """The analysed facts at ``rows``: read from the index once, then kept (up to
        :data:`CACHED_ENTRIES`), since the same facts come up for question after question."""
        cache = self._entries
        missing = [row for row in rows if row not in cache]
        cache.update(self.index.docs(missing))
        for row in rows:
            cache.move_to_end(row)
        while len(cache) > CACHED_ENTRIES:
            cache.popitem(last=False)
        return [cache[row] for row in rows if row in cache]

    def _shortlist(self, query: _Query) -> list[int]:
        """The rows of the ``rerank`` best candidates by the search index's first estimate.

        Each known query term is a clause, its typo readings alternatives within it. The
        words general English relates to a term are a clause of their own, at their
        discount: the only way in for a fact that words the question's topic its own way.
        Rarity is BM25's to weigh; a term no fact contains has no postings to read.
        """
        clauses: list[Clause] = []
        for slot in query.slots:
            if slot.known:
                clauses.append(((slot.label,) if len(slot.terms) == 1 else slot.terms, 1.0))
            if slot.related:
                clauses.append((slot.related, self.config.related_credit))
        required = self._required(query) if self.config.shortlist_covering else None
        return self.index.top(clauses, self.config.rerank, required)

    def _required(self, query: _Query) -> list[str] | None:
        """Terms one of which an entry must hold, as a term, a reading, a related word or a
        context term, to be able to cover the question (None: no such terms).

        An entry answers only if it covers ``min_coverage`` of the question's topic (see
        :meth:`_content_coverage`), so one that lacks the topic's heaviest terms, up to more
        than the rest's share, cannot answer whatever else it holds.
        """
        content = sorted(
            (slot for slot in query.slots if not slot.light), key=lambda s: (-s.weight, s.label)
        )
        allowed = (1 - self.config.min_coverage) * sum(slot.weight for slot in content)
        required: list[str] = []
        missed = 0.0
        for slot in content:
            required.extend((*slot.terms, *slot.related))
            missed += slot.weight
            if missed > allowed:
                return required
        return None

    def _score(self, query: _Query, entry: IndexedFact, total: float) -> Scored:
        """One candidate's score: coverage, head coverage and key similarity, less the
        intent penalty; with the coverage and intent checks the verdict needs."""
        config = self.config
        slots = query.slots
        # A word the entry's context holds (a passage's document title) is covered, though
        # not by the entry's own words, so it adds nothing to head coverage.
        terms, head = entry.terms, entry.head
        # One pass over the slots (this runs for every candidate of every question).
        covered_list: list[str] = []
        related_list: list[str] = []
        coverage = head_coverage = 0.0
        for slot in slots:
            if slot.terms & terms or slot.context & terms:
                covered_list.append(slot.label)
                coverage += slot.weight
                if slot.terms & head:
                    head_coverage += slot.weight
            elif slot.related and slot.related & terms:
                # A word the entry lacks but a word general English relates to it covers it
                # in part.
                related_list.append(slot.label)
                coverage += config.related_credit * slot.weight
                if slot.related & head:
                    head_coverage += config.related_credit * slot.weight
        covered, related = frozenset(covered_list), frozenset(related_list)
        coverage /= total
        head_coverage /= total
        # A fact's answer and quotes say what it is about as well as its title and keys do,
        # if less surely: a moderator writes two keys, not twenty.
        head_coverage = max(head_coverage, config.body_as_head * coverage)
        # A typo may read several ways ("feul": fuel or fell); compare each fact's keys with
        # the reading that fact supports.
        text = " ".join(slot.reading(entry.terms) for slot in slots)
        best = process.extractOne(text, entry.phrases, scorer=fuzz.token_sort_ratio)
        similarity = best[1] / 100 if best else 0.0
        score = 100 * (
            config.coverage_weight * coverage
            + config.head_weight * head_coverage
            + config.similarity_weight * similarity
        )
        # A death toll counts only for a question about deaths.
        kinds = entry.kinds | {"count"} if "toll" in query.intent & entry.kinds else entry.kinds
        if config.read_text:
            kinds = self._kinds_in_text(query, entry, kinds)
        unmet = query.intent - kinds - {"toll"}
        # Read from the text, "who" is as sure as a number or a date: a passage that names
        # no one beside the question's words cannot say who.
        hard = unmet & (_TEXT_HARD_INTENTS if config.read_text else _HARD_INTENTS)
        if unmet:
            score -= config.intent_penalty
        return Scored(
            entry.fact_id,
            entry.title,
            min(max(score, 0.0), 100.0),
            coverage,
            head_coverage,
            similarity,
            tuple(
                slot.label
                for slot in slots
                if slot.label not in covered and slot.label not in related
            ),
            self._content_coverage(slots, covered, related),
            _fits(query, entry, hard, self._rules_head(query, entry, covered))
            and not self._bound_elsewhere(query, entry),
        )

    def _kinds_in_text(
        self, query: _Query, entry: IndexedFact, kinds: frozenset[str]
    ) -> frozenset[str]:
        """``kinds`` as the entry's own text bears them out (see :mod:`.evidence`): a count
        of what "how many" asks about, a name beside a word of a "who" question."""
        counts = query.counted and "count" in query.intent and "count" in kinds
        who = "who" in query.intent and "who" not in kinds
        if not (counts or who):
            return kinds
        evidence = self._evidence(entry)
        if counts and not any(query.counted.intersection(terms) for terms in evidence.numbers):
            kinds = kinds - {"count"}
        if who:
            content = [slot for slot in query.slots if not slot.light]
            asked = frozenset(t for slot in content for t in slot.terms)
            related = frozenset().union(*(slot.related for slot in content))
            if any(_names_whom(asked, *name, related=related) for name in evidence.names):
                kinds = kinds | {"who"}
        return kinds

    def _evidence(self, entry: IndexedFact) -> TextEvidence:
        """What the entry's text (its title) bears out: as indexed, else read now and
        remembered, since the same entries come up question after question."""
        if entry.evidence is not None:
            return entry.evidence
        return _remembered(
            self._evidence_cache, entry.title, partial(text_evidence, entry.title, self.analyzer)
        )

    def _bound_elsewhere(self, query: _Query, entry: IndexedFact) -> bool:
        """Whether the entry's text gives the question's attribute to something else: "head
        of the ICRC delegation" in a report about Benin does not say who the "head of
        Benin" is. Judged only from text (``read_text``) and when the entity asked about is
        not in the entry's own words, only in its context."""
        if not self.config.read_text:
            return False
        unstated = [(a, b) for a, b in query.bindings if b not in entry.head]
        if not unstated:
            return False  # the usual case: the text's own words name the entity
        stated = self._evidence(entry).bindings
        return any(x == a and y != b for a, b in unstated for x, y in stated)

    def _rules_head(
        self, query: _Query, entry: IndexedFact, covered: frozenset[str]
    ) -> frozenset[str]:
        """What the "who" and "<attribute> of <entity>" checks take as the entry's head."""
        if not self.config.rules_use_body:
            return entry.head
        return entry.terms.union(*(slot.terms for slot in query.slots if slot.label in covered))

    def _content_coverage(
        self, slots: Sequence[_Slot], covered: frozenset[str], related: frozenset[str]
    ) -> float:
        """How much of the query's topic (its non-light terms) the fact covers, 0–1; a term
        covered only by a related word counts at ``related_credit``."""
        config = self.config
        content, content_total = 0.0, 0.0
        for slot in slots:
            if slot.light:
                continue
            if slot.label in covered:
                content += slot.weight
                content_total += slot.weight
            elif slot.label in related:
                content += slot.weight * config.related_credit
                content_total += slot.weight
            else:
                # A term the store knows but this fact lacks is a sign that the question
                # is about something else ("who leads the Tuareg rebels" of a fact that
                # names no leader); an unknown word may just be a paraphrase, and a word
                # that a large share of the store uses ("jihadists" in a store about
                # jihadists) says little about which fact is meant.
                specific = slot.name or (slot.known and slot.df < config.common_share * self._size)
                content_total += slot.weight * (config.known_miss_factor if specific else 1)
        return content / content_total if content_total else 0.0

    def _verdict(self, query: str, ranked: Sequence[Scored], margin: float = 0.0) -> Answer:
        config = self.config
        # A candidate that cannot give the kind of answer asked for ("what time" of a
        # passage with no time in it) does not stand in the way of one that can.
        top = next((s for s in ranked if s.fits_intent), ranked[0] if ranked else None)
        answers = (
            top is not None
            and top.content_coverage >= config.min_coverage
            and top.fits_intent
            and top.score >= config.answer_threshold + margin
        )
        fact = self._load(top.fact_id) if answers and top is not None else None
        rest = [s for s in ranked if s is not top] if fact is not None else ranked
        alternatives = tuple(
            Alternative(s.fact_id, s.title, round(s.score, 1))
            for s in rest
            if s.score >= config.suggest_threshold
        )[:3]
        if fact is not None and top is not None:
            return Answer(query, "answered", round(top.score, 1), fact, alternatives)
        best = ranked[0].score if ranked else 0.0
        return Answer(query, "no_match", round(best, 1), None, alternatives)


def _remembered(cache: dict[str, _T], key: str, make: Callable[[], _T]) -> _T:
    """``cache[key]``, made on first use; the cache is emptied when it holds
    :data:`CACHED_ENTRIES` (its values never go stale: a matcher's analyser never changes)."""
    found = cache.get(key)
    if found is None:
        if len(cache) >= CACHED_ENTRIES:
            cache.clear()
        found = cache[key] = make()
    return found


def _names_whom(
    asked: frozenset[str],
    name: Sequence[str],
    near: Sequence[str],
    described: bool,
    *,
    related: frozenset[str] = frozenset(),
) -> bool:
    """Whether a name says who a question asks about: beside the question's words (or
    words ``related`` to them) and made of none of them ("the regional governor, Colonel
    Abdourahamane Sidi"); or holding
    all of them and more, a title before a person's name ("Interior Minister Fernand
    Hounkpatin" for "who is the interior minister"); or made of them and followed by who it
    is ("Sokia ag-Kamik is a spokesman of the MSS" for "who is Sokia ag-Kamik")."""
    inside = asked.intersection(name)
    if not inside:
        # Beside a name, a word related to an asked one says who as well: "the winner,
        # Amadou Baro" answers "who won".
        return bool((asked | related).intersection(near))
    return inside == asked and (described or len(set(name) - asked) >= 2)


def _counted(analysis: Analysis) -> list[str]:
    """The terms of the words "how many" asks to count: up to three words after it, to the
    first function word ("how many cholera cases are there" → cholera, case). Deaths are
    left out: a death toll is judged by its own kind ("killed more than 300"); so are words
    for anyone (:data:`_ANYONE`)."""
    folded = analysis.words
    for i in range(len(folded) - 1):
        if folded[i] == "how" and folded[i + 1] == "many":
            after = folded[i + 2 : i + 5]
            end = i + 2 + next((k for k, w in enumerate(after) if w in STOPWORDS), len(after))
            return [
                term
                for term, (start, _) in zip(analysis.terms, analysis.spans, strict=True)
                if i + 2 <= start < end
                and not is_casualty(folded[start : start + 1])
                and folded[start] not in _ANYONE
            ]
    return []


def _fits(query: _Query, entry: IndexedFact, hard: frozenset[str], head: frozenset[str]) -> bool:
    """Whether the fact can give the kind of answer asked for (``hard``: the kinds it lacks
    that it must have).

    A fact with no number cannot say "how many", one with no date "when"; "population of X"
    needs a fact about population *and* X, not one that mentions X's neighbour's population;
    and a "who" question wants the person a fact is about: "who founded Ansar Dine" is not
    answered by a fact that names Ansar Dine among JNIM's founders.
    """
    return (
        not hard
        and all(a in head and b in head for a, b in query.bindings)
        and (
            "who" not in query.intent
            or all(
                slot.light or slot.terms & head or not slot.terms & entry.terms
                for slot in query.slots
            )
        )
    )
