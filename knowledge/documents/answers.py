"""Answers from passages: the fact matcher, run over passages, in an index of their own.

Each passage is matched as if it were a fact whose title and answer are the passage's own
words, tagged with its document's title and section heading (so "the Dosso floods" in a
question is covered by a passage of a report about them that does not repeat the words).
The passages live in a matcher apart from the curated facts: the caller asks the facts
first, and only a question no fact answers reaches the passages, so a fact always wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ..matching.matcher import MatchConfig, Matcher
from ..models import Fact, Glossary
from .models import DocumentMeta, Passage

# The fact matcher's weights, with words the documents never use weighing more: a passage
# index holds whole reports, so a word none of them contains ("Chad", "World Bank") is a
# sign the question is about something they do not say, rather than a paraphrase.
PASSAGE_CONFIG = MatchConfig(unknown_weight=4.0)
# Pseudo-facts need a date; passages are never shown as facts, so it is never seen.
_NO_DATE = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class PassageHit:
    """A passage that answers a question, its document's metadata and the match score."""

    passage: Passage
    document: DocumentMeta
    score: float


def pseudo_fact(passage: Passage, document: DocumentMeta) -> Fact:
    """The passage dressed as a fact for the matcher: its words, its document's context."""
    context = tuple(dict.fromkeys(t for t in (document.title, passage.heading) if t))
    return Fact(
        id=passage.id,
        title=passage.text,
        answer=passage.text,
        as_of=_NO_DATE,
        sources=(),
        tags=context,
    )


class PassageMatcher:
    """Finds the passage that answers a question, or None; build anew when passages change."""

    def __init__(
        self,
        passages: Iterable[tuple[Passage, DocumentMeta]],
        glossary: Glossary,
        config: MatchConfig = PASSAGE_CONFIG,
    ) -> None:
        self._by_id: dict[str, tuple[Passage, DocumentMeta]] = {}
        facts: list[Fact] = []
        for passage, document in passages:
            self._by_id[passage.id] = (passage, document)
            facts.append(pseudo_fact(passage, document))
        self._matcher = Matcher(facts, glossary, config)

    def __len__(self) -> int:
        return len(self._by_id)

    def ask(self, query: str) -> PassageHit | None:
        """The passage answering ``query`` as the matcher would a fact, else None."""
        if not self._by_id:
            return None
        answer = self._matcher.ask(query)
        if not answer.answered or answer.fact is None:
            return None
        passage, document = self._by_id[answer.fact.id]
        return PassageHit(passage, document, answer.score)
