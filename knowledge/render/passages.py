"""Answers from unreviewed passages, as JSON-ready data and as terminal text."""

from __future__ import annotations

import textwrap
from typing import Any

from ..documents.answers import PassageHit
from ..documents.models import DocumentMeta
from ..models import Answer

WIDTH = 88
UNREVIEWED = "not yet reviewed by a moderator"


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


def attribution(meta: DocumentMeta) -> str:
    """``From *title* (publisher, date), not yet reviewed by a moderator:``."""
    details = ", ".join(
        part
        for part in (meta.publisher, meta.published.isoformat() if meta.published else "")
        if part
    )
    return f"From *{meta.title}*{f' ({details})' if details else ''}, {UNREVIEWED}:"


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
