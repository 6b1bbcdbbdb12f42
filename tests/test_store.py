"""FactStore: one transaction per write, a revision row with every change, all-or-nothing loads."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from knowledge.errors import (
    DigestNotConfigured,
    FactExists,
    FactLocked,
    FactNotFound,
    InvalidSetting,
    KeyConflict,
    RevisionNotFound,
    ValidationError,
)
from knowledge.models import Alternative, Answer, Document, Fact, Source
from knowledge.store.facts import (
    FactStore,
    _Write,
    fact_from_state,
    fact_state,
    normalize_key,
    open_db,
)

DOC = Document(
    id="brief",
    title="A test brief",
    publisher="Test Publisher",
    published=date(2025, 11, 4),
    url="https://example.org/brief",
    text=(
        "JNIM is led by Iyad ag-Ghali and Amadou Kouffa. "
        "Mali received approximately 95 percent of its fuel from Senegal and the Ivory Coast. "
        "The city of Kayes, with a population of 127,000, has been blockaded. "
        "JNIM boasts approximately 6,000 fighters."
    ),
)
LEADER_QUOTE = "JNIM is led by Iyad ag-Ghali and Amadou Kouffa"
FUEL_QUOTE = "Mali received approximately 95 percent of its fuel from Senegal"
KAYES_QUOTE = "The city of Kayes, with a population of 127,000"
FIGHTERS_QUOTE = "JNIM boasts approximately 6,000 fighters"
URL_SOURCE = Source(quote="Some outside claim", title="Outside", url="https://example.com/x")


def cite(quote: str) -> Source:
    """A source quoting the fixture document."""
    return Source(quote=quote, document=DOC.id)


def make(fact_id: str, quote: str = LEADER_QUOTE, **fields: Any) -> Fact:
    """A valid fact citing the fixture document."""
    base: dict[str, Any] = {
        "title": f"About {fact_id}",
        "answer": f"The answer about {fact_id}.",
        "as_of": date(2025, 11, 4),
        "sources": (cite(quote),),
        "keys": (f"{fact_id} key", f"what is {fact_id}"),
        "tags": ("test",),
        "review_by": date(2026, 2, 1),
    }
    return Fact(id=fact_id, **(base | fields))


LEADER = make("jnim-leadership", keys=("JNIM leader", "who leads JNIM"), tags=("jnim",))
FUEL = make("mali-fuel", FUEL_QUOTE, keys=("fuel imports",))
KAYES = make("kayes-population", KAYES_QUOTE, keys=("population of Kayes",))


class TickClock:
    """A clock that moves one second per reading, so timestamps are distinct and ordered."""

    def __init__(self) -> None:
        self.now = datetime(2025, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the test database lives."""
    return tmp_path / "data" / "sitrep.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[sqlite_utils.Database]:
    """An opened, empty database file."""
    database = open_db(db_path)
    yield database
    database.close()


@pytest.fixture
def clock() -> TickClock:
    """The store's clock."""
    return TickClock()


@pytest.fixture
def store(db: sqlite_utils.Database, clock: TickClock) -> FactStore:
    """A store with the fixture document and two facts."""
    fact_store = FactStore(db, clock=clock)
    fact_store.put_documents([DOC])
    fact_store.add(LEADER, actor="alice", guild_id=1)
    fact_store.add(FUEL, actor="alice", guild_id=1)
    return fact_store


def dump(db: sqlite_utils.Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (sqlite_sequence included), to compare logical states."""
    names = [
        row[0] for row in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    return {
        name: db.conn.execute(f'SELECT * FROM "{name}" ORDER BY 1, 2').fetchall() for name in names
    }


def fresh(db_path: Path) -> sqlite3.Connection:
    """A second, independent connection to the database file."""
    return sqlite3.connect(db_path)


def revision_count(conn: sqlite3.Connection, fact_id: str) -> int:
    """How many revision rows the fact has, as that connection sees it."""
    return int(
        conn.execute("SELECT count(*) FROM revisions WHERE fact_id = ?", (fact_id,)).fetchone()[0]
    )


# --- open_db --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pragma", "expected"),
    [
        ("journal_mode", "wal"),
        ("synchronous", 2),  # FULL
        ("foreign_keys", 1),
        ("busy_timeout", 5000),
        ("trusted_schema", 0),
    ],
)
def test_open_db_sets_pragma(db: sqlite_utils.Database, pragma: str, expected: object) -> None:
    """open_db configures each connection PRAGMA for durability and safety."""
    assert db.conn.execute(f"PRAGMA {pragma}").fetchone()[0] == expected


def test_open_db_creates_parent_directory(db: sqlite_utils.Database, db_path: Path) -> None:
    """open_db creates the missing data directory."""
    assert db_path.parent.is_dir()


def test_open_db_memory_skips_wal() -> None:
    """An in-memory database keeps its memory journal but enforces foreign keys."""
    mem = open_db(":memory:")
    assert mem.conn.execute("PRAGMA journal_mode").fetchone()[0] == "memory"
    assert mem.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    FactStore(mem).put_documents([DOC])
    mem.close()


# --- single-fact writes ---------------------------------------------------------------------


def test_add_returns_rev_one_and_records_revision(store: FactStore) -> None:
    """add stores the fact at rev 1 with an 'add' revision whose before is None."""
    assert store.get(LEADER.id) == replace(LEADER, rev=1)
    (rev,) = store.history(LEADER.id)
    assert (rev.rev, rev.action, rev.actor, rev.guild_id) == (1, "add", "alice", 1)
    assert rev.before is None
    assert rev.after == fact_state(replace(LEADER, rev=1))


def test_add_ignores_given_status_lock_and_rev(store: FactStore) -> None:
    """A new fact starts active, unlocked, at rev 1 whatever the caller passed."""
    added = store.add(replace(KAYES, status="retired", locked=True, rev=7), actor="bob")
    assert (added.status, added.locked, added.rev) == ("active", False, 1)


def test_add_existing_id_raises_fact_exists(store: FactStore) -> None:
    """add refuses an id that is taken."""
    with pytest.raises(FactExists):
        store.add(replace(LEADER, keys=()), actor="bob")


@pytest.mark.parametrize(
    ("fact", "field"),
    [
        (replace(KAYES, title=""), "title"),
        (replace(KAYES, id="Not A Slug"), "id"),
        (replace(KAYES, sources=(cite("words that are not in the brief"),)), "sources[0].quote"),
        (
            replace(KAYES, sources=(Source(quote=KAYES_QUOTE, document="nope"),)),
            "sources[0].source",
        ),
        (replace(KAYES, sources=()), "sources"),
        (replace(KAYES, keys=("kayes  people", "Kayes people")), "keys[1]"),
        (replace(KAYES, answer="ping @everyone"), "answer"),
        (replace(KAYES, as_of="2025-11-04"), "as_of"),  # type: ignore[arg-type]
    ],
)
def test_add_invalid_fact_changes_nothing(
    store: FactStore, db: sqlite_utils.Database, fact: Fact, field: str
) -> None:
    """A fact that fails validation raises ValidationError naming the field and writes nothing."""
    before, changes = dump(db), store.changes
    with pytest.raises(ValidationError) as caught:
        store.add(fact, actor="bob")
    assert field in {p.field for p in caught.value.problems}
    assert dump(db) == before
    assert store.changes == changes
    assert not db.conn.in_transaction


def test_validation_lists_every_problem(store: FactStore) -> None:
    """ValidationError carries all problems at once, not only the first."""
    with pytest.raises(ValidationError) as caught:
        store.add(replace(KAYES, title="", answer="", sources=()), actor="bob")
    assert {"title", "answer", "sources"} <= {p.field for p in caught.value.problems}


@pytest.mark.parametrize("key", ["JNIM leader", "jnim   LEADER", " Jnim Leader "])
def test_key_conflict_names_owner(store: FactStore, db: sqlite_utils.Database, key: str) -> None:
    """A key another active fact owns (ignoring case and spacing) raises KeyConflict naming it."""
    before = dump(db)
    with pytest.raises(KeyConflict) as caught:
        store.add(replace(KAYES, keys=(key,)), actor="bob")
    assert (caught.value.owner_id, caught.value.owner_title) == (LEADER.id, LEADER.title)
    assert LEADER.id in str(caught.value)
    assert dump(db) == before


def test_key_conflict_on_edit_and_add_key(store: FactStore) -> None:
    """edit and add_key refuse a key owned by another fact."""
    with pytest.raises(KeyConflict):
        store.edit(FUEL.id, keys=("fuel imports", "who leads jnim"), actor="bob")
    with pytest.raises(KeyConflict):
        store.add_key(FUEL.id, "WHO LEADS JNIM", actor="bob")


def test_retired_fact_frees_keys_and_restore_needs_them(store: FactStore) -> None:
    """Retiring gives a fact's keys back; restoring fails while another fact holds one."""
    store.retire(LEADER.id, actor="bob")
    assert store.key_owner("who leads JNIM") is None
    store.add(replace(KAYES, keys=("who leads JNIM",)), actor="bob")
    assert store.key_owner("Who  leads jnim") == KAYES.id
    with pytest.raises(KeyConflict) as caught:
        store.restore(LEADER.id, actor="bob")
    assert caught.value.owner_id == KAYES.id
    assert store.get(LEADER.id).status == "retired"


NEW_SOURCE = cite(FIGHTERS_QUOTE)


def nothing(store: FactStore) -> None:
    """No preparation."""


# (action, preparation, the action itself, what the resulting fact must satisfy)
ACTIONS: list[
    tuple[str, Callable[[FactStore], object], Callable[[FactStore], Fact], Callable[[Fact], bool]]
] = [
    (
        "edit",
        nothing,
        lambda s: s.edit(LEADER.id, answer="New answer.", tags=["jnim", "people"], actor="bob"),
        lambda f: f.answer == "New answer." and f.tags == ("jnim", "people"),
    ),
    (
        "add_key",
        nothing,
        lambda s: s.add_key(LEADER.id, "JNIM chief", actor="bob"),
        lambda f: f.keys == (*LEADER.keys, "JNIM chief"),
    ),
    (
        "remove_key",
        nothing,
        lambda s: s.remove_key(LEADER.id, "jnim  LEADER", actor="bob"),
        lambda f: f.keys == ("who leads JNIM",),
    ),
    (
        "add_source",
        nothing,
        lambda s: s.add_source(LEADER.id, NEW_SOURCE, actor="bob"),
        lambda f: f.sources == (*LEADER.sources, NEW_SOURCE),
    ),
    (
        "remove_source",
        lambda s: s.add_source(LEADER.id, NEW_SOURCE, actor="bob"),
        lambda s: s.remove_source(LEADER.id, 0, actor="bob"),
        lambda f: f.sources == (NEW_SOURCE,),
    ),
    (
        "retire",
        nothing,
        lambda s: s.retire(LEADER.id, actor="bob"),
        lambda f: f.status == "retired",
    ),
    (
        "restore",
        lambda s: s.retire(LEADER.id, actor="bob"),
        lambda s: s.restore(LEADER.id, actor="bob"),
        lambda f: f.status == "active",
    ),
    ("lock", nothing, lambda s: s.lock(LEADER.id, actor="bob"), lambda f: f.locked),
    (
        "unlock",
        lambda s: s.lock(LEADER.id, actor="bob"),
        lambda s: s.unlock(LEADER.id, actor="bob"),
        lambda f: not f.locked,
    ),
    (
        "revert",
        lambda s: s.edit(LEADER.id, title="Changed", actor="bob"),
        lambda s: s.revert(LEADER.id, 1, actor="bob"),
        lambda f: f.title == LEADER.title,
    ),
]


@pytest.mark.parametrize(
    ("action", "prepare", "call", "check"), ACTIONS, ids=[a[0] for a in ACTIONS]
)
def test_action_writes_change_and_revision_visible_to_fresh_connection(
    store: FactStore,
    db: sqlite_utils.Database,
    db_path: Path,
    action: str,
    prepare: Callable[[FactStore], object],
    call: Callable[[FactStore], Fact],
    check: Callable[[Fact], bool],
) -> None:
    """Each action bumps rev, writes a revision (who/guild/when/before/after/reason) and commits."""
    prepare(store)
    before = store.get(LEADER.id)
    changes = store.changes
    result = call(store)
    assert check(result)
    assert result.rev == before.rev + 1
    assert store.changes == changes + 1
    assert not db.conn.in_transaction
    assert store.get(LEADER.id) == result
    last = store.history(LEADER.id)[-1]
    assert (last.action, last.rev, last.actor) == (action, result.rev, "bob")
    assert (last.before, last.after) == (fact_state(before), fact_state(result))
    other = fresh(db_path)
    rev, answer, status, locked = other.execute(
        "SELECT rev, answer, status, locked FROM facts WHERE id = ?", (LEADER.id,)
    ).fetchone()
    assert (rev, answer, status, bool(locked)) == (
        result.rev,
        result.answer,
        result.status,
        result.locked,
    )
    assert revision_count(other, LEADER.id) == result.rev
    other.close()


def test_revision_records_guild_reason_and_time(store: FactStore) -> None:
    """The revision row keeps the guild, the reason and a UTC timestamp from the clock."""
    store.edit(LEADER.id, title="Leaders of JNIM", actor="carol", guild_id=42, reason="clearer")
    last = store.history(LEADER.id)[-1]
    assert (last.guild_id, last.reason) == (42, "clearer")
    assert last.at.utcoffset() == timedelta(0)
    assert last.at > store.history(LEADER.id)[0].at


def test_history_is_oldest_first(store: FactStore) -> None:
    """history lists revisions in the order they happened."""
    store.edit(LEADER.id, title="Two", actor="bob")
    store.retire(LEADER.id, actor="bob")
    history = store.history(LEADER.id)
    assert [(r.rev, r.action) for r in history] == [(1, "add"), (2, "edit"), (3, "retire")]
    assert [r.id for r in history] == sorted(r.id for r in history)
    assert history[0].at < history[1].at < history[2].at


def test_unknown_fact_raises_fact_not_found(store: FactStore, db: sqlite_utils.Database) -> None:
    """Reads and writes of an unknown id raise FactNotFound and leave no transaction open."""
    for call in (
        lambda: store.get("nope"),
        lambda: store.history("nope"),
        lambda: store.edit("nope", title="x", actor="bob"),
        lambda: store.retire("nope", actor="bob"),
    ):
        with pytest.raises(FactNotFound):
            call()
        assert not db.conn.in_transaction


LOCKED_REFUSALS: list[tuple[str, Callable[[FactStore], object]]] = [
    ("edit", lambda s: s.edit(LEADER.id, title="x", actor="bob")),
    ("edit-same", lambda s: s.edit(LEADER.id, title=LEADER.title, actor="bob")),
    ("add_key", lambda s: s.add_key(LEADER.id, "new key", actor="bob")),
    ("remove_key", lambda s: s.remove_key(LEADER.id, "JNIM leader", actor="bob")),
    ("add_source", lambda s: s.add_source(LEADER.id, NEW_SOURCE, actor="bob")),
    ("remove_source", lambda s: s.remove_source(LEADER.id, 0, actor="bob")),
    ("retire", lambda s: s.retire(LEADER.id, actor="bob")),
    ("restore", lambda s: s.restore(LEADER.id, actor="bob")),
    ("revert", lambda s: s.revert(LEADER.id, 1, actor="bob")),
]


@pytest.mark.parametrize(("name", "call"), LOCKED_REFUSALS, ids=[c[0] for c in LOCKED_REFUSALS])
def test_lock_refuses_every_action_but_unlock(
    store: FactStore, db: sqlite_utils.Database, name: str, call: Callable[[FactStore], object]
) -> None:
    """A locked fact refuses every change with FactLocked and nothing is written."""
    store.lock(LEADER.id, actor="mod")
    before = dump(db)
    with pytest.raises(FactLocked):
        call(store)
    assert dump(db) == before
    assert not db.conn.in_transaction
    assert store.unlock(LEADER.id, actor="mod").locked is False


@pytest.mark.parametrize(
    ("name", "call"),
    [
        (
            "edit-same",
            lambda s: s.edit(LEADER.id, title=LEADER.title, keys=list(LEADER.keys), actor="b"),
        ),
        ("add-own-key", lambda s: s.add_key(LEADER.id, "who  LEADS jnim", actor="b")),
        ("unlock-unlocked", lambda s: s.unlock(LEADER.id, actor="b")),
        ("restore-active", lambda s: s.restore(LEADER.id, actor="b")),
        ("revert-to-current", lambda s: s.revert(LEADER.id, 1, actor="b")),
    ],
)
def test_change_that_changes_nothing_writes_nothing(
    store: FactStore, db: sqlite_utils.Database, name: str, call: Callable[[FactStore], Fact]
) -> None:
    """An action that leaves the fact as it is returns it unchanged and writes no revision."""
    before, changes = dump(db), store.changes
    assert call(store) == store.get(LEADER.id)
    assert dump(db) == before
    assert store.changes == changes


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda s: s.edit(LEADER.id, status="retired", actor="b"), TypeError),
        (lambda s: s.edit(LEADER.id, keys="one key", actor="b"), TypeError),
        (lambda s: s.remove_key(LEADER.id, "not a key", actor="b"), ValidationError),
        (lambda s: s.remove_source(LEADER.id, 1, actor="b"), ValidationError),
        (lambda s: s.remove_source(LEADER.id, -1, actor="b"), ValidationError),
        (lambda s: s.remove_source(LEADER.id, 0, actor="b"), ValidationError),  # the last one
        (lambda s: s.add_source(LEADER.id, cite("not in the brief"), actor="b"), ValidationError),
        (
            lambda s: s.edit(LEADER.id, as_of=date(2099, 1, 1), review_by=None, actor="b"),
            ValidationError,
        ),
        (lambda s: s.edit(LEADER.id, title="x", actor=""), ValueError),
        (lambda s: s.edit(LEADER.id, title="x", actor="b", reason="r" * 501), ValidationError),
        (lambda s: s.edit(LEADER.id, title="x", actor="b", reason="a\u202eb"), ValidationError),
        (lambda s: s.revert(LEADER.id, 9, actor="b"), RevisionNotFound),
    ],
)
def test_refused_change_writes_nothing(
    store: FactStore,
    db: sqlite_utils.Database,
    call: Callable[[FactStore], object],
    error: type[Exception],
) -> None:
    """Bad arguments and invalid results raise a named error and change nothing."""
    before = dump(db)
    with pytest.raises(error):
        call(store)
    assert dump(db) == before
    assert not db.conn.in_transaction


def test_retire_and_lock_work_on_a_fact_that_no_longer_validates(
    store: FactStore, db: sqlite_utils.Database
) -> None:
    """Taking an invalid fact out of service is allowed; editing or restoring it is validated."""
    store.put_documents([replace(DOC, text="The brief was rewritten.")])
    store.lock(LEADER.id, actor="b")
    store.unlock(LEADER.id, actor="b")
    assert store.retire(LEADER.id, actor="b").status == "retired"
    with pytest.raises(ValidationError):
        store.restore(LEADER.id, actor="b")


def test_revert_restores_state_after_revision(store: FactStore) -> None:
    """revert writes a new revision whose after equals the after of the chosen one."""
    store.edit(LEADER.id, title="Second", keys=["x one"], actor="b")
    store.retire(LEADER.id, actor="b")
    reverted = store.revert(LEADER.id, 2, actor="c")
    history = store.history(LEADER.id)
    assert reverted.rev == 4
    assert history[-1].action == "revert"
    assert history[-1].after == history[1].after
    assert history[-1].reason == "revert to rev 2"
    assert (reverted.title, reverted.keys, reverted.status) == ("Second", ("x one",), "active")


def test_write_failure_before_revision_rolls_back_change(
    store: FactStore, db: sqlite_utils.Database, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the revision insert fails after the fact was written, neither is visible anywhere."""
    before = dump(db)

    def boom(*args: object) -> None:
        raise sqlite3.OperationalError("disk I/O error (injected)")

    monkeypatch.setattr(store, "_write_revision", boom)
    for call in (
        lambda: store.edit(LEADER.id, title="Lost", actor="b"),
        lambda: store.add(KAYES, actor="b"),
        lambda: store.retire(LEADER.id, actor="b"),
        lambda: store.sync([DOC], [LEADER, KAYES], actor="b"),
    ):
        with pytest.raises(sqlite3.OperationalError):
            call()
        assert not db.conn.in_transaction
        assert dump(db) == before
    other = fresh(db_path)
    assert other.execute("SELECT title FROM facts WHERE id = ?", (LEADER.id,)).fetchone() == (
        LEADER.title,
    )
    assert other.execute("SELECT count(*) FROM facts WHERE id = ?", (KAYES.id,)).fetchone() == (0,)
    other.close()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE revisions SET actor = 'mallory'",
        "DELETE FROM revisions",
        "DELETE FROM revisions WHERE rev = 1",
    ],
)
def test_revisions_are_append_only(store: FactStore, db: sqlite_utils.Database, sql: str) -> None:
    """The revisions table refuses UPDATE and DELETE, whoever asks."""
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.conn.execute(sql)
    db.conn.rollback()
    assert len(store.history(LEADER.id)) == 1


# --- reads ----------------------------------------------------------------------------------


def test_facts_sorted_and_filtered_by_status(store: FactStore) -> None:
    """facts() is sorted by id and leaves out retired facts unless asked."""
    store.add(KAYES, actor="b")
    store.retire(FUEL.id, actor="b")
    assert [f.id for f in store.facts()] == sorted([LEADER.id, KAYES.id])
    assert [f.id for f in store.facts(include_retired=True)] == sorted(
        [LEADER.id, KAYES.id, FUEL.id]
    )


def test_facts_round_trip_every_field(store: FactStore) -> None:
    """A fact read back equals the fact written, with url-only sources and empty fields."""
    odd = replace(
        KAYES,
        keys=(),
        tags=(),
        review_by=None,
        sources=(cite(KAYES_QUOTE), URL_SOURCE, replace(URL_SOURCE, published=date(2025, 1, 2))),
    )
    store.add(odd, actor="b")
    assert store.get(KAYES.id) == replace(odd, rev=1)
    assert next(f for f in store.facts() if f.id == KAYES.id) == replace(odd, rev=1)


@pytest.mark.parametrize("count", [3, 60])
def test_facts_uses_a_fixed_number_of_queries(db: sqlite_utils.Database, count: int) -> None:
    """Loading all facts costs the same handful of queries however many facts there are."""
    store = FactStore(db, clock=TickClock())
    store.sync([DOC], [make(f"fact-{i:03d}", keys=(f"key {i}",)) for i in range(count)], actor="b")
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    loaded = store.facts()
    db.conn.set_trace_callback(None)
    assert len(loaded) == count
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 4


def test_documents_and_put_documents_upsert(store: FactStore) -> None:
    """put_documents inserts new documents and updates existing ones by id."""
    other = Document(id="other", title="Other", publisher="P", published=None, url="", text="t")
    store.put_documents([replace(DOC, title="Renamed"), other])
    docs = store.documents()
    assert list(docs) == ["brief", "other"]
    assert docs["brief"].title == "Renamed"
    assert docs["other"] == other


def test_put_documents_rejects_duplicates(store: FactStore, db: sqlite_utils.Database) -> None:
    """Two documents with one id are refused before anything is written."""
    before = dump(db)
    with pytest.raises(ValidationError):
        store.put_documents([DOC, replace(DOC, title="Again")])
    assert dump(db) == before


def test_key_owner(store: FactStore) -> None:
    """key_owner finds the active fact with a key, ignoring case and spacing."""
    assert store.key_owner("  who LEADS   jnim ") == LEADER.id
    assert store.key_owner("unknown") is None
    assert normalize_key("  Who\tLEADS  jnim\n") == "who leads jnim"


def test_changes_counts_each_committed_write(db: sqlite_utils.Database, db_path: Path) -> None:
    """changes grows by one per committed write, also for a second store on another connection."""
    store = FactStore(db, clock=TickClock())
    start = store.changes
    store.put_documents([DOC])
    store.add(LEADER, actor="b")
    store.edit(LEADER.id, title="New", actor="b")
    assert store.changes == start + 3
    store.log_query(Answer(query="q", status="no_match", score=0.0))
    store.put_documents([DOC])  # identical: nothing to write
    assert store.changes == start + 3
    second = open_db(db_path)
    FactStore(second).retire(LEADER.id, actor="cli")
    second.close()
    assert store.changes == start + 4


def test_state_round_trip(store: FactStore) -> None:
    """fact_from_state inverts fact_state, dates and url-only sources included."""
    fact = replace(KAYES, sources=(cite(KAYES_QUOTE), URL_SOURCE), locked=True, status="retired")
    assert fact_from_state(fact_state(fact), rev=3) == replace(fact, rev=3)


def test_public_method_inside_caller_transaction_leaves_it_alone(
    store: FactStore, db: sqlite_utils.Database
) -> None:
    """A write called while the caller holds a transaction fails without touching it."""
    db.conn.execute("BEGIN")
    with pytest.raises(sqlite3.OperationalError):
        store.edit(LEADER.id, title="x", actor="b")
    assert db.conn.in_transaction
    db.conn.execute("ROLLBACK")


# --- sync -----------------------------------------------------------------------------------


def test_sync_reports_added_changed_unchanged_retired(store: FactStore) -> None:
    """sync adds, edits, keeps and retires, with 'load' revisions only for what changed."""
    report = store.sync(
        [DOC], [LEADER, replace(FUEL, title="Fuel, revised"), KAYES], actor="loader"
    )
    assert report.added == (KAYES.id,)
    assert report.changed == (FUEL.id,)
    assert report.unchanged == (LEADER.id,)
    assert report.retired == ()
    assert not report.dry_run
    assert store.history(FUEL.id)[-1].action == "load"
    assert len(store.history(LEADER.id)) == 1

    report = store.sync([DOC], [LEADER], actor="loader")
    assert report.retired == (KAYES.id, FUEL.id)  # sorted by id
    assert store.get(KAYES.id).status == "retired"
    assert store.history(KAYES.id)[-1].reason == "missing from the loaded set"


def test_sync_restores_retired_fact_present_again(store: FactStore) -> None:
    """A retired fact that is back in the set is restored and reported as changed."""
    store.retire(FUEL.id, actor="b")
    report = store.sync([DOC], [LEADER, FUEL], actor="loader")
    assert report.changed == (FUEL.id,)
    assert store.get(FUEL.id).status == "active"


def test_sync_twice_is_all_unchanged(store: FactStore, db: sqlite_utils.Database) -> None:
    """Loading the same set again reports everything unchanged and writes nothing."""
    store.sync([DOC], [LEADER, FUEL, KAYES], actor="loader")
    before, changes = dump(db), store.changes
    report = store.sync([DOC], [LEADER, FUEL, KAYES], actor="loader")
    assert report.unchanged == tuple(sorted([LEADER.id, FUEL.id, KAYES.id]))
    assert report.added == report.changed == report.retired == ()
    assert dump(db) == before
    assert store.changes == changes


def test_sync_dry_run_writes_nothing(store: FactStore, db: sqlite_utils.Database) -> None:
    """A dry run reports what would happen and leaves the database as it was."""
    before = dump(db)
    report = store.sync(
        [replace(DOC, title="New title")],
        [replace(LEADER, answer="Changed.")],
        actor="x",
        dry_run=True,
    )
    assert report.dry_run
    assert (report.changed, report.retired) == ((LEADER.id,), (FUEL.id,))
    assert dump(db) == before
    assert not db.conn.in_transaction


def test_sync_bad_record_in_the_middle_changes_nothing(
    store: FactStore, db: sqlite_utils.Database
) -> None:
    """One invalid fact among many refuses the whole set and lists every problem."""
    good = [make(f"fact-{i:03d}", keys=(f"k{i}",)) for i in range(40)]
    bad = [
        replace(good[20], sources=(cite("not in the brief"),)),
        replace(good[21], title=""),
    ]
    before = dump(db)
    with pytest.raises(ValidationError) as caught:
        store.sync([DOC], [*good[:20], *bad, *good[22:]], actor="loader")
    assert {(p.fact_id, p.field) for p in caught.value.problems} == {
        (good[20].id, "sources[0].quote"),
        (good[21].id, "title"),
    }
    assert dump(db) == before
    assert not db.conn.in_transaction


@pytest.mark.parametrize(
    ("facts", "fields"),
    [
        ([LEADER, LEADER], {"id"}),
        ([LEADER, replace(FUEL, keys=("who leads JNIM",))], {"keys[0]"}),
    ],
)
def test_sync_rejects_duplicate_ids_and_shared_keys(
    store: FactStore, db: sqlite_utils.Database, facts: list[Fact], fields: set[str]
) -> None:
    """Duplicate ids and keys claimed twice in the set are validation problems."""
    before = dump(db)
    with pytest.raises(ValidationError) as caught:
        store.sync([DOC], facts, actor="loader")
    assert {p.field for p in caught.value.problems} == fields
    assert dump(db) == before


def test_sync_key_moves_to_renamed_fact(store: FactStore) -> None:
    """A renamed id keeps its keys in one load: the old fact is retired, the new one owns them."""
    renamed = replace(LEADER, id="jnim-leaders")
    report = store.sync([DOC], [renamed, FUEL], actor="loader")
    assert (report.added, report.retired) == ((renamed.id,), (LEADER.id,))
    assert store.key_owner("who leads JNIM") == renamed.id


def test_sync_keys_swapped_between_facts(store: FactStore) -> None:
    """Two facts may swap keys in one load; the end state is what counts."""
    swapped = [replace(LEADER, keys=FUEL.keys), replace(FUEL, keys=LEADER.keys)]
    store.sync([DOC], swapped, actor="loader")
    assert store.key_owner("fuel imports") == LEADER.id
    assert store.key_owner("JNIM leader") == FUEL.id


def test_sync_without_retire_missing_keeps_others(store: FactStore) -> None:
    """retire_missing=False leaves facts outside the set alone, and their keys count."""
    report = store.sync([DOC], [KAYES], actor="loader", retire_missing=False)
    assert (report.added, report.retired) == ((KAYES.id,), ())
    assert store.get(FUEL.id).status == "active"
    with pytest.raises(ValidationError):
        store.sync([DOC], [replace(KAYES, keys=("fuel imports",))], actor="l", retire_missing=False)


@pytest.mark.parametrize(
    "facts",
    [
        [replace(LEADER, title="Changed"), FUEL],  # would change
        [FUEL],  # would retire
    ],
)
@pytest.mark.parametrize("dry_run", [False, True])
def test_sync_refuses_to_touch_locked_fact(
    store: FactStore, db: sqlite_utils.Database, facts: list[Fact], dry_run: bool
) -> None:
    """A locked fact that the load would change or retire refuses the whole load."""
    store.lock(LEADER.id, actor="mod")
    before = dump(db)
    with pytest.raises(FactLocked):
        store.sync([DOC], [*facts, KAYES], actor="loader", dry_run=dry_run)
    assert dump(db) == before


def test_sync_leaves_unchanged_locked_fact_alone(store: FactStore) -> None:
    """A locked fact that the load does not change is fine."""
    store.lock(LEADER.id, actor="mod")
    report = store.sync([DOC], [LEADER, FUEL], actor="loader")
    assert report.unchanged == tuple(sorted([LEADER.id, FUEL.id]))
    assert store.get(LEADER.id).locked


def test_sync_validates_against_new_documents(store: FactStore) -> None:
    """Quotes are checked against the documents given with the set, not only stored ones."""
    extra = Document(
        id="extra", title="Extra", publisher="P", published=None, url="", text="A new claim."
    )
    fact = make(
        "new-claim", "A new claim", sources=(Source(quote="A new claim", document="extra"),)
    )
    assert store.sync([DOC, extra], [LEADER, FUEL, fact], actor="l").added == ("new-claim",)
    assert "extra" in store.documents()


def test_sync_failure_midway_rolls_back_everything(
    store: FactStore, db: sqlite_utils.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure on the third write of a load undoes the documents and the first two writes."""
    before = dump(db)
    real = store._write_revision
    calls: list[int] = []

    def flaky(conn: sqlite3.Connection, write: _Write, action: str, stamp: Any) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise sqlite3.OperationalError("injected")
        real(conn, write, action, stamp)

    monkeypatch.setattr(store, "_write_revision", flaky)
    facts = [make(f"fact-{i}", keys=(f"k{i}",)) for i in range(5)]
    with pytest.raises(sqlite3.OperationalError):
        store.sync([replace(DOC, title="New")], facts, actor="l")
    assert dump(db) == before
    assert not db.conn.in_transaction


# --- query log ------------------------------------------------------------------------------


def test_log_query_and_queries(store: FactStore, clock: TickClock) -> None:
    """Logged queries come back in order with their verdict and place, never the asker."""
    fact = store.get(LEADER.id)
    store.log_query(
        Answer(query="who leads jnim", status="answered", score=91.5, fact=fact),
        guild_id=1,
        channel_id=2,
    )
    cut = datetime(2025, 12, 1, 13, 0, tzinfo=UTC)
    clock.now = cut + timedelta(minutes=5)
    store.log_query(
        Answer(
            query="population of Togo",
            status="no_match",
            score=12.0,
            alternatives=(Alternative(id=KAYES.id, title="x", score=10.0),),
        )
    )
    records = store.queries()
    assert [(r.query, r.status, r.fact_id, r.score) for r in records] == [
        ("who leads jnim", "answered", LEADER.id, 91.5),
        ("population of Togo", "no_match", None, 12.0),
    ]
    assert (records[0].guild_id, records[0].channel_id) == (1, 2)
    assert [r.query for r in store.queries(since=cut)] == ["population of Togo"]
    assert [r.query for r in store.queries(since=cut.replace(tzinfo=None))] == [
        "population of Togo"
    ]


def test_log_query_survives_odd_text(store: FactStore) -> None:
    """A lone surrogate or a huge query is logged (cleaned and capped), not an error."""
    store.log_query(Answer(query="bad \ud800 text " + "x" * 5000, status="no_match", score=0.0))
    (record,) = store.queries()
    assert record.query.startswith("bad ? text")
    assert len(record.query) == 1000


def test_busy_database_fails_cleanly_then_recovers(
    store: FactStore, db: sqlite_utils.Database, db_path: Path
) -> None:
    """While another connection holds the write lock a write fails cleanly; later it succeeds."""
    db.conn.execute("PRAGMA busy_timeout = 50")  # the real 5 s would only slow the test
    other = fresh(db_path)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        store.edit(LEADER.id, title="Later", actor="b")
    assert not db.conn.in_transaction
    assert store.get(LEADER.id).title == LEADER.title  # reads still work under WAL
    other.execute("ROLLBACK")
    other.close()
    assert store.edit(LEADER.id, title="Later", actor="b").title == "Later"


# --- digest settings --------------------------------------------------------------------------

LONDON_DAILY: dict[str, Any] = {
    "channel_id": 20,
    "schedule": "daily",
    "local_time": "8:30",
    "timezone": "europe/london",
}


def test_set_digest_normalises_stores_and_logs(store: FactStore, db_path: Path) -> None:
    """Settings are validated, normalised, readable from a fresh connection and logged."""
    settings = store.set_digest(10, **LONDON_DAILY, actor="mod#1", reason="first setup")
    assert (settings.local_time, settings.timezone, settings.weekday) == (
        time(8, 30),
        "Europe/London",
        None,
    )
    assert settings.configured_by == "mod#1" and settings.configured_at is not None
    assert store.digest_settings(10) == settings
    assert store.digest_settings(11) is None
    with fresh(db_path) as conn:
        assert conn.execute("SELECT local_time, timezone FROM digest_settings").fetchall() == [
            ("08:30", "Europe/London")
        ]
    (change,) = store.digest_history(10)
    assert (change.action, change.actor, change.reason, change.before) == (
        "set",
        "mod#1",
        "first setup",
        None,
    )
    assert change.after is not None and change.after["local_time"] == "08:30"


def test_set_digest_same_settings_writes_nothing(
    store: FactStore, db: sqlite_utils.Database
) -> None:
    """Setting what is already set is a no-op, however it is spelled."""
    first = store.set_digest(10, **LONDON_DAILY, actor="mod")
    before = dump(db)
    again = store.set_digest(10, **(LONDON_DAILY | {"local_time": "08:30"}), actor="other")
    assert again == first and dump(db) == before


def test_set_digest_change_is_logged_with_before_and_after(store: FactStore) -> None:
    """A changed setting replaces the row and appends a change with both states."""
    store.set_digest(10, **LONDON_DAILY, actor="mod")
    weekly = store.set_digest(
        10, **(LONDON_DAILY | {"schedule": "weekly", "weekday": "fri"}), actor="mod2"
    )
    assert (weekly.schedule, weekly.weekday, weekly.configured_by) == ("weekly", 4, "mod2")
    changes = store.digest_history(10)
    assert [c.action for c in changes] == ["set", "set"]
    assert changes[1].before is not None and changes[1].before["schedule"] == "daily"
    assert changes[1].after is not None and changes[1].after["weekday"] == 4


@pytest.mark.parametrize(
    ("change", "setting"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"local_time": "25:00"}, "time"),
        ({"schedule": "weekly", "weekday": "someday"}, "weekday"),
        ({"schedule": "weekly"}, "weekday"),
        ({"channel_id": -1}, "channel"),
    ],
)
def test_set_digest_refuses_invalid_settings(
    store: FactStore, db: sqlite_utils.Database, change: dict[str, Any], setting: str
) -> None:
    """An invalid setting raises InvalidSetting and writes nothing."""
    before = dump(db)
    with pytest.raises(InvalidSetting) as caught:
        store.set_digest(10, **(LONDON_DAILY | change), actor="mod")
    assert caught.value.setting == setting
    assert dump(db) == before and not db.conn.in_transaction


def test_set_digest_needs_an_actor(store: FactStore) -> None:
    """Like every change, digest settings record who made them."""
    with pytest.raises(ValueError, match="actor"):
        store.set_digest(10, **LONDON_DAILY, actor=" ")


def test_disable_and_reenable_digest(store: FactStore) -> None:
    """Disabling keeps the settings with a reason; set_digest turns it back on."""
    store.set_digest(10, **LONDON_DAILY, actor="mod")
    off = store.disable_digest(10, "403 Forbidden on the digest channel")
    assert not off.enabled and off.disabled_reason == "403 Forbidden on the digest channel"
    assert store.disable_digest(10, "again") == off  # already off: no-op
    on = store.set_digest(10, **LONDON_DAILY, actor="mod")
    assert on.enabled and on.disabled_reason == ""
    assert [(c.action, c.actor) for c in store.digest_history(10)] == [
        ("set", "mod"),
        ("disable", "sitrep"),
        ("set", "mod"),
    ]


def test_disable_unknown_digest(store: FactStore) -> None:
    """Disabling a digest that was never set up is a named error."""
    with pytest.raises(DigestNotConfigured, match="guild 99"):
        store.disable_digest(99, "why")


def test_all_digest_settings(store: FactStore) -> None:
    """Every guild's settings by guild id; enabled_only leaves out disabled ones."""
    for guild in (30, 10, 20):
        store.set_digest(guild, **LONDON_DAILY, actor="mod")
    store.disable_digest(20, "gone")
    assert [s.guild_id for s in store.all_digest_settings()] == [10, 20, 30]
    assert [s.guild_id for s in store.all_digest_settings(enabled_only=True)] == [10, 30]


@pytest.mark.parametrize(
    "sql",
    ["UPDATE digest_changes SET actor = 'x'", "DELETE FROM digest_changes"],
)
def test_digest_changes_are_append_only(
    store: FactStore, db: sqlite_utils.Database, sql: str
) -> None:
    """The settings' change log cannot be rewritten."""
    store.set_digest(10, **LONDON_DAILY, actor="mod")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute(sql)


# --- digest runs ------------------------------------------------------------------------------


def test_record_digest_run_is_exactly_once(store: FactStore, db_path: Path) -> None:
    """A period is recorded once: a second posted or skipped for it is refused."""
    assert not store.digest_posted(10, "2026-03-29")
    assert store.record_digest_run(10, "2026-03-29", "posted", message_id=555)
    assert store.digest_posted(10, "2026-03-29")
    assert not store.record_digest_run(10, "2026-03-29", "posted", message_id=556)
    assert not store.record_digest_run(10, "2026-03-29", "skipped")
    assert not store.record_digest_run(10, "2026-03-29", "failed")
    (run,) = store.digest_runs(10)
    assert (run.status, run.message_id, run.attempts) == ("posted", 555, 1)
    assert not store.digest_posted(11, "2026-03-29")  # per guild
    with fresh(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM digest_runs").fetchone() == (1,)


def test_failed_run_may_be_retried_then_settled(store: FactStore) -> None:
    """A failed attempt does not settle the period; retries count; success settles it."""
    assert store.record_digest_run(10, "2026-W13", "failed", note="503")
    assert not store.digest_posted(10, "2026-W13")
    assert store.record_digest_run(10, "2026-W13", "failed", note="429")
    assert store.record_digest_run(10, "2026-W13", "posted", message_id=9)
    (run,) = store.digest_runs(10)
    assert (run.status, run.attempts, run.note, run.message_id) == ("posted", 3, "", 9)
    assert store.digest_posted(10, "2026-W13")


@pytest.mark.parametrize(
    "sql",
    ["UPDATE digest_runs SET status = 'failed'", "DELETE FROM digest_runs"],
)
def test_settled_runs_cannot_be_undone(
    store: FactStore, db: sqlite_utils.Database, sql: str
) -> None:
    """Even raw SQL cannot reopen or remove a posted period."""
    store.record_digest_run(10, "2026-03-29", "posted", message_id=1)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(sql)


@pytest.mark.parametrize(
    ("key", "status", "error"),
    [("2026-03-29", "sent", "status"), ("", "posted", "period key"), (" ", "skipped", "period")],
)
def test_record_digest_run_refuses_bad_values(
    store: FactStore, key: str, status: Any, error: str
) -> None:
    """Unknown statuses and empty keys are bugs in the caller."""
    with pytest.raises(ValueError, match=error):
        store.record_digest_run(10, key, status)


def test_last_run_and_since(store: FactStore, clock: TickClock) -> None:
    """The last settled run goes by period date; the next window starts at covered_until."""
    assert store.last_digest_run(10) is None and store.digest_since(10) is None
    end = datetime(2026, 3, 4, 8, tzinfo=UTC)
    store.record_digest_run(10, "2026-03-04", "posted", message_id=1, covered_until=end)
    store.record_digest_run(10, "2026-03-02", "skipped", note="missed while down")
    store.record_digest_run(10, "2026-03-05", "failed")
    store.record_digest_run(20, "2026-03-06", "posted", covered_until=end + timedelta(days=2))
    last = store.last_digest_run(10)
    assert last is not None and (last.period_key, last.status) == ("2026-03-04", "posted")
    assert store.digest_since(10) == end
    assert store.digest_since() == end + timedelta(days=2)


# --- answer feedback --------------------------------------------------------------------------


def test_feedback_one_vote_per_user_per_answer(store: FactStore) -> None:
    """A repeated vote changes nothing; a changed vote replaces the old one."""
    assert store.record_feedback(500, 42, -1, fact_id=LEADER.id, guild_id=1)
    assert not store.record_feedback(500, 42, -1, fact_id=LEADER.id, guild_id=1)
    assert store.feedback_summary() == [(LEADER.id, 0, 1)]
    assert store.record_feedback(500, 42, 1, fact_id=LEADER.id, guild_id=1)
    assert store.feedback_summary() == [(LEADER.id, 1, 0)]
    assert store.record_feedback(500, 43, -1, fact_id=LEADER.id, guild_id=1)
    assert store.record_feedback(501, 42, -1, fact_id=LEADER.id, guild_id=1)
    assert store.feedback_summary() == [(LEADER.id, 1, 2)]


def test_feedback_never_stores_the_user(store: FactStore, db: sqlite_utils.Database) -> None:
    """Only a keyed hash per (answer, user) is kept; it does not link one user's answers."""
    user = 123456789012345678
    store.record_feedback(500, user, -1, fact_id=LEADER.id)
    store.record_feedback(501, user, -1, fact_id=LEADER.id)
    rows = db.conn.execute("SELECT * FROM feedback").fetchall()
    assert str(user) not in repr(rows)
    voters = [row[0] for row in db.conn.execute("SELECT voter FROM feedback")]
    assert len(set(voters)) == 2


def test_feedback_by_query_id_finds_the_fact(store: FactStore) -> None:
    """Feedback given for a logged query counts for the fact that answered it."""
    store.log_query(Answer("who leads jnim", "answered", 90.0, store.get(LEADER.id)))
    (query,) = store.queries()
    store.record_feedback(500, 1, -1, query_id=query.id)
    assert store.feedback_summary() == [(LEADER.id, 0, 1)]


@pytest.mark.parametrize(
    ("vote", "fact_id", "error"),
    [(0, "f", "vote"), (2, "f", "vote"), (True, "f", "vote"), (1, None, "fact_id or the query_id")],
)
def test_feedback_refuses_bad_values(
    store: FactStore, vote: Any, fact_id: str | None, error: str
) -> None:
    """A vote is +1 or -1 about a fact or a query."""
    with pytest.raises(ValueError, match=error):
        store.record_feedback(500, 1, vote, fact_id=fact_id)


def test_feedback_summary_window_guild_and_order(store: FactStore, clock: TickClock) -> None:
    """Counts per fact in the window and guild, most down votes first."""
    store.record_feedback(1, 1, -1, fact_id=FUEL.id, guild_id=1)
    cut = clock.now + timedelta(seconds=1)
    store.record_feedback(2, 1, 1, fact_id=LEADER.id, guild_id=1)
    store.record_feedback(3, 1, -1, fact_id=LEADER.id, guild_id=2)
    store.record_feedback(3, 2, -1, fact_id=LEADER.id, guild_id=2)
    store.record_feedback(4, 1, -1, fact_id=FUEL.id, guild_id=1)
    assert store.feedback_summary() == [(FUEL.id, 0, 2), (LEADER.id, 1, 2)]
    assert store.feedback_summary(cut) == [(LEADER.id, 1, 2), (FUEL.id, 0, 1)]
    assert store.feedback_summary(guild_id=1) == [(FUEL.id, 0, 2), (LEADER.id, 1, 0)]
    assert store.feedback_summary(until=cut) == [(FUEL.id, 0, 1)]


# --- digest inputs ----------------------------------------------------------------------------


def test_revisions_window(store: FactStore, clock: TickClock) -> None:
    """Revisions of every fact at or after since and before until, in order."""
    cut = clock.now + timedelta(seconds=1)
    store.edit(LEADER.id, title="New title", actor="b")
    store.retire(FUEL.id, actor="b")
    assert len(store.revisions()) == 4
    assert [(r.fact_id, r.action) for r in store.revisions(since=cut)] == [
        (LEADER.id, "edit"),
        (FUEL.id, "retire"),
    ]
    assert [r.action for r in store.revisions(until=cut)] == ["add", "add"]


def test_digest_inputs_window_and_guild(store: FactStore, clock: TickClock) -> None:
    """Inputs hold every fact, the window's revisions, and the guild's questions and votes."""
    since = clock.now + timedelta(seconds=1)
    store.retire(FUEL.id, actor="b")
    store.log_query(Answer("q1", "no_match", 1.0), guild_id=1)
    store.log_query(Answer("q2", "no_match", 1.0), guild_id=2)
    store.record_feedback(1, 1, -1, fact_id=LEADER.id, guild_id=2)
    until = clock.now + timedelta(seconds=1)
    store.log_query(Answer("late", "no_match", 1.0), guild_id=1)
    inputs = store.digest_inputs(since, until, guild_id=1)
    assert {f.id for f in inputs.facts} == {LEADER.id, FUEL.id}
    assert [r.action for r in inputs.revisions] == ["retire"]
    assert [q.query for q in inputs.queries] == ["q1"]
    assert inputs.feedback == ()
    everyone = store.digest_inputs(since, until)
    assert [q.query for q in everyone.queries] == ["q1", "q2"]
    assert everyone.feedback == ((LEADER.id, 0, 1),)
