"""Document text → passages: sentences grouped into short paragraphs, by exact offsets.

A passage never crosses a blank line (a paragraph break) or a heading, holds one to three
sentences and stays short enough to read as an answer and to be cited as a quote. Every
passage satisfies ``text[p.start:p.end] == p.text``, so answers and promoted quotes point
back into the stored document exactly.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator, Sequence
from typing import Final

from .models import Passage

# A passage grows sentence by sentence while it is shorter than TARGET_CHARS, up to
# MAX_SENTENCES and MAX_CHARS; a single longer sentence is cut at spaces below HARD_CHARS
# (under the quote limit, so any passage can become a fact's quote).
TARGET_CHARS: Final = 220
MAX_CHARS: Final = 480
MAX_SENTENCES: Final = 3
HARD_CHARS: Final = 900

_PARAGRAPH_BREAK: Final = re.compile(r"\n[ \t]*\n\s*")
# Sentence-final punctuation, any closing quotes or brackets, then whitespace or the end.
_END: Final = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s|\Z)")
_LAST_TOKEN: Final = re.compile(r"(\S+)\Z")
_NEXT_WORD: Final = re.compile(r"\s*([\"'“‘«(\[]*)(\w+)")
# Words that end with a period and are followed by a name or a number, not a new sentence.
_TITLES: Final = frozenset(
    "mr mrs ms dr prof gen col lt sgt capt cpt maj cmdr adm gov sen rep rev hon pres "
    "st mt ft jr sr messrs mme mlle vs etc al cf approx est dept univ inc ltd corp co".split()
)
_BEFORE_NUMBERS: Final = frozenset(
    "no nos vol pp p fig art sec ch jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
_DOTTED: Final = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]\.?\Z")
# After a dotted abbreviation ("U.S.", "p.m.") a sentence usually starts with one of these.
_STARTERS: Final = frozenset(
    "the a an it its he she they we i in on at but and this that these those there "
    "officials authorities meanwhile however after before when while according".split()
)


def content_hash(text: str) -> str:
    """SHA-256 of the text with Unicode (NFC) and whitespace normalised: same words, same hash."""
    normal = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def paragraphs(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each blank-line-separated paragraph, without surrounding whitespace."""
    at = 0
    for brk in _PARAGRAPH_BREAK.finditer(text):
        yield from _trimmed(text, at, brk.start())
        at = brk.end()
    yield from _trimmed(text, at, len(text))


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        yield start, end


def _is_boundary(text: str, start: int, punct: re.Match[str], end: int) -> bool:
    """Whether ``punct`` ends a sentence begun at ``start`` (``end``: the paragraph's end)."""
    stop = punct.end()
    following = _NEXT_WORD.match(text, stop, end)
    if following is None:
        return True
    word = following.group(2)
    if word[0].islower():
        return False
    if "." not in punct.group():
        return True  # "!" and "?" always end a sentence
    token_match = _LAST_TOKEN.search(text, start, stop)
    token = token_match.group(1).lstrip("\"'“‘«([") if token_match else ""
    bare = token.rstrip("\"'”’»)]").rstrip(".").lower()
    if bare in _TITLES:
        return False
    if bare in _BEFORE_NUMBERS and word[0].isdigit():
        return False
    if len(bare) == 1 and bare.isalpha() and token[0].isupper():
        return False  # an initial: "John F. Kennedy"
    if _DOTTED.match(token.rstrip("\"'”’»)]")):
        return word.lower() in _STARTERS  # "U.S. officials" continues, "p.m. The" ends
    return True


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence in ``text[start:end]``: abbreviations, initials, decimals
    and dotted acronyms ("U.S.", "Mr.", "1.5", "J. R.") do not end one."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    at = start
    for match in _END.finditer(text, start, end):
        if _is_boundary(text, at, match, end):
            spans.extend(_trimmed(text, at, match.end()))
            at = match.end()
    spans.extend(_trimmed(text, at, end))
    return spans


def _cut_long(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """A sentence over HARD_CHARS cut at the last space before each limit."""
    while end - start > HARD_CHARS:
        cut = text.rfind(" ", start + 1, start + HARD_CHARS)
        cut = cut if cut > start else start + HARD_CHARS
        yield from _trimmed(text, start, cut)
        start = cut
    yield from _trimmed(text, start, end)


def _groups(text: str, spans: Sequence[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """Consecutive sentences grouped into passages of at most MAX_SENTENCES and MAX_CHARS."""
    group: list[tuple[int, int]] = []
    for span in (piece for s, e in spans for piece in _cut_long(text, s, e)):
        if group:
            length = group[-1][1] - group[0][0]
            grown = span[1] - group[0][0]
            if length >= TARGET_CHARS or len(group) >= MAX_SENTENCES or grown > MAX_CHARS:
                yield group[0][0], group[-1][1]
                group = []
        group.append(span)
    if group:
        yield group[0][0], group[-1][1]


def split_passages(
    text: str,
    *,
    document_id: str,
    version: int = 1,
    headings: Sequence[tuple[int, int]] = (),
) -> list[Passage]:
    """The passages of ``text``, in order; heading spans become passages' headings instead."""
    heading_at = {start: end for start, end in headings}
    out: list[Passage] = []
    heading = ""
    for start, end in paragraphs(text):
        if start in heading_at:
            heading = text[start : heading_at[start]]
            continue
        for p_start, p_end in _groups(text, sentences(text, start, end)):
            out.append(Passage(document_id, version, p_start, p_end, text[p_start:p_end], heading))
    return out
