"""Discord-ready message parts as plain data: Discord's limits, the values (embeds, fields, replies,
choices) and the text rules — cleaning, escaping, neutralising mentions, shortening and
splitting at clean places.

Nothing here imports Discord. Two kinds of text reach a message:

* **curated** text (fact titles, answers, source titles) is moderator-written markdown. It is
  kept as markdown, but control/bidi characters are dropped and mentions are broken up
  (defence in depth: validation already rejects them, and the bot also sends with no mentions
  allowed);
* **echoed** user text (the question as typed) is never trusted: it is cleaned, shortened,
  markdown-escaped and its mentions are broken up (see :func:`echo`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..validation import url_problem

# Discord's documented limits (https://discord.com/developers/docs/resources/message).
CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELD_COUNT_LIMIT = 25
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
EMBEDS_PER_MESSAGE = 10
BUTTON_LABEL_LIMIT = 80
CHOICE_LIMIT = 100  # an autocomplete choice's name and value
CHOICES_PER_RESPONSE = 25

MAX_QUERY = 300  # what /ask accepts; the prefix and mention paths apply the same cap
MAX_SUGGESTIONS = 3
ECHO_LIMIT = 120  # echoed questions are context, not content: keep them short
TOPICS_PER_PAGE = 6

COLOUR_ANSWER = 0x2B6CB0
COLOUR_STALE = 0xD69E2E
COLOUR_INFO = 0x718096

ELLIPSIS = "…"
ZWSP = "\u200b"

# Characters that can disguise text (bidi overrides and isolates, zero-width joiners, BOMs),
# control characters, surrogates, private-use and unassigned code points.
_DROP_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_KEEP = frozenset("\n\t")
_WS_RE = re.compile(r"\s+")
_MASS_MENTION_RE = re.compile(r"@(everyone|here)", re.IGNORECASE)
# Markdown that Discord renders anywhere in a line; a backslash shows the character literally.
_INLINE_MARKDOWN = frozenset("\\*_~`|[]<")
# ... and markers that only act at the start of a line (headings, quotes, lists).
_LINE_START_RE = re.compile(r"^([ \t]*)(?:([#>+-])|(\d+)\.)", re.MULTILINE)
# Spans a split must not cut: user/role/channel mentions, custom emoji, timestamps,
# slash-command mentions, masked links, bare URLs and backtick runs.
_PROTECTED_RE = re.compile(
    r"<(?:@[!&]?|#)\d+>"
    r"|<a?:\w+:\d+>"
    r"|<t:-?\d+(?::[a-zA-Z])?>"
    r"|</[\w -]+:\d+>"
    r"|\[[^\[\]\n]*\]\([^()\s]*\)"
    r"|https?://[^\s<>]+"
    r"|`+"
)
_FENCE = "```"
_FENCE_LANG_RE = re.compile(r"[A-Za-z0-9_+#.-]{1,20}")
# Fence markers split_for_discord may add: "\n```" after a chunk, "```lang\n" before the next.
_FENCE_RESERVE = len("\n" + _FENCE) + len(_FENCE + "x" * 20 + "\n")
_JOINERS = frozenset({"\u200d", "\ufe0e", "\ufe0f"})


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class Field:
    """One embed field."""

    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True, slots=True)
class EmbedPart:
    """An embed as plain data; :meth:`to_dict` gives Discord's JSON shape."""

    title: str
    description: str = ""
    url: str = ""
    fields: tuple[Field, ...] = ()
    footer: str = ""
    colour: int = COLOUR_ANSWER

    def __len__(self) -> int:
        """Characters Discord counts towards the 6000 per-message total."""
        return (
            len(self.title)
            + len(self.description)
            + len(self.footer)
            + sum(len(f.name) + len(f.value) for f in self.fields)
        )

    def to_dict(self) -> dict[str, Any]:
        """The embed in Discord's JSON shape (what ``discord.Embed.from_dict`` reads)."""
        data: dict[str, Any] = {"type": "rich", "title": self.title, "color": self.colour}
        if self.description:
            data["description"] = self.description
        if self.url:
            data["url"] = self.url
        if self.fields:
            data["fields"] = [
                {"name": f.name, "value": f.value, "inline": f.inline} for f in self.fields
            ]
        if self.footer:
            data["footer"] = {"text": self.footer}
        return data


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A "did you mean" choice: the fact it shows and the button label."""

    fact_id: str
    label: str


@dataclass(frozen=True, slots=True)
class PassageRef:
    """Where a passage is: its document and character offsets (what promotion needs)."""

    document_id: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Reply:
    """Everything one bot message says: text, embeds and "did you mean" suggestions."""

    content: str = ""
    embeds: tuple[EmbedPart, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    fact_id: str | None = None  # the fact this reply shows, if any
    stale: bool = False
    passage: PassageRef | None = None  # the unreviewed passage this reply shows, if any


@dataclass(frozen=True, slots=True)
class Choice:
    """An autocomplete choice: what the user sees and what goes into the option."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class TopicPages:
    """``/topics`` as pages of embeds (at least one)."""

    pages: tuple[EmbedPart, ...] = field(default_factory=tuple)

    def page(self, index: int) -> tuple[int, EmbedPart]:
        """The page at ``index``, clamped to the pages that exist (facts come and go)."""
        index = max(0, min(index, len(self.pages) - 1))
        return index, self.pages[index]


# --------------------------------------------------------------------------- text


def clean(text: str, *, newlines: bool = True) -> str:
    """Drop control, bidi/format, surrogate, private-use and unassigned characters.

    With ``newlines=False`` every run of whitespace (newlines included) becomes one space.
    """
    kept = "".join(
        ch for ch in text if ch in _KEEP or unicodedata.category(ch) not in _DROP_CATEGORIES
    )
    if not newlines:
        kept = _WS_RE.sub(" ", kept).strip()
    return kept


def neutralize_mentions(text: str) -> str:
    """Break up @everyone, @here and <@…>/<@&…> so that no client renders them as pings."""
    text = _MASS_MENTION_RE.sub(lambda m: "@" + ZWSP + m.group(1), text)
    return text.replace("<@", "<" + ZWSP + "@")


def escape_markdown(text: str) -> str:
    """Backslash-escape the markdown Discord would interpret, so ``text`` shows literally.

    Emphasis, code, spoiler, link and mention characters are escaped everywhere; heading,
    quote and list markers only where they would act, at the start of a line.
    """
    text = "".join("\\" + ch if ch in _INLINE_MARKDOWN else ch for ch in text)
    return _LINE_START_RE.sub(_escape_line_start, text)


def _escape_line_start(m: re.Match[str]) -> str:
    indent, marker, number = m.group(1), m.group(2), m.group(3)
    return indent + ("\\" + marker if marker else number + "\\.")


def shorten(text: str, limit: int, *, marker: str = ELLIPSIS) -> str:
    """``text`` cut to at most ``limit`` characters at a clean place, ``marker`` appended."""
    if len(text) <= limit:
        return text
    if limit <= len(marker):
        return marker[:limit]
    cut = _cut_point(text, limit - len(marker), prefer_words=True)
    return text[:cut].rstrip() + marker


def fit_lines(
    lines: Sequence[str], limit: int, more: Callable[[int], str], *, used: int = 0
) -> list[str]:
    """The first of ``lines`` that fit in ``limit`` characters joined by newlines (``used``
    already taken), then ``more(n)`` for the ``n`` left out: whole lines only, and room is
    kept for the count line whenever a line follows."""
    kept: list[str] = []
    for n, line in enumerate(lines):
        rest = more(len(lines) - n)
        reserve = len(rest) + 1 if n < len(lines) - 1 else 0
        if used + len(line) + 1 + reserve > limit:
            kept.append(rest)
            break
        kept.append(line)
        used += len(line) + 1
    return kept


def echo(text: str, limit: int = ECHO_LIMIT) -> str:
    """User text made safe to repeat inside markdown: one line, short, escaped, no pings."""
    return neutralize_mentions(escape_markdown(shorten(clean(text, newlines=False), limit)))


def plain(text: str, limit: int) -> str:
    """Text for places Discord shows without markdown (titles, footers, labels): one line."""
    return shorten(neutralize_mentions(clean(text, newlines=False)), limit)


def curated(text: str) -> str:
    """Moderator-written markdown, kept as markdown but without pings or hidden characters."""
    return neutralize_mentions(clean(text))


def safe_url(url: str) -> str:
    """``url`` if it is a plain http(s) address that can sit inside ``[text](url)``, else ``""``."""
    url = url.strip()
    # Checked again here, whatever validation let in before: a stored row may predate a rule,
    # and a hidden character in a link is invisible to the reader it misleads.
    if url_problem(url) or not re.fullmatch(r"https?://[^\s<>()\[\]\"'`]+", url):
        return ""
    return url


# --------------------------------------------------------------------------- splitting


def _protected_spans(text: str, limit: int) -> list[tuple[int, int]]:
    # A span longer than half a chunk cannot be kept whole without stalling the split.
    return [
        (m.start(), m.end())
        for m in _PROTECTED_RE.finditer(text)
        if m.end() - m.start() <= limit // 2
    ]


def _escaped(text: str, i: int) -> bool:
    """True if ``text[i]`` follows an escaping backslash (an odd run of them)."""
    run = 0
    while i - run - 1 >= 0 and text[i - run - 1] == "\\":
        run += 1
    return run % 2 == 1


def _bad_boundary(text: str, i: int) -> bool:
    """True if cutting before ``text[i]`` would split a grapheme (accent, ZWJ emoji, CRLF) or
    part a markdown escape from the character it escapes (the next chunk would start with,
    say, a live ``*``)."""
    if i <= 0 or i >= len(text):
        return False
    ch, prev = text[i], text[i - 1]
    return (
        (prev == "\\" and _escaped(text, i))
        or unicodedata.combining(ch) > 0
        or unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or ch in _JOINERS
        or prev == "\u200d"
        or (prev == "\r" and ch == "\n")
        or 0x1F3FB <= ord(ch) <= 0x1F3FF  # skin-tone modifiers belong to the emoji before
        or (0x1F1E6 <= ord(ch) <= 0x1F1FF and 0x1F1E6 <= ord(prev) <= 0x1F1FF)
    )


def _cut_point(
    text: str, limit: int, *, prefer_words: bool, spans: list[tuple[int, int]] | None = None
) -> int:
    """Where to cut ``text`` so the first part is at most ``limit`` long and nothing is torn."""
    if len(text) <= limit:
        return len(text)
    spans = _protected_spans(text, limit) if spans is None else spans

    def allowed(i: int) -> bool:
        if _bad_boundary(text, i):
            return False
        return not any(start < i < end for start, end in spans)

    if prefer_words:
        # Prefer a paragraph break, then a line break, then a sentence end, then a space,
        # as long as the first part keeps at least half of the room.
        floor = limit // 2
        for pattern in ("\n\n", "\n", ". ", " "):
            i = text.rfind(pattern, floor, limit)
            while i != -1:
                cut = i + len(pattern)
                if cut <= limit and allowed(cut):
                    return cut
                i = text.rfind(pattern, floor, i)
    cut = limit
    while cut > 0 and not allowed(cut):
        cut -= 1
    return cut if cut > 0 else limit


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most ``limit`` characters whose concatenation is exactly ``text``.

    Cuts prefer paragraph, line and word boundaries and never tear a mention, custom emoji,
    timestamp, masked link, URL, backtick run or grapheme.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = _cut_point(rest, limit, prefer_words=True)
        pieces.append(rest[:cut])
        rest = rest[cut:]
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def split_for_discord(text: str, limit: int = CONTENT_LIMIT) -> list[str]:
    """Message-sized chunks of ``text``; a code block cut in two is closed and reopened.

    Each chunk is at most ``limit`` long and holds an even number of ``` markers; see
    :func:`fenced_pieces` for the markers added.
    """
    return [opening + piece + closing for opening, piece, closing in fenced_pieces(text, limit)]


def fenced_pieces(text: str, limit: int = CONTENT_LIMIT) -> list[tuple[str, str, str]]:
    """``(opening, piece, closing)`` triples: the pieces join back to ``text`` exactly.

    ``opening`` is "```lang\n" when a code block was open at the previous cut, and
    ``closing`` is "\n```" when one is open at this cut; both are "" otherwise.
    """
    if limit <= _FENCE_RESERVE:
        raise ValueError(f"limit must exceed {_FENCE_RESERVE}")
    out: list[tuple[str, str, str]] = []
    opening = ""
    open_lang: str | None = None  # the language of the code block open so far, if any
    for piece in split_text(text, limit - _FENCE_RESERVE):
        pos = 0
        while (i := piece.find(_FENCE, pos)) != -1:
            if open_lang is None:
                lang = _FENCE_LANG_RE.match(piece, i + 3)
                ends_line = lang is not None and piece[lang.end() : lang.end() + 1] in ("\n", "")
                open_lang = lang.group(0) if lang is not None and ends_line else ""
            else:
                open_lang = None
            pos = i + 3
        closing = "\n" + _FENCE if open_lang is not None else ""
        out.append((opening, piece, closing))
        opening = _FENCE + open_lang + "\n" if open_lang is not None else ""
    return out


def reply_within_limits(reply: Reply) -> bool:
    """True if Discord would accept this reply's text and embeds as one message."""
    return (
        len(reply.content) <= CONTENT_LIMIT
        and len(reply.embeds) <= EMBEDS_PER_MESSAGE
        and sum(len(e) for e in reply.embeds) <= EMBED_TOTAL_LIMIT
        and all(embed_within_limits(e) for e in reply.embeds)
        and all(len(s.label) <= BUTTON_LABEL_LIMIT for s in reply.suggestions)
    )


def embed_within_limits(embed: EmbedPart) -> bool:
    """True if one embed respects Discord's per-part limits."""
    return (
        0 < len(embed.title) <= TITLE_LIMIT
        and len(embed.description) <= DESCRIPTION_LIMIT
        and len(embed.fields) <= FIELD_COUNT_LIMIT
        and all(
            0 < len(f.name) <= FIELD_NAME_LIMIT and 0 < len(f.value) <= FIELD_VALUE_LIMIT
            for f in embed.fields
        )
        and len(embed.footer) <= FOOTER_LIMIT
        and len(embed) <= EMBED_TOTAL_LIMIT
    )


# --------------------------------------------------------------------------- moderators
