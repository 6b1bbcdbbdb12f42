"""Ingested source documents: whole texts by version, their passages, and who did what when.

A document is stored whole (its text is what quotes are checked against), once per version,
with its passages by offsets. Every ingest is one ``BEGIN IMMEDIATE`` transaction: version,
passages, the current text in ``documents`` (where facts' quotes are checked) and the event
row land together or not at all. Re-ingesting the same content with the same metadata
writes nothing; changed content is a new version, and the old version's passages stay for
the quotes that cite them. Removing is soft: the document stops answering, nothing is lost.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final, Literal

import sqlite_utils

from ..documents.errors import DocumentError, DuplicateDocument
from ..documents.models import (
    DOCUMENT_ACTIVE,
    DOCUMENT_REMOVED,
    DocumentMeta,
    DocumentVersion,
    Passage,
    ReadText,
)
from ..documents.passages import content_hash, split_passages
from ..errors import DocumentNotFound
from .db import Transactions
from .rows import iso_time

IngestOutcome = Literal["added", "new version", "unchanged", "restored"]

SCHEMA: Final[tuple[str, ...]] = (
    """
    CREATE TABLE source_documents (
        id          TEXT PRIMARY KEY REFERENCES documents(id),
        version     INTEGER NOT NULL CHECK (version >= 1),   -- the current version
        status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'removed'))
    )
    """,
    """
    CREATE TABLE source_versions (
        document_id  TEXT NOT NULL REFERENCES source_documents(id),
        version      INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        title        TEXT NOT NULL,
        publisher    TEXT NOT NULL DEFAULT '',
        published    TEXT,
        url          TEXT NOT NULL DEFAULT '',
        text         TEXT NOT NULL,
        passages     INTEGER NOT NULL,           -- how many passage rows this version has
        file_name    TEXT NOT NULL DEFAULT '',
        ingested_by  TEXT NOT NULL,
        ingested_at  TEXT NOT NULL,
        PRIMARY KEY (document_id, version)
    )
    """,
    """
    CREATE TABLE source_passages (
        document_id TEXT NOT NULL,
        version     INTEGER NOT NULL,
        start       INTEGER NOT NULL,
        end         INTEGER NOT NULL CHECK (end > start),
        heading     TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (document_id, version, start),
        FOREIGN KEY (document_id, version) REFERENCES source_versions(document_id, version)
    )
    """,
    """
    CREATE TABLE source_events (
        id          INTEGER PRIMARY KEY,
        document_id TEXT NOT NULL,
        version     INTEGER NOT NULL,
        action      TEXT NOT NULL CHECK (action IN ('ingest', 'remove', 'restore')),
        actor       TEXT NOT NULL,
        at          TEXT NOT NULL
    )
    """,
)


def create_schema(conn: sqlite3.Connection) -> None:
    """Create the tables of ingested documents (the migration calls this)."""
    for statement in SCHEMA:
        conn.execute(statement)


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one ingest did: the document's id and version, the outcome, how many passages."""

    document_id: str
    version: int
    outcome: IngestOutcome
    passages: int


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DocumentStore:
    """Ingest, list, remove and read source documents and their passages."""

    def __init__(
        self, db: sqlite_utils.Database, *, clock: Callable[[], datetime] = _utc_now
    ) -> None:
        from .migrations import migrate  # here, not at the top: migrations import this module

        migrate(db)  # nothing is written when the schema is current
        self._tx = Transactions(db)
        self._conn = db.conn
        self._clock = clock

    # --- writes ------------------------------------------------------------------------------

    def ingest(
        self, read: ReadText, meta: DocumentMeta, *, actor: str, file_name: str = ""
    ) -> IngestResult:
        """Store a document (or its new version) and its passages, in one transaction."""
        digest = content_hash(read.text)
        at = self._clock().isoformat()
        with self._tx.writing() as conn:
            current = conn.execute(
                "SELECT version, status FROM source_documents WHERE id = ?", (meta.id,)
            ).fetchone()
            if (
                current is None
                and conn.execute("SELECT 1 FROM documents WHERE id = ?", (meta.id,)).fetchone()
            ):
                raise DuplicateDocument(
                    file_name or meta.id, f"a seed document already has the id {meta.id!r}"
                )
            if current is not None:
                version, status = int(current[0]), str(current[1])
                if self._same(conn, meta, version, digest):
                    if status == DOCUMENT_ACTIVE:
                        return IngestResult(meta.id, version, "unchanged", 0)
                    self._set_status(conn, meta.id, version, DOCUMENT_ACTIVE, "restore", actor, at)
                    return IngestResult(meta.id, version, "restored", 0)
            version = 1 if current is None else int(current[0]) + 1
            passages = split_passages(
                read.text, document_id=meta.id, version=version, headings=read.headings
            )
            self._write_version(
                conn, read.text, meta, (version, digest, file_name, actor, at), passages
            )
            conn.execute(
                "INSERT INTO source_events (document_id, version, action, actor, at)"
                " VALUES (?, ?, 'ingest', ?, ?)",
                (meta.id, version, actor, at),
            )
        return IngestResult(
            meta.id, version, "added" if version == 1 else "new version", len(passages)
        )

    def remove(self, document_id: str, *, actor: str) -> bool:
        """Stop a document answering (soft: text and passages stay); False if already removed."""
        at = self._clock().isoformat()
        with self._tx.writing() as conn:
            version, status = self._current(conn, document_id)
            if status == DOCUMENT_REMOVED:
                return False
            self._set_status(conn, document_id, version, DOCUMENT_REMOVED, "remove", actor, at)
        return True

    @staticmethod
    def _same(conn: sqlite3.Connection, meta: DocumentMeta, version: int, digest: str) -> bool:
        row = conn.execute(
            "SELECT content_hash, title, publisher, published, url FROM source_versions"
            " WHERE document_id = ? AND version = ?",
            (meta.id, version),
        ).fetchone()
        published = meta.published.isoformat() if meta.published else None
        return row is not None and tuple(row) == (
            digest,
            meta.title,
            meta.publisher,
            published,
            meta.url,
        )

    @staticmethod
    def _set_status(
        conn: sqlite3.Connection,
        document_id: str,
        version: int,
        status: str,
        action: str,
        actor: str,
        at: str,
    ) -> None:
        conn.execute("UPDATE source_documents SET status = ? WHERE id = ?", (status, document_id))
        conn.execute(
            "INSERT INTO source_events (document_id, version, action, actor, at)"
            " VALUES (?, ?, ?, ?, ?)",
            (document_id, version, action, actor, at),
        )

    @staticmethod
    def _write_version(
        conn: sqlite3.Connection,
        text: str,
        meta: DocumentMeta,
        stamp: tuple[int, str, str, str, str],
        passages: list[Passage],
    ) -> None:
        """Write one version: ``stamp`` is (version, content hash, file name, actor, at)."""
        version, digest, file_name, actor, at = stamp
        published = meta.published.isoformat() if meta.published else None
        conn.execute(
            "INSERT INTO documents (id, title, publisher, published, url, text)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET title = excluded.title,"
            " publisher = excluded.publisher, published = excluded.published,"
            " url = excluded.url, text = excluded.text",
            (meta.id, meta.title, meta.publisher, published, meta.url, text),
        )
        conn.execute(
            "INSERT INTO source_documents (id, version, status) VALUES (?, ?, 'active')"
            " ON CONFLICT (id) DO UPDATE SET version = excluded.version, status = 'active'",
            (meta.id, version),
        )
        conn.execute(
            "INSERT INTO source_versions (document_id, version, content_hash, title, publisher,"
            " published, url, text, passages, file_name, ingested_by, ingested_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                meta.id,
                version,
                digest,
                meta.title,
                meta.publisher,
                published,
                meta.url,
                text,
                len(passages),
                file_name,
                actor,
                at,
            ),
        )
        conn.executemany(
            "INSERT INTO source_passages (document_id, version, start, end, heading)"
            " VALUES (?, ?, ?, ?, ?)",
            ((p.document_id, p.version, p.start, p.end, p.heading) for p in passages),
        )

    # --- reads -------------------------------------------------------------------------------

    def generation(self) -> int:
        """A number that grows with every ingest or removal, by any process."""
        row = self._conn.execute("SELECT coalesce(max(id), 0) FROM source_events").fetchone()
        return int(row[0])

    def _current(self, conn: sqlite3.Connection, document_id: str) -> tuple[int, str]:
        row = conn.execute(
            "SELECT version, status FROM source_documents WHERE id = ?", (document_id,)
        ).fetchone()
        if row is None:
            raise DocumentNotFound(document_id)
        return int(row[0]), str(row[1])

    def sources(self, *, include_removed: bool = False) -> list[DocumentVersion]:
        """The current version of every ingested document, newest ingest first."""
        sql = (
            "SELECT v.document_id, v.title, v.publisher, v.published, v.url, v.version,"
            " v.content_hash, v.ingested_by, v.ingested_at, v.passages, d.status"
            " FROM source_documents d JOIN source_versions v"
            " ON v.document_id = d.id AND v.version = d.version"
            + ("" if include_removed else " WHERE d.status = 'active'")
            + " ORDER BY v.ingested_at DESC, v.document_id"
        )
        return [_version_from_row(row) for row in self._conn.execute(sql)]

    def passages(
        self, document_ids: Iterable[str] | None = None
    ) -> Iterator[tuple[Passage, DocumentMeta]]:
        """Every passage of the current version of every active document (of those named,
        when ``document_ids`` is given), with its metadata."""
        sql = (
            "SELECT v.document_id, v.version, v.title, v.publisher, v.published, v.url"
            " FROM source_documents d JOIN source_versions v"
            " ON v.document_id = d.id AND v.version = d.version WHERE d.status = 'active'"
        )
        args: list[str] = []
        if document_ids is not None:
            args = sorted(set(document_ids))
            sql += f" AND d.id IN ({','.join('?' * len(args))})"
        # The documents' texts are read one at a time: all of them at once would hold a
        # large store's every word in memory.
        for doc_id, version, title, publisher, published, url in self._conn.execute(
            sql + " ORDER BY v.document_id", args
        ).fetchall():
            (text,) = self._conn.execute(
                "SELECT text FROM source_versions WHERE document_id = ? AND version = ?",
                (doc_id, version),
            ).fetchone()
            meta = DocumentMeta(doc_id, title, publisher, _date(published), url)
            for start, end, heading in self._conn.execute(
                "SELECT start, end, heading FROM source_passages"
                " WHERE document_id = ? AND version = ? ORDER BY start",
                (doc_id, version),
            ):
                yield Passage(doc_id, version, start, end, text[start:end], heading), meta

    def passage_count(self) -> int:
        """How many passages :meth:`passages` yields: those of active documents' current
        versions."""
        row = self._conn.execute(
            "SELECT count(*) FROM source_documents d JOIN source_passages p"
            " ON p.document_id = d.id AND p.version = d.version WHERE d.status = 'active'"
        ).fetchone()
        return int(row[0])

    def passage_ids(self, document_id: str) -> list[str]:
        """The ids of the passages of every version of a document, removed or not."""
        return [
            Passage(document_id, version, start, end, "").id
            for version, start, end in self._conn.execute(
                "SELECT version, start, end FROM source_passages WHERE document_id = ?",
                (document_id,),
            )
        ]

    def changed_since(self, event: int) -> tuple[set[str], int]:
        """The documents ingested, removed or restored after event number ``event``, and the
        newest event number (what :meth:`generation` returns)."""
        rows = self._conn.execute(
            "SELECT id, document_id FROM source_events WHERE id > ?", (event,)
        ).fetchall()
        return {str(doc) for _, doc in rows}, max((int(i) for i, _ in rows), default=event)

    def passage_by_id(self, passage_id: str) -> tuple[Passage, DocumentMeta] | None:
        """The passage ``DOC@VERSION:START-END`` (see :attr:`Passage.id`), or None if that
        version has no passage there."""
        document_id, _, span = passage_id.rpartition("@")
        version, _, offsets = span.partition(":")
        start, _, end = offsets.partition("-")
        if not (version.isdigit() and start.isdigit() and end.isdigit()):
            return None
        row = self._conn.execute(
            "SELECT 1 FROM source_passages WHERE document_id = ? AND version = ?"
            " AND start = ? AND end = ?",
            (document_id, int(version), int(start), int(end)),
        ).fetchone()
        if row is None:
            return None
        passage, meta, _ = self.passage(document_id, int(start), int(end), version=int(version))
        return passage, meta

    def passage(
        self, document_id: str, start: int, end: int, *, version: int | None = None
    ) -> tuple[Passage, DocumentMeta, str]:
        """The text span ``start:end`` of a document (current version unless given), its
        metadata and the version's whole text; the span may be any part of the text."""
        if version is None:
            version = self._current(self._conn, document_id)[0]
        row = self._conn.execute(
            "SELECT title, publisher, published, url, text FROM source_versions"
            " WHERE document_id = ? AND version = ?",
            (document_id, version),
        ).fetchone()
        if row is None:
            raise DocumentNotFound(f"{document_id}@{version}")
        title, publisher, published, url, text = row
        if not 0 <= start < end <= len(text) or not text[start:end].strip():
            raise DocumentError(
                document_id, f"no text at {start}-{end} (the document is {len(text)} long)"
            )
        heading_row = self._conn.execute(
            "SELECT heading FROM source_passages WHERE document_id = ? AND version = ?"
            " AND start <= ? ORDER BY start DESC LIMIT 1",
            (document_id, version, start),
        ).fetchone()
        meta = DocumentMeta(document_id, title, publisher, _date(published), url)
        passage = Passage(
            document_id, version, start, end, text[start:end], heading_row[0] if heading_row else ""
        )
        return passage, meta, text

    def events(self, document_id: str) -> list[tuple[int, str, str, datetime]]:
        """(version, action, actor, at) of every recorded change of a document, oldest first."""
        return [
            (int(v), str(a), str(who), datetime.fromisoformat(at))
            for v, a, who, at in self._conn.execute(
                "SELECT version, action, actor, at FROM source_events WHERE document_id = ?"
                " ORDER BY id",
                (document_id,),
            )
        ]

    def ingested_between(self, start: datetime, end: datetime) -> list[DocumentVersion]:
        """Every version ingested at or after ``start`` and before ``end``, oldest first,
        with its document's status now (a naive time is taken as UTC)."""
        # Versions are stamped with the clock's own ISO text, which need not be UTC or of
        # one width, so times are compared as julian days (SQLite parses the offset), not
        # as strings.
        rows = self._conn.execute(
            "SELECT v.document_id, v.title, v.publisher, v.published, v.url, v.version,"
            " v.content_hash, v.ingested_by, v.ingested_at, v.passages, d.status"
            " FROM source_versions v JOIN source_documents d ON d.id = v.document_id"
            " WHERE julianday(v.ingested_at) >= julianday(?)"
            " AND julianday(v.ingested_at) < julianday(?)"
            " ORDER BY julianday(v.ingested_at), v.document_id, v.version",
            (iso_time(start), iso_time(end)),
        ).fetchall()
        return [_version_from_row(row) for row in rows]


def _date(value: object) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def _version_from_row(row: tuple[object, ...]) -> DocumentVersion:
    doc_id, title, publisher, published, url, version, digest, by, at, count, status = row
    return DocumentVersion(
        meta=DocumentMeta(str(doc_id), str(title), str(publisher), _date(published), str(url)),
        version=int(str(version)),
        content_hash=str(digest),
        ingested_by=str(by),
        ingested_at=datetime.fromisoformat(str(at)),
        passages=int(str(count)),
        status=str(status),
    )
