"""What moderators type, parsed: fact forms, key and tag lists, dates and sources.

Discord forms (modals) and slash options hand over plain strings. This module turns them
into the core's values and reports every problem at once, each naming the form field the
moderator sees ("Keys", "Dates"), so a person fixes everything in one go. The content
rules themselves (lengths, mentions, quotes found in their documents, keys free) stay in
:mod:`knowledge.validation` and the store; this module only reads.

Lists: one item per line, or, on a single line, separated by commas (so a key may contain a
comma when the list is written one per line). Dates: ``YYYY-MM-DD``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from ..errors import Problem, ValidationError
from ..models import Fact, Source
from ..validation import ID_RE, MAX_ID, url_problem

# The form's fields, as custom ids (what a modal returns) and as the labels people see.
TITLE: Final = "title"
ANSWER: Final = "answer"
KEYS: Final = "keys"
TAGS: Final = "tags"
DATES: Final = "dates"
FORM_FIELDS: Final = (TITLE, ANSWER, KEYS, TAGS, DATES)
LABELS: Final[Mapping[str, str]] = {
    TITLE: "Title",
    ANSWER: "Answer",
    KEYS: "Keys",
    TAGS: "Tags",
    DATES: "Dates",
    "id": "Id",
    "source": "Source",
    "quote": "Quote",
    "url": "Source",
    "published": "Published",
    "publisher": "Publisher",
    "reason": "Reason",
}

_DATE_RE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Between the two dates of the Dates field: commas, semicolons, spaces or an arrow.
_DATE_SEPARATORS: Final = re.compile(r"[\s,;]+|->|→")
_FIELD_HEAD: Final = re.compile(r"^[a-z_]+")
_DATE_HINT: Final = "write YYYY-MM-DD, e.g. 2025-11-04"
_LINE_BREAKS: Final = re.compile(r"[ \t]*(?:\r\n|\r|\n)\s*")


@dataclass(frozen=True, slots=True)
class FactDraft:
    """A fact's curated content as a moderator typed it, parsed but not yet validated."""

    title: str
    answer: str
    keys: tuple[str, ...]
    tags: tuple[str, ...]
    as_of: date
    review_by: date | None

    def changes(self) -> dict[str, Any]:
        """The draft as keyword arguments of ``FactStore.edit``."""
        return {
            "title": self.title,
            "answer": self.answer,
            "keys": self.keys,
            "tags": self.tags,
            "as_of": self.as_of,
            "review_by": self.review_by,
        }

    def to_fact(self, fact_id: str, sources: tuple[Source, ...]) -> Fact:
        """The new fact this draft describes, citing ``sources``."""
        return Fact(id=fact_id, sources=sources, **self.changes())


def split_list(text: str) -> tuple[str, ...]:
    """Items of a typed list: one per line, or comma-separated on a single line.

    Items are stripped and inner whitespace collapsed; empty items and repeats (ignoring
    case and spacing) are dropped, keeping the first spelling.
    """
    lines = text.strip().splitlines()
    parts = lines if len(lines) > 1 else text.split(",")
    out: list[str] = []
    seen: set[str] = set()
    for part in parts:
        item = " ".join(part.split())
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            out.append(item)
    return tuple(out)


def split_tags(text: str) -> tuple[str, ...]:
    """Tags from a typed list, as slugs: lowercase, inner spaces become '-'."""
    return tuple(dict.fromkeys("-".join(tag.casefold().split()) for tag in split_list(text)))


def parse_date(text: str, what: str) -> date:
    """A ``YYYY-MM-DD`` date; ``ValueError`` with a short message naming ``what`` otherwise."""
    value = text.strip()
    if _DATE_RE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{what} {_shown(value)!r} is not a date; {_DATE_HINT}")


def _shown(value: str) -> str:
    """Typed text short enough to quote back in an error message."""
    return value if len(value) <= 30 else value[:29] + "…"


def parse_dates(text: str) -> tuple[date, date | None]:
    """The Dates field: "as of" and an optional "review by", e.g. ``2025-11-04, 2026-02-01``."""
    parts = [p for p in _DATE_SEPARATORS.split(text.strip()) if p]
    if not parts:
        raise ValueError("give the date the fact was true (as of), e.g. 2025-11-04")
    if not all(_DATE_RE.match(part) for part in parts[:1]) or (
        len(parts) > 2 and not all(_DATE_RE.match(part) for part in parts)
    ):
        # "4 Nov 2025" is one date written another way, not three: quote it whole.
        raise ValueError(f"{_shown(text.strip())!r} is not a date; {_DATE_HINT}")
    if len(parts) > 2:
        raise ValueError("give at most two dates: as of, then review by")
    as_of = parse_date(parts[0], "as of")
    review_by = parse_date(parts[1], "review by") if len(parts) == 2 else None
    return as_of, review_by


def format_dates(as_of: date, review_by: date | None) -> str:
    """The Dates field's text for a fact (what :func:`parse_dates` reads back)."""
    return as_of.isoformat() + (f", {review_by.isoformat()}" if review_by else "")


def parse_form(values: Mapping[str, str]) -> FactDraft:
    """Read a fact form (title, answer, keys, tags, dates); one ValidationError lists all problems.

    Missing fields count as empty. Text is kept as typed, trimmed, except that line breaks
    in the answer become spaces: an answer is one paragraph, and the form's answer box
    invites pressing Enter. Whether the text is acceptable is the content rules' business,
    which the store applies on every write.
    """
    problems: list[Problem] = []
    title = values.get(TITLE, "").strip()
    answer = _LINE_BREAKS.sub(" ", values.get(ANSWER, "").strip())
    for name, value in ((TITLE, title), (ANSWER, answer)):
        if not value:
            problems.append(Problem("is required", field=name))
    as_of, review_by = date.min, None
    try:
        as_of, review_by = parse_dates(values.get(DATES, ""))
    except ValueError as error:
        problems.append(Problem(str(error), field=DATES))
    if problems:
        raise ValidationError(problems)
    return FactDraft(
        title=title,
        answer=answer,
        keys=split_list(values.get(KEYS, "")),
        tags=split_tags(values.get(TAGS, "")),
        as_of=as_of,
        review_by=review_by,
    )


def form_values(fact: Fact) -> dict[str, str]:
    """A fact as the text of the form's fields (keys one per line), for a prefilled edit."""
    return {
        TITLE: fact.title,
        ANSWER: fact.answer,
        KEYS: "\n".join(fact.keys),
        TAGS: ", ".join(fact.tags),
        DATES: format_dates(fact.as_of, fact.review_by),
    }


def parse_fact_id(text: str) -> str:
    """A new fact's id: a lowercase slug; ValidationError with an example otherwise."""
    value = text.strip()
    if not ID_RE.match(value) or len(value) > MAX_ID:
        message = f"use a lowercase slug of a-z, 0-9 and '-', e.g. jnim-leadership (max {MAX_ID})"
        raise ValidationError([Problem(message, field="id")])
    return value


def parse_source(
    source: str,
    quote: str,
    *,
    title: str = "",
    publisher: str = "",
    published: str = "",
) -> Source:
    """A citation from slash options: a document id, or a URL with its title (and more).

    A document source takes its title, publisher and date from the document; giving them
    is a problem, since they would be silently ignored. Whether the document exists and
    the quote occurs in it is checked by the store.
    """
    where, quote = source.strip(), quote.strip()
    problems: list[Problem] = []
    if not quote:
        problems.append(Problem("is required: the exact words the fact rests on", field="quote"))
    published_on: date | None = None
    if published.strip():
        try:
            published_on = parse_date(published, "published")
        except ValueError as error:
            problems.append(Problem(str(error), field="published"))
    is_url = where.lower().startswith(("http://", "https://"))
    if is_url:
        problem = url_problem(where)
        if problem:
            problems.append(Problem(problem, field="url"))
        if not title.strip():
            problems.append(Problem("a URL source needs a title", field="source_title"))
    elif not ID_RE.match(where):
        message = "give a source document id (see the suggestions) or an http(s) URL"
        problems.append(Problem(message, field="source"))
    elif title.strip() or publisher.strip() or published.strip():
        message = "title, publisher and date come from the document; give them for URLs only"
        problems.append(Problem(message, field="source"))
    if problems:
        raise ValidationError(problems)
    if is_url:
        return Source(
            quote=quote,
            url=where,
            title=title.strip(),
            publisher=publisher.strip(),
            published=published_on,
        )
    return Source(quote=quote, document=where)


def field_label(field: str | None) -> str:
    """The form label a problem's field belongs to: ``keys[3]`` → "Keys", ``as_of`` → "Dates"."""
    if not field:
        return ""
    if field in ("as_of", "review_by"):
        return LABELS[DATES]
    if field.startswith("sources"):
        leaf = field.rsplit(".", 1)[-1] if "." in field else "source"
        return LABELS.get(leaf, "Source")
    head = _FIELD_HEAD.match(field)
    name = head.group(0) if head else field
    return LABELS.get(name, name.replace("_", " ").capitalize())
