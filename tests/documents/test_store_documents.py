"""The document store: versions, idempotent re-ingest, soft removal, one-transaction ingest."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from storekit import put_documents

from knowledge.documents.errors import DocumentError, DuplicateDocument
from knowledge.documents.models import DocumentMeta
from knowledge.documents.read import read_text
from knowledge.errors import DocumentNotFound
from knowledge.store.db import open_db
from knowledge.store.documents import DocumentStore
from knowledge.store.facts import FactStore

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def docs(tmp_path: Path) -> DocumentStore:
    """A document store over a fresh database file."""
    return DocumentStore(open_db(tmp_path / "s.db"), clock=lambda: NOW)


def _ingest(docs: DocumentStore, body: bytes, **meta: str) -> object:
    read = read_text(body, "r.md")
    return docs.ingest(read, DocumentMeta(id="r", title=meta.get("title", "R")), actor="t")


def test_ingest_then_same_content_is_a_no_op(docs: DocumentStore) -> None:
    """Same words (whatever the spacing) and metadata: nothing written, one event only."""
    first = docs.ingest(
        read_text(b"One. Two.\n\nThree.", "r.md"), DocumentMeta("r", "R"), actor="a"
    )
    again = docs.ingest(
        read_text(b"One.  Two.\n\nThree.\n", "r.md"), DocumentMeta("r", "R"), actor="b"
    )
    assert (first.outcome, first.version, first.passages) == ("added", 1, 2)
    assert (again.outcome, again.version) == ("unchanged", 1)
    assert [e[1:3] for e in docs.events("r")] == [("ingest", "a")]


def test_changed_content_is_a_new_version_and_old_passages_stay(docs: DocumentStore) -> None:
    """A new version answers; the old version's passages are still readable by offsets."""
    docs.ingest(read_text(b"Old text here.", "r.md"), DocumentMeta("r", "R"), actor="a")
    result = docs.ingest(read_text(b"New text now.", "r.md"), DocumentMeta("r", "R"), actor="a")
    assert (result.outcome, result.version) == ("new version", 2)
    assert [p.text for p, _ in docs.passages()] == ["New text now."]
    old, _, _ = docs.passage("r", 0, 8, version=1)
    assert old.text == "Old text"
    (row,) = docs.sources()
    assert (row.version, row.passages, row.ingested_by) == (2, 1, "a")


def test_soft_remove_and_restore_by_reingest(docs: DocumentStore) -> None:
    """Removed documents stop answering but stay; re-ingesting the same text restores."""
    docs.ingest(read_text(b"Text.", "r.md"), DocumentMeta("r", "R"), actor="a")
    assert docs.remove("r", actor="m") is True
    assert docs.remove("r", actor="m") is False
    assert list(docs.passages()) == [] and docs.sources() == []
    assert docs.sources(include_removed=True)[0].status == "removed"
    again = docs.ingest(read_text(b"Text.", "r.md"), DocumentMeta("r", "R"), actor="a")
    assert again.outcome == "restored" and len(list(docs.passages())) == 1


def test_the_current_text_is_what_fact_quotes_are_checked_against(tmp_path: Path) -> None:
    """Ingest writes the documents row that facts cite."""
    db = open_db(tmp_path / "s.db")
    DocumentStore(db).ingest(read_text(b"Quoted words.", "r.md"), DocumentMeta("r", "R"), actor="a")
    assert FactStore(db).documents()["r"].text == "Quoted words."


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda d: d.remove("nope", actor="m"), DocumentNotFound),
        (lambda d: d.passage("nope", 0, 1), DocumentNotFound),
        (lambda d: d.passage("r", 3, 2), DocumentError),
        (lambda d: d.passage("r", 0, 999), DocumentError),
    ],
    ids=["remove unknown", "passage unknown", "backwards span", "span past the end"],
)
def test_bad_references_raise_named_errors(docs: DocumentStore, call: object, error: type) -> None:
    """Unknown documents and impossible offsets raise named errors."""
    docs.ingest(read_text(b"Some text.", "r.md"), DocumentMeta("r", "R"), actor="a")
    with pytest.raises(error):
        call(docs)  # type: ignore[operator]


def test_a_seed_document_id_is_not_overwritten(tmp_path: Path, brief: object) -> None:
    """Ingest refuses an id that a seed document already has."""
    db = open_db(tmp_path / "s.db")
    put_documents(FactStore(db), [brief])  # type: ignore[list-item]
    with pytest.raises(DuplicateDocument, match="seed document"):
        DocumentStore(db).ingest(
            read_text(b"Text.", "r.md"),
            DocumentMeta(brief.id, "R"),
            actor="a",  # type: ignore[attr-defined]
        )


WRITER = """
import sys
from knowledge.documents.models import DocumentMeta
from knowledge.documents.read import read_text
from knowledge.store.documents import DocumentStore
from knowledge.store.db import open_db
docs = DocumentStore(open_db(sys.argv[1]))
body = "\\n\\n".join(f"Paragraph {i}: the river rose {i} metres. It fell." for i in range(20000))
read = read_text(body.encode(), "big.txt")
print("ready", flush=True)
for n in range(1000):
    docs.ingest(read, DocumentMeta(f"doc-{sys.argv[2]}-{n}", "Big"), actor="kill")
    print("committed", flush=True)
"""


@pytest.mark.slow
def test_ingest_killed_at_any_moment_leaves_whole_documents(tmp_path: Path) -> None:
    """Killed 20 times mid-ingest: every stored version has all its passages, or is absent."""
    path = tmp_path / "kill.db"
    DocumentStore(open_db(path))  # create the schema first
    rng = random.Random(11)
    for run in range(20):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(run)], stdout=subprocess.PIPE
        )
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        if run % 4 == 0:
            # Some runs are killed only after a commit, so that whatever the machine's speed
            # there are finished documents to check beside the killed ones.
            assert proc.stdout.readline() == b"committed\n"
        time.sleep(rng.uniform(0.0, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    conn = sqlite3.connect(path)
    versions = conn.execute(
        "SELECT v.document_id, v.passages, (SELECT count(*) FROM source_passages p"
        " WHERE p.document_id = v.document_id AND p.version = v.version),"
        " (SELECT length(text) FROM documents d WHERE d.id = v.document_id)"
        " FROM source_versions v"
    ).fetchall()
    assert versions  # at least the runs killed after a commit
    for doc_id, expected, stored, text_length in versions:
        assert stored == expected == 20000, doc_id  # one passage a paragraph
        assert text_length and text_length > 0
    orphans = conn.execute(
        "SELECT count(*) FROM source_passages WHERE document_id NOT IN"
        " (SELECT document_id FROM source_versions)"
    ).fetchone()[0]
    assert orphans == 0


class SetClock:
    """A clock that reads whatever time the test last set."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def _at(hour: int, minute: int = 0) -> datetime:
    return NOW.replace(hour=hour, minute=minute)


@pytest.fixture
def timed(tmp_path: Path) -> DocumentStore:
    """Versions stamped in UTC, at +02:00 and naive (taken as UTC), out of time order:
    ``b`` at 09:00 UTC, ``a`` v1 at 10:00, ``a`` v2 at 12:00, ``c`` at 13:30 (then removed)."""
    clock = SetClock()
    docs = DocumentStore(open_db(tmp_path / "t.db"), clock=clock)
    for doc_id, body, moment in [
        ("a", b"First text.", _at(10)),
        ("b", b"Other text.", _at(11).replace(tzinfo=timezone(timedelta(hours=2)))),
        ("a", b"Second text.", _at(12)),
        ("c", b"Third text.", _at(13, 30).replace(tzinfo=None)),
    ]:
        clock.now = moment
        docs.ingest(read_text(body, "r.md"), DocumentMeta(doc_id, doc_id.upper()), actor="t")
    docs.remove("c", actor="m")
    return docs


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (_at(0), _at(23), [("b", 1), ("a", 1), ("a", 2), ("c", 1)]),
        (_at(10), _at(12), [("a", 1)]),  # the start is in the window, the end is not
        (_at(9, 1), _at(12, 1), [("a", 1), ("a", 2)]),
        (_at(13, 30).replace(tzinfo=None), _at(14), [("c", 1)]),  # naive: UTC
        (_at(14), _at(23), []),
        (_at(12), _at(12), []),
    ],
)
def test_ingested_between_is_by_time_not_by_text(
    timed: DocumentStore, start: datetime, end: datetime, expected: list[tuple[str, int]]
) -> None:
    """Versions ingested in ``[start, end)``, oldest first, whatever zone stamped them."""
    found = timed.ingested_between(start, end)
    assert [(v.meta.id, v.version) for v in found] == expected


def test_ingested_between_tells_each_versions_document_status(timed: DocumentStore) -> None:
    """Each version carries its title, passage count and its document's status now."""
    found = {v.meta.id: v for v in timed.ingested_between(_at(13), _at(14))}
    assert (found["c"].meta.title, found["c"].passages, found["c"].status) == ("C", 1, "removed")
