"""Answers from passages: the fact matcher, run over passages, in an index of their own.

Each passage is matched as if it were a fact whose title and answer are the passage's own
words, tagged with its document's title and section heading (so "the Dosso floods" in a
question is covered by a passage of a report about them that does not repeat the words).
The passages live in a matcher apart from the curated facts: the caller asks the facts
first, and only a question no fact answers reaches the passages, so a fact always wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Final

from ..matching.index import IndexedFact, TermIndex, index_fact
from ..matching.lexicon import is_english_word
from ..matching.matcher import MatchConfig, Matcher, Scored
from ..matching.text import STOPWORDS, Analyzer, fold
from ..models import Fact, Glossary
from .models import DocumentMeta, Passage
from .passages import sentences

# The fact matcher's weights, with words the documents never use weighing more: a passage
# index holds whole reports, so a word none of them contains ("Chad", "World Bank") is a
# sign the question is about something they do not say, rather than a paraphrase.
PASSAGE_CONFIG = MatchConfig(unknown_weight=4.0)
# The stored passage index's tables, beside the facts' ("match_*"); bump the version when
# pseudo_fact changes, so that stored indexes are rebuilt.
PASSAGE_INDEX: Final = "passage_match"
PASSAGE_INDEX_VERSION: Final = 3
# Pseudo-facts need a date; passages are never shown as facts, so it is never seen.
_NO_DATE = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class PassageHit:
    """A passage that answers a question, its document's metadata and the match score."""

    passage: Passage
    document: DocumentMeta
    score: float


# A name of two or more capitalised words, with the small words names hold ("Red Cross of
# Niger", "Médecins Sans Frontières", "World Food Programme").
_NAME_RE = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:(?:of|for|de|des|du|la|le)\s+)*[A-Z][\w'’-]*)+")
_CONNECTORS = frozenset("of for de des du la le".split())


def acronyms(text: str) -> tuple[str, ...]:
    """The initials of the multi-word names in ``text``, as a reader might abbreviate them:
    "the World Food Programme" → WFP; "Economic Community of West African States" → ECWAS
    and ECOWAS. Initials that spell a common word ("World Health Organization": WHO) are
    left out, since they would read as that word."""
    found: dict[str, None] = {}
    for match in _NAME_RE.finditer(text):
        parts = match.group().split()
        while parts and parts[0].lower() in STOPWORDS:
            parts = parts[1:]  # a capitalised sentence start: "The World Food Programme"
        capital = [p for p in parts if p.lower() not in _CONNECTORS]
        if len(capital) < 2:
            continue
        for letters in (capital, parts):
            initials = fold("".join(p[0] for p in letters))
            if len(initials) >= 3 and not is_english_word(initials):
                found[initials.upper()] = None
    return tuple(found)


def pseudo_fact(passage: Passage, document: DocumentMeta) -> Fact:
    """The passage dressed as a fact for the matcher: its words, its document's context
    (title, section heading) and the acronyms of the names it spells out."""
    context = tuple(
        dict.fromkeys(t for t in (document.title, passage.heading, *acronyms(passage.text)) if t)
    )
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
        tags=context,
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
        by_id: dict[str, tuple[Passage, DocumentMeta]] = {}
        facts: list[Fact] = []
        for passage, document in passages:
            by_id[passage.id] = (passage, document)
            facts.append(pseudo_fact(passage, document))
        self._setup(Matcher(facts, glossary, config), by_id.get)

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

        def load_fact(passage_id: str) -> Fact | None:
            found = load(passage_id)
            return None if found is None else pseudo_fact(*found)

        matcher = cls.__new__(cls)
        matcher._setup(Matcher.over(index, analyzer, load_fact, config), load)
        return matcher

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

    def explain(self, query: str, limit: int = 5) -> list[Scored]:
        """The top candidate passages for ``query`` with their score parts (ids are passage
        ids)."""
        return self._matcher.explain(query, limit)


def index_passages(
    passages: Iterable[tuple[Passage, DocumentMeta]], analyzer: Analyzer
) -> Iterator[IndexedFact]:
    """Passages analysed for a stored passage index, as the matcher analyses facts."""
    return (index_fact(pseudo_fact(passage, document), analyzer) for passage, document in passages)
