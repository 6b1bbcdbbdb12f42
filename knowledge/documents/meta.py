"""A document's metadata (id, title, publisher, date, url), checked field by field.

Metadata comes from the command line or a form, and from a Markdown file's own front
matter; explicit values win. Every field is checked the way fact fields are: no control or
bidi characters, sane lengths, a real date, an http(s) address.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Final
from urllib.parse import urlsplit

from ..validation import ID_RE, MAX_ID, MAX_TITLE, MAX_URL, bad_characters
from .errors import BadMetadata
from .models import DocumentMeta, ReadText

FIELDS: Final = ("id", "title", "publisher", "date", "url")
# The seeds' document index calls the date "published"; accept that spelling too.
_ALIASES: Final = {"published": "date"}
_DATE_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_URL_RE: Final = re.compile(r"https?://[^\s<>\"'`{}|\\^]+\Z")
_SLUG_DROP: Final = re.compile(r"[^a-z0-9]+")


def slugify(text: str, *, limit: int = MAX_ID) -> str:
    """A lowercase ASCII slug of ``text`` ("Sahel Wire 2026" → "sahel-wire-2026")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _SLUG_DROP.sub("-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-")


def check_url(url: str, *, name: str, field: str = "url") -> str:
    """``url`` if it is an http(s) address with a host and no hidden characters; else raise."""
    if len(url) > MAX_URL:
        raise BadMetadata(name, field, f"is over {MAX_URL} characters")
    bad = bad_characters(url)
    if bad or any(ch.isspace() for ch in url):
        raise BadMetadata(name, field, "contains spaces or control characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        raise BadMetadata(name, field, f"is not a valid address ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise BadMetadata(name, field, "must be an http:// or https:// address")
    if not host or not _URL_RE.match(url):
        raise BadMetadata(name, field, "must be an http(s) address with a host name")
    return url


def check_date(value: object, *, name: str, field: str = "date") -> date | None:
    """A ``YYYY-MM-DD`` string (or a date) as a date; "" or ``None`` as no date."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE_RE.match(value.strip()):
        raise BadMetadata(name, field, "must be a date written YYYY-MM-DD, e.g. 2026-11-20")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadMetadata(name, field, f"{value.strip()!r} is not a real date") from None


def check_text(value: object, *, name: str, field: str, required: bool = False) -> str:
    """A one-line text field: no control or bidi characters, at most MAX_TITLE long."""
    if not isinstance(value, str):
        raise BadMetadata(name, field, "must be text")
    value = unicodedata.normalize("NFC", value.strip())
    if required and not value:
        raise BadMetadata(name, field, "may not be empty")
    bad = bad_characters(value)
    if bad:
        raise BadMetadata(name, field, f"contains control or bidi characters ({', '.join(bad)})")
    if len(value) > MAX_TITLE:
        raise BadMetadata(name, field, f"is {len(value)} characters long; the limit is {MAX_TITLE}")
    return value


def check_id(value: object, *, name: str) -> str:
    """A document id: a lowercase slug like a fact id."""
    if not isinstance(value, str) or not ID_RE.match(value) or len(value) > MAX_ID:
        raise BadMetadata(
            name, "id", f"must be a lowercase slug (a-z, 0-9, '-'), at most {MAX_ID} long"
        )
    return value


def known_fields(fields: Mapping[str, object], *, name: str) -> dict[str, object]:
    """``fields`` with aliases resolved; an unknown field raises, naming the known ones."""
    out: dict[str, object] = {}
    for key, value in fields.items():
        field = _ALIASES.get(key, key)
        if field not in FIELDS:
            raise BadMetadata(name, key, f"unknown field; known fields: {', '.join(FIELDS)}")
        if field in out:
            raise BadMetadata(name, key, "given twice")
        out[field] = value
    return out


def document_meta(
    name: str, fields: Mapping[str, object], read: ReadText | None = None
) -> DocumentMeta:
    """The checked metadata of file ``name``: ``fields`` first, then the file's own, then defaults.

    The id defaults to a slug of the file name, the title to the file's own title (or its
    name).
    """
    own = known_fields(dict(read.fields), name=name) if read is not None else {}
    given = own | {k: v for k, v in known_fields(fields, name=name).items() if v not in (None, "")}
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    doc_id = given.get("id") or slugify(stem) or "document"
    title = given.get("title") or (read.title if read is not None else "") or stem
    return DocumentMeta(
        id=check_id(doc_id, name=name),
        title=check_text(title, name=name, field="title", required=True),
        publisher=check_text(given.get("publisher", ""), name=name, field="publisher"),
        published=check_date(given.get("date"), name=name),
        url=check_url(str(given["url"]), name=name) if given.get("url") else "",
    )
