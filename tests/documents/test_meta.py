"""Document metadata: defaults from the file, explicit values first, every field checked."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge.documents.errors import BadMetadata
from knowledge.documents.meta import check_url, document_meta, slugify
from knowledge.documents.models import DocumentMeta, ReadText

BAD_URLS = [
    ("ftp", "ftp://example.org/report.txt", "http:// or https://"),
    ("javascript", "javascript:alert(1)", "http:// or https://"),
    ("data", "data:text/html,<b>x</b>", "http:// or https://"),
    ("no host", "https:///path", "host"),
    ("no scheme", "example.org/report", "http:// or https://"),
    ("NUL", "https://example.org/\x00x", "control"),
    ("RLO", "https://example.org/\u202etxt.exe", "control"),
    ("trailing newline", "https://example.org/report\n", "spaces"),
    ("space", "https://example.org/a report", "spaces"),
    ("bad ipv6", "http://[::1/", "not a valid address"),
    ("too long", "https://example.org/" + "a" * 600, "over 500"),
    ("quote", 'https://example.org/"onmouseover', "host"),
]


@pytest.mark.parametrize(("url", "words"), [c[1:] for c in BAD_URLS], ids=[c[0] for c in BAD_URLS])
def test_bad_urls_are_refused(url: str, words: str) -> None:
    """Only an http(s) address with a host and no hidden characters passes."""
    with pytest.raises(BadMetadata, match="url") as caught:
        check_url(url, name="r.md")
    assert words in str(caught.value)


@pytest.mark.parametrize(
    "url", ["https://example.org/report", "http://sahel.example/a?b=1#c", "https://x.y:8080/"]
)
def test_good_urls_pass(url: str) -> None:
    """Ordinary addresses pass unchanged."""
    assert check_url(url, name="r.md") == url


BAD_FIELDS = [
    ("unknown field", {"author": "x"}, "author: unknown field"),
    ("twice via alias", {"date": "2026-11-20", "published": "2026-11-20"}, "given twice"),
    ("bad date", {"date": "20/11/2026"}, "YYYY-MM-DD"),
    ("impossible date", {"date": "2026-02-30"}, "not a real date"),
    ("bad id", {"id": "Sahel Wire!"}, "lowercase slug"),
    ("bidi title", {"title": "Floods \u202e"}, "control or bidi"),
    ("long publisher", {"publisher": "p" * 201}, "limit is 200"),
    ("ftp url", {"url": "ftp://x.org/a"}, "http:// or https://"),
]


@pytest.mark.parametrize(
    ("fields", "words"), [c[1:] for c in BAD_FIELDS], ids=[c[0] for c in BAD_FIELDS]
)
def test_bad_fields_are_refused_naming_file_and_field(fields: dict[str, str], words: str) -> None:
    """Each bad field raises BadMetadata naming the file and the field."""
    with pytest.raises(BadMetadata) as caught:
        document_meta("reports/r.md", fields)
    assert str(caught.value).startswith("reports/r.md: ")
    assert words in str(caught.value)


def test_defaults_come_from_the_file() -> None:
    """Without fields: id from the file name, title from the file's own title."""
    read = ReadText("Body.", title="Floods in Dosso")
    assert document_meta("in/Sahel Wire 2026-11-20.md", {}, read) == DocumentMeta(
        id="sahel-wire-2026-11-20", title="Floods in Dosso"
    )
    assert document_meta("notes.txt", {}).title == "notes"


def test_explicit_fields_win_over_front_matter() -> None:
    """Front matter fills in what the caller did not give; empty values do not override."""
    read = ReadText("Body.", fields=(("title", "Own"), ("published", "2026-11-20")))
    meta = document_meta(
        "a.md", {"title": "Given", "publisher": "Sahel Wire", "url": "", "date": None}, read
    )
    assert meta == DocumentMeta(
        id="a", title="Given", publisher="Sahel Wire", published=date(2026, 11, 20)
    )


def test_unknown_front_matter_field_is_refused() -> None:
    """A file's own unknown field is refused like a caller's."""
    with pytest.raises(BadMetadata, match="colour: unknown field"):
        document_meta("a.md", {}, ReadText("Body.", fields=(("colour", "red"),)))


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Sahel Wire", "sahel-wire"),
        ("Yélou  report!", "yelou-report"),
        ("***", ""),
        ("a" * 80, "a" * 64),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    """Slugs are lowercase ASCII words joined by '-', at most 64 long."""
    assert slugify(text) == slug
