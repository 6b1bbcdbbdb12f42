"""Schema versions of Sitrep's database, applied in order when a store opens it.

The version lives in ``PRAGMA user_version`` (a field of the database file's header, so it
needs no table of its own and is covered by transactions like any other write). Migration
number *n* (1-based) takes the schema from version *n - 1* to *n*; each one runs in its own
``BEGIN IMMEDIATE`` transaction together with the version bump, so a failure leaves both the
version and the data exactly as they were. A database newer than this code is refused rather
than guessed at: an older Sitrep writing to a newer schema could silently lose data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlite_utils

from ..errors import SchemaError

Migration = Callable[[sqlite_utils.Database], None]


def _v1_initial(db: sqlite_utils.Database) -> None:
    """Documents, facts with their keys/tags/sources, append-only revisions, the query log."""
    # Plain DDL rather than Table.create(): the CHECK constraints, partial index and triggers
    # have no sqlite-utils spelling, and one readable schema beats two half-schemas.
    for statement in _V1_SCHEMA:
        db.execute(statement)


_V1_SCHEMA: tuple[str, ...] = (
    """
    CREATE TABLE documents (
        id        TEXT PRIMARY KEY,
        title     TEXT NOT NULL,
        publisher TEXT NOT NULL DEFAULT '',
        published TEXT,                           -- ISO date, or NULL when unknown
        url       TEXT NOT NULL DEFAULT '',
        text      TEXT NOT NULL DEFAULT ''
    )
    """,
    """
    CREATE TABLE facts (
        id         TEXT PRIMARY KEY,
        title      TEXT NOT NULL,
        answer     TEXT NOT NULL,
        as_of      TEXT NOT NULL,                 -- ISO date
        review_by  TEXT,                          -- ISO date, or NULL
        status     TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
        locked     INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
        rev        INTEGER NOT NULL CHECK (rev >= 1),
        created_at TEXT NOT NULL,                 -- ISO timestamp, UTC
        updated_at TEXT NOT NULL
    )
    """,
    # Facts are never deleted (retiring is the delete), so no ON DELETE actions: they would
    # also stop a later migration from rebuilding ``facts`` inside its transaction.
    # ``active`` mirrors the owning fact's status so that the partial unique index below can
    # say "a key belongs to at most one ACTIVE fact": a retired fact gives its keys back,
    # which lets a fact file rename an id (retire old, add new, same keys) in one load.
    """
    CREATE TABLE fact_keys (
        fact_id  TEXT NOT NULL REFERENCES facts(id),
        position INTEGER NOT NULL,
        key      TEXT NOT NULL,
        norm_key TEXT NOT NULL,                   -- casefolded, whitespace collapsed
        active   INTEGER NOT NULL CHECK (active IN (0, 1)),
        PRIMARY KEY (fact_id, position)
    ) WITHOUT ROWID
    """,
    "CREATE UNIQUE INDEX fact_keys_norm_key ON fact_keys(norm_key) WHERE active = 1",
    """
    CREATE TABLE fact_tags (
        fact_id  TEXT NOT NULL REFERENCES facts(id),
        position INTEGER NOT NULL,
        tag      TEXT NOT NULL,
        PRIMARY KEY (fact_id, position)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX fact_tags_tag ON fact_tags(tag)",
    """
    CREATE TABLE fact_sources (
        fact_id     TEXT NOT NULL REFERENCES facts(id),
        position    INTEGER NOT NULL,
        document_id TEXT REFERENCES documents(id),  -- NULL for a url-only source
        url         TEXT NOT NULL DEFAULT '',
        title       TEXT NOT NULL DEFAULT '',
        publisher   TEXT NOT NULL DEFAULT '',
        published   TEXT,
        quote       TEXT NOT NULL,
        PRIMARY KEY (fact_id, position)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX fact_sources_document ON fact_sources(document_id)",
    """
    CREATE TABLE revisions (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        fact_id  TEXT NOT NULL REFERENCES facts(id),
        rev      INTEGER NOT NULL,
        action   TEXT NOT NULL,
        actor    TEXT NOT NULL,
        guild_id INTEGER,
        at       TEXT NOT NULL,                   -- ISO timestamp, UTC
        before   TEXT,                            -- JSON of the fact, NULL: did not exist
        after    TEXT,                            -- JSON of the fact
        reason   TEXT NOT NULL DEFAULT '',
        UNIQUE (fact_id, rev)
    )
    """,
    # The audit trail is only worth something if nobody can rewrite it, this code included.
    """
    CREATE TRIGGER revisions_no_update BEFORE UPDATE ON revisions
    BEGIN SELECT RAISE(ABORT, 'revisions are append-only'); END
    """,
    """
    CREATE TRIGGER revisions_no_delete BEFORE DELETE ON revisions
    BEGIN SELECT RAISE(ABORT, 'revisions are append-only'); END
    """,
    # The query log: what was asked and answered, where; never who asked.
    """
    CREATE TABLE queries (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        at         TEXT NOT NULL,                 -- ISO timestamp, UTC
        query      TEXT NOT NULL,
        status     TEXT NOT NULL CHECK (status IN ('answered', 'no_match')),
        fact_id    TEXT,                          -- no FK: the log outlives any fact edit
        score      REAL NOT NULL,
        guild_id   INTEGER,
        channel_id INTEGER
    )
    """,
    "CREATE INDEX queries_at ON queries(at)",
    # Small named counters; ``changes`` lets every process see that the fact set moved on.
    """
    CREATE TABLE meta (
        name  TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    )
    """,
    "INSERT INTO meta (name, value) VALUES ('changes', 0)",
)


def _v2_digests_feedback(db: sqlite_utils.Database) -> None:
    """Digest settings with their change log, digest runs, answer feedback and its salt."""
    for statement in _V2_SCHEMA:
        db.execute(statement)


_V2_SCHEMA: tuple[str, ...] = (
    # One row per guild: the current settings. Who changed them, and how, is in
    # digest_changes (an append-only log like revisions; revisions cannot hold it because
    # every revision belongs to a fact).
    """
    CREATE TABLE digest_settings (
        guild_id        INTEGER PRIMARY KEY,
        channel_id      INTEGER NOT NULL,
        schedule        TEXT NOT NULL CHECK (schedule IN ('daily', 'weekly')),
        local_time      TEXT NOT NULL,            -- HH:MM, 24-hour, local to timezone
        timezone        TEXT NOT NULL,            -- IANA name
        weekday         INTEGER CHECK (weekday BETWEEN 0 AND 6),  -- 0 = Monday
        enabled         INTEGER NOT NULL CHECK (enabled IN (0, 1)),
        skip_empty      INTEGER NOT NULL CHECK (skip_empty IN (0, 1)),
        configured_by   TEXT NOT NULL,
        configured_at   TEXT NOT NULL,            -- ISO timestamp, UTC
        disabled_reason TEXT NOT NULL DEFAULT '',
        CHECK ((schedule = 'weekly') = (weekday IS NOT NULL))
    )
    """,
    """
    CREATE TABLE digest_changes (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        guild_id INTEGER NOT NULL,
        action   TEXT NOT NULL,                   -- set | disable
        actor    TEXT NOT NULL,
        at       TEXT NOT NULL,                   -- ISO timestamp, UTC
        before   TEXT,                            -- JSON of the settings, NULL: none
        after    TEXT,
        reason   TEXT NOT NULL DEFAULT ''
    )
    """,
    "CREATE INDEX digest_changes_guild ON digest_changes(guild_id, id)",
    """
    CREATE TRIGGER digest_changes_no_update BEFORE UPDATE ON digest_changes
    BEGIN SELECT RAISE(ABORT, 'digest changes are append-only'); END
    """,
    """
    CREATE TRIGGER digest_changes_no_delete BEFORE DELETE ON digest_changes
    BEGIN SELECT RAISE(ABORT, 'digest changes are append-only'); END
    """,
    # One row per guild and period: the UNIQUE pair is what makes a period post once. A
    # failed attempt may be overwritten by a retry; a posted or skipped one is final.
    """
    CREATE TABLE digest_runs (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        guild_id      INTEGER NOT NULL,
        period_key    TEXT NOT NULL,              -- 2026-03-29 | 2026-W13
        status        TEXT NOT NULL CHECK (status IN ('posted', 'skipped', 'failed')),
        message_id    INTEGER,
        at            TEXT NOT NULL,              -- ISO timestamp, UTC, of the last write
        note          TEXT NOT NULL DEFAULT '',
        attempts      INTEGER NOT NULL DEFAULT 1 CHECK (attempts >= 1),
        covered_until TEXT,                       -- end of the window the digest covered
        UNIQUE (guild_id, period_key)
    )
    """,
    """
    CREATE TRIGGER digest_runs_settled BEFORE UPDATE ON digest_runs
    WHEN OLD.status != 'failed'
    BEGIN SELECT RAISE(ABORT, 'a posted or skipped digest run is final'); END
    """,
    """
    CREATE TRIGGER digest_runs_no_delete BEFORE DELETE ON digest_runs
    BEGIN SELECT RAISE(ABORT, 'digest runs are permanent'); END
    """,
    # Votes on answers: never who voted. ``voter`` is a keyed hash of (message, user), so it
    # only tells whether one person voted twice on one answer, not who, and it does not link
    # one person's votes on different answers.
    """
    CREATE TABLE feedback (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        at         TEXT NOT NULL,                 -- ISO timestamp, UTC, of the last vote
        message_id INTEGER NOT NULL,              -- the answer voted on
        voter      TEXT NOT NULL,
        vote       INTEGER NOT NULL CHECK (vote IN (-1, 1)),
        fact_id    TEXT,                          -- no FK, like the query log
        query_id   INTEGER,
        guild_id   INTEGER,
        channel_id INTEGER,
        UNIQUE (message_id, voter)
    )
    """,
    "CREATE INDEX feedback_at ON feedback(at)",
    """
    CREATE TABLE salts (
        name  TEXT PRIMARY KEY,
        value BLOB NOT NULL
    )
    """,
    "INSERT INTO salts (name, value) VALUES ('feedback', randomblob(32))",
)


def _v3_sources(db: sqlite_utils.Database) -> None:
    """Ingested source documents: versions, passages by offsets, ingest/remove events."""
    from .documents import create_schema  # the schema lives beside the code that writes it

    create_schema(db.conn)


def _v4_passage_answers(db: sqlite_utils.Database) -> None:
    """The query log records questions answered from a passage: status "passage" and its id."""
    for statement in _V4_SCHEMA:
        db.execute(statement)


# SQLite cannot change a CHECK constraint in place, so the query log is rebuilt (the
# documented create-copy-drop-rename) with its ids, and with its AUTOINCREMENT high-water
# mark: feedback rows point at query ids, so an id once given out is never given again.
_V4_SCHEMA: tuple[str, ...] = (
    """
    CREATE TABLE queries_v4 (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        at         TEXT NOT NULL,                 -- ISO timestamp, UTC
        query      TEXT NOT NULL,
        status     TEXT NOT NULL CHECK (status IN ('answered', 'no_match', 'passage')),
        fact_id    TEXT,                          -- no FK: the log outlives any fact edit
        score      REAL NOT NULL,
        guild_id   INTEGER,
        channel_id INTEGER,
        passage_id TEXT,                          -- DOC@VERSION:START-END; no FK either
        CHECK ((status = 'passage') = (passage_id IS NOT NULL))
    )
    """,
    "INSERT INTO queries_v4 (id, at, query, status, fact_id, score, guild_id, channel_id)"
    " SELECT id, at, query, status, fact_id, score, guild_id, channel_id FROM queries",
    "DELETE FROM sqlite_sequence WHERE name = 'queries_v4'",
    "INSERT INTO sqlite_sequence (name, seq)"
    " SELECT 'queries_v4', seq FROM sqlite_sequence WHERE name = 'queries'",
    "DROP TABLE queries",
    "ALTER TABLE queries_v4 RENAME TO queries",
    "CREATE INDEX queries_at ON queries(at)",
)


def _v5_suggestion_picks(db: sqlite_utils.Database) -> None:
    """ "Did you mean" picks: a question logged without an answer, and the fact its asker chose."""
    for statement in _V5_SCHEMA:
        db.execute(statement)


_V5_SCHEMA: tuple[str, ...] = (
    # A pick is what the asker said a question meant: it feeds the gaps report's proposals
    # of new keys. The text is copied from the query log so that a pick stands on its own;
    # the UNIQUE pair makes a repeated click on the same suggestion count once.
    """
    CREATE TABLE suggestion_picks (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        at       TEXT NOT NULL,                   -- ISO timestamp, UTC
        query_id INTEGER NOT NULL,                -- the logged question; no FK, like feedback
        query    TEXT NOT NULL,                   -- its text as asked
        fact_id  TEXT NOT NULL,                   -- the fact picked; no FK, like the query log
        guild_id INTEGER,
        picker   TEXT NOT NULL,                   -- keyed hash of (guild, user), never the user
        UNIQUE (query_id, fact_id)
    )
    """,
    "CREATE INDEX suggestion_picks_at ON suggestion_picks(at)",
    """
    CREATE TRIGGER suggestion_picks_no_update BEFORE UPDATE ON suggestion_picks
    BEGIN SELECT RAISE(ABORT, 'suggestion picks are append-only'); END
    """,
    """
    CREATE TRIGGER suggestion_picks_no_delete BEFORE DELETE ON suggestion_picks
    BEGIN SELECT RAISE(ABORT, 'suggestion picks are append-only'); END
    """,
    # Its own salt: a picker's hash says nothing about their votes, nor theirs about picks.
    "INSERT INTO salts (name, value) VALUES ('picks', randomblob(32))",
)


MIGRATIONS: tuple[Migration, ...] = (
    _v1_initial,
    _v2_digests_feedback,
    _v3_sources,
    _v4_passage_answers,
    _v5_suggestion_picks,
)
"""Every migration in order; ``MIGRATIONS[n - 1]`` produces schema version ``n``."""

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this code reads and writes."""


def schema_version(db: sqlite_utils.Database) -> int:
    """The database's schema version (0 for a new, empty database)."""
    row = db.conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(db: sqlite_utils.Database, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the database up to the newest schema and return its version.

    Already current: nothing is written. Newer than this code: :class:`SchemaError`. A failing
    migration: :class:`SchemaError`, with that migration's changes and version bump rolled
    back (earlier migrations of the same call stay applied; each is complete on its own).
    """
    target = len(migrations)
    current = schema_version(db)
    _refuse_newer(current, target)
    while current < target:
        current = _apply(db, migrations, current)
    return current


def _refuse_newer(current: int, target: int) -> None:
    if current > target:
        raise SchemaError(
            f"database schema v{current} is newer than this Sitrep (v{target}); upgrade Sitrep"
        )


def _apply(db: sqlite_utils.Database, migrations: Sequence[Migration], current: int) -> int:
    """Apply the migration after ``current`` in one transaction; return the new version."""
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Re-read under the write lock: another process may have migrated since we looked.
        current = schema_version(db)
        _refuse_newer(current, len(migrations))
        if current < len(migrations):
            _run(db, migrations[current], current + 1)
            current += 1
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return current


def _run(db: sqlite_utils.Database, migration: Migration, version: int) -> None:
    """Run one migration and record ``version``; any failure becomes a :class:`SchemaError`."""
    try:
        migration(db)
        # An int from our own counter, never user input; PRAGMA takes no parameters.
        db.conn.execute(f"PRAGMA user_version = {int(version)}")
    except Exception as exc:
        name = getattr(migration, "__name__", "migration")
        raise SchemaError(
            f"migration to schema v{version} ({name}) failed: {exc}; "
            f"the database is unchanged at v{version - 1}"
        ) from exc
