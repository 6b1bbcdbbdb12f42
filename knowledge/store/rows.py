"""Facts, documents and revisions to and from their rows, and the one JSON form of a fact.

:func:`fact_state` is the fact as a revision keeps it (and as history, diffs and the
benchmark's bulk loader read it); :func:`fact_from_state` turns it back into a
:class:`~knowledge.models.Fact`. The rest maps the ``facts`` row with its ordered
``fact_keys``, ``fact_tags`` and ``fact_sources`` rows, ``documents`` and ``revisions``.
Nothing here opens a transaction: the caller's is used.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import Any

from ..models import Document, Fact, FactStatus, Revision, Source


def normalize_key(key: str) -> str:
    """A key as compared for ownership: casefolded, whitespace collapsed to single spaces."""
    return " ".join(key.casefold().split())


# --- the JSON form of a fact, as kept in revisions -------------------------------------------


def fact_state(fact: Fact) -> dict[str, Any]:
    """The fact's full state as plain JSON-ready data (ISO dates), status and lock included.

    ``rev`` is left out: it numbers the revision that holds the state, not the state itself.
    """
    return {
        "id": fact.id,
        "title": fact.title,
        "answer": fact.answer,
        "keys": list(fact.keys),
        "tags": list(fact.tags),
        "as_of": fact.as_of.isoformat(),
        "review_by": iso_date(fact.review_by),
        "sources": [_source_state(source) for source in fact.sources],
        "status": fact.status,
        "locked": fact.locked,
    }


def fact_from_state(state: Mapping[str, Any], *, rev: int = 0) -> Fact:
    """The :class:`Fact` that :func:`fact_state` produced ``state`` from."""
    return Fact(
        id=state["id"],
        title=state["title"],
        answer=state["answer"],
        keys=tuple(state["keys"]),
        tags=tuple(state["tags"]),
        as_of=date.fromisoformat(state["as_of"]),
        review_by=_date_or_none(state["review_by"]),
        sources=tuple(_source_from_state(s) for s in state["sources"]),
        status=_fact_status(state["status"]),
        locked=bool(state["locked"]),
        rev=rev,
    )


def _source_state(source: Source) -> dict[str, Any]:
    return {
        "quote": source.quote,
        "document": source.document,
        "title": source.title,
        "publisher": source.publisher,
        "published": iso_date(source.published),
        "url": source.url,
    }


def _source_from_state(state: Mapping[str, Any]) -> Source:
    return Source(
        quote=state["quote"],
        document=state["document"],
        title=state["title"],
        publisher=state["publisher"],
        published=_date_or_none(state["published"]),
        url=state["url"],
    )


# --- values as stored ------------------------------------------------------------------------


def iso_date(value: date | None) -> str | None:
    """A date as stored: ISO text, or ``None``."""
    return None if value is None else value.isoformat()


@lru_cache(maxsize=4096)
def _date(value: str) -> date:
    # Thousands of facts share a handful of dates; parsing each once speeds up loading.
    return date.fromisoformat(value)


def _date_or_none(value: str | None) -> date | None:
    return None if value is None else _date(value)


def iso_time(value: datetime) -> str:
    """UTC, fixed-width ISO text, so that stored timestamps also sort as strings."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.isoformat(timespec="microseconds")


def _fact_status(value: object) -> FactStatus:
    if value == "active":
        return "active"
    if value == "retired":
        return "retired"
    raise ValueError(f"unknown fact status {value!r}")


def json_or_none(text: str | None) -> dict[str, Any] | None:
    """A stored JSON object (a revision's or a change's state), or ``None``."""
    if text is None:
        return None
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("a revision's state must be a JSON object")
    return value


def dump(state: dict[str, Any] | None) -> str | None:
    """A state as stored JSON text (what :func:`json_or_none` reads back)."""
    return None if state is None else json.dumps(state, ensure_ascii=False)


# --- facts -----------------------------------------------------------------------------------

_FACT_SQL = "SELECT id, title, answer, as_of, review_by, status, locked, rev FROM facts"
_KEYS_SQL = "SELECT fact_id, key FROM fact_keys"
_TAGS_SQL = "SELECT fact_id, tag FROM fact_tags"
_SOURCES_SQL = (
    "SELECT fact_id, quote, document_id, title, publisher, published, url FROM fact_sources"
)
_UPSERT_FACT_SQL = """
    INSERT INTO facts (id, title, answer, as_of, review_by, status, locked, rev,
                       created_at, updated_at)
    VALUES (:id, :title, :answer, :as_of, :review_by, :status, :locked, :rev, :at, :at)
    ON CONFLICT (id) DO UPDATE SET
        title = excluded.title, answer = excluded.answer, as_of = excluded.as_of,
        review_by = excluded.review_by, status = excluded.status, locked = excluded.locked,
        rev = excluded.rev, updated_at = excluded.updated_at
"""


def load_facts(
    conn: sqlite3.Connection, fact_id: str | None, *, include_retired: bool
) -> list[Fact]:
    """Facts with their keys, tags and sources in four queries, however many there are.

    One fact for a ``fact_id``, every fact for ``None``. Child rows are read for every fact
    and matched up in Python: joining each of them to ``facts`` to filter out the (few)
    retired ones costs more than it saves.
    """
    params: tuple[str, ...] = ()
    if fact_id is None:
        child_where = ""
        where = "" if include_retired else " WHERE status = 'active'"
    else:
        params = (fact_id,)
        child_where = " WHERE fact_id = ?"
        where = " WHERE id = ?" if include_retired else " WHERE id = ? AND status = 'active'"
    order = child_where + " ORDER BY fact_id, position"
    keys = _values_by_fact(conn.execute(_KEYS_SQL + order, params))
    tags = _values_by_fact(conn.execute(_TAGS_SQL + order, params))
    sources = _sources_by_fact(conn.execute(_SOURCES_SQL + order, params))
    rows = conn.execute(_FACT_SQL + where + " ORDER BY id", params)
    return [_fact_from_row(row, keys, tags, sources) for row in rows]


def write_fact(conn: sqlite3.Connection, fact: Fact, at: str) -> None:
    """Insert or overwrite the fact's row and replace its keys, tags and sources."""
    conn.execute(
        _UPSERT_FACT_SQL,
        {
            "id": fact.id,
            "title": fact.title,
            "answer": fact.answer,
            "as_of": fact.as_of.isoformat(),
            "review_by": iso_date(fact.review_by),
            "status": fact.status,
            "locked": int(fact.locked),
            "rev": fact.rev,
            "at": at,
        },
    )
    # Rewriting the children wholesale keeps positions dense and is cheap at these sizes.
    for table in ("fact_keys", "fact_tags", "fact_sources"):
        conn.execute(f"DELETE FROM {table} WHERE fact_id = ?", (fact.id,))
    active = int(fact.status == "active")
    conn.executemany(
        "INSERT INTO fact_keys (fact_id, position, key, norm_key, active) VALUES (?, ?, ?, ?, ?)",
        [(fact.id, i, k, normalize_key(k), active) for i, k in enumerate(fact.keys)],
    )
    conn.executemany(
        "INSERT INTO fact_tags (fact_id, position, tag) VALUES (?, ?, ?)",
        [(fact.id, i, tag) for i, tag in enumerate(fact.tags)],
    )
    conn.executemany(
        "INSERT INTO fact_sources (fact_id, position, document_id, url, title, publisher,"
        " published, quote) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (fact.id, i, s.document, s.url, s.title, s.publisher, iso_date(s.published), s.quote)
            for i, s in enumerate(fact.sources)
        ],
    )


def _values_by_fact(rows: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """(fact_id, value) rows, ordered by fact, as each fact's tuple of values."""
    return {fact_id: tuple(map(_second, group)) for fact_id, group in groupby(rows, _first)}


def _sources_by_fact(rows: Iterable[Sequence[Any]]) -> dict[str, tuple[Source, ...]]:
    """fact_sources rows, ordered by fact, as each fact's tuple of sources."""
    return {
        fact_id: tuple(
            Source(
                quote=row[1],
                document=row[2],
                title=row[3],
                publisher=row[4],
                published=_date_or_none(row[5]),
                url=row[6],
            )
            for row in group
        )
        for fact_id, group in groupby(rows, _first)
    }


_first = itemgetter(0)  # C-level accessors: loading 100k facts walks ~1M child rows
_second = itemgetter(1)


def _fact_from_row(
    row: Sequence[Any],
    keys: Mapping[str, tuple[str, ...]],
    tags: Mapping[str, tuple[str, ...]],
    sources: Mapping[str, tuple[Source, ...]],
) -> Fact:
    fact_id, title, answer, as_of, review_by, status, locked, rev = row
    return Fact(
        id=fact_id,
        title=title,
        answer=answer,
        as_of=_date(as_of),
        review_by=_date_or_none(review_by),
        keys=keys.get(fact_id, ()),
        tags=tags.get(fact_id, ()),
        sources=sources.get(fact_id, ()),
        status=_fact_status(status),
        locked=bool(locked),
        rev=int(rev),
    )


# --- documents and revisions -----------------------------------------------------------------

_DOCUMENT_COLUMNS = "id, title, publisher, published, url, text"
_REVISION_COLUMNS = "id, fact_id, rev, action, actor, guild_id, at, before, after, reason"


def load_documents(conn: sqlite3.Connection, ids: Iterable[str] | None) -> dict[str, Document]:
    """The documents with these ids (all of them for ``None``), in id order."""
    sql = f"SELECT {_DOCUMENT_COLUMNS} FROM documents"
    if ids is None:
        rows = conn.execute(sql + " ORDER BY id").fetchall()
    else:
        rows = [r for i in sorted(set(ids)) for r in conn.execute(sql + " WHERE id = ?", (i,))]
    return {row[0]: _document_from_row(row) for row in rows}


def document_row(doc: Document) -> dict[str, Any]:
    """The ``documents`` row of a document."""
    return {
        "id": doc.id,
        "title": doc.title,
        "publisher": doc.publisher,
        "published": iso_date(doc.published),
        "url": doc.url,
        "text": doc.text,
    }


def _document_from_row(row: Sequence[Any]) -> Document:
    doc_id, title, publisher, published, url, text = row
    return Document(
        id=doc_id,
        title=title,
        publisher=publisher,
        published=_date_or_none(published),
        url=url,
        text=text,
    )


def load_revisions(
    conn: sqlite3.Connection, where: str, params: Sequence[Any], *, order: str = "id"
) -> list[Revision]:
    """The revisions that ``where`` (a ``WHERE`` clause, or empty) selects, by ``order``."""
    rows = conn.execute(
        f"SELECT {_REVISION_COLUMNS} FROM revisions{where} ORDER BY {order}", params
    ).fetchall()
    return [_revision_from_row(row) for row in rows]


def _revision_from_row(row: Sequence[Any]) -> Revision:
    rev_id, fact_id, rev, action, actor, guild_id, at, before, after, reason = row
    return Revision(
        id=int(rev_id),
        fact_id=fact_id,
        rev=int(rev),
        action=action,
        actor=actor,
        at=datetime.fromisoformat(at),
        before=json_or_none(before),
        after=json_or_none(after),
        reason=reason,
        guild_id=guild_id,
    )
