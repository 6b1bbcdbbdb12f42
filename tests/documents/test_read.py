"""Reading files: the readable text of each format, and a named error for every bad input."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from knowledge.documents.errors import (
    BadMetadata,
    BinaryDocument,
    DocumentError,
    DocumentTooLarge,
    EmptyDocument,
    InvisibleCharacters,
    NotUtf8,
    UnsupportedFormat,
)
from knowledge.documents.read import MAX_BYTES, decode, file_format, read_capped, read_text
from knowledge.errors import KnowledgeError

SAHEL = Path(__file__).resolve().parents[2] / "eval" / "docs" / "sahel-wire-2026-11-20.md"

BAD_INPUTS = [
    ("empty", b"", EmptyDocument, "empty"),
    ("blank", b"  \n\n\t \n", EmptyDocument, "empty"),
    ("nul", b"Text\x00with a NUL", BinaryDocument, "NUL byte at offset 4"),
    ("controls", bytes(range(1, 9)) * 40, BinaryDocument, "control bytes"),
    ("latin-1", "Café in Niamey".encode("latin-1"), NotUtf8, "offset 3"),
    ("cp1252 quotes", b"\x93quoted\x94", NotUtf8, "not UTF-8"),
    ("zero-width", "Gaya\u200b floods".encode(), InvisibleCharacters, "U+200B"),
    ("bidi override", "ok\nRLO \u202e here".encode(), InvisibleCharacters, "line 2"),
    ("bidi isolate", "a \u2066b\u2069".encode(), InvisibleCharacters, "U+2066"),
    (
        "escape byte",
        b"one stray \x1b[31m escape in a long enough text " * 3,
        InvisibleCharacters,
        "U+001B",
    ),
    ("only markup", b"---\n\n***\n", EmptyDocument, "empty"),
]


@pytest.mark.parametrize(
    ("data", "error", "words"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input_gets_a_named_error_naming_the_file(
    data: bytes, error: type[DocumentError], words: str
) -> None:
    """Each bad file raises its own KnowledgeError, naming the file and the problem."""
    with pytest.raises(error) as caught:
        read_text(data, "report.md")
    assert isinstance(caught.value, KnowledgeError)
    assert str(caught.value).startswith("report.md: ")
    assert words in str(caught.value)


def test_a_100_mb_file_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    """A sparse 100 MB file stops at the cap: at most limit + 1 bytes are read."""
    big = tmp_path / "big.txt"
    with big.open("wb") as f:
        f.truncate(100 * 1024 * 1024)

    class Counting(io.FileIO):
        read_total = 0

        def read(self, size: int | None = -1) -> bytes:
            data = super().read(size)
            Counting.read_total += len(data)
            return data

    with Counting(big, "rb") as stream, pytest.raises(DocumentTooLarge, match="20 MB"):
        read_capped(stream, "big.txt")
    assert Counting.read_total == MAX_BYTES + 1


def test_decode_refuses_oversized_bytes_too() -> None:
    """Bytes already in memory are checked against the cap before anything else."""
    with pytest.raises(DocumentTooLarge):
        decode(b"x" * 11, "f.txt", limit=10)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.txt", "text"),
        ("a.TXT", "text"),
        ("dir.v2/a.md", "markdown"),
        ("a.markdown", "markdown"),
        ("a.html", "html"),
        ("a.htm", "html"),
    ],
)
def test_format_follows_the_file_name(name: str, fmt: str) -> None:
    """The suffix picks the reader, case-insensitively."""
    assert file_format(name) == fmt


@pytest.mark.parametrize("name", ["a.pdf", "a.docx", "README", "dir.v2/noext"])
def test_unknown_formats_are_refused(name: str) -> None:
    """A file type Sitrep does not read says which ones it does."""
    with pytest.raises(UnsupportedFormat, match=r"\.txt, \.md or \.html"):
        read_text(b"text", name)


def test_newlines_bom_and_unicode_forms_are_unified() -> None:
    """CRLF and CR become LF, a BOM is dropped, text is NFC."""
    got = read_text("\ufeffCafe\u0301 one.\r\nTwo.\rThree.\r\n\r\nFour.".encode(), "a.txt")
    assert got.text == "Café one.\nTwo.\nThree.\n\nFour."


def test_plain_text_keeps_paragraphs_and_one_per_line_text() -> None:
    """Blank lines separate paragraphs; without any, each line is one."""
    assert read_text(b"A b.\nc d.\n\n\n\nE f.", "a.txt").text == "A b.\nc d.\n\nE f."
    assert read_text(b"Title\nA b.\nC d.", "a.txt").text == "Title\n\nA b.\n\nC d."


MARKDOWN = b"""---
title: Floods in Dosso
publisher: Sahel Wire
date: 2026-11-20
---
# Niger floods

**DOSSO, 20 November** - the *river* rose. See [the bulletin](https://example.org/b) and `RN7`.

## Cholera outbreak

- first item
- second_item with snake_case
1. numbered

> quoted line

| Place | Cases |
|-------|-------|
| Gaya  | 312   |

```
code stays
```
Setext heading
--------------
<!-- a comment -->
Escaped \\*stars\\* and an ![chart](c.png) image.
"""


def test_markdown_becomes_readable_text_with_headings() -> None:
    """Markdown syntax is removed; headings are recorded by span; front matter becomes fields."""
    got = read_text(MARKDOWN, "floods.md")
    assert got.text.split("\n\n") == [
        "Niger floods",
        "DOSSO, 20 November - the river rose. See the bulletin and RN7.",
        "Cholera outbreak",
        "first item",
        "second_item with snake_case",
        "numbered",
        "quoted line",
        "Place; Cases",
        "Gaya; 312",
        "code stays",
        "Setext heading",
        "Escaped *stars* and an chart image.",
    ]
    assert got.title == "Niger floods"
    assert [got.text[s:e] for s, e in got.headings] == [
        "Niger floods",
        "Cholera outbreak",
        "Setext heading",
    ]
    assert dict(got.fields) == {
        "title": "Floods in Dosso",
        "publisher": "Sahel Wire",
        "date": "2026-11-20",
    }


def test_bad_front_matter_is_named() -> None:
    """A front-matter line that is not 'key: value' is refused."""
    with pytest.raises(BadMetadata, match="front matter"):
        read_text(b"---\ntitle: x\njust words\n---\nBody.", "a.md")


HTML = b"""<!doctype html><html><head><title>Page title</title>
<style>p { color: red }</style><script>alert("x")</script></head>
<body><nav>Home | About</nav><h1>Floods</h1><p>The river
   rose to <b>6.3&nbsp;metres</b>.</p><h2>Cholera</h2><ul><li>312 cases</li><li>9 deaths</li></ul>
</body></html>"""


def test_html_becomes_visible_text_only() -> None:
    """Scripts, styles and navigation are dropped; blocks become paragraphs."""
    got = read_text(HTML, "page.html")
    assert got.text.split("\n\n") == [
        "Floods",
        "The river rose to 6.3 metres.",
        "Cholera",
        "312 cases",
        "9 deaths",
    ]
    assert got.title == "Floods"


def test_html_character_references_cannot_hide_bidi_controls() -> None:
    """An entity-encoded U+202E is caught after decoding."""
    with pytest.raises(InvisibleCharacters):
        read_text(b"<p>evil &#8238; text</p>", "page.html")


def test_html_title_used_without_h1() -> None:
    """Without an h1, the page's <title> is the document's title."""
    assert read_text(b"<title>T</title><p>Body.</p>", "p.htm").title == "T"


def test_the_sahel_wire_report_reads_cleanly() -> None:
    """The test report: title from its heading, no Markdown left in the text."""
    got = read_text(SAHEL.read_bytes(), SAHEL.name)
    assert got.title.startswith("Niger declares humanitarian emergency")
    assert "**" not in got.text
    assert "#" not in got.text
    assert "\n\nDOSSO, Niger, 20 November 2026 (Sahel Wire)\n\n" in got.text
