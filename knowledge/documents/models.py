"""Values of source-document ingest: what a file reads as, its metadata, its passages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

# Whole-document states: a removed document stays stored (quotes still cite it) but no
# longer answers questions.
DOCUMENT_ACTIVE = "active"
DOCUMENT_REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class ReadText:
    """A file turned into the readable text Sitrep stores and checks quotes against.

    ``headings`` are the (start, end) spans of section headings in ``text``; ``title`` is
    the document's own title where it has one (a Markdown ``# heading``, an HTML
    ``<title>``); ``fields`` are metadata the file declares itself (Markdown front matter).
    """

    text: str
    headings: tuple[tuple[int, int], ...] = ()
    title: str = ""
    fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class DocumentMeta:
    """Who published a document, when and where: what answers cite beside its passages."""

    id: str
    title: str
    publisher: str = ""
    published: date | None = None
    url: str = ""


@dataclass(frozen=True, slots=True)
class Passage:
    """A few consecutive sentences of one version of a document, by character offsets.

    ``text`` is exactly ``document_text[start:end]``; ``heading`` is the section heading the
    passage sits under ("" before the first one), kept apart because it is not part of the
    passage's own words.
    """

    document_id: str
    version: int
    start: int
    end: int
    text: str
    heading: str = ""

    @property
    def id(self) -> str:
        """A stable, readable id: ``DOC@VERSION:START-END``."""
        return f"{self.document_id}@{self.version}:{self.start}-{self.end}"


@dataclass(frozen=True, slots=True)
class DocumentVersion:
    """One stored version of a source document and who ingested it when."""

    meta: DocumentMeta
    version: int
    content_hash: str
    ingested_by: str
    ingested_at: datetime
    passages: int
    status: str = DOCUMENT_ACTIVE
