"""FactStore: the one way facts get into, change in, and come out of Sitrep's database.

Every write is one ``BEGIN IMMEDIATE`` transaction that checks the rules first (validation,
locks, key ownership), then writes the change together with its revision row, so the audit
trail can never disagree with the data. No public method leaves a transaction open, also
when it raises. The store is meant to be used from one thread (SQLite connections are not
shareable across threads); other processes may read and write the same file concurrently.

A fact is stored as a ``facts`` row plus ordered ``fact_keys``, ``fact_tags`` and
``fact_sources`` rows. Facts are never deleted: retiring is the delete, and a retired fact
keeps its history but gives its keys back, so another fact may take them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal

import sqlite_utils

from ..digest.schedule import key_date, make_settings
from ..errors import (
    DigestNotConfigured,
    EditConflict,
    FactExists,
    FactLocked,
    FactNotFound,
    KeyConflict,
    Problem,
    RevisionNotFound,
    ValidationError,
)
from ..models import (
    Answer,
    AnswerStatus,
    DigestChange,
    DigestInputs,
    DigestRun,
    DigestRunStatus,
    DigestSettings,
    Document,
    Fact,
    FactStatus,
    FeedbackCount,
    QueryRecord,
    Revision,
    Source,
    SyncReport,
)
from ..validation import bad_characters, fact_problem_list
from .migrations import migrate

BUSY_TIMEOUT_MS = 5000
MAX_REASON = 500
MAX_LOGGED_QUERY = 1000
EDITABLE_FIELDS = frozenset({"title", "answer", "keys", "tags", "as_of", "review_by", "sources"})
"""The fields :meth:`FactStore.edit` accepts; id, status, lock and rev have their own actions."""


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the database at ``path``, configured for durability.

    WAL journal (except for ``":memory:"``), ``synchronous=FULL`` so a commit survives power
    loss, foreign keys enforced, a 5 s busy timeout for other processes' writes, and
    ``trusted_schema=OFF`` so a tampered schema cannot call functions with side effects.
    sqlite-utils plugins are not loaded: nothing outside the project touches the connection.
    """
    memory = str(path) == ":memory:"
    if memory:
        db = sqlite_utils.Database(memory=True, execute_plugins=False)
    else:
        file = Path(path)
        file.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite_utils.Database(file, execute_plugins=False)
    try:
        conn = db.conn
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_MS)}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA trusted_schema = OFF")
        conn.execute("PRAGMA synchronous = FULL")
        if not memory:
            db.enable_wal()
    except BaseException:
        db.close()
        raise
    return db


def utc_now() -> datetime:
    """The current time in UTC (the store's default clock)."""
    return datetime.now(UTC)


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
        "review_by": _iso_date(fact.review_by),
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
        "published": _iso_date(source.published),
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


def _content(fact: Fact) -> tuple[Any, ...]:
    """What "unchanged" compares: the curated content, not id, status, lock or rev."""
    return (
        fact.title,
        fact.answer,
        tuple(fact.keys),
        tuple(fact.tags),
        fact.as_of,
        fact.review_by,
        tuple(fact.sources),
    )


def _iso_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


@lru_cache(maxsize=4096)
def _date(value: str) -> date:
    # Thousands of facts share a handful of dates; parsing each once speeds up loading.
    return date.fromisoformat(value)


def _date_or_none(value: str | None) -> date | None:
    return None if value is None else _date(value)


def _iso_time(value: datetime) -> str:
    """UTC, fixed-width ISO text, so that stored timestamps also sort as strings."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.isoformat(timespec="microseconds")


def _fact_status(value: object) -> FactStatus:
    if value == "active":
        return "active"
    if value == "retired":
        return "retired"
    raise ValueError(f"unknown fact status {value!r}")


def _answer_status(value: object) -> AnswerStatus:
    if value == "answered":
        return "answered"
    if value == "no_match":
        return "no_match"
    raise ValueError(f"unknown answer status {value!r}")


def _json_or_none(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("a revision's state must be a JSON object")
    return value


def _dump(state: dict[str, Any] | None) -> str | None:
    return None if state is None else json.dumps(state, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class _Stamp:
    """Who made a change, where, when and why: what every revision row records."""

    actor: str
    guild_id: int | None
    reason: str
    at: str


@dataclass(frozen=True, slots=True)
class _Write:
    """One planned fact write: the state before (``None``: new) and after."""

    before: Fact | None
    after: Fact
    reason: str = ""


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
_REVISION_SQL = """
    INSERT INTO revisions (fact_id, rev, action, actor, guild_id, at, before, after, reason)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_REVISION_COLUMNS = "id, fact_id, rev, action, actor, guild_id, at, before, after, reason"
_DOCUMENT_COLUMNS = "id, title, publisher, published, url, text"


class FactStore:
    """Facts, their sources and their history in one SQLite database; see the module docs.

    Opening a store brings the database's schema up to date (see :mod:`.migrations`).
    """

    def __init__(
        self, db: sqlite_utils.Database, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        """Use ``db`` (migrating it first); ``clock`` stamps revisions and logged queries."""
        self._db = db
        self._clock = clock
        migrate(db)

    @property
    def db(self) -> sqlite_utils.Database:
        """The database the store reads and writes."""
        return self._db

    @property
    def changes(self) -> int:
        """A counter that grows by one with every committed write of facts or documents.

        It is kept in the database, so writes by other processes (``sitrep load`` while the
        bot runs) count too: compare it with the value you built your matcher from. Logged
        queries do not count.
        """
        row = self._db.conn.execute("SELECT value FROM meta WHERE name = 'changes'").fetchone()
        return int(row[0]) if row else 0

    # --- transactions ------------------------------------------------------------------------

    @contextmanager
    def _transaction(self, mode: Literal["DEFERRED", "IMMEDIATE"]) -> Iterator[sqlite3.Connection]:
        """One transaction, committed on success and rolled back on any exception.

        Writers take the write lock up front (IMMEDIATE): a read-then-write transaction that
        starts DEFERRED fails with SQLITE_BUSY_SNAPSHOT once another connection has committed.
        Readers still use a transaction, so that a fact's rows come from one snapshot.
        """
        conn = self._db.conn
        conn.execute(f"BEGIN {mode}")  # outside the try: a failed BEGIN has nothing to undo
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _reading(self) -> AbstractContextManager[sqlite3.Connection]:
        """A read transaction: one consistent snapshot for several queries."""
        return self._transaction("DEFERRED")

    def _writing(self) -> AbstractContextManager[sqlite3.Connection]:
        """A write transaction holding the write lock from its first statement."""
        return self._transaction("IMMEDIATE")

    # --- reads -------------------------------------------------------------------------------

    def get(self, fact_id: str) -> Fact:
        """The fact with that id, whatever its status; :class:`FactNotFound` if there is none."""
        with self._reading():
            return self._get(fact_id)

    def facts(self, *, include_retired: bool = False) -> list[Fact]:
        """Every active fact (and retired ones too, if asked), sorted by id."""
        with self._reading():
            return self._load_facts(None, include_retired=include_retired)

    def documents(self) -> dict[str, Document]:
        """Every source document by id, in id order."""
        with self._reading():
            return self._documents(None)

    def is_empty(self) -> bool:
        """True if the store has never held a fact (retired ones count as held)."""
        with self._reading() as conn:
            return bool(conn.execute("SELECT NOT EXISTS (SELECT 1 FROM facts)").fetchone()[0])

    def changed_since(self, revision_id: int) -> tuple[list[str], int]:
        """Ids of the facts with a revision newer than ``revision_id``, and the newest id.

        Derived data (the matcher's term index) uses it to catch up with only what changed.
        """
        with self._reading() as conn:
            ids = [
                str(row[0])
                for row in conn.execute(
                    "SELECT DISTINCT fact_id FROM revisions WHERE id > ? ORDER BY fact_id",
                    (revision_id,),
                )
            ]
            newest = conn.execute("SELECT coalesce(max(id), 0) FROM revisions").fetchone()[0]
        return ids, int(newest)

    def history(self, fact_id: str) -> list[Revision]:
        """The fact's revisions, oldest first; :class:`FactNotFound` if it never existed."""
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {_REVISION_COLUMNS} FROM revisions WHERE fact_id = ? ORDER BY rev",
                (fact_id,),
            ).fetchall()
            if not rows:
                self._get(fact_id)  # raises FactNotFound; an existing fact has no history yet
        return [_revision_from_row(row) for row in rows]

    def key_owner(self, key: str) -> str | None:
        """The id of the active fact that has ``key`` (ignoring case and spacing), if any."""
        row = self._db.conn.execute(
            "SELECT fact_id FROM fact_keys WHERE norm_key = ? AND active = 1",
            (normalize_key(key),),
        ).fetchone()
        return None if row is None else str(row[0])

    def queries(self, *, since: datetime | None = None) -> list[QueryRecord]:
        """Logged queries, oldest first; only those at or after ``since`` if given.

        A naive ``since`` is taken as UTC, like every time the store records.
        """
        sql = "SELECT id, at, query, status, fact_id, score, guild_id, channel_id FROM queries"
        params: tuple[str, ...] = ()
        if since is not None:
            sql += " WHERE at >= ?"
            params = (_iso_time(since),)
        rows = self._db.conn.execute(sql + " ORDER BY id", params).fetchall()
        return [_query_from_row(row) for row in rows]

    # --- single-fact writes ------------------------------------------------------------------

    def add(self, fact: Fact, *, actor: str, guild_id: int | None = None, reason: str = "") -> Fact:
        """Add a new fact (active, unlocked, rev 1); :class:`FactExists` if the id is taken."""
        stamp = self._stamp(actor, guild_id, reason)
        new = replace(_tuples(fact), status="active", locked=False, rev=1)
        with self._writing() as conn:
            if self._exists(fact.id):
                raise FactExists(fact.id)
            self._check(new, check_content=True)
            self._save(conn, _Write(None, new), "add", stamp)
            self._bump_changes(conn)
        return new

    def edit(
        self,
        fact_id: str,
        *,
        actor: str,
        guild_id: int | None = None,
        reason: str = "",
        **changes: Any,
    ) -> Fact:
        """Change some of a fact's fields: title, answer, keys, tags, as_of, review_by, sources.

        Unknown field names raise ``TypeError``. Changing nothing writes nothing.
        """
        unknown = sorted(set(changes) - EDITABLE_FIELDS)
        if unknown:
            raise TypeError(f"edit() cannot change {', '.join(unknown)}")
        for name in ("keys", "tags", "sources"):
            if isinstance(changes.get(name), str):
                raise TypeError(f"edit(): {name} must be a sequence, not a string")
        return self._change(
            fact_id, "edit", lambda fact: replace(fact, **changes), actor, guild_id, reason
        )

    def merge_edit(
        self,
        fact_id: str,
        base: Fact,
        *,
        actor: str,
        guild_id: int | None = None,
        reason: str = "",
        **changes: Any,
    ) -> Fact:
        """:meth:`edit` for changes prepared from an older copy ``base`` (say, a filled form).

        Only the given fields are written, so other fields changed meanwhile are kept. A
        given field that someone else changed since ``base``, to a different value, raises
        :class:`EditConflict` naming it; the check and the write share one transaction.
        """
        unknown = sorted(set(changes) - EDITABLE_FIELDS)
        if unknown:
            raise TypeError(f"merge_edit() cannot change {', '.join(unknown)}")
        wanted = {name: _plain(value) for name, value in changes.items()}

        def merge(current: Fact) -> Fact:
            clashes = sorted(
                name
                for name, value in wanted.items()
                if _plain(getattr(current, name)) not in (_plain(getattr(base, name)), value)
            )
            if clashes:
                raise EditConflict(fact_id, clashes, current.rev)
            return replace(current, **wanted)

        return self._change(fact_id, "edit", merge, actor, guild_id, reason)

    def add_key(
        self, fact_id: str, key: str, *, actor: str, guild_id: int | None = None, reason: str = ""
    ) -> Fact:
        """Give the fact one more key; a key it already has (ignoring case/spacing) is a no-op."""

        def add(fact: Fact) -> Fact:
            if normalize_key(key) in {normalize_key(k) for k in fact.keys}:
                return fact
            return replace(fact, keys=(*fact.keys, key))

        return self._change(fact_id, "add_key", add, actor, guild_id, reason)

    def remove_key(
        self, fact_id: str, key: str, *, actor: str, guild_id: int | None = None, reason: str = ""
    ) -> Fact:
        """Remove a key (matched ignoring case/spacing); :class:`ValidationError` if absent."""

        def remove(fact: Fact) -> Fact:
            kept = tuple(k for k in fact.keys if normalize_key(k) != normalize_key(key))
            if len(kept) == len(fact.keys):
                raise ValidationError(
                    [Problem(f"the fact has no key {key!r}", fact_id=fact.id, field="keys")]
                )
            return replace(fact, keys=kept)

        return self._change(fact_id, "remove_key", remove, actor, guild_id, reason)

    def add_source(
        self,
        fact_id: str,
        source: Source,
        *,
        actor: str,
        guild_id: int | None = None,
        reason: str = "",
    ) -> Fact:
        """Append a source (validated like any other: its quote must be in its document)."""
        return self._change(
            fact_id,
            "add_source",
            lambda fact: replace(fact, sources=(*fact.sources, source)),
            actor,
            guild_id,
            reason,
        )

    def remove_source(
        self,
        fact_id: str,
        index: int,
        *,
        actor: str,
        guild_id: int | None = None,
        reason: str = "",
    ) -> Fact:
        """Remove the source at 0-based ``index``; a fact keeps at least one source."""

        def remove(fact: Fact) -> Fact:
            if not 0 <= index < len(fact.sources):
                raise ValidationError(
                    [
                        Problem(
                            f"no source number {index}; the fact has {len(fact.sources)}",
                            fact_id=fact.id,
                            field="sources",
                        )
                    ]
                )
            return replace(fact, sources=fact.sources[:index] + fact.sources[index + 1 :])

        return self._change(fact_id, "remove_source", remove, actor, guild_id, reason)

    def retire(
        self, fact_id: str, *, actor: str, guild_id: int | None = None, reason: str = ""
    ) -> Fact:
        """Take the fact out of service (soft delete): it keeps its history, frees its keys."""
        return self._status_change(
            fact_id, "retire", {"status": "retired"}, actor, guild_id, reason
        )

    def restore(
        self, fact_id: str, *, actor: str, guild_id: int | None = None, reason: str = ""
    ) -> Fact:
        """Put a retired fact back in service; it must still be valid and its keys free."""
        return self._status_change(
            fact_id, "restore", {"status": "active"}, actor, guild_id, reason
        )

    def lock(
        self, fact_id: str, *, actor: str, guild_id: int | None = None, reason: str = ""
    ) -> Fact:
        """Protect the fact: every action but unlock raises :class:`FactLocked`."""
        return self._status_change(fact_id, "lock", {"locked": True}, actor, guild_id, reason)

    def unlock(
        self, fact_id: str, *, actor: str, guild_id: int | None = None, reason: str = ""
    ) -> Fact:
        """Lift the lock."""
        return self._status_change(fact_id, "unlock", {"locked": False}, actor, guild_id, reason)

    def revert(
        self,
        fact_id: str,
        rev: int,
        *,
        actor: str,
        guild_id: int | None = None,
        reason: str = "",
    ) -> Fact:
        """Record a new revision whose state equals the state right after revision ``rev``.

        The whole state comes back, status and lock included; :class:`RevisionNotFound` if
        the fact has no such revision.
        """

        def back(fact: Fact) -> Fact:
            row = self._db.conn.execute(
                "SELECT after FROM revisions WHERE fact_id = ? AND rev = ?", (fact_id, rev)
            ).fetchone()
            state = _json_or_none(row[0]) if row else None
            if state is None:
                raise RevisionNotFound(fact_id, rev)
            return fact_from_state(state, rev=fact.rev)

        return self._change(
            fact_id, "revert", back, actor, guild_id, reason or f"revert to rev {rev}"
        )

    def _status_change(
        self,
        fact_id: str,
        action: str,
        fields: dict[str, Any],
        actor: str,
        guild_id: int | None,
        reason: str,
    ) -> Fact:
        return self._change(
            fact_id, action, lambda fact: replace(fact, **fields), actor, guild_id, reason
        )

    def _change(
        self,
        fact_id: str,
        action: str,
        transform: Callable[[Fact], Fact],
        actor: str,
        guild_id: int | None,
        reason: str,
    ) -> Fact:
        """Apply ``transform`` to the stored fact under the write lock and record the result.

        Order of refusals: unknown fact, lock, the transform's own errors, validation, keys.
        A transform that changes nothing writes nothing and returns the fact as it is.
        """
        stamp = self._stamp(actor, guild_id, reason)
        with self._writing() as conn:
            before = self._get(fact_id)
            if before.locked and action not in ("lock", "unlock"):
                raise FactLocked(fact_id)
            after = _tuples(transform(before))
            if after == before:
                return before
            after = replace(after, rev=before.rev + 1)
            # Taking a fact out of service or (un)locking it must work even when its content
            # no longer validates (say, a document's text changed): that is when you need it.
            back_in_service = before.status == "retired" and after.status == "active"
            self._check(after, check_content=_content(after) != _content(before) or back_in_service)
            self._save(conn, _Write(before, after), action, stamp)
            self._bump_changes(conn)
        return after

    # --- documents and whole sets ------------------------------------------------------------

    def put_documents(self, documents: Iterable[Document]) -> None:
        """Insert or update source documents by id (documents are never deleted)."""
        docs = list(documents)
        _raise_problems(_document_problems(docs))
        with self._writing() as conn:
            if self._upsert_documents(conn, docs):
                self._bump_changes(conn)

    def sync(
        self,
        documents: Iterable[Document],
        facts: Iterable[Fact],
        *,
        actor: str,
        guild_id: int | None = None,
        reason: str = "",
        retire_missing: bool = True,
        dry_run: bool = False,
    ) -> SyncReport:
        """Make the store hold exactly this fact set (a load or an import), all or nothing.

        Everything is validated first, against the stored documents updated with
        ``documents``; a :class:`ValidationError` lists every problem, key clashes in the
        resulting set included. Then, in one transaction: documents are upserted, new facts
        added, changed ones edited (an edit also restores a retired fact), active facts
        missing from the set retired (unless ``retire_missing`` is false). Unchanged facts
        get no revision; every revision written has the action ``load``. A locked fact that
        would change, be retired or be restored refuses the whole sync with
        :class:`FactLocked`. The given facts' status, lock and rev are ignored. With
        ``dry_run`` the report says what would happen and nothing is written.
        """
        docs = list(documents)
        incoming = [_tuples(fact) for fact in facts]
        stamp = self._stamp(actor, guild_id, reason)
        if dry_run:
            with self._reading():
                report, _ = self._plan_sync(docs, incoming, retire_missing)
            return replace(report, dry_run=True)
        with self._writing() as conn:
            report, writes = self._plan_sync(docs, incoming, retire_missing)
            wrote = self._upsert_documents(conn, docs)
            # Keys may move between facts within one load (a renamed id keeps its keys). The
            # unique index checks every statement, not the end state, so clear the keys of
            # every fact about to be written first; the end state was checked for clashes.
            conn.executemany(
                "DELETE FROM fact_keys WHERE fact_id = ?", [(w.after.id,) for w in writes]
            )
            for write in writes:
                self._save(conn, write, "load", replace(stamp, reason=stamp.reason or write.reason))
            if wrote or writes:
                self._bump_changes(conn)
        return report

    def _plan_sync(
        self, docs: list[Document], incoming: list[Fact], retire_missing: bool
    ) -> tuple[SyncReport, list[_Write]]:
        """What a sync would write, after checking everything; raises before any write."""
        known = self._documents(None) | {doc.id: doc for doc in docs}
        existing = {fact.id: fact for fact in self._load_facts(None, include_retired=True)}
        problems = _document_problems(docs) + self._set_problems(incoming, known)
        kept = [] if retire_missing else _missing(existing, incoming)
        # Facts staying as they are claim their keys first: a clash is the newcomer's to fix.
        problems += _key_clashes([*kept, *incoming])
        _raise_problems(problems)
        added, changed, unchanged, writes = _classify(existing, incoming)
        retired: list[str] = []
        if retire_missing:
            for old in _missing(existing, incoming):
                retired.append(old.id)
                gone = replace(old, status="retired", rev=old.rev + 1)
                writes.append(_Write(old, gone, "missing from the loaded set"))
        locked = sorted(w.after.id for w in writes if w.before is not None and w.before.locked)
        if locked:
            raise FactLocked(locked[0])
        report = SyncReport(
            added=tuple(sorted(added)),
            changed=tuple(sorted(changed)),
            unchanged=tuple(sorted(unchanged)),
            retired=tuple(sorted(retired)),
        )
        return report, writes

    def _set_problems(self, incoming: list[Fact], known: Mapping[str, Document]) -> list[Problem]:
        """Every problem of every fact in a set, duplicate ids included."""
        today = self._clock().date()
        problems: list[Problem] = []
        seen: set[str] = set()
        for fact in incoming:
            if fact.id in seen:
                problems.append(Problem("duplicate fact id", fact_id=fact.id, field="id"))
            seen.add(fact.id)
            problems += fact_problem_list(fact, known, today=today) + _own_key_problems(fact)
        return problems

    # --- the query log -----------------------------------------------------------------------

    def log_query(
        self, answer: Answer, *, guild_id: int | None = None, channel_id: int | None = None
    ) -> None:
        """Record a question and the bot's verdict (never who asked)."""
        # The raw query may hold lone surrogates (SQLite would refuse them) or be huge.
        text = answer.query[:MAX_LOGGED_QUERY].encode("utf-8", "replace").decode("utf-8")
        fact_id = answer.fact.id if answer.fact is not None else None
        with self._writing() as conn:
            conn.execute(
                "INSERT INTO queries (at, query, status, fact_id, score, guild_id, channel_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    _iso_time(self._clock()),
                    text,
                    answer.status,
                    fact_id,
                    float(answer.score),
                    guild_id,
                    channel_id,
                ),
            )

    # --- digests -----------------------------------------------------------------------------

    def set_digest(
        self,
        guild_id: int,
        *,
        channel_id: int,
        schedule: str,
        local_time: str | time,
        timezone: str,
        weekday: int | str | None = None,
        enabled: bool = True,
        skip_empty: bool = False,
        actor: str,
        reason: str = "",
    ) -> DigestSettings:
        """Create or replace the guild's digest settings; the change is logged with ``actor``.

        Values are validated and normalised (see :func:`knowledge.digest.make_settings`):
        :class:`InvalidSetting` names the bad one. Setting what is already set writes nothing.
        """
        stamp = self._stamp(actor, guild_id, reason)
        settings = make_settings(
            guild_id,
            channel_id=channel_id,
            schedule=schedule,
            local_time=local_time,
            timezone=timezone,
            weekday=weekday,
            enabled=enabled,
            skip_empty=skip_empty,
            configured_by=actor,
            configured_at=datetime.fromisoformat(stamp.at),
        )
        with self._writing() as conn:
            before = self._digest_settings(guild_id)
            if before is not None and _digest_choice(before) == _digest_choice(settings):
                return before
            self._write_digest(conn, settings)
            self._log_digest_change(conn, "set", before, settings, stamp)
        return settings

    def disable_digest(
        self, guild_id: int, reason: str, *, actor: str = "sitrep"
    ) -> DigestSettings:
        """Turn the guild's digest off, saying why (kept, shown, logged); no-op if already off.

        :class:`DigestNotConfigured` if the guild has none. ``set_digest`` turns it back on.
        """
        stamp = self._stamp(actor, guild_id, reason)
        with self._writing() as conn:
            before = self._digest_settings(guild_id)
            if before is None:
                raise DigestNotConfigured(guild_id)
            if not before.enabled:
                return before
            after = replace(before, enabled=False, disabled_reason=reason)
            self._write_digest(conn, after)
            self._log_digest_change(conn, "disable", before, after, stamp)
        return after

    def digest_settings(self, guild_id: int) -> DigestSettings | None:
        """The guild's digest settings, or ``None`` if it has never set one up."""
        with self._reading():
            return self._digest_settings(guild_id)

    def all_digest_settings(self, *, enabled_only: bool = False) -> list[DigestSettings]:
        """Every guild's digest settings (only enabled ones, if asked), by guild id."""
        sql = f"SELECT {_DIGEST_COLUMNS} FROM digest_settings"
        if enabled_only:
            sql += " WHERE enabled = 1"
        rows = self._db.conn.execute(sql + " ORDER BY guild_id").fetchall()
        return [_digest_from_row(row) for row in rows]

    def digest_history(self, guild_id: int) -> list[DigestChange]:
        """Every recorded change of the guild's digest settings, oldest first."""
        rows = self._db.conn.execute(
            "SELECT id, guild_id, action, actor, at, before, after, reason FROM digest_changes"
            " WHERE guild_id = ? ORDER BY id",
            (guild_id,),
        ).fetchall()
        return [_digest_change_from_row(row) for row in rows]

    def digest_posted(self, guild_id: int, period_key: str) -> bool:
        """True once the period is settled: posted, or recorded as skipped.

        A failed attempt does not count, so the period may be tried again.
        """
        row = self._db.conn.execute(
            "SELECT status FROM digest_runs WHERE guild_id = ? AND period_key = ?",
            (guild_id, period_key),
        ).fetchone()
        return row is not None and row[0] in _SETTLED

    def record_digest_run(
        self,
        guild_id: int,
        period_key: str,
        status: DigestRunStatus,
        message_id: int | None = None,
        note: str = "",
        *,
        covered_until: datetime | None = None,
    ) -> bool:
        """Record what happened to a period; ``False`` (and nothing written) if already settled.

        A period is recorded once: a second ``posted`` or ``skipped`` for it is refused. A
        ``failed`` record may be followed by another attempt (the count goes up) and, finally,
        by ``posted`` or ``skipped``. ``covered_until`` is the end of the window the digest
        covered, where the next one starts (see :meth:`digest_since`).
        """
        if status not in ("posted", "skipped", "failed"):
            raise ValueError(f"unknown digest run status {status!r}")
        if not isinstance(period_key, str) or not period_key.strip():
            raise ValueError("a digest run needs a period key")
        text = note[:MAX_REASON].encode("utf-8", "replace").decode("utf-8")
        until = None if covered_until is None else _iso_time(covered_until)
        with self._writing() as conn:
            cursor = conn.execute(
                "INSERT INTO digest_runs (guild_id, period_key, status, message_id, at, note,"
                " covered_until) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (guild_id, period_key) DO UPDATE SET"
                " status = excluded.status, message_id = excluded.message_id, at = excluded.at,"
                " note = excluded.note, covered_until = excluded.covered_until,"
                " attempts = digest_runs.attempts + 1"
                " WHERE digest_runs.status = 'failed'",
                (
                    guild_id,
                    period_key,
                    status,
                    message_id,
                    _iso_time(self._clock()),
                    text,
                    until,
                ),
            )
            return cursor.rowcount > 0

    def digest_runs(self, guild_id: int) -> list[DigestRun]:
        """Every recorded period of the guild, in the order first recorded."""
        rows = self._db.conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM digest_runs WHERE guild_id = ? ORDER BY id",
            (guild_id,),
        ).fetchall()
        return [_run_from_row(row) for row in rows]

    def last_digest_run(self, guild_id: int) -> DigestRun | None:
        """The settled (posted or skipped) run of the guild's latest period, if any.

        Its ``period_key`` is what :func:`knowledge.digest.due_periods` calls the last
        posted key. "Latest" goes by the period's date, not the order of recording.
        """
        rows = self._db.conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM digest_runs"
            " WHERE guild_id = ? AND status IN ('posted', 'skipped') ORDER BY id DESC LIMIT 64",
            (guild_id,),
        ).fetchall()
        runs = [(key_date(row[2]), -index, row) for index, row in enumerate(rows)]
        dated = [(day, order, row) for day, order, row in runs if day is not None]
        if not dated:
            return _run_from_row(rows[0]) if rows else None
        return _run_from_row(max(dated, key=lambda item: (item[0], item[1]))[2])

    def digest_since(self, guild_id: int | None = None) -> datetime | None:
        """Where the next digest's window starts: the latest ``covered_until`` recorded.

        For one guild, or over every guild with ``None``; ``None`` if nothing was recorded.
        """
        sql = (
            "SELECT max(covered_until) FROM digest_runs"
            " WHERE status IN ('posted', 'skipped') AND covered_until IS NOT NULL"
        )
        params: tuple[int, ...] = ()
        if guild_id is not None:
            sql += " AND guild_id = ?"
            params = (guild_id,)
        row = self._db.conn.execute(sql, params).fetchone()
        return None if row is None or row[0] is None else datetime.fromisoformat(row[0])

    def revisions(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[Revision]:
        """Revisions of every fact recorded at or after ``since`` and before ``until``."""
        where, params = _window(since, until)
        rows = self._db.conn.execute(
            f"SELECT {_REVISION_COLUMNS} FROM revisions{where} ORDER BY id", params
        ).fetchall()
        return [_revision_from_row(row) for row in rows]

    def digest_inputs(
        self, since: datetime, until: datetime, *, guild_id: int | None = None
    ) -> DigestInputs:
        """What a digest of ``since``–``until`` is built from, read in one snapshot.

        Every fact (retired too, for titles), the revisions of the window, and the window's
        questions and answer feedback: those of ``guild_id`` only when given, so that one
        server's questions never show up in another's digest.
        """
        with self._reading() as conn:
            facts = self._load_facts(None, include_retired=True)
            revisions = self.revisions(since=since, until=until)
            where, params = _window(since, until)
            query_params: tuple[Any, ...] = params
            if guild_id is not None:
                where += " AND guild_id = ?"
                query_params = (*params, guild_id)
            rows = conn.execute(
                "SELECT id, at, query, status, fact_id, score, guild_id, channel_id FROM queries"
                f"{where} ORDER BY id",
                query_params,
            ).fetchall()
            feedback = self.feedback_summary(since, until=until, guild_id=guild_id)
        return DigestInputs(
            facts=tuple(facts),
            revisions=tuple(revisions),
            queries=tuple(_query_from_row(row) for row in rows),
            feedback=tuple(feedback),
        )

    # --- answer feedback -----------------------------------------------------------------------

    def record_feedback(
        self,
        message_id: int,
        user_id: int,
        vote: int,
        *,
        fact_id: str | None = None,
        query_id: int | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
    ) -> bool:
        """Record one person's vote (+1 or -1) on one answer; ``False`` if nothing changed.

        Each person has one vote per answer message: voting again replaces it. The user id is
        not stored, only a keyed hash of (message, user) that tells repeat votes apart. Give
        the answered ``fact_id`` or the logged ``query_id`` (its fact is looked up).
        """
        if vote not in (1, -1) or isinstance(vote, bool):
            raise ValueError("a vote is +1 or -1")
        if fact_id is None and query_id is None:
            raise ValueError("feedback needs the fact_id or the query_id it is about")
        with self._writing() as conn:
            if fact_id is None:
                row = conn.execute(
                    "SELECT fact_id FROM queries WHERE id = ?", (query_id,)
                ).fetchone()
                fact_id = None if row is None else row[0]
            cursor = conn.execute(
                "INSERT INTO feedback (at, message_id, voter, vote, fact_id, query_id, guild_id,"
                " channel_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (message_id, voter) DO UPDATE SET"
                " vote = excluded.vote, at = excluded.at"
                " WHERE feedback.vote != excluded.vote",
                (
                    _iso_time(self._clock()),
                    message_id,
                    self._voter(message_id, user_id),
                    vote,
                    fact_id,
                    query_id,
                    guild_id,
                    channel_id,
                ),
            )
            return cursor.rowcount > 0

    def feedback_summary(
        self,
        since: datetime | None = None,
        *,
        until: datetime | None = None,
        guild_id: int | None = None,
    ) -> list[FeedbackCount]:
        """``(fact_id, up, down)`` per fact voted on in the window, most down votes first."""
        where, params = _window(since, until)
        where += " AND fact_id IS NOT NULL" if where else " WHERE fact_id IS NOT NULL"
        all_params: tuple[Any, ...] = params
        if guild_id is not None:
            where += " AND guild_id = ?"
            all_params = (*params, guild_id)
        rows = self._db.conn.execute(
            "SELECT fact_id, sum(vote = 1) AS up, sum(vote = -1) AS down FROM feedback"
            f"{where} GROUP BY fact_id ORDER BY down DESC, up, fact_id",
            all_params,
        ).fetchall()
        return [FeedbackCount(str(row[0]), int(row[1]), int(row[2])) for row in rows]

    def _voter(self, message_id: int, user_id: int) -> str:
        """The keyed hash that stands for one user on one answer message."""
        row = self._db.conn.execute("SELECT value FROM salts WHERE name = 'feedback'").fetchone()
        digest = hmac.new(bytes(row[0]), f"{message_id}:{user_id}".encode(), hashlib.sha256)
        return digest.hexdigest()[:32]

    # --- internals: digests ----------------------------------------------------------------

    def _digest_settings(self, guild_id: int) -> DigestSettings | None:
        row = self._db.conn.execute(
            f"SELECT {_DIGEST_COLUMNS} FROM digest_settings WHERE guild_id = ?", (guild_id,)
        ).fetchone()
        return None if row is None else _digest_from_row(row)

    def _write_digest(self, conn: sqlite3.Connection, settings: DigestSettings) -> None:
        state = _digest_state(settings)
        columns = ", ".join(state)
        conn.execute(
            f"INSERT OR REPLACE INTO digest_settings ({columns})"
            f" VALUES ({', '.join(':' + name for name in state)})",
            state,
        )

    def _log_digest_change(
        self,
        conn: sqlite3.Connection,
        action: str,
        before: DigestSettings | None,
        after: DigestSettings,
        stamp: _Stamp,
    ) -> None:
        conn.execute(
            "INSERT INTO digest_changes (guild_id, action, actor, at, before, after, reason)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                after.guild_id,
                action,
                stamp.actor,
                stamp.at,
                _dump(None if before is None else _digest_state(before)),
                _dump(_digest_state(after)),
                stamp.reason,
            ),
        )

    # --- internals: reading ------------------------------------------------------------------

    def _exists(self, fact_id: str) -> bool:
        """True if a fact (of any status) has this id."""
        row = self._db.conn.execute("SELECT 1 FROM facts WHERE id = ?", (fact_id,)).fetchone()
        return row is not None

    def _get(self, fact_id: str) -> Fact:
        """One fact of any status, inside the caller's transaction."""
        found = self._load_facts(fact_id, include_retired=True)
        if not found:
            raise FactNotFound(fact_id)
        return found[0]

    def _load_facts(self, fact_id: str | None, *, include_retired: bool) -> list[Fact]:
        """Facts with their keys, tags and sources in four queries, however many there are.

        Child rows are read for every fact and matched up in Python: joining each of them to
        ``facts`` to filter out the (few) retired ones costs more than it saves.
        """
        conn = self._db.conn
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

    def _documents(self, ids: Iterable[str] | None) -> dict[str, Document]:
        """The documents with these ids (all of them for ``None``), in id order."""
        conn = self._db.conn
        sql = f"SELECT {_DOCUMENT_COLUMNS} FROM documents"
        if ids is None:
            rows = conn.execute(sql + " ORDER BY id").fetchall()
        else:
            rows = [r for i in sorted(set(ids)) for r in conn.execute(sql + " WHERE id = ?", (i,))]
        return {row[0]: _document_from_row(row) for row in rows}

    # --- internals: checking and writing -----------------------------------------------------

    def _stamp(self, actor: str, guild_id: int | None, reason: str) -> _Stamp:
        """The who/where/when/why of a change; ``ValueError`` without an actor."""
        if not isinstance(actor, str) or not actor.strip():
            raise ValueError("every change needs an actor (who made it)")
        problems = [
            Problem(f"reason {message}", field="reason") for message in _reason_problems(reason)
        ]
        _raise_problems(problems)
        return _Stamp(actor, guild_id, reason, _iso_time(self._clock()))

    def _check(self, fact: Fact, *, check_content: bool) -> None:
        """Refuse an invalid fact (all problems at once), then a key another fact owns."""
        if check_content:
            cited = [s.document for s in fact.sources if s.document is not None]
            documents = self._documents(cited)
            today = self._clock().date()
            _raise_problems(
                fact_problem_list(fact, documents, today=today) + _own_key_problems(fact)
            )
        if fact.status == "active":
            self._check_keys_free(fact)

    def _check_keys_free(self, fact: Fact) -> None:
        for key in fact.keys:
            row = self._db.conn.execute(
                "SELECT f.id, f.title FROM fact_keys k JOIN facts f ON f.id = k.fact_id"
                " WHERE k.norm_key = ? AND k.active = 1 AND k.fact_id != ?",
                (normalize_key(key), fact.id),
            ).fetchone()
            if row is not None:
                raise KeyConflict(key, row[0], row[1])

    def _save(self, conn: sqlite3.Connection, write: _Write, action: str, stamp: _Stamp) -> None:
        """Write the fact's new state and, in the same transaction, its revision row."""
        self._write_fact(conn, write.after, stamp.at)
        self._write_revision(conn, write, action, stamp)

    def _write_fact(self, conn: sqlite3.Connection, fact: Fact, at: str) -> None:
        """Insert or overwrite the fact's row and replace its keys, tags and sources."""
        conn.execute(
            _UPSERT_FACT_SQL,
            {
                "id": fact.id,
                "title": fact.title,
                "answer": fact.answer,
                "as_of": fact.as_of.isoformat(),
                "review_by": _iso_date(fact.review_by),
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
            "INSERT INTO fact_keys (fact_id, position, key, norm_key, active)"
            " VALUES (?, ?, ?, ?, ?)",
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
                (
                    fact.id,
                    i,
                    s.document,
                    s.url,
                    s.title,
                    s.publisher,
                    _iso_date(s.published),
                    s.quote,
                )
                for i, s in enumerate(fact.sources)
            ],
        )

    def _write_revision(
        self, conn: sqlite3.Connection, write: _Write, action: str, stamp: _Stamp
    ) -> None:
        """Append the revision row that records ``write``."""
        before = None if write.before is None else fact_state(write.before)
        conn.execute(
            _REVISION_SQL,
            (
                write.after.id,
                write.after.rev,
                action,
                stamp.actor,
                stamp.guild_id,
                stamp.at,
                _dump(before),
                _dump(fact_state(write.after)),
                stamp.reason,
            ),
        )

    def _upsert_documents(self, conn: sqlite3.Connection, docs: Sequence[Document]) -> int:
        """Write the documents that are new or differ from the stored ones; return how many."""
        stored = self._documents(doc.id for doc in docs)
        fresh = [doc for doc in docs if stored.get(doc.id) != doc]
        if fresh:
            self._db.table("documents").upsert_all([_document_row(doc) for doc in fresh], pk="id")
        return len(fresh)

    def _bump_changes(self, conn: sqlite3.Connection) -> None:
        """Count one committed write (see :attr:`changes`); call once per transaction."""
        conn.execute("UPDATE meta SET value = value + 1 WHERE name = 'changes'")


# --- module helpers ----------------------------------------------------------------------------


def _tuples(fact: Fact) -> Fact:
    """The fact with keys, tags and sources as tuples (callers may hand in lists)."""
    return replace(fact, keys=tuple(fact.keys), tags=tuple(fact.tags), sources=tuple(fact.sources))


def _plain(value: Any) -> Any:
    """A field's value for comparison: lists as tuples (a form gives lists, the store tuples)."""
    return tuple(value) if isinstance(value, list) else value


def _raise_problems(problems: list[Problem]) -> None:
    if problems:
        raise ValidationError(problems)


def _reason_problems(reason: object) -> list[str]:
    if not isinstance(reason, str):
        return [f"must be text, not {type(reason).__name__}"]
    problems: list[str] = []
    if len(reason) > MAX_REASON:
        problems.append(f"is {len(reason)} characters long; the limit is {MAX_REASON}")
    bad = bad_characters(reason)
    if bad:
        problems.append(f"contains control or invisible formatting characters ({', '.join(bad)})")
    return problems


def _document_problems(docs: Sequence[Document]) -> list[Problem]:
    """The few rules the store itself needs of a document: an id, once, and text values."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for doc in docs:
        if not isinstance(doc.id, str) or not doc.id.strip():
            problems.append(Problem("a source document needs an id", field="documents"))
            continue
        if doc.id in seen:
            problems.append(Problem(f"duplicate source document id {doc.id!r}", field="documents"))
        seen.add(doc.id)
        for name in ("title", "publisher", "url", "text"):
            value = getattr(doc, name)
            if not isinstance(value, str) or bad_characters(value, allow_newlines=True):
                problems.append(
                    Problem(f"document {doc.id!r}: {name} must be plain text", field="documents")
                )
    return problems


def _own_key_problems(fact: Fact) -> list[Problem]:
    """Keys of one fact that collide once spacing is collapsed.

    Validation already reports keys equal ignoring case; the store's notion of "the same key"
    also ignores runs of spaces, and the unique index would otherwise fail obscurely.
    """
    problems: list[Problem] = []
    folded: set[str] = set()
    normal: set[str] = set()
    for i, key in enumerate(fact.keys):
        if not isinstance(key, str):
            continue
        fold, norm = key.casefold().strip(), normalize_key(key)
        if norm in normal and fold not in folded:
            problems.append(Problem(f"duplicate key {key!r}", fact_id=fact.id, field=f"keys[{i}]"))
        folded.add(fold)
        normal.add(norm)
    return problems


def _key_clashes(active: Sequence[Fact]) -> list[Problem]:
    """Keys that more than one of the given (to be active) facts claim."""
    owner: dict[str, str] = {}
    problems: list[Problem] = []
    for fact in active:
        for i, key in enumerate(fact.keys):
            if not isinstance(key, str):
                continue
            first = owner.setdefault(normalize_key(key), fact.id)
            if first != fact.id:
                problems.append(
                    Problem(
                        f"key {key!r} also belongs to fact {first!r}",
                        fact_id=fact.id,
                        field=f"keys[{i}]",
                    )
                )
    return problems


def _missing(existing: Mapping[str, Fact], incoming: Sequence[Fact]) -> list[Fact]:
    """Active stored facts that the incoming set does not mention."""
    ids = {fact.id for fact in incoming}
    return [fact for fact in existing.values() if fact.status == "active" and fact.id not in ids]


def _classify(
    existing: Mapping[str, Fact], incoming: Sequence[Fact]
) -> tuple[list[str], list[str], list[str], list[_Write]]:
    """Sort the incoming facts into added, changed and unchanged, with the writes needed."""
    added: list[str] = []
    changed: list[str] = []
    unchanged: list[str] = []
    writes: list[_Write] = []
    for fact in incoming:
        old = existing.get(fact.id)
        if old is None:
            added.append(fact.id)
            writes.append(_Write(None, replace(fact, status="active", locked=False, rev=1)))
            continue
        new = replace(fact, status="active", locked=old.locked, rev=old.rev)
        if fact_state(new) == fact_state(old):
            unchanged.append(fact.id)
        else:
            changed.append(fact.id)
            writes.append(_Write(old, replace(new, rev=old.rev + 1)))
    return added, changed, unchanged, writes


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


def _document_row(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.id,
        "title": doc.title,
        "publisher": doc.publisher,
        "published": _iso_date(doc.published),
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


def _revision_from_row(row: Sequence[Any]) -> Revision:
    rev_id, fact_id, rev, action, actor, guild_id, at, before, after, reason = row
    return Revision(
        id=int(rev_id),
        fact_id=fact_id,
        rev=int(rev),
        action=action,
        actor=actor,
        at=datetime.fromisoformat(at),
        before=_json_or_none(before),
        after=_json_or_none(after),
        reason=reason,
        guild_id=guild_id,
    )


def _query_from_row(row: Sequence[Any]) -> QueryRecord:
    query_id, at, query, status, fact_id, score, guild_id, channel_id = row
    return QueryRecord(
        id=int(query_id),
        at=datetime.fromisoformat(at),
        query=query,
        status=_answer_status(status),
        fact_id=fact_id,
        score=float(score),
        guild_id=guild_id,
        channel_id=channel_id,
    )


# --- digests and feedback: rows and states -----------------------------------------------------

_SETTLED = frozenset({"posted", "skipped"})
_DIGEST_COLUMNS = (
    "guild_id, channel_id, schedule, local_time, timezone, weekday, enabled, skip_empty,"
    " configured_by, configured_at, disabled_reason"
)
_RUN_COLUMNS = "id, guild_id, period_key, status, message_id, at, note, attempts, covered_until"


def _window(since: datetime | None, until: datetime | None) -> tuple[str, tuple[str, ...]]:
    """A ``WHERE`` clause on ``at`` for ``since`` (inclusive) to ``until`` (exclusive)."""
    clauses: list[str] = []
    params: list[str] = []
    if since is not None:
        clauses.append("at >= ?")
        params.append(_iso_time(since))
    if until is not None:
        clauses.append("at < ?")
        params.append(_iso_time(until))
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    return where, tuple(params)


def _digest_choice(settings: DigestSettings) -> tuple[Any, ...]:
    """What a moderator chooses: equal choices make ``set_digest`` a no-op."""
    return (
        settings.channel_id,
        settings.schedule,
        settings.local_time,
        settings.timezone,
        settings.weekday,
        settings.enabled,
        settings.skip_empty,
    )


def _digest_state(settings: DigestSettings) -> dict[str, Any]:
    """The settings as a row and as the JSON of the change log."""
    return {
        "guild_id": settings.guild_id,
        "channel_id": settings.channel_id,
        "schedule": settings.schedule,
        "local_time": settings.local_time.strftime("%H:%M"),
        "timezone": settings.timezone,
        "weekday": settings.weekday,
        "enabled": settings.enabled,
        "skip_empty": settings.skip_empty,
        "configured_by": settings.configured_by,
        "configured_at": None
        if settings.configured_at is None
        else _iso_time(settings.configured_at),
        "disabled_reason": settings.disabled_reason,
    }


def _digest_from_row(row: Sequence[Any]) -> DigestSettings:
    (
        guild_id,
        channel_id,
        schedule,
        local_time,
        timezone,
        weekday,
        enabled,
        skip_empty,
        configured_by,
        configured_at,
        disabled_reason,
    ) = row
    return DigestSettings(
        guild_id=int(guild_id),
        channel_id=int(channel_id),
        schedule="weekly" if schedule == "weekly" else "daily",
        local_time=time.fromisoformat(local_time),
        timezone=timezone,
        weekday=None if weekday is None else int(weekday),
        enabled=bool(enabled),
        skip_empty=bool(skip_empty),
        configured_by=configured_by,
        configured_at=datetime.fromisoformat(configured_at),
        disabled_reason=disabled_reason,
    )


def _digest_change_from_row(row: Sequence[Any]) -> DigestChange:
    change_id, guild_id, action, actor, at, before, after, reason = row
    return DigestChange(
        id=int(change_id),
        guild_id=int(guild_id),
        action=action,
        actor=actor,
        at=datetime.fromisoformat(at),
        before=_json_or_none(before),
        after=_json_or_none(after),
        reason=reason,
    )


def _run_status(value: object) -> DigestRunStatus:
    if value == "posted":
        return "posted"
    if value == "skipped":
        return "skipped"
    if value == "failed":
        return "failed"
    raise ValueError(f"unknown digest run status {value!r}")


def _run_from_row(row: Sequence[Any]) -> DigestRun:
    run_id, guild_id, period_key, status, message_id, at, note, attempts, covered_until = row
    return DigestRun(
        id=int(run_id),
        guild_id=int(guild_id),
        period_key=period_key,
        status=_run_status(status),
        at=datetime.fromisoformat(at),
        message_id=None if message_id is None else int(message_id),
        note=note,
        attempts=int(attempts),
        covered_until=None if covered_until is None else datetime.fromisoformat(covered_until),
    )
