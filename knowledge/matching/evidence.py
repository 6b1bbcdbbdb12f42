"""What a text's own wording shows it can answer, read at question time from a candidate.

A fact declares what it answers in its keys ("who leads JNIM"); a passage of a report has
only its sentences. For a passage the matcher asks two questions of the text itself:

- "how many <things>": is a number written before the things asked about ("312 suspected
  cases")? A passage whose numbers count something else ("9 of 14 stool samples") does not
  say how many cases there are, however many of the question's words it holds.
- "who": is someone named (two or more capitalised words: "Colonel Abdourahamane Sidi",
  "Médecins Sans Frontières") beside a word of the question ("The regional governor,
  Colonel Abdourahamane Sidi")? A passage that only mentions the governor names no one,
  and a name made of the question's own words is what it asks about, not the answer ("the
  Red Cross of Niger run a kitchen" does not say who is president of Niger).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .index import COUNT_RE
from .text import STOPWORDS, words

# A name of two or more capitalised words, with the small words names hold ("Red Cross of
# Niger", "Médecins Sans Frontières", "World Food Programme").
_NAME_RE = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:(?:of|for|de|des|du|la|le)\s+)*[A-Z][\w'’-]*)+")
CONNECTORS = frozenset("of for de des du la le".split())
# How many words after a number may stand between it and what it counts ("312 suspected
# cholera cases"), and on each side of a name the words that say who it is.
COUNT_REACH = 4
NAME_REACH = 3
_CLAUSE_END_RE = re.compile(r"[;:,.!?()]\s|[;:()]")


def names(text: str) -> Iterator[tuple[list[str], int, int]]:
    """Each name of two or more capitalised words in ``text``: its words, start and end.

    A capitalised sentence start that is a function word is not part of the name ("In
    Benin" is one word, so no name).
    """
    for match in _NAME_RE.finditer(text):
        parts = match.group().split()
        start = match.start()
        while parts and parts[0].lower() in STOPWORDS:
            start = text.index(parts[1], start) if len(parts) > 1 else match.end()
            parts = parts[1:]  # a capitalised sentence start: "The World Food Programme"
        if sum(p.lower() not in CONNECTORS for p in parts) >= 2:
            yield parts, start, match.end()


def beside_names(text: str, reach: int = NAME_REACH) -> Iterator[tuple[list[str], list[str]]]:
    """For each name in ``text``, its folded words and the folded words just before and
    after it."""
    for _, start, end in names(text):
        yield words(text[start:end]), words(text[:start])[-reach:] + words(text[end:])[:reach]


def after_numbers(text: str, reach: int = COUNT_REACH) -> Iterator[list[str]]:
    """For each number in ``text`` (a count, not a year), the folded words that follow it
    in its clause ("9 of 14 samples; the first case" counts samples, not cases)."""
    for number in COUNT_RE.finditer(text):
        clause = _CLAUSE_END_RE.split(text[number.end() : number.end() + 80], maxsplit=1)[0]
        yield words(clause)[:reach]
