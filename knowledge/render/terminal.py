"""Answers and facts as plain text (the terminal) and as JSON-ready data (the CLI contract)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from ..models import Answer, Fact, Source
from ..validation import url_problem

WIDTH = 88


def source_to_dict(source: Source) -> dict[str, Any]:
    """A source as the JSON contract gives it: title, publisher, published, url, quote."""
    return {
        "title": source.title,
        "publisher": source.publisher,
        "published": source.published.isoformat() if source.published else None,
        "url": source.url,
        "quote": source.quote,
    }


def fact_to_json(fact: Fact, today: date) -> dict[str, Any]:
    """A fact as the JSON contract gives it, with its staleness on ``today``."""
    return {
        "id": fact.id,
        "title": fact.title,
        "answer": fact.answer,
        "as_of": fact.as_of.isoformat(),
        "stale": fact.is_stale(today),
        "sources": [source_to_dict(s) for s in fact.sources],
    }


def answer_to_json(answer: Answer, today: date) -> dict[str, Any]:
    """One line of `sitrep ask --json`: the contract in DESIGN.md."""
    return {
        "query": answer.query,
        "status": answer.status,
        "score": answer.score,
        "fact": fact_to_json(answer.fact, today) if answer.fact else None,
        "alternatives": [
            {"id": a.id, "title": a.title, "score": a.score} for a in answer.alternatives
        ],
    }


def _wrap(text: str, indent: str = "", first: str | None = None) -> str:
    return textwrap.fill(
        text, WIDTH, initial_indent=indent if first is None else first, subsequent_indent=indent
    )


def source_line(source: Source) -> str:
    """``Title — Publisher, 2025-11-04 <url>``: a source on one line."""
    link = "" if url_problem(source.url) else source.url
    parts = [source.title or link or "(untitled source)"]
    meta = ", ".join(
        p for p in (source.publisher, source.published.isoformat() if source.published else "") if p
    )
    line = f"{parts[0]} — {meta}" if meta else parts[0]
    # A link with a hidden character is not printed: the terminal would show it as it is not.
    return f"{line} <{link}>" if link and link != parts[0] else line


def fact_to_text(fact: Fact, today: date) -> str:
    """A fact for the terminal: title, answer, as-of date, staleness, sources and quotes."""
    lines = [fact.title, "=" * min(len(fact.title), WIDTH), _wrap(fact.answer), ""]
    status = f"As of {fact.as_of.isoformat()}"
    if fact.is_stale(today) and fact.review_by:
        status += f" — possibly stale: review was due {fact.review_by.isoformat()}"
    if fact.status != "active":
        status += f" — {fact.status}"
    lines.append(status)
    lines.append("Sources:")
    for n, source in enumerate(fact.sources, 1):
        lines.append(_wrap(source_line(source), "     ", first=f"  {n}. "))
        lines.append(_wrap(f"“{source.quote}”", "     "))
    return "\n".join(lines)


def answer_to_text(answer: Answer, today: date) -> str:
    """What `sitrep ask` prints: the fact, or an honest "no fact" with close topics."""
    if answer.fact is not None and answer.answered:
        text = fact_to_text(answer.fact, today)
        if answer.alternatives:
            text += "\n\nSee also: " + "; ".join(a.title for a in answer.alternatives)
        return text
    lines = [f"I have no fact on that: {answer.query.strip()[:200]!r}."]
    if answer.alternatives:
        lines.append("Did you mean:")
        lines += [f"  - {a.title}  (sitrep show {a.id})" for a in answer.alternatives]
    else:
        lines.append("Try `sitrep topics` to see what I know.")
    return "\n".join(lines)


def topics_to_text(topics: Mapping[str, Sequence[Fact]]) -> str:
    """Facts grouped by tag, for `sitrep topics`."""
    lines: list[str] = []
    for tag, facts in topics.items():
        lines.append(f"{tag} ({len(facts)})")
        lines += [f"  {f.id:<32} {f.title}" for f in facts]
    return "\n".join(lines) if lines else "No facts yet: run `sitrep load`."


def suggested_keys_to_text(keys: Sequence[str], *, comment: bool = False) -> str:
    """The "Suggested question keys" list as the terminal shows it (as TOML comments under
    a proposed fact, with ``comment``)."""
    mark = "# " if comment else ""
    lines = [f"{mark}Suggested question keys (derived from the fact's words, not yet keys):"]
    lines += [f"{mark}  {key}" for key in keys]
    return "\n".join(lines)
