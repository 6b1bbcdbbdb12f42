"""Answers from unreviewed passages, as JSON-ready data and as terminal text."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

from ..documents.answers import PassageHit
from ..documents.models import DocumentMeta
from ..models import Answer
from .parts import (
    COLOUR_INFO,
    DESCRIPTION_LIMIT,
    ECHO_LIMIT,
    TITLE_LIMIT,
    EmbedPart,
    PassageRef,
    Reply,
    escape_markdown,
    neutralize_mentions,
    plain,
    safe_url,
    shorten,
)

WIDTH = 88
UNREVIEWED = "not yet reviewed by a moderator"
LABEL = "Unreviewed source"


def document_to_json(meta: DocumentMeta) -> dict[str, Any]:
    """A document as the passage contract gives it: id, title, publisher, date, url."""
    return {
        "id": meta.id,
        "title": meta.title,
        "publisher": meta.publisher,
        "date": meta.published.isoformat() if meta.published else None,
        "url": meta.url,
    }


def passage_answer_to_json(answer: Answer, hit: PassageHit) -> dict[str, Any]:
    """One line of `sitrep ask --json` answered from a passage (status "passage")."""
    return {
        "query": answer.query,
        "status": "passage",
        "score": hit.score,
        "fact": None,
        "passage": {
            "text": hit.passage.text,
            "document": document_to_json(hit.document),
            "start": hit.passage.start,
            "end": hit.passage.end,
        },
        "alternatives": [
            {"id": a.id, "title": a.title, "score": a.score} for a in answer.alternatives
        ],
    }


def attribution(meta: DocumentMeta, escape: Callable[[str], str] = str) -> str:
    """``From *title* (publisher, date), not yet reviewed by a moderator:``.

    ``escape`` is applied to the document's own words (title, publisher) only.
    """
    details = ", ".join(
        part
        for part in (escape(meta.publisher), meta.published.isoformat() if meta.published else "")
        if part
    )
    return f"From *{escape(meta.title)}*{f' ({details})' if details else ''}, {UNREVIEWED}:"


def passage_answer_to_text(hit: PassageHit) -> str:
    """A passage answer for the terminal: attribution, the verbatim passage, where it is."""
    lines = [
        textwrap.fill(attribution(hit.document), WIDTH),
        textwrap.fill(hit.passage.text, WIDTH, initial_indent="  ", subsequent_indent="  "),
        f"  [{hit.document.id} {hit.passage.start}-{hit.passage.end}]"
        + (f" {hit.document.url}" if hit.document.url else ""),
        f"  To make it a fact: sitrep promote {hit.document.id} "
        f"{hit.passage.start} {hit.passage.end}",
    ]
    return "\n".join(lines)


def render_passage(hit: PassageHit, *, asked: str | None = None) -> Reply:
    """A passage answer for Discord: labelled unreviewed, attributed, verbatim, linked.

    The passage is a document's text, which no moderator has read: it is shown literally
    (markdown escaped, mentions neutralised), never as markdown the document could shape.
    """
    meta, passage = hit.document, hit.passage
    attributed = attribution(meta, _literal)
    quoted = "\n".join("> " + line for line in _literal(passage.text).splitlines())
    room = DESCRIPTION_LIMIT - len(attributed) - 2
    description = f"{attributed}\n{shorten(quoted, room)}"
    footer = f"{meta.id} {passage.start}-{passage.end} · not a reviewed fact"
    if asked:
        footer += " · asked: " + plain(asked, ECHO_LIMIT)
    embed = EmbedPart(
        title=plain(f"{LABEL}: {meta.title}", TITLE_LIMIT),
        description=description,
        url=safe_url(meta.url),
        footer=footer,
        colour=COLOUR_INFO,
    )
    return Reply(embeds=(embed,), passage=PassageRef(meta.id, passage.start, passage.end))


def _literal(text: str) -> str:
    return neutralize_mentions(escape_markdown(text))
