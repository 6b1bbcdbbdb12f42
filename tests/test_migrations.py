"""Schema migrations: versioned, one transaction each, refusing a database from the future."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from knowledge.errors import SchemaError
from knowledge.store.db import open_db
from knowledge.store.facts import FactStore
from knowledge.store.migrations import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Migration,
    migrate,
    schema_version,
)

V1_TABLES = {
    "documents",
    "facts",
    "fact_keys",
    "fact_tags",
    "fact_sources",
    "revisions",
    "queries",
    "meta",
}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite_utils.Database]:
    """An empty database file, opened the way the bot opens it."""
    database = open_db(tmp_path / "sitrep.db")
    yield database
    database.close()


def schema(db: sqlite_utils.Database) -> list[tuple[Any, ...]]:
    """The whole schema as SQLite records it."""
    return db.conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()


def rows(db: sqlite_utils.Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table."""
    names = [r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {
        name: db.conn.execute(f'SELECT * FROM "{name}" ORDER BY 1').fetchall() for name in names
    }


def add_widgets(db: sqlite_utils.Database) -> None:
    """A well-behaved second migration."""
    db.execute("CREATE TABLE widgets (id INTEGER PRIMARY KEY, name TEXT)")
    db.execute("INSERT INTO documents (id, title) VALUES ('from-v2', 'made by v2')")


def half_then_fail(db: sqlite_utils.Database) -> None:
    """A migration that changes schema and data, then fails."""
    db.execute("CREATE TABLE half (id INTEGER)")
    db.execute("UPDATE documents SET title = 'clobbered'")
    raise RuntimeError("something went wrong")


def bad_sql(db: sqlite_utils.Database) -> None:
    """A migration whose SQL is wrong."""
    db.execute("ALTER TABLE facts ADD COLUMN extra TEXT")
    db.execute("ALTER TABLE no_such_table ADD COLUMN x TEXT")


def test_fresh_database_gets_current_schema(db: sqlite_utils.Database) -> None:
    """A new database is migrated to the current version with every table."""
    assert schema_version(db) == 0
    assert migrate(db) == SCHEMA_VERSION == len(MIGRATIONS)
    assert schema_version(db) == SCHEMA_VERSION
    assert set(db.table_names()) >= V1_TABLES
    assert not db.conn.in_transaction


def test_rerun_is_a_no_op(db: sqlite_utils.Database) -> None:
    """Migrating an up-to-date database changes nothing."""
    migrate(db)
    db.execute("INSERT INTO documents (id, title) VALUES ('d', 'D')")
    before_schema, before_rows = schema(db), rows(db)
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    assert migrate(db) == SCHEMA_VERSION
    db.conn.set_trace_callback(None)
    assert (schema(db), rows(db)) == (before_schema, before_rows)
    assert statements == ["PRAGMA user_version"]


@pytest.mark.parametrize("future", [SCHEMA_VERSION + 1, 9])
def test_newer_database_is_refused(db: sqlite_utils.Database, future: int) -> None:
    """A database from a newer Sitrep is refused with a message saying what to do."""
    db.execute(f"PRAGMA user_version = {future}")
    with pytest.raises(SchemaError) as caught:
        migrate(db)
    assert str(caught.value) == (
        f"database schema v{future} is newer than this Sitrep (v{SCHEMA_VERSION}); upgrade Sitrep"
    )
    assert schema_version(db) == future
    with pytest.raises(SchemaError):
        FactStore(db)


@pytest.mark.parametrize("failing", [half_then_fail, bad_sql])
def test_failing_migration_leaves_version_and_data(
    db: sqlite_utils.Database, failing: Migration
) -> None:
    """A migration that fails is rolled back whole: same version, same schema, same rows."""
    migrate(db)
    db.execute("INSERT INTO documents (id, title) VALUES ('keep', 'kept')")
    before_schema, before_rows = schema(db), rows(db)
    with pytest.raises(SchemaError, match=f"v{SCHEMA_VERSION + 1}.*unchanged at v{SCHEMA_VERSION}"):
        migrate(db, (*MIGRATIONS, failing))
    assert schema_version(db) == SCHEMA_VERSION
    assert (schema(db), rows(db)) == (before_schema, before_rows)
    assert not db.conn.in_transaction


def test_failure_keeps_earlier_migrations_of_the_same_run(db: sqlite_utils.Database) -> None:
    """Each migration commits on its own: v1 stays applied when v2 fails on a fresh database."""
    with pytest.raises(SchemaError):
        migrate(db, (*MIGRATIONS, half_then_fail))
    assert schema_version(db) == SCHEMA_VERSION
    assert "half" not in db.table_names()


def test_migrations_apply_in_order(db: sqlite_utils.Database) -> None:
    """Pending migrations run in order, each recorded; a later run is again a no-op."""
    migrate(db)
    assert migrate(db, (*MIGRATIONS, add_widgets)) == SCHEMA_VERSION + 1
    assert "widgets" in db.table_names()
    assert migrate(db, (*MIGRATIONS, add_widgets)) == SCHEMA_VERSION + 1
    assert db.conn.execute("SELECT count(*) FROM documents").fetchone() == (1,)


def test_store_opens_and_migrates(db: sqlite_utils.Database) -> None:
    """FactStore runs the migrations when it opens a database."""
    FactStore(db)
    assert schema_version(db) == SCHEMA_VERSION


def test_memory_database_migrates() -> None:
    """The schema also applies to an in-memory database."""
    mem = open_db(":memory:")
    assert migrate(mem) == SCHEMA_VERSION
    mem.close()


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO facts (id, title, answer, as_of, status, rev, created_at, updated_at)"
        " VALUES ('f', 't', 'a', '2025-01-01', 'deleted', 1, 'x', 'x')",
        "INSERT INTO fact_tags (fact_id, position, tag) VALUES ('missing', 0, 't')",
        "INSERT INTO queries (at, query, status, score) VALUES ('x', 'q', 'maybe', 1.0)",
    ],
)
def test_schema_constraints_hold(db: sqlite_utils.Database, sql: str) -> None:
    """CHECK and foreign-key constraints reject rows the code would never write."""
    migrate(db)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(sql)
    assert not db.conn.in_transaction


# --- v2: digests and feedback -----------------------------------------------------------------

V2_TABLES = {"digest_settings", "digest_changes", "digest_runs", "feedback", "salts"}
SETTINGS = "INSERT INTO digest_settings VALUES"


def v1_with_data(db: sqlite_utils.Database) -> None:
    """A v1 database holding a fact with a key, a source, a revision and a logged query."""
    assert migrate(db, MIGRATIONS[:1]) == 1
    statements = [
        "INSERT INTO documents (id, title) VALUES ('brief', 'A brief')",
        "INSERT INTO facts (id, title, answer, as_of, rev, created_at, updated_at)"
        " VALUES ('f', 'Title', 'Answer.', '2025-11-04', 1, '2025-11-04T00:00:00', "
        "'2025-11-04T00:00:00')",
        "INSERT INTO fact_keys VALUES ('f', 0, 'a key', 'a key', 1)",
        "INSERT INTO fact_sources (fact_id, position, document_id, quote)"
        " VALUES ('f', 0, 'brief', 'quoted')",
        "INSERT INTO revisions (fact_id, rev, action, actor, at, after)"
        " VALUES ('f', 1, 'add', 'me', '2025-11-04T00:00:00+00:00', '{}')",
        "INSERT INTO queries (at, query, status, fact_id, score)"
        " VALUES ('2025-11-04T00:00:00+00:00', 'q', 'answered', 'f', 90.0)",
    ]
    for statement in statements:
        db.execute(statement)


def test_upgrading_a_v1_database_keeps_every_row(db: sqlite_utils.Database) -> None:
    """Upgrading a v1 database adds the later tables and leaves every v1 row as it was."""
    v1_with_data(db)
    before = rows(db)
    assert migrate(db) == SCHEMA_VERSION == 5
    after = rows(db)
    # v4 gives each logged question a passage_id column, NULL for what was logged before.
    before["queries"] = [(*row, None) for row in before["queries"]]
    assert {name: after[name] for name in before} == before
    assert set(db.table_names()) >= V1_TABLES | V2_TABLES
    assert after["salts"][0][0] == "feedback" and len(after["salts"][0][1]) == 32
    store = FactStore(db)
    assert store.get("f").keys == ("a key",)
    assert store.digests.settings(1) is None and store.queries.records()[0].query == "q"


def test_each_database_gets_its_own_salt(tmp_path: Path) -> None:
    """The feedback salt is random per database."""
    salts = []
    for name in ("a.db", "b.db"):
        database = open_db(tmp_path / name)
        migrate(database)
        salts.append(database.conn.execute("SELECT value FROM salts").fetchone()[0])
        database.close()
    assert salts[0] != salts[1]


@pytest.mark.parametrize(
    "sql",
    [
        f"{SETTINGS} (1, 2, 'weekly', '08:00', 'UTC', NULL, 1, 0, 'm', 'x', '')",
        f"{SETTINGS} (1, 2, 'daily', '08:00', 'UTC', 3, 1, 0, 'm', 'x', '')",
        f"{SETTINGS} (1, 2, 'hourly', '08:00', 'UTC', NULL, 1, 0, 'm', 'x', '')",
        "INSERT INTO digest_runs (guild_id, period_key, status, at) VALUES (1, 'k', 'sent', 'x')",
        "INSERT INTO feedback (at, message_id, voter, vote) VALUES ('x', 1, 'v', 0)",
    ],
)
def test_v2_constraints_hold(db: sqlite_utils.Database, sql: str) -> None:
    """v2's CHECK constraints reject rows the store would never write."""
    migrate(db)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(sql)


def test_period_is_unique_per_guild(db: sqlite_utils.Database) -> None:
    """The same period cannot be recorded twice for one guild, even by raw SQL."""
    migrate(db)
    insert = (
        "INSERT INTO digest_runs (guild_id, period_key, status, at) VALUES (?, 'k', 'posted', 'x')"
    )
    db.execute(insert, [1])
    db.execute(insert, [2])
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        db.execute(insert, [1])


# --- v4: passage answers in the query log --------------------------------------------------

LOG = "INSERT INTO queries (at, query, status, fact_id, score, passage_id) VALUES"


def v3_with_queries(db: sqlite_utils.Database) -> None:
    """A v3 database whose query log holds three questions, the last one since deleted."""
    assert migrate(db, MIGRATIONS[:3]) == 3
    for text, status, fact_id in [
        ("who leads jnim", "answered", "f"),
        ("population of togo", "no_match", None),
        ("deleted later", "no_match", None),
    ]:
        db.execute(
            "INSERT INTO queries (at, query, status, fact_id, score, guild_id, channel_id)"
            " VALUES ('2025-11-04T00:00:00.000000+00:00', ?, ?, ?, 50.0, 1, 2)",
            [text, status, fact_id],
        )
    db.execute("DELETE FROM queries WHERE id = 3")


def test_v4_keeps_logged_questions_and_their_ids(db: sqlite_utils.Database) -> None:
    """Upgrading to v4 keeps every logged question, id and all, with no passage."""
    v3_with_queries(db)
    before = db.conn.execute("SELECT * FROM queries ORDER BY id").fetchall()
    assert migrate(db) == SCHEMA_VERSION
    after = db.conn.execute("SELECT * FROM queries ORDER BY id").fetchall()
    assert after == [(*row, None) for row in before]
    assert [r.status for r in FactStore(db).queries.records()] == ["answered", "no_match"]
    index = db.conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'queries'")
    assert {name for (name,) in index} >= {"queries", "queries_at"}


def test_v4_never_gives_out_an_id_again(db: sqlite_utils.Database) -> None:
    """A deleted question's id stays used after the rebuild: feedback rows point at ids."""
    v3_with_queries(db)
    migrate(db)
    db.execute(f"{LOG} ('x', 'new', 'no_match', NULL, 1.0, NULL)")
    assert db.conn.execute("SELECT max(id) FROM queries").fetchone() == (4,)


def test_v4_of_an_empty_log_starts_ids_at_one(db: sqlite_utils.Database) -> None:
    """A log that never held a question gets ids from 1, as before."""
    migrate(db, MIGRATIONS[:3])
    migrate(db)
    db.execute(f"{LOG} ('x', 'first', 'no_match', NULL, 1.0, NULL)")
    assert db.conn.execute("SELECT id FROM queries").fetchall() == [(1,)]


@pytest.mark.parametrize(
    "values",
    [
        "('x', 'q', 'passage', NULL, 1.0, 'doc@1:0-10')",
        "('x', 'q', 'no_match', NULL, 1.0, NULL)",
        "('x', 'q', 'answered', 'f', 1.0, NULL)",
    ],
)
def test_v4_accepts_what_the_log_writes(db: sqlite_utils.Database, values: str) -> None:
    """Facts, misses and passage answers (with their passage) are all valid rows."""
    migrate(db)
    db.execute(f"{LOG} {values}")
    assert db.conn.execute("SELECT count(*) FROM queries").fetchone() == (1,)


@pytest.mark.parametrize(
    "values",
    [
        "('x', 'q', 'passage', NULL, 1.0, NULL)",  # a passage answer names its passage
        "('x', 'q', 'no_match', NULL, 1.0, 'doc@1:0-10')",  # only a passage answer has one
        "('x', 'q', 'answered', 'f', 1.0, 'doc@1:0-10')",
        "('x', 'q', 'maybe', NULL, 1.0, NULL)",
    ],
)
def test_v4_constraints_hold(db: sqlite_utils.Database, values: str) -> None:
    """v4's CHECK constraints reject query rows the log would never write."""
    migrate(db)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(f"{LOG} {values}")


# --- v5: "did you mean" picks --------------------------------------------------------------

PICK = "INSERT INTO suggestion_picks (at, query_id, query, fact_id, picker) VALUES"


def test_v5_adds_picks_with_their_own_salt(db: sqlite_utils.Database) -> None:
    """Upgrading to v5 adds the append-only picks table and a salt of its own; every
    earlier row stays as it was."""
    migrate(db, MIGRATIONS[:4])
    db.execute(f"{LOG} ('x', 'q', 'no_match', NULL, 1.0, NULL)")
    before = rows(db)
    assert migrate(db) == SCHEMA_VERSION == 5
    after = rows(db)
    kept = [name for name in before if name != "salts"]
    assert {name: after[name] for name in kept} == {name: before[name] for name in kept}
    salts = dict(after["salts"])
    assert set(salts) == {"feedback", "picks"}
    assert salts["picks"] != salts["feedback"] and len(salts["picks"]) == 32
    triggers = db.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'suggestion_picks'"
    ).fetchall()
    assert {name for (name,) in triggers} == {
        "suggestion_picks_no_update",
        "suggestion_picks_no_delete",
    }


def test_v5_a_pick_is_unique_per_question_and_fact(db: sqlite_utils.Database) -> None:
    """The same fact picked twice for one question is one row, even by raw SQL."""
    migrate(db)
    db.execute(f"{PICK} ('x', 1, 'q', 'f', 'p')")
    db.execute(f"{PICK} ('x', 1, 'q', 'g', 'p')")
    db.execute(f"{PICK} ('x', 2, 'q', 'f', 'p')")
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        db.execute(f"{PICK} ('y', 1, 'q', 'f', 'other')")
