"""FactStore: the one way facts get into, change in, and come out of Sitrep's database.

Every write is one ``BEGIN IMMEDIATE`` transaction that checks the rules first (validation,
locks, key ownership), then writes the change together with its revision row, so the audit
trail can never disagree with the data. No public method leaves a transaction open, also
when it raises. The store is meant to be used from one thread (SQLite connections are not
shareable across threads); other processes may read and write the same file concurrently.

A fact is stored as a ``facts`` row plus ordered ``fact_keys``, ``fact_tags`` and
``fact_sources`` rows (see :mod:`.rows`). Facts are never deleted: retiring is the delete,
and a retired fact keeps its history but gives its keys back, so another fact may take them.

The other records of the same database hang off the store and share its connection and
transactions: :attr:`FactStore.queries` (the query log), :attr:`FactStore.feedback` (answer
votes), :attr:`FactStore.picks` ("did you mean" picks) and :attr:`FactStore.digests` (digest
settings and runs).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlite_utils

from ..errors import (
    EditConflict,
    FactExists,
    FactLocked,
    FactNotFound,
    KeyConflict,
    Problem,
    RevisionNotFound,
    ValidationError,
)
from ..models import Document, Fact, Revision, Source, SyncReport
from ..validation import fact_problem_list
from .checks import Stamp, make_stamp, own_key_problems, raise_problems
from .db import Transactions, utc_now, window
from .digests import DigestStore
from .documents import DocumentStore
from .feedback import FeedbackStore
from .migrations import migrate
from .picks import PickStore
from .plans import Write, plan_sync
from .querylog import QueryLog
from .rows import (
    document_row,
    dump,
    fact_from_state,
    fact_state,
    json_or_none,
    load_documents,
    load_facts,
    load_revisions,
    normalize_key,
    write_fact,
)

EDITABLE_FIELDS = frozenset({"title", "answer", "keys", "tags", "as_of", "review_by", "sources"})
"""The fields :meth:`FactStore.edit` accepts; id, status, lock and rev have their own actions."""

_REVISION_SQL = """
    INSERT INTO revisions (fact_id, rev, action, actor, guild_id, at, before, after, reason)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


class FactStore:
    """Facts, their sources and their history in one SQLite database; see the module docs.

    Opening a store brings the database's schema up to date (see :mod:`.migrations`).
    """

    queries: QueryLog
    """The query log: every question asked and the verdict."""
    feedback: FeedbackStore
    """Votes on answers."""
    picks: PickStore
    """"Did you mean" picks: the fact the asker of an unanswered question chose."""
    digests: DigestStore
    """Each guild's digest settings, the periods posted, and what a digest reads."""

    def __init__(
        self, db: sqlite_utils.Database, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        """Use ``db`` (migrating it first); ``clock`` stamps revisions and logged queries."""
        self._db = db
        self._clock = clock
        migrate(db)
        self._tx = Transactions(db)
        self.queries = QueryLog(self._tx, clock)
        self.feedback = FeedbackStore(self._tx, clock)
        self.picks = PickStore(self._tx, clock)
        self.digests = DigestStore(
            self._tx,
            clock,
            queries=self.queries,
            feedback=self.feedback,
            documents=DocumentStore(db, clock=clock),
            picks=self.picks,
        )

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
        return self._tx.changes

    # --- reads -------------------------------------------------------------------------------

    def get(self, fact_id: str) -> Fact:
        """The fact with that id, whatever its status; :class:`FactNotFound` if there is none."""
        with self._tx.reading():
            return self._get(fact_id)

    def facts(self, *, include_retired: bool = False) -> list[Fact]:
        """Every active fact (and retired ones too, if asked), sorted by id."""
        with self._tx.reading() as conn:
            return load_facts(conn, None, include_retired=include_retired)

    def documents(self) -> dict[str, Document]:
        """Every source document by id, in id order."""
        with self._tx.reading() as conn:
            return load_documents(conn, None)

    def is_empty(self) -> bool:
        """True if the store has never held a fact (retired ones count as held)."""
        with self._tx.reading() as conn:
            return bool(conn.execute("SELECT NOT EXISTS (SELECT 1 FROM facts)").fetchone()[0])

    def changed_since(self, revision_id: int) -> tuple[list[str], int]:
        """Ids of the facts with a revision newer than ``revision_id``, and the newest id.

        Derived data (the matcher's term index) uses it to catch up with only what changed.
        """
        with self._tx.reading() as conn:
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
        with self._tx.reading() as conn:
            revisions = load_revisions(conn, " WHERE fact_id = ?", (fact_id,), order="rev")
            if not revisions:
                self._get(fact_id)  # raises FactNotFound; an existing fact has no history yet
        return revisions

    def revisions(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[Revision]:
        """Revisions of every fact recorded at or after ``since`` and before ``until``."""
        return load_revisions(self._db.conn, *window(since, until))

    # --- single-fact writes ------------------------------------------------------------------

    def add(self, fact: Fact, *, actor: str, guild_id: int | None = None, reason: str = "") -> Fact:
        """Add a new fact (active, unlocked, rev 1); :class:`FactExists` if the id is taken."""
        stamp = self._stamp(actor, guild_id, reason)
        new = replace(_tuples(fact), status="active", locked=False, rev=1)
        with self._tx.writing() as conn:
            if self._exists(fact.id):
                raise FactExists(fact.id)
            self._check(new, check_content=True)
            self._save(conn, Write(None, new), "add", stamp)
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
            state = json_or_none(row[0]) if row else None
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
        with self._tx.writing() as conn:
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
            self._save(conn, Write(before, after), action, stamp)
            self._bump_changes(conn)
        return after

    # --- whole sets --------------------------------------------------------------------------

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
            with self._tx.reading():
                report, _ = self._plan_sync(docs, incoming, retire_missing)
            return replace(report, dry_run=True)
        with self._tx.writing() as conn:
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
    ) -> tuple[SyncReport, list[Write]]:
        """What a sync would write, after checking everything; raises before any write."""
        conn = self._db.conn
        return plan_sync(
            docs,
            incoming,
            known=load_documents(conn, None) | {doc.id: doc for doc in docs},
            existing={fact.id: fact for fact in load_facts(conn, None, include_retired=True)},
            retire_missing=retire_missing,
            today=self._clock().date(),
        )

    # --- internals ---------------------------------------------------------------------------

    def _exists(self, fact_id: str) -> bool:
        """True if a fact (of any status) has this id."""
        row = self._db.conn.execute("SELECT 1 FROM facts WHERE id = ?", (fact_id,)).fetchone()
        return row is not None

    def _get(self, fact_id: str) -> Fact:
        """One fact of any status, inside the caller's transaction."""
        found = load_facts(self._db.conn, fact_id, include_retired=True)
        if not found:
            raise FactNotFound(fact_id)
        return found[0]

    def _stamp(self, actor: str, guild_id: int | None, reason: str) -> Stamp:
        """The who/where/when/why of a change, stamped by the store's clock."""
        return make_stamp(actor, guild_id, reason, self._clock())

    def _check(self, fact: Fact, *, check_content: bool) -> None:
        """Refuse an invalid fact (all problems at once), then a key another fact owns."""
        if check_content:
            cited = [s.document for s in fact.sources if s.document is not None]
            documents = load_documents(self._db.conn, cited)
            today = self._clock().date()
            raise_problems(fact_problem_list(fact, documents, today=today) + own_key_problems(fact))
        if fact.status == "active":
            self._check_keys_free(fact)

    def key_owners(self, keys: Iterable[str]) -> dict[str, str]:
        """The active fact that owns each of ``keys`` (compared ignoring case and spacing),
        by key as given; keys nobody owns are left out."""
        owners: dict[str, str] = {}
        for key in keys:
            row = self._db.conn.execute(
                "SELECT fact_id FROM fact_keys WHERE norm_key = ? AND active = 1",
                (normalize_key(key),),
            ).fetchone()
            if row is not None:
                owners[key] = str(row[0])
        return owners

    def _check_keys_free(self, fact: Fact) -> None:
        for key in fact.keys:
            row = self._db.conn.execute(
                "SELECT f.id, f.title FROM fact_keys k JOIN facts f ON f.id = k.fact_id"
                " WHERE k.norm_key = ? AND k.active = 1 AND k.fact_id != ?",
                (normalize_key(key), fact.id),
            ).fetchone()
            if row is not None:
                raise KeyConflict(key, row[0], row[1])

    def _save(self, conn: sqlite3.Connection, write: Write, action: str, made: Stamp) -> None:
        """Write the fact's new state and, in the same transaction, its revision row."""
        write_fact(conn, write.after, made.at)
        self._write_revision(conn, write, action, made)

    def _write_revision(
        self, conn: sqlite3.Connection, write: Write, action: str, made: Stamp
    ) -> None:
        """Append the revision row that records ``write``."""
        before = None if write.before is None else fact_state(write.before)
        conn.execute(
            _REVISION_SQL,
            (
                write.after.id,
                write.after.rev,
                action,
                made.actor,
                made.guild_id,
                made.at,
                dump(before),
                dump(fact_state(write.after)),
                made.reason,
            ),
        )

    def _upsert_documents(self, conn: sqlite3.Connection, docs: Sequence[Document]) -> int:
        """Write the documents that are new or differ from the stored ones; return how many."""
        stored = load_documents(conn, (doc.id for doc in docs))
        fresh = [doc for doc in docs if stored.get(doc.id) != doc]
        if fresh:
            self._db.table("documents").upsert_all([document_row(doc) for doc in fresh], pk="id")
        return len(fresh)

    def _bump_changes(self, conn: sqlite3.Connection) -> None:
        """Count one committed write (see :attr:`changes`); call once per transaction."""
        self._tx.bump_changes(conn)


# --- module helpers ----------------------------------------------------------------------------


def _tuples(fact: Fact) -> Fact:
    """The fact with keys, tags and sources as tuples (callers may hand in lists)."""
    return replace(fact, keys=tuple(fact.keys), tags=tuple(fact.tags), sources=tuple(fact.sources))


def _plain(value: Any) -> Any:
    """A field's value for comparison: lists as tuples (a form gives lists, the store tuples)."""
    return tuple(value) if isinstance(value, list) else value


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
