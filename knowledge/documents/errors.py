"""Named errors of source-document ingest: each names the file and says what is wrong with it."""

from __future__ import annotations

from ..errors import KnowledgeError


class DocumentError(KnowledgeError):
    """A source document (or its metadata) cannot be ingested; ``name`` is the file it came from."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


class EmptyDocument(DocumentError):
    """The file holds no readable text."""

    def __init__(self, name: str) -> None:
        super().__init__(name, "the file is empty (no readable text)")


class BinaryDocument(DocumentError):
    """The file is binary data (NUL bytes or many control characters), not text."""

    def __init__(self, name: str, why: str) -> None:
        super().__init__(name, f"looks like a binary file, not text ({why})")


class NotUtf8(DocumentError):
    """The file's bytes are not valid UTF-8."""

    def __init__(self, name: str, offset: int) -> None:
        super().__init__(
            name, f"is not UTF-8 text (invalid byte at offset {offset}); save it as UTF-8"
        )
        self.offset = offset


class DocumentTooLarge(DocumentError):
    """The file is over the size cap."""

    def __init__(self, name: str, limit: int) -> None:
        super().__init__(name, f"is larger than the {limit // (1024 * 1024)} MB limit")
        self.limit = limit


class InvisibleCharacters(DocumentError):
    """The text holds zero-width, bidi or other invisible control characters."""

    def __init__(self, name: str, codes: list[str], line: int) -> None:
        shown = ", ".join(codes[:5]) + (" ..." if len(codes) > 5 else "")
        super().__init__(
            name, f"contains invisible or bidi control characters ({shown}), first on line {line}"
        )
        self.codes = list(codes)
        self.line = line


class UnsupportedFormat(DocumentError):
    """The file's type is not one Sitrep reads."""

    def __init__(self, name: str, suffix: str, known: str) -> None:
        super().__init__(name, f"cannot read {suffix or 'files without an extension'}; use {known}")


class BadMetadata(DocumentError):
    """A metadata field (title, publisher, date, url, id) is unknown or not valid."""

    def __init__(self, name: str, field: str, message: str) -> None:
        super().__init__(name, f"{field}: {message}")
        self.field = field


class DuplicateDocument(DocumentError):
    """The same document (or the same id) was given twice in one ingest."""
