"""What members see, as plain data: answers, misses, sources, topic pages, autocomplete choices."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from ..models import Alternative, Answer, Fact, Source
from ..validation import ID_RE
from .parts import (
    BUTTON_LABEL_LIMIT,
    CHOICE_LIMIT,
    CHOICES_PER_RESPONSE,
    COLOUR_ANSWER,
    COLOUR_INFO,
    COLOUR_STALE,
    DESCRIPTION_LIMIT,
    ECHO_LIMIT,
    ELLIPSIS,
    EMBED_TOTAL_LIMIT,
    FIELD_COUNT_LIMIT,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    MAX_SUGGESTIONS,
    TITLE_LIMIT,
    TOPICS_PER_PAGE,
    Choice,
    EmbedPart,
    Field,
    Reply,
    Suggestion,
    TopicPages,
    clean,
    curated,
    echo,
    escape_markdown,
    plain,
    safe_url,
    shorten,
    split_text,
)

# --------------------------------------------------------------------------- facts


def source_label(source: Source) -> str:
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
        line = "• " + _masked_link(source_label(source), source.url)
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
        name = plain(f"{i}. {source_label(source)}", FIELD_NAME_LIMIT)
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
