"""A file's bytes and name → the readable text Sitrep stores, or a named error saying why not.

Checks run in order, cheapest and most telling first: size (before reading it all), empty,
binary (NUL bytes, many control characters), UTF-8, then hidden characters (zero-width,
bidi overrides) in the decoded text. The format follows the file name: ``.txt``, ``.md``
and ``.markdown``, ``.html`` and ``.htm``.
"""

from __future__ import annotations

import unicodedata
from typing import BinaryIO, Final

from ..validation import bad_characters
from .errors import (
    BadMetadata,
    BinaryDocument,
    DocumentTooLarge,
    EmptyDocument,
    InvisibleCharacters,
    NotUtf8,
    UnsupportedFormat,
)
from .markup import assemble, front_matter, html_blocks, markdown_blocks, plain_blocks
from .models import ReadText

MAX_BYTES: Final = 20 * 1024 * 1024
# Text may hold a few stray control characters (they are refused later, by name); past this
# share of the first bytes, the file is binary data and naming characters would not help.
_BINARY_SHARE: Final = 0.05
_SNIFF_BYTES: Final = 8192
_ALLOWED_CONTROLS: Final = frozenset(b"\t\n\r\f\v")
_FORMATS: Final = {
    "txt": "text",
    "text": "text",
    "md": "markdown",
    "markdown": "markdown",
    "html": "html",
    "htm": "html",
}
_KNOWN: Final = ".txt, .md or .html"


def read_capped(stream: BinaryIO, name: str, *, limit: int = MAX_BYTES) -> bytes:
    """At most ``limit`` bytes of ``stream``; a longer stream raises without reading past it."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise DocumentTooLarge(name, limit)
    return data


def file_format(name: str) -> str:
    """The format a file name implies ("text", "markdown" or "html"), or raise."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""
    fmt = _FORMATS.get(suffix)
    if fmt is None:
        raise UnsupportedFormat(name, f".{suffix}" if suffix else "", _KNOWN)
    return fmt


def decode(data: bytes, name: str, *, limit: int = MAX_BYTES) -> str:
    """UTF-8 text of ``data`` with newlines unified and NFC applied; bad bytes raise."""
    if len(data) > limit:
        raise DocumentTooLarge(name, limit)
    if not data.strip():
        raise EmptyDocument(name)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise BinaryDocument(name, f"NUL byte at offset {nul}")
    head = data[:_SNIFF_BYTES]
    controls = sum(1 for byte in head if byte < 32 and byte not in _ALLOWED_CONTROLS)
    if controls > _BINARY_SHARE * len(head):
        raise BinaryDocument(name, f"{controls} control bytes in the first {len(head)}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotUtf8(name, exc.start) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n").replace("\v", "\n")
    return unicodedata.normalize("NFC", text)


def check_characters(text: str, name: str) -> None:
    """Raise if the text hides zero-width, bidi or other invisible control characters."""
    bad = bad_characters(text, allow_newlines=True)
    if bad:
        first = chr(int(bad[0][2:], 16))
        line = text[: text.index(first)].count("\n") + 1
        raise InvisibleCharacters(name, bad, line)


def read_text(data: bytes, name: str, *, limit: int = MAX_BYTES) -> ReadText:
    """The readable text of file ``name`` (its bytes ``data``), with headings and own title."""
    fmt = file_format(name)
    text = decode(data, name, limit=limit)
    check_characters(text, name)
    if fmt == "markdown":
        fields, body, bad = front_matter(text)
        if bad:
            raise BadMetadata(name, "front matter", f"not a 'key: value' line: {bad[0][:60]!r}")
        result = assemble(markdown_blocks(body), fields=fields)
    elif fmt == "html":
        blocks, title = html_blocks(text)
        result = assemble(blocks)
        if title and not result.title:
            result = ReadText(result.text, result.headings, title, result.fields)
    else:
        result = assemble(plain_blocks(text))
    if not result.text.strip():
        raise EmptyDocument(name)
    # HTML character references can spell hidden characters the raw text did not show.
    check_characters(result.text, name)
    return result
