"""A passage → a proposed fact for a moderator to review: quote, title, answer, keys, id.

Everything here is a suggestion, made the same way every time for the same passage: the
moderator edits the form before saving, and the store validates the result like any fact
(the quote must be found verbatim in its document).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from ..models import Fact, Source
from ..validation import MAX_ID, MAX_KEY, MAX_TITLE
from .meta import slugify
from .models import DocumentMeta, Passage
from .passages import sentences

MAX_PROPOSED_TITLE: Final = 90
MAX_PROPOSED_KEYS: Final = 6
_ID_WORDS: Final = 6

# "The ministry said (that) ..." at the start, "..., the ministry said." at the end: the
# claim reads better as a title without who said it (the source keeps that).
_LEAD_ATTRIBUTION: Final = re.compile(
    r"^[^,\"“]{2,90}?\s(?:said|says|told\s+\w+|announced|reported|estimated|confirmed)"
    r"(?:\s+(?:on|in)\s+\w+)?(?:\s+that)?\s+(?=\S)"
)
_TAIL_ATTRIBUTION: Final = re.compile(
    r",[\"”’']?\s+(?:[\w'’.-]+\s+){0,6}?(?:said|says|told\s[^.]*|according to[^.]*)[^,]*\Z"
)
_QUOTES: Final = "\"“”‘’'«»"
_ENTITY: Final = re.compile(
    r"(?:[A-Z][\w'’.-]*|\d[\d,.]*)(?:\s+(?:of|the|for|and|de|du|la)?\s*[A-Z][\w'’.-]*)*"
)
_NUMBER_PHRASE: Final = re.compile(
    r"\b\d[\d,.]*(?:\s+(?:percent|million|billion))?"
    r"\s+(?!(?:of|and|but|was|to|in|on|at|by|for)\b)[a-z]{2,}"
)
_STOP: Final = frozenset(
    "a an the of to in on at by for from with and or but is are was were be been has have "
    "had that this these those it its as about into over after before since said says "
    "will would could should may might than then there their they he she we his her".split()
)
_DULL_STARTERS: Final = frozenset("The A An It In On At But And This That A Until".split())


def informative_sentence(passage: Passage) -> tuple[int, int]:
    """Offsets (into the document) of the passage's sentence carrying the most particulars."""
    spans = [(s + passage.start, e + passage.start) for s, e in sentences(passage.text)]
    if len(spans) <= 1:
        return passage.start, passage.end

    def weight(span: tuple[int, int]) -> int:
        text = passage.text[span[0] - passage.start : span[1] - passage.start]
        words = text.split()
        numbers = sum(any(ch.isdigit() for ch in word) for word in words)
        names = sum(word[:1].isupper() for word in words[1:])
        return 3 * numbers + 2 * names + len(words) // 4

    return max(spans, key=lambda span: (weight(span), -span[0]))


def proposed_title(sentence: str) -> str:
    """A headline-like title from a sentence: attribution dropped, cut at a clause, capitalised."""
    text = sentence.strip().rstrip(".!?").strip()
    rest = _LEAD_ATTRIBUTION.sub("", text, count=1)
    if len(rest.split()) >= 4:
        text = rest
    rest = _TAIL_ATTRIBUTION.sub("", text)
    if len(rest.split()) >= 4:
        text = rest
    text = text.strip(_QUOTES + " ,;:")
    if len(text) > MAX_PROPOSED_TITLE:
        comma = text.find(", ", 30)
        text = text[:comma] if 0 < comma <= MAX_PROPOSED_TITLE else text
    if len(text) > MAX_PROPOSED_TITLE:
        text = text[: text.rfind(" ", 0, MAX_PROPOSED_TITLE)]
    words = text.strip(_QUOTES + " ,;:").split()
    while len(words) > 3 and words[-1].casefold() in _STOP:
        words.pop()  # a cut title ends on a content word, not "... region on"
    text = " ".join(words)
    return (text[:1].upper() + text[1:])[:MAX_TITLE]


def suggested_keys(sentence: str, heading: str = "") -> tuple[str, ...]:
    """A few keys a reader might type: the sentence's names, number phrases and its section."""
    found: list[str] = []
    for match in _ENTITY.finditer(sentence):
        phrase = match.group().strip(" .,'’")
        first, *others = phrase.split()
        at_start = not sentence[: match.start()].strip(_QUOTES + " ")
        if at_start and first in _DULL_STARTERS:
            phrase = " ".join(others)
        elif at_start and not others:
            continue  # a capitalised first word may be any word ("Officials", "Most")
        if len(phrase) > 2 and not phrase.replace(",", "").replace(".", "").isdigit():
            found.append(phrase)
    found += [m.group() for m in _NUMBER_PHRASE.finditer(sentence)]
    if heading:
        found.append(heading.casefold())
    keys: list[str] = []
    seen: set[str] = set()
    for key in found:
        folded = key.casefold()
        if folded not in seen and len(key) <= MAX_KEY:
            seen.add(folded)
            keys.append(key)
    return tuple(keys[:MAX_PROPOSED_KEYS])


def proposed_id(title: str) -> str:
    """A fact id slug from the title's first content words."""
    words = [w for w in re.findall(r"[\w'’-]+", title) if w.casefold() not in _STOP]
    return slugify(" ".join(words[:_ID_WORDS]), limit=MAX_ID) or "fact"


def propose(passage: Passage, meta: DocumentMeta, document_text: str, *, today: date) -> Fact:
    """The fact a passage suggests; its quote is the passage's most informative sentence.

    ``as_of`` is the document's date, else ``today``; the quote is taken from
    ``document_text`` by offsets, so it is verbatim by construction.
    """
    start, end = informative_sentence(passage)
    sentence = document_text[start:end]
    title = proposed_title(sentence)
    as_of = meta.published or today
    tag = slugify(passage.heading, limit=40) if passage.heading != meta.title else ""
    return Fact(
        id=proposed_id(title),
        title=title,
        answer=sentence,
        as_of=as_of,
        sources=(Source(quote=sentence, document=meta.id),),
        keys=suggested_keys(sentence, passage.heading if tag else ""),
        tags=(tag,) if tag else (),
    )
