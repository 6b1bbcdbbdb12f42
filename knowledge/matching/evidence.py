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

:func:`text_evidence` reads both, with the text's "<attribute> of <entity>" pairs, into a
:class:`TextEvidence`. A passage index stores it with each passage, so a question pays for
none of this reading: on 100k passages, a "who" question read thirty candidates' names at
question time, which made it the slowest kind.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .text import COUNT_RE, STOPWORDS, Analyzer, words, words_after, words_before

# Particles of Arabic, Tuareg and European names, alone or joined to the next word ("Ritsou
# ould Djan'gar", "Sokia ag-Kamik", "Nusrat al-Islam").
_PARTICLES = "ag|al|el|ould|bin|ibn|ben|abu|van|von|da|di|dos"
_NAME_WORD = rf"(?:(?:{_PARTICLES})[-‑])?[A-Z][\w'’-]*"
# A name of two or more capitalised words, with the small words names hold ("Red Cross of
# Niger", "Médecins Sans Frontières", "World Food Programme").
_NAME_RE = re.compile(
    rf"\b{_NAME_WORD}(?:\s+(?:(?:of|for|de|des|du|la|le|{_PARTICLES})\s+)*{_NAME_WORD})+"
)
CONNECTORS = frozenset(f"of for de des du la le {_PARTICLES.replace('|', ' ')}".split())
# How many words after a number may stand between it and what it counts ("312 suspected
# cholera cases"), and on each side of a name the words that say who it is.
COUNT_REACH = 4
NAME_REACH = 3
# Two to eight capitals (digits after the first): an acronym, a name on its own. A single
# capital ("A", "I") is not one.
_ACRONYM_RE = re.compile(r"\b[A-Z][A-Z0-9]{1,7}\b")
# What follows a name to say who it is: an apposition (", head of the ICRC delegation", ", a
# spokesman for") or a copula ("is a spokesman of", "was the governor"). Not ", said" or ",
# and": those go on to something else.
_DESCRIBED_RE = re.compile(
    r"""
    ,\s+(?:a|an|the|who|whose)\b
    | ,\s+(?!(?:said|says|told|and|but|which|while|as)\b)(?:[a-z][\w'’-]*\s+){1,3}
      (?:of|for|at|in|to|with)\b
    | \s+(?:is|was|has\s+been|had\s+been|became)\s+(?:a|an|the|one|its|their)\b
    """,
    re.X,
)
# What a population counts, in the words a question may use ("how many people live in").
_POPULATION = "population"
PEOPLE = ["people", "residents", "inhabitants", "population"]
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


def initialisms(text: str) -> set[str]:
    """The initials of each name in ``text``, as a question may abbreviate it: "European
    Union" → eu; "Economic Community of West African States" → ecowas and ecwas (with its
    small words and without them, as abbreviations are made both ways)."""
    found: set[str] = set()
    for parts, _, _ in names(text):
        initials = [part[0].lower() for part in parts]
        major = [part[0].lower() for part in parts if part.lower() not in CONNECTORS]
        for letters in ("".join(initials), "".join(major)):
            if len(letters) >= 2 and letters.isalpha() and letters not in STOPWORDS:
                found.add(letters)
    return found


def acronym_spans(text: str) -> Iterator[tuple[int, int]]:
    """Start and end of each acronym in ``text`` ("JNIM", "MSF"): a name on its own, as in
    "JNIM claimed the attack"."""
    for match in _ACRONYM_RE.finditer(text):
        yield match.start(), match.end()


def beside_names(text: str, reach: int = NAME_REACH) -> Iterator[tuple[list[str], list[str], bool]]:
    """For each name in ``text`` (an acronym included), its folded words, the folded words
    just before and after it, and whether what follows says who it is (:data:`_DESCRIBED_RE`:
    "Sokia ag-Kamik is a spokesman of the MSS", "Thomas Reichlin, head of the ICRC
    delegation")."""
    spans = [(start, end) for _, start, end in names(text)]
    spans += [(a, b) for a, b in acronym_spans(text) if not any(s <= a < e for s, e in spans)]
    for start, end in sorted(spans):
        before, after = words_before(text, start, reach), words_after(text, end, reach)
        described = _DESCRIBED_RE.match(text, end) is not None
        yield words(text[start:end]), before + after, described


def after_numbers(text: str, reach: int = COUNT_REACH) -> Iterator[list[str]]:
    """For each number in ``text`` (a count, not a year), the folded words that follow it
    in its clause ("9 of 14 samples; the first case" counts samples, not cases).

    A population counts people, though the words after it rarely say so ("a population of
    2,800,000."): after a number that follows "population", :data:`PEOPLE` words are added.
    """
    for number in COUNT_RE.finditer(text):
        clause = _CLAUSE_END_RE.split(text[number.end() : number.end() + 80], maxsplit=1)[0]
        counted = words(clause)[:reach]
        if _POPULATION in words(text[max(0, number.start() - 40) : number.start()])[-4:]:
            counted += PEOPLE
        yield counted


Terms = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TextEvidence:
    """What a text bears out, analysed into terms as a question is.

    ``numbers``: for each count, the terms of what follows it (:func:`after_numbers`);
    ``names``: for each name, its terms, its neighbours' and whether the text says who it
    is (:func:`beside_names`);
    ``bindings``: its "<attribute> of <entity>" pairs (``Analysis.bindings``).
    """

    numbers: tuple[frozenset[str], ...]
    names: tuple[tuple[Terms, Terms, bool], ...]
    bindings: tuple[tuple[str, str], ...]

    def encode(self) -> str:
        """The evidence as one JSON string, for a column of the index."""
        return json.dumps(
            [
                [sorted(terms) for terms in self.numbers],
                [[list(name), list(near), described] for name, near, described in self.names],
                [list(pair) for pair in self.bindings],
            ],
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, text: str) -> TextEvidence:
        """The evidence :meth:`encode` wrote."""
        numbers, names, bindings = json.loads(text)
        return cls(
            tuple(frozenset(terms) for terms in numbers),
            tuple((tuple(name), tuple(near), bool(described)) for name, near, described in names),
            tuple((a, b) for a, b in bindings),
        )


def text_evidence(text: str, analyzer: Analyzer) -> TextEvidence:
    """Read ``text``'s counts, names and "<attribute> of <entity>" pairs with ``analyzer``."""
    analyse = analyzer.analyse_words
    return TextEvidence(
        tuple(frozenset(analyse(folded).terms) for folded in after_numbers(text)),
        tuple(
            (analyse(name).terms, analyse(near).terms, described)
            for name, near, described in beside_names(text)
        ),
        analyzer.analyse(text).bindings,
    )
