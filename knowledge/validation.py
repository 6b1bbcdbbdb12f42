"""Rules every fact obeys, whoever writes it: a fact file, an import or a moderator's edit.

``fact_problems`` returns every problem at once (never only the first), so a person fixing a
file or a form sees the whole list in one go.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from urllib.parse import urlsplit

from .errors import Problem
from .models import Document, Fact, Source

MAX_ID = 64
MAX_TITLE = 200
MAX_ANSWER = 1500
MAX_KEY = 120
MAX_KEYS = 40
MAX_TAG = 40
MAX_TAGS = 12
MAX_QUOTE = 1000
MAX_SOURCES = 10
MAX_URL = 500

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TAG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Characters a link never needs and that could break out of "<url>" or "[text](url)".
_URL_PUNCTUATION = frozenset(' <>"`')
# Discord pings "@everyone1" as @everyone: no word boundary after the name, unlike "\\b".
MENTION_RE = re.compile(r"@(?:everyone|here)|<@[!&]?\d+>", re.IGNORECASE)
# A masked link shows one text and leads elsewhere ("[the brief](https://evil.example)"):
# facts show addresses as they are, so readers see where a link goes (RELIABILITY A5).
MASKED_LINK_RE = re.compile(r"\[[^\]]*\]\(\s*<?\s*[a-z][a-z0-9+.-]*:", re.IGNORECASE)
# Bidi overrides/isolates and other invisible format characters can disguise text.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_QUOTE_MARKS = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2010": "-",
        "\u2011": "-",
    }
)
_WS_RE = re.compile(r"\s+")


def bad_characters(text: str, *, allow_newlines: bool = False) -> list[str]:
    """Names of the control, format (bidi) or unassigned characters in ``text``."""
    found: list[str] = []
    for ch in text:
        if allow_newlines and ch in "\n\t":
            continue
        if unicodedata.category(ch) in _FORBIDDEN_CATEGORIES and ch not in found:
            found.append(ch)
    return [f"U+{ord(ch):04X}" for ch in found]


def url_problem(url: str) -> str | None:
    """Why ``url`` is not a plain web address, or ``None`` if it is one.

    Parsed, not pattern-matched: the scheme must be http or https, a host must be present,
    and no whitespace, control, format (bidi, zero-width) or unassigned character may hide in
    it, anywhere — a trailing newline included.

    >>> url_problem("https://example.org/brief") is None
    True
    >>> url_problem("javascript:alert(1)")
    'url must be an http(s) address: http:// or https://'
    """
    if len(url) > MAX_URL:
        return f"url is {len(url)} characters long; the limit is {MAX_URL}"
    hidden = bad_characters(url)
    if hidden:
        return f"url contains control or invisible formatting characters ({', '.join(hidden)})"
    if any(ch.isspace() or ch in _URL_PUNCTUATION for ch in url):
        return "url must be an http(s) address without spaces, quotes or angle brackets"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - a malformed port raises here, and such a link is broken
    except ValueError:
        return "url is not a valid address"
    if parts.scheme not in {"http", "https"} or not url.lower().startswith(parts.scheme + "://"):
        return "url must be an http(s) address: http:// or https://"
    if not host:
        return "url needs a host name after http(s)://"
    return None


def quote_form(text: str) -> str:
    """Text as compared for quote checks: NFKC, one kind of quote mark and dash, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTE_MARKS)
    return _WS_RE.sub(" ", text).strip()


@lru_cache(maxsize=32)
def _document_form(document_text: str) -> str:
    # A load checks every quote against the same few documents: normalise each document once.
    return quote_form(document_text)


def quote_in(quote: str, document_text: str) -> bool:
    """True if ``quote`` occurs verbatim in the document, whatever its spacing and quote marks."""
    needle = quote_form(quote)
    return bool(needle) and needle in _document_form(document_text)


def _text_problems(
    value: object,
    name: str,
    *,
    max_len: int,
    required: bool = True,
    allow_newlines: bool = False,
    mentions: bool = True,
) -> list[str]:
    if not isinstance(value, str):
        return [f"must be text, not {type(value).__name__}"]
    problems: list[str] = []
    if required and not value.strip():
        problems.append("is required and may not be empty")
    if len(value) > max_len:
        problems.append(f"is {len(value)} characters long; the limit is {max_len}")
    bad = bad_characters(value, allow_newlines=allow_newlines)
    if bad:
        problems.append(f"contains control or invisible formatting characters ({', '.join(bad)})")
    if mentions and MENTION_RE.search(value):
        problems.append("contains a mass or role/user mention (@everyone, @here, <@...>)")
    if mentions and MASKED_LINK_RE.search(value):
        problems.append("contains a masked link [text](url); write the address itself")
    return problems


def source_problems(
    source: Source, documents: Mapping[str, Document], *, index: int
) -> list[tuple[str, str]]:
    """(field, message) pairs for one source; ``index`` is its 0-based position on the fact."""
    field = f"sources[{index}]"
    out: list[tuple[str, str]] = []
    for msg in _text_problems(source.quote, "quote", max_len=MAX_QUOTE, allow_newlines=True):
        out.append((f"{field}.quote", f"quote {msg}"))
    if source.document is not None:
        doc = documents.get(source.document)
        if doc is None:
            out.append((f"{field}.source", f"unknown source document {source.document!r}"))
        elif source.quote.strip() and not quote_in(source.quote, doc.text):
            out.append(
                (f"{field}.quote", f"quote not found verbatim in document {source.document!r}")
            )
    else:
        if not source.url:
            out.append((f"{field}.url", "a source needs a document id or a url"))
        if not source.title.strip():
            out.append((f"{field}.title", "a url source needs a title"))
    problem = url_problem(source.url) if source.url else None
    if problem:
        out.append((f"{field}.url", problem))
    for name in ("title", "publisher"):
        for msg in _text_problems(getattr(source, name), name, max_len=MAX_TITLE, required=False):
            out.append((f"{field}.{name}", f"{name} {msg}"))
    return out


def fact_problems(
    fact: Fact, documents: Mapping[str, Document], *, today: date | None = None
) -> list[tuple[str, str]]:
    """Every (field, message) problem of one fact, checked against the known documents."""
    out: list[tuple[str, str]] = []
    if not isinstance(fact.id, str) or not ID_RE.match(fact.id) or len(fact.id) > MAX_ID:
        out.append(("id", f"id must be a lowercase slug (a-z, 0-9, '-'), at most {MAX_ID} long"))
    for name, limit in (("title", MAX_TITLE), ("answer", MAX_ANSWER)):
        out += [
            (name, f"{name} {m}") for m in _text_problems(getattr(fact, name), name, max_len=limit)
        ]
    if len(fact.keys) > MAX_KEYS:
        out.append(("keys", f"at most {MAX_KEYS} keys"))
    seen: set[str] = set()
    for i, key in enumerate(fact.keys):
        out += [(f"keys[{i}]", f"key {m}") for m in _text_problems(key, "key", max_len=MAX_KEY)]
        folded = key.casefold().strip() if isinstance(key, str) else ""
        if folded in seen:
            out.append((f"keys[{i}]", f"duplicate key {key!r}"))
        seen.add(folded)
    if len(fact.tags) > MAX_TAGS:
        out.append(("tags", f"at most {MAX_TAGS} tags"))
    for i, tag in enumerate(fact.tags):
        if not isinstance(tag, str) or not TAG_RE.match(tag) or len(tag) > MAX_TAG:
            out.append((f"tags[{i}]", "a tag is a lowercase slug (a-z, 0-9, '-')"))
    if not isinstance(fact.as_of, date):
        out.append(("as_of", "as_of must be a date (YYYY-MM-DD)"))
    if fact.review_by is not None:
        if not isinstance(fact.review_by, date):
            out.append(("review_by", "review_by must be a date (YYYY-MM-DD)"))
        elif isinstance(fact.as_of, date) and fact.review_by < fact.as_of:
            out.append(("review_by", "review_by is before as_of"))
    if today is not None and isinstance(fact.as_of, date) and fact.as_of > today:
        out.append(("as_of", "as_of is in the future"))
    if not fact.sources:
        out.append(("sources", "every fact needs at least one source with a quote"))
    if len(fact.sources) > MAX_SOURCES:
        out.append(("sources", f"at most {MAX_SOURCES} sources"))
    for i, source in enumerate(fact.sources):
        out += source_problems(source, documents, index=i)
    return out


def fact_problem_list(
    fact: Fact,
    documents: Mapping[str, Document],
    *,
    file: str | None = None,
    today: date | None = None,
) -> list[Problem]:
    """``fact_problems`` as :class:`Problem` values naming the fact (and file, if given)."""
    return [
        Problem(message, file=file, fact_id=fact.id or None, field=field)
        for field, message in fact_problems(fact, documents, today=today)
    ]
