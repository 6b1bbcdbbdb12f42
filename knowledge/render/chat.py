"""Answers and facts as Discord-ready message parts: plain data, within Discord's limits.

Nothing here imports Discord. The bot turns these values into ``discord.Embed`` objects and
buttons; everything that decides *what* a message says, how long it may be and how user text
is neutralised lives here, so it is tested without Discord.

Two kinds of text reach a message:

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..curation.drafts import field_label
from ..curation.history import action_label, revision_diff
from ..errors import Problem
from ..models import Alternative, Answer, Fact, Revision, Source, SyncReport
from ..validation import ID_RE

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
class Reply:
    """Everything one bot message says: text, embeds and "did you mean" suggestions."""

    content: str = ""
    embeds: tuple[EmbedPart, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    fact_id: str | None = None  # the fact this reply shows, if any
    stale: bool = False


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
    # 500 is what fact validation allows; a longer link would crowd out the rest of a field.
    if len(url) > 500 or not re.fullmatch(r"https?://[^\s<>()\[\]\"'`]+", url):
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


# --------------------------------------------------------------------------- facts


def _source_label(source: Source) -> str:
    """The source as "Title — Publisher, 2025-11-04", with whatever parts it has."""
    title = source.title or source.document or "Source"
    label = title
    if source.publisher and source.publisher != title:
        label += f" — {source.publisher}"
    if source.published:
        label += f", {source.published.isoformat()}"
    return label


def _masked_link(text: str, url: str) -> str:
    # Inside [text](url) the text is markdown: escape it so a ']' or '*' cannot break the link.
    text = escape_markdown(plain(text, 200))
    link = safe_url(url)
    return f"[{text}]({link})" if link else text


def _sources_field(fact: Fact) -> Field:
    lines: list[str] = []
    total = len(fact.sources)
    for i, source in enumerate(fact.sources):
        line = "• " + _masked_link(_source_label(source), source.url)
        left = total - i - 1
        reserve = len(_more_sources(fact.id, left)) + 1 if left else 0
        if len("\n".join([*lines, line])) + reserve > FIELD_VALUE_LIMIT:
            lines.append(_more_sources(fact.id, total - i))
            break
        lines.append(line)
    return Field("Sources", "\n".join(lines) or "No source recorded.")


def _more_sources(fact_id: str, n: int) -> str:
    return f"…and {n} more: `/sources {fact_id}`"


def render_answer(fact: Fact, *, today: date, asked: str | None = None) -> Reply:
    """The answer embed: title, answer, linked sources, "as of", and a staleness flag."""
    stale = fact.is_stale(today)
    fields = [_sources_field(fact), Field("As of", fact.as_of.isoformat(), inline=True)]
    if fact.status == "retired":
        fields.append(
            Field("Retired", "Moderators have retired this fact; it is kept for reference.")
        )
    if stale and fact.review_by is not None:
        fields.append(
            Field(
                "⚠️ Possibly stale",
                f"This fact was due for review on {fact.review_by.isoformat()}. "
                "Check the sources before relying on it.",
            )
        )
    footer = f"fact {fact.id}"
    if asked:
        footer += " · asked: " + plain(asked, ECHO_LIMIT)
    title = plain(fact.title, TITLE_LIMIT) or fact.id
    url = next((u for u in (safe_url(s.url) for s in fact.sources) if u), "")
    others = len(title) + len(footer) + sum(len(f.name) + len(f.value) for f in fields)
    room = min(DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - others)
    description = curated(fact.answer)
    if len(description) > room:
        pointer = f"\n\n{ELLIPSIS} (shortened: the full text is in the sources below)"
        description = split_text(description, room - len(pointer))[0].rstrip() + pointer
    embed = EmbedPart(
        title=title,
        description=description,
        url=url,
        fields=tuple(fields),
        footer=footer,
        colour=COLOUR_STALE if stale else COLOUR_ANSWER,
    )
    return Reply(embeds=(embed,), fact_id=fact.id, stale=stale)


def render_miss(answer: Answer) -> Reply:
    """An honest miss: "I have no fact on that", and up to three "did you mean" choices."""
    query = echo(answer.query)
    text = f"I have no fact on “{query}”." if query else "I have no fact on that."
    suggestions = tuple(
        Suggestion(alt.id, plain(alt.title, BUTTON_LABEL_LIMIT) or alt.id)
        for alt in _usable(answer.alternatives)[:MAX_SUGGESTIONS]
    )
    if suggestions:
        text += " Did you mean one of these?"
    return Reply(content=text, suggestions=suggestions)


def render(answer: Answer, *, today: date, asked: str | None = None) -> Reply:
    """The reply to an :class:`Answer`: the fact's embed, or an honest miss."""
    if answer.answered and answer.fact is not None:
        return render_answer(answer.fact, today=today, asked=asked)
    return render_miss(answer)


def render_repeat(title: str, jump_url: str) -> str:
    """Points to an earlier answer in the channel instead of posting it again."""
    return f"I answered “{escape_markdown(plain(title, 200))}” here a moment ago: {jump_url}"


def render_sources(fact: Fact) -> list[EmbedPart]:
    """Every source of a fact with its full quote, as as many embeds as Discord needs."""
    fields: list[Field] = []
    for i, source in enumerate(fact.sources, start=1):
        name = plain(f"{i}. {_source_label(source)}", FIELD_NAME_LIMIT)
        link = safe_url(source.url)
        tail = f"\n<{link}>" if link else ""
        quote = escape_markdown(curated(source.quote)).strip() or "(no quote)"
        body = "\n".join("> " + line for line in quote.splitlines())
        if len(body) + len(tail) > FIELD_VALUE_LIMIT:
            body = shorten(body, FIELD_VALUE_LIMIT - len(tail) - 20) + " (quote shortened)"
        fields.append(Field(name, body + tail))
    if not fields:
        fields.append(Field("No sources", "This fact has no recorded source."))
    title = plain(f"Sources — {fact.title or fact.id}", TITLE_LIMIT - 8)
    footer = f"fact {fact.id} · as of {fact.as_of.isoformat()}"
    return _paginate(title, fields, footer=footer, per_page=FIELD_COUNT_LIMIT, colour=COLOUR_INFO)


def _paginate(
    title: str,
    fields: Sequence[Field],
    *,
    footer: str,
    per_page: int,
    colour: int,
    budget: int = EMBED_TOTAL_LIMIT - 200,
) -> list[EmbedPart]:
    """Pack fields into embeds of at most ``per_page`` fields and ``budget`` characters."""
    pages: list[list[Field]] = [[]]
    size = 0
    for f in fields:
        if pages[-1] and (len(pages[-1]) >= per_page or size + len(f.name) + len(f.value) > budget):
            pages.append([])
            size = 0
        pages[-1].append(f)
        size += len(f.name) + len(f.value)
    total = len(pages)
    return [
        EmbedPart(
            title=title if total == 1 else f"{title} ({n}/{total})",
            fields=tuple(page),
            footer=footer if total == 1 else f"{footer} · page {n}/{total}",
            colour=colour,
        )
        for n, page in enumerate(pages, start=1)
    ]


def render_topics(
    topics: Mapping[str, Sequence[Fact]], *, per_page: int = TOPICS_PER_PAGE
) -> TopicPages:
    """Facts grouped by tag, a few tags per page."""
    fields: list[Field] = []
    for tag in sorted(topics):
        facts = sorted(topics[tag], key=lambda f: f.title.casefold())
        if not facts:
            continue
        lines = [f"`{f.id}` {escape_markdown(plain(f.title, 120))}" for f in facts]
        value = ""
        for n, line in enumerate(lines):
            more = f"…and {len(lines) - n} more"
            if len(value) + len(line) + 1 > FIELD_VALUE_LIMIT - len(more) - 1:
                value += more
                break
            value += line + "\n"
        fields.append(Field(plain(f"{tag} ({len(facts)})", FIELD_NAME_LIMIT), value.strip()))
    if not fields:
        empty = EmbedPart(title="Topics", description="No facts yet.", colour=COLOUR_INFO)
        return TopicPages((empty,))
    footer = "Use /show <id> to see a fact"
    return TopicPages(
        tuple(_paginate("Topics", fields, footer=footer, per_page=per_page, colour=COLOUR_INFO))
    )


# --------------------------------------------------------------------------- input


def _usable(alternatives: Iterable[Alternative]) -> list[Alternative]:
    # Ids travel inside button custom_ids; only well-formed slugs can be parsed back.
    seen: set[str] = set()
    out: list[Alternative] = []
    for alt in alternatives:
        if ID_RE.match(alt.id) and len(alt.id) <= 64 and alt.id not in seen:
            seen.add(alt.id)
            out.append(alt)
    return out


def choices(alternatives: Iterable[Alternative]) -> list[Choice]:
    """Autocomplete choices for /ask: a fact's title, which then asks for that fact."""
    out: list[Choice] = []
    seen: set[str] = set()
    for alt in alternatives:
        value = clean(alt.title, newlines=False)[:CHOICE_LIMIT].strip()
        if not value or value.casefold() in seen:
            continue
        seen.add(value.casefold())
        out.append(Choice(plain(alt.title, CHOICE_LIMIT), value))
        if len(out) == CHOICES_PER_RESPONSE:
            break
    return out


def id_choices(alternatives: Iterable[Alternative]) -> list[Choice]:
    """Autocomplete choices for a fact id: "Title (id)", giving the id."""
    out: list[Choice] = []
    for alt in _usable(alternatives)[:CHOICES_PER_RESPONSE]:
        title = plain(alt.title, CHOICE_LIMIT - len(alt.id) - 3)
        out.append(Choice(f"{title} ({alt.id})" if title else alt.id, alt.id))
    return out


def mention_query(content: str, bot_id: int, role_id: int | None = None) -> str | None:
    """The question in "@Sitrep <question>" (an optional leading "ask" dropped), else ``None``.

    Only a message that *starts* with the bot's mention is a question; a mention in passing
    is not. ``role_id`` is the bot's own managed role, which Discord's autocomplete often
    inserts instead of the bot's user mention.
    """
    who = rf"@!?{bot_id}" if role_id is None else rf"(?:@!?{bot_id}|@&{role_id})"
    match = re.match(rf"\s*<{who}>[\s,:]*", content)
    if match is None:
        return None
    rest = content[match.end() :]
    rest = re.sub(r"^ask\b[\s:]*", "", rest, flags=re.IGNORECASE)
    return rest.strip()


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

COLOUR_CHANGE = 0x2F855A
COLOUR_WARN = 0xC05621
HISTORY_PER_PAGE = 5
MAX_PROBLEMS_SHOWN = 10
_DIFF_LINE_LIMIT = 300  # one changed answer can be long; the rest of the diff deserves room
_ACTOR_RE = re.compile(r"discord:(\d{15,21})")


def actor_label(actor: str) -> str:
    """Who made a change: a Discord user as a mention (embeds never ping), others as text."""
    match = _ACTOR_RE.fullmatch(actor)
    return f"<@{match.group(1)}>" if match else escape_markdown(plain(actor, 100))


def _code_safe(line: str) -> str:
    """One line that cannot leave a code block or ping, whatever a fact once contained."""
    text = neutralize_mentions(clean(line, newlines=False))
    return shorten(text.replace("```", "`\u200b`\u200b`"), _DIFF_LINE_LIMIT)


def diff_block(lines: Sequence[str], limit: int) -> str:
    """Diff lines as a ```diff block of at most ``limit`` characters, cut at whole lines."""
    opening, closing = "```diff\n", "\n```"
    kept: list[str] = []
    used = len(opening) + len(closing)
    for n, line in enumerate(lines):
        safe = _code_safe(line)
        more = f"… {len(lines) - n} more line(s)"
        reserve = len(more) + 1 if n < len(lines) - 1 else 0
        if used + len(safe) + 1 + reserve > limit:
            kept.append(more)
            break
        kept.append(safe)
        used += len(safe) + 1
    return opening + "\n".join(kept or ["(no change in content)"]) + closing


def render_change(fact: Fact, revision: Revision | None) -> Reply:
    """What an action did, for the moderator and the mod-log: a diff embed, or "no change"."""
    if revision is None:
        text = f"No change: `{fact.id}` already was like that (rev {fact.rev})."
        return Reply(content=text, fact_id=fact.id)
    title = plain(f"Fact {action_label(revision.action)}: {fact.title or fact.id}", TITLE_LIMIT)
    fields = [
        Field("Fact", f"`{fact.id}` · rev {revision.rev}", inline=True),
        Field("By", actor_label(revision.actor), inline=True),
    ]
    if revision.reason:
        fields.append(Field("Reason", shorten(curated(revision.reason), FIELD_VALUE_LIMIT)))
    embed = EmbedPart(
        title=title,
        description=diff_block(revision_diff(revision), 3000),
        fields=tuple(fields),
        footer=_undo_hint(fact.id, revision.rev),
        colour=COLOUR_WARN if revision.action in ("retire", "revert") else COLOUR_CHANGE,
    )
    return Reply(content=f"Done: `{fact.id}` is now at rev {revision.rev}.", embeds=(embed,))


def _undo_hint(fact_id: str, rev: int) -> str:
    undo = f"/fact revert {fact_id} {rev - 1}" if rev > 1 else f"/fact retire {fact_id}"
    return f"Undo: {undo} · all changes: /fact history {fact_id}"


def render_history(fact: Fact, revisions: Sequence[Revision]) -> list[EmbedPart]:
    """A fact's revisions, newest first, :data:`HISTORY_PER_PAGE` to a page (at least one)."""
    newest = list(reversed(revisions))
    title = plain(f"History — {fact.title or fact.id}", TITLE_LIMIT - 8)
    pages: list[EmbedPart] = []
    total = max(1, -(-len(newest) // HISTORY_PER_PAGE))
    for n in range(total):
        chunk = newest[n * HISTORY_PER_PAGE : (n + 1) * HISTORY_PER_PAGE]
        fields = tuple(_revision_field(rev) for rev in chunk)
        footer = f"fact {fact.id} · {len(newest)} revision(s) · page {n + 1}/{total}"
        description = "" if fields else "No revisions recorded."
        page_title = title if total == 1 else f"{title} ({n + 1}/{total})"
        pages.append(
            EmbedPart(page_title, description, fields=fields, footer=footer, colour=COLOUR_INFO)
        )
    return pages


def _revision_field(revision: Revision) -> Field:
    when = revision.at.strftime("%Y-%m-%d %H:%M UTC")
    name = plain(f"rev {revision.rev} · {action_label(revision.action)} · {when}", 256)
    head = f"by {actor_label(revision.actor)}"
    if revision.reason:
        head += " — " + shorten(curated(revision.reason).replace("\n", " "), 200)
    room = FIELD_VALUE_LIMIT - len(head) - 1
    return Field(name, head + "\n" + diff_block(revision_diff(revision), room))


def _id_list(ids: Sequence[str]) -> str:
    """Fact ids as `code`, shortened to fit one field with "…and N more"."""
    out = ""
    for n, fact_id in enumerate(ids):
        item = f"`{fact_id}`"
        more = f"…and {len(ids) - n} more"
        if len(out) + len(item) + 2 + len(more) > FIELD_VALUE_LIMIT:
            return out + more
        out += item + (", " if n < len(ids) - 1 else "")
    return out or "none"


def render_import(report: SyncReport, name: str, *, done: bool, by: str = "") -> EmbedPart:
    """An import's summary: what it would do (a dry run) or what it did, by fact id."""
    verbs = ("Added", "Changed", "Retired") if done else ("Will add", "Will change", "Will retire")
    fields = [
        Field(f"{verb} ({len(ids)})", _id_list(ids))
        for verb, ids in zip(verbs, (report.added, report.changed, report.retired), strict=True)
        if ids
    ]
    fields.append(Field("Unchanged", str(len(report.unchanged)), inline=True))
    if by:
        fields.append(Field("By", actor_label(by), inline=True))
    file = plain(name, 100)
    if done:
        title, footer = f"Imported {file}", "Each changed fact has a revision: /fact history <id>"
    else:
        title = f"Import {file}?"
        footer = "Nothing is written until you confirm; the file is checked again then."
    nothing = not (report.added or report.changed or report.retired)
    return EmbedPart(
        title=shorten(title, TITLE_LIMIT),
        description="The file matches the facts as they are: nothing to do." if nothing else "",
        fields=tuple(fields),
        footer=footer,
        colour=COLOUR_CHANGE if done else COLOUR_INFO,
    )


def render_problems(problems: Sequence[Problem], *, limit: int = MAX_PROBLEMS_SHOWN) -> str:
    """Validation problems as a short list a person can act on: where, which field, what."""
    lines = ["That isn't valid yet:"]
    for problem in problems[:limit]:
        where = [f"line {problem.line}"] if problem.line else []
        if problem.fact_id and problem.line:
            where.append(f"fact {problem.fact_id}")
        label = field_label(problem.field)
        if label:
            where.append(label)
        prefix = ", ".join(where)
        text = f"{prefix}: {problem.message}" if prefix else str(problem.message)
        lines.append("• " + echo(text, 300))
    if len(problems) > limit:
        lines.append(f"…and {len(problems) - limit} more.")
    return shorten("\n".join(lines), CONTENT_LIMIT)


def source_choices(fact: Fact) -> list[Choice]:
    """Autocomplete choices for a fact's sources: "2. Title — “quote…”", giving the number."""
    out: list[Choice] = []
    for n, source in enumerate(fact.sources[:CHOICES_PER_RESPONSE], start=1):
        label = f"{n}. {_source_label(source)} — “{source.quote}”"
        out.append(Choice(plain(label, CHOICE_LIMIT), str(n)))
    return out


def fact_choices(facts: Iterable[Fact], typed: str) -> list[Choice]:
    """Autocomplete for a fact id over every fact, retired ones marked, best matches first."""
    needle = " ".join(typed.casefold().split())
    scored: list[tuple[int, str, Fact]] = []
    for fact in facts:
        fid, title = fact.id.casefold(), fact.title.casefold()
        if needle and needle not in fid and needle not in title:
            continue
        rank = 0 if fid.startswith(needle) else 1 if needle in fid else 2
        scored.append((rank, fact.id, fact))
    out: list[Choice] = []
    for _, _, fact in sorted(scored)[:CHOICES_PER_RESPONSE]:
        mark = " [retired]" if fact.status == "retired" else ""
        room = CHOICE_LIMIT - len(fact.id) - len(mark) - 3
        out.append(Choice(f"{plain(fact.title, max(room, 1))} ({fact.id}){mark}", fact.id))
    return out
