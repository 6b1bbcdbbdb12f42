"""Answers from passages: the fact matcher, run over passages, in an index of their own.

Each passage is matched as if it were a fact whose title and answer are the passage's own
words, tagged with its document's title and section heading (so "the Dosso floods" in a
question is covered by a passage of a report about them that does not repeat the words).
The passages live in a matcher apart from the curated facts: the caller asks the facts
first, and only a question no fact answers reaches the passages, so a fact always wins.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import Final

from ..matching.evidence import CONNECTORS, names, text_evidence
from ..matching.index import CONTEXT, IndexedFact, StoredFact, TermIndex, index_fact, stored
from ..matching.lexicon import is_english_word
from ..matching.matcher import MatchConfig, Matcher, Scored
from ..matching.text import Analyzer, fold
from ..models import Fact, Glossary
from .models import DocumentMeta, Passage
from .passages import sentences

# The fact matcher's weights, with words the documents never use weighing more: a passage
# index holds whole reports, so a word none of them contains ("Chad", "World Bank") is a
# sign the question is about something they do not say, rather than a paraphrase. A
# passage's head is all its own words; the rest of its body is its document's title, which
# says what the document is about, not the passage.
PASSAGE_CONFIG = MatchConfig(
    unknown_weight=4.0,
    rules_use_body=True,
    read_text=True,
    body_as_head=0.0,
    shortlist_covering=True,
)
# The stored passage index's tables, beside the facts' ("match_*"); bump the version when
# pseudo_fact changes, so that stored indexes are rebuilt.
PASSAGE_INDEX: Final = "passage_match"
PASSAGE_INDEX_VERSION: Final = 7
# Pseudo-facts need a date; passages are never shown as facts, so it is never seen.
_NO_DATE = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class PassageHit:
    """A passage that answers a question, its document's metadata and the match score."""

    passage: Passage
    document: DocumentMeta
    score: float


def acronyms(text: str) -> tuple[str, ...]:
    """The initials of the multi-word names in ``text``, as a reader might abbreviate them:
    "the World Food Programme" → WFP; "Economic Community of West African States" → ECWAS
    and ECOWAS; "the United Nations" → UN. Initials that spell a common word ("World Health
    Organization": WHO; "European Union": EU) are left out, since they would read as it."""
    found: dict[str, None] = {}
    for parts, _, _ in names(text):
        capital = [p for p in parts if p.lower() not in CONNECTORS]
        for letters in (capital, parts):
            initials = fold("".join(p[0] for p in letters))
            if len(initials) >= 2 and not is_english_word(initials):
                found[initials.upper()] = None
    return tuple(found)


def pseudo_fact(passage: Passage, document: DocumentMeta) -> Fact:
    """The passage dressed as a fact for the matcher: its words, its document's context
    (title, section heading) and the acronyms of the names it spells out.

    The document's title is not part of it: :func:`index_passage` adds it as context.
    """
    # Before the first section the heading is the document's title: context, not a tag.
    heading = passage.heading if passage.heading != document.title else ""
    tags = tuple(dict.fromkeys(t for t in (heading, *acronyms(passage.text)) if t))
    return Fact(
        id=passage.id,
        title=passage.text,
        answer=passage.text,
        as_of=_NO_DATE,
        sources=(),
        # Each sentence is a key, so that a question is compared with the sentence nearest
        # it, not with the whole passage.
        keys=tuple(passage.text[a:b] for a, b in spans)
        if len(spans := sentences(passage.text)) > 1
        else (),
        tags=tags,
    )


class PassageMatcher:
    """Finds the passage that answers a question, or None.

    ``PassageMatcher(passages, glossary)`` indexes passages in memory (build anew when they
    change); :meth:`over` answers from a :class:`~knowledge.matching.index.TermIndex` kept in
    the store's database, loading each passage by id only once it has won.
    """

    def __init__(
        self,
        passages: Iterable[tuple[Passage, DocumentMeta]],
        glossary: Glossary,
        config: MatchConfig = PASSAGE_CONFIG,
    ) -> None:
        by_id = {passage.id: (passage, document) for passage, document in passages}
        analyzer = Analyzer(glossary)
        index = TermIndex(sqlite3.connect(":memory:", isolation_level=None))
        index.rebuild(index_passages(by_id.values(), analyzer), {})
        self._setup(Matcher.over(index, analyzer, self._fact_of(by_id.get), config), by_id.get)

    @classmethod
    def over(
        cls,
        index: TermIndex,
        analyzer: Analyzer,
        load: Callable[[str], tuple[Passage, DocumentMeta] | None],
        config: MatchConfig = PASSAGE_CONFIG,
    ) -> PassageMatcher:
        """A matcher over a stored passage index; ``load`` returns a passage by id (None if
        gone)."""

        matcher = cls.__new__(cls)
        matcher._setup(Matcher.over(index, analyzer, cls._fact_of(load), config), load)
        return matcher

    @staticmethod
    def _fact_of(
        load: Callable[[str], tuple[Passage, DocumentMeta] | None],
    ) -> Callable[[str], Fact | None]:
        def load_fact(passage_id: str) -> Fact | None:
            found = load(passage_id)
            return None if found is None else pseudo_fact(*found)

        return load_fact

    def _setup(
        self, matcher: Matcher, load: Callable[[str], tuple[Passage, DocumentMeta] | None]
    ) -> None:
        self._matcher = matcher
        self._load = load

    def __len__(self) -> int:
        return len(self._matcher)

    def ask(self, query: str) -> PassageHit | None:
        """The passage answering ``query`` as the matcher would a fact, else None."""
        if not len(self):
            return None
        answer = self._matcher.ask(query)
        if not answer.answered or answer.fact is None:
            return None
        found = self._load(answer.fact.id)
        return None if found is None else PassageHit(*found, answer.score)

    def warm(self) -> None:
        """See :meth:`Matcher.warm`."""
        self._matcher.warm()

    def explain(self, query: str, limit: int = 5) -> list[Scored]:
        """The top candidate passages for ``query`` with their score parts (ids are passage
        ids)."""
        return self._matcher.explain(query, limit)


def index_passage(passage: Passage, document: DocumentMeta, analyzer: Analyzer) -> IndexedFact:
    """A passage analysed as the matcher analyses facts, with its document's title as
    context.

    The title's words cover a question's words ("the Dosso floods" of a report on them that
    does not repeat them) but are not the passage's own: they weigh by how rare they are in
    passages' own words, and only the passage's words add head coverage, so of the passages
    covering "cholera deaths in Dosso" in a report titled with both, one whose section or
    sentence speaks of cholera ranks first.

    What the passage's text bears out (its counts and names) is read here, once, rather
    than at every question that finds it.
    """
    # A passage is unreviewed text: no questions are derived from it (not measured).
    indexed = index_fact(pseudo_fact(passage, document), analyzer, derive=False)
    context = analyzer.terms([document.title], inner=True) - indexed.terms
    return replace(
        indexed,
        terms=indexed.terms | {CONTEXT + term for term in context},
        evidence=text_evidence(indexed.title, analyzer),
    )


def index_passages(
    passages: Iterable[tuple[Passage, DocumentMeta]], analyzer: Analyzer
) -> Iterator[IndexedFact]:
    """Passages analysed for a passage index (see :func:`index_passage`)."""
    return (index_passage(passage, document, analyzer) for passage, document in passages)


def store_passage(located: tuple[Passage, DocumentMeta], analyzer: Analyzer) -> StoredFact:
    """:func:`index_passage` of a ``(passage, document)`` pair, ready to be written: what a
    parallel build's workers run (see :mod:`~knowledge.matching.parallel`)."""
    return stored(index_passage(*located, analyzer))
